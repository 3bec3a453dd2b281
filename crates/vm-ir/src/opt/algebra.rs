//! Exact algebraic identities: operations whose result is one of their
//! operands (`x + 0`, `x & -1`, `x >> 64`, `min x, x`), or a constant
//! whatever the operand (`x & 0`, `x - x`, `x <u 0`), and `sext.w` (or a
//! 32-bit operation that is the identity on its low word) of a value that
//! is already a sign-extended 32-bit value.
//!
//! Every rule holds for all 2^64 operand values under the reference
//! semantics; the constant results are computed by [`eval_binop`] at an
//! arbitrary operand (0) rather than written down, so a rule can only be
//! wrong about *whether* the result is constant, which the property tests
//! and the `ir_opt` fuzz target check against the unoptimized block.

use super::rewrite::Subst;
use crate::{BinOp, Block, Inst, MemTy, Terminator, UnOp, Value, eval_binop};

/// Whether `op(x, c) == x` for every x.
fn right_identity(op: BinOp, c: u64) -> bool {
    use BinOp::*;
    match op {
        Add | Sub | Or | Xor | AndN | MaxU => c == 0,
        And | OrN | Xnor | MinU => c == u64::MAX,
        Shl | ShrL | ShrA | Rol | Ror => c & 63 == 0,
        Mul | Div | DivU => c == 1,
        Min => c == i64::MAX as u64,
        Max => c == i64::MIN as u64,
        _ => false,
    }
}

/// Whether `op(x, c) == sext32(x)` for every x.
fn right_identity_w(op: BinOp, c: u64) -> bool {
    use BinOp::*;
    match op {
        AddW | SubW => c as u32 == 0,
        ShlW | ShrLW | ShrAW | RolW | RorW => c & 31 == 0,
        MulW | DivW => c as u32 == 1,
        _ => false,
    }
}

/// Whether `op(x, c)` is the same for every x.
fn right_absorbing(op: BinOp, c: u64) -> bool {
    use BinOp::*;
    let min = i64::MIN as u64;
    match op {
        And | Mul | MulH | MulHSU | MulHU | MulW | MinU | LtU | GeU => c == 0,
        Or | MaxU => c == u64::MAX,
        OrN => c == 0,
        AndN => c == u64::MAX,
        Rem => c == 1 || c == u64::MAX,
        RemU => c == 1,
        RemW => c as u32 == 1 || c as u32 == u32::MAX,
        RemUW => c as u32 == 1,
        Min | Lt | Ge => c == min,
        Max => c == i64::MAX as u64,
        _ => false,
    }
}

/// Whether `op(x, x)` is `x` for every x.
fn same_identity(op: BinOp) -> bool {
    use BinOp::*;
    matches!(op, And | Or | Min | MinU | Max | MaxU)
}

/// Whether `op(x, x)` is the same for every x.
fn same_absorbing(op: BinOp) -> bool {
    use BinOp::*;
    matches!(
        op,
        Sub | SubW
            | Xor
            | AndN
            | OrN
            | Xnor
            | Rem
            | RemU
            | RemW
            | RemUW
            | Eq
            | Ne
            | Lt
            | LtU
            | Ge
            | GeU
    )
}

/// Whether `v` is known to equal the sign extension of its low 32 bits,
/// from its defining instruction (and, for bitwise operations and
/// min/max, their operands': bits 63..31 of the result are then all equal
/// too), looking at most [`SEXT_DEPTH`] definitions deep.
fn is_sext32(insts: &[Inst], v: Value) -> bool {
    is_sext32_within(insts, v, SEXT_DEPTH)
}

/// How deep [`is_sext32`] follows operands.
const SEXT_DEPTH: u32 = 4;

fn is_sext32_within(insts: &[Inst], v: Value, depth: u32) -> bool {
    use BinOp::*;
    let imm_sext = |imm: i64| imm == imm as i32 as i64;
    let deeper = |v: Value| depth > 0 && is_sext32_within(insts, v, depth - 1);
    match insts.get(v.0 as usize) {
        Some(Inst::Const { imm }) => *imm == *imm as i32 as i64 as u64,
        Some(Inst::Binary {
            op: And | Or | Xor | AndN | OrN | Xnor | Min | Max | MinU | MaxU,
            a,
            b,
        }) => deeper(*a) && deeper(*b),
        Some(Inst::BinaryImm {
            op: And | Or | Xor | AndN | OrN | Xnor | Min | Max | MinU | MaxU,
            a,
            imm,
        }) => imm_sext(*imm) && deeper(*a),
        Some(Inst::Binary { op, .. } | Inst::BinaryImm { op, .. }) => matches!(
            op,
            AddW | SubW
                | MulW
                | DivW
                | DivUW
                | RemW
                | RemUW
                | ShlW
                | ShrLW
                | ShrAW
                | RolW
                | RorW
                | Eq
                | Ne
                | Lt
                | LtU
                | Ge
                | GeU
        ),
        Some(Inst::Unary { op: UnOp::Not, a }) => deeper(*a),
        Some(Inst::Unary { op, .. }) => !matches!(
            op,
            UnOp::Not | UnOp::Neg | UnOp::ZextW | UnOp::Rev8 | UnOp::OrcB
        ),
        Some(Inst::Load { ty, .. }) => *ty != MemTy::I64 && *ty != MemTy::U32,
        _ => false,
    }
}

