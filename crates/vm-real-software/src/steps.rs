//! The compiler command lines of the three programs: which files, which
//! `-D` configuration, and which inputs force a rebuild. Lua and zstd are
//! one step each (library sources plus the driver from `tests/real/`);
//! SQLite's amalgamation is compiled to an object of its own, because it is
//! by far the slowest compile and a driver edit must not redo it.
//!
//! The users' own flags ([`Flags`]) are placed as each user has always
//! placed them, so that their command lines, and with them their cached
//! builds, do not change: vm-bench gives `-O2 -static` first; vm-cli's test
//! gives `-O2 -g0 -w` first and `-march`/`-static` after the include
//! directories.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result};

use crate::sources::Sources;

/// Lua configuration: POSIX facilities, and a fixed hash/random seed so the
/// interpreter behaves identically on every run (the default seed mixes in
/// the time and a stack address).
pub const LUA_DEFINES: &[&str] = &["-DLUA_USE_POSIX", "-Dluai_makeseed()=0u"];
/// zstd configuration: no x86 assembly (the same C code on every ISA), no
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
    /// Output file name inside the output directory.
    pub output: String,
    /// Compiler arguments, without `-o`.
    pub args: Vec<OsString>,
    /// Files whose change forces a rebuild (sources and headers).
    pub inputs: Vec<PathBuf>,
}

/// A user's own flags and where they go on each command line:
/// `cflags`, defines, `-I` dirs, `-march=`, `link_flags` (linking steps
/// only), then the files.
#[derive(Debug, Clone, Copy)]
pub struct Flags<'a> {
    /// First on every command line (optimisation, warnings).
    pub cflags: &'a [&'a str],
    /// The `-march=` value, if any; it also suffixes every output name
    /// (`lua-rv64gc_zba_zbb_zbs`), so builds for several ISA variants can
    /// share one output directory.
    pub march: Option<&'a str>,
    /// After `-march`, on the steps that link a program.
    pub link_flags: &'a [&'a str],
}

/// Everything a program's steps depend on.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The unpacked crate sources.
    pub sources: &'a Sources,
    /// `tests/real` in the repository (drivers, Lua scripts).
    pub real: &'a Path,
    /// The output directory (earlier steps' outputs are inputs of later
    /// ones).
    pub out: &'a Path,
    /// The user's flags.
    pub flags: Flags<'a>,
}

impl Plan<'_> {
    /// `stem` with the `-march` suffix, then `ext`.
    fn output(&self, stem: &str, ext: &str) -> String {
        match self.flags.march {
            Some(march) => format!("{stem}-{march}{ext}"),
            None => format!("{stem}{ext}"),
        }
    }

    /// The leading flags, the defines, `-I` for each include dir, `-march`,
    /// and with `link` the link flags.
    fn args(&self, includes: &[&Path], defines: &[&str], link: bool) -> Vec<OsString> {
        let mut args: Vec<OsString> = self.flags.cflags.iter().map(OsString::from).collect();
        args.extend(defines.iter().map(OsString::from));
        for dir in includes {
            args.push("-I".into());
            args.push(dir.as_os_str().to_owned());
        }
        if let Some(march) = self.flags.march {
            args.push(format!("-march={march}").into());
        }
        if link {
            args.extend(self.flags.link_flags.iter().map(OsString::from));
        }
        args
    }
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

/// The Lua library plus the `lua_main.c` front end (lua-src ships no `lua.c`).
pub fn lua_steps(p: Plan) -> Result<Vec<Step>> {
    let lua = &p.sources.lua;
    let driver = p.real.join("lua_main.c");
    let mut args = p.args(&[lua], LUA_DEFINES, true);
    args.push(driver.clone().into());
    args.extend(c_files(lua, false)?.into_iter().map(OsString::from));
    args.push("-lm".into());
    let mut inputs = c_files(lua, true)?;
    inputs.push(driver);
    Ok(vec![Step {
        output: p.output("lua", ""),
        args,
        inputs,
    }])
}

/// The zstd library (compression, decompression, dictionary builder) plus
/// `zstd_driver.c`.
pub fn zstd_steps(p: Plan) -> Result<Vec<Step>> {
    let lib = &p.sources.zstd;
    let driver = p.real.join("zstd_driver.c");
    let common = lib.join("common");
    let mut args = p.args(&[lib, &common], ZSTD_DEFINES, true);
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
        output: p.output("zstd", ""),
        args,
        inputs,
    }])
}

