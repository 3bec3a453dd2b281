// guest-test: opt=O0,O2
/* RV64I: register and immediate arithmetic, W forms, shifts, compares,
 * lui/auipc, loads/stores with sign/zero extension, every branch kind
 * (taken and not taken), jal and jalr (link values and offsets). */
#include "common.h"

static const uint64_t vals[] = {
    0, 1, 2, 0x7f, 0x80, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
    0x100000000ull, 0x123456789abcdef0ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xfffffffffffffffeull, 0xffffffffffffffffull,
    63, 64, 31, 32,
};
#define NV (sizeof vals / sizeof vals[0])

#define RR(op)                                                              \
    static uint64_t do_##op(uint64_t a, uint64_t b) {                       \
        uint64_t r;                                                         \
        __asm__ volatile(#op " %0, %1, %2" : "=r"(r) : "r"(a), "r"(b));     \
        return r;                                                           \
    }
RR(add) RR(sub) RR(and) RR(or) RR(xor) RR(sll) RR(srl) RR(sra) RR(slt)
RR(sltu) RR(addw) RR(subw) RR(sllw) RR(srlw) RR(sraw)

struct rr { const char *name; uint64_t (*f)(uint64_t, uint64_t); };
static const struct rr rr_ops[] = {
    {"add", do_add}, {"sub", do_sub}, {"and", do_and}, {"or", do_or},
    {"xor", do_xor}, {"sll", do_sll}, {"srl", do_srl}, {"sra", do_sra},
    {"slt", do_slt}, {"sltu", do_sltu}, {"addw", do_addw}, {"subw", do_subw},
    {"sllw", do_sllw}, {"srlw", do_srlw}, {"sraw", do_sraw},
};

