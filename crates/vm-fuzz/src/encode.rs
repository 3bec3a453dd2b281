//! An instruction encoder written from the RISC-V specification, independent
//! of `vm_frontend`'s encoding table.
//!
//! Why independent: the generator must produce the bits a real assembler
//! would; if it reused the decoder's table, a wrong table entry would be
//! encoded and decoded consistently and never noticed. The tests check
//! `decode(encode(op)) == op` for every operation, so the two sides must
//! agree bit for bit (the decoder is in turn checked against objdump by
//! `vm-frontend`'s own tests).
//!
//! [`encode`] takes the decoder's [`Op`] (32-bit forms); [`COp`] is the
//! compressed subset the generator emits, with [`COp::encode`] and the
//! base instruction it expands to ([`COp::expansion`]).

use vm_frontend::insn::{
    AmoOp, AtomicWidth, BranchOp, CsrOp, CsrSrc, CvtTy, FBinOp, FmaOp, FpFmt, ImmOp, LoadOp, Op,
    RegOp, StoreOp, UnaryOp,
};

/// Why an operation could not be encoded.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EncodeError(pub String);

impl std::fmt::Display for EncodeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot encode: {}", self.0)
    }
}

impl std::error::Error for EncodeError {}

type R<T> = Result<T, EncodeError>;

mod opc {
    pub const LOAD: u32 = 0x03;
    pub const LOAD_FP: u32 = 0x07;
    pub const MISC_MEM: u32 = 0x0f;
    pub const OP_IMM: u32 = 0x13;
    pub const AUIPC: u32 = 0x17;
    pub const OP_IMM_32: u32 = 0x1b;
    pub const STORE: u32 = 0x23;
    pub const STORE_FP: u32 = 0x27;
    pub const AMO: u32 = 0x2f;
    pub const OP: u32 = 0x33;
    pub const LUI: u32 = 0x37;
    pub const OP_32: u32 = 0x3b;
    pub const OP_FP: u32 = 0x53;
    pub const BRANCH: u32 = 0x63;
    pub const JALR: u32 = 0x67;
    pub const JAL: u32 = 0x6f;
    pub const SYSTEM: u32 = 0x73;
}

fn reg(r: u8) -> R<u32> {
    if r < 32 {
        Ok(r as u32)
    } else {
        Err(EncodeError(format!("register {r}")))
    }
}

fn fits_signed(v: i64, bits: u32) -> bool {
    let lim = 1i64 << (bits - 1);
    (-lim..lim).contains(&v)
}

fn imm12(v: i64) -> R<u32> {
    if fits_signed(v, 12) {
        Ok((v as u32) & 0xfff)
    } else {
        Err(EncodeError(format!("12-bit immediate {v}")))
    }
}

/// R-type word.
fn r_type(f7: u32, rs2: u8, rs1: u8, f3: u32, rd: u8, opcode: u32) -> R<u32> {
    Ok(f7 << 25 | reg(rs2)? << 20 | reg(rs1)? << 15 | f3 << 12 | reg(rd)? << 7 | opcode)
}

/// I-type word.
fn i_type(imm: i64, rs1: u8, f3: u32, rd: u8, opcode: u32) -> R<u32> {
    Ok(imm12(imm)? << 20 | reg(rs1)? << 15 | f3 << 12 | reg(rd)? << 7 | opcode)
}

/// S-type word.
fn s_type(imm: i64, rs2: u8, rs1: u8, f3: u32, opcode: u32) -> R<u32> {
    let i = imm12(imm)?;
    Ok((i >> 5) << 25 | reg(rs2)? << 20 | reg(rs1)? << 15 | f3 << 12 | (i & 0x1f) << 7 | opcode)
}

/// B-type word.
fn b_type(off: i64, rs2: u8, rs1: u8, f3: u32) -> R<u32> {
    if off & 1 != 0 || !fits_signed(off, 13) {
        return Err(EncodeError(format!("branch offset {off}")));
    }
    let o = off as u32;
    Ok(((o >> 12) & 1) << 31
        | ((o >> 5) & 0x3f) << 25
        | reg(rs2)? << 20
        | reg(rs1)? << 15
        | f3 << 12
        | ((o >> 1) & 0xf) << 8
        | ((o >> 11) & 1) << 7
        | opc::BRANCH)
}

/// U-type word; `imm` is the 64-bit value (low 12 bits zero, sign-extended from 32).
fn u_type(imm: i64, rd: u8, opcode: u32) -> R<u32> {
    if imm & 0xfff != 0 || imm != (imm as i32) as i64 {
        return Err(EncodeError(format!("U immediate {imm:#x}")));
    }
    Ok((imm as u32 & 0xffff_f000) | reg(rd)? << 7 | opcode)
}

