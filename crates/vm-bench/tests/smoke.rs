//! Smoke test of the whole harness: build the kernels, run the quick suite
//! once under native, qemu-riscv64 and the interpreter, and check that every
//! checksum matched and the reports were written (into a temp dir, never
//! into bench/results). A second run with a `vm` that prints a wrong
//! checksum must be reported as an error.
//!
//! Needs gcc, riscv64-linux-gnu-gcc and qemu-riscv64: without them the test
//! fails when CI is set and is skipped with a note otherwise.

use std::process::Command;
mod common;

use common::{tools_present, vm_bench};

#[test]
fn quick_suite_matches_native_and_writes_reports() {
    if !tools_present("vm-bench smoke test") {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let (out, build) = (tmp.path().join("results"), tmp.path().join("build"));
    let o = vm_bench(
        &["--quick", "--runs", "1", "--engines", "interp"],
        &out,
        &build,
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(
        o.status.success(),
        "vm-bench failed: {}\n{stderr}",
        o.status
    );

    let latest = std::fs::read_to_string(out.join("latest.md")).expect("latest.md");
    assert!(
        latest.contains("None: every run exited 0 and printed the reference output"),
        "{latest}"
    );
    for kernel in [
        "hello",
        "intloop",
        "fib",
        "ptrchase",
        "bytecode",
        "memstr",
        "hashtable",
        "sort",
        "matmul",
        "nbody",
        "crc32",
    ] {
        assert!(
            latest.contains(&format!("\n| {kernel} | ")),
            "no row for {kernel}:\n{latest}"
        );
        assert!(
            build.join("riscv64").join(kernel).is_file(),
            "{kernel} not built for riscv64"
        );
        assert!(
            build.join("x86_64").join(kernel).is_file(),
            "{kernel} not built for x86_64"
        );
    }
    assert!(latest.contains("| **geomean** |"), "{latest}");
    // --quick without --suite leaves the programs out (they have no quick size).
    assert!(
        latest.contains("## Kernels") && !latest.contains("## Programs"),
        "{latest}"
    );
    assert!(
        latest.contains("## Machine") && latest.contains("| CPU |"),
        "{latest}"
    );

    let png = std::fs::read(out.join("latest.png")).expect("latest.png");
    assert!(
        png.starts_with(b"\x89PNG\r\n\x1a\n"),
        "latest.png is not a PNG"
    );
    let dated: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "latest.md" && n.ends_with(".md"))
        .collect();
    assert_eq!(dated.len(), 1, "expected one dated report, found {dated:?}");
    assert!(out.join(dated[0].replace(".md", ".png")).is_file());

    // A "vm" that runs the program correctly under qemu but adds a line to
    // its output: every one of its runs must be reported as a mismatch.
    let fake = tmp.path().join("fake-vm");
    std::fs::write(
        &fake,
        "#!/bin/sh\n# run --engine E PROG ARGS\nshift 3\nqemu-riscv64 \"$@\" && echo extra\n",
    )
    .unwrap();
    let chmod = Command::new("chmod").arg("+x").arg(&fake).status().unwrap();
    assert!(chmod.success());
    let out2 = tmp.path().join("results2");
    let o = vm_bench(
        &[
            "--quick",
            "--runs",
            "1",
            "--kernels",
            "fib,hello",
            "--vm",
            fake.to_str().unwrap(),
        ],
        &out2,
        &build,
    );
    assert_eq!(
        o.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let report = std::fs::read_to_string(out2.join("latest.md")).expect("latest.md");
    assert!(
        report.contains("- ERROR fib / vm interp / run 1: output mismatch"),
        "{report}"
    );
    assert!(
        report.contains("- ERROR hello / vm interp / run 1: output mismatch"),
        "{report}"
    );
}
