// guest-test: opt=O2
/* Large anonymous mappings, which the VM backs with host transparent huge
 * pages, must behave as any other memory: zero-filled, writable across
 * 2 MiB boundaries, MADV_DONTNEED drops exactly the pages asked for (inside
 * a huge page too, which the host then splits), mprotect and munmap of a
 * part, mremap growth and moves keep the contents, and madvise with
 * MADV_HUGEPAGE / MADV_NOHUGEPAGE succeeds as on Linux. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#define MB (1024L * 1024L)
#define PAGE 4096L

static sigjmp_buf jb;

static void on_segv(int sig) { siglongjmp(jb, sig); }

/* FNV-1a over `len` bytes. */
static uint64_t sum(const unsigned char *p, long len) {
    uint64_t h = 0xcbf29ce484222325ULL;
    for (long i = 0; i < len; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return h;
}

static void fill(unsigned char *p, long len, unsigned seed) {
    for (long i = 0; i < len; i += 64) p[i] = (unsigned char)(i / 64 * 7 + seed);
}

static int writable(volatile unsigned char *p) {
    if (sigsetjmp(jb, 1)) return 0;
    *p = *p;
    return 1;
}

int main(void) {
    signal(SIGSEGV, on_segv);
    long len = 16 * MB;
    unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    long nonzero = 0;
    for (long i = 0; i < len; i++) nonzero += p[i] != 0;
    printf("fresh mapping nonzero bytes: %ld\n", nonzero);
    printf("madvise HUGEPAGE: %d\n", madvise(p, len, MADV_HUGEPAGE));
    fill(p, len, 1);
    printf("filled: %016llx\n", (unsigned long long)sum(p, len));

    /* Drop 3 pages straddling the 4 MiB mark, and 1 MiB inside the 8-10 MiB huge page. */
    printf("dontneed: %d %d\n", madvise(p + 4 * MB - PAGE, 3 * PAGE, MADV_DONTNEED),
           madvise(p + 8 * MB + 512 * 1024, MB, MADV_DONTNEED));
    printf("dropped read zero: %d %d, kept: %d %d\n", p[4 * MB - PAGE] == 0 && p[4 * MB + PAGE] == 0,
           p[8 * MB + 512 * 1024 + 64] == 0, p[4 * MB - 2 * PAGE] != 0 || p[4 * MB - 2 * PAGE + 64] != 0,
           p[8 * MB + 512 * 1024 - 64] != 0 || p[8 * MB + 512 * 1024 - 128] != 0);
    printf("after dontneed: %016llx\n", (unsigned long long)sum(p, len));

    /* Read-only 2 pages in the middle of a huge page; the rest stays writable. */
    printf("mprotect: %d\n", mprotect(p + 6 * MB + 8 * PAGE, 2 * PAGE, PROT_READ));
    printf("writable: %d %d %d\n", writable(p + 6 * MB + 7 * PAGE), writable(p + 6 * MB + 8 * PAGE),
           writable(p + 6 * MB + 10 * PAGE));
    printf("madvise NOHUGEPAGE: %d\n", madvise(p, 2 * MB, MADV_NOHUGEPAGE));

    /* Unmap 1 MiB in the middle; grow the last part with mremap (may move). */
    printf("munmap: %d\n", munmap(p + 12 * MB, MB));
    unsigned char *tail = p + 13 * MB;
    uint64_t before = sum(tail, 3 * MB);
    unsigned char *q = mremap(tail, 3 * MB, 9 * MB, MREMAP_MAYMOVE);
    if (q == MAP_FAILED) return 2;
    printf("mremap keeps contents: %d, new part zero: %d\n", sum(q, 3 * MB) == before,
           q[3 * MB] == 0 && q[9 * MB - 1] == 0);
    fill(q, 9 * MB, 3);
    printf("refilled: %016llx\n", (unsigned long long)sum(q, 9 * MB));
    printf("head unchanged: %016llx\n", (unsigned long long)sum(p, 12 * MB));
    return 0;
}
