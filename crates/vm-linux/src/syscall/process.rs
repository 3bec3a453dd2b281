//! fork and execve, by doing the same to the VM process itself.
//!
//! A guest fork is a host fork: the VM is one process with the guest
//! address space inside it (a private mapping), so the host child is a
//! complete copy of the guest process, and its descendants, exit statuses
//! and signals are what the guest's would be. A guest execve re-executes the
//! VM binary on the new program (`vm run ... PROGRAM ARGS` with the guest's
//! environment), so the process keeps its pid and inherited descriptors.
//!
//! Threads (CLONE_THREAD) are in [`super::thread`]; the clone/clone3
//! arguments in [`super::clone`]. A vfork (CLONE_VM|CLONE_VFORK, used by
//! posix_spawn and shells) suspends the parent until the child execs or
//! exits, as Linux does, but the child runs on a copy of memory: the VM's
//! address space cannot be shared across a host fork. Correct vfork
//! children (which only exec or `_exit`) cannot tell; writes a child makes
//! to memory are not seen by the parent, so a failed exec in a posix_spawn
//! child is not reported back through memory (the child exits 127 instead).
//! Forking while other guest threads run copies only the calling thread, as
//! on Linux; a VM-internal lock another thread held at that moment would
//! stay held in the child. Every lock the child can take is covered:
//! - held across the fork (so no other thread holds it then): the
//!   memory-cap lock (`mm`), the guest address-space lock (`vm-mem`) and
//!   the stderr lock (`--strace`, warnings);
//! - replaced in the child: the process's shared thread state
//!   ([`super::thread::Shared`]: dispositions, invalidation log, thread
//!   ids), and the limits' count of threads in a call;
//! - per thread, so nothing to do: the signal bookkeeping of
//!   [`super::hostsig`] (thread-locals), SoftFloat's rounding mode and
//!   flags;
//! - the JIT's process-wide translation cache and its compile worker: a
//!   `pthread_atfork` handler in vm-engine-jit makes the child's engines
//!   start from a fresh cache, never touching the parent's locks;
//! - glibc's own (malloc, stdio) are reset by glibc's fork; Rust's stdout
//!   lock is not used by the VM (guest output is write(2)), and process
//!   exit only try-locks it.
//!
//! `tests/guest/fork_stress.c` forks while other threads are in those paths.

