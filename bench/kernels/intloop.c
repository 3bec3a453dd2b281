/* Integer loops: Collatz step counts for 1..n (data-dependent branches,
 * shifts, adds, multiplies; everything in registers). */
#include "common.h"

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 1500000);
    uint64_t total = 0, longest = 0, arg = 0;
    for (uint64_t i = 1; i <= (uint64_t)n; i++) {
        uint64_t x = i, steps = 0;
        while (x != 1) {
            x = (x & 1) ? 3 * x + 1 : x >> 1;
            steps++;
        }
        total += steps;
        if (steps > longest) { longest = steps; arg = i; }
    }
    bench_report("intloop", n, total ^ (longest << 32) ^ (arg << 40));
    return 0;
}
