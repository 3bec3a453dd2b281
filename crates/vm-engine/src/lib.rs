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
