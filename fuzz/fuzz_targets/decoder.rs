//! Decoder and disassembler on arbitrary bits: never panic; a legal
//! instruction disassembles to non-empty text that is not the illegal
//! marker; decoding the same bits again gives the same `Insn`; the length
//! follows the low two bits; and `translate_block` over the bytes never
//! panics and ends within the bytes it was given or at a fetch fault.
#![no_main]

use libfuzzer_sys::fuzz_target;
use vm_frontend::{decode, disassemble, translate_block};

fuzz_target!(|data: &[u8]| {
    for chunk in data.chunks(4) {
        let mut b = [0u8; 4];
        b[..chunk.len()].copy_from_slice(chunk);
        let p0 = u16::from_le_bytes([b[0], b[1]]);
        let p1 = u16::from_le_bytes([b[2], b[3]]);
        let insn = decode(p0, p1);
        assert_eq!(insn.len, if p0 & 3 == 3 { 4 } else { 2 });
        assert_eq!(decode(p0, p1), insn, "decode is a function of the bits");
        let pc = 0x1_0000;
        let text = disassemble(&insn, pc);
        if !insn.is_illegal() {
            assert!(!text.trim().is_empty(), "{insn:?}");
            // Re-decoding the raw bits recorded in the Insn gives it back.
            let again = vm_frontend::decode_bits(insn.raw);
            assert_eq!(again, insn, "raw bits {:#x}", insn.raw);
        }
    }
    // Whole-block lowering over the bytes as guest code.
    let base = 0x1000u64;
    let mut fetch = |a: u64| -> Option<u16> {
        let off = a.checked_sub(base)? as usize;
        let lo = *data.get(off)?;
        let hi = *data.get(off + 1)?;
        Some(u16::from_le_bytes([lo, hi]))
    };
    if let Ok(block) = translate_block(base, &mut fetch, 64) {
        assert!(block.end_pc > block.start_pc || block.insn_starts.is_empty());
        if let Err(e) = vm_ir::verify(&block) {
            panic!("lowering produced an invalid block: {e}\n{block:?}");
        }
    }
});
