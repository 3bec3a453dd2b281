//! Programs that end in a faulting access: the generator makes them (one
//! in eight), every engine reports the same fault, at the address Linux
//! would report, with the same state (registers the body left in host
//! registers of compiled code included).

use vm_core::Exit;
use vm_fuzz::layout::{CODE_BASE, DATA_BASE, DATA_MAP_BYTES};
use vm_fuzz::runner::{Case, Runner};
use vm_fuzz::{GenConfig, generate};

/// Whether `addr` is one the probes aim at (see `Gen::fault_probe`): the
/// first byte of the access, or for an access that runs into an
/// inaccessible page, that page's first byte.
fn aimed_at(addr: u64) -> bool {
    let unmapped = DATA_BASE + DATA_MAP_BYTES;
    (unmapped..unmapped + 64).contains(&addr)
        || addr == 0
        || (CODE_BASE..CODE_BASE + 64).contains(&addr)
        || ((1 << 38) - 8..=1 << 38).contains(&addr)
        || addr == 1 << 40
}

#[test]
fn some_programs_end_in_a_fault_every_engine_agrees_on() {
    let mut r = Runner::new().expect("runner");
    let engines = r.engine_names().len();
    let mut faults = 0;
    for seed in 0..320 {
        let prog = generate(seed, &GenConfig::default());
        let case = Case::from_program(&prog).expect("assembles");
        let reference = r.run_on(0, &case).expect("runs");
        let Exit::MemFault { addr, .. } = reference.exit else {
            continue;
        };
        faults += 1;
        assert!(aimed_at(addr), "seed {seed}: fault at {addr:#x}");
        for e in 1..engines {
            let other = r.run_on(e, &case).expect("runs");
            assert_eq!(
                other.diff(&reference),
                Vec::<String>::new(),
                "seed {seed} on {}",
                r.engine_names()[e]
            );
        }
    }
    assert!(
        (20..=80).contains(&faults),
        "{faults} of 320 programs faulted"
    );
}
