// guest-test: opt=O0,O2
/* Page protections as guest loads and stores see them, including from hot
 * loops that run long enough to be compiled and then fault: compiled code
 * relies on the host MMU (the arena's host protection mirrors the guest's),
 * so each fault must still give the interpreter's answer.
 *
 * - loads from pages mapped or mprotect'ed X, W, R, NONE (write or execute
 *   implies read, as in qemu-user and Linux on RISC-V); stores to R and X;
 *   an unmapped page (SEGV_MAPERR) and a PROT_NONE one (SEGV_ACCERR);
 * - a misaligned load crossing into a PROT_NONE page (si_addr is the
 *   first byte of that page);
 * - hand-written loops (integer load, FP load, store) that walk into a
 *   protected page: the handler prints the faulting PC (relative to the
 *   loop's access), the loop registers from the signal context (exact
 *   state at the fault) and the memory written before it;
 * - protection changes under already compiled code: a loop that stored
 *   to a page faults once the page is read-only and works again after. */
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#define PAGE 4096L

static sigjmp_buf jb;
static volatile long g_code, g_addr, g_pc, g_s2, g_s3;

static void on_fault(int sig, siginfo_t *si, void *ucv) {
    ucontext_t *uc = ucv;
    g_code = si->si_code;
    g_addr = (long)si->si_addr;
    g_pc = uc->uc_mcontext.__gregs[0];
    g_s2 = uc->uc_mcontext.__gregs[18];
    g_s3 = uc->uc_mcontext.__gregs[19];
    siglongjmp(jb, sig);
}

static char *map(int pages, int prot) {
    char *p = mmap(0, pages * PAGE, prot, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("mmap");
        _exit(1);
    }
    return p;
}

/* Load one byte at p; prints "ok <value>" or the fault. */
static void try_load(const char *what, volatile char *p, char *base) {
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        char c = *p;
        printf("%s: load ok %d\n", what, c);
    } else {
        printf("%s: load sig %d code %ld addr +%ld\n", what, sig, g_code, g_addr - (long)base);
    }
}

static void try_store(const char *what, volatile char *p, char *base) {
    int sig = sigsetjmp(jb, 1);
    if (sig == 0) {
        *p = 7;
        printf("%s: store ok\n", what);
    } else {
        printf("%s: store sig %d code %ld addr +%ld\n", what, sig, g_code, g_addr - (long)base);
    }
}

extern char load_loop_access[], fload_loop_access[], store_loop_access[];

/* s2 counts iterations, s3 sums the loaded words, s4 walks the array. */
__attribute__((noinline)) static void load_loop(const int *p) {
    register long cnt asm("s2") = 0;
    register long sum asm("s3") = 0;
    register const int *q asm("s4") = p;
    asm volatile("1:\n"
                 "load_loop_access: lw t0, 0(%2)\n"
                 "add %1, %1, t0\n"
                 "addi %0, %0, 1\n"
                 "addi %2, %2, 4\n"
                 "j 1b\n"
                 : "+r"(cnt), "+r"(sum), "+r"(q)
                 :
                 : "t0", "memory");
}

/* As load_loop with fld; s3 counts too (the FP sum stays in ft1). */
__attribute__((noinline)) static void fload_loop(const double *p) {
    register long cnt asm("s2") = 0;
    register long cnt2 asm("s3") = 0;
    register const double *q asm("s4") = p;
    asm volatile("1:\n"
                 "fload_loop_access: fld ft0, 0(%2)\n"
                 "fadd.d ft1, ft1, ft0\n"
                 "addi %0, %0, 1\n"
                 "addi %1, %1, 2\n"
                 "addi %2, %2, 8\n"
                 "j 1b\n"
                 : "+r"(cnt), "+r"(cnt2), "+r"(q)
                 :
                 : "ft0", "ft1", "memory");
}

/* Stores s2 (the count) at successive words. */
__attribute__((noinline)) static void store_loop(int *p) {
    register long cnt asm("s2") = 0;
    register long other asm("s3") = 5;
    register int *q asm("s4") = p;
    asm volatile("1:\n"
                 "store_loop_access: sw %0, 0(%2)\n"
                 "addi %0, %0, 1\n"
                 "addi %1, %1, 3\n"
                 "addi %2, %2, 4\n"
                 "j 1b\n"
                 : "+r"(cnt), "+r"(other), "+r"(q)
                 :
                 : "memory");
}

