//! Sockets. Socket addresses, socket options, control messages and the
//! descriptors are the same on riscv64 and x86-64 Linux, so the calls pass
//! through with guest buffers translated; `struct msghdr` (sendmsg/recvmsg)
//! holds guest pointers and is rebuilt with host ones.

use vm_mem::{Errno, GuestMemory, Perm};

use super::host::{HostPtr, SysResult, get, guest_ptr, guest_ptr_prefix, host_sys, put};

/// Longest socket address or option value accepted.
const OPT_BYTES_MAX: u64 = 1 << 16;

/// The value of a guest `socklen_t *` in/out length (None for NULL),
/// capped; the host call works on a host copy, written back by [`put_len`].
fn get_len(mem: &GuestMemory, addr: u64) -> Result<Option<u32>, Errno> {
    if addr == 0 {
        return Ok(None);
    }
    let v = u32::from_le_bytes(get::<4>(mem, addr)?);
    if (v as i32) < 0 {
        return Err(Errno(libc::EINVAL));
    }
    Ok(Some(v.min(OPT_BYTES_MAX as u32)))
}

fn put_len(mem: &GuestMemory, addr: u64, v: Option<u32>) -> Result<(), Errno> {
    match v {
        Some(v) if addr != 0 => put(mem, addr, &v.to_le_bytes()),
        _ => Ok(()),
    }
}

/// Calls shaped `(fd, struct sockaddr *out, socklen_t *len, extra)`:
/// accept4, getsockname, getpeername.
pub(super) fn addr_out(mem: &GuestMemory, call: libc::c_long, a: [u64; 6]) -> SysResult {
    let mut len = get_len(mem, a[2])?;
    let buf = guest_ptr(mem, a[1], u64::from(len.unwrap_or(0)), Perm::W)?;
    let lenp = match len.as_mut() {
        Some(l) => HostPtr::to(l),
        None => HostPtr::null(),
    };
    let r = host_sys!(call, a[0] as i32, buf, lenp, a[3] as i32)?;
    put_len(mem, a[2], len)?;
    Ok(r)
}

/// bind and connect: `(fd, const struct sockaddr *, socklen_t)`.
pub(super) fn addr_in(mem: &GuestMemory, call: libc::c_long, a: [u64; 6]) -> SysResult {
    let len = a[2].min(OPT_BYTES_MAX);
    let p = guest_ptr(mem, a[1], len, Perm::R)?;
    host_sys!(call, a[0] as i32, p, len as u32)
}

pub(super) fn socketpair(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let mut sv = [0i32; 2];
    host_sys!(
        libc::SYS_socketpair,
        a[0] as i32,
        a[1] as i32,
        a[2] as i32,
        HostPtr::to(&mut sv)
    )?;
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&sv[0].to_le_bytes());
    b[4..].copy_from_slice(&sv[1].to_le_bytes());
    if let Err(e) = put(mem, a[3], &b) {
        host_sys!(libc::SYS_close, sv[0]).ok();
        host_sys!(libc::SYS_close, sv[1]).ok();
        return Err(e);
    }
    Ok(0)
}

pub(super) fn sendto(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (buf, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::R)?;
    let alen = a[5].min(OPT_BYTES_MAX);
    let addr = guest_ptr(mem, a[4], alen, Perm::R)?;
    host_sys!(
        libc::SYS_sendto,
        a[0] as i32,
        buf,
        n,
        a[3] as i32,
        addr,
        alen as u32
    )
}

pub(super) fn recvfrom(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (buf, n) = guest_ptr_prefix(mem, a[1], a[2], Perm::W)?;
    let mut len = get_len(mem, a[5])?;
    let addr = guest_ptr(mem, a[4], u64::from(len.unwrap_or(0)), Perm::W)?;
    let lenp = match len.as_mut() {
        Some(l) => HostPtr::to(l),
        None => HostPtr::null(),
    };
    let r = host_sys!(
        libc::SYS_recvfrom,
        a[0] as i32,
        buf,
        n,
        a[3] as i32,
        addr,
        lenp
    )?;
    put_len(mem, a[5], len)?;
    Ok(r)
}

pub(super) fn setsockopt(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let len = a[4].min(OPT_BYTES_MAX);
    let v = guest_ptr(mem, a[3], len, Perm::R)?;
    host_sys!(
        libc::SYS_setsockopt,
        a[0] as i32,
        a[1] as i32,
        a[2] as i32,
        v,
        len as u32
    )
}

