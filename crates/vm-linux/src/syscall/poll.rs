//! Waiting on descriptors: pselect6 (what select() becomes on riscv64) and
//! epoll. `struct epoll_event` is the one layout here that differs: packed
//! (12 bytes) on x86-64, naturally aligned (16 bytes) on riscv64, so events
//! are copied field by field.

use vm_mem::{Errno, GuestMemory, Perm};

use super::host::{HostPtr, SysResult, get, guest_ptr, host_sys, put};

const EINVAL: Errno = Errno(libc::EINVAL);
/// Size of riscv64's `struct epoll_event` (u32 events, 4 bytes padding, u64 data).
pub const EPOLL_EVENT_SIZE: u64 = 16;
/// Most events one epoll_pwait returns here.
const EPOLL_EVENTS_MAX: u64 = 4096;

pub(super) fn pselect6(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let n = a[0] as i32;
    if !(0..=1024 * 64).contains(&n) {
        return Err(EINVAL);
    }
    let set_bytes = (n as u64).div_ceil(64) * 8;
    let r = guest_ptr(mem, a[1], set_bytes, Perm::RW)?;
    let w = guest_ptr(mem, a[2], set_bytes, Perm::RW)?;
    let e = guest_ptr(mem, a[3], set_bytes, Perm::RW)?;
    let ts = guest_ptr(mem, a[4], 16, Perm::RW)?;
    // The guest's signal mask has no host meaning: wait with the VM's own.
    host_sys!(libc::SYS_pselect6, n, r, w, e, ts, HostPtr::null())
}

/// The riscv64 bytes of an event.
fn guest_event(ev: &libc::epoll_event) -> [u8; 16] {
    let mut b = [0u8; 16];
    let events = ev.events;
    let data = ev.u64;
    b[..4].copy_from_slice(&events.to_le_bytes());
    b[8..].copy_from_slice(&data.to_le_bytes());
    b
}

pub(super) fn epoll_ctl(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (epfd, op, fd) = (a[0] as i32, a[1] as i32, a[2] as i32);
    if a[3] == 0 {
        return host_sys!(libc::SYS_epoll_ctl, epfd, op, fd, HostPtr::null());
    }
    let b: [u8; 16] = get(mem, a[3])?;
    let mut ev = libc::epoll_event {
        events: u32::from_le_bytes(b[..4].try_into().unwrap_or_default()),
        u64: u64::from_le_bytes(b[8..].try_into().unwrap_or_default()),
    };
    host_sys!(libc::SYS_epoll_ctl, epfd, op, fd, HostPtr::to(&mut ev))
}

pub(super) fn epoll_pwait(mem: &GuestMemory, a: [u64; 6]) -> SysResult {
    let (epfd, max, timeout) = (a[0] as i32, a[2] as i32, a[3] as i32);
    if max <= 0 {
        return Err(EINVAL);
    }
    let n = (max as u64).min(EPOLL_EVENTS_MAX);
    // Check the whole guest array is writable before waiting.
    guest_ptr(mem, a[1], n * EPOLL_EVENT_SIZE, Perm::W)?;
    let mut evs = vec![libc::epoll_event { events: 0, u64: 0 }; n as usize];
    let got = host_sys!(
        libc::SYS_epoll_pwait,
        epfd,
        HostPtr::slice(&mut evs),
        n as i32,
        timeout,
        HostPtr::null(),
        8u64
    )?;
    for (i, ev) in evs.iter().take(got as usize).enumerate() {
        put(mem, a[1] + i as u64 * EPOLL_EVENT_SIZE, &guest_event(ev))?;
    }
    Ok(got)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoll_event_uses_the_aligned_layout() {
        let ev = libc::epoll_event {
            events: 0x11223344,
            u64: 0x0102030405060708,
        };
        let b = guest_event(&ev);
        assert_eq!(&b[..4], &0x11223344u32.to_le_bytes());
        assert_eq!(&b[4..8], &[0; 4], "padding");
        assert_eq!(&b[8..], &0x0102030405060708u64.to_le_bytes());
        // The host's is packed: that is why this translation exists.
        assert_eq!(std::mem::size_of::<libc::epoll_event>(), 12);
    }
}
