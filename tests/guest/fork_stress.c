// guest-test: opt=O2 compare=expected
/* Compared with fork_stress.expected, what Linux prints: qemu-user 7.2
 * aborts ("cpu == current_cpu") when a fork child of a multi-threaded
 * process creates a thread. crates/vm-cli/tests/process.rs also runs this
 * program under --strace, whose stderr lock is one of those at stake.
 *
 * Forking a multi-threaded process while the other threads are busy in
 * the system calls that take the VM's internal locks: signal dispositions
 * (rt_sigaction) and self-directed signals (tgkill), mmap/mprotect/munmap
 * (the memory-cap and address-space locks), futex ping-pong through a
 * mutex and condition variable, and writes. Each child, which has only
 * the forking thread, then uses the same paths itself (sigaction + raise,
 * mmap, a thread of its own, futexes, stdio) and exits with a known
 * status; the parent checks every status. A VM lock held by another thread
 * at the moment of the fork and still held in the child would hang the
 * child (the test's time limit, or `--timeout` in process.rs, ends it). */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define FORKS 16

static atomic_int stop;
static atomic_long handled;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static int turn;

static void on_usr1(int s) { (void)s; atomic_fetch_add(&handled, 1); }
static void on_usr1_other(int s) { (void)s; atomic_fetch_add(&handled, 1); }

static void *signals(void *arg) {
    (void)arg;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    while (!atomic_load(&stop)) {
        sa.sa_handler = on_usr1;
        sigaction(SIGUSR1, &sa, NULL);
        pthread_kill(pthread_self(), SIGUSR1);
        sa.sa_handler = on_usr1_other;
        sigaction(SIGUSR1, &sa, NULL);
    }
    return NULL;
}

static void *memory(void *arg) {
    (void)arg;
    while (!atomic_load(&stop)) {
        char *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) abort();
        p[0] = 1;
        mprotect(p, 4096, PROT_READ);
        munmap(p, 1 << 16);
    }
    return NULL;
}

/* Two of these take turns through a mutex and condition variable. */
static void *pingpong(void *arg) {
    int me = (int)(long)arg;
    while (!atomic_load(&stop)) {
        pthread_mutex_lock(&mu);
        while (turn != me && !atomic_load(&stop)) pthread_cond_wait(&cv, &mu);
        turn = 1 - me;
        pthread_cond_broadcast(&cv);
        pthread_mutex_unlock(&mu);
        if (write(-1, "x", 1) != -1) abort();
    }
    pthread_mutex_lock(&mu);
    pthread_cond_broadcast(&cv);
    pthread_mutex_unlock(&mu);
    return NULL;
}

static void *child_thread(void *arg) { return (void *)((long)arg * 2); }

/* What a child does with only the forking thread: every path above. */
static int child(int i) {
    static atomic_int got;
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1;
    if (sigaction(SIGUSR1, &sa, NULL) != 0) return 101;
    long before = atomic_load(&handled);
    raise(SIGUSR1);
    if (atomic_load(&handled) != before + 1) return 102;
    char *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 103;
    p[100] = 7;
    munmap(p, 1 << 16);
    pthread_t t;
    void *r;
    if (pthread_create(&t, NULL, child_thread, (void *)(long)i) != 0) return 104;
    if (pthread_join(t, &r) != 0 || (long)r != 2L * i) return 105;
    /* The mutex may have been held by a parent thread at the fork: as on
     * Linux, a child must not use it; a fresh one works. */
    pthread_mutex_t m2 = PTHREAD_MUTEX_INITIALIZER;
    pthread_mutex_lock(&m2);
    atomic_fetch_add(&got, 1);
    pthread_mutex_unlock(&m2);
    char *heap = malloc(1000);
    if (!heap) return 106;
    snprintf(heap, 1000, "child %d", i);
    free(heap);
    return 1 + i % 100;
}

int main(void) {
    pthread_t th[4];
    pthread_create(&th[0], NULL, signals, NULL);
    pthread_create(&th[1], NULL, memory, NULL);
    pthread_create(&th[2], NULL, pingpong, (void *)0L);
    pthread_create(&th[3], NULL, pingpong, (void *)1L);
    int bad = 0;
    for (int i = 0; i < FORKS; i++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0) {
            printf("fork %d failed\n", i);
            bad++;
            continue;
        }
        if (pid == 0) _exit(child(i));
        int st;
        if (waitpid(pid, &st, 0) != pid) {
            printf("waitpid %d failed\n", i);
            bad++;
        } else if (!WIFEXITED(st) || WEXITSTATUS(st) != 1 + i % 100) {
            printf("child %d: status %#x, expected exit %d\n", i, st, 1 + i % 100);
            bad++;
        }
    }
    atomic_store(&stop, 1);
    for (int i = 0; i < 4; i++) pthread_join(th[i], NULL);
    printf("%d forks, %d bad; signals handled: %s\n", FORKS, bad,
           atomic_load(&handled) > FORKS ? "yes" : "no");
    return bad != 0;
}
