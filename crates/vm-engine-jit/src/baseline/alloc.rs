//! Where the direct emitter keeps each IR value: an immediate, one of a
//! few host registers, or a frame slot.
//!
//! Why: with every value in a frame slot, each value costs a store and a
//! load, and a dependency chain pays a store-to-load forward per value.
//! Blocks are straight-line SSA, so one forward pass over last uses is a
//! complete linear-scan allocator: a value gets a pool register that is
//! free at its definition (the register's previous value was last used
//! there or before: every template reads its operands before it writes its
//! result); when none is, the value living longest among the new one and
//! the holders takes a slot for all its life (nothing is emitted before
//! the pass ends, so no value moves). The pool is the caller-saved
//! `r8`-`r11` (none of them template scratch, so free to use), then the
//! callee-saved `rbx`, `rbp`, `r12`-`r14` (each costs a save and a
//! restore per run of the block, so they come second). A value whose live
//! range spans an instruction that calls out (a helper or an `eval_*`
//! shim) can only take a callee-saved register; a value last used *by*
//! such an instruction may be in any, as its operands are read before the
//! call.
//!
//! Cost: two passes over the instructions and two small vectors, well
//! under a microsecond for a 64-instruction block.

use vm_ir::{BinOp, Block, Csr, Global, Inst, Terminator, UnOp, Value};

/// The host registers values may live in (x86 numbers): the caller-saved
/// `r8`-`r11` first, then the callee-saved `rbx`, `rbp`, `r12`-`r14`,
/// which the emitter saves at entry and restores at exit in a block that
/// uses them, and which survive calls.
pub(super) const POOL: [u8; 9] = [8, 9, 10, 11, 3, 5, 12, 13, 14];

/// How many of [`POOL`] (the first) die in a call.
const CALLER_SAVED: usize = 4;

/// Where a value lives.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Loc {
    /// A constant (also `get x0`): used as an immediate, never stored.
    Imm(u64),
    /// A pool register (x86 number).
    Reg(u8),
    /// Frame slot number (its byte offset is the emitter's business).
    Slot(u32),
    /// No instruction reads it (or the instruction defines none).
    Unused,
}

/// The locations of a block's values.
pub(super) struct Locations {
    /// By value (instruction index).
    pub(super) locs: Vec<Loc>,
    /// Frame slots in use.
    pub(super) slots: u32,
    /// Whether any instruction calls out (the emitter then saves `cpu`
    /// and `ctx` across calls and keeps the stack aligned).
    pub(super) calls: bool,
    /// The callee-saved registers of [`POOL`] in use (to save and restore).
    pub(super) saved: Vec<u8>,
}

/// Whether `op` is computed by `eval_binop` through the shim (a call).
pub(super) fn binop_calls(op: BinOp) -> bool {
    matches!(
        op,
        BinOp::MulHSU
            | BinOp::Div
            | BinOp::DivU
            | BinOp::Rem
            | BinOp::RemU
            | BinOp::DivW
            | BinOp::DivUW
            | BinOp::RemW
            | BinOp::RemUW
    )
}

/// Whether `op` is computed by `eval_unop` through the shim (a call).
pub(super) fn unop_calls(op: UnOp) -> bool {
    matches!(
        op,
        UnOp::Clz | UnOp::Ctz | UnOp::Cpop | UnOp::ClzW | UnOp::CtzW | UnOp::CpopW | UnOp::OrcB
    )
}

/// Whether the emitter's template for `inst` calls out (clobbering the
/// caller-saved registers, the pool among them).
pub(crate) fn calls(inst: &Inst) -> bool {
    match *inst {
        Inst::Binary { op, .. } | Inst::BinaryImm { op, .. } => binop_calls(op),
        Inst::Unary { op, .. } => unop_calls(op),
        Inst::FBinary { .. }
        | Inst::FUnary { .. }
        | Inst::Fma { .. }
        | Inst::FCvt { .. }
        | Inst::Amo { .. }
        | Inst::LoadReserved { .. }
        | Inst::StoreConditional { .. } => true,
        Inst::CsrRead { csr } => csr == Csr::Time,
        Inst::Const { .. }
        | Inst::Get { .. }
        | Inst::Set { .. }
        | Inst::Load { .. }
        | Inst::Store { .. }
        | Inst::Fence
        | Inst::CsrWrite { .. } => false,
    }
}

