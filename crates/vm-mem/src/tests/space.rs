//! mmap/munmap/mprotect/mremap behaviour and errors.

use super::{fixed, mem};
use crate::{
    Backing, Errno, GUEST_SPACE_BYTES, MMAP_MIN_ADDR, MMAP_TOP, MapFlags, MemFault, PAGE_SIZE, Perm,
};

const A: u64 = 0x100_0000;
const FIXED: MapFlags = MapFlags {
    fixed: true,
    fixed_noreplace: false,
    shared: false,
};
const NOREPLACE: MapFlags = MapFlags {
    fixed: false,
    fixed_noreplace: true,
    shared: false,
};
const FLOAT: MapFlags = MapFlags {
    fixed: false,
    fixed_noreplace: false,
    shared: false,
};
const P: u64 = PAGE_SIZE;

fn einval() -> Errno {
    Errno(libc::EINVAL)
}

fn enomem() -> Errno {
    Errno(libc::ENOMEM)
}

/// (start, end, perm) of every mapping.
fn layout(m: &crate::GuestMemory) -> Vec<(u64, u64, Perm)> {
    m.mappings()
        .iter()
        .map(|x| (x.start, x.end, x.perm))
        .collect()
}

#[test]
fn floating_maps_go_top_down_below_mmap_top() {
    let m = mem();
    let a = m
        .map(0, 10, Perm::RW, FLOAT, Backing::Anonymous, "a")
        .unwrap();
    let b = m
        .map(0, 3 * P, Perm::R, FLOAT, Backing::Anonymous, "b")
        .unwrap();
    assert_eq!(
        a,
        MMAP_TOP - P,
        "length rounded up to a page, placed at the top"
    );
    assert_eq!(b, a - 3 * P);
    let maps = m.mappings();
    assert_eq!(maps.len(), 2);
    assert_eq!(
        (maps[0].start, maps[0].end, maps[0].name.as_str()),
        (b, a, "b")
    );
    assert_eq!(
        (maps[1].start, maps[1].end, maps[1].name.as_str()),
        (a, a + P, "a")
    );
    assert!(!maps[0].shared);
    // An unmapped gap above is reused.
    m.unmap(a, P).unwrap();
    assert_eq!(
        m.map(0, P, Perm::RW, FLOAT, Backing::Anonymous, "")
            .unwrap(),
        a
    );
}

#[test]
fn free_hint_is_used_and_occupied_hint_is_not() {
    let m = mem();
    assert_eq!(
        m.map(A, P, Perm::RW, FLOAT, Backing::Anonymous, "")
            .unwrap(),
        A
    );
    let again = m
        .map(A, P, Perm::RW, FLOAT, Backing::Anonymous, "")
        .unwrap();
    assert_ne!(again, A);
    assert_eq!(again, MMAP_TOP - P);
    // A hint below the minimum address is ignored.
    assert_ne!(
        m.map(0x1000, P, Perm::RW, FLOAT, Backing::Anonymous, "")
            .unwrap(),
        0x1000
    );
}

#[test]
fn map_argument_errors() {
    let m = mem();
    let anon = Backing::Anonymous;
    assert_eq!(m.map(A, 0, Perm::RW, FLOAT, anon, ""), Err(einval()));
    assert_eq!(m.map(A + 1, P, Perm::RW, FIXED, anon, ""), Err(einval()));
    assert_eq!(
        m.map(A + 1, P, Perm::RW, NOREPLACE, anon, ""),
        Err(einval())
    );
    assert_eq!(
        m.map(GUEST_SPACE_BYTES - P, 2 * P, Perm::RW, FIXED, anon, ""),
        Err(enomem())
    );
    assert_eq!(m.map(!(P - 1), P, Perm::RW, FIXED, anon, ""), Err(enomem()));
    assert_eq!(m.map(0, u64::MAX, Perm::RW, FLOAT, anon, ""), Err(enomem()));
    assert_eq!(
        m.map(0, GUEST_SPACE_BYTES + 1, Perm::RW, FLOAT, anon, ""),
        Err(enomem())
    );
    assert_eq!(
        m.map(0, P, Perm::RW, FIXED, anon, ""),
        Err(Errno(libc::EPERM))
    );
    let file = Backing::File {
        fd: -1,
        offset: 100,
    };
    assert_eq!(m.map(0, P, Perm::R, FLOAT, file, ""), Err(einval()));
    assert_eq!(
        m.map(
            0,
            P,
            Perm::R,
            FLOAT,
            Backing::File { fd: -1, offset: 0 },
            ""
        ),
        Err(Errno(libc::EBADF))
    );
    assert!(m.mappings().is_empty(), "failed calls map nothing");
}

