//! Compiles the vendored Berkeley SoftFloat 3e subset (RISC-V
//! specialization, `softfloat/`) with the `cc` crate.
//!
//! Why here and not a `-sys` crate: the crates.io bindings pulled in a build
//! dependency that runs cmake; compiling the few C files directly needs only
//! a C compiler. Options follow SoftFloat's own
//! `build/Linux-x86_64-GCC/Makefile` (see `softfloat/README.md`).

use std::path::{Path, PathBuf};

/// Every `.c` file directly inside `dir`, sorted for a reproducible archive.
fn c_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("reading {}: {e}", dir.display()))
        .filter_map(|entry| entry.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|ext| ext == "c"))
        .collect();
    files.sort();
    files
}

fn main() {
    let root = Path::new("softfloat");
    println!("cargo::rerun-if-changed=softfloat");
    // platform.h declares LITTLEENDIAN unconditionally.
    let endian = std::env::var("CARGO_CFG_TARGET_ENDIAN").unwrap_or_default();
    assert_eq!(
        endian, "little",
        "the vendored SoftFloat platform.h assumes a little-endian target"
    );
    let source = root.join("source");
    let special = source.join("RISCV");
    let mut build = cc::Build::new();
    build
        .include(root.join("build/Linux-x86_64-GCC"))
        .include(&special)
        .include(source.join("include"))
        .define("SOFTFLOAT_FAST_INT64", None)
        .define("SOFTFLOAT_ROUND_ODD", None)
        .define("INLINE_LEVEL", Some("5"))
        .define("SOFTFLOAT_FAST_DIV32TO16", None)
        .define("SOFTFLOAT_FAST_DIV64TO32", None)
        // Per-thread rounding mode and flags: each guest thread is a host thread.
        .define("THREAD_LOCAL", Some("_Thread_local"))
        // As the upstream Makefile; also, at -O0 SoftFloat's `inline`
        // primitives would be left undefined.
        .opt_level(2)
        .flag_if_supported("-Werror-implicit-function-declaration")
        .warnings(false)
        .files(c_files(&source))
        .files(c_files(&special))
        .file(root.join("glue/glue.c"))
        .compile("vm_softfloat");
}
