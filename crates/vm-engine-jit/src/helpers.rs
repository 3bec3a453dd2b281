//! Rust functions compiled code calls for the operations not worth inlining
//! in the baseline tier: floating point (exact RISC-V semantics live in
//! `vm_core::fpu`), atomics and LR/SC (through `vm_mem`'s checked atomic
//! views), and the `time` CSR.
//!
//! Operation kinds are passed as one packed `u32` of indices into the IR
//! enums' `ALL` tables (see [`pack`]), so one helper serves a whole family.
//! A packed value compiled code passes always decodes; should one not, the
//! helper returns 0 rather than panic across the `extern "C"` boundary.

use crate::abi::{HelperFault, JitCtx};
use std::sync::atomic::Ordering::SeqCst;
use vm_core::{CpuState, fpu};
use vm_ir::{AmoOp, AtomicWidth, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};
use vm_mem::{GuestMemory, MemFault};

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

/// The `time` CSR: host monotonic time at 10 MHz, the timebase of common
/// RISC-V Linux platforms (as the interpreter reports it).
pub(crate) extern "C" fn time() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid, local timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 10_000_000 + ts.tv_nsec as u64 / 100
}

/// Record a failed helper access in `ctx`; compiled code then exits.
fn fail(ctx: &mut JitCtx, addr: u64, why: HelperFault) -> u64 {
    ctx.fault_addr = addr;
    ctx.helper_fault = why as u64;
    0
}

fn mem_fail(ctx: &mut JitCtx, f: MemFault, why: HelperFault) -> u64 {
    fail(ctx, f.addr, why)
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
    match w {
        AtomicWidth::W => {
            let a = match mem.atomic_u32(addr) {
                Ok(Some(a)) => a,
                Ok(None) => return fail(ctx, addr, HelperFault::MisalignedWrite),
                Err(f) => return mem_fail(ctx, f, HelperFault::Write),
            };
            let v = v as u32;
            let old = match op {
                AmoOp::Swap => a.swap(v, SeqCst),
                AmoOp::Add => a.fetch_add(v, SeqCst),
                AmoOp::Xor => a.fetch_xor(v, SeqCst),
                AmoOp::And => a.fetch_and(v, SeqCst),
                AmoOp::Or => a.fetch_or(v, SeqCst),
                AmoOp::MinU => a.fetch_min(v, SeqCst),
                AmoOp::MaxU => a.fetch_max(v, SeqCst),
                AmoOp::Min => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i32).min(v as i32) as u32))
                    .unwrap_or_else(|o| o),
                AmoOp::Max => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i32).max(v as i32) as u32))
                    .unwrap_or_else(|o| o),
            };
            old as i32 as i64 as u64
        }
        AtomicWidth::D => {
            let a = match mem.atomic_u64(addr) {
                Ok(Some(a)) => a,
                Ok(None) => return fail(ctx, addr, HelperFault::MisalignedWrite),
                Err(f) => return mem_fail(ctx, f, HelperFault::Write),
            };
            match op {
                AmoOp::Swap => a.swap(v, SeqCst),
                AmoOp::Add => a.fetch_add(v, SeqCst),
                AmoOp::Xor => a.fetch_xor(v, SeqCst),
                AmoOp::And => a.fetch_and(v, SeqCst),
                AmoOp::Or => a.fetch_or(v, SeqCst),
                AmoOp::MinU => a.fetch_min(v, SeqCst),
                AmoOp::MaxU => a.fetch_max(v, SeqCst),
                AmoOp::Min => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i64).min(v as i64) as u64))
                    .unwrap_or_else(|o| o),
                AmoOp::Max => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i64).max(v as i64) as u64))
                    .unwrap_or_else(|o| o),
            }
        }
    }
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
    let v = match field(AtomicWidth::ALL, width, 0) {
        Some(AtomicWidth::W) => match mem.atomic_u32(addr) {
            Ok(Some(a)) => a.load(SeqCst) as i32 as i64 as u64,
            Ok(None) => return fail(ctx, addr, HelperFault::MisalignedRead),
            Err(f) => return mem_fail(ctx, f, HelperFault::Read),
        },
        Some(AtomicWidth::D) => match mem.atomic_u64(addr) {
            Ok(Some(a)) => a.load(SeqCst),
            Ok(None) => return fail(ctx, addr, HelperFault::MisalignedRead),
            Err(f) => return mem_fail(ctx, f, HelperFault::Read),
        },
        None => return 0,
    };
    cpu.res_addr = addr;
    cpu.res_value = v;
    v
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
    let reserved = cpu.res_addr == addr;
    let expected = cpu.res_value;
    cpu.res_addr = vm_core::cpu::NO_RESERVATION;
    let ok = match field(AtomicWidth::ALL, width, 0) {
        Some(AtomicWidth::W) => match mem.atomic_u32(addr) {
            Ok(Some(a)) => {
                reserved
                    && a.compare_exchange(expected as u32, v as u32, SeqCst, SeqCst)
                        .is_ok()
            }
            Ok(None) => return fail(ctx, addr, HelperFault::MisalignedWrite),
            Err(f) => return mem_fail(ctx, f, HelperFault::Write),
        },
        Some(AtomicWidth::D) => match mem.atomic_u64(addr) {
            Ok(Some(a)) => reserved && a.compare_exchange(expected, v, SeqCst, SeqCst).is_ok(),
            Ok(None) => return fail(ctx, addr, HelperFault::MisalignedWrite),
            Err(f) => return mem_fail(ctx, f, HelperFault::Write),
        },
        None => return 0,
    };
    if ok { 0 } else { 1 }
}
