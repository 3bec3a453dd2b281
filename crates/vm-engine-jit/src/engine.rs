//! [`JitEngine`]: the dispatcher loop over the code cache, tier-up from
//! interpreter counters (tiered: straight to a region), region upgrades of
//! hot compiled blocks (jit: on [`abi::EXIT_HOT`]), filling link slots and
//! the jump cache, invalidation and statistics.
//!
//! The dispatcher runs one block at a time only when it must: compiled
//! code chains to its successors by itself once their link slots are
//! filled, and comes back only at the budget check point, at a link not yet
//! filled (or an inline-cache and jump-cache miss), at a region request, or
//! at an exit for the runtime.
//! Interpreted blocks (tiered mode, and blocks that failed to compile) are
//! run here one by one through [`InterpBlock`], with the guest registers
//! kept in the interpreter's [`Slots`]; they move to and from the
//! `CpuState` only when execution changes tier.

use crate::abi::{self, JitCtx, JumpCache, LINK_IC, LinkData};
use crate::code_cache::{CodeCache, Entry, SlotRef, Tier};
use crate::compiler::{Compiler, JitError};
use crate::exits::exit_of;
use crate::region::Region;
use crate::{JitConfig, Mode};
use std::sync::atomic::{AtomicBool, Ordering};
use vm_core::{CpuState, Exit};
use vm_engine::interp::{self, BlockEnd, InterpBlock, Slots};
use vm_engine::{Engine, EngineStats};
use vm_mem::GuestMemory;

/// One line per process for blocks that fail to compile.
static COMPILE_FAILURE_WARNED: AtomicBool = AtomicBool::new(false);

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

/// The baseline JIT, eager (`jit`) or tiered over the interpreter.
pub struct JitEngine {
    config: JitConfig,
    compiler: Compiler,
    cache: CodeCache,
    slots: Slots,
    stats: EngineStats,
    /// Executions of compiled blocks already dropped from the cache.
    dropped_execs: u64,
    /// PC → code for indirect jumps that miss their inline cache.
    jump_cache: JumpCache,
    /// Set when code memory could not be set up again after a flush:
    /// everything is interpreted from then on.
    compiling_disabled: bool,
}

impl JitEngine {
    /// An engine with explicit settings.
    pub fn with_config(config: JitConfig) -> Result<JitEngine, JitError> {
        Ok(JitEngine {
            compiler: Compiler::from_config(&config)?,
            config,
            cache: CodeCache::new(),
            slots: Slots::new(),
            stats: EngineStats::default(),
            dropped_execs: 0,
            jump_cache: JumpCache::new(),
            compiling_disabled: false,
        })
    }

