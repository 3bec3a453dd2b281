// guest-test: opt=O0,O2 libs=-lm
/* F and D arithmetic: fadd/fsub/fmul/fdiv/fsqrt and the four fused
 * multiply-add forms under all five static rounding modes and under the
 * dynamic mode (frm set by fsrm and by fesetround), with fflags read after
 * every single instruction; min/max/sign-injection/compares over the
 * special values (signed zeros, infinities, quiet and signalling NaNs,
 * subnormals). */
#include <fenv.h>
#include <float.h>
#include "fp.h"

#define RM_SWITCH(MAC, insn, ...)                                  \
    switch (rm) {                                                  \
    case 0: r = MAC(insn, "rne", __VA_ARGS__, f); break;           \
    case 1: r = MAC(insn, "rtz", __VA_ARGS__, f); break;           \
    case 2: r = MAC(insn, "rdn", __VA_ARGS__, f); break;           \
    case 3: r = MAC(insn, "rup", __VA_ARGS__, f); break;           \
    case 4: r = MAC(insn, "rmm", __VA_ARGS__, f); break;           \
    default: r = MAC(insn, "dyn", __VA_ARGS__, f); break;          \
    }                                                              \
    *fl = f;                                                       \
    return r;

#define GEN_D2(fn, insn) \
    static uint64_t fn(int rm, uint64_t a, uint64_t b, unsigned *fl) { uint64_t r; unsigned f; RM_SWITCH(D2, insn, a, b) }
#define GEN_S2(fn, insn) \
    static uint32_t fn(int rm, uint32_t a, uint32_t b, unsigned *fl) { uint32_t r; unsigned f; RM_SWITCH(S2, insn, a, b) }
#define GEN_D3(fn, insn) \
    static uint64_t fn(int rm, uint64_t a, uint64_t b, uint64_t c, unsigned *fl) { uint64_t r; unsigned f; RM_SWITCH(D3, insn, a, b, c) }
#define GEN_S3(fn, insn) \
    static uint32_t fn(int rm, uint32_t a, uint32_t b, uint32_t c, unsigned *fl) { uint32_t r; unsigned f; RM_SWITCH(S3, insn, a, b, c) }

GEN_D2(fadd_d, "fadd.d") GEN_D2(fsub_d, "fsub.d") GEN_D2(fmul_d, "fmul.d") GEN_D2(fdiv_d, "fdiv.d")
GEN_S2(fadd_s, "fadd.s") GEN_S2(fsub_s, "fsub.s") GEN_S2(fmul_s, "fmul.s") GEN_S2(fdiv_s, "fdiv.s")
GEN_D3(fmadd_d, "fmadd.d") GEN_D3(fmsub_d, "fmsub.d") GEN_D3(fnmadd_d, "fnmadd.d") GEN_D3(fnmsub_d, "fnmsub.d")
GEN_S3(fmadd_s, "fmadd.s") GEN_S3(fmsub_s, "fmsub.s") GEN_S3(fnmadd_s, "fnmadd.s") GEN_S3(fnmsub_s, "fnmsub.s")

static uint64_t fsqrt_d(int rm, uint64_t a, unsigned *fl) { uint64_t r; unsigned f; RM_SWITCH(D1, "fsqrt.d", a) }
static uint32_t fsqrt_s(int rm, uint32_t a, unsigned *fl) { uint32_t r; unsigned f; RM_SWITCH(S1, "fsqrt.s", a) }

#define D_QNAN 0x7ff8000000000000ull
#define D_SNAN 0x7ff0000000000001ull
#define D_NQNAN 0xfff8000000000123ull
#define D_MINSUB 0x0000000000000001ull
#define D_MINNORM 0x0010000000000000ull
#define D_MAX 0x7fefffffffffffffull
#define D_INF 0x7ff0000000000000ull
#define S_QNAN 0x7fc00000u
#define S_SNAN 0x7f800001u
#define S_NQNAN 0xffc00123u
#define S_MINSUB 0x00000001u
#define S_MINNORM 0x00800000u
#define S_MAX 0x7f7fffffu
#define S_INF 0x7f800000u

static uint64_t D(double d) { return dbits(d); }
static uint32_t S(float f) { return fbits(f); }

/* Pairs whose results depend on the rounding mode or raise flags. */
#define NPAIRS 18
static uint64_t dpairs[NPAIRS][2];
static uint32_t spairs[NPAIRS][2];

