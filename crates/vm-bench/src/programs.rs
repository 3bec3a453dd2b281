//! The "programs" suite: real software with thousands of warm blocks, where
//! a VM's translation and dispatch costs show, unlike in the small kernels.
//! Lua runs `tests/real/lua/bench.lua`, zstd and SQLite their drivers in
//! `tests/real/` — the programs vm-cli's real-software test compares with
//! qemu, here measured natively, under qemu and under each engine.
//!
//! Programs have no size parameter: `--quick` leaves them out unless
//! `--suite` names them.

use std::path::{Path, PathBuf};
use std::thread;

use anyhow::{Result, anyhow, bail};

use vm_real_software::steps::{self, Flags, Plan, Step};
use vm_real_software::{Builder, Sources};

use crate::case::{Arg, Case, Group, Reference};
use crate::compile::{CFLAGS, Target};

/// An argument of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProgramArg {
    /// A file of the repository, passed as an absolute path.
    Repo(&'static str),
    /// A fresh, empty scratch directory for every run.
    Scratch,
}

/// One program of the suite.
#[derive(Debug, Clone, Copy)]
pub struct Program {
    /// Name in the report and of the binaries.
    pub name: &'static str,
    /// What it does, for the report.
    pub character: &'static str,
    /// Its arguments.
    pub args: &'static [ProgramArg],
    /// Whose output the runs must print.
    pub reference: Reference,
    /// Its build steps; the last one makes the binary.
    pub steps: fn(Plan) -> Result<Vec<Step>>,
}

/// The build flags of both targets: the kernels' flags (`-O2 -static`)
/// first, so the programs are compiled as the kernels are.
const FLAGS: Flags = Flags {
    cflags: CFLAGS,
    march: None,
    link_flags: &[],
};

/// Every program, in report order.
pub const PROGRAMS: &[Program] = &[
    Program {
        name: "lua",
        character: "Lua 5.5 interpreter: bench.lua (n-body, sort, sieve, fannkuch, strings)",
        args: &[
            ProgramArg::Repo("tests/real/lua/bench.lua"),
            ProgramArg::Scratch,
        ],
        reference: Reference::Native,
        steps: steps::lua_steps,
    },
    Program {
        name: "zstd",
        character: "zstd 1.5: compress/decompress, levels 1-19, streaming, dictionary",
        args: &[],
        reference: Reference::Native,
        steps: steps::zstd_steps,
    },
    Program {
        name: "sqlite",
        character: "SQLite 3: inserts, indexes, joins, window functions; journal and WAL files",
        args: &[ProgramArg::Scratch],
        // The driver builds names with `snprintf(.., first[next_rand() % 10],
        // 'A' + next_rand() % 26, ..)`: C leaves the order of evaluation of
        // arguments unspecified, and gcc evaluates them in a different
        // order on each ISA, so native prints other names (same numbers).
        reference: Reference::Qemu,
        steps: steps::sqlite_steps,
    },
];

/// The programs whose name contains one of the comma-separated `filter`
/// words (all for `None`); an unmatched word is an error.
pub fn select(filter: Option<&str>) -> Result<Vec<Program>, String> {
    crate::case::select_by_name(PROGRAMS, |p| p.name, filter, "programs", "program")
}

/// Where `target`'s program binaries go under the harness's build dir.
pub fn out_dir(build_dir: &Path, target: Target) -> PathBuf {
    build_dir.join(target.dir_name()).join("programs")
}

