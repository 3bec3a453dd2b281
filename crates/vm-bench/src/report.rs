//! The markdown report: machine, then per suite (kernels, programs) median
//! times and speed relative to native and to qemu-riscv64 per case and as
//! geometric means, a summary of the means, and every error.

use std::fmt::Write;

use crate::case::{Group, Reference};
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

/// Index of native in `Results::runners` (native is 0, qemu 1).
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
        "Medians of {} run(s) per case and runner, {}{}. Runners alternate within each run \
         (native, qemu-riscv64, then each vm engine, the interpreter last). Every run's output is checked equal to \
         the reference output (native's unless a table says otherwise). Geometric means are \
         per suite and leave out the start-up case (`hello`).\n",
        results.runs,
        metric.describe(),
        if results.quick {
            "; QUICK kernel sizes (smoke test, not a benchmark)"
        } else {
            ""
        },
    );
    machine_table(&mut s, machine);
    for group in Group::ALL {
        let cases = results.in_group(group);
        if cases.is_empty() {
            continue;
        }
        let _ = writeln!(s, "## {}\n", group.title());
        if group == Group::Programs {
            programs_note(&mut s, results, &cases);
        }
        times_table(&mut s, results, &cases, metric);
        let _ = writeln!(s, "### Speed relative to native\n");
        let _ = writeln!(
            s,
            "Native time / runner time: 1.0 is native speed, 0.1 is ten times slower.\n"
        );
        ratio_table(&mut s, results, group, metric, NATIVE);
        let _ = writeln!(s, "### Speed relative to qemu-riscv64\n");
        let _ = writeln!(
            s,
            "qemu time / runner time: above 1.0 is faster than qemu-riscv64.\n"
        );
        ratio_table(&mut s, results, group, metric, QEMU);
    }
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
        "| Build flags | `{}` (both ISAs; programs add their `-D` defines) |\n",
        crate::compile::CFLAGS.join(" ")
    );
}

/// How the programs were built and what their output was checked against.
fn programs_note(s: &mut String, results: &Results, cases: &[usize]) {
    let _ = writeln!(
        s,
        "Real programs built from the C sources of the crates `lua-src`, `zstd-sys` and \
         `libsqlite3-sys` with the drivers in `tests/real/` (defines as in vm-cli's \
         real-software test). `DIR` is a fresh empty directory for every run.\n"
    );
    let by_qemu: Vec<&str> = cases
        .iter()
        .map(|&k| &results.cases[k].case)
        .filter(|c| c.reference == Reference::Qemu)
        .map(|c| c.name)
        .collect();
    if !by_qemu.is_empty() {
        let _ = writeln!(
            s,
            "Output checked against qemu-riscv64's, not native's (it differs between ISAs): {}.\n",
            by_qemu.join(", ")
        );
    }
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

fn times_table(s: &mut String, results: &Results, cases: &[usize], metric: Metric) {
    let _ = writeln!(s, "### Median time (seconds)\n");
    let all: Vec<usize> = (0..results.runners.len()).collect();
    header(s, results, &["case", "parameters", "character"], &all);
    for &k in cases {
        let c = &results.cases[k].case;
        let times: Vec<String> = all
            .iter()
            .map(|&r| fmt_opt(results.median(k, r, metric), 3))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} | {} | {} |",
            c.name,
            cell(&c.params),
            cell(c.character),
            times.join(" | ")
        );
    }
    s.push('\n');
}

fn ratio_table(s: &mut String, results: &Results, group: Group, metric: Metric, base: usize) {
    let others: Vec<usize> = (0..results.runners.len()).filter(|&r| r != base).collect();
    header(s, results, &["case"], &others);
    for k in results.in_group(group) {
        let cells: Vec<String> = others
            .iter()
            .map(|&r| fmt_opt(results.speedup(k, r, base, metric), 3))
            .collect();
        let _ = writeln!(
            s,
            "| {} | {} |",
            results.cases[k].case.name,
            cells.join(" | ")
        );
    }
    let geo: Vec<String> = others
        .iter()
        .map(|&r| {
            format!(
                "**{}**",
                fmt_opt(results.geomean_speedup(group, r, base, metric), 3)
            )
        })
        .collect();
    let _ = writeln!(s, "| **geomean** | {} |\n", geo.join(" | "));
}

/// Geometric means per suite under both metrics: on a loaded machine, wall
/// time includes waiting for a CPU while CPU time does not, so the two
/// bracket the truth.
fn summary_table(s: &mut String, results: &Results) {
    let _ = writeln!(s, "## Geometric means by suite and metric\n");
    let others: Vec<usize> = (0..results.runners.len())
        .filter(|&r| r != NATIVE)
        .collect();
    let mut cols = vec!["suite".to_string(), "metric".to_string()];
    for &r in &others {
        cols.push(format!("{} vs native", results.runners[r]));
    }
    for &r in others.iter().filter(|&&r| r != QEMU) {
        cols.push(format!("{} vs qemu", results.runners[r]));
    }
    let _ = writeln!(s, "| {} |", cols.join(" | "));
    let _ = writeln!(s, "|---|---|{}", "---:|".repeat(cols.len() - 2));
    for group in Group::ALL {
        if results.in_group(group).is_empty() {
            continue;
        }
        for metric in [Metric::Wall, Metric::Cpu] {
            let mut cells = vec![group.title().to_string(), metric.describe().to_string()];
            for &r in &others {
                cells.push(fmt_opt(
                    results.geomean_speedup(group, r, NATIVE, metric),
                    3,
                ));
            }
            for &r in others.iter().filter(|&&r| r != QEMU) {
                cells.push(fmt_opt(results.geomean_speedup(group, r, QEMU, metric), 3));
            }
            let _ = writeln!(s, "| {} |", cells.join(" | "));
        }
    }
    s.push('\n');
}

