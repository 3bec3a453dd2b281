// guest-test: opt=O0 signal=4
/* A floating-point instruction with the dynamic rounding mode while frm
 * holds a reserved value (5) is illegal: SIGILL. The same instruction with
 * a valid frm runs first. */
#include <stdio.h>

int main(void) {
    double a = 1.0, b = 3.0, r;
    __asm__ volatile("fsrmi 1\n\tfdiv.d %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
    printf("valid frm ok: %s\n", r > 0.33 && r < 0.34 ? "yes" : "no");
    fflush(stdout);
    __asm__ volatile("fsrmi 5\n\tfdiv.d %0, %1, %2, dyn" : "=f"(r) : "f"(a), "f"(b));
    printf("not reached\n");
    return 0;
}
