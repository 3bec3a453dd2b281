//! Differential guest-program suite.
//!
//! Every C or assembly program in `tests/guest/` is cross-compiled at test
//! time (static glibc, at each optimisation level it asks for), run under
//! `qemu-riscv64` (the reference) and under the `vm` binary with each engine
//! in [`common::ENGINES`], and the two runs must agree on stdout and on how the
//! process ended (exit status or death signal). The qemu run must also match
//! the expectation the program declares, and the runs at different
//! optimisation levels must print the same thing, so a wrong test program
//! is caught even before the VM runs it.
//!
//! Per-program settings live in the program itself, in comment lines
//! starting with `// guest-test:` followed by `key=value` words:
//!
//! | key | meaning | default |
//! |---|---|---|
//! | `opt=O0,O2` | optimisation levels to build | `O0,O2` |
//! | `flags=F` | extra compiler flag before the source (repeatable) | none |
//! | `libs=L` | extra linker input after the source (repeatable) | none |
//! | `arg=A` | guest argument (repeatable); `$TMPDIR` is a fresh empty directory | none |
//! | `exit=N` | expected exit status | `0` |
//! | `signal=N` | expected death signal (instead of an exit status) | none |
//! | `link=dynamic` | link against the shared glibc, run with `-L` sysroot | static |
//! | `link=static-pie` | a static position-independent executable | static |
//! | `compare=expected` | compare with `NAME.expected` (stdout) instead of qemu | qemu |
//!
//! `compare=expected` is for what qemu-user cannot run, such as execve of
//! a RISC-V program without binfmt_misc: the expected file holds what
//! Linux on RISC-V prints, and the ending must be the declared one.
//!
//! All mismatches are collected and reported together at the end, each with
//! a short diff. Environment:
//! - `GUEST_TEST=a,b` runs only the programs whose name contains `a` or `b`;
//! - `GUEST_ENGINES=interp,jit` overrides [`common::ENGINES`] (empty: qemu only);
//! - `CI` set: a missing cross compiler or qemu fails the test instead of
//!   skipping it.

mod common;

use common::differential::{
    Ending, Outcome, compare, engines_from_env, fresh_run_dir, guest_command, parallel_map,
    run_captured,
};
use common::{CROSS_GCC, QEMU, SYSROOT};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::thread;
use std::time::{Duration, SystemTime};

/// The disassembler used to check which compressed forms a program uses.
const OBJDUMP: &str = "riscv64-linux-gnu-objdump";
/// Wall-clock limit for one guest run.
const RUN_TIMEOUT: Duration = Duration::from_secs(60);

/// A guest program and the settings from its `// guest-test:` header.
#[derive(Clone, Debug)]
struct Program {
    name: String,
    source: PathBuf,
    opts: Vec<String>,
    flags: Vec<String>,
    libs: Vec<String>,
    args: Vec<String>,
    expect: Ending,
    dynamic: bool,
    /// Link as a static position-independent executable (`-static-pie`).
    static_pie: bool,
    /// Expected stdout from `NAME.expected` instead of a qemu run.
    expected_stdout: Option<PathBuf>,
}

/// Where the guest program sources live.
fn guest_dir() -> PathBuf {
    common::repo_path("tests/guest")
}

/// Scratch space for built binaries and per-run directories.
fn work_dir() -> PathBuf {
    common::target_tmp("guest-tests")
}

