//! The comparison against qemu: a program (with the Linux ending) is
//! written as a static ELF and run under `qemu-riscv64`; its output — the
//! data region the epilogue stores, registers included — must equal what
//! the in-process reference engine leaves in the data region (same program,
//! `ebreak` ending, so the same state is stored). When a `vm` binary is
//! available, its output must equal qemu's too (loader, runtime and
//! system calls on top of the engine).

use crate::asm::{assemble, words_to_bytes};
use crate::elf;
use crate::r#gen::{Ending, Program};
use crate::layout::{CODE_BASE, DATA_BYTES};
use crate::runner::{Case, Runner};
use std::path::{Path, PathBuf};
use std::process::Command;
use vm_core::Exit;

/// The qemu binary.
pub const QEMU: &str = "qemu-riscv64";

/// Whether `qemu-riscv64` can be run.
pub fn qemu_available() -> bool {
    Command::new(QEMU).arg("--version").output().is_ok()
}

/// The `vm` binary to compare too: `$VM_BIN`, else the workspace's
/// `target/release/vm` if it exists.
pub fn vm_binary() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("VM_BIN") {
        return Some(PathBuf::from(p));
    }
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target/release/vm");
    p.is_file().then_some(p)
}

/// What a guest process printed and how it ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ProcessResult {
    /// Standard output bytes.
    pub stdout: Vec<u8>,
    /// Exit code, or None if killed by a signal.
    pub code: Option<i32>,
}

fn run_process(cmd: &mut Command) -> Result<ProcessResult, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    Ok(ProcessResult {
        stdout: out.stdout,
        code: out.status.code(),
    })
}

/// One qemu comparison's findings (empty `mismatches` means agreement).
#[derive(Clone, Debug, Default)]
pub struct QemuReport {
    /// Human-readable disagreements.
    pub mismatches: Vec<String>,
    /// Path of the ELF file (kept when something disagreed).
    pub elf: Option<PathBuf>,
}

/// Compare `prog` under qemu, the in-process reference and (if given) the
/// `vm` binary. ELF files go to `work_dir`; they are removed on agreement.
pub fn compare(
    runner: &mut Runner,
    prog: &Program,
    work_dir: &Path,
    vm: Option<&Path>,
) -> Result<QemuReport, String> {
    let words = assemble(&prog.items(Ending::Linux), CODE_BASE).map_err(|e| e.to_string())?;
    let image = elf::build(&words_to_bytes(&words), &prog.data);
    std::fs::create_dir_all(work_dir).map_err(|e| e.to_string())?;
    let path = work_dir.join(format!("difftest-{}.elf", prog.seed));
    std::fs::write(&path, &image).map_err(|e| e.to_string())?;
    let mut perm = std::fs::metadata(&path)
        .map_err(|e| e.to_string())?
        .permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut perm, 0o755);
    std::fs::set_permissions(&path, perm).map_err(|e| e.to_string())?;

    let qemu = run_process(Command::new(QEMU).arg(&path))?;
    let case = Case::from_program(prog).map_err(|e| e.to_string())?;
    let local = runner.run_on(0, &case)?;
    let mut report = QemuReport::default();
    let finished = local.exit == Exit::Breakpoint;
    if finished {
        if qemu.code != Some(0) || qemu.stdout.len() != DATA_BYTES as usize {
            report.mismatches.push(format!(
                "qemu ended with {:?} after {} bytes; in process: breakpoint",
                qemu.code,
                qemu.stdout.len()
            ));
        } else {
            for (i, (q, l)) in qemu.stdout.chunks(8).zip(local.data.chunks(8)).enumerate() {
                if q != l {
                    report.mismatches.push(format!(
                        "data+{:#x} ({}): qemu {:02x?} in process {:02x?}",
                        i * 8,
                        crate::layout::describe_offset(i as u64 * 8),
                        q,
                        l
                    ));
                }
            }
        }
    } else if qemu.code == Some(0) {
        report.mismatches.push(format!(
            "in process: {:?} at {:#x}; qemu exited normally",
            local.exit, local.cpu.pc
        ));
    }
    if let Some(vm) = vm {
        let v = run_process(Command::new(vm).arg("run").arg(&path))?;
        if v != qemu {
            report.mismatches.push(format!(
                "vm run: exit {:?}, {} bytes; qemu: exit {:?}, {} bytes{}",
                v.code,
                v.stdout.len(),
                qemu.code,
                qemu.stdout.len(),
                if v.stdout != qemu.stdout {
                    " (output differs)"
                } else {
                    ""
                }
            ));
        }
    }
    if report.mismatches.is_empty() {
        let _ = std::fs::remove_file(&path);
    } else {
        report.elf = Some(path);
    }
    Ok(report)
}
