//! Running the suite: every kernel, `runs` rounds, each round running the
//! kernel once under every runner in turn (native, qemu, each engine), so
//! that slow drifts in machine load hit all runners alike.
//!
//! Every run's stdout must equal the first native run's, byte for byte; a
//! run that differs, fails or times out is recorded as an error and left out
//! of the medians.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Result;

use crate::compile::{BuildDirs, Target};
use crate::kernels::Kernel;
use crate::measure::{self, Measurement, Status};
use crate::runner::Runner;
use crate::stats;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The kernels, in report order.
    pub kernels: Vec<Kernel>,
    /// The runners of each round, native first.
    pub runners: Vec<Runner>,
    /// Rounds per kernel.
    pub runs: u32,
    /// Quick (smoke-test) sizes instead of the default ones.
    pub quick: bool,
    /// The `vm` binary.
    pub vm: PathBuf,
    /// Kernel sources and binaries.
    pub dirs: BuildDirs,
    /// A run longer than this is killed and counted as an error.
    pub timeout: Duration,
}

/// Which time a median and a ratio is computed from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Metric {
    /// Wall-clock time.
    Wall,
    /// User plus system CPU time of the process.
    Cpu,
}

impl Metric {
    /// Name for the report.
    pub fn describe(self) -> &'static str {
        match self {
            Metric::Wall => "wall-clock time",
            Metric::Cpu => "user+system CPU time",
        }
    }
}

/// The time of one successful run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Sample {
    /// Wall time in seconds.
    pub wall_s: f64,
    /// CPU time in seconds.
    pub cpu_s: f64,
}

impl Sample {
    fn get(self, metric: Metric) -> f64 {
        match metric {
            Metric::Wall => self.wall_s,
            Metric::Cpu => self.cpu_s,
        }
    }
}

/// A run that did not count: wrong output, a failure, or a timeout.
#[derive(Debug, Clone, PartialEq)]
pub struct RunError {
    /// Kernel name.
    pub kernel: &'static str,
    /// Runner name.
    pub runner: String,
    /// Round, from 1.
    pub run: u32,
    /// What went wrong.
    pub message: String,
}

/// The results for one kernel.
#[derive(Debug, Clone)]
pub struct KernelResult {
    /// The kernel.
    pub kernel: Kernel,
    /// The size it ran at.
    pub size: u64,
    /// The checksum line(s) every runner had to print (native's output).
    pub expected_output: Option<String>,
    /// Successful runs, indexed like `Results::runners`.
    pub samples: Vec<Vec<Sample>>,
}

/// Everything one invocation measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// The runners, native first, then qemu, then the engines.
    pub runners: Vec<Runner>,
    /// Rounds per kernel.
    pub runs: u32,
    /// Whether quick sizes were used.
    pub quick: bool,
    /// Per-kernel results, in report order.
    pub kernels: Vec<KernelResult>,
    /// Every run that failed or printed the wrong checksum.
    pub errors: Vec<RunError>,
}

impl Results {
    /// Median time of `runner` (index into `runners`) on kernel `k`.
    pub fn median(&self, k: usize, runner: usize, metric: Metric) -> Option<f64> {
        let times: Vec<f64> = self.kernels[k].samples[runner]
            .iter()
            .map(|s| s.get(metric))
            .collect();
        stats::median(&times)
    }

    /// Speed of `runner` relative to `base` on kernel `k`: base time over
    /// runner time (above 1 means `runner` is faster).
    pub fn speedup(&self, k: usize, runner: usize, base: usize, metric: Metric) -> Option<f64> {
        let r = self.median(k, runner, metric)?;
        let b = self.median(k, base, metric)?;
        (r > 0.0).then(|| b / r)
    }

    /// Geometric mean of `speedup` over the compute kernels (start-up kernels
    /// excluded) that have both times.
    pub fn geomean_speedup(&self, runner: usize, base: usize, metric: Metric) -> Option<f64> {
        let ratios: Vec<f64> = (0..self.kernels.len())
            .filter(|&k| !self.kernels[k].kernel.startup)
            .filter_map(|k| self.speedup(k, runner, base, metric))
            .collect();
        stats::geomean(&ratios)
    }
}

