//! Building the programs of the "programs" suite from their C sources, for
//! riscv64 and x86-64 with the same command line (only the compiler
//! differs): `-O2 -static` and the `-D` configuration of vm-cli's
//! real-software test, whose build this duplicates (see
//! `crates/vm-cli/tests/real_software.rs`: same defines, same files, the
//! SQLite amalgamation compiled to an object of its own).
//!
//! Builds are cached: a step's output is reused when it is newer than every
//! input and its command line (kept in a `.cmd` file next to it) is
//! unchanged, because SQLite's amalgamation alone takes a minute or more to
//! compile. Outputs are written under a temporary name and renamed, so an
//! interrupted build never leaves a half-written binary that looks fresh.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};

use crate::compile::{CFLAGS, Target};
use crate::real_sources::Sources;

/// Lua configuration: POSIX facilities, and a fixed hash/random seed so the
/// interpreter behaves identically on every run.
pub const LUA_DEFINES: &[&str] = &["-DLUA_USE_POSIX", "-Dluai_makeseed()=0u"];
/// zstd configuration: no x86 assembly (the same C code on both ISAs), no
/// legacy formats, no threads.
pub const ZSTD_DEFINES: &[&str] = &["-DZSTD_DISABLE_ASM", "-DZSTD_LEGACY_SUPPORT=0"];
/// SQLite configuration: single-threaded, no extension loading (static
/// binary), with the SQL math functions.
pub const SQLITE_DEFINES: &[&str] = &[
    "-DSQLITE_THREADSAFE=0",
    "-DSQLITE_OMIT_LOAD_EXTENSION",
    "-DSQLITE_ENABLE_MATH_FUNCTIONS",
];

/// One compiler invocation whose output is cached.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    /// Output file name inside the target's program directory.
    pub output: String,
    /// Compiler arguments, without `-o`.
    pub args: Vec<OsString>,
    /// Files whose change forces a rebuild (sources and headers).
    pub inputs: Vec<PathBuf>,
}

/// Where a program's C driver and scripts are, and where outputs go.
#[derive(Debug, Clone, Copy)]
pub struct Dirs<'a> {
    /// The unpacked crate sources.
    pub sources: &'a Sources,
    /// `tests/real` in the repository (drivers, Lua scripts).
    pub real: &'a Path,
    /// The target's output directory (earlier steps' outputs are inputs).
    pub out: &'a Path,
}

/// The `.c` (and, with `headers`, `.h`) files directly inside `dir`, sorted.
fn c_files(dir: &Path, headers: bool) -> Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
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

/// The shared flags, then the defines, then `-I` for each include dir.
fn base_args(includes: &[&Path], defines: &[&str]) -> Vec<OsString> {
    let mut args: Vec<OsString> = CFLAGS.iter().map(OsString::from).collect();
    args.extend(defines.iter().map(OsString::from));
    for dir in includes {
        args.push("-I".into());
        args.push(dir.as_os_str().to_owned());
    }
    args
}

/// The Lua library plus the `lua_main.c` front end (lua-src ships no `lua.c`).
pub fn lua_steps(d: Dirs) -> Result<Vec<Step>> {
    let lua = &d.sources.lua;
    let driver = d.real.join("lua_main.c");
    let mut args = base_args(&[lua], LUA_DEFINES);
    args.push(driver.clone().into());
    args.extend(c_files(lua, false)?.into_iter().map(OsString::from));
    args.push("-lm".into());
    let mut inputs = c_files(lua, true)?;
    inputs.push(driver);
    Ok(vec![Step {
        output: "lua".into(),
        args,
        inputs,
    }])
}

/// The zstd library (compression, decompression, dictionary builder) plus
/// `zstd_driver.c`.
pub fn zstd_steps(d: Dirs) -> Result<Vec<Step>> {
    let lib = &d.sources.zstd;
    let driver = d.real.join("zstd_driver.c");
    let common = lib.join("common");
    let mut args = base_args(&[lib, &common], ZSTD_DEFINES);
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
    Ok(vec![Step {
        output: "zstd".into(),
        args,
        inputs,
    }])
}

