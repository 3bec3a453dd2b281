/* Hash tables: an open-addressing (linear probing) table of 64-bit keys,
 * filled, probed with hits and misses, and partly deleted (tombstones). */
#include "common.h"

#define EMPTY 0ULL
#define TOMB 1ULL

static inline uint64_t mix(uint64_t k) {
    k ^= k >> 33; k *= 0xff51afd7ed558ccdULL; k ^= k >> 33;
    return k;
}

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 400000);
    size_t cap = 1;
    while (cap < (size_t)n * 4) cap <<= 1;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) return 1;
    uint64_t seed = 99, sum = 0;
    for (int round = 0; round < 3; round++) {
        uint64_t s = seed;
        for (long i = 0; i < n; i++) { /* insert or update */
            uint64_t k = (lcg_next(&s) | 2) & ~(uint64_t)0 >> 8;
            size_t h = mix(k) & (cap - 1);
            while (keys[h] != EMPTY && keys[h] != TOMB && keys[h] != k) h = (h + 1) & (cap - 1);
            keys[h] = k;
            vals[h] += (uint64_t)i;
        }
        s = seed;
        for (long i = 0; i < 2 * n; i++) { /* lookups: half hits, half misses */
            uint64_t k = (i & 1) ? (lcg_next(&s) | 2) & ~(uint64_t)0 >> 8 : (uint64_t)i << 9 | 3;
            size_t h = mix(k) & (cap - 1);
            while (keys[h] != EMPTY) {
                if (keys[h] == k) { sum += vals[h]; break; }
                h = (h + 1) & (cap - 1);
            }
        }
        s = seed;
        for (long i = 0; i < n; i += 3) { /* delete every third key */
            uint64_t k = (lcg_next(&s) | 2) & ~(uint64_t)0 >> 8;
            lcg_next(&s); lcg_next(&s);
            size_t h = mix(k) & (cap - 1);
            while (keys[h] != EMPTY) {
                if (keys[h] == k) { keys[h] = TOMB; vals[h] = 0; break; }
                h = (h + 1) & (cap - 1);
            }
        }
        seed += 12345;
    }
    bench_report("hashtable", n, sum);
    free(keys);
    free(vals);
    return 0;
}
