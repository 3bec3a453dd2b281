//! Property test of the optimizer against the reference semantics: random
//! well-formed blocks (guest register traffic, every integer operation,
//! constants biased to identity and absorbing values, loads and stores on a
//! small memory that fault outside it, every terminator kind) give the same
//! registers, memory, and outcome (next PC, or fault with its guest PC and
//! retired count) before and after `optimize`, under a plain walk of the IR
//! whose only semantics are `eval_binop`/`eval_unop`.
//!
//! The interpreter-based version, with FP, CSR and atomic instructions, is
//! `crates/vm-engine/tests/opt_equiv.rs`.

use proptest::prelude::*;
use vm_ir::{
    BinOp, Block, Builder, Cond, Global, Inst, JumpHint, MemTy, Terminator, TrapKind, UnOp, Value,
    eval_binop, eval_unop, optimize, verify,
};

const START: u64 = 0x1000;
/// The walk's memory: `MEM_LEN` bytes at `MEM_BASE`; other addresses fault.
const MEM_BASE: u64 = 0x100;
const MEM_LEN: usize = 64;

/// One step of the block recipe; `usize` fields pick among live values.
#[derive(Clone, Debug)]
enum Step {
    Get(Global),
    Const(u64),
    Binary(BinOp, usize, usize),
    BinaryImm(BinOp, usize, i64),
    Unary(UnOp, usize),
    Set(Global, usize),
    Load(MemTy, usize, i32),
    Store(MemTy, usize, i32, usize),
    NextInsn,
}

#[derive(Clone, Copy, Debug)]
enum TermStep {
    Jump,
    Branch(Cond, usize, usize),
    Indirect(usize),
    Syscall,
}

fn global() -> impl Strategy<Value = Global> {
    prop_oneof![
        4 => (1u8..6).prop_map(Global::X),
        1 => (0u8..2).prop_map(Global::F),
        1 => (0u8..32).prop_map(Global::X),
    ]
}

/// Constants biased to the values identities are about, and to addresses
/// inside the walk's memory.
fn constant() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        1 => Just(1),
        1 => Just(u64::MAX),
        1 => Just(i64::MIN as u64),
        1 => Just(i64::MAX as u64),
        1 => Just(0xffff_ffff),
        1 => Just(0x8000_0000),
        1 => Just(0xffff_ffff_8000_0000),
        3 => 0u64..4,
        1 => (-4i64..0).prop_map(|c| c as u64),
        1 => 0u64..70,
        1 => MEM_BASE..MEM_BASE + MEM_LEN as u64,
        1 => any::<u64>(),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    let binop = proptest::sample::select(BinOp::ALL);
    let unop = proptest::sample::select(UnOp::ALL);
    let memty = proptest::sample::select(MemTy::ALL);
    prop_oneof![
        3 => global().prop_map(Step::Get),
        3 => constant().prop_map(Step::Const),
        4 => (binop.clone(), any::<usize>(), any::<usize>()).prop_map(|(o, a, b)| Step::Binary(o, a, b)),
        4 => (binop, any::<usize>(), constant()).prop_map(|(o, a, c)| Step::BinaryImm(o, a, c as i64)),
        2 => (unop, any::<usize>()).prop_map(|(o, a)| Step::Unary(o, a)),
        4 => (global(), any::<usize>()).prop_map(|(g, a)| Step::Set(g, a)),
        1 => (memty.clone(), any::<usize>(), -8i32..16).prop_map(|(t, a, o)| Step::Load(t, a, o)),
        1 => (memty, any::<usize>(), -8i32..16, any::<usize>()).prop_map(|(t, a, o, v)| Step::Store(t, a, o, v)),
        2 => Just(Step::NextInsn),
    ]
}

fn term_step() -> impl Strategy<Value = TermStep> {
    prop_oneof![
        Just(TermStep::Jump),
        (
            proptest::sample::select(Cond::ALL),
            any::<usize>(),
            any::<usize>()
        )
            .prop_map(|(c, a, b)| TermStep::Branch(c, a, b)),
        any::<usize>().prop_map(TermStep::Indirect),
        Just(TermStep::Syscall),
    ]
}

