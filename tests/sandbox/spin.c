/* Never ends on its own: `spin` loops forever in guest code; `read`
 * blocks reading a pipe whose write end it holds itself; `sleep` sleeps
 * an hour. Used by the --max-insns and --timeout tests. */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv) {
    const char *mode = argc > 1 ? argv[1] : "spin";
    printf("started %s\n", mode);
    fflush(stdout);
    if (strcmp(mode, "read") == 0) {
        int fds[2];
        char c;
        if (pipe(fds) != 0) return 2;
        return (int)read(fds[0], &c, 1);
    }
    if (strcmp(mode, "sleep") == 0) {
        struct timespec t = {3600, 0};
        nanosleep(&t, 0);
        return 3;
    }
    volatile unsigned long n = 0;
    for (;;) n++;
}
