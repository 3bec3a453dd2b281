//! Guest threads as host threads.
//!
//! Each guest thread runs on its own host thread with its own CPU state,
//! engine and per-thread Linux state (tid, signal mask, pending signals),
//! over the one shared guest address space. What the threads share lives in
//! [`Shared`]: signal dispositions (copied into each thread when they change),
//! the log of code ranges to invalidate (every engine must drop them, not
//! just the calling thread's), and the count of live threads. futex calls go
//! to the host kernel on the guest word's host address, so waits and wakes
//! between guest threads are real.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use vm_core::CpuState;
use vm_engine::Engine;
use vm_mem::{Errno, GuestMemory};

use super::clone::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_PARENT_SETTID, CLONE_PIDFD, CLONE_SETTLS,
    CLONE_SIGHAND, CLONE_THREAD, CLONE_VFORK, CLONE_VM, CloneArgs,
};
use super::host::{SysResult, host_sys, put};
use super::signal::{NSIG, SigAction};
use super::{Linux, SyscallOutcome};
use crate::runtime::{GuestEnd, RunLimits};

/// Most invalidation ranges kept before they collapse into a full flush.
const INVALIDATIONS_MAX: usize = 256;

/// Makes an engine for a new guest thread.
pub type EngineFactory = Arc<dyn Fn() -> Box<dyn Engine> + Send + Sync>;

/// What a process needs to start guest threads.
#[derive(Clone)]
pub struct ThreadSupport {
    /// Engine for each new thread.
    pub make_engine: EngineFactory,
    /// The address space (lives as long as the process).
    pub mem: &'static GuestMemory,
    /// Run loop limits for new threads.
    pub limits: RunLimits,
}

impl std::fmt::Debug for ThreadSupport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ThreadSupport").finish_non_exhaustive()
    }
}

/// State shared by all threads of the guest process.
#[derive(Debug)]
pub struct Shared {
    /// Latest signal dispositions and their generation.
    actions: Mutex<[SigAction; NSIG]>,
    actions_gen: AtomicU64,
    /// Code ranges to invalidate: (generation, start, end).
    invalidations: Mutex<Vec<(u64, u64, u64)>>,
    inval_gen: AtomicU64,
    /// Threads not yet exited.
    live: AtomicUsize,
    /// Host thread ids of the guest threads started with clone.
    tids: Mutex<std::collections::HashSet<i32>>,
}

impl Default for Shared {
    fn default() -> Self {
        Shared {
            actions: Mutex::new([SigAction::default(); NSIG]),
            actions_gen: AtomicU64::new(0),
            invalidations: Mutex::new(Vec::new()),
            inval_gen: AtomicU64::new(0),
            live: AtomicUsize::new(1),
            tids: Mutex::new(std::collections::HashSet::new()),
        }
    }
}

/// FUTEX_WAKE, not private: the kernel wakes a thread's clear_child_tid
/// waiters with a shared wake, and glibc waits accordingly.
const FUTEX_WAKE: i32 = 1;

/// The calling host thread's id.
fn gettid() -> i32 {
    host_sys!(libc::SYS_gettid).map_or(0, |t| t as i32)
}

impl Linux {
    /// Publish this thread's signal dispositions to the other threads.
    pub(super) fn publish_actions(&mut self) {
        if let Ok(mut a) = self.shared.actions.lock() {
            *a = self.signals.actions;
            self.seen_actions_gen = self.shared.actions_gen.fetch_add(1, Ordering::SeqCst) + 1;
        }
    }

    /// Adopt dispositions another thread changed.
    pub(super) fn sync_actions(&mut self) {
        let g = self.shared.actions_gen.load(Ordering::SeqCst);
        if g != self.seen_actions_gen
            && let Ok(a) = self.shared.actions.lock()
        {
            self.signals.actions = *a;
            self.seen_actions_gen = g;
        }
    }

    /// Record a range every thread's engine must drop.
    pub(super) fn log_invalidation(&mut self, start: u64, end: u64) {
        if self.shared.live.load(Ordering::SeqCst) <= 1 && self.threads.is_none() {
            return;
        }
        if let Ok(mut log) = self.shared.invalidations.lock() {
            let g = self.shared.inval_gen.fetch_add(1, Ordering::SeqCst) + 1;
            if log.len() >= INVALIDATIONS_MAX {
                log.clear();
                log.push((g, 0, u64::MAX));
            } else {
                log.push((g, start, end));
            }
            self.seen_inval_gen = g;
        }
    }

    /// Ranges other threads invalidated since this thread last asked.
    pub fn take_invalidations(&mut self) -> Vec<(u64, u64)> {
        let g = self.shared.inval_gen.load(Ordering::SeqCst);
        if g == self.seen_inval_gen {
            return Vec::new();
        }
        let Ok(log) = self.shared.invalidations.lock() else {
            return vec![(0, u64::MAX)];
        };
        let seen = self.seen_inval_gen;
        self.seen_inval_gen = g;
        log.iter()
            .filter(|e| e.0 > seen)
            .map(|e| (e.1, e.2))
            .collect()
    }

