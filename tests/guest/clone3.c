// guest-test: opt=O0,O2 compare=expected
/* clone3 (syscall 435) called directly, as Linux 5.7+ answers it. qemu-user
 * 7.2 has no clone3 (ENOSYS), so this is compared with clone3.expected:
 * what Linux prints (the lines that need no inline assembly were checked
 * by running the same source natively on x86-64 Linux). Covers: a fork
 * through clone3; the size rules (below CLONE_ARGS_SIZE_VER0: EINVAL; above
 * a page or a non-zero tail beyond the known struct: E2BIG; a zero tail is
 * fine); argument checks (EINVAL); an unreadable struct (EFAULT);
 * CLONE_PARENT_SETTID/CLONE_CHILD_SETTID; CLONE_PIDFD (poll and waitid on
 * the pidfd); CLONE_CLEAR_SIGHAND; a child started on its own stack (sp =
 * stack + stack_size); a thread (CLONE_VM|CLONE_THREAD) on its own stack
 * whose exit clears and wakes child_tid. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <linux/futex.h>

#define CLONE_VM_ 0x100ULL
#define CLONE_SIGHAND_ 0x800ULL
#define CLONE_PIDFD_ 0x1000ULL
#define CLONE_THREAD_ 0x10000ULL
#define CLONE_PARENT_SETTID_ 0x100000ULL
#define CLONE_CHILD_CLEARTID_ 0x200000ULL
#define CLONE_CHILD_SETTID_ 0x1000000ULL
#define CLONE_CLEAR_SIGHAND_ 0x100000000ULL

/* struct clone_args (VER2, 88 bytes) followed by room for a tail. */
struct args {
    uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls,
        set_tid, set_tid_size, cgroup;
    unsigned char tail[40];
};

static long clone3(struct args *a, size_t size) {
    return syscall(435, a, size);
}

static void fresh(struct args *a) {
    memset(a, 0, sizeof *a);
    a->exit_signal = SIGCHLD;
}

static int reap(pid_t pid) {
    int st;
    if (waitpid(pid, &st, 0) != pid) return -1;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1000 + WTERMSIG(st);
}

/* clone3 expected to fail: print the errno name. */
static void fails(const char *what, struct args *a, size_t size) {
    errno = 0;
    long r = clone3(a, size);
    if (r == 0) _exit(0); /* should not happen: a child */
    if (r > 0) {
        printf("%s: succeeded (child exit %d)\n", what, reap(r));
        return;
    }
    const char *name = errno == EINVAL ? "EINVAL"
                       : errno == E2BIG ? "E2BIG"
                       : errno == EFAULT ? "EFAULT"
                                         : "other";
    printf("%s: %s\n", what, name);
}

/* clone3 that forks a child exiting with `code`. */
static void forks(const char *what, struct args *a, size_t size, int code) {
    long r = clone3(a, size);
    if (r == 0) _exit(code);
    if (r < 0) {
        printf("%s: failed, errno %d\n", what, errno);
        return;
    }
    printf("%s: child exit %d\n", what, reap(r));
}

static void on_usr1(int s) { (void)s; }

#ifdef __riscv
/* The child checks its sp against `top` without touching its stack and
 * exits with 40 if they match, 41 if not. */
static long clone3_check_sp(struct args *a, uint64_t top) {
    register long a0 __asm__("a0") = (long)a;
    register long a1 __asm__("a1") = 88;
    register long a7 __asm__("a7") = 435;
    register uint64_t t0 __asm__("t0") = top;
    __asm__ volatile(
        "ecall\n"
        "bnez a0, 1f\n"
        "sub a0, sp, t0\n"
        "snez a0, a0\n"
        "addi a0, a0, 40\n"
        "li a7, 94\n"
        "ecall\n"
        "1:\n"
        : "+r"(a0)
        : "r"(a1), "r"(a7), "r"(t0)
        : "memory");
    return a0;
}

/* A thread that stores 1 at `flag` (and its sp check at flag[1]) and
 * exits with exit(2), touching no stack. */
