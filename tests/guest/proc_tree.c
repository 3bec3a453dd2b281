// guest-test: opt=O0,O2
/* Processes: a bounded fork tree (depth 4, fanout 2) whose exit statuses
 * are summed up through wait4; a pipeline parent | child | grandchild
 * through pipes; children killed by signals (WIFSIGNALED/WTERMSIG) and
 * by abort(); exit codes; process groups and sessions; getppid; prctl
 * PR_SET_NAME/PR_GET_NAME; system() and popen(), which run the host's
 * /bin/sh natively, as under qemu-user (exec of a host program passes
 * through to the host kernel). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* Each node exits with (sum of its children's codes + 1) & 0xff: the root
 * gets the number of nodes in the tree. */
static int tree(int depth) {
    if (depth == 0) return 1;
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        kids[i] = fork();
        if (kids[i] == 0) _exit(tree(depth - 1));
    }
    int sum = 1;
    for (int i = 0; i < 2; i++) {
        int st;
        struct rusage ru;
        if (wait4(kids[i], &st, 0, &ru) != kids[i] || !WIFEXITED(st)) return 0;
        sum += WEXITSTATUS(st);
    }
    return sum;
}

static void pipeline(void) {
    int a[2], b[2];
    pipe(a);
    pipe(b);
    pid_t c1 = fork();
    if (c1 == 0) {
        /* child: reads numbers from a, doubles them, writes to b via its own child */
        close(a[1]);
        close(b[0]);
        int c[2];
        pipe(c);
        pid_t gc = fork();
        if (gc == 0) {
            /* grandchild: adds 1 and writes to b */
            close(c[1]);
            FILE *in = fdopen(c[0], "r");
            FILE *out = fdopen(b[1], "w");
            int v;
            while (fscanf(in, "%d", &v) == 1) fprintf(out, "%d\n", v + 1);
            fclose(out);
            _exit(7);
        }
        close(c[0]);
        close(b[1]);
        FILE *in = fdopen(a[0], "r");
        FILE *out = fdopen(c[1], "w");
        int v;
        while (fscanf(in, "%d", &v) == 1) fprintf(out, "%d\n", v * 2);
        fclose(out);
        int st;
        waitpid(gc, &st, 0);
        _exit(WEXITSTATUS(st) + 1);
    }
    close(a[0]);
    close(b[1]);
    FILE *out = fdopen(a[1], "w");
    for (int i = 1; i <= 5; i++) fprintf(out, "%d\n", i * 10);
    fclose(out);
    FILE *in = fdopen(b[0], "r");
    int v, sum = 0, n = 0;
    while (fscanf(in, "%d", &v) == 1) {
        sum += v;
        n++;
    }
    fclose(in);
    int st;
    waitpid(c1, &st, 0);
    printf("pipeline: %d values, sum %d, child exit %d\n", n, sum, WEXITSTATUS(st));
}

static void killed(void) {
    int sigs[] = {SIGTERM, SIGKILL, SIGUSR1, SIGSEGV};
    for (int i = 0; i < 4; i++) {
        pid_t c = fork();
        if (c == 0) {
            if (sigs[i] == SIGSEGV) *(volatile int *)0 = 1;
            pause();
            _exit(0);
        }
        if (sigs[i] != SIGSEGV) kill(c, sigs[i]);
        int st;
        waitpid(c, &st, 0);
        printf("child killed: signaled=%d termsig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    }
    pid_t c = fork();
    if (c == 0) abort();
    int st;
    waitpid(c, &st, 0);
    printf("abort: signaled=%d termsig=%d\n", WIFSIGNALED(st), WTERMSIG(st));
    for (int code = 0; code < 300; code += 97) {
        c = fork();
        if (c == 0) exit(code);
        waitpid(c, &st, 0);
        printf("exit(%d): exited=%d status=%d\n", code, WIFEXITED(st), WEXITSTATUS(st));
    }
}

static void groups(void) {
    int p[2];
    pipe(p);
    pid_t c = fork();
    if (c == 0) {
        char r[8];
        pid_t ppid = getppid();
        int ok_ppid = ppid > 1;
        pid_t sid = setsid();
        int ok_sid = sid == getpid() && getsid(0) == getpid() && getpgid(0) == getpid();
        pid_t gc = fork();
        if (gc == 0) {
            setpgid(0, 0);
            _exit(getpgid(0) == getpid() && getsid(0) == getppid() ? 0 : 1);
        }
        int st;
        waitpid(gc, &st, 0);
        snprintf(r, sizeof r, "%d%d%d", ok_ppid, ok_sid, WEXITSTATUS(st) == 0);
        write(p[1], r, 3);
        _exit(0);
    }
    char r[4] = {0};
    read(p[0], r, 3);
    waitpid(c, NULL, 0);
    printf("groups: ppid ok, setsid ok, setpgid ok = %s\n", r);
    /* setpgid on a child from the parent. */
    c = fork();
    if (c == 0) {
        pause();
        _exit(0);
    }
    int r1 = setpgid(c, c);
    printf("setpgid(child)=%d pgid is child=%d\n", r1, getpgid(c) == c);
    kill(c, SIGKILL);
    waitpid(c, NULL, 0);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t root = fork();
    if (root == 0) _exit(tree(4));
    int st;
    waitpid(root, &st, 0);
    printf("tree nodes = %d\n", WEXITSTATUS(st));
    pipeline();
    killed();
    groups();

    char name[17] = {0};
    prctl(PR_SET_NAME, "worker-name", 0, 0, 0);
    prctl(PR_GET_NAME, name, 0, 0, 0);
    printf("prctl name = %s\n", name);

    int r;
    r = system("echo from system; exit 3");
    printf("system = exited %d status %d\n", WIFEXITED(r), WEXITSTATUS(r));
    FILE *f = popen("echo one; echo two", "r");
    char line[64];
    int lines = 0;
    while (f && fgets(line, sizeof line, f)) lines++;
    printf("popen lines = %d, pclose = %d\n", lines, f ? pclose(f) : -1);
    return 0;
}
