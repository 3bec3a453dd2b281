// guest-test: opt=O0,O2
/* RV64M: mul/mulh/mulhsu/mulhu/mulw, div/divu/rem/remu and their W forms,
 * including division by zero and the INT_MIN / -1 overflow case, which
 * RISC-V defines (no trap). */
#include "common.h"

#define RR(op)                                                              \
    static uint64_t do_##op(uint64_t a, uint64_t b) {                       \
        uint64_t r;                                                         \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));     \
        return r;                                                           \
    }
RR(mul) RR(mulh) RR(mulhsu) RR(mulhu) RR(mulw) RR(div) RR(divu) RR(rem)
RR(remu) RR(divw) RR(divuw) RR(remw) RR(remuw)

struct rr { const char *name; uint64_t (*f)(uint64_t, uint64_t); };
static const struct rr ops[] = {
    {"mul", do_mul}, {"mulh", do_mulh}, {"mulhsu", do_mulhsu},
    {"mulhu", do_mulhu}, {"mulw", do_mulw}, {"div", do_div},
    {"divu", do_divu}, {"rem", do_rem}, {"remu", do_remu},
    {"divw", do_divw}, {"divuw", do_divuw}, {"remw", do_remw},
    {"remuw", do_remuw},
};

static const uint64_t vals[] = {
    0, 1, 2, 3, 7, 0xffffffffffffffffull /* -1 */, 0xfffffffffffffff9ull /* -7 */,
    0x7fffffff, 0x80000000, 0xffffffff, 0xffffffff80000000ull,
    0x123456789abcdef0ull, 0x7fffffffffffffffull, 0x8000000000000000ull,
    0x00000000fffffffeull, 0x1234567800000005ull,
};
#define NV (sizeof vals / sizeof vals[0])

int main(void) {
    for (unsigned k = 0; k < sizeof ops / sizeof ops[0]; k++)
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++)
                printf("%s(%llx, %llx) = %llx\n", ops[k].name,
                       (unsigned long long)vals[i], (unsigned long long)vals[j],
                       (unsigned long long)ops[k].f(vals[i], vals[j]));
    const uint64_t MIN = 0x8000000000000000ull, M1 = ~0ull;
    /* Values from the RISC-V spec table "Semantics for division by zero
     * and division overflow". */
    check("div by 0 = -1", do_div(5, 0) == M1);
    check("divu by 0 = all ones", do_divu(5, 0) == M1);
    check("rem by 0 = dividend", do_rem(5, 0) == 5);
    check("remu by 0 = dividend", do_remu(5, 0) == 5);
    check("div MIN/-1 = MIN", do_div(MIN, M1) == MIN);
    check("rem MIN/-1 = 0", do_rem(MIN, M1) == 0);
    check("divw by 0 = -1", do_divw(5, 0) == M1);
    check("divuw by 0 = -1", do_divuw(5, 0) == M1);
    check("remw by 0 sign-extends dividend", do_remw(0x80000000, 0) == 0xffffffff80000000ull);
    check("remuw by 0 sign-extends dividend", do_remuw(0x80000000, 0) == 0xffffffff80000000ull);
    check("divw MIN/-1", do_divw(0x80000000, M1) == 0xffffffff80000000ull);
    check("remw MIN/-1", do_remw(0x80000000, M1) == 0);
    check("div rounds toward zero", do_div((uint64_t)-7, 2) == (uint64_t)-3);
    check("rem sign follows dividend", do_rem((uint64_t)-7, 2) == (uint64_t)-1);
    check("mulh -1*-1", do_mulh(M1, M1) == 0);
    check("mulhu -1*-1", do_mulhu(M1, M1) == 0xfffffffffffffffeull);
    check("mulhsu -1*-1", do_mulhsu(M1, M1) == M1);
    check("mulw sign-extends", do_mulw(0x10000, 0x8000) == 0xffffffff80000000ull);
    check("divuw uses low 32", do_divuw(0xffffffff00000010ull, 2) == 8);
    return finish();
}
