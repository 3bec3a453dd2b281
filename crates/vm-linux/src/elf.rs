//! Parsing and validating a RISC-V ELF executable before anything is mapped.
//!
//! Why a separate, pure step: every way a file can be malformed is caught
//! here, against the file bytes alone, and reported as one [`LoadError`] with
//! a clear message. Mapping into guest memory ([`crate::loader`]) then only
//! has to follow a plan that is known to be sound, and the checks can be
//! unit-tested with crafted bytes without an address space.

use std::path::{Path, PathBuf};

use goblin::container::Endian;
use goblin::elf::header::{EM_RISCV, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};
use goblin::elf64::header::{Header, SIZEOF_EHDR};
use goblin::elf64::program_header::{ProgramHeader, SIZEOF_PHDR};
use vm_mem::{GUEST_SPACE_BYTES, PAGE_SIZE, Perm};

/// Everything that can be wrong with a program or its interpreter.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The file could not be read.
    #[error("cannot read '{}': {}", path.display(), io_text(err))]
    Io {
        /// The file.
        path: PathBuf,
        /// The host error (part of the message, not a separate cause).
        err: std::io::Error,
    },
    /// No ELF magic.
    #[error("'{}' is not an ELF file", path.display())]
    NotElf {
        /// The file.
        path: PathBuf,
    },
    /// ELF, but not for this machine (class, byte order or machine).
    #[error("'{}': {what} ELF, not RISC-V 64-bit little-endian", path.display())]
    WrongMachine {
        /// The file.
        path: PathBuf,
        /// What it is instead, e.g. "x86-64" or "32-bit".
        what: String,
    },
    /// Not an executable or shared object.
    #[error("'{}': ELF type {ty} is neither an executable nor a position-independent executable", path.display())]
    WrongType {
        /// The file.
        path: PathBuf,
        /// `e_type`.
        ty: u16,
    },
    /// A header or table extends past the end of the file.
    #[error("'{}': truncated ELF: {what} extends past the end of the file", path.display())]
    Truncated {
        /// The file.
        path: PathBuf,
        /// Which part.
        what: &'static str,
    },
    /// A header field has an impossible value.
    #[error("'{}': malformed ELF: {why}", path.display())]
    Malformed {
        /// The file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// A segment's file bytes lie outside the file.
    #[error("'{}': segment {index} (file offset {offset:#x}, size {size:#x}) lies outside the {file_len}-byte file", path.display())]
    SegmentOutOfFile {
        /// The file.
        path: PathBuf,
        /// Program header index.
        index: usize,
        /// `p_offset`.
        offset: u64,
        /// `p_filesz`.
        size: u64,
        /// File length.
        file_len: u64,
    },
    /// A segment is larger than memory allows or its sizes disagree.
    #[error("'{}': segment {index} {why}", path.display())]
    BadSegment {
        /// The file.
        path: PathBuf,
        /// Program header index.
        index: usize,
        /// What is wrong.
        why: String,
    },
    /// Two segments overlap in memory.
    #[error("'{}': segments {first} and {second} overlap in memory", path.display())]
    Overlap {
        /// The file.
        path: PathBuf,
        /// Lower segment index.
        first: usize,
        /// Higher segment index.
        second: usize,
    },
    /// A segment's alignment is invalid.
    #[error("'{}': segment {index} has bad alignment: {why}", path.display())]
    BadAlignment {
        /// The file.
        path: PathBuf,
        /// Program header index.
        index: usize,
        /// What is wrong.
        why: String,
    },
    /// Nothing to load.
    #[error("'{}': no loadable (PT_LOAD) segment", path.display())]
    NoLoad {
        /// The file.
        path: PathBuf,
    },
    /// The program interpreter does not exist under the sysroot.
    #[error(
        "program interpreter '{interp}' not found{} (use -L to give the RISC-V sysroot)",
        sysroot_note(sysroot)
    )]
    InterpNotFound {
        /// The PT_INTERP path.
        interp: String,
        /// The sysroot searched, if any.
        sysroot: Option<PathBuf>,
    },
    /// The interpreter itself is unusable.
    #[error("program interpreter '{}': {why}", path.display())]
    BadInterp {
        /// The interpreter file.
        path: PathBuf,
        /// What is wrong.
        why: String,
    },
    /// Guest memory refused a mapping or write while loading.
    #[error("cannot map '{what}' at {addr:#x} ({len:#x} bytes) in guest memory: errno {errno}")]
    Map {
        /// What was being mapped.
        what: String,
        /// Guest address.
        addr: u64,
        /// Length.
        len: u64,
        /// Linux errno.
        errno: i32,
    },
    /// Arguments and environment do not fit the initial stack.
    #[error("arguments and environment ({bytes} bytes) do not fit the {limit}-byte initial stack")]
    StackOverflow {
        /// Bytes needed.
        bytes: u64,
        /// Bytes available.
        limit: u64,
    },
}

