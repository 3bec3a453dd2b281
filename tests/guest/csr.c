// guest-test: opt=O0,O2
/* Zicsr: fcsr as the composite of frm and fflags, every CSR instruction
 * form (csrrw/csrrs/csrrc and the immediate variants, plus the fsflags /
 * fsrm swap pseudo-instructions returning the old value), fflags
 * accumulating across operations, and the counters rdcycle / rdtime /
 * rdinstret (only their properties are printed, never raw values). */
#include "common.h"

#define CSR_READ(name) ({ uint64_t v_; __asm__ volatile("csrr %0, " name : "=r"(v_)::"memory"); v_; })

static void fp_csrs(void) {
    uint64_t old, v;
    __asm__ volatile("csrw fcsr, %0" ::"r"(0xffull) : "memory");
    put_hex("fcsr after write 0xff", CSR_READ("fcsr"));
    put_hex("frm", CSR_READ("frm"));
    put_hex("fflags", CSR_READ("fflags"));
    check("frm = fcsr[7:5]", CSR_READ("frm") == 7);
    check("fflags = fcsr[4:0]", CSR_READ("fflags") == 0x1f);
    /* Upper bits of fcsr are read-only zero. */
    __asm__ volatile("csrw fcsr, %0" ::"r"(0xfffffull) : "memory");
    put_hex("fcsr after write 0xfffff", CSR_READ("fcsr"));
    check("fcsr bits above 7 are zero", CSR_READ("fcsr") == 0xff);
    /* csrrw returns the old value. */
    __asm__ volatile("csrrw %0, fcsr, %1" : "=r"(old) : "r"(0x41ull) : "memory");
    check("csrrw old", old == 0xff);
    check("csrrw new", CSR_READ("fcsr") == 0x41);
    __asm__ volatile("csrrs %0, fflags, %1" : "=r"(old) : "r"(0x6ull) : "memory");
    check("csrrs old", old == 0x1);
    check("csrrs set", CSR_READ("fflags") == 0x7);
    __asm__ volatile("csrrc %0, fflags, %1" : "=r"(old) : "r"(0x3ull) : "memory");
    check("csrrc old", old == 0x7);
    check("csrrc clear", CSR_READ("fflags") == 0x4);
    __asm__ volatile("csrrwi %0, frm, 3" : "=r"(old)::"memory");
    check("csrrwi old frm", old == 2);
    check("csrrwi frm", CSR_READ("frm") == 3 && CSR_READ("fcsr") == 0x64);
    __asm__ volatile("csrrsi %0, fflags, 0x10" : "=r"(old)::"memory");
    check("csrrsi", old == 0x4 && CSR_READ("fflags") == 0x14);
    __asm__ volatile("csrrci %0, fflags, 0x4" : "=r"(old)::"memory");
    check("csrrci", old == 0x14 && CSR_READ("fflags") == 0x10);
    /* csrrs with x0 does not write (pure read). */
    __asm__ volatile("csrrs %0, fcsr, x0" : "=r"(v)::"memory");
    check("csrrs x0 reads", v == 0x70);
    /* fsflags / fsrm swap and return the old value. */
    __asm__ volatile("fsflags %0, %1" : "=r"(old) : "r"(0x1ull) : "memory");
    check("fsflags swap", old == 0x10 && CSR_READ("fflags") == 0x1);
    __asm__ volatile("fsrm %0, %1" : "=r"(old) : "r"(0ull) : "memory");
    check("fsrm swap", old == 3 && CSR_READ("frm") == 0);
    __asm__ volatile("fsflagsi 0" ::: "memory");
    /* Flags accumulate: inexact, then divide-by-zero, sticky. */
    double one = 1.0, three = 3.0, zero = 0.0, r;
    __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(one), "f"(three) : "memory");
    put_hex("fflags after 1/3", CSR_READ("fflags"));
    __asm__ volatile("fdiv.d %0, %1, %2" : "=f"(r) : "f"(one), "f"(zero) : "memory");
    put_hex("fflags after 1/0", CSR_READ("fflags"));
    check("flags sticky", CSR_READ("fflags") == 0x9);
    __asm__ volatile("fadd.d %0, %1, %1" : "=f"(r) : "f"(one) : "memory");
    check("exact op keeps flags", CSR_READ("fflags") == 0x9);
    __asm__ volatile("csrw fcsr, x0" ::: "memory");
}

static void counters(void) {
    uint64_t c0, c1, t0, t1, i0, i1;
    __asm__ volatile("rdcycle %0" : "=r"(c0));
    __asm__ volatile("rdtime %0" : "=r"(t0));
    __asm__ volatile("rdinstret %0" : "=r"(i0));
    volatile uint64_t sink = 0;
    for (int i = 0; i < 100000; i++) sink += (uint64_t)i;
    __asm__ volatile("rdinstret %0" : "=r"(i1));
    __asm__ volatile("rdtime %0" : "=r"(t1));
    __asm__ volatile("rdcycle %0" : "=r"(c1));
    check("rdcycle monotonic", c1 >= c0);
    check("rdtime monotonic", t1 >= t0);
    check("rdinstret monotonic", i1 >= i0);
    check("rdtime advances over a loop", t1 > t0);
    /* Many reads in a row never go backwards. */
    int ok = 1;
    uint64_t prev = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t t;
        __asm__ volatile("rdtime %0" : "=r"(t));
        if (t < prev) ok = 0;
        prev = t;
    }
    check("rdtime never decreases", ok);
    (void)sink;
}

int main(void) {
    fp_csrs();
    counters();
    return finish();
}
