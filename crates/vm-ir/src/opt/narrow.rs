//! Demanded bits: a 32-bit operation whose result only ever reaches the
//! low 32 bits of its users (`*w` operations, `sext.w`, stores of at most
//! four bytes, ...) computes its low word without the sign extension:
//! `addw`, `subw` and `mulw` become `add`, `sub` and `mul`, and `sext.w`
//! of such a value is the value itself.
//!
//! Why: the frontend writes `mulw a5, a5, a0; addw a5, a5, a1` as two
//! sign-extending operations, and a compiling tier emits both extensions
//! although the first one feeds only the low word of the `addw` (the
//! `matmul` kernel's inner loop). The low 32 bits of `add`, `sub` and `mul`
//! are those of their `*w` forms, which are the sign extension of exactly
//! those bits; users that read only the low word cannot tell them apart.
//!
//! A backward walk marks each value whose high bits some user may read
//! ("wide"): any use not listed below, a `set`, an address, a terminator
//! operand. Uses that read only the low word: both operands of the `*w`
//! operations (shift amounts read at most 6 bits), the operand of `sext.w`,
//! `zext.w`, the byte and half-word extensions and the `*w` bit counts,
//! the stored value of a store of at most four bytes, a shift amount of
//! any shift; and the operands of `add`, `sub`, `mul`, the bitwise
//! operations, `not`, `neg` and the shifted value of `shl` when their own
//! result is not wide (their low word depends only on their operands' low
//! words). Nothing is moved or deleted, so effects and fault points are
//! untouched.

use super::rewrite::{Subst, for_each_arg, for_each_term_arg};
use crate::{BinOp, Block, Inst, UnOp, Value};

/// Whether a use of an operand of `inst` as operand number `k` (0 = left)
/// can read its high 32 bits, given whether `inst`'s own result is wide.
fn reads_high(inst: &Inst, k: usize, wide_result: bool) -> bool {
    use BinOp::*;
    match *inst {
        Inst::Binary { op, .. } | Inst::BinaryImm { op, .. } => match op {
            AddW | SubW | MulW | DivW | DivUW | RemW | RemUW | ShlW | ShrLW | ShrAW | RolW
            | RorW => false,
            Add | Sub | Mul | And | Or | Xor | AndN | OrN | Xnor => wide_result,
            Shl => k == 0 && wide_result,
            ShrL | ShrA | Rol | Ror => k == 0,
            _ => true,
        },
        Inst::Unary { op, .. } => match op {
            UnOp::Not | UnOp::Neg => wide_result,
            UnOp::SextW
            | UnOp::ZextW
            | UnOp::SextB
            | UnOp::SextH
            | UnOp::ZextB
            | UnOp::ZextH
            | UnOp::ClzW
            | UnOp::CtzW
            | UnOp::CpopW => false,
            _ => true,
        },
        // Operand 0 is the address, 1 the value.
        Inst::Store { ty, .. } => k == 0 || ty.bytes() > 4,
        _ => true,
    }
}

/// The 64-bit operation with the same low word as `op`, if `op` is a
/// 32-bit one that has one.
fn full_width(op: BinOp) -> Option<BinOp> {
    match op {
        BinOp::AddW => Some(BinOp::Add),
        BinOp::SubW => Some(BinOp::Sub),
        BinOp::MulW => Some(BinOp::Mul),
        _ => None,
    }
}

