/*
 * tools: one multi-call binary with the small utilities tests/shell/script.sh
 * uses (cat, wc, seq, tr, head, sort, grep, uniq, expr, test, [) and arch
 * (the architecture it was built for), so the shell test depends on
 * nothing of the host but a C compiler. The tool is
 * chosen by the basename of argv[0] (the test makes links named after the
 * tools), or by the first argument when called as "tools".
 *
 * Behaviour follows POSIX where it is simple to do so; output formats are
 * this program's own (e.g. wc prints bare numbers), since the test only
 * compares this program with itself, native against the VM.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *prog = "tools";

static void die(const char *msg, const char *arg)
{
    fprintf(stderr, "%s: %s%s%s\n", prog, msg, arg ? ": " : "", arg ? arg : "");
    exit(2);
}

static FILE *open_in(const char *path)
{
    if (!path || !strcmp(path, "-")) return stdin;
    FILE *f = fopen(path, "r");
    if (!f) die(strerror(errno), path);
    return f;
}

/* All lines of a stream (without their newlines). */
typedef struct { char **v; size_t n, cap; } Lines;

static void read_lines(FILE *f, Lines *l)
{
    char *line = 0;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) >= 0) {
        if (len > 0 && line[len - 1] == '\n') line[len - 1] = 0;
        if (l->n == l->cap) {
            l->cap = l->cap ? l->cap * 2 : 64;
            l->v = realloc(l->v, l->cap * sizeof *l->v);
            if (!l->v) die("out of memory", 0);
        }
        l->v[l->n++] = strdup(line);
    }
    free(line);
}

static int parse_long(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (!*s || *end || errno) return 0;
    *out = v;
    return 1;
}

static long need_long(const char *s)
{
    long v;
    if (!parse_long(s, &v)) die("not an integer", s);
    return v;
}

static int t_cat(int argc, char **argv)
{
    int st = 0;
    for (int i = 1; i < argc || i == 1; i++) {
        FILE *f = i < argc ? fopen(argv[i], "r") : stdin;
        if (!f) { fprintf(stderr, "cat: %s: %s\n", argv[i], strerror(errno)); st = 1; continue; }
        char buf[4096];
        size_t r;
        while ((r = fread(buf, 1, sizeof buf, f)) > 0) fwrite(buf, 1, r, stdout);
        if (f != stdin) fclose(f);
    }
    return st;
}

static int t_wc(int argc, char **argv)
{
    int l = 0, w = 0, c = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
        for (char *p = argv[i] + 1; *p; p++) {
            if (*p == 'l') l = 1;
            else if (*p == 'w') w = 1;
            else if (*p == 'c') c = 1;
            else die("unknown option", argv[i]);
        }
    if (!l && !w && !c) l = w = c = 1;
    FILE *f = open_in(i < argc ? argv[i] : 0);
    long nl = 0, nw = 0, nc = 0;
    int in_word = 0, ch;
    while ((ch = getc(f)) != EOF) {
        nc++;
        if (ch == '\n') nl++;
        int space = ch == ' ' || ch == '\t' || ch == '\n';
        if (!space && !in_word) nw++;
        in_word = !space;
    }
    const char *sep = "";
    if (l) { printf("%s%ld", sep, nl); sep = " "; }
    if (w) { printf("%s%ld", sep, nw); sep = " "; }
    if (c) { printf("%s%ld", sep, nc); }
    if (i < argc) printf(" %s", argv[i]);
    printf("\n");
    return 0;
}

static int t_seq(int argc, char **argv)
{
    long first = 1, inc = 1, last;
    if (argc == 2) last = need_long(argv[1]);
    else if (argc == 3) { first = need_long(argv[1]); last = need_long(argv[2]); }
    else if (argc == 4) { first = need_long(argv[1]); inc = need_long(argv[2]); last = need_long(argv[3]); }
    else die("usage: seq [FIRST [INCR]] LAST", 0);
    if (inc == 0) die("zero increment", 0);
    for (long v = first; inc > 0 ? v <= last : v >= last; v += inc)
        if (printf("%ld\n", v) < 0) return 1;
    return 0;
}

/* Expands a tr set: ranges a-z and backslash escapes \n \t \\. */
static int tr_set(const char *s, unsigned char *out)
{
    int n = 0;
    while (*s && n < 256) {
        int c = (unsigned char)*s++;
        if (c == '\\' && *s) {
            c = *s == 'n' ? '\n' : *s == 't' ? '\t' : (unsigned char)*s;
            s++;
        }
        if (*s == '-' && s[1]) {
            int e = (unsigned char)s[1];
            s += 2;
            for (int x = c; x <= e && n < 256; x++) out[n++] = (unsigned char)x;
        } else out[n++] = (unsigned char)c;
    }
    return n;
}

