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
        Err(MemFault { addr: a }),
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
    assert_eq!(m.write_bytes_force(a, &[1]), Err(MemFault { addr: a }));
    m.protect(a, P, Perm::RW).unwrap();
    m.store(a, 1, 0x42).unwrap();
    m.write_bytes_force(a + 1, &[0x43]).unwrap();
    assert_eq!(
        m.write_bytes_force(a + P, &[1]),
        Err(MemFault { addr: a + P }),
        "second page untouched"
    );
    m.protect(a, P, Perm::R).unwrap();
    assert_eq!(m.write_bytes_force(a, &[1]), Err(MemFault { addr: a }));
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
