// guest-test: opt=O0,O2
/* F and D operations with the inexact flag already set, as in real numeric
 * code (the first inexact operation sets NX and nothing clears it): the
 * case the JIT runs on the host FPU. Each operation starts from fflags = NX
 * and its result and fflags are read right after, over special and
 * ordinary operands (signed zeros, subnormals, the least normal, a product
 * that is tiny only after rounding, overflow, infinities, NaNs), under
 * frm = RNE and RTZ with the dynamic mode and with a static rne. Each
 * operation prints a hash of all its (result, fflags) pairs, and a few
 * boundary cases print their bits. */
#include "fp.h"

#define NX 1u

static uint64_t hash = 0xcbf29ce484222325ull;
static void mix(uint64_t v) {
    for (int i = 0; i < 8; i++) {
        hash ^= (v >> (8 * i)) & 0xff;
        hash *= 0x100000001b3ull;
    }
}
static void report(const char *name) {
    put_hex(name, hash);
    hash = 0xcbf29ce484222325ull;
}

/* op rd, rs1, rs2 [, rm] from fflags = NX; F is the result register class. */
#define OP2(insn, RM, OUT, IN, a, b, fl)                                       \
    __asm__ volatile("fsflags %[p]\n\t" insn " %0, %2, %3" RM "\n\t"           \
                     "frflags %1"                                              \
                     : "=&" OUT(r), "=&r"(fl)                                  \
                     : IN(a), IN(b), [p] "r"(NX)                               \
                     : "memory")
#define OP3(insn, RM, IN, a, b, c, fl)                                         \
    __asm__ volatile("fsflags %[p]\n\t" insn " %0, %2, %3, %4" RM "\n\t"       \
                     "frflags %1"                                              \
                     : "=&f"(r), "=&r"(fl)                                     \
                     : IN(a), IN(b), IN(c), [p] "r"(NX)                        \
                     : "memory")
#define OP1(insn, RM, OUT, IN, a, fl)                                          \
    __asm__ volatile("fsflags %[p]\n\t" insn " %0, %2" RM "\n\t"               \
                     "frflags %1"                                              \
                     : "=&" OUT(r), "=&r"(fl)                                  \
                     : IN(a), [p] "r"(NX)                                      \
                     : "memory")

#define F "f"
#define R "r"

/* Binary FP -> FP with a rounding mode: dyn and rne variants. */
#define GEN_D2(fn, insn)                                                              \
    static uint64_t fn##_dyn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        double r; OP2(insn, "", F, F, bits_d(a), bits_d(b), *fl); return dbits(r);    \
    }                                                                                 \
    static uint64_t fn##_rne(uint64_t a, uint64_t b, unsigned *fl) {                  \
        double r; OP2(insn, ", rne", F, F, bits_d(a), bits_d(b), *fl); return dbits(r); \
    }
#define GEN_S2(fn, insn)                                                              \
    static uint64_t fn##_dyn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        float r; OP2(insn, "", F, F, bits_f(a), bits_f(b), *fl); return fbits(r);     \
    }                                                                                 \
    static uint64_t fn##_rne(uint64_t a, uint64_t b, unsigned *fl) {                  \
        float r; OP2(insn, ", rne", F, F, bits_f(a), bits_f(b), *fl); return fbits(r); \
    }
/* Binary without a rounding mode (min/max, sign injection) and compares. */
#define GEN_D2N(fn, insn)                                                       \
    static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        double r; OP2(insn, "", F, F, bits_d(a), bits_d(b), *fl); return dbits(r); \
    }
#define GEN_S2N(fn, insn)                                                       \
    static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        float r; OP2(insn, "", F, F, bits_f(a), bits_f(b), *fl); return fbits(r); \
    }
#define GEN_D2C(fn, insn)                                                       \
    static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        uint64_t r; OP2(insn, "", R, F, bits_d(a), bits_d(b), *fl); return r;   \
    }
#define GEN_S2C(fn, insn)                                                       \
    static uint64_t fn(uint64_t a, uint64_t b, unsigned *fl) {                  \
        uint64_t r; OP2(insn, "", R, F, bits_f(a), bits_f(b), *fl); return r;   \
    }
#define GEN_D3(fn, insn)                                                                 \
    static uint64_t fn##_dyn(uint64_t a, uint64_t b, uint64_t c, unsigned *fl) {         \
        double r; OP3(insn, "", F, bits_d(a), bits_d(b), bits_d(c), *fl); return dbits(r); \
    }
