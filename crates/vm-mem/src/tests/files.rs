//! File-backed mappings, with temporary files.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use super::mem;
use crate::{Backing, Errno, MapFlags, MemFault, PAGE_SIZE, Perm};

const P: u64 = PAGE_SIZE;

/// A temporary file removed on drop.
struct TempFile {
    path: PathBuf,
}

impl TempFile {
    fn new(tag: &str, contents: &[u8]) -> TempFile {
        let path = std::env::temp_dir().join(format!("vm-mem-test-{}-{tag}", std::process::id()));
        std::fs::write(&path, contents).expect("write temp file");
        TempFile { path }
    }

    fn open(&self, write: bool) -> File {
        OpenOptions::new()
            .read(true)
            .write(write)
            .open(&self.path)
            .expect("open temp file")
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Two pages: page 0 filled with 0x11, page 1 with 0x22.
fn two_pages() -> Vec<u8> {
    let mut v = vec![0x11u8; P as usize];
    v.extend(std::iter::repeat_n(0x22u8, P as usize));
    v
}

#[test]
fn private_file_mapping_reads_file_and_keeps_writes_private() {
    let tf = TempFile::new("private", &two_pages());
    let f = tf.open(false);
    let m = mem();
    let flags = MapFlags::default();
    let a = m
        .map(
            0,
            P,
            Perm::RW,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: P,
            },
            "/lib/x.so",
        )
        .unwrap();
    assert_eq!(m.load(a, 8), Ok(0x2222_2222_2222_2222), "offset honoured");
    m.store(a, 1, 0x99).unwrap();
    let mut back = Vec::new();
    tf.open(false).read_to_end(&mut back).unwrap();
    assert_eq!(back, two_pages(), "private writes do not reach the file");
    let maps = m.mappings();
    assert_eq!(
        (maps[0].offset, maps[0].shared, maps[0].name.as_str()),
        (P, false, "/lib/x.so")
    );
    drop(f);
    // The mapping outlives the descriptor.
    assert_eq!(m.load(a + 8, 8), Ok(0x2222_2222_2222_2222));
}

#[test]
fn file_mapping_split_keeps_offsets() {
    let tf = TempFile::new("split", &two_pages());
    let f = tf.open(false);
    let m = mem();
    let a = m
        .map(
            0,
            2 * P,
            Perm::R,
            MapFlags::default(),
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0,
            },
            "f",
        )
        .unwrap();
    m.protect(a + P, P, Perm::RX).unwrap();
    let maps = m.mappings();
    assert_eq!(maps.len(), 2);
    assert_eq!((maps[1].start, maps[1].offset), (a + P, P));
    assert_eq!(m.fetch_u16(a + P), Ok(0x2222));
    m.protect(a + P, P, Perm::R).unwrap();
    assert_eq!(m.mappings().len(), 1, "contiguous offsets merge back");
}

#[test]
fn shared_file_mapping_writes_through() {
    let tf = TempFile::new("shared", &two_pages());
    let f = tf.open(true);
    let m = mem();
    let flags = MapFlags {
        shared: true,
        ..MapFlags::default()
    };
    let a = m
        .map(
            0,
            2 * P,
            Perm::RW,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0,
            },
            "data",
        )
        .unwrap();
    drop(f);
    m.store(a + P, 4, 0xaabb_ccdd).unwrap();
    // Moving keeps it shared with the file.
    let b = m.remap(a, 2 * P, 2 * P, true, Some(0x200_0000)).unwrap();
    m.store(b + 4, 1, 0x55).unwrap();
    let mut g = tf.open(false);
    let mut back = vec![0u8; 2 * P as usize];
    g.seek(SeekFrom::Start(0)).unwrap();
    g.read_exact(&mut back).unwrap();
    assert_eq!(&back[P as usize..P as usize + 4], &[0xdd, 0xcc, 0xbb, 0xaa]);
    assert_eq!(back[4], 0x55);
    assert!(m.mappings()[0].shared);
}

