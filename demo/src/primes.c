/* Sieve of Eratosthenes: counts the primes below N (default 10 million,
 * or argv[1]) and prints the last few. Integer and memory bound. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    long n = argc > 1 ? strtol(argv[1], NULL, 10) : 10000000;
    if (n < 2 || n > 1000000000) {
        fprintf(stderr, "usage: primes [N], 2 <= N <= 1e9\n");
        return 2;
    }
    unsigned char *composite = calloc((size_t)n, 1);
    if (!composite) {
        fprintf(stderr, "primes: out of memory\n");
        return 1;
    }
    for (long i = 2; i * i < n; i++)
        if (!composite[i])
            for (long j = i * i; j < n; j += i) composite[j] = 1;
    long count = 0, last[5] = {0};
    for (long i = 2; i < n; i++)
        if (!composite[i]) last[count++ % 5] = i;
    printf("%ld primes below %ld; the largest:", count, n);
    for (long k = count > 5 ? count - 5 : 0; k < count; k++) printf(" %ld", last[k % 5]);
    printf("\n");
    free(composite);
    return 0;
}
