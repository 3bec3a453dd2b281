//! Execution engines and what they share: the [`Engine`] trait the runtime's
//! dispatcher loop calls, the IR interpreter (tier 0), and the per-block
//! statistics that tiering policies read.
//!
//! Engines execute guest code until something needs the runtime (a system
//! call, a fault, an exhausted budget) and report it as an [`vm_core::Exit`];
//! they know nothing of Linux.

pub mod cache;
pub mod guest_ops;
pub mod interp;
mod trace;

pub use interp::Interpreter;
use vm_core::{CpuState, Exit};
use vm_mem::GuestMemory;

/// Counters an engine keeps for `--stats`.
#[derive(Clone, Debug, Default)]
pub struct EngineStats {
    /// Guest instructions executed.
    pub insns: u64,
    /// Blocks executed (block entries).
    pub blocks_executed: u64,
    /// Distinct blocks translated.
    pub blocks_translated: u64,
    /// Blocks compiled to host code (JIT tiers).
    pub blocks_compiled: u64,
    /// Blocks the JIT could not compile (run by the interpreter instead).
    pub compile_failures: u64,
    /// Total time spent compiling, in nanoseconds.
    pub compile_time_ns: u64,
    /// Longest single block compile, in nanoseconds.
    pub compile_time_max_ns: u64,
    /// Of `blocks_compiled`, the baseline tier's (single blocks compiled
    /// before they are hot, `jit` mode).
    pub baseline_compiled: u64,
    /// Of those, the ones the direct emitter made (the rest: Cranelift).
    pub baseline_direct: u64,
    /// Time spent on baseline compiles, in nanoseconds.
    pub baseline_time_ns: u64,
    /// Bytes of host code of the live translations.
    pub code_bytes: u64,
    /// Whole code-cache flushes (code memory full).
    pub code_flushes: u64,
    /// Dispatcher lookups that found a translation.
    pub cache_hits: u64,
    /// Dispatcher lookups that had to translate.
    pub cache_misses: u64,
    /// Indirect jumps in compiled code that consulted an inline cache.
    pub ic_lookups: u64,
    /// Of those, the ones that missed (went to the dispatcher).
    pub ic_misses: u64,
    /// Guest instructions retired by interpreted blocks (tiered engines).
    pub insns_interp: u64,
    /// Guest instructions retired by compiled code.
    pub insns_compiled: u64,
    /// Of those, the ones retired by optimized region code (the rest by
    /// baseline code).
    pub insns_region: u64,
}

/// Options every engine understands.
#[derive(Clone, Debug, Default)]
pub struct EngineConfig {
    /// Print each executed block with its disassembly to stderr (`--trace`).
    pub trace: bool,
}

/// Something that runs guest code.
pub trait Engine: Send {
    /// Run from `cpu.pc` until an exit. At most about `budget` guest
    /// instructions are executed before returning [`Exit::Budget`].
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit;

    /// Forget every translation of guest code overlapping `[start, end)`
    /// (fence.i, munmap/mprotect of executable pages, riscv_flush_icache).
    fn invalidate(&mut self, start: u64, end: u64);

    /// Counters so far.
    fn stats(&self) -> EngineStats;

    /// The engine's name, as given to `--engine`.
    fn name(&self) -> &'static str;
}
