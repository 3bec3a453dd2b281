//! The guest address space: one sandboxed host arena holding all of guest
//! memory, page permissions, and the mmap/munmap/mprotect/mremap/brk
//! bookkeeping of a Linux process.
//!
//! Layout: one host reservation of [`GUEST_SPACE_BYTES`] (the arena, see
//! `arena`) holds guest address `a` at `base + a`; a table of one permission
//! byte per guest page (`perms`) is the authority for every access check
//! (`access`); the mapping system calls (`space`, `brk`) keep the arena, the
//! table and the region map (`regions`) in step under one lock, while guest
//! accesses take no lock at all.
//!
//! Architecture Invariant: no access through this API ever touches host
//! memory outside `[base, base + GUEST_SPACE_BYTES)`. Every access checks
//! `addr < GUEST_SPACE_BYTES`, its last byte without overflow, and the
//! permission bytes of the pages it touches before using host memory; every
//! host `mmap(MAP_FIXED)`/`mprotect` checks its range lies inside the arena.
//! The host protection of every guest page mirrors its guest permissions
//! (unmapped pages are host `PROT_NONE`): compiled code checks only the
//! bound and lets a host fault stand for a failed permission check, and even
//! a wrong check elsewhere cannot read host data.

mod access;
mod arena;
mod brk;
mod eof;
mod perms;
mod regions;
mod space;
#[cfg(test)]
mod tests;

use std::fmt;
use std::sync::{Mutex, MutexGuard};

pub use arena::{ARENA_GUARD_BYTES, ARENA_LOW_BASE, HUGE_PAGE_BYTES};
pub use brk::HEAP_NAME;
pub use perms::{BEYOND_EOF, HOST_WRITABLE, MAPPED};
pub use space::{MMAP_MIN_ADDR, MMAP_TOP};

/// Size of the guest user address space: RV64 Linux under Sv39 (2^38 bytes).
/// Every guest address at or above this is unmapped.
pub const GUEST_SPACE_BYTES: u64 = 1 << 38;

/// Guest page size.
pub const PAGE_SIZE: u64 = 4096;

/// Page permissions, as a bit set.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Default)]
pub struct Perm(pub u8);

impl Perm {
    /// No access (mapped but PROT_NONE, or unmapped).
    pub const NONE: Perm = Perm(0);
    /// Readable.
    pub const R: Perm = Perm(1);
    /// Writable.
    pub const W: Perm = Perm(2);
    /// Executable.
    pub const X: Perm = Perm(4);
    /// Read + write.
    pub const RW: Perm = Perm(3);
    /// Read + execute.
    pub const RX: Perm = Perm(5);
    /// Read + write + execute.
    pub const RWX: Perm = Perm(7);

    /// Whether every bit of `other` is set in `self`.
    pub fn contains(self, other: Perm) -> bool {
        self.0 & other.0 == other.0
    }

    /// From Linux PROT_* bits (PROT_READ=1, PROT_WRITE=2, PROT_EXEC=4).
    pub fn from_prot(prot: u32) -> Perm {
        Perm((prot & 7) as u8)
    }
}

impl std::ops::BitOr for Perm {
    type Output = Perm;
    fn bitor(self, o: Perm) -> Perm {
        Perm(self.0 | o.0)
    }
}

impl fmt::Debug for Perm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let c = |b: u8, ch: char| if self.0 & b != 0 { ch } else { '-' };
        write!(f, "{}{}{}", c(1, 'r'), c(2, 'w'), c(4, 'x'))
    }
}

/// A failed guest access: the first guest address that was not accessible.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct MemFault {
    /// Faulting guest address.
    pub addr: u64,
    /// The page is mapped and permitted but lies wholly beyond the end of
    /// the file it maps (Linux: SIGBUS with `BUS_ADRERR` for a guest access,
    /// EFAULT for a system call). Otherwise the page is unmapped or the
    /// access not permitted (SIGSEGV).
    pub beyond_eof: bool,
}

impl MemFault {
    /// A fault at `addr` on an unmapped or not permitted page.
    pub const fn at(addr: u64) -> MemFault {
        MemFault {
            addr,
            beyond_eof: false,
        }
    }
}

/// A Linux errno value (positive), returned by the bookkeeping calls.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Errno(pub i32);

/// Errors creating the address space.
#[derive(Debug, thiserror::Error)]
pub enum MemError {
    /// The host refused to reserve the arena.
    #[error("cannot reserve the {bytes}-byte guest address space: {source}")]
    Reserve {
        /// Size asked for.
        bytes: u64,
        /// The host error.
        source: std::io::Error,
    },
    /// The host page size is not [`PAGE_SIZE`], so guest pages cannot be
    /// mapped one to one.
    #[error("host page size is {bytes} bytes; only {PAGE_SIZE} is supported")]
    HostPageSize {
        /// The host page size.
        bytes: u64,
    },
}

/// What backs a new mapping.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Backing {
    /// Zero-filled memory.
    Anonymous,
    /// A host file descriptor and byte offset (page-aligned), as for mmap(2).
    File {
        /// Host file descriptor (already translated from the guest's fd).
        fd: i32,
        /// Offset in the file.
        offset: u64,
    },
}

/// Flags of a mapping request (the subset of mmap(2) flags that matters here).
#[derive(Copy, Clone, PartialEq, Eq, Debug, Default)]
pub struct MapFlags {
    /// MAP_FIXED: place exactly at `addr`, replacing what is there.
    pub fixed: bool,
    /// MAP_FIXED_NOREPLACE: place exactly at `addr`, fail with EEXIST if occupied.
    pub fixed_noreplace: bool,
    /// MAP_SHARED (else private).
    pub shared: bool,
}

