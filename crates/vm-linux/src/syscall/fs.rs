//! File, directory and descriptor calls. Guest descriptors are host
//! descriptors; paths go through [`Linux::at_path`] (the sysroot, or the
//! `--fs-root` confinement); only `struct stat`
//! needs translating (see [`crate::abi`]).

use vm_mem::{Errno, GuestMemory, Perm};

use super::host::host_sys;
use super::host::{HostPtr, SysResult, get, guest_cstr, guest_ptr, guest_ptr_prefix, put};
use super::{Linux, is_proc_self_exe, nr};
use crate::abi::{STAT_SIZE, Stat, TERMIOS_SIZE};

const EINVAL: Errno = Errno(libc::EINVAL);
/// AT_FDCWD as a guest argument.
const AT_FDCWD: u64 = libc::AT_FDCWD as u64;
/// AT_SYMLINK_NOFOLLOW.
const NOFOLLOW: u64 = libc::AT_SYMLINK_NOFOLLOW as u64;
/// AT_SYMLINK_FOLLOW (linkat).
const AT_SYMLINK_FOLLOW: u64 = libc::AT_SYMLINK_FOLLOW as u64;

/// Largest iovec count (UIO_MAXIOV).
const IOV_MAX: u64 = 1024;
/// Size of `struct statx`.
const STATX_SIZE: u64 = 256;
/// Size of `struct statfs` on 64-bit Linux (same on riscv64 and x86-64).
const STATFS_SIZE: u64 = 120;
/// Size of `struct flock` on 64-bit Linux (same on riscv64 and x86-64).
const FLOCK_SIZE: u64 = 32;

pub(super) fn close(a: [u64; 6]) -> SysResult {
    host_sys!(libc::SYS_close, a[0] as i32)
}

pub(super) fn read(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::W)?;
    host_sys!(libc::SYS_read, a[0] as i32, p, n)
}

pub(super) fn write(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::R)?;
    host_sys!(libc::SYS_write, a[0] as i32, p, n)
}

pub(super) fn pread64(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::W)?;
    host_sys!(libc::SYS_pread64, a[0] as i32, p, n, a[3])
}

pub(super) fn pwrite64(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::R)?;
    host_sys!(libc::SYS_pwrite64, a[0] as i32, p, n, a[3])
}

/// readv, writev, preadv, pwritev: translate the iovec array.
pub(super) fn rw_vec(mem: &GuestMemory, n: u64, a: [u64; 6]) -> SysResult {
    let count = a[2];
    if count > IOV_MAX {
        return Err(EINVAL);
    }
    let reading = n == nr::READV || n == nr::PREADV;
    let need = if reading { Perm::W } else { Perm::R };
    let mut iov = host_iovecs(mem, a[1], count, need)?;
    let v = HostPtr::slice(&mut iov);
    match n {
        nr::READV => host_sys!(libc::SYS_readv, a[0] as i32, v, count),
        nr::WRITEV => host_sys!(libc::SYS_writev, a[0] as i32, v, count),
        nr::PREADV => host_sys!(libc::SYS_preadv, a[0] as i32, v, count, a[3], a[4]),
        _ => host_sys!(libc::SYS_pwritev, a[0] as i32, v, count, a[3], a[4]),
    }
}

/// The guest iovec array at `addr` (`count` entries, at most IOV_MAX) as
/// host iovecs over guest memory with permission `need`.
pub(super) fn host_iovecs(
    mem: &GuestMemory,
    addr: u64,
    count: u64,
    need: Perm,
) -> Result<Vec<libc::iovec>, Errno> {
    if count > IOV_MAX {
        return Err(EINVAL);
    }
    let mut iov: Vec<libc::iovec> = Vec::with_capacity(count as usize);
    for i in 0..count {
        let e: [u8; 16] = get(mem, addr + 16 * i)?;
        let base = u64::from_le_bytes(e[..8].try_into().unwrap_or_default());
        let len = u64::from_le_bytes(e[8..].try_into().unwrap_or_default());
        let p = guest_ptr(mem, base, len, need)?;
        iov.push(libc::iovec {
            iov_base: p.raw().cast(),
            iov_len: len as usize,
        });
    }
    Ok(iov)
}

pub(super) fn lseek(a: [u64; 6]) -> SysResult {
    host_sys!(libc::SYS_lseek, a[0] as i32, a[1], a[2] as i32)
}

fn put_stat(mem: &GuestMemory, addr: u64, st: &libc::stat) -> SysResult {
    let bytes: [u8; STAT_SIZE] = Stat::from_host(st).to_riscv64();
    put(mem, addr, &bytes)?;
    Ok(0)
}

fn zeroed_stat() -> libc::stat {
    // SAFETY: `struct stat` is plain data; all-zero is a valid value.
    unsafe { std::mem::zeroed() }
}

pub(super) fn fstat(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let mut st = zeroed_stat();
    host_sys!(libc::SYS_fstat, a[0] as i32, HostPtr::to(&mut st))?;
    put_stat(mem, a[1], &st)
}