static void init_pairs(void) {
    uint64_t d[NPAIRS][2] = {
        {D(1), D(3)}, {D(0.1), D(0.2)}, {D(1), D(0x1p-60)}, {D(-1), D(0x1p-60)},
        {D_MAX, D_MAX}, {D_MINNORM, D(0.5)}, {D_MINSUB, D(0.5)}, {D_MINSUB | 1ull << 63, D(0.5)},
        {D(1), D(0)}, {D(0), D(0)}, {D_INF, D_INF | 1ull << 63}, {D(0x1p53), D(1)},
        {D(0x1p53), D(3)}, {D(1 + 0x1p-52), D(1 + 0x1p-52)}, {D(-1), D(3)}, {D(1), D(1)},
        {D_SNAN, D(1)}, {D(-2.5), D(0x1p-1)},
    };
    uint32_t s[NPAIRS][2] = {
        {S(1), S(3)}, {S(0.1f), S(0.2f)}, {S(1), S(0x1p-30f)}, {S(-1), S(0x1p-30f)},
        {S_MAX, S_MAX}, {S_MINNORM, S(0.5f)}, {S_MINSUB, S(0.5f)}, {S_MINSUB | 1u << 31, S(0.5f)},
        {S(1), S(0)}, {S(0), S(0)}, {S_INF, S_INF | 1u << 31}, {S(0x1p24f), S(1)},
        {S(0x1p24f), S(3)}, {S(1 + 0x1p-23f), S(1 + 0x1p-23f)}, {S(-1), S(3)}, {S(1), S(1)},
        {S_SNAN, S(1)}, {S(-2.5f), S(0x1p-1f)},
    };
    memcpy(dpairs, d, sizeof d);
    memcpy(spairs, s, sizeof s);
}

struct d2 { const char *n; uint64_t (*f)(int, uint64_t, uint64_t, unsigned *); };
struct s2 { const char *n; uint32_t (*f)(int, uint32_t, uint32_t, unsigned *); };
static const struct d2 d2ops[] = {{"fadd.d", fadd_d}, {"fsub.d", fsub_d}, {"fmul.d", fmul_d}, {"fdiv.d", fdiv_d}};
static const struct s2 s2ops[] = {{"fadd.s", fadd_s}, {"fsub.s", fsub_s}, {"fmul.s", fmul_s}, {"fdiv.s", fdiv_s}};

static const int fenv_modes[4] = {FE_TONEAREST, FE_TOWARDZERO, FE_DOWNWARD, FE_UPWARD};
static const unsigned fenv_frm[4] = {0, 1, 2, 3};

