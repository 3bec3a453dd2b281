//! The host side of guest memory: one reserved host range (the arena) and the
//! few host `mmap`/`mprotect` calls that change what backs a part of it.
//!
//! Why a reservation: guest address `a` lives at host `base + a`, so a guest
//! access is one bound check, one permission byte and one host access. The
//! arena is reserved `PROT_NONE` with `MAP_NORESERVE`, so it costs address
//! space only; guest mappings replace parts of it with `MAP_FIXED`, and
//! unmapping puts `PROT_NONE` memory back (never a hole, so the host can never
//! place one of its own mappings inside the arena).
//!
//! Every method here takes a guest range and checks that it lies inside the
//! arena before calling the host, so a `MAP_FIXED` issued here can only ever
//! replace arena pages: this is the one module that holds the unsafe host
//! calls that reshape memory.
//!
//! Host protection of mapped guest pages mirrors the guest's (see
//! `RegionBacking::host_prot`): compiled code accesses guest memory with one
//! bound check and lets the host MMU refuse what the guest may not do. The
//! VM itself writes read-only guest pages (loader, signal trampoline)
//! through `/proc/self/mem`, which the kernel lets a process use to write
//! its own protected private pages, as a debugger does.
//! Pages of a file mapping wholly beyond the end of the file are mapped
//! too, but touching them raises SIGBUS on the host: the permission table
//! keeps the VM's own accesses away from them (see `eof`), and compiled
//! code meets that SIGBUS as a host fault.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::{Errno, GUEST_SPACE_BYTES};

/// Errno of the last failed host call.
fn last_errno() -> Errno {
    Errno(
        io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO),
    )
}

/// An owned host mapping, unmapped on drop.
pub(crate) struct HostRegion {
    ptr: *mut u8,
    len: usize,
}

impl HostRegion {
    /// Reserve `len` bytes with `prot` as private anonymous `MAP_NORESERVE`
    /// memory (untouched pages cost nothing).
    pub(crate) fn reserve(len: u64, prot: i32) -> io::Result<HostRegion> {
        Self::reserve_near(0, len, prot)
    }

    /// As [`HostRegion::reserve`], at host address `hint` if that range is
    /// free (0: wherever the host chooses; otherwise too the host chooses
    /// another place).
    pub(crate) fn reserve_near(hint: usize, len: u64, prot: i32) -> io::Result<HostRegion> {
        let len = usize::try_from(len).map_err(|_| io::Error::from_raw_os_error(libc::ENOMEM))?;
        // SAFETY: a fresh mapping at an address the host chooses (a hint
        // only, no MAP_FIXED) cannot overlap any existing memory.
        let ptr = unsafe {
            libc::mmap(
                hint as *mut libc::c_void,
                len,
                prot,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if ptr == libc::MAP_FAILED {
            return Err(io::Error::last_os_error());
        }
        Ok(HostRegion {
            ptr: ptr.cast(),
            len,
        })
    }

    /// First byte of the region.
    pub(crate) fn ptr(&self) -> *mut u8 {
        self.ptr
    }
}

impl Drop for HostRegion {
    fn drop(&mut self) {
        // SAFETY: `ptr..ptr+len` is a mapping this value created and owns;
        // nothing borrows it past the owner's lifetime.
        unsafe {
            libc::munmap(self.ptr.cast(), self.len);
        }
    }
}

/// The reserved guest address space.
pub(crate) struct Arena {
    region: HostRegion,
    /// Whether new private anonymous mappings of [`HUGE_PAGE_BYTES`] or
    /// more are advised to the host as huge-page memory (see `Arena::map`).
    huge_pages: AtomicBool,
}

/// The host's transparent huge page size (x86-64's PMD size): the least
/// mapping length worth advising as huge-page memory.
pub const HUGE_PAGE_BYTES: u64 = 2 << 20;

/// How a guest range is backed on the host.
pub(crate) enum HostBacking<'a> {
    /// Fresh zero-filled private memory.
    AnonPrivate,
    /// A host fd mapped private or shared, at a byte offset.
    Fd {
        /// The host file (or memfd).
        fd: &'a OwnedFd,
        /// Byte offset in it (page-aligned).
        offset: u64,
        /// MAP_SHARED (else MAP_PRIVATE).
        shared: bool,
    },
}

/// Inaccessible host bytes reserved past the end of the guest space and
/// never mapped: an access that starts inside the space (the only bound
/// compiled code checks) but runs past its end (at most 7 bytes) meets
/// this guard, not host memory.
pub const ARENA_GUARD_BYTES: u64 = crate::PAGE_SIZE;

/// Where the arena goes when that host range is free (the first arena of
/// a process, usually): low enough that the base fits a signed 32-bit
/// displacement, so compiled code can address guest `addr` as
/// `base(addr)` with the base in the instruction rather than in a
/// register (see `vm-engine-jit`'s lowering). Any other base works too,
/// only with one more register; the host may place its own mappings
/// here (ASan's shadow, a huge heap), and then the arena goes elsewhere.
pub const ARENA_LOW_BASE: usize = 1 << 30;

impl Arena {
    /// Reserve [`GUEST_SPACE_BYTES`] of inaccessible host address space,
    /// plus [`ARENA_GUARD_BYTES`] of guard, at [`ARENA_LOW_BASE`] if that
    /// range is free.
    pub(crate) fn reserve() -> io::Result<Arena> {
        Ok(Arena {
            region: HostRegion::reserve_near(
                ARENA_LOW_BASE,
                GUEST_SPACE_BYTES + ARENA_GUARD_BYTES,
                libc::PROT_NONE,
            )?,
            huge_pages: AtomicBool::new(true),
        })
    }

