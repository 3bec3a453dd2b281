//! Running the suites: every case, `runs` rounds, each round running the
//! case once under every runner in turn (native, qemu, each engine, the
//! interpreter last), so that slow drifts in machine load hit all runners
//! alike. The interpreter takes 3-40 times as long as the others; run
//! between qemu and the compiling engines, it put seconds between the
//! runs compared most closely, long enough for the shared machine's load
//! to change in between.
//!
//! Every run's stdout must equal the reference output byte for byte (the
//! first clean run of the case's reference runner, native unless the case
//! says qemu); a run that differs, fails or times out is recorded as an
//! error and left out of the medians.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result};

use crate::case::{Case, Group, Reference};
use crate::measure::{self, Measurement, Status};
use crate::runner::Runner;
use crate::stats;

/// What to run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The cases, in report order.
    pub cases: Vec<Case>,
    /// The runners of each round, native first, then qemu.
    pub runners: Vec<Runner>,
    /// Rounds per case.
    pub runs: u32,
    /// Whether the kernels run at quick (smoke-test) sizes.
    pub quick: bool,
    /// The `vm` binary.
    pub vm: PathBuf,
    /// Where the scratch directories of runs are made.
    pub scratch_dir: PathBuf,
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
    /// Case name.
    pub case: &'static str,
    /// Runner name.
    pub runner: String,
    /// Round, from 1.
    pub run: u32,
    /// What went wrong.
    pub message: String,
}

/// The results for one case.
#[derive(Debug, Clone)]
pub struct CaseResult {
    /// The case.
    pub case: Case,
    /// The output every checked runner had to print (the reference's).
    pub expected_output: Option<String>,
    /// Successful runs, indexed like `Results::runners`.
    pub samples: Vec<Vec<Sample>>,
}

/// Everything one invocation measured.
#[derive(Debug, Clone)]
pub struct Results {
    /// The runners, native first, then qemu, then the engines.
    pub runners: Vec<Runner>,
    /// Rounds per case.
    pub runs: u32,
    /// Whether the kernels ran at quick sizes.
    pub quick: bool,
    /// Per-case results, in report order (kernels, then programs).
    pub cases: Vec<CaseResult>,
    /// Every run that failed or printed the wrong output.
    pub errors: Vec<RunError>,
}

impl Results {
    /// Median time of `runner` (index into `runners`) on case `k`.
    pub fn median(&self, k: usize, runner: usize, metric: Metric) -> Option<f64> {
        let times: Vec<f64> = self.cases[k].samples[runner]
            .iter()
            .map(|s| s.get(metric))
            .collect();
        stats::median(&times)
    }

    /// Speed of `runner` relative to `base` on case `k`: base time over
    /// runner time (above 1 means `runner` is faster).
    pub fn speedup(&self, k: usize, runner: usize, base: usize, metric: Metric) -> Option<f64> {
        let r = self.median(k, runner, metric)?;
        let b = self.median(k, base, metric)?;
        (r > 0.0).then(|| b / r)
    }

    /// Indices of the cases of `group`, in report order.
    pub fn in_group(&self, group: Group) -> Vec<usize> {
        (0..self.cases.len())
            .filter(|&k| self.cases[k].case.group == group)
            .collect()
    }

    /// Geometric mean of `speedup` over the cases of `group` (start-up
    /// cases excluded) that have both times.
    pub fn geomean_speedup(
        &self,
        group: Group,
        runner: usize,
        base: usize,
        metric: Metric,
    ) -> Option<f64> {
        let ratios: Vec<f64> = self
            .in_group(group)
            .into_iter()
            .filter(|&k| !self.cases[k].case.startup)
            .filter_map(|k| self.speedup(k, runner, base, metric))
            .collect();
        stats::geomean(&ratios)
    }
}

/// What a run's output is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expected<'a> {
    /// Exactly this output.
    Output(&'a str),
    /// The reference output, which is not known (its run failed).
    Unknown,
    /// Only a clean exit (native runs of a case checked against qemu).
    CleanExit,
}

