// guest-test: opt=O0,O2
/* F and D conversions and moves: fcvt to every integer kind (w, wu, l, lu)
 * from s and d under every rounding mode, with saturation for NaN, the
 * infinities and out-of-range values and the flags each raises; integer to
 * FP with inexact results; fcvt.s.d / fcvt.d.s (NaN canonicalisation,
 * overflow, subnormals); fmv.x.w sign extension; NaN-boxing: a single
 * loaded with flw is boxed, an unboxed register used as a single reads as
 * the canonical NaN, while fmv.x.w and fsw pass the low bits through. */
#include "fp.h"

#define RMS(MAC, ...)                                            \
    switch (rm) {                                                \
    case 0: MAC("rne", __VA_ARGS__); break;                      \
    case 1: MAC("rtz", __VA_ARGS__); break;                      \
    case 2: MAC("rdn", __VA_ARGS__); break;                      \
    case 3: MAC("rup", __VA_ARGS__); break;                      \
    default: MAC("rmm", __VA_ARGS__); break;                     \
    }

/* FP -> int: rd is an integer register. */
#define TO_INT(rmname, insn, cons, val)                                        \
    __asm__ volatile("fsflags x0\n\t" insn " %0, %2, " rmname "\n\tfrflags %1" \
                     : "=&r"(r), "=&r"(f) : cons(val) : "memory")
#define GEN_TO_INT_D(fn, insn)                                  \
    static uint64_t fn(int rm, uint64_t a, unsigned *fl) {      \
        uint64_t r; unsigned f;                                 \
        RMS(TO_INT, insn, "f", bits_d(a));                      \
        *fl = f; return r;                                      \
    }
#define GEN_TO_INT_S(fn, insn)                                  \
    static uint64_t fn(int rm, uint32_t a, unsigned *fl) {      \
        uint64_t r; unsigned f;                                 \
        RMS(TO_INT, insn, "f", bits_f(a));                      \
        *fl = f; return r;                                      \
    }
GEN_TO_INT_D(cvt_w_d, "fcvt.w.d") GEN_TO_INT_D(cvt_wu_d, "fcvt.wu.d")
GEN_TO_INT_D(cvt_l_d, "fcvt.l.d") GEN_TO_INT_D(cvt_lu_d, "fcvt.lu.d")
GEN_TO_INT_S(cvt_w_s, "fcvt.w.s") GEN_TO_INT_S(cvt_wu_s, "fcvt.wu.s")
GEN_TO_INT_S(cvt_l_s, "fcvt.l.s") GEN_TO_INT_S(cvt_lu_s, "fcvt.lu.s")

