//! The `vm` command line: every user error is one line `vm: error: ...`
//! with status 1 (clap's usage errors: status 2), never a panic; and a few
//! end-to-end runs check how the guest's ending becomes the VM's.

mod common;

use common::{SYSROOT, compile_snippet, stderr, vm, vm_run};
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::Output;

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("vm-cli-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Assert `o` is a one-line `vm: error:` with status 1 containing `needle`.
fn assert_error(o: &Output, needle: &str) {
    let err = stderr(o);
    assert_eq!(o.status.code(), Some(1), "stderr: {err}");
    assert!(err.starts_with("vm: error: "), "stderr: {err}");
    assert_eq!(err.lines().count(), 1, "one line expected: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn missing_file() {
    let o = vm(&["run", "/nonexistent/dir/prog"]);
    assert_error(&o, "/nonexistent/dir/prog");
    assert!(stderr(&o).contains("No such file"));
}

#[test]
fn not_elf() {
    let d = scratch("notelf");
    let p = d.join("script.sh");
    std::fs::write(&p, "#!/bin/sh\necho hi\n").unwrap();
    let o = vm(&["run", p.to_str().unwrap()]);
    std::fs::remove_dir_all(&d).ok();
    assert_error(&o, "is not an ELF file");
}

#[test]
fn x86_64_elf() {
    let host = Path::new("/bin/true");
    if !host.exists() {
        assert!(std::env::var_os("CI").is_none(), "/bin/true missing");
        return;
    }
    let o = vm(&["run", "/bin/true"]);
    assert_error(&o, "x86-64 ELF, not RISC-V");
}

#[test]
fn truncated_elf() {
    let d = scratch("trunc");
    let p = d.join("trunc");
    let mut bytes = vec![0x7f, b'E', b'L', b'F', 2, 1, 1];
    bytes.resize(40, 0);
    std::fs::write(&p, &bytes).unwrap();
    let o = vm(&["run", p.to_str().unwrap()]);
    std::fs::remove_dir_all(&d).ok();
    assert_error(&o, "truncated ELF");
}

#[test]
fn bad_flag() {
    let o = vm(&["run", "--no-such-flag", "prog"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("--no-such-flag"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn bad_engine() {
    let o = vm(&["run", "--engine", "turbo", "prog"]);
    assert_eq!(o.status.code(), Some(2));
    let err = stderr(&o);
    assert!(err.contains("turbo") && err.contains("interp"), "{err}");
}

#[test]
fn malformed_env_option() {
    let o = vm(&["run", "-E", "NOVALUE", "/bin/true"]);
    assert_error(&o, "-E expects VAR=VALUE");
}

// ---- End-to-end runs (need the riscv64 cross compiler) ----

/// Compiles the C program `src` with `flags` in a scratch directory, hands
/// the executable to `run` (which runs it under `vm`) and removes the
/// directory; `None` when the cross compiler is missing outside CI.
fn run_snippet<T>(
    name: &str,
    src: &str,
    flags: &[&str],
    run: impl FnOnce(&Path) -> T,
) -> Option<T> {
    let d = scratch(name);
    let result = compile_snippet(&d, name, src, flags).map(|exe| run(&exe));
    std::fs::remove_dir_all(&d).ok();
    result
}

const ARGS_ENV: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    for (int i = 1; i < argc; i++) printf("arg %s\n", argv[i]);
    const char *a = getenv("VM_T_A"), *b = getenv("VM_T_B");
    printf("A=%s B=%s\n", a ? a : "-", b ? b : "-");
    return 42;
}
"#;

#[test]
fn guest_args_env_and_exit_status() {
    let Some(o) = run_snippet("args", ARGS_ENV, &["-static"], |exe| {
        vm_run(
            &["-E", "VM_T_A=x", "-U", "VM_T_B"],
            exe,
            &["--strace", "-v"],
        )
        .env("VM_T_B", "host")
        .output()
        .unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.code(), Some(42), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "arg --strace\narg -v\nA=x B=-\n"
    );
    // `--strace` after the program went to the guest, not the VM.
    assert!(!stderr(&o).contains("exit_group"), "{}", stderr(&o));
}

const CRASH: &str = r#"
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char **argv) {
    if (argc > 1) { volatile int *p = (int *)0; *p = 1; }
    abort();
}
"#;

#[test]
fn guest_death_by_signal() {
    let Some((abort, segv)) = run_snippet("crash", CRASH, &["-static"], |exe| {
        let abort = vm_run(&[], exe, &[]).output().unwrap();
        let segv = vm_run(&[], exe, &["x"]).output().unwrap();
        (abort, segv)
    }) else {
        return;
    };
    assert_eq!(abort.status.signal(), Some(SIGABRT), "{}", stderr(&abort));
    assert_eq!(segv.status.signal(), Some(SIGSEGV), "{}", stderr(&segv));
    let err = stderr(&segv);
    assert!(
        err.starts_with("vm: guest killed by SIGSEGV at pc 0x")
            && err.contains("write to unmapped address 0x0"),
        "{err}"
    );
}

/// SIGSEGV's number on Linux.
const SIGSEGV: i32 = 11;
/// SIGPIPE's number on Linux.
const SIGPIPE: i32 = 13;
/// SIGTERM's number on Linux.
const SIGTERM: i32 = 15;
/// SIGABRT's number on Linux.
const SIGABRT: i32 = 6;

#[test]
fn strace_and_stats() {
    let Some(o) = run_snippet("strace", "int main(void){return 0;}", &["-static"], |exe| {
        vm_run(&["--strace", "--stats"], exe, &[]).output().unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.code(), Some(0));
    let err = stderr(&o);
    let pid = o
        .status
        .code()
        .map(|_| ())
        .and(err.split_whitespace().next())
        .unwrap_or("");
    assert!(pid.parse::<u32>().is_ok(), "{err}");
    assert!(err.contains(&format!("{pid} exit_group(0)")), "{err}");
    assert!(err.contains(" brk(0x0) = 0x"), "{err}");
    assert!(err.contains("vm: stats: engine tiered: "), "{err}");
    assert!(err.contains("guest instructions"), "{err}");
}

#[test]
fn dynamic_program_needs_sysroot() {
    let Some((without, with)) = run_snippet("dyn", ARGS_ENV, &[], |exe| {
        let without = vm_run(&["-L", "/nonexistent-sysroot"], exe, &[])
            .output()
            .unwrap();
        let with = vm_run(&["-L", SYSROOT], exe, &["a"]).output().unwrap();
        (without, with)
    }) else {
        return;
    };
    assert_error(
        &without,
        "program interpreter '/lib/ld-linux-riscv64-lp64d.so.1' not found",
    );
    assert_eq!(with.status.code(), Some(42), "{}", stderr(&with));
    assert!(String::from_utf8_lossy(&with.stdout).starts_with("arg a\n"));
}

const FORK_EXEC: &str = r#"
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
#include <spawn.h>
extern char **environ;
int main(int argc, char **argv) {
    if (argc > 1) { printf("exec'd argv0=%s arg=%s env=%s\n", argv[0], argv[1], getenv("FT")); return 7; }
    setvbuf(stdout, NULL, _IONBF, 0);
    int st;
    pid_t p = fork();
    if (p == 0) _exit(5);
    waitpid(p, &st, 0);
    printf("fork child exited %d\n", WEXITSTATUS(st));
    p = fork();
    if (p == 0) {
        char *av[] = {"zeroth", "hello", NULL}, *ev[] = {"FT=yes", NULL};
        execve("/proc/self/exe", av, ev);
        _exit(99);
    }
    waitpid(p, &st, 0);
    printf("exec child exited %d\n", WEXITSTATUS(st));
    char *av[] = {"spawned", "x", NULL};
    if (posix_spawn(&p, argv[0], NULL, NULL, av, environ) == 0) {
        waitpid(p, &st, 0);
        printf("spawn child exited %d\n", WEXITSTATUS(st));
    }
    char *bad[] = {"x", NULL};
    execve("/nonexistent/prog", bad, environ);
    printf("execve missing: %s\n", errno == ENOENT ? "ENOENT" : "other");
    return 0;
}
"#;

#[test]
fn fork_execve_and_posix_spawn() {
    let Some(o) = run_snippet("fork", FORK_EXEC, &["-static"], |exe| {
        vm_run(&[], exe, &[]).env_remove("FT").output().unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "fork child exited 5\n\
         exec'd argv0=zeroth arg=hello env=yes\n\
         exec child exited 7\n\
         exec'd argv0=spawned arg=x env=(null)\n\
         spawn child exited 7\n\
         execve missing: ENOENT\n"
    );
}

const SIGNALS: &str = r#"
#include <stdio.h>
#include <signal.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <ucontext.h>
static sigjmp_buf jb;
static volatile int got;
static void on_usr1(int s, siginfo_t *si, void *uc) { got = s; printf("usr1 code=%d\n", si->si_code); }
static void on_segv(int s, siginfo_t *si, void *uc) { printf("segv at %p\n", si->si_addr); siglongjmp(jb, 1); }
static void on_ill(int s, siginfo_t *si, void *ucv) { ucontext_t *uc = ucv; uc->uc_mcontext.__gregs[0] += 2; printf("sigill\n"); }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa; memset(&sa, 0, sizeof sa);
    sa.sa_flags = SA_SIGINFO;
    sa.sa_sigaction = on_usr1; sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1); printf("after raise got=%d\n", got);
    sigset_t m; sigemptyset(&m); sigaddset(&m, SIGUSR1); sigprocmask(SIG_BLOCK, &m, NULL);
    got = 0; kill(getpid(), SIGUSR1); printf("blocked got=%d\n", got);
    sigprocmask(SIG_UNBLOCK, &m, NULL); printf("unblocked got=%d\n", got);
    sa.sa_sigaction = on_segv; sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(jb, 1) == 0) *(volatile int *)16 = 1;
    if (sigsetjmp(jb, 1) == 0) *(volatile int *)32 = 1;
    sa.sa_sigaction = on_ill; sigaction(SIGILL, &sa, NULL);
    __asm__ volatile(".2byte 0" ::: "memory");
    printf("after ill\n");
    signal(SIGTERM, SIG_DFL);
    raise(SIGTERM);
    return 0;
}
"#;

#[test]
fn signal_handlers_frames_and_sigreturn() {
    let Some(o) = run_snippet("signals", SIGNALS, &["-static"], |exe| {
        vm_run(&[], exe, &[]).output().unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.signal(), Some(SIGTERM), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "usr1 code=-6\n\
         after raise got=10\n\
         blocked got=0\n\
         usr1 code=0\n\
         unblocked got=10\n\
         segv at 0x10\n\
         segv at 0x20\n\
         sigill\n\
         after ill\n"
    );
    // A signal the guest raised on itself is not a VM diagnostic.
    assert_eq!(stderr(&o), "");
}

const ASYNC_SIGNALS: &str = r#"
#include <stdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>
#include <errno.h>
#include <sys/wait.h>
static volatile int alarms, ints;
static void on_alrm(int s) { alarms++; }
static void on_int(int s) { ints++; }
int main(void) {
    setvbuf(stdout, NULL, _IONBF, 0);
    signal(SIGALRM, on_alrm);
    ualarm(20000, 0); pause(); printf("pause returned, alarms=%d\n", alarms);
    ualarm(20000, 0); while (alarms < 2) { } printf("busy loop saw alarm\n");
    struct sigaction sa; memset(&sa, 0, sizeof sa); sa.sa_handler = on_alrm; sigaction(SIGALRM, &sa, NULL);
    int p[2]; pipe(p); ualarm(20000, 0); char c;
    ssize_t r = read(p[0], &c, 1); printf("read -> %zd %s\n", r, errno == EINTR ? "EINTR" : "?");
    signal(SIGINT, on_int);
    pid_t ch = fork(); if (ch == 0) { kill(getppid(), SIGINT); _exit(0); }
    waitpid(ch, NULL, 0); while (!ints) usleep(1000); printf("got SIGINT from child\n");
    signal(SIGPIPE, SIG_IGN); close(p[0]);
    r = write(p[1], "x", 1); printf("write -> %zd %s\n", r, errno == EPIPE ? "EPIPE" : "?");
    signal(SIGPIPE, SIG_DFL); write(p[1], "x", 1);
    printf("not reached\n");
    return 0;
}
"#;

#[test]
fn host_signals_reach_guest_handlers() {
    let Some(o) = run_snippet("async", ASYNC_SIGNALS, &["-static"], |exe| {
        vm_run(&[], exe, &[]).output().unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.signal(), Some(SIGPIPE), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "pause returned, alarms=1\n\
         busy loop saw alarm\n\
         read -> -1 EINTR\n\
         got SIGINT from child\n\
         write -> -1 EPIPE\n"
    );
}

const THREADS: &str = r#"
#include <stdio.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>
#include <sys/syscall.h>
static atomic_long total;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static long plain, ready;
static void *work(void *arg) {
    long n = (long)arg;
    pthread_mutex_lock(&mu); ready++; pthread_cond_broadcast(&cv); pthread_mutex_unlock(&mu);
    for (long i = 0; i < 5000; i++) {
        atomic_fetch_add(&total, 1);
        pthread_mutex_lock(&mu); plain++; pthread_mutex_unlock(&mu);
    }
    return (void *)(syscall(SYS_gettid) != getpid() ? n * 10 : -1000);
}
int main(void) {
    pthread_t t[4]; long sum = 0;
    for (long i = 0; i < 4; i++) pthread_create(&t[i], NULL, work, (void *)i);
    pthread_mutex_lock(&mu); while (ready < 4) pthread_cond_wait(&cv, &mu); pthread_mutex_unlock(&mu);
    for (int i = 0; i < 4; i++) { void *r; pthread_join(t[i], &r); sum += (long)r; }
    printf("total %ld plain %ld ret %ld\n", (long)total, plain, sum);
    return 3;
}
"#;

#[test]
fn pthreads_share_memory_and_join() {
    let Some(o) = run_snippet("threads", THREADS, &["-static", "-pthread"], |exe| {
        vm_run(&[], exe, &[]).output().unwrap()
    }) else {
        return;
    };
    assert_eq!(o.status.code(), Some(3), "{}", stderr(&o));
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "total 20000 plain 20000 ret 60\n"
    );
}

/// `rdinstret` counts retired instructions exactly, the `ecall` of a system
/// call included (qemu-user reads host ticks here, so this cannot be a
/// differential guest test).
const INSTRET: &str = r#"
#include <stdio.h>
static inline unsigned long instret(void) {
    unsigned long v;
    __asm__ volatile("rdinstret %0" : "=r"(v));
    return v;
}
int main(void) {
    unsigned long a = instret();
    __asm__ volatile("li a7, 172\n ecall" ::: "a0", "a7");
    unsigned long b = instret();
    __asm__ volatile("nop\n nop\n nop");
    unsigned long c = instret();
    printf("%lu %lu\n", b - a, c - b);
    return 0;
}
"#;

#[test]
fn instret_counts_ecall_and_every_instruction() {
    // Without the cross compiler (outside CI) this checks nothing.
    run_snippet("instret", INSTRET, &["-static"], |exe| {
        for engine in common::ENGINES {
            let o = vm(&["run", "--engine", engine, exe.to_str().unwrap()]);
            assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
            // rdinstret, li, ecall | rdinstret, 3 nops.
            assert_eq!(
                String::from_utf8_lossy(&o.stdout),
                "3 4\n",
                "engine {engine}"
            );
        }
    });
}
