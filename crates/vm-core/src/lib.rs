//! State and vocabulary shared by every execution engine and the runtime:
//! the guest CPU state, why an engine stopped ([`Exit`]), and the exact
//! RISC-V floating-point semantics ([`fpu`]) that every tier must reproduce.
//!
//! Engines know nothing of Linux; the runtime knows nothing of how an engine
//! executes. They meet here.

pub mod cpu;
pub mod exit;
pub mod fpu;

pub use cpu::CpuState;
pub use exit::{Exit, FaultAccess};
