//! Executable memory for compiled blocks: one range of host memory filled
//! by a bump pointer and freed all at once, mapped twice — writable at one
//! address and executable at another (W^X without changing protections).
//!
//! Why two views: guest threads share compiled code, so while one thread
//! publishes a function another may be running code on the same page; a
//! page that is briefly made writable and non-executable (the usual W^X
//! dance) would fault under it. The views are two shared mappings of one
//! memfd: bytes written through the writable view are what the executable
//! view runs (x86-64 keeps instruction fetch coherent with stores, also
//! across aliases; new code is only reached through a pointer published
//! after its bytes are written).
//!
//! Why not `cranelift-jit`'s module: it maps at least one fresh page per
//! finalized function (two system calls and 4 KiB per guest block, and
//! every block on its own page, which hurts the instruction cache and TLB),
//! and it can only free all of its memory. Blocks have no relocations
//! (helpers are called through constant addresses), so their bytes can be
//! placed anywhere: here they are packed densely, and the engine frees code
//! by resetting the whole range (a code-cache flush), as QEMU does.

use std::ptr::NonNull;

/// Host page size assumed (x86-64 Linux).
const HOST_PAGE: usize = 4096;
/// Alignment of each function's first byte.
pub(crate) const FUNC_ALIGN: usize = 16;

/// Why code memory could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot reserve {bytes} bytes of code memory: {source}")]
pub struct CodeMemoryError {
    bytes: usize,
    source: std::io::Error,
}

/// A range of host memory holding compiled code.
pub(crate) struct CodeMemory {
    /// The writable view.
    rw: NonNull<u8>,
    /// The executable view (what code pointers point into).
    rx: NonNull<u8>,
    /// The memfd both views map.
    fd: libc::c_int,
    capacity: usize,
    /// Bytes in use (the next function goes at `pos` rounded up).
    pos: usize,
}

// SAFETY: the mappings and the descriptor are owned by this value alone;
// moving it to another thread moves that ownership (code pointers into
// the executable view are handed out, but never used to write).
unsafe impl Send for CodeMemory {}

/// Map `len` bytes of `fd` shared with `prot`.
fn map_view(fd: libc::c_int, len: usize, prot: libc::c_int) -> std::io::Result<NonNull<u8>> {
    // SAFETY: a new shared mapping of our own memfd at an address of the
    // kernel's choosing touches no existing memory.
    let p = unsafe { libc::mmap(std::ptr::null_mut(), len, prot, libc::MAP_SHARED, fd, 0) };
    if p == libc::MAP_FAILED {
        return Err(std::io::Error::last_os_error());
    }
    NonNull::new(p.cast()).ok_or_else(|| std::io::Error::other("mmap returned null"))
}

impl CodeMemory {
    /// Reserve `capacity` bytes (rounded up to pages). Pages cost memory
    /// only once written.
    pub(crate) fn new(capacity: usize) -> Result<CodeMemory, CodeMemoryError> {
        let capacity = capacity.div_ceil(HOST_PAGE).max(1) * HOST_PAGE;
        let err = |source| CodeMemoryError {
            bytes: capacity,
            source,
        };
        // SAFETY: the name is a NUL-terminated string; the flags are valid.
        let fd = unsafe { libc::memfd_create(c"vm-jit-code".as_ptr(), libc::MFD_CLOEXEC) };
        if fd < 0 {
            return Err(err(std::io::Error::last_os_error()));
        }
        let close = |e: std::io::Error| {
            // SAFETY: `fd` is ours and not used after this.
            unsafe { libc::close(fd) };
            err(e)
        };
        // SAFETY: `fd` is a valid memfd.
        if unsafe { libc::ftruncate(fd, capacity as libc::off_t) } != 0 {
            return Err(close(std::io::Error::last_os_error()));
        }
        let rw = map_view(fd, capacity, libc::PROT_READ | libc::PROT_WRITE).map_err(close)?;
        let rx = match map_view(fd, capacity, libc::PROT_READ | libc::PROT_EXEC) {
            Ok(p) => p,
            Err(e) => {
                // SAFETY: `rw` was mapped just above with this length.
                unsafe { libc::munmap(rw.as_ptr().cast(), capacity) };
                return Err(close(e));
            }
        };
        Ok(CodeMemory {
            rw,
            rx,
            fd,
            capacity,
            pos: 0,
        })
    }

    /// Bytes in use.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.pos
    }

    /// The executable view, `[start, end)`.
    pub(crate) fn range(&self) -> (usize, usize) {
        let start = self.rx.as_ptr() as usize;
        (start, start + self.capacity)
    }

    /// The writable view's address of executable address `x` (which must
    /// lie in this memory), for patching published code (see
    /// `crate::abi::JumpPatch`).
    pub(crate) fn writable(&self, x: usize) -> usize {
        let (start, end) = self.range();
        assert!((start..end).contains(&x), "not in this code memory");
        self.rw.as_ptr() as usize + (x - start)
    }

    /// Copy `code` in; returns its executable address, `None` when full.
    pub(crate) fn publish(&mut self, code: &[u8]) -> Option<*const u8> {
        let start = self.pos.next_multiple_of(FUNC_ALIGN);
        let end = start.checked_add(code.len())?;
        if end > self.capacity || code.is_empty() {
            return None;
        }
        // SAFETY: [start, end) lies inside both views (`end` ≤ capacity)
        // and past every function published so far, so no thread runs
        // these bytes while they are written.
        unsafe {
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.rw.as_ptr().add(start), code.len());
        }
        self.pos = end;
        // SAFETY: as above, in bounds of the executable view.
        Some(unsafe { self.rx.as_ptr().add(start) })
    }

    /// Forget every function (their pointers must no longer be used, and
    /// no thread may be running them).
    pub(crate) fn reset(&mut self) {
        // SAFETY: punching a hole in our own memfd returns its pages (they
        // read as zero afterwards); nothing runs this code any more.
        unsafe {
            libc::fallocate(
                self.fd,
                libc::FALLOC_FL_PUNCH_HOLE | libc::FALLOC_FL_KEEP_SIZE,
                0,
                self.pos.next_multiple_of(HOST_PAGE) as libc::off_t,
            );
        }
        self.pos = 0;
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: both views were created in `new` with this size and the
        // descriptor is ours; the owner of this value holds every code
        // pointer into it and is being dropped too.
        unsafe {
            libc::munmap(self.rw.as_ptr().cast(), self.capacity);
            libc::munmap(self.rx.as_ptr().cast(), self.capacity);
            libc::close(self.fd);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn publish_packs_and_reports_full() {
        let mut m = CodeMemory::new(8192).expect("mmap");
        let a = m.publish(&[0xc3; 10]).expect("fits");
        let b = m.publish(&[0x90; 100]).expect("fits");
        assert_eq!(b as usize - a as usize, 16, "aligned and packed");
        // SAFETY: `a` points at 10 published bytes.
        assert_eq!(unsafe { *a.add(9) }, 0xc3);
        assert!(m.publish(&[0; 9000]).is_none(), "larger than capacity");
        assert_eq!(m.used(), 116);
        m.reset();
        assert_eq!(m.used(), 0);
        // SAFETY: the first page is still mapped; its bytes were returned.
        assert_eq!(unsafe { *a }, 0, "reset returns the pages");
        assert!(m.publish(&[0; 8000]).is_some());
    }
}