pub(super) fn getdents64(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::W)?;
    host_sys!(libc::SYS_getdents64, a[0] as i32, p, n)
}

pub(super) fn fstatfs(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = guest_ptr(mem, a[1], STATFS_SIZE, Perm::W)?;
    host_sys!(libc::SYS_fstatfs, a[0] as i32, p)
}

pub(super) fn fcntl(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (fd, cmd) = (a[0] as i32, a[1] as i32);
    match cmd {
        libc::F_DUPFD
        | libc::F_GETFD
        | libc::F_SETFD
        | libc::F_GETFL
        | libc::F_SETFL
        | libc::F_DUPFD_CLOEXEC
        | libc::F_SETPIPE_SZ
        | libc::F_GETPIPE_SZ
        | libc::F_ADD_SEALS
        | libc::F_GET_SEALS => host_sys!(libc::SYS_fcntl, fd, cmd, a[2]),
        libc::F_GETLK
        | libc::F_SETLK
        | libc::F_SETLKW
        | libc::F_OFD_GETLK
        | libc::F_OFD_SETLK
        | libc::F_OFD_SETLKW => {
            let p = guest_ptr(mem, a[2], FLOCK_SIZE, Perm::RW)?;
            host_sys!(libc::SYS_fcntl, fd, cmd, p)
        }
        _ => Err(EINVAL),
    }
}

pub(super) fn pipe2(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let mut fds = [0i32; 2];
    host_sys!(libc::SYS_pipe2, HostPtr::to(&mut fds), a[1] as i32)?;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&fds[0].to_le_bytes());
    b[4..].copy_from_slice(&fds[1].to_le_bytes());
    if let Err(e) = put(mem, a[0], &b) {
        host_sys!(libc::SYS_close, fds[0]).ok();
        host_sys!(libc::SYS_close, fds[1]).ok();
        return Err(e);
    }
    Ok(0)
}

pub(super) fn sendfile(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let off = guest_ptr(mem, a[2], 8, Perm::RW)?;
    host_sys!(libc::SYS_sendfile, a[0] as i32, a[1] as i32, off, a[3])
}

pub(super) fn ppoll(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let n = a[1];
    if n > 1 << 16 {
        return Err(EINVAL);
    }
    let fds = guest_ptr(mem, a[0], n * 8, Perm::RW)?;
    let ts = guest_ptr(mem, a[2], 16, Perm::RW)?;
    // The guest's signal mask has no host meaning: poll with the VM's own.
    host_sys!(libc::SYS_ppoll, fds, n, ts, HostPtr::null(), 8u64)
}

pub(super) fn memfd_create(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let name = guest_cstr(mem, a[0])?;
    host_sys!(libc::SYS_memfd_create, &name, a[1] as u32)
}

pub(super) fn chdir(l: &Linux, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = l.at_path(mem, AT_FDCWD, a[0], true)?;
    host_sys!(libc::SYS_chdir, &p.path)
}

pub(super) fn truncate(l: &Linux, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = l.at_path(mem, AT_FDCWD, a[0], true)?;
    host_sys!(libc::SYS_truncate, &p.path, a[1])
}

pub(super) fn statfs(l: &Linux, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = l.at_path(mem, AT_FDCWD, a[0], true)?;
    let buf = guest_ptr(mem, a[1], STATFS_SIZE, Perm::W)?;
    host_sys!(libc::SYS_statfs, &p.path, buf)
}

/// renameat2 and linkat: `(olddirfd, oldpath, newdirfd, newpath, flags)`.
pub(super) fn two_paths(l: &Linux, mem: &GuestMemory, n: u64, a: [u64; 6]) -> SysResult {
    let (call, follow) = if n == nr::LINKAT {
        (libc::SYS_linkat, a[4] & AT_SYMLINK_FOLLOW != 0)
    } else {
        (libc::SYS_renameat2, false)
    };
    let old = l.at_path(mem, a[0], a[1], follow)?;
    let new = l.at_path(mem, a[2], a[3], false)?;
    host_sys!(
        call,
        old.dirfd,
        &old.path,
        new.dirfd,
        &new.path,
        a[4] as u32
    )
}

pub(super) fn symlinkat(l: &Linux, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    // The link's contents are stored as the guest wrote them (under
    // --fs-root they are resolved inside the root when followed).
    let target = guest_cstr(mem, a[0])?;
    let link = l.at_path(mem, a[1], a[2], false)?;
    host_sys!(libc::SYS_symlinkat, &target, link.dirfd, &link.path)
}

pub(super) fn utimensat(l: &Linux, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let times = guest_ptr(mem, a[2], 32, Perm::R)?;
    if a[1] == 0 {
        return host_sys!(
            libc::SYS_utimensat,
            a[0] as i32,
            HostPtr::null(),
            times,
            a[3] as i32
        );
    }
    let p = l.at_path(mem, a[0], a[1], a[3] & NOFOLLOW == 0)?;
    host_sys!(libc::SYS_utimensat, p.dirfd, &p.path, times, a[3] as i32)
}

