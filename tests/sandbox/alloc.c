/* Allocate (and touch) memory until the allocator fails, then print how
 * much it got in KiB. `malloc` uses 1 MiB blocks (mmap), `brk` 1 KiB
 * blocks (the heap), `mmap` 1 MiB anonymous mappings directly. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "malloc";
    size_t block = strcmp(mode, "brk") == 0 ? 1024 : 1 << 20;
    size_t total = 0;
    for (;;) {
        void *p;
        if (strcmp(mode, "mmap") == 0) {
            p = mmap(0, block, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
            if (p == MAP_FAILED) p = 0;
        } else {
            p = malloc(block);
        }
        if (!p) break;
        memset(p, 1, block);
        total += block;
        if (total > (size_t)8 << 30) break;
    }
    printf("got %zu KiB\n", total >> 10);
    return 0;
}
