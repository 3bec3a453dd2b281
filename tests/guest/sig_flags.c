// guest-test: opt=O0,O2
/* Signal flags and masks: SA_RESETHAND (handler runs once, then the
 * default is back), SA_NODEFER (the signal is not blocked inside its own
 * handler, so it nests), the default (blocked inside, so it waits),
 * sigpending for a blocked signal, rt_sigsuspend waking for a timer
 * signal. (qemu 7.2 does not apply sa_mask inside the handler, so that
 * is not printed.) */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

static volatile int depth, maxdepth, runs;
static char log_buf[256];
static int log_len;

static void note(const char *s) {
    size_t n = strlen(s);
    if (log_len + n < sizeof log_buf) {
        memcpy(log_buf + log_len, s, n);
        log_len += n;
    }
}

static void nested(int sig) {
    depth++;
    runs++;
    if (depth > maxdepth) maxdepth = depth;
    sigset_t cur;
    sigprocmask(SIG_SETMASK, NULL, &cur);
    note(sigismember(&cur, sig) ? "[blocked]" : "[open]");
    if (runs < 3) raise(sig);
    note("<");
    depth--;
}

static void once(int sig) {
    (void)sig;
    runs++;
}

static volatile int alarms;
static void on_alarm(int sig) {
    (void)sig;
    alarms++;
}

static void set(int sig, void (*h)(int), int flags, int masked) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = h;
    sa.sa_flags = flags;
    sigemptyset(&sa.sa_mask);
    if (masked) sigaddset(&sa.sa_mask, masked);
    sigaction(sig, &sa, NULL);
}

int main(void) {
    /* Default: the signal is blocked in its handler; the re-raise waits. */
    set(SIGUSR1, nested, 0, 0);
    raise(SIGUSR1);
    printf("default: runs=%d maxdepth=%d log=%.*s\n", runs, maxdepth, log_len, log_buf);

    runs = maxdepth = depth = log_len = 0;
    set(SIGUSR1, nested, SA_NODEFER, 0);
    raise(SIGUSR1);
    printf("nodefer: runs=%d maxdepth=%d\n", runs, maxdepth);

    runs = 0;
    set(SIGUSR2, once, SA_RESETHAND, 0);
    raise(SIGUSR2);
    struct sigaction cur;
    sigaction(SIGUSR2, NULL, &cur);
    printf("resethand: runs=%d handler now default=%d\n", runs, cur.sa_handler == SIG_DFL);

    /* sigpending */
    sigset_t block, pend, old;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGHUP);
    sigprocmask(SIG_BLOCK, &block, &old);
    set(SIGUSR1, once, 0, 0);
    runs = 0;
    raise(SIGUSR1);
    kill(getpid(), SIGHUP);
    sigpending(&pend);
    printf("pending: usr1=%d hup=%d usr2=%d runs=%d\n", sigismember(&pend, SIGUSR1),
           sigismember(&pend, SIGHUP), sigismember(&pend, SIGUSR2), runs);
    signal(SIGHUP, SIG_IGN); /* discards the pending SIGHUP */
    sigpending(&pend);
    printf("after ignoring: hup=%d\n", sigismember(&pend, SIGHUP));
    sigprocmask(SIG_SETMASK, &old, NULL);
    printf("unblocked: runs=%d\n", runs);

    /* rt_sigsuspend: SIGALRM blocked, a timer fires, sigsuspend with an
     * empty mask runs the handler and returns EINTR; the mask comes back. */
    set(SIGALRM, on_alarm, 0, 0);
    sigset_t alrm;
    sigemptyset(&alrm);
    sigaddset(&alrm, SIGALRM);
    sigprocmask(SIG_BLOCK, &alrm, NULL);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, NULL);
    usleep(60000); /* the timer fires while SIGALRM is blocked */
    sigpending(&pend);
    printf("alarm pending before suspend: %d alarms=%d\n", sigismember(&pend, SIGALRM), alarms);
    sigset_t none;
    sigemptyset(&none);
    int r = sigsuspend(&none);
    int e = errno;
    sigset_t after;
    sigprocmask(SIG_SETMASK, NULL, &after);
    printf("sigsuspend=%d errno=EINTR:%d alarms=%d alrm still blocked=%d\n", r, e == EINTR, alarms,
           sigismember(&after, SIGALRM));
    /* And once more, with the timer firing during the suspend. */
    setitimer(ITIMER_REAL, &it, NULL);
    r = sigsuspend(&none);
    printf("second sigsuspend=%d alarms=%d\n", r, alarms);
    return 0;
}