impl Linux {
    pub(super) fn openat(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let raw = guest_cstr(mem, a[1])?;
        if let Some(r) = self.open_proc(raw.as_bytes(), a[2] as i32, mem) {
            return r;
        }
        if let Some(root) = &self.cfg.sandbox.fs_root {
            return super::confine::open(
                root,
                a[0] as i32,
                raw.as_bytes(),
                a[2] as i32,
                a[3] as u32,
            );
        }
        let p = self.host_path(raw);
        host_sys!(libc::SYS_openat, a[0] as i32, &p, a[2] as i32, a[3] as u32)
    }

    pub(super) fn newfstatat(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let p = self.at_path(mem, a[0], a[1], a[3] & NOFOLLOW == 0)?;
        let mut st = zeroed_stat();
        host_sys!(
            libc::SYS_newfstatat,
            p.dirfd,
            &p.path,
            HostPtr::to(&mut st),
            a[3] as i32
        )?;
        put_stat(mem, a[2], &st)
    }

    pub(super) fn statx(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let p = self.at_path(mem, a[0], a[1], a[2] & NOFOLLOW == 0)?;
        let buf = guest_ptr(mem, a[4], STATX_SIZE, Perm::W)?;
        host_sys!(
            libc::SYS_statx,
            p.dirfd,
            &p.path,
            a[2] as i32,
            a[3] as u32,
            buf
        )
    }

    pub(super) fn readlinkat(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let raw = guest_cstr(mem, a[1])?;
        let size = a[3];
        if size == 0 || size > i32::MAX as u64 {
            return Err(EINVAL);
        }
        if is_proc_self_exe(&raw) {
            let exe = super::path_cstring(&self.cfg.exe_path).ok_or(EINVAL)?;
            let bytes = exe.as_bytes();
            let n = bytes.len().min(size as usize);
            put(mem, a[2], &bytes[..n])?;
            return Ok(n as u64);
        }
        let p = self.at_path_of(a[0] as i32, raw, false)?;
        let buf = guest_ptr(mem, a[2], size, Perm::W)?;
        host_sys!(libc::SYS_readlinkat, p.dirfd, &p.path, buf, size)
    }

    pub(super) fn faccessat(&mut self, mem: &GuestMemory, n: u64, a: [u64; 6]) -> SysResult {
        let flags = if n == nr::FACCESSAT2 { a[3] } else { 0 };
        let p = self.at_path(mem, a[0], a[1], flags & NOFOLLOW == 0)?;
        if n == nr::FACCESSAT2 {
            host_sys!(
                libc::SYS_faccessat2,
                p.dirfd,
                &p.path,
                a[2] as i32,
                a[3] as i32
            )
        } else {
            host_sys!(libc::SYS_faccessat, p.dirfd, &p.path, a[2] as i32)
        }
    }

    /// Terminal and descriptor ioctls whose argument layouts are the same
    /// on riscv64 and x86-64 (checked in `abi` tests); others are refused.
    pub(super) fn ioctl(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let (fd, req) = (a[0] as i32, a[1] as u32 as u64);
        let arg = |len: u64, need: Perm| guest_ptr(mem, a[2], len, need);
        let termios = TERMIOS_SIZE as u64;
        let p = match req {
            0x5401 => arg(termios, Perm::W)?,             // TCGETS
            0x5402..=0x5404 => arg(termios, Perm::R)?,    // TCSETS, TCSETSW, TCSETSF
            0x5413 => arg(8, Perm::W)?,                   // TIOCGWINSZ
            0x5414 => arg(8, Perm::R)?,                   // TIOCSWINSZ
            0x540F | 0x541B | 0x5429 => arg(4, Perm::W)?, // TIOCGPGRP, FIONREAD, TIOCGSID
            0x5410 | 0x5421 | 0x5452 => arg(4, Perm::R)?, // TIOCSPGRP, FIONBIO, FIOASYNC
            0x5450 | 0x5451 => HostPtr::null(),           // FIONCLEX, FIOCLEX
            _ => {
                self.warn_once(
                    (1 << 40) | req,
                    &format!("unsupported ioctl request {req:#x}, returning -ENOTTY"),
                );
                return Err(Errno(libc::ENOTTY));
            }
        };
        host_sys!(libc::SYS_ioctl, fd, req, p)
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn termios_request_numbers_are_generic() {
        // riscv64 uses the asm-generic ioctl numbers, which x86-64 shares.
        assert_eq!(libc::TCGETS, 0x5401);
        assert_eq!(libc::TCSETSF, 0x5404);
        assert_eq!(libc::TIOCGWINSZ, 0x5413);
        assert_eq!(libc::FIONREAD, 0x541B);
        assert_eq!(libc::FIOCLEX, 0x5451);
    }
}
