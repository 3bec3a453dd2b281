//! One invocation: build what is needed, run the suite, write the reports.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, anyhow, bail};

use crate::Options;
use crate::case::{Case, Group, Selection};
use crate::compile::BuildDirs;
use crate::date::DateTime;
use crate::machine::Machine;
use crate::report::{self, ReportInfo};
use crate::runner::{self, Runner};
use crate::{chart, kernels, programs, suite};

/// The workspace root, known at compile time (the harness runs from its
/// source tree).
fn repo_root() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    root.canonicalize().unwrap_or(root)
}

/// Runs everything `options` asks for. `Ok(false)` means the report was
/// written but lists failed runs.
pub fn run(options: &Options) -> Result<bool> {
    let root = repo_root();
    let selection = selection(options);
    check_filters(options, selection).map_err(|e| anyhow!(e))?;
    let kernels = if selection.includes(Group::Kernels) {
        kernels::select(options.kernels.as_deref()).map_err(|e| anyhow!(e))?
    } else {
        Vec::new()
    };
    let programs = if selection.includes(Group::Programs) {
        programs::select(options.programs.as_deref()).map_err(|e| anyhow!(e))?
    } else {
        Vec::new()
    };
    let engines = runner::parse_engines(&options.engines).map_err(|e| anyhow!(e))?;
    let target_dir =
        std::env::var_os("CARGO_TARGET_DIR").map_or_else(|| root.join("target"), PathBuf::from);
    let vm = match &options.vm {
        Some(path) => path.clone(),
        None => build_vm(&root, &target_dir)?,
    };
    if !vm.is_file() {
        bail!("vm binary {} does not exist", vm.display());
    }
    // Absolute, because programs run in their scratch directories.
    let vm = std::path::absolute(&vm).unwrap_or(vm);
    let build_dir = options
        .build_dir
        .clone()
        .unwrap_or_else(|| target_dir.join("bench"));
    // Absolute, because programs run in their scratch directories.
    let build_dir = std::path::absolute(&build_dir).unwrap_or(build_dir);
    let dirs = BuildDirs {
        source_dir: root.join("bench/kernels"),
        build_dir: build_dir.clone(),
    };
    dirs.build_all(&kernels)?;
    let mut cases: Vec<Case> = kernels
        .iter()
        .map(|k| dirs.case(k, options.quick))
        .collect();
    if !programs.is_empty() {
        let sources = vm_real_software::sources::locate_or_fetch(&root)?;
        cases.extend(programs::build(&programs, &sources, &root, &build_dir)?);
    }

    let when = DateTime::now();
    let config = suite::Config {
        cases,
        runners: Runner::all(&engines),
        runs: options.runs,
        quick: options.quick,
        vm,
        scratch_dir: build_dir.join("run"),
        timeout: Duration::from_secs(options.timeout_s.max(1)),
    };
    let results = suite::run(&config)?;
    let machine = Machine::describe(&root);

    let out_dir = options
        .out_dir
        .clone()
        .unwrap_or_else(|| root.join("bench/results"));
    std::fs::create_dir_all(&out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let stem = format!("{}-{}", when.date(), file_safe(&machine.host));
    let command = std::iter::once("vm-bench".to_string())
        .chain(std::env::args().skip(1))
        .collect::<Vec<_>>()
        .join(" ");
    let mut latest = String::new();
    for name in [stem.as_str(), "latest"] {
        let png = format!("{name}.png");
        let chart_result = chart::draw(&results, options.metric, &out_dir.join(&png));
        let chart_error = chart_result.as_ref().err().map(|e| format!("{e:#}"));
        if let Some(e) = &chart_error {
            eprintln!("vm-bench: warning: no chart: {e}");
        }
        let info = ReportInfo {
            when: &when.display(),
            command: &command,
            metric: options.metric,
            chart: chart_result.is_ok().then_some(png.as_str()),
            chart_error: chart_error.as_deref(),
        };
        let text = report::render(&results, &machine, &info);
        let md = out_dir.join(format!("{name}.md"));
        std::fs::write(&md, &text).with_context(|| format!("writing {}", md.display()))?;
        eprintln!("vm-bench: wrote {}", md.display());
        latest = text;
    }
    println!("{latest}");
    Ok(results.errors.is_empty())
}

/// The suites to run: `--suite`, else all, or only the kernels with
/// `--quick` (programs have no quick size).
fn selection(options: &Options) -> Selection {
    match options.suite {
        Some(s) => s,
        None if options.quick => Selection::Kernels,
        None => Selection::All,
    }
}

/// A name filter for a suite that does not run is an error, not a silent
/// no-op (`--quick --programs lua` would otherwise run only kernels).
fn check_filters(options: &Options, selection: Selection) -> Result<(), String> {
    for (filter, option, group) in [
        (&options.kernels, "--kernels", Group::Kernels),
        (&options.programs, "--programs", Group::Programs),
    ] {
        if filter.is_some() && !selection.includes(group) {
            return Err(format!(
                "{option} names {} that do not run: add --suite {} or --suite all{}",
                group.title().to_lowercase(),
                group.title().to_lowercase(),
                if options.quick && options.suite.is_none() {
                    " (--quick runs only the kernels by default)"
                } else {
                    ""
                }
            ));
        }
    }
    Ok(())
}

/// Builds `vm` in release mode with the cargo that runs us (or `cargo`).
fn build_vm(root: &Path, target_dir: &Path) -> Result<PathBuf> {
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("vm-bench: cargo build --release -p vm-cli");
    let status = Command::new(&cargo)
        .current_dir(root)
        .args(["build", "--release", "-p", "vm-cli"])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!(
            "cargo build --release -p vm-cli failed ({status}); pass --vm PATH to use a prebuilt vm"
        );
    }
    Ok(runner::default_vm_path(target_dir))
}

/// `name` with anything but letters, digits, '-' and '_' replaced by '_'.
fn file_safe(name: &str) -> String {
    name.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_names_become_file_safe() {
        assert_eq!(file_safe("box-1.example/x"), "box-1_example_x");
    }

    #[test]
    fn quick_runs_only_the_kernels_unless_told_otherwise() {
        use clap::Parser;
        let parse = |args: &[&str]| Options::parse_from(["vm-bench"].iter().chain(args));
        assert_eq!(selection(&parse(&[])), Selection::All);
        assert_eq!(selection(&parse(&["--quick"])), Selection::Kernels);
        assert_eq!(
            selection(&parse(&["--quick", "--suite", "programs"])),
            Selection::Programs
        );
        assert_eq!(
            selection(&parse(&["--suite", "kernels"])),
            Selection::Kernels
        );
    }

    #[test]
    fn filters_of_suites_that_do_not_run_are_errors() {
        use clap::Parser;
        let check = |args: &[&str]| {
            let o = Options::parse_from(["vm-bench"].iter().chain(args));
            check_filters(&o, selection(&o))
        };
        assert!(check(&["--programs", "lua"]).is_ok());
        assert!(check(&["--quick", "--programs", "lua", "--suite", "all"]).is_ok());
        let e = check(&["--quick", "--programs", "lua"]).unwrap_err();
        assert!(e.contains("--quick runs only the kernels"), "{e}");
        assert!(check(&["--suite", "programs", "--kernels", "fib"]).is_err());
        assert!(check(&["--suite", "kernels", "--kernels", "fib"]).is_ok());
    }

    #[test]
    fn repo_root_holds_the_kernels() {
        assert!(repo_root().join("bench/kernels/common.h").is_file());
    }
}
