//! Differential testing of the VM's engines: a random RISC-V program
//! generator, an in-process runner that executes each program under every
//! engine and compares the architectural outcome, a shrinker for divergent
//! programs, saved reproducers, and the comparison against qemu through
//! small ELF files.
//!
//! Why: the interpreter and the JIT tiers must be indistinguishable to the
//! guest (same registers, memory, flags and exits). Hand-written tests cover
//! the cases someone thought of; random programs built from every supported
//! instruction, with special FP values and odd addresses, cover the rest.
//! The generator is kept apart from the oracles (engines compared with each
//! other, and with qemu), and every program is reproducible from its seed.
//!
//! - [`rng`]: the seeded random source; [`encode`]: an instruction encoder
//!   written from the specification; [`asm`]: items with labels → words.
//! - [`gen`]: the program generator; [`layout`]: addresses and the data
//!   region's layout.
//! - [`runner`]: running one program under each engine and comparing;
//!   [`shrink`]: minimising a divergent program; [`repro`]: reproducer files.
//! - [`elf`]: a minimal static ELF writer; [`qemu`]: the qemu comparison.

pub mod asm;
pub mod campaign;
pub mod elf;
pub mod encode;
pub mod r#gen;
pub mod layout;
pub mod qemu;
pub mod repro;
pub mod rng;
pub mod runner;
pub mod shrink;

pub use r#gen::{Ending, GenConfig, Program, generate};
