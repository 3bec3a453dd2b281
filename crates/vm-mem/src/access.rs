//! Guest accesses: loads, stores, instruction fetch, atomics and bulk copies,
//! each checked against the permission table before touching host memory.
//!
//! The check: the address and the last byte must be below
//! [`GUEST_SPACE_BYTES`] (computed without overflow) and the permission bytes
//! of the first and the last page touched must hold the needed bits. Only
//! then is `base + addr` accessed, so no access through this API reaches host
//! memory outside the arena.
//!
//! Fault address (what Linux reports as `si_addr`): the access address when
//! its first page is not accessible; the first byte of the second page when
//! only that page is not accessible.
//!
//! Every check is a permission-table test; only when it fails does the slow
//! path look further (`eof`: a page beyond the end of a mapped file may have
//! been grown over since, else the fault is marked `beyond_eof`).
//!
//! Concurrency: guest threads share guest memory. Naturally aligned loads and
//! stores use host atomics with `Relaxed` ordering (a plain host access on
//! common hosts, and the single-copy atomicity RISC-V promises for aligned
//! accesses); misaligned accesses and bulk copies are plain unaligned host
//! accesses, which RISC-V does not promise to be atomic either.
//!
//! Permissions are read without a lock: an access racing with `munmap` in
//! another guest thread may pass the check and then meet the host
//! `PROT_NONE` page put back by the unmap (or, now that host protections
//! mirror the guest's, a page another thread just made read-only), which is
//! a host fault at an address inside the arena; it never reaches host memory
//! outside it. Compiled code turns such faults into guest faults
//! (`vm_engine_jit`'s `hostfault`); in the interpreter and the VM's own
//! copies the fault still kills the process (a known gap: a guest racing
//! its own munmap or mprotect).

use std::sync::atomic::{AtomicU8, AtomicU16, AtomicU32, AtomicU64, Ordering};

use crate::perms::{HOST_WRITABLE, MAPPED};
use crate::{GUEST_SPACE_BYTES, GuestMemory, MemFault, PAGE_SIZE, Perm};

const PAGE_MASK: u64 = !(PAGE_SIZE - 1);

impl GuestMemory {
    /// Check an access of `size` (1..=8) bytes at `addr` needing `need` bits.
    /// The hot path is the table test alone; a failure goes out of line
    /// (fault address, pages beyond the end of a mapped file).
    #[inline(always)]
    fn check_small(&self, addr: u64, size: u64, need: u8) -> Result<(), MemFault> {
        let last = addr.wrapping_add(size - 1);
        // addr < 2^38 and size <= 8, so `last` did not wrap when in space.
        if addr < GUEST_SPACE_BYTES
            && self.perms.get(addr / PAGE_SIZE) & need == need
            && ((last ^ addr) & PAGE_MASK == 0 || self.perms.get(last / PAGE_SIZE) & need == need)
        {
            return Ok(());
        }
        self.check_small_failed(addr, size, need)
    }

    /// The slow path of [`GuestMemory::check_small`]: the fault, after
    /// [`GuestMemory::settle`] had its look.
    #[cold]
    #[inline(never)]
    fn check_small_failed(&self, addr: u64, size: u64, need: u8) -> Result<(), MemFault> {
        match self.check_small_table(addr, size, need) {
            Ok(()) => Ok(()),
            Err(f) => self.settle(f, need, &|| self.check_small_table(addr, size, need)),
        }
    }

    /// The permission-table part of [`GuestMemory::check_small`], with the
    /// fault address.
    fn check_small_table(&self, addr: u64, size: u64, need: u8) -> Result<(), MemFault> {
        let last = addr.wrapping_add(size - 1);
        if addr >= GUEST_SPACE_BYTES {
            return Err(MemFault::at(addr));
        }
        // addr < 2^38 and size <= 8, so `last` did not wrap.
        if self.perms.get(addr / PAGE_SIZE) & need != need {
            return Err(MemFault::at(addr));
        }
        if (last ^ addr) & PAGE_MASK != 0 && self.perms.get(last / PAGE_SIZE) & need != need {
            return Err(MemFault::at(last & PAGE_MASK));
        }
        Ok(())
    }

