//! Memory management calls on the guest address space. Any change to
//! executable pages asks the runtime to drop translations of that range.

use std::sync::{Mutex, MutexGuard};

use vm_mem::{Backing, Errno, GuestMemory, MapFlags, PAGE_SIZE, Perm};

use super::host::{HostPtr, SysResult};
use super::{Linux, SyscallOutcome};

const EINVAL: Errno = Errno(libc::EINVAL);

const MAP_SHARED: u64 = 0x01;
const MAP_PRIVATE: u64 = 0x02;
const MAP_SHARED_VALIDATE: u64 = 0x03;
const MAP_TYPE: u64 = 0x0f;
const MAP_FIXED: u64 = 0x10;
const MAP_ANONYMOUS: u64 = 0x20;
const MAP_FIXED_NOREPLACE: u64 = 0x10_0000;
const MREMAP_MAYMOVE: u64 = 1;
const MREMAP_FIXED: u64 = 2;

/// Whether any executable mapping overlaps `[start, end)`.
fn touches_exec(mem: &GuestMemory, start: u64, end: u64) -> bool {
    mem.mappings()
        .iter()
        .any(|m| m.start < end && start < m.end && m.perm.contains(Perm::X))
}

/// The host path of descriptor `fd`, to label a file mapping.
fn fd_name(fd: i32) -> String {
    std::fs::read_link(format!("/proc/self/fd/{fd}"))
        .map(|p| p.display().to_string())
        .unwrap_or_default()
}

/// `len` rounded up to pages, or EINVAL if zero or overflowing.
fn page_len(len: u64) -> Result<u64, Errno> {
    if len == 0 {
        return Err(EINVAL);
    }
    len.checked_next_multiple_of(PAGE_SIZE)
        .ok_or(Errno(libc::ENOMEM))
}

/// Total bytes of guest mappings (what RLIMIT_AS counts).
pub fn mapped_bytes(mem: &GuestMemory) -> u64 {
    mem.mappings().iter().map(|m| m.end - m.start).sum()
}

/// Bytes of `[start, start + len)` already mapped.
fn mapped_within(mem: &GuestMemory, start: u64, len: u64) -> u64 {
    let end = start.saturating_add(len);
    mem.mappings()
        .iter()
        .map(|m| m.end.min(end).saturating_sub(m.start.max(start)))
        .sum()
}

/// Serializes check-then-map under `--max-memory`, so that threads
/// mapping at once cannot together pass the cap.
static CAP_LOCK: Mutex<()> = Mutex::new(());

/// Hold the memory-cap lock across a host fork (see
/// `vm_mem::GuestMemory::fork_guard` for why).
pub(super) fn cap_fork_guard() -> std::sync::MutexGuard<'static, ()> {
    CAP_LOCK.lock().unwrap_or_else(|e| e.into_inner())
}