/// The SQLite amalgamation as an object of its own (so that a driver edit
/// does not recompile it), then `sqlite_driver.c` linked with it.
pub fn sqlite_steps(d: Dirs) -> Result<Vec<Step>> {
    let dir = &d.sources.sqlite;
    let source = dir.join("sqlite3.c");
    let header = dir.join("sqlite3.h");
    let mut object_args = base_args(&[dir], SQLITE_DEFINES);
    object_args.push("-c".into());
    object_args.push(source.clone().into());
    let object = d.out.join("sqlite3.o");
    let driver = d.real.join("sqlite_driver.c");
    let mut args = base_args(&[dir], &[]);
    args.push(driver.clone().into());
    args.push(object.clone().into());
    args.push("-lm".into());
    Ok(vec![
        Step {
            output: "sqlite3.o".into(),
            args: object_args,
            inputs: vec![source, header.clone()],
        },
        Step {
            output: "sqlite".into(),
            args,
            inputs: vec![driver, object, header],
        },
    ])
}

/// The command line as stored in the `.cmd` file.
fn cmdline(compiler: &str, args: &[OsString]) -> String {
    std::iter::once(compiler.into())
        .chain(args.iter().map(|a| a.to_string_lossy()))
        .collect::<Vec<_>>()
        .join(" ")
}

