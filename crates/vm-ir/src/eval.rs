//! Reference semantics of the pure integer operations.
//!
//! The interpreter calls these directly; the JIT uses them to fold constants
//! and its tests compare compiled code against them, so there is one
//! definition of what `divw` or `orcb` computes.

use crate::{BinOp, UnOp};

fn sext32(v: u64) -> u64 {
    v as i32 as i64 as u64
}

/// Evaluate a two-operand integer operation.
#[inline(always)]
pub fn eval_binop(op: BinOp, a: u64, b: u64) -> u64 {
    let (sa, sb) = (a as i64, b as i64);
    let (wa, wb) = (a as i32, b as i32);
    match op {
        BinOp::Add => a.wrapping_add(b),
        BinOp::Sub => a.wrapping_sub(b),
        BinOp::Mul => a.wrapping_mul(b),
        BinOp::MulH => ((sa as i128 * sb as i128) >> 64) as u64,
        BinOp::MulHSU => ((sa as i128 * b as i128) >> 64) as u64,
        BinOp::MulHU => ((a as u128 * b as u128) >> 64) as u64,
        BinOp::Div => match sb {
            0 => u64::MAX,
            -1 => sa.wrapping_neg() as u64,
            _ => (sa / sb) as u64,
        },
        BinOp::DivU => a.checked_div(b).unwrap_or(u64::MAX),
        BinOp::Rem => match sb {
            0 => a,
            -1 => 0,
            _ => (sa % sb) as u64,
        },
        BinOp::RemU => a.checked_rem(b).unwrap_or(a),
        BinOp::And => a & b,
        BinOp::Or => a | b,
        BinOp::Xor => a ^ b,
        BinOp::AndN => a & !b,
        BinOp::OrN => a | !b,
        BinOp::Xnor => !(a ^ b),
        BinOp::Shl => a << (b & 63),
        BinOp::ShrL => a >> (b & 63),
        BinOp::ShrA => (sa >> (b & 63)) as u64,
        BinOp::Rol => a.rotate_left((b & 63) as u32),
        BinOp::Ror => a.rotate_right((b & 63) as u32),
        BinOp::AddW => sext32(a.wrapping_add(b)),
        BinOp::SubW => sext32(a.wrapping_sub(b)),
        BinOp::MulW => sext32(a.wrapping_mul(b)),
        BinOp::DivW => match wb {
            0 => u64::MAX,
            -1 => wa.wrapping_neg() as i64 as u64,
            _ => (wa / wb) as i64 as u64,
        },
        BinOp::DivUW => sext32((a as u32).checked_div(b as u32).unwrap_or(u32::MAX) as u64),
        BinOp::RemW => match wb {
            0 => wa as i64 as u64,
            -1 => 0,
            _ => (wa % wb) as i64 as u64,
        },
        BinOp::RemUW => sext32((a as u32).checked_rem(b as u32).unwrap_or(a as u32) as u64),
        BinOp::ShlW => sext32(((a as u32) << (b & 31)) as u64),
        BinOp::ShrLW => sext32(((a as u32) >> (b & 31)) as u64),
        BinOp::ShrAW => (wa >> (b & 31)) as i64 as u64,
        BinOp::RolW => sext32((a as u32).rotate_left((b & 31) as u32) as u64),
        BinOp::RorW => sext32((a as u32).rotate_right((b & 31) as u32) as u64),
        BinOp::Min => sa.min(sb) as u64,
        BinOp::MinU => a.min(b),
        BinOp::Max => sa.max(sb) as u64,
        BinOp::MaxU => a.max(b),
        BinOp::Eq => (a == b) as u64,
        BinOp::Ne => (a != b) as u64,
        BinOp::Lt => (sa < sb) as u64,
        BinOp::LtU => (a < b) as u64,
        BinOp::Ge => (sa >= sb) as u64,
        BinOp::GeU => (a >= b) as u64,
    }
}