/// What instruction `i` simplifies to.
enum Simple {
    /// The value of an earlier instruction.
    Value(Value),
    /// A new instruction in its place.
    Inst(Inst),
}

fn simplify(insts: &[Inst], inst: &Inst) -> Option<Simple> {
    let sext_of = |a: Value| {
        if is_sext32(insts, a) {
            Simple::Value(a)
        } else {
            Simple::Inst(Inst::Unary { op: UnOp::SextW, a })
        }
    };
    match *inst {
        Inst::BinaryImm { op, a, imm } => {
            let c = imm as u64;
            if right_identity(op, c) {
                Some(Simple::Value(a))
            } else if right_absorbing(op, c) {
                Some(Simple::Inst(Inst::Const {
                    imm: eval_binop(op, 0, c),
                }))
            } else if right_identity_w(op, c) {
                Some(sext_of(a))
            } else {
                None
            }
        }
        Inst::Binary { op, a, b } if a == b => {
            if same_identity(op) {
                Some(Simple::Value(a))
            } else if same_absorbing(op) {
                Some(Simple::Inst(Inst::Const {
                    imm: eval_binop(op, 0, 0),
                }))
            } else {
                None
            }
        }
        Inst::Unary { op: UnOp::SextW, a } if is_sext32(insts, a) => Some(Simple::Value(a)),
        Inst::Unary {
            op: op @ (UnOp::Not | UnOp::Neg),
            a,
        } => match insts.get(a.0 as usize) {
            Some(&Inst::Unary { op: inner, a: x }) if inner == op => Some(Simple::Value(x)),
            _ => None,
        },
        _ => None,
    }
}

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let mut subst = Subst::new(block.insts.len());
    let mut changed = false;
    for i in 0..block.insts.len() {
        subst.apply(&mut block.insts[i]);
        match simplify(&block.insts, &block.insts[i]) {
            Some(Simple::Value(v)) => subst.replace(Value(i as u32), v),
            Some(Simple::Inst(new)) => {
                block.insts[i] = new;
                changed = true;
            }
            None => {}
        }
    }
    subst.apply_term(&mut block.term);
    if let Terminator::Branch {
        cond,
        a,
        b,
        taken,
        fallthrough,
    } = block.term
        && a == b
    {
        let target = if cond.eval(0, 0) { taken } else { fallthrough };
        block.term = Terminator::Jump { target };
        changed = true;
    }
    changed | subst.changed()
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn identities_forward_the_operand() {
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = add v0, 0
               v2 = and v1, -1
               v3 = shra v2, 64
               v4 = xnor v3, -1
               v5 = max v4, v4
               set x2, v5
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               set x2, v0
               jump 0x2000",
        );
    }

    #[test]
    fn absorbing_operands_give_constants() {
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = sub v0, v0
               set x2, v1
               v3 = orn v0, 0
               set x3, v3
               v5 = ge v0, v0
               set x4, v5
               v7 = remw v0, -1
               set x5, v7
               v9 = ltu v0, 0
               set x6, v9
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v1 = const 0x0
               set x2, v1
               v3 = const 0xffffffffffffffff
               set x3, v3
               v5 = const 0x1
               set x4, v5
               v7 = const 0x0
               set x5, v7
               v9 = const 0x0
               set x6, v9
               jump 0x2000",
        );
    }

    #[test]
    fn word_identities_need_a_sign_extended_operand() {
        // v1 is an addw result (sign-extended): sext.w of it is itself.
        // v0 is a full register: addw v0, 0 is sext.w v0.
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = addw v0, 5
               v2 = sextw v1
               v3 = shlw v2, 32
               set x2, v3
               v5 = addw v0, 0
               set x3, v5
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = addw v0, 5
               set x2, v1
               v5 = sextw v0
               set x3, v5
               jump 0x2000",
        );
    }

    #[test]
    fn bitwise_ops_of_sign_extended_values_are_sign_extended() {
        // crc32's `xor a5, a5, a0; sext.w a5, a5` over a loaded word and
        // an srlw result: the sext.w goes. With a full register (v0) or a
        // mask that is not a sign-extended 32-bit value it stays.
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = load.i32 [v0 + 0]
               v2 = shrlw v0, 8
               v3 = xor v1, v2
               v4 = sextw v3
               set x2, v4
               v6 = xor v1, v0
               v7 = sextw v6
               set x3, v7
               v9 = and v1, 0xffffffff
               v10 = sextw v9
               set x4, v10
               v12 = not v3
               v13 = sextw v12
               set x5, v13
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = load.i32 [v0 + 0]
               v2 = shrlw v0, 8
               v3 = xor v1, v2
               set x2, v3
               v6 = xor v1, v0
               v7 = sextw v6
               set x3, v7
               v9 = and v1, 0xffffffff
               v10 = sextw v9
               set x4, v10
               v12 = not v3
               set x5, v12
               jump 0x2000",
        );
    }

    #[test]
    fn double_negation_and_equal_branch_operands() {
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = not v0
               v2 = not v1
               br geu v2, v0, 0x3000, 0x1004",
            "block 0x1000 .. 0x1004:
               @0x1000
               jump 0x3000",
        );
    }
}