/// An I/O error's text without Rust's " (os error N)" suffix.
fn io_text(e: &std::io::Error) -> String {
    let s = e.to_string();
    match s.find(" (os error") {
        Some(i) => s[..i].to_string(),
        None => s,
    }
}

fn sysroot_note(s: &Option<PathBuf>) -> String {
    match s {
        Some(p) => format!(" under sysroot '{}'", p.display()),
        None => String::new(),
    }
}

/// Whether the image must be placed at its link addresses or anywhere.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum ElfKind {
    /// ET_EXEC: fixed addresses.
    Exec,
    /// ET_DYN: position independent (static-pie, PIE, or the dynamic linker).
    Dyn,
}

/// One PT_LOAD segment, validated.
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct Segment {
    /// Program header index (for messages).
    pub index: usize,
    /// Link-time virtual address.
    pub vaddr: u64,
    /// Size in memory (>= `filesz`; the rest is zero, the bss).
    pub memsz: u64,
    /// Bytes taken from the file.
    pub filesz: u64,
    /// File offset of those bytes.
    pub offset: u64,
    /// Permissions from `p_flags`.
    pub perm: Perm,
}

/// A parsed, validated ELF image, ready to be mapped.
#[derive(Clone, Debug)]
pub struct ElfImage {
    /// Where it was read from.
    pub path: PathBuf,
    /// The whole file.
    pub data: Vec<u8>,
    /// Fixed or relocatable.
    pub kind: ElfKind,
    /// Link-time entry point.
    pub entry: u64,
    /// File offset of the program header table.
    pub phoff: u64,
    /// Number of program headers.
    pub phnum: u64,
    /// Loadable segments, ascending by `vaddr`, non-overlapping.
    pub segments: Vec<Segment>,
    /// PT_INTERP path, if any.
    pub interp: Option<String>,
    /// Link-time address of the program headers in memory, if they are loaded.
    pub phdr_vaddr: Option<u64>,
    /// Largest segment alignment (at least a page).
    pub align: u64,
}

/// Size of one ELF64 program header.
pub const PHENT_SIZE: u64 = SIZEOF_PHDR as u64;

fn machine_name(m: u16) -> String {
    match m {
        3 => "i386".into(),
        8 => "MIPS".into(),
        20 => "PowerPC".into(),
        21 => "PowerPC64".into(),
        22 => "S/390".into(),
        40 => "ARM".into(),
        62 => "x86-64".into(),
        183 => "AArch64".into(),
        258 => "LoongArch".into(),
        other => format!("machine {other}"),
    }
}

fn perm_of(flags: u32) -> Perm {
    let mut p = Perm::NONE;
    if flags & PF_R != 0 {
        p = p | Perm::R;
    }
    if flags & PF_W != 0 {
        p = p | Perm::W;
    }
    if flags & PF_X != 0 {
        p = p | Perm::X;
    }
    p
}

impl ElfImage {
    /// Read and validate the file at `path`.
    pub fn read(path: &Path) -> Result<ElfImage, LoadError> {
        let data = std::fs::read(path).map_err(|err| LoadError::Io {
            path: path.to_path_buf(),
            err,
        })?;
        ElfImage::parse(path, data)
    }