/// J-type word.
fn j_type(off: i64, rd: u8) -> R<u32> {
    if off & 1 != 0 || !fits_signed(off, 21) {
        return Err(EncodeError(format!("jump offset {off}")));
    }
    let o = off as u32;
    Ok(((o >> 20) & 1) << 31
        | ((o >> 1) & 0x3ff) << 21
        | ((o >> 11) & 1) << 20
        | ((o >> 12) & 0xff) << 12
        | reg(rd)? << 7
        | opc::JAL)
}

/// `(funct7, funct3, opcode)` of a register-register operation.
fn reg_op(op: RegOp) -> (u32, u32, u32) {
    use RegOp::*;
    use opc::{OP, OP_32};
    match op {
        Add => (0x00, 0, OP),
        Sub => (0x20, 0, OP),
        Sll => (0x00, 1, OP),
        Slt => (0x00, 2, OP),
        Sltu => (0x00, 3, OP),
        Xor => (0x00, 4, OP),
        Srl => (0x00, 5, OP),
        Sra => (0x20, 5, OP),
        Or => (0x00, 6, OP),
        And => (0x00, 7, OP),
        Addw => (0x00, 0, OP_32),
        Subw => (0x20, 0, OP_32),
        Sllw => (0x00, 1, OP_32),
        Srlw => (0x00, 5, OP_32),
        Sraw => (0x20, 5, OP_32),
        Mul => (0x01, 0, OP),
        Mulh => (0x01, 1, OP),
        Mulhsu => (0x01, 2, OP),
        Mulhu => (0x01, 3, OP),
        Div => (0x01, 4, OP),
        Divu => (0x01, 5, OP),
        Rem => (0x01, 6, OP),
        Remu => (0x01, 7, OP),
        Mulw => (0x01, 0, OP_32),
        Divw => (0x01, 4, OP_32),
        Divuw => (0x01, 5, OP_32),
        Remw => (0x01, 6, OP_32),
        Remuw => (0x01, 7, OP_32),
        Sh1add => (0x10, 2, OP),
        Sh2add => (0x10, 4, OP),
        Sh3add => (0x10, 6, OP),
        AddUw => (0x04, 0, OP_32),
        Sh1addUw => (0x10, 2, OP_32),
        Sh2addUw => (0x10, 4, OP_32),
        Sh3addUw => (0x10, 6, OP_32),
        Andn => (0x20, 7, OP),
        Orn => (0x20, 6, OP),
        Xnor => (0x20, 4, OP),
        Max => (0x05, 6, OP),
        Maxu => (0x05, 7, OP),
        Min => (0x05, 4, OP),
        Minu => (0x05, 5, OP),
        Rol => (0x30, 1, OP),
        Rolw => (0x30, 1, OP_32),
        Ror => (0x30, 5, OP),
        Rorw => (0x30, 5, OP_32),
        Bclr => (0x24, 1, OP),
        Bext => (0x24, 5, OP),
        Binv => (0x34, 1, OP),
        Bset => (0x14, 1, OP),
    }
}

/// How a register-immediate operation places its immediate.
enum ImmShape {
    /// 12-bit signed immediate.
    I12,
    /// 6-bit shift amount under a 6-bit funct6.
    Sh6(u32),
    /// 5-bit shift amount under a 7-bit funct7.
    Sh5(u32),
}

fn imm_op(op: ImmOp) -> (ImmShape, u32, u32) {
    use ImmOp::*;
    use ImmShape::*;
    use opc::{OP_IMM, OP_IMM_32};
    match op {
        Addi => (I12, 0, OP_IMM),
        Slti => (I12, 2, OP_IMM),
        Sltiu => (I12, 3, OP_IMM),
        Xori => (I12, 4, OP_IMM),
        Ori => (I12, 6, OP_IMM),
        Andi => (I12, 7, OP_IMM),
        Slli => (Sh6(0x00), 1, OP_IMM),
        Srli => (Sh6(0x00), 5, OP_IMM),
        Srai => (Sh6(0x10), 5, OP_IMM),
        Addiw => (I12, 0, OP_IMM_32),
        Slliw => (Sh5(0x00), 1, OP_IMM_32),
        Srliw => (Sh5(0x00), 5, OP_IMM_32),
        Sraiw => (Sh5(0x20), 5, OP_IMM_32),
        SlliUw => (Sh6(0x02), 1, OP_IMM_32),
        Rori => (Sh6(0x18), 5, OP_IMM),
        Roriw => (Sh5(0x30), 5, OP_IMM_32),
        Bclri => (Sh6(0x12), 1, OP_IMM),
        Bexti => (Sh6(0x12), 5, OP_IMM),
        Binvi => (Sh6(0x1a), 1, OP_IMM),
        Bseti => (Sh6(0x0a), 1, OP_IMM),
    }
}

