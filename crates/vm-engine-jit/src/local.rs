//! A thread's own front table over the shared translation cache: guest PC
//! → the entry's [`Published`] part, so the dispatcher's common lookup is
//! one index and one compare, with no lock and no shared write.
//!
//! The table holds copies of shared entries; it is emptied whenever the
//! shared cache retires anything (the dispatcher compares the shared
//! generation counter, see `crate::shared`), so it never names a dropped
//! entry for longer than the current dispatcher step.

use crate::code_cache::Published;
use std::collections::HashMap;
use std::sync::Arc;

const FAST_BITS: u32 = 12;
const FAST_LEN: usize = 1 << FAST_BITS;

#[inline(always)]
fn fast_slot(pc: u64) -> usize {
    ((pc >> 1) ^ (pc >> (FAST_BITS + 1))) as usize & (FAST_LEN - 1)
}

/// PC → [`Published`], direct-mapped in front of a hash map.
pub(crate) struct LocalCache {
    /// Owns the entries.
    map: HashMap<u64, Arc<Published>>,
    /// `(pc, entry)`: pointers into `map`'s `Arc`s; null means empty.
    fast: Box<[(u64, *const Published)]>,
}

// SAFETY: the raw pointers in `fast` point into `Arc`s owned by `map` of
// the same value; they move with it.
unsafe impl Send for LocalCache {}

impl LocalCache {
    pub fn new() -> Self {
        LocalCache {
            map: HashMap::new(),
            fast: vec![(0, std::ptr::null()); FAST_LEN].into_boxed_slice(),
        }
    }

    /// The entry for `pc`. The pointer stays valid until the next
    /// [`LocalCache::clear`] or [`LocalCache::insert`] of the same PC.
    #[inline]
    pub fn lookup(&mut self, pc: u64) -> Option<*const Published> {
        let f = fast_slot(pc);
        let (fpc, p) = self.fast[f];
        if fpc == pc && !p.is_null() {
            return Some(p);
        }
        let p = Arc::as_ptr(self.map.get(&pc)?);
        self.fast[f] = (pc, p);
        Some(p)
    }

    /// Remember `cell` for its PC; returns a pointer to it (as `lookup`).
    pub fn insert(&mut self, cell: Arc<Published>) -> *const Published {
        let pc = cell.start;
        let p = Arc::as_ptr(&cell);
        self.map.insert(pc, cell);
        self.fast[fast_slot(pc)] = (pc, p);
        p
    }

    /// Forget everything.
    pub fn clear(&mut self) {
        if !self.map.is_empty() {
            self.fast.fill((0, std::ptr::null()));
            self.map.clear();
        }
    }
}