    /// Validate `data` (the contents of `path`).
    pub fn parse(path: &Path, data: Vec<u8>) -> Result<ElfImage, LoadError> {
        let p = || path.to_path_buf();
        if data.len() < 4 || &data[..4] != b"\x7fELF" {
            return Err(LoadError::NotElf { path: p() });
        }
        if data.len() < 6 {
            return Err(LoadError::Truncated {
                path: p(),
                what: "the ELF header",
            });
        }
        match data[4] {
            2 => {}
            1 => {
                return Err(LoadError::WrongMachine {
                    path: p(),
                    what: "32-bit".into(),
                });
            }
            c => {
                return Err(LoadError::Malformed {
                    path: p(),
                    why: format!("unknown ELF class {c}"),
                });
            }
        }
        match data[5] {
            1 => {}
            2 => {
                return Err(LoadError::WrongMachine {
                    path: p(),
                    what: "big-endian".into(),
                });
            }
            d => {
                return Err(LoadError::Malformed {
                    path: p(),
                    why: format!("unknown ELF byte order {d}"),
                });
            }
        }
        if data.len() < SIZEOF_EHDR {
            return Err(LoadError::Truncated {
                path: p(),
                what: "the ELF header",
            });
        }
        let hdr = Header::parse(&data).map_err(|e| LoadError::Malformed {
            path: p(),
            why: e.to_string(),
        })?;
        if hdr.e_machine != EM_RISCV {
            return Err(LoadError::WrongMachine {
                path: p(),
                what: machine_name(hdr.e_machine),
            });
        }
        let kind = match hdr.e_type {
            ET_EXEC => ElfKind::Exec,
            ET_DYN => ElfKind::Dyn,
            ty => return Err(LoadError::WrongType { path: p(), ty }),
        };
        if hdr.e_phnum == 0 {
            return Err(LoadError::NoLoad { path: p() });
        }
        if u64::from(hdr.e_phentsize) != PHENT_SIZE {
            return Err(LoadError::Malformed {
                path: p(),
                why: format!(
                    "program header size {} (expected {PHENT_SIZE})",
                    hdr.e_phentsize
                ),
            });
        }
        let file_len = data.len() as u64;
        let table_end = u64::from(hdr.e_phnum)
            .checked_mul(PHENT_SIZE)
            .and_then(|n| n.checked_add(hdr.e_phoff));
        if table_end.is_none_or(|end| end > file_len) {
            return Err(LoadError::Truncated {
                path: p(),
                what: "the program header table",
            });
        }
        let phdrs = ProgramHeader::parse(
            &data,
            hdr.e_phoff as usize,
            hdr.e_phnum as usize,
            Endian::Little,
        )
        .map_err(|e| LoadError::Malformed {
            path: p(),
            why: e.to_string(),
        })?;

        let mut segments = Vec::new();
        let mut interp = None;
        let mut phdr_vaddr = None;
        let mut align = PAGE_SIZE;
        for (index, ph) in phdrs.iter().enumerate() {
            match ph.p_type {
                PT_LOAD => {
                    let seg = check_segment(path, index, ph, file_len)?;
                    align = align.max(ph.p_align);
                    segments.push(seg);
                }
                PT_INTERP => {
                    let end = ph.p_offset.checked_add(ph.p_filesz);
                    if end.is_none_or(|e| e > file_len) {
                        return Err(LoadError::SegmentOutOfFile {
                            path: p(),
                            index,
                            offset: ph.p_offset,
                            size: ph.p_filesz,
                            file_len,
                        });
                    }
                    let raw = &data[ph.p_offset as usize..(ph.p_offset + ph.p_filesz) as usize];
                    let s = raw.split(|&b| b == 0).next().unwrap_or_default();
                    let s = std::str::from_utf8(s)
                        .ok()
                        .filter(|s| !s.is_empty())
                        .ok_or_else(|| LoadError::Malformed {
                            path: p(),
                            why: "PT_INTERP is not a valid path".into(),
                        })?;
                    interp = Some(s.to_string());
                }
                PT_PHDR => phdr_vaddr = Some(ph.p_vaddr),
                _ => {}
            }
        }
        if segments.is_empty() {
            return Err(LoadError::NoLoad { path: p() });
        }
        segments.sort_by_key(|s| s.vaddr);
        for w in segments.windows(2) {
            if w[0].vaddr + w[0].memsz > w[1].vaddr {
                return Err(LoadError::Overlap {
                    path: p(),
                    first: w[0].index.min(w[1].index),
                    second: w[0].index.max(w[1].index),
                });
            }
        }
        let span = span_of(&segments);
        if span.1 - span.0 > GUEST_SPACE_BYTES / 2 {
            return Err(LoadError::Malformed {
                path: p(),
                why: format!("segments span {:#x} bytes, too large", span.1 - span.0),
            });
        }
        if phdr_vaddr.is_none() {
            // Find the program headers inside a loaded segment, as the kernel does.
            phdr_vaddr = segments.iter().find_map(|s| {
                let rel = hdr.e_phoff.checked_sub(s.offset)?;
                (rel + u64::from(hdr.e_phnum) * PHENT_SIZE <= s.filesz).then(|| s.vaddr + rel)
            });
        }
        Ok(ElfImage {
            path: p(),
            data,
            kind,
            entry: hdr.e_entry,
            phoff: hdr.e_phoff,
            phnum: u64::from(hdr.e_phnum),
            segments,
            interp,
            phdr_vaddr,
            align,
        })
    }

