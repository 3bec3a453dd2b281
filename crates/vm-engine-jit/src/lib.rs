//! Tier 1: the baseline JIT. Each guest block (lowered to IR by
//! `vm_frontend::translate_block`, exactly as for the interpreter) is
//! compiled to host code with Cranelift and run from a dispatcher loop.
//!
//! Why a baseline tier: the interpreter spends most of its time on dispatch
//! and on moving values through its slot file; one compiled function per
//! block keeps guest registers in host registers inside the block and
//! checks guest memory accesses inline, at a compile cost low enough to pay
//! for every block that runs more than a few times.
//!
//! Pieces: [`abi`] (the compiled function's contract and exit codes),
//! `lower` (IR → Cranelift), `helpers` (FP, atomics, `time`),
//! `compiler` (ISA and code memory), and [`JitEngine`] here (translation
//! cache and dispatcher). Guest-visible results are identical to
//! `vm_engine::Interpreter`'s: same registers, memory, `instret`, CSR values
//! and [`Exit`]s, including the precise state at faults.
//!
//! Not yet: block chaining (every block returns to the dispatcher), tiering
//! from interpreter counters, freeing the code of invalidated blocks.

pub mod abi;
mod compiler;
mod helpers;
mod lower;

use abi::{BlockFn, HelperFault, JitCtx};
use compiler::Compiler;
pub use compiler::JitError;
use std::time::Duration;
use vm_core::{CpuState, Exit, FaultAccess};
use vm_engine::cache::BlockCache;
use vm_engine::{Engine, EngineConfig, EngineStats, Interpreter};
use vm_mem::{GUEST_SPACE_BYTES, GuestMemory, PAGE_SIZE, Perm};

/// Longest block, in guest instructions (as the interpreter's).
pub const BLOCK_INSNS_MAX: usize = vm_engine::interp::BLOCK_INSNS_MAX;

/// JIT settings.
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Options shared by every engine.
    pub engine: EngineConfig,
    /// Cranelift optimisation level: `none`, `speed` or `speed_and_size`.
    pub opt_level: &'static str,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            engine: EngineConfig::default(),
            // Measured on an integer loop: "none" compiles ~1.5x faster
            // and its code ran faster than "speed"'s.
            opt_level: "none",
        }
    }
}

/// A translation in the cache.
enum Translation {
    /// Host code.
    Compiled(BlockFn),
    /// Cranelift could not compile the block (a JIT bug): the interpreter
    /// runs it, so the guest still sees correct behaviour.
    Interpreted,
}

/// Counters specific to the JIT (on top of [`EngineStats`]).
#[derive(Clone, Debug, Default)]
pub struct JitStats {
    /// Time spent in Cranelift.
    pub compile_time: Duration,
    /// Bytes of host code produced.
    pub code_bytes: u64,
    /// Blocks handed to the interpreter because they did not compile.
    pub interpreted_blocks: u64,
}

/// The baseline JIT engine.
pub struct JitEngine {
    config: JitConfig,
    compiler: Compiler,
    cache: BlockCache<Translation>,
    fallback: Interpreter,
    stats: EngineStats,
    interpreted_blocks: u64,
}

impl JitEngine {
    /// A JIT for the host with default settings.
    pub fn new(config: EngineConfig) -> Result<JitEngine, JitError> {
        Self::with_config(JitConfig {
            engine: config,
            ..JitConfig::default()
        })
    }

    /// A JIT with explicit settings.
    pub fn with_config(config: JitConfig) -> Result<JitEngine, JitError> {
        Ok(JitEngine {
            compiler: Compiler::new(config.opt_level)?,
            fallback: Interpreter::new(EngineConfig::default()),
            config,
            cache: BlockCache::new(),
            stats: EngineStats::default(),
            interpreted_blocks: 0,
        })
    }

    /// JIT-specific counters.
    pub fn jit_stats(&self) -> JitStats {
        JitStats {
            compile_time: self.compiler.compile_time,
            code_bytes: self.compiler.code_bytes,
            interpreted_blocks: self.interpreted_blocks,
        }
    }

    /// Translate and compile the block at `pc`.
    fn translate(&mut self, pc: u64, mem: &GuestMemory) -> Result<u32, Exit> {
        let mut fetch = |a: u64| mem.fetch_u16(a).ok();
        let block = vm_frontend::translate_block(pc, &mut fetch, BLOCK_INSNS_MAX).map_err(|f| {
            Exit::MemFault {
                addr: f.addr,
                access: FaultAccess::Exec,
                misaligned: false,
            }
        })?;
        if self.config.engine.trace {
            trace_block(&block, mem);
        }
        self.stats.blocks_translated += 1;
        let t = match self.compiler.compile(&block) {
            Ok(f) => Translation::Compiled(f),
            Err(e) => {
                eprintln!("vm: jit: {e}; interpreting the block");
                self.interpreted_blocks += 1;
                Translation::Interpreted
            }
        };
        Ok(self.cache.insert(block.start_pc, block.end_pc, t))
    }
}