/* int -> FP. */
#define FROM_INT(rmname, insn, T, conv)                                        \
    do { T o;                                                                  \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2, " rmname "\n\tfrflags %1" \
                         : "=&f"(o), "=&r"(f) : "r"(a) : "memory");            \
        r = conv(o); } while (0)
#define GEN_FROM_INT_D(fn, insn)                                \
    static uint64_t fn(int rm, uint64_t a, unsigned *fl) {      \
        uint64_t r; unsigned f;                                 \
        RMS(FROM_INT, insn, double, dbits);                     \
        *fl = f; return r;                                      \
    }
#define GEN_FROM_INT_S(fn, insn)                                \
    static uint64_t fn(int rm, uint64_t a, unsigned *fl) {      \
        uint64_t r; unsigned f;                                 \
        RMS(FROM_INT, insn, float, fbits);                      \
        *fl = f; return r;                                      \
    }
/* fcvt.d.w and fcvt.d.wu are exact, so the assembler takes no rounding mode. */
#define GEN_FROM_INT_D_EXACT(fn, insn)                                         \
    static uint64_t fn(int rm, uint64_t a, unsigned *fl) {                     \
        double o; unsigned f; (void)rm;                                        \
        __asm__ volatile("fsflags x0\n\t" insn " %0, %2\n\tfrflags %1"        \
                         : "=&f"(o), "=&r"(f) : "r"(a) : "memory");            \
        *fl = f; return dbits(o);                                              \
    }
GEN_FROM_INT_D_EXACT(cvt_d_w, "fcvt.d.w") GEN_FROM_INT_D_EXACT(cvt_d_wu, "fcvt.d.wu")
GEN_FROM_INT_D(cvt_d_l, "fcvt.d.l") GEN_FROM_INT_D(cvt_d_lu, "fcvt.d.lu")
GEN_FROM_INT_S(cvt_s_w, "fcvt.s.w") GEN_FROM_INT_S(cvt_s_wu, "fcvt.s.wu")
GEN_FROM_INT_S(cvt_s_l, "fcvt.s.l") GEN_FROM_INT_S(cvt_s_lu, "fcvt.s.lu")

static uint64_t D(double d) { return dbits(d); }
static uint32_t S(float f) { return fbits(f); }

static void fp_to_int(void) {
    const uint64_t dv[] = {0, 1ull << 63, D(0.5), D(-0.5), D(1.5), D(2.5), D(-1.5), D(-2.5),
                           D(0.999), D(-0.999), D(-1), D(2147483647.0), D(2147483647.5),
                           D(2147483648.0), D(-2147483648.0), D(-2147483648.5), D(-2147483649.0),
                           D(4294967295.0), D(4294967295.5), D(4294967296.0),
                           D(0x1p63), D(-0x1p63), D(0x1p64), D(0x1.fffffffffffffp62),
                           D(1e300), D(-1e300), 0x7ff0000000000000ull, 0xfff0000000000000ull,
                           0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff0000000000001ull,
                           0x0000000000000001ull};
    const uint32_t sv[] = {0, 1u << 31, S(0.5f), S(-0.5f), S(1.5f), S(2.5f), S(-1.5f), S(-2.5f),
                           S(0.999f), S(-0.999f), S(-1), S(2147483520.0f), S(2147483648.0f),
                           S(-2147483648.0f), S(-2147483904.0f), S(4294967040.0f),
                           S(4294967296.0f), S(0x1p63f), S(-0x1p63f), S(0x1p64f), S(1e30f),
                           S(-1e30f), 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00000u,
                           0x7f800001u, 0x00000001u};
    struct { const char *n; uint64_t (*f)(int, uint64_t, unsigned *); } dops[] = {
        {"fcvt.w.d", cvt_w_d}, {"fcvt.wu.d", cvt_wu_d}, {"fcvt.l.d", cvt_l_d}, {"fcvt.lu.d", cvt_lu_d}};
    struct { const char *n; uint64_t (*f)(int, uint32_t, unsigned *); } sops[] = {
        {"fcvt.w.s", cvt_w_s}, {"fcvt.wu.s", cvt_wu_s}, {"fcvt.l.s", cvt_l_s}, {"fcvt.lu.s", cvt_lu_s}};
    unsigned fl;
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++)
            for (int rm = 0; rm < 5; rm++) {
                uint64_t r = dops[k].f(rm, dv[i], &fl);
                printf("%s.%s(%016llx) = %016llx %s\n", dops[k].n, RM_NAMES[rm],
                       (unsigned long long)dv[i], (unsigned long long)r, flag_str(fl));
            }
        for (unsigned i = 0; i < sizeof sv / sizeof sv[0]; i++)
            for (int rm = 0; rm < 5; rm++) {
                uint64_t r = sops[k].f(rm, sv[i], &fl);
                printf("%s.%s(%08x) = %016llx %s\n", sops[k].n, RM_NAMES[rm], sv[i],
                       (unsigned long long)r, flag_str(fl));
            }
    }
    /* Saturation values from the spec's conversion table. */
    const uint64_t NAN_D = 0x7ff8000000000000ull, INF_D = 0x7ff0000000000000ull;
    check("w(NaN) = INT32_MAX NV", cvt_w_d(0, NAN_D, &fl) == 0x7fffffff && fl == 0x10);
    check("w(-inf) = INT32_MIN", cvt_w_d(0, INF_D | 1ull << 63, &fl) == 0xffffffff80000000ull && fl == 0x10);
    check("wu(NaN) = all ones (sext)", cvt_wu_d(0, NAN_D, &fl) == ~0ull && fl == 0x10);
    check("wu(-1) = 0 NV", cvt_wu_d(0, D(-1), &fl) == 0 && fl == 0x10);
    check("wu(-0.5) rtz = 0 NX", cvt_wu_d(1, D(-0.5), &fl) == 0 && fl == 0x1);
    check("l(NaN) = INT64_MAX", cvt_l_d(0, NAN_D, &fl) == 0x7fffffffffffffffull);
    check("l(-2^63) exact", cvt_l_d(0, D(-0x1p63), &fl) == 0x8000000000000000ull && fl == 0);
    check("lu(2^64) = max NV", cvt_lu_s(0, S(0x1p64f), &fl) == ~0ull && fl == 0x10);
    check("lu(-inf) = 0 NV", cvt_lu_s(0, 0xff800000u, &fl) == 0 && fl == 0x10);
    check("w(2.5) rne = 2", cvt_w_d(0, D(2.5), &fl) == 2 && fl == 1);
    check("w(2.5) rmm = 3", cvt_w_d(4, D(2.5), &fl) == 3);
    check("w(-2.5) rdn = -3", cvt_w_d(2, D(-2.5), &fl) == (uint64_t)-3);
    check("w(-2.5) rup = -2", cvt_w_d(3, D(-2.5), &fl) == (uint64_t)-2);
}

