/* Run with --fs-root: `exec` first tries /bin/sh (inside the root: a host
 * program there must be refused, a RISC-V one runs confined), then
 * re-executes itself as /sub/exec; the new program prints how it sees
 * itself. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv) {
    char exe[128], cwd[128];
    if (argc > 1) {
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        printf("%s: exe %s cwd %s\n", argv[1], exe, getcwd(cwd, sizeof cwd));
        return 0;
    }
    execl("/bin/sh", "sh", "sh-ran", (char *)0);
    printf("sh: %s\n", strerror(errno));
    fflush(stdout);
    execl("/sub/exec", "exec", "again", (char *)0);
    printf("exec failed: %s\n", strerror(errno));
    return 1;
}