    /// Every cached block (unordered).
    pub fn blocks(&self) -> Vec<BlockInfo> {
        self.cache
            .iter()
            .map(|e| BlockInfo {
                pc: e.start,
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
        let pc = block.start_pc;
        let region = Region::single(block);
        for _ in 0..2 {
            let mut link = Box::new(LinkData::new(self.compiler.stub(), 1, u32::MAX, pc));
            match self.compiler.compile(&region, &mut link, 0) {
                Err(JitError::Full) => self.flush(),
                r => return r.map(|code| code.bytes),
            }
        }
        Err(JitError::Full)
    }

    fn threshold(&self) -> u64 {
        match self.config.mode {
            Mode::Jit => 0,
            Mode::Tiered { threshold } => threshold,
        }
    }

    /// Translate the block at `pc` into the cache: compiled at once in
    /// `jit` mode, interpreted otherwise.
    fn translate(&mut self, pc: u64, mem: &GuestMemory) -> Result<u32, Exit> {
        let block = interp::translate(pc, mem, self.config.engine.trace)?;
        self.stats.blocks_translated += 1;
        let eager = self.threshold() == 0 && !self.compiling_disabled;
        let idx = self.cache.insert(Entry {
            start: block.start_pc,
            end: block.end_pc,
            span: (block.start_pc, block.end_pc),
            members: 0,
            tier: Tier::Interpreted,
            interp: None,
            code: None,
            link: Box::new(LinkData::new(self.compiler.stub(), 0, 0, 0)),
            interp_count: 0,
            incoming: Vec::new(),
        });
        if eager {
            // A flush here empties the cache: translate again (into empty
            // code memory, where the block fits).
            let hot_at = self.config.region_threshold;
            if self.compile(idx, Region::single(block), hot_at).is_err() {
                return self.translate(pc, mem);
            }
        } else {
            self.give_interp_form(idx, &block);
        }
        Ok(idx)
    }

    fn give_interp_form(&mut self, idx: u32, block: &vm_ir::Block) {
        let ib = InterpBlock::from_ir(block);
        self.slots.reserve(ib.slots_needed());
        self.cache.get_mut(idx).interp = Some(ib);
    }

    /// Compile entry `idx` as the head of `region`, returning
    /// [`abi::EXIT_HOT`] on its `hot_at`-th entry (0: never). Code the
    /// entry had before is replaced (slots linked to it are pointed at the
    /// new code). `Err` means the code memory was full and has been flushed
    /// (every index is stale).
    fn compile(&mut self, idx: u32, region: Region, hot_at: u64) -> Result<(), Flushed> {
        let start = self.cache.get(idx).start;
        let mut link = Box::new(LinkData::new(
            self.compiler.stub(),
            region.blocks.len(),
            idx,
            start,
        ));
        match self.compiler.compile(&region, &mut link, hot_at) {
            Ok(code) => {
                let ns = code.time.as_nanos() as u64;
                self.stats.blocks_compiled += 1;
                self.stats.compile_time_ns += ns;
                self.stats.compile_time_max_ns = self.stats.compile_time_max_ns.max(ns);
                self.stats.code_bytes += code.bytes as u64;
                let e = self.cache.get_mut(idx);
                let old = e.code.replace(code);
                let old_link = std::mem::replace(&mut e.link, link);
                e.tier = Tier::Compiled;
                e.interp = None;
                e.members = region.blocks.len() as u32;
                let (lo, hi) = region.span();
                e.span = (e.span.0.min(lo), e.span.1.max(hi));
                self.dropped_execs += old_link.exec_count;
                if let Some(old) = old {
                    self.jump_cache.clear();
                    self.stats.code_bytes -= old.bytes as u64;
                    self.repoint(idx, old.ptr as usize, code.ptr as usize);
                }
                Ok(())
            }
            Err(JitError::Full) => {
                self.flush();
                Err(Flushed)
            }
            Err(err) => {
                if !COMPILE_FAILURE_WARNED.swap(true, Ordering::Relaxed) {
                    eprintln!("vm: warning: jit: {err}; interpreting such blocks");
                }
                self.stats.compile_failures += 1;
                if self.cache.get(idx).code.is_some() {
                    // A region that failed: keep the block's code.
                    return Ok(());
                }
                self.cache.get_mut(idx).tier = Tier::Failed;
                if self.cache.get(idx).interp.is_none() {
                    self.give_interp_form(idx, region.head());
                }
                Ok(())
            }
        }
    }

    /// The region headed by `head`: it and the blocks that join it (those
    /// with a cache entry whose translation still matches memory).
    fn plan_region(&mut self, head: vm_ir::Block, mem: &GuestMemory) -> Region {
        let mut region = Region::single(head);
        let cache = &mut self.cache;
        region.grow(|pc| {
            let idx = cache.lookup(pc)?;
            let end = cache.get(idx).end;
            let b = interp::translate(pc, mem, false).ok()?;
            (b.end_pc == end).then_some(b)
        });
        region
    }

    /// Tier up entry `idx` (at `pc`): translate again and compile the
    /// region it heads.
    fn tier_up(&mut self, idx: u32, pc: u64, mem: &GuestMemory) -> Result<(), Flushed> {
        match interp::translate(pc, mem, false) {
            Ok(block) if block.end_pc == self.cache.get(idx).end => {
                let region = self.plan_region(block, mem);
                self.compile(idx, region, 0)?;
                // This execution will be counted by the compiled code.
                let e = self.cache.get_mut(idx);
                if e.tier == Tier::Compiled {
                    e.interp_count -= 1;
                }
                Ok(())
            }
            // The code changed without a flush since the block was
            // translated: keep running the translation the guest has seen.
            _ => {
                self.cache.get_mut(idx).tier = Tier::Failed;
                Ok(())
            }
        }
    }

    /// Compiled entry `idx` at `pc` got hot: compile the region it heads
    /// (if any block joins it) in place of its code.
    fn upgrade(&mut self, pc: u64, mem: &GuestMemory) -> Result<(), Flushed> {
        let Some(idx) = self.cache.lookup(pc) else {
            return Ok(());
        };
        let Ok(block) = interp::translate(pc, mem, false) else {
            return Ok(());
        };
        if block.end_pc != self.cache.get(idx).end {
            return Ok(());
        }
        let region = self.plan_region(block, mem);
        if region.blocks.len() < 2 {
            return Ok(());
        }
        self.compile(idx, region, 0)
    }

    /// Point every recorded slot that links to `old` (the former code of
    /// entry `idx`) at `new`.
    fn repoint(&mut self, idx: u32, old: usize, new: usize) {
        let incoming = std::mem::take(&mut self.cache.get_mut(idx).incoming);
        for s in &incoming {
            let Some(owner) = self.cache.get_if_mut(s.idx, s.pc) else {
                continue;
            };
            let word = LinkData::word(s.block, s.kind);
            if let Some(w) = owner.link.slots.get_mut(word)
                && *w == old
            {
                *w = new;
            }
        }
        self.cache.get_mut(idx).incoming = incoming;
    }

    /// Drop every translation and free all code.
    fn flush(&mut self) {
        self.jump_cache.clear();
        for e in self.cache.clear() {
            self.retire(&e);
        }
        self.stats.code_flushes += 1;
        if let Err(e) = self.compiler.reset() {
            eprintln!("vm: warning: jit: {e}; interpreting from now on");
            self.compiling_disabled = true;
        }
    }

    /// Account for a removed entry.
    fn retire(&mut self, e: &Entry) {
        self.dropped_execs += e.exec_count();
        if let Some(c) = e.code {
            self.stats.code_bytes -= c.bytes as u64;
        }
    }

    /// The slot a stub return came from.
    fn slot_of(from: usize) -> SlotRef {
        let (link, block, kind) = abi::split_from(from);
        let link = link as *const LinkData;
        // SAFETY: `from` was produced by the code that just returned: its
        // entry (owner of this boxed `LinkData`) is live, as nothing has
        // been removed from the cache or recompiled since it ran.
        let (idx, pc) = unsafe { ((*link).owner_idx, (*link).owner_pc) };
        SlotRef {
            idx,
            pc,
            block,
            kind,
        }
    }

    /// Point slot `s` at compiled entry `target`, and record it there.
    fn link(&mut self, s: SlotRef, target: u32) {
        let (t_pc, t_code) = {
            let t = self.cache.get(target);
            match t.code {
                Some(c) => (t.start, c.ptr as usize),
                None => return,
            }
        };
        let Some(owner) = self.cache.get_if_mut(s.idx, s.pc) else {
            return;
        };
        let word = LinkData::word(s.block, s.kind);
        let last = if s.kind == LINK_IC { word + 2 } else { word };
        if last >= owner.link.slots.len() {
            return;
        }
        owner.link.slots[word] = t_code;
        if s.kind == LINK_IC {
            owner.link.slots[word + 2] = t_pc as usize;
        }
        let incoming = &mut self.cache.get_mut(target).incoming;
        if !incoming.contains(&s) {
            incoming.push(s);
        }
    }

    /// Reset every slot still pointing at the code of removed entry `e`.
    fn unlink(&mut self, e: &Entry) {
        let Some(code) = e.code else { return };
        let (code, stub) = (code.ptr as usize, self.compiler.stub());
        for s in &e.incoming {
            let Some(owner) = self.cache.get_if_mut(s.idx, s.pc) else {
                continue;
            };
            let word = LinkData::word(s.block, s.kind);
            let slots = &mut owner.link.slots;
            if slots.get(word) != Some(&code) {
                continue;
            }
            slots[word] = stub;
            if s.kind == LINK_IC
                && let Some(w) = slots.get_mut(word + 2)
            {
                *w = abi::IC_EMPTY as usize;
            }
        }
    }
}

/// The code memory was flushed while compiling.
struct Flushed;

impl Engine for JitEngine {
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit {
        let start_instret = cpu.instret;
        let limit = start_instret.saturating_add(budget);
        let mut ctx = JitCtx::new(mem);
        ctx.instret_limit = limit;
        ctx.jump_cache = self.jump_cache.as_ptr();
        let linking = !self.config.engine.trace && self.config.link;
        let threshold = self.threshold();
        // Guest registers live in `self.slots` (not `cpu`) while set.
        let mut in_slots = false;
        // A stub return waiting for its target to be known.
        let mut pending: Option<SlotRef> = None;
        let exit = loop {
            let pc = cpu.pc;
            let idx = match self.cache.lookup(pc) {
                Some(i) => {
                    self.stats.cache_hits += 1;
                    i
                }
                None => {
                    self.stats.cache_misses += 1;
                    let flushes = self.stats.code_flushes;
                    let t = self.translate(pc, mem);
                    if self.stats.code_flushes != flushes {
                        pending = None;
                    }
                    match t {
                        Ok(i) => i,
                        Err(e) => break e,
                    }
                }
            };
            if self.config.engine.trace {
                eprintln!("vm: trace: block {pc:#x}");
            }
            let e = self.cache.get_mut(idx);
            if e.tier == Tier::Interpreted {
                e.interp_count += 1;
                if e.interp_count > threshold
                    && !self.compiling_disabled
                    && self.tier_up(idx, pc, mem).is_err()
                {
                    pending = None;
                    continue;
                }
            }
            let e = self.cache.get(idx);
            if let Some(code) = e.code {
                if let Some(s) = pending.take().filter(|_| linking) {
                    self.link(s, idx);
                }
                if linking {
                    self.jump_cache.insert(pc, code.ptr as usize);
                }
                if in_slots {
                    self.slots.store_to(cpu);
                    in_slots = false;
                }
                let before = cpu.instret;
                let enter = self.compiler.enter();
                // SAFETY: `code` is a live block compiled for the contract
                // in `abi`: it reads and writes `*cpu` (exclusively
                // borrowed), `ctx`, its own and its successors' link data
                // (boxed in live cache entries: links to removed entries
                // are reset by `invalidate`/`flush`), and guest memory
                // only through checked accesses inside the arena of `mem`,
                // which `ctx` describes and which outlives the call.
                let r = unsafe { enter(cpu, &mut ctx, code.ptr) };
                self.stats.insns_compiled += cpu.instret - before;
                if r == abi::EXIT_HOT {
                    if self.upgrade(cpu.pc, mem).is_err() {
                        pending = None;
                    }
                    continue;
                }
                if r != abi::EXIT_NEXT {
                    break exit_of(r, &mut ctx, cpu, mem);
                }
                let from = std::mem::take(&mut ctx.link_from);
                if from != 0 {
                    let s = Self::slot_of(from);
                    if s.kind == LINK_IC {
                        self.stats.ic_misses += 1;
                    }
                    pending = Some(s);
                }
            } else {
                pending = None;
                let Some(ib) = e.interp.as_ref() else {
                    // Not reachable: entries without code keep their
                    // interpreter form.
                    break Exit::Illegal {
                        raw: interp::raw_insn(mem, pc),
                    };
                };
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
        exit
    }

    fn invalidate(&mut self, start: u64, end: u64) {
        let gone = self.cache.remove_overlapping(start, end);
        if !gone.is_empty() {
            self.jump_cache.clear();
        }
        for e in &gone {
            self.unlink(e);
            self.retire(e);
        }
    }

    fn stats(&self) -> EngineStats {
        let mut s = self.stats.clone();
        s.blocks_executed =
            self.dropped_execs + self.cache.iter().map(Entry::exec_count).sum::<u64>();
        s
    }

    fn name(&self) -> &'static str {
        match self.config.mode {
            Mode::Jit => "jit",
            Mode::Tiered { .. } => "tiered",
        }
    }
}