static void int_to_fp(void) {
    const uint64_t iv[] = {0, 1, ~0ull, 0x7fffffff, 0x80000000, 0xffffffff, 0x100000001ull,
                           0x20000000000001ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
                           0xfffffffffffffffeull, 0x1000001, 0xffffffff00000003ull};
    struct { const char *n; uint64_t (*f)(int, uint64_t, unsigned *); } ops[] = {
        {"fcvt.d.w", cvt_d_w}, {"fcvt.d.wu", cvt_d_wu}, {"fcvt.d.l", cvt_d_l}, {"fcvt.d.lu", cvt_d_lu},
        {"fcvt.s.w", cvt_s_w}, {"fcvt.s.wu", cvt_s_wu}, {"fcvt.s.l", cvt_s_l}, {"fcvt.s.lu", cvt_s_lu}};
    unsigned fl;
    for (unsigned k = 0; k < 8; k++)
        for (unsigned i = 0; i < sizeof iv / sizeof iv[0]; i++)
            for (int rm = 0; rm < 5; rm++) {
                uint64_t r = ops[k].f(rm, iv[i], &fl);
                printf("%s.%s(%llx) = %llx %s\n", ops[k].n, RM_NAMES[rm], (unsigned long long)iv[i],
                       (unsigned long long)r, flag_str(fl));
            }
    check("d.w uses low 32 signed", cvt_d_w(0, 0xffffffff, &fl) == D(-1));
    check("d.wu uses low 32 unsigned", cvt_d_wu(0, 0xffffffffffffffffull, &fl) == D(4294967295.0));
    check("d.l 2^53+1 inexact", cvt_d_l(0, 0x20000000000001ull, &fl) == D(0x1p53) && fl == 1);
    check("s.w 2^24+1 rup", cvt_s_w(3, 0x1000001, &fl) == S(0x1p24f + 2));
}

static void fp_to_fp(void) {
    const uint64_t dv[] = {D(1.0 / 3), D(1e300), D(-1e300), D(1e-300), D(0x1p-149), D(0x1p-150),
                           D(0x1.8p-150), 0x7ff8000000000000ull, 0x7ff0000000000001ull,
                           0xfff4000000000abcull, 0x7ff0000000000000ull, 1ull << 63,
                           D(3.4028235677973366e38)};
    unsigned fl;
    for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++)
        for (int rm = 0; rm < 5; rm++) {
            float o; uint32_t r;
#define CSD(rmname) __asm__ volatile("fsflags x0\n\tfcvt.s.d %0, %2, " rmname "\n\tfrflags %1" : "=&f"(o), "=&r"(fl) : "f"(bits_d(dv[i])) : "memory")
            switch (rm) { case 0: CSD("rne"); break; case 1: CSD("rtz"); break; case 2: CSD("rdn"); break; case 3: CSD("rup"); break; default: CSD("rmm"); }
            r = fbits(o);
            printf("fcvt.s.d.%s(%016llx) = %08x %s\n", RM_NAMES[rm], (unsigned long long)dv[i], r, flag_str(fl));
        }
    const uint32_t sv[] = {S(0.1f), 0x00000001u, 0x7fc00000u, 0x7f800001u, 0xffc01234u,
                           0xff800000u, 0x80000000u, 0x7f7fffffu};
    for (unsigned i = 0; i < sizeof sv / sizeof sv[0]; i++) {
        double o;
        __asm__ volatile("fsflags x0\n\tfcvt.d.s %0, %2\n\tfrflags %1" : "=&f"(o), "=&r"(fl) : "f"(bits_f(sv[i])) : "memory");
        printf("fcvt.d.s(%08x) = %016llx %s\n", sv[i], (unsigned long long)dbits(o), flag_str(fl));
    }
    double o;
    __asm__ volatile("fsflags x0\n\tfcvt.d.s %0, %2\n\tfrflags %1" : "=&f"(o), "=&r"(fl) : "f"(bits_f(0x7f800001u)) : "memory");
    check("fcvt.d.s(sNaN) canonical NV", dbits(o) == 0x7ff8000000000000ull && fl == 0x10);
}

