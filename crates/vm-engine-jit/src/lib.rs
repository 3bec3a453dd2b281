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
/// block's baseline code. A direct-emitter compile (~5 µs) costs about as
/// much as 50 interpreted runs of a typical block saves; measured on
/// zstd, SQLite and Lua, 50 was as fast as 200 or faster, and 1000 (the
/// value from when baseline compiles were Cranelift's, ~250 µs) left a
/// tenth of zstd's instructions in the interpreter.
pub const DEFAULT_THRESHOLD: u64 = 50;

/// Default number of entries of a block's baseline code after which it is
/// compiled again as the head of a region. A region compile (~0.8 ms)
/// pays off only over many runs: on zstd and SQLite (hundreds of warm
/// regions) 1000 spent more in Cranelift than the regions saved (3.1 s and
/// 3.5 s against 1.7 s at 100,000, qemu 1.3 s and 1.6 s); 20,000 was still
/// slower; 50,000 to 100,000 was best, and the kernels' loops reach it
/// in well under a millisecond. Once the baseline's link exits became
/// patched direct jumps (session 6), baseline code gained on regions
/// outside loops: in two alternating 5-run sets, relative to qemu,
/// 200,000 gave zstd 1.06x and 1.09x (50,000: 0.84x, 0.92x; never:
/// 1.02x, 1.01x) and SQLite 0.99x both times (50,000: 0.94x, 0.90x;
/// never: 1.29x, 1.15x), with a third of the region compiles.
pub const DEFAULT_REGION_THRESHOLD: u64 = 200_000;

/// When blocks are compiled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Baseline code before their first execution.
    Jit,
    /// Interpreted first; baseline code after `threshold` interpreted
    /// executions.
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
    /// Entries of a block's baseline code after which it is compiled
    /// again as the head of a region (0: never), in both modes.
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
    /// Compile regions on the background worker while the block's baseline
    /// code keeps running (off: compile in the dispatcher before the block
    /// runs again; deterministic compile points, for debugging and the
    /// differential tests). Guest-visible results are the same either way.
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
mod test_rng;
#[cfg(test)]
mod tests;
