//! Lowering of F and D instructions. Single-precision values live NaN-boxed
//! in the 64-bit `f` registers.

use super::{Ctx, Flow};
use crate::insn::*;
use vm_ir::{BinOp, Builder, FUnOp, Global, Inst, MemTy, RoundMode, UnOp, Value};

/// The upper 32 bits that NaN-box a single-precision value.
const NAN_BOX: u64 = 0xffff_ffff_0000_0000;

fn f(r: u8) -> Global {
    Global::F(r)
}
fn x(r: u8) -> Global {
    Global::X(r)
}

/// The register class a conversion operand lives in.
fn cvt_reg(t: CvtTy, r: u8) -> Global {
    if t.is_float() { f(r) } else { x(r) }
}

fn nan_box(b: &mut Builder, low32: Value) -> Value {
    b.binary_imm(BinOp::Or, low32, NAN_BOX as i64)
}

/// Lower an FP-class instruction.
pub(super) fn lower(cx: &mut Ctx<'_>, op: &Op) -> Flow {
    let b = &mut *cx.b;
    match *op {
        Op::FpLoad {
            fmt,
            rd,
            rs1,
            offset,
        } => {
            let addr = b.get(x(rs1));
            let v = match fmt {
                FpFmt::S => {
                    let w = b.load(MemTy::U32, addr, offset as i32);
                    nan_box(b, w)
                }
                FpFmt::D => b.load(MemTy::I64, addr, offset as i32),
            };
            b.set(f(rd), v);
        }
        Op::FpStore {
            fmt,
            rs1,
            rs2,
            offset,
        } => {
            let addr = b.get(x(rs1));
            let val = b.get(f(rs2));
            let ty = match fmt {
                FpFmt::S => MemTy::I32,
                FpFmt::D => MemTy::I64,
            };
            b.store(ty, addr, offset as i32, val);
        }
        Op::FpArith {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
        } => {
            let v = fbinary(b, op, fmt, rm, rs1, rs2);
            b.set(f(rd), v);
        }
        Op::FpSignMinMax {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let v = fbinary(b, op, fmt, RoundMode::Rne, rs1, rs2);
            b.set(f(rd), v);
        }
        Op::FpCompare {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let v = fbinary(b, op, fmt, RoundMode::Rne, rs1, rs2);
            b.set(x(rd), v);
        }
        Op::FpSqrt { fmt, rm, rd, rs1 } => {
            let a = b.get(f(rs1));
            let v = b.push(Inst::FUnary {
                op: FUnOp::Sqrt,
                fmt,
                rm,
                a,
            });
            b.set(f(rd), v);
        }
        Op::Fma {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
            rs3,
        } => {
            let a = b.get(f(rs1));
            let c = b.get(f(rs2));
            let d = b.get(f(rs3));
            let v = b.push(Inst::Fma {
                op,
                fmt,
                rm,
                a,
                b: c,
                c: d,
            });
            b.set(f(rd), v);
        }
        Op::FCvt {
            to,
            from,
            rm,
            rd,
            rs1,
        } => {
            let a = b.get(cvt_reg(from, rs1));
            let v = b.push(Inst::FCvt { to, from, rm, a });
            b.set(cvt_reg(to, rd), v);
        }
        Op::FMvToInt { fmt, rd, rs1 } => {
            let a = b.get(f(rs1));
            let v = match fmt {
                FpFmt::S => b.unary(UnOp::SextW, a),
                FpFmt::D => a,
            };
            b.set(x(rd), v);
        }
        Op::FMvFromInt { fmt, rd, rs1 } => {
            let a = b.get(x(rs1));
            let v = match fmt {
                FpFmt::S => {
                    let low = b.unary(UnOp::ZextW, a);
                    nan_box(b, low)
                }
                FpFmt::D => a,
            };
            b.set(f(rd), v);
        }
        Op::FClass { fmt, rd, rs1 } => {
            let a = b.get(f(rs1));
            let v = b.push(Inst::FUnary {
                op: FUnOp::Class,
                fmt,
                rm: RoundMode::Rne,
                a,
            });
            b.set(x(rd), v);
        }
        _ => return cx.illegal(),
    }
    Flow::Next
}

fn fbinary(b: &mut Builder, op: FBinOp, fmt: FpFmt, rm: RoundMode, rs1: u8, rs2: u8) -> Value {
    let a = b.get(f(rs1));
    let c = b.get(f(rs2));
    b.push(Inst::FBinary {
        op,
        fmt,
        rm,
        a,
        b: c,
    })
}
