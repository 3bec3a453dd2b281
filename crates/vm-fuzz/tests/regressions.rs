//! Replays every reproducer in `tests/difftest-regressions/`: `fixed` ones
//! must now agree across all engines; `open` ones must still diverge (so a
//! fix is noticed and the file is flipped to `fixed`).

use vm_fuzz::repro::{self, Status};
use vm_fuzz::runner::Runner;

#[test]
fn saved_reproducers_replay_as_recorded() {
    let dir = repro::default_dir();
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.filter_map(|e| e.ok()).map(|e| e.path()).collect())
        .unwrap_or_default();
    files.retain(|p| p.extension().is_some_and(|e| e == "repro"));
    files.sort();
    let mut runner = Runner::new().expect("runner");
    let mut failures = Vec::new();
    for f in &files {
        let text = std::fs::read_to_string(f).expect("read reproducer");
        let r = repro::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        let div = runner.check(&r.case).expect("run");
        match (r.status, div) {
            (Status::Fixed, Some(d)) => failures.push(format!(
                "{}: diverges again on {}: {}",
                f.display(),
                d.other,
                d.differences().join("; ")
            )),
            (Status::Open, None) => failures.push(format!(
                "{}: no longer diverges; mark it `status: fixed`",
                f.display()
            )),
            _ => {}
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
