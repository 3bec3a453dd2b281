//! Differential tests: random RV64 programs run by the JIT and by the
//! interpreter (the reference engine) from the same state must end with the
//! same `Exit`, the same `CpuState` and the same memory.
//!
//! Programs are random valid instruction words from a fixed-seed generator:
//! RV64I/M ALU, Zba/Zbb/Zbs, loads and stores into scratch pages (some of
//! them faulting: unmapped, read-only, page-crossing), AMOs and LR/SC
//! (some misaligned), FP arithmetic with dynamic rounding (and `frm` writes
//! that make it illegal), `instret`/`cycle` reads, and forward branches and
//! jumps; each ends with `ecall`.

mod support;

use support::{
    b_type, cpu_at, i_type, j_type, map_fixed, memory_with_code, r_type, run_and_read, s_type,
};
use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{DEFAULT_REGION_THRESHOLD, JitConfig, JitEngine, Mode};
use vm_mem::{GuestMemory, Perm};

const CODE: u64 = 0x10000;
/// RW scratch pages 0x20000..0x22000, R page 0x22000, unmapped 0x23000.
const SCRATCH: u64 = 0x20000;
const SCRATCH_LEN: u64 = 0x2000;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
}

/// Registers a program may write (x27..x31 hold scratch addresses).
fn rd(rng: &mut Rng) -> u32 {
    if rng.below(20) == 0 {
        0
    } else {
        1 + rng.below(26) as u32
    }
}
fn rs(rng: &mut Rng) -> u32 {
    rng.below(32) as u32
}

