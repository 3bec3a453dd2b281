/*
 * minish: a small POSIX-ish shell, the project's own, used to check the
 * VM's process model (fork, execve, pipes, waitpid, signals) end to end:
 * crates/vm-cli/tests/shell.rs runs tests/shell/script.sh with it under
 * `vm` and natively and compares the output.
 *
 * Usage: minish SCRIPT [ARGS...]   or   minish -c STRING [ARGS...]
 *
 * Supported: simple commands, '..' and ".." quoting, backslash escapes,
 * variables (NAME=value, $NAME, ${NAME}, $?, $#, $1..$9), field splitting
 * of unquoted expansions, pipelines, ! , ; && || , subshells ( ... ),
 * command substitution $(...), for/while/until/if/elif/else, break and
 * continue, redirections < > >> N>&M on simple and compound commands,
 * builtins echo cd exit true false : export read pwd. No globbing, no
 * background jobs, no functions.
 *
 * Output to stdout goes through write(2) directly (never stdio), so
 * nothing buffered is duplicated by fork.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---- small helpers ---------------------------------------------------- */

static void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) { write(2, "minish: out of memory\n", 22); _exit(2); }
    return p;
}

static char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = 0;
    return p;
}

typedef struct { char *s; size_t len, cap; } Str;

static void sadd(Str *b, char c)
{
    if (b->len + 2 > b->cap) {
        b->cap = b->cap ? b->cap * 2 : 32;
        char *n = xmalloc(b->cap);
        if (b->s) memcpy(n, b->s, b->len);
        free(b->s);
        b->s = n;
    }
    b->s[b->len++] = c;
    b->s[b->len] = 0;
}

static void sapp(Str *b, const char *s) { while (*s) sadd(b, *s++); }
static char *sdone(Str *b) { char *r = b->s ? b->s : xstrndup("", 0); b->s = 0; b->len = b->cap = 0; return r; }

typedef struct { char **v; int n, cap; } Vec;

static void vpush(Vec *v, char *s)
{
    if (v->n + 2 > v->cap) {
        v->cap = v->cap ? v->cap * 2 : 8;
        char **n = xmalloc(v->cap * sizeof *n);
        if (v->v) memcpy(n, v->v, v->n * sizeof *n);
        free(v->v);
        v->v = n;
    }
    v->v[v->n++] = s;
    v->v[v->n] = 0;
}

static void errmsg(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(buf, sizeof buf - 1, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (n > (int)sizeof buf - 2) n = sizeof buf - 2;
    buf[n++] = '\n';
    write(2, "minish: ", 8);
    write(2, buf, n);
}

static void write_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t w = write(fd, s, n);
        if (w < 0) { if (errno == EINTR) continue; return; }
        s += w;
        n -= w;
    }
}

/* ---- variables -------------------------------------------------------- */

typedef struct Var { char *name, *value; int exported; struct Var *next; } Var;
static Var *vars;
static int last_status;
static char **pos_args;
static int npos;

static Var *findvar(const char *name, size_t n)
{
    for (Var *v = vars; v; v = v->next)
        if (strlen(v->name) == n && !strncmp(v->name, name, n)) return v;
    return 0;
}

static void setvar(const char *name, const char *value, int export)
{
    Var *v = findvar(name, strlen(name));
    if (!v) {
        v = xmalloc(sizeof *v);
        v->name = xstrndup(name, strlen(name));
        v->value = 0;
        v->exported = 0;
        v->next = vars;
        vars = v;
    }
    if (value) { free(v->value); v->value = xstrndup(value, strlen(value)); }
    if (export) v->exported = 1;
}

static char **build_env(void)
{
    Vec e = {0};
    vpush(&e, 0);
    e.n = 0;
    for (Var *v = vars; v; v = v->next) {
        if (!v->exported || !v->value) continue;
        Str b = {0};
        sapp(&b, v->name);
        sadd(&b, '=');
        sapp(&b, v->value);
        vpush(&e, sdone(&b));
    }
    return e.v;
}