#[test]
fn no_gap_large_enough_is_enomem() {
    let m = mem();
    let mid = GUEST_SPACE_BYTES / 2;
    fixed(&m, mid, 1, Perm::NONE);
    assert_eq!(
        m.map(0, mid + P, Perm::RW, FLOAT, Backing::Anonymous, ""),
        Err(enomem())
    );
    // The lower gap still fits something of its size.
    assert_eq!(
        m.map(
            0,
            mid - MMAP_MIN_ADDR,
            Perm::NONE,
            FLOAT,
            Backing::Anonymous,
            ""
        ),
        Ok(MMAP_MIN_ADDR)
    );
}

#[test]
fn fixed_noreplace_refuses_occupied_range() {
    let m = mem();
    fixed(&m, A + P, 1, Perm::RW);
    m.store(A + P, 8, 5).unwrap();
    assert_eq!(
        m.map(A, 2 * P, Perm::RW, NOREPLACE, Backing::Anonymous, ""),
        Err(Errno(libc::EEXIST))
    );
    assert_eq!(m.load(A + P, 8), Ok(5), "old mapping untouched");
    assert_eq!(
        m.map(A + 2 * P, P, Perm::RW, NOREPLACE, Backing::Anonymous, ""),
        Ok(A + 2 * P)
    );
}

#[test]
fn fixed_replaces_and_zeroes() {
    let m = mem();
    fixed(&m, A, 3, Perm::RW);
    m.store(A + P, 8, 77).unwrap();
    m.store(A, 8, 66).unwrap();
    let got = m
        .map(A + P, P, Perm::R, FIXED, Backing::Anonymous, "mid")
        .unwrap();
    assert_eq!(got, A + P);
    assert_eq!(m.load(A + P, 8), Ok(0));
    assert_eq!(m.load(A, 8), Ok(66));
    assert_eq!(
        layout(&m),
        vec![
            (A, A + P, Perm::RW),
            (A + P, A + 2 * P, Perm::R),
            (A + 2 * P, A + 3 * P, Perm::RW)
        ]
    );
}

#[test]
fn unmap_splits_and_clears() {
    let m = mem();
    fixed(&m, A, 4, Perm::RW);
    m.store(A + 3 * P, 8, 1).unwrap();
    m.unmap(A + P, 2 * P - 100).unwrap(); // length rounds up to 2 pages
    assert_eq!(
        layout(&m),
        vec![(A, A + P, Perm::RW), (A + 3 * P, A + 4 * P, Perm::RW)]
    );
    assert_eq!(m.load(A + P, 1), Err(MemFault::at(A + P)));
    assert_eq!(m.load(A + 2 * P + 5, 1), Err(MemFault::at(A + 2 * P + 5)));
    assert_eq!(m.load(A + 3 * P, 8), Ok(1));
    // Unmapping holes (and across holes) is fine.
    m.unmap(A, 10 * P).unwrap();
    assert!(m.mappings().is_empty());
    assert_eq!(m.perm_at(A), Perm::NONE);
}

#[test]
fn unmap_errors() {
    let m = mem();
    assert_eq!(m.unmap(A + 1, P), Err(einval()));
    assert_eq!(m.unmap(A, 0), Err(einval()));
    assert_eq!(m.unmap(GUEST_SPACE_BYTES - P, 2 * P), Err(einval()));
    assert_eq!(m.unmap(A, u64::MAX), Err(einval()));
    assert_eq!(m.unmap(GUEST_SPACE_BYTES - P, P), Ok(()));
}