/// One random instruction at index `i` of `n` (branch targets stay inside
/// the program or hit the final `ecall`).
fn random_insn(rng: &mut Rng, i: usize, n: usize) -> u32 {
    // (funct7, funct3) of OP (0x33) and OP-32 (0x3b) instructions.
    const OP: &[(u32, u32)] = &[
        (0, 0),
        (0x20, 0),
        (0, 1),
        (0, 2),
        (0, 3),
        (0, 4),
        (0, 5),
        (0x20, 5),
        (0, 6),
        (0, 7),
        (1, 0),
        (1, 1),
        (1, 2),
        (1, 3),
        (1, 4),
        (1, 5),
        (1, 6),
        (1, 7),
        (0x10, 2),
        (0x10, 4),
        (0x10, 6),
        (0x20, 7),
        (0x20, 6),
        (0x20, 4),
        (5, 4),
        (5, 5),
        (5, 6),
        (5, 7),
        (0x30, 1),
        (0x30, 5),
        (0x24, 1),
        (0x24, 5),
        (0x34, 1),
        (0x14, 1),
    ];
    const OP32: &[(u32, u32)] = &[
        (0, 0),
        (0x20, 0),
        (0, 1),
        (0, 5),
        (0x20, 5),
        (1, 0),
        (1, 4),
        (1, 5),
        (1, 6),
        (1, 7),
        (4, 0),
        (0x10, 2),
        (0x10, 4),
        (0x10, 6),
        (0x30, 1),
        (0x30, 5),
    ];
    match rng.below(100) {
        0..=24 => {
            let (f7, f3) = rng.pick(OP);
            r_type(f7, rs(rng), rs(rng), f3, rd(rng), 0x33)
        }
        25..=34 => {
            let (f7, f3) = rng.pick(OP32);
            r_type(f7, rs(rng), rs(rng), f3, rd(rng), 0x3b)
        }
        35..=49 => {
            // OP-IMM: plain immediates, shifts, and Zbb/Zbs forms.
            let imm = rng.below(4096) as i32 - 2048;
            let sh = rng.below(64) as i32;
            let (f3, imm) = rng.pick(&[
                (0, imm),
                (2, imm),
                (3, imm),
                (4, imm),
                (6, imm),
                (7, imm),
                (1, sh),
                (5, sh),
                (5, 0x400 | sh),
                (1, 0x600),
                (1, 0x601),
                (1, 0x602),
                (1, 0x604),
                (1, 0x605),
                (5, 0x600 | sh),
                (5, 0x287),
                (5, 0x6b8),
                (1, 0x480 | sh),
                (5, 0x480 | sh),
                (1, 0x680 | sh),
                (1, 0x280 | sh),
            ]);
            i_type(imm, rs(rng), f3, rd(rng), 0x13)
        }
        50..=56 => {
            // OP-IMM-32 and zext.h
            let imm = rng.below(4096) as i32 - 2048;
            let sh = rng.below(32) as i32;
            let sh6 = rng.below(64) as i32;
            match rng.below(9) {
                0 => r_type(4, 0, rs(rng), 4, rd(rng), 0x3b),
                k => {
                    let (f3, imm) = [
                        (0, imm),
                        (1, sh),
                        (5, sh),
                        (5, 0x400 | sh),
                        (1, 0x600),
                        (1, 0x601),
                        (1, 0x602),
                        (5, 0x600 | sh),
                        (1, 0x080 | sh6),
                    ][k as usize - 1];
                    i_type(imm, rs(rng), f3, rd(rng), 0x1b)
                }
            }
        }
        57..=59 => {
            let op = rng.pick(&[0x37, 0x17]);
            (rng.next() as u32 & 0xfffff000) | rd(rng) << 7 | op
        }
        60..=71 => {
            // Loads: x31 (RW, in range), x30 (near the RW/R boundary), x29
            // (near the R/unmapped boundary).
            let f3 = rng.pick(&[0, 1, 2, 3, 4, 5, 6]);
            let (base, off) = match rng.below(10) {
                0 => (30, rng.below(64) as i32 - 32),
                1 => (29, rng.below(24) as i32 - 16),
                _ => (31, rng.below(2040) as i32),
            };
            i_type(off, base, f3, rd(rng), 0x03)
        }
        72..=79 => {
            let f3 = rng.pick(&[0, 1, 2, 3]);
            let (base, off) = match rng.below(10) {
                0 => (30, rng.below(64) as i32 - 32),
                _ => (31, rng.below(2040) as i32),
            };
            s_type(off, rs(rng), base, f3)
        }
        80..=83 => {
            // AMOs and LR/SC: x28 (8-aligned), sometimes x27 (only
            // 4-aligned) or x29 (read-only page).
            let f5 = rng.pick(&[0u32, 1, 2, 3, 4, 8, 0xc, 0x10, 0x14, 0x18, 0x1c]);
            let f3 = rng.pick(&[2, 3]);
            let base = match rng.below(10) {
                0 => 27,
                1 => 29,
                _ => 28,
            };
            let rs2 = if f5 == 2 { 0 } else { rs(rng) };
            f5 << 27 | rs2 << 20 | base << 15 | f3 << 12 | rd(rng) << 7 | 0x2f
        }
        84..=88 => {
            // Forward branch or jump, 1..=8 instructions ahead.
            let ahead = 1 + rng.below(8.min((n - i) as u64)) as i32;
            if rng.below(4) == 0 {
                j_type(ahead * 4, rd(rng))
            } else {
                let f3 = rng.pick(&[0, 1, 4, 5, 6, 7]);
                b_type(ahead * 4, rs(rng), rs(rng), f3)
            }
        }
        89..=90 => {
            // rdinstret / rdcycle / fflags / frm / fcsr reads and writes.
            match rng.below(5) {
                0 => i_type(0xc02, 0, 2, rd(rng), 0x73),
                1 => i_type(0xc00, 0, 2, rd(rng), 0x73),
                2 => i_type(rng.pick(&[1, 2, 3]), rs(rng), 1, rd(rng), 0x73),
                // csrrwi frm, 0..=7 (5..7 make dynamic rounding illegal)
                3 => i_type(2, rng.below(8) as u32, 5, rd(rng), 0x73),
                _ => i_type(1, 0, 2, rd(rng), 0x73),
            }
        }
        _ => {
            // FP: fmv.d.x, fmv.x.d, fadd/fmul/fdiv .s/.d, fsqrt.d, feq.d,
            // fcvt.l.d, fmadd.d, with static or dynamic rounding.
            let f = rng.below(32) as u32;
            let rm = rng.pick(&[0, 1, 2, 3, 4, 7, 7, 7]);
            match rng.below(8) {
                0 => r_type(0x79, 0, rs(rng), 0, f, 0x53),
                1 => r_type(0x71, 0, f, 0, rd(rng), 0x53),
                2 => r_type(
                    rng.pick(&[0x01, 0x09, 0x0d, 0x00, 0x08]),
                    rng.below(32) as u32,
                    rng.below(32) as u32,
                    rm,
                    f,
                    0x53,
                ),
                3 => r_type(0x2d, 0, rng.below(32) as u32, rm, f, 0x53),
                4 => r_type(0x51, rng.below(32) as u32, f, 2, rd(rng), 0x53),
                5 => r_type(0x61, 2, f, rm, rd(rng), 0x53),
                6 => {
                    // fmadd.d f, a, b, c
                    let c = rng.below(32) as u32;
                    c << 27 | 1 << 25 | r_type(0, rng.below(32) as u32, f, rm, f, 0x43)
                }
                _ => r_type(0x69, 0, rs(rng), rm, f, 0x53), // fcvt.d.w
            }
        }
    }
}