    /// Check that every page of `[addr, addr+len)` (len > 0) has all bits of
    /// `need`; a failure goes through [`GuestMemory::settle`].
    fn check_range(&self, addr: u64, len: u64, need: u8) -> Result<(), MemFault> {
        match self.check_range_table(addr, len, need) {
            Ok(()) => Ok(()),
            Err(f) => self.settle(f, need, &|| self.check_range_table(addr, len, need)),
        }
    }

    /// The permission-table part of [`GuestMemory::check_range`].
    fn check_range_table(&self, addr: u64, len: u64, need: u8) -> Result<(), MemFault> {
        if addr >= GUEST_SPACE_BYTES {
            return Err(MemFault::at(addr));
        }
        let last = match addr.checked_add(len - 1) {
            Some(l) if l < GUEST_SPACE_BYTES => l,
            _ => GUEST_SPACE_BYTES,
        };
        let mut page = addr & PAGE_MASK;
        while page <= last {
            if self.perms.get(page / PAGE_SIZE) & need != need {
                return Err(MemFault::at(page.max(addr)));
            }
            page += PAGE_SIZE;
        }
        Ok(())
    }

    /// Host pointer of a checked guest address.
    #[inline(always)]
    fn host_ptr(&self, addr: u64) -> *mut u8 {
        self.arena.base().wrapping_add(addr as usize)
    }

    /// Load `size` (1, 2, 4 or 8) bytes little-endian from `addr`, any
    /// alignment; needs R on every page touched. Zero-extended. Other sizes
    /// are a VM bug and fault at `addr`. Always inlined: returned through
    /// memory (a [`MemFault`] is 16 bytes), the result costs the
    /// interpreter ~5% on memory-heavy code.
    #[inline(always)]
    pub fn load(&self, addr: u64, size: u32) -> Result<u64, MemFault> {
        match size {
            1 => {
                self.check_small(addr, 1, Perm::R.0)?;
                // SAFETY: checked: one readable mapped guest byte, inside the
                // arena; every mapped page is host readable.
                Ok(
                    unsafe { (*self.host_ptr(addr).cast::<AtomicU8>()).load(Ordering::Relaxed) }
                        as u64,
                )
            }
            2 => {
                self.check_small(addr, 2, Perm::R.0)?;
                // SAFETY: checked: both bytes lie in readable mapped guest pages.
                Ok(unsafe { read_u16(self.host_ptr(addr)) } as u64)
            }
            4 => {
                self.check_small(addr, 4, Perm::R.0)?;
                // SAFETY: checked: all bytes lie in readable mapped guest pages.
                Ok(unsafe { read_u32(self.host_ptr(addr)) } as u64)
            }
            8 => {
                self.check_small(addr, 8, Perm::R.0)?;
                // SAFETY: checked: all bytes lie in readable mapped guest pages.
                Ok(unsafe { read_u64(self.host_ptr(addr)) })
            }
            _ => Err(MemFault::at(addr)),
        }
    }

    /// Store the low `size` (1, 2, 4 or 8) bytes of `val` at `addr`, any
    /// alignment; needs W on every page touched. Nothing is written on fault.
    /// Other sizes are a VM bug and fault at `addr`. Always inlined, as
    /// [`GuestMemory::load`].
    #[inline(always)]
    pub fn store(&self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        match size {
            1 => {
                self.check_small(addr, 1, Perm::W.0)?;
                // SAFETY: checked: a writable guest byte; guest-writable pages
                // are host writable.
                unsafe {
                    (*self.host_ptr(addr).cast::<AtomicU8>()).store(val as u8, Ordering::Relaxed)
                };
            }
            2 => {
                self.check_small(addr, 2, Perm::W.0)?;
                // SAFETY: checked: both bytes lie in writable guest pages.
                unsafe { write_u16(self.host_ptr(addr), val as u16) };
            }
            4 => {
                self.check_small(addr, 4, Perm::W.0)?;
                // SAFETY: checked: all bytes lie in writable guest pages.
                unsafe { write_u32(self.host_ptr(addr), val as u32) };
            }
            8 => {
                self.check_small(addr, 8, Perm::W.0)?;
                // SAFETY: checked: all bytes lie in writable guest pages.
                unsafe { write_u64(self.host_ptr(addr), val) };
            }
            _ => return Err(MemFault::at(addr)),
        }
        Ok(())
    }