#[test]
fn read_only_shared_file_cannot_become_writable() {
    let tf = TempFile::new("roshared", &two_pages());
    let f = tf.open(false);
    let m = mem();
    let flags = MapFlags {
        shared: true,
        ..MapFlags::default()
    };
    let a = m
        .map(
            0,
            P,
            Perm::R,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0,
            },
            "",
        )
        .unwrap();
    assert_eq!(m.load(a, 1), Ok(0x11));
    assert_eq!(
        m.write_bytes_force(a, &[1]),
        Err(MemFault::at(a)),
        "host memory is read-only"
    );
    assert_eq!(m.protect(a, P, Perm::RW), Err(Errno(libc::EACCES)));
    assert_eq!(m.perm_at(a), Perm::R);
    assert_eq!(
        m.map(
            0,
            P,
            Perm::RW,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0
            },
            ""
        ),
        Err(Errno(libc::EACCES))
    );
}

#[test]
fn file_changes_after_writing_via_host_fd_are_visible_when_shared() {
    let tf = TempFile::new("visible", &two_pages());
    let mut f = tf.open(true);
    let m = mem();
    let flags = MapFlags {
        shared: true,
        ..MapFlags::default()
    };
    let a = m
        .map(
            0,
            P,
            Perm::R,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0,
            },
            "",
        )
        .unwrap();
    f.seek(SeekFrom::Start(16)).unwrap();
    f.write_all(&[7]).unwrap();
    assert_eq!(m.load(a + 16, 1), Ok(7));
}

#[test]
fn protect_shared_file_mirrors_write_access() {
    let tf = TempFile::new("mirror", &two_pages());
    let f = tf.open(true);
    let m = mem();
    let flags = MapFlags {
        shared: true,
        ..MapFlags::default()
    };
    let a = m
        .map(
            0,
            2 * P,
            Perm::R,
            flags,
            Backing::File {
                fd: f.as_raw_fd(),
                offset: 0,
            },
            "",
        )
        .unwrap();
    assert_eq!(m.write_bytes_force(a, &[1]), Err(MemFault::at(a)));
    m.protect(a, P, Perm::RW).unwrap();
    m.store(a, 1, 0x42).unwrap();
    m.write_bytes_force(a + 1, &[0x43]).unwrap();
    assert_eq!(
        m.write_bytes_force(a + P, &[1]),
        Err(MemFault::at(a + P)),
        "second page untouched"
    );
    m.protect(a, P, Perm::R).unwrap();
    assert_eq!(m.write_bytes_force(a, &[1]), Err(MemFault::at(a)));
    assert_eq!(m.load(a, 2), Ok(0x4342));
}

#[test]
fn failed_fixed_file_mapping_keeps_the_old_mapping() {
    let m = mem();
    let a = 0x50_0000;
    super::fixed(&m, a, 3, Perm::RW);
    m.store(a + P, 8, 17).unwrap();
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    assert_eq!(
        m.map(
            a + P,
            P,
            Perm::R,
            flags,
            Backing::File { fd: -1, offset: 0 },
            ""
        ),
        Err(Errno(libc::EBADF))
    );
    assert_eq!(m.load(a + P, 8), Ok(17));
    assert_eq!(m.perm_at(a + P), Perm::RW);
    assert_eq!(m.mappings().len(), 1);
}

/// A fault at `addr` on a page beyond the end of its file.
fn bus(addr: u64) -> MemFault {
    MemFault {
        addr,
        beyond_eof: true,
    }
}

/// Map `pages` pages of `f` at offset 0 with `perm`, shared or private.
fn map_file(m: &crate::GuestMemory, f: &File, pages: u64, perm: Perm, shared: bool) -> u64 {
    let flags = MapFlags {
        shared,
        ..MapFlags::default()
    };
    let backing = Backing::File {
        fd: f.as_raw_fd(),
        offset: 0,
    };
    m.map(0, pages * P, perm, flags, backing, "small")
        .expect("map file")
}

