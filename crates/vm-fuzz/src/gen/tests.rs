//! Generator properties: determinism and assembly of every program.

use super::*;
use crate::asm::assemble;

#[test]
fn same_seed_same_program() {
    let cfg = GenConfig::default();
    for seed in [0, 1, 42, u64::MAX] {
        assert_eq!(generate(seed, &cfg), generate(seed, &cfg));
    }
    assert_ne!(generate(1, &cfg), generate(2, &cfg));
}

#[test]
fn every_program_assembles_within_the_code_region() {
    let cfg = GenConfig::default();
    for seed in 0..500 {
        let p = generate(seed, &cfg);
        for ending in [Ending::Ebreak, Ending::Linux] {
            let words = assemble(&p.items(ending), CODE_BASE).unwrap();
            let end = words.last().map_or(CODE_BASE, |w| w.pc + w.len as u64);
            assert!(end - CODE_BASE < CODE_BYTES_MAX, "seed {seed}");
        }
        assert_eq!(p.data.len() as u64, DATA_BYTES);
    }
}

#[test]
fn qemu_safe_programs_avoid_ctzw() {
    let cfg = GenConfig {
        qemu_safe: true,
        ..GenConfig::default()
    };
    for seed in 0..300 {
        for it in generate(seed, &cfg).items(Ending::Linux) {
            assert!(
                !matches!(
                    it,
                    Item::Op(Op::Unary {
                        op: UnaryOp::Ctzw,
                        ..
                    })
                ),
                "seed {seed}"
            );
        }
    }
}

#[test]
fn both_endings_place_leaves_at_the_same_address() {
    let p = generate(7, &GenConfig::default());
    let a = assemble(&p.items(Ending::Ebreak), CODE_BASE).unwrap();
    let b = assemble(&p.items(Ending::Linux), CODE_BASE).unwrap();
    let end = |w: &[crate::asm::Word]| w.last().map(|w| w.pc + w.len as u64);
    assert_eq!(end(&a), end(&b));
}
