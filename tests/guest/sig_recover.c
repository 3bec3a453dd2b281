// guest-test: opt=O0,O2
/* Recovering from synchronous faults: a SIGSEGV handler that returns
 * through siglongjmp (several times, so the mask saved by sigsetjmp is
 * restored each time); a handler that edits the saved ucontext (skips the
 * faulting 4-byte load and sets its destination register); stack overflow
 * caught on a sigaltstack; and integer division by zero, which on RISC-V
 * yields a value instead of raising SIGFPE. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int caught;

static void on_segv_jump(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    caught++;
    printf("segv sig=%d code=%d addr=%#lx\n", sig, si->si_code, (unsigned long)si->si_addr);
    siglongjmp(env, caught);
}

static void on_segv_skip(int sig, siginfo_t *si, void *ctx) {
    (void)sig;
    (void)si;
    ucontext_t *uc = ctx;
    uc->uc_mcontext.__gregs[REG_PC] += 4; /* the load is a 4-byte lw */
    uc->uc_mcontext.__gregs[6] = 0x1234;  /* t1 = x6, its destination */
    caught++;
}

static volatile long depth;
#pragma GCC diagnostic ignored "-Winfinite-recursion"
static long recurse(long n) {
    volatile char pad[256];
    pad[0] = (char)n;
    depth = n;
    return recurse(n + 1) + pad[0];
}

static void on_overflow(int sig) {
    stack_t ss;
    sigaltstack(NULL, &ss);
    printf("overflow caught sig=%d on_altstack=%d\n", sig, (ss.ss_flags & SS_ONSTACK) != 0);
    siglongjmp(env, 1);
}

int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv_jump;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    for (int i = 0; i < 3; i++) {
        int r = sigsetjmp(env, 1);
        if (r == 0) {
            volatile int *p = (volatile int *)(uintptr_t)(0x10 * (i + 1));
            *p = i;
            printf("not reached\n");
        } else {
            sigset_t cur;
            sigprocmask(SIG_SETMASK, NULL, &cur);
            printf("recovered %d, SIGSEGV blocked after jump: %d\n", r, sigismember(&cur, SIGSEGV));
        }
    }

    /* Edit the context: skip the faulting load and supply its result. */
    sa.sa_sigaction = on_segv_skip;
    sigaction(SIGSEGV, &sa, NULL);
    long t1;
    __asm__ volatile(".option push\n.option norvc\n"
                     "li t0, 8\n"
                     "li t1, 7\n"
                     "lw t1, 0(t0)\n"
                     ".option pop\n"
                     "mv %0, t1\n"
                     : "=r"(t1)
                     :
                     : "t0", "t1", "memory");
    printf("after skip: t1=%#lx caught=%d\n", t1, caught);

    /* Stack overflow on the alternate stack. */
    stack_t ss;
    ss.ss_sp = malloc(SIGSTKSZ * 4);
    ss.ss_size = SIGSTKSZ * 4;
    ss.ss_flags = 0;
    if (sigaltstack(&ss, NULL) != 0) perror("sigaltstack");
    struct sigaction so;
    memset(&so, 0, sizeof so);
    so.sa_handler = on_overflow;
    so.sa_flags = SA_ONSTACK;
    sigaction(SIGSEGV, &so, NULL);
    if (sigsetjmp(env, 1) == 0) {
        recurse(0);
    } else {
        printf("back from overflow, depth > 1000: %d\n", depth > 1000);
    }
    stack_t now;
    sigaltstack(NULL, &now);
    printf("altstack flags after: %d size ok: %d\n", now.ss_flags, now.ss_size == SIGSTKSZ * 4);

    /* Division by zero does not trap on RISC-V. */
    signal(SIGFPE, SIG_DFL);
    volatile long a = 42, z = 0;
    volatile int ai = -7, zi = 0;
    printf("42/0=%ld 42%%0=%ld -7/0=%d -7%%0=%d\n", a / z, a % z, ai / zi, ai % zi);
    volatile long mn = INT64_MIN, m1 = -1;
    printf("min/-1=%ld min%%-1=%ld\n", mn / m1, mn % m1);
    volatile unsigned long ua = 5, uz = 0;
    printf("5u/0=%#lx 5u%%0=%lu\n", ua / uz, ua % uz);
    return 0;
}
