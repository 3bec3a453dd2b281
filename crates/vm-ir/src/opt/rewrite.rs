//! Shared machinery of the passes: which instructions are pure, and
//! replacing the uses of values.
//!
//! Why one place: every pass rewrites operands the same way (a forward walk
//! that maps each operand through the replacements made so far), and the
//! purity rule decides what any pass may delete or merge; getting either
//! wrong in one pass would break equivalence, so both are written once.

use crate::{Inst, Terminator, Value};

/// Whether `inst` has no effect besides defining its value: it cannot
/// fault, writes no state, and (for `get`) reads only a guest register.
/// Only pure instructions are merged, replaced or deleted.
pub fn is_pure(inst: &Inst) -> bool {
    matches!(
        inst,
        Inst::Const { .. }
            | Inst::Get { .. }
            | Inst::Binary { .. }
            | Inst::BinaryImm { .. }
            | Inst::Unary { .. }
    )
}

/// Call `f` on each value `inst` reads (in place, so `f` may rewrite it).
pub fn for_each_arg(inst: &mut Inst, mut f: impl FnMut(&mut Value)) {
    match inst {
        Inst::Const { .. } | Inst::Get { .. } | Inst::Fence | Inst::CsrRead { .. } => {}
        Inst::Set { arg, .. } | Inst::CsrWrite { arg, .. } => f(arg),
        Inst::Binary { a, b, .. } | Inst::FBinary { a, b, .. } => {
            f(a);
            f(b);
        }
        Inst::BinaryImm { a, .. }
        | Inst::Unary { a, .. }
        | Inst::FUnary { a, .. }
        | Inst::FCvt { a, .. } => f(a),
        Inst::Load { addr, .. } | Inst::LoadReserved { addr, .. } => f(addr),
        Inst::Store { addr, val, .. }
        | Inst::Amo { addr, val, .. }
        | Inst::StoreConditional { addr, val, .. } => {
            f(addr);
            f(val);
        }
        Inst::Fma { a, b, c, .. } => {
            f(a);
            f(b);
            f(c);
        }
    }
}

/// Call `f` on each value the terminator reads.
pub fn for_each_term_arg(term: &mut Terminator, mut f: impl FnMut(&mut Value)) {
    match term {
        Terminator::Branch { a, b, .. } => {
            f(a);
            f(b);
        }
        Terminator::JumpIndirect { target, .. } => f(target),
        Terminator::Jump { .. } | Terminator::Trap { .. } => {}
    }
}

/// Replacements of values by equal earlier values, applied during one
/// forward walk: a pass calls [`Subst::apply`] on instruction `i` before
/// looking at it, and [`Subst::replace`] when it finds that `Value(i)`
/// equals an earlier value. Because operands are rewritten before they are
/// looked at, a replacement always names a value that is itself final.
pub struct Subst {
    to: Vec<Value>,
    changed: bool,
}

impl Subst {
    /// No replacements, for a block of `len` instructions.
    pub fn new(len: usize) -> Self {
        Subst {
            to: (0..len as u32).map(Value).collect(),
            changed: false,
        }
    }

    /// From now on, uses of `v` read `by` instead (`by` is earlier than `v`).
    pub fn replace(&mut self, v: Value, by: Value) {
        debug_assert!(by.0 < v.0, "replacement {by} is not earlier than {v}");
        if let Some(slot) = self.to.get_mut(v.0 as usize) {
            *slot = by;
        }
    }

    fn map(to: &[Value], changed: &mut bool, v: &mut Value) {
        if let Some(&t) = to.get(v.0 as usize)
            && t != *v
        {
            *v = t;
            *changed = true;
        }
    }

    /// Rewrite the operands of `inst`.
    pub fn apply(&mut self, inst: &mut Inst) {
        for_each_arg(inst, |v| Self::map(&self.to, &mut self.changed, v));
    }

    /// Rewrite the operands of the terminator.
    pub fn apply_term(&mut self, term: &mut Terminator) {
        for_each_term_arg(term, |v| Self::map(&self.to, &mut self.changed, v));
    }

    /// Whether any operand was rewritten (a replacement nobody reads
    /// changes nothing).
    pub fn changed(&self) -> bool {
        self.changed
    }
}

/// The constant `v` is defined as, if it is defined by `const`.
pub fn const_of(insts: &[Inst], v: Value) -> Option<u64> {
    match insts.get(v.0 as usize) {
        Some(Inst::Const { imm }) => Some(*imm),
        _ => None,
    }
}
