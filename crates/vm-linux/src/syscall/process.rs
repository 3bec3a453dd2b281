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
        // SAFETY: fork has no memory-safety preconditions; the VM runs guest
        // code on this thread only, so the child is a consistent copy.
        let pid = unsafe { libc::fork() };
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

    /// execve(path, argv, envp): re-execute the VM on the new program.
    pub(super) fn execve(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let raw = guest_cstr(mem, a[0])?;
        let argv = read_string_array(mem, a[1])?;
        let envp = read_string_array(mem, a[2])?;
        let path = self.host_path(raw.clone());
        let host = std::path::Path::new(std::ffi::OsStr::from_bytes(path.as_bytes()));
        // Check the program here, so the guest gets an errno, not a VM error.
        match std::fs::metadata(host) {
            Err(e) => return Err(Errno(e.raw_os_error().unwrap_or(libc::ENOENT))),
            Ok(m) if !m.is_file() => return Err(Errno(libc::EACCES)),
            Ok(_) => {}
        }
        let c_host = CString::new(host.as_os_str().as_bytes()).map_err(|_| Errno(libc::EINVAL))?;
        // SAFETY: `c_host` is a valid NUL-terminated path.
        if unsafe { libc::access(c_host.as_ptr(), libc::X_OK) } != 0 {
            return Err(last_errno());
        }
        match ElfImage::read(host) {
            Ok(_) => {}
            Err(LoadError::Io { err, .. }) => {
                return Err(Errno(err.raw_os_error().unwrap_or(libc::EIO)));
            }
            Err(_) => return Err(Errno(libc::ENOEXEC)),
        }
        let vm = std::env::current_exe().map_err(|_| Errno(libc::ENOEXEC))?;
        let guest_path = if raw.as_bytes() == b"/proc/self/exe" {
            path.as_bytes().to_vec()
        } else {
            raw.as_bytes().to_vec()
        };
        let mut args: Vec<OsString> = vec!["vm".into(), "run".into()];
        args.extend(self.cfg.exec_options.iter().cloned());
        if let Some(argv0) = argv.first() {
            args.push("--argv0".into());
            args.push(OsString::from_vec(argv0.clone()));
        }
        args.push(OsString::from_vec(guest_path));
        args.extend(argv.iter().skip(1).map(|s| OsString::from_vec(s.clone())));
        let c_args = to_cstrings(args.into_iter().map(OsString::into_vec))?;
        let c_env = to_cstrings(envp.into_iter())?;
        let c_vm = CString::new(vm.as_os_str().as_bytes()).map_err(|_| Errno(libc::EINVAL))?;
        let mut argp: Vec<*const libc::c_char> = c_args.iter().map(|s| s.as_ptr()).collect();
        argp.push(std::ptr::null());
        let mut envp: Vec<*const libc::c_char> = c_env.iter().map(|s| s.as_ptr()).collect();
        envp.push(std::ptr::null());
        // SAFETY: `c_vm` and every element of `argp`/`envp` are valid
        // NUL-terminated strings that outlive the call; both arrays end in NULL.
        unsafe { libc::execve(c_vm.as_ptr(), argp.as_ptr(), envp.as_ptr()) };
        Err(last_errno())
    }
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
