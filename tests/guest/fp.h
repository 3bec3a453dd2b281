/* Helpers for the F/D tests: exact-bit operands, fflags cleared before and
 * read right after each single instruction, so every flag is attributed to
 * exactly one operation. */
#ifndef GUEST_FP_H
#define GUEST_FP_H

#include "common.h"

/* Flag bits of fflags as letters, e.g. "NV,DZ,OF,UF,NX" -> "NZOUX". */
static inline const char *flag_str(unsigned f) {
    static char s[6];
    const char *l = "NZOUX"; /* bit 4 .. bit 0 */
    for (int i = 0; i < 5; i++)
        s[i] = (f >> (4 - i)) & 1 ? l[i] : '-';
    s[5] = 0;
    return s;
}

/* Binary double op with a given (static or "dyn") rounding mode. */
#define D2(insn, rm, a, b, fl)                                               \
    ({                                                                       \
        double r_;                                                           \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3, " rm "\n\t"     \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_d(a)), "f"(bits_d(b))                    \
                         : "memory");                                        \
        dbits(r_);                                                           \
    })
#define S2(insn, rm, a, b, fl)                                               \
    ({                                                                       \
        float r_;                                                            \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3, " rm "\n\t"     \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_f(a)), "f"(bits_f(b))                    \
                         : "memory");                                        \
        fbits(r_);                                                           \
    })
/* Binary op without a rounding-mode operand (fmin, fmax, fsgnj...). */
#define D2N(insn, a, b, fl)                                                  \
    ({                                                                       \
        double r_;                                                           \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3\n\tfrflags %1"   \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_d(a)), "f"(bits_d(b))                    \
                         : "memory");                                        \
        dbits(r_);                                                           \
    })
#define S2N(insn, a, b, fl)                                                  \
    ({                                                                       \
        float r_;                                                            \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3\n\tfrflags %1"   \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_f(a)), "f"(bits_f(b))                    \
                         : "memory");                                        \
        fbits(r_);                                                           \
    })
/* Unary op with rounding mode (fsqrt). */
#define D1(insn, rm, a, fl)                                                  \
    ({                                                                       \
        double r_;                                                           \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, " rm "\n\t"         \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl) : "f"(bits_d(a)) : "memory"); \
        dbits(r_);                                                           \
    })
#define S1(insn, rm, a, fl)                                                  \
    ({                                                                       \
        float r_;                                                            \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, " rm "\n\t"         \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl) : "f"(bits_f(a)) : "memory"); \
        fbits(r_);                                                           \
    })
/* Fused multiply-add family. */
#define D3(insn, rm, a, b, c, fl)                                            \
    ({                                                                       \
        double r_;                                                           \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3, %4, " rm "\n\t" \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_d(a)), "f"(bits_d(b)), "f"(bits_d(c))    \
                         : "memory");                                        \
        dbits(r_);                                                           \
    })
#define S3(insn, rm, a, b, c, fl)                                            \
    ({                                                                       \
        float r_;                                                            \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3, %4, " rm "\n\t" \
                         "frflags %1"                                        \
                         : "=&f"(r_), "=&r"(fl)                              \
                         : "f"(bits_f(a)), "f"(bits_f(b)), "f"(bits_f(c))    \
                         : "memory");                                        \
        fbits(r_);                                                           \
    })

/* Static rounding-mode names, in encoding order 0..4. */
static const char *const RM_NAMES[5] = {"rne", "rtz", "rdn", "rup", "rmm"};

/* Set frm directly (also reaches RMM, which fenv.h cannot). */
static inline void set_frm(unsigned rm) {
    __asm__ volatile("fsrm %0" ::"r"(rm) : "memory");
}
static inline unsigned get_frm(void) {
    unsigned r;
    __asm__ volatile("frrm %0" : "=r"(r)::"memory");
    return r;
}

#endif
