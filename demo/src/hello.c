/* Hello world: the smallest useful guest program. */
#include <stdio.h>

int main(int argc, char **argv) {
    printf("Hello from RISC-V!\n");
    if (argc > 1) printf("You said: %s\n", argv[1]);
    return 0;
}