    /// In a fork child: only the forking thread exists there. Fresh shared
    /// state (another thread may have held its locks at the fork), seeded
    /// with this thread's dispositions, which are current.
    pub(super) fn forked_child_reset(&mut self) {
        let shared = Shared {
            actions: Mutex::new(self.signals.actions),
            ..Shared::default()
        };
        self.shared = Arc::new(shared);
        // A child starts with no pending signals.
        self.signals.pending = 0;
        let _ = super::hostsig::take();
        self.seen_actions_gen = 0;
        self.seen_inval_gen = 0;
        crate::limits::after_fork();
    }

    /// Whether `tid` is another live thread of this guest process.
    pub(super) fn is_guest_thread(&self, tid: i32) -> bool {
        self.shared.tids.lock().is_ok_and(|t| t.contains(&tid))
    }

    /// Enable CLONE_THREAD.
    pub fn set_thread_support(&mut self, ts: ThreadSupport) {
        self.threads = Some(ts);
    }

    /// This thread's state for a new thread of the same process.
    fn for_new_thread(&self) -> Linux {
        let mut signals = self.signals.clone();
        signals.pending = 0;
        signals.altstack = super::signal::SignalState::default().altstack;
        Linux {
            cfg: self.cfg.clone(),
            pid: self.pid,
            tid: self.pid,
            signals,
            warned: self.warned.clone(),
            clear_child_tid: 0,
            pending: None,
            trampoline: self.trampoline,
            suspend_restore: None,
            sig_source: self.sig_source,
            shared: Arc::clone(&self.shared),
            seen_actions_gen: self.seen_actions_gen,
            seen_inval_gen: self.seen_inval_gen,
            threads: self.threads.clone(),
            // The new host thread inherits the creating thread's host mask.
            host_mask: self.host_mask,
            call_sp: 0,
            vfork_release: None,
        }
    }

    /// clone or clone3 with CLONE_THREAD: start a guest thread on a new
    /// host thread.
    pub(super) fn spawn_thread(&mut self, cpu: &CpuState, args: CloneArgs) -> SysResult {
        let (flags, newsp, ptid, tls, ctid) = (
            args.flags,
            args.sp,
            args.parent_tid,
            args.tls,
            args.child_tid,
        );
        let needed = CLONE_VM | CLONE_SIGHAND | CLONE_THREAD;
        let Some(ts) = self.threads.clone() else {
            self.warn_once(
                3 << 40,
                "guest threads are not available in this configuration",
            );
            return Err(Errno(libc::ENOSYS));
        };
        if flags & needed != needed {
            return Err(Errno(libc::EINVAL));
        }
        if flags & (CLONE_PIDFD | CLONE_VFORK) != 0 {
            self.warn_once(
                3 << 40,
                &format!("unsupported clone flags {flags:#x} for a thread"),
            );
            return Err(Errno(libc::ENOSYS));
        }
        let mut child_cpu = cpu.clone();
        child_cpu.x[10] = 0;
        child_cpu.pc = cpu.pc.wrapping_add(4);
        child_cpu.res_addr = vm_core::cpu::NO_RESERVATION;
        if newsp != 0 {
            child_cpu.x[2] = newsp;
        }
        if flags & CLONE_SETTLS != 0 {
            child_cpu.x[4] = tls;
        }
        let mut child = self.for_new_thread();
        let (tx, rx) = std::sync::mpsc::channel();
        self.shared.live.fetch_add(1, Ordering::SeqCst);
        let spawned = std::thread::Builder::new()
            .name("vm-guest".into())
            .spawn(move || {
                let tid = gettid();
                child.tid = tid;
                // Both tid stores happen before any guest code of either
                // thread runs again, as in the kernel (ptid may equal ctid,
                // which this thread clears when it exits).
                if flags & CLONE_PARENT_SETTID != 0 {
                    put(ts.mem, ptid, &tid.to_le_bytes()).ok();
                }
                if flags & CLONE_CHILD_SETTID != 0 {
                    put(ts.mem, ctid, &tid.to_le_bytes()).ok();
                }
                if flags & CLONE_CHILD_CLEARTID != 0 {
                    child.clear_child_tid = ctid;
                }
                if let Ok(mut t) = child.shared.tids.lock() {
                    t.insert(tid);
                }
                let _ = tx.send(tid);
                let mut engine = (ts.make_engine)();
                let end = crate::runtime::run(
                    engine.as_mut(),
                    &mut child_cpu,
                    ts.mem,
                    &mut child,
                    &ts.limits,
                );
                match end {
                    GuestEnd::ThreadExited => {}
                    GuestEnd::Exited(code) => std::process::exit(code),
                    GuestEnd::Limit(hit) => {
                        eprintln!("vm: {}", hit.message);
                        std::process::exit(hit.status)
                    }
                    GuestEnd::Killed { signal, diagnostic } => {
                        if let Some(d) = diagnostic {
                            eprintln!("vm: {d}");
                        }
                        crate::runtime::die_by_signal(signal)
                    }
                }
            });
        if spawned.is_err() {
            self.shared.live.fetch_sub(1, Ordering::SeqCst);
            return Err(Errno(libc::EAGAIN));
        }
        let tid = rx.recv().map_err(|_| Errno(libc::EAGAIN))?;
        Ok(tid as u64)
    }