    /// Fetch a 16-bit instruction parcel; needs X.
    #[inline]
    pub fn fetch_u16(&self, addr: u64) -> Result<u16, MemFault> {
        self.check_small(addr, 2, Perm::X.0)?;
        // SAFETY: checked: both bytes lie in executable mapped guest pages,
        // which are host readable.
        Ok(unsafe { read_u16(self.host_ptr(addr)) })
    }

    /// The naturally aligned 32-bit word at `addr` as a host atomic; needs R
    /// and W. Err(MemFault) if not permitted; `Ok(None)` if misaligned.
    ///
    /// The reference points into the arena; if the guest unmaps the page
    /// while it is held, using it faults on the host inside the arena.
    pub fn atomic_u32(&self, addr: u64) -> Result<Option<&AtomicU32>, MemFault> {
        if !addr.is_multiple_of(4) {
            return Ok(None);
        }
        self.check_small(addr, 4, Perm::RW.0)?;
        // SAFETY: checked: 4 aligned bytes of a readable and writable mapped
        // guest page (host read+write), inside the arena, which lives as long
        // as `self`. AtomicU32 has the size and alignment of u32.
        Ok(Some(unsafe { &*self.host_ptr(addr).cast::<AtomicU32>() }))
    }

    /// As [`GuestMemory::atomic_u32`] for a 64-bit word.
    pub fn atomic_u64(&self, addr: u64) -> Result<Option<&AtomicU64>, MemFault> {
        if !addr.is_multiple_of(8) {
            return Ok(None);
        }
        self.check_small(addr, 8, Perm::RW.0)?;
        // SAFETY: as in `atomic_u32`, for 8 aligned bytes.
        Ok(Some(unsafe { &*self.host_ptr(addr).cast::<AtomicU64>() }))
    }

    /// Copy guest memory into `buf`; needs R. Nothing is copied on fault.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_range(addr, buf.len() as u64, Perm::R.0)?;
        // SAFETY: checked: every byte lies in a readable mapped guest page
        // inside the arena; `buf` is a distinct host buffer.
        unsafe { std::ptr::copy_nonoverlapping(self.host_ptr(addr), buf.as_mut_ptr(), buf.len()) };
        Ok(())
    }

    /// Copy `buf` into guest memory; needs W. Nothing is written on fault.
    pub fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), MemFault> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_range(addr, buf.len() as u64, Perm::W.0)?;
        // SAFETY: checked: every byte lies in a guest-writable (so host
        // writable) page inside the arena.
        unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), self.host_ptr(addr), buf.len()) };
        Ok(())
    }

    /// Copy into guest memory ignoring page permissions (loader, initial
    /// stack, signal frames); the pages must be mapped (and not a read-only
    /// shared file mapping, whose host memory is read-only).
    pub fn write_bytes_force(&self, addr: u64, buf: &[u8]) -> Result<(), MemFault> {
        if buf.is_empty() {
            return Ok(());
        }
        self.check_range(addr, buf.len() as u64, MAPPED | HOST_WRITABLE)?;
        if self
            .check_range_table(addr, buf.len() as u64, Perm::W.0)
            .is_ok()
        {
            // SAFETY: checked: every byte lies in a guest-writable (so host
            // writable) page inside the arena.
            unsafe { std::ptr::copy_nonoverlapping(buf.as_ptr(), self.host_ptr(addr), buf.len()) };
            return Ok(());
        }
        // Some page is host read-only (its host protection mirrors the
        // guest's): write around the protection.
        self.arena
            .write_force(addr, buf)
            .map_err(|_| MemFault::at(addr))
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    ///
    /// Like the kernel's `strncpy_from_user`: at most `max` bytes are
    /// examined; if none of them is NUL, all `max` are returned, so a result
    /// of length `max` means "unterminated within `max`" (a caller with a
    /// limit such as PATH_MAX passes the limit and treats `len == max` as too
    /// long). Faults only on a byte it needs to read.
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            let page_left = PAGE_SIZE - (at % PAGE_SIZE);
            let chunk = page_left.min((max - out.len()) as u64);
            self.check_range(at, 1, Perm::R.0)?;
            let start = out.len();
            out.resize(start + chunk as usize, 0);
            // SAFETY: `[at, at+chunk)` lies in one page (chunk <= bytes left
            // in the page), which was just checked readable.
            unsafe {
                std::ptr::copy_nonoverlapping(
                    self.host_ptr(at),
                    out[start..].as_mut_ptr(),
                    chunk as usize,
                )
            };
            if let Some(nul) = out[start..].iter().position(|&b| b == 0) {
                out.truncate(start + nul);
                return Ok(out);
            }
            at += chunk;
        }
        Ok(out)
    }

    /// Host pointer to `len` guest bytes at `addr` if every page has `need`
    /// (for passing guest buffers straight to host system calls). The pointer
    /// stays inside the arena. `len == 0` needs nothing but `addr <=`
    /// [`GUEST_SPACE_BYTES`].
    pub fn host_range(&self, addr: u64, len: u64, need: Perm) -> Result<*mut u8, MemFault> {
        if len == 0 {
            if addr > GUEST_SPACE_BYTES {
                return Err(MemFault::at(addr));
            }
        } else {
            self.check_range(addr, len, (need.0 & Perm::RWX.0) | MAPPED)?;
        }
        Ok(self.host_ptr(addr))
    }
}

