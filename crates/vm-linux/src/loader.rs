//! Mapping a validated program (and its interpreter) into guest memory and
//! building its initial stack: what Linux's `load_elf_binary` does.
//!
//! Placement follows Linux on riscv64 (Sv39): ET_EXEC at its link address,
//! a position-independent main program at [`ET_DYN_BASE`] (2/3 of the
//! address space), the interpreter wherever guest mmap puts it (top-down
//! below the stack), the 8 MiB stack at the very top, and the heap (brk)
//! right after the main program's highest segment.

use std::path::{Path, PathBuf};

use vm_core::CpuState;
use vm_mem::{Backing, GUEST_SPACE_BYTES, GuestMemory, MapFlags, PAGE_SIZE, Perm};

use crate::elf::{ElfImage, ElfKind, LoadError, page_down, page_up};
use crate::stack::{self, AuxInfo};

/// Where a position-independent main program is placed (Linux's
/// ELF_ET_DYN_BASE for riscv64 Sv39: 2/3 of the user address space).
pub const ET_DYN_BASE: u64 = 0x2a_aaaa_a000;

/// Size of the initial stack mapping.
pub const STACK_BYTES: u64 = 8 << 20;

/// One past the highest stack address.
pub const STACK_TOP: u64 = GUEST_SPACE_BYTES;

/// A program and its interpreter, read and validated, not yet mapped.
#[derive(Clone, Debug)]
pub struct Program {
    /// The main program.
    pub main: ElfImage,
    /// Its PT_INTERP, resolved and validated.
    pub interp: Option<ElfImage>,
    /// Absolute host path of the main program (for /proc/self/exe).
    pub exe_path: PathBuf,
}

/// Resolve a PT_INTERP path: under `sysroot` if given, else on the host.
pub fn resolve_interp(interp: &str, sysroot: Option<&Path>) -> Result<PathBuf, LoadError> {
    let candidate = match sysroot {
        Some(root) => root.join(interp.trim_start_matches('/')),
        None => PathBuf::from(interp),
    };
    if candidate.is_file() {
        Ok(candidate)
    } else {
        Err(LoadError::InterpNotFound {
            interp: interp.to_string(),
            sysroot: sysroot.map(Path::to_path_buf),
        })
    }
}

impl Program {
    /// Read and validate the program at `path` and its interpreter.
    pub fn open(path: &Path, sysroot: Option<&Path>) -> Result<Program, LoadError> {
        let main = ElfImage::read(path)?;
        let interp = match &main.interp {
            None => None,
            Some(name) => {
                let ipath = resolve_interp(name, sysroot)?;
                let img = ElfImage::read(&ipath)?;
                if img.kind != ElfKind::Dyn {
                    return Err(LoadError::BadInterp {
                        path: ipath,
                        why: "not a shared object (ET_DYN)".into(),
                    });
                }
                if img.interp.is_some() {
                    return Err(LoadError::BadInterp {
                        path: ipath,
                        why: "has an interpreter itself".into(),
                    });
                }
                Some(img)
            }
        };
        let exe_path = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        Ok(Program {
            main,
            interp,
            exe_path,
        })
    }
}

/// What the runtime needs to know after loading.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// First guest instruction (the interpreter's entry if there is one).
    pub start_pc: u64,
    /// Initial stack pointer.
    pub sp: u64,
    /// Load bias of the main program (0 for ET_EXEC).
    pub main_bias: u64,
    /// Load bias of the interpreter, if any.
    pub interp_bias: Option<u64>,
    /// Initial program break.
    pub brk: u64,
}

/// Guest argument vector, environment and AT_EXECFN.
#[derive(Clone, Debug, Default)]
pub struct Args {
    /// argv, `argv[0]` included.
    pub argv: Vec<Vec<u8>>,
    /// Environment, `NAME=value` each.
    pub envp: Vec<Vec<u8>>,
    /// The executed file name as given.
    pub execfn: Vec<u8>,
}

fn map_err(what: &Path, addr: u64, len: u64) -> impl FnOnce(vm_mem::Errno) -> LoadError {
    let what = what.display().to_string();
    move |e| LoadError::Map {
        what,
        addr,
        len,
        errno: e.0,
    }
}

