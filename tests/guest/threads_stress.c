// guest-test: opt=O0,O2
/* Many threads at once: 16 workers incrementing a mutex-protected counter,
 * a lock-free counter (compare-and-swap loop) and an atomic fetch-add
 * counter, whose final values must be exact; __thread variables private
 * to each thread; pthread_join returning each worker's value; a barrier
 * between phases; a condition-variable handoff (producer/consumer). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define NTHREADS 16
#define ITERS 2000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long locked_count;
static _Atomic long cas_count;
static atomic_long add_count;
static pthread_barrier_t barrier;
static __thread long tls_value = 100;
static __thread char tls_name[16];
static atomic_int barrier_serial;

/* Producer/consumer queue. */
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static int queue[64], qhead, qtail, produced_done;

static void *worker(void *arg) {
    long id = (long)arg;
    tls_value += id;
    snprintf(tls_name, sizeof tls_name, "w%ld", id);
    for (int i = 0; i < ITERS; i++) {
        pthread_mutex_lock(&lock);
        locked_count++;
        pthread_mutex_unlock(&lock);
        long old = atomic_load(&cas_count);
        while (!atomic_compare_exchange_weak(&cas_count, &old, old + 1)) {
        }
        atomic_fetch_add(&add_count, 1);
        if (i % 500 == 0) sched_yield();
    }
    if (pthread_barrier_wait(&barrier) == PTHREAD_BARRIER_SERIAL_THREAD) atomic_fetch_add(&barrier_serial, 1);
    /* After the barrier every worker sees the final counts. */
    long seen = atomic_load(&add_count);
    long ok = seen == (long)NTHREADS * ITERS;
    /* The TLS value is still this thread's own. */
    char want[16];
    snprintf(want, sizeof want, "w%ld", id);
    ok = ok && tls_value == 100 + id && tls_name[0] == want[0] && atoi(tls_name + 1) == id;
    return (void *)(id * 1000 + ok);
}

static void *producer(void *arg) {
    (void)arg;
    for (int i = 1; i <= 200; i++) {
        pthread_mutex_lock(&qlock);
        while ((qtail + 1) % 64 == qhead) pthread_cond_wait(&qcond, &qlock);
        queue[qtail] = i;
        qtail = (qtail + 1) % 64;
        pthread_cond_broadcast(&qcond);
        pthread_mutex_unlock(&qlock);
    }
    pthread_mutex_lock(&qlock);
    produced_done = 1;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

static void *consumer(void *arg) {
    long sum = 0;
    (void)arg;
    for (;;) {
        pthread_mutex_lock(&qlock);
        while (qhead == qtail && !produced_done) pthread_cond_wait(&qcond, &qlock);
        if (qhead == qtail && produced_done) {
            pthread_mutex_unlock(&qlock);
            break;
        }
        sum += queue[qhead];
        qhead = (qhead + 1) % 64;
        pthread_cond_broadcast(&qcond);
        pthread_mutex_unlock(&qlock);
    }
    return (void *)sum;
}

int main(void) {
    pthread_t t[NTHREADS];
    pthread_barrier_init(&barrier, NULL, NTHREADS);
    for (long i = 0; i < NTHREADS; i++) {
        if (pthread_create(&t[i], NULL, worker, (void *)i) != 0) {
            printf("pthread_create failed\n");
            return 1;
        }
    }
    long total_ok = 0, ids = 0;
    for (int i = 0; i < NTHREADS; i++) {
        void *ret;
        pthread_join(t[i], &ret);
        long v = (long)ret;
        total_ok += v % 1000;
        ids += v / 1000;
    }
    printf("locked=%ld cas=%ld add=%ld\n", locked_count, (long)cas_count, (long)add_count);
    printf("join: ok=%ld ids=%ld serial=%d\n", total_ok, ids, (int)barrier_serial);
    printf("main tls=%ld name=\"%s\"\n", tls_value, tls_name);

    pthread_t p, c[3];
    pthread_create(&p, NULL, producer, NULL);
    for (int i = 0; i < 3; i++) pthread_create(&c[i], NULL, consumer, NULL);
    pthread_join(p, NULL);
    long sum = 0;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(c[i], &r);
        sum += (long)r;
    }
    printf("consumed sum=%ld\n", sum);
    pthread_barrier_destroy(&barrier);
    return 0;
}
