/* Start-up cost: load, libc initialisation, one write, exit. The size is the
 * number of greeting lines (1 by default). */
#include "common.h"

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 1);
    for (long i = 0; i < n; i++) printf("hello, world %ld\n", i);
    return 0;
}