    /// Set whether large private anonymous mappings made from now on are
    /// advised as huge-page memory (see [`Arena::map`]).
    pub(crate) fn set_huge_pages(&self, on: bool) {
        self.huge_pages.store(on, Ordering::Relaxed);
    }

    /// Host address of guest address 0.
    pub(crate) fn base(&self) -> *mut u8 {
        self.region.ptr()
    }

    /// Host pointer of guest range `[addr, addr+len)`, if it is a non-empty
    /// page-aligned range inside the arena.
    fn host(&self, addr: u64, len: u64) -> Result<*mut libc::c_void, Errno> {
        let end = addr.checked_add(len).ok_or(Errno(libc::EINVAL))?;
        if len == 0
            || end > GUEST_SPACE_BYTES
            || !addr.is_multiple_of(crate::PAGE_SIZE)
            || !len.is_multiple_of(crate::PAGE_SIZE)
        {
            return Err(Errno(libc::EINVAL));
        }
        Ok(self.base().wrapping_add(addr as usize).cast())
    }

    /// Back guest `[addr, addr+len)` with new memory, replacing what was there.
    pub(crate) fn map(
        &self,
        addr: u64,
        len: u64,
        host_prot: i32,
        backing: HostBacking<'_>,
    ) -> Result<(), Errno> {
        let at = self.host(addr, len)?;
        let (flags, fd, offset) = match backing {
            HostBacking::AnonPrivate => (
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            ),
            HostBacking::Fd { fd, offset, shared } => (share_flag(shared), fd.as_raw_fd(), offset),
        };
        let offset = libc::off_t::try_from(offset).map_err(|_| Errno(libc::EOVERFLOW))?;
        // SAFETY: `host` checked that the range lies inside the arena, which
        // this value owns, so MAP_FIXED replaces only arena pages. Other
        // threads only reach these pages through permission-checked guest
        // accesses.
        let got = unsafe {
            libc::mmap(
                at,
                len as usize,
                host_prot,
                flags | libc::MAP_FIXED,
                fd,
                offset,
            )
        };
        if got == libc::MAP_FAILED {
            return Err(last_errno());
        }
        if matches!(backing, HostBacking::AnonPrivate)
            && len >= HUGE_PAGE_BYTES
            && self.huge_pages.load(Ordering::Relaxed)
        {
            // Large anonymous mappings are a guest's heap arrays: backed
            // by 2 MiB pages where the host allows (THP "always" or
            // "madvise"), their accesses miss the TLB far less (hash
            // tables, pointer chasing over megabytes). Only advice: a host
            // without THP refuses it and nothing changes, so the result is
            // ignored.
            // SAFETY: `at..at+len` is the arena range mapped just above;
            // madvise(MADV_HUGEPAGE) changes how the kernel backs it, not
            // its contents or protection.
            unsafe { libc::madvise(at, len as usize, libc::MADV_HUGEPAGE) };
        }
        Ok(())
    }