/// `(imm[11:0], funct3, opcode)` of a one-source bit-manipulation operation.
fn unary_op(op: UnaryOp) -> (u32, u32, u32) {
    use UnaryOp::*;
    use opc::{OP_32, OP_IMM, OP_IMM_32};
    match op {
        Clz => (0x600, 1, OP_IMM),
        Ctz => (0x601, 1, OP_IMM),
        Cpop => (0x602, 1, OP_IMM),
        Clzw => (0x600, 1, OP_IMM_32),
        Ctzw => (0x601, 1, OP_IMM_32),
        Cpopw => (0x602, 1, OP_IMM_32),
        SextB => (0x604, 1, OP_IMM),
        SextH => (0x605, 1, OP_IMM),
        ZextH => (0x080, 4, OP_32),
        OrcB => (0x287, 5, OP_IMM),
        Rev8 => (0x6b8, 5, OP_IMM),
    }
}

fn branch_f3(op: BranchOp) -> u32 {
    match op {
        BranchOp::Beq => 0,
        BranchOp::Bne => 1,
        BranchOp::Blt => 4,
        BranchOp::Bge => 5,
        BranchOp::Bltu => 6,
        BranchOp::Bgeu => 7,
    }
}

fn load_f3(op: LoadOp) -> u32 {
    match op {
        LoadOp::Lb => 0,
        LoadOp::Lh => 1,
        LoadOp::Lw => 2,
        LoadOp::Ld => 3,
        LoadOp::Lbu => 4,
        LoadOp::Lhu => 5,
        LoadOp::Lwu => 6,
    }
}

fn store_f3(op: StoreOp) -> u32 {
    match op {
        StoreOp::Sb => 0,
        StoreOp::Sh => 1,
        StoreOp::Sw => 2,
        StoreOp::Sd => 3,
    }
}

fn fmt_bits(fmt: FpFmt) -> u32 {
    match fmt {
        FpFmt::S => 0,
        FpFmt::D => 1,
    }
}

fn width_f3(w: AtomicWidth) -> u32 {
    match w {
        AtomicWidth::W => 2,
        AtomicWidth::D => 3,
    }
}

fn amo_funct5(op: AmoOp) -> u32 {
    match op {
        AmoOp::Add => 0x00,
        AmoOp::Swap => 0x01,
        AmoOp::Xor => 0x04,
        AmoOp::Or => 0x08,
        AmoOp::And => 0x0c,
        AmoOp::Min => 0x10,
        AmoOp::Max => 0x14,
        AmoOp::MinU => 0x18,
        AmoOp::MaxU => 0x1c,
    }
}

fn cvt_int_rs2(t: CvtTy) -> Option<u8> {
    match t {
        CvtTy::W => Some(0),
        CvtTy::WU => Some(1),
        CvtTy::L => Some(2),
        CvtTy::LU => Some(3),
        CvtTy::S | CvtTy::D => None,
    }
}

/// OP-FP word: `funct5`, format, and the rest as R-type.
fn fp_r(f5: u32, fmt: FpFmt, rs2: u8, rs1: u8, f3: u32, rd: u8) -> R<u32> {
    r_type(f5 << 2 | fmt_bits(fmt), rs2, rs1, f3, rd, opc::OP_FP)
}

