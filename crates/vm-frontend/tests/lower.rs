//! Lowering tests: block boundaries, fetch faults, x0, precise state,
//! instruction starts, and the semantics of instructions composed from
//! several IR ops (checked with a small independent evaluator).

use std::collections::HashMap;
use vm_frontend::{FetchFault, compressed, decode_bits, table, translate_block};
use vm_ir::{BinOp, Block, Csr, Global, Inst, JumpHint, MemTy, Terminator, TrapKind, UnOp, Value};

const BASE: u64 = 0x1_0000;

/// Guest code: instructions laid out from `BASE` (16-bit values for
/// compressed ones), fetched parcel by parcel.
struct Code(HashMap<u64, u16>);

impl Code {
    fn new(insns: &[u32]) -> Code {
        let mut map = HashMap::new();
        let mut pc = BASE;
        for &w in insns {
            map.insert(pc, w as u16);
            pc += 2;
            if w & 3 == 3 {
                map.insert(pc, (w >> 16) as u16);
                pc += 2;
            }
        }
        Code(map)
    }

    fn translate(&self, pc: u64, max: usize) -> Result<Block, FetchFault> {
        translate_block(pc, &mut |a| self.0.get(&a).copied(), max)
    }
}

// A few encodings written out by hand (checked against objdump in tests/objdump.rs).
const ADDI_A0_A0_1: u32 = 0x0015_0513;
const ECALL: u32 = 0x0000_0073;
const EBREAK: u32 = 0x0010_0073;
const FENCE_I: u32 = 0x0000_100f;
const C_NOP: u32 = 0x0001;
const C_ADDI_A0_1: u32 = 0x0505;
const C_J_0: u32 = 0xa001;
const RET: u32 = 0x0000_8067;
const C_JR_RA: u32 = 0x8082;

fn pcs(b: &Block) -> Vec<u64> {
    b.insn_starts.iter().map(|s| s.pc).collect()
}

#[test]
fn block_ends_after_jump_and_traps() {
    // jal x0, +8 after one addi.
    let b = Code::new(&[ADDI_A0_A0_1, 0x0080_006f, ADDI_A0_A0_1])
        .translate(BASE, 64)
        .unwrap();
    assert_eq!(pcs(&b), vec![BASE, BASE + 4]);
    assert_eq!(b.term, Terminator::Jump { target: BASE + 12 });
    assert_eq!(b.end_pc, BASE + 8);

    for (word, kind) in [
        (ECALL, TrapKind::Syscall),
        (EBREAK, TrapKind::Breakpoint),
        (FENCE_I, TrapKind::FenceI),
        (0xffff_ffff, TrapKind::Illegal { raw: 0xffff_ffff }),
        (0x3020_0073, TrapKind::Illegal { raw: 0x3020_0073 }), // mret
    ] {
        let b = Code::new(&[ADDI_A0_A0_1, word, ADDI_A0_A0_1])
            .translate(BASE, 64)
            .unwrap();
        assert_eq!(pcs(&b), vec![BASE, BASE + 4], "{word:#x}");
        assert_eq!(
            b.term,
            Terminator::Trap {
                kind,
                pc: BASE + 4,
                next_pc: BASE + 8
            }
        );
    }
}

#[test]
fn compressed_illegal_reports_the_parcel() {
    // c.nop, then the all-zero parcel (illegal), then more code.
    let b = Code::new(&[C_NOP, 0x0000, C_NOP])
        .translate(BASE, 64)
        .unwrap();
    assert_eq!(pcs(&b), vec![BASE, BASE + 2]);
    assert_eq!(
        b.term,
        Terminator::Trap {
            kind: TrapKind::Illegal { raw: 0 },
            pc: BASE + 2,
            next_pc: BASE + 4
        }
    );
    // A reserved compressed form with nonzero bits: c.lui a0, 0.
    let b = Code::new(&[0x6501]).translate(BASE, 64).unwrap();
    assert!(matches!(
        b.term,
        Terminator::Trap {
            kind: TrapKind::Illegal { raw: 0x6501 },
            ..
        }
    ));
}

#[test]
fn conditional_branch_falls_through_after_its_length() {
    // c.beqz a0, 0 (compressed) and beq a0, a1, 16 (32-bit).
    let b = Code::new(&[0xc101]).translate(BASE, 64).unwrap();
    let Terminator::Branch {
        taken, fallthrough, ..
    } = b.term
    else {
        panic!("{:?}", b.term)
    };
    assert_eq!((taken, fallthrough), (BASE, BASE + 2));
    let b = Code::new(&[0x00b5_0863]).translate(BASE, 64).unwrap();
    let Terminator::Branch {
        taken, fallthrough, ..
    } = b.term
    else {
        panic!("{:?}", b.term)
    };
    assert_eq!((taken, fallthrough), (BASE + 16, BASE + 4));
}

