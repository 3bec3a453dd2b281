//! Common-subexpression elimination: a pure operation computing what an
//! earlier one already computed (same operation, same operands, operands of
//! commutative operations in either order) is replaced by the earlier
//! value. Constants are shared the same way.
//!
//! Only operations that read nothing but their operands take part; `get`
//! is register forwarding's job, and instructions with effects (memory,
//! FP flags, CSRs) are never merged.

use std::collections::HashMap;

use super::fold::commutative;
use super::rewrite::Subst;
use crate::{BinOp, Block, Inst, UnOp, Value};

/// What a pure operation computes, as a hash key.
#[derive(PartialEq, Eq, Hash)]
enum Key {
    Const(u64),
    Binary(BinOp, Value, Value),
    BinaryImm(BinOp, Value, i64),
    Unary(UnOp, Value),
}

fn key(inst: &Inst) -> Option<Key> {
    Some(match *inst {
        Inst::Const { imm } => Key::Const(imm),
        Inst::Binary { op, a, b } if commutative(op) && b < a => Key::Binary(op, b, a),
        Inst::Binary { op, a, b } => Key::Binary(op, a, b),
        Inst::BinaryImm { op, a, imm } => Key::BinaryImm(op, a, imm),
        Inst::Unary { op, a } => Key::Unary(op, a),
        _ => return None,
    })
}

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let mut seen: HashMap<Key, Value> = HashMap::new();
    let mut subst = Subst::new(block.insts.len());
    for (i, inst) in block.insts.iter_mut().enumerate() {
        subst.apply(inst);
        let this = Value(i as u32);
        if let Some(k) = key(inst) {
            match seen.get(&k) {
                Some(&v) => subst.replace(this, v),
                None => {
                    seen.insert(k, this);
                }
            }
        }
    }
    subst.apply_term(&mut block.term);
    subst.changed()
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn repeated_pure_operations_are_computed_once() {
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = get x2
               v2 = add v0, v1
               v3 = const 0x10
               set x3, v2
               @0x1004
               v5 = add v1, v0
               v6 = const 0x10
               v7 = sub v5, v6
               v8 = sub v2, v3
               v9 = sub v3, v2
               v10 = shl v7, 3
               v11 = shl v8, 3
               v12 = clz v10
               v13 = clz v11
               set x4, v12
               set x5, v13
               set x6, v9
               jump 0x2000",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = get x2
               v2 = add v0, v1
               v3 = const 0x10
               set x3, v2
               @0x1004
               v7 = sub v2, v3
               v9 = sub v3, v2
               v10 = shl v7, 3
               v12 = clz v10
               set x4, v12
               set x5, v12
               set x6, v9
               jump 0x2000",
        );
    }

    #[test]
    fn loads_and_fp_operations_are_not_merged() {
        let text = "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = load.i64 [v0]
               v2 = load.i64 [v0]
               set x2, v1
               set x3, v2
               @0x1004
               v5 = fadd.d.rne v1, v2
               v6 = fadd.d.rne v1, v2
               set f1, v5
               set f2, v6
               jump 0x2000";
        check(run, text, text);
    }
}