/// Encode a 32-bit instruction.
pub fn encode(op: &Op) -> Result<u32, EncodeError> {
    Ok(match *op {
        Op::Illegal => return Err(EncodeError("illegal".into())),
        Op::Lui { rd, imm } => u_type(imm, rd, opc::LUI)?,
        Op::Auipc { rd, imm } => u_type(imm, rd, opc::AUIPC)?,
        Op::Jal { rd, offset } => j_type(offset, rd)?,
        Op::Jalr { rd, rs1, offset } => i_type(offset, rs1, 0, rd, opc::JALR)?,
        Op::Branch {
            op,
            rs1,
            rs2,
            offset,
        } => b_type(offset, rs2, rs1, branch_f3(op))?,
        Op::Load {
            op,
            rd,
            rs1,
            offset,
        } => i_type(offset, rs1, load_f3(op), rd, opc::LOAD)?,
        Op::Store {
            op,
            rs1,
            rs2,
            offset,
        } => s_type(offset, rs2, rs1, store_f3(op), opc::STORE)?,
        Op::FpLoad {
            fmt,
            rd,
            rs1,
            offset,
        } => i_type(offset, rs1, 2 + fmt_bits(fmt), rd, opc::LOAD_FP)?,
        Op::FpStore {
            fmt,
            rs1,
            rs2,
            offset,
        } => s_type(offset, rs2, rs1, 2 + fmt_bits(fmt), opc::STORE_FP)?,
        Op::RegImm { op, rd, rs1, imm } => {
            let (shape, f3, opcode) = imm_op(op);
            match shape {
                ImmShape::I12 => i_type(imm, rs1, f3, rd, opcode)?,
                ImmShape::Sh6(f6) if (0..64).contains(&imm) => {
                    f6 << 26
                        | (imm as u32) << 20
                        | reg(rs1)? << 15
                        | f3 << 12
                        | reg(rd)? << 7
                        | opcode
                }
                ImmShape::Sh5(f7) if (0..32).contains(&imm) => {
                    r_type(f7, imm as u8, rs1, f3, rd, opcode)?
                }
                _ => return Err(EncodeError(format!("shift amount {imm}"))),
            }
        }
        Op::RegReg { op, rd, rs1, rs2 } => {
            let (f7, f3, opcode) = reg_op(op);
            r_type(f7, rs2, rs1, f3, rd, opcode)?
        }
        Op::Unary { op, rd, rs1 } => {
            let (imm, f3, opcode) = unary_op(op);
            imm << 20 | reg(rs1)? << 15 | f3 << 12 | reg(rd)? << 7 | opcode
        }
        Op::Amo {
            op,
            width,
            order,
            rd,
            rs1,
            rs2,
        } => amo_word(amo_funct5(op), order, width, rd, rs1, rs2)?,
        Op::Lr {
            width,
            order,
            rd,
            rs1,
        } => amo_word(0x02, order, width, rd, rs1, 0)?,
        Op::Sc {
            width,
            order,
            rd,
            rs1,
            rs2,
        } => amo_word(0x03, order, width, rd, rs1, rs2)?,
        Op::Fence { fm, pred, succ } => {
            if fm > 15 || pred > 15 || succ > 15 {
                return Err(EncodeError("fence field".into()));
            }
            (fm as u32) << 28 | (pred as u32) << 24 | (succ as u32) << 20 | opc::MISC_MEM
        }
        Op::FenceI => 1 << 12 | opc::MISC_MEM,
        Op::Ecall => opc::SYSTEM,
        Op::Ebreak => 1 << 20 | opc::SYSTEM,
        Op::Csr { op, rd, csr, src } => {
            let f3 = match op {
                CsrOp::Rw => 1,
                CsrOp::Rs => 2,
                CsrOp::Rc => 3,
            };
            let (f3, field) = match src {
                CsrSrc::Reg(r) => (f3, reg(r)?),
                CsrSrc::Imm(i) => (f3 + 4, reg(i)?),
            };
            if csr > 0xfff {
                return Err(EncodeError(format!("csr {csr:#x}")));
            }
            (csr as u32) << 20 | field << 15 | f3 << 12 | reg(rd)? << 7 | opc::SYSTEM
        }
        Op::FpArith {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
        } => {
            let f5 = match op {
                FBinOp::Add => 0x00,
                FBinOp::Sub => 0x01,
                FBinOp::Mul => 0x02,
                FBinOp::Div => 0x03,
                _ => return Err(EncodeError(format!("{op:?} is not arithmetic"))),
            };
            fp_r(f5, fmt, rs2, rs1, rm.bits(), rd)?
        }
        Op::FpSignMinMax {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let (f5, f3) = match op {
                FBinOp::Sgnj => (0x04, 0),
                FBinOp::Sgnjn => (0x04, 1),
                FBinOp::Sgnjx => (0x04, 2),
                FBinOp::Min => (0x05, 0),
                FBinOp::Max => (0x05, 1),
                _ => return Err(EncodeError(format!("{op:?} is not sign/min/max"))),
            };
            fp_r(f5, fmt, rs2, rs1, f3, rd)?
        }
        Op::FpCompare {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let f3 = match op {
                FBinOp::Le => 0,
                FBinOp::Lt => 1,
                FBinOp::Eq => 2,
                _ => return Err(EncodeError(format!("{op:?} is not a comparison"))),
            };
            fp_r(0x14, fmt, rs2, rs1, f3, rd)?
        }
        Op::FpSqrt { fmt, rm, rd, rs1 } => fp_r(0x0b, fmt, 0, rs1, rm.bits(), rd)?,
        Op::Fma {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
            rs3,
        } => {
            let opcode = match op {
                FmaOp::MAdd => 0x43,
                FmaOp::MSub => 0x47,
                FmaOp::NMSub => 0x4b,
                FmaOp::NMAdd => 0x4f,
            };
            reg(rs3)? << 27 | r_type(fmt_bits(fmt), rs2, rs1, rm.bits(), rd, opcode)?
        }
        Op::FCvt {
            to,
            from,
            rm,
            rd,
            rs1,
        } => match (to, from) {
            (CvtTy::S, CvtTy::D) => fp_r(0x08, FpFmt::S, 1, rs1, rm.bits(), rd)?,
            (CvtTy::D, CvtTy::S) => fp_r(0x08, FpFmt::D, 0, rs1, rm.bits(), rd)?,
            (CvtTy::S | CvtTy::D, i) => {
                let fmt = if to == CvtTy::S { FpFmt::S } else { FpFmt::D };
                let rs2 = cvt_int_rs2(i).ok_or_else(|| EncodeError("fcvt kinds".into()))?;
                fp_r(0x1a, fmt, rs2, rs1, rm.bits(), rd)?
            }
            (i, CvtTy::S | CvtTy::D) => {
                let fmt = if from == CvtTy::S { FpFmt::S } else { FpFmt::D };
                let rs2 = cvt_int_rs2(i).ok_or_else(|| EncodeError("fcvt kinds".into()))?;
                fp_r(0x18, fmt, rs2, rs1, rm.bits(), rd)?
            }
            _ => return Err(EncodeError("integer to integer fcvt".into())),
        },
        Op::FMvToInt { fmt, rd, rs1 } => fp_r(0x1c, fmt, 0, rs1, 0, rd)?,
        Op::FClass { fmt, rd, rs1 } => fp_r(0x1c, fmt, 0, rs1, 1, rd)?,
        Op::FMvFromInt { fmt, rd, rs1 } => fp_r(0x1e, fmt, 0, rs1, 0, rd)?,
    })
}

