// guest-test: opt=O0,O2 arg=$TMPDIR
/* File system calls in a fresh temporary directory (argv[1]): open/creat,
 * write, lseek (SET/CUR/END, holes), read, pread/pwrite, fstat/stat sizes
 * and types, ftruncate both ways, rename, mkdir, readdir (sorted, since
 * directory order is unspecified), unlink/rmdir, errno values for missing
 * files, dup, pipe, stdio fopen/fprintf/fgets, and fds after close. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>
#include "common.h"

static char path_buf[4096];
static const char *dir;
static const char *P(const char *name) {
    snprintf(path_buf, sizeof path_buf, "%s/%s", dir, name);
    return path_buf;
}

static int cmp_str(const void *a, const void *b) {
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void list_dir(const char *d) {
    DIR *dp = opendir(d);
    check("opendir", dp != NULL);
    if (!dp) return;
    char *names[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(dp)) && n < 64) {
        names[n] = strdup(e->d_name);
        n++;
    }
    closedir(dp);
    qsort(names, (size_t)n, sizeof names[0], cmp_str);
    printf("listing:");
    for (int i = 0; i < n; i++) { printf(" %s", names[i]); free(names[i]); }
    printf("\n");
}

int main(int argc, char **argv) {
    if (argc < 2) { printf("usage: fileio TMPDIR\n"); return 2; }
    dir = argv[1];
    umask(022);
    char buf[256];
    int fd = open(P("a.txt"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    check("open create", fd >= 0);
    check("write", write(fd, "hello, file\n", 12) == 12);
    check("lseek cur", lseek(fd, 0, SEEK_CUR) == 12);
    check("lseek set", lseek(fd, 7, SEEK_SET) == 7);
    ssize_t r = read(fd, buf, sizeof buf);
    buf[r > 0 ? r : 0] = 0;
    printf("read after seek: %zd \"%s\"\n", r, buf);
    check("lseek end", lseek(fd, 0, SEEK_END) == 12);
    check("lseek hole", lseek(fd, 100, SEEK_END) == 112 && write(fd, "Z", 1) == 1);
    struct stat st;
    check("fstat", fstat(fd, &st) == 0);
    printf("size %lld regular %d mode %o\n", (long long)st.st_size, S_ISREG(st.st_mode), st.st_mode & 0777);
    check("hole reads zero", pread(fd, buf, 4, 50) == 4 && buf[0] == 0 && buf[3] == 0);
    check("pwrite", pwrite(fd, "XY", 2, 0) == 2);
    check("pwrite keeps offset", lseek(fd, 0, SEEK_CUR) == 113);
    check("ftruncate shrink", ftruncate(fd, 5) == 0 && fstat(fd, &st) == 0 && st.st_size == 5);
    check("ftruncate grow", ftruncate(fd, 4096) == 0 && fstat(fd, &st) == 0 && st.st_size == 4096);
    memset(buf, 1, sizeof buf);
    check("pread after truncate", pread(fd, buf, 8, 0) == 8);
    printf("first bytes: %.5s %d %d %d\n", buf, buf[5], buf[6], buf[7]);
    int fd2 = dup(fd);
    check("dup", fd2 > fd);
    check("dup shares offset", lseek(fd2, 10, SEEK_SET) == 10 && lseek(fd, 0, SEEK_CUR) == 10);
    close(fd2);
    check("close", close(fd) == 0);
    errno = 0;
    check("read closed fd EBADF", read(fd, buf, 1) == -1 && errno == EBADF);
    check("stat", stat(P("a.txt"), &st) == 0 && st.st_size == 4096);
    {
        /* P() reuses one buffer, so build both names separately. */
        char from[4096], to[4096];
        snprintf(from, sizeof from, "%s/a.txt", dir);
        snprintf(to, sizeof to, "%s/b.txt", dir);
        check("rename", rename(from, to) == 0);
        errno = 0;
        check("old name gone", stat(from, &st) == -1 && errno == ENOENT);
        check("new name present", stat(to, &st) == 0);
    }
    check("mkdir", mkdir(P("sub"), 0755) == 0);
    errno = 0;
    check("mkdir again EEXIST", mkdir(P("sub"), 0755) == -1 && errno == EEXIST);
    check("stat dir", stat(P("sub"), &st) == 0 && S_ISDIR(st.st_mode));
    FILE *f = fopen(P("sub/c.txt"), "w");
    check("fopen", f != NULL);
    if (f) {
        for (int i = 0; i < 100; i++) fprintf(f, "line %d %s\n", i, i % 2 ? "odd" : "even");
        fclose(f);
    }
    f = fopen(P("sub/c.txt"), "r");
    int lines = 0;
    if (f) {
        while (fgets(buf, sizeof buf, f)) {
            if (lines == 57) printf("line 57: %s", buf);
            lines++;
        }
        fclose(f);
    }
    check("fgets lines", lines == 100);
    list_dir(dir);
    list_dir(P("sub"));
    errno = 0;
    check("open missing ENOENT", open(P("missing"), O_RDONLY) == -1 && errno == ENOENT);
    errno = 0;
    check("rmdir non-empty", rmdir(P("sub")) == -1 && (errno == ENOTEMPTY || errno == EEXIST));
    check("unlink", unlink(P("sub/c.txt")) == 0);
    check("rmdir", rmdir(P("sub")) == 0);
    check("unlink b", unlink(P("b.txt")) == 0);
    list_dir(dir);
    /* chdir + relative path + getcwd. */
    check("chdir", chdir(dir) == 0);
    fd = open("rel.txt", O_CREAT | O_WRONLY | O_EXCL, 0600);
    check("relative create", fd >= 0);
    close(fd);
    errno = 0;
    check("O_EXCL EEXIST", open("rel.txt", O_CREAT | O_WRONLY | O_EXCL, 0600) == -1 && errno == EEXIST);
    check("access", access("rel.txt", R_OK | W_OK) == 0);
    char cwd[4096];
    check("getcwd", getcwd(cwd, sizeof cwd) != NULL && strstr(cwd, "tmp") != NULL);
    unlink("rel.txt");
    /* Pipes. */
    int p[2];
    check("pipe", pipe(p) == 0);
    check("pipe write", write(p[1], "through the pipe", 16) == 16);
    close(p[1]);
    r = read(p[0], buf, sizeof buf);
    printf("pipe read %zd: %.*s\n", r, (int)(r > 0 ? r : 0), buf);
    check("pipe eof", read(p[0], buf, 1) == 0);
    close(p[0]);
    return finish();
}
