//! Time, identity, limits and system information. These structures have
//! the same layout on riscv64 and x86-64, so they pass through; what is
//! emulated is identity (`uname` says riscv64) and the stack limit.

use vm_mem::{Errno, GuestMemory, Perm};

use super::host::host_sys;
use super::host::{HostPtr, SysResult, get, guest_ptr, guest_ptr_prefix, put};
use crate::abi::utsname;
use crate::loader::STACK_BYTES;

const TIMESPEC: u64 = 16;
/// Number of resource limits Linux defines (RLIM_NLIMITS).
const RLIMIT_COUNT: u32 = 16;

pub(super) fn clock_gettime(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let tp = guest_ptr(mem, a[1], TIMESPEC, Perm::W)?;
    host_sys!(libc::SYS_clock_gettime, a[0] as i32, tp)
}

pub(super) fn clock_getres(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let tp = guest_ptr(mem, a[1], TIMESPEC, Perm::W)?;
    host_sys!(libc::SYS_clock_getres, a[0] as i32, tp)
}

pub(super) fn gettimeofday(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let tv = guest_ptr(mem, a[0], 16, Perm::W)?;
    let tz = guest_ptr(mem, a[1], 8, Perm::W)?;
    host_sys!(libc::SYS_gettimeofday, tv, tz)
}

pub(super) fn nanosleep(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let req = guest_ptr(mem, a[0], TIMESPEC, Perm::R)?;
    let rem = guest_ptr(mem, a[1], TIMESPEC, Perm::W)?;
    host_sys!(libc::SYS_nanosleep, req, rem)
}

pub(super) fn clock_nanosleep(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let req = guest_ptr(mem, a[2], TIMESPEC, Perm::R)?;
    let rem = guest_ptr(mem, a[3], TIMESPEC, Perm::W)?;
    host_sys!(
        libc::SYS_clock_nanosleep,
        a[0] as i32,
        a[1] as i32,
        req,
        rem
    )
}

pub(super) fn times(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = guest_ptr(mem, a[0], 32, Perm::W)?;
    host_sys!(libc::SYS_times, p)
}

pub(super) fn getrusage(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = guest_ptr(mem, a[1], 144, Perm::W)?;
    host_sys!(libc::SYS_getrusage, a[0] as i32, p)
}

pub(super) fn getres(mem: &GuestMemory, a: [u64; 6], call: libc::c_long) -> SysResult {
    let r = guest_ptr(mem, a[0], 4, Perm::W)?;
    let e = guest_ptr(mem, a[1], 4, Perm::W)?;
    let s = guest_ptr(mem, a[2], 4, Perm::W)?;
    host_sys!(call, r, e, s)
}

pub(super) fn uname(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    // SAFETY: `struct utsname` is plain data; all-zero is a valid value.
    let mut host: libc::utsname = unsafe { std::mem::zeroed() };
    host_sys!(libc::SYS_uname, HostPtr::to(&mut host))?;
    let node: Vec<u8> = host
        .nodename
        .iter()
        .take_while(|&&c| c != 0)
        .map(|&c| c as u8)
        .collect();
    put(mem, a[0], &utsname(&node))?;
    Ok(0)
}

pub(super) fn sysinfo(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = guest_ptr(mem, a[0], 112, Perm::W)?;
    host_sys!(libc::SYS_sysinfo, p)
}

pub(super) fn getrandom(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (p, n) = guest_ptr_prefix(mem, a[0], a[1], Perm::W)?;
    host_sys!(libc::SYS_getrandom, p, n, a[2] as u32)
}

pub(super) fn sched_getaffinity(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let p = guest_ptr(mem, a[2], a[1], Perm::W)?;
    host_sys!(libc::SYS_sched_getaffinity, a[0] as i32, a[1], p)
}

pub(super) fn getcpu(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let cpu = guest_ptr(mem, a[0], 4, Perm::W)?;
    let node = guest_ptr(mem, a[1], 4, Perm::W)?;
    host_sys!(libc::SYS_getcpu, cpu, node, HostPtr::null())
}

pub(super) fn wait4(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let status = guest_ptr(mem, a[1], 4, Perm::W)?;
    let ru = guest_ptr(mem, a[3], 144, Perm::W)?;
    host_sys!(libc::SYS_wait4, a[0] as i32, status, a[2] as i32, ru)
}