use std::ffi::{CString, OsString};
use std::os::fd::{AsRawFd, FromRawFd, IntoRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use vm_core::CpuState;
use vm_mem::{Errno, GuestMemory};

use super::Linux;
use super::clone::{
    CLONE_CHILD_CLEARTID, CLONE_CHILD_SETTID, CLONE_CLEAR_SIGHAND, CLONE_PARENT_SETTID,
    CLONE_PIDFD, CLONE_SETTLS, CLONE_VFORK, CLONE_VM, CloneArgs,
};
use super::host::{SysResult, get_u64, guest_cstr, last_errno, put};
use crate::elf::{ElfImage, LoadError};

/// Flags a fork-like clone may carry.
const FORK_FLAGS: u64 = CLONE_VM
    | CLONE_VFORK
    | CLONE_PIDFD
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID
    | CLONE_CLEAR_SIGHAND;

/// Most argv/envp entries accepted by execve.
const EXEC_STRINGS_MAX: u64 = 1 << 16;
/// Longest single argument or environment string.
const EXEC_STRING_BYTES_MAX: usize = 128 << 10;

impl Linux {
    /// A fork-like clone (no CLONE_THREAD): fork the VM process. With
    /// CLONE_VFORK the parent then sleeps until the child has exec'd or
    /// exited ([`vfork_pipe`]).
    pub(super) fn fork(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        args: CloneArgs,
    ) -> SysResult {
        let flags = args.flags;
        let extra = flags & !FORK_FLAGS;
        if extra != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
            self.warn_once(
                3 << 40,
                &format!("unsupported clone flags {flags:#x} (only fork, vfork and threads)"),
            );
            return Err(Errno(libc::ENOSYS));
        }
        if args.exit_signal != libc::SIGCHLD as u64 {
            // The host fork always reports the child's end with SIGCHLD.
            self.warn_once(
                (3 << 40) | 1,
                &format!(
                    "clone exit signal {} is delivered as SIGCHLD",
                    args.exit_signal
                ),
            );
        }
        // The child keeps only this thread: a VM lock that another guest
        // thread holds during the fork would stay locked in the child (seen:
        // the stderr lock of a concurrent --strace line). Hold the
        // process-wide ones across the fork, in lock order (stderr last: it
        // is only ever held while printing). The per-process ones (signal
        // dispositions, invalidation log, thread ids) are replaced in the
        // child instead: see `forked_child_reset`.
        let cap_guard = super::mm::cap_fork_guard();
        // Made under the fork lock, and its write end closed in the parent
        // before the lock is released: no other thread's fork child
        // inherits it (and delays the release).
        let (vfork_read, mut vfork_write) = if flags & CLONE_VFORK != 0 {
            let (r, w) = vfork_pipe()?;
            (Some(r), Some(w))
        } else {
            (None, None)
        };
        let mem_guard = mem.fork_guard();
        let stderr_guard = std::io::stderr().lock();
        // SAFETY: fork has no memory-safety preconditions; the VM runs guest
        // code on this thread only, so the child is a consistent copy.
        let pid = unsafe { libc::fork() };
        if pid != 0 {
            // Only the child holds the write end.
            vfork_write = None;
        }
        drop(stderr_guard);
        drop(mem_guard);
        drop(cap_guard);
        if pid < 0 {
            return Err(last_errno());
        }
        if pid == 0 {
            self.pid = std::process::id() as i32;
            self.tid = self.pid;
            self.forked_child_reset();
            // A vfork parent higher up waits for its own child only.
            if let Some(r) = self.vfork_release.take() {
                r.close_in_descendant();
            }
            drop(vfork_read);
            // Held until exec (close-on-exec) or exit.
            self.vfork_release = vfork_write.map(VforkRelease::new);
            if flags & CLONE_CLEAR_SIGHAND != 0 {
                self.clear_handlers();
            }
            if flags & CLONE_CHILD_SETTID != 0 {
                put(mem, args.child_tid, &self.pid.to_le_bytes())?;
            }
            if flags & CLONE_CHILD_CLEARTID != 0 {
                self.clear_child_tid = args.child_tid;
            }
            if args.sp != 0 {
                cpu.x[2] = args.sp;
            }
            if flags & CLONE_SETTLS != 0 {
                cpu.x[4] = args.tls;
            }
            return Ok(0);
        }
        let stored = self.parent_stores(mem, &args, pid);
        if let Some(read_end) = vfork_read {
            wait_for_release(&read_end);
        }
        stored.map(|()| pid as u64)
    }

    /// The parent's side of a fork: CLONE_PARENT_SETTID and CLONE_PIDFD.
    fn parent_stores(
        &mut self,
        mem: &GuestMemory,
        args: &CloneArgs,
        pid: i32,
    ) -> Result<(), Errno> {
        if args.flags & CLONE_PARENT_SETTID != 0 {
            put(mem, args.parent_tid, &pid.to_le_bytes())?;
        }
        if args.flags & CLONE_PIDFD != 0 {
            // As the kernel's: close-on-exec, refers to the child.
            let fd = super::host::host_sys!(libc::SYS_pidfd_open, pid, 0)?;
            if let Err(e) = put(mem, args.pidfd, &(fd as i32).to_le_bytes()) {
                // SAFETY: `fd` was just opened here and is not shared.
                unsafe { libc::close(fd as i32) };
                return Err(e);
            }
        }
        Ok(())
    }

    /// CLONE_CLEAR_SIGHAND: handled signals go back to SIG_DFL (ignored
    /// ones stay ignored).
    fn clear_handlers(&mut self) {
        for (i, act) in self.signals.actions.iter_mut().enumerate() {
            if act.handler > 1 {
                *act = super::signal::SigAction::default();
                super::hostsig::mirror(i as i32 + 1, 0);
            }
        }
        self.publish_actions();
    }

    /// execve(path, argv, envp): a RISC-V program (or a `#!` script whose
    /// interpreter is one) re-executes the VM on it, as binfmt_misc would
    /// have the kernel do; anything else goes to the host kernel as is, as
    /// under qemu-user: a host-architecture program (the host's `/bin/sh`
    /// for `system()`) then runs natively, and the kernel's error (ENOEXEC,
    /// ENOENT, EACCES, ...) is the guest's.
    pub(super) fn execve(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let raw = guest_cstr(mem, a[0])?;
        let argv = read_string_array(mem, a[1])?;
        let envp = read_string_array(mem, a[2])?;
        let path = self.host_file(raw.clone())?;
        let host = std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()));
        // Check the program here, so the guest gets an errno, not a VM error.
        match std::fs::metadata(host) {
            Err(e) => return Err(Errno(e.raw_os_error().unwrap_or(libc::ENOENT))),
            Ok(m) if !m.is_file() => return Err(Errno(libc::EACCES)),
            Ok(_) => {}
        }
        // SAFETY: `path` is a valid NUL-terminated path.
        if unsafe { libc::access(path.as_ptr(), libc::X_OK) } != 0 {
            return Err(last_errno());
        }
        let guest_path =
            if raw.as_bytes() == b"/proc/self/exe" || self.cfg.sandbox.fs_root.is_some() {
                // The new VM opens the program before confining itself.
                path.as_bytes().to_vec()
            } else {
                raw.as_bytes().to_vec()
            };
        if is_riscv_program(host)? {
            let mut new_argv = argv.clone();
            if new_argv.is_empty() {
                new_argv.push(Vec::new());
            }
            return self.exec_vm(guest_path, new_argv, envp);
        }
        if let Some((interp, arg)) = shebang(host)? {
            let interp_host = self
                .host_file(CString::new(interp.clone()).map_err(|_| Errno(libc::ENOEXEC))?)
                .map_err(|_| Errno(libc::ENOEXEC))?;
            let ihost = std::path::Path::new(std::ffi::OsStr::from_bytes(interp_host.as_bytes()));
            if is_riscv_program(ihost).unwrap_or(false) {
                // As the kernel does: argv = interp [arg] script argv[1..].
                let mut new_argv = vec![interp.clone()];
                new_argv.extend(arg);
                new_argv.push(raw.as_bytes().to_vec());
                new_argv.extend(argv.iter().skip(1).cloned());
                let program = if self.cfg.sandbox.fs_root.is_some() {
                    interp_host.as_bytes().to_vec()
                } else {
                    interp
                };
                return self.exec_vm(program, new_argv, envp);
            }
        }
        if self.cfg.sandbox.any() {
            // A host program would run outside the sandbox.
            return Err(Errno(libc::EACCES));
        }
        host_execve(&path, argv, envp)
    }

    /// Replace this process with `vm run [options] --argv0 argv[0] program
    /// argv[1..]`.
    fn exec_vm(&mut self, program: Vec<u8>, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> SysResult {
        let vm = std::env::current_exe().map_err(|_| Errno(libc::ENOEXEC))?;
        let mut args: Vec<OsString> = vec!["vm".into(), "run".into()];
        args.extend(self.cfg.exec_options.iter().cloned());
        args.extend(self.sandbox_options());
        if let Some(argv0) = argv.first() {
            args.push("--argv0".into());
            args.push(OsString::from_vec(argv0.clone()));
        }
        args.push(OsString::from_vec(program));
        args.extend(argv.iter().skip(1).map(|s| OsString::from_vec(s.clone())));
        let c_vm = CString::new(vm.as_os_str().as_bytes()).map_err(|_| Errno(libc::EINVAL))?;
        host_execve(
            &c_vm,
            args.into_iter().map(OsString::into_vec).collect(),
            envp,
        )
    }

    /// The sandbox options that carry over to an exec'd program: the same
    /// confinement, and what is left of the instruction and time limits.
    fn sandbox_options(&self) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        let sb = &self.cfg.sandbox;
        if let Some(root) = &sb.fs_root {
            v.push("--fs-root".into());
            v.push(root.clone().into_os_string());
        }
        if sb.no_network {
            v.push("--no-network".into());
        }
        if let Some(m) = sb.max_memory {
            v.push("--max-memory".into());
            v.push(m.to_string().into());
        }
        let left = crate::limits::insns_left();
        if left != u64::MAX {
            v.push("--max-insns".into());
            v.push(left.max(1).to_string().into());
        }
        if let Some(t) = crate::limits::time_left() {
            v.push("--timeout".into());
            v.push(format!("{:.3}", t.as_secs_f64().max(0.001)).into());
        }
        v
    }
}

