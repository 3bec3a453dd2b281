//! Signals from outside (a terminal's ^C, a timer, a child exiting, a
//! `kill` from another process or from the guest itself) reach the VM
//! process as host signals, and the host kernel decides which thread gets
//! them exactly as it would for the guest, because the guest's state is
//! mirrored onto the host:
//!
//! - dispositions: default and ignore are set as such on the host (so the
//!   VM dies, stops, or not, exactly as the guest would), and for a guest
//!   handler the host handler only records the signal and its sender in the
//!   receiving thread's slot; the runtime then delivers it to that guest
//!   thread at its next system call or budget check;
//! - masks: each guest thread's signal mask is its host thread's mask
//!   ([`set_thread_mask`]), so a blocked signal stays pending in the host
//!   kernel (for `sigpending`, `sigwait`, or until unblocked), and a
//!   process-directed signal goes to a thread that does not block it.
//!
//! Synchronous signals (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP) are never
//! mirrored: they come from guest faults, which engines report as exits.

use std::cell::Cell;

/// Highest signal number.
const NSIG: usize = 64;

/// A host signal caught for the guest: its number and sender.
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct Caught {
    /// `si_code`.
    pub code: i32,
    /// `si_pid`.
    pub pid: i32,
    /// `si_uid`.
    pub uid: u32,
}

thread_local! {
    /// Signals caught on this host thread, bit `sig - 1`.
    static PENDING: Cell<u64> = const { Cell::new(0) };
    /// Who sent each caught signal (index `sig - 1`).
    static SENDERS: Cell<[Caught; NSIG]> = const {
        Cell::new([Caught { code: 0, pid: 0, uid: 0 }; NSIG])
    };
}

extern "C" fn record(sig: libc::c_int, info: *mut libc::siginfo_t, _ctx: *mut libc::c_void) {
    if !(1..=NSIG as i32).contains(&sig) {
        return;
    }
    let mut who = Caught::default();
    if !info.is_null() {
        // SAFETY: the kernel passes a valid siginfo_t to an SA_SIGINFO
        // handler; si_pid/si_uid are read as the kill-style union member,
        // which is plain data for any si_code.
        unsafe {
            who.code = (*info).si_code;
            who.pid = (*info).si_pid();
            who.uid = (*info).si_uid();
        }
    }
    // Const-initialised thread-locals without destructors are plain TLS
    // accesses: async-signal-safe. The handler runs on the thread that was
    // interrupted, which only reads these cells outside signal handlers
    // with the signal unable to nest into a half-done update of its own slot.
    let _ = PENDING.try_with(|p| p.set(p.get() | (1 << (sig - 1))));
    let _ = SENDERS.try_with(|s| {
        let mut all = s.get();
        all[sig as usize - 1] = who;
        s.set(all);
    });
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
        _ => {
            record as extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void)
                as libc::sighandler_t
        }
    };
    // SAFETY: `act` is fully initialised; the handler only updates this
    // thread's TLS cells, which is async-signal-safe. No SA_RESTART: a
    // blocking host call returns EINTR so the guest's handler can run
    // promptly (the runtime restarts it if the guest asked for SA_RESTART).
    // The handler blocks every signal, so it never nests into itself.
    unsafe {
        let mut act: libc::sigaction = std::mem::zeroed();
        act.sa_sigaction = host;
        act.sa_flags = libc::SA_SIGINFO;
        libc::sigfillset(&mut act.sa_mask);
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

/// The host sigset holding the mirrored signals of guest set `bits`.
pub fn host_set(bits: u64) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set before sigaddset uses it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in 1..=NSIG as i32 {
            if bits & (1 << (sig - 1)) != 0 && mirrored(sig) {
                libc::sigaddset(&mut set, sig);
            }
        }
        set
    }
}

/// The guest bits of host sigset `set`.
pub fn guest_bits(set: &libc::sigset_t) -> u64 {
    let mut bits = 0;
    for sig in 1..=NSIG as i32 {
        // SAFETY: `set` is an initialised sigset.
        if unsafe { libc::sigismember(set, sig) } == 1 {
            bits |= 1 << (sig - 1);
        }
    }
    bits
}

/// Make the calling host thread block the mirrored signals of guest mask
/// `bits` (and nothing else).
pub fn set_thread_mask(bits: u64) {
    let set = host_set(bits);
    // SAFETY: `set` is initialised; the old mask is not wanted.
    unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut()) };
}

/// Block every signal on the calling host thread (a host thread that runs
/// no guest code, so that signals go to the guest threads instead).
pub fn block_all() {
    // SAFETY: sigfillset initialises the set before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigfillset(&mut set);
        libc::pthread_sigmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// The calling host thread's blocked set, as guest bits (what a freshly
/// exec'd guest inherits).
pub fn thread_mask() -> u64 {
    // SAFETY: querying only; `old` is a valid out-parameter.
    unsafe {
        let mut old: libc::sigset_t = std::mem::zeroed();
        libc::pthread_sigmask(libc::SIG_SETMASK, std::ptr::null(), &mut old);
        guest_bits(&old)
    }
}

/// Signals pending in the host kernel for this thread or the process.
pub fn host_pending() -> u64 {
    // SAFETY: `set` is a valid out-parameter.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigpending(&mut set);
        guest_bits(&set)
    }
}

/// Take the host signals this thread caught since the last call, with
/// their senders.
pub fn take() -> (u64, [Caught; NSIG]) {
    let bits = PENDING.try_with(|p| p.replace(0)).unwrap_or(0);
    if bits == 0 {
        return (0, [Caught::default(); NSIG]);
    }
    let senders = SENDERS
        .try_with(Cell::get)
        .unwrap_or([Caught::default(); NSIG]);
    (bits, senders)
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
    fn recorded_signals_are_taken_once_on_their_thread() {
        record(libc::SIGWINCH, std::ptr::null_mut(), std::ptr::null_mut());
        let other = std::thread::spawn(|| take().0).join().unwrap_or(1);
        assert_eq!(other, 0, "another thread does not see it");
        let (got, _) = take();
        assert_ne!(got & (1 << (libc::SIGWINCH - 1)), 0);
        assert_eq!(take().0 & (1 << (libc::SIGWINCH - 1)), 0);
    }

    #[test]
    fn sets_round_trip_without_synchronous_signals() {
        let bits = (1 << (libc::SIGUSR1 - 1)) | (1 << (libc::SIGSEGV - 1));
        assert_eq!(guest_bits(&host_set(bits)), 1 << (libc::SIGUSR1 - 1));
    }

    #[test]
    fn thread_mask_follows_the_guest_mask() {
        std::thread::spawn(|| {
            set_thread_mask(1 << (libc::SIGUSR2 - 1));
            assert_eq!(thread_mask(), 1 << (libc::SIGUSR2 - 1));
            set_thread_mask(0);
            assert_eq!(thread_mask(), 0);
        })
        .join()
        .unwrap_or_else(|_| panic!("mask thread failed"));
    }
}
