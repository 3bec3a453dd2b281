// guest-test: opt=O0,O2
/* Signals between threads: pthread_kill to a thread with a handler runs
 * the handler on that thread; sigwait in a thread receives a signal the
 * main thread sends it (blocked everywhere, default action would kill);
 * sigtimedwait times out with EAGAIN, and returns a pending signal with
 * its siginfo; a process-directed kill() is received by the one thread
 * that does not block it. */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static volatile pid_t handler_tid;
static volatile int handled;
static volatile pid_t worker_tid;

static void on_usr1(int sig) {
    (void)sig;
    handler_tid = (pid_t)syscall(SYS_gettid);
    handled++;
}

static void *spinner(void *arg) {
    (void)arg;
    worker_tid = (pid_t)syscall(SYS_gettid);
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &s, NULL);
    while (!handled) {
        struct timespec ts = {0, 1000000};
        nanosleep(&ts, NULL);
    }
    return NULL;
}

static void *waiter(void *arg) {
    (void)arg;
    sigset_t s;
    sigemptyset(&s);
    sigaddset(&s, SIGUSR2);
    int sig = 0;
    int r = sigwait(&s, &sig);
    return (void *)(long)(r == 0 ? sig : -r);
}

int main(void) {
    /* Block SIGUSR1/2 in main (threads inherit the mask). */
    sigset_t both;
    sigemptyset(&both);
    sigaddset(&both, SIGUSR1);
    sigaddset(&both, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &both, NULL);
    signal(SIGUSR1, on_usr1);

    pthread_t t;
    pthread_create(&t, NULL, spinner, NULL);
    while (!worker_tid) sched_yield();
    pthread_kill(t, SIGUSR1);
    pthread_join(t, NULL);
    printf("pthread_kill: handled=%d on worker=%d\n", handled, handler_tid == worker_tid);

    /* Process-directed: only a thread that unblocks SIGUSR1 may take it. */
    handled = 0;
    worker_tid = 0;
    pthread_create(&t, NULL, spinner, NULL);
    while (!worker_tid) sched_yield();
    kill(getpid(), SIGUSR1);
    pthread_join(t, NULL);
    printf("kill: handled=%d on worker=%d\n", handled, handler_tid == worker_tid);

    /* sigwait in a thread for a signal whose default action kills. */
    pthread_create(&t, NULL, waiter, NULL);
    struct timespec ts = {0, 20000000};
    nanosleep(&ts, NULL);
    pthread_kill(t, SIGUSR2);
    void *ret;
    pthread_join(t, &ret);
    printf("sigwait got %ld (SIGUSR2=%d)\n", (long)ret, SIGUSR2);

    /* sigtimedwait: nothing pending times out. */
    sigset_t s2;
    sigemptyset(&s2);
    sigaddset(&s2, SIGUSR2);
    struct timespec shortwait = {0, 10000000};
    int r = sigtimedwait(&s2, NULL, &shortwait);
    printf("sigtimedwait empty=%d eagain=%d\n", r, r < 0 && errno == EAGAIN);
    /* A pending one is returned at once with its siginfo. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    raise(SIGUSR2);
    r = sigtimedwait(&s2, &si, &shortwait);
    printf("sigtimedwait pending=%d signo=%d code_is_tkill=%d pid_ok=%d\n", r, si.si_signo,
           si.si_code == SI_TKILL, si.si_pid == getpid());
    kill(getpid(), SIGUSR2);
    memset(&si, 0, sizeof si);
    r = sigwaitinfo(&s2, &si);
    printf("sigwaitinfo=%d code_is_user=%d pid_ok=%d\n", r, si.si_code == SI_USER, si.si_pid == getpid());
    sigset_t pend;
    sigpending(&pend);
    printf("nothing left pending: %d\n", !sigismember(&pend, SIGUSR1) && !sigismember(&pend, SIGUSR2));
    return 0;
}