/// Lowest descriptor number tried for the vfork pipe: out of the way of
/// the descriptors a vfork child typically sets up (dup2 onto 0..=2 and a
/// few more) before it execs.
const VFORK_FD_MIN: i32 = 512;

/// A close-on-exec pipe for vfork: the child keeps the write end until its
/// exec (which closes it) or its exit; the parent reads the other end until
/// end-of-file. The write end is moved to a high descriptor so that a
/// child rearranging its low descriptors does not end the wait early.
fn vfork_pipe() -> Result<(OwnedFd, OwnedFd), Errno> {
    let mut fds = [0i32; 2];
    // SAFETY: `fds` is a writable array of two ints, as pipe2 requires.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(last_errno());
    }
    // SAFETY: pipe2 succeeded: both descriptors are new and owned here.
    let (read_end, mut write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: `limit` is a valid rlimit to fill.
    let lim_ok = unsafe { libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit) } == 0;
    if lim_ok && limit.rlim_cur > VFORK_FD_MIN as u64 {
        // SAFETY: duplicating a descriptor this function owns.
        let high =
            unsafe { libc::fcntl(write_end.as_raw_fd(), libc::F_DUPFD_CLOEXEC, VFORK_FD_MIN) };
        if high >= 0 {
            // SAFETY: fcntl returned a new descriptor, owned from here on.
            write_end = unsafe { OwnedFd::from_raw_fd(high) };
        }
    }
    Ok((read_end, write_end))
}

