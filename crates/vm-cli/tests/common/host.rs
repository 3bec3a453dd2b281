//! Host processes seen from a test: waiting for a child with a time
//! limit (a hung VM must fail a test, not hang it), and finding the
//! processes a test started by a marker in their command lines (nothing
//! of a guest may outlive its VM).

use std::io::{self, Read};
use std::process::{Child, ExitStatus, Output};
use std::time::{Duration, Instant};

/// How often a waiting test looks at its child again.
const POLL: Duration = Duration::from_millis(5);

/// Waits for `child` at most `limit`; past it kills the child and returns
/// `None`.
pub fn wait_timeout(child: &mut Child, limit: Duration) -> io::Result<Option<ExitStatus>> {
    let deadline = Instant::now() + limit;
    loop {
        if let Some(status) = child.try_wait()? {
            return Ok(Some(status));
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            child.wait()?;
            return Ok(None);
        }
        std::thread::sleep(POLL);
    }
}

/// Waits for `child` at most `limit` while reading its piped stdout and
/// stderr (on threads, so a chatty child cannot block on a full pipe).
/// `Err` holds what a child killed at the limit had written.
pub fn finish_within(mut child: Child, limit: Duration) -> Result<Output, Output> {
    fn drain(pipe: Option<impl Read + Send + 'static>) -> std::thread::JoinHandle<Vec<u8>> {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            if let Some(mut p) = pipe {
                let _ = p.read_to_end(&mut bytes);
            }
            bytes
        })
    }
    let out = drain(child.stdout.take());
    let err = drain(child.stderr.take());
    let status = wait_timeout(&mut child, limit).unwrap_or_else(|e| panic!("wait: {e}"));
    let killed = status.is_none();
    let status = match status {
        Some(s) => s,
        None => child.wait().unwrap_or_else(|e| panic!("wait: {e}")),
    };
    let output = Output {
        status,
        stdout: out.join().unwrap_or_default(),
        stderr: err.join().unwrap_or_default(),
    };
    if killed { Err(output) } else { Ok(output) }
}

/// Host processes whose command line contains `marker`, each as
/// `PID: COMMAND LINE`.
pub fn processes_with(marker: &str) -> Vec<String> {
    let mut found = Vec::new();
    let Ok(dir) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in dir.flatten() {
        let name = e.file_name().to_string_lossy().into_owned();
        if !name.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline"))
            && String::from_utf8_lossy(&cmd).contains(marker)
        {
            found.push(format!("{name}: {}", String::from_utf8_lossy(&cmd)));
        }
    }
    found
}

/// Waits up to `limit` for every process with `marker` in its command line
/// to end; returns those still running then (empty when all ended).
pub fn processes_left_after(marker: &str, limit: Duration) -> Vec<String> {
    let deadline = Instant::now() + limit;
    loop {
        let left = processes_with(marker);
        if left.is_empty() || Instant::now() > deadline {
            return left;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}
