//! One translation cache shared by several threads (as guest threads share
//! it): engines on different host threads run the same guest code at the
//! same time, with background compiles, code-memory flushes and
//! invalidations by one thread while the others run; every thread must end
//! exactly as the interpreter does, and each block is translated once for
//! all threads.

mod support;

use std::sync::Arc;
use support::{b_type, cpu_at, i_type, memory_with_code};
use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{JitConfig, JitEngine, Mode, SharedJit};
use vm_mem::GuestMemory;

const CODE: u64 = 0x10000;
/// Blocks in the loop body.
const K: usize = 120;
const ITERS: i32 = 1000;
const THREADS: usize = 4;

/// `jal x0, +4`: ends a block, continues with the next instruction.
const NEXT: u32 = (4 >> 1) << 21 | 0x6f;

/// `x5 = ITERS; do { K blocks of x6 += 1 } while (--x5); ecall`: K + 3
/// distinct blocks.
fn program() -> Vec<u32> {
    let mut code = vec![i_type(ITERS, 0, 0, 5, 0x13)];
    for _ in 0..K {
        code.push(i_type(1, 6, 0, 6, 0x13));
        code.push(NEXT);
    }
    code.push(i_type(-1, 5, 0, 5, 0x13));
    code.push(b_type(-(8 * K as i32 + 4), 0, 5, 1));
    code.push(0x0000_0073);
    code
}

fn setup() -> GuestMemory {
    memory_with_code(CODE, &program())
}

/// Run to the `ecall` in budget slices of `slice`; `between` runs after
/// every slice (with the slice number).
fn run_to_ecall(
    engine: &mut dyn Engine,
    mem: &GuestMemory,
    slice: u64,
    mut between: impl FnMut(&mut dyn Engine, u64),
) -> CpuState {
    let mut cpu = cpu_at(CODE);
    for n in 0.. {
        match engine.run(&mut cpu, mem, slice) {
            Exit::Budget => between(engine, n),
            Exit::Syscall => return cpu,
            e => panic!("unexpected exit {e:?} at {:#x}", cpu.pc),
        }
    }
    unreachable!()
}

/// Run the program on `THREADS` threads at once, each with an engine on
/// `shared`; thread 0 also calls `between` after each slice.
fn run_threads(
    shared: &Arc<SharedJit>,
    mem: &GuestMemory,
    slice: u64,
    between: impl Fn(&mut dyn Engine, u64) + Sync,
) -> Vec<CpuState> {
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..THREADS)
            .map(|t| {
                let between = &between;
                s.spawn(move || {
                    let mut engine = JitEngine::with_shared(shared);
                    run_to_ecall(&mut engine, mem, slice + t as u64, |e, n| {
                        if t == 0 {
                            between(e, n);
                        }
                    })
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread ran"))
            .collect()
    })
}

fn reference(mem: &GuestMemory) -> CpuState {
    let mut interp = Interpreter::new(EngineConfig::default());
    let cpu = run_to_ecall(&mut interp, mem, u64::MAX, |_, _| {});
    assert_eq!(cpu.x[6], ITERS as u64 * K as u64);
    cpu
}

fn config(mode: Mode, background: bool, code_bytes_max: usize) -> JitConfig {
    JitConfig {
        mode,
        background,
        code_bytes_max,
        region_threshold: 20,
        ..JitConfig::default()
    }
}

#[test]
fn threads_translate_each_block_once_and_match_the_interpreter() {
    let mem = setup();
    let want = reference(&mem);
    for (name, cfg) in [
        ("jit", config(Mode::Jit, false, 64 << 20)),
        (
            "tiered",
            config(Mode::Tiered { threshold: 5 }, false, 64 << 20),
        ),
        (
            "tiered-background",
            config(Mode::Tiered { threshold: 5 }, true, 64 << 20),
        ),
    ] {
        let shared = SharedJit::new(cfg).expect("host supported");
        for cpu in run_threads(&shared, &mem, 700, |_, _| {}) {
            assert_eq!(cpu, want, "{name}");
        }
        let s = JitEngine::with_shared(&shared).stats();
        assert_eq!(
            s.blocks_translated,
            K as u64 + 3,
            "{name}: each block translated once for all threads: {s:?}"
        );
        assert!(s.blocks_compiled > 0, "{name}: {s:?}");
        assert!(
            s.insns >= THREADS as u64 * want.instret,
            "{name}: every thread's instructions counted: {s:?}"
        );
    }
}

/// A code memory too small for the program: flushes while other threads
/// run compiled code (reclaimed only once they are out of it), and
/// invalidations of everything by one thread, as fence.i does.
#[test]
fn flushes_and_invalidations_while_threads_run() {
    let mem = setup();
    let want = reference(&mem);
    for (name, cfg) in [
        (
            "jit",
            JitConfig {
                region_threshold: 0,
                ..config(Mode::Jit, false, 32 << 10)
            },
        ),
        (
            "tiered",
            config(Mode::Tiered { threshold: 2 }, false, 12 << 10),
        ),
        // How much the worker compiles before the threads finish depends
        // on the scheduler: here only the results are checked.
        (
            "tiered-background",
            config(Mode::Tiered { threshold: 2 }, true, 12 << 10),
        ),
    ] {
        let shared = SharedJit::new(cfg).expect("host supported");
        let cpus = run_threads(&shared, &mem, 300, |e, n| {
            if n % 40 == 39 {
                e.invalidate(0, u64::MAX);
            }
        });
        for cpu in cpus {
            assert_eq!(cpu, want, "{name}");
        }
        let s = JitEngine::with_shared(&shared).stats();
        eprintln!("{name}: {s:?}");
        if name != "tiered-background" {
            assert!(s.code_flushes > 0, "{name}: memory never filled: {s:?}");
            assert!(s.insns_compiled > 0, "{name}: {s:?}");
        }
    }
}
