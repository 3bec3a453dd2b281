//! Running one program once and measuring it.
//!
//! The child is reaped with `wait4`, which gives its own resource usage
//! (user and system CPU time) besides the wall time; CPU time is the less
//! noisy measure on a shared machine. Output is drained by threads so that a
//! chatty program cannot block on a full pipe, and a run longer than the
//! timeout is killed.

use std::io::Read;
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result};

/// How a program ended and what it cost.
#[derive(Debug, Clone, PartialEq)]
pub struct Measurement {
    /// Wall time from spawn to reaping, in seconds.
    pub wall_s: f64,
    /// User plus system CPU time of the child, in seconds.
    pub cpu_s: f64,
    /// Everything written to stdout.
    pub stdout: String,
    /// The tail of stderr (for error messages).
    pub stderr_tail: String,
    /// How the process ended.
    pub status: Status,
}

/// How a process ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// Exited with this code.
    Exited(i32),
    /// Killed by this signal.
    Signaled(i32),
    /// Killed by the harness after the timeout.
    TimedOut,
}

/// At most this many bytes of stderr are kept.
const STDERR_TAIL_BYTES_MAX: usize = 2048;

/// Runs `command` to completion (or until `timeout`), measuring it.
pub fn run(mut command: Command, timeout: Duration) -> Result<Measurement> {
    command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let started = Instant::now();
    let mut child = command
        .spawn()
        .with_context(|| format!("spawning {command:?}"))?;
    let pid = child.id() as libc::pid_t;
    let stdout = drain(child.stdout.take());
    let stderr = drain(child.stderr.take());

    let (done_tx, done_rx) = mpsc::channel();
    let waiter = thread::spawn(move || {
        let reaped = wait4(pid);
        let _ = done_tx.send(Instant::now());
        reaped
    });
    let timed_out = done_rx.recv_timeout(timeout).is_err();
    if timed_out {
        // SAFETY: `pid` is our child and has not been reaped (the waiter
        // has not returned), so the pid still names that process.
        unsafe { libc::kill(pid, libc::SIGKILL) };
    }
    let (status, cpu_s) = waiter
        .join()
        .map_err(|_| anyhow::anyhow!("waiter thread panicked"))?
        .with_context(|| format!("waiting for {command:?}"))?;
    let finished = done_rx.try_recv().unwrap_or_else(|_| Instant::now());
    let stdout = stdout.join().unwrap_or_default();
    let stderr = stderr.join().unwrap_or_default();
    let tail_start = stderr.len().saturating_sub(STDERR_TAIL_BYTES_MAX);
    Ok(Measurement {
        wall_s: finished.duration_since(started).as_secs_f64(),
        cpu_s,
        stdout: String::from_utf8_lossy(&stdout).into_owned(),
        stderr_tail: String::from_utf8_lossy(&stderr[tail_start..]).into_owned(),
        status: if timed_out { Status::TimedOut } else { status },
    })
}

fn drain(pipe: Option<impl Read + Send + 'static>) -> thread::JoinHandle<Vec<u8>> {
    thread::spawn(move || {
        let mut buf = Vec::new();
        if let Some(mut p) = pipe {
            let _ = p.read_to_end(&mut buf);
        }
        buf
    })
}

/// Reaps `pid`, returning its exit status and CPU seconds (user + system).
fn wait4(pid: libc::pid_t) -> std::io::Result<(Status, f64)> {
    let mut status: libc::c_int = 0;
    // SAFETY: an all-zero `rusage` is a valid value of this plain C struct.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    loop {
        // SAFETY: `status` and `usage` are valid, writable and live for the
        // call; `pid` is a child of this process that nobody else waits for
        // (the `Child` handle is never waited on).
        let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
        if r == pid {
            break;
        }
        let err = std::io::Error::last_os_error();
        if err.kind() != std::io::ErrorKind::Interrupted {
            return Err(err);
        }
    }
    let seconds = |t: libc::timeval| t.tv_sec as f64 + t.tv_usec as f64 * 1e-6;
    let cpu_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
    let status = if libc::WIFEXITED(status) {
        Status::Exited(libc::WEXITSTATUS(status))
    } else {
        Status::Signaled(libc::WTERMSIG(status))
    };
    Ok((status, cpu_s))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sh(script: &str) -> Command {
        let mut c = Command::new("sh");
        c.arg("-c").arg(script);
        c
    }

    #[test]
    fn captures_output_and_exit_code() {
        let m = run(
            sh("echo out; echo err >&2; exit 3"),
            Duration::from_secs(10),
        )
        .unwrap();
        assert_eq!(m.stdout, "out\n");
        assert_eq!(m.stderr_tail, "err\n");
        assert_eq!(m.status, Status::Exited(3));
        assert!(m.wall_s > 0.0 && m.wall_s < 10.0);
    }

    #[test]
    fn reports_signals_and_kills_on_timeout() {
        let m = run(sh("kill -SEGV $$"), Duration::from_secs(10)).unwrap();
        assert_eq!(m.status, Status::Signaled(libc::SIGSEGV));
        let m = run(sh("exec sleep 5"), Duration::from_millis(100)).unwrap();
        assert_eq!(m.status, Status::TimedOut);
        assert!(m.wall_s < 4.0, "not killed: {} s", m.wall_s);
    }

    #[test]
    fn cpu_time_counts_busy_children() {
        let m = run(
            sh("i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done"),
            Duration::from_secs(30),
        )
        .unwrap();
        assert_eq!(m.status, Status::Exited(0));
        assert!(m.cpu_s > 0.0, "cpu {}", m.cpu_s);
    }

    #[test]
    fn missing_program_is_an_error() {
        assert!(run(Command::new("/nonexistent/program"), Duration::from_secs(1)).is_err());
    }
}
