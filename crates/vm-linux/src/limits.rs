//! Process-wide run limits: a cap on guest instructions and on wall-clock
//! time (`vm run --max-insns`, `--timeout`).
//!
//! Why process-wide statics: every guest thread runs its own engine and
//! run loop, but the limits are the process's, so the instruction count
//! and the deadline live here, shared by all run loops (and copied into a
//! forked child, which re-arms its own timer). The run loop checks them
//! at every check point (each system call and each exhausted budget, and
//! it sizes budgets so an instruction limit is met promptly); a watchdog
//! thread covers a guest blocked in a system call: shortly after the
//! deadline, if no run loop has ended the process, it ends it itself.
//!
//! Exit statuses (documented in the README): [`EXIT_TIMEOUT`] (124, as
//! `timeout(1)`) and [`EXIT_INSNS`] (125); both are below 128, so they
//! cannot be mistaken for a death by signal.

use std::sync::OnceLock;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Exit status of a guest stopped by `--timeout`.
pub const EXIT_TIMEOUT: i32 = 124;
/// Exit status of a guest stopped by `--max-insns`.
pub const EXIT_INSNS: i32 = 125;

/// How long the watchdog lets run loops notice an expired deadline (and
/// report the guest PC) before it ends the process itself: briefly when a
/// guest thread is in a system call (which may block for ever), longer
/// when all of them run guest code (which reaches a check point soon,
/// unless the host is very loaded).
const GRACE_IN_CALL: Duration = Duration::from_millis(100);
const GRACE_RUNNING: Duration = Duration::from_secs(5);

/// Guest instructions allowed (u64::MAX: no limit).
static INSNS_MAX: AtomicU64 = AtomicU64::new(u64::MAX);
/// Guest instructions retired so far, all threads.
static INSNS_USED: AtomicU64 = AtomicU64::new(0);
/// The deadline, once armed.
static TIMEOUT: OnceLock<Timeout> = OnceLock::new();
/// Set by the watchdog when the deadline has passed.
static EXPIRED: AtomicBool = AtomicBool::new(false);
/// Set by whoever ends the process for a limit (only one reports).
static ENDING: AtomicBool = AtomicBool::new(false);
/// Guest threads now inside a system call.
static IN_CALL: AtomicUsize = AtomicUsize::new(0);

/// Marks a guest thread as inside a system call while it lives.
#[derive(Debug)]
pub struct InCall(());

impl InCall {
    /// The calling thread enters a system call.
    pub fn enter() -> InCall {
        IN_CALL.fetch_add(1, Ordering::SeqCst);
        InCall(())
    }
}

impl Drop for InCall {
    fn drop(&mut self) {
        IN_CALL.fetch_sub(1, Ordering::SeqCst);
    }
}

/// An armed wall-clock limit.
#[derive(Debug)]
struct Timeout {
    deadline: Instant,
    /// The limit as given, for messages.
    limit: Duration,
}

/// A limit that stopped the guest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LimitHit {
    /// The VM's exit status.
    pub status: i32,
    /// One line for stderr (without the `vm: ` prefix).
    pub message: String,
}

/// Limit the process to `n` guest instructions.
pub fn set_insns_max(n: u64) {
    INSNS_MAX.store(n, Ordering::SeqCst);
}

/// Instructions still allowed (u64::MAX without a limit).
pub fn insns_left() -> u64 {
    let max = INSNS_MAX.load(Ordering::Relaxed);
    if max == u64::MAX {
        return u64::MAX;
    }
    max.saturating_sub(INSNS_USED.load(Ordering::Relaxed))
}

/// Count `n` more retired guest instructions.
pub fn charge(n: u64) {
    if n != 0 {
        INSNS_USED.fetch_add(n, Ordering::Relaxed);
    }
}

/// Stop the process `limit` from now (at most once per process).
pub fn arm_timeout(limit: Duration) {
    let t = Timeout {
        deadline: Instant::now() + limit,
        limit,
    };
    if TIMEOUT.set(t).is_ok() {
        start_watchdog();
    }
}

/// Time left before the deadline (None without one).
pub fn time_left() -> Option<Duration> {
    TIMEOUT
        .get()
        .map(|t| t.deadline.saturating_duration_since(Instant::now()))
}

/// In a forked child: only the forking thread survived, inside its clone
/// call (its [`InCall`] is still live), so that is the one thread in a
/// call; the watchdog thread did not survive either, so start another one
/// for the same deadline.
pub fn after_fork() {
    IN_CALL.store(1, Ordering::SeqCst);
    if TIMEOUT.get().is_some() {
        start_watchdog();
    }
}

fn start_watchdog() {
    let spawned = std::thread::Builder::new()
        .name("vm-watchdog".into())
        .spawn(watchdog);
    if spawned.is_err() {
        eprintln!(
            "vm: warning: cannot start the --timeout watchdog; only check points stop the guest"
        );
    }
}

/// Sleep until the deadline, flag it, give the run loops a moment to stop
/// the guest at a check point, then end the process (a guest blocked in a
/// system call, or any thread that did not get there).
fn watchdog() {
    super::syscall::hostsig::block_all();
    let Some(t) = TIMEOUT.get() else { return };
    loop {
        let left = t.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        std::thread::sleep(left);
    }
    EXPIRED.store(true, Ordering::SeqCst);
    let expired = Instant::now();
    loop {
        std::thread::sleep(Duration::from_millis(10));
        if ENDING.load(Ordering::SeqCst) {
            return;
        }
        let waited = expired.elapsed();
        let in_call = IN_CALL.load(Ordering::SeqCst) > 0;
        if waited >= GRACE_RUNNING || (in_call && waited >= GRACE_IN_CALL) {
            break;
        }
    }
    if claim_end() {
        eprintln!(
            "vm: time limit of {} s reached (the guest was in a system call)",
            secs(t.limit)
        );
        // SAFETY: _exit ends the process at once; no Rust state is
        // used afterwards (other threads may be mid-call: _exit does not
        // run destructors or atexit handlers that could meet them).
        unsafe { libc::_exit(EXIT_TIMEOUT) }
    }
}

/// Take the right to end the process for a limit (true once).
pub fn claim_end() -> bool {
    !ENDING.swap(true, Ordering::SeqCst)
}

/// A check point of a run loop at guest `pc`: the limit that stops the
/// guest now, if any.
pub fn check(pc: u64) -> Option<LimitHit> {
    let max = INSNS_MAX.load(Ordering::Relaxed);
    if max != u64::MAX && INSNS_USED.load(Ordering::Relaxed) >= max {
        return Some(LimitHit {
            status: EXIT_INSNS,
            message: format!("instruction limit of {max} reached at pc {pc:#x}"),
        });
    }
    if EXPIRED.load(Ordering::Relaxed) {
        let limit = TIMEOUT.get().map_or(Duration::ZERO, |t| t.limit);
        return Some(LimitHit {
            status: EXIT_TIMEOUT,
            message: format!("time limit of {} s reached at pc {pc:#x}", secs(limit)),
        });
    }
    None
}

/// Seconds as the user would write them ("0.5", "2").
fn secs(d: Duration) -> String {
    let s = format!("{:.3}", d.as_secs_f64());
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seconds_print_without_trailing_zeros() {
        assert_eq!(secs(Duration::from_millis(500)), "0.5");
        assert_eq!(secs(Duration::from_secs(2)), "2");
        assert_eq!(secs(Duration::from_millis(1250)), "1.25");
    }
}
