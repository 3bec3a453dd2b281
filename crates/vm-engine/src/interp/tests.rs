//! Tests of the compact form: random blocks of register traffic run through
//! `compile` + `exec_block` must leave the same registers as a plain walk
//! over the IR, which has no aliasing or folding to get wrong.

use super::compile::compile;
use super::exec::{BlockEnd, Slots, exec_block};
use vm_core::CpuState;
use vm_ir::{BinOp, Block, Builder, Global, Inst, Terminator, Value, eval_binop};
use vm_mem::GuestMemory;

/// Direct IR evaluation of the register-only subset.
fn walk(block: &Block, cpu: &mut CpuState) -> Vec<u64> {
    let mut vals = vec![0u64; block.insts.len()];
    let reg = |cpu: &CpuState, g: Global| match g {
        Global::X(r) => cpu.x[r as usize],
        Global::F(r) => cpu.f[r as usize],
    };
    for (i, inst) in block.insts.iter().enumerate() {
        vals[i] = match *inst {
            Inst::Const { imm } => imm,
            Inst::Get { reg: g } => reg(cpu, g),
            Inst::Set { reg: g, arg } => {
                match g {
                    Global::X(r) => cpu.x[r as usize] = vals[arg.0 as usize],
                    Global::F(r) => cpu.f[r as usize] = vals[arg.0 as usize],
                }
                0
            }
            Inst::Binary { op, a, b } => eval_binop(op, vals[a.0 as usize], vals[b.0 as usize]),
            Inst::BinaryImm { op, a, imm } => eval_binop(op, vals[a.0 as usize], imm as u64),
            _ => unreachable!("generator emits only register traffic"),
        };
    }
    vals
}

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
}

fn random_block(rng: &mut Rng) -> Block {
    random_block_at(rng, 0x1000, |_, _| Terminator::Jump { target: 0x2000 })
}

/// A random block of register traffic at `start`, ended by `term(live values, end_pc)`.
fn random_block_at(
    rng: &mut Rng,
    start: u64,
    term: impl FnOnce(&[Value], u64) -> Terminator,
) -> Block {
    let mut b = Builder::new(start);
    let regs = [Global::X(1), Global::X(2), Global::X(3), Global::F(4)];
    let ops = BinOp::ALL;
    let mut live: Vec<Value> = Vec::new();
    for insn in 0..(1 + rng.below(8)) {
        b.begin_insn(start + insn * 4);
        for _ in 0..(1 + rng.below(6)) {
            match rng.below(5) {
                0 => live.push(b.get(regs[rng.below(4) as usize])),
                1 => live.push(b.iconst(rng.next())),
                2 if live.len() >= 2 => {
                    let x = live[rng.below(live.len() as u64) as usize];
                    let y = live[rng.below(live.len() as u64) as usize];
                    live.push(b.binary(ops[rng.below(ops.len() as u64) as usize], x, y));
                }
                3 if !live.is_empty() => {
                    let x = live[rng.below(live.len() as u64) as usize];
                    let op = ops[rng.below(ops.len() as u64) as usize];
                    let imm = match rng.below(3) {
                        0 => rng.below(100) as i64 - 50,
                        1 => rng.next() as i64,
                        _ => rng.below(64) as i64,
                    };
                    live.push(b.binary_imm(op, x, imm));
                }
                _ if !live.is_empty() => {
                    let x = live[rng.below(live.len() as u64) as usize];
                    b.set(regs[rng.below(4) as usize], x);
                }
                _ => live.push(b.get(regs[0])),
            }
        }
    }
    if live.is_empty() {
        live.push(b.get(regs[0]));
    }
    let end = start + b.guest_insn_count() as u64 * 4;
    let t = term(&live, end);
    b.finish(t, end)
}