#[test]
fn protect_splits_and_merges_back() {
    let m = mem();
    fixed(&m, A, 3, Perm::RW);
    m.protect(A + P, 1, Perm::R).unwrap();
    assert_eq!(
        layout(&m),
        vec![
            (A, A + P, Perm::RW),
            (A + P, A + 2 * P, Perm::R),
            (A + 2 * P, A + 3 * P, Perm::RW)
        ]
    );
    assert_eq!(m.store(A + P, 1, 0), Err(MemFault::at(A + P)));
    assert_eq!(m.store(A + 2 * P, 1, 0), Ok(()));
    m.protect(A + P, P, Perm::RW).unwrap();
    assert_eq!(layout(&m), vec![(A, A + 3 * P, Perm::RW)]);
}

#[test]
fn protect_errors() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    fixed(&m, A + 2 * P, 1, Perm::RW);
    assert_eq!(m.protect(A + 1, P, Perm::R), Err(einval()));
    assert_eq!(
        m.protect(A, 3 * P, Perm::R),
        Err(enomem()),
        "hole in the range"
    );
    assert_eq!(m.perm_at(A), Perm::RW, "nothing changed");
    assert_eq!(m.protect(A, 0, Perm::R), Ok(()));
    assert_eq!(m.perm_at(A), Perm::RW);
    assert_eq!(m.protect(GUEST_SPACE_BYTES, P, Perm::R), Err(enomem()));
    assert_eq!(m.protect(A, u64::MAX - P, Perm::R), Err(enomem()));
}

#[test]
fn adjacent_equal_mappings_merge() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    fixed(&m, A + P, 1, Perm::RW);
    fixed(&m, A + 2 * P, 1, Perm::R);
    assert_eq!(
        layout(&m),
        vec![(A, A + 2 * P, Perm::RW), (A + 2 * P, A + 3 * P, Perm::R)]
    );
    // Different names do not merge.
    m.map(A + 3 * P, P, Perm::R, FIXED, Backing::Anonymous, "x")
        .unwrap();
    assert_eq!(m.mappings().len(), 3);
}

#[test]
fn remap_shrinks_in_place() {
    let m = mem();
    fixed(&m, A, 4, Perm::RW);
    assert_eq!(m.remap(A, 4 * P, P, false, None), Ok(A));
    assert_eq!(layout(&m), vec![(A, A + P, Perm::RW)]);
    assert_eq!(m.load(A + P, 1), Err(MemFault::at(A + P)));
}

#[test]
fn remap_grows_in_place_when_free() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    m.store(A, 8, 9).unwrap();
    assert_eq!(m.remap(A, P, 3 * P, false, None), Ok(A));
    assert_eq!(layout(&m), vec![(A, A + 3 * P, Perm::RW)]);
    assert_eq!(m.load(A, 8), Ok(9));
    assert_eq!(m.load(A + 2 * P, 8), Ok(0));
}

#[test]
fn remap_blocked_without_may_move_is_enomem() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    fixed(&m, A + P, 1, Perm::R);
    assert_eq!(m.remap(A, P, 2 * P, false, None), Err(enomem()));
    // Growing a part that does not reach the end of its mapping cannot be in place.
    fixed(&m, A + 4 * P, 3, Perm::RW);
    assert_eq!(m.remap(A + 4 * P, P, 2 * P, false, None), Err(enomem()));
}

#[test]
fn remap_moves_and_keeps_contents() {
    let m = mem();
    fixed(&m, A, 2, Perm::RW);
    fixed(&m, A + 2 * P, 1, Perm::R);
    m.store(A + 8, 8, 0x1234).unwrap();
    m.store(A + 2 * P - 8, 8, 0x5678).unwrap();
    let to = m.remap(A, 2 * P, 5 * P, true, None).unwrap();
    assert_ne!(to, A);
    assert_eq!(m.load(to + 8, 8), Ok(0x1234));
    assert_eq!(m.load(to + 2 * P - 8, 8), Ok(0x5678));
    assert_eq!(m.load(to + 5 * P - 8, 8), Ok(0));
    assert_eq!(m.load(A, 1), Err(MemFault::at(A)));
    assert_eq!(m.perm_at(to + 4 * P), Perm::RW);
    assert!(layout(&m).contains(&(to, to + 5 * P, Perm::RW)));
}

