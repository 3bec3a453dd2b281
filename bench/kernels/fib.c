/* Recursion and calls: naive doubly recursive Fibonacci (a call and a return
 * per few instructions; stresses call/return prediction and block linking). */
#include "common.h"

static uint64_t __attribute__((noinline)) fib(uint32_t n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 32);
    bench_report("fib", n, fib((uint32_t)n));
    return 0;
}
