//! Real software under the VM: the Lua interpreter, zstd and SQLite.
//!
//! Kernel-sized test programs miss the bugs that only show up in large,
//! optimised code: an interpreter's dispatch loop, a compressor's bit
//! twiddling, a database's B-trees, file locking and journalling. The C
//! sources come from the crates `lua-src`, `zstd-sys` and `libsqlite3-sys`
//! (dev-dependencies of this crate, so cargo downloads them; they are found
//! through `cargo metadata`). They are cross-compiled at test time with
//! `-O2 -static` into `CARGO_TARGET_TMPDIR/real-software`, where builds are
//! cached: a binary is rebuilt only when a source is newer than it or its
//! compiler command line changed.
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
use std::process::Command;
use std::thread;
use std::time::{Duration, Instant};

/// Wall-clock limit for one guest run (debug builds of the VM are slow).
const RUN_TIMEOUT: Duration = Duration::from_secs(300);
/// Optimisation and code-generation flags for every guest build.
const CFLAGS: &[&str] = &["-O2", "-g0", "-w"];
/// `-march` of the second Lua build: the bit-manipulation extensions.
const BITMANIP_MARCH: &str = "rv64gc_zba_zbb_zbs";
/// Lua configuration: POSIX facilities, and a fixed hash/random seed so the
/// interpreter behaves identically on every run (the default seed mixes in
/// the time and a stack address).
const LUA_DEFINES: &[&str] = &["-DLUA_USE_POSIX", "-Dluai_makeseed()=0u"];
/// zstd configuration: no x86 assembly, no legacy formats, no threads.
const ZSTD_DEFINES: &[&str] = &["-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0"];
/// SQLite configuration: single-threaded, no extension loading (static
/// binary), with the SQL math functions.
const SQLITE_DEFINES: &[&str] = &[
    "-DSQLITE_THREADSAFE=0",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
    "-DSQLITE_ENABLE_MATH_FUNCTIONS",
];

// ---------------------------------------------------------------------------
// Locations and tools

fn real_dir() -> PathBuf {
    common::repo_path("tests/real")
}

fn work_dir() -> PathBuf {
    common::target_tmp("real-software")
}

/// Source directories of the three C code bases.
struct Sources {
    /// Directory holding the Lua 5.5 library sources (`lapi.c`, ...).
    lua: PathBuf,
    /// zstd's `lib` directory.
    zstd: PathBuf,
    /// Directory holding the SQLite amalgamation `sqlite3.c`.
    sqlite: PathBuf,
}

/// The exact version this crate's Cargo.toml pins for `package`, from a line
/// `package = { version = "=X", ... }` (the dev-dependencies that carry the
/// C sources). Reading the pin keeps the manifest the single place that
/// says which versions are used.
fn pinned_version(manifest: &str, package: &str) -> Option<String> {
    manifest.lines().find_map(|line| {
        let rest = line.trim().strip_prefix(package)?.trim_start();
        let rest = rest.strip_prefix('=')?;
        let at = rest.find("version")?;
        let rest = rest[at + "version".len()..]
            .trim_start()
            .strip_prefix('=')?;
        let rest = rest.trim_start().strip_prefix('"')?;
        let value = &rest[..rest.find('"')?];
        Some(value.trim_start_matches('=').to_string())
    })
}

/// True when a registry directory name is `package-version`, possibly with
/// semver build metadata (`zstd-sys-2.1.3+zstd.1.5.7`).
fn is_package_dir(name: &str, package: &str, version: &str) -> bool {
    name.strip_prefix(package)
        .and_then(|r| r.strip_prefix('-'))
        .and_then(|r| r.strip_prefix(version))
        .is_some_and(|r| r.is_empty() || r.starts_with('+'))
}