#[test]
fn compressed_pcs_and_insn_starts() {
    let code = Code::new(&[C_NOP, C_ADDI_A0_1, ADDI_A0_A0_1, C_ADDI_A0_1, C_J_0]);
    let b = code.translate(BASE, 64).unwrap();
    assert_eq!(pcs(&b), vec![BASE, BASE + 2, BASE + 4, BASE + 8, BASE + 10]);
    assert_eq!(b.end_pc, BASE + 12);
    assert_eq!(b.term, Terminator::Jump { target: BASE + 10 });
    assert_starts_consistent(&b);
}

#[test]
fn max_insns_ends_with_jump_to_next() {
    let code = Code::new(&[ADDI_A0_A0_1; 10]);
    let b = code.translate(BASE, 3).unwrap();
    assert_eq!(b.guest_insn_count(), 3);
    assert_eq!(b.term, Terminator::Jump { target: BASE + 12 });
    assert_eq!(b.end_pc, BASE + 12);
    // max_insns = 0 still translates one instruction.
    assert_eq!(code.translate(BASE, 0).unwrap().guest_insn_count(), 1);
}

#[test]
fn fetch_faults() {
    let code = Code::new(&[ADDI_A0_A0_1, ADDI_A0_A0_1]);
    assert_eq!(
        code.translate(BASE - 4, 8),
        Err(FetchFault { addr: BASE - 4 })
    );
    // First instruction's second parcel missing.
    let mut half = Code::new(&[ADDI_A0_A0_1]);
    half.0.remove(&(BASE + 2));
    assert_eq!(half.translate(BASE, 8), Err(FetchFault { addr: BASE + 2 }));
    // A later instruction that cannot be fetched ends the block before it.
    let b = code.translate(BASE, 8).unwrap();
    assert_eq!(pcs(&b), vec![BASE, BASE + 4]);
    assert_eq!(b.term, Terminator::Jump { target: BASE + 8 });
    // ... also when only its second parcel is missing.
    let mut code = Code::new(&[C_NOP, ADDI_A0_A0_1]);
    code.0.remove(&(BASE + 4));
    let b = code.translate(BASE, 8).unwrap();
    assert_eq!(pcs(&b), vec![BASE]);
    assert_eq!(b.term, Terminator::Jump { target: BASE + 2 });
}

#[test]
fn jalr_hints_and_link() {
    let hint = |w: u32| match Code::new(&[w]).translate(BASE, 4).unwrap().term {
        Terminator::JumpIndirect { hint, .. } => hint,
        t => panic!("{t:?}"),
    };
    assert_eq!(hint(RET), JumpHint::Return);
    assert_eq!(hint(C_JR_RA), JumpHint::Return);
    assert_eq!(hint(0x0005_0067), JumpHint::Other); // jr a0
    assert_eq!(hint(0x0040_8067), JumpHint::Other); // jr 4(ra)
    assert_eq!(hint(0x0005_00e7), JumpHint::Call); // jalr a0
    assert_eq!(hint(0x9502), JumpHint::Call); // c.jalr a0

    // jalr a0, 3(a0): target from the old a0, link = pc + 4.
    let b = Code::new(&[0x0035_0567]).translate(BASE, 4).unwrap();
    let mut regs = Regs::default();
    regs.x[10] = 0x4000;
    let (target, _) = eval(&b, &mut regs);
    assert_eq!(target, Some(0x4002));
    assert_eq!(regs.x[10], BASE + 4);
}

