//! [`JitEngine`]: one guest thread's dispatcher over the process-wide
//! translation cache ([`SharedJit`]): lookups through the thread's own
//! front table, tier-up (a block's baseline code: before it first runs in
//! `jit` mode, after the shared execution counter reaches the threshold in
//! `tiered` mode; then, when its code reports [`abi::EXIT_HOT`], a region
//! compiled by the background worker or, with
//! [`crate::JitConfig::background`] off, right here), filling link slots
//! and the jump cache, and statistics.
//!
//! The dispatcher runs one block at a time only when it must: compiled
//! code chains to its successors by itself once their link slots are
//! filled, and comes back only at the budget check point, at a link not yet
//! filled (or an inline-cache and jump-cache miss), at a region request, or
//! at an exit for the runtime.
//! Interpreted blocks (tiered mode, blocks that failed to compile, and
//! blocks whose compile is still pending) are run here one by one through
//! [`InterpBlock`](vm_engine::interp::InterpBlock), with the guest registers kept in the interpreter's
//! [`Slots`]; they move to and from the `CpuState` only when execution
//! changes tier.
//!
//! Per thread: the CPU state, the `JitCtx`, the front table, the jump
//! cache, the interpreter's slots and the counters of this thread's
//! execution. Everything else is shared (see `crate::shared` for how code
//! is changed safely under running threads).

use crate::abi::{self, JitCtx, JumpCache, LINK_IC};
use crate::code_cache::{Published, SlotRef, Tier};
use crate::compiler::JitError;
use crate::exits::exit_of;
use crate::hostfault;
use crate::local::LocalCache;
use crate::shared::{self, SharedJit, ThreadFlag, interp_form};
use crate::{JitConfig, Mode};
use std::mem::ManuallyDrop;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use vm_core::{CpuState, Exit};
use vm_engine::interp::{self, BlockEnd, Slots};
use vm_engine::{Engine, EngineStats};
use vm_mem::{ARENA_GUARD_BYTES, GUEST_SPACE_BYTES, GuestMemory};

/// What the cache says about one block (for tests and diagnostics).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// Guest PC of the block.
    pub pc: u64,
    /// Its tier.
    pub tier: Tier,
    /// Bytes of host code (0 unless compiled).
    pub code_bytes: u32,
    /// Executions in any tier (compiled ones counted by the code itself:
    /// entries of its region).
    pub exec_count: u64,
    /// Guest blocks compiled with it (it heads a region when above 1).
    pub region_blocks: u32,
}

/// The baseline JIT, eager (`jit`) or tiered over the interpreter: the
/// engine of one guest thread.
pub struct JitEngine {
    /// Never dropped in a forked child (see `after_fork`).
    shared: ManuallyDrop<Arc<SharedJit>>,
    flag: Arc<ThreadFlag>,
    /// The shared generation `local` and `jump_cache` are from.
    seen_gen: u64,
    /// `shared::fork_gen()` when `shared` was made or adopted.
    fork_gen: u64,
    local: LocalCache,
    slots: Slots,
    /// This thread's counters during a run (added to `shared`'s at its
    /// end).
    stats: EngineStats,
    /// PC → code for indirect jumps that miss their inline cache.
    jump_cache: JumpCache,
}

impl JitEngine {
    /// An engine with explicit settings and a cache of its own.
    pub fn with_config(config: JitConfig) -> Result<JitEngine, JitError> {
        Ok(Self::with_shared(&SharedJit::new(config)?))
    }

    /// An engine for another thread of the process that `shared` serves:
    /// it finds and runs what the other engines translated and compiled.
    pub fn with_shared(shared: &Arc<SharedJit>) -> JitEngine {
        // In a forked child, `shared` is the parent's: use the child's.
        let shared = shared::for_this_process(shared);
        let (flag, seen_gen) = shared.register();
        JitEngine {
            shared: ManuallyDrop::new(shared),
            flag,
            seen_gen,
            fork_gen: shared::fork_gen(),
            local: LocalCache::new(),
            slots: Slots::new(),
            stats: EngineStats::default(),
            jump_cache: JumpCache::new(),
        }
    }

    /// The state this engine shares with the other threads' engines.
    pub fn shared(&self) -> &Arc<SharedJit> {
        &self.shared
    }

    /// Every cached block (unordered).
    pub fn blocks(&self) -> Vec<BlockInfo> {
        let st = self.shared.lock();
        st.cache
            .iter()
            .map(|e| BlockInfo {
                pc: e.cell.start,
                tier: e.tier,
                code_bytes: e.code.map_or(0, |c| c.bytes),
                exec_count: e.exec_count(),
                region_blocks: e.members,
            })
            .collect()
    }

