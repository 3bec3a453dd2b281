//! The process-wide translation cache: one entry per guest block, holding
//! its tier (interpreted or compiled), its host code (of the block alone or
//! of a region headed by it) and size, its link data, and the list of link
//! slots elsewhere that point at it. Every guest thread's engine reads and
//! fills this one cache (under the lock of `crate::shared::SharedJit`), so
//! a block translated or compiled by one thread runs in all of them.
//!
//! What threads read without the lock is split out into [`Published`]
//! (`Arc`'d): the block's bounds, its interpreter form, the current code
//! pointer (an atomic, 0 while there is none) and the execution counter
//! that triggers compilation. Each thread keeps its own PC → `Published`
//! front table (`crate::local`), so the common lookup takes no lock.
//!
//! Entries live in a slab and are named by index plus a serial number
//! that is never reused, so a stale reference (a link record, a compile
//! request) is recognised with [`CodeCache::get_live`].
//!
//! Invariant: every filled link slot (or inline cache) pointing at an
//! entry's code is recorded in that entry's `incoming`; removing the entry
//! resets those slots to the exit stub, so no live compiled code jumps into
//! code of a dropped translation (code already running in another thread
//! may finish its run: dropped code and link data are freed only once no
//! thread can be inside them, see `crate::shared`).

use crate::abi::LinkData;
use crate::compiler::Code;
use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use vm_engine::interp::InterpBlock;

/// A link slot of some translation: the owner's index, serial and start
/// PC, the address of the `LinkData` the slot is in, the member block, and
/// which slot ([`crate::abi::LINK_TAKEN`], `LINK_FALLTHROUGH` or
/// `LINK_IC`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotRef {
    pub idx: u32,
    pub pc: u64,
    pub link: usize,
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

/// The part of an entry every thread reads without the cache lock.
pub(crate) struct Published {
    /// Guest PC of the block.
    pub start: u64,
    /// End of the block at `start`.
    pub end: u64,
    /// Cache index of the entry.
    pub idx: u32,
    /// Never-reused serial of the entry (see [`CodeCache::get_live`]).
    pub serial: u64,
    /// Entry point of its compiled code, 0 while there is none (set when
    /// code is installed, reset when the entry is dropped).
    pub code: AtomicUsize,
    /// The interpreter's form, made when first needed.
    pub interp: OnceLock<InterpBlock>,
    /// Interpreted executions, by every thread (compiled ones are counted
    /// by the code in `LinkData::exec_count`).
    pub count: AtomicU64,
    /// A compile was requested (or is not wanted): do not request again.
    pub requested: AtomicBool,
}

impl Published {
    /// The compiled code, if any.
    #[inline(always)]
    pub fn code(&self) -> usize {
        self.code.load(Ordering::Acquire)
    }
}

/// One cached guest block.
pub(crate) struct Entry {
    /// What threads read without the lock.
    pub cell: Arc<Published>,
    /// Guest range every member of the compiled region lies in (what
    /// invalidation tests).
    pub span: (u64, u64),
    /// Guest blocks in the compiled region (0 unless compiled).
    pub members: u32,
    pub tier: Tier,
    /// Host code (compiled tier).
    pub code: Option<Code>,
    /// Data the compiled code addresses (stable while the entry lives, and
    /// after that until it is reclaimed).
    pub link: Box<LinkData>,
    /// Link slots pointing at this entry's code.
    pub incoming: Vec<SlotRef>,
}

impl Entry {
    /// Executions in any tier.
    pub fn exec_count(&self) -> u64 {
        self.cell.count.load(Ordering::Relaxed) + link_execs(&self.link)
    }
}

/// Entries of the compiled code of `link` (a counter compiled code
/// updates without synchronisation: approximate when threads race).
pub(crate) fn link_execs(link: &LinkData) -> u64 {
    let p = link.counter_addr() as *const u64;
    // SAFETY: `p` points at a live, aligned u64 (the link data's own
    // field, or a word of the shared counter table, which lives as long
    // as any link data of its cache); compiled code in other
    // threads may store to it concurrently, and an atomic load tolerates
    // that (a torn read cannot happen for an aligned word on x86-64).
    unsafe { AtomicU64::from_ptr(p.cast_mut()).load(Ordering::Relaxed) }
}

