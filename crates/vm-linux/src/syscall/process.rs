//! fork and execve, by doing the same to the VM process itself.
//!
//! A guest fork is a host fork: the VM is one process with the guest
//! address space inside it (a private mapping), so the host child is a
//! complete copy of the guest process, and its descendants, exit statuses
//! and signals are what the guest's would be. A guest execve re-executes the
//! VM binary on the new program (`vm run ... PROGRAM ARGS` with the guest's
//! environment), so the process keeps its pid and inherited descriptors.
//!
//! Threads (CLONE_THREAD) are in [`super::thread`]. A vfork
//! (CLONE_VM|CLONE_VFORK, used by posix_spawn) runs as a fork: the child
//! gets a copy of memory rather than sharing it, so a failed exec in the
//! child is not reported back through memory (the child exits 127 instead).
//! Forking while other guest threads run copies only the calling thread, as
//! on Linux; a VM-internal lock another thread held at that moment would stay
//! held in the child, so the child gets fresh thread bookkeeping.

use std::ffi::{CString, OsString};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

use vm_core::CpuState;
use vm_mem::{Errno, GuestMemory};

use super::Linux;
use super::host::{SysResult, get_u64, guest_cstr, last_errno, put};
use crate::elf::{ElfImage, LoadError};

const CLONE_VM: u64 = 0x100;
const CLONE_VFORK: u64 = 0x4000;
const CLONE_SETTLS: u64 = 0x8_0000;
const CLONE_PARENT_SETTID: u64 = 0x10_0000;
const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// Flags a fork-like clone may carry (besides the exit signal in the low byte).
const FORK_FLAGS: u64 = CLONE_VM
    | CLONE_VFORK
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_CHILD_SETTID;

/// Most argv/envp entries accepted by execve.
const EXEC_STRINGS_MAX: u64 = 1 << 16;
/// Longest single argument or environment string.
const EXEC_STRING_BYTES_MAX: usize = 128 << 10;

impl Linux {
    /// clone(flags, newsp, ptid, tls, ctid) (riscv64 argument order, as
    /// glibc's fork passes them): only fork and vfork.
    pub(super) fn clone(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        a: [u64; 6],
    ) -> SysResult {
        let (flags, newsp, ptid, tls, ctid) = (a[0], a[1], a[2], a[3], a[4]);
        let extra = flags & !0xff & !FORK_FLAGS;
        if extra != 0 || (flags & CLONE_VM != 0 && flags & CLONE_VFORK == 0) {
            self.warn_once(
                3 << 40,
                &format!("unsupported clone flags {flags:#x} (only fork, vfork and threads)"),
            );
            return Err(Errno(libc::ENOSYS));
        }
        // The child keeps only this thread: a VM lock that another guest
        // thread holds during the fork would stay locked in the child (seen:
        // the stderr lock of a concurrent --strace line). Hold the
        // process-wide ones across the fork, in lock order (stderr last: it
        // is only ever held while printing).
        let cap_guard = super::mm::cap_fork_guard();
        let mem_guard = mem.fork_guard();
        let stderr_guard = std::io::stderr().lock();
        // SAFETY: fork has no memory-safety preconditions; the VM runs guest
        // code on this thread only, so the child is a consistent copy.
        let pid = unsafe { libc::fork() };
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
            if flags & CLONE_CHILD_SETTID != 0 {
                put(mem, ctid, &self.pid.to_le_bytes())?;
            }
            if flags & CLONE_CHILD_CLEARTID != 0 {
                self.clear_child_tid = ctid;
            }
            if newsp != 0 {
                cpu.x[2] = newsp;
            }
            if flags & CLONE_SETTLS != 0 {
                cpu.x[4] = tls;
            }
            return Ok(0);
        }
        if flags & CLONE_PARENT_SETTID != 0 {
            put(mem, ptid, &pid.to_le_bytes())?;
        }
        // For CLONE_VFORK the parent should wait until the child has exec'd
        // or exited; with copied memory that is not observable, so it doesn't.
        Ok(pid as u64)
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
