//! Linux system calls for a riscv64 guest, performed on the host.
//!
//! The guest's file descriptors are host descriptors, its pid is the VM's
//! pid (its threads' tids are host tids), and most calls pass straight
//! through to the host kernel with guest buffers translated to host
//! pointers ([`host`]). What cannot pass through is emulated: memory
//! management (on [`GuestMemory`]), `struct stat` ([`crate::abi`]), signals
//! (dispositions, masks, frames: `signal`, [`sigframe`], [`hostsig`]),
//! identity (`uname`, `/proc/self/exe`, `/proc/self/maps`), processes
//! (fork and execve act on the VM process itself) and threads ([`thread`]).
//!
//! One [`Linux`] value is the state of one guest thread; what the threads
//! of a process share is in [`thread::Shared`].
//!
//! Calling convention: number in `a7`, arguments in `a0..a5`, result in `a0`
//! (a negative errno on failure).

mod clone;
pub mod confine;
mod fs;
pub mod host;
pub mod hostsig;
mod mm;
mod net;
pub mod nr;
mod poll;
mod process;
mod procfs;
pub mod sigframe;
mod signal;
mod sys;
pub mod thread;

use std::collections::HashSet;
use std::ffi::{CStr, CString};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use vm_core::CpuState;
use vm_mem::{Errno, GuestMemory};

use host::{SysResult, host_sys};
pub use mm::mapped_bytes;
pub use signal::SignalState;

/// What the runtime must do after a system call.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum SyscallOutcome {
    /// Continue at `cpu.pc` (after the `ecall`, or in a signal handler, or
    /// where rt_sigreturn resumed).
    Continue,
    /// Continue, after dropping translations of guest code in `[start, end)`.
    Invalidate {
        /// First address.
        start: u64,
        /// One past the last address.
        end: u64,
    },
    /// The process exits with this status (0..=255).
    Exit(i32),
    /// The process is killed by this signal.
    Killed(i32),
    /// This thread ended (exit(2) while other threads live).
    ThreadExit,
}

/// Static facts about the emulated process.
#[derive(Clone, Debug, Default)]
pub struct LinuxConfig {
    /// Absolute host path of the main program (what `/proc/self/exe` names).
    pub exe_path: PathBuf,
    /// Directory that absolute guest paths are looked up in first (`-L`), as qemu does.
    pub sysroot: Option<PathBuf>,
    /// Print each call to stderr (`--strace`).
    pub strace: bool,
    /// Options for `vm run` when the guest calls execve (engine, sysroot,
    /// tracing), so the new program runs the way this one does.
    pub exec_options: Vec<std::ffi::OsString>,
    /// What `/proc/self/cmdline` holds: argv, each string NUL-terminated.
    pub cmdline: Vec<u8>,
    /// What `/proc/self/auxv` holds: the initial auxiliary vector.
    pub auxv: Vec<u8>,
    /// Confinement options (`--fs-root`, `--no-network`, `--max-memory`).
    pub sandbox: Sandbox,
}

/// What the guest is denied (`vm run` sandbox options).
#[derive(Clone, Debug, Default)]
pub struct Sandbox {
    /// The guest sees this host directory (absolute, canonical) as `/`:
    /// every guest path resolves inside it ([`confine`]).
    pub fs_root: Option<PathBuf>,
    /// socket(2) and socketpair(2) fail with EACCES for every address
    /// family but AF_UNIX.
    pub no_network: bool,
    /// Most bytes of guest mappings (mmap, brk, mremap, stacks): requests
    /// beyond it fail with ENOMEM, as under RLIMIT_AS.
    pub max_memory: Option<u64>,
}

impl Sandbox {
    /// Whether any confinement is on (then execve of a host program,
    /// which would run unconfined, is refused).
    pub fn any(&self) -> bool {
        self.fs_root.is_some() || self.no_network || self.max_memory.is_some()
    }
}