static void rounding(void) {
    unsigned fl, fl2;
    for (unsigned k = 0; k < 4; k++)
        for (unsigned i = 0; i < NPAIRS; i++)
            for (int rm = 0; rm < 5; rm++) {
                uint64_t a = dpairs[i][0], b = dpairs[i][1];
                uint64_t r = d2ops[k].f(rm, a, b, &fl);
                printf("%s.%s(%016llx, %016llx) = %016llx %s\n", d2ops[k].n, RM_NAMES[rm],
                       (unsigned long long)a, (unsigned long long)b, (unsigned long long)r, flag_str(fl));
                set_frm(rm);
                uint64_t r2 = d2ops[k].f(5, a, b, &fl2);
                set_frm(0);
                if (r2 != r || fl2 != fl) {
                    printf("  dyn differs: %016llx %s\n", (unsigned long long)r2, flag_str(fl2));
                    check("dyn == static", 0);
                }
                uint32_t sa = spairs[i][0], sb = spairs[i][1];
                uint32_t sr = s2ops[k].f(rm, sa, sb, &fl);
                printf("%s.%s(%08x, %08x) = %08x %s\n", s2ops[k].n, RM_NAMES[rm], sa, sb, sr, flag_str(fl));
                set_frm(rm);
                uint32_t sr2 = s2ops[k].f(5, sa, sb, &fl2);
                set_frm(0);
                if (sr2 != sr || fl2 != fl) check("dyn == static (s)", 0);
            }
    /* fesetround drives frm; compiler-generated arithmetic uses dyn. */
    for (int m = 0; m < 4; m++) {
        check("fesetround ok", fesetround(fenv_modes[m]) == 0);
        check("frm follows fesetround", get_frm() == fenv_frm[m]);
        check("fegetround", fegetround() == fenv_modes[m]);
        volatile double x = 1.0, y = 3.0;
        volatile float xf = 1.0f, yf = 3.0f;
        double q = x / y;
        float qf = xf / yf;
        printf("fesetround(%d): 1/3 = %016llx %08x\n", m, (unsigned long long)dbits(q), fbits(qf));
        unsigned f;
        check("C division matches static rm", dbits(q) == fdiv_d((int)fenv_frm[m], D(1), D(3), &f));
    }
    fesetround(FE_TONEAREST);
    /* Hand-checked values: 1/3 rounded down and up differ by one ulp. */
    check("rdn < rup", fdiv_d(2, D(1), D(3), &fl) + 1 == fdiv_d(3, D(1), D(3), &fl));
    check("1-1 is -0 in rdn", fsub_d(2, D(1), D(1), &fl) == 1ull << 63);
    check("1-1 is +0 in rne", fsub_d(0, D(1), D(1), &fl) == 0);
    check("max+max rtz = max", fadd_d(1, D_MAX, D_MAX, &fl) == D_MAX && fl == 0x5);
    check("max+max rne = inf", fadd_d(0, D_MAX, D_MAX, &fl) == D_INF && fl == 0x5);
    check("1/0 = inf DZ", fdiv_d(0, D(1), D(0), &fl) == D_INF && fl == 0x8);
    check("0/0 = canonical NaN NV", fdiv_d(0, D(0), D(0), &fl) == D_QNAN && fl == 0x10);
    check("sNaN+1 = canonical NaN NV (s)", fadd_s(0, S_SNAN, S(1), &fl) == S_QNAN && fl == 0x10);
    check("tie 2^53+1 rne even", fadd_d(0, D(0x1p53), D(1), &fl) == D(0x1p53) && fl == 1);
    check("tie 2^53+1 rmm away", fadd_d(4, D(0x1p53), D(1), &fl) == D(0x1p53 + 2));
    check("minsub*0.5 rne -> 0 UF NX", fmul_d(0, D_MINSUB, D(0.5), &fl) == 0 && fl == 3);
    check("minsub*0.5 rup -> minsub", fmul_d(3, D_MINSUB, D(0.5), &fl) == D_MINSUB);
}

static void sqrt_tests(void) {
    const uint64_t dv[] = {D(2), D(4), D(-1), 1ull << 63, 0, D_INF, D_INF | 1ull << 63,
                           D_QNAN, D_SNAN, D_MINSUB, D_MAX, D(0.5)};
    const uint32_t sv[] = {S(2), S(4), S(-1), 1u << 31, 0, S_INF, S_INF | 1u << 31,
                           S_QNAN, S_SNAN, S_MINSUB, S_MAX, S(0.5f)};
    unsigned fl;
    for (unsigned i = 0; i < sizeof dv / sizeof dv[0]; i++)
        for (int rm = 0; rm < 5; rm++) {
            uint64_t r = fsqrt_d(rm, dv[i], &fl);
            printf("fsqrt.d.%s(%016llx) = %016llx %s\n", RM_NAMES[rm], (unsigned long long)dv[i],
                   (unsigned long long)r, flag_str(fl));
            uint32_t s = fsqrt_s(rm, sv[i], &fl);
            printf("fsqrt.s.%s(%08x) = %08x %s\n", RM_NAMES[rm], sv[i], s, flag_str(fl));
        }
    check("sqrt(-1) = canonical NaN NV", fsqrt_d(0, D(-1), &fl) == D_QNAN && fl == 0x10);
    check("sqrt(-0) = -0", fsqrt_d(0, 1ull << 63, &fl) == 1ull << 63 && fl == 0);
    check("sqrt(4) = 2 exact", fsqrt_s(0, S(4), &fl) == S(2) && fl == 0);
}

