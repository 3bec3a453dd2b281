//! The contract between compiled blocks and the dispatcher: the compiled
//! function's signature, the context it reads, and how it says why it
//! returned.
//!
//! A compiled block is `extern "C" fn(cpu, ctx) -> u64`. Before returning it
//! has already written back every guest register it changed, set `cpu.pc`
//! and added the retired instructions to `cpu.instret`, exactly as the
//! interpreter leaves them; the return value only says what happened, so the
//! dispatcher's common path (`EXIT_NEXT`) is one compare.

use std::mem::offset_of;
use vm_core::CpuState;
use vm_mem::GuestMemory;

/// A compiled block.
pub type BlockFn = unsafe extern "C" fn(cpu: *mut CpuState, ctx: *mut JitCtx) -> u64;

/// What compiled code needs besides the CPU state, and where it leaves the
/// details of a fault. Built once per `run`.
#[repr(C)]
pub struct JitCtx {
    /// Host address of guest address 0 (`GuestMemory::base`).
    pub mem_base: *mut u8,
    /// The permission table (`GuestMemory::perm_table`).
    pub perm_table: *const u8,
    /// The guest memory, for helpers (atomics).
    pub mem: *const GuestMemory,
    /// Guest address of a failed access (set by compiled code or a helper).
    pub fault_addr: u64,
    /// Set nonzero by a helper that failed; see [`HelperFault`].
    pub helper_fault: u64,
}

impl JitCtx {
    /// A context for running compiled code against `mem`.
    pub fn new(mem: &GuestMemory) -> JitCtx {
        JitCtx {
            mem_base: mem.base(),
            perm_table: mem.perm_table(),
            mem,
            fault_addr: 0,
            helper_fault: 0,
        }
    }
}

/// How a helper failed (the value of [`JitCtx::helper_fault`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u64)]
pub enum HelperFault {
    /// Not permitted, on the read side of an access.
    Read = 1,
    /// Not permitted, on the write side.
    Write = 2,
    /// Misaligned atomic, read side (LR).
    MisalignedRead = 3,
    /// Misaligned atomic, write side (AMO, SC).
    MisalignedWrite = 4,
}

/// Continue at `cpu.pc`.
pub const EXIT_NEXT: u64 = 0;
/// `ecall` at `cpu.pc`.
pub const EXIT_SYSCALL: u64 = 1;
/// `ebreak` at `cpu.pc`.
pub const EXIT_BREAKPOINT: u64 = 2;
/// Illegal instruction at `cpu.pc`; its raw bits are in the high 32 bits.
pub const EXIT_ILLEGAL: u64 = 3;
/// `fence.i` retired; `cpu.pc` is the next instruction.
pub const EXIT_FENCE_I: u64 = 4;
/// A load at `cpu.pc` failed its check; access size in bits 8..16, address
/// in [`JitCtx::fault_addr`].
pub const EXIT_LOAD_FAULT: u64 = 5;
/// As [`EXIT_LOAD_FAULT`] for a store.
pub const EXIT_STORE_FAULT: u64 = 6;
/// A helper failed ([`JitCtx::helper_fault`], [`JitCtx::fault_addr`]).
pub const EXIT_HELPER_FAULT: u64 = 7;
/// A dynamic rounding mode met a reserved `frm` at `cpu.pc`.
pub const EXIT_ILLEGAL_RM: u64 = 8;

/// Byte offset of integer register `r` in [`CpuState`].
pub fn x_offset(r: u8) -> i32 {
    (offset_of!(CpuState, x) + 8 * r as usize) as i32
}

/// Byte offset of FP register `r` in [`CpuState`].
pub fn f_offset(r: u8) -> i32 {
    (offset_of!(CpuState, f) + 8 * r as usize) as i32
}

/// Offsets of the scalar [`CpuState`] fields compiled code touches.
pub const PC: i32 = offset_of!(CpuState, pc) as i32;
/// See [`PC`].
pub const FFLAGS: i32 = offset_of!(CpuState, fflags) as i32;
/// See [`PC`].
pub const FRM: i32 = offset_of!(CpuState, frm) as i32;
/// See [`PC`].
pub const INSTRET: i32 = offset_of!(CpuState, instret) as i32;

/// Offsets of [`JitCtx`] fields.
pub const CTX_MEM_BASE: i32 = offset_of!(JitCtx, mem_base) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_PERM_TABLE: i32 = offset_of!(JitCtx, perm_table) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_FAULT_ADDR: i32 = offset_of!(JitCtx, fault_addr) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_HELPER_FAULT: i32 = offset_of!(JitCtx, helper_fault) as i32;
