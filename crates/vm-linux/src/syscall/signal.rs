//! Signal dispositions, the signal mask, and signals the guest sends itself.
//!
//! Handlers are recorded but not yet delivered. What is faithful already is
//! the case programs rely on most: a signal with the default action that
//! the guest raises on itself (abort() raises SIGABRT) kills the process,
//! unless it is blocked (then it waits, pending, until unblocked).
//! Single-threaded futex semantics live here too.

use vm_mem::{Errno, GuestMemory};

use super::host::{SysResult, get, get_u64, put};
use super::{Linux, SyscallOutcome};

const EINVAL: Errno = Errno(libc::EINVAL);
/// Highest signal number.
pub const NSIG: usize = 64;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SS_DISABLE: u32 = 2;

/// One recorded `struct sigaction` (riscv64 kernel layout: handler, flags, mask).
#[derive(Copy, Clone, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    /// Handler address, or SIG_DFL (0) / SIG_IGN (1).
    pub handler: u64,
    /// SA_* flags.
    pub flags: u64,
    /// Signals blocked during the handler.
    pub mask: u64,
}

/// Dispositions, mask, pending set and alternate stack of the process.
#[derive(Clone, Debug)]
pub struct SignalState {
    /// Index `sig - 1`.
    pub actions: [SigAction; NSIG],
    /// Blocked signals, bit `sig - 1`.
    pub mask: u64,
    /// Raised while blocked, bit `sig - 1`.
    pub pending: u64,
    /// `stack_t` of the alternate signal stack: (sp, flags, size).
    pub altstack: (u64, u32, u64),
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [SigAction::default(); NSIG],
            mask: 0,
            pending: 0,
            altstack: (0, SS_DISABLE, 0),
        }
    }
}

/// Whether the default action of `sig` ends the process.
pub fn default_kills(sig: i32) -> bool {
    !matches!(
        sig,
        libc::SIGCHLD
            | libc::SIGURG
            | libc::SIGWINCH
            | libc::SIGCONT
            | libc::SIGSTOP
            | libc::SIGTSTP
            | libc::SIGTTIN
            | libc::SIGTTOU
    )
}

fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked.
const UNBLOCKABLE: u64 = (1 << (libc::SIGKILL - 1)) | (1 << (libc::SIGSTOP - 1));

impl SignalState {
    /// What raising `sig` on the process does now: `Some(sig)` if it dies.
    fn raise(&mut self, sig: i32) -> Option<i32> {
        if sig == libc::SIGKILL {
            return Some(sig);
        }
        let act = self.actions[sig as usize - 1];
        if act.handler == SIG_IGN || (act.handler == SIG_DFL && !default_kills(sig)) {
            return None;
        }
        if self.mask & bit(sig) != 0 {
            self.pending |= bit(sig);
            return None;
        }
        (act.handler == SIG_DFL).then_some(sig)
    }

    /// After the mask changed: a pending, now unblocked, deadly signal.
    fn deliverable(&mut self) -> Option<i32> {
        let ready = self.pending & !self.mask;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() as i32 + 1;
        self.pending &= !bit(sig);
        self.raise(sig)
    }
}