static int is_name_start(int c) { return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
static int is_name_char(int c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

/* ---- lexer ------------------------------------------------------------ */

enum { T_EOF, T_WORD, T_NL, T_SEMI, T_AND, T_OR, T_PIPE, T_LP, T_RP, T_REDIR, T_BANG };
enum { R_IN, R_OUT, R_APP, R_DUP };

typedef struct { int type; char *text; int fd, kind; } Tok;

static const char *src;
static Tok peeked;
static int have_peek;
static int syntax_error;

/* p points just after "$(": returns the matching ')' (or the end). */
static const char *skip_paren(const char *p)
{
    int depth = 1;
    while (*p) {
        if (*p == '\\' && p[1]) { p += 2; continue; }
        if (*p == '\'') { p++; while (*p && *p != '\'') p++; if (*p) p++; continue; }
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1]) p += 2;
                else if (*p == '$' && p[1] == '(') { p = skip_paren(p + 2); if (*p) p++; }
                else p++;
            }
            if (*p) p++;
            continue;
        }
        if (*p == '(') depth++;
        if (*p == ')' && --depth == 0) return p;
        p++;
    }
    return p;
}

static int is_meta(char c) { return strchr(" \t\n;&|()<>", c) != 0; }

static char *lex_word(void)
{
    const char *start = src;
    while (*src && !is_meta(*src)) {
        if (*src == '\\' && src[1]) src += 2;
        else if (*src == '\'') { src++; while (*src && *src != '\'') src++; if (*src) src++; else syntax_error = 1; }
        else if (*src == '"') {
            src++;
            while (*src && *src != '"') {
                if (*src == '\\' && src[1]) src += 2;
                else if (*src == '$' && src[1] == '(') { src = skip_paren(src + 2); if (*src) src++; }
                else src++;
            }
            if (*src) src++; else syntax_error = 1;
        } else if (*src == '$' && src[1] == '(') {
            src = skip_paren(src + 2);
            if (*src) src++; else syntax_error = 1;
        } else if (*src == '$' && src[1] == '{') {
            while (*src && *src != '}') src++;
            if (*src) src++;
        } else src++;
    }
    return xstrndup(start, src - start);
}

static Tok lex(void)
{
    Tok t = {0};
    for (;;) {
        while (*src == ' ' || *src == '\t') src++;
        if (*src == '\\' && src[1] == '\n') { src += 2; continue; }
        if (*src == '#') { while (*src && *src != '\n') src++; }
        break;
    }
    char c = *src;
    if (!c) { t.type = T_EOF; return t; }
    if (c == '\n') { src++; t.type = T_NL; return t; }
    if (c == ';') { src++; t.type = T_SEMI; return t; }
    if (c == '(') { src++; t.type = T_LP; return t; }
    if (c == ')') { src++; t.type = T_RP; return t; }
    if (c == '&' && src[1] == '&') { src += 2; t.type = T_AND; return t; }
    if (c == '|' && src[1] == '|') { src += 2; t.type = T_OR; return t; }
    if (c == '|') { src++; t.type = T_PIPE; return t; }
    if (c == '!' && (src[1] == ' ' || src[1] == '\t')) { src++; t.type = T_BANG; return t; }
    if (c == '&') { errmsg("background jobs are not supported"); syntax_error = 1; src++; t.type = T_EOF; return t; }
    int fd = -1;
    if (c >= '0' && c <= '9' && (src[1] == '<' || src[1] == '>')) { fd = c - '0'; src++; c = *src; }
    if (c == '<' || c == '>') {
        t.type = T_REDIR;
        src++;
        if (c == '<') { t.kind = R_IN; if (fd < 0) fd = 0; if (*src == '&') { t.kind = R_DUP; src++; } }
        else {
            if (fd < 0) fd = 1;
            if (*src == '>') { t.kind = R_APP; src++; }
            else if (*src == '&') { t.kind = R_DUP; src++; }
            else t.kind = R_OUT;
        }
        t.fd = fd;
        while (*src == ' ' || *src == '\t') src++;
        if (!*src || is_meta(*src)) { errmsg("redirection without a target"); syntax_error = 1; t.text = xstrndup("", 0); }
        else t.text = lex_word();
        return t;
    }
    t.type = T_WORD;
    t.text = lex_word();
    return t;
}

