// guest-test: opt=O0,O2
/* malloc/calloc/realloc/free with many sizes (tiny to several MiB, so both
 * brk and mmap paths), freed in pseudo-random order, every block filled
 * with a pattern and verified before free, with a final checksum. */
#include <stdlib.h>
#include <string.h>
#include "common.h"

#define NBLOCKS 1000

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static uint64_t rng(void) {
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

struct block { uint8_t *p; size_t size; uint8_t seed; };

static size_t pick_size(void) {
    uint64_t r = rng();
    switch (r % 8) {
    case 0: return r % 16;
    case 1: case 2: case 3: return 16 + r % 256;
    case 4: case 5: return 256 + r % 4096;
    case 6: return 4096 + r % 32768;
    /* Rarely a block big enough for glibc to use mmap (> 128 KiB). */
    default: return (r >> 8) % 32 == 0 ? 160 * 1024 + r % (512 << 10) : 100 + r % 1000;
    }
}

static void fill(struct block *b) {
    for (size_t i = 0; i < b->size; i++) b->p[i] = (uint8_t)(b->seed + i * 7);
}
static int verify(const struct block *b, size_t n) {
    for (size_t i = 0; i < n; i++)
        if (b->p[i] != (uint8_t)(b->seed + i * 7)) return 0;
    return 1;
}

int main(void) {
    static struct block blocks[NBLOCKS];
    uint64_t checksum = 0;
    int ok = 1, failed_alloc = 0;
    for (int round = 0; round < 3; round++) {
        for (int i = 0; i < NBLOCKS; i++) {
            struct block *b = &blocks[i];
            b->size = pick_size();
            b->seed = (uint8_t)rng();
            b->p = (i % 5 == 0) ? calloc(1, b->size ? b->size : 1) : malloc(b->size ? b->size : 1);
            if (!b->p) { failed_alloc++; b->size = 0; continue; }
            if (i % 5 == 0)
                for (size_t k = 0; k < b->size; k++) ok &= b->p[k] == 0;
            fill(b);
        }
        /* realloc a third of them, growing or shrinking; contents kept. */
        for (int i = 0; i < NBLOCKS; i += 3) {
            struct block *b = &blocks[i];
            if (!b->p) continue;
            size_t ns = pick_size() + 1;
            uint8_t *np = realloc(b->p, ns);
            if (!np) { failed_alloc++; continue; }
            b->p = np;
            size_t keep = b->size < ns ? b->size : ns;
            ok &= verify(b, keep);
            b->size = ns;
            fill(b);
        }
        /* Free in random order (Fisher-Yates over indices). */
        static int order[NBLOCKS];
        for (int i = 0; i < NBLOCKS; i++) order[i] = i;
        for (int i = NBLOCKS - 1; i > 0; i--) {
            int j = (int)(rng() % (uint64_t)(i + 1));
            int t = order[i]; order[i] = order[j]; order[j] = t;
        }
        for (int i = 0; i < NBLOCKS; i++) {
            struct block *b = &blocks[order[i]];
            if (!b->p) continue;
            ok &= verify(b, b->size);
            for (size_t k = 0; k < b->size; k += 61) checksum = checksum * 31 + b->p[k];
            checksum += b->size;
            free(b->p);
            b->p = NULL;
        }
        printf("round %d checksum %016llx\n", round, (unsigned long long)checksum);
    }
    check("all allocations succeeded", failed_alloc == 0);
    check("contents intact", ok);
    /* Large aligned allocations. */
    void *a = NULL;
    check("posix_memalign 4096", posix_memalign(&a, 4096, 100000) == 0 && ((uintptr_t)a & 4095) == 0);
    free(a);
    void *big = malloc(16 << 20);
    check("16 MiB malloc", big != NULL);
    if (big) { memset(big, 0xab, 16 << 20); check("16 MiB touched", ((uint8_t *)big)[(16 << 20) - 1] == 0xab); }
    free(big);
    return finish();
}