impl Linux {
    pub(super) fn rt_sigaction(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let (sig, act, old, size) = (a[0] as i32, a[1], a[2], a[3]);
        if size != 8 || !(1..=NSIG as i32).contains(&sig) {
            return Err(EINVAL);
        }
        if act != 0 && (sig == libc::SIGKILL || sig == libc::SIGSTOP) {
            return Err(EINVAL);
        }
        let slot = sig as usize - 1;
        let prev = self.signals.actions[slot];
        if act != 0 {
            let b: [u8; 24] = get(mem, act)?;
            let w =
                |i: usize| u64::from_le_bytes(b[i * 8..i * 8 + 8].try_into().unwrap_or_default());
            let new = SigAction {
                handler: w(0),
                flags: w(1),
                mask: w(2),
            };
            if new.handler > SIG_IGN {
                self.warn_once(
                    (2 << 40) | sig as u64,
                    &format!("guest installed a handler for signal {sig}; signal delivery is not implemented"),
                );
            }
            self.signals.actions[slot] = new;
        }
        if old != 0 {
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&prev.handler.to_le_bytes());
            b[8..16].copy_from_slice(&prev.flags.to_le_bytes());
            b[16..].copy_from_slice(&prev.mask.to_le_bytes());
            put(mem, old, &b)?;
        }
        Ok(0)
    }

    pub(super) fn rt_sigprocmask(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let (how, set, old, size) = (a[0] as i32, a[1], a[2], a[3]);
        if size != 8 {
            return Err(EINVAL);
        }
        let prev = self.signals.mask;
        if set != 0 {
            let s = get_u64(mem, set)? & !UNBLOCKABLE;
            self.signals.mask = match how {
                libc::SIG_BLOCK => prev | s,
                libc::SIG_UNBLOCK => prev & !s,
                libc::SIG_SETMASK => s,
                _ => return Err(EINVAL),
            };
        }
        if old != 0 {
            put(mem, old, &prev.to_le_bytes())?;
        }
        if let Some(sig) = self.signals.deliverable() {
            self.pending = Some(SyscallOutcome::Killed(sig));
        }
        Ok(0)
    }

    pub(super) fn rt_sigpending(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        if a[1] != 8 {
            return Err(EINVAL);
        }
        put(mem, a[0], &self.signals.pending.to_le_bytes())?;
        Ok(0)
    }

    pub(super) fn sigaltstack(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let prev = self.signals.altstack;
        if a[0] != 0 {
            let b: [u8; 24] = get(mem, a[0])?;
            let sp = u64::from_le_bytes(b[..8].try_into().unwrap_or_default());
            let flags = u32::from_le_bytes(b[8..12].try_into().unwrap_or_default());
            let size = u64::from_le_bytes(b[16..].try_into().unwrap_or_default());
            if flags & !SS_DISABLE != 0 {
                return Err(EINVAL);
            }
            if flags & SS_DISABLE == 0 && size < crate::stack::MINSIGSTKSZ {
                return Err(Errno(libc::ENOMEM));
            }
            self.signals.altstack = (sp, flags, size);
        }
        if a[1] != 0 {
            let mut b = [0u8; 24];
            b[..8].copy_from_slice(&prev.0.to_le_bytes());
            b[8..12].copy_from_slice(&prev.1.to_le_bytes());
            b[16..].copy_from_slice(&prev.2.to_le_bytes());
            put(mem, a[1], &b)?;
        }
        Ok(0)
    }

    /// The guest sends `sig` to itself.
    fn raise_self(&mut self, sig: i32) -> SysResult {
        if sig == 0 {
            return Ok(0);
        }
        if !(1..=NSIG as i32).contains(&sig) {
            return Err(EINVAL);
        }
        if let Some(s) = self.signals.raise(sig) {
            self.pending = Some(SyscallOutcome::Killed(s));
        }
        Ok(0)
    }

    pub(super) fn kill(&mut self, pid: i32, sig: i32) -> SysResult {
        if pid == self.pid || pid == 0 {
            return self.raise_self(sig);
        }
        if pid == -1 {
            return Err(Errno(libc::EPERM));
        }
        super::host::host_sys!(libc::SYS_kill, pid, sig)
    }

    pub(super) fn tkill(&mut self, tid: i32, sig: i32) -> SysResult {
        if tid != self.pid {
            return Err(Errno(libc::ESRCH));
        }
        self.raise_self(sig)
    }

    pub(super) fn tgkill(&mut self, tgid: i32, tid: i32, sig: i32) -> SysResult {
        if tgid != self.pid || tid != self.pid {
            return Err(Errno(libc::ESRCH));
        }
        self.raise_self(sig)
    }
}

/// futex for a single-threaded process: nobody else can wake a waiter.
pub(super) fn futex(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    const WAIT: u64 = 0;
    const WAKE: u64 = 1;
    const REQUEUE: u64 = 3;
    const CMP_REQUEUE: u64 = 4;
    const WAIT_BITSET: u64 = 9;
    const WAKE_BITSET: u64 = 10;
    let (uaddr, op, val) = (a[0], a[1] & 0x7f, a[2] as u32);
    let word = || -> Result<u32, Errno> {
        if uaddr % 4 != 0 {
            return Err(EINVAL);
        }
        get::<4>(mem, uaddr).map(u32::from_le_bytes)
    };
    match op {
        WAIT | WAIT_BITSET => {
            if word()? != val {
                return Err(Errno(libc::EAGAIN));
            }
            // Only a timeout (or a signal) could end this wait.
            Err(Errno(if a[3] != 0 {
                libc::ETIMEDOUT
            } else {
                libc::EINTR
            }))
        }
        WAKE | WAKE_BITSET | REQUEUE => word().map(|_| 0),
        CMP_REQUEUE => {
            if word()? != a[5] as u32 {
                Err(Errno(libc::EAGAIN))
            } else {
                Ok(0)
            }
        }
        _ => Err(Errno(libc::ENOSYS)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_abort_kills_but_ignore_and_mask_do_not() {
        let mut s = SignalState::default();
        assert_eq!(s.raise(libc::SIGABRT), Some(libc::SIGABRT));
        assert_eq!(s.raise(libc::SIGCHLD), None);
        s.actions[libc::SIGABRT as usize - 1].handler = SIG_IGN;
        assert_eq!(s.raise(libc::SIGABRT), None);
        s.actions[libc::SIGABRT as usize - 1].handler = SIG_DFL;
        s.mask = bit(libc::SIGABRT);
        assert_eq!(s.raise(libc::SIGABRT), None);
        assert_eq!(s.pending, bit(libc::SIGABRT));
        assert_eq!(s.deliverable(), None, "still blocked");
        s.mask = 0;
        assert_eq!(s.deliverable(), Some(libc::SIGABRT));
        assert_eq!(s.pending, 0);
    }

    #[test]
    fn sigkill_always_kills() {
        let mut s = SignalState::default();
        s.actions[libc::SIGKILL as usize - 1].handler = SIG_IGN;
        s.mask = u64::MAX;
        assert_eq!(s.raise(libc::SIGKILL), Some(libc::SIGKILL));
    }
}