/// Parses the `// guest-test:` header lines of a program source.
fn parse_program(source: &Path) -> Result<Program, String> {
    let text = fs::read_to_string(source).map_err(|e| format!("{}: {e}", source.display()))?;
    let name = source
        .file_stem()
        .and_then(|s| s.to_str())
        .ok_or_else(|| format!("{}: bad file name", source.display()))?
        .to_string();
    let mut prog = Program {
        name,
        source: source.to_path_buf(),
        opts: vec!["O0".into(), "O2".into()],
        flags: Vec::new(),
        libs: Vec::new(),
        args: Vec::new(),
        expect: Ending::Exit(0),
        dynamic: false,
        static_pie: false,
        expected_stdout: None,
    };
    for line in text.lines() {
        let Some(rest) = line.trim_start().strip_prefix("// guest-test:") else {
            continue;
        };
        for word in rest.split_whitespace() {
            let (key, value) = word
                .split_once('=')
                .ok_or_else(|| format!("{}: `{word}` is not key=value", prog.name))?;
            let bad_num = |_| format!("{}: bad number in `{word}`", prog.name);
            match key {
                "opt" => prog.opts = value.split(',').map(str::to_string).collect(),
                "flags" => prog.flags.push(value.to_string()),
                "libs" => prog.libs.push(value.to_string()),
                "arg" => prog.args.push(value.to_string()),
                "exit" => prog.expect = Ending::Exit(value.parse().map_err(bad_num)?),
                "signal" => prog.expect = Ending::Signal(value.parse().map_err(bad_num)?),
                "link" if value == "dynamic" => prog.dynamic = true,
                "link" if value == "static-pie" => prog.static_pie = true,
                "compare" if value == "expected" => {
                    prog.expected_stdout = Some(source.with_extension("expected"));
                }
                _ => return Err(format!("{}: unknown header word `{word}`", prog.name)),
            }
        }
    }
    Ok(prog)
}

/// All programs in `tests/guest/`, filtered by `GUEST_TEST`.
fn discover() -> Result<Vec<Program>, String> {
    let filter = common::env_list("GUEST_TEST").unwrap_or_default();
    let dir = guest_dir();
    let mut sources: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("{}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| matches!(p.extension().and_then(|e| e.to_str()), Some("c" | "S")))
        .collect();
    sources.sort();
    let mut programs = Vec::new();
    for source in sources {
        let prog = parse_program(&source)?;
        if filter.is_empty() || filter.iter().any(|f| prog.name.contains(f.as_str())) {
            programs.push(prog);
        }
    }
    Ok(programs)
}

/// Newest modification time of the shared headers a program may include.
fn headers_mtime() -> Option<SystemTime> {
    fs::read_dir(guest_dir())
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "h"))
        .filter_map(|p| common::mtime(&p))
        .max()
}