static void fma_tests(void) {
    const uint64_t dt[][3] = {
        {D(1), D(1), D(1)}, {D_INF, 0, D_QNAN}, {0, D_INF, D_SNAN}, {D_INF, 0, D(1)},
        {D(1e308), D(10), D_INF | 1ull << 63}, {D_MAX, D(2), D_MAX | 1ull << 63},
        {D(0.1), D(10), D(-1)}, {D(1 + 0x1p-52), D(1 - 0x1p-53), D(-1)},
        {D(1), D(1), D(-1)}, {1ull << 63, D(1), 1ull << 63}, {0, D(1), 1ull << 63},
        {D_MINNORM, D(0.5), 0}, {D_QNAN, D(1), D(1)}, {D(3), D(1.0 / 3), D(-1)},
        {D_MAX, D_MAX, D(-1)}, {D(1), D_SNAN, D(0)},
    };
    const uint32_t st[][3] = {
        {S(1), S(1), S(1)}, {S_INF, 0, S_QNAN}, {0, S_INF, S_SNAN}, {S_INF, 0, S(1)},
        {S(1e38f), S(10), S_INF | 1u << 31}, {S_MAX, S(2), S_MAX | 1u << 31},
        {S(0.1f), S(10), S(-1)}, {S(1 + 0x1p-23f), S(1 - 0x1p-24f), S(-1)},
        {S(1), S(1), S(-1)}, {1u << 31, S(1), 1u << 31}, {0, S(1), 1u << 31},
        {S_MINNORM, S(0.5f), 0}, {S_QNAN, S(1), S(1)}, {S(3), S(1.0f / 3), S(-1)},
        {S_MAX, S_MAX, S(-1)}, {S(1), S_SNAN, S(0)},
    };
    struct { const char *n; uint64_t (*f)(int, uint64_t, uint64_t, uint64_t, unsigned *); } dops[] = {
        {"fmadd.d", fmadd_d}, {"fmsub.d", fmsub_d}, {"fnmadd.d", fnmadd_d}, {"fnmsub.d", fnmsub_d}};
    struct { const char *n; uint32_t (*f)(int, uint32_t, uint32_t, uint32_t, unsigned *); } sops[] = {
        {"fmadd.s", fmadd_s}, {"fmsub.s", fmsub_s}, {"fnmadd.s", fnmadd_s}, {"fnmsub.s", fnmsub_s}};
    unsigned fl;
    for (unsigned k = 0; k < 4; k++)
        for (unsigned i = 0; i < sizeof dt / sizeof dt[0]; i++)
            for (int rm = 0; rm < 5; rm++) {
                uint64_t r = dops[k].f(rm, dt[i][0], dt[i][1], dt[i][2], &fl);
                printf("%s.%s(%016llx, %016llx, %016llx) = %016llx %s\n", dops[k].n, RM_NAMES[rm],
                       (unsigned long long)dt[i][0], (unsigned long long)dt[i][1],
                       (unsigned long long)dt[i][2], (unsigned long long)r, flag_str(fl));
                uint32_t s = sops[k].f(rm, st[i][0], st[i][1], st[i][2], &fl);
                printf("%s.%s(%08x, %08x, %08x) = %08x %s\n", sops[k].n, RM_NAMES[rm], st[i][0],
                       st[i][1], st[i][2], s, flag_str(fl));
            }
    check("fma inf*0+qNaN raises NV", fmadd_d(0, D_INF, 0, D_QNAN, &fl) == D_QNAN && fl == 0x10);
    check("fma max*2-max = max (no overflow)", fmadd_d(0, D_MAX, D(2), D_MAX | 1ull << 63, &fl) == D_MAX && fl == 0);
    check("fma 1*1-1 rdn = -0", fmadd_d(2, D(1), D(1), D(-1), &fl) == 1ull << 63);
    check("fma exact residual", fmadd_d(0, D(1 + 0x1p-52), D(1 - 0x1p-53), D(-1), &fl) == D(0x1p-53 - 0x1p-105));
    check("fnmadd = -(a*b)-c", fnmadd_s(0, S(2), S(3), S(1), &fl) == S(-7));
    check("fnmsub = -(a*b)+c", fnmsub_s(0, S(2), S(3), S(1), &fl) == S(-5));
    check("fmsub = a*b-c", fmsub_d(0, D(2), D(3), D(1), &fl) == D(5));
}

