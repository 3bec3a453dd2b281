//! Guest operations that every engine performs the same way through the
//! runtime rather than inline: atomics (AMOs, LR/SC) on the shared arena, CSR
//! reads and writes. The interpreter calls these directly and the JIT calls
//! them from its helpers, so both tiers share one implementation.

use std::sync::atomic::Ordering::SeqCst;
use vm_core::CpuState;
use vm_ir::{AmoOp, AtomicWidth, Csr};
use vm_mem::{GuestMemory, MemFault};

/// Why an atomic access failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AtomicFault {
    /// The page is not readable and writable (or unmapped).
    Fault(MemFault),
    /// The address is not naturally aligned (Linux: SIGBUS).
    Misaligned,
}

fn word32(mem: &GuestMemory, addr: u64) -> Result<&std::sync::atomic::AtomicU32, AtomicFault> {
    mem.atomic_u32(addr)
        .map_err(AtomicFault::Fault)?
        .ok_or(AtomicFault::Misaligned)
}

fn word64(mem: &GuestMemory, addr: u64) -> Result<&std::sync::atomic::AtomicU64, AtomicFault> {
    mem.atomic_u64(addr)
        .map_err(AtomicFault::Fault)?
        .ok_or(AtomicFault::Misaligned)
}

/// The `time` CSR: a 10 MHz monotonic clock, the timebase of common RISC-V
/// Linux platforms.
pub fn host_time_ticks() -> u64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes into the valid, local timespec.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut ts) };
    ts.tv_sec as u64 * 10_000_000 + ts.tv_nsec as u64 / 100
}

/// An AMO: atomically combine `v` into memory and return the old value
/// (sign-extended for 32-bit).
pub fn amo(
    mem: &GuestMemory,
    op: AmoOp,
    w: AtomicWidth,
    addr: u64,
    v: u64,
) -> Result<u64, AtomicFault> {
    match w {
        AtomicWidth::W => {
            let a = word32(mem, addr)?;
            let v32 = v as u32;
            let old = match op {
                AmoOp::Swap => a.swap(v32, SeqCst),
                AmoOp::Add => a.fetch_add(v32, SeqCst),
                AmoOp::Xor => a.fetch_xor(v32, SeqCst),
                AmoOp::And => a.fetch_and(v32, SeqCst),
                AmoOp::Or => a.fetch_or(v32, SeqCst),
                AmoOp::MinU => a.fetch_min(v32, SeqCst),
                AmoOp::MaxU => a.fetch_max(v32, SeqCst),
                AmoOp::Min => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i32).min(v32 as i32) as u32))
                    .unwrap_or_else(|o| o),
                AmoOp::Max => a
                    .fetch_update(SeqCst, SeqCst, |o| Some((o as i32).max(v32 as i32) as u32))
                    .unwrap_or_else(|o| o),
            };
            Ok(old as i32 as i64 as u64)
        }
        AtomicWidth::D => {
            let a = word64(mem, addr)?;
            Ok(match op {
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
            })
        }
    }
}

/// LR: load and remember the address and value. SC later succeeds only if
/// memory still holds that value (the value-compare scheme QEMU uses).
pub fn load_reserved(
    mem: &GuestMemory,
    cpu: &mut CpuState,
    w: AtomicWidth,
    addr: u64,
) -> Result<u64, AtomicFault> {
    let v = match w {
        AtomicWidth::W => word32(mem, addr)?.load(SeqCst) as i32 as i64 as u64,
        AtomicWidth::D => word64(mem, addr)?.load(SeqCst),
    };
    cpu.res_addr = addr;
    cpu.res_value = v;
    Ok(v)
}

/// SC: store if the reservation holds; 0 on success, 1 on failure. Always
/// clears the reservation.
pub fn store_conditional(
    mem: &GuestMemory,
    cpu: &mut CpuState,
    w: AtomicWidth,
    addr: u64,
    v: u64,
) -> Result<u64, AtomicFault> {
    let reserved = cpu.res_addr == addr;
    let expected = cpu.res_value;
    cpu.res_addr = vm_core::cpu::NO_RESERVATION;
    let ok = match w {
        AtomicWidth::W => {
            let a = word32(mem, addr)?;
            reserved
                && a.compare_exchange(expected as u32, v as u32, SeqCst, SeqCst)
                    .is_ok()
        }
        AtomicWidth::D => {
            let a = word64(mem, addr)?;
            reserved && a.compare_exchange(expected, v, SeqCst, SeqCst).is_ok()
        }
    };
    Ok(if ok { 0 } else { 1 })
}

/// Read a CSR. `insn` is the index of the reading instruction in its block
/// (`cpu.instret` counts up to the block's start).
pub fn csr_read(csr: Csr, cpu: &CpuState, insn: u64) -> u64 {
    match csr {
        Csr::Fflags => cpu.fflags,
        Csr::Frm => cpu.frm,
        Csr::Fcsr => cpu.fcsr(),
        Csr::Instret | Csr::Cycle => cpu.instret + insn,
        Csr::Time => host_time_ticks(),
    }
}

/// Write a CSR (only the defined bits are kept).
pub fn csr_write(csr: Csr, cpu: &mut CpuState, v: u64) {
    match csr {
        Csr::Fflags => cpu.fflags = v & 0x1f,
        Csr::Frm => cpu.frm = v & 0x7,
        Csr::Fcsr => cpu.set_fcsr(v),
        // Lowering never writes read-only CSRs.
        Csr::Instret | Csr::Cycle | Csr::Time => {}
    }
}
