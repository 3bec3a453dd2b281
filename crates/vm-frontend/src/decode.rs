//! Decoding of instruction words into [`Insn`].
//!
//! 32-bit words are looked up in the [`crate::table`]; the shape of the
//! matching entry says which fields to extract. Compressed parcels are
//! expanded to the equivalent 32-bit word by [`crate::compressed`] and then
//! decoded the same way, so every instruction's meaning is defined once.
//! Field values that the table cannot express (reserved rounding modes 5 and
//! 6) are checked here and make the word illegal.

use crate::compressed;
use crate::insn::*;
use crate::table::{Kind, lookup};

/// Bits `hi..=lo` of `w`, shifted down.
pub(crate) fn bits(w: u32, hi: u32, lo: u32) -> u32 {
    (w >> lo) & ((1u32 << (hi - lo + 1)) - 1)
}

/// Sign-extend the low `width` bits of `v`.
pub(crate) fn sext(v: u32, width: u32) -> i64 {
    let shift = 64 - width;
    (((v as u64) << shift) as i64) >> shift
}

fn rd(w: u32) -> u8 {
    bits(w, 11, 7) as u8
}
fn rs1(w: u32) -> u8 {
    bits(w, 19, 15) as u8
}
fn rs2(w: u32) -> u8 {
    bits(w, 24, 20) as u8
}
fn imm_i(w: u32) -> i64 {
    sext(bits(w, 31, 20), 12)
}
fn imm_s(w: u32) -> i64 {
    sext((bits(w, 31, 25) << 5) | bits(w, 11, 7), 12)
}
fn imm_b(w: u32) -> i64 {
    let v = (bits(w, 31, 31) << 12)
        | (bits(w, 7, 7) << 11)
        | (bits(w, 30, 25) << 5)
        | (bits(w, 11, 8) << 1);
    sext(v, 13)
}
fn imm_u(w: u32) -> i64 {
    (w & 0xffff_f000) as i32 as i64
}
fn imm_j(w: u32) -> i64 {
    let v = (bits(w, 31, 31) << 20)
        | (bits(w, 19, 12) << 12)
        | (bits(w, 20, 20) << 11)
        | (bits(w, 30, 21) << 1);
    sext(v, 21)
}
fn order(w: u32) -> AqRl {
    AqRl {
        aq: bits(w, 26, 26) != 0,
        rl: bits(w, 25, 25) != 0,
    }
}