/// The Linux personality of one guest process.
#[derive(Debug)]
pub struct Linux {
    cfg: LinuxConfig,
    pid: i32,
    /// This thread's id (the pid for the main thread).
    tid: i32,
    signals: SignalState,
    warned: HashSet<u64>,
    clear_child_tid: u64,
    /// An outcome other than `Continue` decided by the current call.
    pending: Option<SyscallOutcome>,
    /// Guest address of the signal-return trampoline, once mapped.
    trampoline: Option<u64>,
    /// The mask to restore after rt_sigsuspend's signal is handled.
    suspend_restore: Option<u64>,
    /// Who raised each pending signal (index `sig - 1`).
    sig_source: [sigframe::SigSource; signal::NSIG],
    /// What all threads of the process share.
    shared: std::sync::Arc<thread::Shared>,
    /// Generations of the shared dispositions and invalidations seen.
    seen_actions_gen: u64,
    seen_inval_gen: u64,
    /// How to start guest threads, if enabled.
    threads: Option<thread::ThreadSupport>,
    /// The guest mask last mirrored onto this host thread.
    host_mask: u64,
    /// The guest stack pointer at the current system call.
    call_sp: u64,
    /// In a vfork child: the pipe end whose closing (at exec or exit)
    /// resumes the parent.
    vfork_release: Option<process::VforkRelease>,
}

impl Linux {
    /// A new process personality.
    pub fn new(cfg: LinuxConfig) -> Linux {
        let mut signals = SignalState::default();
        for (i, act) in signals.actions.iter_mut().enumerate() {
            if hostsig::host_ignores(i as i32 + 1) && i as i32 + 1 != libc::SIGPIPE {
                act.handler = 1;
            }
        }
        // The mask survives execve: the guest starts with the VM's.
        signals.mask = hostsig::thread_mask() & !signal::UNBLOCKABLE;
        let pid = std::process::id() as i32;
        Linux {
            cfg,
            pid,
            tid: pid,
            signals,
            warned: HashSet::new(),
            clear_child_tid: 0,
            pending: None,
            trampoline: None,
            suspend_restore: None,
            sig_source: [sigframe::SigSource::Fault { code: 0, addr: 0 }; signal::NSIG],
            shared: std::sync::Arc::default(),
            seen_actions_gen: 0,
            seen_inval_gen: 0,
            threads: None,
            host_mask: u64::MAX,
            call_sp: 0,
            vfork_release: None,
        }
    }

    /// The guest's pid (the VM's own).
    pub fn pid(&self) -> i32 {
        self.pid
    }

    /// Signal dispositions recorded so far.
    pub fn signals(&self) -> &SignalState {
        &self.signals
    }

    /// Perform the system call described by `cpu` (`a7`, `a0..a5`), write
    /// the result to `a0`, advance `pc` past the `ecall`, deliver signals
    /// the call made pending, and say what the runtime must do next.
    pub fn syscall(&mut self, cpu: &mut CpuState, mem: &GuestMemory) -> SyscallOutcome {
        let nr = cpu.x[17];
        let a: [u64; 6] = cpu.x[10..16].try_into().unwrap_or([0; 6]);
        if self.cfg.strace {
            eprint!("{}", crate::strace::format_call(self.tid, nr, &a, mem));
        }
        self.sync_actions();
        self.call_sp = cpu.x[2];
        if nr == nr::RT_SIGRETURN {
            if self.cfg.strace {
                eprintln!(" = ?");
            }
            let outcome = self.sigreturn(cpu, mem);
            // Signals the handler's mask held back are due now.
            if outcome == SyscallOutcome::Continue
                && let Some(sig) = self.settle_signals(cpu, mem)
            {
                return SyscallOutcome::Killed(sig);
            }
            return outcome;
        }
        self.pending = None;
        let r = match nr {
            nr::CLONE => clone::CloneArgs::from_clone(a).and_then(|c| self.clone_task(cpu, mem, c)),
            nr::CLONE3 => {
                clone::read_clone3(mem, a[0], a[1]).and_then(|c| self.clone_task(cpu, mem, c))
            }
            _ => self.dispatch(nr, a, mem),
        };
        let outcome = self.pending.take().unwrap_or(SyscallOutcome::Continue);
        if let SyscallOutcome::Invalidate { start, end } = outcome {
            self.log_invalidation(start, end);
        }
        if let SyscallOutcome::Exit(_) | SyscallOutcome::Killed(_) | SyscallOutcome::ThreadExit =
            outcome
        {
            if self.cfg.strace {
                eprintln!();
            }
            return outcome;
        }
        self.collect_host_signals();
        let restart =
            r == Err(Errno(libc::EINTR)) && restartable(nr) && self.signals.restart_interrupted();
        if !restart {
            cpu.x[10] = match r {
                Ok(v) => v,
                Err(e) => (-i64::from(e.0)) as u64,
            };
            cpu.pc = cpu.pc.wrapping_add(4);
            // The ecall has retired (engines count instructions before it).
            cpu.instret += 1;
        }
        if self.cfg.strace {
            let note = if restart { " (restarted)" } else { "" };
            eprintln!("{}{note}", crate::strace::format_result(nr, r));
        }
        if let Some(sig) = self.deliver_pending(cpu, mem) {
            return SyscallOutcome::Killed(sig);
        }
        if let Some(old) = self.suspend_restore.take() {
            // rt_sigsuspend's signal was ignored rather than handled.
            self.signals.mask = old;
        }
        if let Some(sig) = self.settle_signals(cpu, mem) {
            return SyscallOutcome::Killed(sig);
        }
        outcome
    }