pub(super) fn getsockopt(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let mut len = get_len(mem, a[4])?;
    let v = guest_ptr(mem, a[3], u64::from(len.unwrap_or(0)), Perm::W)?;
    let lenp = match len.as_mut() {
        Some(l) => HostPtr::to(l),
        None => HostPtr::null(),
    };
    let r = host_sys!(
        libc::SYS_getsockopt,
        a[0] as i32,
        a[1] as i32,
        a[2] as i32,
        v,
        lenp
    )?;
    put_len(mem, a[4], len)?;
    Ok(r)
}

/// Size of `struct msghdr` on 64-bit Linux.
const MSGHDR_SIZE: usize = 56;

/// sendmsg and recvmsg: rebuild the guest's `struct msghdr` with host
/// pointers; for recvmsg, write the lengths and flags back.
pub(super) fn msg(mem: &GuestMemory, receiving: bool, a: [u64; 6]) -> SysResult {
    let h: [u8; MSGHDR_SIZE] = get(mem, a[1])?;
    let w = |o: usize| u64::from_le_bytes(h[o..o + 8].try_into().unwrap_or_default());
    let (name, namelen) = (w(0), w(8) & 0xffff_ffff);
    let (iov, iovlen) = (w(16), w(24));
    let (control, controllen) = (w(32), w(40));
    let need = if receiving { Perm::W } else { Perm::R };
    let mut iovs = super::fs::host_iovecs(mem, iov, iovlen, need)?;
    // SAFETY: `msghdr` is plain data; all-zero is a valid value.
    let mut m: libc::msghdr = unsafe { std::mem::zeroed() };
    m.msg_name = guest_ptr(mem, name, namelen.min(OPT_BYTES_MAX), need)?
        .raw()
        .cast();
    m.msg_namelen = namelen.min(OPT_BYTES_MAX) as u32;
    m.msg_iov = iovs.as_mut_ptr();
    m.msg_iovlen = iovs.len();
    m.msg_control = guest_ptr(mem, control, controllen.min(OPT_BYTES_MAX), need)?
        .raw()
        .cast();
    m.msg_controllen = controllen.min(OPT_BYTES_MAX) as usize;
    let call = if receiving {
        libc::SYS_recvmsg
    } else {
        libc::SYS_sendmsg
    };
    let r = host_sys!(call, a[0] as i32, HostPtr::to(&mut m), a[2] as i32)?;
    if receiving {
        put(mem, a[1] + 8, &m.msg_namelen.to_le_bytes())?;
        put(mem, a[1] + 40, &(m.msg_controllen as u64).to_le_bytes())?;
        put(mem, a[1] + 48, &m.msg_flags.to_le_bytes())?;
    }
    Ok(r)
}

/// What the sandbox allows of sockets.
impl super::Linux {
    /// socket/socketpair of `family`: under `--no-network` only AF_UNIX
    /// is allowed; the rest fail with EACCES, as under a security module
    /// (AppArmor, SELinux) that denies network access.
    pub(super) fn network_allowed(&self, family: u64) -> Result<(), Errno> {
        if self.cfg.sandbox.no_network && family != libc::AF_UNIX as u64 {
            return Err(Errno(libc::EACCES));
        }
        Ok(())
    }

    /// A socket address the guest sends to, binds or connects to (`len`
    /// bytes at `addr`): AF_UNIX names would reach outside the sandbox,
    /// so under `--fs-root` a path name (which the host would resolve
    /// outside the root) and under `--no-network` an abstract name (which
    /// reaches host services) fail with EACCES.
    pub(super) fn sockaddr_allowed(
        &self,
        mem: &GuestMemory,
        addr: u64,
        len: u64,
    ) -> Result<(), Errno> {
        let sb = &self.cfg.sandbox;
        if (sb.fs_root.is_none() && !sb.no_network) || addr == 0 || len < 3 {
            return Ok(());
        }
        let head: [u8; 3] = get(mem, addr)?;
        if u16::from_le_bytes([head[0], head[1]]) != libc::AF_UNIX as u16 {
            return Ok(());
        }
        let abstract_name = head[2] == 0;
        if (abstract_name && sb.no_network) || (!abstract_name && sb.fs_root.is_some()) {
            return Err(Errno(libc::EACCES));
        }
        Ok(())
    }

    /// The destination of a sendmsg (`msg_name`, `msg_namelen`).
    pub(super) fn msg_name_allowed(&self, mem: &GuestMemory, msghdr: u64) -> Result<(), Errno> {
        if self.cfg.sandbox.fs_root.is_none() && !self.cfg.sandbox.no_network {
            return Ok(());
        }
        let name = super::host::get_u64(mem, msghdr)?;
        let len = u64::from(u32::from_le_bytes(get::<4>(mem, msghdr + 8)?));
        self.sockaddr_allowed(mem, name, len)
    }
}
