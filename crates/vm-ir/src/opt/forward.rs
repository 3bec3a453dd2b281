//! Register forwarding: a `get` of a guest register whose current value is
//! already a value of the block is replaced by that value.
//!
//! The value is known after a `set` of the register (get after set) or an
//! earlier `get` of it (get after get). Only `set` writes a guest register,
//! so the knowledge holds until the next `set` of the same register, across
//! any other instruction, including faulting ones: a fault leaves the block
//! and nothing after it runs.

use super::rewrite::Subst;
use crate::{Block, Global, Inst, Value};

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let mut known: [Option<Value>; Global::COUNT] = [None; Global::COUNT];
    let mut subst = Subst::new(block.insts.len());
    for (i, inst) in block.insts.iter_mut().enumerate() {
        subst.apply(inst);
        let this = Value(i as u32);
        match *inst {
            Inst::Set { reg, arg } => known[reg.index()] = Some(arg),
            Inst::Get { reg } => match known[reg.index()] {
                Some(v) => subst.replace(this, v),
                None => known[reg.index()] = Some(this),
            },
            _ => {}
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
    fn get_after_set_reads_the_set_value() {
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = add v0, 4
               set x2, v1
               @0x1004
               v3 = get x2
               set x3, v3
               jump 0x2000",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = add v0, 4
               set x2, v1
               @0x1004
               set x3, v1
               jump 0x2000",
        );
    }

    #[test]
    fn get_after_get_reads_once_until_a_set() {
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get f1
               v1 = get f1
               v2 = xor v0, v1
               set f1, v2
               @0x1004
               v4 = get f1
               v5 = get x7
               br ltu v4, v5, 0x3000, 0x1008",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get f1
               v2 = xor v0, v0
               set f1, v2
               @0x1004
               v5 = get x7
               br ltu v2, v5, 0x3000, 0x1008",
        );
    }

    #[test]
    fn other_registers_and_later_sets_are_respected() {
        // x1 and f1 are different registers; the second set of x1 changes
        // what a later get reads.
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = const 0x5
               set x1, v0
               v2 = get f1
               v3 = const 0x6
               set x1, v3
               @0x1004
               v5 = get x1
               v6 = load.i64 [v5]
               set x2, v6
               jump 0x2000",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = const 0x5
               set x1, v0
               v3 = const 0x6
               set x1, v3
               @0x1004
               v6 = load.i64 [v3]
               set x2, v6
               jump 0x2000",
        );
    }
}
