// guest-test: opt=O0,O2
/* A timer signal interrupting a blocking read on a pipe: without
 * SA_RESTART the read fails with EINTR; with SA_RESTART it is restarted
 * and returns the byte the handler wrote. Also alarm(), and a blocking
 * wait4 and nanosleep interrupted the same way. */
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

static void handler(int sig) {
    (void)sig;
    fired++;
    char c = 'A' + fired;
    write(fds[1], &c, 1);
}

static void arm(int flags) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sa.sa_flags = flags;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval it = {{0, 0}, {0, 30000}};
    setitimer(ITIMER_REAL, &it, NULL);
}

int main(void) {
    pipe(fds);
    char buf[8];

    arm(0);
    ssize_t n = read(fds[0], buf, sizeof buf);
    printf("no restart: read=%zd eintr=%d fired=%d\n", n, n < 0 && errno == EINTR, fired);
    n = read(fds[0], buf, sizeof buf); /* the byte the handler wrote */
    printf("then read=%zd byte=%c\n", n, n > 0 ? buf[0] : '?');

    arm(SA_RESTART);
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

    /* wait4 interrupted (no SA_RESTART) while a child sleeps. */
    pid_t child = fork();
    if (child == 0) {
        usleep(300000);
        _exit(3);
    }
    arm(0);
    int status = 0;
    pid_t w = waitpid(child, &status, 0);
    printf("waitpid=%s eintr=%d\n", w < 0 ? "-1" : "pid", w < 0 && errno == EINTR);
    w = waitpid(child, &status, 0);
    printf("waitpid again ok=%d exit=%d\n", w == child, WEXITSTATUS(status));
    /* alarm() returns the seconds left of a previous alarm. */
    alarm(10);
    printf("alarm left=%u\n", alarm(0));
    return 0;
}
