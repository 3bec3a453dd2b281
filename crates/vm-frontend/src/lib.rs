//! The RISC-V (RV64GC + Zba/Zbb/Zbs) frontend: decoder, disassembler and the
//! lowering of every instruction to IR.
//!
//! Why it exists: this crate is the ONE place where RISC-V instruction
//! semantics live. Engines (interpreter, JIT tiers) execute IR only, so a bug
//! in an instruction is fixed here once for every engine.
//!
//! - [`table`] declares each 32-bit encoding once (mask, bits, shape and
//!   operation); [`compressed`] declares the RVC forms and their expansion.
//! - [`decode`] turns instruction bits into an [`Insn`].
//! - [`disasm`] prints an [`Insn`] as GNU objdump does.
//! - [`lower`] translates a guest basic block to a [`vm_ir::Block`].

pub mod compressed;
pub mod decode;
pub mod disasm;
pub mod insn;
pub mod lower;
pub mod table;

pub use decode::{decode, decode_bits, decode32};
pub use disasm::{disassemble, disassemble_bits};
pub use insn::{CForm, Insn, Op};
pub use lower::{FetchFault, translate_block};