/// waitid(idtype, id, infop, options, rusage): the host's (P_PIDFD
/// included); `siginfo_t` (128 bytes) and `struct rusage` have the same
/// layout on riscv64 as on the 64-bit host, and signal numbers agree.
pub(super) fn waitid(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let info = guest_ptr(mem, a[2], 128, Perm::W)?;
    let ru = guest_ptr(mem, a[4], 144, Perm::W)?;
    host_sys!(
        libc::SYS_waitid,
        a[0] as i32,
        a[1] as i32,
        info,
        a[3] as i32,
        ru
    )
}

/// prctl: naming the thread (passed to the host thread, as qemu does);
/// other options are refused.
pub(super) fn prctl(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    /// TASK_COMM_LEN.
    const NAME_BYTES: usize = 16;
    match a[0] {
        PR_SET_NAME => {
            let mut name = [0u8; NAME_BYTES];
            let s = mem
                .read_cstr(a[1], NAME_BYTES)
                .map_err(|_| Errno(libc::EFAULT))?;
            let n = s.len().min(NAME_BYTES - 1);
            name[..n].copy_from_slice(&s[..n]);
            host_sys!(libc::SYS_prctl, PR_SET_NAME, HostPtr::to(&mut name))
        }
        PR_GET_NAME => {
            let mut name = [0u8; NAME_BYTES];
            host_sys!(libc::SYS_prctl, PR_GET_NAME, HostPtr::to(&mut name))?;
            put(mem, a[1], &name)?;
            Ok(0)
        }
        _ => Err(Errno(libc::EINVAL)),
    }
}

/// Resource limits: the guest sees its 8 MiB stack; limits that would
/// constrain the VM's own memory (address space, data, stack) are accepted
/// but not applied to the host process; the others pass through.
pub(super) fn prlimit64(pid: i32, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (target, res, new, old) = (a[0] as i32, a[1] as u32, a[2], a[3]);
    if target != 0 && target != pid {
        return Err(Errno(libc::EPERM));
    }
    if res >= RLIMIT_COUNT {
        return Err(Errno(libc::EINVAL));
    }
    let mut cur = [0u64; 2];
    host_sys!(
        libc::SYS_prlimit64,
        0,
        res,
        HostPtr::null(),
        HostPtr::to(&mut cur)
    )?;
    if res == libc::RLIMIT_STACK {
        cur[0] = STACK_BYTES;
    }
    if new != 0 {
        let b: [u8; 16] = get(mem, new)?;
        let mut lim = [
            u64::from_le_bytes(b[..8].try_into().unwrap_or_default()),
            u64::from_le_bytes(b[8..].try_into().unwrap_or_default()),
        ];
        if lim[0] > lim[1] {
            return Err(Errno(libc::EINVAL));
        }
        let vm_owned = [
            libc::RLIMIT_AS,
            libc::RLIMIT_DATA,
            libc::RLIMIT_STACK,
            libc::RLIMIT_MEMLOCK,
        ];
        if !vm_owned.contains(&res) {
            host_sys!(
                libc::SYS_prlimit64,
                0,
                res,
                HostPtr::to(&mut lim),
                HostPtr::null()
            )?;
        }
    }
    if old != 0 {
        let mut b = [0u8; 16];
        b[..8].copy_from_slice(&cur[0].to_le_bytes());
        b[8..].copy_from_slice(&cur[1].to_le_bytes());
        put(mem, old, &b)?;
    }
    Ok(0)
}

/// Size of `struct itimerval` (two timevals).
const ITIMERVAL: u64 = 32;

pub(super) fn getitimer(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let cur = guest_ptr(mem, a[1], ITIMERVAL, Perm::W)?;
    host_sys!(libc::SYS_getitimer, a[0] as i32, cur)
}

pub(super) fn setitimer(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let new = guest_ptr(mem, a[1], ITIMERVAL, Perm::R)?;
    let old = guest_ptr(mem, a[2], ITIMERVAL, Perm::W)?;
    host_sys!(libc::SYS_setitimer, a[0] as i32, new, old)
}
