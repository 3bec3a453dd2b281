//! The sandbox options of `vm run` seen from outside, on the guest
//! programs in `tests/sandbox/`: `--max-insns` and `--timeout` stop a
//! spinning or blocked guest with their exit statuses under every engine,
//! `--max-memory` makes allocation fail near the cap, `--fs-root` keeps
//! every path inside the root, `--no-network` denies network sockets; and
//! the memory guarantee: wild loads, stores and jumps (address 0, unmapped,
//! past the 2^38-byte guest space, the top of the 64-bit space, host
//! addresses of the VM's own data and stack) end as a guest SIGSEGV naming
//! the address, under every engine.

mod common;

use common::host::finish_within;
use common::{ENGINES, stderr, stdout};
use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Exit statuses documented in the README.
const EXIT_TIMEOUT: i32 = 124;
const EXIT_INSNS: i32 = 125;
/// Longest any single VM run may take before the test gives up on it.
const RUN_LIMIT: Duration = Duration::from_secs(60);

fn work() -> PathBuf {
    common::target_tmp("sandbox-tests")
}

/// Compile `tests/sandbox/<name>.c` statically into `<out>`, or `None`
/// when the cross compiler is missing outside CI.
fn compile(name: &str, out: &str) -> Option<PathBuf> {
    let src = common::repo_path("tests/sandbox").join(format!("{name}.c"));
    common::compile_file(&src, &work().join(out), &["-static"])
}

/// Wait for `child` (at most RUN_LIMIT), collecting its output.
fn finish(child: Child) -> Output {
    finish_within(child, RUN_LIMIT).unwrap_or_else(|_| panic!("vm ran longer than {RUN_LIMIT:?}"))
}

