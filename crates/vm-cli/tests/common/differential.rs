//! Running a guest program under qemu (the reference) and under the VM,
//! and comparing the runs: how it ended and what it printed. Shared by the
//! guest-program suite and the real-software suite, so both run guests the
//! same way and report a difference in the same form.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::Mutex;
use std::thread;
use std::time::{Duration, Instant};

/// Lines of context shown around a stdout difference.
const DIFF_CONTEXT_LINES: usize = 3;
/// Most differing lines shown per side in one diff snippet.
const DIFF_LINES_MAX: usize = 12;
/// Lines of a run's stderr shown with a difference.
const STDERR_TAIL_LINES: usize = 6;

/// How a guest run ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ending {
    /// Normal exit with this status.
    Exit(i32),
    /// Killed by this signal.
    Signal(i32),
    /// Did not finish within this time (and was killed).
    TimedOut(Duration),
}

impl std::fmt::Display for Ending {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Ending::Exit(code) => write!(f, "exit {code}"),
            Ending::Signal(sig) => write!(f, "signal {sig}"),
            Ending::TimedOut(limit) => write!(f, "timeout after {}s", limit.as_secs()),
        }
    }
}

/// What one run produced.
#[derive(Debug)]
pub struct Outcome {
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
    pub ending: Ending,
    /// Wall-clock time from start to end.
    pub elapsed: Duration,
}

/// The command that runs the guest program `binary` under qemu (`engine ==
/// None`) or under `vm run --engine ENGINE`, with `-L sysroot` when given,
/// in `cwd`, with an environment of only `PATH` and `LANG=C`. The caller
/// adds the guest's arguments and any other variable.
pub fn guest_command(
    engine: Option<&str>,
    sysroot: Option<&str>,
    binary: &Path,
    cwd: &Path,
) -> Command {
    let mut cmd = match engine {
        None => Command::new(super::QEMU),
        Some(engine) => {
            let mut c = Command::new(env!("CARGO_BIN_EXE_vm"));
            c.args(["run", "--engine", engine]);
            if engine == "jit" {
                // Regions early (the default waits for 200,000 runs of a
                // block, which few test programs reach), so that the tests
                // run region code too; `tiered` keeps the defaults.
                c.args(["--jit-region-threshold", "100"]);
            }
            c
        }
    };
    if let Some(sysroot) = sysroot {
        cmd.arg("-L").arg(sysroot);
    }
    cmd.arg(binary)
        .current_dir(cwd)
        .env_clear()
        .env("PATH", "/usr/bin:/bin")
        .env("LANG", "C");
    cmd
}

/// A fresh, empty directory `dir/tmp` (whatever `dir` held is removed):
/// a run's working directory. Returns its path.
pub fn fresh_run_dir(dir: &Path) -> io::Result<std::path::PathBuf> {
    let tmp = dir.join("tmp");
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(&tmp)?;
    Ok(tmp)
}

/// Runs `cmd` with stdout and stderr captured through the files `stdout`
/// and `stderr` in `dir` (no pipe deadlock on large outputs, and the guest
/// sees regular files), killing it after `limit`.
pub fn run_captured(mut cmd: Command, dir: &Path, limit: Duration) -> io::Result<Outcome> {
    let out_path = dir.join("stdout");
    let err_path = dir.join("stderr");
    cmd.stdin(Stdio::null())
        .stdout(fs::File::create(&out_path)?)
        .stderr(fs::File::create(&err_path)?);
    let start = Instant::now();
    let mut child = cmd.spawn()?;
    let status = super::host::wait_timeout(&mut child, limit)?;
    let elapsed = start.elapsed();
    let ending = match status {
        None => Ending::TimedOut(limit),
        Some(s) => match (s.code(), s.signal()) {
            (Some(code), _) => Ending::Exit(code),
            (None, Some(sig)) => Ending::Signal(sig),
            (None, None) => Ending::Exit(-1),
        },
    };
    Ok(Outcome {
        stdout: fs::read(&out_path)?,
        stderr: fs::read(&err_path)?,
        ending,
        elapsed,
    })
}

