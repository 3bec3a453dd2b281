// guest-test: opt=O0,O2
/* Zifencei and self-modifying code: instructions written into an RWX
 * mapping (and into an RW mapping later made RX with mprotect), run,
 * rewritten, fence.i (or the riscv_flush_icache system call), run again,
 * many times; including code that has become hot (called thousands of
 * times) before it is rewritten, 16-bit compressed code, and patching a
 * single instruction in the middle of a loop. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "common.h"

typedef uint64_t (*fn0)(void);
typedef uint64_t (*fn2)(uint64_t, uint64_t);

static uint32_t addi(unsigned rd, unsigned rs1, int imm) {
    return ((uint32_t)(imm & 0xfff) << 20) | (rs1 << 15) | (rd << 7) | 0x13;
}
#define RET 0x00008067u /* jalr x0, 0(ra) */
#define A0 10
#define A1 11
#define T0 5

static void fence_i(void) { __asm__ volatile("fence.i" ::: "memory"); }

static void flush_syscall(void *start, void *end) {
    /* riscv_flush_icache(start, end, flags=0) */
    syscall(259, start, end, 0UL);
}

/* Writes "a0 = value; ret" at code. */
static void emit_const(uint32_t *code, int value) {
    code[0] = addi(A0, 0, value);
    code[1] = RET;
}

static void rwx_rewrites(void) {
    uint32_t *code = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                          MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap rwx", code != MAP_FAILED);
    if (code == MAP_FAILED) return;
    fn0 f = (fn0)(void *)code;
    for (int round = 0; round < 8; round++) {
        int value = round * 100 - 300;
        emit_const(code, value);
        fence_i();
        uint64_t r = f();
        printf("rwx round %d: %lld\n", round, (long long)r);
        check("rwx rewrite seen after fence.i", (int64_t)r == value);
    }
    /* Hot code: call many times, then rewrite. */
    for (int round = 0; round < 4; round++) {
        emit_const(code, round + 1);
        round % 2 ? flush_syscall(code, code + 2) : fence_i();
        uint64_t sum = 0;
        for (int i = 0; i < 5000; i++) sum += f();
        printf("hot round %d: sum %llu\n", round, (unsigned long long)sum);
        check("hot code rewritten", sum == 5000ull * (uint64_t)(round + 1));
    }
    /* A loop whose increment instruction is patched between runs:
     *   a0 = 0; t0 = a1 (count)
     * loop: a0 += K ; t0 -= 1 ; bnez t0, loop ; ret */
    code[0] = addi(A0, 0, 0);
    code[1] = addi(T0, A1, 0);
    code[3] = addi(T0, T0, -1);
    code[4] = 0xfe029ce3u; /* bne t0, x0, -8 (to code[2]) */
    code[5] = RET;
    for (int k = 1; k <= 5; k++) {
        code[2] = addi(A0, A0, k * 3);
        fence_i();
        uint64_t r = ((fn2)(void *)code)(0, 1000);
        printf("patched loop k=%d: %llu\n", k, (unsigned long long)r);
        check("patched loop", r == 1000ull * (uint64_t)(k * 3));
    }
    /* Compressed code: c.li a0, imm ; c.jr ra */
    uint16_t *c16 = (uint16_t *)(void *)(code + 64);
    for (int imm = -4; imm <= 4; imm += 2) {
        c16[0] = (uint16_t)(0x4001 | ((imm & 0x20) << 7) | (A0 << 7) | ((imm & 0x1f) << 2));
        c16[1] = 0x8082;
        fence_i();
        int64_t r = (int64_t)((fn0)(void *)c16)();
        printf("compressed c.li %d: %lld\n", imm, (long long)r);
        check("compressed rewrite", r == imm);
    }
    munmap(code, 4096);
}

static void mprotect_rewrites(void) {
    uint32_t *code = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap rw", code != MAP_FAILED);
    if (code == MAP_FAILED) return;
    for (int round = 0; round < 6; round++) {
        check("mprotect rw", mprotect(code, 8192, PROT_READ | PROT_WRITE) == 0);
        /* Alternate between two pages so both get (re)translated. */
        uint32_t *at = code + (round % 2) * 1024;
        emit_const(at, 7 * round);
        check("mprotect rx", mprotect(code, 8192, PROT_READ | PROT_EXEC) == 0);
        fence_i();
        uint64_t r = ((fn0)(void *)at)();
        printf("mprotect round %d: %llu\n", round, (unsigned long long)r);
        check("mprotect rewrite", r == (uint64_t)(7 * round));
    }
    munmap(code, 8192);
    /* Map again at a fresh address, new code must run (no stale translation). */
    for (int round = 0; round < 3; round++) {
        uint32_t *c = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
                           MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (c == MAP_FAILED) { check("remap", 0); return; }
        emit_const(c, 1000 + round);
        fence_i();
        uint64_t r = ((fn0)(void *)c)();
        check("unmap/remap runs new code", r == (uint64_t)(1000 + round));
        munmap(c, 4096);
    }
}

int main(void) {
    rwx_rewrites();
    mprotect_rewrites();
    return finish();
}
