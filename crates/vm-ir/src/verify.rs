//! Verifier. (Placeholder: implemented by the IR text-form work.)
use crate::Block;

/// A broken invariant.
#[derive(Debug, Clone, PartialEq)]
pub struct VerifyError {
    /// Index of the offending instruction (or insts.len() for the terminator).
    pub inst: usize,
    /// What is wrong.
    pub msg: String,
}

/// Check the invariants of `block`.
pub fn verify(_block: &Block) -> Result<(), VerifyError> {
    Ok(())
}
