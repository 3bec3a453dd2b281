//! The encoder agrees with `vm_frontend`'s decoder on every operation the
//! generator emits, and with known assembler output on a few fixed words.

use super::*;
use crate::asm::Item;
use crate::r#gen::{Ending, GenConfig, generate};
use vm_frontend::{decode, decode32};

/// Words taken from GNU as / objdump output.
#[test]
fn known_words() {
    let cases: &[(Op, u32)] = &[
        // addi a0, a0, 1
        (
            Op::RegImm {
                op: ImmOp::Addi,
                rd: 10,
                rs1: 10,
                imm: 1,
            },
            0x0015_0513,
        ),
        // sd ra, 8(sp)
        (
            Op::Store {
                op: StoreOp::Sd,
                rs1: 2,
                rs2: 1,
                offset: 8,
            },
            0x0011_3423,
        ),
        // fadd.d fa0, fa1, fa2, dyn
        (
            Op::FpArith {
                op: FBinOp::Add,
                fmt: FpFmt::D,
                rm: vm_frontend::insn::RoundMode::Dyn,
                rd: 10,
                rs1: 11,
                rs2: 12,
            },
            0x02c5_f553,
        ),
        // ebreak
        (Op::Ebreak, 0x0010_0073),
        // jal ra, -4 (relative)
        (Op::Jal { rd: 1, offset: -4 }, 0xffdf_f0ef),
    ];
    for (op, want) in cases {
        assert_eq!(encode(op), Ok(*want), "{op:?}");
    }
    // c.addi a0, 1 and c.ebreak
    assert_eq!(COp::Addi { rd: 10, imm: 1 }.encode(), Ok(0x0505));
    assert_eq!(COp::Ebreak.encode(), Ok(0x9002));
    // c.ldsp ra, 8(sp)
    assert_eq!(COp::Ldsp { rd: 1, imm: 8 }.encode(), Ok(0x60a2));
}

/// Every instruction of many generated programs decodes back to itself.
#[test]
fn generated_operations_round_trip_through_the_decoder() {
    let mut ops = 0;
    let mut cops = 0;
    for seed in 0..400 {
        let p = generate(seed, &GenConfig::default());
        for item in p.items(Ending::Linux) {
            match item {
                Item::Op(op) => {
                    let w = encode(&op).unwrap_or_else(|e| panic!("{op:?}: {e}"));
                    assert_eq!(decode32(w), op, "word {w:#010x}");
                    ops += 1;
                }
                Item::C(c) => {
                    let p = c.encode().unwrap_or_else(|e| panic!("{c:?}: {e}"));
                    let insn = decode(p, 0);
                    assert_eq!(insn.len, 2, "{c:?} {p:#06x}");
                    assert_eq!(insn.op, c.expansion(), "{c:?} parcel {p:#06x}");
                    cops += 1;
                }
                _ => {}
            }
        }
    }
    assert!(ops > 10_000 && cops > 1_000, "{ops} {cops}");
}

/// Out-of-range fields are errors, not wrong words.
#[test]
fn out_of_range_fields_are_rejected() {
    let too_big = Op::RegImm {
        op: ImmOp::Addi,
        rd: 1,
        rs1: 1,
        imm: 2048,
    };
    assert!(encode(&too_big).is_err());
    assert!(encode(&Op::Jal { rd: 0, offset: 3 }).is_err());
    assert!(
        COp::Lw {
            rdp: 1,
            rs1p: 8,
            imm: 0
        }
        .encode()
        .is_err()
    );
    assert!(COp::Addi4spn { rdp: 8, imm: 0 }.encode().is_err());
}
