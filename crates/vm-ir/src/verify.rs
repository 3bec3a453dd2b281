//! Verifier: the invariants every block handed to an engine satisfies.
//!
//! Why: engines and optimizer passes rely on these facts instead of checking
//! them again; a frontend or pass bug is caught here, at the block that broke
//! it, rather than as a wrong result much later. The checks:
//!
//! 1. **Values**: every value an instruction or the terminator reads is
//!    defined by an *earlier* instruction that has a result.
//! 2. **Registers**: `get`/`set` name registers below 32; `set x0` never
//!    appears (x0 is hard-wired to zero).
//! 3. **CSRs**: `csrw` never targets a read-only CSR.
//! 4. **Conversions**: `fcvt` has at least one floating-point side and its two
//!    sides differ (other pairs are no RISC-V instruction).
//! 5. **Guest instruction boundaries** (`insn_starts`): ascending by PC
//!    (strictly) and by instruction index (non-strictly: a guest instruction
//!    may lower to nothing), each index at most `insts.len()`, each PC below
//!    `end_pc`; when the list is non-empty the first entry is instruction 0 at
//!    `start_pc`; when it is empty there are no instructions (every IR
//!    instruction belongs to a guest instruction).
//! 6. **Precise state**: within one guest instruction, every instruction that
//!    may fault comes before any write of guest state (`set` or `csrw`), so a
//!    fault leaves the registers exactly as they were before that guest
//!    instruction and it can be restarted or reported at its PC.
//!
//! Immediates need no check: shift amounts are masked by the operation, and
//! memory offsets are `i32` by type.

use std::fmt;

use crate::{Block, Global, Inst, Terminator, Value};

/// A broken invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyError {
    /// Index of the offending instruction (or insts.len() for the terminator).
    pub inst: usize,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "inst {}: {}", self.inst, self.msg)
    }
}

impl std::error::Error for VerifyError {}

fn err<T>(inst: usize, msg: impl Into<String>) -> Result<T, VerifyError> {
    Err(VerifyError {
        inst,
        msg: msg.into(),
    })
}

/// Check that `v`, read at position `at`, is defined earlier with a result.
fn check_use(block: &Block, at: usize, v: Value) -> Result<(), VerifyError> {
    let def = v.0 as usize;
    if def >= at {
        return err(at, format!("{v} is used before it is defined"));
    }
    if !block.insts[def].has_result() {
        return err(at, format!("{v} names an instruction without a result"));
    }
    Ok(())
}

fn check_reg(at: usize, reg: Global) -> Result<(), VerifyError> {
    let n = match reg {
        Global::X(n) | Global::F(n) => n,
    };
    if n >= 32 {
        return err(at, format!("register {reg} does not exist"));
    }
    Ok(())
}

/// Invariants 1-4 for one instruction.
fn check_inst(block: &Block, at: usize, inst: &Inst) -> Result<(), VerifyError> {
    for v in inst.args() {
        check_use(block, at, v)?;
    }
    match *inst {
        Inst::Get { reg } => check_reg(at, reg),
        Inst::Set { reg, .. } => {
            check_reg(at, reg)?;
            if reg == Global::X(0) {
                return err(at, "set x0 (x0 is hard-wired to zero)");
            }
            Ok(())
        }
        Inst::CsrWrite { csr, .. } if csr.read_only() => {
            err(at, format!("csrw to read-only CSR {csr}"))
        }
        Inst::FCvt { to, from, .. } if to == from || (!to.is_float() && !from.is_float()) => err(
            at,
            format!("fcvt.{to}.{from} is not a conversion RISC-V has"),
        ),
        _ => Ok(()),
    }
}

/// Invariant 5.
fn check_insn_starts(block: &Block) -> Result<(), VerifyError> {
    let starts = &block.insn_starts;
    let len = block.insts.len();
    let Some(first) = starts.first() else {
        if len > 0 {
            return err(0, "instructions but no guest instruction start");
        }
        return Ok(());
    };
    if first.inst != 0 || first.pc != block.start_pc {
        return err(
            first.inst as usize,
            format!(
                "first guest instruction must start at inst 0, pc {:#x} (found inst {}, pc {:#x})",
                block.start_pc, first.inst, first.pc
            ),
        );
    }
    for (k, s) in starts.iter().enumerate() {
        if s.inst as usize > len {
            return err(len, format!("guest instruction {k} starts past the end"));
        }
        if s.pc >= block.end_pc {
            return err(
                s.inst as usize,
                format!(
                    "guest pc {:#x} is not below end_pc {:#x}",
                    s.pc, block.end_pc
                ),
            );
        }
        if let Some(prev) = k.checked_sub(1).map(|p| starts[p])
            && (s.inst < prev.inst || s.pc <= prev.pc)
        {
            return err(
                s.inst as usize,
                format!("guest instruction starts not ascending at entry {k}"),
            );
        }
    }
    Ok(())
}

/// Invariant 6: no faulting instruction after a state write in one guest instruction.
fn check_precise(block: &Block) -> Result<(), VerifyError> {
    let mut bounds: Vec<usize> = block.insn_starts.iter().map(|s| s.inst as usize).collect();
    bounds.push(block.insts.len());
    for w in bounds.windows(2) {
        let mut wrote_state = None;
        for i in w[0]..w[1] {
            let inst = &block.insts[i];
            if inst.may_fault()
                && let Some(at) = wrote_state
            {
                return err(
                    i,
                    format!(
                        "may fault after guest state was written at inst {at} in the same guest instruction"
                    ),
                );
            }
            if matches!(inst, Inst::Set { .. } | Inst::CsrWrite { .. }) {
                wrote_state.get_or_insert(i);
            }
        }
    }
    Ok(())
}

/// Check the invariants of `block` (listed in this module's documentation).
pub fn verify(block: &Block) -> Result<(), VerifyError> {
    for (i, inst) in block.insts.iter().enumerate() {
        check_inst(block, i, inst)?;
    }
    let end = block.insts.len();
    match block.term {
        Terminator::Branch { a, b, .. } => {
            check_use(block, end, a)?;
            check_use(block, end, b)?;
        }
        Terminator::JumpIndirect { target, .. } => check_use(block, end, target)?,
        Terminator::Jump { .. } | Terminator::Trap { .. } => {}
    }
    check_insn_starts(block)?;
    check_precise(block)
}
