/* Integer matrix multiply: C = A * B over n x n 32-bit matrices (i-k-j loop
 * order: loads, multiply-adds, stores; vectorisable natively). */
#include "common.h"

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 320);
    uint32_t *a = malloc(sizeof *a * n * n), *b = malloc(sizeof *b * n * n),
             *c = calloc((size_t)(n * n), sizeof *c);
    if (!a || !b || !c) return 1;
    uint64_t seed = 5;
    for (long i = 0; i < n * n; i++) { a[i] = lcg32(&seed) & 0xffff; b[i] = lcg32(&seed) & 0xffff; }
    for (long i = 0; i < n; i++)
        for (long k = 0; k < n; k++) {
            uint32_t aik = a[i * n + k];
            for (long j = 0; j < n; j++) c[i * n + j] += aik * b[k * n + j];
        }
    uint64_t sum = 0;
    for (long i = 0; i < n * n; i++) sum = sum * 31 + c[i];
    bench_report("matmul", n, sum);
    free(a); free(b); free(c);
    return 0;
}
