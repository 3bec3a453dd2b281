//! A guest basic block in IR form.

use crate::{Inst, Terminator, Value};

/// Where a guest instruction starts inside a block: the first IR instruction
/// it lowered to, and its guest address.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct InsnStart {
    /// Index into [`Block::insts`] of the first IR instruction of the guest instruction.
    pub inst: u32,
    /// Guest PC of the instruction.
    pub pc: u64,
}

/// One guest basic block.
///
/// `insts[i]` defines `Value(i)` when it has a result; values are therefore
/// named by the index of their defining instruction.
#[derive(Clone, PartialEq, Debug)]
pub struct Block {
    /// Guest PC of the first instruction.
    pub start_pc: u64,
    /// Guest PC just past the last instruction (the fall-through address).
    pub end_pc: u64,
    /// Instructions in execution order.
    pub insts: Vec<Inst>,
    /// How the block ends.
    pub term: Terminator,
    /// Start of each guest instruction, ascending by `inst` and `pc`. The
    /// terminator belongs to the last entry.
    pub insn_starts: Vec<InsnStart>,
}

impl Block {
    /// Number of guest instructions in the block.
    pub fn guest_insn_count(&self) -> usize {
        self.insn_starts.len()
    }

    /// The guest instruction that IR instruction `inst` belongs to:
    /// its index in [`Block::insn_starts`] and its PC.
    pub fn guest_insn_of(&self, inst: usize) -> (usize, u64) {
        let idx = self
            .insn_starts
            .partition_point(|s| s.inst as usize <= inst)
            .saturating_sub(1);
        (
            idx,
            self.insn_starts.get(idx).map_or(self.start_pc, |s| s.pc),
        )
    }

    /// The instruction defining `v`.
    pub fn def(&self, v: Value) -> Option<&Inst> {
        self.insts.get(v.0 as usize)
    }
}
