//! Region code compiled for a low arena (its base a displacement) is
//! compiled without Cranelift's pinned register, so r15 is one of its
//! allocatable registers; as a callee-saved register it must hold the
//! arena base again whenever the region leaves, because the baseline code
//! it continues in addresses guest memory through r15. One test, in a
//! process of its own, so that the first arena is the low one.

mod support;

use support::{b_type, cpu_at, i_type, map_fixed, memory_with_code, r_type, run_and_read, s_type};
use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{JitConfig, JitEngine, Mode};
use vm_mem::{ARENA_LOW_BASE, GuestMemory, Perm};

const CODE: u64 = 0x10000;
const SCRATCH: u64 = 0x20000;
const SCRATCH_LEN: u64 = 0x1000;
/// Inner loop trips per outer trip.
const INNER: i32 = 300;
/// The registers the inner loop rotates through: more live values than
/// the host has registers, so the region's allocator uses every one.
const RING: std::ops::RangeInclusive<u32> = 10..=27;

/// Outer loop (x7 trips): x8 = INNER; an inner self-loop that adds each
/// ring register into the next (all of them live); then, outside the
/// inner loop (a baseline block: it had not run when the loop became a
/// region), a load, an add and a store at x31; then `ecall`.
fn program() -> Vec<u32> {
    let mut p = vec![i_type(INNER, 0, 0, 8, 0x13)]; // addi x8, x0, INNER
    let inner_start = p.len();
    for r in RING {
        let next = if r == *RING.end() {
            *RING.start()
        } else {
            r + 1
        };
        p.push(r_type(0, next, r, 0, r, 0x33)); // add xr, xr, xnext
    }
    p.push(i_type(-1, 8, 0, 8, 0x13)); // addi x8, x8, -1
    let back = -4 * (p.len() - inner_start) as i32;
    p.push(b_type(back, 0, 8, 1)); // bne x8, x0, inner
    p.extend([
        i_type(0, 31, 3, 6, 0x03),   // ld x6, 0(x31)
        r_type(0, 6, 5, 0, 5, 0x33), // add x5, x5, x6
        s_type(8, 5, 31, 3),         // sd x5, 8(x31)
        i_type(16, 31, 0, 31, 0x13), // addi x31, x31, 16
        i_type(-1, 7, 0, 7, 0x13),   // addi x7, x7, -1
    ]);
    let back = -4 * p.len() as i32;
    p.push(b_type(back, 0, 7, 1)); // bne x7, x0, 0
    p.push(0x0000_0073); // ecall
    p
}

fn memory() -> GuestMemory {
    let mem = memory_with_code(CODE, &program());
    map_fixed(&mem, SCRATCH, SCRATCH_LEN, Perm::RW, "scratch");
    let bytes: Vec<u8> = (0..SCRATCH_LEN).map(|i| (i * 7) as u8).collect();
    mem.write_bytes(SCRATCH, &bytes).expect("fill scratch");
    mem
}

fn run(engine: &mut dyn Engine, mem: &GuestMemory) -> (Exit, CpuState, Vec<u8>) {
    let mut cpu = cpu_at(CODE);
    cpu.x[7] = 40;
    cpu.x[31] = SCRATCH;
    for r in RING {
        cpu.x[r as usize] = 0x9e37_79b9_7f4a_7c15u64.wrapping_mul(r as u64);
    }
    run_and_read(engine, cpu, mem, u64::MAX, (SCRATCH, SCRATCH_LEN))
}

#[test]
fn regions_without_the_pinned_register_leave_it_to_baseline_code() {
    let (mem, reference) = (memory(), memory());
    assert_eq!(
        mem.base() as usize,
        ARENA_LOW_BASE,
        "the first arena of the process is the low one"
    );
    let cfg = JitConfig {
        mode: Mode::Tiered { threshold: 2 },
        region_threshold: 50,
        background: false,
        ..JitConfig::default()
    };
    let mut jit = JitEngine::with_config(cfg).expect("host supported");
    let mut interp = Interpreter::new(EngineConfig::default());
    let want = run(&mut interp, &reference);
    let got = run(&mut jit, &mem);
    assert!(matches!(want.0, Exit::Syscall), "ends at the ecall");
    assert_eq!(got.0, want.0, "exit");
    assert_eq!(got.1, want.1, "cpu");
    assert!(got.2 == want.2, "memory");
    let s = jit.stats();
    // The inner loop ran as a region, the code after it as baseline code
    // entered from the region.
    assert!(
        s.insns_region > 30 * INNER as u64 * RING.count() as u64,
        "the inner loop ran in region code: {s:?}"
    );
    assert!(
        s.insns_compiled > s.insns_region,
        "baseline code ran too: {s:?}"
    );
}
