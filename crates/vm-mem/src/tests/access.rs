//! Loads, stores, fetches, atomics and copies against permissions.

use super::{fixed, mem};
use crate::{GUEST_SPACE_BYTES, MemFault, PAGE_SIZE, Perm};

const A: u64 = 0x40_0000;

#[test]
fn store_then_load_every_size_and_alignment() {
    let m = mem();
    fixed(&m, A, 2, Perm::RW);
    let val = 0x8877_6655_4433_2211u64;
    for size in [1u32, 2, 4, 8] {
        for misalign in 0..8 {
            let addr = A + 64 + misalign;
            m.store(addr, size, val).unwrap();
            let mask = if size == 8 {
                u64::MAX
            } else {
                (1u64 << (size * 8)) - 1
            };
            assert_eq!(
                m.load(addr, size).unwrap(),
                val & mask,
                "size {size} at +{misalign}"
            );
        }
    }
}

#[test]
fn stores_are_little_endian() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    m.store(A + 3, 8, 0x0807_0605_0403_0201).unwrap();
    let mut bytes = [0u8; 8];
    m.read_bytes(A + 3, &mut bytes).unwrap();
    assert_eq!(bytes, [1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(m.load(A + 4, 2).unwrap(), 0x0302);
}

#[test]
fn new_anonymous_memory_reads_zero() {
    let m = mem();
    fixed(&m, A, 3, Perm::R);
    assert_eq!(m.load(A, 8).unwrap(), 0);
    assert_eq!(m.load(A + 3 * PAGE_SIZE - 8, 8).unwrap(), 0);
}

#[test]
fn unmapped_access_faults_at_the_address() {
    let m = mem();
    assert_eq!(m.load(A + 5, 4), Err(MemFault::at(A + 5)));
    assert_eq!(m.store(A + 5, 1, 0), Err(MemFault::at(A + 5)));
    assert_eq!(m.fetch_u16(A + 6), Err(MemFault::at(A + 6)));
}

#[test]
fn crossing_into_a_bad_second_page_faults_at_its_first_byte() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    let addr = A + PAGE_SIZE - 3;
    assert_eq!(m.load(addr, 8), Err(MemFault::at(A + PAGE_SIZE)));
    assert_eq!(m.store(addr, 4, 0), Err(MemFault::at(A + PAGE_SIZE)));
    // Entirely inside the first page is fine.
    assert_eq!(m.load(A + PAGE_SIZE - 8, 8), Ok(0));
}

#[test]
fn crossing_from_a_bad_first_page_faults_at_the_address() {
    let m = mem();
    fixed(&m, A + PAGE_SIZE, 1, Perm::RW);
    let addr = A + PAGE_SIZE - 2;
    assert_eq!(m.load(addr, 4), Err(MemFault::at(addr)));
    assert_eq!(m.load(A + PAGE_SIZE, 4), Ok(0));
}

#[test]
fn crossing_mixed_permissions() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    fixed(&m, A + PAGE_SIZE, 1, Perm::R);
    let addr = A + PAGE_SIZE - 4;
    // Reading across is allowed, writing is not, and nothing is written.
    assert_eq!(m.load(addr, 8), Ok(0));
    assert_eq!(m.store(addr, 8, u64::MAX), Err(MemFault::at(A + PAGE_SIZE)));
    assert_eq!(m.load(addr, 4), Ok(0), "no partial store");
    // Write-only-first-page store of 4 bytes inside it works.
    m.store(addr, 4, 0xdead_beef).unwrap();
    assert_eq!(m.load(addr, 8), Ok(0xdead_beef));
}

#[test]
fn fetch_needs_execute() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    fixed(&m, A + PAGE_SIZE, 1, Perm::RX);
    m.store(A + 8, 2, 0x4501).unwrap();
    assert_eq!(m.fetch_u16(A + 8), Err(MemFault::at(A + 8)));
    m.protect(A, PAGE_SIZE, Perm::RX).unwrap();
    assert_eq!(m.fetch_u16(A + 8), Ok(0x4501));
    // A parcel straddling two executable pages.
    assert_eq!(m.fetch_u16(A + PAGE_SIZE - 1), Ok(0));
}

