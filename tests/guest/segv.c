// guest-test: opt=O0 signal=11
/* A store to address 0 must kill the process with SIGSEGV (exit status
 * 139 in a shell); output printed before the fault must be flushed. */
#include <stdio.h>
#include <unistd.h>

int main(void) {
    printf("before fault\n");
    fflush(stdout);
    volatile int *p = (volatile int *)0;
    *p = 1;
    printf("not reached\n");
    return 0;
}
