//! Command-line syntax (clap derive). Options after PROGRAM belong to the
//! guest, as with qemu.

use std::ffi::OsString;
use std::path::PathBuf;
use std::time::Duration;

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

    /// Entries of a compiled block after which it is compiled again, with
    /// the blocks around it, as an optimized region (0: never).
    #[arg(long, value_name = "N", default_value_t = vm_engine_jit::DEFAULT_REGION_THRESHOLD)]
    pub jit_region_threshold: u64,

    /// With `--engine tiered`: compile hot blocks before they run again,
    /// on the thread that runs them, instead of on the background compile
    /// thread (for debugging; results are the same).
    #[arg(long)]
    pub jit_sync: bool,

    /// With `--engine jit`: compile baseline blocks with Cranelift instead
    /// of the direct x86-64 emitter (for comparisons; results are the
    /// same).
    #[arg(long)]
    pub jit_cranelift_baseline: bool,
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

    /// Stop the guest after N guest instructions (exit status 125).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_insns: Option<u64>,

    /// Stop the guest after SECS seconds of wall-clock time (fractions
    /// allowed; exit status 124).
    #[arg(long, value_name = "SECS", value_parser = parse_seconds)]
    pub timeout: Option<Duration>,

    /// Cap the guest's mapped memory at BYTES (suffixes K, M, G: powers of
    /// 1024); requests beyond it fail with ENOMEM.
    #[arg(long, value_name = "BYTES", value_parser = parse_bytes)]
    pub max_memory: Option<u64>,

    /// Do not back large anonymous guest mappings (2 MiB and more) with
    /// host transparent huge pages; they are by default, where the host
    /// allows it (fewer TLB misses, more host memory for sparse use).
    #[arg(long)]
    pub no_huge_pages: bool,

    /// Confine the guest's file system view to DIR, which it sees as `/`.
    #[arg(long, value_name = "DIR")]
    pub fs_root: Option<PathBuf>,

    /// Deny the guest network sockets (every address family but AF_UNIX).
    #[arg(long)]
    pub no_network: bool,

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

/// Seconds, e.g. `2` or `0.5`: finite and positive.
fn parse_seconds(s: &str) -> Result<Duration, String> {
    let v: f64 = s
        .parse()
        .map_err(|_| format!("`{s}` is not a number of seconds"))?;
    if !v.is_finite() || v <= 0.0 || v > 1e9 {
        return Err(format!("`{s}`: expected seconds > 0"));
    }
    Ok(Duration::from_secs_f64(v))
}

/// Bytes with an optional K, M or G suffix (powers of 1024), e.g. `64M`.
fn parse_bytes(s: &str) -> Result<u64, String> {
    let (digits, unit) = match s.as_bytes().last() {
        Some(b'k' | b'K') => (&s[..s.len() - 1], 1u64 << 10),
        Some(b'm' | b'M') => (&s[..s.len() - 1], 1 << 20),
        Some(b'g' | b'G') => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("`{s}` is not a size (e.g. 65536, 64K, 16M, 2G)"))?;
    match n.checked_mul(unit) {
        Some(0) => Err("the memory limit must be above 0".into()),
        Some(b) => Ok(b),
        None => Err(format!("`{s}` is too large")),
    }
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
    fn sandbox_options() {
        let r = parse(&[
            "run",
            "--max-insns",
            "1000",
            "--timeout",
            "0.5",
            "--max-memory",
            "64M",
            "--fs-root",
            "/srv",
            "--no-network",
            "p",
        ])
        .unwrap();
        assert_eq!(r.max_insns, Some(1000));
        assert_eq!(r.timeout, Some(Duration::from_millis(500)));
        assert_eq!(r.max_memory, Some(64 << 20));
        assert_eq!(r.fs_root, Some(PathBuf::from("/srv")));
        assert!(r.no_network);
        let r = parse(&["run", "p"]).unwrap();
        assert_eq!((r.max_insns, r.timeout, r.max_memory), (None, None, None));
        assert!(r.fs_root.is_none() && !r.no_network);
    }

    #[test]
    fn sizes_and_seconds() {
        assert_eq!(parse_bytes("4096"), Ok(4096));
        assert_eq!(parse_bytes("3k"), Ok(3 << 10));
        assert_eq!(parse_bytes("2G"), Ok(2 << 30));
        assert!(parse_bytes("0").is_err());
        assert!(parse_bytes("12X").is_err());
        assert!(parse_bytes("").is_err());
        assert!(parse_bytes("99999999999999999999G").is_err());
        assert!(parse_bytes("17179869184G").is_err());
        assert_eq!(parse_seconds("2"), Ok(Duration::from_secs(2)));
        assert!(parse_seconds("0").is_err());
        assert!(parse_seconds("-1").is_err());
        assert!(parse_seconds("nan").is_err());
        assert!(parse_seconds("inf").is_err());
        assert!(parse_seconds("abc").is_err());
        assert!(parse(&["run", "--max-insns", "0", "p"]).is_err());
    }

    #[test]
    fn bad_engine_and_missing_program_are_errors() {
        assert!(parse(&["run", "--engine", "turbo", "p"]).is_err());
        assert!(parse(&["run"]).is_err());
    }
}
