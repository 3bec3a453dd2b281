// guest-test: opt=O0,O2 compare=expected signal=7
/* Memory of a file mapping beyond the end of the file (found by the
 * `syscall` fuzz target: the VM died of a host SIGBUS inside its own copy
 * of a path). Linux: the partial page holding the end of the file is
 * accessible (zero-filled past the end); an access to a page wholly beyond
 * it raises SIGBUS with BUS_ADRERR and si_addr the faulting address; a
 * system call given such memory fails with EFAULT; once the file grows over
 * a page, the page is accessible. qemu-user 7.2 aborts on this program, so
 * it is compared with sigbus_beyond_eof.expected: the same source run
 * natively on x86-64 Linux. Covers shared and private mappings, loads,
 * stores, an access straddling the end of the last accessible page,
 * statfs/open/write/read on such memory, growing the file with ftruncate,
 * mprotect, a forked child, and finally an uncaught SIGBUS. */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

static sigjmp_buf env;
static volatile int armed, got_sig, got_code;
static void *volatile got_addr;

static void on_fault(int sig, siginfo_t *si, void *uc) {
    (void)uc;
    if (!armed) {
        static const char msg[] = "unexpected fault\n";
        write(1, msg, sizeof msg - 1);
        _exit(99);
    }
    armed = 0;
    got_sig = sig;
    got_code = si->si_code;
    got_addr = si->si_addr;
    siglongjmp(env, 1);
}

/* Runs `touch` on `at`; prints the signal it raised (if any), its si_code
 * and whether si_addr is `want`. */
static void probe(const char *what, void (*touch)(volatile char *), volatile char *at,
                  void *want) {
    got_sig = 0;
    if (sigsetjmp(env, 1) == 0) {
        armed = 1;
        touch(at);
        armed = 0;
        printf("%s: no signal\n", what);
        return;
    }
    printf("%s: signal %d code %d addr %s\n", what, got_sig, got_code,
           got_addr == want ? "ok" : "wrong");
}

static void load1(volatile char *p) { (void)*p; }
static void store1(volatile char *p) { *p = 'z'; }
/* One misaligned 8-byte load (RISC-V Linux and the VM allow them). */
static void load8(volatile char *p) { (void)*(volatile uint64_t *)p; }

static void errno_of(const char *what, long r) {
    if (r < 0)
        printf("%s: %ld (%s)\n", what, r, strerror(errno));
    else
        printf("%s: %ld\n", what, r);
}

int main(void) {
    long page = sysconf(_SC_PAGESIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGBUS, &sa, 0);
    sigaction(SIGSEGV, &sa, 0);

    int fd = open("small.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || write(fd, "hello", 5) != 5)
        return 1;
    char *p = mmap(0, 3 * page, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    char *q = mmap(0, 3 * page, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED || q == MAP_FAILED)
        return 2;

    /* The partial last page. */
    printf("shared: %.5s, last byte of page 0: %d\n", p, p[page - 1]);
    printf("private: %.5s\n", q);
    p[page - 2] = 'x';
    p[page - 1] = 'y';

    /* Loads and stores beyond the end. */
    probe("shared load", load1, p + page, p + page);
    probe("shared store", store1, p + page + 100, p + page + 100);
    probe("shared load, third page", load1, p + 3 * page - 1, p + 3 * page - 1);
    probe("private load", load1, q + page + 7, q + page + 7);
    probe("private store (read-only mapping)", store1, q + page, q + page);
    probe("load across the end", load8, p + page - 4, p + page);

    /* System calls given such memory. */
    struct statfs st;
    errno_of("statfs beyond", statfs(p + page, &st));
    errno_of("statfs into", statfs(p + page - 2, &st));
    errno_of("open beyond", open(q + page, O_RDONLY));
    int pp[2];
    if (pipe(pp) != 0)
        return 3;
    errno_of("write from", write(pp[1], p + page, 16));
    errno_of("write", write(pp[1], "abc", 3));
    errno_of("read into", read(pp[0], p + page, 16));
    int rfd = open("small.txt", O_RDONLY);
    errno_of("read file into", read(rfd, p + page, 16));

    /* mprotect keeps them beyond the end. */
    errno_of("mprotect", mprotect(p + page, page, PROT_READ));
    probe("load after mprotect", load1, p + page, p + page);

    /* A forked child sees the same. */
    pid_t child = fork();
    if (child == 0) {
        signal(SIGBUS, SIG_DFL);
        signal(SIGSEGV, SIG_DFL);
        (void)*(volatile char *)(p + 2 * page);
        _exit(0);
    }
    int status = 0;
    waitpid(child, &status, 0);
    printf("child: %s %d\n", WIFSIGNALED(status) ? "signal" : "exit",
           WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));

    /* Grow the file over the second page. */
    errno_of("ftruncate", ftruncate(fd, page + 10));
    errno_of("pwrite", pwrite(fd, "grown", 6, page));
    printf("shared after growth: %s\n", p + page);
    printf("private after growth: %s\n", q + page);
    probe("shared load after growth", load1, p + page, p + page);
    probe("shared store after growth (read-only now)", store1, p + page, p + page);
    errno_of("mprotect", mprotect(p + page, page, PROT_READ | PROT_WRITE));
    p[page + 1] = 'R';
    char back[6] = {0};
    errno_of("pread", pread(fd, back, 5, page));
    printf("file: %s\n", back);
    errno_of("statfs grown", statfs(p + page, &st));
    probe("third page still beyond", load1, p + 2 * page, p + 2 * page);
    fflush(stdout);

    /* Uncaught: the process dies of SIGBUS. */
    signal(SIGBUS, SIG_DFL);
    return *(volatile char *)(q + 2 * page);
}