/// Decode a 32-bit instruction word (low two bits `11`).
pub fn decode32(w: u32) -> Op {
    let Some(enc) = lookup(w) else {
        return Op::Illegal;
    };
    let (rd, rs1, rs2) = (rd(w), rs1(w), rs2(w));
    let rm = || RoundMode::from_bits(bits(w, 14, 12));
    match enc.kind {
        Kind::Lui => Op::Lui { rd, imm: imm_u(w) },
        Kind::Auipc => Op::Auipc { rd, imm: imm_u(w) },
        Kind::Jal => Op::Jal {
            rd,
            offset: imm_j(w),
        },
        Kind::Jalr => Op::Jalr {
            rd,
            rs1,
            offset: imm_i(w),
        },
        Kind::Branch(op) => Op::Branch {
            op,
            rs1,
            rs2,
            offset: imm_b(w),
        },
        Kind::Load(op) => Op::Load {
            op,
            rd,
            rs1,
            offset: imm_i(w),
        },
        Kind::Store(op) => Op::Store {
            op,
            rs1,
            rs2,
            offset: imm_s(w),
        },
        Kind::FpLoad(fmt) => Op::FpLoad {
            fmt,
            rd,
            rs1,
            offset: imm_i(w),
        },
        Kind::FpStore(fmt) => Op::FpStore {
            fmt,
            rs1,
            rs2,
            offset: imm_s(w),
        },
        Kind::Imm(op) => Op::RegImm {
            op,
            rd,
            rs1,
            imm: imm_i(w),
        },
        Kind::Shift64(op) => Op::RegImm {
            op,
            rd,
            rs1,
            imm: bits(w, 25, 20) as i64,
        },
        Kind::Shift32(op) => Op::RegImm {
            op,
            rd,
            rs1,
            imm: bits(w, 24, 20) as i64,
        },
        Kind::Reg(op) => Op::RegReg { op, rd, rs1, rs2 },
        Kind::Unary(op) => Op::Unary { op, rd, rs1 },
        Kind::Amo(op, width) => Op::Amo {
            op,
            width,
            order: order(w),
            rd,
            rs1,
            rs2,
        },
        Kind::Lr(width) => Op::Lr {
            width,
            order: order(w),
            rd,
            rs1,
        },
        Kind::Sc(width) => Op::Sc {
            width,
            order: order(w),
            rd,
            rs1,
            rs2,
        },
        Kind::Fence => Op::Fence {
            fm: bits(w, 31, 28) as u8,
            pred: bits(w, 27, 24) as u8,
            succ: bits(w, 23, 20) as u8,
        },
        Kind::FenceI => Op::FenceI,
        Kind::Ecall => Op::Ecall,
        Kind::Ebreak => Op::Ebreak,
        Kind::Csr(op) => Op::Csr {
            op,
            rd,
            csr: bits(w, 31, 20) as u16,
            src: CsrSrc::Reg(rs1),
        },
        Kind::CsrImm(op) => Op::Csr {
            op,
            rd,
            csr: bits(w, 31, 20) as u16,
            src: CsrSrc::Imm(rs1),
        },
        Kind::FpArith(op, fmt) => match rm() {
            Some(rm) => Op::FpArith {
                op,
                fmt,
                rm,
                rd,
                rs1,
                rs2,
            },
            None => Op::Illegal,
        },
        Kind::FpSignMinMax(op, fmt) => Op::FpSignMinMax {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        },
        Kind::FpCompare(op, fmt) => Op::FpCompare {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        },
        Kind::FpSqrt(fmt) => match rm() {
            Some(rm) => Op::FpSqrt { fmt, rm, rd, rs1 },
            None => Op::Illegal,
        },
        Kind::Fma(op, fmt) => match rm() {
            Some(rm) => Op::Fma {
                op,
                fmt,
                rm,
                rd,
                rs1,
                rs2,
                rs3: bits(w, 31, 27) as u8,
            },
            None => Op::Illegal,
        },
        Kind::FCvt(to, from) => match rm() {
            Some(rm) => Op::FCvt {
                to,
                from,
                rm,
                rd,
                rs1,
            },
            None => Op::Illegal,
        },
        Kind::FMvToInt(fmt) => Op::FMvToInt { fmt, rd, rs1 },
        Kind::FMvFromInt(fmt) => Op::FMvFromInt { fmt, rd, rs1 },
        Kind::FClass(fmt) => Op::FClass { fmt, rd, rs1 },
    }
}

/// Length in bytes of the instruction whose first parcel is `parcel0`:
/// 2 for compressed, 4 for a standard word. Longer encodings (48 bits and up)
/// are not supported; they report 4 and decode as illegal.
pub fn insn_len(parcel0: u16) -> u8 {
    if parcel0 & 3 == 3 { 4 } else { 2 }
}

/// Whether a 32-bit word uses a longer-than-32-bit length encoding
/// (low 5 bits `11111`), which this VM does not implement.
fn is_long_encoding(w: u32) -> bool {
    w & 0x1f == 0x1f
}

/// Decode one instruction from its first parcel and, for 4-byte
/// instructions, its second parcel (ignored for compressed ones).
pub fn decode(parcel0: u16, parcel1: u16) -> Insn {
    if insn_len(parcel0) == 2 {
        let (op, cform) = match compressed::expand(parcel0) {
            Some((word, form)) => (decode32(word), Some(form)),
            None => (Op::Illegal, None),
        };
        Insn {
            op,
            len: 2,
            raw: parcel0 as u32,
            cform,
        }
    } else {
        let w = parcel0 as u32 | (parcel1 as u32) << 16;
        let op = if is_long_encoding(w) {
            Op::Illegal
        } else {
            decode32(w)
        };
        Insn {
            op,
            len: 4,
            raw: w,
            cform: None,
        }
    }
}

/// Decode raw bits: the low 16 bits for a compressed instruction, else the
/// 32-bit word.
pub fn decode_bits(bits: u32) -> Insn {
    decode(bits as u16, (bits >> 16) as u16)
}
