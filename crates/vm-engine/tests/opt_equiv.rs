//! The IR optimizer against the interpreter: random well-formed blocks with
//! every kind of instruction (memory, atomics, FP, CSRs, faults), run
//! before and after `vm_ir::optimize` from the same CPU state and memory,
//! must end the same (next PC or exit, full CPU state, memory). The case
//! generator and comparison are shared with the `ir_opt` fuzz target.

use proptest::prelude::*;

#[allow(dead_code)]
#[path = "../../../fuzz/fuzz_targets/ir_opt_case.rs"]
mod case;

proptest! {
    #![proptest_config(ProptestConfig { cases: 20000, ..ProptestConfig::default() })]

    #[test]
    fn optimized_blocks_run_like_the_original(data in proptest::collection::vec(any::<u8>(), 0..600)) {
        thread_local! {
            static MEM: vm_mem::GuestMemory = case::memory();
        }
        MEM.with(|mem| case::check(&data, mem));
    }
}

/// The generator is not vacuous: most byte strings make a valid block, and
/// the optimizer removes instructions from many of them.
#[test]
fn cases_are_valid_and_optimizable() {
    let mem = case::memory();
    let (mut valid, mut shrunk) = (0, 0);
    let mut seed = 0x9e37_79b9_7f4a_7c15u64;
    for _ in 0..500 {
        let data: Vec<u8> = (0..400)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                seed as u8
            })
            .collect();
        if let Some((before, after)) = case::check(&data, &mem) {
            valid += 1;
            shrunk += (after < before) as u32;
        }
    }
    assert!(valid >= 400, "only {valid} of 500 cases were valid blocks");
    assert!(shrunk >= 200, "only {shrunk} of {valid} blocks shrank");
}

/// Map the executable segments of the static RISC-V ELF at `path` into
/// `mem`; returns their address ranges.
fn load_code(path: &std::path::Path, mem: &vm_mem::GuestMemory) -> Vec<(u64, u64)> {
    use vm_mem::{Backing, MapFlags, Perm};
    let elf = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
    let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().expect("4 bytes"));
    let u64_at = |o: usize| u64::from_le_bytes(elf[o..o + 8].try_into().expect("8 bytes"));
    let (phoff, phentsize, phnum) = (u64_at(0x20) as usize, u16_at(0x36), u16_at(0x38));
    let mut ranges = Vec::new();
    for k in 0..phnum {
        let ph = phoff + k * phentsize;
        let (ptype, flags) = (u32_at(ph), u32_at(ph + 4));
        if ptype != 1 || flags & 1 == 0 {
            continue;
        }
        let (off, vaddr, filesz) = (u64_at(ph + 8), u64_at(ph + 16), u64_at(ph + 32));
        let page = vaddr & !0xfff;
        let len = (vaddr + filesz - page).next_multiple_of(4096);
        let flags = MapFlags {
            fixed: true,
            ..MapFlags::default()
        };
        mem.map(page, len, Perm::RX, flags, Backing::Anonymous, "code")
            .expect("map code");
        let bytes = &elf[off as usize..(off + filesz) as usize];
        mem.write_bytes_force(vaddr, bytes).expect("write code");
        ranges.push((vaddr, vaddr + filesz));
    }
    ranges
}

/// Sweep the code of the program at `path` block by block (linearly, from
/// the start of each executable segment); every block, optimized, must run
/// like the original from a state whose registers point into the data page
/// (so loads and stores mostly succeed), and optimizing it again changes
/// nothing (the passes reach their fixed point). Returns (blocks, guest
/// instructions, IR instructions before, after).
fn sweep(path: &std::path::Path) -> (usize, usize, usize, usize) {
    let mem = case::memory();
    let ranges = load_code(path, &mem);
    assert!(!ranges.is_empty(), "no executable segment");
    let (mut blocks, mut before, mut after, mut guest) = (0usize, 0usize, 0usize, 0usize);
    let page: Vec<u8> = (0..case::MEM_LEN).map(|i| (i * 13 + 5) as u8).collect();
    let mut spent = std::time::Duration::ZERO;
    for (lo, hi) in ranges {
        let mut pc = lo;
        while pc < hi {
            let Ok(block) = vm_engine::interp::translate(pc, &mem, false) else {
                pc += 2;
                continue;
            };
            let mut opt = block.clone();
            let t = std::time::Instant::now();
            vm_ir::optimize(&mut opt);
            spent += t.elapsed();
            vm_ir::verify(&opt).expect("optimized real block verifies");
            let mut again = opt.clone();
            vm_ir::optimize(&mut again);
            assert_eq!(again, opt, "optimizing twice changed\n{block}");
            blocks += 1;
            guest += block.guest_insn_count();
            before += block.insts.len();
            after += opt.insts.len();
            let mut cpu = vm_core::CpuState::default();
            for r in 1..32 {
                cpu.x[r] = case::MEM + 2048 + 8 * r as u64;
                cpu.f[r] = 0x4000_0000_0000_0000 + r as u64;
            }
            let want = case::run(&block, cpu.clone(), &page, &mem);
            let got = case::run(&opt, cpu, &page, &mem);
            assert_eq!(got.0, want.0, "end\n{block}\n=>\n{opt}");
            assert_eq!(got.1, want.1, "cpu state\n{block}\n=>\n{opt}");
            assert!(got.2 == want.2, "memory differs\n{block}\n=>\n{opt}");
            pc = block.end_pc.max(pc + 2);
        }
    }
    println!(
        "{}: {blocks} blocks, {guest} guest instructions, IR instructions {before} -> {after} ({:.1}% removed), optimizer {:.2} us per block",
        path.display(),
        100.0 * (before - after) as f64 / before as f64,
        spent.as_secs_f64() * 1e6 / blocks.max(1) as f64
    );
    (blocks, guest, before, after)
}

/// Every block of a real program (the demo `nqueens` binary, statically
/// linked with glibc) runs alike optimized, and the optimizer shrinks the
/// code. Set `VM_OPT_ELF` to a static RISC-V program to sweep it too.
#[test]
fn real_program_blocks_shrink_and_run_alike() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let (blocks, _, before, after) = sweep(&root.join("demo/bin/nqueens"));
    assert!(blocks > 1000, "only {blocks} blocks in the sweep");
    assert!(after < before);
    if let Some(extra) = std::env::var_os("VM_OPT_ELF") {
        sweep(std::path::Path::new(&extra));
    }
}
