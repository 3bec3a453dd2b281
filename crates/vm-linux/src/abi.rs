//! Guest (riscv64 Linux) structure layouts that differ from, or must be
//! checked against, the host's.
//!
//! Most kernel structures (timespec, statx, dirent64, termios, winsize,
//! rusage, sysinfo, rlimit, flock, statfs, pollfd, iovec) have the same layout
//! on x86-64 and riscv64 and pass straight through. `struct stat` does not:
//! riscv64 uses the asm-generic layout (128 bytes, `st_nlink` 32-bit), x86-64
//! its own, so it is written field by field at the offsets below.

/// Size of the riscv64 `struct stat`.
pub const STAT_SIZE: usize = 128;

/// Field offsets of the riscv64 (asm-generic) `struct stat`.
pub mod stat_off {
    /// `st_dev` (u64).
    pub const DEV: usize = 0;
    /// `st_ino` (u64).
    pub const INO: usize = 8;
    /// `st_mode` (u32).
    pub const MODE: usize = 16;
    /// `st_nlink` (u32).
    pub const NLINK: usize = 20;
    /// `st_uid` (u32).
    pub const UID: usize = 24;
    /// `st_gid` (u32).
    pub const GID: usize = 28;
    /// `st_rdev` (u64).
    pub const RDEV: usize = 32;
    /// `st_size` (i64).
    pub const SIZE: usize = 48;
    /// `st_blksize` (i32).
    pub const BLKSIZE: usize = 56;
    /// `st_blocks` (i64).
    pub const BLOCKS: usize = 64;
    /// `st_atime` (i64), then `st_atime_nsec` (u64).
    pub const ATIME: usize = 72;
    /// `st_mtime` (i64), then `st_mtime_nsec` (u64).
    pub const MTIME: usize = 88;
    /// `st_ctime` (i64), then `st_ctime_nsec` (u64).
    pub const CTIME: usize = 104;
}

/// Size of the kernel `struct termios` used by TCGETS/TCSETS (4 flag words,
/// `c_line`, 19 control characters) on both riscv64 and x86-64.
pub const TERMIOS_SIZE: usize = 36;

/// Size of `struct utsname` (6 fields of 65 bytes).
pub const UTSNAME_SIZE: usize = 6 * 65;

/// A host `struct stat`, in host-independent terms.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    /// Device.
    pub dev: u64,
    /// Inode.
    pub ino: u64,
    /// File type and mode.
    pub mode: u32,
    /// Link count.
    pub nlink: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// Device (special files).
    pub rdev: u64,
    /// Size in bytes.
    pub size: i64,
    /// Preferred I/O size.
    pub blksize: i32,
    /// 512-byte blocks.
    pub blocks: i64,
    /// Access, modification, change times: (seconds, nanoseconds).
    pub times: [(i64, u64); 3],
}

impl Stat {
    /// From the host's `struct stat`.
    pub fn from_host(st: &libc::stat) -> Stat {
        Stat {
            dev: st.st_dev,
            ino: st.st_ino,
            mode: st.st_mode,
            nlink: st.st_nlink as u32,
            uid: st.st_uid,
            gid: st.st_gid,
            rdev: st.st_rdev,
            size: st.st_size,
            blksize: st.st_blksize as i32,
            blocks: st.st_blocks,
            times: [
                (st.st_atime, st.st_atime_nsec as u64),
                (st.st_mtime, st.st_mtime_nsec as u64),
                (st.st_ctime, st.st_ctime_nsec as u64),
            ],
        }
    }

    /// The riscv64 `struct stat` bytes (padding zero).
    pub fn to_riscv64(&self) -> [u8; STAT_SIZE] {
        use stat_off::*;
        let mut b = [0u8; STAT_SIZE];
        let mut put = |off: usize, bytes: &[u8]| b[off..off + bytes.len()].copy_from_slice(bytes);
        put(DEV, &self.dev.to_le_bytes());
        put(INO, &self.ino.to_le_bytes());
        put(MODE, &self.mode.to_le_bytes());
        put(NLINK, &self.nlink.to_le_bytes());
        put(UID, &self.uid.to_le_bytes());
        put(GID, &self.gid.to_le_bytes());
        put(RDEV, &self.rdev.to_le_bytes());
        put(SIZE, &self.size.to_le_bytes());
        put(BLKSIZE, &self.blksize.to_le_bytes());
        put(BLOCKS, &self.blocks.to_le_bytes());
        for (i, off) in [ATIME, MTIME, CTIME].into_iter().enumerate() {
            put(off, &self.times[i].0.to_le_bytes());
            put(off + 8, &self.times[i].1.to_le_bytes());
        }
        b
    }
}

/// The guest's `struct utsname`: Linux on riscv64, the host's node name.
pub fn utsname(nodename: &[u8]) -> [u8; UTSNAME_SIZE] {
    let mut b = [0u8; UTSNAME_SIZE];
    let fields: [&[u8]; 6] = [
        b"Linux",
        nodename,
        b"6.1.0",
        b"#1 SMP PREEMPT_DYNAMIC vm",
        b"riscv64",
        b"(none)",
    ];
    for (i, f) in fields.iter().enumerate() {
        let n = f.len().min(64);
        b[i * 65..i * 65 + n].copy_from_slice(&f[..n]);
    }
    b
}

#[cfg(test)]
mod tests;
