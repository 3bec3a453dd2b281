// guest-test: opt=O0,O2 arg=first arg=second
/* What /proc and identity calls say about the guest: /proc/self/maps has
 * a [stack] line and the program's code mapped r-xp; /proc/self/exe is
 * argv[0]'s absolute path; /proc/self/cmdline is argv; /proc/self/auxv has
 * AT_PAGESZ 4096; uname says riscv64; rseq is unavailable (ENOSYS). */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <unistd.h>

int main(int argc, char **argv) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    int stack = 0, own_rx = 0;
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "[stack]")) stack = 1;
        if (strstr(line, " r-xp ") && strstr(line, exe)) own_rx = 1;
    }
    if (f) fclose(f);
    printf("maps: stack line %d, own code r-xp %d\n", stack, own_rx);
    char abs[PATH_MAX];
    realpath(argv[0], abs);
    printf("exe == realpath(argv[0]): %d\n", strcmp(exe, abs) == 0);

    int fd = open("/proc/self/cmdline", O_RDONLY);
    char cmd[4096];
    n = fd >= 0 ? read(fd, cmd, sizeof cmd) : -1;
    int args = 0;
    for (ssize_t i = 0; i < n; i++) args += cmd[i] == 0;
    const char *second = n > 0 ? cmd + strlen(cmd) + 1 : "";
    printf("cmdline: %d strings (argc %d), first is argv[0]: %d, then %s\n", args, argc,
           n > 0 && strcmp(cmd, argv[0]) == 0, second);
    close(fd);

    fd = open("/proc/self/auxv", O_RDONLY);
    Elf64_auxv_t av[64];
    n = fd >= 0 ? read(fd, av, sizeof av) : -1;
    long pagesz = -1;
    int ended = 0;
    for (ssize_t i = 0; i < n / (ssize_t)sizeof av[0]; i++) {
        if (av[i].a_type == AT_PAGESZ) pagesz = av[i].a_un.a_val;
        if (av[i].a_type == AT_NULL) ended = 1;
    }
    printf("auxv: AT_PAGESZ=%ld, AT_NULL present %d\n", pagesz, ended);
    close(fd);

    struct utsname u;
    uname(&u);
    printf("uname machine=%s sysname=%s\n", u.machine, u.sysname);
    long r = syscall(293, 0, 0, 0, 0); /* rseq */
    printf("rseq=%ld errno ENOSYS=%d\n", r, errno == ENOSYS);
    return 0;
}
