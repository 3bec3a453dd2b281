//! The Linux user-mode personality: load a RISC-V ELF program, build the
//! initial stack the kernel would build, emulate Linux system calls on the
//! host, and run the guest to completion with an [`vm_engine::Engine`].
//!
//! The runtime loop ([`runtime::run`]) is the only place that knows both the
//! engine and Linux: engines report exits as data ([`vm_core::Exit`]), and this
//! crate turns them into system calls or signals, as QEMU's `cpu_loop` does.

pub mod elf;
pub mod loader;
pub mod stack;