static int t_tr(int argc, char **argv)
{
    unsigned char a[256], b[256];
    int map[256], del[256] = {0};
    for (int i = 0; i < 256; i++) map[i] = i;
    if (argc == 3 && !strcmp(argv[1], "-d")) {
        int na = tr_set(argv[2], a);
        for (int i = 0; i < na; i++) del[a[i]] = 1;
    } else if (argc == 3) {
        int na = tr_set(argv[1], a), nb = tr_set(argv[2], b);
        if (nb == 0) die("empty second set", 0);
        for (int i = 0; i < na; i++) map[a[i]] = b[i < nb ? i : nb - 1];
    } else die("usage: tr [-d] SET1 [SET2]", 0);
    int c;
    while ((c = getchar()) != EOF)
        if (!del[c]) putchar(map[c]);
    return 0;
}

static int t_head(int argc, char **argv)
{
    long n = 10;
    int i = 1;
    if (i + 1 < argc && !strcmp(argv[i], "-n")) { n = need_long(argv[i + 1]); i += 2; }
    FILE *f = open_in(i < argc ? argv[i] : 0);
    int c;
    while (n > 0 && (c = getc(f)) != EOF) {
        putchar(c);
        if (c == '\n') n--;
    }
    return 0;
}

static int rev, numeric;

static int cmp_lines(const void *x, const void *y)
{
    const char *a = *(char *const *)x, *b = *(char *const *)y;
    int r;
    if (numeric) { long la = atol(a), lb = atol(b); r = la < lb ? -1 : la > lb; if (!r) r = strcmp(a, b); }
    else r = strcmp(a, b);
    return rev ? -r : r;
}

static int t_sort(int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
        for (char *p = argv[i] + 1; *p; p++) {
            if (*p == 'r') rev = 1;
            else if (*p == 'n') numeric = 1;
            else die("unknown option", argv[i]);
        }
    Lines l = {0};
    read_lines(open_in(i < argc ? argv[i] : 0), &l);
    qsort(l.v, l.n, sizeof *l.v, cmp_lines);
    for (size_t k = 0; k < l.n; k++) printf("%s\n", l.v[k]);
    return 0;
}

static int t_grep(int argc, char **argv)
{
    int invert = 0, count = 0, i = 1;
    for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++)
        for (char *p = argv[i] + 1; *p; p++) {
            if (*p == 'v') invert = 1;
            else if (*p == 'c') count = 1;
            else die("unknown option", argv[i]);
        }
    if (i >= argc) die("usage: grep [-vc] STRING [FILE]", 0);
    const char *pat = argv[i++];
    FILE *f = open_in(i < argc ? argv[i] : 0);
    char *line = 0;
    size_t cap = 0;
    long hits = 0;
    while (getline(&line, &cap, f) >= 0) {
        if ((strstr(line, pat) != 0) != invert) {
            hits++;
            if (!count) fputs(line, stdout);
        }
    }
    if (count) printf("%ld\n", hits);
    return hits ? 0 : 1;
}

static int t_uniq(int argc, char **argv)
{
    int count = argc > 1 && !strcmp(argv[1], "-c");
    Lines l = {0};
    read_lines(open_in(argc > 1 + count ? argv[1 + count] : 0), &l);
    for (size_t k = 0; k < l.n;) {
        size_t j = k + 1;
        while (j < l.n && !strcmp(l.v[j], l.v[k])) j++;
        if (count) printf("%ld %s\n", (long)(j - k), l.v[k]);
        else printf("%s\n", l.v[k]);
        k = j;
    }
    return 0;
}

/* expr over integers: comparisons (< > = !=) below + - below * / %, all
 * left-associative, each operand and operator a separate argument. Exit
 * status 1 when the result is 0, 2 on an error (as POSIX expr). */
static char **ex_argv;
static int ex_pos, ex_argc;

static int ex_is(const char *op) { return ex_pos < ex_argc && !strcmp(ex_argv[ex_pos], op); }

static long ex_primary(void)
{
    if (ex_pos >= ex_argc) die("missing operand", 0);
    return need_long(ex_argv[ex_pos++]);
}

static long ex_mul(void)
{
    long v = ex_primary();
    for (;;) {
        if (ex_is("*")) { ex_pos++; v *= ex_primary(); }
        else if (ex_is("/") || ex_is("%")) {
            int div = ex_argv[ex_pos++][0] == '/';
            long r = ex_primary();
            if (r == 0) die("division by zero", 0);
            v = div ? v / r : v % r;
        } else return v;
    }
}

