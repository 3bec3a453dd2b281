//! Printing then parsing gives back the same block, for every instruction and
//! terminator variant (iterating over the op enums' `ALL` lists).

use vm_ir::*;

/// Emits instructions, starting a new guest instruction (4 bytes) for each
/// group so the precise-state rule holds.
struct Gen {
    b: Builder,
    pc: u64,
}

impl Gen {
    fn new(start: u64) -> Gen {
        Gen {
            b: Builder::new(start),
            pc: start,
        }
    }
    fn insn(&mut self) {
        self.b.begin_insn(self.pc);
        self.pc += 4;
    }
}

/// One block holding every instruction variant with every operation name.
fn every_instruction() -> Block {
    let mut g = Gen::new(0x10078);
    g.insn();
    let x = g.b.get(Global::X(1));
    let y = g.b.get(Global::X(31));
    let f = g.b.get(Global::F(0));
    let f2 = g.b.get(Global::F(31));
    for imm in [0, 1, u64::MAX, 1 << 63, 0x1234_5678_9abc_def0] {
        g.b.iconst(imm);
    }
    for &op in BinOp::ALL {
        g.insn();
        let v = g.b.binary(op, x, y);
        for imm in [0, -1, 7, 65536, 65537, -65537, i64::MIN, i64::MAX] {
            g.b.binary_imm(op, v, imm);
        }
        g.b.set(Global::X(5), v);
    }
    for &op in UnOp::ALL {
        g.insn();
        let v = g.b.unary(op, x);
        g.b.set(Global::X(6), v);
    }
    for &ty in MemTy::ALL {
        for off in [0, 8, -8, i32::MIN, i32::MAX] {
            g.insn();
            let v = g.b.load(ty, x, off);
            g.b.store(ty, y, off, v);
            g.b.set(Global::X(7), v);
        }
    }
    for &w in AtomicWidth::ALL {
        for &op in AmoOp::ALL {
            g.insn();
            g.b.push(Inst::Amo {
                op,
                width: w,
                addr: x,
                val: y,
            });
        }
        g.insn();
        g.b.push(Inst::LoadReserved { width: w, addr: x });
        g.b.push(Inst::StoreConditional {
            width: w,
            addr: x,
            val: y,
        });
    }
    g.insn();
    g.b.push(Inst::Fence);
    for &fmt in FpFmt::ALL {
        for &rm in RoundMode::ALL {
            for &op in FBinOp::ALL {
                g.insn();
                let v = g.b.push(Inst::FBinary {
                    op,
                    fmt,
                    rm,
                    a: f,
                    b: f2,
                });
                g.b.set(Global::F(2), v);
            }
            for &op in FUnOp::ALL {
                g.insn();
                g.b.push(Inst::FUnary { op, fmt, rm, a: f });
            }
            for &op in FmaOp::ALL {
                g.insn();
                g.b.push(Inst::Fma {
                    op,
                    fmt,
                    rm,
                    a: f,
                    b: f2,
                    c: f,
                });
            }
        }
    }
    for &to in CvtTy::ALL {
        for &from in CvtTy::ALL {
            if to == from || !(to.is_float() || from.is_float()) {
                continue;
            }
            for &rm in RoundMode::ALL {
                g.insn();
                g.b.push(Inst::FCvt { to, from, rm, a: f });
            }
        }
    }
    for &csr in Csr::ALL {
        g.insn();
        g.b.push(Inst::CsrRead { csr });
        if !csr.read_only() {
            g.b.push(Inst::CsrWrite { csr, arg: x });
        }
    }
    g.insn();
    let end = g.pc;
    g.b.finish(
        Terminator::Branch {
            cond: Cond::LtU,
            a: x,
            b: y,
            taken: 0x10100,
            fallthrough: end,
        },
        end,
    )
}

