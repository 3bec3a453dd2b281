//! Arena placement, in a process of its own (unit tests run many arenas
//! at once): the first arena takes the low base when that range is free,
//! and another arena alive at the same time goes elsewhere and works the
//! same.

use vm_mem::{
    ARENA_GUARD_BYTES, ARENA_LOW_BASE, Backing, GUEST_SPACE_BYTES, GuestMemory, MapFlags, Perm,
};

/// Map one page at `addr`, write and read it back through `mem`.
fn round_trip(mem: &GuestMemory, addr: u64, v: u64) {
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(addr, 0x1000, Perm::RW, fixed, Backing::Anonymous, "t")
        .expect("map");
    mem.write_bytes(addr + 8, &v.to_le_bytes()).expect("write");
    let mut b = [0u8; 8];
    mem.read_bytes(addr + 8, &mut b).expect("read");
    assert_eq!(u64::from_le_bytes(b), v);
    // The host view agrees: guest `a` lives at `base + a`.
    // SAFETY: the page was just mapped read-write at `base + addr`.
    let host = unsafe { std::ptr::read_unaligned(mem.base().add(addr as usize + 8).cast::<u64>()) };
    assert_eq!(host, v);
}

#[test]
fn first_arena_is_low_second_elsewhere() {
    let low_free = {
        // Whether the host left the low range free (it may not, e.g.
        // under a sanitizer): probe with a reservation of our own.
        let len = (GUEST_SPACE_BYTES + ARENA_GUARD_BYTES) as usize;
        // SAFETY: a hinted (not fixed) PROT_NONE reservation, unmapped
        // right after; it cannot replace existing memory.
        unsafe {
            let p = libc::mmap(
                ARENA_LOW_BASE as *mut libc::c_void,
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            );
            assert_ne!(p, libc::MAP_FAILED);
            libc::munmap(p, len);
            p as usize == ARENA_LOW_BASE
        }
    };
    let a = GuestMemory::new().expect("first arena");
    let b = GuestMemory::new().expect("second arena");
    if low_free {
        assert_eq!(a.base() as usize, ARENA_LOW_BASE);
    }
    assert_ne!(b.base() as usize, ARENA_LOW_BASE);
    let (a0, b0) = (a.base() as u64, b.base() as u64);
    let span = GUEST_SPACE_BYTES + ARENA_GUARD_BYTES;
    assert!(a0 + span <= b0 || b0 + span <= a0, "arenas overlap");
    round_trip(&a, 0x10_0000, 0x1122_3344_5566_7788);
    round_trip(&b, 0x10_0000, 0x99aa_bbcc_ddee_ff00);
    // Once the low arena is gone, the next one gets the range again.
    drop(a);
    let c = GuestMemory::new().expect("third arena");
    if low_free {
        assert_eq!(c.base() as usize, ARENA_LOW_BASE);
    }
}