fn amo_word(
    f5: u32,
    order: vm_frontend::insn::AqRl,
    width: AtomicWidth,
    rd: u8,
    rs1: u8,
    rs2: u8,
) -> R<u32> {
    let f7 = f5 << 2 | (order.aq as u32) << 1 | order.rl as u32;
    r_type(f7, rs2, rs1, width_f3(width), rd, opc::AMO)
}

/// The compressed (RVC, RV64) instructions the generator emits. Registers
/// named `*p` must be x8..x15 (f8..f15 for FP); immediates are the
/// architectural values (already scaled).
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum COp {
    Addi4spn { rdp: u8, imm: u32 },
    Fld { rdp: u8, rs1p: u8, imm: u32 },
    Lw { rdp: u8, rs1p: u8, imm: u32 },
    Ld { rdp: u8, rs1p: u8, imm: u32 },
    Fsd { rs1p: u8, rs2p: u8, imm: u32 },
    Sw { rs1p: u8, rs2p: u8, imm: u32 },
    Sd { rs1p: u8, rs2p: u8, imm: u32 },
    Nop,
    Addi { rd: u8, imm: i32 },
    Addiw { rd: u8, imm: i32 },
    Li { rd: u8, imm: i32 },
    Lui { rd: u8, imm: i32 },
    Srli { rdp: u8, sh: u32 },
    Srai { rdp: u8, sh: u32 },
    Andi { rdp: u8, imm: i32 },
    Sub { rdp: u8, rs2p: u8 },
    Xor { rdp: u8, rs2p: u8 },
    Or { rdp: u8, rs2p: u8 },
    And { rdp: u8, rs2p: u8 },
    Subw { rdp: u8, rs2p: u8 },
    Addw { rdp: u8, rs2p: u8 },
    J { off: i32 },
    Beqz { rs1p: u8, off: i32 },
    Bnez { rs1p: u8, off: i32 },
    Slli { rd: u8, sh: u32 },
    Fldsp { rd: u8, imm: u32 },
    Lwsp { rd: u8, imm: u32 },
    Ldsp { rd: u8, imm: u32 },
    Jr { rs1: u8 },
    Mv { rd: u8, rs2: u8 },
    Ebreak,
    Jalr { rs1: u8 },
    Add { rd: u8, rs2: u8 },
    Fsdsp { rs2: u8, imm: u32 },
    Swsp { rs2: u8, imm: u32 },
    Sdsp { rs2: u8, imm: u32 },
}

/// Bit `b` of `v`, placed at `at`.
fn bit(v: u32, b: u32, at: u32) -> u32 {
    ((v >> b) & 1) << at
}

/// Bits `hi..=lo` of `v`, placed starting at `at`.
fn field(v: u32, hi: u32, lo: u32, at: u32) -> u32 {
    ((v >> lo) & ((1 << (hi - lo + 1)) - 1)) << at
}

fn creg(r: u8) -> R<u32> {
    if (8..16).contains(&r) {
        Ok((r - 8) as u32)
    } else {
        Err(EncodeError(format!("compressed register {r}")))
    }
}

fn check(ok: bool, what: &str) -> R<()> {
    if ok {
        Ok(())
    } else {
        Err(EncodeError(what.to_string()))
    }
}

/// `imm` fits `bits` unsigned bits and is a multiple of `scale`.
fn uimm_ok(imm: u32, bits: u32, scale: u32) -> bool {
    imm < (1 << bits) && imm.is_multiple_of(scale)
}

