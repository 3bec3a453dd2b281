//! The oracle itself: a deliberately wrong engine is caught, the divergent
//! program is shrunk, and its reproducer round-trips through the file format.

use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, EngineStats, Interpreter};
use vm_fuzz::runner::{Case, Runner};
use vm_fuzz::{GenConfig, generate, repro, shrink};
use vm_mem::GuestMemory;

/// The interpreter, except that a breakpoint exit reports `fflags` with
/// bit 4 flipped when `x5` is odd.
struct Faulty(Interpreter);

impl Engine for Faulty {
    fn run(&mut self, cpu: &mut CpuState, mem: &GuestMemory, budget: u64) -> Exit {
        let e = self.0.run(cpu, mem, budget);
        if e == Exit::Breakpoint && cpu.x[5] & 1 == 1 {
            cpu.fflags ^= 0x10;
        }
        e
    }
    fn invalidate(&mut self, start: u64, end: u64) {
        self.0.invalidate(start, end)
    }
    fn stats(&self) -> EngineStats {
        self.0.stats()
    }
    fn name(&self) -> &'static str {
        "faulty"
    }
}

fn runner() -> Runner {
    Runner::with_engines(vec![
        (
            "interp".into(),
            Box::new(Interpreter::new(EngineConfig::default())),
        ),
        (
            "faulty".into(),
            Box::new(Faulty(Interpreter::new(EngineConfig::default()))),
        ),
    ])
    .expect("runner")
}

#[test]
fn a_wrong_engine_is_caught_shrunk_and_saved() {
    let mut r = runner();
    let cfg = GenConfig::default();
    let (prog, div) = (0..200)
        .find_map(|seed| {
            let p = generate(seed, &cfg);
            let c = Case::from_program(&p).unwrap();
            r.check(&c).unwrap().map(|d| (p, d))
        })
        .expect("some program ends with an odd x5");
    assert!(div.differences().iter().any(|d| d.starts_with("fflags")));

    let (small, sdiv) = shrink::shrink(&mut r, &prog, 1, &div);
    let big = Case::from_program(&prog).unwrap().words.len();
    let small_case = Case::from_program(&small).unwrap();
    assert!(
        small_case.words.len() < big / 2,
        "{} of {big}",
        small_case.words.len()
    );
    assert_eq!(sdiv.signature(), div.signature());
    // Still diverges when replayed.
    assert!(r.check(&small_case).unwrap().is_some());

    let text = repro::render(prog.seed, &small_case, &sdiv);
    let back = repro::parse(&text).unwrap();
    assert_eq!(back.case, small_case);
    assert_eq!(back.seed, prog.seed);
    assert_eq!(back.engine, "faulty");
    assert_eq!(back.status, repro::Status::Open);
}

#[test]
fn agreeing_engines_report_nothing() {
    let mut r = Runner::with_engines(vec![
        (
            "a".into(),
            Box::new(Interpreter::new(EngineConfig::default())),
        ),
        (
            "b".into(),
            Box::new(Interpreter::new(EngineConfig::default())),
        ),
    ])
    .unwrap();
    for seed in 0..50 {
        let c = Case::from_program(&generate(seed, &GenConfig::default())).unwrap();
        assert!(r.check(&c).unwrap().is_none(), "seed {seed}");
    }
}