#[test]
fn csr_rules() {
    let lower = |w: u32| Code::new(&[w]).translate(BASE, 1).unwrap();
    let illegal = |b: &Block| {
        matches!(
            b.term,
            Terminator::Trap {
                kind: TrapKind::Illegal { .. },
                ..
            }
        )
    };
    let has = |b: &Block, f: &dyn Fn(&Inst) -> bool| b.insts.iter().any(f);
    let reads = |b: &Block| has(b, &|i| matches!(i, Inst::CsrRead { .. }));
    let writes = |b: &Block| has(b, &|i| matches!(i, Inst::CsrWrite { .. }));
    // csrr a0, mstatus: unknown CSR.
    assert!(illegal(&lower(0x3000_2573)));
    // rdcycle a0: read, no write.
    let b = lower(0xc000_2573);
    assert!(!illegal(&b) && reads(&b) && !writes(&b));
    // csrs cycle, a0 / csrw cycle, a0: write to read-only CSR.
    assert!(illegal(&lower(0xc005_2073)));
    assert!(illegal(&lower(0xc005_1073)));
    // csrrsi a0, cycle, 0: no write, legal.
    assert!(!illegal(&lower(0xc000_6573)));
    // fsflags a0 (csrrw x0): write without read.
    let b = lower(0x0015_1073);
    assert!(!reads(&b) && writes(&b));
    // csrrc a0, fcsr, a1: read then write old & !a1, a0 = old.
    let b = lower(0x0035_b573);
    assert!(reads(&b) && writes(&b));
    assert!(
        b.insts
            .iter()
            .any(|i| matches!(i, Inst::CsrWrite { csr: Csr::Fcsr, .. }))
    );
    assert!(!illegal(&b));
}

/// Check the `insn_starts` invariants of a block.
fn assert_starts_consistent(b: &Block) {
    assert!(!b.insn_starts.is_empty());
    assert_eq!(b.insn_starts[0].pc, b.start_pc);
    assert_eq!(b.insn_starts[0].inst, 0);
    for w in b.insn_starts.windows(2) {
        assert!(
            w[0].inst <= w[1].inst && w[0].pc < w[1].pc,
            "{:?}",
            b.insn_starts
        );
    }
    assert!(b.insn_starts.last().unwrap().pc < b.end_pc);
    assert!(b.insn_starts.last().unwrap().inst as usize <= b.insts.len());
}

/// Random valid instruction words: every table encoding with random fields,
/// and every legal compressed parcel.
fn sample_words() -> Vec<u32> {
    let mut s = 0x1234_5678_9abc_def0u64;
    let mut next = || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s as u32
    };
    let mut words = Vec::new();
    for e in table::encodings() {
        for _ in 0..200 {
            words.push((next() & !e.mask) | e.bits);
        }
    }
    words.extend((0..=0xffffu32).filter(|&p| p & 3 != 3 && compressed::expand(p as u16).is_some()));
    words
}

#[test]
fn precise_state_and_x0_over_random_instructions() {
    let mut checked = 0;
    for w in sample_words() {
        if decode_bits(w).is_illegal() {
            continue; // reserved rm etc.
        }
        let b = Code::new(&[w]).translate(BASE, 1).unwrap();
        assert_eq!(b.guest_insn_count(), 1, "{w:#x}");
        assert_starts_consistent(&b);
        let mut seen_set = false;
        for inst in &b.insts {
            match inst {
                Inst::Set { reg, .. } => {
                    assert_ne!(*reg, Global::X(0), "{w:#x} writes x0");
                    seen_set = true;
                }
                Inst::Get { .. } => assert!(!seen_set, "{w:#x}: read after write"),
                i if i.may_fault() => assert!(!seen_set, "{w:#x}: fault after set"),
                _ => {}
            }
        }
        checked += 1;
    }
    assert!(checked > 30_000, "only {checked} words checked");
}

#[test]
fn multi_instruction_blocks_are_consistent() {
    // Runs of random legal non-control instructions form one block each.
    let words: Vec<u32> = sample_words()
        .into_iter()
        .filter(|&w| {
            let b = Code::new(&[w]).translate(BASE, 1).unwrap();
            b.term == Terminator::Jump { target: b.end_pc }
        })
        .collect();
    for chunk in words.chunks(16).step_by(37) {
        let b = Code::new(chunk).translate(BASE, 64).unwrap();
        assert_eq!(b.guest_insn_count(), chunk.len());
        assert_starts_consistent(&b);
        assert!(!b.insts.iter().any(|i| matches!(
            i,
            Inst::Set {
                reg: Global::X(0),
                ..
            }
        )));
    }
}

// ---- A small evaluator for the integer ops used by composed lowerings ----

#[derive(Default)]
struct Regs {
    x: [u64; 32],
    f: [u64; 32],
    mem: HashMap<u64, u8>,
}