fn simm6(imm: i32) -> R<u32> {
    check((-32..32).contains(&imm), "6-bit immediate")?;
    Ok(imm as u32 & 0x3f)
}

/// The `imm[5] rd imm[4:0]` shape of quadrants 1 and 2.
fn ci(f3: u32, imm6: u32, rd: u32, quadrant: u32) -> u32 {
    f3 << 13 | bit(imm6, 5, 12) | rd << 7 | field(imm6, 4, 0, 2) | quadrant
}

/// The CL/CS shape for 8-byte accesses (`uimm[5:3]`, `uimm[7:6]`).
fn cl_d(f3: u32, imm: u32, rs1p: u8, r2p: u8) -> R<u16> {
    check(uimm_ok(imm, 8, 8), "8-byte compressed offset")?;
    Ok(
        (f3 << 13 | field(imm, 5, 3, 10) | creg(rs1p)? << 7 | field(imm, 7, 6, 5) | creg(r2p)? << 2)
            as u16,
    )
}

/// The CL/CS shape for 4-byte accesses (`uimm[5:3]`, `uimm[2|6]`).
fn cl_w(f3: u32, imm: u32, rs1p: u8, r2p: u8) -> R<u16> {
    check(uimm_ok(imm, 7, 4), "4-byte compressed offset")?;
    Ok((f3 << 13
        | field(imm, 5, 3, 10)
        | creg(rs1p)? << 7
        | bit(imm, 2, 6)
        | bit(imm, 6, 5)
        | creg(r2p)? << 2) as u16)
}

fn c_arith(f6: u32, f2: u32, rdp: u8, rs2p: u8) -> R<u16> {
    Ok((f6 << 10 | creg(rdp)? << 7 | f2 << 5 | creg(rs2p)? << 2 | 1) as u16)
}

fn cb_branch(f3: u32, rs1p: u8, off: i32) -> R<u16> {
    check((-256..256).contains(&off) && off % 2 == 0, "c.b offset")?;
    let o = off as u32;
    Ok((f3 << 13
        | bit(o, 8, 12)
        | field(o, 4, 3, 10)
        | creg(rs1p)? << 7
        | field(o, 7, 6, 5)
        | field(o, 2, 1, 3)
        | bit(o, 5, 2)
        | 1) as u16)
}