/// One guest mapping, for /proc/self/maps and diagnostics.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Mapping {
    /// First guest address.
    pub start: u64,
    /// One past the last guest address.
    pub end: u64,
    /// Current permissions.
    pub perm: Perm,
    /// Shared or private.
    pub shared: bool,
    /// File offset of `start` (0 for anonymous).
    pub offset: u64,
    /// A label: a file path, `"[heap]"`, `"[stack]"`, or empty.
    pub name: String,
}

/// The guest memory bookkeeping lock held across a fork (see
/// [`GuestMemory::fork_guard`]).
pub struct ForkGuard<'a>(#[allow(dead_code)] MutexGuard<'a, space::Space>);

/// The guest address space. Shared by all guest threads (`Sync`); every
/// method takes `&self`.
pub struct GuestMemory {
    arena: arena::Arena,
    perms: perms::PermTable,
    space: Mutex<space::Space>,
}

// SAFETY: the raw pointers inside are the arena and the permission table,
// owned by this value and valid until drop. All guest accesses through them
// are permission-checked raw (atomic where aligned) host accesses; the table
// is only accessed atomically; all bookkeeping changes are serialized by the
// mutex. Nothing is tied to the creating thread.
unsafe impl Send for GuestMemory {}
// SAFETY: see `Send`: shared use from several threads only performs atomic
// table accesses, raw guest memory accesses (the guest's own sharing), and
// mutex-guarded bookkeeping.
unsafe impl Sync for GuestMemory {}

impl GuestMemory {
    /// Reserve the arena (nothing mapped yet).
    pub fn new() -> Result<GuestMemory, MemError> {
        // SAFETY: sysconf has no preconditions.
        let host_page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        if host_page != PAGE_SIZE as libc::c_long {
            return Err(MemError::HostPageSize {
                bytes: host_page.max(0) as u64,
            });
        }
        let arena = arena::Arena::reserve().map_err(|source| MemError::Reserve {
            bytes: GUEST_SPACE_BYTES,
            source,
        })?;
        let perms = perms::PermTable::new().map_err(|source| MemError::Reserve {
            bytes: GUEST_SPACE_BYTES / PAGE_SIZE,
            source,
        })?;
        Ok(GuestMemory {
            arena,
            perms,
            space: Mutex::new(space::Space::default()),
        })
    }

    /// Whether private anonymous mappings of [`HUGE_PAGE_BYTES`] or more
    /// made from now on are advised to the host as transparent huge page
    /// memory (`madvise(MADV_HUGEPAGE)`; on by default). It changes no
    /// guest-visible behaviour, only how the host backs the memory: fewer
    /// TLB misses, and up to 2 MiB of host memory per touched huge page.
    pub fn set_huge_pages(&self, on: bool) {
        self.arena.set_huge_pages(on);
    }

    /// The bookkeeping, locked (a panic while holding it leaves consistent
    /// enough state to keep going, so poisoning is ignored).
    fn lock(&self) -> MutexGuard<'_, space::Space> {
        self.space.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Hold the bookkeeping lock across a host `fork()`: the child gets only
    /// the forking thread, so a lock another thread held at that moment would
    /// stay locked in the child forever. Drop the guard after the fork, in
    /// parent and child alike.
    pub fn fork_guard(&self) -> ForkGuard<'_> {
        ForkGuard(self.lock())
    }

    /// Host address of guest address 0. Compiled code computes `base + addr`
    /// after checking `addr < GUEST_SPACE_BYTES` and lets the host
    /// protection of the page (which mirrors the guest permissions) refuse a
    /// forbidden access with a host fault; the reserved range is
    /// `GUEST_SPACE_BYTES + ARENA_GUARD_BYTES` long.
    pub fn base(&self) -> *mut u8 {
        self.arena.base()
    }

    /// One permission byte per guest page, indexed by `addr / PAGE_SIZE`, for
    /// `GUEST_SPACE_BYTES / PAGE_SIZE` pages. Bits 0..=2 are the [`Perm`]
    /// bits; [`MAPPED`], [`HOST_WRITABLE`] and [`BEYOND_EOF`] are VM-internal
    /// extras (a page beyond the end of its file has no R/W/X bits, so every
    /// check of them fails; see [`BEYOND_EOF`]). The
    /// bytes change concurrently: read them with single-byte (atomic) loads.
    pub fn perm_table(&self) -> *const u8 {
        self.perms.ptr()
    }

    /// Whether the page holding `addr` is mapped (whatever its permissions):
    /// a fault there is SEGV_ACCERR, elsewhere SEGV_MAPERR.
    pub fn is_mapped(&self, addr: u64) -> bool {
        self.perms.get(addr / PAGE_SIZE) & MAPPED != 0
    }

    /// Permissions of the page holding `addr` as accesses see them: NONE if
    /// unmapped, out of range, or beyond the end of its mapped file (the
    /// mapping's own permissions are in [`GuestMemory::mappings`]).
    pub fn perm_at(&self, addr: u64) -> Perm {
        Perm(self.perms.get(addr / PAGE_SIZE) & Perm::RWX.0)
    }

    /// The current mappings, ascending, adjacent equal ones merged.
    pub fn mappings(&self) -> Vec<Mapping> {
        self.lock().regions.mappings()
    }
}

impl fmt::Debug for GuestMemory {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GuestMemory")
            .field("base", &self.base())
            .finish_non_exhaustive()
    }
}
