//! File extents: the pages of a file mapping that lie wholly beyond the end
//! of the file.
//!
//! Why: a guest may map a file with a length past its end (mmap(2) allows
//! it). Touching a host page wholly beyond the end of a mapped file raises
//! SIGBUS on the host, which would kill the VM from inside its own copy of
//! guest memory or a guest load. Linux answers such an access with SIGBUS
//! (`BUS_ADRERR`, `si_addr` the faulting address) for the program and with
//! EFAULT for a system call; the partial page holding the end of the file is
//! accessible, zero-filled past the end.
//!
//! How: whenever a file region is published in the permission table (mmap,
//! mprotect, mremap), the file's size is read and the pages beyond it get
//! `BEYOND_EOF_ENTRY`: no R/W/X bits, so every check of this crate fails
//! and its fast paths stay as they are (compiled code, which relies on the
//! host MMU, meets the host's SIGBUS and repeats the access in the
//! interpreter, which comes here). The
//! region keeps the guest's permissions (/proc/self/maps and mprotect see
//! the mapping as the guest made it). Only the slow path of a failed check
//! ([`GuestMemory::settle`]) looks at such a page again: under the
//! bookkeeping lock it re-reads the file's size; pages the file has grown
//! over get their real byte back and the access is retried (so files that
//! grow after mapping, as LMDB's do, keep working), pages still beyond the
//! end give a [`MemFault`] with `beyond_eof` set.
//!
//! Out of scope: a file that SHRINKS after mapping (truncated through
//! another descriptor or by another process). Its pages that were inside
//! the file stay marked accessible until the region is published again, so
//! touching them still raises SIGBUS on the host and kills the VM. Catching
//! that needs a host SIGBUS handler around guest accesses.

use crate::perms::BEYOND_EOF;
use crate::regions::Region;
use crate::{GuestMemory, MemFault, PAGE_SIZE, Perm, arena};

/// Most slow-path rounds for one access: each round finds one more region
/// whose file has grown (a range may span several), or gives the fault.
const SETTLE_ROUNDS: usize = 64;

/// The first address of `[from, to)`, a page-aligned part of `region`
/// (which starts at `region_start`), whose page lies wholly beyond the end
/// of the region's file, read now; `to` if none, or if no regular file
/// backs the region.
pub(crate) fn boundary(region_start: u64, region: &Region, from: u64, to: u64) -> u64 {
    let Some(size) = region.backing.file_fd().and_then(arena::regular_file_size) else {
        return to;
    };
    let offset = region.offset.saturating_add(from - region_start);
    let inside = size.saturating_sub(offset).div_ceil(PAGE_SIZE);
    from.saturating_add(inside.saturating_mul(PAGE_SIZE))
        .min(to)
}

/// What re-reading the file under a faulting page found.
enum Refresh {
    /// The page may be accessible now: check again.
    Retry,
    /// The page is still beyond the end of the file, and the mapping permits
    /// the access.
    Beyond,
    /// The page is still beyond the end, but the mapping does not permit the
    /// access anyway (Linux checks permissions first: SIGSEGV).
    Denied,
}

impl GuestMemory {
    /// Look again at a failed access reported without its kind (the JIT's
    /// helpers keep only the address of a [`MemFault`]): if the page
    /// holding `addr` is marked beyond the end of its file, the file's size
    /// is read again. `Ok` if the file has grown over the page, so the
    /// access can be retried; else the fault at `addr`, with `beyond_eof`
    /// set if the page is still beyond the end and `need` is permitted.
    /// Only a page still marked is looked at, so a retried access that fails
    /// again on the same page gets `Err` unless the page was marked anew.
    pub fn recheck(&self, addr: u64, need: Perm) -> Result<(), MemFault> {
        if self.perms.get(addr / PAGE_SIZE) & BEYOND_EOF == 0 {
            return Err(MemFault::at(addr));
        }
        let need = need.0 & Perm::RWX.0;
        let fault = MemFault::at(addr);
        self.settle(
            fault,
            need,
            &|| match self.perms.get(addr / PAGE_SIZE) & need {
                n if n == need => Ok(()),
                _ => Err(fault),
            },
        )
    }

    /// The slow path of a failed access check: `fault` is what the check
    /// (`retry`, which needed the table bits `need`) reported. If the
    /// faulting page lies beyond the end of its file, the file's size is
    /// read again: grown over, the check is retried; still beyond, the fault
    /// is marked `beyond_eof`. Any other fault is returned as it is.
    #[cold]
    #[inline(never)]
    pub(crate) fn settle(
        &self,
        mut fault: MemFault,
        need: u8,
        retry: &dyn Fn() -> Result<(), MemFault>,
    ) -> Result<(), MemFault> {
        for _ in 0..SETTLE_ROUNDS {
            let byte = self.perms.get(fault.addr / PAGE_SIZE);
            let refresh = if byte & BEYOND_EOF != 0 {
                self.refresh(fault.addr, need)
            } else if byte & need == need {
                // Another thread refreshed the page since the check.
                Refresh::Retry
            } else {
                return Err(fault);
            };
            match refresh {
                Refresh::Retry => {}
                Refresh::Beyond => {
                    return Err(MemFault {
                        addr: fault.addr,
                        beyond_eof: true,
                    });
                }
                Refresh::Denied => return Err(fault),
            }
            fault = match retry() {
                Ok(()) => return Ok(()),
                Err(f) => f,
            };
        }
        Err(fault)
    }

    /// Publish the region holding `addr` again (re-reading its file's size)
    /// and say what became of the page at `addr` for an access needing
    /// `need`.
    fn refresh(&self, addr: u64, need: u8) -> Refresh {
        let space = self.lock();
        let Some((start, region)) = space.regions.containing(addr) else {
            // Unmapped meanwhile: the retried check reports it.
            return Refresh::Retry;
        };
        self.publish(start, region);
        if self.perms.get(addr / PAGE_SIZE) & BEYOND_EOF == 0 {
            Refresh::Retry
        } else if region.perm.contains(Perm(need & Perm::RWX.0)) {
            Refresh::Beyond
        } else {
            Refresh::Denied
        }
    }
}