/// Builds `programs` for both targets (one thread per target: two
/// compilers at a time on a small machine) and returns their cases.
pub fn build(
    programs: &[Program],
    sources: &Sources,
    root: &Path,
    build_dir: &Path,
) -> Result<Vec<Case>> {
    let real = root.join("tests/real");
    let build_target = |target: Target| -> Result<Vec<PathBuf>> {
        let out = out_dir(build_dir, target);
        let plan = Plan {
            sources,
            real: &real,
            out: &out,
            flags: FLAGS,
        };
        let builder = Builder {
            compiler: target.compiler(),
            out_dir: &out,
        };
        programs
            .iter()
            .map(|p| {
                let steps = (p.steps)(plan)?;
                let mut last = None;
                for step in &steps {
                    last = Some(builder.build(step)?);
                }
                last.ok_or_else(|| anyhow!("{}: no build steps", p.name))
            })
            .collect()
    };
    let (riscv64, x86_64) = thread::scope(|s| {
        let guest = s.spawn(|| build_target(Target::Riscv64));
        let native = build_target(Target::X86_64);
        let guest = guest
            .join()
            .unwrap_or_else(|_| Err(anyhow!("riscv64 build thread panicked")));
        (guest, native)
    });
    let (riscv64, x86_64) = (riscv64?, x86_64?);
    programs
        .iter()
        .zip(riscv64.into_iter().zip(x86_64))
        .map(|(p, (r, x))| case(p, root, r, x))
        .collect()
}

/// The case of `program` with its two binaries.
pub fn case(program: &Program, root: &Path, riscv64: PathBuf, x86_64: PathBuf) -> Result<Case> {
    let mut args = Vec::new();
    let mut params = Vec::new();
    for a in program.args {
        match a {
            ProgramArg::Repo(rel) => {
                let path = root.join(rel);
                if !path.is_file() {
                    bail!("{}: {} does not exist", program.name, path.display());
                }
                args.push(Arg::Plain(path.into_os_string()));
                params.push(rel.rsplit('/').next().unwrap_or(rel).to_string());
            }
            ProgramArg::Scratch => {
                args.push(Arg::Scratch);
                params.push("DIR".into());
            }
        }
    }
    Ok(Case {
        name: program.name,
        group: Group::Programs,
        character: program.character,
        params: if params.is_empty() {
            "—".into()
        } else {
            params.join(" ")
        },
        startup: false,
        riscv64,
        x86_64,
        args,
        reference: program.reference,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    #[test]
    fn every_program_has_its_driver_and_files() {
        let real = root().join("tests/real");
        for f in ["lua_main.c", "zstd_driver.c", "sqlite_driver.c"] {
            assert!(real.join(f).is_file(), "missing {f}");
        }
        for p in PROGRAMS {
            let c = case(p, &root(), "r".into(), "x".into()).unwrap();
            assert_eq!(c.group, Group::Programs);
            assert!(!c.startup);
        }
    }

    #[test]
    fn cases_get_absolute_repo_paths_and_scratch_dirs() {
        let lua = PROGRAMS.iter().find(|p| p.name == "lua").unwrap();
        let c = case(lua, &root(), "/r/lua".into(), "/x/lua".into()).unwrap();
        assert_eq!(c.params, "bench.lua DIR");
        let argv = c.argv(Path::new("/s"));
        assert_eq!(argv.len(), 2);
        assert!(Path::new(&argv[0]).is_absolute() && Path::new(&argv[0]).is_file());
        assert_eq!(argv[1], "/s");
        let sqlite = PROGRAMS.iter().find(|p| p.name == "sqlite").unwrap();
        let c = case(sqlite, &root(), "r".into(), "x".into()).unwrap();
        assert_eq!(c.args, [Arg::Scratch]);
        let zstd = PROGRAMS.iter().find(|p| p.name == "zstd").unwrap();
        let c = case(zstd, &root(), "r".into(), "x".into()).unwrap();
        assert!(c.args.is_empty() && !c.needs_scratch());
    }

    #[test]
    fn filter_selects_by_substring_and_rejects_unknown_words() {
        let names = |f| -> Vec<&str> { select(f).unwrap().iter().map(|p| p.name).collect() };
        assert_eq!(names(Some("sql,lua")), ["lua", "sqlite"]);
        assert_eq!(names(None), ["lua", "zstd", "sqlite"]);
        assert!(select(Some("python")).is_err());
        assert!(select(Some(" , ")).is_err());
    }
}
