//! Rust functions compiled code calls for the operations not worth inlining
//! in the baseline tier: floating point (exact RISC-V semantics live in
//! `vm_core::fpu`), atomics and LR/SC and the `time` CSR (shared with the
//! interpreter in `vm_engine::guest_ops`).
//!
//! Operation kinds are passed as one packed `u32` of indices into the IR
//! enums' `ALL` tables (see [`pack`]), so one helper serves a whole family.
//! A packed value compiled code passes always decodes; should one not, the
//! helper returns 0 rather than panic across the `extern "C"` boundary.

use crate::abi::{HelperFault, JitCtx};
use vm_core::{CpuState, fpu};
use vm_engine::guest_ops::{self, AtomicFault};
use vm_ir::{AmoOp, AtomicWidth, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};
use vm_mem::GuestMemory;

/// Pack three enum indices (each < 256) into one helper argument.
pub(crate) fn pack(a: usize, b: usize, c: usize) -> u32 {
    (a as u32) | (b as u32) << 8 | (c as u32) << 16
}

/// Index of `v` in `all`.
pub(crate) fn index_of<T: PartialEq>(all: &[T], v: &T) -> usize {
    all.iter().position(|x| x == v).unwrap_or(0)
}

fn field<T: Copy>(all: &[T], packed: u32, n: u32) -> Option<T> {
    all.get(((packed >> (8 * n)) & 0xff) as usize).copied()
}

/// The rounding mode to use: `Dyn` resolves through `frm`. Compiled code
/// checks `frm` before calling, so `None` does not happen in practice.
fn rm(cpu: &CpuState, packed: u32) -> Option<RoundMode> {
    fpu::resolve_rm(field(RoundMode::ALL, packed, 2)?, cpu.frm)
}

/// `fbinary`; `packed` = (op, fmt, rm).
///
/// # Safety
/// `cpu` points to a live `CpuState` not otherwise borrowed during the call.
pub(crate) unsafe extern "C" fn fbinary(cpu: *mut CpuState, packed: u32, a: u64, b: u64) -> u64 {
    // SAFETY: caller contract.
    let cpu = unsafe { &mut *cpu };
    let (Some(op), Some(fmt), Some(rm)) = (
        field(FBinOp::ALL, packed, 0),
        field(FpFmt::ALL, packed, 1),
        rm(cpu, packed),
    ) else {
        return 0;
    };
    fpu::fbinary(op, fmt, rm, a, b, &mut cpu.fflags)
}

/// `funary`; `packed` = (op, fmt, rm).
///
/// # Safety
/// As [`fbinary`].
pub(crate) unsafe extern "C" fn funary(cpu: *mut CpuState, packed: u32, a: u64) -> u64 {
    // SAFETY: caller contract.
    let cpu = unsafe { &mut *cpu };
    let (Some(op), Some(fmt), Some(rm)) = (
        field(FUnOp::ALL, packed, 0),
        field(FpFmt::ALL, packed, 1),
        rm(cpu, packed),
    ) else {
        return 0;
    };
    fpu::funary(op, fmt, rm, a, &mut cpu.fflags)
}

/// `fma`; `packed` = (op, fmt, rm).
///
/// # Safety
/// As [`fbinary`].
pub(crate) unsafe extern "C" fn fma(
    cpu: *mut CpuState,
    packed: u32,
    a: u64,
    b: u64,
    c: u64,
) -> u64 {
    // SAFETY: caller contract.
    let cpu = unsafe { &mut *cpu };
    let (Some(op), Some(fmt), Some(rm)) = (
        field(FmaOp::ALL, packed, 0),
        field(FpFmt::ALL, packed, 1),
        rm(cpu, packed),
    ) else {
        return 0;
    };
    fpu::fma(op, fmt, rm, a, b, c, &mut cpu.fflags)
}