/// Index of `reference`'s runner in `runners`.
fn reference_index(runners: &[Runner], reference: Reference) -> Option<usize> {
    runners.iter().position(|r| match reference {
        Reference::Native => matches!(r, Runner::Native),
        Reference::Qemu => matches!(r, Runner::Qemu),
    })
}

/// A fresh, empty scratch directory for one run of `case`.
fn fresh_scratch(root: &Path, case: &Case) -> Result<PathBuf> {
    let dir = root.join(case.name);
    if dir.exists() {
        std::fs::remove_dir_all(&dir).with_context(|| format!("removing {}", dir.display()))?;
    }
    std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    Ok(std::path::absolute(&dir).unwrap_or(dir))
}

/// The order in which a round runs `runners`: as given, but the `interp`
/// engine last (see the module doc). Native and qemu, which give the
/// reference output, keep their places at the front.
fn round_order(runners: &[Runner]) -> Vec<usize> {
    let interp = |r: &Runner| matches!(r, Runner::Vm { engine } if engine == "interp");
    let (mut order, last): (Vec<usize>, Vec<usize>) =
        (0..runners.len()).partition(|&i| !interp(&runners[i]));
    order.extend(last);
    order
}

/// Runs the cases described by `config`. The binaries must be built
/// already. Errors of single runs go into `Results::errors`; only a failure
/// to run at all (e.g. a missing program) is returned as `Err`.
pub fn run(config: &Config) -> Result<Results> {
    let mut results = Results {
        runners: config.runners.clone(),
        runs: config.runs,
        quick: config.quick,
        cases: Vec::new(),
        errors: Vec::new(),
    };
    for case in &config.cases {
        let reference = reference_index(&config.runners, case.reference);
        let mut cr = CaseResult {
            case: case.clone(),
            expected_output: None,
            samples: vec![Vec::new(); config.runners.len()],
        };
        for run in 1..=config.runs {
            let mut line = format!(
                "vm-bench: {} {} run {}/{}:",
                case.name, case.params, run, config.runs
            );
            for i in round_order(&config.runners) {
                let runner = &config.runners[i];
                let binary = case.binary(runner.is_guest());
                let m = if case.needs_scratch() {
                    let scratch = fresh_scratch(&config.scratch_dir, case)?;
                    let mut command = runner.command(&config.vm, binary, &case.argv(&scratch));
                    command.current_dir(&scratch);
                    measure::run(command, config.timeout)?
                } else {
                    let command = runner.command(&config.vm, binary, &case.argv(Path::new("")));
                    measure::run(command, config.timeout)?
                };
                if Some(i) == reference
                    && cr.expected_output.is_none()
                    && m.status == Status::Exited(0)
                {
                    cr.expected_output = Some(m.stdout.clone());
                }
                let expected = if case.reference == Reference::Qemu && !runner.is_guest() {
                    Expected::CleanExit
                } else {
                    cr.expected_output
                        .as_deref()
                        .map_or(Expected::Unknown, Expected::Output)
                };
                match check(&m, expected) {
                    Ok(()) => {
                        cr.samples[i].push(Sample {
                            wall_s: m.wall_s,
                            cpu_s: m.cpu_s,
                        });
                        line.push_str(&format!(" {runner} {:.3}s", m.wall_s));
                    }
                    Err(message) => {
                        line.push_str(&format!(" {runner} ERROR"));
                        results.errors.push(RunError {
                            case: case.name,
                            runner: runner.to_string(),
                            run,
                            message,
                        });
                    }
                }
            }
            eprintln!("{line}");
        }
        results.cases.push(cr);
    }
    Ok(results)
}

