//! The program break: the `[heap]` mapping that `brk(2)` grows and shrinks
//! right after the loaded program.
//!
//! As in Linux, the break itself may be any address; the heap mapping covers
//! whole pages up to the break rounded up. A request below the heap start,
//! past the guest space or into another mapping is refused by returning the
//! current break. Shrinking unmaps the freed pages, so growing again gives
//! zero-filled memory.

use crate::regions::{Region, RegionBacking};
use crate::space::page_up;
use crate::{GUEST_SPACE_BYTES, GuestMemory, Perm};

/// Name of the heap mapping.
pub const HEAP_NAME: &str = "[heap]";

impl GuestMemory {
    /// Set where the heap starts (page-aligned end of the loaded program);
    /// the break starts there too.
    pub fn init_brk(&self, start: u64) {
        let mut space = self.lock();
        space.brk_start = start;
        space.brk_cur = start;
    }

    /// brk(2): move the program break; returns the new break, or the old one
    /// if the request cannot be met (as Linux does). `brk(0)` returns the
    /// current break.
    pub fn brk(&self, new_brk: u64) -> u64 {
        let mut space = self.lock();
        let cur = space.brk_cur;
        if new_brk < space.brk_start {
            return cur;
        }
        let (Some(old_top), Some(new_top)) = (page_up(cur), page_up(new_brk)) else {
            return cur;
        };
        if new_top > GUEST_SPACE_BYTES {
            return cur;
        }
        if new_top < old_top {
            if self.discard(&mut space, new_top, old_top).is_err() {
                return cur;
            }
        } else if new_top > old_top {
            if !space.regions.is_free(old_top, new_top) {
                return cur;
            }
            let heap = Region {
                end: new_top,
                perm: Perm::RW,
                offset: 0,
                name: HEAP_NAME.to_string(),
                backing: RegionBacking::AnonPrivate,
            };
            if self.install(&mut space, old_top, heap).is_err() {
                return cur;
            }
        }
        space.brk_cur = new_brk;
        new_brk
    }
}
