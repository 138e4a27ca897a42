#include "foo.h"
#ifndef FOO_VERSION
#error "build with -DFOO_VERSION"
#endif
const char *foo_version(void) { return FOO_VERSION; }