/// `fcvt`; `packed` = (to, from, rm).
///
/// # Safety
/// As [`fbinary`].
pub(crate) unsafe extern "C" fn fcvt(cpu: *mut CpuState, packed: u32, a: u64) -> u64 {
    // SAFETY: caller contract.
    let cpu = unsafe { &mut *cpu };
    let (Some(to), Some(from), Some(rm)) = (
        field(CvtTy::ALL, packed, 0),
        field(CvtTy::ALL, packed, 1),
        rm(cpu, packed),
    ) else {
        return 0;
    };
    fpu::fcvt(to, from, rm, a, &mut cpu.fflags)
}

/// The `time` CSR (`vm_engine::guest_ops::host_time_ticks`).
pub(crate) extern "C" fn time() -> u64 {
    guest_ops::host_time_ticks()
}

/// Record a failed helper access in `ctx`; compiled code then exits.
fn fail(ctx: &mut JitCtx, f: AtomicFault, addr: u64, write: bool) -> u64 {
    let (addr, why) = match (f, write) {
        (AtomicFault::Fault(f), false) => (f.addr, HelperFault::Read),
        (AtomicFault::Fault(f), true) => (f.addr, HelperFault::Write),
        (AtomicFault::Misaligned, false) => (addr, HelperFault::MisalignedRead),
        (AtomicFault::Misaligned, true) => (addr, HelperFault::MisalignedWrite),
    };
    ctx.fault_addr = addr;
    ctx.helper_fault = why as u64;
    0
}

/// An AMO; `packed` = (op, width). Returns the old value (sign-extended
/// for `w`), or records a fault in `ctx`.
///
/// # Safety
/// `ctx` points to a live `JitCtx` whose `mem` is a live `GuestMemory`.
pub(crate) unsafe extern "C" fn amo(ctx: *mut JitCtx, packed: u32, addr: u64, v: u64) -> u64 {
    // SAFETY: caller contract.
    let ctx = unsafe { &mut *ctx };
    // SAFETY: caller contract: the memory outlives the run.
    let mem: &GuestMemory = unsafe { &*ctx.mem };
    let (Some(op), Some(w)) = (
        field(AmoOp::ALL, packed, 0),
        field(AtomicWidth::ALL, packed, 1),
    ) else {
        return 0;
    };
    guest_ops::amo(mem, op, w, addr, v).unwrap_or_else(|f| fail(ctx, f, addr, true))
}

/// Load-reserved of `width` (an index into `AtomicWidth::ALL`).
///
/// # Safety
/// As [`amo`], and `cpu` as in [`fbinary`].
pub(crate) unsafe extern "C" fn lr(
    cpu: *mut CpuState,
    ctx: *mut JitCtx,
    width: u32,
    addr: u64,
) -> u64 {
    // SAFETY: caller contract.
    let (cpu, ctx) = unsafe { (&mut *cpu, &mut *ctx) };
    // SAFETY: caller contract: the memory outlives the run.
    let mem: &GuestMemory = unsafe { &*ctx.mem };
    let Some(w) = field(AtomicWidth::ALL, width, 0) else {
        return 0;
    };
    guest_ops::load_reserved(mem, cpu, w, addr).unwrap_or_else(|f| fail(ctx, f, addr, false))
}

/// Store-conditional of `width`: 0 on success, 1 on failure.
///
/// # Safety
/// As [`lr`].
pub(crate) unsafe extern "C" fn sc(
    cpu: *mut CpuState,
    ctx: *mut JitCtx,
    width: u32,
    addr: u64,
    v: u64,
) -> u64 {
    // SAFETY: caller contract.
    let (cpu, ctx) = unsafe { (&mut *cpu, &mut *ctx) };
    // SAFETY: caller contract: the memory outlives the run.
    let mem: &GuestMemory = unsafe { &*ctx.mem };
    let Some(w) = field(AtomicWidth::ALL, width, 0) else {
        return 0;
    };
    guest_ops::store_conditional(mem, cpu, w, addr, v).unwrap_or_else(|f| fail(ctx, f, addr, true))
}
