//! One test per way an ELF file can be malformed, on crafted bytes.

use super::*;

/// A program header to craft.
#[derive(Clone, Copy)]
struct Ph {
    ty: u32,
    flags: u32,
    offset: u64,
    vaddr: u64,
    filesz: u64,
    memsz: u64,
    align: u64,
}

fn load(offset: u64, vaddr: u64, filesz: u64, memsz: u64) -> Ph {
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
fn craft(e_type: u16, machine: u16, phs: &[Ph], len: usize) -> Vec<u8> {
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

fn parse(d: Vec<u8>) -> Result<ElfImage, LoadError> {
    ElfImage::parse(Path::new("/t/prog"), d)
}

fn good() -> Vec<u8> {
    craft(
        ET_EXEC,
        EM_RISCV,
        &[load(0, 0x10000, 0x2000, 0x3000)],
        0x2000,
    )
}

#[test]
fn accepts_a_minimal_executable() {
    let img = parse(good()).expect("valid image");
    assert_eq!(img.kind, ElfKind::Exec);
    assert_eq!(img.entry, 0x10078);
    assert_eq!(img.segments.len(), 1);
    assert_eq!(img.segments[0].perm, Perm::RX);
    assert_eq!(img.page_span(), (0x10000, 0x13000));
    // Program headers at file offset 64 lie in the segment loaded from offset 0.
    assert_eq!(img.phdr_vaddr, Some(0x10040));
    assert_eq!(img.interp, None);
}

#[test]
fn not_elf() {
    let e = parse(b"#!/bin/sh\necho hi\n".to_vec()).unwrap_err();
    assert!(matches!(e, LoadError::NotElf { .. }), "{e}");
    assert!(e.to_string().contains("not an ELF file"));
    assert!(matches!(
        parse(Vec::new()).unwrap_err(),
        LoadError::NotElf { .. }
    ));
}

#[test]
fn wrong_machine_names_it() {
    let e = parse(craft(ET_EXEC, 62, &[load(0, 0x10000, 0x100, 0x100)], 0x100)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "'/t/prog': x86-64 ELF, not RISC-V 64-bit little-endian"
    );
    let e = parse(craft(
        ET_EXEC,
        183,
        &[load(0, 0x10000, 0x100, 0x100)],
        0x100,
    ))
    .unwrap_err();
    assert!(e.to_string().contains("AArch64 ELF"), "{e}");
}

#[test]
fn wrong_class_and_endianness() {
    let mut d = good();
    d[4] = 1;
    assert!(parse(d).unwrap_err().to_string().contains("32-bit ELF"));
    let mut d = good();
    d[5] = 2;
    assert!(parse(d).unwrap_err().to_string().contains("big-endian ELF"));
    let mut d = good();
    d[4] = 9;
    assert!(matches!(parse(d).unwrap_err(), LoadError::Malformed { .. }));
}

#[test]
fn wrong_type() {
    let e = parse(craft(1, EM_RISCV, &[load(0, 0x10000, 0x100, 0x100)], 0x100)).unwrap_err();
    assert!(matches!(e, LoadError::WrongType { ty: 1, .. }), "{e}");
}

#[test]
fn truncated_header() {
    let mut d = good();
    d.truncate(40);
    let e = parse(d).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Truncated {
                what: "the ELF header",
                ..
            }
        ),
        "{e}"
    );
    let mut d = good();
    d.truncate(5);
    assert!(matches!(parse(d).unwrap_err(), LoadError::Truncated { .. }));
}

#[test]
fn truncated_program_headers() {
    let mut d = good();
    d.truncate(64 + 30);
    let e = parse(d).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Truncated {
                what: "the program header table",
                ..
            }
        ),
        "{e}"
    );
    // A phoff so large that phoff + size overflows.
    let mut d = good();
    d[32..40].copy_from_slice(&u64::MAX.to_le_bytes());
    assert!(matches!(parse(d).unwrap_err(), LoadError::Truncated { .. }));
}

#[test]
fn bad_phentsize() {
    let mut d = good();
    d[54..56].copy_from_slice(&32u16.to_le_bytes());
    assert!(matches!(parse(d).unwrap_err(), LoadError::Malformed { .. }));
}

#[test]
fn segment_out_of_file() {
    let e = parse(craft(
        ET_EXEC,
        EM_RISCV,
        &[load(0, 0x10000, 0x5000, 0x5000)],
        0x1000,
    ))
    .unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::SegmentOutOfFile {
                index: 0,
                size: 0x5000,
                file_len: 0x1000,
                ..
            }
        ),
        "{e}"
    );
    // Offset + size overflowing u64.
    let e = parse(craft(
        ET_EXEC,
        EM_RISCV,
        &[load(u64::MAX - 0xfff, 0xfffff000, 0x2000, 0x2000)],
        0x1000,
    ))
    .unwrap_err();
    assert!(matches!(e, LoadError::SegmentOutOfFile { .. }), "{e}");
}

