//! The guest address space: one sandboxed host arena holding all of guest
//! memory, page permissions, and the mmap/munmap/mprotect/mremap/brk
//! bookkeeping of a Linux process.
//!
//! (API skeleton: bodies are filled in by the guest-memory work.)

use std::fmt;

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
    /// A label: a file path, "[heap]", "[stack]", or empty.
    pub name: String,
}

/// The guest address space. Shared by all guest threads (`Sync`); every
/// method takes `&self`.
pub struct GuestMemory {
    _private: (),
}

impl GuestMemory {
    /// Reserve the arena (nothing mapped yet).
    pub fn new() -> Result<GuestMemory, MemError> {
        todo!()
    }

    /// Host address of guest address 0. Compiled code computes `base + addr`
    /// after checking the access (see [`GuestMemory::perm_table`]).
    pub fn base(&self) -> *mut u8 {
        todo!()
    }

    /// One permission byte ([`Perm`] bits) per guest page, indexed by
    /// `addr / PAGE_SIZE`, for `GUEST_SPACE_BYTES / PAGE_SIZE` pages.
    pub fn perm_table(&self) -> *const u8 {
        todo!()
    }

    /// Permissions of the page holding `addr` (NONE if unmapped or out of range).
    pub fn perm_at(&self, addr: u64) -> Perm {
        let _ = addr;
        todo!()
    }

    /// Load `size` (1, 2, 4 or 8) bytes little-endian from `addr`, any
    /// alignment; needs R on every page touched. Zero-extended.
    #[inline]
    pub fn load(&self, addr: u64, size: u32) -> Result<u64, MemFault> {
        let _ = (addr, size);
        todo!()
    }

    /// Store the low `size` (1, 2, 4 or 8) bytes of `val` at `addr`, any
    /// alignment; needs W on every page touched. Nothing is written on fault.
    #[inline]
    pub fn store(&self, addr: u64, size: u32, val: u64) -> Result<(), MemFault> {
        let _ = (addr, size, val);
        todo!()
    }

    /// Fetch a 16-bit instruction parcel; needs X.
    #[inline]
    pub fn fetch_u16(&self, addr: u64) -> Result<u16, MemFault> {
        let _ = addr;
        todo!()
    }

    /// The naturally aligned 32-bit word at `addr` as a host atomic; needs R
    /// and W. Err(MemFault) if not permitted; `Ok(None)` if misaligned.
    pub fn atomic_u32(&self, addr: u64) -> Result<Option<&std::sync::atomic::AtomicU32>, MemFault> {
        let _ = addr;
        todo!()
    }

    /// As [`GuestMemory::atomic_u32`] for a 64-bit word.
    pub fn atomic_u64(&self, addr: u64) -> Result<Option<&std::sync::atomic::AtomicU64>, MemFault> {
        let _ = addr;
        todo!()
    }

    /// Copy guest memory into `buf`; needs R.
    pub fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<(), MemFault> {
        let _ = (addr, buf);
        todo!()
    }

    /// Copy `buf` into guest memory; needs W.
    pub fn write_bytes(&self, addr: u64, buf: &[u8]) -> Result<(), MemFault> {
        let _ = (addr, buf);
        todo!()
    }

    /// Copy into guest memory ignoring page permissions (loader, initial
    /// stack, signal frames); the pages must be mapped.
    pub fn write_bytes_force(&self, addr: u64, buf: &[u8]) -> Result<(), MemFault> {
        let _ = (addr, buf);
        todo!()
    }

    /// Read a NUL-terminated string of at most `max` bytes (without the NUL).
    pub fn read_cstr(&self, addr: u64, max: usize) -> Result<Vec<u8>, MemFault> {
        let _ = (addr, max);
        todo!()
    }

    /// Host pointer to `len` guest bytes at `addr` if every page has `need`
    /// (for passing guest buffers straight to host system calls). The pointer
    /// stays inside the arena.
    pub fn host_range(&self, addr: u64, len: u64, need: Perm) -> Result<*mut u8, MemFault> {
        let _ = (addr, len, need);
        todo!()
    }

    /// mmap(2): map `len` bytes. Without `fixed`, `addr` is a hint and a free
    /// range is chosen (top-down below the stack, as Linux does). Returns the
    /// guest address. `name` labels the mapping in [`GuestMemory::mappings`].
    pub fn map(
        &self,
        addr: u64,
        len: u64,
        perm: Perm,
        flags: MapFlags,
        backing: Backing,
        name: &str,
    ) -> Result<u64, Errno> {
        let _ = (addr, len, perm, flags, backing, name);
        todo!()
    }

    /// munmap(2).
    pub fn unmap(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let _ = (addr, len);
        todo!()
    }

    /// mprotect(2).
    pub fn protect(&self, addr: u64, len: u64, perm: Perm) -> Result<(), Errno> {
        let _ = (addr, len, perm);
        todo!()
    }

    /// mremap(2) with MREMAP_MAYMOVE (`may_move`) and MREMAP_FIXED (`fixed_to`).
    pub fn remap(
        &self,
        old_addr: u64,
        old_len: u64,
        new_len: u64,
        may_move: bool,
        fixed_to: Option<u64>,
    ) -> Result<u64, Errno> {
        let _ = (old_addr, old_len, new_len, may_move, fixed_to);
        todo!()
    }

    /// Set where the heap starts (page-aligned end of the loaded program).
    pub fn init_brk(&self, start: u64) {
        let _ = start;
        todo!()
    }

    /// brk(2): move the program break; returns the new break, or the old one
    /// if the request cannot be met (as Linux does).
    pub fn brk(&self, new_brk: u64) -> u64 {
        let _ = new_brk;
        todo!()
    }

    /// The current mappings, ascending, adjacent equal ones merged.
    pub fn mappings(&self) -> Vec<Mapping> {
        todo!()
    }
}