/// In a vfork child: the write end of the parent's pipe. Deliberately not
/// closed on drop: the guest may have closed the descriptor and reused its
/// number, so it is closed only where that is checked
/// ([`VforkRelease::close_in_descendant`]) or by exec and exit.
#[derive(Debug)]
pub(super) struct VforkRelease {
    fd: i32,
    /// The pipe's identity, to recognise it later.
    dev_ino: (u64, u64),
}

impl VforkRelease {
    fn new(fd: OwnedFd) -> VforkRelease {
        let fd = fd.into_raw_fd();
        VforkRelease {
            fd,
            dev_ino: fd_identity(fd).unwrap_or((u64::MAX, u64::MAX)),
        }
    }

    /// In a child of the vfork child: close the inherited write end (the
    /// vfork parent waits for its own child only), if the descriptor is
    /// still that pipe.
    fn close_in_descendant(self) {
        if fd_identity(self.fd) == Some(self.dev_ino) {
            // SAFETY: the descriptor is the VM's own pipe end (checked
            // above), which nothing else in this process uses.
            unsafe { libc::close(self.fd) };
        }
    }
}

/// Device and inode of the file `fd` refers to.
fn fd_identity(fd: i32) -> Option<(u64, u64)> {
    // SAFETY: all-zero bytes are a valid `stat` (plain integers).
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `st` is a valid stat buffer; fstat only writes it.
    if unsafe { libc::fstat(fd, &mut st) } != 0 {
        return None;
    }
    Some((st.st_dev, st.st_ino))
}