#[test]
fn end_of_guest_space() {
    let m = mem();
    let top = GUEST_SPACE_BYTES - PAGE_SIZE;
    fixed(&m, top, 1, Perm::RW);
    m.store(GUEST_SPACE_BYTES - 1, 1, 0xab).unwrap();
    assert_eq!(m.load(GUEST_SPACE_BYTES - 1, 1), Ok(0xab));
    assert_eq!(m.load(GUEST_SPACE_BYTES - 8, 8), Ok(0xab << 56));
    // The last bytes would be at and past 2^38.
    assert_eq!(
        m.load(GUEST_SPACE_BYTES - 1, 2),
        Err(MemFault::at(GUEST_SPACE_BYTES))
    );
    assert_eq!(
        m.store(GUEST_SPACE_BYTES - 4, 8, 0),
        Err(MemFault::at(GUEST_SPACE_BYTES))
    );
    assert_eq!(
        m.load(GUEST_SPACE_BYTES, 1),
        Err(MemFault::at(GUEST_SPACE_BYTES))
    );
    let mut buf = [0u8; 16];
    assert_eq!(
        m.read_bytes(GUEST_SPACE_BYTES - 8, &mut buf),
        Err(MemFault::at(GUEST_SPACE_BYTES))
    );
    assert_eq!(m.perm_at(GUEST_SPACE_BYTES), Perm::NONE);
}

#[test]
fn addresses_near_u64_max_fault_without_overflow() {
    let m = mem();
    for addr in [
        u64::MAX,
        u64::MAX - 3,
        u64::MAX - 7,
        1 << 63,
        GUEST_SPACE_BYTES + 17,
    ] {
        for size in [1, 2, 4, 8] {
            assert_eq!(m.load(addr, size), Err(MemFault::at(addr)));
            assert_eq!(m.store(addr, size, 1), Err(MemFault::at(addr)));
        }
        assert_eq!(m.fetch_u16(addr), Err(MemFault::at(addr)));
        let mut buf = [0u8; 4];
        assert_eq!(m.read_bytes(addr, &mut buf), Err(MemFault::at(addr)));
        assert_eq!(m.write_bytes(addr, &buf), Err(MemFault::at(addr)));
        assert_eq!(m.write_bytes_force(addr, &buf), Err(MemFault::at(addr)));
        assert_eq!(m.host_range(addr, 4, Perm::R), Err(MemFault::at(addr)));
        assert!(m.read_cstr(addr, 10).is_err());
    }
}

#[test]
fn bad_sizes_fault() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    for size in [0, 3, 16] {
        assert_eq!(m.load(A, size), Err(MemFault::at(A)));
        assert_eq!(m.store(A, size, 0), Err(MemFault::at(A)));
    }
}

#[test]
fn atomics_check_alignment_first_then_permissions() {
    let m = mem();
    fixed(&m, A, 1, Perm::R);
    fixed(&m, A + PAGE_SIZE, 1, Perm::RW);
    // Misaligned: None even where nothing is mapped.
    assert!(matches!(m.atomic_u32(0x1002), Ok(None)));
    assert!(matches!(m.atomic_u64(A + PAGE_SIZE + 4), Ok(None)));
    // Aligned but read-only or unmapped.
    assert_eq!(m.atomic_u32(A).err(), Some(MemFault::at(A)));
    assert_eq!(m.atomic_u64(0x2000).err(), Some(MemFault::at(0x2000)));
    // Aligned and RW: it is the guest word.
    let w = m.atomic_u64(A + PAGE_SIZE + 8).unwrap().unwrap();
    w.fetch_add(41, std::sync::atomic::Ordering::SeqCst);
    w.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(m.load(A + PAGE_SIZE + 8, 8), Ok(42));
    let h = m.atomic_u32(A + PAGE_SIZE + 12).unwrap().unwrap();
    h.store(7, std::sync::atomic::Ordering::SeqCst);
    assert_eq!(m.load(A + PAGE_SIZE + 12, 4), Ok(7));
}