/// Evaluate a one-operand integer operation.
#[inline(always)]
pub fn eval_unop(op: UnOp, a: u64) -> u64 {
    match op {
        UnOp::Not => !a,
        UnOp::Neg => a.wrapping_neg(),
        UnOp::Clz => a.leading_zeros() as u64,
        UnOp::Ctz => a.trailing_zeros() as u64,
        UnOp::Cpop => a.count_ones() as u64,
        UnOp::ClzW => (a as u32).leading_zeros() as u64,
        UnOp::CtzW => (a as u32).trailing_zeros() as u64,
        UnOp::CpopW => (a as u32).count_ones() as u64,
        UnOp::SextB => a as i8 as i64 as u64,
        UnOp::SextH => a as i16 as i64 as u64,
        UnOp::SextW => sext32(a),
        UnOp::ZextB => a as u8 as u64,
        UnOp::ZextH => a as u16 as u64,
        UnOp::ZextW => a as u32 as u64,
        UnOp::Rev8 => a.swap_bytes(),
        UnOp::OrcB => {
            let mut r = 0u64;
            for i in 0..8 {
                if (a >> (i * 8)) & 0xff != 0 {
                    r |= 0xff << (i * 8);
                }
            }
            r
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn division_edge_cases_follow_riscv() {
        let min = i64::MIN as u64;
        assert_eq!(eval_binop(BinOp::Div, 7, 0), u64::MAX);
        assert_eq!(eval_binop(BinOp::Div, min, -1i64 as u64), min);
        assert_eq!(eval_binop(BinOp::Rem, min, -1i64 as u64), 0);
        assert_eq!(eval_binop(BinOp::Rem, 7, 0), 7);
        assert_eq!(eval_binop(BinOp::DivU, 7, 0), u64::MAX);
        assert_eq!(eval_binop(BinOp::RemU, 7, 0), 7);
        let wmin = i32::MIN as i64 as u64;
        assert_eq!(eval_binop(BinOp::DivW, wmin, -1i64 as u64), wmin);
        assert_eq!(eval_binop(BinOp::RemW, wmin, -1i64 as u64), 0);
        assert_eq!(eval_binop(BinOp::DivUW, 5, 0), u64::MAX);
        assert_eq!(
            eval_binop(BinOp::RemUW, 0x1_8000_0000, 0),
            0xffff_ffff_8000_0000
        );
        assert_eq!(eval_binop(BinOp::RemW, 0x1_0000_0005, 0), 5);
    }

    #[test]
    fn word_ops_sign_extend_and_mask_shifts() {
        assert_eq!(
            eval_binop(BinOp::AddW, 0x7fff_ffff, 1),
            0xffff_ffff_8000_0000
        );
        assert_eq!(eval_binop(BinOp::ShlW, 1, 31 + 32), 0xffff_ffff_8000_0000);
        assert_eq!(eval_binop(BinOp::ShrLW, 0xffff_ffff_8000_0000, 31), 1);
        assert_eq!(
            eval_binop(BinOp::ShrAW, 0x8000_0000, 4),
            0xffff_ffff_f800_0000
        );
        assert_eq!(eval_binop(BinOp::Shl, 1, 64 + 3), 8);
        assert_eq!(eval_binop(BinOp::RorW, 1, 1), 0xffff_ffff_8000_0000);
    }

    #[test]
    fn high_multiplies() {
        assert_eq!(eval_binop(BinOp::MulHU, u64::MAX, u64::MAX), u64::MAX - 1);
        assert_eq!(eval_binop(BinOp::MulH, -1i64 as u64, -1i64 as u64), 0);
        assert_eq!(eval_binop(BinOp::MulHSU, -1i64 as u64, u64::MAX), u64::MAX);
    }

    #[test]
    fn bit_manipulation() {
        assert_eq!(
            eval_unop(UnOp::OrcB, 0x0100_2000_0000_0003),
            0xff00_ff00_0000_00ff
        );
        assert_eq!(eval_unop(UnOp::ClzW, 0), 32);
        assert_eq!(eval_unop(UnOp::Ctz, 0), 64);
        assert_eq!(
            eval_unop(UnOp::Rev8, 0x0102_0304_0506_0708),
            0x0807_0605_0403_0201
        );
        assert_eq!(eval_unop(UnOp::SextH, 0x8000), 0xffff_ffff_ffff_8000);
    }
}