#[test]
fn pages_beyond_end_of_file_fault_as_bus_errors() {
    for shared in [false, true] {
        let tf = TempFile::new(&format!("eof-{shared}"), b"hello");
        let f = tf.open(true);
        let m = mem();
        let a = map_file(&m, &f, 3, Perm::RW, shared);
        // The partial last page is accessible, zero-filled past the end.
        assert_eq!(m.load(a, 4), Ok(u32::from_le_bytes(*b"hell") as u64));
        assert_eq!(m.load(a + P - 8, 8), Ok(0));
        m.store(a + 8, 1, 0x33).unwrap();
        // Every kind of access to a whole page beyond the end is a bus error.
        let b = a + P;
        assert_eq!(m.load(b, 1), Err(bus(b)), "shared={shared}");
        assert_eq!(m.load(b + 2 * P - 8, 8), Err(bus(b + 2 * P - 8)));
        assert_eq!(m.load(b - 4, 8), Err(bus(b)), "second page of the access");
        assert_eq!(m.store(b + 16, 4, 1), Err(bus(b + 16)));
        let mut buf = [0u8; 8];
        assert_eq!(m.read_bytes(b - 4, &mut buf), Err(bus(b)));
        assert_eq!(m.write_bytes(b - 4, &buf), Err(bus(b)));
        assert_eq!(m.write_bytes_force(b, &buf), Err(bus(b)));
        m.store(b - 2, 2, 0x7878).unwrap();
        assert_eq!(m.read_cstr(b - 2, 100), Err(bus(b)), "unterminated into it");
        assert_eq!(m.read_cstr(b - 2, 2), Ok(b"xx".to_vec()), "stops before it");
        assert_eq!(m.read_cstr(a, 100), Ok(b"hello".to_vec()));
        assert_eq!(m.host_range(b, 1, Perm::R), Err(bus(b)));
        assert_eq!(m.atomic_u32(b).err(), Some(bus(b)));
        // Not executable: the permission check comes first (SIGSEGV).
        assert_eq!(m.fetch_u16(b), Err(MemFault::at(b)));
        // Accesses see no permissions; the mapping keeps its own.
        assert_eq!(m.perm_at(b), Perm::NONE);
        assert_eq!(m.perm_at(a), Perm::RW);
        let maps = m.mappings();
        assert_eq!(
            (maps.len(), maps[0].start, maps[0].end, maps[0].perm),
            (1, a, a + 3 * P, Perm::RW)
        );
    }
}

#[test]
fn growing_the_file_makes_pages_beyond_its_old_end_accessible() {
    for shared in [false, true] {
        let tf = TempFile::new(&format!("grow-{shared}"), b"hello");
        let mut f = tf.open(true);
        let m = mem();
        let a = map_file(&m, &f, 3, Perm::R, shared);
        assert_eq!(m.load(a + P, 1), Err(bus(a + P)));
        f.set_len(P + 10).unwrap();
        f.seek(SeekFrom::Start(P + 2)).unwrap();
        f.write_all(&[0x5a]).unwrap();
        assert_eq!(m.load(a + P + 2, 1), Ok(0x5a), "shared={shared}");
        assert_eq!(m.perm_at(a + P), Perm::R);
        // The page after stays beyond the (new) end.
        let mut buf = [0u8; 16];
        assert_eq!(m.read_bytes(a + 2 * P - 8, &mut buf), Err(bus(a + 2 * P)));
        // Growing over it too lets a copy across both pages through.
        f.set_len(3 * P).unwrap();
        m.read_bytes(a + 2 * P - 8, &mut buf).unwrap();
        assert_eq!(buf, [0u8; 16]);
    }
}

#[test]
fn protect_keeps_pages_beyond_end_of_file_inaccessible() {
    let tf = TempFile::new("eof-protect", b"hello");
    let f = tf.open(true);
    let m = mem();
    let a = map_file(&m, &f, 3, Perm::R, true);
    m.protect(a, 3 * P, Perm::RW).unwrap();
    assert_eq!(m.store(a + 4, 1, b'!' as u64), Ok(()));
    assert_eq!(m.store(a + P, 1, 1), Err(bus(a + P)));
    assert_eq!(m.perm_at(a + P), Perm::NONE);
    assert_eq!(m.mappings()[0].perm, Perm::RW);
    // PROT_NONE: the permission check fails first, an ordinary fault.
    m.protect(a + P, P, Perm::NONE).unwrap();
    assert_eq!(m.load(a + P, 1), Err(MemFault::at(a + P)));
    assert_eq!(m.load(a + 2 * P, 1), Err(bus(a + 2 * P)));
    // Grown, then made readable: accessible again.
    f.set_len(2 * P).unwrap();
    m.protect(a + P, P, Perm::R).unwrap();
    assert_eq!(m.load(a + P, 1), Ok(0));
    assert_eq!(m.store(a + P, 1, 1), Err(MemFault::at(a + P)), "read-only");
    let mut back = Vec::new();
    tf.open(false).read_to_end(&mut back).unwrap();
    assert_eq!(&back[..5], b"hell!", "shared writes reach the file");
}

