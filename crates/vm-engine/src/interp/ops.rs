//! The interpreter's compact, pre-decoded form of an IR block.
//!
//! Every IR value and guest register lives in one flat slot file of `u64`:
//! slots 0..32 are x0..x31, 32..64 are f0..f31, and 64.. are block temporaries.
//! Operands are slot numbers, so an operation reads and writes guest registers
//! directly and a typical guest instruction (`add`, `addi`, `ld`, `sd`) costs
//! one dispatch. The most frequent operations have their own variants; the
//! rest carry their IR operator and dispatch a second time.

use vm_ir::{
    AmoOp, AtomicWidth, BinOp, Cond, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, MemTy, RoundMode, UnOp,
};

/// A slot number in the slot file.
pub(crate) type Slot = u16;

/// First slot of block temporaries.
pub(crate) const TEMP_BASE: usize = 64;

/// One pre-decoded operation. `d` is the destination slot.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Op {
    Imm {
        d: Slot,
        imm: u64,
    },
    Mov {
        d: Slot,
        s: Slot,
    },
    Add {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    Sub {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    AddI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    AddIW {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    AndI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    ShlI {
        d: Slot,
        a: Slot,
        sh: u8,
    },
    ShrLI {
        d: Slot,
        a: Slot,
        sh: u8,
    },
    ShrAI {
        d: Slot,
        a: Slot,
        sh: u8,
    },
    // Frequent operations get their own variant: one dispatch instead of two.
    MulRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    XorRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    OrRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    AndRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    ShlRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    ShrLRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    ShrARR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    LtRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    LtURR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    AddWRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    SubWRR {
        d: Slot,
        a: Slot,
        b: Slot,
    },
    XorRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    OrRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    LtRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    LtURI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    ShlWRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    ShrLWRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    ShrAWRI {
        d: Slot,
        a: Slot,
        imm: i32,
    },
    Bin {
        op: BinOp,
        d: Slot,
        a: Slot,
        b: Slot,
    },
    BinI {
        op: BinOp,
        d: Slot,
        a: Slot,
        imm: i32,
    },
    /// A `BinaryImm` whose immediate does not fit in 32 bits.
    BinI64 {
        op: BinOp,
        d: Slot,
        a: Slot,
        imm_idx: u32,
    },
    Un {
        op: UnOp,
        d: Slot,
        a: Slot,
    },
    Load64 {
        d: Slot,
        a: Slot,
        off: i32,
    },
    Load {
        ty: MemTy,
        d: Slot,
        a: Slot,
        off: i32,
    },
    Store64 {
        a: Slot,
        off: i32,
        v: Slot,
    },
    Store {
        ty: MemTy,
        a: Slot,
        off: i32,
        v: Slot,
    },
    Amo {
        op: AmoOp,
        w: AtomicWidth,
        d: Slot,
        a: Slot,
        v: Slot,
    },
    Lr {
        w: AtomicWidth,
        d: Slot,
        a: Slot,
    },
    Sc {
        w: AtomicWidth,
        d: Slot,
        a: Slot,
        v: Slot,
    },
    Fence,
    /// Superblock side exit: if `cond(a, b)`, leave to `exits[exit]`.
    ExitIf {
        cond: Cond,
        a: Slot,
        b: Slot,
        exit: u16,
    },
    FBin {
        op: FBinOp,
        fmt: FpFmt,
        rm: RoundMode,
        d: Slot,
        a: Slot,
        b: Slot,
    },
    FUn {
        op: FUnOp,
        fmt: FpFmt,
        rm: RoundMode,
        d: Slot,
        a: Slot,
    },
    Fma {
        op: FmaOp,
        fmt: FpFmt,
        rm: RoundMode,
        d: Slot,
        a: Slot,
        b: Slot,
        c: Slot,
    },
    FCvt {
        to: CvtTy,
        from: CvtTy,
        rm: RoundMode,
        d: Slot,
        a: Slot,
    },
    /// Read a CSR; `insn` is the guest instruction's index in the block (for
    /// `instret`, which counts instructions retired before this one).
    CsrR {
        csr: vm_ir::Csr,
        d: Slot,
        insn: u16,
    },
    CsrW {
        csr: vm_ir::Csr,
        s: Slot,
    },
}

/// How a compiled block ends, with operands as slots.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Term {
    Jump {
        target: u64,
    },
    Branch {
        cond: Cond,
        a: Slot,
        b: Slot,
        taken: u64,
        fallthrough: u64,
    },
    Indirect {
        target: Slot,
    },
    Trap {
        kind: vm_ir::TrapKind,
        pc: u64,
        next_pc: u64,
    },
}