static long ex_add(void)
{
    long v = ex_mul();
    for (;;) {
        if (ex_is("+")) { ex_pos++; v += ex_mul(); }
        else if (ex_is("-")) { ex_pos++; v -= ex_mul(); }
        else return v;
    }
}

static long ex_cmp(void)
{
    long v = ex_add();
    for (;;) {
        if (ex_is("<")) { ex_pos++; v = v < ex_add(); }
        else if (ex_is(">")) { ex_pos++; v = v > ex_add(); }
        else if (ex_is("=")) { ex_pos++; v = v == ex_add(); }
        else if (ex_is("!=")) { ex_pos++; v = v != ex_add(); }
        else return v;
    }
}

static int t_expr(int argc, char **argv)
{
    ex_argv = argv;
    ex_argc = argc;
    ex_pos = 1;
    long r = ex_cmp();
    if (ex_pos != argc) die("syntax error", argv[ex_pos]);
    printf("%ld\n", r);
    return r == 0;
}

static int test_expr(int argc, char **argv)
{
    if (argc >= 1 && !strcmp(argv[0], "!")) return !test_expr(argc - 1, argv + 1);
    if (argc == 0) return 0;
    if (argc == 1) return argv[0][0] != 0;
    if (argc == 2) {
        const char *op = argv[0], *s = argv[1];
        struct stat st;
        if (!strcmp(op, "-z")) return s[0] == 0;
        if (!strcmp(op, "-n")) return s[0] != 0;
        if (!strcmp(op, "-e")) return stat(s, &st) == 0;
        if (!strcmp(op, "-f")) return stat(s, &st) == 0 && S_ISREG(st.st_mode);
        if (!strcmp(op, "-d")) return stat(s, &st) == 0 && S_ISDIR(st.st_mode);
        if (!strcmp(op, "-s")) return stat(s, &st) == 0 && st.st_size > 0;
        die("unknown unary operator", op);
    }
    if (argc == 3) {
        const char *a = argv[0], *op = argv[1], *b = argv[2];
        if (!strcmp(op, "=")) return !strcmp(a, b);
        if (!strcmp(op, "!=")) return strcmp(a, b) != 0;
        long x = need_long(a), y = need_long(b);
        if (!strcmp(op, "-eq")) return x == y;
        if (!strcmp(op, "-ne")) return x != y;
        if (!strcmp(op, "-lt")) return x < y;
        if (!strcmp(op, "-le")) return x <= y;
        if (!strcmp(op, "-gt")) return x > y;
        if (!strcmp(op, "-ge")) return x >= y;
        die("unknown binary operator", op);
    }
    die("too many arguments", 0);
    return 0;
}

static int t_test(int argc, char **argv)
{
    if (!strcmp(prog, "[")) {
        if (argc < 2 || strcmp(argv[argc - 1], "]")) die("missing ]", 0);
        argc--;
    }
    return test_expr(argc - 1, argv + 1) ? 0 : 1;
}

/* The architecture this binary was built for: lets the test check that the
 * tools the VM's guest finds on PATH really run as RISC-V programs. */
static int t_arch(int argc, char **argv)
{
    (void)argc;
    (void)argv;
#if defined(__riscv) && __riscv_xlen == 64
    puts("riscv64");
#elif defined(__x86_64__)
    puts("x86_64");
#elif defined(__aarch64__)
    puts("aarch64");
#else
    puts("unknown");
#endif
    return 0;
}

static const struct { const char *name; int (*fn)(int, char **); } tools[] = {
    {"cat", t_cat}, {"wc", t_wc}, {"seq", t_seq}, {"tr", t_tr}, {"head", t_head},
    {"sort", t_sort}, {"grep", t_grep}, {"uniq", t_uniq}, {"expr", t_expr},
    {"test", t_test}, {"[", t_test}, {"arch", t_arch},
};

int main(int argc, char **argv)
{
    const char *base = argc > 0 ? argv[0] : "tools";
    const char *slash = strrchr(base, '/');
    if (slash) base = slash + 1;
    if (!strcmp(base, "tools") && argc > 1) { argv++; argc--; base = argv[0]; }
    prog = base;
    for (size_t i = 0; i < sizeof tools / sizeof tools[0]; i++)
        if (!strcmp(base, tools[i].name)) {
            int st = tools[i].fn(argc, argv);
            if (fflush(stdout) != 0 && st == 0) st = 1;
            return st;
        }
    fprintf(stderr, "tools: unknown tool %s\n", base);
    return 127;
}
