//! The markdown report: machine, median times, speed relative to native and
//! to qemu-riscv64 per kernel and as geometric means, and every error.

use std::fmt::Write;

use crate::machine::Machine;
use crate::suite::{Metric, Results};

/// What the report says about how it was made.
#[derive(Debug, Clone)]
pub struct ReportInfo<'a> {
    /// When the run started ("2026-11-27 11:30 UTC").
    pub when: &'a str,
    /// The command line that produced it.
    pub command: &'a str,
    /// The metric medians and ratios are computed from.
    pub metric: Metric,
    /// File name of the chart next to the report, if one was drawn.
    pub chart: Option<&'a str>,
    /// Why no chart was drawn, if none was.
    pub chart_error: Option<&'a str>,
}

/// Index of qemu in `Results::runners` (native is 0, qemu 1).
pub const NATIVE: usize = 0;
/// Index of qemu in `Results::runners`.
pub const QEMU: usize = 1;

/// Renders the report.
pub fn render(results: &Results, machine: &Machine, info: &ReportInfo) -> String {
    let mut s = String::new();
    let metric = info.metric;
    let _ = writeln!(s, "# vm benchmark: {} on {}\n", info.when, machine.host);
    let _ = writeln!(s, "Command: `{}`\n", info.command);
    let _ = writeln!(
        s,
        "Medians of {} run(s) per kernel and runner, {}{}. Runners alternate within each run \
         (native, qemu-riscv64, then each vm engine). Every run's output is checked equal to \
         native's. Geometric means leave out the start-up case (`hello`).\n",
        results.runs,
        metric.describe(),
        if results.quick {
            "; QUICK sizes (smoke test, not a benchmark)"
        } else {
            ""
        },
    );
    machine_table(&mut s, machine);
    times_table(&mut s, results, metric);
    let _ = writeln!(s, "## Speed relative to native\n");
    let _ = writeln!(
        s,
        "Native time / runner time: 1.0 is native speed, 0.1 is ten times slower.\n"
    );
    ratio_table(&mut s, results, metric, NATIVE);
    let _ = writeln!(s, "## Speed relative to qemu-riscv64\n");
    let _ = writeln!(
        s,
        "qemu time / runner time: above 1.0 is faster than qemu-riscv64.\n"
    );
    ratio_table(&mut s, results, metric, QEMU);
    summary_table(&mut s, results);
    match (info.chart, info.chart_error) {
        (Some(file), _) => {
            let _ = writeln!(s, "![speed relative to qemu-riscv64]({file})\n");
        }
        (None, Some(why)) => {
            let _ = writeln!(s, "No chart: {why}\n");
        }
        (None, None) => {}
    }
    errors(&mut s, results);
    s
}

fn machine_table(s: &mut String, m: &Machine) {
    let _ = writeln!(s, "## Machine\n\n| | |\n|---|---|");
    for (k, v) in [
        ("CPU", &m.cpu),
        ("Cores", &m.cores),
        ("Memory", &m.memory),
        ("Kernel", &m.kernel),
        ("qemu", &m.qemu),
        ("rustc", &m.rustc),
        ("C compilers", &m.compilers),
        ("Commit", &m.commit),
    ] {
        let _ = writeln!(s, "| {k} | {} |", cell(v));
    }
    let _ = writeln!(
        s,
        "| Kernel flags | `{}` (both ISAs) |\n",
        crate::compile::CFLAGS.join(" ")
    );
}

fn header(s: &mut String, results: &Results, first: &[&str], runners: &[usize]) {
    let mut cols: Vec<String> = first.iter().map(|c| c.to_string()).collect();
    cols.extend(runners.iter().map(|&r| results.runners[r].to_string()));
    let _ = writeln!(s, "| {} |", cols.join(" | "));
    let _ = writeln!(
        s,
        "|{}",
        cols.iter()
            .enumerate()
            .map(|(i, _)| if i < first.len() { "---|" } else { "---:|" })
            .collect::<String>()
    );
}

fn times_table(s: &mut String, results: &Results, metric: Metric) {
    let _ = writeln!(s, "## Median time (seconds)\n");
    let all: Vec<usize> = (0..results.runners.len()).collect();
    header(s, results, &["kernel", "size", "character"], &all);
    for (k, kr) in results.kernels.iter().enumerate() {
        let times: Vec<String> = all
            .iter()
            .map(|&r| fmt_opt(results.median(k, r, metric), 3))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            kr.kernel.name,
            kr.size,
            kr.kernel.character,
            times.join(" | ")
        );
    }
    s.push('\n');
}

fn ratio_table(s: &mut String, results: &Results, metric: Metric, base: usize) {
    let others: Vec<usize> = (0..results.runners.len()).filter(|&r| r != base).collect();
    header(s, results, &["kernel"], &others);
    for (k, kr) in results.kernels.iter().enumerate() {
        let cells: Vec<String> = others
            .iter()
            .map(|&r| fmt_opt(results.speedup(k, r, base, metric), 3))
            .collect();
        let _ = writeln!(s, "| {} | {} |", kr.kernel.name, cells.join(" | "));
    }
    let geo: Vec<String> = others
        .iter()
        .map(|&r| {
            format!(
                "**{}**",
                fmt_opt(results.geomean_speedup(r, base, metric), 3)
            )
        })
        .collect();
    let _ = writeln!(s, "| **geomean** | {} |\n", geo.join(" | "));
}

