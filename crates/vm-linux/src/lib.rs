//! The Linux user-mode personality: load a RISC-V ELF program, build the
//! initial stack the kernel would build, emulate Linux system calls on the
//! host, and run the guest to completion with an [`vm_engine::Engine`].
//!
//! - [`elf`] validates a file into a load plan, with one typed error per way
//!   it can be malformed; [`loader`] maps it (and its interpreter) into guest
//!   memory; [`stack`] lays out argc/argv/envp/auxv.
//! - [`syscall`] performs system calls, signals, fork/exec and threads;
//!   [`strace`] prints the calls.
//! - [`limits`] holds the process-wide instruction and time limits.
//! - [`runtime`] is the loop that runs the engine and turns its exits into
//!   system calls or signals, as QEMU's `cpu_loop` does. It is the only place
//!   that knows both the engine and Linux: engines report exits as data
//!   ([`vm_core::Exit`]) and know nothing of Linux.

pub mod abi;
pub mod elf;
pub mod limits;
pub mod loader;
pub mod runtime;
pub mod stack;
pub mod strace;
pub mod syscall;
#[cfg(test)]
mod testutil;

pub use elf::{ElfImage, LoadError};
pub use loader::{Args, Loaded, Program, load};
pub use runtime::{GuestEnd, RunLimits, die_by_signal, run};
pub use stack::auxv_at;
pub use syscall::{Linux, LinuxConfig, SyscallOutcome};
