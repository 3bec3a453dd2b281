//! A fixed-seed differential campaign: every engine configuration must
//! agree with the interpreter, and qemu with the in-process reference.
//! Needs `qemu-riscv64` for the second test: it fails when `CI` is set and
//! qemu is missing, and prints a note otherwise.

use vm_fuzz::campaign::{self, CampaignConfig};

fn report(r: &campaign::CampaignResult) -> String {
    let mut s = String::new();
    for d in &r.divergences {
        s.push_str(&format!(
            "seed {} on {}: {}\n",
            d.seed,
            d.engine,
            d.differences.join("; ")
        ));
    }
    for (seed, q) in &r.qemu_mismatches {
        s.push_str(&format!("qemu seed {seed}: {}\n", q.mismatches.join("; ")));
    }
    s
}

#[test]
fn engines_agree_on_fixed_seeds() {
    let cfg = CampaignConfig {
        count: 300,
        seed: 0x5eed_0000,
        shrink: true,
        jobs: 2,
        ..CampaignConfig::default()
    };
    let r = campaign::run(&cfg, &mut |l| eprintln!("{l}")).expect("campaign");
    eprintln!("{} programs in {:.2?}", r.programs, r.elapsed);
    assert_eq!(
        r.programs, 300,
        "the workers together run every program once"
    );
    assert_eq!(
        r.engine_runs, 600,
        "each program: the interpreter and one JIT configuration"
    );
    assert!(r.divergences.is_empty(), "{}", report(&r));
}

#[test]
fn qemu_agrees_on_fixed_seeds() {
    if !vm_fuzz::qemu::qemu_available() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{} is required when CI is set",
            vm_fuzz::qemu::QEMU
        );
        eprintln!("note: {} not found; skipping", vm_fuzz::qemu::QEMU);
        return;
    }
    let cfg = CampaignConfig {
        count: 40,
        seed: 0x9e3u64 << 20,
        qemu_every: Some(1),
        vm_bin: vm_fuzz::qemu::vm_binary(),
        work_dir: std::env::temp_dir().join(format!("vm-difftest-test-{}", std::process::id())),
        ..CampaignConfig::default()
    };
    let r = campaign::run(&cfg, &mut |l| eprintln!("{l}")).expect("campaign");
    assert_eq!(r.qemu_runs, 40);
    assert!(
        r.divergences.is_empty() && r.qemu_mismatches.is_empty(),
        "{}",
        report(&r)
    );
}