/// The vfork parent's sleep: until every write end is closed (the child
/// exec'd or exited). Signals do not end it, as in the kernel (it waits
/// killable but not interruptible); they are delivered after.
fn wait_for_release(read_end: &OwnedFd) {
    let mut buf = [0u8; 16];
    loop {
        // SAFETY: reading into a local buffer of the given length.
        let n = unsafe { libc::read(read_end.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
        if n == 0 || (n < 0 && last_errno() != Errno(libc::EINTR)) {
            return;
        }
    }
}

/// execve on the host; returns only on failure.
fn host_execve(path: &CString, argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> SysResult {
    let c_args = to_cstrings(argv.into_iter())?;
    let c_env = to_cstrings(envp.into_iter())?;
    let mut argp: Vec<*const libc::c_char> = c_args.iter().map(|s| s.as_ptr()).collect();
    argp.push(std::ptr::null());
    let mut envp: Vec<*const libc::c_char> = c_env.iter().map(|s| s.as_ptr()).collect();
    envp.push(std::ptr::null());
    // SAFETY: `path` and every element of `argp`/`envp` are valid
    // NUL-terminated strings that outlive the call; both arrays end in NULL.
    unsafe { libc::execve(path.as_ptr(), argp.as_ptr(), envp.as_ptr()) };
    Err(last_errno())
}

/// Whether `host` is a RISC-V program the VM can run; other files are
/// `Ok(false)`; a read error is the guest's errno.
fn is_riscv_program(host: &std::path::Path) -> Result<bool, Errno> {
    match ElfImage::read(host) {
        Ok(_) => Ok(true),
        Err(LoadError::Io { err, .. }) => Err(Errno(err.raw_os_error().unwrap_or(libc::EIO))),
        Err(_) => Ok(false),
    }
}

/// A `#!` line: the interpreter and its optional single argument.
type Shebang = (Vec<u8>, Option<Vec<u8>>);

/// Longest `#!` line the kernel reads (BINPRM_BUF_SIZE).
const SHEBANG_BYTES_MAX: usize = 256;

/// The interpreter and optional argument of a `#!` script, as the kernel
/// splits them (one argument: everything after the first blank run).
fn shebang(host: &std::path::Path) -> Result<Option<Shebang>, Errno> {
    use std::io::Read;
    let mut f =
        std::fs::File::open(host).map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
    let mut buf = [0u8; SHEBANG_BYTES_MAX];
    let n = f
        .read(&mut buf)
        .map_err(|e| Errno(e.raw_os_error().unwrap_or(libc::EIO)))?;
    Ok(parse_shebang(&buf[..n]))
}

/// Parse the first line of a script: `#!interp [arg]`.
fn parse_shebang(head: &[u8]) -> Option<Shebang> {
    let rest = head.strip_prefix(b"#!")?;
    let line = rest.split(|&c| c == b'\n').next()?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let blank = |c: &u8| *c == b' ' || *c == b'\t';
    let start = line.iter().position(|c| !blank(c))?;
    let line = &line[start..];
    let end = line.iter().position(blank).unwrap_or(line.len());
    let interp = line[..end].to_vec();
    let arg = line[end..]
        .iter()
        .position(|c| !blank(c))
        .map(|p| &line[end + p..])
        .map(|a| {
            let trimmed = a.len() - a.iter().rev().take_while(|c| blank(c)).count();
            a[..trimmed].to_vec()
        });
    Some((interp, arg))
}

fn to_cstrings(v: impl Iterator<Item = Vec<u8>>) -> Result<Vec<CString>, Errno> {
    v.map(|s| CString::new(s).map_err(|_| Errno(libc::EINVAL)))
        .collect()
}

/// A NULL-terminated guest array of string pointers (NULL array: empty).
fn read_string_array(mem: &GuestMemory, addr: u64) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    for i in 0..EXEC_STRINGS_MAX {
        let p = get_u64(mem, addr + 8 * i)?;
        if p == 0 {
            return Ok(out);
        }
        let s = mem
            .read_cstr(p, EXEC_STRING_BYTES_MAX)
            .map_err(|_| Errno(libc::EFAULT))?;
        if s.len() >= EXEC_STRING_BYTES_MAX {
            return Err(Errno(libc::E2BIG));
        }
        out.push(s);
    }
    Err(Errno(libc::E2BIG))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shebang_lines_split_like_the_kernel() {
        assert_eq!(
            parse_shebang(b"#!/bin/sh\necho"),
            Some((b"/bin/sh".to_vec(), None))
        );
        assert_eq!(
            parse_shebang(b"#! /x/interp  -a -b \nrest"),
            Some((b"/x/interp".to_vec(), Some(b"-a -b".to_vec())))
        );
        assert_eq!(parse_shebang(b"#!/i\r\n"), Some((b"/i".to_vec(), None)));
        assert_eq!(parse_shebang(b"echo hi"), None);
        assert_eq!(parse_shebang(b"#!   \n"), None);
    }
}