static Tok *peek(void) { if (!have_peek) { peeked = lex(); have_peek = 1; } return &peeked; }
static Tok next(void) { Tok t = *peek(); have_peek = 0; return t; }
static int peek_word(const char *w) { Tok *t = peek(); return t->type == T_WORD && !strcmp(t->text, w); }

/* ---- parser ----------------------------------------------------------- */

enum { N_CMD, N_PIPE, N_AND, N_OR, N_SEQ, N_SUB, N_FOR, N_WHILE, N_UNTIL, N_IF, N_NOT };

typedef struct Redir { int fd, kind; char *target; struct Redir *next; } Redir;
typedef struct Node {
    int kind;
    Vec words;                /* N_CMD: words; N_FOR: the list */
    struct Node *a, *b, *c;   /* children (cond/body/else, left/right) */
    struct Node **kids;       /* N_PIPE stages */
    int nkids;
    char *var;                /* N_FOR variable */
    Redir *redir;
} Node;

static Node *mk(int kind, Node *a, Node *b)
{
    Node *n = xmalloc(sizeof *n);
    memset(n, 0, sizeof *n);
    n->kind = kind;
    n->a = a;
    n->b = b;
    return n;
}

static Node *parse_list(void);

static void expect_word(const char *w)
{
    if (peek_word(w)) { next(); return; }
    if (!syntax_error) errmsg("syntax error: expected '%s'", w);
    syntax_error = 1;
}

static void skip_nl(void) { while (peek()->type == T_NL) next(); }
static void skip_sep(void) { while (peek()->type == T_NL || peek()->type == T_SEMI) next(); }

static Redir **redirs_tail(Node *n) { Redir **r = &n->redir; while (*r) r = &(*r)->next; return r; }

static void add_redir(Node *n, Tok t)
{
    Redir *r = xmalloc(sizeof *r);
    r->fd = t.fd;
    r->kind = t.kind;
    r->target = t.text;
    r->next = 0;
    *redirs_tail(n) = r;
}

static void parse_redirs(Node *n) { while (peek()->type == T_REDIR) add_redir(n, next()); }

static Node *parse_if_rest(void)
{
    Node *n = mk(N_IF, 0, 0);
    n->a = parse_list();
    expect_word("then");
    n->b = parse_list();
    if (peek_word("elif")) { next(); n->c = parse_if_rest(); return n; }
    if (peek_word("else")) { next(); n->c = parse_list(); }
    expect_word("fi");
    return n;
}

static Node *parse_command(void)
{
    Tok *t = peek();
    Node *n;
    if (t->type == T_LP) {
        next();
        n = mk(N_SUB, parse_list(), 0);
        if (peek()->type != T_RP) { if (!syntax_error) errmsg("syntax error: expected ')'"); syntax_error = 1; }
        else next();
    } else if (peek_word("for")) {
        next();
        n = mk(N_FOR, 0, 0);
        Tok v = next();
        if (v.type != T_WORD) { errmsg("syntax error: for without a name"); syntax_error = 1; return n; }
        n->var = v.text;
        skip_nl();
        expect_word("in");
        while (peek()->type == T_WORD) vpush(&n->words, next().text);
        skip_sep();
        expect_word("do");
        n->a = parse_list();
        expect_word("done");
    } else if (peek_word("while") || peek_word("until")) {
        n = mk(peek_word("while") ? N_WHILE : N_UNTIL, 0, 0);
        next();
        n->a = parse_list();
        expect_word("do");
        n->b = parse_list();
        expect_word("done");
    } else if (peek_word("if")) {
        next();
        n = parse_if_rest();
    } else {
        n = mk(N_CMD, 0, 0);
        while (peek()->type == T_WORD || peek()->type == T_REDIR) {
            Tok w = next();
            if (w.type == T_WORD) vpush(&n->words, w.text);
            else add_redir(n, w);
        }
        if (!n->words.n && !n->redir && !syntax_error) {
            errmsg("syntax error near unexpected token");
            syntax_error = 1;
            next();
        }
        return n;
    }
    parse_redirs(n);
    return n;
}

