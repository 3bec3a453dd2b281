// guest-test: opt=O0,O2 exit=42
/* exit(42) from a nested call after atexit handlers have run: status 42,
 * the handlers' output in reverse registration order. */
#include <stdio.h>
#include <stdlib.h>

static void first(void) { printf("atexit first (runs last)\n"); }
static void second(void) { printf("atexit second (runs first)\n"); }

static void nested(int depth) {
    if (depth == 0)
        exit(42);
    else if (depth > 0)
        nested(depth - 1);
}

int main(void) {
    atexit(first);
    atexit(second);
    printf("exiting with 42\n");
    nested(5);
    return 0;
}