    /// Lowest page and one past the highest page the image occupies (link addresses).
    pub fn page_span(&self) -> (u64, u64) {
        span_of(&self.segments)
    }
}

/// Page-rounded `[low, high)` covered by `segs` (non-empty, sorted).
fn span_of(segs: &[Segment]) -> (u64, u64) {
    let low = segs.iter().map(|s| s.vaddr).min().unwrap_or(0);
    let high = segs.iter().map(|s| s.vaddr + s.memsz).max().unwrap_or(0);
    (page_down(low), page_up(high))
}

/// Round down to a page boundary.
pub fn page_down(a: u64) -> u64 {
    a & !(PAGE_SIZE - 1)
}

/// Round up to a page boundary (saturating at the top of `u64`'s pages).
pub fn page_up(a: u64) -> u64 {
    a.saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1)
}

fn check_segment(
    path: &Path,
    index: usize,
    ph: &ProgramHeader,
    file_len: u64,
) -> Result<Segment, LoadError> {
    let p = || path.to_path_buf();
    let bad = |why: String| LoadError::BadSegment {
        path: p(),
        index,
        why,
    };
    if ph
        .p_offset
        .checked_add(ph.p_filesz)
        .is_none_or(|e| e > file_len)
    {
        return Err(LoadError::SegmentOutOfFile {
            path: p(),
            index,
            offset: ph.p_offset,
            size: ph.p_filesz,
            file_len,
        });
    }
    if ph.p_filesz > ph.p_memsz {
        return Err(bad(format!(
            "has file size {:#x} larger than its memory size {:#x}",
            ph.p_filesz, ph.p_memsz
        )));
    }
    if ph
        .p_vaddr
        .checked_add(ph.p_memsz)
        .is_none_or(|e| e > GUEST_SPACE_BYTES)
    {
        return Err(bad(format!(
            "at {:#x} with size {:#x} does not fit the {GUEST_SPACE_BYTES:#x}-byte address space",
            ph.p_vaddr, ph.p_memsz
        )));
    }
    let align = ph.p_align;
    if align > 1 && !align.is_power_of_two() {
        return Err(LoadError::BadAlignment {
            path: p(),
            index,
            why: format!("p_align {align:#x} is not a power of two"),
        });
    }
    if align > GUEST_SPACE_BYTES / 4 {
        return Err(LoadError::BadAlignment {
            path: p(),
            index,
            why: format!("p_align {align:#x} is too large"),
        });
    }
    let congruence = align.max(PAGE_SIZE);
    if align > 1 && ph.p_vaddr % congruence != ph.p_offset % congruence {
        return Err(LoadError::BadAlignment {
            path: p(),
            index,
            why: format!(
                "address {:#x} and file offset {:#x} differ modulo {congruence:#x}",
                ph.p_vaddr, ph.p_offset
            ),
        });
    }
    Ok(Segment {
        index,
        vaddr: ph.p_vaddr,
        memsz: ph.p_memsz,
        filesz: ph.p_filesz,
        offset: ph.p_offset,
        perm: perm_of(ph.p_flags),
    })
}

#[cfg(test)]
mod tests;