static Node *parse_pipeline(void)
{
    int bang = 0;
    if (peek()->type == T_BANG) { next(); bang = 1; }
    Node *first = parse_command();
    Node *n = first;
    if (peek()->type == T_PIPE) {
        n = mk(N_PIPE, 0, 0);
        Node **k = xmalloc(sizeof *k);
        int cnt = 1;
        k[0] = first;
        while (peek()->type == T_PIPE && !syntax_error) {
            next();
            skip_nl();
            Node **nk = xmalloc((cnt + 1) * sizeof *nk);
            memcpy(nk, k, cnt * sizeof *nk);
            free(k);
            k = nk;
            k[cnt++] = parse_command();
        }
        n->kids = k;
        n->nkids = cnt;
    }
    return bang ? mk(N_NOT, n, 0) : n;
}

static Node *parse_and_or(void)
{
    Node *n = parse_pipeline();
    while ((peek()->type == T_AND || peek()->type == T_OR) && !syntax_error) {
        int kind = next().type == T_AND ? N_AND : N_OR;
        skip_nl();
        n = mk(kind, n, parse_pipeline());
    }
    return n;
}

static int is_terminator(Tok *t)
{
    static const char *const kw[] = {"then", "else", "elif", "fi", "do", "done", 0};
    if (t->type == T_EOF || t->type == T_RP) return 1;
    if (t->type != T_WORD) return 0;
    for (int i = 0; kw[i]; i++) if (!strcmp(t->text, kw[i])) return 1;
    return 0;
}

static Node *parse_list(void)
{
    Node *res = 0;
    for (;;) {
        skip_sep();
        if (is_terminator(peek()) || syntax_error) break;
        Node *n = parse_and_or();
        res = res ? mk(N_SEQ, res, n) : n;
        int t = peek()->type;
        if (t != T_SEMI && t != T_NL) break;
    }
    return res ? res : mk(N_CMD, 0, 0);
}

/* Parses a whole program; NULL on a syntax error. */
static Node *parse_program(const char *text)
{
    const char *saved_src = src;
    Tok saved_peek = peeked;
    int saved_have = have_peek;
    src = text;
    have_peek = 0;
    syntax_error = 0;
    Node *n = parse_list();
    if (peek()->type != T_EOF && !syntax_error) { errmsg("syntax error: unexpected token"); syntax_error = 1; }
    int bad = syntax_error;
    src = saved_src;
    peeked = saved_peek;
    have_peek = saved_have;
    syntax_error = 0;
    return bad ? 0 : n;
}

/* ---- execution -------------------------------------------------------- */

static int run(Node *n);
static int exec_cmd(Node *n, int in_child);
static int breaking, continuing, loop_depth;
static int subst_status; /* status of the last command substitution */

static int wait_status(pid_t pid)
{
    int st;
    while (waitpid(pid, &st, 0) < 0)
        if (errno != EINTR) return 127;
    if (WIFEXITED(st)) return WEXITSTATUS(st);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return 127;
}

/* Runs a parsed program text in a child with stdout into a pipe; returns
 * what it printed, trailing newlines removed. */
static char *command_subst(const char *text)
{
    int p[2];
    if (pipe(p) < 0) { errmsg("pipe: %s", strerror(errno)); return xstrndup("", 0); }
    pid_t pid = fork();
    if (pid < 0) { errmsg("fork: %s", strerror(errno)); close(p[0]); close(p[1]); return xstrndup("", 0); }
    if (pid == 0) {
        close(p[0]);
        if (p[1] != 1) { dup2(p[1], 1); close(p[1]); }
        Node *n = parse_program(text);
        _exit(n ? run(n) : 2);
    }
    close(p[1]);
    Str b = {0};
    char buf[512];
    for (;;) {
        ssize_t r = read(p[0], buf, sizeof buf);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        for (ssize_t i = 0; i < r; i++) sadd(&b, buf[i]);
    }
    close(p[0]);
    subst_status = wait_status(pid);
    while (b.len > 0 && b.s[b.len - 1] == '\n') b.s[--b.len] = 0;
    return sdone(&b);
}

