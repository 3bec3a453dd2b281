//! Signals from outside (a terminal's ^C, a timer, a child exiting, a
//! `kill` from another process) reach the VM process as host signals. The
//! guest's dispositions are mirrored onto the host: default and ignore are
//! set as such on the host (so the VM dies, or not, exactly as the guest
//! would), and for a guest handler the host handler only records the signal;
//! the runtime then delivers it to the guest at the next system call or
//! budget check.
//!
//! Synchronous signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) are never
//! mirrored: they come from guest faults, which engines report as exits.

use std::sync::atomic::{AtomicU64, Ordering};

/// Host signals caught for the guest and not yet delivered, bit `sig - 1`.
static HOST_PENDING: AtomicU64 = AtomicU64::new(0);

extern "C" fn record(sig: libc::c_int) {
    if (1..=64).contains(&sig) {
        HOST_PENDING.fetch_or(1 << (sig - 1), Ordering::SeqCst);
    }
}

/// Whether the host disposition of `sig` follows the guest's.
pub fn mirrored(sig: i32) -> bool {
    !matches!(
        sig,
        libc::SIGSEGV
            | libc::SIGBUS
            | libc::SIGILL
            | libc::SIGFPE
            | libc::SIGTRAP
            | libc::SIGKILL
            | libc::SIGSTOP
    ) && (1..=libc::SIGRTMAX()).contains(&sig)
}

/// Set the host disposition of `sig` for guest handler value `handler`
/// (0 = default, 1 = ignore, else a guest handler).
pub fn mirror(sig: i32, handler: u64) {
    if !mirrored(sig) {
        return;
    }
    let host = match handler {
        0 => libc::SIG_DFL,
        1 => libc::SIG_IGN,
        _ => record as extern "C" fn(libc::c_int) as libc::sighandler_t,
    };
    // SAFETY: `act` is fully initialised; the handler only does an atomic
    // fetch_or, which is async-signal-safe. No SA_RESTART: a blocking host
    // call returns EINTR so the guest's handler can run promptly.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = host;
        libc::sigemptyset(&mut act.sa_mask);
        libc::sigaction(sig, &act, std::ptr::null_mut());
    }
}

/// Prepare the VM process to stand for a freshly exec'd guest: SIGPIPE
/// back to its default action (the Rust runtime ignores it; a guest writing
/// to a closed pipe must die of it, unless it ignores it itself).
pub fn init_process() {
    mirror(libc::SIGPIPE, 0);
}

/// Whether the host currently ignores `sig` (inherited across exec, so
/// the guest starts with it ignored too).
pub fn host_ignores(sig: i32) -> bool {
    if !mirrored(sig) {
        return false;
    }
    // SAFETY: querying only; `old` is a valid out-parameter.
    unsafe {
        let mut old: libc::sigaction = std::mem::zeroed();
        libc::sigaction(sig, std::ptr::null(), &mut old) == 0 && old.sa_sigaction == libc::SIG_IGN
    }
}

/// Take the host signals recorded since the last call.
pub fn take() -> u64 {
    HOST_PENDING.swap(0, Ordering::SeqCst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn synchronous_signals_are_not_mirrored() {
        assert!(!mirrored(libc::SIGSEGV));
        assert!(!mirrored(libc::SIGKILL));
        assert!(mirrored(libc::SIGINT));
        assert!(mirrored(libc::SIGCHLD));
        assert!(!mirrored(0));
    }

    #[test]
    fn recorded_signals_are_taken_once() {
        record(libc::SIGWINCH);
        let got = take();
        assert_ne!(got & (1 << (libc::SIGWINCH - 1)), 0);
        assert_eq!(take() & (1 << (libc::SIGWINCH - 1)), 0);
    }
}
