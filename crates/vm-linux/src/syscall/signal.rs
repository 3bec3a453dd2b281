//! Signal dispositions, the signal mask, pending signals, and delivery.
//!
//! A signal the guest raises on itself, or a fault, is handled as Linux
//! does: ignored, fatal by default (abort() raises SIGABRT), held pending
//! while blocked, or delivered to the guest's handler through a signal
//! frame ([`super::sigframe`]). Signals from outside arrive as host
//! signals ([`super::hostsig`]) and join the same pending set.

use vm_mem::{Errno, GuestMemory};

use super::host::{SysResult, get, get_u64, put};
use super::sigframe::SigSource;
use super::{Linux, SyscallOutcome};
use vm_core::CpuState;

const EINVAL: Errno = Errno(libc::EINVAL);
/// Highest signal number.
pub const NSIG: usize = 64;
const SIG_DFL: u64 = 0;
const SIG_IGN: u64 = 1;
const SS_DISABLE: u32 = 2;
const SS_ONSTACK: u32 = 1;
/// Deliver on the alternate signal stack.
pub const SA_ONSTACK: u64 = 0x0800_0000;
/// Restart system calls the handler interrupted.
pub const SA_RESTART: u64 = 0x1000_0000;
/// Do not block the signal during its handler.
pub const SA_NODEFER: u64 = 0x4000_0000;
/// Reset to SIG_DFL on delivery.
pub const SA_RESETHAND: u64 = 0x8000_0000;
/// si_code of kill(2).
const SI_USER: i32 = 0;
/// si_code of tkill/tgkill.
const SI_TKILL: i32 = -6;

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

/// The mask bit of `sig`.
pub fn bit(sig: i32) -> u64 {
    1u64 << (sig - 1)
}

/// Signals that can never be blocked.
pub const UNBLOCKABLE: u64 = (1 << (libc::SIGKILL - 1)) | (1 << (libc::SIGSTOP - 1));

impl SignalState {
    /// Raise `sig` on the process: `Some(sig)` if it dies now; otherwise
    /// it is discarded (ignored) or left pending for [`Linux::deliver_pending`].
    fn raise(&mut self, sig: i32) -> Option<i32> {
        if sig == libc::SIGKILL {
            return Some(sig);
        }
        let act = self.actions[sig as usize - 1];
        if act.handler == SIG_IGN || (act.handler == SIG_DFL && !default_kills(sig)) {
            return None;
        }
        if act.handler == SIG_DFL && self.mask & bit(sig) == 0 {
            return Some(sig);
        }
        self.pending |= bit(sig);
        None
    }

    /// A system call was interrupted by a host signal: whether it must be
    /// restarted (the handler about to run has SA_RESTART), as Linux does.
    pub(super) fn restart_interrupted(&self) -> bool {
        let ready = self.pending & !self.mask;
        if ready == 0 {
            return false;
        }
        let sig = ready.trailing_zeros() as usize + 1;
        let act = self.actions[sig - 1];
        act.handler > SIG_IGN && act.flags & SA_RESTART != 0
    }

    /// Take the lowest pending, unblocked signal.
    fn take_deliverable(&mut self) -> Option<(i32, SigAction)> {
        let ready = self.pending & !self.mask;
        if ready == 0 {
            return None;
        }
        let sig = ready.trailing_zeros() as i32 + 1;
        self.pending &= !bit(sig);
        Some((sig, self.actions[sig as usize - 1]))
    }
}

impl Linux {
    /// Deliver pending, unblocked signals: run handlers (pushing frames on
    /// `cpu`), drop ignored ones. `Some(sig)` if the process dies.
    pub fn deliver_pending(&mut self, cpu: &mut CpuState, mem: &GuestMemory) -> Option<i32> {
        while let Some((sig, act)) = self.signals.take_deliverable() {
            match act.handler {
                SIG_IGN => {}
                SIG_DFL if !default_kills(sig) => {}
                SIG_DFL => return Some(sig),
                _ => {
                    let src = self.sig_source[sig as usize - 1];
                    if !self.push_frame(cpu, mem, sig, act, src) {
                        return Some(libc::SIGSEGV);
                    }
                }
            }
        }
        None
    }