/* *pp points at '$': returns the expansion and advances past it. */
static char *dollar(const char **pp)
{
    const char *p = *pp + 1;
    char num[32];
    if (*p == '(') {
        const char *end = skip_paren(p + 1);
        char *inner = xstrndup(p + 1, end - (p + 1));
        *pp = *end ? end + 1 : end;
        char *r = command_subst(inner);
        free(inner);
        return r;
    }
    if (*p == '{') {
        const char *end = strchr(p, '}');
        if (!end) end = p + strlen(p);
        *pp = *end ? end + 1 : end;
        Var *v = findvar(p + 1, end - (p + 1));
        return xstrndup(v && v->value ? v->value : "", v && v->value ? strlen(v->value) : 0);
    }
    if (*p == '?') { *pp = p + 1; snprintf(num, sizeof num, "%d", last_status); return xstrndup(num, strlen(num)); }
    if (*p == '#') { *pp = p + 1; snprintf(num, sizeof num, "%d", npos); return xstrndup(num, strlen(num)); }
    if (*p >= '0' && *p <= '9') {
        *pp = p + 1;
        int i = *p - '0';
        const char *s = i == 0 ? "minish" : i <= npos ? pos_args[i - 1] : "";
        return xstrndup(s, strlen(s));
    }
    if (is_name_start(*p)) {
        const char *e = p;
        while (is_name_char(*e)) e++;
        *pp = e;
        Var *v = findvar(p, e - p);
        return xstrndup(v && v->value ? v->value : "", v && v->value ? strlen(v->value) : 0);
    }
    *pp = p;
    return xstrndup("$", 1);
}

/* Expands one word: quotes removed, $ expansions done; with `split`,
 * unquoted expansion results are split at blanks into several fields. */
static void expand(const char *s, Vec *out, int split)
{
    Str cur = {0};
    int have = 0;
    while (*s) {
        char c = *s;
        if (c == '\'') {
            s++;
            have = 1;
            while (*s && *s != '\'') sadd(&cur, *s++);
            if (*s) s++;
        } else if (c == '"') {
            s++;
            have = 1;
            while (*s && *s != '"') {
                if (*s == '\\' && s[1] && strchr("$`\"\\\n", s[1])) { sadd(&cur, s[1]); s += 2; }
                else if (*s == '$') { char *v = dollar(&s); sapp(&cur, v); free(v); }
                else sadd(&cur, *s++);
            }
            if (*s) s++;
        } else if (c == '\\') {
            if (s[1]) { sadd(&cur, s[1]); have = 1; s += 2; }
            else s++;
        } else if (c == '$') {
            char *v = dollar(&s);
            if (!split) { sapp(&cur, v); have = 1; }
            else {
                for (char *q = v; *q; q++) {
                    if (*q == ' ' || *q == '\t' || *q == '\n') {
                        if (have || cur.len) vpush(out, sdone(&cur));
                        have = 0;
                    } else { sadd(&cur, *q); have = 1; }
                }
            }
            free(v);
        } else { sadd(&cur, c); s++; have = 1; }
    }
    if (have || cur.len || !split) vpush(out, sdone(&cur));
}

static char *expand1(const char *s)
{
    Vec v = {0};
    expand(s, &v, 0);
    return v.n ? v.v[0] : xstrndup("", 0);
}

/* Applies redirections; when `saved` is given, records (fd, copy) pairs so
 * that restore_redirs can undo them. Returns 0, or -1 after a message. */
