//! Executable memory for compiled blocks: one reserved host range filled
//! by a bump pointer, with pages writable only while code is copied in
//! (W^X), and freed all at once.
//!
//! Why not `cranelift-jit`'s module: it maps at least one fresh page per
//! finalized function (two system calls and 4 KiB per guest block, and
//! every block on its own page, which hurts the instruction cache and TLB),
//! and it can only free all of its memory. Blocks have no relocations (helpers
//! are called through constant addresses), so their bytes can be placed
//! anywhere: here they are packed densely, and the engine frees code by
//! resetting the whole range (a code-cache flush), as QEMU does.

use std::ptr::NonNull;

/// Host page size assumed for protection changes (x86-64 Linux).
const HOST_PAGE: usize = 4096;
/// Alignment of each function's first byte.
const FUNC_ALIGN: usize = 16;

/// Why code memory could not be set up.
#[derive(Debug, thiserror::Error)]
#[error("cannot reserve {bytes} bytes of code memory: {source}")]
pub struct CodeMemoryError {
    bytes: usize,
    source: std::io::Error,
}

/// A range of host memory holding compiled code.
pub(crate) struct CodeMemory {
    base: NonNull<u8>,
    capacity: usize,
    /// Bytes in use (the next function goes at `pos` rounded up).
    pos: usize,
}

// SAFETY: the range is owned by this value alone; moving it to another
// thread moves that ownership (nothing else points into it but code
// pointers held by the same engine).
unsafe impl Send for CodeMemory {}

impl CodeMemory {
    /// Reserve `capacity` bytes (rounded up to pages). Pages cost memory
    /// only once written.
    pub(crate) fn new(capacity: usize) -> Result<CodeMemory, CodeMemoryError> {
        let capacity = capacity.div_ceil(HOST_PAGE).max(1) * HOST_PAGE;
        // SAFETY: an anonymous private mapping at an address of the
        // kernel's choosing touches no existing memory.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                capacity,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(CodeMemoryError {
                bytes: capacity,
                source: std::io::Error::last_os_error(),
            });
        }
        Ok(CodeMemory {
            base: NonNull::new(p.cast()).expect("mmap does not return null on success"),
            capacity,
            pos: 0,
        })
    }

    /// Bytes in use.
    #[cfg(test)]
    pub(crate) fn used(&self) -> usize {
        self.pos
    }

    /// Copy `code` in and make it executable; `None` when full.
    pub(crate) fn publish(&mut self, code: &[u8]) -> Option<*const u8> {
        let start = self.pos.next_multiple_of(FUNC_ALIGN);
        let end = start.checked_add(code.len())?;
        if end > self.capacity || code.is_empty() {
            return None;
        }
        let first = start / HOST_PAGE * HOST_PAGE;
        let last = end.next_multiple_of(HOST_PAGE);
        // SAFETY: [first, last) lies inside the mapping (`last` ≤ capacity,
        // which is page-aligned). No code of this memory runs while the
        // engine compiles (the dispatcher is single-threaded and not inside
        // compiled code), so briefly making its last page non-executable
        // is harmless.
        unsafe {
            let page = self.base.as_ptr().add(first).cast();
            if libc::mprotect(page, last - first, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return None;
            }
            let dst = self.base.as_ptr().add(start);
            std::ptr::copy_nonoverlapping(code.as_ptr(), dst, code.len());
            if libc::mprotect(page, last - first, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                return None;
            }
            // x86-64 keeps instruction fetch coherent with stores and
            // mprotect serializes; other hosts are refused by `Compiler::new`.
            self.pos = end;
            Some(dst)
        }
    }

    /// Forget every function (their pointers must no longer be used).
    pub(crate) fn reset(&mut self) {
        // SAFETY: the whole range is ours; MADV_DONTNEED on a private
        // anonymous mapping just returns the pages (they read as zero).
        unsafe {
            let p = self.base.as_ptr().cast();
            libc::mprotect(p, self.capacity, libc::PROT_READ | libc::PROT_WRITE);
            libc::madvise(p, self.pos.next_multiple_of(HOST_PAGE), libc::MADV_DONTNEED);
        }
        self.pos = 0;
    }
}

impl Drop for CodeMemory {
    fn drop(&mut self) {
        // SAFETY: the mapping was created in `new` with this size; the
        // engine that owns this value holds every code pointer into it and
        // is being dropped too.
        unsafe {
            libc::munmap(self.base.as_ptr().cast(), self.capacity);
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
        assert!(m.publish(&[0; 8000]).is_some());
    }
}
