//! One test per way an ELF file can be malformed, on crafted bytes.

use super::*;

use crate::testutil::{Ph, craft, load};

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
    assert_eq!(
        e.to_string(),
        "cannot read '/nonexistent/vm-test-prog': No such file or directory"
    );
}