static int apply_redirs(Redir *r, Vec *saved)
{
    for (; r; r = r->next) {
        char *target = expand1(r->target);
        int fd;
        if (r->kind == R_DUP) {
            char *end;
            long to = strtol(target, &end, 10);
            if (*target == 0 || *end || to < 0 || to > 255) { errmsg("%s: bad file descriptor", target); return -1; }
            fd = (int)to;
            if (fcntl(fd, F_GETFD) < 0) { errmsg("%d: bad file descriptor", fd); return -1; }
        } else {
            int flags = r->kind == R_IN ? O_RDONLY : r->kind == R_APP ? O_WRONLY | O_CREAT | O_APPEND : O_WRONLY | O_CREAT | O_TRUNC;
            fd = open(target, flags, 0644);
            if (fd < 0) { errmsg("%s: %s", target, strerror(errno)); return -1; }
        }
        if (saved) {
            int copy = fcntl(r->fd, F_DUPFD_CLOEXEC, 10);
            char *rec = xmalloc(32);
            snprintf(rec, 32, "%d %d", r->fd, copy);
            vpush(saved, rec);
        }
        if (fd != r->fd) {
            dup2(fd, r->fd);
            if (r->kind != R_DUP) close(fd);
        }
        free(target);
    }
    return 0;
}

static void restore_redirs(Vec *saved)
{
    for (int i = saved->n - 1; i >= 0; i--) {
        int fd, copy;
        if (sscanf(saved->v[i], "%d %d", &fd, &copy) != 2) continue;
        if (copy >= 0) { dup2(copy, fd); close(copy); }
        else close(fd);
        free(saved->v[i]);
    }
    saved->n = 0;
}

static int run_pipeline(Node *n)
{
    int prev = -1;
    pid_t *pids = xmalloc(n->nkids * sizeof *pids);
    for (int i = 0; i < n->nkids; i++) {
        int p[2] = {-1, -1};
        if (i < n->nkids - 1 && pipe(p) < 0) { errmsg("pipe: %s", strerror(errno)); p[0] = p[1] = -1; }
        pid_t pid = fork();
        if (pid == 0) {
            if (prev >= 0) { dup2(prev, 0); close(prev); }
            if (p[1] >= 0) { close(p[0]); dup2(p[1], 1); close(p[1]); }
            Node *k = n->kids[i];
            _exit(k->kind == N_CMD ? exec_cmd(k, 1) : run(k));
        }
        if (pid < 0) errmsg("fork: %s", strerror(errno));
        pids[i] = pid;
        if (prev >= 0) close(prev);
        if (p[1] >= 0) close(p[1]);
        prev = p[0];
    }
    if (prev >= 0) close(prev);
    int st = 0;
    for (int i = 0; i < n->nkids; i++) {
        int s = pids[i] > 0 ? wait_status(pids[i]) : 127;
        if (i == n->nkids - 1) st = s;
    }
    free(pids);
    return st;
}

static int is_assignment(const char *w)
{
    if (!is_name_start(*w)) return 0;
    while (is_name_char(*w)) w++;
    return *w == '=';
}

static void exec_external(char **argv)
{
    char **envp = build_env();
    if (strchr(argv[0], '/')) {
        execve(argv[0], argv, envp);
        errmsg("%s: %s", argv[0], strerror(errno));
        _exit(errno == ENOENT ? 127 : 126);
    }
    Var *pv = findvar("PATH", 4);
    const char *path = pv && pv->value ? pv->value : "/bin:/usr/bin";
    int denied = 0;
    while (1) {
        const char *colon = strchr(path, ':');
        size_t len = colon ? (size_t)(colon - path) : strlen(path);
        Str b = {0};
        if (len == 0) sadd(&b, '.');
        else for (size_t i = 0; i < len; i++) sadd(&b, path[i]);
        sadd(&b, '/');
        sapp(&b, argv[0]);
        char *full = sdone(&b);
        execve(full, argv, envp);
        if (errno == EACCES) denied = 1;
        free(full);
        if (!colon) break;
        path = colon + 1;
    }
    errmsg("%s: %s", argv[0], denied ? "permission denied" : "not found");
    _exit(denied ? 126 : 127);
}

static int builtin_read(char **argv)
{
    Str line = {0};
    char c;
    int got = 0;
    for (;;) {
        ssize_t r = read(0, &c, 1);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) break;
        got = 1;
        if (c == '\n') break;
        sadd(&line, c);
    }
    char *s = sdone(&line);
    char *p = s;
    for (int i = 1; argv[i]; i++) {
        while (*p == ' ' || *p == '\t') p++;
        char *start = p;
        if (argv[i + 1]) { while (*p && *p != ' ' && *p != '\t') p++; }
        else { p += strlen(p); while (p > start && (p[-1] == ' ' || p[-1] == '\t')) p--; }
        char *val = xstrndup(start, p - start);
        setvar(argv[i], val, 0);
        free(val);
        if (*p && argv[i + 1]) p++;
    }
    free(s);
    return got ? 0 : 1;
}

