//! The IR: (1) arbitrary text through the parser and verifier never panics;
//! (2) blocks built from the fuzz bytes with the `Builder` (register
//! traffic, every integer binary and unary operation, a jump or a
//! conditional branch) that pass the verifier must leave the same registers
//! and the same next PC under the interpreter's compact form
//! (`InterpBlock`) as under a plain walk of the IR, which has no slot
//! aliasing or `set` folding to get wrong.
//!
//! The optimizer (`vm_ir::optimize`) has its own target, `ir_opt`:
//! optimized and unoptimized blocks agree under the interpreter.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_core::CpuState;
use vm_engine::interp::{BlockEnd, InterpBlock, Slots};
use vm_ir::{
    BinOp, Block, Builder, Cond, Global, Inst, Terminator, UnOp, Value, eval_binop, eval_unop,
    parse_block, verify,
};
use vm_mem::GuestMemory;

const BINOPS: &[BinOp] = {
    use BinOp::*;
    &[
        Add, Sub, Mul, MulH, MulHSU, MulHU, Div, DivU, Rem, RemU, And, Or, Xor, AndN, OrN, Xnor,
        Shl, ShrL, ShrA, Rol, Ror, AddW, SubW, MulW, DivW, DivUW, RemW, RemUW, ShlW, ShrLW, ShrAW,
        RolW, RorW, Min, MinU, Max, MaxU, Eq, Ne, Lt, LtU, Ge, GeU,
    ]
};
const UNOPS: &[UnOp] = {
    use UnOp::*;
    &[
        Not, Neg, Clz, Ctz, Cpop, ClzW, CtzW, CpopW, SextB, SextH, SextW, ZextB, ZextH, ZextW,
        Rev8, OrcB,
    ]
};
const CONDS: &[Cond] = &[Cond::Eq, Cond::Ne, Cond::Lt, Cond::Ge, Cond::LtU, Cond::GeU];

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, i| v | (self.u8() as u64) << (8 * i))
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.u8() as usize % xs.len()]
    }
}

fn global(b: &mut Bytes) -> Global {
    let r = b.u8();
    if r & 0x20 == 0 {
        Global::X(r & 31)
    } else {
        Global::F(r & 31)
    }
}

fn build(b: &mut Bytes) -> Block {
    let start = 0x1000;
    let mut bl = Builder::new(start);
    let mut live: Vec<Value> = Vec::new();
    let insns = 1 + b.u8() % 8;
    for i in 0..insns as u64 {
        bl.begin_insn(start + 4 * i);
        for _ in 0..1 + b.u8() % 6 {
            let pick_live = |b: &mut Bytes, live: &[Value]| live[b.u8() as usize % live.len()];
            match b.u8() % 6 {
                0 => live.push(bl.get(global(b))),
                1 => live.push(bl.iconst(b.u64())),
                2 if !live.is_empty() => {
                    let (x, y) = (pick_live(b, &live), pick_live(b, &live));
                    let op = b.pick(BINOPS);
                    live.push(bl.binary(op, x, y));
                }
                3 if !live.is_empty() => {
                    let x = pick_live(b, &live);
                    let op = b.pick(BINOPS);
                    let imm = b.u64() as i64;
                    live.push(bl.binary_imm(op, x, imm));
                }
                4 if !live.is_empty() => {
                    let x = pick_live(b, &live);
                    let op = b.pick(UNOPS);
                    live.push(bl.unary(op, x));
                }
                _ if !live.is_empty() => {
                    let x = pick_live(b, &live);
                    bl.set(global(b), x);
                }
                _ => live.push(bl.get(global(b))),
            }
        }
    }
    let end = start + 4 * insns as u64;
    let term = if live.len() >= 2 && b.u8() & 1 == 1 {
        let (x, y) = (live[b.u8() as usize % live.len()], live[b.u8() as usize % live.len()]);
        Terminator::Branch {
            cond: b.pick(CONDS),
            a: x,
            b: y,
            taken: 0x4000,
            fallthrough: end,
        }
    } else {
        Terminator::Jump { target: 0x2000 }
    };
    bl.finish(term, end)
}

fn cond(c: Cond, a: u64, b: u64) -> bool {
    match c {
        Cond::Eq => a == b,
        Cond::Ne => a != b,
        Cond::Lt => (a as i64) < (b as i64),
        Cond::Ge => (a as i64) >= (b as i64),
        Cond::LtU => a < b,
        Cond::GeU => a >= b,
    }
}

/// Plain IR walk of the register-only subset; the next PC.
fn walk(block: &Block, cpu: &mut CpuState) -> u64 {
    let mut vals = vec![0u64; block.insts.len()];
    for (i, inst) in block.insts.iter().enumerate() {
        let v = |x: Value| vals[x.0 as usize];
        vals[i] = match *inst {
            Inst::Const { imm } => imm,
            Inst::Get { reg: Global::X(r) } => cpu.x[r as usize],
            Inst::Get { reg: Global::F(r) } => cpu.f[r as usize],
            Inst::Set { reg, arg } => {
                let a = v(arg);
                match reg {
                    Global::X(r) => cpu.x[r as usize] = a,
                    Global::F(r) => cpu.f[r as usize] = a,
                }
                0
            }
            Inst::Binary { op, a, b } => eval_binop(op, v(a), v(b)),
            Inst::BinaryImm { op, a, imm } => eval_binop(op, v(a), imm as u64),
            Inst::Unary { op, a } => eval_unop(op, v(a)),
            ref other => panic!("builder emitted an unexpected instruction {other:?}"),
        };
    }
    cpu.x[0] = 0;
    match block.term {
        Terminator::Jump { target } => target,
        Terminator::Branch {
            cond: c,
            a,
            b,
            taken,
            fallthrough,
        } => {
            if cond(c, vals[a.0 as usize], vals[b.0 as usize]) {
                taken
            } else {
                fallthrough
            }
        }
        ref t => panic!("unexpected terminator {t:?}"),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.first() == Some(&b'#') {
        // Text mode: the parser and verifier must not panic.
        if let Ok(text) = std::str::from_utf8(&data[1..])
            && let Ok(block) = parse_block(text)
        {
            let _ = verify(&block);
        }
        return;
    }
    let mut b = Bytes(data);
    let block = build(&mut b);
    if verify(&block).is_err() {
        return;
    }
    let mut expect = CpuState::default();
    for r in 1..32 {
        expect.x[r] = b.u64();
        expect.f[r] = b.u64();
    }
    let mut got = expect.clone();
    let want_pc = walk(&block, &mut expect);
    thread_local! {
        static MEM: GuestMemory = GuestMemory::new().expect("guest memory");
    }
    let code = InterpBlock::from_ir(&block);
    let mut slots = Slots::new();
    slots.reserve(code.slots_needed());
    slots.load_from(&got);
    let end = MEM.with(|mem| code.exec(&mut slots, &mut got, mem));
    slots.store_to(&mut got);
    match end {
        BlockEnd::Next { pc, .. } => assert_eq!(pc, want_pc, "next pc\n{block:?}"),
        BlockEnd::Exit(e) => panic!("register-only block exited with {e:?}\n{block:?}"),
    }
    assert_eq!(got.x, expect.x, "x registers\n{block:?}");
    assert_eq!(got.f, expect.f, "f registers\n{block:?}");
});
