//! The dispatcher's costs: [`BlockCache::lookup`] on its three paths (a
//! hit in the direct-mapped table, a table miss that the hash map
//! resolves, a miss), and the interpreter's dispatch of a two-instruction
//! loop through [`Engine::run`].
//!
//! Why: every indirect jump, and every block whose successor link is not
//! yet known, goes through `lookup`; the table exists to make that one
//! index and one compare. These numbers show what the table saves over the
//! map, and what one interpreted block costs end to end. Throughput is
//! reported in lookups (cache) and in executed loop blocks (interpreter).
//! Run with `cargo bench -p vm-engine --bench dispatch_lookup`.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;
use vm_core::{CpuState, Exit};
use vm_engine::cache::BlockCache;
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

/// Blocks in the cache for the lookup benchmarks (all in distinct table
/// slots: 16-byte strides over 4 KiB of PCs map to distinct slots).
const BLOCKS: u64 = 256;
const BASE: u64 = 0x10000;

/// Two PCs `2^COLLIDE_SHIFT` apart share a direct-mapped slot: the slot is
/// a function of the low bits of `pc >> 1` and `pc >> (FAST_BITS + 1)`,
/// and the offset leaves both unchanged for any table of up to 2^24 slots.
const COLLIDE_SHIFT: u32 = 37;

/// Budget of one interpreter run, in guest instructions.
const BUDGET: u64 = 1_000_000;

fn block_pcs() -> Vec<u64> {
    (0..BLOCKS).map(|i| BASE + i * 16).collect()
}

/// Sum of the entries found for `pcs`, so the lookups cannot be elided.
fn lookup_all(cache: &mut BlockCache<u64>, pcs: &[u64]) -> u64 {
    let mut sum = 0u64;
    for &pc in pcs {
        if let Some(i) = cache.lookup(black_box(pc)) {
            sum = sum.wrapping_add(*cache.get(i));
        }
    }
    sum
}

fn cache_lookup(c: &mut Criterion) {
    let pcs = block_pcs();
    let mut g = c.benchmark_group("block_cache_lookup");
    g.throughput(Throughput::Elements(pcs.len() as u64));

    // Hits: every PC is cached and owns its table slot.
    let mut cache = BlockCache::new();
    for &pc in &pcs {
        cache.insert(pc, pc + 16, pc);
    }
    let expect: u64 = pcs.iter().sum();
    assert_eq!(lookup_all(&mut cache, &pcs), expect, "every PC hits");
    g.bench_function("hit_table", |b| b.iter(|| lookup_all(&mut cache, &pcs)));

    // Colliding pairs looked up alternately: each lookup finds the other
    // PC of its pair in the table, falls back to the map, and refills the
    // slot for the next one to miss again.
    let pairs: Vec<u64> = pcs
        .iter()
        .take(pcs.len() / 2)
        .flat_map(|&pc| [pc, pc + (1 << COLLIDE_SHIFT)])
        .collect();
    let mut cache = BlockCache::new();
    for &pc in &pairs {
        cache.insert(pc, pc + 16, pc);
    }
    let expect = pairs.iter().fold(0u64, |s, &pc| s.wrapping_add(pc));
    assert_eq!(lookup_all(&mut cache, &pairs), expect, "every PC hits");
    g.bench_function("hit_map_colliding", |b| {
        b.iter(|| lookup_all(&mut cache, &pairs))
    });

    // Misses: PCs between the cached ones.
    let mut cache = BlockCache::new();
    for &pc in &pcs {
        cache.insert(pc, pc + 16, pc);
    }
    let absent: Vec<u64> = pcs.iter().map(|pc| pc + 8).collect();
    assert_eq!(lookup_all(&mut cache, &absent), 0, "every PC misses");
    g.bench_function("miss", |b| b.iter(|| lookup_all(&mut cache, &absent)));
    g.finish();
}

fn i_type(imm: i32, rs1: u32, f3: u32, rd: u32, op: u32) -> u32 {
    ((imm as u32) & 0xfff) << 20 | rs1 << 15 | f3 << 12 | rd << 7 | op
}

/// `bne rs1, rs2, off`.
fn bne(off: i32, rs1: u32, rs2: u32) -> u32 {
    let i = off as u32;
    ((i >> 12) & 1) << 31
        | ((i >> 5) & 0x3f) << 25
        | rs2 << 20
        | rs1 << 15
        | 1 << 12
        | ((i >> 1) & 0xf) << 8
        | ((i >> 11) & 1) << 7
        | 0x63
}

fn interp_loop(c: &mut Criterion) {
    // loop: addi a0, a0, 1; bne a0, a1, loop; ebreak (never reached:
    // a1 = 0 and a0 counts up from 0).
    let words = [i_type(1, 10, 0, 10, 0x13), bne(-4, 10, 11), 0x0010_0073];
    let mem = GuestMemory::new().expect("guest arena");
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(BASE, 0x1000, Perm::RX, fixed, Backing::Anonymous, "code")
        .expect("map code");
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    mem.write_bytes_force(BASE, &bytes).expect("write code");

    let mut engine = Interpreter::new(EngineConfig::default());
    let mut cpu = CpuState {
        pc: BASE,
        ..CpuState::default()
    };
    let mut run = |cpu: &mut CpuState| {
        let before = cpu.instret;
        let exit = engine.run(cpu, &mem, BUDGET);
        (exit, cpu.instret - before)
    };
    // Budget exits fall on block boundaries: exactly BUDGET for 2-insn
    // blocks, and the loop is where the run stops.
    let (exit, insns) = run(&mut cpu);
    assert!(matches!(exit, Exit::Budget), "{exit:?}");
    assert_eq!(insns, BUDGET);
    assert_eq!(cpu.pc, BASE);
    assert_eq!(cpu.x[10], BUDGET / 2);

    let mut g = c.benchmark_group("interp_dispatch");
    g.throughput(Throughput::Elements(BUDGET / 2));
    g.sample_size(20);
    g.bench_function("loop_2insn_blocks", |b| b.iter(|| run(&mut cpu)));
    g.finish();
}

criterion_group! {
    name = benches;
    // Short by default: the machine these run on is shared.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = cache_lookup, interp_loop
}
criterion_main!(benches);