/// Finds the unpacked sources of the dev-dependencies in cargo's registry
/// (`$CARGO_HOME/registry/src/*/NAME-VERSION`), where cargo put them when
/// it built this test. `cargo metadata` would be the official route, but it
/// needs every package of the whole workspace downloaded, which fails while
/// a teammate's new dependency is not fetched yet.
fn locate_sources() -> Result<Sources, String> {
    let manifest_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("Cargo.toml");
    let manifest = fs::read_to_string(&manifest_path)
        .map_err(|e| format!("{}: {e}", manifest_path.display()))?;
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| Path::new(&h).join(".cargo")))
        .ok_or("neither CARGO_HOME nor HOME is set")?;
    let registry = cargo_home.join("registry/src");
    let indexes: Vec<PathBuf> = fs::read_dir(&registry)
        .map_err(|e| format!("{}: {e}", registry.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    let find = |package: &str, marker: &str| -> Result<PathBuf, String> {
        let version = pinned_version(&manifest, package).ok_or_else(|| {
            format!(
                "{} pins no exact version of {package}",
                manifest_path.display()
            )
        })?;
        indexes
            .iter()
            .filter_map(|index| fs::read_dir(index).ok())
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| is_package_dir(&e.file_name().to_string_lossy(), package, &version))
            .map(|e| e.path().join(marker))
            .find(|p| p.is_file())
            .and_then(|p| p.parent().map(Path::to_path_buf))
            .ok_or_else(|| {
                format!(
                    "{package} {version} with {marker} not found under {}; \
                     `cargo test -p vm-cli` downloads it",
                    registry.display()
                )
            })
    };
    Ok(Sources {
        lua: find("lua-src", "lua-5.5.1/lapi.c")?,
        zstd: find("zstd-sys", "zstd/lib/zstd.h")?,
        sqlite: find("libsqlite3-sys", "sqlite3/sqlite3.c")?,
    })
}

// ---------------------------------------------------------------------------
// Building

/// The `.c` (and, with `headers`, `.h`) files directly inside `dir`, sorted.
fn c_files(dir: &Path, headers: bool) -> Result<Vec<PathBuf>, String> {
    let mut files: Vec<PathBuf> = fs::read_dir(dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| match p.extension().and_then(|e| e.to_str()) {
            Some("c") => true,
            Some("h") => headers,
            _ => false,
        })
        .collect();
    files.sort();
    Ok(files)
}

/// One compiler invocation whose output is cached.
struct BuildStep {
    /// Output file name inside the work directory's `bin/`.
    output: String,
    /// Compiler arguments, without `-o`.
    args: Vec<OsString>,
    /// Files whose change forces a rebuild (sources and headers).
    inputs: Vec<PathBuf>,
}

