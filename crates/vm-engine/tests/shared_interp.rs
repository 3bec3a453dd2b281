//! Interpreters of several guest threads share one translation map: what
//! one translated, the others run without translating; an invalidation by
//! any of them (after code was rewritten) makes every one see the new code.

use std::sync::Arc;
use vm_core::{CpuState, Exit};
use vm_engine::interp::SharedTranslations;
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

const CODE: u64 = 0x10000;
const EBREAK: u32 = 0x0010_0073;

/// `addi a0, a0, imm`.
fn addi_a0(imm: i32) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (10 << 15) | (10 << 7) | 0x13
}

fn memory_with(words: &[u32]) -> GuestMemory {
    let mem = GuestMemory::new().expect("arena");
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(CODE, 4096, Perm::RX, flags, Backing::Anonymous, "code")
        .expect("map");
    write_code(&mem, words);
    mem
}

fn write_code(mem: &GuestMemory, words: &[u32]) {
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(CODE, &bytes).expect("write code");
}

/// Run from `CODE` with a0 = 0 to the `ebreak`; returns a0.
fn run(engine: &mut Interpreter, mem: &GuestMemory) -> u64 {
    let mut cpu = CpuState {
        pc: CODE,
        ..CpuState::default()
    };
    assert_eq!(engine.run(&mut cpu, mem, 1000), Exit::Breakpoint);
    cpu.x[10]
}

/// Blocks this engine translated itself: the shared totals minus the
/// other engine's (both report to the same map).
fn translated(shared_total_before: u64, engine: &Interpreter) -> u64 {
    engine.stats().blocks_translated - shared_total_before
}

#[test]
fn a_second_thread_reuses_the_first_threads_translations() {
    let mem = memory_with(&[addi_a0(5), addi_a0(7), EBREAK]);
    let shared = SharedTranslations::new();
    let mut a = Interpreter::with_shared(EngineConfig::default(), &shared);
    let mut b = Interpreter::with_shared(EngineConfig::default(), &shared);
    assert_eq!(run(&mut a, &mem), 12);
    let after_a = a.stats().blocks_translated;
    assert!(after_a > 0, "the first engine translated the block");
    assert_eq!(run(&mut b, &mem), 12);
    assert_eq!(
        translated(after_a, &b),
        0,
        "the second engine translated again"
    );

    // Engines with private caches both translate.
    let mut c = Interpreter::new(EngineConfig::default());
    let mut d = Interpreter::new(EngineConfig::default());
    run(&mut c, &mem);
    run(&mut d, &mem);
    assert!(c.stats().blocks_translated > 0 && d.stats().blocks_translated > 0);
}

#[test]
fn an_invalidation_reaches_every_sharing_engine() {
    let mem = memory_with(&[addi_a0(5), addi_a0(7), EBREAK]);
    let shared: Arc<SharedTranslations> = SharedTranslations::new();
    let mut a = Interpreter::with_shared(EngineConfig::default(), &shared);
    let mut b = Interpreter::with_shared(EngineConfig::default(), &shared);
    assert_eq!(run(&mut a, &mem), 12);
    assert_eq!(run(&mut b, &mem), 12);
    // The code is rewritten; as the runtime does, every thread's engine
    // is told (fence.i on one thread reaches all through the runtime).
    write_code(&mem, &[addi_a0(1), addi_a0(2), EBREAK]);
    a.invalidate(CODE, CODE + 4096);
    b.invalidate(CODE, CODE + 4096);
    assert_eq!(run(&mut b, &mem), 3, "b runs the new code");
    assert_eq!(run(&mut a, &mem), 3, "a runs the new code");
}

#[test]
fn the_shared_map_drops_what_only_one_engine_invalidated() {
    // One engine invalidates; another that never ran the block must not
    // find the old translation in the shared map.
    let mem = memory_with(&[addi_a0(5), addi_a0(7), EBREAK]);
    let shared = SharedTranslations::new();
    let mut a = Interpreter::with_shared(EngineConfig::default(), &shared);
    assert_eq!(run(&mut a, &mem), 12);
    write_code(&mem, &[addi_a0(1), addi_a0(2), EBREAK]);
    a.invalidate(CODE, CODE + 4096);
    let mut fresh = Interpreter::with_shared(EngineConfig::default(), &shared);
    assert_eq!(run(&mut fresh, &mem), 3);
}
