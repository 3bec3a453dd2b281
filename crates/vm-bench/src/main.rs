//! `vm-bench`: runs two suites — the small kernels in `bench/kernels` and
//! real programs (Lua, zstd, SQLite from `tests/real/`) — natively, under
//! qemu-riscv64 and under `vm run --engine E`, checks that every run prints
//! the reference output, and writes a markdown report with a PNG chart.
//!
//! ```sh
//! cargo run --release -p vm-bench -- --runs 5 --engines interp,jit --suite all
//! ```
//!
//! Everything is compiled at run time (same source, same flags) with
//! `riscv64-linux-gnu-gcc` and `gcc` into `target/bench/`; `vm` is built
//! with `cargo build --release -p vm-cli` unless `--vm` names a binary.

mod app;
mod case;
mod chart;
mod compile;
mod date;
mod kernels;
mod machine;
mod measure;
mod programs;
mod report;
mod runner;
mod stats;
mod suite;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;

/// Command-line options.
#[derive(Debug, Parser)]
#[command(
    name = "vm-bench",
    about = "Benchmark vm engines against native and qemu-riscv64"
)]
pub struct Options {
    /// Rounds per case (each round runs every runner once).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=100))]
    pub runs: u32,
    /// Comma-separated vm engines (`vm run --engine NAME`).
    #[arg(long, default_value = "interp")]
    pub engines: String,
    /// Comma-separated kernel names (substrings) to run; all by default.
    #[arg(long)]
    pub kernels: Option<String>,
    /// Comma-separated program names (substrings) to run; all by default.
    #[arg(long)]
    pub programs: Option<String>,
    /// Which suites to run [default: all; kernels with --quick].
    #[arg(long, value_enum)]
    pub suite: Option<case::Selection>,
    /// Small kernel sizes: a smoke test of the harness, not a benchmark.
    /// Programs (which have no size) are left out unless --suite names them.
    #[arg(long)]
    pub quick: bool,
    /// The time medians and ratios are computed from.
    #[arg(long, value_enum, default_value_t = suite::Metric::Wall)]
    pub metric: suite::Metric,
    /// Where reports go (default: bench/results).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
    /// Where binaries and run scratch directories go (default: target/bench).
    #[arg(long)]
    pub build_dir: Option<PathBuf>,
    /// The vm binary to use instead of building vm-cli in release mode.
    #[arg(long)]
    pub vm: Option<PathBuf>,
    /// A single run longer than this many seconds is killed (an error).
    #[arg(long, default_value_t = 600)]
    pub timeout_s: u64,
}

fn main() -> ExitCode {
    let options = Options::parse();
    match app::run(&options) {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => {
            eprintln!("vm-bench: some runs failed or printed wrong output (see the report)");
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("vm-bench: error: {e:#}");
            ExitCode::from(2)
        }
    }
}