/// The differing middle of two outputs (common prefix and suffix trimmed),
/// with a few lines of context on each side.
pub fn diff_snippet(expected: &[u8], actual: &[u8]) -> String {
    let exp = String::from_utf8_lossy(expected);
    let act = String::from_utf8_lossy(actual);
    let e: Vec<&str> = exp.lines().collect();
    let a: Vec<&str> = act.lines().collect();
    let prefix = e.iter().zip(&a).take_while(|(x, y)| x == y).count();
    let suffix = e[prefix..]
        .iter()
        .rev()
        .zip(a[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let mut out = format!(
        "@@ line {} (expected {} lines, got {}) @@\n",
        prefix + 1,
        e.len(),
        a.len()
    );
    for line in &e[prefix.saturating_sub(DIFF_CONTEXT_LINES)..prefix] {
        let _ = writeln!(out, " {line}");
    }
    for (lines, mark) in [
        (&e[prefix..e.len() - suffix], '-'),
        (&a[prefix..a.len() - suffix], '+'),
    ] {
        for line in lines.iter().take(DIFF_LINES_MAX) {
            let _ = writeln!(out, "{mark}{line}");
        }
        if lines.len() > DIFF_LINES_MAX {
            let _ = writeln!(out, "{mark}... {} more", lines.len() - DIFF_LINES_MAX);
        }
    }
    for line in e[e.len() - suffix..].iter().take(DIFF_CONTEXT_LINES) {
        let _ = writeln!(out, " {line}");
    }
    if exp.ends_with('\n') != act.ends_with('\n') {
        out.push_str("(final newline differs)\n");
    }
    out
}

/// The last lines of a run's stderr, indented, for failure messages.
pub fn stderr_tail(outcome: &Outcome) -> String {
    let text = String::from_utf8_lossy(&outcome.stderr);
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(STDERR_TAIL_LINES)..]
        .iter()
        .map(|l| format!("    {l}\n"))
        .collect()
}

/// Describes how `actual` differs from `expected` (ending and stdout),
/// or `None` if they agree.
pub fn compare(label: &str, expected: &Outcome, actual: &Outcome) -> Option<String> {
    let mut msg = String::new();
    if expected.ending != actual.ending {
        let _ = writeln!(
            msg,
            "  ending: expected {}, got {}",
            expected.ending, actual.ending
        );
    }
    if expected.stdout != actual.stdout {
        msg.push_str(&diff_snippet(&expected.stdout, &actual.stdout));
    }
    if msg.is_empty() {
        return None;
    }
    let tail = stderr_tail(actual);
    if !tail.is_empty() {
        let _ = write!(msg, "  stderr (last lines):\n{tail}");
    }
    Some(format!("{label}:\n{msg}"))
}

/// Runs `work` over `items` on `threads` threads, collecting the results
/// in the order of `items`.
pub fn parallel_map<T: Sync, R: Send>(
    items: &[T],
    threads: usize,
    work: impl Fn(&T) -> R + Sync,
) -> Vec<R> {
    let next = Mutex::new(0usize);
    let results: Mutex<BTreeMap<usize, R>> = Mutex::new(BTreeMap::new());
    thread::scope(|s| {
        for _ in 0..threads.max(1) {
            s.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        *n += 1;
                        *n - 1
                    };
                    let Some(item) = items.get(i) else { break };
                    let r = work(item);
                    results
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .insert(i, r);
                }
            });
        }
    });
    results
        .into_inner()
        .unwrap_or_else(|e| e.into_inner())
        .into_values()
        .collect()
}

/// The engines to compare with qemu: the list in the environment variable
/// `var` when it is set (empty: qemu only), else [`super::ENGINES`].
pub fn engines_from_env(var: &str) -> Vec<String> {
    super::env_list(var).unwrap_or_else(|| super::ENGINES.iter().map(|s| s.to_string()).collect())
}