/// Build a block from the recipe; every block built verifies.
fn build(steps: &[Step], term: &TermStep) -> Block {
    let mut b = Builder::new(START);
    let mut pc = START;
    b.begin_insn(pc);
    let mut live: Vec<Value> = Vec::new();
    // Whether the current guest instruction has written a register (a
    // faulting instruction must then start a new guest instruction).
    let mut wrote = false;
    let mut next_insn = |b: &mut Builder, wrote: &mut bool| {
        pc += 4;
        b.begin_insn(pc);
        *wrote = false;
    };
    for s in steps {
        // Half the picks take one of the three newest values, so chains of
        // operations (and what an optimization did to them) reach a set.
        let pick = |i: usize| {
            let k = if i & 1 == 0 {
                live.len() - 1 - (i >> 1) % live.len().min(3)
            } else {
                (i >> 1) % live.len()
            };
            live[k]
        };
        match *s {
            Step::Get(g) => live.push(b.get(g)),
            Step::Const(c) => live.push(b.iconst(c)),
            Step::NextInsn => next_insn(&mut b, &mut wrote),
            _ if live.is_empty() => live.push(b.iconst(MEM_BASE)),
            Step::Binary(op, x, y) => live.push(b.binary(op, pick(x), pick(y))),
            Step::BinaryImm(op, x, imm) => live.push(b.binary_imm(op, pick(x), imm)),
            Step::Unary(op, x) => live.push(b.unary(op, pick(x))),
            Step::Set(g, x) => {
                b.set(g, pick(x));
                wrote = true;
            }
            Step::Load(ty, x, off) => {
                if wrote {
                    next_insn(&mut b, &mut wrote);
                }
                live.push(b.load(ty, pick(x), off));
            }
            Step::Store(ty, x, off, v) => {
                if wrote {
                    next_insn(&mut b, &mut wrote);
                }
                b.store(ty, pick(x), off, pick(v));
            }
        }
    }
    let end = pc + 4;
    let term = match (*term, live.is_empty()) {
        (TermStep::Branch(cond, x, y), false) => Terminator::Branch {
            cond,
            a: live[x % live.len()],
            b: live[y % live.len()],
            taken: 0x4000,
            fallthrough: end,
        },
        (TermStep::Indirect(x), false) => Terminator::JumpIndirect {
            target: live[x % live.len()],
            hint: JumpHint::Other,
        },
        (TermStep::Syscall, _) => Terminator::Trap {
            kind: TrapKind::Syscall,
            pc,
            next_pc: end,
        },
        _ => Terminator::Jump { target: 0x2000 },
    };
    b.finish(term, end)
}

/// What running a block did (besides registers and memory).
#[derive(Debug, PartialEq)]
enum Outcome {
    Next(u64),
    Fault { pc: u64, retired: usize, addr: u64 },
    Syscall { pc: u64, retired: usize },
}

#[derive(Debug, PartialEq, Clone)]
struct State {
    regs: [u64; Global::COUNT],
    mem: [u8; MEM_LEN],
}

fn mem_range(addr: u64, bytes: u32) -> Option<std::ops::Range<usize>> {
    let off = addr.checked_sub(MEM_BASE)? as usize;
    (off + bytes as usize <= MEM_LEN).then_some(off..off + bytes as usize)
}

/// Run `block` on `st` by walking its IR.
fn walk(block: &Block, st: &mut State) -> Outcome {
    let mut vals = vec![0u64; block.insts.len()];
    for (i, inst) in block.insts.iter().enumerate() {
        let v = |x: Value| vals[x.0 as usize];
        let fault = |addr: u64| {
            let (idx, pc) = block.guest_insn_of(i);
            Outcome::Fault {
                pc,
                retired: idx,
                addr,
            }
        };
        vals[i] = match *inst {
            Inst::Const { imm } => imm,
            Inst::Get { reg } => st.regs[reg.index()],
            Inst::Set { reg, arg } => {
                st.regs[reg.index()] = v(arg);
                0
            }
            Inst::Binary { op, a, b } => eval_binop(op, v(a), v(b)),
            Inst::BinaryImm { op, a, imm } => eval_binop(op, v(a), imm as u64),
            Inst::Unary { op, a } => eval_unop(op, v(a)),
            Inst::Load { ty, addr, offset } => {
                let ea = v(addr).wrapping_add(offset as i64 as u64);
                let Some(r) = mem_range(ea, ty.bytes()) else {
                    return fault(ea);
                };
                let mut raw = [0u8; 8];
                raw[..r.len()].copy_from_slice(&st.mem[r]);
                ty.extend(u64::from_le_bytes(raw))
            }
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => {
                let ea = v(addr).wrapping_add(offset as i64 as u64);
                let Some(r) = mem_range(ea, ty.bytes()) else {
                    return fault(ea);
                };
                let n = r.len();
                st.mem[r].copy_from_slice(&v(val).to_le_bytes()[..n]);
                0
            }
            ref other => panic!("the generator does not emit {other:?}"),
        };
    }
    match block.term {
        Terminator::Jump { target } => Outcome::Next(target),
        Terminator::Branch {
            cond,
            a,
            b,
            taken,
            fallthrough,
        } => Outcome::Next(if cond.eval(vals[a.0 as usize], vals[b.0 as usize]) {
            taken
        } else {
            fallthrough
        }),
        Terminator::JumpIndirect { target, .. } => Outcome::Next(vals[target.0 as usize]),
        Terminator::Trap { pc, .. } => Outcome::Syscall {
            pc,
            retired: block.guest_insn_count() - 1,
        },
    }
}

