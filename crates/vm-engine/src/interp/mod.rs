//! Tier 0: the IR interpreter.
//!
//! Guest code is translated block by block (frontend → IR → compact form, see
//! `compile.rs`) and cached by guest PC. Each cached block keeps an execution
//! counter (the hook tiering uses) and links to its direct successors, so a
//! loop of known targets runs without any hash lookup; indirect jumps go
//! through the cache's direct-mapped table.

mod compile;
mod exec;
mod ops;
mod shared;

use crate::cache::BlockCache;
use crate::{Engine, EngineConfig, EngineStats};
use compile::CompiledBlock;
use exec::exec_block;
pub use exec::raw_insn;
pub use exec::{BlockEnd, Slots};
use shared::SharedBlock;
pub use shared::SharedTranslations;
use std::cell::Cell;
use std::sync::Arc;
use vm_core::{CpuState, Exit, FaultAccess};
use vm_ir::Terminator;
use vm_mem::GuestMemory;

/// Longest block, in guest instructions.
pub const BLOCK_INSNS_MAX: usize = 64;

/// Most blocks the interpreter chains into one superblock.
pub const CHAIN_BLOCKS_MAX: usize = 8;

/// Guest instructions after which no further block is chained.
pub const CHAIN_INSNS_MAX: usize = 128;

/// A guest block pre-decoded for the interpreter, for engines that mix the
/// interpreter with other tiers block by block (the tiered JIT).
pub struct InterpBlock {
    code: CompiledBlock,
}

impl InterpBlock {
    /// Pre-decode an IR block.
    pub fn from_ir(block: &vm_ir::Block) -> Self {
        InterpBlock {
            code: compile::compile(block),
        }
    }

    /// Guest PC of the first instruction.
    pub fn start_pc(&self) -> u64 {
        self.code.start_pc
    }

    /// Guest PC just past the block.
    pub fn end_pc(&self) -> u64 {
        self.code.end_pc
    }

    /// Guest instructions in the block.
    pub fn insn_count(&self) -> u64 {
        self.code.insn_count()
    }

    /// Slots the block needs ([`Slots::reserve`] them before [`InterpBlock::exec`]).
    pub fn slots_needed(&self) -> usize {
        self.code.slots_needed
    }

    /// Run the block once. Guest registers are read from and written to
    /// `slots` (see [`Slots::load_from`]); `cpu` supplies and receives the
    /// rest of the state (pc, instret, fflags, frm, reservation).
    pub fn exec(&self, slots: &mut Slots, cpu: &mut CpuState, mem: &GuestMemory) -> BlockEnd {
        exec_block(&self.code, slots, cpu, mem)
    }
}

/// Translate the guest block at `pc` to IR, reporting a fetch fault as the
/// `Exit` the runtime expects; prints it when `trace` is set.
pub fn translate(pc: u64, mem: &GuestMemory, trace: bool) -> Result<vm_ir::Block, Exit> {
    let mut fetch = |a: u64| mem.fetch_u16(a).ok();
    let block = vm_frontend::translate_block(pc, &mut fetch, BLOCK_INSNS_MAX).map_err(|f| {
        // The decoder only says where the fetch failed; ask again for why.
        let beyond_eof = mem.fetch_u16(f.addr).is_err_and(|e| e.beyond_eof);
        Exit::MemFault {
            addr: f.addr,
            access: FaultAccess::Exec,
            misaligned: false,
            beyond_eof,
        }
    })?;
    if trace {
        crate::trace::print_block(&block, mem);
    }
    Ok(block)
}

/// A cached block with its profile and successor links.
struct Cached {
    code: Arc<CompiledBlock>,
    /// Times the block was entered.
    exec_count: Cell<u64>,
    /// Cache index + 1 of the block at the jump/taken target (0), the
    /// fallthrough (1) and each side exit (2..); 0 when unknown. Validated
    /// with `get_if` before use.
    succ: Box<[Cell<u32>]>,
}

/// The IR interpreter engine.
pub struct Interpreter {
    config: EngineConfig,
    cache: BlockCache<Cached>,
    slots: Slots,
    stats: EngineStats,
    /// The translations shared with the process's other guest threads.
    shared: Option<Arc<SharedTranslations>>,
    /// The part of `stats` already added to `shared`.
    reported: EngineStats,
}

impl Interpreter {
    /// A new interpreter with an empty cache of its own.
    pub fn new(config: EngineConfig) -> Self {
        Interpreter {
            config,
            cache: BlockCache::new(),
            slots: Slots::new(),
            stats: EngineStats::default(),
            shared: None,
            reported: EngineStats::default(),
        }
    }

    /// A new interpreter (for one guest thread) whose translations are
    /// shared with every other interpreter made with the same `shared`.
    pub fn with_shared(config: EngineConfig, shared: &Arc<SharedTranslations>) -> Self {
        Interpreter {
            shared: Some(shared.clone()),
            ..Interpreter::new(config)
        }
    }

    /// The shared map, unless this is a forked child of the process that
    /// made it (see [`SharedTranslations`]).
    fn shared(&self) -> Option<&SharedTranslations> {
        self.shared.as_deref().filter(|s| s.usable())
    }