    /// A synchronous fault raised `sig` at `cpu.pc`: run the guest's
    /// handler if it has one and the signal is not blocked (returns true);
    /// otherwise the process dies of it (false), as Linux forces it.
    pub fn fault_signal(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        sig: i32,
        code: i32,
        addr: u64,
    ) -> bool {
        let act = self.signals.actions[sig as usize - 1];
        if act.handler <= SIG_IGN || self.signals.mask & bit(sig) != 0 {
            return false;
        }
        self.push_frame(cpu, mem, sig, act, SigSource::Fault { code, addr })
    }

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
            self.signals.actions[slot] = new;
            if new.handler == SIG_IGN || (new.handler == SIG_DFL && !default_kills(sig)) {
                // Setting a disposition to ignore discards the pending signal.
                self.signals.pending &= !bit(sig);
            }
            super::hostsig::mirror(sig, new.handler);
            self.publish_actions();
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
        Ok(0)
    }

    /// rt_sigsuspend: wait with the given mask until a signal is delivered;
    /// the handler's frame saves the mask from before the call.
    pub(super) fn rt_sigsuspend(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        if a[1] != 8 {
            return Err(EINVAL);
        }
        let new = get_u64(mem, a[0])? & !UNBLOCKABLE;
        let old = self.signals.mask;
        self.signals.mask = new;
        // Wait on the host with the guest's temporary mask: a signal it
        // blocks stays pending there; one whose default action kills ends
        // the VM as it would end the guest.
        let host = super::hostsig::host_set(new);
        loop {
            self.collect_host_signals();
            if self.signals.pending & !self.signals.mask != 0 {
                break;
            }
            // SAFETY: `host` is an initialised sigset; sigsuspend returns
            // once a host signal has been handled.
            unsafe { libc::sigsuspend(&host) };
        }
        self.suspend_restore = Some(old);
        Err(Errno(libc::EINTR))
    }

    pub(super) fn rt_sigpending(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        if a[1] != 8 {
            return Err(EINVAL);
        }
        self.collect_host_signals();
        let all = self.signals.pending | super::hostsig::host_pending();
        put(mem, a[0], &all.to_le_bytes())?;
        Ok(0)
    }

    /// rt_sigtimedwait(set, info, timeout, sigsetsize): take a pending
    /// signal of `set` (this thread's own first, then the host kernel's,
    /// waiting there up to the timeout); siginfo has the same layout on
    /// both architectures.
    pub(super) fn rt_sigtimedwait(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        use super::host::{guest_ptr, host_sys};
        use vm_mem::Perm;
        if a[3] != 8 {
            return Err(EINVAL);
        }
        let set = get_u64(mem, a[0])? & !UNBLOCKABLE;
        let info = guest_ptr(mem, a[1], super::sigframe::SIGINFO_SIZE, Perm::W)?;
        let timeout = guest_ptr(mem, a[2], 16, Perm::R)?;
        self.collect_host_signals();
        let mine = self.signals.pending & set;
        if mine != 0 {
            let sig = mine.trailing_zeros() as i32 + 1;
            self.signals.pending &= !bit(sig);
            if a[1] != 0 {
                let src = self.sig_source[sig as usize - 1];
                put(mem, a[1], &super::sigframe::siginfo(sig, src))?;
            }
            return Ok(sig as u64);
        }
        let mut host = super::hostsig::host_set(set);
        host_sys!(
            libc::SYS_rt_sigtimedwait,
            super::host::HostPtr::to(&mut host),
            info,
            timeout,
            8usize
        )
    }

    /// rt_sigqueueinfo(pid, sig, info): passes through (same siginfo layout).
    pub(super) fn rt_sigqueueinfo(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        use super::host::{guest_ptr, host_sys};
        use vm_mem::Perm;
        let info = guest_ptr(mem, a[2], super::sigframe::SIGINFO_SIZE, Perm::R)?;
        host_sys!(libc::SYS_rt_sigqueueinfo, a[0] as i32, a[1] as i32, info)
    }

    /// `ss_flags` for the current stack: SS_ONSTACK while running on the
    /// alternate stack, else its own flags.
    pub(super) fn altstack_flags(&self, sp: u64) -> u32 {
        let (base, flags, size) = self.signals.altstack;
        if flags & SS_DISABLE == 0 && sp > base && sp <= base.wrapping_add(size) {
            SS_ONSTACK
        } else {
            flags
        }
    }

    pub(super) fn sigaltstack(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let mut prev = self.signals.altstack;
        prev.1 = self.altstack_flags(self.call_sp);
        if a[0] != 0 {
            if prev.1 == SS_ONSTACK {
                return Err(Errno(libc::EPERM));
            }
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

    /// The guest sends `sig` to itself (with `si_code` `code`).
    fn raise_self(&mut self, sig: i32, code: i32) -> SysResult {
        if sig == 0 {
            return Ok(0);
        }
        if !(1..=NSIG as i32).contains(&sig) {
            return Err(EINVAL);
        }
        if let Some(s) = self.signals.raise(sig) {
            self.pending = Some(SyscallOutcome::Killed(s));
        }
        if self.signals.pending & bit(sig) != 0 {
            // SAFETY: getuid has no preconditions.
            let uid = unsafe { libc::getuid() };
            self.sig_source[sig as usize - 1] = SigSource::User {
                code,
                pid: self.pid,
                uid,
            };
        }
        Ok(0)
    }

    /// kill: signals the host sees (mirrored ones) go through the host
    /// kernel even to this process, so it picks the receiving thread and
    /// keeps blocked ones pending exactly as Linux would; the synchronous
    /// ones (never mirrored) are raised here.
    pub(super) fn kill(&mut self, pid: i32, sig: i32) -> SysResult {
        if pid == self.pid && !super::hostsig::mirrored(sig) && sig != libc::SIGSTOP {
            return self.raise_self(sig, SI_USER);
        }
        if pid == -1 {
            return Err(Errno(libc::EPERM));
        }
        super::host::host_sys!(libc::SYS_kill, pid, sig)
    }

    pub(super) fn tkill(&mut self, tid: i32, sig: i32) -> SysResult {
        self.tgkill(self.pid, tid, sig)
    }

    /// A signal to one thread: this one is handled here; another thread of
    /// this process gets a host signal (recorded for the guest if it has a
    /// handler, else acting on the whole process, as the default would).
    pub(super) fn tgkill(&mut self, tgid: i32, tid: i32, sig: i32) -> SysResult {
        if tgid != self.pid {
            return Err(Errno(libc::ESRCH));
        }
        if tid == self.tid && !super::hostsig::mirrored(sig) && sig != libc::SIGSTOP {
            return self.raise_self(sig, SI_TKILL);
        }
        if tid == self.tid {
            return super::host::host_sys!(libc::SYS_tgkill, tgid, tid, sig);
        }
        if tid <= 0 {
            return Err(EINVAL);
        }
        if !self.is_guest_thread(tid) {
            return Err(Errno(libc::ESRCH));
        }
        super::host::host_sys!(libc::SYS_tgkill, tgid, tid, sig)
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
        assert_eq!(s.pending, 0, "harmless default: discarded");
        s.actions[libc::SIGABRT as usize - 1].handler = SIG_IGN;
        assert_eq!(s.raise(libc::SIGABRT), None);
        assert_eq!(s.pending, 0, "ignored: discarded");
        s.actions[libc::SIGABRT as usize - 1].handler = SIG_DFL;
        s.mask = bit(libc::SIGABRT);
        assert_eq!(s.raise(libc::SIGABRT), None);
        assert_eq!(s.pending, bit(libc::SIGABRT));
        assert_eq!(s.take_deliverable(), None, "still blocked");
        s.mask = 0;
        assert_eq!(
            s.take_deliverable(),
            Some((libc::SIGABRT, SigAction::default()))
        );
        assert_eq!(s.pending, 0);
    }

    #[test]
    fn handled_signals_wait_for_delivery() {
        let mut s = SignalState::default();
        let act = SigAction {
            handler: 0x1000,
            flags: 0,
            mask: 0,
        };
        s.actions[libc::SIGUSR1 as usize - 1] = act;
        assert_eq!(s.raise(libc::SIGUSR1), None);
        assert_eq!(s.take_deliverable(), Some((libc::SIGUSR1, act)));
        assert_eq!(s.take_deliverable(), None);
    }

    #[test]
    fn sigkill_always_kills() {
        let mut s = SignalState::default();
        s.actions[libc::SIGKILL as usize - 1].handler = SIG_IGN;
        s.mask = u64::MAX;
        assert_eq!(s.raise(libc::SIGKILL), Some(libc::SIGKILL));
    }
}
