//! Instruction-level checks run on the interpreter, for behaviour the
//! qemu-based guest suite cannot check because the reference itself is wrong
//! there (qemu 7.2's `ctzw` counts into the upper word).

use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

const CODE: u64 = 0x10000;

/// Run `words` (ending in `ebreak`) from a fresh state prepared by `setup`.
fn run(words: &[u32], setup: impl FnOnce(&mut CpuState)) -> CpuState {
    let mem = GuestMemory::new().expect("arena");
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(CODE, 4096, Perm::RX, flags, Backing::Anonymous, "code")
        .expect("map");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(CODE, &bytes).expect("write code");
    let mut cpu = CpuState {
        pc: CODE,
        ..CpuState::default()
    };
    setup(&mut cpu);
    let mut engine = Interpreter::new(EngineConfig::default());
    assert_eq!(engine.run(&mut cpu, &mem, 1000), Exit::Breakpoint);
    cpu
}

const EBREAK: u32 = 0x0010_0073;

#[test]
fn ctzw_counts_only_the_low_word() {
    // ctzw a0, a1
    let ctzw_a0_a1 = 0x6015_951b;
    let cpu = run(&[ctzw_a0_a1, EBREAK], |c| c.x[11] = 1 << 62);
    assert_eq!(cpu.x[10], 32);
    let cpu = run(&[ctzw_a0_a1, EBREAK], |c| c.x[11] = 0x8_0000_0100);
    assert_eq!(cpu.x[10], 8);
}

#[test]
fn ebreak_reports_its_own_pc_and_counts_prior_instructions() {
    // addi a0, a0, 1 ; ebreak
    let cpu = run(&[0x0015_0513, EBREAK], |_| {});
    assert_eq!(cpu.x[10], 1);
    assert_eq!(cpu.pc, CODE + 4);
    assert_eq!(cpu.instret, 1);
}