/// Geometric means under both metrics: on a loaded machine, wall time
/// includes waiting for a CPU while CPU time does not, so the two bracket
/// the truth.
fn summary_table(s: &mut String, results: &Results) {
    let _ = writeln!(s, "## Geometric means by metric\n");
    let others: Vec<usize> = (0..results.runners.len())
        .filter(|&r| r != NATIVE)
        .collect();
    let mut cols = vec!["metric".to_string()];
    for &r in &others {
        cols.push(format!("{} vs native", results.runners[r]));
    }
    for &r in others.iter().filter(|&&r| r != QEMU) {
        cols.push(format!("{} vs qemu", results.runners[r]));
    }
    let _ = writeln!(s, "| {} |", cols.join(" | "));
    let _ = writeln!(s, "|---|{}", "---:|".repeat(cols.len() - 1));
    for metric in [Metric::Wall, Metric::Cpu] {
        let mut cells = vec![metric.describe().to_string()];
        for &r in &others {
            cells.push(fmt_opt(results.geomean_speedup(r, NATIVE, metric), 3));
        }
        for &r in others.iter().filter(|&&r| r != QEMU) {
            cells.push(fmt_opt(results.geomean_speedup(r, QEMU, metric), 3));
        }
        let _ = writeln!(s, "| {} |", cells.join(" | "));
    }
    s.push('\n');
}

fn errors(s: &mut String, results: &Results) {
    let _ = writeln!(s, "## Errors\n");
    if results.errors.is_empty() {
        let _ = writeln!(s, "None: every run exited 0 and printed native's checksum.");
        return;
    }
    let _ = writeln!(
        s,
        "**{} run(s) failed or printed a wrong checksum** (left out of the medians):\n",
        results.errors.len()
    );
    for e in &results.errors {
        let _ = writeln!(
            s,
            "- ERROR {} / {} / run {}: {}",
            e.kernel,
            e.runner,
            e.run,
            cell(&e.message)
        );
    }
}

/// A number with `digits` significant-ish decimals, or a dash.
fn fmt_opt(v: Option<f64>, digits: usize) -> String {
    match v {
        Some(x) if x >= 100.0 => format!("{x:.0}"),
        Some(x) if x >= 10.0 => format!("{x:.1}"),
        Some(x) => format!("{x:.digits$}"),
        None => "—".into(),
    }
}

/// Text made safe for one table cell: one line, no pipes.
fn cell(text: &str) -> String {
    text.replace('|', "/").replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kernels::Kernel;
    use crate::runner::Runner;
    use crate::suite::{KernelResult, RunError, Sample};

    fn machine() -> Machine {
        Machine {
            host: "box".into(),
            cpu: "CPU | X".into(),
            cores: "2".into(),
            memory: "1 GiB".into(),
            kernel: "6.1".into(),
            qemu: "qemu 8".into(),
            rustc: "rustc 1.95".into(),
            compilers: "gcc".into(),
            commit: "abc".into(),
        }
    }

    fn results(errors: Vec<RunError>) -> Results {
        let sample = |t: f64| {
            vec![Sample {
                wall_s: t,
                cpu_s: t,
            }]
        };
        Results {
            runners: Runner::all(&["interp".into()]),
            runs: 1,
            quick: false,
            kernels: vec![KernelResult {
                kernel: Kernel {
                    name: "fib",
                    character: "calls",
                    size_default: 30,
                    size_quick: 5,
                    startup: false,
                },
                size: 30,
                expected_output: Some("fib 30 x\n".into()),
                samples: vec![sample(0.5), sample(1.0), sample(4.0)],
            }],
            errors,
        }
    }

    fn info() -> ReportInfo<'static> {
        ReportInfo {
            when: "today",
            command: "vm-bench",
            metric: Metric::Wall,
            chart: Some("c.png"),
            chart_error: None,
        }
    }

    #[test]
    fn report_has_machine_times_ratios_and_chart() {
        let text = render(&results(vec![]), &machine(), &info());
        assert!(text.contains("| CPU | CPU / X |"), "{text}");
        assert!(
            text.contains("| fib | 30 | calls | 0.500 | 1.000 | 4.000 |"),
            "{text}"
        );
        // relative to native: qemu 0.5, interp 0.125
        assert!(text.contains("| fib | 0.500 | 0.125 |"), "{text}");
        // relative to qemu: native 2.0, interp 0.25
        assert!(text.contains("| fib | 2.000 | 0.250 |"), "{text}");
        assert!(
            text.contains("| **geomean** | **0.500** | **0.125** |"),
            "{text}"
        );
        // Both metrics summarised; cpu_s equals wall_s in this fixture.
        assert!(
            text.contains("| metric | qemu vs native | vm interp vs native | vm interp vs qemu |"),
            "{text}"
        );
        assert!(
            text.contains("| wall-clock time | 0.500 | 0.125 | 0.250 |"),
            "{text}"
        );
        assert!(
            text.contains("| user+system CPU time | 0.500 | 0.125 | 0.250 |"),
            "{text}"
        );
        assert!(text.contains("![speed relative to qemu-riscv64](c.png)"));
        assert!(text.contains("None: every run"));
    }

    #[test]
    fn errors_are_listed() {
        let e = RunError {
            kernel: "fib",
            runner: "vm jit".into(),
            run: 2,
            message: "checksum mismatch".into(),
        };
        let text = render(&results(vec![e]), &machine(), &info());
        assert!(
            text.contains("- ERROR fib / vm jit / run 2: checksum mismatch"),
            "{text}"
        );
        assert!(!text.contains("None: every run"));
    }
}