    /// Compile `block` alone, as `jit` mode compiles a block before its
    /// first run, without caching or running it; returns the bytes of host
    /// code. For measuring compile time (`benches/compile_block.rs`).
    ///
    /// The code is unreachable (no cache entry, link or jump-cache entry
    /// points at it) and its memory is reclaimed by the next flush. When
    /// code memory is full it is flushed, dropping every translation as a
    /// full code memory always does, and the block is compiled once more.
    pub fn compile_detached(&mut self, block: vm_ir::Block) -> Result<u32, JitError> {
        self.after_fork();
        self.shared.compile_detached(block)
    }

    /// In a forked child: start over with fresh shared state (the parent's
    /// may be locked by a thread that does not exist here).
    fn after_fork(&mut self) {
        let f = shared::fork_gen();
        if f == self.fork_gen {
            return;
        }
        self.fork_gen = f;
        let fresh = shared::for_this_process(&self.shared);
        let (flag, g) = fresh.register();
        // Never touch (or drop) the parent's state again.
        let _parent = std::mem::replace(&mut self.shared, ManuallyDrop::new(fresh));
        std::mem::forget(std::mem::replace(&mut self.flag, flag));
        self.seen_gen = g;
        self.local.clear();
        self.jump_cache.clear();
    }

    /// Drop local copies if anything was retired since they were made.
    #[inline]
    fn sync_gen(&mut self) -> bool {
        let g = self.shared.generation();
        if g == self.seen_gen {
            return false;
        }
        self.seen_gen = g;
        self.flag.seen_gen.store(g, Ordering::SeqCst);
        self.local.clear();
        self.jump_cache.clear();
        true
    }

    /// The entry for `pc`: from the shared cache, or translated (and then
    /// also returned as IR). Counts a hit or a miss.
    fn fetch(
        &mut self,
        pc: u64,
        mem: &GuestMemory,
    ) -> Result<(*const Published, Option<vm_ir::Block>), Exit> {
        {
            let st = self.shared.lock();
            if let Some(idx) = st.cache.lookup(pc) {
                let cell = Arc::clone(&st.cache.get(idx).cell);
                drop(st);
                self.stats.cache_hits += 1;
                return Ok((self.local.insert(cell), None));
            }
        }
        let block = interp::translate(pc, mem, self.shared.config.engine.trace)?;
        self.stats.cache_misses += 1;
        // Interpreted first (tiered): make its interpreter form now,
        // outside the lock.
        let ib = (self.shared.threshold() > 0).then(|| interp::InterpBlock::from_ir(&block));
        let mut st = self.shared.lock();
        let idx = match st.cache.lookup(pc) {
            // Another thread was quicker.
            Some(idx) => idx,
            None => {
                st.stats.blocks_translated += 1;
                let link = Box::new(abi::LinkData::new(self.shared.stub(), 0, 0, 0));
                st.cache.insert(pc, block.end_pc, link)
            }
        };
        let cell = Arc::clone(&st.cache.get(idx).cell);
        drop(st);
        if let Some(ib) = ib {
            let _ = cell.interp.set(ib);
        }
        Ok((self.local.insert(cell), Some(block)))
    }

    /// The entry of `cell` at `pc` has run often enough (jit: once about
    /// to run): compile its baseline code, here (a few µs with the direct
    /// emitter). Returns true if code memory was flushed.
    fn request(
        &mut self,
        cell: &Published,
        mem: &GuestMemory,
        fresh: Option<vm_ir::Block>,
    ) -> bool {
        if cell.requested.swap(true, Ordering::AcqRel) {
            return false;
        }
        // The code reports `EXIT_HOT` when its entry count reaches
        // `hot_at`; never, for a threshold of 0.
        let hot_at = match self.shared.config.region_threshold {
            0 => u64::MAX,
            n => n,
        };
        let Some(req) = self.shared.plan(cell, mem, fresh, false, hot_at) else {
            return false;
        };
        let mut comp = self.shared.compiler();
        self.shared.compile_request(&mut comp, req).is_err()
    }

    /// Compiled entry at `pc` got hot: compile the region it heads (if any
    /// block joins it) in place of its code, on the background worker
    /// (the block's code keeps running meanwhile) or, with
    /// [`JitConfig::background`] off, here. Returns true on a flush.
    fn upgrade(&mut self, pc: u64, mem: &GuestMemory) -> bool {
        let Some(req) = self.shared.plan_upgrade(pc, mem) else {
            return false;
        };
        if self.shared.config.background {
            self.shared.submit(req);
            return false;
        }
        let mut comp = self.shared.compiler();
        self.shared.compile_request(&mut comp, req).is_err()
    }
}