fn mtime(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

/// Whether `out` can be reused: it is newer than every input (all of which
/// exist) and `cmd_file` holds `cmdline`.
fn is_fresh(out: &Path, cmd_file: &Path, cmdline: &str, inputs: &[PathBuf]) -> bool {
    let Some(built) = mtime(out) else {
        return false;
    };
    let input_times: Option<Vec<SystemTime>> = inputs.iter().map(|p| mtime(p)).collect();
    let Some(newest) = input_times.and_then(|t| t.into_iter().max()) else {
        return false;
    };
    built > newest && std::fs::read_to_string(cmd_file).is_ok_and(|c| c == cmdline)
}

/// Runs `step` with `target`'s compiler into `out_dir` unless its output
/// is fresh. Returns the output path.
pub fn build(target: Target, out_dir: &Path, step: &Step) -> Result<PathBuf> {
    std::fs::create_dir_all(out_dir).with_context(|| format!("creating {}", out_dir.display()))?;
    let out = out_dir.join(&step.output);
    let cmd_file = out_dir.join(format!("{}.cmd", step.output));
    let line = cmdline(target.compiler(), &step.args);
    if is_fresh(&out, &cmd_file, &line, &step.inputs) {
        return Ok(out);
    }
    eprintln!(
        "vm-bench: compiling {} for {} (cached afterwards)",
        step.output,
        target.dir_name()
    );
    let tmp = out_dir.join(format!("{}.tmp", step.output));
    let started = Instant::now();
    let output = Command::new(target.compiler())
        .args(&step.args)
        .arg("-o")
        .arg(&tmp)
        .output()
        .with_context(|| format!("running {} (is it installed?)", target.compiler()))?;
    if !output.status.success() {
        let _ = std::fs::remove_file(&tmp);
        bail!(
            "{} failed building {}:\n{}",
            target.compiler(),
            step.output,
            String::from_utf8_lossy(&output.stderr)
        );
    }
    std::fs::rename(&tmp, &out).with_context(|| format!("renaming to {}", out.display()))?;
    std::fs::write(&cmd_file, &line).with_context(|| format!("writing {}", cmd_file.display()))?;
    eprintln!(
        "vm-bench: built {} for {} in {:.1} s",
        step.output,
        target.dir_name(),
        started.elapsed().as_secs_f64()
    );
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_sources(root: &Path) -> Sources {
        let s = Sources {
            lua: root.join("lua"),
            zstd: root.join("zstd/lib"),
            sqlite: root.join("sqlite3"),
        };
        for (dir, files) in [
            (&s.lua, &["lapi.c", "lapi.h", "lvm.c"][..]),
            (&s.sqlite, &["sqlite3.c", "sqlite3.h"][..]),
        ] {
            std::fs::create_dir_all(dir).unwrap();
            for f in files {
                std::fs::write(dir.join(f), "").unwrap();
            }
        }
        for sub in ["common", "compress", "decompress", "dictBuilder"] {
            let d = s.zstd.join(sub);
            std::fs::create_dir_all(&d).unwrap();
            std::fs::write(d.join(format!("{sub}_a.c")), "").unwrap();
            std::fs::write(d.join(format!("{sub}_a.h")), "").unwrap();
        }
        std::fs::write(s.zstd.join("zstd.h"), "").unwrap();
        s
    }

    fn strings(args: &[OsString]) -> Vec<String> {
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect()
    }

    #[test]
    fn steps_compile_every_source_with_the_shared_flags_and_defines() {
        let tmp = tempfile::tempdir().unwrap();
        let sources = fake_sources(tmp.path());
        let (real, out) = (tmp.path().join("real"), tmp.path().join("out"));
        let d = Dirs {
            sources: &sources,
            real: &real,
            out: &out,
        };
        let lua = lua_steps(d).unwrap();
        let args = strings(&lua[0].args);
        assert!(
            args.starts_with(&["-O2".into(), "-static".into()]),
            "{args:?}"
        );
        assert!(args.contains(&"-Dluai_makeseed()=0u".into()));
        assert!(args.iter().any(|a| a.ends_with("lua/lvm.c")));
        assert!(!args.iter().any(|a| a.ends_with(".h")));
        assert!(lua[0].inputs.iter().any(|p| p.ends_with("lapi.h")));
        assert!(lua[0].inputs.contains(&real.join("lua_main.c")));

        let zstd = zstd_steps(d).unwrap();
        let args = strings(&zstd[0].args);
        assert!(args.contains(&"-DZSTD_DISABLE_ASM".into()));
        for sub in ["common", "compress", "decompress", "dictBuilder"] {
            assert!(
                args.iter().any(|a| a.ends_with(&format!("{sub}_a.c"))),
                "{sub}"
            );
        }

        let sqlite = sqlite_steps(d).unwrap();
        assert_eq!(sqlite.len(), 2);
        assert!(strings(&sqlite[0].args).contains(&"-c".into()));
        assert!(strings(&sqlite[0].args).contains(&"-DSQLITE_THREADSAFE=0".into()));
        // The link step uses the object the first step makes.
        assert!(
            sqlite[1]
                .args
                .contains(&out.join("sqlite3.o").into_os_string())
        );
        assert!(sqlite[1].inputs.contains(&out.join("sqlite3.o")));
    }

    #[test]
    fn outputs_are_fresh_only_when_newer_and_built_the_same_way() {
        let tmp = tempfile::tempdir().unwrap();
        let (input, out, cmd) = (
            tmp.path().join("in.c"),
            tmp.path().join("out"),
            tmp.path().join("out.cmd"),
        );
        std::fs::write(&input, "").unwrap();
        let inputs = [input.clone()];
        assert!(!is_fresh(&out, &cmd, "gcc a", &inputs), "no output yet");
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&out, "").unwrap();
        assert!(!is_fresh(&out, &cmd, "gcc a", &inputs), "no .cmd yet");
        std::fs::write(&cmd, "gcc a").unwrap();
        assert!(is_fresh(&out, &cmd, "gcc a", &inputs));
        assert!(!is_fresh(&out, &cmd, "gcc b", &inputs), "command changed");
        assert!(
            !is_fresh(&out, &cmd, "gcc a", &[tmp.path().join("gone.c")]),
            "missing input"
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
        std::fs::write(&input, "changed").unwrap();
        assert!(!is_fresh(&out, &cmd, "gcc a", &inputs), "source changed");
    }

    #[test]
    fn cmdlines_name_the_compiler() {
        assert_eq!(cmdline("gcc", &["-O2".into(), "x.c".into()]), "gcc -O2 x.c");
    }
}
