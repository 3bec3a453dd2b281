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