/// Runs `step` unless its output is newer than every input and was built
/// with the same command line (kept in a `.cmd` file next to it). Returns
/// the output path.
fn build(step: &BuildStep) -> Result<PathBuf, String> {
    let dir = work_dir().join("bin");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let out = dir.join(&step.output);
    let cmd_file = dir.join(format!("{}.cmd", step.output));
    let cmdline = step
        .args
        .iter()
        .map(|a| a.to_string_lossy())
        .collect::<Vec<_>>()
        .join(" ");
    let newest_input = step.inputs.iter().filter_map(|p| common::mtime(p)).max();
    if common::newer_than(&out, newest_input)
        && fs::read_to_string(&cmd_file).is_ok_and(|c| c == cmdline)
    {
        return Ok(out);
    }
    let tmp = dir.join(format!("{}.tmp", step.output));
    let started = Instant::now();
    let mut cmd = Command::new(CROSS_GCC);
    cmd.args(&step.args);
    common::build_then_rename(cmd, &tmp, &out, &step.output)?;
    fs::write(&cmd_file, &cmdline).map_err(|e| format!("{}: {e}", cmd_file.display()))?;
    eprintln!(
        "built {} in {:.1}s",
        step.output,
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

/// Arguments shared by every build, followed by `-I` for each include dir.
fn base_args(includes: &[&Path], defines: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = CFLAGS.iter().map(OsString::from).collect();
    args.extend(defines.iter().map(OsString::from));
    for dir in includes {
        args.push("-I".into());
        args.push(dir.as_os_str().to_owned());
    }
    args
}

/// The Lua library plus the `lua_main.c` front end, for the compiler's
/// default ISA or, with `march`, for that `-march=` value.
fn lua_step(src: &Sources, march: Option<&str>) -> Result<BuildStep, String> {
    let lua = &src.lua;
    let driver = real_dir().join("lua_main.c");
    let mut args = base_args(&[lua], LUA_DEFINES);
    if let Some(march) = march {
        args.push(format!("-march={march}").into());
    }
    args.push("-static".into());
    args.push(driver.clone().into());
    args.extend(c_files(lua, false)?.into_iter().map(OsString::from));
    args.push("-lm".into());
    let mut inputs = c_files(lua, true)?;
    inputs.push(driver);
    Ok(BuildStep {
        output: match march {
            Some(march) => format!("lua-{march}"),
            None => "lua".into(),
        },
        args,
        inputs,
    })
}

/// The zstd library (compression, decompression, dictionary builder) plus
/// `zstd_driver.c`.
fn zstd_step(src: &Sources) -> Result<BuildStep, String> {
    let lib = &src.zstd;
    let driver = real_dir().join("zstd_driver.c");
    let common = lib.join("common");
    let mut args = base_args(&[lib, &common], ZSTD_DEFINES);
    args.push("-static".into());
    args.push(driver.clone().into());
    let mut inputs = vec![driver];
    for sub in ["common", "compress", "decompress", "dictBuilder"] {
        args.extend(
            c_files(&lib.join(sub), false)?
                .into_iter()
                .map(OsString::from),
        );
        inputs.extend(c_files(&lib.join(sub), true)?);
    }
    inputs.extend(c_files(lib, true)?);
    Ok(BuildStep {
        output: "zstd_driver".into(),
        args,
        inputs,
    })
}

/// The SQLite amalgamation, compiled to an object on its own (it is by far
/// the slowest compile, so driver edits must not redo it).
fn sqlite_object_step(src: &Sources) -> BuildStep {
    let dir = &src.sqlite;
    let source = dir.join("sqlite3.c");
    let mut args = base_args(&[dir], SQLITE_DEFINES);
    args.push("-c".into());
    args.push(source.clone().into());
    BuildStep {
        output: "sqlite3.o".into(),
        args,
        inputs: vec![source, dir.join("sqlite3.h")],
    }
}

/// `sqlite_driver.c` linked with the amalgamation object.
fn sqlite_step(src: &Sources, object: &Path) -> BuildStep {
    let dir = &src.sqlite;
    let driver = real_dir().join("sqlite_driver.c");
    let mut args = base_args(&[dir], &[]);
    args.push("-static".into());
    args.push(driver.clone().into());
    args.push(object.as_os_str().to_owned());
    args.push("-lm".into());
    BuildStep {
        output: "sqlite_driver".into(),
        args,
        inputs: vec![driver, object.to_path_buf(), dir.join("sqlite3.h")],
    }
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

/// Builds the three programs, each on its own thread (SQLite first: it is
/// the long pole).
fn build_all(src: &Sources) -> Result<Binaries, String> {
    thread::scope(|s| {
        let sqlite = s.spawn(|| {
            let object = build(&sqlite_object_step(src))?;
            build(&sqlite_step(src, &object))
        });
        let lua = s.spawn(|| build(&lua_step(src, None)?));
        let lua_bitmanip = s.spawn(|| build(&lua_step(src, Some(BITMANIP_MARCH))?));
        let zstd = s.spawn(|| build(&zstd_step(src)?));
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
    let sources = locate_sources().unwrap_or_else(|e| panic!("{e}"));
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

#[test]
fn pinned_versions_are_read_from_the_manifest() {
    let manifest = "[dev-dependencies]\n\
        lua-src = { version = \"=551.1.0\", default-features = false }\n\
        zstd-sys = { version = \"=2.1.3\" }\n\
        libsqlite3-sys-extra = { version = \"=9\" }\n\
        libsqlite3-sys = { version = \"=0.40.0\", features = [\"x\"] }\n";
    assert_eq!(
        pinned_version(manifest, "lua-src").as_deref(),
        Some("551.1.0")
    );
    assert_eq!(
        pinned_version(manifest, "zstd-sys").as_deref(),
        Some("2.1.3")
    );
    assert_eq!(
        pinned_version(manifest, "libsqlite3-sys").as_deref(),
        Some("0.40.0")
    );
    assert_eq!(pinned_version(manifest, "lua"), None);
}

#[test]
fn package_dirs_match_version_and_build_metadata() {
    assert!(is_package_dir(
        "zstd-sys-2.1.3+zstd.1.5.7",
        "zstd-sys",
        "2.1.3"
    ));
    assert!(is_package_dir("lua-src-551.1.0", "lua-src", "551.1.0"));
    assert!(!is_package_dir("lua-src-551.1.01", "lua-src", "551.1.0"));
    assert!(!is_package_dir("lua-src-547.0.0", "lua-src", "551.1.0"));
    assert!(!is_package_dir(
        "libsqlite3-sys-0.40.0",
        "sqlite3-sys",
        "0.40.0"
    ));
}