/// The slot a stub return came from. Call only while the thread is still
/// marked inside compiled code (the link data cannot be freed then).
fn slot_of(from: usize) -> SlotRef {
    let (link, block, kind) = abi::split_from(from);
    let p = link as *const abi::LinkData;
    // SAFETY: `from` was produced by the code that just returned, which
    // addresses this `LinkData`; retired link data is freed only once no
    // thread that could have entered its code is still marked inside
    // compiled code, and this thread still is.
    let (idx, pc) = unsafe { ((*p).owner_idx, (*p).owner_pc) };
    SlotRef {
        idx,
        pc,
        link,
        block,
        kind,
    }
}

impl JitEngine {
    /// Run the guest block at `cpu.pc` once in the interpreter, from a
    /// translation made for this run alone (the PC may be inside a cached
    /// block; in `jit` mode a cached translation would be compiled again).
    fn interpret_once(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        in_slots: &mut bool,
    ) -> Result<(), Exit> {
        let block = interp::translate(cpu.pc, mem, self.shared.config.engine.trace)?;
        let ib = interp::InterpBlock::from_ir(&block);
        self.slots.reserve(ib.slots_needed());
        if !*in_slots {
            self.slots.load_from(cpu);
            *in_slots = true;
        }
        let before = cpu.instret;
        let end = ib.exec(&mut self.slots, cpu, mem);
        self.stats.insns_interp += cpu.instret - before;
        match end {
            BlockEnd::Exit(e) => Err(e),
            BlockEnd::Next { pc, .. } => {
                cpu.pc = pc;
                Ok(())
            }
        }
    }
}

