//! `vm-difftest`: run random programs under every engine (and some under
//! qemu) and report divergences.
//!
//! ```text
//! vm-difftest [--count N] [--seed S] [--qemu-every K] [--all-engines]
//!             [--save DIR] [--no-save] [--no-shrink] [--vm PATH]
//!             [--jobs N] [--progress N]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;
use vm_fuzz::campaign::{self, CampaignConfig};

const USAGE: &str = "usage: vm-difftest [--count N] [--seed S] [--qemu-every K] [--all-engines] \
[--save DIR] [--no-save] [--no-shrink] [--vm PATH] [--jobs N] [--progress N]";

fn parse_args() -> Result<CampaignConfig, String> {
    let mut cfg = CampaignConfig {
        save_dir: Some(vm_fuzz::repro::default_dir()),
        vm_bin: vm_fuzz::qemu::vm_binary(),
        ..CampaignConfig::default()
    };
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = |name: &str| args.next().ok_or_else(|| format!("{name} needs a value"));
        let num = |s: String, name: &str| s.parse::<u64>().map_err(|e| format!("{name}: {e}"));
        match a.as_str() {
            "--count" => cfg.count = num(value("--count")?, "--count")?,
            "--seed" => cfg.seed = num(value("--seed")?, "--seed")?,
            "--qemu-every" => cfg.qemu_every = Some(num(value("--qemu-every")?, "--qemu-every")?),
            "--all-engines" => cfg.all_engines = true,
            "--save" => cfg.save_dir = Some(PathBuf::from(value("--save")?)),
            "--no-save" => cfg.save_dir = None,
            "--no-shrink" => cfg.shrink = false,
            "--vm" => cfg.vm_bin = Some(PathBuf::from(value("--vm")?)),
            "--jobs" => cfg.jobs = num(value("--jobs")?, "--jobs")?.max(1) as usize,
            "--progress" => cfg.progress_every = num(value("--progress")?, "--progress")?,
            "-h" | "--help" => return Err(USAGE.into()),
            other => return Err(format!("unknown argument {other}\n{USAGE}")),
        }
    }
    Ok(cfg)
}

fn main() -> ExitCode {
    let cfg = match parse_args() {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    if cfg.qemu_every.is_some() && !vm_fuzz::qemu::qemu_available() {
        eprintln!("vm-difftest: {} not found", vm_fuzz::qemu::QEMU);
        return ExitCode::from(2);
    }
    match campaign::run(&cfg, &mut |line| println!("{line}")) {
        Ok(r) => {
            println!(
                "programs run: {}  engine runs: {}  divergences: {}  qemu runs: {}  qemu mismatches: {}  time: {:.2?}",
                r.programs,
                r.engine_runs,
                r.divergences.len(),
                r.qemu_runs,
                r.qemu_mismatches.len(),
                r.elapsed
            );
            if r.divergences.is_empty() && r.qemu_mismatches.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("vm-difftest: {e}");
            ExitCode::from(2)
        }
    }
}