/// The values `inst` reads (without allocating, unlike `Inst::args`).
fn args(inst: &Inst) -> ([Value; 3], usize) {
    let z = Value(0);
    match *inst {
        Inst::Const { .. } | Inst::Get { .. } | Inst::Fence | Inst::CsrRead { .. } => ([z; 3], 0),
        Inst::Set { arg, .. } | Inst::CsrWrite { arg, .. } => ([arg, z, z], 1),
        Inst::Binary { a, b, .. } | Inst::FBinary { a, b, .. } => ([a, b, z], 2),
        Inst::BinaryImm { a, .. }
        | Inst::Unary { a, .. }
        | Inst::FUnary { a, .. }
        | Inst::FCvt { a, .. } => ([a, z, z], 1),
        Inst::Load { addr, .. } | Inst::LoadReserved { addr, .. } => ([addr, z, z], 1),
        Inst::Store { addr, val, .. }
        | Inst::Amo { addr, val, .. }
        | Inst::StoreConditional { addr, val, .. } => ([addr, val, z], 2),
        Inst::Fma { a, b, c, .. } => ([a, b, c], 3),
    }
}

/// The locations of `block`'s values.
pub(super) fn locate(block: &Block) -> Locations {
    let n = block.insts.len();
    // Index of each value's last reader (the terminator is `n`); `u32::MAX`
    // for none.
    const NONE: u32 = u32::MAX;
    let mut last = vec![NONE; n];
    // The instructions that call out, ascending (few or none).
    let mut call_at = Vec::new();
    for (i, inst) in block.insts.iter().enumerate() {
        let (vals, k) = args(inst);
        for v in &vals[..k] {
            if let Some(l) = last.get_mut(v.0 as usize) {
                *l = i as u32;
            }
        }
        if calls(inst) {
            call_at.push(i as u32);
        }
    }
    let term_args = match block.term {
        Terminator::Branch { a, b, .. } => [Some(a), Some(b)],
        Terminator::JumpIndirect { target, .. } => [Some(target), None],
        Terminator::Jump { .. } | Terminator::Trap { .. } => [None, None],
    };
    for v in term_args.into_iter().flatten() {
        if let Some(l) = last.get_mut(v.0 as usize) {
            *l = n as u32;
        }
    }

    let mut locs = Vec::with_capacity(n);
    // For each pool register, the last reader of the value it holds (free
    // for a definition at `i` once that is `<= i`) and that value.
    let mut busy = [(0u32, 0usize); POOL.len()];
    let mut used = [false; POOL.len()];
    let mut slots = 0u32;
    let mut new_slot = || {
        slots += 1;
        Loc::Slot(slots - 1)
    };
    // `call_at[next..]` are the calls after the current instruction.
    let mut next = 0;
    for (i, inst) in block.insts.iter().enumerate() {
        while call_at.get(next).is_some_and(|&c| c <= i as u32) {
            next += 1;
        }
        let loc = match *inst {
            Inst::Const { imm } => Loc::Imm(imm),
            Inst::Get { reg: Global::X(0) } => Loc::Imm(0),
            _ if !inst.has_result() || last[i] == NONE => Loc::Unused,
            _ => {
                let l = last[i];
                // Live across a call: only callee-saved registers survive.
                let spans_call = call_at.get(next).is_some_and(|&c| c < l);
                let first = if spans_call { CALLER_SAVED } else { 0 };
                let free = busy[first..].iter().position(|&(b, _)| b <= i as u32);
                let r = match free {
                    Some(r) => Some(first + r),
                    // All taken: the value that lives longest gives up its
                    // register (and takes a slot for all its life; nothing
                    // is emitted yet) if it outlives this one. Optimal for
                    // the number of values in registers (intervals by left
                    // end, drop the furthest right end).
                    None => {
                        let (r, &(far, holder)) = busy[first..]
                            .iter()
                            .enumerate()
                            .max_by_key(|(_, (b, _))| *b)
                            .expect("a non-empty pool");
                        (far > l).then(|| {
                            locs[holder] = new_slot();
                            first + r
                        })
                    }
                };
                match r {
                    Some(r) => {
                        busy[r] = (l, i);
                        used[r] = true;
                        Loc::Reg(POOL[r])
                    }
                    None => new_slot(),
                }
            }
        };
        locs.push(loc);
    }
    let saved = (CALLER_SAVED..POOL.len())
        .filter(|&r| used[r])
        .map(|r| POOL[r])
        .collect();
    Locations {
        locs,
        slots,
        calls: !call_at.is_empty(),
        saved,
    }
}