/// The address Linux reports for a failed access of `size` bytes at `addr`
/// needing `need` (as `vm_mem` computes it): `addr` itself unless only the
/// second page touched is inaccessible, then that page's first byte.
fn fault_addr(mem: &GuestMemory, addr: u64, size: u64, need: Perm) -> u64 {
    if addr >= GUEST_SPACE_BYTES || !mem.perm_at(addr).contains(need) {
        return addr;
    }
    addr.wrapping_add(size.max(1) - 1) & !(PAGE_SIZE - 1)
}

/// The raw bits of the instruction at `pc`, for diagnostics.
fn raw_insn(mem: &GuestMemory, pc: u64) -> u32 {
    let lo = mem.fetch_u16(pc).unwrap_or(0) as u32;
    if lo & 3 != 3 {
        return lo;
    }
    lo | (mem.fetch_u16(pc.wrapping_add(2)).unwrap_or(0) as u32) << 16
}

/// `--trace`: print a translated block's guest instructions to stderr.
fn trace_block(block: &vm_ir::Block, mem: &GuestMemory) {
    let mut out = format!(
        "vm: trace: translated block {:#x}..{:#x}\n",
        block.start_pc, block.end_pc
    );
    for s in &block.insn_starts {
        let raw = raw_insn(mem, s.pc);
        let text = vm_frontend::disassemble_bits(raw, s.pc);
        out.push_str(&format!("  {:#x}: {raw:08x}  {text}\n", s.pc));
    }
    eprint!("{out}");
}

/// Turn a compiled block's non-`NEXT` return code into an exit.
fn exit_of(code: u64, ctx: &mut JitCtx, cpu: &CpuState, mem: &GuestMemory) -> Exit {
    let size = (code >> 8) & 0xff;
    match code & 0xff {
        abi::EXIT_SYSCALL => Exit::Syscall,
        abi::EXIT_BREAKPOINT => Exit::Breakpoint,
        abi::EXIT_ILLEGAL => Exit::Illegal {
            raw: (code >> 32) as u32,
        },
        abi::EXIT_FENCE_I => Exit::FlushCode,
        abi::EXIT_LOAD_FAULT => Exit::MemFault {
            addr: fault_addr(mem, ctx.fault_addr, size, Perm::R),
            access: FaultAccess::Read,
            misaligned: false,
        },
        abi::EXIT_STORE_FAULT => Exit::MemFault {
            addr: fault_addr(mem, ctx.fault_addr, size, Perm::W),
            access: FaultAccess::Write,
            misaligned: false,
        },
        abi::EXIT_HELPER_FAULT => {
            let why = ctx.helper_fault;
            ctx.helper_fault = 0;
            let (access, misaligned) = match why {
                w if w == HelperFault::Read as u64 => (FaultAccess::Read, false),
                w if w == HelperFault::MisalignedRead as u64 => (FaultAccess::Read, true),
                w if w == HelperFault::MisalignedWrite as u64 => (FaultAccess::Write, true),
                _ => (FaultAccess::Write, false),
            };
            Exit::MemFault {
                addr: ctx.fault_addr,
                access,
                misaligned,
            }
        }
        // EXIT_ILLEGAL_RM (and nothing else is produced).
        _ => Exit::Illegal {
            raw: raw_insn(mem, cpu.pc),
        },
    }
}

impl Engine for JitEngine {
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit {
        let start_instret = cpu.instret;
        let mut ctx = JitCtx::new(mem);
        let exit = loop {
            let pc = cpu.pc;
            let idx = match self.cache.lookup(pc) {
                Some(i) => i,
                None => match self.translate(pc, mem) {
                    Ok(i) => i,
                    Err(e) => break e,
                },
            };
            self.stats.blocks_executed += 1;
            if self.config.engine.trace {
                eprintln!("vm: trace: block {pc:#x}");
            }
            let code = match self.cache.get(idx) {
                // SAFETY: `f` was compiled for the `BlockFn` contract: it
                // reads and writes only `*cpu`, `ctx`, guest memory through
                // checked accesses inside the arena of `mem` (which `ctx`
                // describes and which outlives the call), and the helpers.
                // `cpu` is exclusively borrowed for the call.
                Translation::Compiled(f) => unsafe { f(cpu, &mut ctx) },
                Translation::Interpreted => match self.fallback.run(cpu, mem, 0) {
                    Exit::Budget => abi::EXIT_NEXT,
                    e => break e,
                },
            };
            if code != abi::EXIT_NEXT {
                break exit_of(code, &mut ctx, cpu, mem);
            }
            if cpu.instret - start_instret >= budget {
                break Exit::Budget;
            }
        };
        self.stats.insns += cpu.instret - start_instret;
        exit
    }

    fn invalidate(&mut self, start: u64, end: u64) {
        self.cache.invalidate(start, end);
        self.fallback.invalidate(start, end);
    }

    fn stats(&self) -> EngineStats {
        self.stats.clone()
    }

    fn name(&self) -> &'static str {
        "jit"
    }
}

#[cfg(test)]
mod tests;
