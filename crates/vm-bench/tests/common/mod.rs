//! What the harness's integration tests share: the external-tool check
//! (fail under CI, skip with a note otherwise) and running `vm-bench`.

use std::path::Path;
use std::process::{Command, Output};

/// The tools every harness run needs.
const TOOLS: &[&str] = &["gcc", "riscv64-linux-gnu-gcc", "qemu-riscv64"];

/// Whether the external tools are present; panics under CI if not, else
/// notes that `test` is skipped.
pub fn tools_present(test: &str) -> bool {
    let missing: Vec<&str> = TOOLS
        .iter()
        .copied()
        .filter(|t| {
            !Command::new(t)
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        })
        .collect();
    if missing.is_empty() {
        return true;
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but these tools are missing: {}",
        missing.join(", ")
    );
    eprintln!("note: skipping the {test}, missing: {}", missing.join(", "));
    false
}

/// Run `vm-bench` with `args`, reports into `out`, builds into `build`.
pub fn vm_bench(args: &[&str], out: &Path, build: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vm-bench"))
        .args(args)
        .arg("--out-dir")
        .arg(out)
        .arg("--build-dir")
        .arg(build)
        .output()
        .expect("running vm-bench")
}
