// guest-test: opt=O0,O2 link=static-pie flags=-nostdlib flags=-ffreestanding exit=7
/* A static position-independent executable (ET_DYN, no PT_INTERP), as
 * `-static-pie` makes. Debian's riscv64 glibc has no rcrt1.o, so this one
 * brings its own _start and system calls and uses only PC-relative
 * addressing: nothing to relocate. The loader must pick a base, map the
 * segments there and enter at base + e_entry with the usual stack. */
#include <stddef.h>

static long sys3(long nr, long a, long b, long c) {
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = nr;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

static size_t len(const char *s) {
    size_t n = 0;
    while (s[n])
        n++;
    return n;
}

static void put(const char *s) { sys3(64, 1, (long)s, (long)len(s)); }

static int counter = 41;

int start_c(long *sp) {
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    put("static-pie: ");
    put(argc >= 1 && argv[0][0] ? "argv ok" : "argv missing");
    put(counter + 1 == 42 ? ", data ok" : ", data wrong");
    /* The image is not at its link address 0: code sits above the zero page. */
    put((unsigned long)&counter > 0x10000 ? ", relocated base\n" : ", base 0?\n");
    return 7;
}

__asm__(".globl _start\n"
        "_start:\n"
        "  mv a0, sp\n"
        "  call start_c\n"
        "  li a7, 93\n"
        "  ecall\n");
