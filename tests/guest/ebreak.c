// guest-test: opt=O0 signal=5
/* ebreak (assembled as the compressed c.ebreak under rv64gc) kills the
 * process with SIGTRAP when no debugger is attached. */
#include <stdio.h>

int main(void) {
    printf("before ebreak\n");
    fflush(stdout);
    __asm__ volatile("c.ebreak");
    printf("not reached\n");
    return 0;
}
