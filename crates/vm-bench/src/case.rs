//! A benchmark case: one program, built for both ISAs, with its arguments,
//! the suite it belongs to and whose output the others must reproduce.
//!
//! Both suites become cases before anything runs, so that the runner, the
//! statistics, the report and the chart treat a three-line kernel and SQLite
//! alike and differ only where the suites really differ (grouping, the
//! reference output, a scratch directory).

use std::ffi::OsString;
use std::path::{Path, PathBuf};

/// The suites: summarised separately, because a geometric mean over small
/// loops says little about programs with thousands of warm blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Group {
    /// The small C kernels of `bench/kernels`.
    Kernels,
    /// Real programs (Lua, zstd, SQLite) built from their C sources.
    Programs,
}

impl Group {
    /// Every group, in report order.
    pub const ALL: [Group; 2] = [Group::Kernels, Group::Programs];

    /// Title in the report and the chart.
    pub fn title(self) -> &'static str {
        match self {
            Group::Kernels => "Kernels",
            Group::Programs => "Programs",
        }
    }
}

/// The `--suite` choice.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Selection {
    /// Only the kernels.
    Kernels,
    /// Only the real programs.
    Programs,
    /// Both suites.
    All,
}

impl Selection {
    /// Whether this choice runs `group`.
    pub fn includes(self, group: Group) -> bool {
        matches!(
            (self, group),
            (Selection::All, _)
                | (Selection::Kernels, Group::Kernels)
                | (Selection::Programs, Group::Programs)
        )
    }
}

/// One command-line argument of a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Arg {
    /// Passed as is.
    Plain(OsString),
    /// A fresh, empty directory made for every single run (also the run's
    /// working directory), so that no run sees files of an earlier one.
    Scratch,
}

/// Whose output every run must print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reference {
    /// The native (x86-64) build's: the riscv64 runs must print exactly it.
    Native,
    /// qemu-riscv64's, for a program whose output legitimately differs
    /// between ISAs; native runs then only have to exit 0.
    Qemu,
}

/// One program to measure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Case {
    /// Name in the report.
    pub name: &'static str,
    /// The suite it belongs to.
    pub group: Group,
    /// What it stresses, for the report.
    pub character: &'static str,
    /// Its parameters as the report shows them (a size, a script name).
    pub params: String,
    /// A start-up measurement: reported, but left out of geometric means.
    pub startup: bool,
    /// The riscv64 build, run by qemu and the vm engines.
    pub riscv64: PathBuf,
    /// The x86-64 build, run natively.
    pub x86_64: PathBuf,
    /// Its arguments.
    pub args: Vec<Arg>,
    /// Whose output the runs are checked against.
    pub reference: Reference,
}

impl Case {
    /// The build `guest` (riscv64) or native (x86-64) runners execute.
    pub fn binary(&self, guest: bool) -> &Path {
        if guest { &self.riscv64 } else { &self.x86_64 }
    }

    /// Whether a run needs a scratch directory.
    pub fn needs_scratch(&self) -> bool {
        self.args.contains(&Arg::Scratch)
    }

    /// The arguments of one run, with `scratch` for [`Arg::Scratch`].
    pub fn argv(&self, scratch: &Path) -> Vec<OsString> {
        self.args
            .iter()
            .map(|a| match a {
                Arg::Plain(s) => s.clone(),
                Arg::Scratch => scratch.as_os_str().to_owned(),
            })
            .collect()
    }
}

/// The items whose name contains one of the comma-separated `filter`
/// words (all for `None`), for option `--{option}` naming `{what}`s. An
/// unmatched word is an error, so that a typo does not silently run
/// nothing.
pub fn select_by_name<T: Copy>(
    all: &[T],
    name: fn(&T) -> &'static str,
    filter: Option<&str>,
    option: &str,
    what: &str,
) -> Result<Vec<T>, String> {
    let Some(filter) = filter else {
        return Ok(all.to_vec());
    };
    let words: Vec<&str> = filter
        .split(',')
        .map(str::trim)
        .filter(|w| !w.is_empty())
        .collect();
    if words.is_empty() {
        return Err(format!("--{option}: empty filter"));
    }
    if let Some(w) = words
        .iter()
        .find(|w| !all.iter().any(|x| name(x).contains(**w)))
    {
        let names: Vec<&str> = all.iter().map(name).collect();
        return Err(format!(
            "--{option}: no {what} matches {w:?} ({what}s: {})",
            names.join(", ")
        ));
    }
    Ok(all
        .iter()
        .filter(|x| words.iter().any(|w| name(x).contains(w)))
        .copied()
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn selections_include_their_groups() {
        assert!(Selection::All.includes(Group::Kernels));
        assert!(Selection::All.includes(Group::Programs));
        assert!(Selection::Kernels.includes(Group::Kernels));
        assert!(!Selection::Kernels.includes(Group::Programs));
        assert!(Selection::Programs.includes(Group::Programs));
        assert!(!Selection::Programs.includes(Group::Kernels));
    }

    #[test]
    fn scratch_arguments_are_substituted() {
        let case = Case {
            name: "lua",
            group: Group::Programs,
            character: "",
            params: String::new(),
            startup: false,
            riscv64: "/r/lua".into(),
            x86_64: "/x/lua".into(),
            args: vec![Arg::Plain("bench.lua".into()), Arg::Scratch],
            reference: Reference::Native,
        };
        assert!(case.needs_scratch());
        assert_eq!(
            case.argv(Path::new("/tmp/s")),
            [OsString::from("bench.lua"), OsString::from("/tmp/s")]
        );
        assert_eq!(case.binary(true), Path::new("/r/lua"));
        assert_eq!(case.binary(false), Path::new("/x/lua"));
    }
}
