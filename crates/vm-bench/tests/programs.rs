//! The programs suite end to end, kept short: only Lua (`--programs lua`;
//! SQLite's amalgamation alone compiles for a minute per ISA), one round
//! under native, qemu-riscv64 and the JIT. The builds go to a cache under
//! cargo's target directory, so only the first run of this test pays for
//! compiling Lua twice; a second invocation must reuse them.
//!
//! Needs gcc, riscv64-linux-gnu-gcc, qemu-riscv64 and the Lua sources
//! (vm-cli's dev-dependency `lua-src`, fetched by cargo): a missing tool
//! fails the test when CI is set and skips it with a note otherwise; a
//! missing source always fails it (vm-bench runs `cargo fetch` first).

use std::path::Path;
mod common;

use common::{tools_present, vm_bench};

/// The ELF machine field (`e_machine`) of `path`.
fn elf_machine(path: &Path) -> u16 {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    assert!(
        bytes.starts_with(b"\x7fELF"),
        "{} is not ELF",
        path.display()
    );
    u16::from_le_bytes([bytes[18], bytes[19]])
}

const EM_X86_64: u16 = 62;
const EM_RISCV: u16 = 243;

#[test]
fn lua_runs_natively_under_qemu_and_the_jit_with_equal_output() {
    if !tools_present("vm-bench programs test") {
        return;
    }
    let build = Path::new(env!("CARGO_TARGET_TMPDIR")).join("vm-bench-programs");
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("results");
    let args = [
        "--suite",
        "programs",
        "--programs",
        "lua",
        "--runs",
        "1",
        "--engines",
        "jit",
    ];
    let o = vm_bench(&args, &out, &build);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "vm-bench failed: {}\n{stderr}",
        o.status
    );
    let report = std::fs::read_to_string(out.join("latest.md")).expect("latest.md");
    assert!(report.contains("## Programs"), "{report}");
    assert!(!report.contains("## Kernels"), "{report}");
    assert!(
        report.contains("\n| lua | bench.lua DIR | "),
        "no row for lua:\n{report}"
    );
    assert!(
        report.contains("| Programs | wall-clock time | "),
        "{report}"
    );
    assert!(
        report.contains("None: every run exited 0 and printed the reference output"),
        "{report}"
    );
    assert_eq!(
        elf_machine(&build.join("riscv64/programs/lua")),
        EM_RISCV,
        "guest build"
    );
    assert_eq!(
        elf_machine(&build.join("x86_64/programs/lua")),
        EM_X86_64,
        "native build"
    );
    let png = std::fs::read(out.join("latest.png")).expect("latest.png");
    assert!(png.starts_with(b"\x89PNG\r\n\x1a\n"));

    // The second invocation finds both builds fresh and compiles nothing.
    let o = vm_bench(&args, &tmp.path().join("results2"), &build);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(o.status.success(), "{stderr}");
    assert!(!stderr.contains("compiling"), "rebuilt:\n{stderr}");
}