fn roundtrip(b: &Block) {
    let text = b.to_string();
    let parsed = parse_block(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(&parsed, b, "round trip changed the block:\n{text}");
    assert_eq!(parsed.to_string(), text, "printing is deterministic");
}

#[test]
fn every_instruction_roundtrips_and_verifies() {
    let b = every_instruction();
    verify(&b).expect("the generated block is valid");
    roundtrip(&b);
}

/// A small block whose only interesting part is its terminator.
fn with_term(term: Terminator) -> Block {
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let v = b.get(Global::X(10));
    let _ = b.get(Global::X(11));
    let _ = v;
    b.finish(term, 0x1004)
}

#[test]
fn every_terminator_roundtrips() {
    let mut terms = vec![
        Terminator::Jump { target: 0 },
        Terminator::Jump { target: u64::MAX },
    ];
    for &cond in Cond::ALL {
        terms.push(Terminator::Branch {
            cond,
            a: Value(0),
            b: Value(1),
            taken: 0xffff_ffff_ffff_fff0,
            fallthrough: 0x1004,
        });
    }
    for hint in [JumpHint::Return, JumpHint::Call, JumpHint::Other] {
        terms.push(Terminator::JumpIndirect {
            target: Value(1),
            hint,
        });
    }
    for kind in [
        TrapKind::Syscall,
        TrapKind::Breakpoint,
        TrapKind::FenceI,
        TrapKind::Illegal { raw: 0 },
        TrapKind::Illegal { raw: u32::MAX },
    ] {
        terms.push(Terminator::Trap {
            kind,
            pc: 0x1000,
            next_pc: 0x1004,
        });
    }
    for t in terms {
        let b = with_term(t);
        verify(&b).expect("valid");
        roundtrip(&b);
    }
}

#[test]
fn empty_and_odd_blocks_roundtrip() {
    // No instructions at all (an illegal first instruction).
    roundtrip(&Builder::new(0x2000).finish(
        Terminator::Trap {
            kind: TrapKind::Illegal { raw: 0xdead_beef },
            pc: 0x2000,
            next_pc: 0x2004,
        },
        0x2000,
    ));
    // Guest instructions that lowered to nothing, including a trailing one.
    let mut b = Builder::new(0x3000);
    b.begin_insn(0x3000);
    b.begin_insn(0x3002);
    let v = b.iconst(5);
    b.set(Global::X(1), v);
    b.begin_insn(0x3006);
    let blk = b.finish(Terminator::Jump { target: 0x4000 }, 0x300a);
    verify(&blk).expect("valid");
    roundtrip(&blk);
}

#[test]
fn invalid_blocks_still_roundtrip() {
    // Unordered insn_starts and out-of-range registers are printed in an
    // explicit form so the text still describes the block exactly.
    let blk = Block {
        start_pc: 0x100,
        end_pc: 0x108,
        insts: vec![
            Inst::Get {
                reg: Global::X(200),
            },
            Inst::Set {
                reg: Global::F(99),
                arg: Value(0),
            },
        ],
        term: Terminator::Jump { target: 0x108 },
        insn_starts: vec![
            InsnStart { inst: 1, pc: 0x104 },
            InsnStart { inst: 0, pc: 0x100 },
            InsnStart { inst: 9, pc: 0x1 },
        ],
    };
    assert!(verify(&blk).is_err());
    roundtrip(&blk);
}

#[test]
fn value_names_in_text_are_free() {
    let text = "block 0x10 .. 0x18:\n\
                @0x10\n\
                v7 = get x1   ; comment\n\
                v3 = add v7, -0x10\n\
                \n\
                @0x14\n\
                v100 = load.u8 [v3 - 4]\n\
                set x2, v100\n\
                br geu v100, v7, 0x40, 0x18\n";
    let b = parse_block(text).expect("parses");
    let mut want = Builder::new(0x10);
    want.begin_insn(0x10);
    let a = want.get(Global::X(1));
    let s = want.binary_imm(BinOp::Add, a, -16);
    want.begin_insn(0x14);
    let l = want.load(MemTy::U8, s, -4);
    want.set(Global::X(2), l);
    let want = want.finish(
        Terminator::Branch {
            cond: Cond::GeU,
            a: l,
            b: a,
            taken: 0x40,
            fallthrough: 0x18,
        },
        0x18,
    );
    assert_eq!(b, want);
    assert_eq!(verify(&b), Ok(()));
}
