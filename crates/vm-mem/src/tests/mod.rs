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
