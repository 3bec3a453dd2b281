// guest-test: opt=O0,O2
/* Misaligned loads and stores of every width (integer and FP), at every
 * offset within 8 bytes, including accesses that straddle a page
 * boundary. Linux user mode makes these work transparently. */
#include <sys/mman.h>
#include "common.h"

static uint8_t pattern(unsigned i) { return (uint8_t)(i * 37 + 0x81); }

static void loads(volatile uint8_t *buf, const char *where) {
    for (unsigned off = 0; off < 8; off++) {
        volatile uint8_t *p = buf + off;
        uint64_t h, hu, w, wu, d, fd, fw;
        __asm__ volatile("lh %0, 0(%1)" : "=r"(h) : "r"(p) : "memory");
        __asm__ volatile("lhu %0, 0(%1)" : "=r"(hu) : "r"(p) : "memory");
        __asm__ volatile("lw %0, 0(%1)" : "=r"(w) : "r"(p) : "memory");
        __asm__ volatile("lwu %0, 0(%1)" : "=r"(wu) : "r"(p) : "memory");
        __asm__ volatile("ld %0, 0(%1)" : "=r"(d) : "r"(p) : "memory");
        __asm__ volatile("fld ft0, 0(%1)\n\tfmv.x.d %0, ft0" : "=r"(fd) : "r"(p) : "ft0", "memory");
        __asm__ volatile("flw ft0, 0(%1)\n\tfmv.x.w %0, ft0" : "=r"(fw) : "r"(p) : "ft0", "memory");
        printf("%s+%u: lh=%llx lhu=%llx lw=%llx lwu=%llx ld=%llx fld=%llx flw=%llx\n", where, off,
               (unsigned long long)h, (unsigned long long)hu, (unsigned long long)w,
               (unsigned long long)wu, (unsigned long long)d, (unsigned long long)fd,
               (unsigned long long)fw);
        uint64_t want = 0;
        for (int b = 7; b >= 0; b--) want = want << 8 | p[b];
        check("misaligned ld", d == want && fd == want);
        check("misaligned lw sign", w == (uint64_t)(int64_t)(int32_t)(uint32_t)want);
        check("misaligned lhu", hu == (want & 0xffff));
    }
}

static void stores(volatile uint8_t *buf, const char *where) {
    for (unsigned off = 1; off < 8; off++) {
        for (unsigned i = 0; i < 24; i++) buf[i] = 0;
        volatile uint8_t *p = buf + off;
        uint64_t v = 0x1122334455667788ull;
        __asm__ volatile("sd %0, 0(%1)" ::"r"(v), "r"(p) : "memory");
        __asm__ volatile("sw %0, 8(%1)" ::"r"(v), "r"(p) : "memory");
        __asm__ volatile("sh %0, 12(%1)" ::"r"(v), "r"(p) : "memory");
        __asm__ volatile("fmv.d.x ft0, %0\n\tfsd ft0, 14(%1)" ::"r"(~v), "r"(p) : "ft0", "memory");
        __asm__ volatile("fmv.w.x ft0, %0\n\tfsw ft0, 3(%1)" ::"r"(0xa1b2c3d4ull), "r"(p) : "ft0", "memory");
        printf("%s store +%u:", where, off);
        for (unsigned i = 0; i < 24; i++) printf(" %02x", buf[i]);
        printf("\n");
    }
}

int main(void) {
    static uint8_t arr[64] __attribute__((aligned(16)));
    for (unsigned i = 0; i < 64; i++) arr[i] = pattern(i);
    loads(arr, "static");
    stores(arr + 8, "static");
    /* Across a page boundary: two fresh anonymous pages. */
    uint8_t *pages = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    check("mmap", pages != MAP_FAILED);
    if (pages == MAP_FAILED) return finish();
    for (unsigned i = 0; i < 32; i++) pages[4096 - 16 + i] = pattern(i + 7);
    loads(pages + 4096 - 7, "page-cross");
    stores(pages + 4096 - 12, "page-cross");
    munmap(pages, 8192);
    return finish();
}