impl COp {
    /// Encode to a 16-bit parcel; errors for out-of-range fields and for
    /// reserved forms (e.g. `c.addi4spn` with a zero immediate).
    pub fn encode(&self) -> Result<u16, EncodeError> {
        use COp::*;
        Ok(match *self {
            Addi4spn { rdp, imm } => {
                check(imm != 0 && uimm_ok(imm, 10, 4), "c.addi4spn immediate")?;
                (field(imm, 5, 4, 11)
                    | field(imm, 9, 6, 7)
                    | bit(imm, 2, 6)
                    | bit(imm, 3, 5)
                    | creg(rdp)? << 2) as u16
            }
            Fld { rdp, rs1p, imm } => cl_d(1, imm, rs1p, rdp)?,
            Lw { rdp, rs1p, imm } => cl_w(2, imm, rs1p, rdp)?,
            Ld { rdp, rs1p, imm } => cl_d(3, imm, rs1p, rdp)?,
            Fsd { rs1p, rs2p, imm } => cl_d(5, imm, rs1p, rs2p)?,
            Sw { rs1p, rs2p, imm } => cl_w(6, imm, rs1p, rs2p)?,
            Sd { rs1p, rs2p, imm } => cl_d(7, imm, rs1p, rs2p)?,
            Nop => 0x0001,
            Addi { rd, imm } => {
                check(rd != 0 && imm != 0, "c.addi operands")?;
                ci(0, simm6(imm)?, reg(rd)?, 1) as u16
            }
            Addiw { rd, imm } => {
                check(rd != 0, "c.addiw rd")?;
                ci(1, simm6(imm)?, reg(rd)?, 1) as u16
            }
            Li { rd, imm } => {
                check(rd != 0, "c.li rd")?;
                ci(2, simm6(imm)?, reg(rd)?, 1) as u16
            }
            Lui { rd, imm } => {
                check(rd != 0 && rd != 2 && imm != 0, "c.lui operands")?;
                check(imm % 4096 == 0, "c.lui immediate")?;
                ci(3, simm6(imm >> 12)?, reg(rd)?, 1) as u16
            }
            Srli { rdp, sh } => {
                check(sh != 0 && sh < 64, "c.srli shift")?;
                (4 << 13 | bit(sh, 5, 12) | creg(rdp)? << 7 | field(sh, 4, 0, 2) | 1) as u16
            }
            Srai { rdp, sh } => {
                check(sh != 0 && sh < 64, "c.srai shift")?;
                (4 << 13 | bit(sh, 5, 12) | 1 << 10 | creg(rdp)? << 7 | field(sh, 4, 0, 2) | 1)
                    as u16
            }
            Andi { rdp, imm } => {
                let i = simm6(imm)?;
                (4 << 13 | bit(i, 5, 12) | 2 << 10 | creg(rdp)? << 7 | field(i, 4, 0, 2) | 1) as u16
            }
            Sub { rdp, rs2p } => c_arith(0x23, 0, rdp, rs2p)?,
            Xor { rdp, rs2p } => c_arith(0x23, 1, rdp, rs2p)?,
            Or { rdp, rs2p } => c_arith(0x23, 2, rdp, rs2p)?,
            And { rdp, rs2p } => c_arith(0x23, 3, rdp, rs2p)?,
            Subw { rdp, rs2p } => c_arith(0x27, 0, rdp, rs2p)?,
            Addw { rdp, rs2p } => c_arith(0x27, 1, rdp, rs2p)?,
            J { off } => {
                check((-2048..2048).contains(&off) && off % 2 == 0, "c.j offset")?;
                let o = off as u32;
                (5 << 13
                    | bit(o, 11, 12)
                    | bit(o, 4, 11)
                    | field(o, 9, 8, 9)
                    | bit(o, 10, 8)
                    | bit(o, 6, 7)
                    | bit(o, 7, 6)
                    | field(o, 3, 1, 3)
                    | bit(o, 5, 2)
                    | 1) as u16
            }
            Beqz { rs1p, off } => cb_branch(6, rs1p, off)?,
            Bnez { rs1p, off } => cb_branch(7, rs1p, off)?,
            Slli { rd, sh } => {
                check(rd != 0 && sh != 0 && sh < 64, "c.slli operands")?;
                ci(0, sh, reg(rd)?, 2) as u16
            }
            Fldsp { rd, imm } => {
                check(uimm_ok(imm, 9, 8), "c.fldsp offset")?;
                (1 << 13
                    | bit(imm, 5, 12)
                    | reg(rd)? << 7
                    | field(imm, 4, 3, 5)
                    | field(imm, 8, 6, 2)
                    | 2) as u16
            }
            Lwsp { rd, imm } => {
                check(rd != 0 && uimm_ok(imm, 8, 4), "c.lwsp operands")?;
                (2 << 13
                    | bit(imm, 5, 12)
                    | reg(rd)? << 7
                    | field(imm, 4, 2, 4)
                    | field(imm, 7, 6, 2)
                    | 2) as u16
            }
            Ldsp { rd, imm } => {
                check(rd != 0 && uimm_ok(imm, 9, 8), "c.ldsp operands")?;
                (3 << 13
                    | bit(imm, 5, 12)
                    | reg(rd)? << 7
                    | field(imm, 4, 3, 5)
                    | field(imm, 8, 6, 2)
                    | 2) as u16
            }
            Jr { rs1 } => {
                check(rs1 != 0, "c.jr rs1")?;
                (4 << 13 | reg(rs1)? << 7 | 2) as u16
            }
            Mv { rd, rs2 } => {
                check(rd != 0 && rs2 != 0, "c.mv operands")?;
                (4 << 13 | reg(rd)? << 7 | reg(rs2)? << 2 | 2) as u16
            }
            Ebreak => 0x9002,
            Jalr { rs1 } => {
                check(rs1 != 0, "c.jalr rs1")?;
                (4 << 13 | 1 << 12 | reg(rs1)? << 7 | 2) as u16
            }
            Add { rd, rs2 } => {
                check(rd != 0 && rs2 != 0, "c.add operands")?;
                (4 << 13 | 1 << 12 | reg(rd)? << 7 | reg(rs2)? << 2 | 2) as u16
            }
            Fsdsp { rs2, imm } => {
                check(uimm_ok(imm, 9, 8), "c.fsdsp offset")?;
                (5 << 13 | field(imm, 5, 3, 10) | field(imm, 8, 6, 7) | reg(rs2)? << 2 | 2) as u16
            }
            Swsp { rs2, imm } => {
                check(uimm_ok(imm, 8, 4), "c.swsp offset")?;
                (6 << 13 | field(imm, 5, 2, 9) | field(imm, 7, 6, 7) | reg(rs2)? << 2 | 2) as u16
            }
            Sdsp { rs2, imm } => {
                check(uimm_ok(imm, 9, 8), "c.sdsp offset")?;
                (7 << 13 | field(imm, 5, 3, 10) | field(imm, 8, 6, 7) | reg(rs2)? << 2 | 2) as u16
            }
        })
    }

