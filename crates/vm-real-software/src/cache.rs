//! Running a [`Step`] with a cache: its output is reused when it is newer
//! than every input (all of which exist) and its command line, compiler
//! included, is the one recorded in a `.cmd` file next to it. SQLite's
//! amalgamation alone takes a minute or more to compile, and the test and
//! the benchmark are run again and again. Outputs are written under a
//! temporary name and renamed, so an interrupted build (or a concurrent
//! reader) never sees a half-written file that looks fresh.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use anyhow::{Context, Result, bail};

use crate::steps::Step;

/// One compiler writing into one output directory.
#[derive(Debug, Clone, Copy)]
pub struct Builder<'a> {
    /// The C compiler program (`riscv64-linux-gnu-gcc`, `gcc`).
    pub compiler: &'a str,
    /// Where outputs and their `.cmd` files go.
    pub out_dir: &'a Path,
}

impl Builder<'_> {
    /// Runs `step` unless its output is fresh; returns the output path.
    pub fn build(&self, step: &Step) -> Result<PathBuf> {
        let (compiler, dir) = (self.compiler, self.out_dir);
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let out = dir.join(&step.output);
        let cmd_file = dir.join(format!("{}.cmd", step.output));
        let line = cmdline(compiler, &step.args);
        if is_fresh(&out, &cmd_file, &line, &step.inputs) {
            return Ok(out);
        }
        eprintln!(
            "compiling {} with {compiler} (cached afterwards)",
            step.output
        );
        let tmp = dir.join(format!("{}.tmp", step.output));
        let started = Instant::now();
        let output = Command::new(compiler)
            .args(&step.args)
            .arg("-o")
            .arg(&tmp)
            .output()
            .with_context(|| format!("running {compiler} (is it installed?)"))?;
        if !output.status.success() {
            let _ = std::fs::remove_file(&tmp);
            bail!(
                "{compiler} failed building {}:\n{}",
                step.output,
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::fs::rename(&tmp, &out).with_context(|| format!("renaming to {}", out.display()))?;
        std::fs::write(&cmd_file, &line)
            .with_context(|| format!("writing {}", cmd_file.display()))?;
        eprintln!(
            "built {} with {compiler} in {:.1} s",
            step.output,
            started.elapsed().as_secs_f64()
        );
        Ok(out)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

    /// A real run through a stand-in "compiler" (`sh -c`), so no C compiler
    /// is needed: the first build runs it, the second reuses the output,
    /// a failing command reports its stderr and leaves no output behind.
    #[test]
    fn builds_run_once_then_are_reused() {
        let tmp = tempfile::tempdir().unwrap();
        let input = tmp.path().join("in.txt");
        std::fs::write(&input, "x").unwrap();
        std::thread::sleep(std::time::Duration::from_millis(20));
        let out_dir = tmp.path().join("out");
        let builder = Builder {
            compiler: "sh",
            out_dir: &out_dir,
        };
        let counter = tmp.path().join("runs");
        // `sh -c SCRIPT NAME -o TMP`: $2 is the output path.
        let script = format!("echo run >> {}; echo built > \"$2\"", counter.display());
        let step = Step {
            output: "prog".into(),
            args: vec!["-c".into(), script.into(), "sh".into()],
            inputs: vec![input],
        };
        let out = builder.build(&step).unwrap();
        assert_eq!(std::fs::read_to_string(&out).unwrap(), "built\n");
        builder.build(&step).unwrap();
        assert_eq!(std::fs::read_to_string(&counter).unwrap(), "run\n");

        let failing = Step {
            output: "bad".into(),
            args: vec!["-c".into(), "echo oops >&2; exit 1".into(), "sh".into()],
            inputs: step.inputs.clone(),
        };
        let e = builder.build(&failing).unwrap_err().to_string();
        assert!(
            e.contains("sh failed building bad") && e.contains("oops"),
            "{e}"
        );
        assert!(!out_dir.join("bad").exists() && !out_dir.join("bad.tmp").exists());
    }
}