/// Cache of [`Entry`]s keyed by start PC.
pub(crate) struct CodeCache {
    slab: Vec<Option<Entry>>,
    free: Vec<u32>,
    map: HashMap<u64, u32>,
    next_serial: u64,
}

impl CodeCache {
    pub fn new() -> Self {
        CodeCache {
            slab: Vec::new(),
            free: Vec::new(),
            map: HashMap::new(),
            next_serial: 1,
        }
    }

    /// Index of the entry starting at `pc`.
    pub fn lookup(&self, pc: u64) -> Option<u32> {
        self.map.get(&pc).copied()
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
            Some(Some(e)) if e.cell.start == pc => Some(e),
            _ => None,
        }
    }

    /// The entry at `idx` if it is still the one with `serial`.
    pub fn get_live(&mut self, idx: u32, serial: u64) -> Option<&mut Entry> {
        match self.slab.get_mut(idx as usize) {
            Some(Some(e)) if e.cell.serial == serial => Some(e),
            _ => None,
        }
    }

    /// Add an entry for the block `[start, end)` (none may exist for
    /// `start`) with placeholder link data `link`; returns its index.
    pub fn insert(&mut self, start: u64, end: u64, mut link: Box<LinkData>) -> u32 {
        let idx = match self.free.pop() {
            Some(i) => i,
            None => {
                self.slab.push(None);
                (self.slab.len() - 1) as u32
            }
        };
        let serial = self.next_serial;
        self.next_serial += 1;
        link.owner_idx = idx;
        link.owner_pc = start;
        let cell = Arc::new(Published {
            start,
            end,
            idx,
            serial,
            code: AtomicUsize::new(0),
            interp: OnceLock::new(),
            count: AtomicU64::new(0),
            requested: AtomicBool::new(false),
        });
        self.slab[idx as usize] = Some(Entry {
            cell,
            span: (start, end),
            members: 0,
            tier: Tier::Interpreted,
            code: None,
            link,
            incoming: Vec::new(),
        });
        if let Some(old) = self.map.insert(start, idx) {
            // Not expected; keep the cache consistent anyway.
            if let Some(e) = self.slab[old as usize].take() {
                e.cell.code.store(0, Ordering::Release);
            }
            self.free.push(old);
        }
        idx
    }

    /// Remove and return every entry overlapping `[start, end)`.
    pub fn remove_overlapping(&mut self, start: u64, end: u64) -> Vec<Entry> {
        let doomed: Vec<(u64, u32)> = self
            .map
            .iter()
            .filter(|&(_, &i)| {
                let (lo, hi) = self.get(i).span;
                lo < end && start < hi.max(lo + 1)
            })
            .map(|(&pc, &i)| (pc, i))
            .collect();
        doomed
            .into_iter()
            .filter_map(|(pc, i)| {
                self.map.remove(&pc);
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

    fn link() -> Box<LinkData> {
        Box::new(LinkData::new(0, 0, 0, 0))
    }

    #[test]
    fn insert_lookup_remove() {
        let mut c = CodeCache::new();
        let a = c.insert(0x1000, 0x1010, link());
        let b = c.insert(0x2000, 0x2008, link());
        assert_eq!(c.lookup(0x1000), Some(a));
        assert_eq!(c.lookup(0x2000), Some(b));
        assert_eq!(c.get(b).link.owner_idx, b);
        assert_eq!(c.get(b).link.owner_pc, 0x2000);
        let a_serial = c.get(a).cell.serial;
        let gone = c.remove_overlapping(0x100c, 0x100d);
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].cell.start, 0x1000);
        assert_eq!(c.lookup(0x1000), None);
        assert!(c.get_if_mut(a, 0x1000).is_none());
        let d = c.insert(0x1000, 0x1010, link());
        assert_eq!(d, a, "slot reused");
        assert!(
            c.get_live(d, a_serial).is_none(),
            "stale reference rejected although index and PC match"
        );
        assert!(c.get_live(d, c.get(d).cell.serial).is_some());
        assert_eq!(c.iter().count(), 2);
        assert_eq!(c.clear().len(), 2);
        assert_eq!(c.iter().count(), 0);
    }
}