/// Guest memory with `code` at CODE and the scratch pages.
fn setup(code: &[u32], scratch: &[u8]) -> GuestMemory {
    let mem = memory_with_code(CODE, code);
    map_fixed(&mem, SCRATCH, SCRATCH_LEN, Perm::RW, "");
    map_fixed(&mem, SCRATCH + SCRATCH_LEN, 0x1000, Perm::R, "");
    mem.write_bytes(SCRATCH, scratch).expect("fill scratch");
    mem
}

fn initial_cpu(rng: &mut Rng) -> CpuState {
    let mut cpu = cpu_at(CODE);
    for r in 1..32 {
        cpu.x[r] = match rng.below(4) {
            0 => rng.below(64),
            1 => rng.next() as i32 as i64 as u64,
            _ => rng.next(),
        };
        cpu.f[r] = rng.next();
    }
    cpu.x[31] = SCRATCH;
    cpu.x[30] = SCRATCH + SCRATCH_LEN; // RW below, R above
    cpu.x[29] = SCRATCH + SCRATCH_LEN + 0x1000 - 8; // R below, unmapped above
    cpu.x[28] = SCRATCH + 0x800;
    cpu.x[27] = SCRATCH + 0x804;
    cpu.frm = rng.below(5);
    cpu
}

fn run_engine(
    engine: &mut dyn Engine,
    code: &[u32],
    scratch: &[u8],
    cpu: &CpuState,
    budget: u64,
) -> (Exit, CpuState, Vec<u8>) {
    let mem = setup(code, scratch);
    run_and_read(engine, cpu.clone(), &mem, budget, (SCRATCH, SCRATCH_LEN))
}

/// The reference for budget slicing: the interpreter run one guest block
/// at a time (the JIT's interpreted tier, never tiering up), so budget
/// check points fall at every block boundary as in compiled code
/// (`Interpreter` checks the budget only at the end of its superblocks).
fn block_interpreter() -> JitEngine {
    JitEngine::with_config(JitConfig {
        mode: Mode::Tiered {
            threshold: u64::MAX,
        },
        ..JitConfig::default()
    })
    .expect("host supported")
}

fn jit() -> JitEngine {
    JitEngine::with_config(JitConfig::default()).expect("host supported")
}

#[test]
fn random_programs_match_the_interpreter() {
    random_programs(0x2545_f491_4f6c_dd1d, 1000, "none");
}

#[test]
fn random_programs_match_the_interpreter_optimized() {
    random_programs(0x9e37_79b9_7f4a_7c15, 300, "speed");
}

fn random_programs(seed: u64, cases: usize, opt_level: &'static str) {
    let mut rng = Rng(seed);
    let mut exits = std::collections::BTreeMap::new();
    for case in 0..cases {
        let n = 10 + rng.below(90) as usize;
        let mut code: Vec<u32> = (0..n).map(|i| random_insn(&mut rng, i, n)).collect();
        code.push(0x0000_0073); // ecall
        let scratch: Vec<u8> = (0..SCRATCH_LEN).map(|_| rng.next() as u8).collect();
        let cpu = initial_cpu(&mut rng);
        let want = run_engine(
            &mut Interpreter::new(EngineConfig::default()),
            &code,
            &scratch,
            &cpu,
            u64::MAX,
        );
        let mut jit = JitEngine::with_config(JitConfig {
            opt_level,
            ..JitConfig::default()
        })
        .expect("host supported");
        let got = run_engine(&mut jit, &code, &scratch, &cpu, u64::MAX);
        let listing = || {
            code.iter()
                .enumerate()
                .map(|(i, &w)| {
                    let pc = CODE + 4 * i as u64;
                    format!(
                        "{pc:#x}: {w:08x} {}\n",
                        vm_frontend::disassemble_bits(w, pc)
                    )
                })
                .collect::<String>()
        };
        assert_eq!(got.0, want.0, "case {case}: exit differs\n{}", listing());
        assert_eq!(got.1, want.1, "case {case}: cpu differs\n{}", listing());
        assert!(
            got.2 == want.2,
            "case {case}: memory differs\n{}",
            listing()
        );
        *exits
            .entry(format!("{:?}", want.0).chars().take(12).collect::<String>())
            .or_insert(0) += 1;
    }
    // The generator must reach both normal ends and faults.
    assert!(exits.keys().any(|k| k.starts_with("Syscall")), "{exits:?}");
    assert!(exits.keys().any(|k| k.starts_with("MemFault")), "{exits:?}");
    assert!(exits.keys().any(|k| k.starts_with("Illegal")), "{exits:?}");
}

