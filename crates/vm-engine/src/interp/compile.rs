//! Pre-decoding an IR block into the interpreter's compact form.
//!
//! Two rewrites make most guest instructions one operation:
//! - **`get` aliasing**: a value read from a guest register uses the
//!   register's slot directly, unless the register is written while the value
//!   is still needed (then it is copied to a temporary).
//! - **`set` folding**: `v = op ...; set g, v` becomes `op` writing g's slot,
//!   when v has no other use, nothing in between reads g (directly or
//!   through an aliased value), writes g, or may
//!   fault (a fault must see the registers as they were before the guest
//!   instruction: the precise-state rule of the IR).

use super::ops::{Op, Slot, TEMP_BASE, Term};
use vm_ir::{BinOp, Block, Inst, Terminator, Value};

/// A block ready for the interpreter.
#[derive(Debug)]
pub(crate) struct CompiledBlock {
    pub start_pc: u64,
    pub end_pc: u64,
    pub ops: Vec<Op>,
    /// For each op, the index of the guest instruction it belongs to.
    pub op_insn: Vec<u16>,
    /// Guest PC of each guest instruction.
    pub insn_pcs: Vec<u64>,
    pub term: Term,
    /// Side exits of a superblock (see [`Op::ExitIf`]).
    pub exits: Vec<SideExit>,
    /// 64-bit immediates that do not fit an op's 32-bit field.
    pub imms: Vec<i64>,
    /// Every slot an op names is below this.
    pub slots_needed: usize,
}

/// Where a taken side exit goes, and how many guest instructions have
/// retired when it is taken.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SideExit {
    pub target: u64,
    pub insns: u64,
}

impl CompiledBlock {
    /// Number of guest instructions.
    pub fn insn_count(&self) -> u64 {
        self.insn_pcs.len() as u64
    }
}

/// Analysis of where each value lives.
struct Plan {
    /// Slot holding each value (for instructions with results).
    slot: Vec<Slot>,
    /// `get`s that must copy the register into a temporary.
    copy_get: Vec<bool>,
    /// `set`s folded into the instruction producing their value.
    folded_set: Vec<bool>,
}

fn temp(v: usize) -> Slot {
    (TEMP_BASE + v) as Slot
}

fn term_args(t: &Terminator) -> Vec<Value> {
    match *t {
        Terminator::Branch { a, b, .. } => vec![a, b],
        Terminator::JumpIndirect { target, .. } => vec![target],
        _ => vec![],
    }
}

fn plan(block: &Block) -> Plan {
    let insts = &block.insts;
    let n = insts.len();
    let mut uses = vec![0u32; n];
    let mut last_use = vec![0usize; n];
    for (i, inst) in insts.iter().enumerate() {
        for a in inst.args() {
            uses[a.0 as usize] += 1;
            last_use[a.0 as usize] = i;
        }
    }
    for a in term_args(&block.term) {
        uses[a.0 as usize] += 1;
        last_use[a.0 as usize] = n;
    }

    let mut slot: Vec<Slot> = (0..n).map(temp).collect();
    let mut copy_get = vec![false; n];
    let writes = |g: usize, lo: usize, hi: usize| {
        insts[lo..hi]
            .iter()
            .any(|i| matches!(i, Inst::Set { reg, .. } if reg.index() == g))
    };
    for (i, inst) in insts.iter().enumerate() {
        if let Inst::Get { reg } = inst {
            let g = reg.index();
            if uses[i] > 0 && writes(g, i + 1, last_use[i].max(i + 1)) {
                copy_get[i] = true;
            } else {
                slot[i] = g as Slot;
            }
        }
    }

    let mut folded_set = vec![false; n];
    for (i, inst) in insts.iter().enumerate() {
        let Inst::Set { reg, arg } = inst else {
            continue;
        };
        let d = arg.0 as usize;
        let g = reg.index();
        let producer = !matches!(insts[d], Inst::Get { .. }) || copy_get[d];
        if !producer || uses[d] != 1 || slot[d] != temp(d) {
            continue;
        }
        let between = &insts[d + 1..i];
        let clean = between.iter().all(|x| {
            !x.may_fault()
                && !matches!(x, Inst::Set { reg, .. } | Inst::Get { reg } if reg.index() == g)
                && x.args().iter().all(|a| slot[a.0 as usize] != g as Slot)
        });
        if clean {
            slot[d] = g as Slot;
            folded_set[i] = true;
        }
    }
    Plan {
        slot,
        copy_get,
        folded_set,
    }
}