#define GEN_S3(fn, insn)                                                                 \
    static uint64_t fn##_dyn(uint64_t a, uint64_t b, uint64_t c, unsigned *fl) {         \
        float r; OP3(insn, "", F, bits_f(a), bits_f(b), bits_f(c), *fl); return fbits(r); \
    }

GEN_D2(fadd_d, "fadd.d") GEN_D2(fsub_d, "fsub.d") GEN_D2(fmul_d, "fmul.d") GEN_D2(fdiv_d, "fdiv.d")
GEN_S2(fadd_s, "fadd.s") GEN_S2(fsub_s, "fsub.s") GEN_S2(fmul_s, "fmul.s") GEN_S2(fdiv_s, "fdiv.s")
GEN_D2N(fmin_d, "fmin.d") GEN_D2N(fmax_d, "fmax.d") GEN_D2N(fsgnj_d, "fsgnj.d")
GEN_D2N(fsgnjn_d, "fsgnjn.d") GEN_D2N(fsgnjx_d, "fsgnjx.d")
GEN_S2N(fmin_s, "fmin.s") GEN_S2N(fmax_s, "fmax.s") GEN_S2N(fsgnj_s, "fsgnj.s")
GEN_S2N(fsgnjn_s, "fsgnjn.s") GEN_S2N(fsgnjx_s, "fsgnjx.s")
GEN_D2C(feq_d, "feq.d") GEN_D2C(flt_d, "flt.d") GEN_D2C(fle_d, "fle.d")
GEN_S2C(feq_s, "feq.s") GEN_S2C(flt_s, "flt.s") GEN_S2C(fle_s, "fle.s")
GEN_D3(fmadd_d, "fmadd.d") GEN_D3(fmsub_d, "fmsub.d") GEN_D3(fnmadd_d, "fnmadd.d") GEN_D3(fnmsub_d, "fnmsub.d")
GEN_S3(fmadd_s, "fmadd.s") GEN_S3(fmsub_s, "fmsub.s") GEN_S3(fnmadd_s, "fnmadd.s") GEN_S3(fnmsub_s, "fnmsub.s")

static uint64_t fsqrt_d_dyn(uint64_t a, unsigned *fl) { double r; OP1("fsqrt.d", "", F, F, bits_d(a), *fl); return dbits(r); }
static uint64_t fsqrt_s_dyn(uint64_t a, unsigned *fl) { float r; OP1("fsqrt.s", "", F, F, bits_f(a), *fl); return fbits(r); }
static uint64_t fcvt_s_d(uint64_t a, unsigned *fl) { float r; OP1("fcvt.s.d", "", F, F, bits_d(a), *fl); return fbits(r); }
static uint64_t fcvt_d_s(uint64_t a, unsigned *fl) { double r; OP1("fcvt.d.s", "", F, F, bits_f(a), *fl); return dbits(r); }
#define GEN_F2I(fn, insn, IN, conv)                                                        \
    static uint64_t fn(uint64_t a, unsigned *fl) { uint64_t r; OP1(insn, ", rtz", R, IN, conv(a), *fl); return r; }
GEN_F2I(fcvt_w_d, "fcvt.w.d", F, bits_d) GEN_F2I(fcvt_wu_d, "fcvt.wu.d", F, bits_d)
GEN_F2I(fcvt_l_d, "fcvt.l.d", F, bits_d) GEN_F2I(fcvt_lu_d, "fcvt.lu.d", F, bits_d)
GEN_F2I(fcvt_w_s, "fcvt.w.s", F, bits_f) GEN_F2I(fcvt_l_s, "fcvt.l.s", F, bits_f)
#define GEN_I2D(fn, insn)                                                                  \
    static uint64_t fn(uint64_t a, unsigned *fl) { double r; OP1(insn, "", F, R, a, *fl); return dbits(r); }
#define GEN_I2S(fn, insn)                                                                  \
    static uint64_t fn(uint64_t a, unsigned *fl) { float r; OP1(insn, "", F, R, a, *fl); return fbits(r); }
GEN_I2D(fcvt_d_w, "fcvt.d.w") GEN_I2D(fcvt_d_wu, "fcvt.d.wu") GEN_I2D(fcvt_d_l, "fcvt.d.l")
GEN_I2D(fcvt_d_lu, "fcvt.d.lu") GEN_I2S(fcvt_s_w, "fcvt.s.w") GEN_I2S(fcvt_s_lu, "fcvt.s.lu")

