//! Running one program under every engine in process and comparing.
//!
//! One [`GuestMemory`] and one instance of each engine are reused for every
//! program (creating a JIT per program would cost more than running it):
//! before each run the code and data regions are rewritten with
//! `write_bytes_force` and every translation is invalidated.

use crate::asm::{Word, assemble, words_to_bytes};
use crate::encode::EncodeError;
use crate::r#gen::{Ending, Program};
use crate::layout::*;
use std::fmt::Write as _;
use vm_core::{CpuState, Exit};
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{JitConfig, JitEngine, Mode};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

/// Most guest instructions one run may execute (generated programs are
/// bounded far below this; a shrunk program may not be).
pub const RUN_INSNS_MAX: u64 = 200_000;

/// A program ready to run: code bytes at [`CODE_BASE`], data at [`DATA_BASE`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Case {
    /// Instructions in order.
    pub words: Vec<Word>,
    /// Initial data region.
    pub data: Vec<u8>,
}

impl Case {
    /// Assemble `prog` with an `ebreak` ending.
    pub fn from_program(prog: &Program) -> Result<Case, EncodeError> {
        Ok(Case {
            words: assemble(&prog.items(Ending::Ebreak), CODE_BASE)?,
            data: prog.data.clone(),
        })
    }

    /// The code bytes.
    pub fn code(&self) -> Vec<u8> {
        words_to_bytes(&self.words)
    }
}

/// What a run ended with.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// The last exit (not `FlushCode`, which the runner handles).
    pub exit: Exit,
    /// Final CPU state.
    pub cpu: CpuState,
    /// Final data region.
    pub data: Vec<u8>,
}

impl Outcome {
    /// Human-readable differences from `other` (empty if equal in every
    /// compared part: exit, pc, x, f, fflags, frm, instret, data).
    pub fn diff(&self, other: &Outcome) -> Vec<String> {
        let mut d = Vec::new();
        if self.exit != other.exit {
            d.push(format!("exit: {:?} vs {:?}", self.exit, other.exit));
        }
        let (a, b) = (&self.cpu, &other.cpu);
        if a.pc != b.pc {
            d.push(format!("pc: {:#x} vs {:#x}", a.pc, b.pc));
        }
        for r in 0..32 {
            if a.x[r] != b.x[r] {
                d.push(format!("x{r}: {:#x} vs {:#x}", a.x[r], b.x[r]));
            }
            if a.f[r] != b.f[r] {
                d.push(format!("f{r}: {:#x} vs {:#x}", a.f[r], b.f[r]));
            }
        }
        if a.fflags != b.fflags {
            d.push(format!("fflags: {:#x} vs {:#x}", a.fflags, b.fflags));
        }
        if a.frm != b.frm {
            d.push(format!("frm: {} vs {}", a.frm, b.frm));
        }
        if a.instret != b.instret {
            d.push(format!("instret: {} vs {}", a.instret, b.instret));
        }
        for (i, (x, y)) in self.data.chunks(8).zip(other.data.chunks(8)).enumerate() {
            if x != y {
                d.push(format!("data+{:#x}: {:02x?} vs {:02x?}", i * 8, x, y));
            }
        }
        d
    }

    /// A short summary for reports.
    pub fn summary(&self) -> String {
        let mut s = format!("exit {:?} at pc {:#x}\n", self.exit, self.cpu.pc);
        for r in 1..32 {
            let _ = writeln!(s, "x{r} = {:#x}", self.cpu.x[r]);
        }
        for r in 0..32 {
            let _ = writeln!(s, "f{r} = {:#x}", self.cpu.f[r]);
        }
        let _ = write!(
            s,
            "fflags = {:#x} frm = {} instret = {}",
            self.cpu.fflags, self.cpu.frm, self.cpu.instret
        );
        s
    }
}

/// Engines compared against each other; the first is the reference.
pub struct Runner {
    mem: GuestMemory,
    engines: Vec<(String, Box<dyn Engine>)>,
}

/// Two engines disagreed on a case.
#[derive(Clone, Debug)]
pub struct Divergence {
    /// Reference engine's name.
    pub reference: String,
    /// The disagreeing engine's name.
    pub other: String,
    /// Reference outcome.
    pub expected: Outcome,
    /// Other outcome.
    pub got: Outcome,
}

impl Divergence {
    /// The parts that differ, as in [`Outcome::diff`].
    pub fn differences(&self) -> Vec<String> {
        self.expected.diff(&self.got)
    }

    /// Which kinds of state differ (e.g. `["exit", "x5"]`): what the
    /// shrinker keeps constant.
    pub fn signature(&self) -> Vec<String> {
        let mut s: Vec<String> = self
            .differences()
            .iter()
            .map(|l| l.split(':').next().unwrap_or("").to_string())
            .collect();
        s.insert(0, self.other.clone());
        s
    }
}

/// Runs of a block's baseline code after which the fuzzed JIT
/// configurations compile it again as a region.
pub const FUZZ_REGION_THRESHOLD: u64 = 20;

