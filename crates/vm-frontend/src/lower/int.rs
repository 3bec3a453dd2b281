//! Lowering of integer instructions: ALU, bit manipulation, control flow,
//! loads/stores and atomics.

use super::{Ctx, Flow};
use crate::insn::*;
use vm_ir::{BinOp, Cond, Global, Inst, JumpHint, MemTy, Terminator, UnOp, Value};

fn x(r: u8) -> Global {
    Global::X(r)
}

/// Lower an integer-class instruction.
pub(super) fn lower(cx: &mut Ctx<'_>, op: &Op) -> Flow {
    let b = &mut *cx.b;
    match *op {
        Op::Lui { rd, imm } => {
            let v = b.iconst(imm as u64);
            b.set(x(rd), v);
        }
        Op::Auipc { rd, imm } => {
            let v = b.iconst(cx.pc.wrapping_add(imm as u64));
            b.set(x(rd), v);
        }
        Op::Jal { rd, offset } => {
            let link = b.iconst(cx.next_pc);
            b.set(x(rd), link);
            return Flow::End(Terminator::Jump {
                target: cx.pc.wrapping_add(offset as u64),
            });
        }
        Op::Jalr { rd, rs1, offset } => {
            let base = b.get(x(rs1));
            let sum = b.binary_imm(BinOp::Add, base, offset);
            let target = b.binary_imm(BinOp::And, sum, !1);
            let link = b.iconst(cx.next_pc);
            b.set(x(rd), link);
            let hint = if rd == 0 && rs1 == 1 && offset == 0 {
                JumpHint::Return
            } else if rd != 0 {
                JumpHint::Call
            } else {
                JumpHint::Other
            };
            return Flow::End(Terminator::JumpIndirect { target, hint });
        }
        Op::Branch {
            op,
            rs1,
            rs2,
            offset,
        } => {
            let a = b.get(x(rs1));
            let c = b.get(x(rs2));
            let cond = match op {
                BranchOp::Beq => Cond::Eq,
                BranchOp::Bne => Cond::Ne,
                BranchOp::Blt => Cond::Lt,
                BranchOp::Bge => Cond::Ge,
                BranchOp::Bltu => Cond::LtU,
                BranchOp::Bgeu => Cond::GeU,
            };
            return Flow::End(Terminator::Branch {
                cond,
                a,
                b: c,
                taken: cx.pc.wrapping_add(offset as u64),
                fallthrough: cx.next_pc,
            });
        }
        Op::Load {
            op,
            rd,
            rs1,
            offset,
        } => {
            let ty = match op {
                LoadOp::Lb => MemTy::I8,
                LoadOp::Lh => MemTy::I16,
                LoadOp::Lw => MemTy::I32,
                LoadOp::Ld => MemTy::I64,
                LoadOp::Lbu => MemTy::U8,
                LoadOp::Lhu => MemTy::U16,
                LoadOp::Lwu => MemTy::U32,
            };
            let addr = b.get(x(rs1));
            let v = b.load(ty, addr, offset as i32);
            b.set(x(rd), v);
        }
        Op::Store {
            op,
            rs1,
            rs2,
            offset,
        } => {
            let ty = match op {
                StoreOp::Sb => MemTy::I8,
                StoreOp::Sh => MemTy::I16,
                StoreOp::Sw => MemTy::I32,
                StoreOp::Sd => MemTy::I64,
            };
            let addr = b.get(x(rs1));
            let val = b.get(x(rs2));
            b.store(ty, addr, offset as i32, val);
        }
        Op::RegImm { op, rd, rs1, imm } => {
            let a = b.get(x(rs1));
            let v = reg_imm(b, op, a, imm);
            b.set(x(rd), v);
        }
        Op::RegReg { op, rd, rs1, rs2 } => {
            let a = b.get(x(rs1));
            let c = b.get(x(rs2));
            let v = reg_reg(b, op, a, c);
            b.set(x(rd), v);
        }
        Op::Unary { op, rd, rs1 } => {
            let a = b.get(x(rs1));
            let u = match op {
                UnaryOp::Clz => UnOp::Clz,
                UnaryOp::Ctz => UnOp::Ctz,
                UnaryOp::Cpop => UnOp::Cpop,
                UnaryOp::Clzw => UnOp::ClzW,
                UnaryOp::Ctzw => UnOp::CtzW,
                UnaryOp::Cpopw => UnOp::CpopW,
                UnaryOp::SextB => UnOp::SextB,
                UnaryOp::SextH => UnOp::SextH,
                UnaryOp::ZextH => UnOp::ZextH,
                UnaryOp::OrcB => UnOp::OrcB,
                UnaryOp::Rev8 => UnOp::Rev8,
            };
            let v = b.unary(u, a);
            b.set(x(rd), v);
        }
        Op::Amo {
            op,
            width,
            rd,
            rs1,
            rs2,
            ..
        } => {
            let addr = b.get(x(rs1));
            let val = b.get(x(rs2));
            let v = b.push(Inst::Amo {
                op,
                width,
                addr,
                val,
            });
            b.set(x(rd), v);
        }
        Op::Lr { width, rd, rs1, .. } => {
            let addr = b.get(x(rs1));
            let v = b.push(Inst::LoadReserved { width, addr });
            b.set(x(rd), v);
        }
        Op::Sc {
            width,
            rd,
            rs1,
            rs2,
            ..
        } => {
            let addr = b.get(x(rs1));
            let val = b.get(x(rs2));
            let v = b.push(Inst::StoreConditional { width, addr, val });
            b.set(x(rd), v);
        }
        _ => return cx.illegal(),
    }
    Flow::Next
}