/// Evaluate a block without FP arithmetic; returns (indirect target, taken).
fn eval(b: &Block, r: &mut Regs) -> (Option<u64>, Option<bool>) {
    let mut v = vec![0u64; b.insts.len()];
    let get = |v: &Vec<u64>, a: &Value| v[a.0 as usize];
    for (i, inst) in b.insts.iter().enumerate() {
        v[i] = match inst {
            Inst::Const { imm } => *imm,
            Inst::Get { reg: Global::X(n) } => r.x[*n as usize],
            Inst::Get { reg: Global::F(n) } => r.f[*n as usize],
            Inst::Set { reg, arg } => {
                let val = get(&v, arg);
                match reg {
                    Global::X(n) => r.x[*n as usize] = val,
                    Global::F(n) => r.f[*n as usize] = val,
                }
                0
            }
            Inst::Binary { op, a, b } => binop(*op, get(&v, a), get(&v, b)),
            Inst::BinaryImm { op, a, imm } => binop(*op, get(&v, a), *imm as u64),
            Inst::Unary { op, a } => {
                let a = get(&v, a);
                match op {
                    UnOp::ZextW => a as u32 as u64,
                    UnOp::SextW => a as i32 as i64 as u64,
                    other => panic!("evaluator lacks {other:?}"),
                }
            }
            Inst::Load { ty, addr, offset } => {
                let base = get(&v, addr).wrapping_add(*offset as i64 as u64);
                let mut raw = 0u64;
                for k in 0..ty.bytes() as u64 {
                    raw |= (*r.mem.get(&(base + k)).unwrap_or(&0) as u64) << (8 * k);
                }
                ty.extend(raw)
            }
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => {
                let base = get(&v, addr).wrapping_add(*offset as i64 as u64);
                let val = get(&v, val);
                for k in 0..ty.bytes() as u64 {
                    r.mem.insert(base + k, (val >> (8 * k)) as u8);
                }
                0
            }
            other => panic!("evaluator lacks {other:?}"),
        };
    }
    match &b.term {
        Terminator::JumpIndirect { target, .. } => (Some(v[target.0 as usize]), None),
        Terminator::Branch { cond, a, b, .. } => {
            (None, Some(cond.eval(v[a.0 as usize], v[b.0 as usize])))
        }
        _ => (None, None),
    }
}

fn binop(op: BinOp, a: u64, b: u64) -> u64 {
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::AndN => a & !b,
        BinOp::Shl => a << (b & 63),
        BinOp::ShrL => a >> (b & 63),
        other => panic!("evaluator lacks {other:?}"),
    }
}

/// R-type word.
fn r_type(opcode: u32, f3: u32, f7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}

/// Run one instruction with a0 = a, a1 = b; returns a2.
fn run_rr(word: u32, a: u64, b: u64) -> u64 {
    let blk = Code::new(&[word]).translate(BASE, 1).unwrap();
    let mut r = Regs::default();
    r.x[10] = a;
    r.x[11] = b;
    eval(&blk, &mut r);
    r.x[12]
}

/// Reference semantics of a register-register op.
type RefRR = fn(u64, u64) -> u64;
/// Reference semantics of a single-bit op (value, bit index).
type RefBit = fn(u64, u32) -> u64;

const SAMPLES: [u64; 6] = [
    0,
    1,
    0x8000_0000,
    0xffff_ffff_ffff_ffff,
    0x1234_5678_9abc_def0,
    0xfedc_ba98_7654_3210,
];

#[test]
fn zba_composed_semantics() {
    // (f7, f3, opcode, reference)
    let cases: [(u32, u32, u32, RefRR); 7] = [
        (0x10, 2, 0x33, |a, b| (a << 1).wrapping_add(b)),
        (0x10, 4, 0x33, |a, b| (a << 2).wrapping_add(b)),
        (0x10, 6, 0x33, |a, b| (a << 3).wrapping_add(b)),
        (0x04, 0, 0x3b, |a, b| (a & 0xffff_ffff).wrapping_add(b)),
        (0x10, 2, 0x3b, |a, b| {
            ((a & 0xffff_ffff) << 1).wrapping_add(b)
        }),
        (0x10, 4, 0x3b, |a, b| {
            ((a & 0xffff_ffff) << 2).wrapping_add(b)
        }),
        (0x10, 6, 0x3b, |a, b| {
            ((a & 0xffff_ffff) << 3).wrapping_add(b)
        }),
    ];
    for (f7, f3, opc, reference) in cases {
        let w = r_type(opc, f3, f7, 12, 10, 11);
        for a in SAMPLES {
            for b in SAMPLES {
                assert_eq!(run_rr(w, a, b), reference(a, b), "{w:#x} {a:#x} {b:#x}");
            }
        }
    }
    // slli.uw a2, a0, 5
    let w = 0x0800_101b | (5 << 20) | (10 << 15) | (12 << 7);
    for a in SAMPLES {
        assert_eq!(run_rr(w, a, 0), (a & 0xffff_ffff) << 5);
    }
}