/// Run the pass; returns whether the block changed.
pub fn run(block: &mut Block) -> bool {
    let n = block.insts.len();
    let mut wide = vec![false; n];
    for_each_term_arg(&mut block.term, |v| {
        if let Some(w) = wide.get_mut(v.0 as usize) {
            *w = true;
        }
    });
    // Every use comes after its definition: walking backwards, an
    // instruction's own flag is final when its operands are marked.
    for i in (0..n).rev() {
        let wide_result = wide[i];
        let mut inst = block.insts[i].clone();
        let mut k = 0;
        for_each_arg(&mut inst, |v| {
            if reads_high(&block.insts[i], k, wide_result)
                && let Some(w) = wide.get_mut(v.0 as usize)
            {
                *w = true;
            }
            k += 1;
        });
    }
    let mut subst = Subst::new(n);
    let mut changed = false;
    for (i, inst) in block.insts.iter_mut().enumerate() {
        subst.apply(inst);
        if wide[i] {
            continue;
        }
        match inst {
            Inst::Binary { op, .. } | Inst::BinaryImm { op, .. } => {
                if let Some(full) = full_width(*op) {
                    *op = full;
                    changed = true;
                }
            }
            Inst::Unary { op: UnOp::SextW, a } => subst.replace(Value(i as u32), *a),
            _ => {}
        }
    }
    subst.apply_term(&mut block.term);
    changed | subst.changed()
}

#[cfg(test)]
mod tests {
    use super::run;
    use crate::opt::test_util::check;

    #[test]
    fn a_word_product_feeding_a_word_sum_is_not_extended() {
        // matmul's inner loop: the mulw feeds only the addw; the addw is
        // set (all 64 bits visible) and stored as a word.
        check(
            run,
            "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x13
               v1 = load.i32 [v0]
               @0x1004
               v2 = get x10
               v3 = mulw v1, v2
               @0x1008
               v4 = get x11
               v5 = addw v3, v4
               store.i32 [v0], v5
               set x15, v5
               jump 0x2000",
            "block 0x1000 .. 0x100c:
               @0x1000
               v0 = get x13
               v1 = load.i32 [v0]
               @0x1004
               v2 = get x10
               v3 = mul v1, v2
               @0x1008
               v4 = get x11
               v5 = addw v3, v4
               store.i32 [v0], v5
               set x15, v5
               jump 0x2000",
        );
    }

    #[test]
    fn low_words_pass_through_full_width_operations() {
        // v1 reaches a word store only through `add` and `xor` (whose low
        // words need only low words); v6 reaches a byte store through
        // `shl`'s shifted operand; the `sextw` feeding the shift amount
        // is the value itself.
        check(
            run,
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = subw v0, 3
               v2 = add v1, v0
               v3 = xor v2, 7
               store.i16 [v0], v3
               v5 = sextw v0
               v6 = mulw v0, v0
               v7 = shl v6, v5
               store.i8 [v0 + 1], v7
               jump 0x2000",
            "block 0x1000 .. 0x1004:
               @0x1000
               v0 = get x1
               v1 = sub v0, 3
               v2 = add v1, v0
               v3 = xor v2, 7
               store.i16 [v0], v3
               v6 = mul v0, v0
               v7 = shl v6, v0
               store.i8 [v0 + 1], v7
               jump 0x2000",
        );
    }

    #[test]
    fn any_wide_use_keeps_the_extension() {
        // Each *w result here reaches a reader of its high bits: a set, an
        // address, a branch, a doubleword store, a right shift, a compare.
        check(
            run,
            "block 0x1000 .. 0x1010:
               @0x1000
               v0 = get x1
               v1 = addw v0, 1
               set x2, v1
               @0x1004
               v3 = subw v0, 2
               v4 = load.i64 [v3]
               v5 = mulw v0, v4
               store.i64 [v0], v5
               v7 = addw v0, 5
               v8 = shrl v7, 1
               store.i32 [v0], v8
               @0x1008
               v10 = sextw v4
               v11 = lt v10, v0
               set x3, v11
               @0x100c
               v13 = addw v4, v4
               br eq v13, v0, 0x3000, 0x1010",
            "block 0x1000 .. 0x1010:
               @0x1000
               v0 = get x1
               v1 = addw v0, 1
               set x2, v1
               @0x1004
               v3 = subw v0, 2
               v4 = load.i64 [v3]
               v5 = mulw v0, v4
               store.i64 [v0], v5
               v7 = addw v0, 5
               v8 = shrl v7, 1
               store.i32 [v0], v8
               @0x1008
               v10 = sextw v4
               v11 = lt v10, v0
               set x3, v11
               @0x100c
               v13 = addw v4, v4
               br eq v13, v0, 0x3000, 0x1010",
        );
    }