    /// exit(2): end this thread; the process ends with its last thread.
    pub(super) fn exit_thread(&mut self, mem: &GuestMemory, code: u64) -> SysResult {
        let left = self.shared.live.fetch_sub(1, Ordering::SeqCst) - 1;
        if left == 0 {
            self.pending = Some(SyscallOutcome::Exit((code & 0xff) as i32));
            return Ok(0);
        }
        if self.clear_child_tid != 0 {
            let addr = self.clear_child_tid;
            if put(mem, addr, &0u32.to_le_bytes()).is_ok()
                && let Ok(p) = mem.host_range(addr, 4, vm_mem::Perm::R)
            {
                let p = super::host::HostPtr::from_guest(p);
                host_sys!(libc::SYS_futex, p, FUTEX_WAKE, 1).ok();
            }
        }
        if let Ok(mut t) = self.shared.tids.lock() {
            t.remove(&self.tid);
        }
        self.pending = Some(SyscallOutcome::ThreadExit);
        Ok(0)
    }
}

/// futex on the host, on the guest word's host address: waits and wakes
/// between guest threads (and timeouts and signals) behave as on Linux.
pub(super) fn futex(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    use super::host::guest_ptr;
    use vm_mem::Perm;
    let op = (a[1] & 0x7f) as i32;
    if a[0] == 0 {
        return Err(Errno(libc::EFAULT));
    }
    let uaddr = guest_ptr(mem, a[0], 4, Perm::R)?;
    // Which ops take a timeout in a[3] and a second address in a[4].
    let has_timeout = matches!(op, 0 | 6 | 9 | 11 | 13);
    let has_uaddr2 = matches!(op, 3 | 4 | 5 | 11 | 12);
    let timeout = if has_timeout {
        guest_ptr(mem, a[3], 16, Perm::R)?
    } else {
        super::host::HostPtr::null()
    };
    let uaddr2 = if has_uaddr2 {
        guest_ptr(mem, a[4], 4, Perm::RW)?
    } else {
        super::host::HostPtr::null()
    };
    match (has_timeout, has_uaddr2) {
        (true, true) => host_sys!(
            libc::SYS_futex,
            uaddr,
            a[1] as i32,
            a[2] as u32,
            timeout,
            uaddr2,
            a[5] as u32
        ),
        (true, false) => host_sys!(
            libc::SYS_futex,
            uaddr,
            a[1] as i32,
            a[2] as u32,
            timeout,
            a[4],
            a[5] as u32
        ),
        (false, true) => host_sys!(
            libc::SYS_futex,
            uaddr,
            a[1] as i32,
            a[2] as u32,
            a[3],
            uaddr2,
            a[5] as u32
        ),
        (false, false) => host_sys!(
            libc::SYS_futex,
            uaddr,
            a[1] as i32,
            a[2] as u32,
            a[3],
            a[4],
            a[5] as u32
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn invalidation_log_reaches_other_threads_once() {
        let mut a = Linux::new(super::super::LinuxConfig::default());
        let mut b = a.for_new_thread();
        a.shared.live.fetch_add(1, Ordering::SeqCst);
        a.log_invalidation(0x1000, 0x2000);
        assert_eq!(b.take_invalidations(), vec![(0x1000, 0x2000)]);
        assert_eq!(b.take_invalidations(), vec![]);
        assert_eq!(
            a.take_invalidations(),
            vec![],
            "the caller already dropped it"
        );
        for i in 0..INVALIDATIONS_MAX as u64 + 1 {
            a.log_invalidation(i, i + 1);
        }
        assert!(
            b.take_invalidations().contains(&(0, u64::MAX)),
            "collapsed to a full flush"
        );
    }

    #[test]
    fn dispositions_are_shared() {
        let mut a = Linux::new(super::super::LinuxConfig::default());
        let mut b = a.for_new_thread();
        a.signals.actions[9].handler = 0x4000;
        a.publish_actions();
        b.sync_actions();
        assert_eq!(b.signals.actions[9].handler, 0x4000);
    }
}
