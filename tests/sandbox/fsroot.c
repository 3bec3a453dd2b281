/* Run with --fs-root: tries to reach files outside the root through `..`,
 * absolute paths and symlinks, and does ordinary file work inside; prints
 * one line per step (the first line of a file read, or the errno name). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *ename(void) {
    switch (errno) {
    case ENOENT: return "ENOENT";
    case EACCES: return "EACCES";
    case EXDEV: return "EXDEV";
    case ELOOP: return "ELOOP";
    case ENOTDIR: return "ENOTDIR";
    default: return strerror(errno);
    }
}

static void cat(const char *path) {
    char buf[128];
    int fd = open(path, O_RDONLY);
    if (fd < 0) { printf("open %s: %s\n", path, ename()); return; }
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    buf[n > 0 ? n : 0] = 0;
    char *nl = strchr(buf, '\n');
    if (nl) *nl = 0;
    printf("open %s: %s\n", path, buf);
}

static void cwd(void) {
    char buf[256];
    if (getcwd(buf, sizeof buf)) printf("cwd %s\n", buf);
    else printf("cwd: %s\n", ename());
}

int main(void) {
    char buf[256];
    struct stat st;
    cwd();
    cat("/etc/passwd");
    cat("../../etc/passwd");
    cat("/../../../etc/passwd");
    cat("/abs");
    cat("/up/etc/passwd");
    cat("/rel");
    cat("/up/../../outside");
    printf("lstat /abs: %s\n", lstat("/abs", &st) == 0 && S_ISLNK(st.st_mode) ? "link" : ename());
    printf("stat /up: %s\n", stat("/up", &st) == 0 && S_ISDIR(st.st_mode) ? "dir" : ename());
    ssize_t n = readlink("/abs", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("readlink /abs: %s\n", n >= 0 ? buf : ename());
    printf("access /up/etc/passwd: %s\n", access("/up/etc/passwd", R_OK) == 0 ? "ok" : ename());
    printf("chdir /sub: %s\n", chdir("/sub") == 0 ? "ok" : ename());
    cwd();
    cat("../etc/passwd");
    cat("../../../../etc/passwd");
    printf("chdir ../..: %s\n", chdir("../..") == 0 ? "ok" : ename());
    cwd();
    int fd = open("/sub/new.txt", O_CREAT | O_WRONLY | O_TRUNC, 0644);
    printf("create: %s\n", fd >= 0 && write(fd, "fresh\n", 6) == 6 && close(fd) == 0 ? "ok" : ename());
    cat("/sub/new.txt");
    printf("rename: %s\n", rename("/sub/new.txt", "sub/renamed.txt") == 0 ? "ok" : ename());
    cat("sub/renamed.txt");
    printf("mkdir: %s\n", mkdir("/sub/d", 0755) == 0 ? "ok" : ename());
    printf("symlink: %s\n", symlink("/etc/passwd", "/sub/d/l") == 0 ? "ok" : ename());
    cat("/sub/d/l");
    printf("unlink: %s\n", unlink("/sub/d/l") == 0 && rmdir("/sub/d") == 0 ? "ok" : ename());
    printf("mkdir escape: %s\n", mkdir("/up/../../made-outside", 0755) == 0 ? "ok" : ename());
    printf("stat made-outside: %s\n", stat("/made-outside", &st) == 0 ? "inside" : ename());
    rmdir("/made-outside");
    n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = 0;
    printf("exe %s\n", n >= 0 ? buf : ename());
    return 0;
}
