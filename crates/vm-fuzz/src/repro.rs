//! Reproducer files: a minimised divergent program saved as text under
//! `tests/difftest-regressions/`, replayed by this crate's regression test.
//!
//! Format (one `key: value` per line, `#` lines are comments):
//!
//! ```text
//! # what differed, for the reader
//! seed: 1234
//! engine: jit            (the engine that disagreed with the interpreter)
//! status: open           (open: still diverges; fixed: must agree now)
//! code: 00845413 4501 ...  (instruction words in order; 4 hex digits = compressed)
//! data: 0a1b...          (initial data region, hex)
//! ```
//!
//! The words are stored rather than the seed alone so that a reproducer
//! outlives changes to the generator.

use crate::asm::Word;
use crate::layout::CODE_BASE;
use crate::runner::{Case, Divergence};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// Whether a reproducer is expected to still diverge.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Status {
    /// The bug is not fixed: replaying must still show the divergence
    /// (so a fix is noticed and the file flipped to `fixed`).
    Open,
    /// Fixed: every engine must agree.
    Fixed,
}

/// A parsed reproducer.
#[derive(Clone, Debug)]
pub struct Repro {
    /// The generator seed it came from.
    pub seed: u64,
    /// The engine that disagreed.
    pub engine: String,
    /// Open or fixed.
    pub status: Status,
    /// The program.
    pub case: Case,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

fn unhex(s: &str) -> Result<Vec<u8>, String> {
    if !s.len().is_multiple_of(2) {
        return Err("odd hex length".into());
    }
    (0..s.len())
        .step_by(2)
        .map(|i| {
            s.get(i..i + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("bad hex at {i}"))
        })
        .collect()
}

/// Text of a reproducer for `case`, which diverged as `div`.
pub fn render(seed: u64, case: &Case, div: &Divergence) -> String {
    let mut s = format!(
        "# vm-difftest reproducer: {} disagrees with {}\n",
        div.other, div.reference
    );
    for line in div.differences() {
        let _ = writeln!(s, "#   {line}");
    }
    s.push_str("# disassembly:\n");
    for w in &case.words {
        let _ = writeln!(
            s,
            "#   {:#x}: {}",
            w.pc,
            vm_frontend::disassemble_bits(w.bits, w.pc)
        );
    }
    let _ = writeln!(s, "seed: {seed}");
    let _ = writeln!(s, "engine: {}", div.other);
    s.push_str("status: open\n");
    let code: Vec<String> = case
        .words
        .iter()
        .map(|w| {
            if w.len == 2 {
                format!("{:04x}", w.bits)
            } else {
                format!("{:08x}", w.bits)
            }
        })
        .collect();
    let _ = writeln!(s, "code: {}", code.join(" "));
    let _ = writeln!(s, "data: {}", hex(&case.data));
    s
}

/// Parse a reproducer's text.
pub fn parse(text: &str) -> Result<Repro, String> {
    let mut seed = None;
    let mut engine = None;
    let mut status = None;
    let mut code = None;
    let mut data = None;
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (k, v) = line
            .split_once(':')
            .ok_or_else(|| format!("not key: value: {line}"))?;
        let v = v.trim();
        match k.trim() {
            "seed" => seed = Some(v.parse::<u64>().map_err(|e| format!("seed: {e}"))?),
            "engine" => engine = Some(v.to_string()),
            "status" => {
                status = Some(match v {
                    "open" => Status::Open,
                    "fixed" => Status::Fixed,
                    _ => return Err(format!("status: {v}")),
                })
            }
            "code" => {
                let mut words = Vec::new();
                let mut pc = CODE_BASE;
                for tok in v.split_whitespace() {
                    let bits = u32::from_str_radix(tok, 16).map_err(|e| format!("code: {e}"))?;
                    let len = match tok.len() {
                        4 => 2,
                        8 => 4,
                        _ => return Err(format!("code word {tok}")),
                    };
                    words.push(Word { pc, bits, len });
                    pc += len as u64;
                }
                code = Some(words);
            }
            "data" => data = Some(unhex(v)?),
            other => return Err(format!("unknown key {other}")),
        }
    }
    Ok(Repro {
        seed: seed.ok_or("missing seed")?,
        engine: engine.ok_or("missing engine")?,
        status: status.ok_or("missing status")?,
        case: Case {
            words: code.ok_or("missing code")?,
            data: data.ok_or("missing data")?,
        },
    })
}

/// Save a reproducer in `dir` as `seed-<seed>-<engine>.repro`; returns its path.
pub fn save(dir: &Path, seed: u64, case: &Case, div: &Divergence) -> std::io::Result<PathBuf> {
    std::fs::create_dir_all(dir)?;
    let path = dir.join(format!("seed-{seed}-{}.repro", div.other));
    std::fs::write(&path, render(seed, case, div))?;
    Ok(path)
}

/// The repository's reproducer directory.
pub fn default_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/difftest-regressions")
}
