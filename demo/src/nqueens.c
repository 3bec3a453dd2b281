/* N-queens: counts all placements of N non-attacking queens (default 10,
 * or argv[1]) with bitmask backtracking. Branch- and call-heavy. */
#include <stdio.h>
#include <stdlib.h>

static long solve(unsigned n, unsigned cols, unsigned diag1, unsigned diag2) {
    unsigned full = (1u << n) - 1;
    if (cols == full) return 1;
    long count = 0;
    unsigned free_cells = full & ~(cols | diag1 | diag2);
    while (free_cells) {
        unsigned bit = free_cells & -free_cells;
        free_cells ^= bit;
        count += solve(n, cols | bit, (diag1 | bit) << 1, (diag2 | bit) >> 1);
    }
    return count;
}

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10;
    if (n < 1 || n > 16) {
        fprintf(stderr, "usage: nqueens [N], 1 <= N <= 16\n");
        return 2;
    }
    for (unsigned k = 1; k <= (unsigned)n; k++)
        printf("%2u queens: %ld solutions\n", k, solve(k, 0, 0, 0));
    return 0;
}