impl Linux {
    /// Under `--max-memory`: hold the cap lock, and fail with ENOMEM if
    /// `grow` more bytes would pass the cap.
    fn reserve(
        &self,
        mem: &GuestMemory,
        grow: u64,
    ) -> Result<Option<MutexGuard<'static, ()>>, Errno> {
        let Some(cap) = self.cfg.sandbox.max_memory else {
            return Ok(None);
        };
        let guard = CAP_LOCK.lock().unwrap_or_else(|e| e.into_inner());
        if mapped_bytes(mem).saturating_add(grow) > cap {
            return Err(Errno(libc::ENOMEM));
        }
        Ok(Some(guard))
    }

    /// brk(2), within `--max-memory`: a refused request leaves the break
    /// where it was (Linux's answer to RLIMIT_AS/RLIMIT_DATA).
    pub(super) fn brk(&self, mem: &GuestMemory, new_brk: u64) -> u64 {
        let cur = mem.brk(0);
        let up = |v: u64| v.checked_next_multiple_of(PAGE_SIZE).unwrap_or(u64::MAX);
        let grow = up(new_brk).saturating_sub(up(cur));
        match self.reserve(mem, grow) {
            Ok(_guard) => mem.brk(new_brk),
            Err(_) => cur,
        }
    }

    fn invalidate_if_exec(&mut self, mem: &GuestMemory, start: u64, len: u64, also: bool) {
        let end = start.saturating_add(len);
        if also || touches_exec(mem, start, end) {
            self.pending = Some(SyscallOutcome::Invalidate { start, end });
        }
    }

    pub(super) fn mmap(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let (addr, prot, flags, fd, offset) = (a[0], a[2], a[3], a[4] as i32, a[5]);
        let len = page_len(a[1])?;
        if !offset.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let shared = match flags & MAP_TYPE {
            MAP_SHARED | MAP_SHARED_VALIDATE => true,
            MAP_PRIVATE => false,
            _ => return Err(EINVAL),
        };
        let fixed = flags & MAP_FIXED != 0;
        let noreplace = flags & MAP_FIXED_NOREPLACE != 0;
        if (fixed || noreplace) && !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let (backing, name) = if flags & MAP_ANONYMOUS != 0 {
            (Backing::Anonymous, String::new())
        } else {
            (Backing::File { fd, offset }, fd_name(fd))
        };
        let mflags = MapFlags {
            fixed,
            fixed_noreplace: noreplace && !fixed,
            shared,
        };
        if fixed {
            self.invalidate_if_exec(mem, addr, len, false);
        }
        let perm = Perm::from_prot(prot as u32);
        let grow = if fixed {
            len - mapped_within(mem, addr, len)
        } else {
            len
        };
        let _guard = self.reserve(mem, grow)?;
        mem.map(addr, len, perm, mflags, backing, &name)
    }

    pub(super) fn munmap(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let addr = a[0];
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let len = page_len(a[1])?;
        self.invalidate_if_exec(mem, addr, len, false);
        mem.unmap(addr, len).map(|()| 0)
    }

    pub(super) fn mprotect(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let addr = a[0];
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        if a[1] == 0 {
            return Ok(0);
        }
        let len = page_len(a[1])?;
        let perm = Perm::from_prot(a[2] as u32);
        // Code written while the pages were not executable may differ from
        // what was translated before, so also drop when X is being granted.
        self.invalidate_if_exec(mem, addr, len, perm.contains(Perm::X));
        mem.protect(addr, len, perm).map(|()| 0)
    }

    pub(super) fn mremap(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        let (old, old_len, new_len, flags, new_addr) = (a[0], a[1], a[2], a[3], a[4]);
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED) != 0 || !old.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        let new_len = page_len(new_len)?;
        let old_len = old_len.checked_next_multiple_of(PAGE_SIZE).ok_or(EINVAL)?;
        let fixed_to = if flags & MREMAP_FIXED != 0 {
            if flags & MREMAP_MAYMOVE == 0 || !new_addr.is_multiple_of(PAGE_SIZE) {
                return Err(EINVAL);
            }
            Some(new_addr)
        } else {
            None
        };
        let touched = touches_exec(mem, old, old + old_len)
            || fixed_to.is_some_and(|t| touches_exec(mem, t, t + new_len));
        let mut grow = new_len.saturating_sub(old_len);
        if let Some(t) = fixed_to {
            // MREMAP_FIXED replaces what was mapped at the target.
            grow = grow.saturating_sub(mapped_within(mem, t, new_len));
        }
        let _guard = self.reserve(mem, grow)?;
        let r = mem.remap(old, old_len, new_len, flags & MREMAP_MAYMOVE != 0, fixed_to)?;
        if touched {
            // Both the old and the new place may hold stale translations.
            let lo = old.min(r);
            let hi = (old + old_len).max(r + new_len);
            self.pending = Some(SyscallOutcome::Invalidate { start: lo, end: hi });
        }
        Ok(r)
    }

    /// madvise: MADV_DONTNEED really drops the pages (private anonymous
    /// memory reads back as zero, private file pages as the file), because
    /// allocators rely on it; MADV_HUGEPAGE and MADV_NOHUGEPAGE go to the
    /// host as they are (the guest's pages are the host's); other advice
    /// only checks the range.
    pub(super) fn madvise(&mut self, mem: &GuestMemory, a: [u64; 6]) -> SysResult {
        const MADV_DONTNEED: u64 = 4;
        const MADV_HUGEPAGE: u64 = 14;
        const MADV_NOHUGEPAGE: u64 = 15;
        let addr = a[0];
        if !addr.is_multiple_of(PAGE_SIZE) {
            return Err(EINVAL);
        }
        if a[1] == 0 {
            return Ok(0);
        }
        let len = page_len(a[1])?;
        let p = mem
            .host_range(addr, len, Perm::NONE)
            .map_err(|_| Errno(libc::ENOMEM))?;
        if matches!(a[2], MADV_DONTNEED | MADV_HUGEPAGE | MADV_NOHUGEPAGE) {
            super::host::host_sys!(libc::SYS_madvise, HostPtr::from_guest(p), len, a[2])?;
        }
        Ok(0)
    }

    pub(super) fn flush_icache(&mut self, a: [u64; 6]) -> SysResult {
        let (start, end) = if a[0] < a[1] {
            (a[0], a[1])
        } else {
            (0, u64::MAX)
        };
        self.pending = Some(SyscallOutcome::Invalidate { start, end });
        Ok(0)
    }
}