/// A counted loop: the budget stops both engines at the same block
/// boundary, and resuming finishes with the same result.
#[test]
fn budget_and_loops_match_the_interpreter() {
    let code = [
        i_type(100, 0, 0, 5, 0x13),  // addi x5, x0, 100
        i_type(0, 0, 0, 6, 0x13),    // addi x6, x0, 0
        r_type(0, 5, 6, 0, 6, 0x33), // loop: add x6, x6, x5
        i_type(-1, 5, 0, 5, 0x13),   // addi x5, x5, -1
        b_type(-8, 0, 5, 1),         // bne x5, x0, loop
        0x0000_0073,                 // ecall
    ];
    for budget in [0, 1, 7, 50, 1000] {
        let cpu = cpu_at(CODE);
        let mut interp = block_interpreter();
        let mut j = jit();
        let want = run_engine(&mut interp, &code, &[], &cpu, budget);
        let got = run_engine(&mut j, &code, &[], &cpu, budget);
        assert_eq!(got.0, want.0, "budget {budget}");
        assert_eq!(got.1, want.1, "budget {budget}");
    }
    let cpu = cpu_at(CODE);
    let (exit, end, _) = run_engine(&mut jit(), &code, &[], &cpu, u64::MAX);
    assert_eq!(exit, Exit::Syscall);
    assert_eq!(end.x[6], (1..=100).sum::<u64>());
    assert_eq!(end.instret, 2 + 300, "ecall itself has not retired");
}

#[test]
fn fetch_fault_and_invalidate() {
    let mut j = jit();
    let mem = setup(&[i_type(1, 0, 0, 5, 0x13), j_type(0x10000, 0)], &[]);
    // Jump into unmapped memory: an exec fault at the target.
    let mut cpu = cpu_at(CODE);
    let exit = j.run(&mut cpu, &mem, u64::MAX);
    assert_eq!(
        exit,
        Exit::MemFault {
            addr: CODE + 4 + 0x10000,
            access: vm_core::FaultAccess::Exec,
            misaligned: false,
            beyond_eof: false
        }
    );
    assert_eq!((cpu.pc, cpu.x[5], cpu.instret), (CODE + 4 + 0x10000, 1, 2));
    // Rewrite the first instruction; without invalidation the old
    // translation runs, with it the new code does.
    mem.write_bytes_force(CODE, &i_type(2, 0, 0, 5, 0x13).to_le_bytes())
        .expect("patch");
    cpu.pc = CODE;
    j.run(&mut cpu, &mem, u64::MAX);
    assert_eq!(cpu.x[5], 1, "stale translation until invalidated");
    j.invalidate(CODE, CODE + 4);
    cpu.pc = CODE;
    j.run(&mut cpu, &mem, u64::MAX);
    assert_eq!(cpu.x[5], 2);
    assert_eq!(j.stats().blocks_translated, 2);
    assert_eq!(j.stats().compile_failures, 0);
}

/// The engines compared with the interpreter on looping programs: eager
/// with and without block linking, and tiered with thresholds that make
/// blocks change tier (interpreted, baseline, region) in the middle of the
/// run.
fn loop_engines() -> Vec<(&'static str, JitEngine)> {
    let cfg = |mode, link| JitConfig {
        mode,
        link,
        region_threshold: match mode {
            Mode::Tiered { .. } => 3,
            Mode::Jit => DEFAULT_REGION_THRESHOLD,
        },
        ..JitConfig::default()
    };
    let mk = |c| JitEngine::with_config(c).expect("host supported");
    vec![
        ("jit", mk(cfg(Mode::Jit, true))),
        (
            "jit-region-3",
            mk(JitConfig {
                region_threshold: 3,
                ..cfg(Mode::Jit, true)
            }),
        ),
        ("jit-unlinked", mk(cfg(Mode::Jit, false))),
        ("tiered-1", mk(cfg(Mode::Tiered { threshold: 1 }, true))),
        ("tiered-5", mk(cfg(Mode::Tiered { threshold: 5 }, true))),
    ]
}