#[test]
fn remap_fixed_target() {
    let m = mem();
    fixed(&m, A, 2, Perm::RW);
    fixed(&m, A + 10 * P, 4, Perm::R); // its first page is replaced by the move
    m.store(A + 16, 4, 0xfeed).unwrap();
    assert_eq!(m.remap(A, 2 * P, P, true, Some(A + 10 * P)), Ok(A + 10 * P));
    assert_eq!(m.load(A + 10 * P + 16, 4), Ok(0xfeed));
    assert_eq!(
        layout(&m),
        vec![
            (A + 10 * P, A + 11 * P, Perm::RW),
            (A + 11 * P, A + 14 * P, Perm::R)
        ]
    );
}

#[test]
fn remap_errors() {
    let m = mem();
    fixed(&m, A, 2, Perm::RW);
    assert_eq!(m.remap(A + 1, P, P, true, None), Err(einval()));
    assert_eq!(m.remap(A, P, 0, true, None), Err(einval()));
    assert_eq!(m.remap(A, P, 2 * P, false, Some(A + 8 * P)), Err(einval()));
    assert_eq!(m.remap(A, P, P, true, Some(A + 8 * P + 1)), Err(einval()));
    assert_eq!(
        m.remap(A, 2 * P, 2 * P, true, Some(A + P)),
        Err(einval()),
        "overlap"
    );
    assert_eq!(
        m.remap(A + 4 * P, P, 2 * P, true, None),
        Err(Errno(libc::EFAULT))
    );
    assert_eq!(
        m.remap(A, 3 * P, 4 * P, true, None),
        Err(Errno(libc::EFAULT)),
        "beyond the mapping"
    );
    assert_eq!(
        layout(&m),
        vec![(A, A + 2 * P, Perm::RW)],
        "nothing changed"
    );
}

#[test]
fn shared_anonymous_survives_a_move() {
    let m = mem();
    let flags = MapFlags {
        shared: true,
        ..FLOAT
    };
    let a = m
        .map(0, 2 * P, Perm::RW, flags, Backing::Anonymous, "")
        .unwrap();
    assert!(m.mappings()[0].shared);
    m.store(a + P + 8, 8, 31).unwrap();
    let b = m.remap(a, 2 * P, 4 * P, true, Some(A)).unwrap();
    assert_eq!(b, A);
    assert_eq!(m.load(A + P + 8, 8), Ok(31));
    assert_eq!(m.load(A + 4 * P - 8, 8), Ok(0));
    assert_eq!(m.load(a, 1), Err(MemFault::at(a)));
    // Grows in place too.
    assert_eq!(m.remap(A, 4 * P, 6 * P, false, None), Ok(A));
    m.store(A + 6 * P - 8, 8, 3).unwrap();
    assert_eq!(m.load(A + 6 * P - 8, 8), Ok(3));
}

#[test]
fn large_unmap_clears_every_table_entry() {
    let m = mem();
    // 16 MiB is one whole table page; cover two with ragged edges.
    let x = 0x1000_0000;
    let len = 2 * (16 << 20) + 2 * P;
    assert_eq!(
        m.map(x - P, len, Perm::RW, FIXED, Backing::Anonymous, ""),
        Ok(x - P)
    );
    for probe in [x - P, x, x + (16 << 20), x + (32 << 20)] {
        m.store(probe, 1, 1).unwrap();
    }
    m.unmap(x - P, len).unwrap();
    for probe in [x - P, x, x + 12345, x + (16 << 20), x + (32 << 20)] {
        assert_eq!(m.perm_at(probe), Perm::NONE);
        assert_eq!(m.load(probe, 1), Err(MemFault::at(probe)));
    }
    fixed(&m, x, 1, Perm::R);
    assert_eq!(m.load(x, 1), Ok(0));
    assert_eq!(m.perm_at(x + P), Perm::NONE);
}
