//! Constant folding: pure operations on constants become constants,
//! computed by the reference semantics ([`eval_binop`], [`eval_unop`]) so
//! the optimizer can never disagree with the engines about what an
//! operation computes. Also: a constant right operand (or a constant left
//! operand of a commutative operation) becomes the immediate of a
//! `BinaryImm`, and a conditional branch on two constants, or with equal
//! targets, becomes a jump.

use super::rewrite::{Subst, const_of};
use crate::{BinOp, Block, Inst, Terminator, eval_binop, eval_unop};

/// Whether `op(a, b) == op(b, a)` for all operands.
pub(super) fn commutative(op: BinOp) -> bool {
    use BinOp::*;
    matches!(
        op,
        Add | Mul
            | MulH
            | MulHU
            | And
            | Or
            | Xor
            | Xnor
            | AddW
            | MulW
            | Min
            | MinU
            | Max
            | MaxU
            | Eq
            | Ne
    )
}

/// The folded form of `inst`, if it changes.
fn fold(insts: &[Inst], inst: &Inst) -> Option<Inst> {
    let c = |v| const_of(insts, v);
    Some(match *inst {
        Inst::Binary { op, a, b } => match (c(a), c(b)) {
            (Some(x), Some(y)) => Inst::Const {
                imm: eval_binop(op, x, y),
            },
            (_, Some(y)) => Inst::BinaryImm {
                op,
                a,
                imm: y as i64,
            },
            (Some(x), None) if commutative(op) => Inst::BinaryImm {
                op,
                a: b,
                imm: x as i64,
            },
            _ => return None,
        },
        Inst::BinaryImm { op, a, imm } => Inst::Const {
            imm: eval_binop(op, c(a)?, imm as u64),
        },
        Inst::Unary { op, a } => Inst::Const {
            imm: eval_unop(op, c(a)?),
        },
        _ => return None,
    })
}

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let mut subst = Subst::new(block.insts.len());
    let mut changed = false;
    for i in 0..block.insts.len() {
        subst.apply(&mut block.insts[i]);
        if let Some(new) = fold(&block.insts, &block.insts[i]) {
            block.insts[i] = new;
            changed = true;
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
    {
        let decided = match (const_of(&block.insts, a), const_of(&block.insts, b)) {
            (Some(x), Some(y)) => Some(cond.eval(x, y)),
            _ => None,
        };
        let target = match decided {
            Some(true) => Some(taken),
            Some(false) => Some(fallthrough),
            None => (taken == fallthrough).then_some(taken),
        };
        if let Some(target) = target {
            block.term = Terminator::Jump { target };
            changed = true;
        }
    }
    changed | subst.changed()
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn constants_fold_through_the_reference_semantics() {
        // divw by zero is all ones; rev8 swaps bytes; addw sign-extends.
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = const 0x7
               v1 = const 0x0
               v2 = divw v0, v1
               set x1, v2
               v4 = rev8 v0
               set x2, v4
               v6 = addw v0, 0x7ffffffa
               set x3, v6
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v2 = const 0xffffffffffffffff
               set x1, v2
               v4 = const 0x700000000000000
               set x2, v4
               v6 = const 0xffffffff80000001
               set x3, v6
               jump 0x2000",
        );
    }

    #[test]
    fn constant_operands_become_immediates() {
        // sub is not commutative: a constant left operand stays.
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = const 0xfffffffffffffff0
               v2 = and v0, v1
               v3 = or v1, v0
               v4 = sub v1, v0
               set x2, v2
               set x3, v3
               set x4, v4
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = const 0xfffffffffffffff0
               v2 = and v0, -16
               v3 = or v0, -16
               v4 = sub v1, v0
               set x2, v2
               set x3, v3
               set x4, v4
               jump 0x2000",
        );
    }

    #[test]
    fn branches_on_constants_become_jumps() {
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = const 0xffffffffffffffff
               v1 = const 0x1
               br lt v0, v1, 0x3000, 0x1004",
            "block 0x1000 .. 0x1004:
               @0x1000
               jump 0x3000",
        );
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = const 0xffffffffffffffff
               v1 = const 0x1
               br ltu v0, v1, 0x3000, 0x1004",
            "block 0x1000 .. 0x1004:
               @0x1000
               jump 0x1004",
        );
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x5
               v1 = get x6
               br ne v0, v1, 0x1004, 0x1004",
            "block 0x1000 .. 0x1004:
               @0x1000
               jump 0x1004",
        );
    }
}
