//! The ways a case is run: natively, under qemu-riscv64, or under `vm`
//! with one of its engines.

use std::ffi::OsStr;
use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;

/// One way of running a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Runner {
    /// The x86-64 build, run directly: the baseline.
    Native,
    /// The riscv64 build under `qemu-riscv64`: the reference emulator.
    Qemu,
    /// The riscv64 build under `vm run --engine <engine>`.
    Vm {
        /// The engine name passed to `--engine`.
        engine: String,
    },
}

/// The emulator the VM is compared with.
pub const QEMU: &str = "qemu-riscv64";

impl Runner {
    /// The runners of one benchmark round: native, qemu, then each engine.
    pub fn all(engines: &[String]) -> Vec<Runner> {
        let mut v = vec![Runner::Native, Runner::Qemu];
        v.extend(engines.iter().map(|e| Runner::Vm { engine: e.clone() }));
        v
    }

    /// The command running `binary` (the build for this runner's ISA) with `args`.
    pub fn command<A: AsRef<OsStr>>(&self, vm: &Path, binary: &Path, args: &[A]) -> Command {
        let mut c = match self {
            Runner::Native => Command::new(binary),
            Runner::Qemu => {
                let mut c = Command::new(QEMU);
                c.arg(binary);
                c
            }
            Runner::Vm { engine } => {
                let mut c = Command::new(vm);
                c.arg("run").arg("--engine").arg(engine).arg(binary);
                c
            }
        };
        c.args(args);
        c
    }

    /// Whether this runner executes the riscv64 build.
    pub fn is_guest(&self) -> bool {
        !matches!(self, Runner::Native)
    }
}

impl fmt::Display for Runner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Runner::Native => f.write_str("native"),
            Runner::Qemu => f.write_str("qemu"),
            Runner::Vm { engine } => write!(f, "vm {engine}"),
        }
    }
}

/// Parses the comma-separated `--engines` list (names are passed to `vm`
/// unchecked, so that new engines need no harness change).
pub fn parse_engines(list: &str) -> Result<Vec<String>, String> {
    let engines: Vec<String> = list
        .split(',')
        .map(str::trim)
        .filter(|e| !e.is_empty())
        .map(String::from)
        .collect();
    if engines.is_empty() {
        return Err("--engines: no engine named".into());
    }
    if let Some(bad) = engines.iter().find(|e| {
        !e.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    }) {
        return Err(format!("--engines: bad engine name {bad:?}"));
    }
    for (i, e) in engines.iter().enumerate() {
        if engines[..i].contains(e) {
            return Err(format!("--engines: {e} named twice"));
        }
    }
    Ok(engines)
}

/// The `vm` binary built by `cargo build --release -p vm-cli` under `target_dir`.
pub fn default_vm_path(target_dir: &Path) -> PathBuf {
    target_dir.join("release").join("vm")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounds_run_native_then_qemu_then_engines() {
        let r = Runner::all(&["interp".into(), "jit".into()]);
        let names: Vec<String> = r.iter().map(Runner::to_string).collect();
        assert_eq!(names, ["native", "qemu", "vm interp", "vm jit"]);
        assert!(!r[0].is_guest() && r[1].is_guest() && r[3].is_guest());
    }

    #[test]
    fn vm_command_names_the_engine_before_the_program() {
        let c = Runner::Vm {
            engine: "jit".into(),
        }
        .command(Path::new("/x/vm"), Path::new("/b/fib"), &["30"]);
        assert_eq!(c.get_program(), "/x/vm");
        let args: Vec<_> = c.get_args().collect();
        assert_eq!(args, ["run", "--engine", "jit", "/b/fib", "30"]);
    }

    #[test]
    fn engine_lists_are_checked() {
        assert_eq!(parse_engines("interp, jit").unwrap(), ["interp", "jit"]);
        assert!(parse_engines("").is_err());
        assert!(parse_engines("interp,interp").is_err());
        assert!(parse_engines("in terp").is_err());
    }
}