impl Runner {
    /// The interpreter (the reference) and every JIT configuration the
    /// public API offers: compile-first with and without block linking, with
    /// the direct baseline emitter and with Cranelift for every block, at
    /// both Cranelift levels, and tiered with a low threshold (so loops
    /// switch tiers in the middle of a run). Every JIT configuration forms
    /// regions after [`FUZZ_REGION_THRESHOLD`] runs of a block rather than
    /// the default, which random programs rarely reach.
    pub fn new() -> Result<Runner, String> {
        let mut engines: Vec<(String, Box<dyn Engine>)> = vec![(
            "interp".into(),
            Box::new(Interpreter::new(EngineConfig::default())),
        )];
        let base = JitConfig {
            region_threshold: FUZZ_REGION_THRESHOLD,
            ..JitConfig::default()
        };
        let configs = [
            ("jit", base.clone()),
            (
                "jit-cranelift-baseline",
                JitConfig {
                    baseline_emitter: false,
                    ..base.clone()
                },
            ),
            (
                "jit-nolink",
                JitConfig {
                    link: false,
                    ..base.clone()
                },
            ),
            (
                "jit-speed",
                JitConfig {
                    opt_level: "speed",
                    ..base.clone()
                },
            ),
            (
                "tiered-2",
                JitConfig {
                    mode: Mode::Tiered { threshold: 2 },
                    ..base.clone()
                },
            ),
        ];
        for (name, cfg) in configs {
            let jit = JitEngine::with_config(cfg).map_err(|e| format!("{name}: {e}"))?;
            engines.push((name.into(), Box::new(jit)));
        }
        Runner::with_engines(engines)
    }

    /// Compare the given engines (the first is the reference).
    pub fn with_engines(engines: Vec<(String, Box<dyn Engine>)>) -> Result<Runner, String> {
        let mem = GuestMemory::new().map_err(|e| format!("guest memory: {e}"))?;
        let fixed = MapFlags {
            fixed: true,
            ..MapFlags::default()
        };
        mem.map(
            CODE_BASE,
            CODE_BYTES_MAX,
            Perm::RX,
            fixed,
            Backing::Anonymous,
            "code",
        )
        .map_err(|e| format!("map code: errno {}", e.0))?;
        mem.map(
            DATA_BASE,
            DATA_MAP_BYTES,
            Perm::RW,
            fixed,
            Backing::Anonymous,
            "data",
        )
        .map_err(|e| format!("map data: errno {}", e.0))?;
        Ok(Runner { mem, engines })
    }

    /// Names of the engines, reference first.
    pub fn engine_names(&self) -> Vec<String> {
        self.engines.iter().map(|(n, _)| n.clone()).collect()
    }

    /// Run `case` under engine number `i`.
    pub fn run_on(&mut self, i: usize, case: &Case) -> Result<Outcome, String> {
        let code = case.code();
        if code.len() as u64 > CODE_BYTES_MAX || case.data.len() as u64 > DATA_MAP_BYTES {
            return Err("program too large".into());
        }
        let mut image = vec![0u8; CODE_BYTES_MAX as usize];
        image[..code.len()].copy_from_slice(&code);
        let mut data = vec![0u8; DATA_MAP_BYTES as usize];
        data[..case.data.len()].copy_from_slice(&case.data);
        let mem = &self.mem;
        mem.write_bytes_force(CODE_BASE, &image)
            .map_err(|f| format!("write code: {f:?}"))?;
        mem.write_bytes_force(DATA_BASE, &data)
            .map_err(|f| format!("write data: {f:?}"))?;
        let engine = &mut self.engines[i].1;
        engine.invalidate(0, u64::MAX);
        let mut cpu = CpuState {
            pc: CODE_BASE,
            ..CpuState::default()
        };
        let exit = loop {
            let left = RUN_INSNS_MAX.saturating_sub(cpu.instret);
            match engine.run(&mut cpu, mem, left.max(1)) {
                Exit::FlushCode => engine.invalidate(0, u64::MAX),
                Exit::Budget if cpu.instret < RUN_INSNS_MAX => {}
                e => break e,
            }
        };
        let mut out = vec![0u8; DATA_BYTES as usize];
        mem.read_bytes(DATA_BASE, &mut out)
            .map_err(|f| format!("read data: {f:?}"))?;
        Ok(Outcome {
            exit,
            cpu,
            data: out,
        })
    }

    /// Run `case` under every engine; the first disagreement with the
    /// reference, if any.
    pub fn check(&mut self, case: &Case) -> Result<Option<Divergence>, String> {
        let all: Vec<usize> = (1..self.engines.len()).collect();
        self.check_engines(case, &all)
    }

    /// Run `case` under the reference and the engines numbered `others`.
    pub fn check_engines(
        &mut self,
        case: &Case,
        others: &[usize],
    ) -> Result<Option<Divergence>, String> {
        let expected = self.run_on(0, case)?;
        for &i in others {
            let got = self.run_on(i, case)?;
            if !got.diff(&expected).is_empty() {
                return Ok(Some(Divergence {
                    reference: self.engines[0].0.clone(),
                    other: self.engines[i].0.clone(),
                    expected,
                    got,
                }));
            }
        }
        Ok(None)
    }

    /// Index of the engine called `name`.
    pub fn engine_index(&self, name: &str) -> Option<usize> {
        self.engines.iter().position(|(n, _)| n == name)
    }
}
