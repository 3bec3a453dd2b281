// guest-test: opt=O0 signal=11
/* A load from an unmapped high address and a jump there both fault; the
 * load comes first and must raise SIGSEGV. */
#include <stdint.h>
#include <stdio.h>

int main(void) {
    printf("before fault\n");
    fflush(stdout);
    volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)0x3000000000ull;
    printf("%llu\n", (unsigned long long)*p);
    return 0;
}