/// The SQLite amalgamation as an object of its own, then
/// `sqlite_driver.c` linked with it.
pub fn sqlite_steps(p: Plan) -> Result<Vec<Step>> {
    let dir = &p.sources.sqlite;
    let source = dir.join("sqlite3.c");
    let header = dir.join("sqlite3.h");
    let object_name = p.output("sqlite3", ".o");
    let mut object_args = p.args(&[dir], SQLITE_DEFINES, false);
    object_args.push("-c".into());
    object_args.push(source.clone().into());
    let object = p.out.join(&object_name);
    let driver = p.real.join("sqlite_driver.c");
    let mut args = p.args(&[dir], &[], true);
    args.push(driver.clone().into());
    args.push(object.clone().into());
    args.push("-lm".into());
    Ok(vec![
        Step {
            output: object_name,
            args: object_args,
            inputs: vec![source, header.clone()],
        },
        Step {
            output: p.output("sqlite", ""),
            args,
            inputs: vec![driver, object, header],
        },
    ])
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

    /// vm-bench's flags: `-O2 -static` first, nothing else.
    const BENCH: Flags = Flags {
        cflags: &["-O2", "-static"],
        march: None,
        link_flags: &[],
    };

    #[test]
    fn steps_compile_every_source_with_the_shared_flags_and_defines() {
        let tmp = tempfile::tempdir().unwrap();
        let sources = fake_sources(tmp.path());
        let (real, out) = (tmp.path().join("real"), tmp.path().join("out"));
        let p = Plan {
            sources: &sources,
            real: &real,
            out: &out,
            flags: BENCH,
        };
        let lua = lua_steps(p).unwrap();
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
        assert_eq!(lua[0].output, "lua");

        let zstd = zstd_steps(p).unwrap();
        let args = strings(&zstd[0].args);
        assert!(args.contains(&"-DZSTD_DISABLE_ASM".into()));
        for sub in ["common", "compress", "decompress", "dictBuilder"] {
            assert!(
                args.iter().any(|a| a.ends_with(&format!("{sub}_a.c"))),
                "{sub}"
            );
        }

        let sqlite = sqlite_steps(p).unwrap();
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

    /// vm-cli's test order: leading flags, defines, includes, `-march`,
    /// then `-static` on linking steps only; `-march` names the outputs.
    #[test]
    fn march_and_link_flags_follow_the_includes() {
        let tmp = tempfile::tempdir().unwrap();
        let sources = fake_sources(tmp.path());
        let (real, out) = (tmp.path().join("real"), tmp.path().join("out"));
        let mut p = Plan {
            sources: &sources,
            real: &real,
            out: &out,
            flags: Flags {
                cflags: &["-O2", "-g0", "-w"],
                march: Some("rv64gc_zbb"),
                link_flags: &["-static"],
            },
        };
        let lua = lua_steps(p).unwrap();
        let args = strings(&lua[0].args);
        let include = sources.lua.to_string_lossy().into_owned();
        let driver = real.join("lua_main.c").to_string_lossy().into_owned();
        assert_eq!(
            args[..9],
            [
                "-O2",
                "-g0",
                "-w",
                LUA_DEFINES[0],
                LUA_DEFINES[1],
                "-I",
                &include,
                "-march=rv64gc_zbb",
                "-static",
            ]
        );
        assert_eq!(args[9], driver);
        assert_eq!(args.last().map(String::as_str), Some("-lm"));
        assert_eq!(lua[0].output, "lua-rv64gc_zbb");

        p.flags.march = None;
        let sqlite = sqlite_steps(p).unwrap();
        let object = strings(&sqlite[0].args);
        assert!(!object.contains(&"-static".into()), "{object:?}");
        let link = strings(&sqlite[1].args);
        let at = link.iter().position(|a| a == "-static").unwrap();
        assert_eq!(link[at - 2], "-I");
        assert_eq!(link[at + 1], real.join("sqlite_driver.c").to_string_lossy());
        assert_eq!(
            [sqlite[0].output.as_str(), &sqlite[1].output],
            ["sqlite3.o", "sqlite"]
        );
    }
}
