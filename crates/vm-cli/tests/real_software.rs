//! Real software under the VM: the Lua interpreter, zstd and SQLite.
//!
//! Kernel-sized test programs miss the bugs that only show up in large,
//! optimised code: an interpreter's dispatch loop, a compressor's bit
//! twiddling, a database's B-trees, file locking and journalling. The C
//! sources come from the crates `lua-src`, `zstd-sys` and `libsqlite3-sys`
//! (dev-dependencies of this crate, so cargo downloads them). The crate
//! `vm-real-software` finds them in cargo's registry and holds their build
//! steps (files, `-D` configuration) and build cache, shared with vm-bench's
//! programs suite. They are cross-compiled at test time with `-O2 -static`
//! into `CARGO_TARGET_TMPDIR/real-software/bin`, where builds are cached: a
//! binary is rebuilt only when a source is newer than it or its compiler
//! command line changed.
//!
//! The guest-side sources live in `tests/real/`: a small standalone Lua
//! front end (`lua_main.c`, lua-src does not ship `lua.c`) with the scripts
//! in `tests/real/lua/` (each gets a scratch directory as its first
//! argument), a zstd driver and a SQLite driver. Lua is built twice, for
//! the compiler's default rv64gc and with Zba/Zbb/Zbs, and runs every script
//! in both builds. Every case runs
//! under `qemu-riscv64` (the reference) and under `vm run --engine E` for
//! each engine in [`common::ENGINES`]; stdout and the way the process ended must be
//! identical, and the qemu run must end as the case expects. Wall-clock
//! times of all runs are printed (see them with `--nocapture`) and written
//! to `real-software/timings.txt`.
//!
//! Environment:
//! - `REAL_TEST=a,b` runs only the cases whose name contains `a` or `b`;
//! - `REAL_ENGINES=interp,jit` overrides [`common::ENGINES`] (empty: qemu only);
//! - `CI` set: a missing cross compiler or qemu fails the test instead of
//!   skipping it.

mod common;

use common::differential::{
    Ending, Outcome, compare, engines_from_env, fresh_run_dir, guest_command, parallel_map,
    run_captured, stderr_tail,
};
use common::{CROSS_GCC, QEMU};
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::Duration;
use vm_real_software::steps::{self, Flags, Plan, Step};
use vm_real_software::{Builder, Sources, sources};

/// Wall-clock limit for one guest run (debug builds of the VM are slow).
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// Optimisation and code-generation flags, first on every guest build's
/// command line.
const CFLAGS: &[&str] = &["-O2", "-g0", "-w"];
/// Flags of the linking steps, after the include directories and `-march`.
const LINK_FLAGS: &[&str] = &["-static"];
/// `-march` of the second Lua build: the bit-manipulation extensions.
const BITMANIP_MARCH: &str = "rv64gc_zba_zbb_zbs";

// ---------------------------------------------------------------------------
// Locations and building

fn real_dir() -> PathBuf {
    common::repo_path("tests/real")
}

fn work_dir() -> PathBuf {
    common::target_tmp("real-software")
}

/// Built guest binaries.
struct Binaries {
    lua: PathBuf,
    /// Lua built with Zba/Zbb/Zbs, so the compiler's bit-manipulation
    /// instructions run inside a real interpreter.
    lua_bitmanip: PathBuf,
    zstd: PathBuf,
    sqlite: PathBuf,
}

