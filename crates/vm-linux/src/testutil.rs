//! Crafting ELF files byte by byte for tests.

use goblin::elf::program_header::{PF_R, PF_X, PT_LOAD};

/// A program header to craft.
#[derive(Clone, Copy)]
pub struct Ph {
    pub ty: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

pub fn load(offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
    Ph {
        ty: PT_LOAD,
        flags: PF_R | PF_X,
        offset,
        vaddr,
        filesz,
        memsz,
        align: 0x1000,
    }
}

/// A 64-bit little-endian ELF of `e_type`/`e_machine` with `phs` at offset 64,
/// padded with 0xAB bytes to `len`.
pub fn craft(e_type: u16, machine: u16, phs: &[Ph], len: usize) -> Vec<u8> {
    let mut d = vec![0u8; 64];
    d[..4].copy_from_slice(b"\x7fELF");
    d[4] = 2; // ELFCLASS64
    d[5] = 1; // little endian
    d[6] = 1; // EV_CURRENT
    d[16..18].copy_from_slice(&e_type.to_le_bytes());
    d[18..20].copy_from_slice(&machine.to_le_bytes());
    d[20..24].copy_from_slice(&1u32.to_le_bytes());
    d[24..32].copy_from_slice(&0x10078u64.to_le_bytes()); // entry
    d[32..40].copy_from_slice(&64u64.to_le_bytes()); // phoff
    d[52..54].copy_from_slice(&64u16.to_le_bytes()); // ehsize
    d[54..56].copy_from_slice(&56u16.to_le_bytes()); // phentsize
    d[56..58].copy_from_slice(&(phs.len() as u16).to_le_bytes());
    for ph in phs {
        d.extend_from_slice(&ph.ty.to_le_bytes());
        d.extend_from_slice(&ph.flags.to_le_bytes());
        d.extend_from_slice(&ph.offset.to_le_bytes());
        d.extend_from_slice(&ph.vaddr.to_le_bytes());
        d.extend_from_slice(&ph.vaddr.to_le_bytes());
        d.extend_from_slice(&ph.filesz.to_le_bytes());
        d.extend_from_slice(&ph.memsz.to_le_bytes());
        d.extend_from_slice(&ph.align.to_le_bytes());
    }
    if d.len() < len {
        d.resize(len, 0xAB);
    }
    d
}
