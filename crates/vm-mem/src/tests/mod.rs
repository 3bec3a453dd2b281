//! Unit tests of the whole address space (arena, table and bookkeeping
//! together); the region map's own tests live beside it.

mod access;
mod brk;
mod files;
mod space;

use crate::{Backing, GuestMemory, MapFlags, PAGE_SIZE, Perm};

/// A fresh address space.
fn mem() -> GuestMemory {
    GuestMemory::new().expect("reserve guest space")
}

/// Map `pages` anonymous private pages at `addr` with `perm`, fixed.
fn fixed(mem: &GuestMemory, addr: u64, pages: u64, perm: Perm) {
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    let got = mem
        .map(addr, pages * PAGE_SIZE, perm, flags, Backing::Anonymous, "")
        .expect("fixed map");
    assert_eq!(got, addr);
}

#[test]
fn guest_memory_is_send_and_sync() {
    fn check<T: Send + Sync>() {}
    check::<GuestMemory>();
}

#[test]
fn drop_releases_the_reservation() {
    // 600 arenas of 2^38 bytes exceed a 47-bit host address space (2^47), so
    // this only passes if each one is unmapped when dropped.
    for _ in 0..600 {
        let m = mem();
        fixed(&m, 0x10_0000, 1, Perm::RW);
        m.store(0x10_0000, 8, 1).expect("store");
    }
}
