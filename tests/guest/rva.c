// guest-test: opt=O0,O2
/* RV64A: every AMO in .w and .d form (old value returned, memory updated,
 * .w results sign-extended), all aq/rl variants assemble and run, LR/SC
 * retry loops, SC failure without a reservation and after a store to a
 * different reservation. */
#include "common.h"

static volatile uint64_t mem64;
static volatile uint32_t mem32[2];

#define AMO_D(op)                                                          \
    static void t_##op##_d(uint64_t init, uint64_t src) {                  \
        uint64_t old;                                                      \
        mem64 = init;                                                      \
        __asm__ volatile(#op ".d %0, %2, (%1)"                             \
                         : "=r"(old) : "r"(&mem64), "r"(src) : "memory");  \
        printf("%s.d(%llx, %llx): old=%llx mem=%llx\n", #op,               \
               (unsigned long long)init, (unsigned long long)src,          \
               (unsigned long long)old, (unsigned long long)mem64);        \
    }
#define AMO_W(op)                                                          \
    static void t_##op##_w(uint32_t init, uint64_t src) {                  \
        uint64_t old;                                                      \
        mem32[0] = init;                                                   \
        mem32[1] = 0x5a5a5a5a;                                             \
        __asm__ volatile(#op ".w %0, %2, (%1)"                             \
                         : "=r"(old) : "r"(&mem32[0]), "r"(src) : "memory"); \
        printf("%s.w(%x, %llx): old=%llx mem=%x next=%x\n", #op, init,     \
               (unsigned long long)src, (unsigned long long)old, mem32[0], \
               mem32[1]);                                                  \
    }
#define AMO(op) AMO_D(op) AMO_W(op)
AMO(amoswap) AMO(amoadd) AMO(amoxor) AMO(amoand) AMO(amoor)
AMO(amomin) AMO(amomax) AMO(amominu) AMO(amomaxu)

static const uint64_t v64[] = {0, 1, 0x7fffffffffffffffull, 0x8000000000000000ull,
                               0xffffffffffffffffull, 0x00000000fffffff0ull};
static const uint32_t v32[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffff, 0x12345678};

static void amos(void) {
#define RUN(op)                                                 \
    for (unsigned i = 0; i < 6; i++)                            \
        for (unsigned j = 0; j < 6; j++) {                      \
            t_##op##_d(v64[i], v64[j]);                         \
            t_##op##_w(v32[i], v64[j]);                         \
        }
    RUN(amoswap) RUN(amoadd) RUN(amoxor) RUN(amoand) RUN(amoor)
    RUN(amomin) RUN(amomax) RUN(amominu) RUN(amomaxu)
}

static void orderings(void) {
    uint64_t old;
    mem64 = 10;
    __asm__ volatile("amoadd.d.aq %0, %2, (%1)" : "=r"(old) : "r"(&mem64), "r"(1ull) : "memory");
    __asm__ volatile("amoadd.d.rl %0, %2, (%1)" : "=r"(old) : "r"(&mem64), "r"(1ull) : "memory");
    __asm__ volatile("amoadd.d.aqrl %0, %2, (%1)" : "=r"(old) : "r"(&mem64), "r"(1ull) : "memory");
    check("amo aq/rl variants", mem64 == 13 && old == 12);
    /* rd = x0: memory still updated. */
    __asm__ volatile("amoadd.d x0, %1, (%0)" ::"r"(&mem64), "r"(7ull) : "memory");
    check("amo rd=x0 still writes", mem64 == 20);
    /* amoadd.w sign-extends the loaded word. */
    mem32[0] = 0xfffffffe;
    __asm__ volatile("amoadd.w %0, %2, (%1)" : "=r"(old) : "r"(&mem32[0]), "r"(5ull) : "memory");
    check("amoadd.w old sign-extended", old == 0xfffffffffffffffeull);
    check("amoadd.w wraps in 32 bits", mem32[0] == 3);
}

static void lrsc(void) {
    /* Atomic increment loop with LR/SC. */
    mem64 = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t tmp, fail;
        __asm__ volatile("1: lr.d %0, (%2)\n\t"
                         "addi %0, %0, 3\n\t"
                         "sc.d %1, %0, (%2)\n\t"
                         "bnez %1, 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&mem64) : "memory");
    }
    put_dec("lr/sc.d loop", (int64_t)mem64);
    check("lr/sc.d loop", mem64 == 3000);
    mem32[0] = 0x7ffffff0;
    for (int i = 0; i < 100; i++) {
        uint64_t tmp, fail;
        __asm__ volatile("1: lr.w.aq %0, (%2)\n\t"
                         "addiw %0, %0, 1\n\t"
                         "sc.w.rl %1, %0, (%2)\n\t"
                         "bnez %1, 1b"
                         : "=&r"(tmp), "=&r"(fail) : "r"(&mem32[0]) : "memory");
    }
    put_hex32("lr/sc.w loop", mem32[0]);
    check("lr/sc.w loop", mem32[0] == 0x80000054);
    /* lr.w sign-extends. */
    uint64_t v;
    mem32[0] = 0x80000001;
    __asm__ volatile("lr.w %0, (%1)" : "=r"(v) : "r"(&mem32[0]) : "memory");
    check("lr.w sign-extends", v == 0xffffffff80000001ull);
    /* Successful SC writes 0 to rd and stores. */
    uint64_t rd;
    mem64 = 1;
    __asm__ volatile("lr.d %0, (%2)\n\tsc.d %1, %3, (%2)"
                     : "=&r"(v), "=&r"(rd) : "r"(&mem64), "r"(77ull) : "memory");
    check("sc.d success", rd == 0 && mem64 == 77 && v == 1);
    /* SC without a preceding LR in this sequence after a successful SC must
     * fail (reservation consumed), and must not store. */
    __asm__ volatile("sc.d %0, %2, (%1)" : "=&r"(rd) : "r"(&mem64), "r"(55ull) : "memory");
    printf("sc.d without reservation: rd=%s mem=%llu\n", rd ? "nonzero" : "zero",
           (unsigned long long)mem64);
    check("sc.d without reservation fails", rd != 0 && mem64 == 77);
}

int main(void) {
    amos();
    orderings();
    lrsc();
    return finish();
}
