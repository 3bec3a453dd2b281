//! `vm run`: load the program, run it, and end the way the guest ended.

use std::convert::Infallible;
use std::ffi::OsString;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::Context;
use vm_core::CpuState;
use vm_engine::{Engine, EngineConfig};
use vm_linux::syscall::Sandbox;
use vm_linux::syscall::thread::ThreadSupport;
use vm_linux::{Args, GuestEnd, Linux, LinuxConfig, Program, RunLimits};
use vm_mem::GuestMemory;

use crate::cli::RunArgs;
use crate::engine::make_engines;
use crate::env::guest_env;

/// Run the program; never returns on success (the VM exits as the guest did).
pub fn run(opts: RunArgs) -> anyhow::Result<Infallible> {
    let envp = guest_env(std::env::vars_os(), &opts.set_env, &opts.unset_env)
        .map_err(anyhow::Error::msg)?;
    let path = opts.program();
    // The program (and its -L interpreter) is opened before confinement:
    // PROGRAM and -L are host paths chosen by the user, not the guest.
    let program = Program::open(&path, opts.sysroot.as_deref())?;
    let sandbox = sandbox(&opts)?;
    let exe_path = match &sandbox.fs_root {
        Some(root) => confined_exe_path(root, &program.exe_path),
        None => program.exe_path.clone(),
    };

    let given = path.as_os_str().as_bytes().to_vec();
    let argv0 = opts
        .argv0
        .as_ref()
        .map_or_else(|| given.clone(), |a| a.as_bytes().to_vec());
    let mut argv = vec![argv0];
    argv.extend(opts.guest_args().iter().map(|a| a.as_bytes().to_vec()));
    let args = Args {
        argv,
        envp,
        execfn: given,
    };

    // The address space lives as long as the process: guest threads share it.
    let mem: &'static GuestMemory = Box::leak(Box::new(
        GuestMemory::new().context("creating the guest address space")?,
    ));
    mem.set_huge_pages(!opts.no_huge_pages);
    let mut cpu = CpuState::default();
    let loaded = vm_linux::load(&program, &args, mem, &mut cpu)?;
    if let Some(cap) = sandbox.max_memory {
        let used = vm_linux::syscall::mapped_bytes(mem);
        anyhow::ensure!(
            used <= cap,
            "--max-memory {cap} is below the {used} bytes the program needs at start"
        );
    }
    let cmdline: Vec<u8> = args
        .argv
        .iter()
        .flat_map(|a| a.iter().copied().chain(std::iter::once(0)))
        .collect();

    let engine_config = EngineConfig { trace: opts.trace };
    let (mut engine, make_engine) = make_engines(opts.engine, engine_config);
    let mut linux = Linux::new(LinuxConfig {
        exe_path,
        // Under --fs-root the guest sees only the root (-L serves the loader).
        sysroot: opts.sysroot.clone().filter(|_| sandbox.fs_root.is_none()),
        sandbox,
        strace: opts.strace,
        exec_options: exec_options(&opts),
        cmdline,
        auxv: vm_linux::auxv_at(mem, loaded.sp),
    });
    linux.set_thread_support(ThreadSupport {
        make_engine,
        mem,
        limits: RunLimits::default(),
    });

    vm_linux::syscall::hostsig::init_process();
    if let Some(n) = opts.max_insns {
        vm_linux::limits::set_insns_max(n);
    }
    if let Some(t) = opts.timeout {
        vm_linux::limits::arm_timeout(t);
    }
    let started = Instant::now();
    let end = vm_linux::run(
        engine.as_mut(),
        &mut cpu,
        mem,
        &mut linux,
        &RunLimits::default(),
    );
    if opts.stats {
        print_stats(engine.as_ref(), started);
    }
    match end {
        GuestEnd::Exited(code) => std::process::exit(code),
        GuestEnd::Limit(hit) => {
            eprintln!("vm: {}", hit.message);
            std::process::exit(hit.status)
        }
        // The main thread left with exit(2): the process lives on until its
        // last thread exits (which exits the process) or one calls exit_group.
        // This host thread runs no more guest code, so it blocks every
        // signal: the kernel then hands the process's signals to the
        // guest threads still running.
        GuestEnd::ThreadExited => {
            vm_linux::syscall::hostsig::block_all();
            loop {
                std::thread::park();
            }
        }
        GuestEnd::Killed { signal, diagnostic } => {
            if let Some(d) = diagnostic {
                eprintln!("vm: {d}");
            }
            vm_linux::die_by_signal(signal)
        }
    }
}

/// The confinement `opts` ask for. With `--fs-root`, the guest starts in
/// its root unless the current directory is inside it.
fn sandbox(opts: &RunArgs) -> anyhow::Result<Sandbox> {
    let fs_root = match &opts.fs_root {
        None => None,
        Some(dir) => {
            let root = dir
                .canonicalize()
                .with_context(|| format!("--fs-root {}", dir.display()))?;
            anyhow::ensure!(
                root.is_dir(),
                "--fs-root {}: not a directory",
                dir.display()
            );
            let cwd = std::env::current_dir().unwrap_or_default();
            if !cwd.starts_with(&root) {
                std::env::set_current_dir(&root)
                    .with_context(|| format!("--fs-root {}", dir.display()))?;
            }
            Some(root)
        }
    };
    Ok(Sandbox {
        fs_root,
        no_network: opts.no_network,
        max_memory: opts.max_memory,
    })
}

/// What `/proc/self/exe` names under `--fs-root`: the program's path inside
/// the root, or (for a program outside it) its host path.
fn confined_exe_path(root: &Path, exe: &Path) -> PathBuf {
    let canon = exe.canonicalize().unwrap_or_else(|_| exe.to_path_buf());
    match canon.strip_prefix(root) {
        Ok(rest) => Path::new("/").join(rest),
        Err(_) => exe.to_path_buf(),
    }
}

