// guest-test: opt=O0,O2
/* A timer signal interrupting a blocking read on a pipe: without
 * SA_RESTART the read fails with EINTR; with SA_RESTART it is restarted
 * and returns the byte the handler wrote. Also alarm(), and a blocking
 * wait4 and nanosleep interrupted the same way.
 *
 * Nothing here depends on how fast the VM reaches the blocking call (a JIT
 * compiling on first execution under a loaded machine can take longer than
 * a short timer): the calls that must fail with EINTR are interrupted by a
 * repeating timer whose handler writes nothing, so a tick that comes too
 * early is followed by one that interrupts the call; the child of the
 * wait4 case exits only when the parent tells it to. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static int fds[2];
static volatile int fired;
static volatile int handler_writes;

static void handler(int sig) {
    (void)sig;
    fired++;
    if (handler_writes) {
        char c = 'A' + fired;
        write(fds[1], &c, 1);
    }
}

/* SIGALRM to `handler` with `flags`, every `interval_us` (0: once) after
 * 30 ms. */
static void arm(int flags, long interval_us) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, interval_us}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

static void disarm(void) {
    struct itimerval it = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
    pipe(fds);
    char buf[8];

    handler_writes = 0;
    arm(0, 50000);
    ssize_t n = read(fds[0], buf, sizeof buf);
    int e = errno;
    disarm();
    printf("no restart: read=%zd eintr=%d fired=%d\n", n, n < 0 && e == EINTR, fired > 0);

    /* Once: the handler's byte ends the restarted read (or is there
     * before the read starts: the same result). */
    fired = 0;
    handler_writes = 1;
    arm(SA_RESTART, 0);
    n = read(fds[0], buf, sizeof buf);
    printf("restart: read=%zd byte=%c fired=%d\n", n, n > 0 ? buf[0] : '?', fired);

    /* alarm() with a handler that does not restart: nanosleep is cut short. */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigaction(SIGALRM, &sa, NULL);
    alarm(1);
    struct timespec req = {5, 0}, rem = {0, 0};
    int r = nanosleep(&req, &rem);
    printf("nanosleep=%d eintr=%d remaining>=3s=%d fired=%d\n", r, r < 0 && errno == EINTR,
           rem.tv_sec >= 3, fired);
    read(fds[0], buf, sizeof buf);

    /* wait4 interrupted (no SA_RESTART) while the child waits for us. */
    int go[2];
    pipe(go);
    pid_t child = fork();
    if (child == 0) {
        close(go[1]);
        read(go[0], buf, 1); /* EOF when the parent closes its end */
        _exit(3);
    }
    close(go[0]);
    handler_writes = 0;
    arm(0, 50000);
    int status = 0;
    pid_t w = waitpid(child, &status, 0);
    e = errno;
    disarm();
    printf("waitpid=%s eintr=%d\n", w < 0 ? "-1" : "pid", w < 0 && e == EINTR);
    close(go[1]);
    w = waitpid(child, &status, 0);
    printf("waitpid again ok=%d exit=%d\n", w == child, WEXITSTATUS(status));
    /* alarm() returns the seconds left of a previous alarm. */
    alarm(10);
    printf("alarm left=%u\n", alarm(0));
    return 0;
}
