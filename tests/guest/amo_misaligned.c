// guest-test: opt=O0,O2 signal=7
/* An AMO on a misaligned address is not emulated by Linux: the process dies
 * with SIGBUS (status 135 in a shell). Plain misaligned loads and stores
 * work (see misaligned.c). */
#include <stdint.h>
#include <stdio.h>

int main(void) {
    static uint64_t buf[4];
    char *p = (char *)buf + 1;
    uint64_t old;
    printf("before amo\n");
    fflush(stdout);
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(p), "r"(1) : "memory");
    printf("not reached %lu\n", (unsigned long)old);
    return 0;
}
