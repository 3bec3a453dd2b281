//! Decoded RISC-V instructions, grouped by operand shape.
//!
//! Why shapes: the lowering and the disassembler handle a whole group (every
//! register-register ALU op, every load...) with one helper each, the way
//! QEMU's `gen_arith`/`gen_load` do. The operation inside a group is a small
//! enum whose mnemonic comes from [`named_ops!`], so names live next to the
//! operations and the encoding table only pairs bit patterns with operations.
//!
//! Register fields are plain register numbers (0..31); whether they name an
//! `x` or an `f` register follows from the shape.

use std::fmt;

pub use vm_ir::{AmoOp, AtomicWidth, CvtTy, FBinOp, FmaOp, FpFmt, RoundMode};

/// Declares a fieldless enum whose variants carry their assembler mnemonic.
macro_rules! named_ops {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// The assembler mnemonic.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
    };
}

named_ops! {
    /// Register-register integer operations (RV64I, M, Zba, Zbb, Zbs).
    RegOp {
        Add = "add", Sub = "sub", Sll = "sll", Slt = "slt", Sltu = "sltu",
        Xor = "xor", Srl = "srl", Sra = "sra", Or = "or", And = "and",
        Addw = "addw", Subw = "subw", Sllw = "sllw", Srlw = "srlw", Sraw = "sraw",
        Mul = "mul", Mulh = "mulh", Mulhsu = "mulhsu", Mulhu = "mulhu",
        Div = "div", Divu = "divu", Rem = "rem", Remu = "remu",
        Mulw = "mulw", Divw = "divw", Divuw = "divuw", Remw = "remw", Remuw = "remuw",
        Sh1add = "sh1add", Sh2add = "sh2add", Sh3add = "sh3add",
        AddUw = "add.uw", Sh1addUw = "sh1add.uw", Sh2addUw = "sh2add.uw", Sh3addUw = "sh3add.uw",
        Andn = "andn", Orn = "orn", Xnor = "xnor",
        Max = "max", Maxu = "maxu", Min = "min", Minu = "minu",
        Rol = "rol", Rolw = "rolw", Ror = "ror", Rorw = "rorw",
        Bclr = "bclr", Bext = "bext", Binv = "binv", Bset = "bset",
    }
}

named_ops! {
    /// Register-immediate integer operations, including shifts by an immediate
    /// amount (the immediate is then the shift amount).
    ImmOp {
        Addi = "addi", Slti = "slti", Sltiu = "sltiu", Xori = "xori", Ori = "ori", Andi = "andi",
        Slli = "slli", Srli = "srli", Srai = "srai",
        Addiw = "addiw", Slliw = "slliw", Srliw = "srliw", Sraiw = "sraiw",
        SlliUw = "slli.uw", Rori = "rori", Roriw = "roriw",
        Bclri = "bclri", Bexti = "bexti", Binvi = "binvi", Bseti = "bseti",
    }
}

named_ops! {
    /// One-source integer operations (Zbb).
    UnaryOp {
        Clz = "clz", Ctz = "ctz", Cpop = "cpop", Clzw = "clzw", Ctzw = "ctzw", Cpopw = "cpopw",
        SextB = "sext.b", SextH = "sext.h", ZextH = "zext.h", OrcB = "orc.b", Rev8 = "rev8",
    }
}

named_ops! {
    /// Conditional branch comparisons.
    BranchOp {
        Beq = "beq", Bne = "bne", Blt = "blt", Bge = "bge", Bltu = "bltu", Bgeu = "bgeu",
    }
}

named_ops! {
    /// Integer loads.
    LoadOp {
        Lb = "lb", Lh = "lh", Lw = "lw", Ld = "ld", Lbu = "lbu", Lhu = "lhu", Lwu = "lwu",
    }
}

named_ops! {
    /// Integer stores.
    StoreOp { Sb = "sb", Sh = "sh", Sw = "sw", Sd = "sd", }
}

named_ops! {
    /// CSR access kinds (`csrrw`, `csrrs`, `csrrc` and their immediate forms).
    CsrOp { Rw = "csrrw", Rs = "csrrs", Rc = "csrrc", }
}

/// The source operand of a CSR instruction.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum CsrSrc {
    /// A register (`csrrw` etc.).
    Reg(u8),
    /// A 5-bit zero-extended immediate (`csrrwi` etc.).
    Imm(u8),
}

/// Memory-ordering bits of an atomic instruction.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct AqRl {
    /// Acquire.
    pub aq: bool,
    /// Release.
    pub rl: bool,
}