impl Engine for JitEngine {
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit {
        self.after_fork();
        if self.shared.bind_arena(mem.base() as usize) {
            // Code compiled for another arena may address it directly.
            self.shared.invalidate(0, u64::MAX);
        }
        self.sync_gen();
        let start_instret = cpu.instret;
        let limit = start_instret.saturating_add(budget);
        let mut ctx = JitCtx::new(mem);
        ctx.instret_limit = limit;
        ctx.jump_cache = self.jump_cache.as_ptr();
        let linking = !self.shared.config.engine.trace && self.shared.config.link;
        let threshold = self.shared.threshold();
        let trace = self.shared.config.engine.trace;
        // Guest registers live in `self.slots` (not `cpu`) while set.
        let mut in_slots = false;
        // A stub return waiting for its target to be known, with the
        // reclaim count when it was taken.
        let mut pending: Option<(SlotRef, u64)> = None;
        // Set after a host fault in compiled code: the faulting access's
        // block runs in the interpreter (see `crate::hostfault`).
        let mut retry_in_interp = false;
        let arena = {
            let base = mem.base() as usize;
            (
                base,
                base + (GUEST_SPACE_BYTES + ARENA_GUARD_BYTES) as usize,
            )
        };
        let exit = loop {
            if std::mem::take(&mut retry_in_interp) {
                pending = None;
                match self.interpret_once(cpu, mem, &mut in_slots) {
                    Ok(()) => {}
                    Err(e) => break e,
                }
                if cpu.instret >= limit {
                    break Exit::Budget;
                }
                continue;
            }
            let pc = cpu.pc;
            let (cellp, fresh) = match self.local.lookup(pc) {
                Some(p) => {
                    self.stats.cache_hits += 1;
                    (p, None)
                }
                None => match self.fetch(pc, mem) {
                    Ok(x) => x,
                    Err(e) => break e,
                },
            };
            if trace {
                eprintln!("vm: trace: block {pc:#x}");
            }
            // SAFETY: `self.local` owns the entry (an `Arc`) until its next
            // `clear`, which only `sync_gen` and `after_fork` do; every
            // path below that calls them goes straight back to the top of
            // the loop without using `cell` again.
            let cell = unsafe { &*cellp };
            let mut code = cell.code();
            if code == 0 {
                // A plain load and store, not an atomic add: threads
                // racing here may lose a count, which only delays a
                // compile, and the locked add of every interpreted run
                // was about a tenth of the dispatcher's time in SQLite's
                // profile.
                let n = cell.count.load(Ordering::Relaxed) + 1;
                cell.count.store(n, Ordering::Relaxed);
                if n > threshold
                    && !cell.requested.load(Ordering::Relaxed)
                    && !self.shared.compiling_disabled()
                {
                    let fresh_for_compile = if threshold == 0 { fresh.clone() } else { None };
                    if self.request(cell, mem, fresh_for_compile) {
                        // Flushed: everything is gone, `cell` included.
                        pending = None;
                        cell.count.fetch_sub(1, Ordering::Relaxed);
                        self.sync_gen();
                        continue;
                    }
                    code = cell.code();
                    if code != 0 {
                        // This execution will be counted by the code.
                        cell.count.fetch_sub(1, Ordering::Relaxed);
                    }
                }
            }
            if code != 0 {
                if linking && let Some((s, epoch)) = pending.take() {
                    self.shared.link(s, epoch, cell);
                }
                if in_slots {
                    self.slots.store_to(cpu);
                    in_slots = false;
                }
                // Announce, then check: see `crate::shared`.
                self.flag.in_code.store(true, Ordering::SeqCst);
                if self.shared.generation() != self.seen_gen {
                    self.flag.in_code.store(false, Ordering::Release);
                    self.sync_gen();
                    pending = None;
                    continue;
                }
                if linking {
                    self.jump_cache.insert(pc, code);
                }
                let enter = self.shared.enter_fn();
                let before = cpu.instret;
                // SAFETY: `code` is compiled code of a translation that was
                // live when this thread last synchronised with the shared
                // generation, checked just above after announcing itself
                // inside code, so neither it nor anything it chains to (its
                // link data, successors through link slots, inline caches
                // and this thread's jump cache) is freed before the flag is
                // cleared. It follows the contract in `abi`: it reads and
                // writes `*cpu` (exclusively borrowed), `ctx`, link data,
                // and guest memory only at `base + addr` with `addr` below
                // the guest space and at most 8 bytes long, so inside the
                // arena of `mem` and its guard (which `ctx` describes and
                // which outlive the call); the code lies in the shared
                // code memory, and host faults there on the arena return
                // through `hostfault::call`.
                let r = unsafe {
                    hostfault::call(
                        enter,
                        cpu,
                        &mut ctx,
                        code as *const u8,
                        self.shared.code_range(),
                        arena,
                    )
                };
                // A host fault: its site is looked up while this thread
                // still counts as in code (see `crate::sites`).
                let fault_site = (r == abi::EXIT_HOST_FAULT)
                    .then(|| self.shared.fault_site(hostfault::fault_rip(), ctx.site));
                self.stats.insns_region += std::mem::take(&mut ctx.region_insns);
                let from = std::mem::take(&mut ctx.link_from);
                let slot = (from != 0).then(|| (slot_of(from), self.shared.reclaims()));
                self.flag.in_code.store(false, Ordering::Release);
                if let Some(site) = fault_site {
                    let Some(site) = site else {
                        // Only a VM bug stores a number not in the table.
                        panic!(
                            "host fault at an unknown access site (code {:#x})",
                            hostfault::fault_rip()
                        );
                    };
                    cpu.pc = site.pc;
                    cpu.instret += u64::from(site.retired);
                    self.stats.insns_compiled += cpu.instret - before;
                    retry_in_interp = true;
                    continue;
                }
                self.stats.insns_compiled += cpu.instret - before;
                if r == abi::EXIT_HOT {
                    if self.upgrade(cpu.pc, mem) {
                        pending = None;
                    }
                    continue;
                }
                if r != abi::EXIT_NEXT {
                    break exit_of(r, &mut ctx, cpu, mem);
                }
                if let Some((s, epoch)) = slot {
                    if s.kind == LINK_IC {
                        self.stats.ic_misses += 1;
                    }
                    pending = Some((s, epoch));
                }
            } else {
                pending = None;
                let ib = match interp_form(cell, mem, fresh.as_ref()) {
                    Ok(ib) => ib,
                    Err(e) => break e,
                };
                self.slots.reserve(ib.slots_needed());
                if !in_slots {
                    self.slots.load_from(cpu);
                    in_slots = true;
                }
                let before = cpu.instret;
                let end = ib.exec(&mut self.slots, cpu, mem);
                self.stats.insns_interp += cpu.instret - before;
                match end {
                    BlockEnd::Exit(e) => break e,
                    BlockEnd::Next { pc, .. } => cpu.pc = pc,
                }
            }
            if cpu.instret >= limit {
                break Exit::Budget;
            }
        };
        if in_slots {
            self.slots.store_to(cpu);
        }
        self.stats.ic_lookups += ctx.ic_lookups;
        self.stats.insns += cpu.instret - start_instret;
        self.shared
            .add_thread_stats(&std::mem::take(&mut self.stats));
        exit
    }

    fn invalidate(&mut self, start: u64, end: u64) {
        self.after_fork();
        self.shared.invalidate(start, end);
    }

    fn stats(&self) -> EngineStats {
        if shared::fork_gen() != self.fork_gen {
            // A fork child not yet run: the parent's state is off limits.
            return self.stats.clone();
        }
        self.shared.stats(&self.stats)
    }

    fn name(&self) -> &'static str {
        match self.shared.config.mode {
            Mode::Jit => "jit",
            Mode::Tiered { .. } => "tiered",
        }
    }
}

impl Drop for JitEngine {
    fn drop(&mut self) {
        if shared::fork_gen() == self.fork_gen {
            self.shared.unregister(&self.flag);
            // SAFETY: dropped once, here; the field is not used again.
            unsafe { ManuallyDrop::drop(&mut self.shared) };
        }
    }
}
