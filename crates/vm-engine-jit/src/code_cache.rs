//! The JIT's translation cache: one entry per guest block, holding its tier
//! (interpreted or compiled), its host code (of the block alone or of a
//! region headed by it) and size, its execution counts,
//! its link data, and the list of link slots elsewhere that point at it.
//!
//! Lookup is a direct-mapped table in front of a hash map, as in
//! `vm_engine::cache`; entries live in a slab and are named by index. An
//! index held across a removal (a link record) is re-checked with
//! [`CodeCache::get_if_mut`] and the PC it expects.
//!
//! Invariant: every filled link slot (or inline cache) pointing at an
//! entry's code is recorded in that entry's `incoming`; removing the entry
//! resets those slots to the exit stub ([`CodeCache::remove_overlapping`]
//! returns the entries so the engine can do that), so no compiled code ever
//! jumps into code of a dropped translation.

use crate::abi::LinkData;
use crate::compiler::Code;
use std::collections::HashMap;
use vm_engine::interp::InterpBlock;

const FAST_BITS: u32 = 12;
const FAST_LEN: usize = 1 << FAST_BITS;

/// A link slot of some translation: the owner's index and start PC, the
/// member block, and which slot ([`crate::abi::LINK_TAKEN`],
/// `LINK_FALLTHROUGH` or `LINK_IC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotRef {
    pub idx: u32,
    pub pc: u64,
    pub block: usize,
    pub kind: usize,
}

/// The execution tier of a cached block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tier {
    /// Run by the interpreter, counting towards compilation.
    Interpreted,
    /// Host code.
    Compiled,
    /// Cranelift could not compile it: interpreted for good.
    Failed,
}

/// One cached guest block.
pub(crate) struct Entry {
    pub start: u64,
    /// End of the block at `start`.
    pub end: u64,
    /// Guest range every member of the compiled region lies in (what
    /// invalidation tests).
    pub span: (u64, u64),
    /// Guest blocks in the compiled region (0 unless compiled).
    pub members: u32,
    pub tier: Tier,
    /// The interpreter's form (interpreted and failed tiers).
    pub interp: Option<InterpBlock>,
    /// Host code (compiled tier).
    pub code: Option<Code>,
    /// Data the compiled code addresses (stable while the entry lives).
    pub link: Box<LinkData>,
    /// Interpreted executions (compiled ones count in `link.exec_count`).
    pub interp_count: u64,
    /// Link slots pointing at this entry's code.
    pub incoming: Vec<SlotRef>,
}

impl Entry {
    /// Executions in any tier.
    pub fn exec_count(&self) -> u64 {
        self.interp_count + self.link.exec_count
    }
}

/// Cache of [`Entry`]s keyed by start PC.
pub(crate) struct CodeCache {
    slab: Vec<Option<Entry>>,
    free: Vec<u32>,
    map: HashMap<u64, u32>,
    /// `(pc, index + 1)`; 0 means empty.
    fast: Box<[(u64, u32)]>,
}

#[inline(always)]
fn fast_slot(pc: u64) -> usize {
    ((pc >> 1) ^ (pc >> (FAST_BITS + 1))) as usize & (FAST_LEN - 1)
}

impl CodeCache {
    pub fn new() -> Self {
        CodeCache {
            slab: Vec::new(),
            free: Vec::new(),
            map: HashMap::new(),
            fast: vec![(0, 0); FAST_LEN].into_boxed_slice(),
        }
    }

    /// Index of the entry starting at `pc`.
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

    /// The live entry at `idx` (an index from `lookup`/`insert`).
    pub fn get(&self, idx: u32) -> &Entry {
        self.slab[idx as usize].as_ref().expect("live cache index")
    }

    /// As [`CodeCache::get`], mutably.
    pub fn get_mut(&mut self, idx: u32) -> &mut Entry {
        self.slab[idx as usize].as_mut().expect("live cache index")
    }

    /// The entry at `idx` if it still translates `pc`.
    pub fn get_if_mut(&mut self, idx: u32, pc: u64) -> Option<&mut Entry> {
        match self.slab.get_mut(idx as usize) {
            Some(Some(e)) if e.start == pc => Some(e),
            _ => None,
        }
    }

    /// Add `e` (no entry for its start PC may exist); its link data learns
    /// its index.
    pub fn insert(&mut self, mut e: Entry) -> u32 {
        let start = e.start;
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slab.push(None);
                (self.slab.len() - 1) as u32
            }
        };
        e.link.owner_idx = idx;
        e.link.owner_pc = start;
        self.slab[idx as usize] = Some(e);
        if let Some(old) = self.map.insert(start, idx) {
            // Not expected; keep the cache consistent anyway.
            self.slab[old as usize] = None;
            self.free.push(old);
        }
        self.fast[fast_slot(start)] = (start, idx + 1);
        idx
    }

    /// Remove and return every entry overlapping `[start, end)`.
    pub fn remove_overlapping(&mut self, start: u64, end: u64) -> Vec<Entry> {
        let doomed: Vec<(u64, u32)> = self
            .map
            .iter()
            .filter(|&(_, &i)| {
                let e = self.get(i);
                let (lo, hi) = e.span;
                lo < end && start < hi.max(lo + 1)
            })
            .map(|(&pc, &i)| (pc, i))
            .collect();
        doomed
            .into_iter()
            .filter_map(|(pc, i)| {
                self.map.remove(&pc);
                let f = fast_slot(pc);
                if self.fast[f].1 == i + 1 {
                    self.fast[f] = (0, 0);
                }
                self.free.push(i);
                self.slab[i as usize].take()
            })
            .collect()
    }

    /// Remove every entry.
    pub fn clear(&mut self) -> Vec<Entry> {
        self.remove_overlapping(0, u64::MAX)
    }

    /// Every live entry.
    pub fn iter(&self) -> impl Iterator<Item = &Entry> {
        self.slab.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(start: u64, end: u64) -> Entry {
        Entry {
            start,
            end,
            span: (start, end),
            members: 0,
            tier: Tier::Interpreted,
            interp: None,
            code: None,
            link: Box::new(LinkData::new(0, 0, 0, 0)),
            interp_count: 0,
            incoming: Vec::new(),
        }
    }

    #[test]
    fn insert_lookup_remove() {
        let mut c = CodeCache::new();
        let a = c.insert(entry(0x1000, 0x1010));
        let b = c.insert(entry(0x2000, 0x2008));
        assert_eq!(c.lookup(0x1000), Some(a));
        assert_eq!(c.lookup(0x2000), Some(b));
        assert_eq!(c.get(b).link.owner_idx, b);
        assert_eq!(c.get(b).link.owner_pc, 0x2000);
        let gone = c.remove_overlapping(0x100c, 0x100d);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].start, 0x1000);
        assert_eq!(c.lookup(0x1000), None);
        assert!(c.get_if_mut(a, 0x1000).is_none());
        let d = c.insert(entry(0x5000, 0x5004));
        assert_eq!(d, a, "slot reused");
        assert!(
            c.get_if_mut(d, 0x1000).is_none(),
            "stale reference rejected"
        );
        assert_eq!(c.iter().count(), 2);
        assert_eq!(c.clear().len(), 2);
        assert_eq!(c.iter().count(), 0);
    }
}