fn fits_i32(v: i64) -> Option<i32> {
    i32::try_from(v).ok()
}

/// Translate `block` into the compact form.
pub(crate) fn compile(block: &Block) -> CompiledBlock {
    compile_chain(std::slice::from_ref(block))
}

/// Translate a chain of blocks, each continuing at the next one's start
/// (through a direct jump or a branch's fallthrough), into one superblock:
/// a branch inside the chain becomes a side exit ([`Op::ExitIf`]).
/// Temporaries are block-local, so every block of the chain reuses the same
/// temporary slots.
pub(crate) fn compile_chain(chain: &[Block]) -> CompiledBlock {
    let mut ops = Vec::new();
    let mut op_insn = Vec::new();
    let mut imms = Vec::new();
    let mut exits = Vec::new();
    let mut insn_pcs = Vec::new();
    let mut term = Term::Jump { target: 0 };
    for (k, block) in chain.iter().enumerate() {
        let last = k + 1 == chain.len();
        let base = insn_pcs.len();
        term = compile_one(block, base, &mut ops, &mut op_insn, &mut imms);
        insn_pcs.extend(block.insn_starts.iter().map(|s| s.pc));
        if last {
            break;
        }
        let next = chain[k + 1].start_pc;
        match term {
            Term::Jump { target } if target == next => {}
            Term::Branch {
                cond,
                a,
                b,
                taken,
                fallthrough,
            } if fallthrough == next => {
                exits.push(SideExit {
                    target: taken,
                    insns: insn_pcs.len() as u64,
                });
                ops.push(Op::ExitIf {
                    cond,
                    a,
                    b,
                    exit: (exits.len() - 1) as u16,
                });
                op_insn.push((insn_pcs.len() - 1) as u16);
            }
            _ => unreachable!("chain blocks continue at the next block's start"),
        }
    }
    CompiledBlock {
        start_pc: chain[0].start_pc,
        end_pc: chain
            .iter()
            .map(|b| b.end_pc)
            .max()
            .unwrap_or(chain[0].end_pc),
        ops,
        op_insn,
        insn_pcs,
        term,
        exits,
        imms,
        slots_needed: TEMP_BASE + chain.iter().map(|b| b.insts.len()).max().unwrap_or(0),
    }
}