fn errors(s: &mut String, results: &Results) {
    let _ = writeln!(s, "## Errors\n");
    if results.errors.is_empty() {
        let _ = writeln!(
            s,
            "None: every run exited 0 and printed the reference output."
        );
        return;
    }
    let _ = writeln!(
        s,
        "**{} run(s) failed or printed wrong output** (left out of the medians):\n",
        results.errors.len()
    );
    for e in &results.errors {
        let _ = writeln!(
            s,
            "- ERROR {} / {} / run {}: {}",
            e.case,
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
    use crate::case::{Arg, Case};
    use crate::runner::Runner;
    use crate::suite::{CaseResult, RunError, Sample};

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

    fn result(name: &'static str, group: Group, reference: Reference, t: [f64; 3]) -> CaseResult {
        let sample = |t: f64| {
            vec![Sample {
                wall_s: t,
                cpu_s: t,
            }]
        };
        CaseResult {
            case: Case {
                name,
                group,
                character: "calls",
                params: "30".into(),
                startup: false,
                riscv64: "r".into(),
                x86_64: "x".into(),
                args: vec![Arg::Scratch],
                reference,
            },
            expected_output: Some("x\n".into()),
            samples: t.iter().map(|&t| sample(t)).collect(),
        }
    }

    fn results(cases: Vec<CaseResult>, errors: Vec<RunError>) -> Results {
        Results {
            runners: Runner::all(&["interp".into()]),
            runs: 1,
            quick: false,
            cases,
            errors,
        }
    }

    fn fib() -> CaseResult {
        result("fib", Group::Kernels, Reference::Native, [0.5, 1.0, 4.0])
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
        let text = render(&results(vec![fib()], vec![]), &machine(), &info());
        assert!(text.contains("| CPU | CPU / X |"), "{text}");
        assert!(text.contains("## Kernels"), "{text}");
        assert!(!text.contains("## Programs"), "{text}");
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
            text.contains(
                "| suite | metric | qemu vs native | vm interp vs native | vm interp vs qemu |"
            ),
            "{text}"
        );
        assert!(
            text.contains("| Kernels | wall-clock time | 0.500 | 0.125 | 0.250 |"),
            "{text}"
        );
        assert!(
            text.contains("| Kernels | user+system CPU time | 0.500 | 0.125 | 0.250 |"),
            "{text}"
        );
        assert!(text.contains("![speed relative to qemu-riscv64](c.png)"));
        assert!(text.contains("None: every run"));
    }

    #[test]
    fn programs_get_their_own_section_and_geomean() {
        let cases = vec![
            fib(),
            result("lua", Group::Programs, Reference::Native, [1.0, 2.0, 1.0]),
            result("sqlite", Group::Programs, Reference::Qemu, [1.0, 8.0, 16.0]),
        ];
        let text = render(&results(cases, vec![]), &machine(), &info());
        let programs = text.find("## Programs").expect("programs section");
        assert!(text.find("## Kernels").unwrap() < programs, "{text}");
        // vs native: qemu 0.5 and 0.125, interp 1.0 and 0.0625; vs qemu:
        // interp 2.0 and 0.5 (geomean 1.0: the kernel's 0.25 is not in it).
        let after = &text[programs..];
        assert!(after.contains("| lua | 0.500 | 1.000 |"), "{text}");
        assert!(after.contains("| sqlite | 0.125 | 0.062 |"), "{text}");
        assert!(
            after.contains("| **geomean** | **0.250** | **0.250** |"),
            "{text}"
        );
        assert!(after.contains("| lua | 2.000 | 2.000 |"), "{text}");
        assert!(after.contains("| sqlite | 8.000 | 0.500 |"), "{text}");
        assert!(
            after.contains("| **geomean** | **4.000** | **1.000** |"),
            "{text}"
        );
        assert!(
            text.contains("| Programs | wall-clock time | 0.250 | 0.250 | 1.000 |"),
            "{text}"
        );
        assert!(
            after.contains(
                "against qemu-riscv64's, not native's (it differs between ISAs): sqlite."
            ),
            "{text}"
        );
    }

    #[test]
    fn errors_are_listed() {
        let e = RunError {
            case: "fib",
            runner: "vm jit".into(),
            run: 2,
            message: "output mismatch".into(),
        };
        let text = render(&results(vec![fib()], vec![e]), &machine(), &info());
        assert!(
            text.contains("- ERROR fib / vm jit / run 2: output mismatch"),
            "{text}"
        );
        assert!(!text.contains("None: every run"));
    }
}