/// Runs the suite described by `config`. The kernels must be built already.
/// Errors of single runs go into `Results::errors`; only a failure to run at
/// all (e.g. a missing program) is returned as `Err`.
pub fn run(config: &Config) -> Result<Results> {
    let mut results = Results {
        runners: config.runners.clone(),
        runs: config.runs,
        quick: config.quick,
        kernels: Vec::new(),
        errors: Vec::new(),
    };
    for kernel in &config.kernels {
        let size = kernel.size(config.quick);
        let args = [size.to_string()];
        let mut kr = KernelResult {
            kernel: *kernel,
            size,
            expected_output: None,
            samples: vec![Vec::new(); config.runners.len()],
        };
        for run in 1..=config.runs {
            let mut line = format!(
                "vm-bench: {} {} run {}/{}:",
                kernel.name, size, run, config.runs
            );
            for (i, runner) in config.runners.iter().enumerate() {
                let target = if runner.is_guest() {
                    Target::Riscv64
                } else {
                    Target::X86_64
                };
                let binary = config.dirs.binary(kernel, target);
                let m = measure::run(runner.command(&config.vm, &binary, &args), config.timeout)?;
                if matches!(runner, Runner::Native)
                    && kr.expected_output.is_none()
                    && m.status == Status::Exited(0)
                {
                    kr.expected_output = Some(m.stdout.clone());
                }
                match check(&m, kr.expected_output.as_deref()) {
                    Ok(()) => {
                        kr.samples[i].push(Sample {
                            wall_s: m.wall_s,
                            cpu_s: m.cpu_s,
                        });
                        line.push_str(&format!(" {runner} {:.3}s", m.wall_s));
                    }
                    Err(message) => {
                        line.push_str(&format!(" {runner} ERROR"));
                        results.errors.push(RunError {
                            kernel: kernel.name,
                            runner: runner.to_string(),
                            run,
                            message,
                        });
                    }
                }
            }
            eprintln!("{line}");
        }
        results.kernels.push(kr);
    }
    Ok(results)
}

/// Whether `m` is a clean exit printing `expected`.
fn check(m: &Measurement, expected: Option<&str>) -> Result<(), String> {
    let stderr = m.stderr_tail.trim();
    match m.status {
        Status::Exited(0) => {}
        Status::Exited(code) => return Err(format!("exit code {code}: {stderr}")),
        Status::Signaled(sig) => return Err(format!("killed by signal {sig}: {stderr}")),
        Status::TimedOut => return Err("timed out".into()),
    }
    let Some(expected) = expected else {
        return Err("no native output to compare with (native run failed)".into());
    };
    if m.stdout != expected {
        return Err(format!(
            "checksum mismatch: expected {:?}, got {:?}",
            last_line(expected),
            last_line(&m.stdout)
        ));
    }
    Ok(())
}

fn last_line(s: &str) -> &str {
    let line = s.trim_end().rsplit('\n').next().unwrap_or("");
    match line.char_indices().nth(120) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(status: Status, stdout: &str) -> Measurement {
        Measurement {
            wall_s: 1.0,
            cpu_s: 1.0,
            stdout: stdout.into(),
            stderr_tail: "boom".into(),
            status,
        }
    }

    #[test]
    fn a_run_counts_only_with_a_clean_exit_and_the_native_output() {
        assert!(check(&m(Status::Exited(0), "fib 3 2\n"), Some("fib 3 2\n")).is_ok());
        let e = check(&m(Status::Exited(0), "fib 3 5\n"), Some("fib 3 2\n")).unwrap_err();
        assert!(e.contains("mismatch") && e.contains("fib 3 5"), "{e}");
        assert!(
            check(&m(Status::Exited(1), "fib 3 2\n"), Some("fib 3 2\n"))
                .unwrap_err()
                .contains("boom")
        );
        assert!(check(&m(Status::Signaled(11), ""), Some("")).is_err());
        assert!(check(&m(Status::TimedOut, ""), Some("")).is_err());
        assert!(check(&m(Status::Exited(0), "x"), None).is_err());
    }

    fn kr(name: &'static str, startup: bool, times: &[&[f64]]) -> KernelResult {
        KernelResult {
            kernel: Kernel {
                name,
                character: "",
                size_default: 1,
                size_quick: 1,
                startup,
            },
            size: 1,
            expected_output: Some(String::new()),
            samples: times
                .iter()
                .map(|ts| {
                    ts.iter()
                        .map(|&t| Sample {
                            wall_s: t,
                            cpu_s: t / 2.0,
                        })
                        .collect()
                })
                .collect(),
        }
    }

    #[test]
    fn speedups_are_base_over_runner_and_skip_startup_in_geomeans() {
        let r = Results {
            runners: Runner::all(&["interp".into()]),
            runs: 3,
            quick: false,
            kernels: vec![
                kr("a", false, &[&[1.0, 1.0, 9.0], &[2.0], &[4.0]]),
                kr("b", false, &[&[1.0], &[4.0], &[16.0]]),
                kr("hello", true, &[&[1.0], &[100.0], &[100.0]]),
            ],
            errors: vec![],
        };
        assert_eq!(r.median(0, 0, Metric::Wall), Some(1.0));
        assert_eq!(r.median(0, 0, Metric::Cpu), Some(0.5));
        assert_eq!(r.speedup(0, 2, 0, Metric::Wall), Some(0.25));
        assert_eq!(r.speedup(1, 2, 1, Metric::Wall), Some(0.25));
        // (0.25 * 0.0625)^(1/2) = 0.125; hello is left out.
        let g = r.geomean_speedup(2, 0, Metric::Wall).unwrap();
        assert!((g - 0.125).abs() < 1e-12, "{g}");
    }
}
