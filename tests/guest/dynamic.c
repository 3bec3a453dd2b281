// guest-test: opt=O0,O2 link=dynamic libs=-lm
/* A dynamically linked program: the loader must map the program
 * interpreter (ld-linux-riscv64-lp64d.so.1 from the sysroot given by -L),
 * which then maps libc.so.6 and libm.so.6 and resolves symbols (PLT,
 * lazy and IFUNC paths), runs constructors and destructors, and dlsym
 * lookups work. */
#include <dlfcn.h>
#include <math.h>
#include <stdlib.h>
#include "common.h"

static int ctor_ran;
__attribute__((constructor)) static void ctor(void) { ctor_ran = 1; }
__attribute__((destructor)) static void dtor(void) { printf("destructor ran\n"); }

int main(void) {
    check("constructor ran before main", ctor_ran);
    volatile double x = 2.0;
    printf("sqrt via libm: %.17g\n", sqrt(x));
    printf("cbrt via libm: %.17g\n", cbrt(x * 4));
    char *s = malloc(32);
    snprintf(s, 32, "%s %d", "malloc via libc", 7);
    printf("%s\n", s);
    free(s);
    void *h = dlopen(NULL, RTLD_NOW);
    check("dlopen self", h != NULL);
    void *sym = h ? dlsym(h, "printf") : NULL;
    check("dlsym printf", sym != NULL && sym == (void *)printf);
    void *lm = dlopen("libm.so.6", RTLD_NOW);
    check("dlopen libm", lm != NULL);
    double (*cosp)(double) = lm ? (double (*)(double))dlsym(lm, "cos") : NULL;
    check("dlsym cos", cosp != NULL);
    if (cosp) printf("cos(0) via dlsym: %g\n", cosp(0.0 * x));
    return finish();
}
