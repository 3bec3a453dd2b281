// guest-test: opt=O0,O2 libs=-lm
/* printf of floating-point values through glibc (%f %e %g %a, widths,
 * precisions, flags), including infinities, NaNs, signed zero, subnormals
 * and extremes; strtod round trips; a few libm functions whose glibc
 * results are correctly rounded. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include "common.h"

int main(void) {
    const double v[] = {0.0, -0.0, 1.0, -1.5, 0.1, 1.0 / 3, 2.5, 1e-5, 123456789.125, 1e22,
                        1e300, -1e-300, DBL_MAX, DBL_MIN, 4.9406564584124654e-324, M_PI,
                        INFINITY, -INFINITY, NAN, -NAN};
    const char *fmts[] = {"%f", "%.0f", "%.3f", "%e", "%.10e", "%g", "%.17g", "%a", "%A",
                          "%+12.4f", "%-12.2e|", "%012.3f", "%#g", "%#.0f", "%.0e", "%La"};
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        for (unsigned k = 0; k < sizeof fmts / sizeof fmts[0]; k++) {
            char buf[512];
            if (fmts[k][1] == 'L')
                snprintf(buf, sizeof buf, fmts[k], (long double)v[i]);
            else
                snprintf(buf, sizeof buf, fmts[k], v[i]);
            printf("%s ", buf);
        }
        printf("\n");
    }
    /* Floats promote to double. */
    printf("%f %g %a\n", 0.1f, 3.4028235e38f, 1.17549435e-38f);
    /* Round trip through text is exact with %.17g. */
    int ok = 1;
    for (unsigned i = 0; i < sizeof v / sizeof v[0]; i++) {
        if (isnan(v[i])) continue;
        char buf[64];
        snprintf(buf, sizeof buf, "%.17g", v[i]);
        ok &= dbits(strtod(buf, NULL)) == dbits(v[i]);
    }
    check("%.17g round trip", ok);
    printf("strtod(\"0x1.8p1\") = %g\n", strtod("0x1.8p1", NULL));
    printf("strtod(\"inf\") = %f, strtod(\"-nan\") sign = %d\n", strtod("inf", NULL),
           signbit(strtod("-nan", NULL)) != 0);
    /* Correctly rounded libm functions. */
    volatile double x = 2.0;
    printf("sqrt(2) = %.17g\n", sqrt(x));
    printf("fma(0.1, 10, -1) = %a\n", fma(0.1, x * 5, -1.0));
    printf("floor(-2.5) = %g ceil(-2.5) = %g round(-2.5) = %g trunc(-2.5) = %g rint(2.5) = %g\n",
           floor(-x - 0.5), ceil(-x - 0.5), round(-x - 0.5), trunc(-x - 0.5), rint(x + 0.5));
    printf("fabs(-0) sign = %d, copysign(1, -0) = %g\n", signbit(fabs(-0.0 * x)) != 0,
           copysign(1.0, -0.0 * x));
    printf("lrint(2.5) = %ld, llround(-2.5) = %lld\n", lrint(x + 0.5), llround(-x - 0.5));
    check("sqrt(4) exact", sqrt(x * 2) == 2.0);
    return finish();
}