/// `1 << (amount & 63)` as a value.
fn bit(b: &mut vm_ir::Builder, amount: Value) -> Value {
    let one = b.iconst(1);
    b.binary(BinOp::Shl, one, amount)
}

fn reg_imm(b: &mut vm_ir::Builder, op: ImmOp, a: Value, imm: i64) -> Value {
    let simple = |op| (op, imm);
    let (bop, imm) = match op {
        ImmOp::Addi => simple(BinOp::Add),
        ImmOp::Slti => simple(BinOp::Lt),
        ImmOp::Sltiu => simple(BinOp::LtU),
        ImmOp::Xori => simple(BinOp::Xor),
        ImmOp::Ori => simple(BinOp::Or),
        ImmOp::Andi => simple(BinOp::And),
        ImmOp::Slli => simple(BinOp::Shl),
        ImmOp::Srli => simple(BinOp::ShrL),
        ImmOp::Srai => simple(BinOp::ShrA),
        ImmOp::Addiw => simple(BinOp::AddW),
        ImmOp::Slliw => simple(BinOp::ShlW),
        ImmOp::Srliw => simple(BinOp::ShrLW),
        ImmOp::Sraiw => simple(BinOp::ShrAW),
        ImmOp::Rori => simple(BinOp::Ror),
        ImmOp::Roriw => simple(BinOp::RorW),
        ImmOp::SlliUw => {
            let z = b.unary(UnOp::ZextW, a);
            return b.binary_imm(BinOp::Shl, z, imm);
        }
        ImmOp::Bclri => (BinOp::And, !(1i64 << (imm & 63))),
        ImmOp::Bseti => (BinOp::Or, 1i64 << (imm & 63)),
        ImmOp::Binvi => (BinOp::Xor, 1i64 << (imm & 63)),
        ImmOp::Bexti => {
            let s = b.binary_imm(BinOp::ShrL, a, imm);
            return b.binary_imm(BinOp::And, s, 1);
        }
    };
    b.binary_imm(bop, a, imm)
}

fn reg_reg(b: &mut vm_ir::Builder, op: RegOp, a: Value, c: Value) -> Value {
    let direct = match op {
        RegOp::Add => BinOp::Add,
        RegOp::Sub => BinOp::Sub,
        RegOp::Sll => BinOp::Shl,
        RegOp::Slt => BinOp::Lt,
        RegOp::Sltu => BinOp::LtU,
        RegOp::Xor => BinOp::Xor,
        RegOp::Srl => BinOp::ShrL,
        RegOp::Sra => BinOp::ShrA,
        RegOp::Or => BinOp::Or,
        RegOp::And => BinOp::And,
        RegOp::Addw => BinOp::AddW,
        RegOp::Subw => BinOp::SubW,
        RegOp::Sllw => BinOp::ShlW,
        RegOp::Srlw => BinOp::ShrLW,
        RegOp::Sraw => BinOp::ShrAW,
        RegOp::Mul => BinOp::Mul,
        RegOp::Mulh => BinOp::MulH,
        RegOp::Mulhsu => BinOp::MulHSU,
        RegOp::Mulhu => BinOp::MulHU,
        RegOp::Div => BinOp::Div,
        RegOp::Divu => BinOp::DivU,
        RegOp::Rem => BinOp::Rem,
        RegOp::Remu => BinOp::RemU,
        RegOp::Mulw => BinOp::MulW,
        RegOp::Divw => BinOp::DivW,
        RegOp::Divuw => BinOp::DivUW,
        RegOp::Remw => BinOp::RemW,
        RegOp::Remuw => BinOp::RemUW,
        RegOp::Andn => BinOp::AndN,
        RegOp::Orn => BinOp::OrN,
        RegOp::Xnor => BinOp::Xnor,
        RegOp::Max => BinOp::Max,
        RegOp::Maxu => BinOp::MaxU,
        RegOp::Min => BinOp::Min,
        RegOp::Minu => BinOp::MinU,
        RegOp::Rol => BinOp::Rol,
        RegOp::Rolw => BinOp::RolW,
        RegOp::Ror => BinOp::Ror,
        RegOp::Rorw => BinOp::RorW,
        RegOp::Sh1add | RegOp::Sh2add | RegOp::Sh3add => {
            let n = match op {
                RegOp::Sh1add => 1,
                RegOp::Sh2add => 2,
                _ => 3,
            };
            let s = b.binary_imm(BinOp::Shl, a, n);
            return b.binary(BinOp::Add, s, c);
        }
        RegOp::AddUw | RegOp::Sh1addUw | RegOp::Sh2addUw | RegOp::Sh3addUw => {
            let n = match op {
                RegOp::AddUw => 0,
                RegOp::Sh1addUw => 1,
                RegOp::Sh2addUw => 2,
                _ => 3,
            };
            let z = b.unary(UnOp::ZextW, a);
            let s = if n == 0 {
                z
            } else {
                b.binary_imm(BinOp::Shl, z, n)
            };
            return b.binary(BinOp::Add, s, c);
        }
        RegOp::Bclr => {
            let m = bit(b, c);
            return b.binary(BinOp::AndN, a, m);
        }
        RegOp::Bset => {
            let m = bit(b, c);
            return b.binary(BinOp::Or, a, m);
        }
        RegOp::Binv => {
            let m = bit(b, c);
            return b.binary(BinOp::Xor, a, m);
        }
        RegOp::Bext => {
            let s = b.binary(BinOp::ShrL, a, c);
            return b.binary_imm(BinOp::And, s, 1);
        }
    };
    b.binary(direct, a, c)
}