static int is_builtin(const char *c)
{
    static const char *const names[] = {"true", "false", ":", "echo", "pwd", "cd", "exit",
                                        "export", "break", "continue", "read", 0};
    for (int i = 0; names[i]; i++) if (!strcmp(c, names[i])) return 1;
    return 0;
}

/* Runs a builtin if argv[0] names one; returns -1 otherwise. */
static int builtin(char **argv, int argc)
{
    const char *c = argv[0];
    if (!strcmp(c, "true") || !strcmp(c, ":")) return 0;
    if (!strcmp(c, "false")) return 1;
    if (!strcmp(c, "echo")) {
        Str b = {0};
        int i = 1, nl = 1;
        if (argv[1] && !strcmp(argv[1], "-n")) { nl = 0; i = 2; }
        for (int first = 1; i < argc; i++, first = 0) { if (!first) sadd(&b, ' '); sapp(&b, argv[i]); }
        if (nl) sadd(&b, '\n');
        char *s = sdone(&b);
        write_all(1, s, strlen(s));
        free(s);
        return 0;
    }
    if (!strcmp(c, "pwd")) {
        char buf[4096];
        if (!getcwd(buf, sizeof buf - 1)) { errmsg("pwd: %s", strerror(errno)); return 1; }
        strcat(buf, "\n");
        write_all(1, buf, strlen(buf));
        return 0;
    }
    if (!strcmp(c, "cd")) {
        Var *home = findvar("HOME", 4);
        const char *d = argc > 1 ? argv[1] : home && home->value ? home->value : "/";
        if (chdir(d) < 0) { errmsg("cd: %s: %s", d, strerror(errno)); return 1; }
        return 0;
    }
    if (!strcmp(c, "exit")) exit(argc > 1 ? atoi(argv[1]) & 255 : last_status);
    if (!strcmp(c, "export")) {
        for (int i = 1; i < argc; i++) {
            char *eq = strchr(argv[i], '=');
            if (eq) { *eq = 0; setvar(argv[i], eq + 1, 1); *eq = '='; }
            else setvar(argv[i], 0, 1);
        }
        return 0;
    }
    if (!strcmp(c, "break") || !strcmp(c, "continue")) {
        if (!loop_depth) return 0;
        int levels = argc > 1 ? atoi(argv[1]) : 1;
        if (levels < 1) levels = 1;
        if (levels > loop_depth) levels = loop_depth;
        if (c[0] == 'b') breaking = levels; else { breaking = levels - 1; continuing = 1; }
        return 0;
    }
    if (!strcmp(c, "read")) return builtin_read(argv);
    return -1;
}

/* A simple command. `in_child`: this process may be replaced (a pipeline
 * stage), so an external command is exec'd without another fork. */
static int exec_cmd(Node *n, int in_child)
{
    Vec argv = {0}, assigns = {0};
    int i = 0;
    subst_status = 0;
    for (; i < n->words.n && is_assignment(n->words.v[i]); i++) vpush(&assigns, n->words.v[i]);
    for (; i < n->words.n; i++) expand(n->words.v[i], &argv, 1);
    if (argv.n == 0) {
        for (int j = 0; j < assigns.n; j++) {
            char *eq = strchr(assigns.v[j], '=');
            char *name = xstrndup(assigns.v[j], eq - assigns.v[j]);
            char *val = expand1(eq + 1);
            setvar(name, val, 0);
            free(name);
            free(val);
        }
        Vec saved = {0};
        int bad = apply_redirs(n->redir, &saved);
        restore_redirs(&saved);
        return bad ? 1 : subst_status;
    }
    if (is_builtin(argv.v[0])) {
        Vec saved = {0};
        if (apply_redirs(n->redir, &saved) < 0) { restore_redirs(&saved); return 1; }
        int st = builtin(argv.v, argv.n);
        restore_redirs(&saved);
        return st;
    }
    pid_t pid = in_child ? 0 : fork();
    if (pid < 0) { errmsg("fork: %s", strerror(errno)); return 127; }
    if (pid == 0) {
        for (int j = 0; j < assigns.n; j++) {
            char *eq = strchr(assigns.v[j], '=');
            char *name = xstrndup(assigns.v[j], eq - assigns.v[j]);
            setvar(name, expand1(eq + 1), 1);
        }
        if (apply_redirs(n->redir, 0) < 0) _exit(1);
        exec_external(argv.v);
    }
    return wait_status(pid);
}