/* Immediate forms: one function per (op, imm) pair. */
#define RI(op, imm)                                                         \
    do {                                                                    \
        for (unsigned i = 0; i < NV; i++) {                                 \
            uint64_t r;                                                     \
            __asm__ volatile(#op " %0, %1, " #imm : "=r"(r) : "r"(vals[i])); \
            printf("%s(%llx, %s) = %llx\n", #op,                            \
                   (unsigned long long)vals[i], #imm, (unsigned long long)r); \
        }                                                                   \
    } while (0)

static void imm_ops(void) {
    RI(addi, 0); RI(addi, 1); RI(addi, -1); RI(addi, 2047); RI(addi, -2048);
    RI(slti, 0); RI(slti, -1); RI(slti, 2047);
    RI(sltiu, 0); RI(sltiu, 1); RI(sltiu, -1);
    RI(andi, -1); RI(andi, 0x7ff); RI(andi, -2048);
    RI(ori, 0); RI(ori, -2048); RI(ori, 0x555);
    RI(xori, -1); RI(xori, 0x2aa);
    RI(slli, 0); RI(slli, 1); RI(slli, 31); RI(slli, 32); RI(slli, 63);
    RI(srli, 0); RI(srli, 1); RI(srli, 31); RI(srli, 32); RI(srli, 63);
    RI(srai, 0); RI(srai, 1); RI(srai, 31); RI(srai, 32); RI(srai, 63);
    RI(addiw, 0); RI(addiw, 1); RI(addiw, -1); RI(addiw, 2047);
    RI(slliw, 0); RI(slliw, 1); RI(slliw, 31);
    RI(srliw, 0); RI(srliw, 1); RI(srliw, 31);
    RI(sraiw, 0); RI(sraiw, 1); RI(sraiw, 31);
}

static void lui_auipc(void) {
    uint64_t r;
    __asm__ volatile("lui %0, 0x12345" : "=r"(r));
    put_hex("lui 0x12345", r);
    check("lui 0x12345", r == 0x12345000ull);
    __asm__ volatile("lui %0, 0x80000" : "=r"(r));
    put_hex("lui 0x80000", r);
    check("lui sign-extends", r == 0xffffffff80000000ull);
    __asm__ volatile("lui %0, 0xfffff" : "=r"(r));
    check("lui 0xfffff", r == 0xfffffffffffff000ull);
    /* auipc: the result minus the label address is the immediate. */
    uint64_t a, l;
    __asm__ volatile("1: auipc %0, 0\n\tlla %1, 1b" : "=r"(a), "=r"(l));
    check("auipc 0 == pc", a == l);
    __asm__ volatile("1: auipc %0, 0x1\n\tlla %1, 1b" : "=r"(a), "=r"(l));
    check("auipc 1 == pc+0x1000", a - l == 0x1000);
    __asm__ volatile("1: auipc %0, 0xfffff\n\tlla %1, 1b" : "=r"(a), "=r"(l));
    check("auipc -1 == pc-0x1000", l - a == 0x1000);
}

static void loads_stores(void) {
    static volatile uint8_t buf[16];
    for (int i = 0; i < 16; i++) buf[i] = (uint8_t)(0xf0 + i);
    volatile uint8_t *p = buf;
    uint64_t r;
#define LD(op, off)                                                     \
    __asm__ volatile(#op " %0, " #off "(%1)" : "=r"(r) : "r"(p) : "memory"); \
    put_hex(#op " " #off, r);
    LD(lb, 0) LD(lbu, 0) LD(lh, 0) LD(lhu, 0) LD(lw, 0) LD(lwu, 0) LD(ld, 0)
    LD(lb, 8) LD(lbu, 8) LD(lh, 8) LD(lhu, 8) LD(lw, 8) LD(lwu, 8) LD(ld, 8)
    check("lb sign-extends", (int64_t)r < 0);
    uint64_t v = 0x0123456789abcdefull;
    __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(p) : "memory");
    __asm__ volatile("sw %0, 8(%1)" ::"r"(v), "r"(p) : "memory");
    __asm__ volatile("sh %0, 12(%1)" ::"r"(v), "r"(p) : "memory");
    __asm__ volatile("sb %0, 14(%1)" ::"r"(v), "r"(p) : "memory");
    for (int i = 0; i < 16; i++) printf("%02x", buf[i]);
    printf("\n");
    /* Negative offsets. */
    __asm__ volatile("ld %0, -8(%1)" : "=r"(r) : "r"(p + 16) : "memory");
    put_hex("ld -8", r);
}

#define BR(op)                                                          \
    static int br_##op(uint64_t a, uint64_t b) {                        \
        int t;                                                          \
        __asm__ volatile("li %0, 1\n\t" #op " %1, %2, 1f\n\tli %0, 0\n1:" \
                         : "=&r"(t) : "r"(a), "r"(b));                  \
        return t;                                                       \
    }
BR(beq) BR(bne) BR(blt) BR(bge) BR(bltu) BR(bgeu)

static void branches(void) {
    static const uint64_t bv[] = {0, 1, 0x7fffffffffffffffull,
                                  0x8000000000000000ull, 0xffffffffffffffffull};
    for (unsigned i = 0; i < 5; i++)
        for (unsigned j = 0; j < 5; j++) {
            uint64_t a = bv[i], b = bv[j];
            int e = br_beq(a, b), n = br_bne(a, b), l = br_blt(a, b);
            int g = br_bge(a, b), lu = br_bltu(a, b), gu = br_bgeu(a, b);
            printf("br(%llx,%llx): beq=%d bne=%d blt=%d bge=%d bltu=%d bgeu=%d\n",
                   (unsigned long long)a, (unsigned long long)b, e, n, l, g, lu, gu);
            if (e != (a == b) || n != (a != b) || l != ((int64_t)a < (int64_t)b) ||
                g != ((int64_t)a >= (int64_t)b) || lu != (a < b) || gu != (a >= b)) {
                check("branch semantics", 0);
            }
        }
    /* Backward branch loop. */
    uint64_t n = 0, cnt = 10;
    __asm__ volatile("1: addi %0, %0, 3\n\taddi %1, %1, -1\n\tbnez %1, 1b"
                     : "+r"(n), "+r"(cnt));
    check("backward loop", n == 30);
}

static void jumps(void) {
    uint64_t link, target;
    /* jal: link is the address of the next instruction. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "jal %0, 1f\n2: nop\n1: lla %1, 2b\n\t.option pop"
                     : "=r"(link), "=r"(target));
    check("jal link", link == target);
    /* jalr with a nonzero offset, low bit cleared. */
    uint64_t out = 0;
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "lla t0, 1f\n\t"
                     "addi t0, t0, -7\n\t"       /* target - 8 + 1 (odd) */
                     "jalr %0, 8(t0)\n\t"        /* (t0 + 8) & ~1 == 1f */
                     "li %1, 99\n"
                     "1: addi %1, %1, 1\n\t.option pop"
                     : "=&r"(link), "+r"(out) : : "t0");
    check("jalr offset+clear bit0", out == 1);
    /* jalr where rd == rs1: target uses the old value. */
    __asm__ volatile(".option push\n\t.option norvc\n\t"
                     "lla t1, 1f\n\t"
                     "jalr t1, 0(t1)\n\t"
                     "li %0, 99\n"
                     "1: mv %0, t1\n\t"
                     "lla t2, 1b\n\t"
                     "sub %0, t2, %0\n\t.option pop"
                     : "=&r"(out) : : "t1", "t2");
    check("jalr rd==rs1 link", out == 4);
    /* x0 destination is discarded. */
    uint64_t z;
    __asm__ volatile("addi x0, x0, 5\n\tmv %0, x0" : "=r"(z));
    check("x0 stays zero", z == 0);
    /* Fences are no-ops for a single hart but must decode and execute. */
    uint64_t f = 1;
    __asm__ volatile("fence\n\tfence rw, rw\n\tfence r, w\n\tfence iorw, iorw\n\t"
                     "fence.tso\n\taddi %0, %0, 1" : "+r"(f) : : "memory");
    check("fences execute", f == 2);
}

int main(void) {
    for (unsigned k = 0; k < sizeof rr_ops / sizeof rr_ops[0]; k++)
        for (unsigned i = 0; i < NV; i++)
            for (unsigned j = 0; j < NV; j++)
                printf("%s(%llx, %llx) = %llx\n", rr_ops[k].name,
                       (unsigned long long)vals[i], (unsigned long long)vals[j],
                       (unsigned long long)rr_ops[k].f(vals[i], vals[j]));
    imm_ops();
    lui_auipc();
    loads_stores();
    branches();
    jumps();
    /* Spot checks against values from the ISA manual. */
    check("sraw sign", do_sraw(0x80000000, 31) == 0xffffffffffffffffull);
    check("srlw", do_srlw(0xffffffff80000000ull, 31) == 1);
    check("addw wrap", do_addw(0x7fffffff, 1) == 0xffffffff80000000ull);
    check("sll masks shamt", do_sll(1, 65) == 2);
    check("sllw masks shamt", do_sllw(1, 33) == 2);
    return finish();
}
