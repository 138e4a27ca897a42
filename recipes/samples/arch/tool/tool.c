#include <stdio.h>
#include <foo.h>
int main(void) { printf("tool %s\n", foo_version()); return 0; }
