/* memcpy and string work through libc: memcpy/memmove of mixed sizes and
 * alignments, strlen, strchr, strcmp and memcmp over generated text. */
#include <string.h>
#include "common.h"

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 3000);
    const size_t len = 1 << 16;
    char *a = malloc(len + 64), *b = malloc(len + 64);
    if (!a || !b) return 1;
    uint64_t seed = 7, sum = 0;
    for (size_t i = 0; i < len; i++) a[i] = (char)('a' + lcg32(&seed) % 26);
    a[len] = '\0';
    memset(b, 'q', len + 63);
    b[len + 63] = '\0';
    for (long r = 0; r < n; r++) {
        size_t off = lcg32(&seed) % 32, size = len - 64 + lcg32(&seed) % 32;
        memcpy(b + off, a, size);
        b[off + size] = '\0';
        sum += strlen(b + off);
        memmove(b + 1, b, len / 2);
        const char *z = strchr(b + off, 'z');
        sum += z ? (uint64_t)(z - b) : 7;
        sum += (uint64_t)(memcmp(a, b + off + 1, 1024) > 0);
        sum += (uint64_t)(strcmp(a + len / 2, b + len / 2) < 0);
        a[r % len] = b[(r * 7) % len] | 'a';
    }
    bench_report("memstr", n, sum);
    free(a);
    free(b);
    return 0;
}