    /// Cache `block` (translated here or by another thread) for `pc`.
    fn insert(&mut self, block: SharedBlock) -> u32 {
        let code = block.code;
        self.slots.reserve(code.slots_needed);
        let (start, end) = (code.start_pc, code.end_pc);
        let succ = (0..2 + code.exits.len()).map(|_| Cell::new(0)).collect();
        let cached = Cached {
            code,
            exec_count: Cell::new(0),
            succ,
        };
        self.cache.insert(start, end, cached)
    }

    /// Translate the superblock at `pc` into the cache: the block at `pc`
    /// and, while they continue forward through a direct jump or a branch's
    /// fallthrough, the blocks after it (see [`CHAIN_BLOCKS_MAX`]). Fewer,
    /// longer blocks mean fewer dispatches and link checks.
    fn translate(&mut self, pc: u64, mem: &GuestMemory) -> Result<u32, Exit> {
        let generation = match self.shared() {
            Some(sh) => {
                if let Some(block) = sh.get(pc) {
                    return Ok(self.insert(block));
                }
                Some(sh.generation())
            }
            None => None,
        };
        let mut chain = vec![translate(pc, mem, self.config.trace)?];
        let mut insns = chain[0].guest_insn_count();
        while chain.len() < CHAIN_BLOCKS_MAX && insns < CHAIN_INSNS_MAX {
            let last = chain.last().expect("chain is not empty");
            let next = match last.term {
                Terminator::Jump { target } => target,
                Terminator::Branch { fallthrough, .. } => fallthrough,
                _ => break,
            };
            // Forward only: keeps the chain acyclic and its range [start, end).
            if next < last.end_pc {
                break;
            }
            let Ok(block) = translate(next, mem, self.config.trace) else {
                break;
            };
            insns += block.guest_insn_count();
            chain.push(block);
        }
        let block = SharedBlock {
            code: Arc::new(compile::compile_chain(&chain)),
            blocks: chain.len() as u64,
        };
        // Counted unless another thread translated the same block at the
        // same time and published first (then its translation is run).
        let (block, own) = match (self.shared(), generation) {
            (Some(sh), Some(g)) => sh.publish(g, pc, block),
            _ => (block, true),
        };
        if own {
            self.stats.blocks_translated += block.blocks;
        }
        Ok(self.insert(block))
    }

    fn find(&mut self, pc: u64, mem: &GuestMemory) -> Result<u32, Exit> {
        match self.cache.lookup(pc) {
            Some(i) => Ok(i),
            None => self.translate(pc, mem),
        }
    }

    /// How many times the block at `pc` has run (None if not cached).
    pub fn exec_count(&mut self, pc: u64) -> Option<u64> {
        let i = self.cache.lookup(pc)?;
        Some(self.cache.get(i).exec_count.get())
    }
}

impl Engine for Interpreter {
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit {
        self.slots.load_from(cpu);
        let start_instret = cpu.instret;
        let mut pc = cpu.pc;
        let mut next: Option<u32> = None;
        let exit = loop {
            let idx = match next.take() {
                Some(i) => i,
                None => match self.find(pc, mem) {
                    Ok(i) => i,
                    Err(e) => {
                        cpu.pc = pc;
                        break e;
                    }
                },
            };
            let blk = self.cache.get(idx);
            blk.exec_count.set(blk.exec_count.get() + 1);
            self.stats.blocks_executed += 1;
            if self.config.trace {
                eprintln!("vm: trace: block {:#x}", blk.code.start_pc);
            }
            match exec_block(&blk.code, &mut self.slots, cpu, mem) {
                BlockEnd::Exit(e) => break e,
                BlockEnd::Next { pc: target, succ } => {
                    pc = target;
                    if cpu.instret - start_instret >= budget {
                        cpu.pc = pc;
                        break Exit::Budget;
                    }
                    if let Some(s) = succ {
                        let link = blk.succ[s].get();
                        if link != 0 && self.cache.get_if(link - 1, target).is_some() {
                            next = Some(link - 1);
                        } else if let Some(t) = self.cache.lookup(target) {
                            self.cache.get(idx).succ[s].set(t + 1);
                            next = Some(t);
                        }
                    }
                }
            }
        };
        self.slots.store_to(cpu);
        self.stats.insns += cpu.instret - start_instret;
        if let Some(sh) = self.shared() {
            let s = &self.stats;
            let r = &self.reported;
            sh.add_stats(&EngineStats {
                insns: s.insns - r.insns,
                blocks_executed: s.blocks_executed - r.blocks_executed,
                blocks_translated: s.blocks_translated - r.blocks_translated,
                ..EngineStats::default()
            });
            self.reported = self.stats.clone();
        }
        exit
    }

    fn invalidate(&mut self, start: u64, end: u64) {
        self.cache.invalidate(start, end);
        if let Some(sh) = self.shared() {
            sh.invalidate(start, end);
        }
    }

    fn stats(&self) -> EngineStats {
        match self.shared() {
            Some(sh) => sh.stats(),
            None => self.stats.clone(),
        }
    }

    fn name(&self) -> &'static str {
        "interp"
    }
}

#[cfg(test)]
mod tests;
