//! Address offsets: a load or store whose address is `x + c` (an `add` of
//! an immediate in the block) addresses `x` with `c` added to its offset,
//! when the sum fits the offset field.
//!
//! Why: RISC-V code bumps a pointer and then accesses relative to the new
//! value (`addi a4, a4, 4; sw a5, -4(a4)`); after the fold the access uses
//! the old pointer with offset 0, so a compiling tier need not wait for the
//! add (or materialize `-4` into a register to undo it), and the add dies
//! when nothing else uses it. Exact: `(x + c) + off` and `x + (c + off)`
//! are the same 64-bit wrapping sum, and only the address operand and the
//! offset change, so the access stays where it was.

use crate::{BinOp, Block, Inst};

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let mut changed = false;
    for i in 0..block.insts.len() {
        let (addr, offset) = match block.insts[i] {
            Inst::Load { addr, offset, .. } | Inst::Store { addr, offset, .. } => (addr, offset),
            _ => continue,
        };
        let Inst::BinaryImm {
            op: BinOp::Add,
            a,
            imm,
        } = block.insts[addr.0 as usize]
        else {
            continue;
        };
        let Some(sum) = i64::from(offset)
            .checked_add(imm)
            .and_then(|s| i32::try_from(s).ok())
        else {
            continue;
        };
        match &mut block.insts[i] {
            Inst::Load { addr, offset, .. } | Inst::Store { addr, offset, .. } => {
                *addr = a;
                *offset = sum;
            }
            _ => unreachable!("matched above"),
        }
        changed = true;
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn a_bumped_pointer_is_accessed_through_its_old_value() {
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x14
               v1 = add v0, 4
               set x14, v1
               @0x1004
               v3 = get x15
               store.i32 [v1 - 4], v3
               v5 = load.u16 [v1 + 10]
               set x5, v5
               jump 0x2000",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x14
               v1 = add v0, 4
               set x14, v1
               @0x1004
               v3 = get x15
               store.i32 [v0], v3
               v5 = load.u16 [v0 + 14]
               set x5, v5
               jump 0x2000",
        );
    }

    #[test]
    fn the_add_dies_when_only_the_access_used_it() {
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x10
               v1 = add v0, -8
               v2 = load.i64 [v1 + 8]
               set x11, v2
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x10
               v2 = load.i64 [v0]
               set x11, v2
               jump 0x2000",
        );
    }

    #[test]
    fn offsets_that_do_not_fit_and_other_operations_are_kept() {
        let text = "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x10
               v1 = add v0, 0x7fffffff
               v2 = load.i64 [v1 + 8]
               v3 = sub v0, 4
               v4 = load.i64 [v3 + 4]
               v5 = add v2, v4
               set x11, v5
               jump 0x2000";
        check(run, text, text);
    }
}