    /// Mirror the guest mask onto this host thread, and deliver what that
    /// lets through, until nothing changes: unblocking on the host hands
    /// over the signals it held, before the guest runs another instruction.
    fn settle_signals(&mut self, cpu: &mut CpuState, mem: &GuestMemory) -> Option<i32> {
        loop {
            if self.signals.mask == self.host_mask {
                return None;
            }
            hostsig::set_thread_mask(self.signals.mask);
            self.host_mask = self.signals.mask;
            self.collect_host_signals();
            if let Some(sig) = self.deliver_pending(cpu, mem) {
                return Some(sig);
            }
        }
    }

    /// Between system calls (at budget checks): deliver signals that
    /// arrived from the host. `Some(sig)` if the process dies of one.
    pub fn poll_signals(&mut self, cpu: &mut CpuState, mem: &GuestMemory) -> Option<i32> {
        self.collect_host_signals();
        self.deliver_pending(cpu, mem)
            .or_else(|| self.settle_signals(cpu, mem))
    }

    /// Move host signals caught for the guest into its pending set.
    fn collect_host_signals(&mut self) {
        let (got, senders) = hostsig::take();
        if got == 0 {
            return;
        }
        self.signals.pending |= got;
        for sig in 1..=signal::NSIG as i32 {
            if got & signal::bit(sig) != 0 {
                let who = senders[sig as usize - 1];
                self.sig_source[sig as usize - 1] = sigframe::SigSource::User {
                    code: who.code,
                    pid: who.pid,
                    uid: who.uid,
                };
            }
        }
    }

