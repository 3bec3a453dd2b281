//! Programs as lists of items with symbolic labels, and their assembly.
//!
//! Why labels: the shrinker deletes items from a failing program; with
//! branch targets named by label rather than by offset, every deletion
//! still assembles to a well-formed program (branches are re-resolved).

use crate::encode::{COp, EncodeError, encode};
use vm_frontend::insn::{BranchOp, ImmOp, Op};

/// One element of a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Item {
    /// A 32-bit instruction with no label operand.
    Op(Op),
    /// A compressed instruction with no label operand.
    C(COp),
    /// A position (no bytes).
    Label(u32),
    /// Conditional branch to a label.
    Branch {
        /// Comparison.
        op: BranchOp,
        /// First register.
        rs1: u8,
        /// Second register.
        rs2: u8,
        /// Target label.
        target: u32,
    },
    /// `c.beqz`/`c.bnez` to a label.
    CBranch {
        /// `c.bnez` if set, else `c.beqz`.
        bnez: bool,
        /// Register (x8..x15).
        rs1p: u8,
        /// Target label.
        target: u32,
    },
    /// `jal x0` (or `c.j`) to a label.
    Jump {
        /// Target label.
        target: u32,
        /// Use `c.j`.
        compressed: bool,
    },
    /// `jal ra` to a label.
    Call {
        /// Target label.
        target: u32,
    },
    /// `auipc tmp; addi tmp; jalr ra, 0(tmp)` (or `c.jalr tmp`).
    CallVia {
        /// Register holding the target address.
        tmp: u8,
        /// Target label.
        target: u32,
        /// Use `c.jalr`.
        compressed: bool,
    },
}

impl Item {
    /// Bytes of code the item assembles to.
    pub fn size(&self) -> u64 {
        match self {
            Item::Op(_) | Item::Branch { .. } | Item::Call { .. } => 4,
            Item::C(_) | Item::CBranch { .. } => 2,
            Item::Label(_) => 0,
            Item::Jump { compressed, .. } => {
                if *compressed {
                    2
                } else {
                    4
                }
            }
            Item::CallVia { compressed, .. } => {
                if *compressed {
                    10
                } else {
                    12
                }
            }
        }
    }
}

/// One assembled instruction: its address, bits and length.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Word {
    /// Guest address.
    pub pc: u64,
    /// Bits (low 16 for a compressed instruction).
    pub bits: u32,
    /// 2 or 4.
    pub len: u8,
}

/// Append the little-endian bytes of `words` (contiguous, in order).
pub fn words_to_bytes(words: &[Word]) -> Vec<u8> {
    let mut out = Vec::new();
    for w in words {
        out.extend_from_slice(&w.bits.to_le_bytes()[..w.len as usize]);
    }
    out
}

/// Assemble `items` placed at `base`.
pub fn assemble(items: &[Item], base: u64) -> Result<Vec<Word>, EncodeError> {
    let mut labels = std::collections::HashMap::new();
    let mut pc = base;
    for it in items {
        if let Item::Label(l) = it {
            labels.insert(*l, pc);
        }
        pc += it.size();
    }
    let target = |l: &u32, pc: u64| -> Result<i64, EncodeError> {
        labels
            .get(l)
            .map(|&t| t.wrapping_sub(pc) as i64)
            .ok_or_else(|| EncodeError(format!("undefined label {l}")))
    };
    let mut out = Vec::new();
    let mut pc = base;
    let push32 = |out: &mut Vec<Word>, pc: &mut u64, bits: u32| {
        out.push(Word {
            pc: *pc,
            bits,
            len: 4,
        });
        *pc += 4;
    };
    for it in items {
        match it {
            Item::Label(_) => {}
            Item::Op(op) => push32(&mut out, &mut pc, encode(op)?),
            Item::C(c) => {
                out.push(Word {
                    pc,
                    bits: c.encode()? as u32,
                    len: 2,
                });
                pc += 2;
            }
            Item::Branch {
                op,
                rs1,
                rs2,
                target: l,
            } => {
                let offset = target(l, pc)?;
                let bits = encode(&Op::Branch {
                    op: *op,
                    rs1: *rs1,
                    rs2: *rs2,
                    offset,
                })?;
                push32(&mut out, &mut pc, bits);
            }
            Item::CBranch {
                bnez,
                rs1p,
                target: l,
            } => {
                let off = target(l, pc)? as i32;
                let c = if *bnez {
                    COp::Bnez { rs1p: *rs1p, off }
                } else {
                    COp::Beqz { rs1p: *rs1p, off }
                };
                out.push(Word {
                    pc,
                    bits: c.encode()? as u32,
                    len: 2,
                });
                pc += 2;
            }
            Item::Jump {
                target: l,
                compressed,
            } => {
                let off = target(l, pc)?;
                if *compressed {
                    let bits = COp::J { off: off as i32 }.encode()? as u32;
                    out.push(Word { pc, bits, len: 2 });
                    pc += 2;
                } else {
                    let bits = encode(&Op::Jal { rd: 0, offset: off })?;
                    push32(&mut out, &mut pc, bits);
                }
            }
            Item::Call { target: l } => {
                let offset = target(l, pc)?;
                push32(&mut out, &mut pc, encode(&Op::Jal { rd: 1, offset })?);
            }
            Item::CallVia {
                tmp,
                target: l,
                compressed,
            } => {
                let off = target(l, pc)?;
                let lo = ((off & 0xfff) << 52) >> 52;
                let hi = off - lo;
                let tmp = *tmp;
                push32(&mut out, &mut pc, encode(&Op::Auipc { rd: tmp, imm: hi })?);
                let addi = Op::RegImm {
                    op: ImmOp::Addi,
                    rd: tmp,
                    rs1: tmp,
                    imm: lo,
                };
                push32(&mut out, &mut pc, encode(&addi)?);
                if *compressed {
                    let bits = COp::Jalr { rs1: tmp }.encode()? as u32;
                    out.push(Word { pc, bits, len: 2 });
                    pc += 2;
                } else {
                    let jalr = Op::Jalr {
                        rd: 1,
                        rs1: tmp,
                        offset: 0,
                    };
                    push32(&mut out, &mut pc, encode(&jalr)?);
                }
            }
        }
    }
    Ok(out)
}
