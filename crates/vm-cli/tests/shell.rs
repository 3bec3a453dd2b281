//! A shell under the VM: the project's own small shell (`tests/shell/
//! minish.c`) runs `tests/shell/script.sh` (pipelines, subshells, command
//! substitution, loops, redirections, exit statuses) with the project's
//! own multi-call tools (`tests/shell/tools.c`: cat, wc, seq, ...) on
//! PATH. Both are built twice, for riscv64 (run under `vm` with each
//! engine) and for the host (run natively, the reference); stdout, the
//! exit status and the files the script leaves behind must be identical.
//!
//! Every command the script runs is a fork and an execve of a RISC-V
//! program found through PATH, which the VM serves by re-executing
//! itself, so this exercises the whole process model: fork, execve,
//! pipes, dup2, waitpid, SIGPIPE (`seq 1 100000 | head -n 2`). Afterwards
//! no process of the run may remain.
//!
//! Tools: `riscv64-linux-gnu-gcc` and `gcc`. With `CI` set a missing tool
//! fails the test; otherwise the test prints a note and returns.

mod common;

use common::host::{finish_within, processes_left_after};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The names the tools binary answers to; each gets a link in a bin dir.
const TOOLS: &[&str] = &[
    "cat", "wc", "seq", "tr", "head", "sort", "grep", "uniq", "expr", "test", "[", "arch",
];
/// Wall-clock limit for one run of the script.
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// The exit status script.sh ends with (`exit 3`).
const SCRIPT_EXIT: i32 = 3;

/// Where the shell, tools and script sources live.
fn sources() -> PathBuf {
    common::repo_path("tests/shell")
}

/// Builds minish and tools with `cc` into `dir`, and `dir/bin` with a
/// link per tool name; returns the path of minish.
fn build(cc: &str, dir: &Path) -> PathBuf {
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap_or_else(|e| panic!("{}: {e}", bin.display()));
    for name in ["minish", "tools"] {
        let out = Command::new(cc)
            .args(["-O2", "-static", "-Wall", "-o"])
            .arg(dir.join(name))
            .arg(sources().join(format!("{name}.c")))
            .output()
            .unwrap_or_else(|e| panic!("cannot run {cc}: {e}"));
        assert!(
            out.status.success(),
            "{cc} {name}.c failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
    for tool in TOOLS {
        let link = bin.join(tool);
        std::os::unix::fs::symlink("../tools", &link)
            .unwrap_or_else(|e| panic!("{}: {e}", link.display()));
    }
    dir.join("minish")
}

/// What one run of the script produced.
#[derive(Debug)]
struct Run {
    stdout: String,
    stderr: String,
    /// Exit status, or None when killed by a signal or timed out.
    status: Option<i32>,
    /// Files the script left in its directory, name to contents.
    files: BTreeMap<String, String>,
}

/// Runs `cmd` (already given its program and arguments) in a fresh empty
/// directory `cwd` with only `PATH=path` in its environment.
fn run_script(mut cmd: Command, cwd: &Path, path: &Path) -> Run {
    std::fs::create_dir_all(cwd).unwrap_or_else(|e| panic!("{}: {e}", cwd.display()));
    let child = cmd
        .current_dir(cwd)
        .env_clear()
        .env("PATH", path)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    // A run killed at the limit has no status (as one killed by a signal).
    let o = finish_within(child, RUN_TIMEOUT).unwrap_or_else(|killed| killed);
    let (status, stdout, stderr) = (o.status.code(), common::stdout(&o), common::stderr(&o));
    let mut files = BTreeMap::new();
    for e in std::fs::read_dir(cwd)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let name = e.file_name().to_string_lossy().into_owned();
        let body = std::fs::read(e.path()).unwrap_or_default();
        files.insert(name, String::from_utf8_lossy(&body).into_owned());
    }
    Run {
        stdout,
        stderr,
        status,
        files,
    }
}

/// The first line where `a` and `b` differ, with a line of context.
fn first_difference(a: &str, b: &str) -> String {
    let (la, lb): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let i = (0..la.len().max(lb.len()))
        .find(|&i| la.get(i) != lb.get(i))
        .unwrap_or(la.len());
    let at = |l: &[&str], i: usize| l.get(i).copied().unwrap_or("<end>").to_string();
    format!(
        "line {}: after {:?}\n  native: {:?}\n  vm:     {:?}",
        i + 1,
        if i > 0 { at(&la, i - 1) } else { String::new() },
        at(&la, i),
        at(&lb, i)
    )
}

#[test]
fn shell_script_matches_native() {
    if !common::tools_ready("the shell test", &[common::CROSS_GCC, "gcc"]) {
        return;
    }
    // The marker is in every path of this run, so the processes of the
    // run (VM instances included: their command lines name the guest
    // program) can be found afterwards.
    let marker = format!("shell-{}", std::process::id());
    let work = common::target_tmp("shell-tests").join(&marker);
    let _ = std::fs::remove_dir_all(&work);
    let script = sources().join("script.sh");
    let rv_minish = build(common::CROSS_GCC, &work.join("riscv64"));
    let host_minish = build("gcc", &work.join("host"));

    let mut native_cmd = Command::new(&host_minish);
    native_cmd.arg(&script);
    let native = run_script(native_cmd, &work.join("run-native"), &work.join("host/bin"));
    assert_eq!(
        native.status,
        Some(SCRIPT_EXIT),
        "the native run itself failed (a bug in minish, tools or the script):\n{}",
        native.stderr
    );
    assert!(
        native.stdout.ends_with("== done\n"),
        "native run did not reach the end:\n{}",
        native.stdout
    );

    // The tools the guest finds on PATH run as RISC-V programs under the
    // VM, from a pipeline stage, a subshell and a command substitution.
    let cmd = common::vm_run(
        &["--engine", "interp"],
        &rv_minish,
        &["-c", "arch | cat; (arch); echo \"$(arch)\""],
    );
    let arch = run_script(cmd, &work.join("run-arch"), &work.join("riscv64/bin"));
    assert_eq!(
        (arch.status, arch.stdout.as_str()),
        (Some(0), "riscv64\nriscv64\nriscv64\n"),
        "{}",
        arch.stderr
    );

    let mut failures = Vec::new();
    for engine in common::ENGINES {
        let mut cmd = common::vm_run(&["--engine", engine], &rv_minish, &[]);
        cmd.arg(&script);
        let started = Instant::now();
        let vm = run_script(
            cmd,
            &work.join(format!("run-{engine}")),
            &work.join("riscv64/bin"),
        );
        eprintln!("{engine}: {:.1}s", started.elapsed().as_secs_f64());
        if vm.status != native.status {
            failures.push(format!(
                "{engine}: exit status {:?}, native {:?}; stderr:\n{}",
                vm.status, native.status, vm.stderr
            ));
        }
        if vm.stdout != native.stdout {
            failures.push(format!(
                "{engine}: stdout differs at {}\nstderr:\n{}",
                first_difference(&native.stdout, &vm.stdout),
                vm.stderr
            ));
        }
        if vm.files != native.files {
            failures.push(format!(
                "{engine}: files left differ: native {:?}, vm {:?}",
                native.files, vm.files
            ));
        }
    }

    // Nothing of any run may still be running.
    let left = processes_left_after(&marker, Duration::from_secs(10));
    if !left.is_empty() {
        failures.push(format!("processes still running: {left:?}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
    let _ = std::fs::remove_dir_all(&work);
}
