//! Compile time per guest block, by block size: the frontend's
//! `translate_block` (guest code → IR), the baseline JIT's compile of one
//! block (IR → host code in code memory) by its direct emitter and by
//! Cranelift, and, for scale, the interpreter's pre-decode of the same IR.
//!
//! Why: the tiered engine compiles a block once it has run
//! `DEFAULT_THRESHOLD` times, a number chosen from how much a compile costs
//! against an interpreted run; these numbers say what a compile costs and
//! how it grows with the block, without the noise of whole programs.
//!
//! Blocks are 4, 16, 32 and 64 instructions of a realistic integer mix
//! (addi/add/ld/sd over a few registers) ending in a backward `bne`,
//! encoded here and written to an executable guest page. Throughput is
//! reported in guest instructions. Run with
//! `cargo bench -p vm-engine-jit --bench compile_block`.

#[path = "../tests/support/mod.rs"]
mod support;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use support::{b_type, i_type, map_fixed, r_type, s_type, write_code};
use vm_engine::interp::InterpBlock;
use vm_engine_jit::{BLOCK_INSNS_MAX, JitConfig, JitEngine};
use vm_ir::Terminator;
use vm_mem::{GuestMemory, Perm};

/// Guest instructions per benchmarked block (the branch included).
const SIZES: [usize; 4] = [4, 16, 32, 64];

/// Guest address of the first block; each block gets its own page.
const CODE: u64 = 0x10000;

/// `n` instruction words: `n - 1` of the integer mix, then
/// `bne a0, a1, <block start>`.
fn block_words(n: usize) -> Vec<u32> {
    const SP: u32 = 2;
    let mut words: Vec<u32> = (0..n - 1)
        .map(|i| {
            // Rotate through a0..a5 so the block is not one dependency chain.
            let rd = 10 + (i % 6) as u32;
            let rs = 10 + ((i + 3) % 6) as u32;
            let off = 8 * (i % 16) as i32;
            match i % 6 {
                0 | 3 => i_type(i as i32 + 1, rs, 0, rd, 0x13), // addi
                1 | 4 => r_type(0, rs, rd, 0, rd, 0x33),        // add
                2 => i_type(off, SP, 3, rd, 0x03),              // ld
                _ => s_type(off, rs, SP, 3),                    // sd
            }
        })
        .collect();
    words.push(b_type(-4 * (n as i32 - 1), 11, 10, 1));
    words
}

/// Guest memory with a block of each size at `CODE + i * 0x1000`; the
/// start PCs, by size.
fn setup() -> (GuestMemory, Vec<(usize, u64)>) {
    let mem = GuestMemory::new().expect("guest arena");
    map_fixed(&mem, CODE, SIZES.len() as u64 * 0x1000, Perm::RX, "code");
    let mut blocks = Vec::new();
    for (i, &n) in SIZES.iter().enumerate() {
        let pc = CODE + i as u64 * 0x1000;
        write_code(&mem, pc, &block_words(n));
        blocks.push((n, pc));
    }
    (mem, blocks)
}

/// The frontend's IR for the block at `pc`, as the engines translate it.
fn translate(pc: u64, mem: &GuestMemory) -> vm_ir::Block {
    let mut fetch = |a: u64| mem.fetch_u16(a).ok();
    vm_frontend::translate_block(pc, &mut fetch, BLOCK_INSNS_MAX).expect("code is mapped")
}

fn compile_block(c: &mut Criterion) {
    let (mem, blocks) = setup();
    // The benchmark measures what it says only if each block decodes to
    // exactly `n` instructions ending in the backward branch.
    let irs: Vec<(usize, vm_ir::Block)> = blocks
        .iter()
        .map(|&(n, pc)| {
            let ir = translate(pc, &mem);
            assert_eq!(ir.guest_insn_count(), n, "block at {pc:#x}");
            assert!(
                matches!(ir.term, Terminator::Branch { taken, .. } if taken == pc),
                "block at {pc:#x} ends in {:?}",
                ir.term
            );
            (n, ir)
        })
        .collect();

    let mut g = c.benchmark_group("translate_block");
    for &(n, pc) in &blocks {
        g.throughput(Throughput::Elements(n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), &pc, |b, &pc| {
            b.iter(|| translate(black_box(pc), &mem))
        });
    }
    g.finish();

    let mut g = c.benchmark_group("interp_predecode");
    for (n, ir) in &irs {
        g.throughput(Throughput::Elements(*n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), ir, |b, ir| {
            b.iter(|| InterpBlock::from_ir(black_box(ir)))
        });
    }
    g.finish();

    // The baseline tier as it is (the direct emitter), and with Cranelift
    // for every block (as before the emitter, and still for blocks with
    // floating point, atomics or CSR accesses).
    for (name, direct) in [
        ("jit_compile_block", true),
        ("jit_compile_block_cranelift", false),
    ] {
        let config = JitConfig {
            baseline_emitter: direct,
            ..JitConfig::default()
        };
        let mut jit = JitEngine::with_config(config).expect("host supported");
        bench_compiles(c, name, &mut jit, &irs);
    }
}

/// Benchmark `jit`'s baseline compile of each block of `irs`, in wall time
/// (group `name`) and in this thread's CPU time (`name_cpu`: on a shared
/// machine wall time counts the other processes' turns too).
fn bench_compiles(
    c: &mut Criterion,
    name: &str,
    jit: &mut JitEngine,
    irs: &[(usize, vm_ir::Block)],
) {
    let mut g = c.benchmark_group(name);
    g.sample_size(30);
    for (n, ir) in irs {
        g.throughput(Throughput::Elements(*n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), ir, |b, ir| {
            b.iter_batched(
                || ir.clone(),
                |ir| jit.compile_detached(ir).expect("block compiles"),
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();

    let mut g = c.benchmark_group(format!("{name}_cpu"));
    g.sample_size(30);
    for (n, ir) in irs {
        g.throughput(Throughput::Elements(*n as u64));
        g.bench_with_input(BenchmarkId::from_parameter(n), ir, |b, ir| {
            b.iter_custom(|iters| {
                let mut total = Duration::ZERO;
                for _ in 0..iters {
                    let ir = ir.clone();
                    let t0 = thread_cpu_time();
                    black_box(jit.compile_detached(ir).expect("block compiles"));
                    total += thread_cpu_time().saturating_sub(t0);
                }
                total
            })
        });
    }
    g.finish();
}

/// CPU time this thread has used (user and system).
fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; the clock id is a
    // constant Linux defines.
    let r = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(r, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID)");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

criterion_group! {
    name = benches;
    // Short by default: the machine these run on is shared.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = compile_block
}
criterion_main!(benches);
