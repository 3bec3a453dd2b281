//! Translations shared by the interpreters of one process's guest threads.
//!
//! Every guest thread runs its own [`super::Interpreter`] (its registers,
//! block counters and successor links are its own), but a superblock one
//! thread translated is found by the others in this process-wide map and
//! not translated again: the pre-decoded code is immutable and shared by
//! `Arc`. Each interpreter keeps its private direct-mapped cache in front,
//! so the lock is taken only on a private miss.
//!
//! Invalidation: the runtime tells every thread's interpreter to
//! invalidate a range (fence.i, munmap/mprotect of code); each removes the
//! range here too, which is idempotent, and bumps a generation. A
//! translation made from guest memory read before an invalidation is
//! published only if the generation did not move in between, so stale
//! code never enters the map; the translating thread itself drops its
//! private copy when its own invalidation arrives, as before.
//!
//! Fork: a forked child has only the forking thread, and another thread
//! may have held the lock at that moment. Interpreters remember the pid
//! that made the map and, in a child, stop using it (they keep private
//! caches, so a forked child's threads translate for themselves).
//!
//! Statistics: each interpreter adds its counts here at the end of every
//! run, so `--stats` covers every thread, including joined ones.

use super::compile::CompiledBlock;
use crate::EngineStats;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// A shared superblock: its code and how many guest blocks it chains.
#[derive(Clone)]
pub(crate) struct SharedBlock {
    pub code: Arc<CompiledBlock>,
    pub blocks: u64,
}

/// The process-wide translation map of the interpreter engine.
pub struct SharedTranslations {
    /// Pid of the process that made it (see the module doc on fork).
    owner_pid: u32,
    map: Mutex<HashMap<u64, SharedBlock>>,
    /// Bumped by every invalidation.
    generation: AtomicU64,
    insns: AtomicU64,
    blocks_executed: AtomicU64,
    blocks_translated: AtomicU64,
    cache_hits: AtomicU64,
    cache_misses: AtomicU64,
}

impl SharedTranslations {
    /// An empty map for this process.
    pub fn new() -> Arc<SharedTranslations> {
        Arc::new(SharedTranslations {
            owner_pid: std::process::id(),
            map: Mutex::new(HashMap::new()),
            generation: AtomicU64::new(0),
            insns: AtomicU64::new(0),
            blocks_executed: AtomicU64::new(0),
            blocks_translated: AtomicU64::new(0),
            cache_hits: AtomicU64::new(0),
            cache_misses: AtomicU64::new(0),
        })
    }

    /// Whether this process made the map (false in a forked child).
    pub(crate) fn usable(&self) -> bool {
        std::process::id() == self.owner_pid
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<u64, SharedBlock>> {
        // A panic while holding the lock cannot leave the map half-updated
        // (single insert/retain calls), so a poisoned lock is still usable.
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The superblock translated at `pc`, if another thread made it.
    pub(crate) fn get(&self, pc: u64) -> Option<SharedBlock> {
        self.lock().get(&pc).cloned()
    }

    /// The current generation (read before translating).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Publish `block` for `pc` unless an invalidation happened since
    /// `generation` was read. Returns the block to run and whether it is
    /// this translation: when another thread published one for `pc` first
    /// (both translated at once), that one is returned and shared instead.
    pub(crate) fn publish(
        &self,
        generation: u64,
        pc: u64,
        block: SharedBlock,
    ) -> (SharedBlock, bool) {
        let mut map = self.lock();
        // Invalidations bump the generation while holding the lock, so
        // this check and the insert are atomic with respect to them.
        if self.generation.load(Ordering::Acquire) != generation {
            return (block, true);
        }
        match map.get(&pc) {
            Some(first) => (first.clone(), false),
            None => {
                map.insert(pc, block.clone());
                (block, true)
            }
        }
    }

    /// Drop every translation overlapping `[start, end)`.
    pub(crate) fn invalidate(&self, start: u64, end: u64) {
        let mut map = self.lock();
        self.generation.fetch_add(1, Ordering::AcqRel);
        map.retain(|_, b| b.code.end_pc <= start || b.code.start_pc >= end);
    }

    /// Add one interpreter's counts (since its last report).
    pub(crate) fn add_stats(&self, s: &EngineStats) {
        self.insns.fetch_add(s.insns, Ordering::Relaxed);
        self.blocks_executed
            .fetch_add(s.blocks_executed, Ordering::Relaxed);
        self.blocks_translated
            .fetch_add(s.blocks_translated, Ordering::Relaxed);
        self.cache_hits.fetch_add(s.cache_hits, Ordering::Relaxed);
        self.cache_misses
            .fetch_add(s.cache_misses, Ordering::Relaxed);
    }

    /// The counts of every interpreter of the process.
    pub(crate) fn stats(&self) -> EngineStats {
        EngineStats {
            insns: self.insns.load(Ordering::Relaxed),
            blocks_executed: self.blocks_executed.load(Ordering::Relaxed),
            blocks_translated: self.blocks_translated.load(Ordering::Relaxed),
            cache_hits: self.cache_hits.load(Ordering::Relaxed),
            cache_misses: self.cache_misses.load(Ordering::Relaxed),
            ..EngineStats::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use vm_ir::{Builder, Global, Terminator};

    fn block_at(pc: u64) -> SharedBlock {
        let mut b = Builder::new(pc);
        b.begin_insn(pc);
        let one = b.iconst(1);
        b.set(Global::X(10), one);
        let block = b.finish(Terminator::Jump { target: pc + 4 }, pc + 4);
        SharedBlock {
            code: Arc::new(super::super::compile::compile(&block)),
            blocks: 1,
        }
    }

    #[test]
    fn a_translation_older_than_an_invalidation_is_not_published() {
        let sh = SharedTranslations::new();
        let g = sh.generation();
        // Another thread invalidates while this one translates from the
        // memory as it was before.
        sh.invalidate(0x2000, 0x3000);
        let (_, own) = sh.publish(g, 0x1000, block_at(0x1000));
        assert!(own, "the translation is still run by its thread");
        assert!(sh.get(0x1000).is_none());
        // Translated after the invalidation: published.
        let _ = sh.publish(sh.generation(), 0x1000, block_at(0x1000));
        assert!(sh.get(0x1000).is_some());
    }

    #[test]
    fn the_first_of_two_simultaneous_translations_is_shared() {
        let sh = SharedTranslations::new();
        let g = sh.generation();
        let (first, own1) = sh.publish(g, 0x1000, block_at(0x1000));
        let (second, own2) = sh.publish(g, 0x1000, block_at(0x1000));
        assert!(own1 && !own2);
        assert!(Arc::ptr_eq(&first.code, &second.code));
    }

    #[test]
    fn invalidation_drops_exactly_the_overlapping_translations() {
        let sh = SharedTranslations::new();
        for pc in [0x1000, 0x1004, 0x1008] {
            let _ = sh.publish(sh.generation(), pc, block_at(pc));
        }
        // [0x1004, 0x1008) overlaps only the block at 0x1004.
        sh.invalidate(0x1004, 0x1008);
        assert!(sh.get(0x1000).is_some());
        assert!(sh.get(0x1004).is_none());
        assert!(sh.get(0x1008).is_some());
    }
}
