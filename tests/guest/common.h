/* Shared helpers for the guest test programs.
 *
 * Every program prints its results as "name = value" lines so that a
 * mismatch between qemu-riscv64 and the VM points straight at the case that
 * differs. Values are printed in hex (exact bits), never as addresses,
 * times or pids, so the output is identical across runs and -O levels.
 */
#ifndef GUEST_COMMON_H
#define GUEST_COMMON_H

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Print a 64-bit value as exact hex bits. */
static inline void put_hex(const char *name, uint64_t v) {
    printf("%s = 0x%016llx\n", name, (unsigned long long)v);
}

/* Print a 32-bit value as exact hex bits. */
static inline void put_hex32(const char *name, uint32_t v) {
    printf("%s = 0x%08x\n", name, (unsigned)v);
}

/* Print a signed decimal value. */
static inline void put_dec(const char *name, int64_t v) {
    printf("%s = %lld\n", name, (long long)v);
}

/* Bits of a double / float, for exact comparison of FP results. */
static inline uint64_t dbits(double d) {
    uint64_t u;
    memcpy(&u, &d, sizeof u);
    return u;
}
static inline uint32_t fbits(float f) {
    uint32_t u;
    memcpy(&u, &f, sizeof u);
    return u;
}
static inline double bits_d(uint64_t u) {
    double d;
    memcpy(&d, &u, sizeof d);
    return d;
}
static inline float bits_f(uint32_t u) {
    float f;
    memcpy(&f, &u, sizeof f);
    return f;
}

/* Counts failed self-checks; programs exit with a nonzero status if any. */
static int g_failures;

/* A self-check: prints "ok" or "FAIL" so the expected value is visible. */
static inline void check(const char *name, int ok) {
    printf("%s: %s\n", name, ok ? "ok" : "FAIL");
    if (!ok)
        g_failures++;
}

/* Exit status summarising the self-checks. */
static inline int finish(void) {
    printf("failures = %d\n", g_failures);
    return g_failures ? 1 : 0;
}

#endif
