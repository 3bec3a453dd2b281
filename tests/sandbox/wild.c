/* `wild load|store|jump ADDR`: access guest address ADDR (hex; `-` reads
 * it from stdin), which must kill the guest with SIGSEGV. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv) {
    if (argc < 3) return 2;
    unsigned long addr;
    char line[64];
    const char *text = argv[2];
    if (strcmp(text, "-") == 0) {
        if (!fgets(line, sizeof line, stdin)) return 3;
        text = line;
    }
    addr = strtoul(text, 0, 16);
    printf("%s 0x%lx\n", argv[1], addr);
    fflush(stdout);
    if (strcmp(argv[1], "load") == 0) {
        unsigned long v;
        __asm__ volatile("ld %0, 0(%1)" : "=r"(v) : "r"(addr) : "memory");
        printf("loaded %lx\n", v);
    } else if (strcmp(argv[1], "store") == 0) {
        __asm__ volatile("sd %0, 0(%1)" : : "r"(0x1234UL), "r"(addr) : "memory");
        printf("stored\n");
    } else if (strcmp(argv[1], "jump") == 0) {
        __asm__ volatile("jalr ra, 0(%0)" : : "r"(addr) : "ra", "memory");
        printf("returned\n");
    }
    return 0;
}
