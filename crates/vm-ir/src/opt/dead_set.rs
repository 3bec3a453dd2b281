//! Dead `set` elimination: a `set` of a guest register that a later `set`
//! of the same register overwrites is dropped, when nothing in between can
//! observe the register.
//!
//! Observers are a `get` of the register and anything that can leave the
//! block early: an instruction that may fault (the guest state must then be
//! exactly that of the faulting instruction's start) and, to stay on the
//! safe side, every instruction that is not pure (memory, FP, CSR and fence
//! instructions). The terminator comes after every instruction, so the last
//! `set` of each register is always kept.
//!
//! The dropped `set` is turned into an unused constant, which dead-code
//! elimination then removes, so this pass never renumbers values.

use super::rewrite::is_pure;
use crate::{Block, Global, Inst};

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    // Walking backwards: whether a later set overwrites the register with
    // no observer in between.
    let mut overwritten = [false; Global::COUNT];
    let mut changed = false;
    for inst in block.insts.iter_mut().rev() {
        match *inst {
            Inst::Set { reg, .. } => {
                if overwritten[reg.index()] {
                    *inst = Inst::Const { imm: 0 };
                    changed = true;
                }
                overwritten[reg.index()] = true;
            }
            Inst::Get { reg } => overwritten[reg.index()] = false,
            ref other if !is_pure(other) => overwritten = [false; Global::COUNT],
            _ => {}
        }
    }
    changed
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn overwritten_sets_are_dropped() {
        check(
            run,
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               v1 = add v0, 1
               set x10, v1
               @0x1004
               v3 = add v0, 2
               set x10, v3
               jump 0x2000",
            "block 0x1000 .. 0x1008:
               @0x1000
               v0 = get x1
               @0x1004
               v3 = add v0, 2
               set x10, v3
               jump 0x2000",
        );
    }

    #[test]
    fn sets_visible_to_a_fault_or_a_read_are_kept() {
        // The load may fault at 0x1004: x10 must hold v1 then. The get of
        // x11 reads the first set of x11.
        let text = "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x1
               v1 = add v0, 1
               set x10, v1
               set x11, v1
               @0x1004
               v4 = load.i64 [v0]
               set x10, v4
               @0x1008
               v6 = get x11
               set x12, v6
               set x11, v0
               jump 0x2000";
        check(run, text, text);
    }
}