    /// The 32-bit instruction this compressed form stands for.
    pub fn expansion(&self) -> Op {
        use COp::*;
        let imm_op = |op, rd, rs1, imm: i64| Op::RegImm { op, rd, rs1, imm };
        let reg_op = |op, rd, rs1, rs2| Op::RegReg { op, rd, rs1, rs2 };
        let load = |op, rd, rs1, imm: u32| Op::Load {
            op,
            rd,
            rs1,
            offset: imm as i64,
        };
        let store = |op, rs1, rs2, imm: u32| Op::Store {
            op,
            rs1,
            rs2,
            offset: imm as i64,
        };
        match *self {
            Addi4spn { rdp, imm } => imm_op(ImmOp::Addi, rdp, 2, imm as i64),
            Fld { rdp, rs1p, imm } => Op::FpLoad {
                fmt: FpFmt::D,
                rd: rdp,
                rs1: rs1p,
                offset: imm as i64,
            },
            Lw { rdp, rs1p, imm } => load(LoadOp::Lw, rdp, rs1p, imm),
            Ld { rdp, rs1p, imm } => load(LoadOp::Ld, rdp, rs1p, imm),
            Fsd { rs1p, rs2p, imm } => Op::FpStore {
                fmt: FpFmt::D,
                rs1: rs1p,
                rs2: rs2p,
                offset: imm as i64,
            },
            Sw { rs1p, rs2p, imm } => store(StoreOp::Sw, rs1p, rs2p, imm),
            Sd { rs1p, rs2p, imm } => store(StoreOp::Sd, rs1p, rs2p, imm),
            Nop => imm_op(ImmOp::Addi, 0, 0, 0),
            Addi { rd, imm } => imm_op(ImmOp::Addi, rd, rd, imm as i64),
            Addiw { rd, imm } => imm_op(ImmOp::Addiw, rd, rd, imm as i64),
            Li { rd, imm } => imm_op(ImmOp::Addi, rd, 0, imm as i64),
            Lui { rd, imm } => Op::Lui {
                rd,
                imm: imm as i64,
            },
            Srli { rdp, sh } => imm_op(ImmOp::Srli, rdp, rdp, sh as i64),
            Srai { rdp, sh } => imm_op(ImmOp::Srai, rdp, rdp, sh as i64),
            Andi { rdp, imm } => imm_op(ImmOp::Andi, rdp, rdp, imm as i64),
            Sub { rdp, rs2p } => reg_op(RegOp::Sub, rdp, rdp, rs2p),
            Xor { rdp, rs2p } => reg_op(RegOp::Xor, rdp, rdp, rs2p),
            Or { rdp, rs2p } => reg_op(RegOp::Or, rdp, rdp, rs2p),
            And { rdp, rs2p } => reg_op(RegOp::And, rdp, rdp, rs2p),
            Subw { rdp, rs2p } => reg_op(RegOp::Subw, rdp, rdp, rs2p),
            Addw { rdp, rs2p } => reg_op(RegOp::Addw, rdp, rdp, rs2p),
            J { off } => Op::Jal {
                rd: 0,
                offset: off as i64,
            },
            Beqz { rs1p, off } => Op::Branch {
                op: BranchOp::Beq,
                rs1: rs1p,
                rs2: 0,
                offset: off as i64,
            },
            Bnez { rs1p, off } => Op::Branch {
                op: BranchOp::Bne,
                rs1: rs1p,
                rs2: 0,
                offset: off as i64,
            },
            Slli { rd, sh } => imm_op(ImmOp::Slli, rd, rd, sh as i64),
            Fldsp { rd, imm } => Op::FpLoad {
                fmt: FpFmt::D,
                rd,
                rs1: 2,
                offset: imm as i64,
            },
            Lwsp { rd, imm } => load(LoadOp::Lw, rd, 2, imm),
            Ldsp { rd, imm } => load(LoadOp::Ld, rd, 2, imm),
            Jr { rs1 } => Op::Jalr {
                rd: 0,
                rs1,
                offset: 0,
            },
            Mv { rd, rs2 } => reg_op(RegOp::Add, rd, 0, rs2),
            Ebreak => Op::Ebreak,
            Jalr { rs1 } => Op::Jalr {
                rd: 1,
                rs1,
                offset: 0,
            },
            Add { rd, rs2 } => reg_op(RegOp::Add, rd, rd, rs2),
            Fsdsp { rs2, imm } => Op::FpStore {
                fmt: FpFmt::D,
                rs1: 2,
                rs2,
                offset: imm as i64,
            },
            Swsp { rs2, imm } => store(StoreOp::Sw, 2, rs2, imm),
            Sdsp { rs2, imm } => store(StoreOp::Sd, 2, rs2, imm),
        }
    }
}

#[cfg(test)]
mod tests;