/// A random loop: `iters` rounds of a random body (forward branches stay
/// inside it), then a tail whose indirect jump alternates between two
/// targets (inline-cache hits and misses), a back edge, and `ecall`. x26 is
/// the counter (the body never writes it).
fn loop_program(rng: &mut Rng, iters: i32) -> Vec<u32> {
    let n = 5 + rng.below(25) as usize;
    let mut code = vec![i_type(iters, 0, 0, 26, 0x13)]; // addi x26, x0, iters
    for i in 0..n {
        let w = loop {
            let w = random_insn(rng, i, n);
            let op = w & 0x7f;
            if (w >> 7) & 31 != 26 || matches!(op, 0x23 | 0x27 | 0x63) {
                break w;
            }
        };
        code.push(w);
    }
    let back = -(code.len() as i32 * 4 + 7 * 4 - 4);
    code.extend([
        i_type(-1, 26, 0, 26, 0x13),    // addi x26, x26, -1
        i_type(1, 26, 7, 24, 0x13),     // andi x24, x26, 1
        i_type(2, 24, 1, 24, 0x13),     // slli x24, x24, 2
        0x0000_0c97,                    // auipc x25, 0
        r_type(0, 24, 25, 0, 25, 0x33), // add x25, x25, x24
        i_type(12, 25, 0, 0, 0x67),     // jalr x0, 12(x25)
        i_type(1, 23, 0, 23, 0x13),     // addi x23, x23, 1 (odd rounds)
        b_type(back, 0, 26, 1),         // bne x26, x0, body
        0x0000_0073,                    // ecall
    ]);
    code
}

/// Run in budget slices until a non-budget exit; the state at every slice
/// boundary is part of the result.
fn run_sliced(
    engine: &mut dyn Engine,
    code: &[u32],
    scratch: &[u8],
    cpu: &CpuState,
    slice: u64,
) -> (Vec<(Exit, CpuState)>, Vec<u8>) {
    let mem = setup(code, scratch);
    let mut cpu = cpu.clone();
    let mut trail = Vec::new();
    for _ in 0..10_000 {
        let exit = engine.run(&mut cpu, &mem, slice);
        trail.push((exit, cpu.clone()));
        if exit != Exit::Budget {
            break;
        }
    }
    let mut out = vec![0u8; SCRATCH_LEN as usize];
    mem.read_bytes(SCRATCH, &mut out).expect("read scratch");
    (trail, out)
}