    /// Every chain `p = producer(x1, x2)`, `c = consumer(p, x2)` (or with
    /// `p` on the right, or unary), then `c` set or stored at each width,
    /// gives the same register and bytes before and after the pass, on
    /// edge values, by direct evaluation of the IR.
    #[test]
    fn chains_of_two_operations_keep_their_observable_bits() {
        use crate::{BinOp, Builder, Global, Inst, MemTy, Terminator, UnOp, eval_binop, eval_unop};

        /// (x3 after, stored bytes) of `block` with x1 = a, x2 = b.
        fn eval(block: &crate::Block, a: u64, b: u64) -> (u64, Vec<u8>) {
            let mut v = vec![0u64; block.insts.len()];
            let (mut x3, mut mem) = (0, Vec::new());
            for (i, inst) in block.insts.iter().enumerate() {
                v[i] = match *inst {
                    Inst::Get { reg } => [0, a, b][reg.index()],
                    Inst::Const { imm } => imm,
                    Inst::Binary { op, a, b } => eval_binop(op, v[a.0 as usize], v[b.0 as usize]),
                    Inst::BinaryImm { op, a, imm } => eval_binop(op, v[a.0 as usize], imm as u64),
                    Inst::Unary { op, a } => eval_unop(op, v[a.0 as usize]),
                    Inst::Set { arg, .. } => {
                        x3 = v[arg.0 as usize];
                        0
                    }
                    Inst::Store { ty, val, .. } => {
                        let n = ty.bytes() as usize;
                        mem = v[val.0 as usize].to_le_bytes()[..n].to_vec();
                        0
                    }
                    ref other => panic!("unexpected {other}"),
                };
            }
            (x3, mem)
        }

        let edges = [
            0u64,
            1,
            31,
            33,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
            0x1_2345_6789,
            0x8000_0000_0000_0001,
            u64::MAX,
        ];
        let producers: Vec<Option<BinOp>> = [BinOp::AddW, BinOp::SubW, BinOp::MulW]
            .map(Some)
            .into_iter()
            .chain([None]) // sext.w x1
            .collect();
        enum Use {
            Left(BinOp),
            Right(BinOp),
            Un(UnOp),
        }
        let uses = BinOp::ALL
            .iter()
            .flat_map(|&op| [Use::Left(op), Use::Right(op)])
            .chain(UnOp::ALL.iter().map(|&op| Use::Un(op)));
        let sinks: [Option<MemTy>; 5] = [
            None,
            Some(MemTy::U8),
            Some(MemTy::U16),
            Some(MemTy::U32),
            Some(MemTy::I64),
        ];
        let mut narrowed = 0;
        for u in uses {
            for &prod in &producers {
                for &sink in &sinks {
                    let mut bl = Builder::new(0x1000);
                    bl.begin_insn(0x1000);
                    let x1 = bl.get(Global::X(1));
                    let x2 = bl.get(Global::X(2));
                    let p = match prod {
                        Some(op) => bl.binary(op, x1, x2),
                        None => bl.unary(UnOp::SextW, x1),
                    };
                    let c = match u {
                        Use::Left(op) => bl.binary(op, p, x2),
                        Use::Right(op) => bl.binary(op, x2, p),
                        Use::Un(op) => bl.unary(op, p),
                    };
                    match sink {
                        None => bl.set(Global::X(3), c),
                        Some(ty) => bl.store(ty, x1, 0, c),
                    }
                    let before = bl.finish(Terminator::Jump { target: 0x1004 }, 0x1004);
                    let mut after = before.clone();
                    if run(&mut after) {
                        narrowed += 1;
                    }
                    for &a in &edges {
                        for &b in &edges {
                            assert_eq!(
                                eval(&after, a, b),
                                eval(&before, a, b),
                                "{a:#x} {b:#x}:\n{before}\n{after}"
                            );
                        }
                    }
                }
            }
        }
        assert!(
            narrowed > 100,
            "the pass applies to many chains ({narrowed})"
        );
    }
}