/// Builds the three programs with the cross compiler into the work
/// directory's `bin/`, each on its own thread (SQLite first: it is the long
/// pole).
fn build_all(src: &Sources) -> Result<Binaries, String> {
    let real = real_dir();
    let out = work_dir().join("bin");
    let plan = |march| Plan {
        sources: src,
        real: &real,
        out: &out,
        flags: Flags {
            cflags: CFLAGS,
            march,
            link_flags: LINK_FLAGS,
        },
    };
    // Runs a program's steps in order; the last one makes the binary.
    let run = |steps: anyhow::Result<Vec<Step>>| -> Result<PathBuf, String> {
        let builder = Builder {
            compiler: CROSS_GCC,
            out_dir: &out,
        };
        let mut last = None;
        for step in &steps.map_err(|e| format!("{e:#}"))? {
            last = Some(builder.build(step).map_err(|e| format!("{e:#}"))?);
        }
        last.ok_or_else(|| "no build steps".to_string())
    };
    thread::scope(|s| {
        let sqlite = s.spawn(|| run(steps::sqlite_steps(plan(None))));
        let lua = s.spawn(|| run(steps::lua_steps(plan(None))));
        let lua_bitmanip = s.spawn(|| run(steps::lua_steps(plan(Some(BITMANIP_MARCH)))));
        let zstd = s.spawn(|| run(steps::zstd_steps(plan(None))));
        let join = |h: thread::ScopedJoinHandle<'_, Result<PathBuf, String>>| {
            h.join()
                .unwrap_or_else(|_| Err("build thread panicked".into()))
        };
        Ok(Binaries {
            sqlite: join(sqlite)?,
            lua: join(lua)?,
            lua_bitmanip: join(lua_bitmanip)?,
            zstd: join(zstd)?,
        })
    })
}

// ---------------------------------------------------------------------------
// Cases and runs

/// One guest argument.
#[derive(Clone, Debug)]
enum Arg {
    /// Passed as is.
    Plain(OsString),
    /// A fresh, empty directory (also the guest's working directory).
    TmpDir,
}

/// One program run to compare.
#[derive(Clone, Debug)]
struct Case {
    name: String,
    binary: PathBuf,
    args: Vec<Arg>,
    expect: Ending,
}

/// The exit status a Lua script declares with a `-- expect-exit: N` line
/// (0 when it declares none).
fn lua_expected_exit(script: &Path) -> Result<i32, String> {
    let text = fs::read_to_string(script).map_err(|e| format!("{}: {e}", script.display()))?;
    for line in text.lines() {
        if let Some(n) = line.trim().strip_prefix("-- expect-exit:") {
            return n
                .trim()
                .parse()
                .map_err(|_| format!("{}: bad expect-exit `{n}`", script.display()));
        }
    }
    Ok(0)
}

/// All cases, filtered by `REAL_TEST`.
fn cases(bins: &Binaries) -> Result<Vec<Case>, String> {
    let lua_dir = real_dir().join("lua");
    let mut scripts: Vec<PathBuf> = fs::read_dir(&lua_dir)
        .map_err(|e| format!("{}: {e}", lua_dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "lua"))
        .collect();
    scripts.sort();
    let mut all = Vec::new();
    for (prefix, binary) in [("lua", &bins.lua), ("lua-zb", &bins.lua_bitmanip)] {
        for script in &scripts {
            let stem = script
                .file_stem()
                .map_or_else(|| "?".into(), |s| s.to_string_lossy().into_owned());
            all.push(Case {
                name: format!("{prefix}-{stem}"),
                binary: binary.clone(),
                expect: Ending::Exit(lua_expected_exit(script)?),
                args: vec![Arg::Plain(script.clone().into_os_string()), Arg::TmpDir],
            });
        }
    }
    all.push(Case {
        name: "zstd".into(),
        binary: bins.zstd.clone(),
        args: Vec::new(),
        expect: Ending::Exit(0),
    });
    all.push(Case {
        name: "sqlite".into(),
        binary: bins.sqlite.clone(),
        args: vec![Arg::TmpDir],
        expect: Ending::Exit(0),
    });
    let filter = common::env_list("REAL_TEST").unwrap_or_default();
    all.retain(|c| filter.is_empty() || filter.iter().any(|f| c.name.contains(f.as_str())));
    Ok(all)
}