#define ND 22
static const uint64_t dv[ND] = {
    0x3ff8000000000000ull, /* 1.5 */
    0xc00a000000000000ull, /* -3.25 */
    0x3fb999999999999aull, /* 0.1 */
    0x7e37e43c8800759cull, /* 1e300 */
    0xfe37e43c8800759cull, /* -1e300 */
    0x01a56e1fc2f8f359ull, /* 1e-300 */
    0x0010000000000000ull, /* least normal */
    0x3fefffffffffffffull, /* 1 - 2^-53: times the least normal is tiny after rounding */
    0x0000000000000001ull, /* least subnormal */
    0x0000000000000000ull,
    0x8000000000000000ull,
    0x7ff0000000000000ull,
    0xfff0000000000000ull,
    0x7ff8000000000000ull,
    0x7ff0000000000001ull, /* signaling NaN */
    0x2000000000000000ull, /* 2^-511 */
    0x4008000000000000ull, /* 3 */
    0x0008000000000000ull, /* subnormal */
    0x7fefffffffffffffull, /* greatest finite */
    0x41e0000000000000ull, /* 2^31 */
    0xc1e0000000200000ull, /* -2^31 - 1 */
    0x43e0000000000000ull, /* 2^63 */
};
#define NS 20
static const uint32_t sv[NS] = {
    0x3fc00000u, 0xc0500000u, 0x3dcccccdu, 0x7e967699u, 0xfe967699u, 0x00800000u,
    0x3f7fffffu, 0x00000001u, 0x00000000u, 0x80000000u, 0x7f800000u, 0xff800000u,
    0x7fc00000u, 0x7f800001u, 0x20000000u, 0x40400000u, 0x00400000u, 0x7f7fffffu,
    0x4f000000u, 0xcf000000u,
};
#define NI 10
static const uint64_t iv[NI] = {
    0, 1, 0xffffffffffffffffull, 0x7fffffffull, 0x80000000ull, 0x1000001ull,
    0x20000000000001ull, 0x8000000000000001ull, 0xfffffffffffffc01ull, 12345678901234567ull,
};

typedef uint64_t (*bin_fn)(uint64_t, uint64_t, unsigned *);
typedef uint64_t (*tri_fn)(uint64_t, uint64_t, uint64_t, unsigned *);
typedef uint64_t (*un_fn)(uint64_t, unsigned *);

static void over_pairs(const char *name, bin_fn f, const uint64_t *v, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            unsigned fl;
            uint64_t r = f(v[i], v[j], &fl);
            mix(r);
            mix(fl);
        }
    report(name);
}

static void over_triples(const char *name, tri_fn f, const uint64_t *v, int n) {
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++)
            for (int k = 0; k < n; k++) {
                unsigned fl;
                uint64_t r = f(v[i], v[j], v[k], &fl);
                mix(r);
                mix(fl);
            }
    report(name);
}

static void over_values(const char *name, un_fn f, const uint64_t *v, int n) {
    for (int i = 0; i < n; i++) {
        unsigned fl;
        uint64_t r = f(v[i], &fl);
        mix(r);
        mix(fl);
    }
    report(name);
}

/* fadd.s with the first operand not NaN-boxed (reads as the canonical NaN). */
static uint64_t fadd_s_unboxed(uint64_t a, uint32_t b, unsigned *fl) {
    float r;
    __asm__ volatile("fmv.d.x ft0, %2\n\tfsflags %[p]\n\tfadd.s %0, ft0, %3\n\tfrflags %1"
                     : "=&f"(r), "=&r"(*fl)
                     : "r"(a), "f"(bits_f(b)), [p] "r"(NX)
                     : "ft0", "memory");
    return fbits(r);
}

static void one(const char *name, uint64_t r, unsigned fl) {
    printf("%s = 0x%016llx %s\n", name, (unsigned long long)r, flag_str(fl));
}