/// Run `code` sliced by `slice` under each engine (fresh translations:
/// the code address is reused) and require the interpreter's result
/// `want`: every slice's state, the slice count and the memory.
fn match_every_engine(
    engines: &mut [(&'static str, JitEngine)],
    want: &(Vec<(Exit, CpuState)>, Vec<u8>),
    code: &[u32],
    scratch: &[u8],
    cpu: &CpuState,
    slice: u64,
    case: usize,
) {
    for (name, engine) in engines.iter_mut() {
        engine.invalidate(0, u64::MAX);
        let got = run_sliced(engine, code, scratch, cpu, slice);
        for (k, (g, w)) in got.0.iter().zip(&want.0).enumerate() {
            assert_eq!(g, w, "{name} case {case} slice {k} (budget {slice})");
        }
        assert_eq!(got.0.len(), want.0.len(), "{name} case {case}: slices");
        assert!(got.1 == want.1, "{name} case {case}: memory differs");
    }
}

#[test]
fn loops_match_the_interpreter_in_every_mode() {
    let mut rng = Rng(0x51f1_5eed_0bad_cafe);
    let mut engines = loop_engines();
    let mut compiled_insns = 0;
    for case in 0..60 {
        let iters = 10 + rng.below(40) as i32;
        let code = loop_program(&mut rng, iters);
        let scratch: Vec<u8> = (0..SCRATCH_LEN).map(|_| rng.next() as u8).collect();
        let cpu = initial_cpu(&mut rng);
        let slice = [u64::MAX, 1, 13, 97][case % 4];
        let want = run_sliced(&mut block_interpreter(), &code, &scratch, &cpu, slice);
        match_every_engine(&mut engines, &want, &code, &scratch, &cpu, slice, case);
    }
    for (name, engine) in &engines {
        let s = engine.stats();
        assert_eq!(s.compile_failures, 0, "{name}");
        compiled_insns += s.insns_compiled;
        if *name != "jit-unlinked" {
            assert!(s.ic_lookups > s.ic_misses, "{name}: {s:?}");
        }
        if name.starts_with("tiered") {
            assert!(s.insns_interp > 0 && s.insns_compiled > 0, "{name}: {s:?}");
        }
    }
    assert!(compiled_insns > 0);
}

/// Two linked blocks in a loop; rewriting and invalidating the second must
/// unlink it from the first, in every mode.
#[test]
fn invalidation_unlinks_chained_blocks() {
    let code = [
        i_type(1000, 0, 0, 5, 0x13), // addi x5, x0, 1000
        i_type(1, 6, 0, 6, 0x13),    // A: addi x6, x6, 1
        j_type(4, 0),                // j B
        i_type(-1, 5, 0, 5, 0x13),   // B: addi x5, x5, -1
        b_type(-12, 0, 5, 1),        // bne x5, x0, A
        0x0000_0073,                 // ecall
    ];
    for (name, mut engine) in loop_engines() {
        let mem = setup(&code, &[]);
        let mut cpu = cpu_at(CODE);
        assert_eq!(engine.run(&mut cpu, &mem, u64::MAX), Exit::Syscall);
        assert_eq!((cpu.x[5], cpu.x[6]), (0, 1000), "{name}");
        // B now subtracts 2 (x5 = 1000 is even, so the loop still ends).
        mem.write_bytes_force(CODE + 12, &i_type(-2, 5, 0, 5, 0x13).to_le_bytes())
            .expect("patch");
        engine.invalidate(CODE + 12, CODE + 16);
        cpu.pc = CODE;
        cpu.x[6] = 0;
        assert_eq!(engine.run(&mut cpu, &mem, u64::MAX), Exit::Syscall);
        assert_eq!((cpu.x[5], cpu.x[6]), (0, 500), "{name}: stale link ran");
        let s = engine.stats();
        assert!(s.insns >= 3 * 1500, "{name}: {s:?}");
    }
}

/// Recursive calls and returns (a naive Fibonacci): regions keep calls and
/// returns to their return sites inside one compiled function; every mode
/// matches the block-by-block interpreter at every budget slice. A second
/// run overflows the stack into unmapped memory, faulting deep inside the
/// recursion.
#[test]
fn recursion_matches_the_interpreter_in_every_mode() {
    let (a0, ra, sp, t1, t2) = (10, 1, 2, 6, 7);
    let code = [
        i_type(12, 0, 0, a0, 0x13),     // 0: addi a0, x0, 12
        j_type(8, ra),                  // 1: jal ra, fib
        0x0000_0073,                    // 2: ecall
        i_type(-16, sp, 0, sp, 0x13),   // 3 fib: addi sp, sp, -16
        s_type(8, ra, sp, 3),           // 4: sd ra, 8(sp)
        s_type(0, a0, sp, 3),           // 5: sd a0, 0(sp)
        i_type(2, 0, 0, t1, 0x13),      // 6: addi t1, x0, 2
        b_type(40, t1, a0, 4),          // 7: blt a0, t1, out
        i_type(-1, a0, 0, a0, 0x13),    // 8: addi a0, a0, -1
        j_type(-24, ra),                // 9: jal ra, fib
        i_type(0, sp, 3, t2, 0x03),     // 10: ld t2, 0(sp)
        s_type(0, a0, sp, 3),           // 11: sd a0, 0(sp)
        i_type(-2, t2, 0, a0, 0x13),    // 12: addi a0, t2, -2
        j_type(-40, ra),                // 13: jal ra, fib
        i_type(0, sp, 3, t2, 0x03),     // 14: ld t2, 0(sp)
        r_type(0, t2, a0, 0, a0, 0x33), // 15: add a0, a0, t2
        j_type(4, 0),                   // 16: j out
        i_type(8, sp, 3, ra, 0x03),     // 17 out: ld ra, 8(sp)
        i_type(16, sp, 0, sp, 0x13),    // 18: addi sp, sp, 16
        i_type(0, ra, 0, 0, 0x67),      // 19: jalr x0, 0(ra)
    ];
    let mut engines = loop_engines();
    // Stack at the top of the scratch area; then so low that the
    // recursion runs off its bottom (below SCRATCH is unmapped).
    for (case, stack) in [SCRATCH + SCRATCH_LEN, SCRATCH + 0x80]
        .into_iter()
        .enumerate()
    {
        let mut cpu = cpu_at(CODE);
        cpu.x[sp as usize] = stack;
        for slice in [u64::MAX, 1, 13, 97] {
            let want = run_sliced(&mut block_interpreter(), &code, &[], &cpu, slice);
            let last = &want.0.last().expect("ran").1;
            if case == 0 {
                assert_eq!(want.0.last().map(|t| t.0), Some(Exit::Syscall));
                assert_eq!(last.x[a0 as usize], 144, "fib(12)");
            } else {
                assert!(matches!(
                    want.0.last().map(|t| t.0),
                    Some(Exit::MemFault { .. })
                ));
            }
            for (name, engine) in engines.iter_mut() {
                engine.invalidate(0, u64::MAX);
                let got = run_sliced(engine, &code, &[], &cpu, slice);
                assert_eq!(
                    got.0.len(),
                    want.0.len(),
                    "{name} case {case} slice {slice}"
                );
                for (k, (g, w)) in got.0.iter().zip(&want.0).enumerate() {
                    assert_eq!(g, w, "{name} case {case} slice {slice} #{k}");
                }
                assert!(got.1 == want.1, "{name}: memory differs");
                if slice == u64::MAX && name.contains('-') && *name != "jit-unlinked" {
                    let regions = engine
                        .blocks()
                        .iter()
                        .filter(|b| b.region_blocks > 1)
                        .count();
                    assert!(regions > 0, "{name}: no region formed");
                }
            }
        }
    }
}

/// A loop of one block run 2000 times (x6 += 3), then `ecall`.
fn one_block_loop() -> [u32; 5] {
    [
        i_type(2000, 0, 0, 5, 0x13), // addi x5, x0, 2000
        i_type(3, 6, 0, 6, 0x13),    // L: addi x6, x6, 3
        i_type(-1, 5, 0, 5, 0x13),   // addi x5, x5, -1
        b_type(-8, 0, 5, 1),         // bne x5, x0, L
        0x0000_0073,                 // ecall
    ]
}

/// A hot loop of one block, under `jit`: its baseline code (fast register
/// allocator, compiled before the first run) leaves and re-enters for the
/// back edge so its entries reach the hot count, and it is then compiled
/// again as hot code (regression: a one-block loop kept its baseline code
/// forever, its entries counted once per run of the whole loop, and in
/// `tiered` it got the baseline allocator too, which spilled every value:
/// CRC-32 ran 2.5x slower).
#[test]
fn a_hot_one_block_loop_is_compiled_again_as_hot_code() {
    let code = one_block_loop();
    let mem = setup(&code, &[]);
    let mut reference = vm_engine::Interpreter::new(Default::default());
    let mut cpu = cpu_at(CODE);
    assert_eq!(reference.run(&mut cpu, &mem, u64::MAX), Exit::Syscall);
    assert_eq!((cpu.x[5], cpu.x[6]), (0, 6000), "interp");
    // Hot after 1000 runs (of the loop's 2000 iterations).
    let mut engine = JitEngine::with_config(JitConfig {
        region_threshold: 1000,
        ..JitConfig::default()
    })
    .expect("host supported");
    let mut cpu = cpu_at(CODE);
    assert_eq!(engine.run(&mut cpu, &mem, u64::MAX), Exit::Syscall);
    assert_eq!((cpu.x[5], cpu.x[6]), (0, 6000));
    let s = engine.stats();
    // The entry block, the loop, the exit block: three translations, and
    // the loop compiled twice (baseline, then hot).
    assert_eq!(s.blocks_translated, 3, "{s:?}");
    assert_eq!(s.blocks_compiled, 4, "{s:?}");
    // The loop's second half ran in the region, the rest in baseline code.
    assert!(
        s.insns_region > 0 && s.insns_region < s.insns_compiled,
        "{s:?}"
    );
}

/// Region thresholds the baseline code cannot compare with an immediate:
/// 0 ("never": no compare at all) and one above `i32::MAX` (compared
/// through a register). The loop runs right and is never compiled again;
/// a threshold the loop reaches recompiles it (the other test above).
#[test]
fn a_block_that_never_tiers_up_keeps_its_baseline_code() {
    let code = one_block_loop();
    let mem = setup(&code, &[]);
    for region_threshold in [0, 1 << 40, 1500] {
        let mut engine = JitEngine::with_config(JitConfig {
            region_threshold,
            ..JitConfig::default()
        })
        .expect("host supported");
        let mut cpu = cpu_at(CODE);
        assert_eq!(engine.run(&mut cpu, &mem, u64::MAX), Exit::Syscall);
        assert_eq!((cpu.x[5], cpu.x[6]), (0, 6000), "{region_threshold}");
        let s = engine.stats();
        let again = u64::from(region_threshold == 1500);
        assert_eq!(s.blocks_compiled, 3 + again, "{region_threshold}: {s:?}");
        if again == 0 {
            // Every entry counted: the first block (through the loop's
            // first iteration), the loop block's 1999 runs, the `ecall`.
            assert_eq!(s.blocks_executed, 2001, "{region_threshold}: {s:?}");
            assert_eq!(s.insns_region, 0, "no region ran: {s:?}");
        } else {
            // The baseline loop's entries up to the one that asks for the
            // region (1500; its count moves to the dropped total when the
            // region replaces it), then one entry of the region (its code
            // counts from 0 in the same counter word, and loops inside):
            // each counted once.
            assert_eq!(s.blocks_executed, 1 + 1500 + 1 + 1, "{s:?}");
        }
    }
}

/// A loop nest: an outer loop with a random body over many registers
/// around an inner loop of one block (multiply-add over a scratch row, as
/// in a matrix product) that loops to itself. Regions reading many
/// registers keep the outer loop's registers in `CpuState` and only the
/// inner loop's in host registers (see `lower::register_homes`); the
/// random body adds faulting accesses. Every mode matches the
/// block-by-block interpreter at every budget slice.
#[test]
fn loop_nests_match_the_interpreter_in_every_mode() {
    let mut rng = Rng(0x0de5_7ed1_0095_2026);
    let mut engines = loop_engines();
    for case in 0..40 {
        let n = 8 + rng.below(20) as usize;
        let outer = 2 + rng.below(6) as i32;
        let inner = 1 + rng.below(40) as i32;
        let mut code = vec![i_type(outer, 0, 0, 26, 0x13)]; // addi x26, x0, outer
        for i in 0..n {
            let w = loop {
                let w = random_insn(&mut rng, i, n);
                let op = w & 0x7f;
                if !(26..=29).contains(&((w >> 7) & 31)) || matches!(op, 0x23 | 0x27 | 0x63) {
                    break w;
                }
            };
            code.push(w);
        }
        code.extend([
            i_type(inner, 0, 0, 27, 0x13),  // addi x27, x0, inner
            i_type(0x7f8, 28, 7, 28, 0x13), // andi x28, x28, 0x7f8
            0x0002_0eb7,                    // lui x29, 0x20 (SCRATCH)
            r_type(0, 29, 28, 0, 28, 0x33), // add x28, x28, x29
            i_type(0, 28, 2, 5, 0x03),      // inner: lw x5, 0(x28)
            r_type(1, 7, 5, 0, 6, 0x3b),    // mulw x6, x5, x7
            r_type(0, 8, 6, 0, 5, 0x3b),    // addw x5, x6, x8
            s_type(0, 5, 28, 2),            // sw x5, 0(x28)
            i_type(4, 28, 0, 28, 0x13),     // addi x28, x28, 4
            i_type(-1, 27, 0, 27, 0x13),    // addi x27, x27, -1
            b_type(-24, 0, 27, 1),          // bne x27, x0, inner
            i_type(-1, 26, 0, 26, 0x13),    // addi x26, x26, -1
        ]);
        let back = -(4 * (code.len() as i32 - 1));
        code.extend([
            b_type(back, 0, 26, 1), // bne x26, x0, outer body
            0x0000_0073,            // ecall
        ]);
        let scratch: Vec<u8> = (0..SCRATCH_LEN).map(|_| rng.next() as u8).collect();
        let cpu = initial_cpu(&mut rng);
        let slice = [u64::MAX, 7, 61, 500][case % 4];
        let want = run_sliced(&mut block_interpreter(), &code, &scratch, &cpu, slice);
        match_every_engine(&mut engines, &want, &code, &scratch, &cpu, slice, case);
    }
    for (name, engine) in &engines {
        let s = engine.stats();
        assert_eq!(s.compile_failures, 0, "{name}");
        assert!(s.insns_compiled > 0, "{name}: {s:?}");
    }
}
