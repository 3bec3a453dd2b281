// guest-test: opt=O2 compare=expected
/* What the hart says about itself where qemu 7.2 cannot be the reference
 * (it has no riscv_hwprobe and shows the host's /proc/cpuinfo), compared
 * with hwprobe.expected, what Linux 6.5+ answers for an RV64IMAFDC hart
 * with Zba/Zbb/Zbs: riscv_hwprobe (258) BASE_BEHAVIOR = IMA, IMA_EXT_0 =
 * FD | C | ZBA | ZBB | ZBS, an unknown key answered as -1; flags != 0 is
 * EINVAL; /proc/cpuinfo's first hart line and isa string. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct pair {
    long long key;
    unsigned long long value;
};

int main(void) {
    struct pair p[3] = {{3, 0}, {4, 0}, {1000, 7}};
    long r = syscall(258, p, 3, 0, NULL, 0);
    printf("hwprobe=%ld\n", r);
    for (int i = 0; i < 3; i++) printf("key %lld value %#llx\n", p[i].key, p[i].value);
    unsigned long long e = p[1].value;
    printf("FD=%d C=%d V=%d ZBA=%d ZBB=%d ZBS=%d\n", !!(e & 1), !!(e & 2), !!(e & 4), !!(e & 8),
           !!(e & 16), !!(e & 32));
    r = syscall(258, p, 1, 0, NULL, 1);
    printf("bad flags=%ld EINVAL=%d\n", r, errno == EINVAL);
    FILE *f = fopen("/proc/cpuinfo", "r");
    char line[256];
    int harts = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strncmp(line, "processor", 9) == 0) harts++;
        if (harts == 1 && (strncmp(line, "hart", 4) == 0 || strncmp(line, "isa", 3) == 0 ||
                           strncmp(line, "mmu", 3) == 0))
            fputs(line, stdout);
    }
    printf("at least one hart: %d\n", harts >= 1);
    return 0;
}
