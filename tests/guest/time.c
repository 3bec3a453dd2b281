// guest-test: opt=O0,O2
/* Clocks and sleeping: clock_gettime (MONOTONIC never decreases and
 * advances across a nanosleep by at least the slept time; REALTIME is
 * after 2020), clock_getres, gettimeofday, time(), nanosleep and
 * clock_nanosleep. Only properties are printed, never times. */
#include <sys/time.h>
#include <time.h>
#include "common.h"

static int64_t ns(const struct timespec *t) { return (int64_t)t->tv_sec * 1000000000 + t->tv_nsec; }

int main(void) {
    struct timespec a, b, res;
    check("clock_gettime monotonic", clock_gettime(CLOCK_MONOTONIC, &a) == 0);
    int mono = 1;
    struct timespec prev = a;
    for (int i = 0; i < 1000; i++) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        if (ns(&t) < ns(&prev)) mono = 0;
        prev = t;
    }
    check("monotonic never decreases", mono);
    struct timespec req = {0, 20 * 1000 * 1000}; /* 20 ms */
    check("nanosleep", nanosleep(&req, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    check("slept at least 20 ms", ns(&b) - ns(&a) >= 20 * 1000 * 1000);
    check("slept less than 10 s", ns(&b) - ns(&a) < 10ll * 1000 * 1000 * 1000);
    check("tv_nsec in range", b.tv_nsec >= 0 && b.tv_nsec < 1000000000);
    struct timespec abs;
    clock_gettime(CLOCK_MONOTONIC, &abs);
    abs.tv_nsec += 10 * 1000 * 1000;
    if (abs.tv_nsec >= 1000000000) { abs.tv_sec++; abs.tv_nsec -= 1000000000; }
    check("clock_nanosleep absolute", clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &abs, NULL) == 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    check("woke after deadline", ns(&b) >= ns(&abs));
    struct timespec rt;
    check("realtime", clock_gettime(CLOCK_REALTIME, &rt) == 0 && rt.tv_sec > 1577836800);
    struct timeval tv;
    check("gettimeofday", gettimeofday(&tv, NULL) == 0 && tv.tv_sec > 1577836800 && tv.tv_usec < 1000000);
    /* glibc's time() reads CLOCK_REALTIME_COARSE, which lags the fine
     * clock by up to a tick: just after a second turns, time() may still
     * name the second before rt's. Compare it with the coarse clock read
     * first, and with rt only within that lag. */
    struct timespec coarse;
    check("realtime coarse", clock_gettime(CLOCK_REALTIME_COARSE, &coarse) == 0);
    time_t t = time(NULL);
    check("time() close to realtime", t >= coarse.tv_sec && t - rt.tv_sec >= -1 && t - rt.tv_sec < 60);
    check("clock_getres", clock_getres(CLOCK_MONOTONIC, &res) == 0 && ns(&res) > 0 && ns(&res) <= 1000000);
    struct timespec cpu1, cpu2;
    check("process cputime", clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1) == 0);
    volatile uint64_t x = 0;
    for (int i = 0; i < 1000000; i++) x += (uint64_t)i;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu2);
    check("cputime does not decrease", ns(&cpu2) >= ns(&cpu1));
    struct tm tm;
    time_t fixed = 1700000000;
    gmtime_r(&fixed, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S %a", &tm);
    printf("gmtime(1700000000) = %s\n", buf);
    return finish();
}
