// guest-test: opt=O2 compare=expected arg=$TMPDIR
/* execve of RISC-V programs, which qemu-user without binfmt_misc cannot
 * do (the host kernel refuses the RISC-V ELF), so the output is compared
 * with exec_chain.expected, what Linux on RISC-V prints: this program
 * exec'ing itself with an argument; a `#!` script whose interpreter is a
 * RISC-V ELF (this program again, in interpreter mode); posix_spawn of
 * itself; and the errors for a missing file, a file without execute
 * permission, and an executable text file without `#!`. */
#include <errno.h>
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static const char *base(const char *p) {
    const char *s = strrchr(p, '/');
    return s ? s + 1 : p;
}

static int run(char *const argv[], const char *path) {
    pid_t c = fork();
    if (c == 0) {
        execve(path, argv, environ);
        printf("execve %s failed: %s\n", base(path), strerror(errno));
        fflush(stdout);
        _exit(99);
    }
    int st;
    waitpid(c, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static void write_file(const char *path, const char *text, mode_t mode) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);
    write(fd, text, strlen(text));
    close(fd);
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        char exe[4096];
        ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
        exe[n > 0 ? n : 0] = 0;
        printf("child: %s, exe is argv[0]: %d\n", argv[2], strcmp(exe, argv[0]) == 0);
        return 5;
    }
    if (argc > 1 && strcmp(argv[1], "-x") == 0) {
        /* Interpreter mode: argv = interp -x script args... */
        printf("interp: argc=%d script=%s", argc, base(argv[2]));
        for (int i = 3; i < argc; i++) printf(" arg=%s", argv[i]);
        printf("\n");
        FILE *f = fopen(argv[2], "r");
        char line[128];
        while (f && fgets(line, sizeof line, f))
            if (line[0] != '#') printf("script line: %s", line);
        return 6;
    }
    const char *dir = argv[1];
    char *self[] = {argv[0], "child", "hello", NULL};
    printf("exec self: exit %d\n", run(self, argv[0]));

    char script[4096], text[4200];
    snprintf(script, sizeof script, "%s/script.sh", dir);
    snprintf(text, sizeof text, "#!%s -x\nprint one\nprint two\n", argv[0]);
    write_file(script, text, 0755);
    char *sargs[] = {script, "a1", "a2", NULL};
    printf("exec script: exit %d\n", run(sargs, script));

    pid_t sp;
    int r = posix_spawn(&sp, argv[0], NULL, NULL, self, environ);
    int st = 0;
    if (r == 0) waitpid(sp, &st, 0);
    printf("posix_spawn: r=%d exit %d\n", r, WEXITSTATUS(st));

    char missing[4096], noexec[4096], text_exe[4096];
    snprintf(missing, sizeof missing, "%s/missing", dir);
    snprintf(noexec, sizeof noexec, "%s/noexec", dir);
    snprintf(text_exe, sizeof text_exe, "%s/textexe", dir);
    write_file(noexec, "#!/bin/true\n", 0644);
    write_file(text_exe, "just text\n", 0755);
    char *none[] = {"x", NULL};
    printf("missing: exit %d\n", run(none, missing));
    printf("noexec: exit %d\n", run(none, noexec));
    printf("textexe: exit %d\n", run(none, text_exe));
    return 0;
}
