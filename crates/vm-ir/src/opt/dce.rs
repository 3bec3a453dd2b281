//! Dead-code elimination: pure instructions whose value nobody reads are
//! deleted, and the block is compacted: values renumbered to their new
//! indices and guest instruction starts moved with their instructions.
//!
//! Why compaction is safe for precise PCs: a guest instruction's start is
//! moved to the first kept instruction at or after it, so every kept
//! instruction still belongs to the guest instruction it was lowered from,
//! and a guest instruction whose IR all died keeps its entry (with no
//! instructions), so instruction counts and PCs stay right.

use super::rewrite::{for_each_arg, for_each_term_arg, is_pure};
use crate::{Block, Value};

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let len = block.insts.len();
    let mut used = vec![false; len];
    let mark = |used: &mut Vec<bool>, v: &mut Value| {
        if let Some(u) = used.get_mut(v.0 as usize) {
            *u = true;
        }
    };
    for_each_term_arg(&mut block.term, |v| mark(&mut used, v));
    let mut keep = vec![false; len];
    for i in (0..len).rev() {
        let inst = &mut block.insts[i];
        keep[i] = used[i] || !is_pure(inst);
        if keep[i] {
            for_each_arg(inst, |v| mark(&mut used, v));
        }
    }
    if keep.iter().all(|&k| k) {
        return false;
    }
    // new_index[i]: instructions kept before old index i.
    let mut new_index = Vec::with_capacity(len + 1);
    let mut n = 0u32;
    for &k in &keep {
        new_index.push(n);
        n += k as u32;
    }
    new_index.push(n);
    let renumber = |v: &mut Value| {
        if let Some(&to) = new_index.get(v.0 as usize) {
            *v = Value(to);
        }
    };
    let old = std::mem::take(&mut block.insts);
    for (mut inst, k) in old.into_iter().zip(&keep) {
        if *k {
            for_each_arg(&mut inst, renumber);
            block.insts.push(inst);
        }
    }
    for_each_term_arg(&mut block.term, renumber);
    for s in &mut block.insn_starts {
        if let Some(&to) = new_index.get(s.inst as usize) {
            s.inst = to;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;
    use crate::parse_block;

    #[test]
    fn unused_pure_values_go_and_boundaries_follow() {
        check(
            run,
            "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x1
               v1 = const 0x5
               v2 = mul v0, v1
               @0x1004
               v3 = add v0, 1
               @0x1008
               v4 = load.u8 [v0 + 3]
               v5 = csrr instret
               v6 = fsqrt.d.rne v0
               br eq v3, v0, 0x3000, 0x100c",
            "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x1
               @0x1004
               v3 = add v0, 1
               @0x1008
               v4 = load.u8 [v0 + 3]
               v5 = csrr instret
               v6 = fsqrt.d.rne v0
               br eq v3, v0, 0x3000, 0x100c",
        );
    }

    #[test]
    fn guest_instructions_whose_ir_died_keep_their_pc() {
        let mut b = parse_block(
            "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x1
               @0x1004
               v1 = const 0x0
               @0x1008
               v2 = load.i64 [v0]
               jump 0x2000",
        )
        .expect("parses");
        assert!(run(&mut b));
        assert_eq!(b.insts.len(), 2);
        // The load is still the third guest instruction.
        assert_eq!(b.guest_insn_of(1), (2, 0x1008));
        assert_eq!(b.guest_insn_count(), 3);
    }
}
