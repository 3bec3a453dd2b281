#include <stdio.h>
#include <fcntl.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>
int main(void) {
    int fd = open("small.txt", O_RDWR | O_CREAT | O_TRUNC, 0600);
    write(fd, "hello", 5);
    char *p = mmap(0, 8192, PROT_READ, MAP_SHARED, fd, 0);
    struct statfs st;
    int r = statfs(p + 4096, &st);
    printf("statfs beyond EOF: %d errno=%d\n", r, r < 0 ? errno : 0);
    fflush(stdout);
    return p[4096];
}
