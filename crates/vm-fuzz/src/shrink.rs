//! Minimising a divergent program.
//!
//! Items (never labels, so every candidate still assembles) are deleted in
//! chunks of halving size while the divergence persists with the same
//! signature: the same engine disagreeing on the same kinds of state. A
//! candidate that makes either side run out of its instruction limit (a
//! loop whose counter update was deleted) is rejected.

use crate::asm::Item;
use crate::r#gen::Program;
use crate::runner::{Case, Divergence, Runner};
use vm_core::Exit;

/// Most candidate programs tried while shrinking.
pub const SHRINK_TRIES_MAX: u32 = 2000;

/// The smallest program found that still diverges like `div` on engine
/// `engine`, and its divergence.
pub fn shrink(
    runner: &mut Runner,
    prog: &Program,
    engine: usize,
    div: &Divergence,
) -> (Program, Divergence) {
    let want = div.signature();
    let mut best = prog.clone();
    let mut best_div = div.clone();
    let mut tries = 0u32;
    let mut still_fails = |p: &Program| -> Option<Divergence> {
        tries += 1;
        if tries > SHRINK_TRIES_MAX {
            return None;
        }
        let case = Case::from_program(p).ok()?;
        let d = runner.check_engines(&case, &[engine]).ok()??;
        let budget = |e: Exit| e == Exit::Budget;
        if budget(d.expected.exit) || budget(d.got.exit) || d.signature() != want {
            return None;
        }
        Some(d)
    };
    // Positions of deletable items in main (false) and leaves (true).
    let positions = |p: &Program| -> Vec<(bool, usize)> {
        let m = p.main.iter().enumerate().map(|(i, it)| (false, i, it));
        let l = p.leaves.iter().enumerate().map(|(i, it)| (true, i, it));
        m.chain(l)
            .filter(|(_, _, it)| !matches!(it, Item::Label(_)))
            .map(|(leaf, i, _)| (leaf, i))
            .collect()
    };
    let mut chunk = positions(&best).len().max(1);
    while chunk >= 1 {
        let mut start = 0;
        loop {
            let pos = positions(&best);
            if start >= pos.len() {
                break;
            }
            let del: Vec<(bool, usize)> = pos[start..(start + chunk).min(pos.len())].to_vec();
            let mut cand = best.clone();
            for &(leaf, i) in del.iter().rev() {
                if leaf {
                    cand.leaves.remove(i);
                } else {
                    cand.main.remove(i);
                }
            }
            match still_fails(&cand) {
                Some(d) => {
                    best = cand;
                    best_div = d;
                }
                None => start += chunk,
            }
        }
        if chunk == 1 {
            break;
        }
        chunk /= 2;
    }
    (best, best_div)
}
