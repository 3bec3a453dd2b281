//! Code compiled for one guest arena: accesses may address it with its
//! base as a displacement (when the arena is low, as the first one of a
//! process is: see `vm_mem::ARENA_LOW_BASE`), so an engine that meets
//! another arena must not run that code against it. One test, in a
//! process of its own, so that the first arena is the low one.

mod support;

use support::{b_type, cpu_at, i_type, map_fixed, memory_with_code, r_type, run_and_read, s_type};
use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{JitConfig, JitEngine, Mode};
use vm_mem::{ARENA_LOW_BASE, GuestMemory, Perm};

const CODE: u64 = 0x10000;
/// RW scratch pages 0x20000..0x22000, then a read-only page.
const SCRATCH: u64 = 0x20000;
const SCRATCH_LEN: u64 = 0x2000;

/// Sum the words at x31, x31+8, ... into x5 (x7 of them), storing each
/// running sum just after its word; then `ecall`.
fn program() -> Vec<u32> {
    vec![
        i_type(0, 31, 2, 6, 0x03),   // lw x6, 0(x31)
        r_type(0, 6, 5, 0, 5, 0x33), // add x5, x5, x6
        s_type(4, 5, 31, 2),         // sw x5, 4(x31)
        i_type(8, 31, 0, 31, 0x13),  // addi x31, x31, 8
        i_type(-1, 7, 0, 7, 0x13),   // addi x7, x7, -1
        b_type(-20, 0, 7, 1),        // bne x7, x0, -20
        0x0000_0073,                 // ecall
    ]
}

/// A memory with the program and scratch words `seed`, `seed + 1`, ...
fn memory(seed: u8) -> GuestMemory {
    let mem = memory_with_code(CODE, &program());
    map_fixed(&mem, SCRATCH, SCRATCH_LEN, Perm::RW, "scratch");
    map_fixed(&mem, SCRATCH + SCRATCH_LEN, 0x1000, Perm::R, "ro");
    let bytes: Vec<u8> = (0..SCRATCH_LEN)
        .map(|i| seed.wrapping_add(i as u8))
        .collect();
    mem.write_bytes(SCRATCH, &bytes).expect("fill scratch");
    mem
}

/// Run `engine` from the program's start with `x7 = n`, `x31 = at`.
fn run(engine: &mut dyn Engine, mem: &GuestMemory, n: u64, at: u64) -> (Exit, CpuState, Vec<u8>) {
    let mut cpu = cpu_at(CODE);
    cpu.x[7] = n;
    cpu.x[31] = at;
    run_and_read(engine, cpu, mem, u64::MAX, (SCRATCH, SCRATCH_LEN))
}

#[test]
fn code_compiled_for_one_arena_never_runs_against_another() {
    let a = memory(1);
    let b = memory(100);
    let (ra, rb) = (memory(1), memory(100));
    assert!(
        [&a, &b, &ra, &rb]
            .iter()
            .any(|m| m.base() as usize == ARENA_LOW_BASE),
        "the first arena of the process is the low one"
    );
    let tiered = JitConfig {
        mode: Mode::Tiered { threshold: 2 },
        background: false,
        ..JitConfig::default()
    };
    for cfg in [JitConfig::default(), tiered] {
        let mut jit = JitEngine::with_config(cfg).expect("host supported");
        let mut interp = Interpreter::new(EngineConfig::default());
        // A loop that ends normally, then one whose stores run into the
        // read-only page (a host fault in compiled code), in `a`, then in
        // `b` with the same engine (same code addresses), and in `a` again.
        for (mem, reference) in [(&a, &ra), (&b, &rb), (&a, &ra)] {
            for (n, at) in [(200, SCRATCH), (300, SCRATCH + SCRATCH_LEN - 8 * 60)] {
                let want = run(&mut interp, reference, n, at);
                let got = run(&mut jit, mem, n, at);
                assert_eq!(got.0, want.0, "exit, n = {n}");
                assert_eq!(got.1, want.1, "cpu, n = {n}");
                assert!(got.2 == want.2, "memory, n = {n}");
                let faults = matches!(want.0, Exit::MemFault { .. });
                assert_eq!(faults, n == 300, "the second loop faults");
            }
        }
    }
}
