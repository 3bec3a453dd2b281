//! Helpers shared by the JIT's integration tests and benchmarks: RISC-V
//! instruction encoders (the tests write their guest programs as words,
//! independently of the frontend's decoder) and the guest memory those
//! programs run in. Tests include it with `mod support;`, benchmarks with
//! `#[path = "../tests/support/mod.rs"] mod support;`.
//!
//! Each includer uses only part of it, hence the `dead_code` allowance.

#![allow(dead_code, reason = "each test or bench crate uses a different part")]

use vm_core::{CpuState, Exit};
use vm_engine::Engine;
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

/// Guest page size.
const PAGE: u64 = 4096;

/// An R-type instruction: `funct7 rs2 rs1 funct3 rd opcode`.
pub fn r_type(f7: u32, rs2: u32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    f7 << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

/// An I-type instruction (12-bit immediate `imm`).
pub fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

/// A store (S-type, opcode STORE) of `rs2` at `imm(rs1)`.
pub fn s_type(imm: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let i = imm as u32;
    ((i >> 5) & 0x7f) << 25 | rs2 << 20 | rs1 << 15 | f3 << 12 | (i & 0x1f) << 7 | 0x23
}

/// A conditional branch (B-type, opcode BRANCH) by `off` bytes.
pub fn b_type(off: i32, rs2: u32, rs1: u32, f3: u32) -> u32 {
    let i = off as u32;
    ((i >> 12) & 1) << 31
        | ((i >> 5) & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | f3 << 12
        | ((i >> 1) & 0xf) << 8
        | ((i >> 11) & 1) << 7
        | 0x63
}

/// `jal rd, off` (J-type).
pub fn j_type(off: i32, rd: u32) -> u32 {
    let i = off as u32;
    ((i >> 20) & 1) << 31
        | ((i >> 1) & 0x3ff) << 21
        | ((i >> 11) & 1) << 20
        | ((i >> 12) & 0xff) << 12
        | rd << 7
        | 0x6f
}

/// Maps `len` bytes (rounded up to whole pages) at the fixed address
/// `addr`, anonymous, with `perm`.
pub fn map_fixed(mem: &GuestMemory, addr: u64, len: u64, perm: Perm, name: &str) {
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    let len = len.div_ceil(PAGE) * PAGE;
    mem.map(addr, len, perm, fixed, Backing::Anonymous, name)
        .unwrap_or_else(|e| panic!("map {name} at {addr:#x}: {e:?}"));
}

/// Writes the instruction words `code` at `addr`, whatever the page's
/// permissions.
pub fn write_code(mem: &GuestMemory, addr: u64, code: &[u32]) {
    let bytes: Vec<u8> = code.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(addr, &bytes)
        .unwrap_or_else(|e| panic!("write code at {addr:#x}: {e:?}"));
}

/// A fresh guest memory with `code` in read-execute pages at `addr`.
pub fn memory_with_code(addr: u64, code: &[u32]) -> GuestMemory {
    let mem = GuestMemory::new().expect("guest arena");
    map_fixed(&mem, addr, code.len() as u64 * 4, Perm::RX, "code");
    write_code(&mem, addr, code);
    mem
}

/// A zeroed CPU about to run the instruction at `pc`.
pub fn cpu_at(pc: u64) -> CpuState {
    CpuState {
        pc,
        ..CpuState::default()
    }
}

/// Runs `engine` on `cpu` to its first exit (at most `budget`
/// instructions); returns the exit, the CPU and the `len` bytes of guest
/// memory at `scratch`.
pub fn run_and_read(
    engine: &mut dyn Engine,
    mut cpu: CpuState,
    mem: &GuestMemory,
    budget: u64,
    (scratch, len): (u64, u64),
) -> (Exit, CpuState, Vec<u8>) {
    let exit = engine.run(&mut cpu, mem, budget);
    let mut out = vec![0u8; len as usize];
    mem.read_bytes(scratch, &mut out).expect("read scratch");
    (exit, cpu, out)
}