static int run_loop_body(Node *body, int *st)
{
    loop_depth++;
    *st = run(body);
    loop_depth--;
    /* break N leaves N loops; continue N leaves N-1 and continues the Nth */
    if (breaking) { breaking--; return 1; }
    continuing = 0;
    return 0;
}

static int run_compound(Node *n)
{
    int st = 0;
    switch (n->kind) {
    case N_CMD: return exec_cmd(n, 0);
    case N_PIPE: return run_pipeline(n);
    case N_NOT: return run(n->a) ? 0 : 1;
    case N_SEQ: run(n->a); if (breaking || continuing) return last_status; return run(n->b);
    case N_AND: st = run(n->a); return st == 0 && !breaking && !continuing ? run(n->b) : st;
    case N_OR: st = run(n->a); return st != 0 && !breaking && !continuing ? run(n->b) : st;
    case N_SUB: {
        pid_t pid = fork();
        if (pid == 0) { loop_depth = 0; _exit(run(n->a)); }
        if (pid < 0) { errmsg("fork: %s", strerror(errno)); return 127; }
        return wait_status(pid);
    }
    case N_IF:
        if (run(n->a) == 0) return run(n->b);
        return n->c ? run(n->c) : 0;
    case N_WHILE:
    case N_UNTIL:
        for (;;) {
            int c = run(n->a);
            if ((c == 0) != (n->kind == N_WHILE)) break;
            if (run_loop_body(n->b, &st)) break;
        }
        return st;
    case N_FOR: {
        Vec words = {0};
        for (int i = 0; i < n->words.n; i++) expand(n->words.v[i], &words, 1);
        for (int i = 0; i < words.n; i++) {
            setvar(n->var, words.v[i], 0);
            if (run_loop_body(n->a, &st)) break;
        }
        return st;
    }
    }
    return 2;
}

static int run(Node *n)
{
    int st;
    if (n->kind != N_CMD && n->redir) {
        Vec saved = {0};
        if (apply_redirs(n->redir, &saved) < 0) st = 1;
        else st = run_compound(n);
        restore_redirs(&saved);
    } else st = run_compound(n);
    last_status = st;
    return st;
}

static char *read_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return 0;
    Str b = {0};
    char buf[4096];
    ssize_t r;
    while ((r = read(fd, buf, sizeof buf)) > 0)
        for (ssize_t i = 0; i < r; i++) sadd(&b, buf[i]);
    close(fd);
    return sdone(&b);
}

int main(int argc, char **argv)
{
    for (char **e = environ; *e; e++) {
        char *eq = strchr(*e, '=');
        if (!eq) continue;
        char *name = xstrndup(*e, eq - *e);
        setvar(name, eq + 1, 1);
        free(name);
    }
    char *text;
    int first_arg;
    if (argc >= 3 && !strcmp(argv[1], "-c")) { text = argv[2]; first_arg = 3; }
    else if (argc >= 2) {
        text = read_file(argv[1]);
        if (!text) { errmsg("%s: %s", argv[1], strerror(errno)); return 127; }
        first_arg = 2;
    } else { errmsg("usage: minish SCRIPT [ARGS] | minish -c STRING [ARGS]"); return 2; }
    pos_args = argv + first_arg;
    npos = argc - first_arg;
    Node *prog = parse_program(text);
    if (!prog) return 2;
    return run(prog);
}
