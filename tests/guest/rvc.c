// guest-test: opt=O0,O2
/* RV64C: hand-written functions (symbols rvc_*) that use every compressed
 * instruction form by its explicit c.* mnemonic (the harness checks this
 * with objdump), each compared against a plain C model of the same
 * computation. c.ebreak is exercised by ebreak.c. */
#include "common.h"

__asm__(
    ".text\n"
    ".option push\n"
    ".option rvc\n"
    /* uint64_t rvc_arith(uint64_t x, uint64_t y) */
    ".globl rvc_arith\n"
    ".type rvc_arith, @function\n"
    ".p2align 1\n"
    "rvc_arith:\n"
    "  c.mv a2, a0\n"
    "  c.add a2, a1\n"
    "  c.addi a2, 5\n"
    "  c.li a3, -7\n"
    "  c.sub a2, a3\n"
    "  c.xor a2, a0\n"
    "  c.or a2, a1\n"
    "  c.and a3, a2\n"
    "  c.lui a4, 0x1f\n"
    "  c.add a3, a4\n"
    "  c.slli a3, 3\n"
    "  c.srli a3, 1\n"
    "  c.mv a5, a0\n"
    "  c.srai a5, 2\n"
    "  c.add a3, a5\n"
    "  c.andi a3, -17\n"
    "  c.addiw a3, 1\n"
    "  c.mv a4, a1\n"
    "  c.addw a4, a0\n"
    "  c.subw a4, a1\n"
    "  c.add a3, a4\n"
    "  c.lui a5, 0xfffff\n"
    "  c.xor a3, a5\n"
    "  c.nop\n"
    "  c.mv a0, a3\n"
    "  c.jr ra\n"
    ".size rvc_arith, .-rvc_arith\n"
    /* void rvc_mem(uint64_t buf[4], uint64_t v) */
    ".globl rvc_mem\n"
    ".type rvc_mem, @function\n"
    ".p2align 1\n"
    "rvc_mem:\n"
    "  c.addi16sp sp, -64\n"
    "  c.sdsp a1, 0(sp)\n"
    "  c.swsp a1, 8(sp)\n"
    "  c.ldsp a2, 0(sp)\n"
    "  c.lwsp a3, 8(sp)\n"
    "  c.sd a2, 0(a0)\n"
    "  c.sw a3, 8(a0)\n"
    "  c.lw a4, 8(a0)\n"
    "  c.ld a5, 0(a0)\n"
    "  fmv.d.x fa0, a1\n"
    "  c.fsd fa0, 16(a0)\n"
    "  c.fld fa1, 16(a0)\n"
    "  c.fsdsp fa1, 24(sp)\n"
    "  c.fldsp fa2, 24(sp)\n"
    "  fmv.x.d a2, fa2\n"
    "  c.addi4spn a1, sp, 24\n"
    "  c.ld a1, 0(a1)\n"
    "  c.add a2, a1\n"
    "  c.add a2, a3\n"
    "  c.add a2, a4\n"
    "  c.add a2, a5\n"
    "  c.sd a2, 24(a0)\n"
    "  c.sw a4, 12(a0)\n"
    "  c.addi16sp sp, 64\n"
    "  c.jr ra\n"
    ".size rvc_mem, .-rvc_mem\n"
    /* uint64_t rvc_helper(uint64_t x) = 2x */
    ".type rvc_helper, @function\n"
    ".p2align 1\n"
    "rvc_helper:\n"
    "  c.slli a0, 1\n"
    "  c.jr ra\n"
    ".size rvc_helper, .-rvc_helper\n"
    /* uint64_t rvc_branch(uint64_t x) */
    ".globl rvc_branch\n"
    ".type rvc_branch, @function\n"
    ".p2align 1\n"
    "rvc_branch:\n"
    "  c.addi16sp sp, -16\n"
    "  c.sdsp ra, 8(sp)\n"
    "  c.li a1, 0\n"
    "  c.beqz a0, 1f\n"
    "  c.addi a1, 1\n"
    "1:\n"
    "  c.bnez a0, 2f\n"
    "  c.addi a1, 2\n"
    "2:\n"
    "  c.j 3f\n"
    "  c.li a1, 31\n"
    "3:\n"
    "  lla a2, rvc_helper\n"
    "  c.jalr a2\n"
    "  c.add a0, a1\n"
    "  c.ldsp ra, 8(sp)\n"
    "  c.addi16sp sp, 16\n"
    "  c.jr ra\n"
    ".size rvc_branch, .-rvc_branch\n"
    /* uint64_t rvc_sum(uint64_t n) = n + (n-1) + ... + 1 (backward c.bnez) */
    ".globl rvc_sum\n"
    ".type rvc_sum, @function\n"
    ".p2align 1\n"
    "rvc_sum:\n"
    "  c.li a1, 0\n"
    "  c.beqz a0, 2f\n"
    "1:\n"
    "  c.add a1, a0\n"
    "  c.addi a0, -1\n"
    "  c.bnez a0, 1b\n"
    "2:\n"
    "  c.mv a0, a1\n"
    "  c.jr ra\n"
    ".size rvc_sum, .-rvc_sum\n"
    ".option pop\n");

