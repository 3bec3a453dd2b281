//! `--trace`: print each translated block with its guest disassembly.

use vm_ir::Block;
use vm_mem::GuestMemory;

/// Print the guest instructions of `block` to stderr.
pub(crate) fn print_block(block: &Block, mem: &GuestMemory) {
    let mut out = format!(
        "vm: trace: translated block {:#x}..{:#x}\n",
        block.start_pc, block.end_pc
    );
    for s in &block.insn_starts {
        let raw = crate::interp::raw_insn(mem, s.pc);
        let bits = if raw & 3 == 3 {
            format!("{raw:08x}")
        } else {
            format!("{raw:04x}    ")
        };
        let text = vm_frontend::disassemble_bits(raw, s.pc);
        out.push_str(&format!("  {:#x}: {bits}  {text}\n", s.pc));
    }
    eprint!("{out}");
}
