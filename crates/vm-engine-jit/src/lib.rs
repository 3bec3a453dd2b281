//! The Cranelift JIT tiers: `jit` compiles every block before it first runs
//! and recompiles blocks entered [`DEFAULT_REGION_THRESHOLD`] times as
//! regions; `tiered` interprets blocks (tier 0, `vm_engine`'s interpreter,
//! block by block) and compiles a region headed by each block that ran
//! more than a threshold of times.
//!
//! Why regions: the interpreter spends most of its time on dispatch and on
//! moving values through its slot file; compiling one guest block at a
//! time still stores registers and `instret` at every block boundary. A
//! region (see `region`) is a hot block plus the blocks it reaches by
//! jumps, branches and calls/returns that have already run, compiled as
//! one function: registers stay in host registers across its blocks, loops
//! are host loops, and each boundary costs an add, a compare against the
//! budget and a jump. Regions chain to each other by tail calls through
//! link slots, inline caches and a jump cache (see [`abi`]), passing a
//! check point (`instret` against a limit) at every block boundary so
//! budgets stay exact.
//!
//! Pieces: [`abi`] (the compiled code's contract), `region` (which blocks
//! compile together), `lower` (IR → Cranelift), `lower_fp` (FP operations: inline host
//! fast paths guarded by exactness conditions), `helpers` (FP, atomics,
//! `time`), `compiler` (ISA, entry trampoline, exit stub), `code_memory`
//! (executable memory), `code_cache` (entries, tiers, link records),
//! `shared` (the process-wide cache, compiling, linking, invalidation and
//! safe reclamation), `worker` (background compiles), `local` (a thread's
//! front table), `engine` ([`JitEngine`]: a thread's dispatcher, tier-up,
//! region upgrades), `exits`. Guest-visible results are identical to
//! `vm_engine::Interpreter`'s: same registers, memory, `instret`, CSR values
//! and `Exit`s, including the precise state at faults (budget exits fall on
//! block boundaries, as in the interpreter run block by block).
//!
//! All guest threads of a process share one translation cache
//! ([`SharedJit`], see `shared`): a block translated or compiled by one
//! thread runs in every thread. Each thread's [`JitEngine`] keeps only
//! its CPU-side state and a front table. In tiered mode regions can be
//! compiled by a background worker (`worker`) while the threads keep
//! interpreting ([`JitConfig::background`]).
//!
//! Not yet: freeing the code of single invalidated or replaced
//! translations (their memory is reclaimed by the next whole flush, when
//! code memory fills up).

pub mod abi;
mod baseline;
mod code_cache;
mod code_memory;
mod compiler;
mod engine;
mod exits;
mod helpers;
mod hostfault;
mod local;
mod lower;
mod lower_fp;
mod region;
mod shared;
mod sites;
mod worker;

pub use code_cache::Tier;
pub use compiler::JitError;
pub use engine::{BlockInfo, JitEngine};
pub use shared::SharedJit;
use vm_engine::EngineConfig;

/// Longest block, in guest instructions (as the interpreter's).
pub const BLOCK_INSNS_MAX: usize = vm_engine::interp::BLOCK_INSNS_MAX;

/// Default number of interpreted executions after which `tiered` compiles a
/// block. Measured (wall time, demo programs and an integer loop) at 50,
/// 200 and 1000: 1000 was best or tied on four of five, since a baseline
/// compile (~250 µs) costs about as much as a thousand interpreted runs
/// of a typical block. (Measured before write-through register state and
/// single_pass baseline compiles roughly halved compile time.)
pub const DEFAULT_THRESHOLD: u64 = 1000;

/// Default number of entries after which `jit` recompiles a compiled
/// block as the head of a region.
pub const DEFAULT_REGION_THRESHOLD: u64 = 1000;

/// When blocks are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Before their first execution.
    Jit,
    /// After `threshold` interpreted executions.
    Tiered {
        /// Interpreted executions before compiling.
        threshold: u64,
    },
}

/// JIT settings.
#[derive(Clone, Debug)]
pub struct JitConfig {
    /// Options shared by every engine.
    pub engine: EngineConfig,
    /// When blocks are compiled.
    pub mode: Mode,
    /// `jit` mode: entries of a compiled block after which it is compiled
    /// again as the head of a region (0: never). `tiered` compiles regions
    /// straight away at its threshold.
    pub region_threshold: u64,
    /// Cranelift optimisation level: `none`, `speed` or `speed_and_size`.
    pub opt_level: &'static str,
    /// Cranelift register allocator for regions (several guest blocks):
    /// `backtracking` or `single_pass` (measured: single_pass compiles
    /// ~20% faster but its code is twice as large and ran an integer loop
    /// ~1.8x slower).
    pub regalloc: &'static str,
    /// Cranelift register allocator for single-block compiles (the
    /// baseline tier of `jit` mode, replaced by a region once hot):
    /// `single_pass` or `backtracking`.
    pub baseline_regalloc: &'static str,
    /// Compile single baseline blocks with the direct x86-64 emitter
    /// (`baseline`) where it supports every operation, else with
    /// Cranelift. Off: always Cranelift (for tests and measurements).
    pub baseline_emitter: bool,
    /// Chain compiled blocks (off: every block returns to the dispatcher;
    /// for tests and measurements).
    pub link: bool,
    /// Code memory size; when full, every translation is dropped.
    pub code_bytes_max: usize,
    /// `tiered` mode: compile on the background worker while the block
    /// keeps being interpreted (off: compile in the dispatcher before the
    /// block runs again, as `jit` mode always does; deterministic compile
    /// points, for debugging and the differential tests). Guest-visible
    /// results are the same either way.
    pub background: bool,
}

impl Default for JitConfig {
    fn default() -> Self {
        JitConfig {
            engine: EngineConfig::default(),
            mode: Mode::Jit,
            region_threshold: DEFAULT_REGION_THRESHOLD,
            // Measured on an integer loop: "none" compiles ~1.5x faster
            // and its code ran faster than "speed"'s.
            opt_level: "none",
            regalloc: "backtracking",
            // Measured (4-instruction block, CPU time): ~25% less compile
            // time than backtracking; the code runs only until the block
            // is hot enough for a region.
            baseline_regalloc: "single_pass",
            baseline_emitter: true,
            link: true,
            code_bytes_max: 64 << 20,
            background: false,
        }
    }
}

impl JitEngine {
    /// The `jit` engine with default settings.
    pub fn new(config: EngineConfig) -> Result<JitEngine, JitError> {
        Self::with_config(JitConfig {
            engine: config,
            ..JitConfig::default()
        })
    }

    /// The `tiered` engine, compiling after `threshold` executions.
    pub fn tiered(config: EngineConfig, threshold: u64) -> Result<JitEngine, JitError> {
        Self::with_config(JitConfig {
            engine: config,
            mode: Mode::Tiered { threshold },
            ..JitConfig::default()
        })
    }
}

#[cfg(test)]
mod tests;
