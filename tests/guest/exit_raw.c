// guest-test: opt=O0 exit=255
/* The raw exit_group system call truncates the status to 8 bits (1023 ->
 * 255) and skips stdio flushing: the buffered line is lost. */
#include <stdio.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(void) {
    printf("flushed line\n");
    fflush(stdout);
    printf("buffered line that is never flushed");
    syscall(SYS_exit_group, 1023);
    return 0;
}
