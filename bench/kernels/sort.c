/* Sorting: quicksort (median of three, insertion sort for small ranges) and
 * a bottom-up mergesort over the same generated 32-bit data; the checksum
 * covers both results, and the two sorts must agree. */
#include <string.h>
#include "common.h"

static void insertion(uint32_t *a, long lo, long hi) {
    for (long i = lo + 1; i <= hi; i++) {
        uint32_t v = a[i];
        long j = i - 1;
        while (j >= lo && a[j] > v) { a[j + 1] = a[j]; j--; }
        a[j + 1] = v;
    }
}

static void quicksort(uint32_t *a, long lo, long hi) {
    while (hi - lo > 16) {
        long mid = lo + (hi - lo) / 2;
        uint32_t x = a[lo], y = a[mid], z = a[hi];
        uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
        long i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p) i++;
            while (a[j] > p) j--;
            if (i <= j) { uint32_t t = a[i]; a[i] = a[j]; a[j] = t; i++; j--; }
        }
        if (j - lo < hi - i) { quicksort(a, lo, j); lo = i; }
        else { quicksort(a, i, hi); hi = j; }
    }
    insertion(a, lo, hi);
}

static void mergesort(uint32_t *a, uint32_t *tmp, long n) {
    for (long w = 1; w < n; w *= 2) {
        for (long lo = 0; lo < n; lo += 2 * w) {
            long mid = lo + w < n ? lo + w : n, hi = lo + 2 * w < n ? lo + 2 * w : n;
            long i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = a[i] <= a[j] ? a[i++] : a[j++];
            while (i < mid) tmp[k++] = a[i++];
            while (j < hi) tmp[k++] = a[j++];
        }
        memcpy(a, tmp, sizeof *a * n);
    }
}

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 600000);
    uint32_t *a = malloc(sizeof *a * n), *b = malloc(sizeof *b * n), *t = malloc(sizeof *t * n);
    if (!a || !b || !t) return 1;
    uint64_t seed = 2024;
    for (long i = 0; i < n; i++) a[i] = b[i] = lcg32(&seed);
    quicksort(a, 0, n - 1);
    mergesort(b, t, n);
    uint64_t sum = 0;
    for (long i = 0; i < n; i++) {
        if (a[i] != b[i]) { puts("sort: results differ"); return 1; }
        sum = sum * 1000003 + a[i];
    }
    bench_report("sort", n, sum);
    free(a); free(b); free(t);
    return 0;
}
