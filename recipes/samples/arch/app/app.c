#include <stdio.h>
#include <foo.h>
int main(void) { printf("app linked against libfoo %s\n", foo_version()); return 0; }