#[test]
fn bulk_copies_check_every_page() {
    let m = mem();
    fixed(&m, A, 3, Perm::RW);
    m.protect(A + PAGE_SIZE, PAGE_SIZE, Perm::R).unwrap();
    let data: Vec<u8> = (0..3 * PAGE_SIZE).map(|i| (i % 251) as u8).collect();
    assert_eq!(m.write_bytes(A, &data), Err(MemFault::at(A + PAGE_SIZE)));
    assert_eq!(m.load(A, 8), Ok(0), "nothing written on fault");
    m.write_bytes_force(A, &data).unwrap();
    let mut back = vec![0u8; data.len()];
    m.read_bytes(A, &mut back).unwrap();
    assert_eq!(back, data);
    let mut over = vec![0u8; data.len() + 1];
    assert_eq!(
        m.read_bytes(A, &mut over),
        Err(MemFault::at(A + 3 * PAGE_SIZE))
    );
    assert_eq!(
        m.write_bytes_force(A + 3 * PAGE_SIZE - 1, &[1, 2]),
        Err(MemFault::at(A + 3 * PAGE_SIZE))
    );
    assert_eq!(m.read_bytes(A, &mut []), Ok(()));
}

#[test]
fn mapped_prot_none_page() {
    let m = mem();
    fixed(&m, A, 1, Perm::NONE);
    assert_eq!(m.load(A, 1), Err(MemFault::at(A)));
    assert_eq!(m.perm_at(A), Perm::NONE);
    // Mapped, so the loader may still write it.
    m.write_bytes_force(A, &[9]).unwrap();
    m.protect(A, PAGE_SIZE, Perm::R).unwrap();
    assert_eq!(m.load(A, 1), Ok(9));
    assert_eq!(
        m.host_range(A, 1, Perm::NONE).map(|p| p as usize),
        Ok(m.base() as usize + A as usize)
    );
}

#[test]
fn read_cstr_limits() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    m.write_bytes(A, b"hello\0world").unwrap();
    assert_eq!(m.read_cstr(A, 100).unwrap(), b"hello");
    assert_eq!(m.read_cstr(A, 6).unwrap(), b"hello");
    assert_eq!(
        m.read_cstr(A, 5).unwrap(),
        b"hello",
        "max bytes, unterminated within max"
    );
    assert_eq!(m.read_cstr(A, 3).unwrap(), b"hel");
    assert_eq!(m.read_cstr(A, 0).unwrap(), b"");
    // Running off the mapping without a NUL faults at the next page.
    let end = A + PAGE_SIZE;
    m.write_bytes(end - 3, b"abc").unwrap();
    assert_eq!(m.read_cstr(end - 3, 10), Err(MemFault::at(end)));
    // ... unless the limit stops it first.
    assert_eq!(m.read_cstr(end - 3, 3).unwrap(), b"abc");
}

#[test]
fn read_cstr_across_pages() {
    let m = mem();
    fixed(&m, A, 2, Perm::R);
    let s: Vec<u8> = (0..5000u32).map(|i| b'a' + (i % 26) as u8).collect();
    m.write_bytes_force(A + 100, &s).unwrap();
    assert_eq!(m.read_cstr(A + 100, 8000).unwrap(), s);
}

#[test]
fn host_range_points_into_the_arena() {
    let m = mem();
    fixed(&m, A, 2, Perm::RW);
    let p = m.host_range(A + 10, PAGE_SIZE, Perm::W).unwrap();
    assert_eq!(p as usize, m.base() as usize + (A + 10) as usize);
    m.protect(A + PAGE_SIZE, PAGE_SIZE, Perm::R).unwrap();
    assert_eq!(
        m.host_range(A + 10, PAGE_SIZE, Perm::W),
        Err(MemFault::at(A + PAGE_SIZE))
    );
    assert!(m.host_range(A + 10, PAGE_SIZE, Perm::R).is_ok());
    assert!(m.host_range(GUEST_SPACE_BYTES, 0, Perm::R).is_ok());
    assert!(m.host_range(GUEST_SPACE_BYTES + 1, 0, Perm::R).is_err());
}

