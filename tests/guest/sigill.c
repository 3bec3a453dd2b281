// guest-test: opt=O0 signal=4
/* An illegal instruction (the all-zero 16-bit parcel, defined illegal)
 * must kill the process with SIGILL. */
#include <stdio.h>

int main(void) {
    printf("before illegal instruction\n");
    fflush(stdout);
    __asm__ volatile(".2byte 0x0000");
    printf("not reached\n");
    return 0;
}