static void report(const char *what, char *access_label) {
    printf("%s: code %ld pc %+ld s2 %ld s3 %ld\n", what, g_code, g_pc - (long)access_label,
           g_s2, g_s3);
}

int main(void) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, 0);
    sigaction(SIGBUS, &sa, 0);

    /* Single accesses under each protection. */
    const int prots[] = {PROT_EXEC, PROT_WRITE, PROT_NONE, PROT_READ, PROT_READ | PROT_WRITE};
    const char *names[] = {"X", "W", "NONE", "R", "RW"};
    for (int i = 0; i < 5; i++) {
        char *p = map(1, prots[i]);
        try_load(names[i], p + 5, p);
        try_store(names[i], p + 6, p);
        /* The same through mprotect of a page that had data. */
        char *q = map(1, PROT_READ | PROT_WRITE);
        q[9] = 42;
        mprotect(q, PAGE, prots[i]);
        try_load(names[i], q + 9, q);
        munmap(p, PAGE);
        munmap(q, PAGE);
    }
    char *gone = map(1, PROT_READ);
    munmap(gone, PAGE);
    try_load("unmapped", gone + 100, gone);
    try_store("unmapped", gone + 100, gone);

    /* A misaligned load crossing into PROT_NONE. */
    char *two = map(2, PROT_READ | PROT_WRITE);
    mprotect(two + PAGE, PAGE, PROT_NONE);
    if (sigsetjmp(jb, 1) == 0) {
        volatile uint64_t v;
        memcpy((void *)&v, two, 0); /* keep `two` live */
        v = *(volatile uint64_t *)(uintptr_t)(two + PAGE - 3);
        printf("crossing load ok %llu\n", (unsigned long long)v);
    } else {
        printf("crossing load: code %ld addr +%ld\n", g_code, g_addr - (long)two);
    }

    /* Hot loops that walk into protected pages, several times each. */
    char *arr = map(3, PROT_READ | PROT_WRITE);
    for (int i = 0; i < 2 * PAGE / 4; i++) ((int *)arr)[i] = i * 3 + 1;
    mprotect(arr + 2 * PAGE, PAGE, PROT_NONE);
    for (int round = 0; round < 3; round++) {
        if (sigsetjmp(jb, 1) == 0) load_loop((const int *)(arr + round * 1000 + 4));
        report("load loop", load_loop_access);
        printf("  fault at +%ld\n", g_addr - (long)arr);
    }
    for (int i = 0; i < 2 * PAGE / 8; i++) ((double *)arr)[i] = i * 0.5;
    for (int round = 0; round < 2; round++) {
        if (sigsetjmp(jb, 1) == 0) fload_loop((const double *)(arr + round * 800));
        report("fld loop", fload_loop_access);
    }
    mprotect(arr + PAGE, PAGE, PROT_READ);
    for (int round = 0; round < 3; round++) {
        memset(arr, 0, PAGE);
        if (sigsetjmp(jb, 1) == 0) store_loop((int *)(arr + round * 400));
        report("store loop", store_loop_access);
        int *w = (int *)arr;
        printf("  last words %d %d, fault at +%ld\n", w[PAGE / 4 - 2], w[PAGE / 4 - 1],
               g_addr - (long)arr);
    }

    /* Protection changes under compiled code. */
    for (int round = 0; round < 4; round++) {
        mprotect(arr, PAGE, round % 2 ? PROT_READ : PROT_READ | PROT_WRITE);
        volatile long done = 0;
        if (sigsetjmp(jb, 1) == 0) {
            for (int rep = 0; rep < 20; rep++)
                for (int i = 0; i < PAGE / 4; i++, done++) ((volatile int *)arr)[i] = rep + i;
            printf("round %d: stores ok, word 7 = %d\n", round, ((int *)arr)[7]);
        } else {
            printf("round %d: store fault code %ld at +%ld after %ld stores\n", round, g_code,
                   g_addr - (long)arr, done);
        }
    }
    return 0;
}
