//! The block optimizer: `optimize` rewrites one IR block into an equivalent,
//! usually smaller one.
//!
//! Why: the frontend lowers each guest instruction on its own, so a block
//! re-reads registers it has just written, materializes the same constants
//! again and again, and computes `x + 0` for every `mv`. Removing that before
//! a compiling tier sees the block shortens its compile time and its code,
//! and every engine that runs the optimized block shares the gain. On real
//! programs (every block of the Lua, SQLite and zstd test programs and a
//! glibc static binary) it removes a third of the IR instructions (34-39%).
//! The JIT optimizes every block it compiles (`Region::push` in
//! `vm-engine-jit`); the interpreter runs blocks as translated.
//!
//! Equivalence: an optimized block leaves the same guest registers, memory,
//! CSRs, exit and next PC as the original under the reference semantics
//! ([`crate::eval_binop`], [`crate::eval_unop`]), including at a fault in
//! the middle of the block. The passes therefore never move an instruction:
//! they only replace the uses of a value by an equal earlier value, turn a
//! pure instruction into an equal constant or simpler pure instruction, and
//! delete instructions nobody can observe. Memory, atomic, FP, CSR and fence
//! instructions are kept in place and in order (FP operations accumulate
//! `fflags`, so even they have effects). Guest instruction boundaries are
//! renumbered with the instructions, so a fault still reports its own PC and
//! `instret`.
//!
//! The passes, each with one job (one file each):
//! - `forward`: a `get` of a register whose value is known (set or read
//!   earlier in the block) is replaced by that value;
//! - `fold`: constant folding through the reference semantics, constant
//!   right operands into immediates, branches on constants into jumps;
//! - `algebra`: exact algebraic identities (`x + 0`, `x & -1`, `x - x`,
//!   `sext.w` of a value that is already sign-extended, ...);
//! - `cse`: common-subexpression elimination of pure operations;
//! - `addr`: a load or store through `x + c` addresses `x` with the
//!   constant moved into its offset;
//! - `narrow`: a `*w` operation (or `sext.w`) whose result reaches only
//!   readers of its low 32 bits loses its sign extension;
//! - `dead_set`: a `set` overwritten later by the same register, with
//!   nothing in between that could fault, exit or read it, is dropped;
//! - `dce`: unused pure temporaries are deleted and the block compacted.
//!
//! The result is a pure, deterministic function of the block.

mod addr;
mod algebra;
mod cse;
mod dce;
mod dead_set;
mod fold;
mod forward;
mod narrow;
mod rewrite;

use crate::{Block, verify};

/// Most rounds of the rewriting passes: each round can expose work for the
/// next (a forwarded register makes a constant operand, a folded constant
/// makes an identity); a round that changes nothing ends the loop. The
/// bound only caps the cost of pathological blocks: `optimize` reaches its
/// fixed point on every block of the real programs swept by the tests.
const ROUNDS_MAX: usize = 4;

/// Optimize `block` in place (see the module documentation for what is
/// done and what is preserved). A block that does not pass [`verify()`] is
/// left unchanged. In debug builds the result is verified again and a
/// violation is a panic: it is a bug in a pass.
pub fn optimize(block: &mut Block) {
    if verify(block).is_err() {
        return;
    }
    rounds(block);
    // Dead `get`s (forwarded ones) go first: dead-set elimination takes
    // every remaining `get` as a reader.
    dce::run(block);
    if dead_set::run(block) {
        dce::run(block);
        // A dropped `set` was a reader of all 64 bits of its value: the
        // value may now narrow (and that expose more).
        if rounds(block) {
            dce::run(block);
        }
    }
    if cfg!(debug_assertions)
        && let Err(e) = verify(block)
    {
        panic!("optimizer broke a block invariant: {e}\n{block}");
    }
}

/// The rewriting passes, round after round until nothing changes (at most
/// [`ROUNDS_MAX`] rounds); returns whether anything changed.
fn rounds(block: &mut Block) -> bool {
    let mut any = false;
    for _ in 0..ROUNDS_MAX {
        let mut changed = forward::run(block);
        changed |= fold::run(block);
        changed |= algebra::run(block);
        changed |= cse::run(block);
        changed |= addr::run(block);
        // After `algebra`, which drops the `sext.w` of a `*w` result: a
        // narrowed operation is no longer known to be sign-extended.
        changed |= narrow::run(block);
        if !changed {
            break;
        }
        any = true;
    }
    any
}

#[cfg(test)]
pub(crate) mod test_util {
    use crate::{Block, parse_block, verify};

    /// Parse `input`, run `pass` then dead-code elimination, and check the
    /// result verifies and prints as `expected` (itself parsed and printed,
    /// so value numbering and spacing in the test text are free).
    pub fn check(pass: fn(&mut Block) -> bool, input: &str, expected: &str) {
        let mut b = parse_block(input).expect("input parses");
        verify(&b).expect("input verifies");
        pass(&mut b);
        super::dce::run(&mut b);
        verify(&b).expect("output verifies");
        let want = parse_block(expected).expect("expected parses");
        assert_eq!(b.to_string(), want.to_string());
    }
}