/// What a decoded instruction does, grouped by operand shape.
///
/// Immediates and offsets are already sign-extended and scaled (e.g. `Lui::imm`
/// is the 64-bit value written to `rd`).
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Op {
    /// Not a valid instruction for this VM.
    Illegal,
    /// `lui rd, imm` (`imm` is the sign-extended value, low 12 bits zero).
    Lui { rd: u8, imm: i64 },
    /// `auipc rd, imm` (`imm` as for `Lui`).
    Auipc { rd: u8, imm: i64 },
    /// `jal rd, pc + offset`.
    Jal { rd: u8, offset: i64 },
    /// `jalr rd, offset(rs1)`.
    Jalr { rd: u8, rs1: u8, offset: i64 },
    /// Conditional branch to `pc + offset`.
    Branch {
        op: BranchOp,
        rs1: u8,
        rs2: u8,
        offset: i64,
    },
    /// Integer load.
    Load {
        op: LoadOp,
        rd: u8,
        rs1: u8,
        offset: i64,
    },
    /// Integer store of `rs2`.
    Store {
        op: StoreOp,
        rs1: u8,
        rs2: u8,
        offset: i64,
    },
    /// `flw`/`fld` into `f[rd]`.
    FpLoad {
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        offset: i64,
    },
    /// `fsw`/`fsd` of `f[rs2]`.
    FpStore {
        fmt: FpFmt,
        rs1: u8,
        rs2: u8,
        offset: i64,
    },
    /// Register-immediate ALU operation or shift by immediate.
    RegImm {
        op: ImmOp,
        rd: u8,
        rs1: u8,
        imm: i64,
    },
    /// Register-register ALU operation.
    RegReg { op: RegOp, rd: u8, rs1: u8, rs2: u8 },
    /// One-source bit-manipulation operation.
    Unary { op: UnaryOp, rd: u8, rs1: u8 },
    /// Atomic memory operation `rd = op(mem[rs1], rs2)`.
    Amo {
        op: AmoOp,
        width: AtomicWidth,
        order: AqRl,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// Load-reserved.
    Lr {
        width: AtomicWidth,
        order: AqRl,
        rd: u8,
        rs1: u8,
    },
    /// Store-conditional.
    Sc {
        width: AtomicWidth,
        order: AqRl,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// `fence` with its mode and predecessor/successor sets (4 bits each, IORW).
    Fence { fm: u8, pred: u8, succ: u8 },
    /// `fence.i`.
    FenceI,
    /// `ecall`.
    Ecall,
    /// `ebreak`.
    Ebreak,
    /// CSR read/modify/write on CSR number `csr` (any number; lowering decides
    /// which exist).
    Csr {
        op: CsrOp,
        rd: u8,
        csr: u16,
        src: CsrSrc,
    },
    /// `fadd`/`fsub`/`fmul`/`fdiv` (rounded): `f[rd] = f[rs1] op f[rs2]`.
    FpArith {
        op: FBinOp,
        fmt: FpFmt,
        rm: RoundMode,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// Sign injection and `fmin`/`fmax` (no rounding mode).
    FpSignMinMax {
        op: FBinOp,
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// `feq`/`flt`/`fle`: `x[rd] = f[rs1] cmp f[rs2]`.
    FpCompare {
        op: FBinOp,
        fmt: FpFmt,
        rd: u8,
        rs1: u8,
        rs2: u8,
    },
    /// `fsqrt`.
    FpSqrt {
        fmt: FpFmt,
        rm: RoundMode,
        rd: u8,
        rs1: u8,
    },
    /// Fused multiply-add family.
    Fma {
        op: FmaOp,
        fmt: FpFmt,
        rm: RoundMode,
        rd: u8,
        rs1: u8,
        rs2: u8,
        rs3: u8,
    },
    /// `fcvt.to.from`; `rd`/`rs1` are `x` or `f` registers by the kinds.
    FCvt {
        to: CvtTy,
        from: CvtTy,
        rm: RoundMode,
        rd: u8,
        rs1: u8,
    },
    /// `fmv.x.w`/`fmv.x.d`: `x[rd] = f[rs1]` bits.
    FMvToInt { fmt: FpFmt, rd: u8, rs1: u8 },
    /// `fmv.w.x`/`fmv.d.x`: `f[rd] = x[rs1]` bits.
    FMvFromInt { fmt: FpFmt, rd: u8, rs1: u8 },
    /// `fclass`: `x[rd] = class(f[rs1])`.
    FClass { fmt: FpFmt, rd: u8, rs1: u8 },
}

/// Compressed (RVC) instruction forms. A compressed instruction decodes to the
/// [`Op`] of the base instruction it expands to; the form is kept because the
/// disassembler prints some compressed forms differently from their expansion.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
#[allow(missing_docs)]
pub enum CForm {
    Addi4spn,
    Fld,
    Lw,
    Ld,
    Fsd,
    Sw,
    Sd,
    Nop,
    Addi,
    Addiw,
    Li,
    Addi16sp,
    Lui,
    Srli,
    Srai,
    Andi,
    Sub,
    Xor,
    Or,
    And,
    Subw,
    Addw,
    J,
    Beqz,
    Bnez,
    Slli,
    Fldsp,
    Lwsp,
    Ldsp,
    Jr,
    Mv,
    Ebreak,
    Jalr,
    Add,
    Fsdsp,
    Swsp,
    Sdsp,
}

/// One decoded instruction.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub struct Insn {
    /// What it does.
    pub op: Op,
    /// Length in bytes: 2 (compressed) or 4.
    pub len: u8,
    /// The raw bits: the 32-bit word, or the 16-bit parcel if compressed.
    pub raw: u32,
    /// The compressed form, if the instruction was compressed.
    pub cform: Option<CForm>,
}

impl Insn {
    /// Whether the instruction is illegal for this VM.
    pub fn is_illegal(&self) -> bool {
        self.op == Op::Illegal
    }
}
