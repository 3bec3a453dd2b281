//! Building the kernels: every source compiled twice with the same flags,
//! once for riscv64 (the guest) and once for x86-64 (the native baseline).
//!
//! Binaries are rebuilt only when missing or older than their source or the
//! shared header, so repeated runs do not pay ~20 s of static linking.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::SystemTime;

use anyhow::{Context, Result, bail};

use crate::case::{Arg, Case, Group, Reference};
use crate::kernels::Kernel;

/// The flags both compilers get. `-static` because the VM and qemu then
/// need no sysroot, and the native baseline pays the same start-up.
pub const CFLAGS: &[&str] = &["-O2", "-static"];

/// A compilation target: which compiler builds into which subdirectory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The guest ISA, run by qemu-riscv64 and the vm engines.
    Riscv64,
    /// The host ISA, run directly as the native baseline.
    X86_64,
}

impl Target {
    /// The C compiler for this target.
    pub fn compiler(self) -> &'static str {
        match self {
            Target::Riscv64 => "riscv64-linux-gnu-gcc",
            Target::X86_64 => "gcc",
        }
    }

    /// The subdirectory of the build dir this target's binaries go to.
    pub fn dir_name(self) -> &'static str {
        match self {
            Target::Riscv64 => "riscv64",
            Target::X86_64 => "x86_64",
        }
    }
}

/// Where the kernel sources are and where binaries go.
#[derive(Debug, Clone)]
pub struct BuildDirs {
    /// `bench/kernels`.
    pub source_dir: PathBuf,
    /// Output root (`target/bench` by default).
    pub build_dir: PathBuf,
}

impl BuildDirs {
    /// The binary of `kernel` for `target`.
    pub fn binary(&self, kernel: &Kernel, target: Target) -> PathBuf {
        self.build_dir.join(target.dir_name()).join(kernel.name)
    }

    /// The case running `kernel` at its quick or default size.
    pub fn case(&self, kernel: &Kernel, quick: bool) -> Case {
        let size = kernel.size(quick);
        Case {
            name: kernel.name,
            group: Group::Kernels,
            character: kernel.character,
            params: size.to_string(),
            startup: kernel.startup,
            riscv64: self.binary(kernel, Target::Riscv64),
            x86_64: self.binary(kernel, Target::X86_64),
            args: vec![Arg::Plain(size.to_string().into())],
            reference: Reference::Native,
        }
    }

    /// Compiles every kernel in `kernels` for both targets when out of date,
    /// printing one progress line per compilation to stderr.
    pub fn build_all(&self, kernels: &[Kernel]) -> Result<()> {
        let header = self.source_dir.join("common.h");
        let header_time =
            mtime(&header).with_context(|| format!("reading {}", header.display()))?;
        for kernel in kernels {
            let source = self.source_dir.join(format!("{}.c", kernel.name));
            let source_time =
                mtime(&source).with_context(|| format!("reading {}", source.display()))?;
            let newest_input = source_time.max(header_time);
            for target in [Target::Riscv64, Target::X86_64] {
                let out = self.binary(kernel, target);
                if mtime(&out).is_ok_and(|t| t >= newest_input) {
                    continue;
                }
                eprintln!(
                    "vm-bench: compiling {} for {}",
                    kernel.name,
                    target.dir_name()
                );
                compile(target, &source, &self.source_dir, &out)?;
            }
        }
        Ok(())
    }
}

fn compile(target: Target, source: &Path, include_dir: &Path, out: &Path) -> Result<()> {
    if let Some(dir) = out.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    let output = Command::new(target.compiler())
        .args(CFLAGS)
        .arg("-I")
        .arg(include_dir)
        .arg("-o")
        .arg(out)
        .arg(source)
        .arg("-lm")
        .output()
        .with_context(|| format!("running {} (is it installed?)", target.compiler()))?;
    if !output.status.success() {
        bail!(
            "{} failed on {}:\n{}",
            target.compiler(),
            source.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(())
}

fn mtime(path: &Path) -> std::io::Result<SystemTime> {
    std::fs::metadata(path)?.modified()
}
