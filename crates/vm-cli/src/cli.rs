//! Command-line syntax (clap derive). Options after PROGRAM belong to the
//! guest, as with qemu.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Run RISC-V (RV64GC) Linux programs.
#[derive(Parser, Debug)]
#[command(name = "vm", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a RISC-V Linux program.
    Run(RunArgs),
}

/// Execution engines `--engine` accepts.
#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum EngineKind {
    /// The IR interpreter.
    Interp,
    /// The Cranelift JIT, compiling every block before it first runs.
    Jit,
    /// The interpreter, compiling blocks once they are hot.
    Tiered,
}

impl EngineKind {
    /// The name `--engine` accepts for this engine.
    pub fn name(self) -> &'static str {
        match self {
            EngineKind::Interp => "interp",
            EngineKind::Jit => "jit",
            EngineKind::Tiered => "tiered",
        }
    }
}

/// The engine options: which engine, and its tuning.
#[derive(Args, Clone, Copy, Debug, PartialEq, Eq)]
pub struct EngineChoice {
    /// Execution engine.
    #[arg(long = "engine", value_enum, default_value = "tiered")]
    pub kind: EngineKind,

    /// With `--engine tiered`: interpreted executions of a block after
    /// which it is compiled.
    #[arg(long, value_name = "N", default_value_t = vm_engine_jit::DEFAULT_THRESHOLD)]
    pub jit_threshold: u64,
}

impl EngineChoice {
    /// The name `--engine` accepts for the chosen engine.
    pub fn name(self) -> &'static str {
        self.kind.name()
    }
}

/// `vm run` options.
#[derive(Args, Debug)]
pub struct RunArgs {
    /// Look up the program interpreter and absolute guest paths under DIR
    /// first (e.g. /usr/riscv64-linux-gnu).
    #[arg(short = 'L', long = "sysroot", value_name = "DIR")]
    pub sysroot: Option<PathBuf>,

    /// Set VAR to VALUE in the guest environment (repeatable).
    #[arg(short = 'E', value_name = "VAR=VALUE")]
    pub set_env: Vec<String>,

    /// Remove VAR from the guest environment (repeatable).
    #[arg(short = 'U', value_name = "VAR")]
    pub unset_env: Vec<String>,

    /// Print each system call to stderr.
    #[arg(long)]
    pub strace: bool,

    /// Print each executed block with its disassembly to stderr.
    #[arg(long)]
    pub trace: bool,

    /// Print execution statistics to stderr at exit.
    #[arg(long)]
    pub stats: bool,

    /// Pass ARG0 to the guest as its argument 0 instead of PROGRAM (used when a
    /// guest execs another program).
    #[arg(long, value_name = "ARG0")]
    pub argv0: Option<OsString>,

    /// Execution engine and its tuning.
    #[command(flatten)]
    pub engine: EngineChoice,

    /// The RISC-V ELF program, then its arguments (everything after the
    /// program belongs to the guest, options included).
    #[arg(
        value_name = "PROGRAM [ARGS]",
        required = true,
        num_args = 1..,
        trailing_var_arg = true
    )]
    pub command: Vec<OsString>,
}

impl RunArgs {
    /// The program path.
    pub fn program(&self) -> PathBuf {
        PathBuf::from(self.command.first().cloned().unwrap_or_default())
    }

    /// The guest arguments after the program.
    pub fn guest_args(&self) -> &[OsString] {
        self.command.get(1..).unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(v: &[&str]) -> Result<RunArgs, clap::Error> {
        let cli = Cli::try_parse_from(std::iter::once("vm").chain(v.iter().copied()))?;
        let Command::Run(r) = cli.command;
        Ok(r)
    }

    #[test]
    fn options_after_program_belong_to_guest() {
        let r = parse(&["run", "--strace", "-E", "A=1", "prog", "--strace", "-x"]).unwrap();
        assert!(r.strace);
        assert_eq!(r.set_env, vec!["A=1"]);
        assert_eq!(r.program(), PathBuf::from("prog"));
        assert_eq!(
            r.guest_args(),
            [OsString::from("--strace"), OsString::from("-x")]
        );
    }

    #[test]
    fn sysroot_and_repeatable_env() {
        let r = parse(&["run", "-L", "/sr", "-E", "A=1", "-E", "B=2", "-U", "C", "p"]).unwrap();
        assert_eq!(r.sysroot, Some(PathBuf::from("/sr")));
        assert_eq!(r.set_env, vec!["A=1", "B=2"]);
        assert_eq!(r.unset_env, vec!["C"]);
        assert_eq!(r.engine.kind, EngineKind::Tiered);
    }

    #[test]
    fn engine_and_threshold() {
        let r = parse(&["run", "--engine", "jit", "p"]).unwrap();
        assert_eq!(r.engine.kind, EngineKind::Jit);
        assert_eq!(r.engine.jit_threshold, vm_engine_jit::DEFAULT_THRESHOLD);
        let r = parse(&["run", "--engine=interp", "--jit-threshold", "7", "p"]).unwrap();
        assert_eq!(r.engine.kind, EngineKind::Interp);
        assert_eq!(r.engine.name(), "interp");
        assert_eq!(r.engine.jit_threshold, 7);
        assert!(parse(&["run", "--jit-threshold", "-1", "p"]).is_err());
    }

    #[test]
    fn bad_engine_and_missing_program_are_errors() {
        assert!(parse(&["run", "--engine", "turbo", "p"]).is_err());
        assert!(parse(&["run"]).is_err());
    }
}
