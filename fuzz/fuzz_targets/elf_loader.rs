//! The ELF loader on arbitrary bytes: validation returns a typed error or
//! an image, never panics; a valid image without an interpreter is then
//! mapped into a fresh guest address space, which again either fails with
//! an error or succeeds with `cpu.pc` at the reported start.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::{Path, PathBuf};
use vm_core::CpuState;
use vm_linux::{Args, ElfImage, Program, load};
use vm_mem::GuestMemory;

fuzz_target!(|data: &[u8]| {
    let Ok(img) = ElfImage::parse(Path::new("/fuzz/input"), data.to_vec()) else {
        return;
    };
    if img.interp.is_some() {
        return;
    }
    let prog = Program {
        main: img,
        interp: None,
        exe_path: PathBuf::from("/fuzz/input"),
    };
    let Ok(mem) = GuestMemory::new() else {
        return;
    };
    let args = Args {
        argv: vec![b"prog".to_vec()],
        envp: vec![],
        execfn: b"prog".to_vec(),
    };
    let mut cpu = CpuState::default();
    if let Ok(loaded) = load(&prog, &args, &mem, &mut cpu) {
        assert_eq!(cpu.pc, loaded.start_pc);
    }
});
