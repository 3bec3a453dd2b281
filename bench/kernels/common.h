/* Shared helpers for the benchmark kernels.
 *
 * Every kernel is deterministic: it generates its input with the LCG below,
 * takes its problem size as argv[1] (falling back to a default), and prints
 * one line "<name> <size> <checksum>" so that the harness can compare the
 * output of native, qemu-riscv64 and every vm engine byte for byte.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* 64-bit LCG (Knuth's MMIX constants); the high bits are the good ones. */
static inline uint64_t lcg_next(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return *state;
}

/* A 32-bit pseudo-random value from the high half of the LCG state. */
static inline uint32_t lcg32(uint64_t *state) {
    return (uint32_t)(lcg_next(state) >> 32);
}

/* The problem size from argv[1], or `fallback` when absent or invalid. */
static inline long bench_size(int argc, char **argv, long fallback) {
    if (argc < 2) return fallback;
    char *end;
    long n = strtol(argv[1], &end, 10);
    if (*end != '\0' || n <= 0) return fallback;
    return n;
}

/* Print the one result line the harness compares across runners. */
static inline void bench_report(const char *name, long size, uint64_t checksum) {
    printf("%s %ld %016llx\n", name, size, (unsigned long long)checksum);
}

#endif
