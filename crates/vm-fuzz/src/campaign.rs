//! A differential-testing campaign: many seeds, each program compared
//! across engines (and every K-th against qemu), divergent programs shrunk
//! and saved. Used by the `vm-difftest` binary and by the tests.
//!
//! A campaign can split its programs over worker threads (program i goes to
//! worker i mod jobs, each with its own engines), so a long run uses every
//! core; the findings do not depend on the number of workers.

use crate::r#gen::{GenConfig, generate};
use crate::qemu::{self, QemuReport};
use crate::repro;
use crate::runner::{Case, Runner};
use crate::shrink::shrink;
use std::path::PathBuf;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

/// Campaign settings.
#[derive(Clone, Debug)]
pub struct CampaignConfig {
    /// Programs to run.
    pub count: u64,
    /// Seed of the first program (program i uses `seed + i`).
    pub seed: u64,
    /// Compare every K-th program against qemu (None: never).
    pub qemu_every: Option<u64>,
    /// Run every JIT configuration on every program (else one per program,
    /// in rotation: the JIT's compile time dominates a run).
    pub all_engines: bool,
    /// Where to save reproducers (None: do not save).
    pub save_dir: Option<PathBuf>,
    /// Shrink divergent programs before saving.
    pub shrink: bool,
    /// A `vm` binary to compare with qemu too.
    pub vm_bin: Option<PathBuf>,
    /// Where ELF files for qemu go.
    pub work_dir: PathBuf,
    /// Generator settings.
    pub gen_cfg: GenConfig,
    /// Worker threads (at least 1).
    pub jobs: usize,
    /// Report progress through the log every this many programs (0: never).
    pub progress_every: u64,
}

impl Default for CampaignConfig {
    fn default() -> Self {
        CampaignConfig {
            count: 1000,
            seed: 1,
            qemu_every: None,
            all_engines: false,
            save_dir: None,
            shrink: true,
            vm_bin: None,
            work_dir: std::env::temp_dir().join("vm-difftest"),
            gen_cfg: GenConfig::default(),
            jobs: 1,
            progress_every: 0,
        }
    }
}

/// One divergence between engines.
#[derive(Clone, Debug)]
pub struct Found {
    /// Generator seed.
    pub seed: u64,
    /// Engine that disagreed with the reference.
    pub engine: String,
    /// What differed (after shrinking).
    pub differences: Vec<String>,
    /// Instructions in the shrunk program.
    pub insns: usize,
    /// Saved reproducer.
    pub file: Option<PathBuf>,
}

/// What a campaign did.
#[derive(Clone, Debug, Default)]
pub struct CampaignResult {
    /// Programs run.
    pub programs: u64,
    /// Engine runs (program × engine).
    pub engine_runs: u64,
    /// Divergences between engines.
    pub divergences: Vec<Found>,
    /// Programs compared with qemu.
    pub qemu_runs: u64,
    /// qemu comparisons that disagreed, with their seeds.
    pub qemu_mismatches: Vec<(u64, QemuReport)>,
    /// Wall time.
    pub elapsed: Duration,
}

/// Run a campaign; `log` receives one line per finding (and progress
/// lines when asked for).
pub fn run(
    cfg: &CampaignConfig,
    log: &mut (dyn FnMut(&str) + Send),
) -> Result<CampaignResult, String> {
    let start = Instant::now();
    let jobs = cfg.jobs.max(1);
    let log = Mutex::new(log);
    let done = AtomicU64::new(0);
    let say = |line: &str| {
        let mut l = log.lock().unwrap_or_else(|e| e.into_inner());
        (*l)(line)
    };
    let parts: Vec<Result<CampaignResult, String>> = std::thread::scope(|s| {
        let workers: Vec<_> = (0..jobs)
            .map(|w| {
                let (say, done) = (&say, &done);
                s.spawn(move || run_share(cfg, w as u64, jobs as u64, say, done, start))
            })
            .collect();
        workers
            .into_iter()
            .map(|h| h.join().unwrap_or_else(|_| Err("a worker panicked".into())))
            .collect()
    });
    let mut res = CampaignResult::default();
    for part in parts {
        let p = part?;
        res.programs += p.programs;
        res.engine_runs += p.engine_runs;
        res.divergences.extend(p.divergences);
        res.qemu_runs += p.qemu_runs;
        res.qemu_mismatches.extend(p.qemu_mismatches);
    }
    res.divergences.sort_by_key(|f| f.seed);
    res.qemu_mismatches.sort_by_key(|m| m.0);
    res.elapsed = start.elapsed();
    Ok(res)
}