/// Page intervals `(start, end, perm)` covering `img`'s segments at `bias`;
/// a page shared by two segments gets the union of their permissions.
pub fn page_plan(img: &ElfImage, bias: u64) -> Vec<(u64, u64, Perm)> {
    let mut out: Vec<(u64, u64, Perm)> = Vec::new();
    for s in &img.segments {
        let start = page_down(s.vaddr + bias);
        let end = page_up(s.vaddr + bias + s.memsz);
        if start == end {
            continue;
        }
        match out.last_mut() {
            Some(last) if start < last.1 => {
                // Only the boundary page can be shared: exact ranges never overlap.
                let shared_end = last.1.min(end);
                let union = last.2 | s.perm;
                let last_end = last.1;
                last.1 = start;
                let last_empty = last.0 == last.1;
                if last_empty {
                    out.pop();
                }
                out.push((start, shared_end, union));
                if end > last_end {
                    out.push((last_end, end, s.perm));
                }
            }
            _ => out.push((start, end, s.perm)),
        }
    }
    out
}

/// Map `img` at `bias` and copy its file bytes.
fn map_image(mem: &GuestMemory, img: &ElfImage, bias: u64) -> Result<(), LoadError> {
    let name = img.path.display().to_string();
    for (start, end, perm) in page_plan(img, bias) {
        let flags = MapFlags {
            fixed: true,
            ..MapFlags::default()
        };
        mem.map(start, end - start, perm, flags, Backing::Anonymous, &name)
            .map_err(map_err(&img.path, start, end - start))?;
    }
    for s in &img.segments {
        let bytes = &img.data[s.offset as usize..(s.offset + s.filesz) as usize];
        mem.write_bytes_force(s.vaddr + bias, bytes)
            .map_err(|f| LoadError::Map {
                what: name.clone(),
                addr: f.addr,
                len: s.filesz,
                errno: libc::EFAULT,
            })?;
    }
    Ok(())
}

/// Choose a bias for a relocatable image: at `preferred` if given, else at a
/// free, suitably aligned range chosen by guest mmap.
fn choose_bias(
    mem: &GuestMemory,
    img: &ElfImage,
    preferred: Option<u64>,
) -> Result<u64, LoadError> {
    let (low, high) = img.page_span();
    let align = img.align.max(PAGE_SIZE);
    if let Some(base) = preferred {
        let base = base.next_multiple_of(align);
        return Ok(base - low);
    }
    let len = high - low + align - PAGE_SIZE;
    let at = mem
        .map(
            0,
            len,
            Perm::NONE,
            MapFlags::default(),
            Backing::Anonymous,
            "",
        )
        .map_err(map_err(&img.path, 0, len))?;
    mem.unmap(at, len).map_err(map_err(&img.path, at, len))?;
    Ok(at.next_multiple_of(align) - low)
}

/// Host random bytes for AT_RANDOM (zeros only if the host has no entropy source).
fn random16() -> [u8; 16] {
    let mut r = [0u8; 16];
    // SAFETY: `r` is a valid, writable 16-byte buffer for the whole call.
    let n = unsafe { libc::getrandom(r.as_mut_ptr().cast(), r.len(), 0) };
    if n != 16 {
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        r = t.to_le_bytes();
    }
    r
}

