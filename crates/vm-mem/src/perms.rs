//! The permission table: one byte per guest page, the authority for every
//! guest access check.
//!
//! The table spans the whole guest space (2^26 bytes for 2^38 bytes of guest
//! space) and is anonymous `MAP_NORESERVE` memory, so only the parts covering
//! mapped guest pages ever become real memory. It is read on every guest
//! access without a lock while `mmap`/`mprotect` update it under the
//! bookkeeping lock, so its bytes are `AtomicU8` read and written with
//! `Relaxed` ordering (a plain byte load on common hosts). Relaxed is enough:
//! an access racing with a permission change may see either the old or the
//! new permission, as a guest thread racing with `mprotect` on Linux may.
//!
//! Byte layout: bits 0..=2 are the guest [`Perm`] (R, W, X); [`MAPPED`] marks
//! a mapped page (so a mapped `PROT_NONE` page differs from a hole) and
//! [`HOST_WRITABLE`] marks a page whose host memory may be written by the VM
//! itself ([`crate::GuestMemory::write_bytes_force`]). [`BEYOND_EOF`] marks
//! a page of a file mapping that lies wholly beyond the end of the file: its
//! byte is [`BEYOND_EOF_ENTRY`], with no R/W/X bits and not host-writable,
//! so every check fails and only the slow path of a failed check looks at
//! it again (see `eof`). Checks test `byte & need == need` for the bits
//! they need and ignore the rest.

use std::sync::atomic::{AtomicU8, Ordering};

use crate::arena::HostRegion;
use crate::{GUEST_SPACE_BYTES, PAGE_SIZE, Perm};

/// Permission-table bit: the page is mapped (whatever its guest permissions).
pub const MAPPED: u8 = 0x08;
/// Permission-table bit: the host memory of the page is writable, so the VM
/// may write it regardless of the guest permissions.
pub const HOST_WRITABLE: u8 = 0x10;

/// Permission-table bit: the page lies wholly beyond the end of the file it
/// maps (its R/W/X bits are clear whatever the mapping's permissions; a
/// failed access re-reads the file's size, see
/// [`crate::MemFault::beyond_eof`]).
pub const BEYOND_EOF: u8 = 0x20;

/// The table byte of a mapped page beyond the end of its file: mapped, no
/// access, not host-writable (touching its host memory raises SIGBUS).
pub(crate) const BEYOND_EOF_ENTRY: u8 = MAPPED | BEYOND_EOF;

/// Number of guest pages (entries in the table).
pub(crate) const PAGES: u64 = GUEST_SPACE_BYTES / PAGE_SIZE;

/// One atomic byte per guest page.
pub(crate) struct PermTable {
    region: HostRegion,
}

impl PermTable {
    /// A table with every page unmapped (all zero).
    pub(crate) fn new() -> std::io::Result<PermTable> {
        Ok(PermTable {
            region: HostRegion::reserve(PAGES, libc::PROT_READ | libc::PROT_WRITE)?,
        })
    }

    /// First byte of the table.
    pub(crate) fn ptr(&self) -> *const u8 {
        self.region.ptr()
    }

    /// The entry of `page`; 0 (unmapped) if out of range.
    #[inline(always)]
    pub(crate) fn get(&self, page: u64) -> u8 {
        if page >= PAGES {
            return 0;
        }
        // SAFETY: `page < PAGES` and the region is PAGES bytes of host
        // read+write memory owned by `self`; AtomicU8 has the size and
        // alignment of u8, and every access to the table is atomic.
        unsafe {
            (*self.region.ptr().add(page as usize).cast::<AtomicU8>()).load(Ordering::Relaxed)
        }
    }

    /// Set the entries of pages `[first, first+count)` to `byte`. Callers
    /// serialize (all updates happen under the bookkeeping lock).
    pub(crate) fn set(&self, first: u64, count: u64, byte: u8) {
        let end = first.saturating_add(count).min(PAGES);
        let mut page = first;
        while page < end {
            // Clearing whole table pages: give the memory back to the host
            // instead (it reads as zero again), so unmapping a huge range
            // does not leave the table resident.
            if byte == 0 && page.is_multiple_of(TABLE_PAGE) && end - page >= TABLE_PAGE {
                let whole = (end - page) / TABLE_PAGE * TABLE_PAGE;
                // SAFETY: `[page, page+whole)` is inside the table (whole <=
                // end - page, end <= PAGES), page-aligned host memory owned by
                // `self`; MADV_DONTNEED on private anonymous memory makes it
                // read as zero, which is the value being stored.
                let done = unsafe {
                    libc::madvise(
                        self.region.ptr().add(page as usize).cast(),
                        whole as usize,
                        libc::MADV_DONTNEED,
                    )
                };
                if done == 0 {
                    page += whole;
                    continue;
                }
            }
            // SAFETY: as in `get`: `page < PAGES`, atomic access to our table.
            unsafe {
                (*self.region.ptr().add(page as usize).cast::<AtomicU8>())
                    .store(byte, Ordering::Relaxed)
            };
            page += 1;
        }
    }
}

/// Table entries per host page of the table.
const TABLE_PAGE: u64 = PAGE_SIZE;

/// The table byte for a mapped page with guest permissions `perm`.
///
/// Write or execute access implies read access, as under Linux on RISC-V
/// (a writable page table entry is always readable) and qemu-user (which
/// makes executable pages host-readable): the host protection of the page
/// (see `RegionBacking::host_prot`) is readable then too, and compiled code
/// relies on the host protection alone, so the table must agree with it.
pub(crate) fn entry(perm: Perm, host_writable: bool) -> u8 {
    (effective(perm).0 & Perm::RWX.0) | MAPPED | if host_writable { HOST_WRITABLE } else { 0 }
}

/// The permissions guest accesses get on a page mapped with `perm`: read
/// if any of read, write or execute.
pub(crate) fn effective(perm: Perm) -> Perm {
    if perm.0 & Perm::RWX.0 != 0 {
        perm | Perm::R
    } else {
        perm
    }
}