static void moves_and_boxing(void) {
    uint64_t x;
    /* fmv.x.w sign-extends bit 31. */
    __asm__ volatile("fmv.x.w %0, %1" : "=r"(x) : "f"(bits_f(0x80000001u)));
    put_hex("fmv.x.w(80000001)", x);
    check("fmv.x.w sign-extends", x == 0xffffffff80000001ull);
    /* fmv.w.x then fmv.x.d shows the NaN box. */
    __asm__ volatile("fmv.w.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(x) : "r"(0x3f800000ull) : "ft0");
    put_hex("box(fmv.w.x 1.0f)", x);
    check("fmv.w.x boxes", x == 0xffffffff3f800000ull);
    /* flw boxes too. */
    static volatile uint32_t word = 0x40490fdb;
    __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(x) : "r"(&word) : "ft0", "memory");
    check("flw boxes", x == 0xffffffff40490fdbull);
    /* Single-precision arithmetic results are boxed. */
    __asm__ volatile("fmv.w.x ft0, %1\n\tfadd.s ft1, ft0, ft0\n\tfmv.x.d %0, ft1"
                     : "=r"(x) : "r"(0x3f800000ull) : "ft0", "ft1");
    check("fadd.s result boxed", x == 0xffffffff40000000ull);
    /* An unboxed value used as a single is the canonical NaN. */
    const uint64_t garbage[] = {0x123456789abcdef0ull, 0x000000003f800000ull,
                                0xfffffffe3f800000ull, 0x7fffffff3f800000ull};
    for (unsigned i = 0; i < 4; i++) {
        uint64_t sum, cls, low, sg, mv, fl;
        uint32_t stored;
        __asm__ volatile("fmv.d.x ft0, %6\n\t"
                         "fsflags x0\n\t"
                         "fadd.s ft1, ft0, ft0\n\t"
                         "frflags %5\n\t"
                         "fmv.x.d %0, ft1\n\t"
                         "fclass.s %1, ft0\n\t"
                         "fmv.x.w %2, ft0\n\t"
                         "fsgnj.s ft2, ft0, ft0\n\t"
                         "fmv.x.d %3, ft2\n\t"
                         "fsw ft0, 0(%7)\n\t"
                         "fmv.s ft3, ft0\n\t"
                         "fmv.x.d %4, ft3\n\t"
                         : "=&r"(sum), "=&r"(cls), "=&r"(low), "=&r"(sg), "=&r"(mv), "=&r"(fl)
                         : "r"(garbage[i]), "r"(&stored) : "ft0", "ft1", "ft2", "ft3", "memory");
        printf("unboxed %016llx: fadd.s=%016llx %s fclass.s=%03llx fmv.x.w=%016llx fsgnj.s=%016llx "
               "fsw=%08x fmv.s=%016llx\n", (unsigned long long)garbage[i], (unsigned long long)sum,
               flag_str((unsigned)fl), (unsigned long long)cls, (unsigned long long)low,
               (unsigned long long)sg, stored, (unsigned long long)mv);
        check("unboxed + unboxed = boxed canonical NaN", sum == 0xffffffff7fc00000ull && fl == 0);
        check("fclass.s unboxed = quiet NaN", cls == 0x200);
        check("fmv.x.w ignores box", low == (uint64_t)(int64_t)(int32_t)(uint32_t)garbage[i]);
        check("fsw ignores box", stored == (uint32_t)garbage[i]);
    }
    /* fmv.d.x / fmv.x.d are exact 64-bit transfers, NaN payloads included. */
    __asm__ volatile("fmv.d.x ft0, %1\n\tfmv.x.d %0, ft0" : "=r"(x) : "r"(0x7ff0000000000001ull) : "ft0");
    check("fmv.d.x keeps sNaN payload", x == 0x7ff0000000000001ull);
    /* fsgnj.d on a boxed single treats it as a double (no unboxing). */
    __asm__ volatile("fmv.w.x ft0, %1\n\tfsgnjn.d ft1, ft0, ft0\n\tfmv.x.d %0, ft1"
                     : "=r"(x) : "r"(0x3f800000ull) : "ft0", "ft1");
    check("fsgnjn.d on boxed single", x == 0x7fffffff3f800000ull);
}

int main(void) {
    fp_to_int();
    int_to_fp();
    fp_to_fp();
    moves_and_boxing();
    return finish();
}