/// Map the stack, the program and its interpreter; build the initial stack;
/// set the program break; point `cpu` at the first instruction as the
/// kernel does (`sp` set, every other register 0).
pub fn load(
    prog: &Program,
    args: &Args,
    mem: &GuestMemory,
    cpu: &mut CpuState,
) -> Result<Loaded, LoadError> {
    let stack_low = STACK_TOP - STACK_BYTES;
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(
        stack_low,
        STACK_BYTES,
        Perm::RW,
        flags,
        Backing::Anonymous,
        "[stack]",
    )
    .map_err(map_err(Path::new("[stack]"), stack_low, STACK_BYTES))?;

    let main = &prog.main;
    let main_bias = match main.kind {
        ElfKind::Exec => 0,
        ElfKind::Dyn => choose_bias(mem, main, Some(ET_DYN_BASE))?,
    };
    map_image(mem, main, main_bias)?;
    let brk = main.page_span().1 + main_bias;
    mem.init_brk(brk);

    let interp_bias = match &prog.interp {
        Some(img) => {
            let bias = choose_bias(mem, img, None)?;
            map_image(mem, img, bias)?;
            Some(bias)
        }
        None => None,
    };

    // SAFETY: these libc calls take no arguments and cannot fail.
    let ids = unsafe {
        [
            libc::getuid() as u64,
            libc::geteuid() as u64,
            libc::getgid() as u64,
            libc::getegid() as u64,
        ]
    };
    let aux = AuxInfo {
        phdr: main.phdr_vaddr.map_or(0, |a| a + main_bias),
        phnum: main.phnum,
        base: interp_bias.map_or(0, |b| {
            b + prog.interp.as_ref().map_or(0, |i| i.page_span().0)
        }),
        entry: main.entry + main_bias,
        ids,
        random: random16(),
    };
    let img = stack::build(
        STACK_TOP,
        STACK_BYTES / 4,
        &args.argv,
        &args.envp,
        &args.execfn,
        &aux,
    )?;
    mem.write_bytes_force(img.sp, &img.bytes)
        .map_err(|f| LoadError::Map {
            what: "[stack]".into(),
            addr: f.addr,
            len: img.bytes.len() as u64,
            errno: libc::EFAULT,
        })?;

    let start_pc = match (&prog.interp, interp_bias) {
        (Some(i), Some(b)) => i.entry + b,
        _ => aux.entry,
    };
    *cpu = CpuState::default();
    cpu.x[2] = img.sp;
    cpu.pc = start_pc;
    Ok(Loaded {
        start_pc,
        sp: img.sp,
        main_bias,
        interp_bias,
        brk,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::elf::Segment;
    use crate::testutil as t;
    use goblin::elf::header::{EM_RISCV, ET_DYN, ET_EXEC};
    use goblin::elf::program_header::{PF_R, PF_W};

    fn two_segment_program(e_type: u16) -> Program {
        let text = t::load(0, 0x10000, 0x100, 0x100);
        let data = t::Ph {
            flags: PF_R | PF_W,
            ..t::load(0x800, 0x11800, 0x10, 0x2000)
        };
        // The file holds 0xAB after the headers, also past the data
        // segment's file size: those bytes must read as zero (bss).
        let bytes = t::craft(e_type, EM_RISCV, &[text, data], 0x1000);
        Program {
            main: ElfImage::parse(Path::new("/t/p"), bytes).unwrap(),
            interp: None,
            exe_path: PathBuf::from("/t/p"),
        }
    }

    fn args() -> Args {
        Args {
            argv: vec![b"p".to_vec(), b"arg".to_vec()],
            envp: vec![b"X=1".to_vec()],
            execfn: b"p".to_vec(),
        }
    }

    #[test]
    fn loads_segments_bss_stack_and_brk() {
        let prog = two_segment_program(ET_EXEC);
        let mem = GuestMemory::new().unwrap();
        let mut cpu = CpuState::default();
        cpu.x[5] = 7;
        let l = load(&prog, &args(), &mem, &mut cpu).unwrap();
        assert_eq!(cpu.pc, 0x10078);
        assert_eq!(l.start_pc, 0x10078);
        assert_eq!(l.main_bias, 0);
        assert_eq!(cpu.x[5], 0, "registers other than sp start at 0");
        assert_eq!(mem.perm_at(0x10000), Perm::RX);
        assert_eq!(mem.perm_at(0x11000), Perm::RW);
        assert_eq!(mem.perm_at(0x13fff), Perm::RW);
        assert_eq!(mem.perm_at(0x14000), Perm::NONE);
        assert_eq!(mem.perm_at(0xf000), Perm::NONE);
        assert_eq!(mem.load(0x10000, 4), Ok(0x464c_457f), "ELF magic");
        assert_eq!(mem.load(0x11800, 8), Ok(0xabab_abab_abab_abab));
        assert_eq!(mem.load(0x11810, 8), Ok(0), "file tail is bss");
        assert_eq!(mem.load(0x137f8, 8), Ok(0));
        assert_eq!(l.brk, 0x14000);
        assert_eq!(mem.brk(0), 0x14000);
        assert_eq!(cpu.x[2], l.sp);
        assert_eq!(l.sp % 16, 0);
        assert_eq!(mem.load(l.sp, 8), Ok(2), "argc");
        let argv1 = mem.load(l.sp + 16, 8).unwrap();
        assert_eq!(mem.read_cstr(argv1, 16).unwrap(), b"arg");
        assert_eq!(mem.perm_at(STACK_TOP - 1), Perm::RW);
        assert_eq!(mem.perm_at(STACK_TOP - STACK_BYTES), Perm::RW);
        assert_eq!(mem.perm_at(STACK_TOP - STACK_BYTES - 1), Perm::NONE);
    }

    #[test]
    fn position_independent_program_is_relocated() {
        let prog = two_segment_program(ET_DYN);
        let mem = GuestMemory::new().unwrap();
        let mut cpu = CpuState::default();
        let l = load(&prog, &args(), &mem, &mut cpu).unwrap();
        // As Linux does, the lowest segment lands at the base.
        assert_eq!(l.main_bias, ET_DYN_BASE - 0x10000);
        assert_eq!(cpu.pc, ET_DYN_BASE + 0x78);
        assert_eq!(mem.perm_at(ET_DYN_BASE), Perm::RX);
        assert_eq!(mem.perm_at(0x10000), Perm::NONE);
        assert_eq!(mem.load(ET_DYN_BASE + 0x1800, 1), Ok(0xab));
        assert_eq!(mem.load(ET_DYN_BASE + 0x1810, 1), Ok(0));
        assert_eq!(l.brk, ET_DYN_BASE + 0x4000);
    }

    fn image(segs: &[(u64, u64, Perm)]) -> ElfImage {
        ElfImage {
            path: PathBuf::from("/t"),
            data: Vec::new(),
            kind: ElfKind::Exec,
            entry: 0,
            phoff: 0,
            phnum: 0,
            segments: segs
                .iter()
                .enumerate()
                .map(|(index, &(vaddr, memsz, perm))| Segment {
                    index,
                    vaddr,
                    memsz,
                    filesz: 0,
                    offset: 0,
                    perm,
                })
                .collect(),
            interp: None,
            phdr_vaddr: None,
            align: PAGE_SIZE,
        }
    }

    #[test]
    fn separate_segments_map_separately() {
        let img = image(&[(0x10000, 0x1800, Perm::RX), (0x12000, 0x100, Perm::RW)]);
        assert_eq!(
            page_plan(&img, 0x1000),
            vec![(0x11000, 0x13000, Perm::RX), (0x13000, 0x14000, Perm::RW)]
        );
    }

    #[test]
    fn shared_page_gets_union_permissions() {
        let img = image(&[(0x10000, 0x1800, Perm::RX), (0x11800, 0x2000, Perm::RW)]);
        assert_eq!(
            page_plan(&img, 0),
            vec![
                (0x10000, 0x11000, Perm::RX),
                (0x11000, 0x12000, Perm::RWX),
                (0x12000, 0x14000, Perm::RW)
            ]
        );
        // A one-page first segment is entirely shared.
        let img = image(&[(0x10000, 0x800, Perm::R), (0x10800, 0x100, Perm::RW)]);
        assert_eq!(page_plan(&img, 0), vec![(0x10000, 0x11000, Perm::RW)]);
    }

    #[test]
    fn missing_interpreter_names_sysroot() {
        let e =
            resolve_interp("/lib/ld-none.so.1", Some(Path::new("/nonexistent-root"))).unwrap_err();
        let msg = e.to_string();
        assert!(msg.contains("/lib/ld-none.so.1"), "{msg}");
        assert!(msg.contains("/nonexistent-root"), "{msg}");
        assert!(resolve_interp("/nonexistent/ld.so", None).is_err());
    }

    #[test]
    fn interpreter_found_under_sysroot() {
        let dir = std::env::temp_dir().join(format!("vm-linux-sysroot-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("lib")).unwrap();
        std::fs::write(dir.join("lib/ld.so"), b"x").unwrap();
        let r = resolve_interp("/lib/ld.so", Some(&dir));
        std::fs::remove_dir_all(&dir).unwrap();
        assert_eq!(r.unwrap(), dir.join("lib/ld.so"));
    }
}
