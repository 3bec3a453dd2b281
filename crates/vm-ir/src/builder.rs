//! Building blocks instruction by instruction (used by frontends).

use crate::*;

/// Builds one [`Block`]. Call [`Builder::begin_insn`] before lowering each guest
/// instruction, then emit its IR, then finish with a terminator.
#[derive(Debug)]
pub struct Builder {
    start_pc: u64,
    insts: Vec<Inst>,
    insn_starts: Vec<InsnStart>,
}

impl Builder {
    /// A builder for a block starting at `start_pc`.
    pub fn new(start_pc: u64) -> Self {
        Builder {
            start_pc,
            insts: Vec::new(),
            insn_starts: Vec::new(),
        }
    }

    /// Mark the start of the guest instruction at `pc`.
    pub fn begin_insn(&mut self, pc: u64) {
        self.insn_starts.push(InsnStart {
            inst: self.insts.len() as u32,
            pc,
        });
    }

    /// Number of guest instructions begun so far.
    pub fn guest_insn_count(&self) -> usize {
        self.insn_starts.len()
    }

    /// Number of IR instructions emitted so far.
    pub fn inst_count(&self) -> usize {
        self.insts.len()
    }

    /// Drop everything emitted since the start of the last guest instruction
    /// and forget that instruction (used when an instruction turns out to
    /// end the block differently, e.g. it is illegal).
    pub fn rollback_insn(&mut self) {
        if let Some(s) = self.insn_starts.pop() {
            self.insts.truncate(s.inst as usize);
        }
    }

    /// Append any instruction; returns the value it defines (meaningless for
    /// instructions without a result).
    pub fn push(&mut self, inst: Inst) -> Value {
        let v = Value(self.insts.len() as u32);
        self.insts.push(inst);
        v
    }

    /// `const imm`.
    pub fn iconst(&mut self, imm: u64) -> Value {
        self.push(Inst::Const { imm })
    }

    /// Read a guest register; `x0` reads as constant 0.
    pub fn get(&mut self, reg: Global) -> Value {
        if reg == Global::X(0) {
            return self.iconst(0);
        }
        self.push(Inst::Get { reg })
    }

    /// Write a guest register; writes to `x0` are dropped.
    pub fn set(&mut self, reg: Global, arg: Value) {
        if reg != Global::X(0) {
            self.push(Inst::Set { reg, arg });
        }
    }

    /// `op a, b`.
    pub fn binary(&mut self, op: BinOp, a: Value, b: Value) -> Value {
        self.push(Inst::Binary { op, a, b })
    }

    /// `op a, imm`.
    pub fn binary_imm(&mut self, op: BinOp, a: Value, imm: i64) -> Value {
        self.push(Inst::BinaryImm { op, a, imm })
    }

    /// `op a`.
    pub fn unary(&mut self, op: UnOp, a: Value) -> Value {
        self.push(Inst::Unary { op, a })
    }

    /// `load.ty [addr + offset]`.
    pub fn load(&mut self, ty: MemTy, addr: Value, offset: i32) -> Value {
        self.push(Inst::Load { ty, addr, offset })
    }

    /// `store.ty [addr + offset], val`.
    pub fn store(&mut self, ty: MemTy, addr: Value, offset: i32, val: Value) {
        self.push(Inst::Store {
            ty,
            addr,
            offset,
            val,
        });
    }

    /// Finish the block with `term`; `end_pc` is the address after the last
    /// guest instruction.
    pub fn finish(self, term: Terminator, end_pc: u64) -> Block {
        Block {
            start_pc: self.start_pc,
            end_pc,
            insts: self.insts,
            term,
            insn_starts: self.insn_starts,
        }
    }
}