/// Run `vm` with `args` in `dir`, stdin closed.
fn vm_in(dir: &Path, args: &[&str]) -> Output {
    let child = Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(args)
        .current_dir(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run vm: {e}"));
    finish(child)
}

fn vm(args: &[&str]) -> Output {
    std::fs::create_dir_all(work()).unwrap_or_else(|e| panic!("{e}"));
    vm_in(&work(), args)
}

fn s(p: &Path) -> &str {
    p.to_str().unwrap_or_default()
}

// ---- --max-insns ----

#[test]
fn instruction_limit_stops_a_spinning_guest_under_every_engine() {
    let Some(exe) = compile("spin", "spin-insns") else {
        return;
    };
    for engine in ENGINES {
        let o = vm(&[
            "run",
            "--engine",
            engine,
            "--stats",
            "--max-insns",
            "3000000",
            s(&exe),
        ]);
        let err = stderr(&o);
        assert_eq!(o.status.code(), Some(EXIT_INSNS), "{engine}: {err}");
        assert!(stdout(&o).contains("started spin"), "{engine}");
        assert!(
            err.contains("vm: instruction limit of 3000000 reached at pc 0x"),
            "{engine}: {err}"
        );
        // Prompt: the engine stops within a block of the limit.
        let executed: u64 = err
            .split("guest instructions")
            .next()
            .and_then(|h| h.rsplit(' ').nth(1))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no instruction count in {err}"));
        assert!(
            (2_999_000..=3_000_100).contains(&executed),
            "{engine}: {executed} instructions"
        );
    }
}

#[test]
fn instruction_limit_leaves_a_short_program_alone() {
    let Some(exe) = compile("net", "net-insns") else {
        return;
    };
    let o = vm(&["run", "--max-insns", "100000000", s(&exe)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("unixpair ok"));
    let o = vm(&["run", "--max-insns", "1000", s(&exe)]);
    assert_eq!(o.status.code(), Some(EXIT_INSNS), "{}", stderr(&o));
    assert!(stdout(&o).is_empty(), "stopped before main printed");
}

// ---- --timeout ----

/// Run `spin MODE` with `--timeout SECS`; assert status 124 and that it
/// ended within a few seconds of the limit, and return stderr.
fn timed_out(engine: &str, exe: &Path, mode: &str, secs: &str) -> String {
    let limit = Duration::from_secs_f64(secs.parse().unwrap_or(1.0));
    let started = Instant::now();
    let o = vm(&["run", "--engine", engine, "--timeout", secs, s(exe), mode]);
    let took = started.elapsed();
    let err = stderr(&o);
    assert_eq!(
        o.status.code(),
        Some(EXIT_TIMEOUT),
        "{engine} {mode}: {err}"
    );
    assert!(stdout(&o).contains(&format!("started {mode}")));
    assert!(
        took >= limit && took < limit + Duration::from_secs(8),
        "{engine} {mode}: took {took:?}"
    );
    let message = format!("vm: time limit of {secs} s reached");
    assert!(err.contains(&message), "{err}");
    err
}

#[test]
fn timeout_stops_a_spinning_guest_under_every_engine() {
    let Some(exe) = compile("spin", "spin-timeout") else {
        return;
    };
    for engine in ENGINES {
        // Long enough for the JIT to start the program on a loaded machine.
        let err = timed_out(engine, &exe, "spin", "2");
        assert!(err.contains("reached at pc 0x"), "{engine}: {err}");
    }
}

#[test]
fn timeout_stops_a_guest_blocked_in_a_system_call() {
    let Some(exe) = compile("spin", "spin-blocked") else {
        return;
    };
    for mode in ["read", "sleep"] {
        timed_out("tiered", &exe, mode, "0.5");
    }
}

// ---- --max-memory ----

#[test]
fn memory_cap_makes_allocation_fail_near_the_cap() {
    let Some(exe) = compile("alloc", "alloc") else {
        return;
    };
    let cap_kib: u64 = 64 << 10;
    for mode in ["malloc", "brk", "mmap"] {
        let o = vm(&["run", "--max-memory", "64M", s(&exe), mode]);
        assert_eq!(o.status.code(), Some(0), "{mode}: {}", stderr(&o));
        let out = stdout(&o);
        let got: u64 = out
            .trim()
            .strip_prefix("got ")
            .and_then(|r| r.strip_suffix(" KiB"))
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{mode}: {out}"));
        // Below the cap (the stack and program take ~9 MiB of it) but
        // most of what is left.
        assert!(got < cap_kib, "{mode}: got {got} KiB of {cap_kib}");
        assert!(got > cap_kib / 2, "{mode}: only {got} KiB of {cap_kib}");
    }
    // Without the cap the same program gets more than the cap gave.
    let o = vm(&["run", "--max-memory", "256M", s(&exe), "mmap"]);
    assert!(stdout(&o).contains("got "), "{}", stderr(&o));
    let more: u64 = stdout(&o)
        .split_whitespace()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(more > cap_kib, "256M cap gave {more} KiB");
}

#[test]
fn memory_cap_below_the_program_is_an_error() {
    let Some(exe) = compile("alloc", "alloc-small") else {
        return;
    };
    let o = vm(&["run", "--max-memory", "4K", s(&exe)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("vm: error: --max-memory 4096 is below"),
        "{}",
        stderr(&o)
    );
}

// ---- --no-network ----

#[test]
fn no_network_denies_network_sockets_but_not_unix_ones() {
    let Some(exe) = compile("net", "net") else {
        return;
    };
    let o = vm(&["run", "--no-network", s(&exe)]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let expected = "inet EACCES\ninet6 EACCES\nnetlink EACCES\npacket EACCES\n\
                    unix ok\nunixpair ok\ninetpair EACCES\n";
    assert_eq!(stdout(&o), expected);
    let o = vm(&["run", s(&exe)]);
    assert!(stdout(&o).starts_with("inet ok\n"), "{}", stdout(&o));
}

// ---- --fs-root ----

#[test]
fn fs_root_keeps_every_path_inside() {
    let Some(exe) = compile("fsroot", "fsroot") else {
        return;
    };
    let base = work().join(format!("fsroot-{}", std::process::id()));
    let root = base.join("root");
    let mk = |r: std::io::Result<()>| r.unwrap_or_else(|e| panic!("{e}"));
    std::fs::remove_dir_all(&base).ok();
    mk(std::fs::create_dir_all(root.join("etc")));
    mk(std::fs::create_dir_all(root.join("sub")));
    mk(std::fs::write(root.join("etc/passwd"), "inner\n"));
    mk(std::fs::write(base.join("outside"), "outer\n"));
    mk(std::os::unix::fs::symlink("/etc/passwd", root.join("abs")));
    mk(std::os::unix::fs::symlink("../../..", root.join("up")));
    mk(std::os::unix::fs::symlink("../outside", root.join("rel")));
    std::fs::copy(&exe, root.join("prog")).unwrap_or_else(|e| panic!("{e}"));

    // Started outside the root: the guest starts in its `/`.
    let o = vm_in(&base, &["run", "--fs-root", "root", "root/prog"]);
    let out = stdout(&o);
    assert_eq!(o.status.code(), Some(0), "{}\n{out}", stderr(&o));
    let expected = "\
cwd /
open /etc/passwd: inner
open ../../etc/passwd: inner
open /../../../etc/passwd: inner
open /abs: inner
open /up/etc/passwd: inner
open /rel: ENOENT
open /up/../../outside: ENOENT
lstat /abs: link
stat /up: dir
readlink /abs: /etc/passwd
access /up/etc/passwd: ok
chdir /sub: ok
cwd /sub
open ../etc/passwd: inner
open ../../../../etc/passwd: inner
chdir ../..: ok
cwd /
create: ok
open /sub/new.txt: fresh
rename: ok
open sub/renamed.txt: fresh
mkdir: ok
symlink: ok
open /sub/d/l: inner
unlink: ok
mkdir escape: ok
stat made-outside: inside
exe /prog
";
    assert_eq!(out, expected);
    assert!(!out.contains("outer") && !out.contains("root:"), "{out}");
    assert!(
        !base.join("made-outside").exists(),
        "mkdir escaped the root"
    );
    assert!(root.join("sub/renamed.txt").exists());
    std::fs::remove_dir_all(&base).ok();
}

#[test]
fn fs_root_must_be_a_directory() {
    let Some(exe) = compile("net", "net-root") else {
        return;
    };
    let o = vm(&["run", "--fs-root", "/nonexistent-vm-root", s(&exe)]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).starts_with("vm: error: --fs-root /nonexistent-vm-root"),
        "{}",
        stderr(&o)
    );
}

// ---- wild addresses ----

/// Assert `o` is a guest SIGSEGV whose diagnostic names `access` at `addr`.
fn assert_segv(o: &Output, what: &str, access: &str, addr: u64) {
    let err = stderr(o);
    assert_eq!(o.status.signal(), Some(SIGSEGV), "{what}: {err}");
    let verb = match access {
        "load" => "read from",
        "store" => "write to",
        _ => "execute at",
    };
    let needle = format!("{verb} unmapped address {addr:#x}");
    assert!(
        err.starts_with("vm: guest killed by SIGSEGV at pc 0x") && err.contains(&needle),
        "{what}: expected {needle:?} in {err}"
    );
    assert_eq!(
        stdout(o),
        format!("{access} {addr:#x}\n"),
        "{what}: no access completed"
    );
}

/// SIGSEGV on Linux.
const SIGSEGV: i32 = 11;

#[test]
fn wild_accesses_end_as_guest_sigsegv_under_every_engine() {
    let Some(exe) = compile("wild", "wild") else {
        return;
    };
    let addrs: [u64; 6] = [
        0,
        0x3f_0000_0000,        // inside the 2^38-byte space, unmapped
        1 << 38,               // first byte past the guest space
        (1 << 38) + 0x1000,    // just past it
        0x7fff_ffff_f000,      // top of the host user space
        0xffff_ffff_ffff_fff0, // top of the 64-bit space
    ];
    for engine in ENGINES {
        for access in ["load", "store", "jump"] {
            for addr in addrs {
                let hex = format!("{addr:x}");
                let o = vm(&["run", "--engine", engine, s(&exe), access, &hex]);
                assert_segv(&o, &format!("{engine} {access} {hex}"), access, addr);
            }
        }
    }
}

/// The host mappings of process `pid`, once it runs `vm_exe`.
fn vm_maps(pid: u32, vm_exe: &Path) -> String {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let maps = std::fs::read_to_string(format!("/proc/{pid}/maps")).unwrap_or_default();
        if maps.contains(s(vm_exe)) || Instant::now() > deadline {
            return maps;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Host addresses of the running VM process itself (its own data and its
/// stack), which a guest address must never reach: read from the VM's
/// /proc maps while the guest waits for the address on stdin.
#[test]
fn host_addresses_of_the_vm_are_not_guest_addresses() {
    let Some(exe) = compile("wild", "wild-host") else {
        return;
    };
    let vm_exe = std::fs::canonicalize(env!("CARGO_BIN_EXE_vm")).unwrap_or_default();
    for engine in ENGINES {
        for access in ["load", "store", "jump"] {
            for target in ["data", "stack"] {
                let mut child = Command::new(env!("CARGO_BIN_EXE_vm"))
                    .args(["run", "--engine", engine, s(&exe), access, "-"])
                    .stdin(Stdio::piped())
                    .stdout(Stdio::piped())
                    .stderr(Stdio::piped())
                    .spawn()
                    .unwrap_or_else(|e| panic!("{e}"));
                let maps = vm_maps(child.id(), &vm_exe);
                let addr = maps
                    .lines()
                    .find(|l| match target {
                        "data" => l.contains(" rw-p ") && l.ends_with(s(&vm_exe)),
                        _ => l.ends_with("[stack]"),
                    })
                    .and_then(|l| l.split('-').next())
                    .and_then(|a| u64::from_str_radix(a, 16).ok())
                    .unwrap_or_else(|| panic!("no {target} mapping in {maps}"));
                // A word inside the mapping.
                let addr = addr + 0x100;
                if let Some(mut input) = child.stdin.take() {
                    writeln!(input, "{addr:x}").unwrap_or_else(|e| panic!("{e}"));
                }
                let o = finish(child);
                assert_segv(&o, &format!("{engine} {access} {target}"), access, addr);
            }
        }
    }
}

/// execve under --fs-root: program paths resolve inside the root, the new
/// program is confined too, and a host program (which would run
/// unconfined) is refused with EACCES.
#[test]
fn fs_root_exec_stays_inside() {
    let Some(exe) = compile("exec", "exec") else {
        return;
    };
    let base = work().join(format!("fsroot-exec-{}", std::process::id()));
    let root = base.join("root");
    std::fs::remove_dir_all(&base).ok();
    for d in ["sub", "bin"] {
        std::fs::create_dir_all(root.join(d)).unwrap_or_else(|e| panic!("{e}"));
    }
    std::fs::copy(&exe, root.join("sub/exec")).unwrap_or_else(|e| panic!("{e}"));
    let run = || vm_in(&base, &["run", "--fs-root", "root", "root/sub/exec"]);

    // No /bin/sh inside: the host's is not visible.
    let o = run();
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(
        stdout(&o),
        "sh: No such file or directory\nagain: exe /sub/exec cwd /\n"
    );
    // A host program inside the root is refused.
    let host_true = Path::new("/bin/true");
    if host_true.exists() {
        std::fs::copy(host_true, root.join("bin/sh")).unwrap_or_else(|e| panic!("{e}"));
        let o = run();
        assert_eq!(
            stdout(&o),
            "sh: Permission denied\nagain: exe /sub/exec cwd /\n"
        );
    }
    // A RISC-V /bin/sh inside the root runs, confined.
    std::fs::copy(&exe, root.join("bin/sh")).unwrap_or_else(|e| panic!("{e}"));
    let o = run();
    assert_eq!(stdout(&o), "sh-ran: exe /bin/sh cwd /\n", "{}", stderr(&o));
    std::fs::remove_dir_all(&base).ok();
}