uint64_t rvc_arith(uint64_t x, uint64_t y);
void rvc_mem(uint64_t buf[4], uint64_t v);
uint64_t rvc_branch(uint64_t x);
uint64_t rvc_sum(uint64_t n);

static uint64_t sext32(uint64_t v) { return (uint64_t)(int64_t)(int32_t)(uint32_t)v; }

/* Plain C model of rvc_arith. */
static uint64_t model_arith(uint64_t x, uint64_t y) {
    uint64_t a2 = x + y + 5, a3 = (uint64_t)-7, a4, a5;
    a2 -= a3;
    a2 ^= x;
    a2 |= y;
    a3 &= a2;
    a3 += 0x1f000;
    a3 <<= 3;
    a3 >>= 1;
    a5 = (uint64_t)((int64_t)x >> 2);
    a3 += a5;
    a3 &= ~(uint64_t)16;
    a3 = sext32(a3 + 1);
    a4 = sext32(y + x);
    a4 = sext32(a4 - y);
    a3 += a4;
    a3 ^= 0xfffffffffffff000ull;
    return a3;
}

int main(void) {
    static const uint64_t vals[] = {0, 1, 0x7fffffff, 0x80000000, 0xffffffffffffffffull,
                                    0x123456789abcdef0ull, 0x8000000000000000ull};
    for (unsigned i = 0; i < 7; i++)
        for (unsigned j = 0; j < 7; j++) {
            uint64_t r = rvc_arith(vals[i], vals[j]);
            printf("rvc_arith(%llx, %llx) = %llx\n", (unsigned long long)vals[i],
                   (unsigned long long)vals[j], (unsigned long long)r);
            if (r != model_arith(vals[i], vals[j])) check("rvc_arith matches model", 0);
        }
    for (unsigned i = 0; i < 7; i++) {
        uint64_t buf[4] = {0, 0, 0, 0};
        uint64_t v = vals[i];
        rvc_mem(buf, v);
        printf("rvc_mem(%llx) = %llx %llx %llx %llx\n", (unsigned long long)v,
               (unsigned long long)buf[0], (unsigned long long)buf[1],
               (unsigned long long)buf[2], (unsigned long long)buf[3]);
        uint64_t w = sext32(v);
        uint64_t want1 = (w & 0xffffffffull) | (w << 32);
        check("rvc_mem stores", buf[0] == v && buf[1] == want1 && buf[2] == v &&
                                    buf[3] == v + v + w + w + v);
    }
    for (uint64_t x = 0; x < 4; x++) {
        uint64_t r = rvc_branch(x);
        printf("rvc_branch(%llu) = %llu\n", (unsigned long long)x, (unsigned long long)r);
        check("rvc_branch", r == 2 * x + (x ? 1 : 2));
    }
    for (uint64_t n = 0; n <= 100; n += 25) {
        uint64_t r = rvc_sum(n);
        printf("rvc_sum(%llu) = %llu\n", (unsigned long long)n, (unsigned long long)r);
        check("rvc_sum", r == n * (n + 1) / 2);
    }
    return finish();
}
