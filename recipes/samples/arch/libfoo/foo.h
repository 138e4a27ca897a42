#ifndef FOO_H
#define FOO_H
/* The version of libfoo this header belongs to. */
const char *foo_version(void);
#endif