int main(void) {
    uint64_t s64[NS];
    for (int i = 0; i < NS; i++)
        s64[i] = sv[i];
    unsigned fl;
    /* Boundary cases, also as single lines. */
    one("fmul.d tiny after rounding", fmul_d_dyn(dv[7], dv[6], &fl), fl);
    one("fmul.d 2^-511 * 2^-511", fmul_d_dyn(dv[15], dv[15], &fl), fl);
    one("fmul.d 1.5 * 0.1", fmul_d_dyn(dv[0], dv[2], &fl), fl);
    one("fdiv.d 1.5 / 0", fdiv_d_dyn(dv[0], dv[9], &fl), fl);
    one("fadd.d max + max", fadd_d_dyn(dv[18], dv[18], &fl), fl);
    one("fmul.s tiny after rounding", fmul_s_dyn(sv[6], sv[5], &fl), fl);
    one("fcvt.s.d 1e-300", fcvt_s_d(dv[5], &fl), fl);
    one("fcvt.w.d rtz -3.25", fcvt_w_d(dv[1], &fl), fl);
    one("fadd.s unboxed 1.5 + 1.5", fadd_s_unboxed(0x3fc00000u, 0x3fc00000u, &fl), fl);
    one("fadd.s boxed 1.5 + 1.5", fadd_s_unboxed(0xffffffff3fc00000ull, 0x3fc00000u, &fl), fl);

    static const char *const modes[3] = {"dyn/rne", "dyn/rtz", "rne/rtz"};
    for (int m = 0; m < 3; m++) {
        set_frm(m == 0 ? 0 : 1);
        printf("mode %s\n", modes[m]);
        int st = m == 2; /* static rne variants */
        over_pairs("fadd.d", st ? fadd_d_rne : fadd_d_dyn, dv, ND);
        over_pairs("fsub.d", st ? fsub_d_rne : fsub_d_dyn, dv, ND);
        over_pairs("fmul.d", st ? fmul_d_rne : fmul_d_dyn, dv, ND);
        over_pairs("fdiv.d", st ? fdiv_d_rne : fdiv_d_dyn, dv, ND);
        over_pairs("fadd.s", st ? fadd_s_rne : fadd_s_dyn, s64, NS);
        over_pairs("fsub.s", st ? fsub_s_rne : fsub_s_dyn, s64, NS);
        over_pairs("fmul.s", st ? fmul_s_rne : fmul_s_dyn, s64, NS);
        over_pairs("fdiv.s", st ? fdiv_s_rne : fdiv_s_dyn, s64, NS);
        if (st)
            continue;
        over_triples("fmadd.d", fmadd_d_dyn, dv, ND);
        over_triples("fmsub.d", fmsub_d_dyn, dv, ND);
        over_triples("fnmadd.d", fnmadd_d_dyn, dv, ND);
        over_triples("fnmsub.d", fnmsub_d_dyn, dv, ND);
        over_triples("fmadd.s", fmadd_s_dyn, s64, NS);
        over_triples("fmsub.s", fmsub_s_dyn, s64, NS);
        over_triples("fnmadd.s", fnmadd_s_dyn, s64, NS);
        over_triples("fnmsub.s", fnmsub_s_dyn, s64, NS);
        over_values("fsqrt.d", fsqrt_d_dyn, dv, ND);
        over_values("fsqrt.s", fsqrt_s_dyn, s64, NS);
        over_values("fcvt.s.d", fcvt_s_d, dv, ND);
        over_values("fcvt.d.l", fcvt_d_l, iv, NI);
        over_values("fcvt.d.lu", fcvt_d_lu, iv, NI);
        over_values("fcvt.s.w", fcvt_s_w, iv, NI);
        over_values("fcvt.s.lu", fcvt_s_lu, iv, NI);
    }
    set_frm(0);
    printf("no rounding\n");
    over_pairs("fmin.d", fmin_d, dv, ND);
    over_pairs("fmax.d", fmax_d, dv, ND);
    over_pairs("fsgnj.d", fsgnj_d, dv, ND);
    over_pairs("fsgnjn.d", fsgnjn_d, dv, ND);
    over_pairs("fsgnjx.d", fsgnjx_d, dv, ND);
    over_pairs("feq.d", feq_d, dv, ND);
    over_pairs("flt.d", flt_d, dv, ND);
    over_pairs("fle.d", fle_d, dv, ND);
    over_pairs("fmin.s", fmin_s, s64, NS);
    over_pairs("fmax.s", fmax_s, s64, NS);
    over_pairs("fsgnj.s", fsgnj_s, s64, NS);
    over_pairs("fsgnjn.s", fsgnjn_s, s64, NS);
    over_pairs("fsgnjx.s", fsgnjx_s, s64, NS);
    over_pairs("feq.s", feq_s, s64, NS);
    over_pairs("flt.s", flt_s, s64, NS);
    over_pairs("fle.s", fle_s, s64, NS);
    over_values("fcvt.d.s", fcvt_d_s, s64, NS);
    over_values("fcvt.w.d", fcvt_w_d, dv, ND);
    over_values("fcvt.wu.d", fcvt_wu_d, dv, ND);
    over_values("fcvt.l.d", fcvt_l_d, dv, ND);
    over_values("fcvt.lu.d", fcvt_lu_d, dv, ND);
    over_values("fcvt.w.s", fcvt_w_s, s64, NS);
    over_values("fcvt.l.s", fcvt_l_s, s64, NS);
    over_values("fcvt.d.w", fcvt_d_w, iv, NI);
    over_values("fcvt.d.wu", fcvt_d_wu, iv, NI);
    return 0;
}