fn initial_state() -> impl Strategy<Value = State> {
    (
        proptest::collection::vec(constant(), Global::COUNT),
        proptest::collection::vec(any::<u8>(), MEM_LEN),
    )
        .prop_map(|(r, m)| {
            let mut regs = [0u64; Global::COUNT];
            regs.copy_from_slice(&r);
            regs[0] = 0;
            let mut mem = [0u8; MEM_LEN];
            mem.copy_from_slice(&m);
            State { regs, mem }
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 10000, ..ProptestConfig::default() })]

    #[test]
    fn optimized_blocks_agree_with_the_original(
        steps in proptest::collection::vec(step(), 0..48),
        term in term_step(),
        init in initial_state(),
    ) {
        let block = build(&steps, &term);
        prop_assert!(verify(&block).is_ok(), "generator made a bad block:\n{}", block);
        let mut opt = block.clone();
        optimize(&mut opt);
        prop_assert!(verify(&opt).is_ok(), "optimized block does not verify:\n{}", opt);
        prop_assert!(opt.insts.len() <= block.insts.len());
        prop_assert_eq!(opt.guest_insn_count(), block.guest_insn_count());
        let (mut want, mut got) = (init.clone(), init);
        let want_out = walk(&block, &mut want);
        let got_out = walk(&opt, &mut got);
        prop_assert_eq!(&got_out, &want_out, "outcome\n{}\n=>\n{}", block, opt);
        prop_assert_eq!(got, want, "state\n{}\n=>\n{}", block, opt);
    }
}

/// A block with nothing to remove is left exactly as it is.
#[test]
fn optimal_blocks_are_unchanged() {
    let text = "block 0x1000 .. 0x1008:
  @0x1000
  v0 = get x1
  v1 = load.i64 [v0 + 8]
  v2 = add v1, 1
  set x2, v2
  @0x1004
  store.i32 [v0], v2
  br lt v2, v0, 0x3000, 0x1008
";
    let block = vm_ir::parse_block(text).expect("parses");
    let mut opt = block.clone();
    optimize(&mut opt);
    assert_eq!(opt, block);
}

/// A typical frontend block shrinks: `mv`, `li` and `addi` chains.
#[test]
fn a_register_shuffle_shrinks() {
    let text = "block 0x1000 .. 0x1010:
  @0x1000
  v0 = const 0x5
  v1 = add v0, 0
  set x10, v1
  @0x1004
  v3 = get x10
  v4 = add v3, 0
  set x11, v4
  @0x1008
  v6 = get x11
  v7 = add v6, 3
  set x12, v7
  @0x100c
  v9 = get x12
  v10 = get x10
  br ltu v9, v10, 0x3000, 0x1010
";
    let mut block = vm_ir::parse_block(text).expect("parses");
    optimize(&mut block);
    let want = "block 0x1000 .. 0x1010:
  @0x1000
  v0 = const 0x5
  set x10, v0
  @0x1004
  set x11, v0
  @0x1008
  v3 = const 0x8
  set x12, v3
  @0x100c
  jump 0x1010
";
    assert_eq!(block.to_string(), want);
}

/// Regression: `remuw x, 2` depends on x (an absorbing-value rule that is
/// too wide would make it a constant).
#[test]
fn remainder_by_two_is_not_constant() {
    let text = "block 0x1000 .. 0x1004:
  @0x1000
  v0 = get x1
  v1 = remuw v0, 2
  set x1, v1
  jump 0x2000
";
    let block = vm_ir::parse_block(text).expect("parses");
    let mut opt = block.clone();
    optimize(&mut opt);
    assert_eq!(opt, block);
}

/// A block that breaks an invariant is not touched (and does not panic).
#[test]
fn invalid_blocks_are_left_alone() {
    let text = "block 0x1000 .. 0x1004:
  @0x1000
  v0 = get x1
  v1 = add v0, 0
  v2 = load.i64 [v1]
  set x0, v2
  jump 0x2000
";
    let block = vm_ir::parse_block(text).expect("parses");
    assert!(verify(&block).is_err());
    let mut opt = block.clone();
    optimize(&mut opt);
    assert_eq!(opt, block);
}
