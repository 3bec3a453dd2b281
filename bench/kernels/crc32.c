/* Checksums over a byte buffer: table-driven CRC-32 (IEEE, reflected) and
 * 64-bit FNV-1a, i.e. byte loads, table lookups, xors, shifts, multiplies. */
#include "common.h"

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 24);
    const size_t len = 1 << 20;
    uint8_t *buf = malloc(len);
    if (!buf) return 1;
    uint32_t table[256];
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++) c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    uint64_t seed = 1;
    for (size_t i = 0; i < len; i++) buf[i] = (uint8_t)lcg32(&seed);
    uint32_t crc = 0;
    uint64_t fnv = 0xcbf29ce484222325ULL;
    for (long r = 0; r < n; r++) {
        uint32_t c = ~crc;
        for (size_t i = 0; i < len; i++) c = table[(c ^ buf[i]) & 0xff] ^ (c >> 8);
        crc = ~c;
        for (size_t i = 0; i < len; i++) { fnv ^= buf[i]; fnv *= 0x100000001b3ULL; }
        buf[r % len] ^= (uint8_t)crc;
    }
    bench_report("crc32", n, (uint64_t)crc << 32 ^ fnv);
    free(buf);
    return 0;
}
