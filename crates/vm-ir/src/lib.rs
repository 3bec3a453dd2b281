//! The VM's intermediate representation: one guest basic block as a list of
//! simple operations over 64-bit values, ending in one terminator.
//!
//! Why an IR: every guest instruction's semantics is written once, as its
//! lowering to these operations (in `vm-frontend`). The interpreter and every
//! JIT tier implement this small, closed set of operations, never guest
//! instructions, so a second guest ISA is a second frontend and
//! interpreter-vs-JIT differential testing compares two implementations of the
//! same few dozen operations.
//!
//! Shape of the IR:
//! - **Globals** ([`Global`]) are the guest's architectural registers. They are
//!   read with `get` and written with `set`; a backend may keep them in host
//!   registers inside a block and write them back at exits.
//! - **Values** ([`Value`], printed `v7`) are block-local SSA temporaries. Every
//!   value is 64 bits wide; operations say how they read it (e.g. `addw` uses the
//!   low 32 bits and sign-extends its result). Floating-point values are their
//!   IEEE bit patterns; single-precision values are NaN-boxed in 64 bits exactly
//!   as in RISC-V `f` registers.
//! - **Instructions** ([`Inst`]) define at most one value each.
//! - A **terminator** ([`Terminator`]) ends the block: a direct jump, a
//!   conditional branch, an indirect jump, or an exit to the runtime.
//! - Guest instruction boundaries are recorded in [`Block::insn_starts`] so a
//!   fault inside the block can be reported at the exact guest PC.
//!
//! See [`verify()`] for the invariants every block satisfies.

mod block;
mod builder;
mod eval;
mod ops;
pub mod opt;
mod parse;
mod print;
mod verify;

pub use block::{Block, InsnStart};
pub use builder::Builder;
pub use eval::{eval_binop, eval_unop};
pub use ops::*;
pub use opt::optimize;
pub use parse::{ParseError, parse_block};
pub use verify::{VerifyError, verify};