#[test]
fn zbs_composed_semantics() {
    let cases: [(u32, u32, RefBit); 4] = [
        (0x24, 1, |a, n| a & !(1 << n)), // bclr
        (0x14, 1, |a, n| a | (1 << n)),  // bset
        (0x34, 1, |a, n| a ^ (1 << n)),  // binv
        (0x24, 5, |a, n| (a >> n) & 1),  // bext
    ];
    for (f7, f3, reference) in cases {
        for a in SAMPLES {
            for n in [0u32, 1, 31, 32, 63, 64 + 5] {
                let reg = r_type(0x33, f3, f7, 12, 10, 11);
                assert_eq!(run_rr(reg, a, n as u64), reference(a, n & 63), "{reg:#x}");
                let imm =
                    (f7 << 25) | ((n & 63) << 20) | (10 << 15) | (f3 << 12) | (12 << 7) | 0x13;
                assert_eq!(run_rr(imm, a, 0), reference(a, n & 63), "{imm:#x}");
            }
        }
    }
}

#[test]
fn fp_moves_nan_box() {
    let run = |w: u32, x: u64, f: u64| {
        let blk = Code::new(&[w]).translate(BASE, 1).unwrap();
        let mut r = Regs::default();
        r.x[11] = x;
        r.f[11] = f;
        r.x[10] = BASE; // address for loads
        r.mem.extend((0..8).map(|k| (BASE + k, 0x80 + k as u8)));
        eval(&blk, &mut r);
        r
    };
    // fmv.x.w a0, fa1: sign-extend the low 32 bits.
    assert_eq!(
        run(0xe005_8553, 0, 0x1234_5678_8765_4321).x[10],
        0xffff_ffff_8765_4321
    );
    // fmv.w.x fa0, a1: NaN-box.
    assert_eq!(
        run(0xf005_8553, 0x1234_5678_8765_4321, 0).f[10],
        0xffff_ffff_8765_4321
    );
    // fmv.x.d / fmv.d.x: plain copies.
    assert_eq!(
        run(0xe205_8553, 0, 0x1234_5678_8765_4321).x[10],
        0x1234_5678_8765_4321
    );
    assert_eq!(
        run(0xf205_8553, 0x1234_5678_8765_4321, 0).f[10],
        0x1234_5678_8765_4321
    );
    // flw fa2, 0(a0): NaN-boxed 32-bit load; fld fa2, 0(a0).
    assert_eq!(run(0x0005_2607, 0, 0).f[12], 0xffff_ffff_8382_8180);
    assert_eq!(run(0x0005_3607, 0, 0).f[12], 0x8786_8584_8382_8180);
    // fsw fa1, 0(a0) stores 4 bytes only.
    let r = run(0x00b5_2027, 0, 0x1122_3344_5566_7788);
    assert_eq!(r.mem[&BASE], 0x88);
    assert_eq!(r.mem[&(BASE + 3)], 0x55);
    assert_eq!(r.mem[&(BASE + 4)], 0x84);
}

#[test]
fn lui_auipc_and_loads_use_sign_extended_values() {
    // lui a2, 0x80000 ; auipc a2, 0xfffff
    assert_eq!(run_rr(0x8000_0637, 0, 0), 0xffff_ffff_8000_0000);
    assert_eq!(run_rr(0xffff_f617, 0, 0), BASE.wrapping_sub(0x1000));
    // lw a2, -4(a0) on 0x80818283 sign-extends; lwu zero-extends.
    let blk = |w| Code::new(&[w]).translate(BASE, 1).unwrap();
    for (w, expect) in [
        (0xffc5_2603u32, 0xffff_ffff_8382_8180u64),
        (0xffc5_6603, 0x8382_8180),
    ] {
        let mut r = Regs::default();
        r.x[10] = 0x2004;
        r.mem.extend((0..4).map(|k| (0x2000 + k, 0x80 + k as u8)));
        eval(&blk(w), &mut r);
        assert_eq!(r.x[12], expect, "{w:#x}");
    }
    // A load into x0 still loads (it may fault) but writes nothing.
    let b = blk(0x0005_2003);
    assert!(
        b.insts
            .iter()
            .any(|i| matches!(i, Inst::Load { ty: MemTy::I32, .. }))
    );
    assert!(!b.insts.iter().any(|i| matches!(i, Inst::Set { .. })));
}