/// Whether `m` is a clean exit printing what is expected.
fn check(m: &Measurement, expected: Expected) -> Result<(), String> {
    let stderr = m.stderr_tail.trim();
    match m.status {
        Status::Exited(0) => {}
        Status::Exited(code) => return Err(format!("exit code {code}: {stderr}")),
        Status::Signaled(sig) => return Err(format!("killed by signal {sig}: {stderr}")),
        Status::TimedOut => return Err("timed out".into()),
    }
    let expected = match expected {
        Expected::CleanExit => return Ok(()),
        Expected::Unknown => {
            return Err("no reference output to compare with (the reference run failed)".into());
        }
        Expected::Output(text) => text,
    };
    if m.stdout != expected {
        return Err(format!(
            "output mismatch: {}",
            first_difference(expected, &m.stdout)
        ));
    }
    Ok(())
}

/// The first line where `actual` differs from `expected`, both shown
/// shortened (a program prints many lines; the last one may be equal).
fn first_difference(expected: &str, actual: &str) -> String {
    let mut e = expected.lines();
    let mut a = actual.lines();
    for n in 1.. {
        match (e.next(), a.next()) {
            (Some(x), Some(y)) if x == y => continue,
            (None, None) => break,
            (x, y) => {
                return format!(
                    "line {n}: expected {:?}, got {:?}",
                    shorten(x.unwrap_or("<end of output>")),
                    shorten(y.unwrap_or("<end of output>"))
                );
            }
        }
    }
    "outputs differ in line endings".into()
}