#[test]
fn compact_form_matches_plain_ir_walk() {
    let mem = GuestMemory::new().expect("arena");
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for case in 0..100_000 {
        let block = random_block(&mut rng);
        let mut expect = CpuState::default();
        for r in 1..32 {
            expect.x[r] = rng.next();
            expect.f[r] = rng.next();
        }
        let mut got = expect.clone();
        let _ = walk(&block, &mut expect);
        let code = compile(&block);
        let mut slots = Slots::new();
        slots.reserve(code.slots_needed);
        slots.load_from(&got);
        let end = exec_block(&code, &mut slots, &mut got, &mem);
        slots.store_to(&mut got);
        assert!(
            matches!(end, BlockEnd::Next { pc: 0x2000, .. }),
            "case {case}"
        );
        assert_eq!(
            got.x, expect.x,
            "case {case}: x registers differ for\n{block:?}"
        );
        assert_eq!(
            got.f, expect.f,
            "case {case}: f registers differ for\n{block:?}"
        );
    }
}

#[test]
fn common_instructions_are_one_op() {
    // addi x1, x1, 1
    let mut b = Builder::new(0);
    b.begin_insn(0);
    let v = b.get(Global::X(1));
    let w = b.binary_imm(BinOp::Add, v, 1);
    b.set(Global::X(1), w);
    // add x3, x1, x2
    b.begin_insn(4);
    let x = b.get(Global::X(1));
    let y = b.get(Global::X(2));
    let z = b.binary(BinOp::Add, x, y);
    b.set(Global::X(3), z);
    let code = compile(&b.finish(Terminator::Jump { target: 8 }, 8));
    assert_eq!(code.ops.len(), 2, "{:?}", code.ops);
}

/// Superblocks: a chain of random blocks, each ending in a branch whose
/// fallthrough is the next block (or a jump to it), must behave like running
/// the blocks one by one: same registers, next PC and retired instructions.
#[test]
fn superblock_matches_block_by_block_walk() {
    use super::compile::compile_chain;
    use vm_ir::Cond;
    let mem = GuestMemory::new().expect("arena");
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    for case in 0..20_000 {
        let len = 2 + rng.below(3) as usize;
        let mut chain: Vec<Block> = Vec::new();
        let mut start = 0x1000;
        for k in 0..len {
            let cond = Cond::ALL[rng.below(Cond::ALL.len() as u64) as usize];
            let jump = rng.below(4) == 0;
            let last = k + 1 == len;
            let taken = 0x9000 + 0x100 * k as u64;
            let pick = rng.next();
            let block = random_block_at(&mut rng, start, |live, end| {
                if jump && !last {
                    return Terminator::Jump { target: end };
                }
                let a = live[(pick % live.len() as u64) as usize];
                let b = live[((pick >> 32) % live.len() as u64) as usize];
                Terminator::Branch {
                    cond,
                    a,
                    b,
                    taken,
                    fallthrough: end,
                }
            });
            start = block.end_pc;
            chain.push(block);
        }
        let mut expect = CpuState::default();
        for r in 1..32 {
            // Small values make equal/ordered comparisons likely both ways.
            expect.x[r] = if rng.below(2) == 0 {
                rng.below(4)
            } else {
                rng.next()
            };
            expect.f[r] = rng.next();
        }
        let mut got = expect.clone();
        // Reference: walk block by block, following the branches.
        let mut next_pc = 0;
        for block in &chain {
            let vals = walk(block, &mut expect);
            expect.instret += block.guest_insn_count() as u64;
            next_pc = match block.term {
                Terminator::Jump { target } => target,
                Terminator::Branch {
                    cond,
                    a,
                    b,
                    taken,
                    fallthrough,
                } => {
                    if cond.eval(vals[a.0 as usize], vals[b.0 as usize]) {
                        taken
                    } else {
                        fallthrough
                    }
                }
                _ => unreachable!(),
            };
            if next_pc != block.end_pc {
                break;
            }
        }
        let code = compile_chain(&chain);
        let mut slots = Slots::new();
        slots.reserve(code.slots_needed);
        slots.load_from(&got);
        let end = exec_block(&code, &mut slots, &mut got, &mem);
        slots.store_to(&mut got);
        let BlockEnd::Next { pc, .. } = end else {
            panic!("case {case}: unexpected exit")
        };
        assert_eq!(pc, next_pc, "case {case}: next pc");
        assert_eq!(got.instret, expect.instret, "case {case}: instret");
        assert_eq!(got.x, expect.x, "case {case}: x registers");
        assert_eq!(got.f, expect.f, "case {case}: f registers");
    }
}
