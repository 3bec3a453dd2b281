//! A rough speed check of the hot guest-access paths (no assertions on time):
//! `cargo run -p vm-mem --release --example access_speed`.

use std::hint::black_box;
use std::time::Instant;

use vm_mem::{Backing, GuestMemory, MapFlags, PAGE_SIZE, Perm};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mem = GuestMemory::new()?;
    let pages = 16;
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    let base = mem
        .map(
            0x10_0000,
            pages * PAGE_SIZE,
            Perm::RWX,
            flags,
            Backing::Anonymous,
            "bench",
        )
        .map_err(|e| format!("map failed: errno {}", e.0))?;
    let span = pages * PAGE_SIZE - 8;
    let iters: u64 = 20_000_000;

    let t = Instant::now();
    for i in 0..iters {
        let addr = base + (i * 8) % span;
        mem.store(black_box(addr), 8, i)
            .map_err(|f| format!("store fault at {:#x}", f.addr))?;
    }
    report("store u64", t, iters);

    let t = Instant::now();
    let mut sum = 0u64;
    for i in 0..iters {
        let addr = base + (i * 8) % span;
        sum = sum.wrapping_add(
            mem.load(black_box(addr), 8)
                .map_err(|f| format!("load fault at {:#x}", f.addr))?,
        );
    }
    report("load u64", t, iters);

    let t = Instant::now();
    for i in 0..iters {
        let addr = base + (i * 2) % span;
        let parcel = mem
            .fetch_u16(black_box(addr))
            .map_err(|f| format!("fetch fault at {:#x}", f.addr))?;
        sum = sum.wrapping_add(u64::from(parcel));
    }
    report("fetch u16", t, iters);
    println!("(checksum {sum:#x})");
    Ok(())
}

fn report(what: &str, start: Instant, iters: u64) {
    let ns = start.elapsed().as_nanos() as f64 / iters as f64;
    println!("{what:>10}: {ns:.2} ns/op");
}
