/* Pointer chasing: a linked list laid out in a random cyclic order
 * (Sattolo's shuffle) over a few MiB, walked many times. Each load's address
 * depends on the previous load: latency-bound, cache-unfriendly. */
#include "common.h"

struct node { struct node *next; uint64_t value; };

int main(int argc, char **argv) {
    long n = bench_size(argc, argv, 200000);
    const long nodes = 1 << 18;
    struct node *pool = malloc(sizeof *pool * nodes);
    uint32_t *order = malloc(sizeof *order * nodes);
    if (!pool || !order) return 1;
    uint64_t seed = 42;
    for (long i = 0; i < nodes; i++) order[i] = (uint32_t)i;
    for (long i = nodes - 1; i > 0; i--) { /* Sattolo: one cycle */
        long j = lcg32(&seed) % i;
        uint32_t t = order[i]; order[i] = order[j]; order[j] = t;
    }
    for (long i = 0; i < nodes; i++) {
        pool[order[i]].next = &pool[order[(i + 1) % nodes]];
        pool[order[i]].value = lcg32(&seed);
    }
    uint64_t sum = 0;
    struct node *p = &pool[0];
    for (long step = 0; step < n * 16; step++) {
        sum += p->value ^ (uint64_t)step;
        p = p->next;
    }
    bench_report("ptrchase", n, sum + (uint64_t)(p - pool));
    free(order);
    free(pool);
    return 0;
}