#[test]
fn filesz_larger_than_memsz() {
    let e = parse(craft(
        ET_EXEC,
        EM_RISCV,
        &[load(0, 0x10000, 0x200, 0x100)],
        0x1000,
    ))
    .unwrap_err();
    assert!(matches!(e, LoadError::BadSegment { index: 0, .. }), "{e}");
}

#[test]
fn oversized_segment() {
    let e = parse(craft(
        ET_EXEC,
        EM_RISCV,
        &[load(0, 0x10000, 0x100, 1 << 40)],
        0x1000,
    ))
    .unwrap_err();
    assert!(matches!(e, LoadError::BadSegment { .. }), "{e}");
    assert!(e.to_string().contains("does not fit"));
    let e = parse(craft(
        ET_EXEC,
        EM_RISCV,
        &[load(0, u64::MAX - 0xfff, 0x100, 0x2000)],
        0x1000,
    ))
    .unwrap_err();
    assert!(matches!(e, LoadError::BadSegment { .. }), "{e}");
}

#[test]
fn overlapping_segments() {
    let phs = [
        load(0, 0x10000, 0x1000, 0x3000),
        load(0x1000, 0x11000, 0x1000, 0x1000),
    ];
    let e = parse(craft(ET_EXEC, EM_RISCV, &phs, 0x2000)).unwrap_err();
    assert!(
        matches!(
            e,
            LoadError::Overlap {
                first: 0,
                second: 1,
                ..
            }
        ),
        "{e}"
    );
}

#[test]
fn segments_sharing_a_page_are_fine() {
    // Text ends mid-page and data starts in the same page, as with `ld -N`.
    let phs = [
        load(0, 0x10000, 0x800, 0x800),
        load(0x800, 0x10800, 0x100, 0x400),
    ];
    let img = parse(craft(ET_EXEC, EM_RISCV, &phs, 0x1000)).expect("adjacent segments");
    assert_eq!(img.segments.len(), 2);
}

#[test]
fn bad_alignment() {
    let mut ph = load(0, 0x10000, 0x100, 0x100);
    ph.align = 0x3000;
    let e = parse(craft(ET_EXEC, EM_RISCV, &[ph], 0x1000)).unwrap_err();
    assert!(matches!(e, LoadError::BadAlignment { .. }), "{e}");
    let ph = load(0x10, 0x10000, 0x100, 0x100);
    let e = parse(craft(ET_EXEC, EM_RISCV, &[ph], 0x1000)).unwrap_err();
    assert!(e.to_string().contains("differ modulo"), "{e}");
}

#[test]
fn no_load_segment() {
    let note = Ph {
        ty: 4,
        ..load(0, 0, 0, 0)
    };
    let e = parse(craft(ET_EXEC, EM_RISCV, &[note], 0x1000)).unwrap_err();
    assert!(matches!(e, LoadError::NoLoad { .. }), "{e}");
    let e = parse(craft(ET_EXEC, EM_RISCV, &[], 0x1000)).unwrap_err();
    assert!(matches!(e, LoadError::NoLoad { .. }), "{e}");
}

#[test]
fn interp_is_read() {
    let path = b"/lib/ld-linux-riscv64-lp64d.so.1\0";
    let interp = Ph {
        ty: PT_INTERP,
        flags: PF_R,
        offset: 0x200,
        vaddr: 0x10200,
        filesz: path.len() as u64,
        memsz: path.len() as u64,
        align: 1,
    };
    let mut d = craft(
        ET_DYN,
        EM_RISCV,
        &[interp, load(0, 0x10000, 0x1000, 0x1000)],
        0x1000,
    );
    d[0x200..0x200 + path.len()].copy_from_slice(path);
    let img = parse(d).expect("valid");
    assert_eq!(img.kind, ElfKind::Dyn);
    assert_eq!(
        img.interp.as_deref(),
        Some("/lib/ld-linux-riscv64-lp64d.so.1")
    );
}

#[test]
fn interp_out_of_file() {
    let interp = Ph {
        ty: PT_INTERP,
        flags: PF_R,
        offset: 0x2000,
        vaddr: 0,
        filesz: 10,
        memsz: 10,
        align: 1,
    };
    let e = parse(craft(
        ET_DYN,
        EM_RISCV,
        &[interp, load(0, 0, 0x100, 0x100)],
        0x1000,
    ))
    .unwrap_err();
    assert!(
        matches!(e, LoadError::SegmentOutOfFile { index: 0, .. }),
        "{e}"
    );
}

#[test]
fn missing_file_is_io_error() {
    let e = ElfImage::read(Path::new("/nonexistent/vm-test-prog")).unwrap_err();
    assert!(matches!(e, LoadError::Io { .. }), "{e}");
    assert!(e.to_string().contains("/nonexistent/vm-test-prog"));
}