    fn dispatch(&mut self, n: u64, a: [u64; 6], mem: &GuestMemory) -> SysResult {
        use nr::*;
        match n {
            // Files and directories.
            OPENAT => self.openat(mem, a),
            CLOSE => fs::close(a),
            READ => fs::read(mem, a),
            WRITE => fs::write(mem, a),
            READV | WRITEV | PREADV | PWRITEV => fs::rw_vec(mem, n, a),
            PREAD64 => fs::pread64(mem, a),
            PWRITE64 => fs::pwrite64(mem, a),
            LSEEK => fs::lseek(a),
            FSTAT => fs::fstat(mem, a),
            NEWFSTATAT => self.newfstatat(mem, a),
            STATX => self.statx(mem, a),
            GETDENTS64 => fs::getdents64(mem, a),
            READLINKAT => self.readlinkat(mem, a),
            FACCESSAT | FACCESSAT2 => self.faccessat(mem, n, a),
            UNLINKAT => self.path_call(mem, a, libc::SYS_unlinkat, false),
            MKDIRAT => self.path_call(mem, a, libc::SYS_mkdirat, false),
            MKNODAT => self.path_call(mem, a, libc::SYS_mknodat, false),
            FCHMODAT => self.path_call(mem, a, libc::SYS_fchmodat, true),
            FCHOWNAT => {
                let follow = a[4] & libc::AT_SYMLINK_NOFOLLOW as u64 == 0;
                self.path_call(mem, a, libc::SYS_fchownat, follow)
            }
            RENAMEAT2 | LINKAT => fs::two_paths(self, mem, n, a),
            SYMLINKAT => fs::symlinkat(self, mem, a),
            UTIMENSAT => fs::utimensat(self, mem, a),
            CHDIR => fs::chdir(self, mem, a),
            FCHDIR => host_sys!(libc::SYS_fchdir, a[0] as i32),
            GETCWD => self.getcwd(mem, a),
            FTRUNCATE => host_sys!(libc::SYS_ftruncate, a[0] as i32, a[1]),
            TRUNCATE => fs::truncate(self, mem, a),
            FALLOCATE => host_sys!(libc::SYS_fallocate, a[0] as i32, a[1] as i32, a[2], a[3]),
            FSYNC => host_sys!(libc::SYS_fsync, a[0] as i32),
            FDATASYNC => host_sys!(libc::SYS_fdatasync, a[0] as i32),
            SYNC => host_sys!(libc::SYS_sync),
            FCHMOD => host_sys!(libc::SYS_fchmod, a[0] as i32, a[1] as u32),
            FCHOWN => host_sys!(libc::SYS_fchown, a[0] as i32, a[1] as u32, a[2] as u32),
            STATFS => fs::statfs(self, mem, a),
            FSTATFS => fs::fstatfs(mem, a),
            FCNTL => fs::fcntl(mem, a),
            DUP => host_sys!(libc::SYS_dup, a[0] as i32),
            DUP3 => host_sys!(libc::SYS_dup3, a[0] as i32, a[1] as i32, a[2] as i32),
            PIPE2 => fs::pipe2(mem, a),
            IOCTL => self.ioctl(mem, a),
            SENDFILE => fs::sendfile(mem, a),
            PPOLL => fs::ppoll(mem, a),
            PSELECT6 => poll::pselect6(mem, a),
            EPOLL_CREATE1 => host_sys!(libc::SYS_epoll_create1, a[0] as i32),
            EPOLL_CTL => poll::epoll_ctl(mem, a),
            EPOLL_PWAIT => poll::epoll_pwait(mem, a),
            CLOSE_RANGE => host_sys!(libc::SYS_close_range, a[0] as u32, a[1] as u32, a[2] as u32),
            MEMFD_CREATE => fs::memfd_create(mem, a),
            // Sockets.
            SOCKET => {
                self.network_allowed(a[0])?;
                host_sys!(libc::SYS_socket, a[0] as i32, a[1] as i32, a[2] as i32)
            }
            SOCKETPAIR => {
                self.network_allowed(a[0])?;
                net::socketpair(mem, a)
            }
            BIND | CONNECT => {
                self.sockaddr_allowed(mem, a[1], a[2])?;
                let call = if n == BIND {
                    libc::SYS_bind
                } else {
                    libc::SYS_connect
                };
                net::addr_in(mem, call, a)
            }
            LISTEN => host_sys!(libc::SYS_listen, a[0] as i32, a[1] as i32),
            ACCEPT => net::addr_out(mem, libc::SYS_accept4, [a[0], a[1], a[2], 0, 0, 0]),
            ACCEPT4 => net::addr_out(mem, libc::SYS_accept4, a),
            GETSOCKNAME => net::addr_out(mem, libc::SYS_getsockname, a),
            GETPEERNAME => net::addr_out(mem, libc::SYS_getpeername, a),
            SENDTO => {
                self.sockaddr_allowed(mem, a[4], a[5])?;
                net::sendto(mem, a)
            }
            RECVFROM => net::recvfrom(mem, a),
            SETSOCKOPT => net::setsockopt(mem, a),
            GETSOCKOPT => net::getsockopt(mem, a),
            SHUTDOWN => host_sys!(libc::SYS_shutdown, a[0] as i32, a[1] as i32),
            SENDMSG => {
                self.msg_name_allowed(mem, a[1])?;
                net::msg(mem, false, a)
            }
            RECVMSG => net::msg(mem, true, a),
            // Memory.
            BRK => Ok(self.brk(mem, a[0])),
            MMAP => self.mmap(mem, a),
            MUNMAP => self.munmap(mem, a),
            MPROTECT => self.mprotect(mem, a),
            MREMAP => self.mremap(mem, a),
            MADVISE => self.madvise(mem, a),
            MSYNC => Ok(0),
            RISCV_FLUSH_ICACHE => self.flush_icache(a),
            MEMBARRIER => Ok(0),
            // Time.
            CLOCK_GETTIME => sys::clock_gettime(mem, a),
            CLOCK_GETRES => sys::clock_getres(mem, a),
            GETTIMEOFDAY => sys::gettimeofday(mem, a),
            NANOSLEEP => sys::nanosleep(mem, a),
            CLOCK_NANOSLEEP => sys::clock_nanosleep(mem, a),
            TIMES => sys::times(mem, a),
            GETRUSAGE => sys::getrusage(mem, a),
            // Identity and limits.
            GETPID => Ok(self.pid as u64),
            GETTID => Ok(self.tid as u64),
            GETPPID => host_sys!(libc::SYS_getppid),
            GETUID => host_sys!(libc::SYS_getuid),
            GETEUID => host_sys!(libc::SYS_geteuid),
            GETGID => host_sys!(libc::SYS_getgid),
            GETEGID => host_sys!(libc::SYS_getegid),
            GETRESUID => sys::getres(mem, a, libc::SYS_getresuid),
            GETRESGID => sys::getres(mem, a, libc::SYS_getresgid),
            GETPGID => host_sys!(libc::SYS_getpgid, a[0] as i32),
            SETPGID => host_sys!(libc::SYS_setpgid, a[0] as i32, a[1] as i32),
            GETSID => host_sys!(libc::SYS_getsid, a[0] as i32),
            SETSID => host_sys!(libc::SYS_setsid),
            UMASK => host_sys!(libc::SYS_umask, a[0] as u32),
            UNAME => sys::uname(mem, a),
            SYSINFO => sys::sysinfo(mem, a),
            GETRANDOM => sys::getrandom(mem, a),
            PRLIMIT64 => sys::prlimit64(self.pid, mem, a),
            GETRLIMIT => sys::prlimit64(self.pid, mem, [0, a[0], 0, a[1], 0, 0]),
            SETRLIMIT => sys::prlimit64(self.pid, mem, [0, a[0], a[1], 0, 0, 0]),
            SCHED_GETAFFINITY => sys::sched_getaffinity(mem, a),
            SCHED_SETAFFINITY => Ok(0),
            SCHED_YIELD => host_sys!(libc::SYS_sched_yield),
            GETCPU => sys::getcpu(mem, a),
            PRCTL => sys::prctl(mem, a),
            // Threads.
            SET_TID_ADDRESS => {
                self.clear_child_tid = a[0];
                Ok(self.tid as u64)
            }
            SET_ROBUST_LIST => Ok(0),
            FUTEX => thread::futex(mem, a),
            // Deliberately absent; glibc does without (as under qemu), so
            // no warning.
            RSEQ => Err(Errno(libc::ENOSYS)),
            RISCV_HWPROBE => procfs::riscv_hwprobe(mem, a),
            // Signals.
            RT_SIGACTION => self.rt_sigaction(mem, a),
            RT_SIGPROCMASK => self.rt_sigprocmask(mem, a),
            RT_SIGPENDING => self.rt_sigpending(mem, a),
            RT_SIGSUSPEND => self.rt_sigsuspend(mem, a),
            RT_SIGTIMEDWAIT => self.rt_sigtimedwait(mem, a),
            RT_SIGQUEUEINFO => self.rt_sigqueueinfo(mem, a),
            SIGALTSTACK => self.sigaltstack(mem, a),
            KILL => self.kill(a[0] as i32, a[1] as i32),
            TKILL => self.tkill(a[0] as i32, a[1] as i32),
            TGKILL => self.tgkill(a[0] as i32, a[1] as i32, a[2] as i32),
            WAIT4 => sys::wait4(mem, a),
            WAITID => sys::waitid(mem, a),
            GETITIMER => sys::getitimer(mem, a),
            SETITIMER => sys::setitimer(mem, a),
            EXECVE => self.execve(mem, a),
            // Leaving.
            EXIT => self.exit_thread(mem, a[0]),
            EXIT_GROUP => {
                self.pending = Some(SyscallOutcome::Exit((a[0] & 0xff) as i32));
                Ok(0)
            }
            _ => self.unsupported(n),
        }
    }

