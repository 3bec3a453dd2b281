//! Helpers shared by the `vm` integration tests: whether the host tools
//! (the cross compiler, qemu, objdump) are there, building a guest program
//! with the cross compiler, running `vm`, and where files go. One
//! definition each, so every test builds, skips and fails the same way: a
//! missing tool fails a test when the environment variable `CI` is set,
//! and otherwise the test prints a note and returns.
//!
//! Each test file includes this module on its own (`mod common;`) and uses
//! only part of it, hence the `dead_code` allowance.

#![allow(dead_code, reason = "each test crate uses a different part")]

pub mod differential;
pub mod host;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::SystemTime;

/// The cross compiler that builds guest programs (static glibc).
pub const CROSS_GCC: &str = "riscv64-linux-gnu-gcc";
/// The reference emulator.
pub const QEMU: &str = "qemu-riscv64";
/// Guest sysroot for dynamically linked programs.
pub const SYSROOT: &str = "/usr/riscv64-linux-gnu";
/// The engines guest programs are run with; adding an engine is adding a
/// name here.
pub const ENGINES: &[&str] = &["interp", "jit", "tiered"];

/// True when `tool --version` runs.
pub fn tool_present(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when all `tools` exist. When one is missing: panics if `CI` is
/// set, otherwise prints a note and returns false (the caller skips).
/// `what` names the tests in the message.
pub fn tools_ready(what: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !tool_present(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!("{what} need {}: not found", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{msg} (CI is set, so this fails)"
    );
    eprintln!("note: {msg}; skipping");
    false
}

/// `rel` inside the repository (the workspace root).
pub fn repo_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .join(rel)
}

/// `sub` inside cargo's scratch directory for integration tests.
pub fn target_tmp(sub: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(sub)
}

/// The comma-separated list in the environment variable `var` (empty
/// items dropped), or `None` when it is not set.
pub fn env_list(var: &str) -> Option<Vec<String>> {
    let list = std::env::var(var).ok()?;
    Some(
        list.split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
    )
}

/// Modification time of `path`, if it exists.
pub fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// True when `out` exists and is newer than `newest_input` (the newest
/// modification time of what it is built from, which must be known): a
/// build cache's test.
pub fn newer_than(out: &Path, newest_input: Option<SystemTime>) -> bool {
    matches!((mtime(out), newest_input), (Some(built), Some(input)) if built > input)
}

/// Runs the compiler command `cmd` (given all but its output) with `-o
/// tmp`, then renames `tmp` to `out`: a build under another name, so that
/// neither a concurrent test nor a later run after an interrupted build
/// sees a half-written output. `label` names the build in errors.
pub fn build_then_rename(
    mut cmd: Command,
    tmp: &Path,
    out: &Path,
    label: &str,
) -> Result<(), String> {
    let output = cmd.arg("-o").arg(tmp).output().map_err(|e| {
        let program = cmd.get_program().to_string_lossy();
        format!("{label}: cannot run {program}: {e}")
    })?;
    if !output.status.success() {
        let _ = std::fs::remove_file(tmp);
        return Err(format!("{label}: build failed:\n{}", stderr(&output)));
    }
    std::fs::rename(tmp, out).map_err(|e| format!("{}: {e}", out.display()))
}

/// A run's stdout, as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// A run's stderr, as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Runs `vm` with `args` and waits for it.
pub fn vm(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vm"))
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run vm: {e}"))
}

/// The command `vm run OPTIONS EXE GUEST_ARGS`, not started yet.
pub fn vm_run(options: &[&str], exe: &Path, guest_args: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_vm"));
    cmd.arg("run").args(options).arg(exe).args(guest_args);
    cmd
}

/// Compiles the C program `src` for riscv64 as `dir/NAME.c` into
/// `dir/NAME` (see [`compile_file`] for the flags); `None` when the cross
/// compiler is missing outside CI.
pub fn compile_snippet(dir: &Path, name: &str, src: &str, flags: &[&str]) -> Option<PathBuf> {
    if !cross_compiler_ready() {
        return None;
    }
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let c = dir.join(format!("{name}.c"));
    std::fs::write(&c, src).unwrap_or_else(|e| panic!("{}: {e}", c.display()));
    Some(cross_compile(&c, &dir.join(name), flags))
}

/// Compiles the C file `source` for riscv64 with `-O1` and `flags` into
/// `exe` (its directory is created); `None` when the cross compiler is
/// missing outside CI. A failed compile fails the test.
pub fn compile_file(source: &Path, exe: &Path, flags: &[&str]) -> Option<PathBuf> {
    if !cross_compiler_ready() {
        return None;
    }
    if let Some(dir) = exe.parent() {
        std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    }
    Some(cross_compile(source, exe, flags))
}

/// [`tools_ready`] for the cross compiler alone.
fn cross_compiler_ready() -> bool {
    tools_ready("tests that build guest programs", &[CROSS_GCC])
}

/// Runs `CROSS_GCC -O1 FLAGS -o EXE SOURCE`, asserting that it succeeds.
fn cross_compile(source: &Path, exe: &Path, flags: &[&str]) -> PathBuf {
    let out = Command::new(CROSS_GCC)
        .arg("-O1")
        .args(flags)
        .arg("-o")
        .arg(exe)
        .arg(source)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {CROSS_GCC}: {e}"));
    assert!(
        out.status.success(),
        "{CROSS_GCC} {} failed:\n{}",
        source.display(),
        stderr(&out)
    );
    exe.to_path_buf()
}
