//! Text form: printing.
//!
//! Why a text form: IR bugs are then reported, reproduced and tested as text
//! (see `tests/ir/*.ir`), and [`crate::parse_block`] reads exactly what is
//! printed here, so `parse_block(&block.to_string()) == Ok(block)`.
//!
//! Shape of a printed block:
//!
//! ```text
//! block 0x10078 .. 0x10080:
//!   @0x10078
//!   v0 = get x2
//!   v1 = add v0, 16
//!   set x2, v1
//!   @0x1007c
//!   v3 = load.i64 [v0 + 8]
//!   br lt v3, v1, 0x10100, 0x10080
//! ```
//!
//! - `@pc` marks the start of a guest instruction at the current position.
//!   If the block's `insn_starts` cannot be written that way (not ascending,
//!   or pointing past the end), every entry is printed right after the header
//!   in the explicit form `@pc inst N`.
//! - Value `vN` is defined by instruction `N`; instructions without a result
//!   have no `vN =` prefix.
//! - Addresses and `const` are hex; `BinaryImm` immediates are signed, decimal
//!   when small and hex (`0x..`/`-0x..`) otherwise; memory offsets are signed
//!   decimal.
//! - Terminators: `jump T`, `br cond a, b, TAKEN, FALLTHROUGH`,
//!   `jr a, ret|call|other`, `trap syscall|breakpoint|fencei PC -> NEXT`,
//!   `trap illegal RAW PC -> NEXT`.
//! - `;` starts a comment (the parser ignores it; the printer writes none).

use std::fmt;

use crate::{Block, Inst, JumpHint, Terminator, TrapKind};

/// A signed immediate: decimal when small, else hex with a sign.
struct Imm(i64);

impl fmt::Display for Imm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let v = self.0;
        if (-65536..=65536).contains(&v) {
            write!(f, "{v}")
        } else if v < 0 {
            write!(f, "-{:#x}", v.unsigned_abs())
        } else {
            write!(f, "{v:#x}")
        }
    }
}

/// `[addr + off]` with the sign folded into the operator.
struct Addr(crate::Value, i32);

impl fmt::Display for Addr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.1 {
            0 => write!(f, "[{}]", self.0),
            o if o < 0 => write!(f, "[{} - {}]", self.0, o.unsigned_abs()),
            o => write!(f, "[{} + {o}]", self.0),
        }
    }
}

/// Prints an instruction without its `vN =` prefix.
impl fmt::Display for Inst {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Inst::Const { imm } => write!(f, "const {imm:#x}"),
            Inst::Get { reg } => write!(f, "get {reg}"),
            Inst::Set { reg, arg } => write!(f, "set {reg}, {arg}"),
            Inst::Binary { op, a, b } => write!(f, "{op} {a}, {b}"),
            Inst::BinaryImm { op, a, imm } => write!(f, "{op} {a}, {}", Imm(*imm)),
            Inst::Unary { op, a } => write!(f, "{op} {a}"),
            Inst::Load { ty, addr, offset } => write!(f, "load.{ty} {}", Addr(*addr, *offset)),
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => write!(f, "store.{ty} {}, {val}", Addr(*addr, *offset)),
            Inst::Amo {
                op,
                width,
                addr,
                val,
            } => write!(f, "amo.{op}.{width} [{addr}], {val}"),
            Inst::LoadReserved { width, addr } => write!(f, "lr.{width} [{addr}]"),
            Inst::StoreConditional { width, addr, val } => {
                write!(f, "sc.{width} [{addr}], {val}")
            }
            Inst::Fence => f.write_str("fence"),
            Inst::FBinary { op, fmt, rm, a, b } => write!(f, "{op}.{fmt}.{rm} {a}, {b}"),
            Inst::FUnary { op, fmt, rm, a } => write!(f, "{op}.{fmt}.{rm} {a}"),
            Inst::Fma {
                op,
                fmt,
                rm,
                a,
                b,
                c,
            } => write!(f, "{op}.{fmt}.{rm} {a}, {b}, {c}"),
            Inst::FCvt { to, from, rm, a } => write!(f, "fcvt.{to}.{from}.{rm} {a}"),
            Inst::CsrRead { csr } => write!(f, "csrr {csr}"),
            Inst::CsrWrite { csr, arg } => write!(f, "csrw {csr}, {arg}"),
        }
    }
}

impl TrapKind {
    /// Name in the text form.
    pub fn name(self) -> &'static str {
        match self {
            TrapKind::Syscall => "syscall",
            TrapKind::Breakpoint => "breakpoint",
            TrapKind::Illegal { .. } => "illegal",
            TrapKind::FenceI => "fencei",
        }
    }
}

impl fmt::Display for JumpHint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl fmt::Display for Terminator {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Terminator::Jump { target } => write!(f, "jump {target:#x}"),
            Terminator::Branch {
                cond,
                a,
                b,
                taken,
                fallthrough,
            } => write!(f, "br {cond} {a}, {b}, {taken:#x}, {fallthrough:#x}"),
            Terminator::JumpIndirect { target, hint } => write!(f, "jr {target}, {hint}"),
            Terminator::Trap { kind, pc, next_pc } => {
                write!(f, "trap {}", kind.name())?;
                if let TrapKind::Illegal { raw } = kind {
                    write!(f, " {raw:#010x}")?;
                }
                write!(f, " {pc:#x} -> {next_pc:#x}")
            }
        }
    }
}

/// Whether `insn_starts` can be printed as `@pc` markers between instructions.
fn starts_are_positional(block: &Block) -> bool {
    let len = block.insts.len();
    block.insn_starts.windows(2).all(|w| w[0].inst <= w[1].inst)
        && block.insn_starts.iter().all(|s| s.inst as usize <= len)
}

impl fmt::Display for Block {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "block {:#x} .. {:#x}:", self.start_pc, self.end_pc)?;
        let positional = starts_are_positional(self);
        if !positional {
            for s in &self.insn_starts {
                writeln!(f, "  @{:#x} inst {}", s.pc, s.inst)?;
            }
        }
        let mut next_start = 0;
        for i in 0..=self.insts.len() {
            while positional
                && next_start < self.insn_starts.len()
                && self.insn_starts[next_start].inst as usize == i
            {
                writeln!(f, "  @{:#x}", self.insn_starts[next_start].pc)?;
                next_start += 1;
            }
            let Some(inst) = self.insts.get(i) else { break };
            if inst.has_result() {
                writeln!(f, "  v{i} = {inst}")?;
            } else {
                writeln!(f, "  {inst}")?;
            }
        }
        writeln!(f, "  {}", self.term)
    }
}