/* Non-rounding ops and compares over all special-value pairs. */
static void specials(void) {
    const uint64_t dv[] = {0, 1ull << 63, D(1), D(-1), D(1.5), D_INF, D_INF | 1ull << 63,
                           D_QNAN, D_SNAN, D_NQNAN, D_MAX, D_MINSUB, D_MINNORM | 1ull << 63};
    const uint32_t sv[] = {0, 1u << 31, S(1), S(-1), S(1.5f), S_INF, S_INF | 1u << 31,
                           S_QNAN, S_SNAN, S_NQNAN, S_MAX, S_MINSUB, S_MINNORM | 1u << 31};
    const unsigned n = sizeof dv / sizeof dv[0];
    unsigned fl;
    for (unsigned i = 0; i < n; i++)
        for (unsigned j = 0; j < n; j++) {
            uint64_t a = dv[i], b = dv[j];
            printf("d %016llx %016llx:", (unsigned long long)a, (unsigned long long)b);
#define PD(insn) do { uint64_t r = D2N(insn, a, b, fl); printf(" %s=%016llx/%s", insn, (unsigned long long)r, flag_str(fl)); } while (0)
            PD("fmin.d"); PD("fmax.d"); PD("fsgnj.d"); PD("fsgnjn.d"); PD("fsgnjx.d");
#define CD(insn) do { uint64_t r; __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3\n\tfrflags %1" : "=&r"(r), "=&r"(fl) : "f"(bits_d(a)), "f"(bits_d(b)) : "memory"); printf(" %s=%llu/%s", insn, (unsigned long long)r, flag_str(fl)); } while (0)
            CD("feq.d"); CD("flt.d"); CD("fle.d");
            printf("\n");
            uint32_t sa = sv[i], sb = sv[j];
            printf("s %08x %08x:", sa, sb);
#define PS(insn) do { uint32_t r = S2N(insn, sa, sb, fl); printf(" %s=%08x/%s", insn, r, flag_str(fl)); } while (0)
            PS("fmin.s"); PS("fmax.s"); PS("fsgnj.s"); PS("fsgnjn.s"); PS("fsgnjx.s");
#define CS(insn) do { uint64_t r; __asm__ volatile("fsflags x0\n\t" insn " %0, %2, %3\n\tfrflags %1" : "=&r"(r), "=&r"(fl) : "f"(bits_f(sa)), "f"(bits_f(sb)) : "memory"); printf(" %s=%llu/%s", insn, (unsigned long long)r, flag_str(fl)); } while (0)
            CS("feq.s"); CS("flt.s"); CS("fle.s");
            printf("\n");
        }
    /* Spec rules: min(-0,+0) = -0, max = +0; one NaN -> the other operand;
     * both NaN -> canonical NaN; sNaN raises NV; flt/fle with qNaN raise NV,
     * feq only with sNaN. */
    check("fmin(+0,-0) = -0", D2N("fmin.d", 0, 1ull << 63, fl) == 1ull << 63);
    check("fmax(-0,+0) = +0", D2N("fmax.d", 1ull << 63, 0, fl) == 0);
    check("fmin(qNaN,1) = 1 no flag", D2N("fmin.d", D_QNAN, D(1), fl) == D(1) && fl == 0);
    check("fmin(sNaN,1) = 1 NV", D2N("fmin.d", D_SNAN, D(1), fl) == D(1) && fl == 0x10);
    check("fmax(NaN,NaN) canonical", S2N("fmax.s", S_NQNAN, S_SNAN, fl) == S_QNAN && fl == 0x10);
    check("fsgnjn keeps NaN payload", D2N("fsgnjn.d", D_SNAN, 0, fl) == (D_SNAN | 1ull << 63) && fl == 0);
}

static void fclass_tests(void) {
    const uint64_t dv[] = {D_INF | 1ull << 63, D(-1), D_MINSUB | 1ull << 63, 1ull << 63, 0,
                           D_MINSUB, D(1), D_INF, D_SNAN, D_QNAN};
    const uint32_t sv[] = {S_INF | 1u << 31, S(-1), S_MINSUB | 1u << 31, 1u << 31, 0,
                           S_MINSUB, S(1), S_INF, S_SNAN, S_QNAN};
    for (unsigned i = 0; i < 10; i++) {
        uint64_t cd, cs;
        __asm__ volatile("fclass.d %0, %1" : "=r"(cd) : "f"(bits_d(dv[i])));
        __asm__ volatile("fclass.s %0, %1" : "=r"(cs) : "f"(bits_f(sv[i])));
        printf("fclass %u: d=0x%03llx s=0x%03llx\n", i, (unsigned long long)cd, (unsigned long long)cs);
        /* The ten classes are the ten bits, in this order. */
        check("fclass bit", cd == 1ull << i && cs == 1ull << i);
    }
}

int main(void) {
    init_pairs();
    rounding();
    sqrt_tests();
    fma_tests();
    specials();
    fclass_tests();
    return finish();
}