/// Compiles `prog` at `opt` into the work directory (skipped when up to
/// date); `object_only` stops at a `.o` file. Returns the output path.
fn build(prog: &Program, opt: &str, object_only: bool) -> Result<PathBuf, String> {
    let dir = work_dir().join("bin");
    fs::create_dir_all(&dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let suffix = if object_only { ".o" } else { "" };
    let out = dir.join(format!("{}-{opt}{suffix}", prog.name));
    let newest_input = common::mtime(&prog.source).max(headers_mtime());
    if common::newer_than(&out, newest_input) {
        return Ok(out);
    }
    // Build under a unique name then rename, so concurrent tests never see
    // a half-written file.
    let tmp = dir.join(format!(
        "{}-{opt}{suffix}.tmp{:?}",
        prog.name,
        thread::current().id()
    ));
    let mut cmd = Command::new(CROSS_GCC);
    cmd.arg(format!("-{opt}"))
        .arg("-g0")
        .arg("-Wall")
        .arg("-I")
        .arg(guest_dir());
    if prog.static_pie {
        // Debian's riscv64 glibc has no rcrt1.o for `-static-pie`; this
        // asks the linker for the same shape (ET_DYN, no PT_INTERP).
        cmd.args(["-fPIE", "-pie", "-Wl,--no-dynamic-linker"]);
    } else if !prog.dynamic {
        cmd.arg("-static");
    }
    if object_only {
        cmd.arg("-c");
    }
    cmd.args(&prog.flags)
        .arg(&prog.source)
        .args(if object_only { &[][..] } else { &prog.libs[..] });
    common::build_then_rename(cmd, &tmp, &out, &format!("{}-{opt}", prog.name))?;
    Ok(out)
}

/// Runs a built guest binary under qemu (`engine == None`) or the VM.
fn run_guest(
    prog: &Program,
    binary: &Path,
    opt: &str,
    engine: Option<&str>,
) -> Result<Outcome, String> {
    let label = format!("{}-{opt}-{}", prog.name, engine.unwrap_or("qemu"));
    let scratch = work_dir().join("run").join(&label);
    // A fresh, empty directory per run: the guest's cwd and its `$TMPDIR`.
    let tmpdir = fresh_run_dir(&scratch).map_err(|e| format!("{label}: {e}"))?;
    let sysroot = prog.dynamic.then_some(SYSROOT);
    let mut cmd = guest_command(engine, sysroot, binary, &tmpdir);
    cmd.args(
        prog.args
            .iter()
            .map(|a| a.replace("$TMPDIR", &tmpdir.to_string_lossy())),
    )
    .env("GUEST_TEST_VAR", "hello guest");
    run_captured(cmd, &scratch, RUN_TIMEOUT).map_err(|e| format!("{label}: cannot run: {e}"))
}

/// Builds, runs and compares one program at every optimisation level;
/// returns the failure messages.
fn check_program(prog: &Program, engines: &[String]) -> Vec<String> {
    let mut failures = Vec::new();
    let mut first_qemu: Option<(String, Outcome)> = None;
    for opt in &prog.opts {
        let label = format!("{}-{opt}", prog.name);
        let binary = match build(prog, opt, false) {
            Ok(b) => b,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        let reference = match &prog.expected_stdout {
            Some(path) => match fs::read(path) {
                Ok(stdout) => Outcome {
                    stdout,
                    stderr: Vec::new(),
                    ending: prog.expect,
                    elapsed: Duration::ZERO,
                },
                Err(e) => {
                    failures.push(format!("{}: {e}", path.display()));
                    continue;
                }
            },
            None => match run_guest(prog, &binary, opt, None) {
                Ok(o) => o,
                Err(e) => {
                    failures.push(e);
                    continue;
                }
            },
        };
        if reference.ending != prog.expect {
            failures.push(format!(
                "{label} under qemu: expected {}, got {} (the test program or its header is wrong)\n{}",
                prog.expect,
                reference.ending,
                String::from_utf8_lossy(&reference.stderr)
            ));
        }
        match &first_qemu {
            None => {}
            Some((first_label, first)) => {
                if let Some(m) = compare(
                    &format!("{label} vs {first_label} under qemu"),
                    first,
                    &reference,
                ) {
                    failures.push(m);
                }
            }
        }
        for engine in engines {
            match run_guest(prog, &binary, opt, Some(engine)) {
                Ok(actual) => {
                    if let Some(m) = compare(
                        &format!("{label} on engine {engine} vs qemu"),
                        &reference,
                        &actual,
                    ) {
                        failures.push(m);
                    }
                }
                Err(e) => failures.push(e),
            }
        }
        if first_qemu.is_none() {
            first_qemu = Some((label, reference));
        }
    }
    failures
}

#[test]
fn guest_programs_match_qemu() {
    if !common::tools_ready("guest tests", &[CROSS_GCC, QEMU]) {
        return;
    }
    let programs = match discover() {
        Ok(p) => p,
        Err(e) => panic!("{e}"),
    };
    assert!(
        !programs.is_empty() || std::env::var_os("GUEST_TEST").is_some(),
        "no guest programs found in {}",
        guest_dir().display()
    );
    let engines = engines_from_env("GUEST_ENGINES");
    let threads = thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(1, 4);
    let results = parallel_map(&programs, threads, |p| check_program(p, &engines));
    let failures: Vec<String> = results.into_iter().flatten().collect();
    let ran = programs.len();
    assert!(
        failures.is_empty(),
        "{} of the guest checks failed ({ran} programs, engines {engines:?}):\n\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// Every RV64C instruction form, as `objdump -M no-aliases` names it.
const COMPRESSED_FORMS: &[&str] = &[
    "c.addi4spn",
    "c.fld",
    "c.lw",
    "c.ld",
    "c.fsd",
    "c.sw",
    "c.sd",
    "c.nop",
    "c.addi",
    "c.addiw",
    "c.li",
    "c.addi16sp",
    "c.lui",
    "c.srli",
    "c.srai",
    "c.andi",
    "c.sub",
    "c.xor",
    "c.or",
    "c.and",
    "c.subw",
    "c.addw",
    "c.j",
    "c.beqz",
    "c.bnez",
    "c.slli",
    "c.fldsp",
    "c.lwsp",
    "c.ldsp",
    "c.jr",
    "c.mv",
    "c.ebreak",
    "c.jalr",
    "c.add",
    "c.fsdsp",
    "c.swsp",
    "c.sdsp",
];

/// The `rvc` program's hand-written functions (symbols starting `rvc_`)
/// must use every compressed form except `c.ebreak` (which `ebreak.c`
/// executes), so the compressed decoder is exercised in full.
#[test]
fn rvc_program_uses_every_compressed_form() {
    if !common::tools_ready("guest tests", &[CROSS_GCC, OBJDUMP]) {
        return;
    }
    let source = guest_dir().join("rvc.c");
    let prog = parse_program(&source).unwrap_or_else(|e| panic!("{e}"));
    let object = build(&prog, "O0", true).unwrap_or_else(|e| panic!("{e}"));
    let dump = Command::new(OBJDUMP)
        .args(["-d", "-M", "no-aliases"])
        .arg(&object)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {OBJDUMP}: {e}"));
    assert!(dump.status.success(), "{OBJDUMP} failed");
    let text = String::from_utf8_lossy(&dump.stdout);
    let mut in_rvc = false;
    let mut seen = std::collections::BTreeSet::new();
    for line in text.lines() {
        if line.ends_with(">:") {
            // Local labels (`<.L1^B1>:`) stay inside the current function.
            if !line.contains("<.L") {
                in_rvc = line.contains("<rvc_");
            }
        } else if in_rvc && let Some(mnemonic) = line.split('\t').nth(2) {
            let operands = line.split('\t').nth(3).unwrap_or("");
            // objdump prints c.nop as `c.addi zero,0`.
            let form = match mnemonic.trim() {
                "c.addi" if operands.starts_with("zero") => "c.nop",
                m => m,
            };
            seen.insert(form.to_string());
        }
    }
    let missing: Vec<&str> = COMPRESSED_FORMS
        .iter()
        .copied()
        .filter(|f| *f != "c.ebreak" && !seen.contains(*f))
        .collect();
    assert!(missing.is_empty(), "rvc.c does not use {missing:?}");
}

/// Demo programs (committed binaries in `demo/bin/`) and the arguments
/// they are checked with (kept small so the interpreter finishes quickly).
const DEMOS: &[(&str, &[&str])] = &[
    ("hello", &["world"]),
    ("primes", &["200000"]),
    ("nqueens", &["8"]),
    ("mandelbrot", &["200"]),
];

/// The committed demo binaries run under every engine exactly as under
/// qemu, so the README's demo commands keep working.
#[test]
fn demo_binaries_match_qemu() {
    if !common::tools_ready("guest tests", &[QEMU]) {
        return;
    }
    let engines = engines_from_env("GUEST_ENGINES");
    let bin_dir = common::repo_path("demo/bin");
    let mut failures = Vec::new();
    for (name, args) in DEMOS {
        let binary = bin_dir.join(name);
        let prog = Program {
            name: format!("demo-{name}"),
            source: binary.clone(),
            opts: Vec::new(),
            flags: Vec::new(),
            libs: Vec::new(),
            args: args.iter().map(|a| a.to_string()).collect(),
            expect: Ending::Exit(0),
            dynamic: false,
            static_pie: false,
            expected_stdout: None,
        };
        let reference = match run_guest(&prog, &binary, "bin", None) {
            Ok(o) => o,
            Err(e) => {
                failures.push(e);
                continue;
            }
        };
        if reference.ending != prog.expect || reference.stdout.is_empty() {
            failures.push(format!(
                "{} under qemu: {} with {} bytes of output",
                prog.name,
                reference.ending,
                reference.stdout.len()
            ));
        }
        for engine in &engines {
            match run_guest(&prog, &binary, "bin", Some(engine)) {
                Ok(actual) => {
                    let label = format!("{} on engine {engine} vs qemu", prog.name);
                    failures.extend(compare(&label, &reference, &actual));
                }
                Err(e) => failures.push(e),
            }
        }
    }
    assert!(
        failures.is_empty(),
        "demo mismatches:\n\n{}",
        failures.join("\n")
    );
}