/// The `vm run` options a guest execve passes on to the new program.
fn exec_options(opts: &RunArgs) -> Vec<OsString> {
    let mut v: Vec<OsString> = vec!["--engine".into(), opts.engine.name().into()];
    if let Some(root) = &opts.sysroot {
        v.push("-L".into());
        v.push(root.clone().into_os_string());
    }
    if opts.strace {
        v.push("--strace".into());
    }
    if opts.trace {
        v.push("--trace".into());
    }
    if opts.engine.jit_sync {
        v.push("--jit-sync".into());
    }
    if opts.engine.jit_threshold != vm_engine_jit::DEFAULT_THRESHOLD {
        v.push("--jit-threshold".into());
        v.push(opts.engine.jit_threshold.to_string().into());
    }
    if opts.engine.jit_region_threshold != vm_engine_jit::DEFAULT_REGION_THRESHOLD {
        v.push("--jit-region-threshold".into());
        v.push(opts.engine.jit_region_threshold.to_string().into());
    }
    if opts.engine.jit_cranelift_baseline {
        v.push("--jit-cranelift-baseline".into());
    }
    if opts.no_huge_pages {
        v.push("--no-huge-pages".into());
    }
    v
}

fn print_stats(engine: &dyn Engine, started: Instant) {
    let s = engine.stats();
    let secs = started.elapsed().as_secs_f64();
    let mips = if secs > 0.0 {
        s.insns as f64 / secs / 1e6
    } else {
        0.0
    };
    eprintln!(
        "vm: stats: engine {}: {} guest instructions, {} blocks executed, {} blocks translated, {:.3} s, {:.1} MIPS",
        engine.name(),
        s.insns,
        s.blocks_executed,
        s.blocks_translated,
        secs,
        mips
    );
    if s.blocks_compiled > 0 || s.compile_failures > 0 {
        let ms = |ns: u64| ns as f64 / 1e6;
        let mean_ns = s
            .compile_time_ns
            .checked_div(s.blocks_compiled)
            .unwrap_or(0);
        eprintln!(
            "vm: stats: jit: {} blocks compiled ({} failed), compile time {:.3} ms total, {:.3} ms mean, {:.3} ms max; {:.1} KiB code, {} flushes",
            s.blocks_compiled,
            s.compile_failures,
            ms(s.compile_time_ns),
            ms(mean_ns),
            ms(s.compile_time_max_ns),
            s.code_bytes as f64 / 1024.0,
            s.code_flushes
        );
        if s.baseline_compiled > 0 {
            let regions = s.blocks_compiled - s.baseline_compiled;
            let region_ns = s.compile_time_ns - s.baseline_time_ns;
            eprintln!(
                "vm: stats: jit: baseline {} blocks ({} direct, {} Cranelift), {:.1} µs mean; regions {}, {:.1} µs mean",
                s.baseline_compiled,
                s.baseline_direct,
                s.baseline_compiled - s.baseline_direct,
                s.baseline_time_ns as f64 / 1e3 / s.baseline_compiled as f64,
                regions,
                region_ns.checked_div(regions).unwrap_or(0) as f64 / 1e3
            );
        }
    }
    let pct = |part: u64, whole: u64| {
        if whole == 0 {
            0.0
        } else {
            100.0 * part as f64 / whole as f64
        }
    };
    if s.cache_hits + s.cache_misses + s.ic_lookups > 0 {
        eprintln!(
            "vm: stats: code cache hits {:.1}% ({} lookups); inline cache hits {:.1}% ({} lookups)",
            pct(s.cache_hits, s.cache_hits + s.cache_misses),
            s.cache_hits + s.cache_misses,
            pct(s.ic_lookups - s.ic_misses.min(s.ic_lookups), s.ic_lookups),
            s.ic_lookups
        );
    }
    if s.insns_interp + s.insns_compiled > 0 {
        eprintln!(
            "vm: stats: instructions by tier: interpreter {:.1}%, baseline {:.1}%, region {:.1}%",
            pct(s.insns_interp, s.insns),
            pct(
                s.insns_compiled - s.insns_region.min(s.insns_compiled),
                s.insns
            ),
            pct(s.insns_region, s.insns)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::{Cli, Command};
    use clap::Parser;

    fn exec_opts(v: &[&str]) -> Vec<String> {
        let cli = Cli::try_parse_from(std::iter::once("vm").chain(v.iter().copied())).unwrap();
        let Command::Run(r) = cli.command;
        exec_options(&r)
            .into_iter()
            .map(|s| s.into_string().unwrap())
            .collect()
    }

    #[test]
    fn an_exec_keeps_the_engine_tuning_and_memory_options() {
        let v = exec_opts(&[
            "run",
            "--engine",
            "jit",
            "--jit-threshold",
            "7",
            "--jit-region-threshold",
            "0",
            "--no-huge-pages",
            "p",
        ]);
        let has = |flag: &str, value: Option<&str>| {
            let i = v.iter().position(|a| a == flag);
            i.is_some_and(|i| value.is_none_or(|val| v.get(i + 1).map(String::as_str) == Some(val)))
        };
        assert!(has("--engine", Some("jit")), "{v:?}");
        assert!(has("--jit-threshold", Some("7")), "{v:?}");
        assert!(has("--jit-region-threshold", Some("0")), "{v:?}");
        assert!(has("--no-huge-pages", None), "{v:?}");
        // Defaults are left to the new program's own defaults.
        let v = exec_opts(&["run", "p"]);
        assert_eq!(v, ["--engine", "tiered"]);
    }
}