/// Read a u16 little-endian at `p`, atomically if aligned.
///
/// # Safety
/// `p..p+2` must be readable host memory.
#[inline(always)]
unsafe fn read_u16(p: *const u8) -> u16 {
    if (p as usize).is_multiple_of(2) {
        // SAFETY: aligned and readable (caller).
        u16::from_le(unsafe { (*p.cast::<AtomicU16>()).load(Ordering::Relaxed) })
    } else {
        // SAFETY: readable (caller); unaligned read.
        u16::from_le(unsafe { p.cast::<u16>().read_unaligned() })
    }
}

/// As [`read_u16`] for u32.
///
/// # Safety
/// `p..p+4` must be readable host memory.
#[inline(always)]
unsafe fn read_u32(p: *const u8) -> u32 {
    if (p as usize).is_multiple_of(4) {
        // SAFETY: aligned and readable (caller).
        u32::from_le(unsafe { (*p.cast::<AtomicU32>()).load(Ordering::Relaxed) })
    } else {
        // SAFETY: readable (caller); unaligned read.
        u32::from_le(unsafe { p.cast::<u32>().read_unaligned() })
    }
}

/// As [`read_u16`] for u64.
///
/// # Safety
/// `p..p+8` must be readable host memory.
#[inline(always)]
unsafe fn read_u64(p: *const u8) -> u64 {
    if (p as usize).is_multiple_of(8) {
        // SAFETY: aligned and readable (caller).
        u64::from_le(unsafe { (*p.cast::<AtomicU64>()).load(Ordering::Relaxed) })
    } else {
        // SAFETY: readable (caller); unaligned read.
        u64::from_le(unsafe { p.cast::<u64>().read_unaligned() })
    }
}

/// Write a u16 little-endian at `p`, atomically if aligned.
///
/// # Safety
/// `p..p+2` must be writable host memory.
#[inline(always)]
unsafe fn write_u16(p: *mut u8, v: u16) {
    if (p as usize).is_multiple_of(2) {
        // SAFETY: aligned and writable (caller).
        unsafe { (*p.cast::<AtomicU16>()).store(v.to_le(), Ordering::Relaxed) }
    } else {
        // SAFETY: writable (caller); unaligned write.
        unsafe { p.cast::<u16>().write_unaligned(v.to_le()) }
    }
}

/// As [`write_u16`] for u32.
///
/// # Safety
/// `p..p+4` must be writable host memory.
#[inline(always)]
unsafe fn write_u32(p: *mut u8, v: u32) {
    if (p as usize).is_multiple_of(4) {
        // SAFETY: aligned and writable (caller).
        unsafe { (*p.cast::<AtomicU32>()).store(v.to_le(), Ordering::Relaxed) }
    } else {
        // SAFETY: writable (caller); unaligned write.
        unsafe { p.cast::<u32>().write_unaligned(v.to_le()) }
    }
}

/// As [`write_u16`] for u64.
///
/// # Safety
/// `p..p+8` must be writable host memory.
#[inline(always)]
unsafe fn write_u64(p: *mut u8, v: u64) {
    if (p as usize).is_multiple_of(8) {
        // SAFETY: aligned and writable (caller).
        unsafe { (*p.cast::<AtomicU64>()).store(v.to_le(), Ordering::Relaxed) }
    } else {
        // SAFETY: writable (caller); unaligned write.
        unsafe { p.cast::<u64>().write_unaligned(v.to_le()) }
    }
}