#[test]
fn perm_table_matches_perm_at() {
    let m = mem();
    fixed(&m, A, 1, Perm::RX);
    let byte = {
        // SAFETY: the table covers every guest page; A's page is in range.
        unsafe { *m.perm_table().add((A / PAGE_SIZE) as usize) }
    };
    assert_eq!(byte & 7, Perm::RX.0);
    assert_eq!(m.perm_at(A + 100), Perm::RX);
    assert_eq!(m.perm_at(A + PAGE_SIZE), Perm::NONE);
}

#[test]
fn concurrent_access_from_threads() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    std::thread::scope(|s| {
        for t in 0..2u64 {
            let m = &m;
            s.spawn(move || {
                for _ in 0..1000 {
                    m.atomic_u64(A)
                        .unwrap()
                        .unwrap()
                        .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    m.store(A + 8 + t * 8, 8, t).unwrap();
                }
            });
        }
    });
    assert_eq!(m.load(A, 8), Ok(2000));
    assert_eq!(m.load(A + 16, 8), Ok(1));
}

/// The host protection of the page holding guest `addr`, as /proc/self/maps
/// lists it ("rw-p", "r--p", "---p", ...).
fn host_perms(m: &crate::GuestMemory, addr: u64) -> String {
    let host = m.base() as u64 + addr;
    let maps = std::fs::read_to_string("/proc/self/maps").unwrap();
    for line in maps.lines() {
        let mut f = line.split_whitespace();
        let range = f.next().unwrap();
        let perms = f.next().unwrap();
        let (lo, hi) = range.split_once('-').unwrap();
        let lo = u64::from_str_radix(lo, 16).unwrap();
        let hi = u64::from_str_radix(hi, 16).unwrap();
        if (lo..hi).contains(&host) {
            return perms[..3].to_string();
        }
    }
    panic!("host address {host:#x} not mapped");
}

#[test]
fn host_protection_mirrors_guest_permissions() {
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    assert_eq!(host_perms(&m, A), "rw-");
    for (perm, host) in [
        (Perm::R, "r--"),
        (Perm::NONE, "---"),
        (Perm::X, "r--"),
        (Perm::W, "rw-"),
        (Perm::RX, "r--"),
        (Perm::RWX, "rw-"),
    ] {
        m.protect(A, PAGE_SIZE, perm).unwrap();
        assert_eq!(host_perms(&m, A), host, "guest {perm:?}");
    }
    m.unmap(A, PAGE_SIZE).unwrap();
    assert_eq!(host_perms(&m, A), "---");
}

#[test]
fn write_or_execute_permission_implies_read() {
    // As Linux on RISC-V (no write-only page table entries) and qemu-user.
    let m = mem();
    fixed(&m, A, 1, Perm::RW);
    m.store(A, 4, 0x1234_5678).unwrap();
    for perm in [Perm::W, Perm::X] {
        m.protect(A, PAGE_SIZE, perm).unwrap();
        assert_eq!(m.load(A, 4), Ok(0x1234_5678), "guest {perm:?}");
    }
    assert_eq!(m.store(A, 4, 1), Err(MemFault::at(A)), "X is not W");
    m.protect(A, PAGE_SIZE, Perm::NONE).unwrap();
    assert_eq!(m.load(A, 4), Err(MemFault::at(A)));
}

#[test]
fn forced_writes_reach_read_only_pages() {
    let m = mem();
    fixed(&m, A, 2, Perm::RX);
    m.write_bytes_force(A + PAGE_SIZE - 2, &[1, 2, 3, 4])
        .unwrap();
    assert_eq!(m.load(A + PAGE_SIZE - 2, 4), Ok(0x0403_0201));
    assert_eq!(host_perms(&m, A), "r--", "the protection is kept");
    assert_eq!(m.store(A, 1, 0), Err(MemFault::at(A)));
}