fn shorten(line: &str) -> &str {
    match line.char_indices().nth(120) {
        Some((cut, _)) => &line[..cut],
        None => line,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Arg;

    #[test]
    fn rounds_run_the_interpreter_last() {
        let runners = Runner::all(&["interp".into(), "jit".into(), "tiered".into()]);
        assert_eq!(round_order(&runners), [0, 1, 3, 4, 2]);
        let runners = Runner::all(&["jit".into()]);
        assert_eq!(round_order(&runners), [0, 1, 2]);
    }

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
    fn a_run_counts_only_with_a_clean_exit_and_the_reference_output() {
        let fib = Expected::Output("fib 3 2\n");
        assert!(check(&m(Status::Exited(0), "fib 3 2\n"), fib).is_ok());
        let e = check(&m(Status::Exited(0), "fib 3 5\n"), fib).unwrap_err();
        assert!(e.contains("mismatch") && e.contains("fib 3 5"), "{e}");
        assert!(
            check(&m(Status::Exited(1), "fib 3 2\n"), fib)
                .unwrap_err()
                .contains("boom")
        );
        assert!(check(&m(Status::Signaled(11), ""), Expected::Output("")).is_err());
        assert!(check(&m(Status::TimedOut, ""), Expected::Output("")).is_err());
        assert!(check(&m(Status::Exited(0), "x"), Expected::Unknown).is_err());
        assert!(check(&m(Status::Exited(0), "x"), Expected::CleanExit).is_ok());
        assert!(check(&m(Status::Exited(2), "x"), Expected::CleanExit).is_err());
    }

    #[test]
    fn mismatches_name_the_first_differing_line() {
        assert_eq!(
            first_difference("a\nb\nc\n", "a\nB\nc\n"),
            "line 2: expected \"b\", got \"B\""
        );
        assert_eq!(
            first_difference("a\nb\n", "a\n"),
            "line 2: expected \"b\", got \"<end of output>\""
        );
        assert_eq!(
            first_difference("a\n", "a"),
            "outputs differ in line endings"
        );
    }

    #[test]
    fn the_reference_runner_is_found_by_kind() {
        let r = Runner::all(&["jit".into()]);
        assert_eq!(reference_index(&r, Reference::Native), Some(0));
        assert_eq!(reference_index(&r, Reference::Qemu), Some(1));
    }

    fn case(name: &'static str, group: Group, startup: bool) -> Case {
        Case {
            name,
            group,
            character: "",
            params: "1".into(),
            startup,
            riscv64: PathBuf::new(),
            x86_64: PathBuf::new(),
            args: vec![Arg::Plain("1".into())],
            reference: Reference::Native,
        }
    }

    fn cr(case: Case, times: &[&[f64]]) -> CaseResult {
        CaseResult {
            case,
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
    fn speedups_are_base_over_runner_and_geomeans_are_per_group() {
        let r = Results {
            runners: Runner::all(&["interp".into()]),
            runs: 3,
            quick: false,
            cases: vec![
                cr(
                    case("a", Group::Kernels, false),
                    &[&[1.0, 1.0, 9.0], &[2.0], &[4.0]],
                ),
                cr(case("b", Group::Kernels, false), &[&[1.0], &[4.0], &[16.0]]),
                cr(
                    case("hello", Group::Kernels, true),
                    &[&[1.0], &[100.0], &[100.0]],
                ),
                cr(
                    case("lua", Group::Programs, false),
                    &[&[1.0], &[3.0], &[2.0]],
                ),
            ],
            errors: vec![],
        };
        assert_eq!(r.median(0, 0, Metric::Wall), Some(1.0));
        assert_eq!(r.median(0, 0, Metric::Cpu), Some(0.5));
        assert_eq!(r.speedup(0, 2, 0, Metric::Wall), Some(0.25));
        assert_eq!(r.speedup(1, 2, 1, Metric::Wall), Some(0.25));
        // (0.25 * 0.0625)^(1/2) = 0.125; hello and the program are left out.
        let g = r
            .geomean_speedup(Group::Kernels, 2, 0, Metric::Wall)
            .unwrap();
        assert!((g - 0.125).abs() < 1e-12, "{g}");
        // The programs' geomean is lua's alone: qemu 3 s / interp 2 s.
        let g = r
            .geomean_speedup(Group::Programs, 2, 1, Metric::Wall)
            .unwrap();
        assert!((g - 1.5).abs() < 1e-12, "{g}");
        assert_eq!(r.in_group(Group::Programs), [3]);
    }

    /// A whole run through `run` with shell scripts standing in for the
    /// builds: every run gets its own empty scratch directory as argument
    /// and working directory, and a guest run whose output differs from
    /// native's is an error.
    #[test]
    fn runs_get_fresh_scratch_dirs_and_are_checked() {
        let tmp = tempfile::tempdir().unwrap();
        let script = |name: &str, body: &str| {
            let p = tmp.path().join(name);
            std::fs::write(&p, format!("#!/bin/sh\n{body}\n")).unwrap();
            let ok = std::process::Command::new("chmod")
                .arg("+x")
                .arg(&p)
                .status()
                .unwrap()
                .success();
            assert!(ok);
            p
        };
        // Fails if the directory is not empty or not the working directory;
        // leaves a file behind for the next run to trip over.
        let body = "[ -z \"$(ls -A \"$1\")\" ] || exit 3\n\
                    [ \"$(pwd -P)\" = \"$(cd \"$1\" && pwd -P)\" ] || exit 4\n\
                    touch \"$1/db\"\necho same";
        let native = script("native", body);
        // The "vm": `run --engine E PROG ARGS`; prints something else.
        let vm = script("vm", "echo different");
        let mut c = case("sqlite", Group::Programs, false);
        c.riscv64 = native.clone();
        c.x86_64 = native;
        c.args = vec![Arg::Scratch];
        let config = Config {
            cases: vec![c],
            runners: vec![
                Runner::Native,
                Runner::Vm {
                    engine: "jit".into(),
                },
            ],
            runs: 2,
            quick: false,
            vm,
            scratch_dir: tmp.path().join("scratch"),
            timeout: Duration::from_secs(20),
        };
        let r = run(&config).unwrap();
        assert_eq!(r.cases[0].samples[0].len(), 2, "{:?}", r.errors);
        assert_eq!(r.cases[0].expected_output.as_deref(), Some("same\n"));
        assert!(r.cases[0].samples[1].is_empty());
        assert_eq!(r.errors.len(), 2, "{:?}", r.errors);
        assert!(r.errors.iter().all(|e| e.case == "sqlite"
            && e.runner == "vm jit"
            && e.message.contains("got \"different\"")));
    }
}
