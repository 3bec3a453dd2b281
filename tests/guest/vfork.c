// guest-test: opt=O0,O2 compare=expected
/* vfork: the parent is suspended until the child calls execve or exits.
 * qemu-user (7.2) runs vfork as a plain fork and does not suspend the
 * parent, so this program is compared with vfork.expected: what Linux
 * prints (the same source run natively on x86-64 Linux gives the same
 * lines; the ordering is the kernel's, not the architecture's).
 * Each child first sleeps, so a parent that was not suspended would
 * print its line first. Cases: vfork + _exit; vfork + execve of a host
 * program (passes through to the host kernel) that outlives the parent's
 * resumption; vfork + execve of this RISC-V program (the VM re-executes
 * itself); vfork + failed execve + _exit(127); a vfork child that forks
 * (the parent waits for its own child only). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void nap(long ms) {
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void say(const char *s) {
    ssize_t r = write(1, s, strlen(s));
    (void)r;
}

/* Wait for `pid`; print how it ended. */
static void reap(const char *what, pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) {
        printf("%s: waitpid failed\n", what);
        return;
    }
    printf("%s: exit %d\n", what, WIFEXITED(st) ? WEXITSTATUS(st) : -1);
}

int main(int argc, char **argv) {
    if (argc > 1 && strcmp(argv[1], "child") == 0) {
        nap(300);
        say("re-executed child: done\n");
        return 9;
    }
    setvbuf(stdout, NULL, _IONBF, 0);

    /* vfork + _exit */
    pid_t p = vfork();
    if (p == 0) {
        nap(100);
        say("child 1: before _exit\n");
        _exit(3);
    }
    say("parent: resumed after child 1\n");
    reap("child 1", p);

    /* vfork + execve of a host program that runs on after the exec */
    p = vfork();
    if (p == 0) {
        nap(100);
        say("child 2: before execve\n");
        char *args[] = {"sh", "-c", "sleep 0.3; exit 4", NULL};
        execve("/bin/sh", args, NULL);
        _exit(127);
    }
    int st;
    pid_t early = waitpid(p, &st, WNOHANG);
    printf("parent: resumed after child 2's exec, child still running: %s\n",
           early == 0 ? "yes" : "no");
    reap("child 2", p);

    /* vfork + execve of this program */
    p = vfork();
    if (p == 0) {
        nap(100);
        say("child 3: before execve of itself\n");
        char *args[] = {argv[0], "child", NULL};
        execve("/proc/self/exe", args, NULL);
        _exit(127);
    }
    early = waitpid(p, &st, WNOHANG);
    printf("parent: resumed after child 3's exec, child still running: %s\n",
           early == 0 ? "yes" : "no");
    reap("child 3", p);

    /* vfork + failed execve */
    p = vfork();
    if (p == 0) {
        nap(50);
        char *args[] = {"missing", NULL};
        execve("/nonexistent/program", args, NULL);
        say("child 4: execve failed\n");
        _exit(127);
    }
    say("parent: resumed after child 4\n");
    reap("child 4", p);

    /* A vfork child that forks: its own child does not hold the parent. */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    p = vfork();
    if (p == 0) {
        pid_t g = fork();
        if (g == 0) {
            nap(1500);
            _exit(0);
        }
        nap(50);
        say("child 5: forked, exiting\n");
        _exit(5);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double waited = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("parent: resumed after child 5, before its child ended: %s\n",
           waited < 1.0 ? "yes" : "no");
    reap("child 5", p);
    return 0;
}