/// Programs `worker`, `worker + jobs`, ... of the campaign.
fn run_share(
    cfg: &CampaignConfig,
    worker: u64,
    jobs: u64,
    log: &(dyn Fn(&str) + Sync),
    done: &AtomicU64,
    start: Instant,
) -> Result<CampaignResult, String> {
    let mut runner = Runner::new()?;
    let n_engines = runner.engine_names().len();
    let mut res = CampaignResult::default();
    let work_dir = cfg.work_dir.join(format!("w{worker}"));
    let mut i = worker;
    while i < cfg.count {
        let seed = cfg.seed.wrapping_add(i);
        let to_qemu = cfg.qemu_every.is_some_and(|k| k > 0 && i.is_multiple_of(k));
        let gen_cfg = GenConfig {
            qemu_safe: to_qemu,
            ..cfg.gen_cfg.clone()
        };
        let prog = generate(seed, &gen_cfg);
        let case = Case::from_program(&prog).map_err(|e| format!("seed {seed}: {e}"))?;
        let others: Vec<usize> = if cfg.all_engines {
            (1..n_engines).collect()
        } else {
            vec![1 + (i as usize) % (n_engines - 1)]
        };
        res.programs += 1;
        res.engine_runs += 1 + others.len() as u64;
        for &e in &others {
            let Some(div) = runner.check_engines(&case, &[e])? else {
                continue;
            };
            let (small, div) = if cfg.shrink {
                shrink(&mut runner, &prog, e, &div)
            } else {
                (prog.clone(), div)
            };
            let small_case = Case::from_program(&small).map_err(|e| e.to_string())?;
            let file = match &cfg.save_dir {
                Some(dir) => Some(
                    repro::save(dir, seed, &small_case, &div)
                        .map_err(|e| format!("save reproducer: {e}"))?,
                ),
                None => None,
            };
            let found = Found {
                seed,
                engine: div.other.clone(),
                differences: div.differences(),
                insns: small_case.words.len(),
                file,
            };
            log(&format!(
                "DIVERGENCE seed {seed}: {} vs {} ({} insns after shrinking): {}{}",
                div.reference,
                div.other,
                found.insns,
                found.differences.join("; "),
                found
                    .file
                    .as_ref()
                    .map(|f| format!(" -> {}", f.display()))
                    .unwrap_or_default()
            ));
            res.divergences.push(found);
        }
        if to_qemu {
            res.qemu_runs += 1;
            let report = qemu::compare(&mut runner, &prog, &work_dir, cfg.vm_bin.as_deref())?;
            if !report.mismatches.is_empty() {
                log(&format!(
                    "QEMU MISMATCH seed {seed}: {}{}",
                    report.mismatches.join("; "),
                    report
                        .elf
                        .as_ref()
                        .map(|f| format!(" (ELF kept: {})", f.display()))
                        .unwrap_or_default()
                ));
                res.qemu_mismatches.push((seed, report));
            }
        }
        let n = done.fetch_add(1, Ordering::Relaxed) + 1;
        if cfg.progress_every > 0 && n.is_multiple_of(cfg.progress_every) {
            log(&format!(
                "progress: {n} programs in {:.0?}",
                start.elapsed()
            ));
        }
        i += jobs;
    }
    Ok(res)
}