/// Runs `case` under qemu (`engine == None`) or the VM with `engine`.
fn run_case(case: &Case, engine: Option<&str>) -> Result<Outcome, String> {
    let label = format!("{}-{}", case.name, engine.unwrap_or("qemu"));
    let scratch = work_dir().join("run").join(&label);
    let tmpdir = fresh_run_dir(&scratch).map_err(|e| format!("{label}: {e}"))?;
    let mut cmd = guest_command(engine, None, &case.binary, &tmpdir);
    cmd.args(case.args.iter().map(|a| match a {
        Arg::Plain(s) => s.clone(),
        Arg::TmpDir => tmpdir.clone().into_os_string(),
    }))
    .env("HOME", &tmpdir);
    run_captured(cmd, &scratch, RUN_TIMEOUT).map_err(|e| format!("{label}: cannot run: {e}"))
}

/// Wall-clock time of one run, for the timing report.
struct Timing {
    case: String,
    runner: String,
    elapsed: Duration,
}

/// Runs one case under qemu and every engine; returns timings and failures.
fn check_case(case: &Case, engines: &[String]) -> (Vec<Timing>, Vec<String>) {
    let mut timings = Vec::new();
    let mut failures = Vec::new();
    let reference = match run_case(case, None) {
        Ok(o) => o,
        Err(e) => return (timings, vec![e]),
    };
    timings.push(Timing {
        case: case.name.clone(),
        runner: "qemu".into(),
        elapsed: reference.elapsed,
    });
    if reference.ending != case.expect {
        failures.push(format!(
            "{} under qemu: expected {}, got {} (the test program or its setup is wrong)\n  stderr:\n{}",
            case.name,
            case.expect,
            reference.ending,
            stderr_tail(&reference)
        ));
        return (timings, failures);
    }
    for engine in engines {
        match run_case(case, Some(engine)) {
            Ok(actual) => {
                timings.push(Timing {
                    case: case.name.clone(),
                    runner: engine.clone(),
                    elapsed: actual.elapsed,
                });
                let label = format!("{} (vm --engine {engine} vs qemu)", case.name);
                failures.extend(compare(&label, &reference, &actual));
            }
            Err(e) => failures.push(e),
        }
    }
    (timings, failures)
}

/// Formats the timings as a table: one row per case, one column per runner.
fn timing_table(timings: &[Timing], engines: &[String]) -> String {
    let mut rows: BTreeMap<&str, BTreeMap<&str, Duration>> = BTreeMap::new();
    for t in timings {
        rows.entry(&t.case)
            .or_default()
            .insert(&t.runner, t.elapsed);
    }
    let runners: Vec<&str> = std::iter::once("qemu")
        .chain(engines.iter().map(String::as_str))
        .collect();
    let mut out = format!("{:<18}", "case");
    for r in &runners {
        let _ = write!(out, "{r:>10}");
    }
    out.push('\n');
    for (case, times) in &rows {
        let _ = write!(out, "{case:<18}");
        for r in &runners {
            match times.get(r) {
                Some(d) => {
                    let _ = write!(out, "{:>9.2}s", d.as_secs_f64());
                }
                None => {
                    let _ = write!(out, "{:>10}", "-");
                }
            }
        }
        out.push('\n');
    }
    out
}

#[test]
fn real_software_matches_qemu() {
    if !common::tools_ready("real-software tests", &[CROSS_GCC, QEMU]) {
        return;
    }
    let sources = sources::locate(&common::repo_path("")).unwrap_or_else(|e| panic!("{e:#}"));
    let bins = build_all(&sources).unwrap_or_else(|e| panic!("{e}"));
    let cases = cases(&bins).unwrap_or_else(|e| panic!("{e}"));
    assert!(
        !cases.is_empty(),
        "no cases selected (REAL_TEST filters them all out?)"
    );
    let engines = engines_from_env("REAL_ENGINES");
    // Two threads: the machine is small and each case is a heavy guest run.
    let results = parallel_map(&cases, 2, |c| check_case(c, &engines));
    let mut timings = Vec::new();
    let mut failures = Vec::new();
    for (t, f) in results {
        timings.extend(t);
        failures.extend(f);
    }
    let table = timing_table(&timings, &engines);
    println!("wall-clock times:\n{table}");
    let _ = fs::write(work_dir().join("timings.txt"), &table);
    assert!(
        failures.is_empty(),
        "{} mismatch(es):\n{}",
        failures.len(),
        failures.join("\n")
    );
}