    /// Return guest `[addr, addr+len)` to the inaccessible reservation
    /// (drops its contents).
    pub(crate) fn release(&self, addr: u64, len: u64) -> Result<(), Errno> {
        let at = self.host(addr, len)?;
        // SAFETY: as in `map`: the range is inside the arena.
        let got = unsafe {
            libc::mmap(
                at,
                len as usize,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE | libc::MAP_FIXED,
                -1,
                0,
            )
        };
        if got == libc::MAP_FAILED {
            return Err(last_errno());
        }
        Ok(())
    }

    /// Write `buf` at guest `addr` whatever the host protection of its pages
    /// (private mappings: the kernel copies-on-write as for a debugger's
    /// write). The range must be mapped.
    pub(crate) fn write_force(&self, addr: u64, buf: &[u8]) -> Result<(), Errno> {
        let end = addr
            .checked_add(buf.len() as u64)
            .ok_or(Errno(libc::EINVAL))?;
        if end > GUEST_SPACE_BYTES {
            return Err(Errno(libc::EINVAL));
        }
        let at = self.base().wrapping_add(addr as usize);
        // Opened per call: a descriptor kept open would keep naming this
        // process's memory in a forked child.
        // SAFETY: a NUL-terminated path literal; the result is checked.
        let fd = unsafe { libc::open(c"/proc/self/mem".as_ptr(), libc::O_RDWR | libc::O_CLOEXEC) };
        if fd < 0 {
            return Err(last_errno());
        }
        // SAFETY: `fd` was just opened and is owned here alone.
        let fd = unsafe { OwnedFd::from_raw_fd(fd) };
        let mut done = 0;
        while done < buf.len() {
            let rest = &buf[done..];
            // SAFETY: `rest` is valid for reads of its length; the target,
            // `[at + done, at + buf.len())`, lies inside the arena (the whole
            // range was checked against the guest space), and /proc/self/mem writes only
            // mapped memory of this process at that offset.
            let n = unsafe {
                libc::pwrite(
                    fd.as_raw_fd(),
                    rest.as_ptr().cast(),
                    rest.len(),
                    (at as usize + done) as libc::off_t,
                )
            };
            if n <= 0 {
                return Err(if n < 0 {
                    last_errno()
                } else {
                    Errno(libc::EIO)
                });
            }
            done += n as usize;
        }
        Ok(())
    }

    /// Change the host protection of guest `[addr, addr+len)`.
    pub(crate) fn protect(&self, addr: u64, len: u64, host_prot: i32) -> Result<(), Errno> {
        let at = self.host(addr, len)?;
        // SAFETY: the range is inside the arena; changing its protection
        // touches no host memory outside it.
        if unsafe { libc::mprotect(at, len as usize, host_prot) } != 0 {
            return Err(last_errno());
        }
        Ok(())
    }

    /// Move the private pages of guest `[from, from+len)` to `[to, to+len)`
    /// without copying (host `mremap` with `MREMAP_DONTUNMAP`, so the old
    /// range stays mapped and no hole opens in the arena). On failure nothing
    /// changed and the caller copies instead.
    pub(crate) fn move_private(&self, from: u64, to: u64, len: u64) -> Result<(), Errno> {
        let src = self.host(from, len)?;
        let dst = self.host(to, len)?;
        if from < to + len && to < from + len {
            return Err(Errno(libc::EINVAL));
        }
        // SAFETY: both ranges are inside the arena and disjoint; MREMAP_FIXED
        // replaces only the arena pages at `dst`, and MREMAP_DONTUNMAP leaves
        // `src` mapped (empty), so the reservation stays whole.
        let got = unsafe {
            libc::mremap(
                src,
                len as usize,
                len as usize,
                libc::MREMAP_MAYMOVE | libc::MREMAP_FIXED | libc::MREMAP_DONTUNMAP,
                dst,
            )
        };
        if got == libc::MAP_FAILED {
            return Err(last_errno());
        }
        Ok(())
    }