/// Emit the ops of one block (its guest instructions numbered from `base`)
/// and return its terminator.
fn compile_one(
    block: &Block,
    base: usize,
    ops: &mut Vec<Op>,
    op_insn: &mut Vec<u16>,
    imms: &mut Vec<i64>,
) -> Term {
    let p = plan(block);
    let s = |v: Value| p.slot[v.0 as usize];
    let mut insn = 0usize;
    for (i, inst) in block.insts.iter().enumerate() {
        while insn + 1 < block.insn_starts.len() && block.insn_starts[insn + 1].inst as usize <= i {
            insn += 1;
        }
        let d = p.slot[i];
        let op = match *inst {
            Inst::Const { imm } => Op::Imm { d, imm },
            Inst::Get { reg } => {
                if !p.copy_get[i] {
                    continue;
                }
                Op::Mov {
                    d,
                    s: reg.index() as Slot,
                }
            }
            Inst::Set { reg, arg } => {
                if p.folded_set[i] {
                    continue;
                }
                Op::Mov {
                    d: reg.index() as Slot,
                    s: s(arg),
                }
            }
            Inst::Binary { op, a, b } => match op {
                BinOp::Add => Op::Add {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Mul => Op::MulRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Xor => Op::XorRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Or => Op::OrRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::And => Op::AndRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Shl => Op::ShlRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::ShrL => Op::ShrLRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::ShrA => Op::ShrARR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Lt => Op::LtRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::LtU => Op::LtURR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::AddW => Op::AddWRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::SubW => Op::SubWRR {
                    d,
                    a: s(a),
                    b: s(b),
                },
                BinOp::Sub => Op::Sub {
                    d,
                    a: s(a),
                    b: s(b),
                },
                _ => Op::Bin {
                    op,
                    d,
                    a: s(a),
                    b: s(b),
                },
            },
            Inst::BinaryImm { op, a, imm } => {
                let a = s(a);
                match (op, fits_i32(imm)) {
                    (BinOp::Shl, _) => Op::ShlI {
                        d,
                        a,
                        sh: (imm & 63) as u8,
                    },
                    (BinOp::ShrL, _) => Op::ShrLI {
                        d,
                        a,
                        sh: (imm & 63) as u8,
                    },
                    (BinOp::ShrA, _) => Op::ShrAI {
                        d,
                        a,
                        sh: (imm & 63) as u8,
                    },
                    (BinOp::Add, Some(imm)) => Op::AddI { d, a, imm },
                    (BinOp::AddW, Some(imm)) => Op::AddIW { d, a, imm },
                    (BinOp::And, Some(imm)) => Op::AndI { d, a, imm },
                    (BinOp::Xor, Some(imm)) => Op::XorRI { d, a, imm },
                    (BinOp::Or, Some(imm)) => Op::OrRI { d, a, imm },
                    (BinOp::Lt, Some(imm)) => Op::LtRI { d, a, imm },
                    (BinOp::LtU, Some(imm)) => Op::LtURI { d, a, imm },
                    (BinOp::ShlW, Some(imm)) => Op::ShlWRI { d, a, imm },
                    (BinOp::ShrLW, Some(imm)) => Op::ShrLWRI { d, a, imm },
                    (BinOp::ShrAW, Some(imm)) => Op::ShrAWRI { d, a, imm },
                    (_, Some(imm)) => Op::BinI { op, d, a, imm },
                    (_, None) => {
                        imms.push(imm);
                        Op::BinI64 {
                            op,
                            d,
                            a,
                            imm_idx: (imms.len() - 1) as u32,
                        }
                    }
                }
            }
            Inst::Unary { op, a } => Op::Un { op, d, a: s(a) },
            Inst::Load { ty, addr, offset } => match ty {
                vm_ir::MemTy::I64 => Op::Load64 {
                    d,
                    a: s(addr),
                    off: offset,
                },
                _ => Op::Load {
                    ty,
                    d,
                    a: s(addr),
                    off: offset,
                },
            },
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => match ty {
                vm_ir::MemTy::I64 => Op::Store64 {
                    a: s(addr),
                    off: offset,
                    v: s(val),
                },
                _ => Op::Store {
                    ty,
                    a: s(addr),
                    off: offset,
                    v: s(val),
                },
            },
            Inst::Amo {
                op,
                width,
                addr,
                val,
            } => Op::Amo {
                op,
                w: width,
                d,
                a: s(addr),
                v: s(val),
            },
            Inst::LoadReserved { width, addr } => Op::Lr {
                w: width,
                d,
                a: s(addr),
            },
            Inst::StoreConditional { width, addr, val } => Op::Sc {
                w: width,
                d,
                a: s(addr),
                v: s(val),
            },
            Inst::Fence => Op::Fence,
            Inst::FBinary { op, fmt, rm, a, b } => Op::FBin {
                op,
                fmt,
                rm,
                d,
                a: s(a),
                b: s(b),
            },
            Inst::FUnary { op, fmt, rm, a } => Op::FUn {
                op,
                fmt,
                rm,
                d,
                a: s(a),
            },
            Inst::Fma {
                op,
                fmt,
                rm,
                a,
                b,
                c,
            } => Op::Fma {
                op,
                fmt,
                rm,
                d,
                a: s(a),
                b: s(b),
                c: s(c),
            },
            Inst::FCvt { to, from, rm, a } => Op::FCvt {
                to,
                from,
                rm,
                d,
                a: s(a),
            },
            Inst::CsrRead { csr } => Op::CsrR {
                csr,
                d,
                insn: (base + insn) as u16,
            },
            Inst::CsrWrite { csr, arg } => Op::CsrW { csr, s: s(arg) },
        };
        ops.push(op);
        op_insn.push((base + insn) as u16);
    }
    match block.term {
        Terminator::Jump { target } => Term::Jump { target },
        Terminator::Branch {
            cond,
            a,
            b,
            taken,
            fallthrough,
        } => Term::Branch {
            cond,
            a: s(a),
            b: s(b),
            taken,
            fallthrough,
        },
        Terminator::JumpIndirect { target, .. } => Term::Indirect { target: s(target) },
        Terminator::Trap { kind, pc, next_pc } => Term::Trap { kind, pc, next_pc },
    }
}