#[test]
fn remap_keeps_pages_beyond_end_of_file_inaccessible() {
    let tf = TempFile::new("eof-remap", b"hello");
    let mut f = tf.open(true);
    let m = mem();
    let a = map_file(&m, &f, 1, Perm::R, false);
    // Grown in place: the extension maps more of the file, beyond its end.
    assert_eq!(m.remap(a, P, 3 * P, false, None), Ok(a));
    assert_eq!(m.load(a + P, 1), Err(bus(a + P)));
    // Moved: still beyond the end at the new place.
    let b = m.remap(a, 3 * P, 4 * P, true, Some(0x100_0000)).unwrap();
    assert_eq!(m.load(b, 1), Ok(b'h' as u64));
    assert_eq!(m.load(b + 3 * P, 1), Err(bus(b + 3 * P)));
    // The file grows: the moved extension shows its new contents.
    f.set_len(3 * P).unwrap();
    f.seek(SeekFrom::Start(2 * P)).unwrap();
    f.write_all(&[0x77]).unwrap();
    assert_eq!(m.load(b + 2 * P, 1), Ok(0x77));
    assert_eq!(m.load(b + 3 * P, 1), Err(bus(b + 3 * P)));
}

#[test]
fn device_mappings_have_no_end() {
    // /dev/zero reports size 0 but maps at any length.
    let f = File::open("/dev/zero").unwrap();
    let m = mem();
    let a = map_file(&m, &f, 2, Perm::RW, false);
    assert_eq!(m.load(a + P, 8), Ok(0));
    m.store(a + P, 8, 5).unwrap();
    assert_eq!(m.load(a + P, 8), Ok(5));
}

#[test]
fn recheck_looks_again_at_pages_beyond_end_of_file_only() {
    let tf = TempFile::new("recheck", b"hello");
    let f = tf.open(true);
    let m = mem();
    let a = map_file(&m, &f, 2, Perm::R, true);
    assert_eq!(m.recheck(a, Perm::W), Err(MemFault::at(a)), "not marked");
    assert_eq!(m.recheck(0x1000, Perm::R), Err(MemFault::at(0x1000)));
    assert_eq!(m.recheck(a + P + 8, Perm::R), Err(bus(a + P + 8)));
    assert_eq!(
        m.recheck(a + P, Perm::W),
        Err(MemFault::at(a + P)),
        "read-only"
    );
    f.set_len(P + 1).unwrap();
    assert_eq!(m.recheck(a + P, Perm::R), Ok(()), "grown over: retry");
    assert_eq!(m.load(a + P, 1), Ok(0));
    assert_eq!(
        m.recheck(a + P, Perm::R),
        Err(MemFault::at(a + P)),
        "no longer marked: a failing retry is not sent back again"
    );
}

#[test]
fn copying_a_protected_private_mapping_keeps_contents_and_protection() {
    // The fallback of a moving mremap when the host cannot move the
    // pages: both the old pages (PROT_NONE or read-only on the host, as
    // the guest's) and the new ones must be opened up for the copy.
    let tf = TempFile::new("copy-private", &two_pages());
    let f = tf.open(false);
    let m = mem();
    for perm in [Perm::NONE, Perm::R, Perm::RW] {
        let a = map_file(&m, &f, 2, Perm::RW, false);
        m.store(a + P + 5, 1, 0x99).unwrap();
        m.protect(a, 2 * P, perm).unwrap();
        let space = m.lock();
        let (start, region) = space.regions.containing(a).expect("mapped");
        assert_eq!(start, a);
        let mut moved = region.clone();
        moved.end = 0x300_0000 + 2 * P;
        drop(space);
        let prot = moved.backing.host_prot(perm);
        m.copy_private(a, 0x300_0000, 2 * P, &moved, prot).unwrap();
        // Read the copy through the host view, the protection opened.
        m.arena.protect(0x300_0000, 2 * P, libc::PROT_READ).unwrap();
        // SAFETY: the two pages at the copy are mapped host-readable just
        // above, inside the arena.
        let copy = unsafe { std::slice::from_raw_parts(m.base().add(0x300_0000), 2 * P as usize) };
        assert_eq!(copy[0], 0x11, "{perm:?}");
        assert_eq!(
            copy[P as usize + 5],
            0x99,
            "{perm:?}: the private write moved"
        );
        m.unmap(a, 2 * P).unwrap();
        m.arena.release(0x300_0000, 2 * P).unwrap();
    }
}