    /// -ENOSYS with a one-time warning naming the call.
    fn unsupported(&mut self, n: u64) -> SysResult {
        if self.warned.insert(n) {
            let name = nr::info(n).map_or(String::new(), |i| format!(" ({})", i.name));
            eprintln!("vm: warning: unsupported system call {n}{name}, returning -ENOSYS");
        }
        Err(Errno(libc::ENOSYS))
    }

    /// Warn once about an unsupported detail of a supported call.
    fn warn_once(&mut self, key: u64, msg: &str) {
        if self.warned.insert(key) {
            eprintln!("vm: warning: {msg}");
        }
    }

    /// The host path for a guest path: `/proc/self/exe` is the guest
    /// program; other absolute paths are looked up under the sysroot first.
    fn host_path(&self, p: CString) -> CString {
        let bytes = p.as_bytes();
        if bytes == b"/proc/self/exe" {
            return path_cstring(&self.cfg.exe_path).unwrap_or(p);
        }
        if let Some(root) = &self.cfg.sysroot
            && bytes.len() > 1
            && bytes[0] == b'/'
            && ![&b"/proc/"[..], b"/dev/", b"/sys/", b"/tmp/"]
                .iter()
                .any(|pre| bytes.starts_with(pre))
        {
            let candidate = root.join(Path::new(std::ffi::OsStr::from_bytes(&bytes[1..])));
            if std::fs::symlink_metadata(&candidate).is_ok()
                && let Some(c) = path_cstring(&candidate)
            {
                return c;
            }
        }
        p
    }