    /// Copy `len` bytes from guest `from` to guest `to` (host memory of both
    /// must be readable/writable; ranges disjoint).
    pub(crate) fn copy(&self, from: u64, to: u64, len: u64) -> Result<(), Errno> {
        let src = self.host(from, len)?;
        let dst = self.host(to, len)?;
        if from < to + len && to < from + len {
            return Err(Errno(libc::EINVAL));
        }
        // SAFETY: both ranges are inside the arena, disjoint, and the caller
        // has just mapped them host read+write.
        unsafe { std::ptr::copy_nonoverlapping(src.cast::<u8>(), dst.cast::<u8>(), len as usize) };
        Ok(())
    }
}

fn share_flag(shared: bool) -> i32 {
    if shared {
        libc::MAP_SHARED
    } else {
        libc::MAP_PRIVATE
    }
}

/// A new anonymous shared-memory file of `len` bytes (backs MAP_SHARED
/// anonymous mappings, so they stay shared across fork and can be moved by
/// mapping the file again).
pub(crate) fn memfd(len: u64) -> Result<OwnedFd, Errno> {
    // SAFETY: the name is a NUL-terminated static string.
    let fd = unsafe { libc::memfd_create(c"vm-shared-anon".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(last_errno());
    }
    // SAFETY: `fd` was just returned by the host and is owned by nobody else.
    let fd = unsafe { OwnedFd::from_raw_fd(fd) };
    grow_file(&fd, len)?;
    Ok(fd)
}

/// The host's `fstat` of `fd`.
pub(crate) fn file_stat(fd: &OwnedFd) -> Result<libc::stat, Errno> {
    // SAFETY: an all-zero `stat` is a valid value of this plain C struct.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `fd` is a valid open descriptor; `st` is a valid out pointer.
    if unsafe { libc::fstat(fd.as_raw_fd(), &mut st) } != 0 {
        return Err(last_errno());
    }
    Ok(st)
}

/// The size of the file behind `fd` if it is a regular file: only regular
/// files have an end beyond which their pages raise SIGBUS (a device such
/// as `/dev/zero` reports size 0 yet maps at any length). None for other
/// files, or if the host cannot say.
pub(crate) fn regular_file_size(fd: &OwnedFd) -> Option<u64> {
    let st = file_stat(fd).ok()?;
    (st.st_mode & libc::S_IFMT == libc::S_IFREG).then(|| st.st_size.max(0) as u64)
}

/// Make the file at least `len` bytes long.
pub(crate) fn grow_file(fd: &OwnedFd, len: u64) -> Result<(), Errno> {
    let st = file_stat(fd)?;
    let len = libc::off_t::try_from(len).map_err(|_| Errno(libc::ENOMEM))?;
    if st.st_size < len {
        // SAFETY: `fd` is a valid descriptor; ftruncate only resizes the file.
        if unsafe { libc::ftruncate(fd.as_raw_fd(), len) } != 0 {
            return Err(last_errno());
        }
    }
    Ok(())
}

/// Lowest descriptor number tried for the VM's own duplicates: guest
/// descriptors are host descriptors, and a program expects `open` to return
/// the lowest free number, which a duplicate held by the VM would take.
const KEPT_FD_MIN: i32 = 512;

/// Duplicate a host fd (close-on-exec), so a file mapping can be mapped
/// again (moved or grown) and its size re-read after the guest closes its
/// descriptor. Placed at [`KEPT_FD_MIN`] or above when the descriptor limit
/// allows, else at the lowest free number.
pub(crate) fn dup_fd(fd: i32) -> Result<OwnedFd, Errno> {
    // SAFETY: F_DUPFD_CLOEXEC only creates a new descriptor; a bad `fd`
    // gives EBADF, a minimum at or above the descriptor limit EINVAL.
    let mut new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, KEPT_FD_MIN) };
    if new < 0 && last_errno() != Errno(libc::EBADF) {
        // SAFETY: as above, from the lowest free number.
        new = unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) };
    }
    if new < 0 {
        return Err(last_errno());
    }
    // SAFETY: `new` was just created and is owned by nobody else.
    Ok(unsafe { OwnedFd::from_raw_fd(new) })
}