static long clone3_thread(struct args *a, volatile int *flag, uint64_t top) {
    register long a0 __asm__("a0") = (long)a;
    register long a1 __asm__("a1") = 88;
    register long a7 __asm__("a7") = 435;
    register volatile int *t0 __asm__("t0") = flag;
    register uint64_t t2 __asm__("t2") = top;
    __asm__ volatile(
        "ecall\n"
        "bnez a0, 1f\n"
        "sub t1, sp, t2\n"
        "seqz t1, t1\n"
        "sw t1, 4(t0)\n"
        "li t1, 1\n"
        "sw t1, 0(t0)\n"
        "li a0, 0\n"
        "li a7, 93\n"
        "ecall\n"
        "1:\n"
        : "+r"(a0)
        : "r"(a1), "r"(a7), "r"(t0), "r"(t2)
        : "t1", "memory");
    return a0;
}
#endif

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct args a;

    fresh(&a);
    forks("fork", &a, 88, 7);
    fresh(&a);
    forks("size 64", &a, 64, 8);
    fresh(&a);
    forks("size 128, zero tail", &a, 128, 9);

    fresh(&a);
    fails("size 63", &a, 63);
    fails("size 0", &a, 0);
    fails("size 4097", &a, 4097);
    a.tail[10] = 1;
    fails("size 128, non-zero tail", &a, 128);
    fresh(&a);
    fails("null struct", NULL, 88);
    fails("unmapped struct", (struct args *)16, 88);

    fresh(&a);
    a.exit_signal = 65;
    fails("exit signal 65", &a, 88);
    fresh(&a);
    a.flags = SIGCHLD;
    fails("signal in flags", &a, 88);
    fresh(&a);
    a.stack = 0x10000;
    fails("stack without size", &a, 88);
    fresh(&a);
    a.stack_size = 0x10000;
    fails("size without stack", &a, 88);
    fresh(&a);
    a.flags = CLONE_THREAD_;
    fails("thread without sighand", &a, 88);
    fresh(&a);
    a.flags = CLONE_SIGHAND_;
    fails("sighand without vm", &a, 88);
    fresh(&a);
    a.flags = CLONE_VM_ | CLONE_SIGHAND_ | CLONE_THREAD_;
    fails("thread with exit signal", &a, 88);
    fresh(&a);
    a.flags = CLONE_SIGHAND_ | CLONE_CLEAR_SIGHAND_ | CLONE_VM_;
    fails("sighand and clear_sighand", &a, 88);
    fresh(&a);
    a.set_tid_size = 1;
    fails("set_tid_size without set_tid", &a, 88);
    fresh(&a);
    a.flags = 1ULL << 40;
    fails("unknown flag", &a, 88);

    /* Tids stored for the parent and in the child. */
    {
        static int ptid, ctid;
        fresh(&a);
        a.flags = CLONE_PARENT_SETTID_ | CLONE_CHILD_SETTID_;
        a.parent_tid = (uint64_t)(uintptr_t)&ptid;
        a.child_tid = (uint64_t)(uintptr_t)&ctid;
        long r = clone3(&a, 88);
        if (r == 0) _exit(ctid == getpid() ? 21 : 22);
        printf("settid: parent_tid is child: %s, child exit %d\n", ptid == r ? "yes" : "no",
               reap(r));
    }

    /* pidfd: readable once the child ended; waitid(P_PIDFD) reaps it. */
    {
        int pidfd = -1;
        fresh(&a);
        a.flags = CLONE_PIDFD_;
        a.pidfd = (uint64_t)(uintptr_t)&pidfd;
        long r = clone3(&a, 88);
        if (r == 0) _exit(11);
        struct pollfd p = {pidfd, POLLIN, 0};
        int n = poll(&p, 1, 5000);
        siginfo_t si;
        memset(&si, 0, sizeof si);
        int w = waitid((idtype_t)3 /* P_PIDFD */, pidfd, &si, WEXITED);
        printf("pidfd: valid %s, cloexec %s, poll %d, waitid %d, exit %d\n",
               pidfd >= 0 ? "yes" : "no", (fcntl(pidfd, F_GETFD) & FD_CLOEXEC) ? "yes" : "no",
               n, w, si.si_status);
        close(pidfd);
    }

    /* CLONE_CLEAR_SIGHAND: handlers reset, ignored stays ignored. */
    {
        signal(SIGUSR1, on_usr1);
        signal(SIGUSR2, SIG_IGN);
        fresh(&a);
        a.flags = CLONE_CLEAR_SIGHAND_;
        long r = clone3(&a, 88);
        if (r == 0) {
            struct sigaction s1, s2;
            sigaction(SIGUSR1, NULL, &s1);
            sigaction(SIGUSR2, NULL, &s2);
            _exit((s1.sa_handler == SIG_DFL ? 1 : 0) | (s2.sa_handler == SIG_IGN ? 2 : 0));
        }
        struct sigaction s1;
        sigaction(SIGUSR1, NULL, &s1);
        printf("clear_sighand: child exit %d (3: default and still ignored), parent keeps "
               "handler: %s\n",
               reap(r), s1.sa_handler == on_usr1 ? "yes" : "no");
        signal(SIGUSR1, SIG_DFL);
        signal(SIGUSR2, SIG_DFL);
    }

#ifdef __riscv
    /* A child on its own stack. */
    {
        size_t len = 64 * 1024;
        char *stk = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        fresh(&a);
        a.stack = (uint64_t)(uintptr_t)stk;
        a.stack_size = len;
        long r = clone3_check_sp(&a, a.stack + len);
        printf("own stack: child exit %d (40: sp = stack + stack_size)\n", (int)(r > 0 ? reap(r) : r));

        /* A thread: CLONE_CHILD_CLEARTID clears and wakes the tid word. */
        static volatile int flag[2];
        static volatile int tid;
        fresh(&a);
        a.exit_signal = 0;
        a.flags = CLONE_VM_ | CLONE_SIGHAND_ | CLONE_THREAD_ | CLONE_PARENT_SETTID_ |
                  CLONE_CHILD_CLEARTID_;
        a.parent_tid = (uint64_t)(uintptr_t)&tid;
        a.child_tid = (uint64_t)(uintptr_t)&tid;
        a.stack = (uint64_t)(uintptr_t)stk;
        a.stack_size = len;
        r = clone3_thread(&a, flag, a.stack + len);
        int waits = 0;
        for (int t; (t = tid) != 0 && waits < 1000; waits++)
            syscall(SYS_futex, &tid, FUTEX_WAIT, t, NULL, NULL, 0);
        printf("thread: created %s, ran %d, sp ok %d, tid cleared %s\n", r > 0 ? "yes" : "no",
               flag[0], flag[1], tid == 0 ? "yes" : "no");
    }
#else
    printf("own stack: child exit 40 (40: sp = stack + stack_size)\n");
    printf("thread: created yes, ran 1, sp ok 1, tid cleared yes\n");
#endif
    return 0;
}