    /// `nr(dirfd, path, a[2], a[3], a[4])`: the shape shared by unlinkat,
    /// mkdirat, mknodat, fchmodat and fchownat; `follow`: whether the call
    /// follows a symlink in the last component.
    fn path_call(
        &mut self,
        mem: &GuestMemory,
        a: [u64; 6],
        nr: libc::c_long,
        follow: bool,
    ) -> SysResult {
        let p = self.at_path(mem, a[0], a[1], follow)?;
        host_sys!(nr, p.dirfd, &p.path, a[2], a[3], a[4])
    }
}

/// Whether Linux restarts call `n` after a handler with SA_RESTART ran
/// (the calls that fail with ERESTARTSYS; sleeps, polls and sigsuspend
/// return EINTR regardless).
fn restartable(n: u64) -> bool {
    use nr::*;
    matches!(
        n,
        READ | WRITE
            | READV
            | WRITEV
            | PREAD64
            | PWRITE64
            | PREADV
            | PWRITEV
            | WAIT4
            | WAITID
            | OPENAT
            | IOCTL
            | FCNTL
            | FUTEX
            | SENDFILE
            | GETRANDOM
    )
}

/// A path as a C string (None if it holds a NUL).
fn path_cstring(p: &Path) -> Option<CString> {
    CString::new(p.as_os_str().as_bytes()).ok()
}

/// Whether `p` names the running program through /proc.
fn is_proc_self_exe(p: &CStr) -> bool {
    p.to_bytes() == b"/proc/self/exe"
}

#[cfg(test)]
mod tests;
