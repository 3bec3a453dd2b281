//! Translations keyed by guest PC: a hash map behind a small direct-mapped
//! table, so the common lookup is one index and one compare.
//!
//! Entries live in a slab (`Vec`) and are named by index; an entry removed by
//! invalidation leaves a hole that is reused. Holders of an index (successor
//! links) must re-check [`BlockCache::get_if`] with the PC they expect, which
//! makes stale links harmless.

use std::collections::HashMap;

const FAST_BITS: u32 = 12;
const FAST_LEN: usize = 1 << FAST_BITS;

/// A translation cache for entries of type `T`, each covering the guest
/// range `[start, end)`.
pub struct BlockCache<T> {
    slab: Vec<Option<Entry<T>>>,
    free: Vec<u32>,
    map: HashMap<u64, u32>,
    /// `(pc, index + 1)`; 0 means empty.
    fast: Box<[(u64, u32)]>,
}

struct Entry<T> {
    start: u64,
    end: u64,
    value: T,
}

impl<T> Default for BlockCache<T> {
    fn default() -> Self {
        Self::new()
    }
}

#[inline(always)]
fn fast_slot(pc: u64) -> usize {
    ((pc >> 1) ^ (pc >> (FAST_BITS + 1))) as usize & (FAST_LEN - 1)
}

impl<T> BlockCache<T> {
    /// An empty cache.
    pub fn new() -> Self {
        BlockCache {
            slab: Vec::new(),
            free: Vec::new(),
            map: HashMap::new(),
            fast: vec![(0, 0); FAST_LEN].into_boxed_slice(),
        }
    }

    /// Number of live entries.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Index of the entry for `pc`, if any.
    #[inline]
    pub fn lookup(&mut self, pc: u64) -> Option<u32> {
        let f = fast_slot(pc);
        let (fpc, fidx) = self.fast[f];
        if fidx != 0 && fpc == pc {
            return Some(fidx - 1);
        }
        let idx = *self.map.get(&pc)?;
        self.fast[f] = (pc, idx + 1);
        Some(idx)
    }

    /// The entry at `idx` if it still translates `pc`.
    #[inline(always)]
    pub fn get_if(&self, idx: u32, pc: u64) -> Option<&T> {
        match self.slab.get(idx as usize) {
            Some(Some(e)) if e.start == pc => Some(&e.value),
            _ => None,
        }
    }

    /// The entry at `idx`.
    #[inline(always)]
    pub fn get(&self, idx: u32) -> &T {
        &self.slab[idx as usize]
            .as_ref()
            .expect("live cache index")
            .value
    }

    /// The entry at `idx`, mutably.
    pub fn get_mut(&mut self, idx: u32) -> &mut T {
        &mut self.slab[idx as usize]
            .as_mut()
            .expect("live cache index")
            .value
    }

    /// Add the translation of `[start, end)`, replacing any for `start`.
    pub fn insert(&mut self, start: u64, end: u64, value: T) -> u32 {
        if let Some(old) = self.map.remove(&start) {
            self.remove_index(old);
        }
        let e = Some(Entry { start, end, value });
        let idx = match self.free.pop() {
            Some(i) => {
                self.slab[i as usize] = e;
                i
            }
            None => {
                self.slab.push(e);
                (self.slab.len() - 1) as u32
            }
        };
        self.map.insert(start, idx);
        self.fast[fast_slot(start)] = (start, idx + 1);
        idx
    }

    fn remove_index(&mut self, idx: u32) {
        if let Some(e) = self.slab[idx as usize].take() {
            let f = fast_slot(e.start);
            if self.fast[f].1 == idx + 1 {
                self.fast[f] = (0, 0);
            }
            self.free.push(idx);
        }
    }

    /// Remove every entry overlapping `[start, end)`; returns how many.
    pub fn invalidate(&mut self, start: u64, end: u64) -> usize {
        let doomed: Vec<(u64, u32)> = self
            .map
            .iter()
            .filter(|&(_, &i)| {
                let e = self.slab[i as usize]
                    .as_ref()
                    .expect("mapped entries are live");
                e.start < end && start < e.end.max(e.start + 1)
            })
            .map(|(&pc, &i)| (pc, i))
            .collect();
        for &(pc, i) in &doomed {
            self.map.remove(&pc);
            self.remove_index(i);
        }
        doomed.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lookup_insert_invalidate() {
        let mut c = BlockCache::new();
        let a = c.insert(0x1000, 0x1010, "a");
        let b = c.insert(0x2000, 0x2008, "b");
        assert_eq!(c.lookup(0x1000), Some(a));
        assert_eq!(c.lookup(0x2000), Some(b));
        assert_eq!(c.lookup(0x3000), None);
        assert_eq!(c.invalidate(0x100c, 0x100d), 1);
        assert_eq!(c.lookup(0x1000), None);
        assert!(c.get_if(a, 0x1000).is_none());
        assert_eq!(c.get_if(b, 0x2000), Some(&"b"));
        let d = c.insert(0x5000, 0x5004, "d");
        assert_eq!(d, a, "freed slot is reused");
        assert!(
            c.get_if(d, 0x1000).is_none(),
            "stale link to reused slot is rejected"
        );
        assert_eq!(c.invalidate(0, u64::MAX), 2);
        assert!(c.is_empty());
    }

    #[test]
    fn colliding_fast_slots_fall_back_to_map() {
        let mut c = BlockCache::new();
        let pcs: Vec<u64> = (0..5000u64).map(|i| 0x10000 + i * 2).collect();
        for &pc in &pcs {
            c.insert(pc, pc + 2, pc);
        }
        for &pc in &pcs {
            let i = c.lookup(pc).expect("present");
            assert_eq!(*c.get(i), pc);
        }
    }
}
