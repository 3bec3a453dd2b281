//! Layout checks: against the riscv64 C headers when the cross toolchain is
//! installed (compile a probe, run it under qemu), and by value otherwise.

use super::*;

fn field(b: &[u8], off: usize, len: usize) -> u64 {
    let mut w = [0u8; 8];
    w[..len].copy_from_slice(&b[off..off + len]);
    u64::from_le_bytes(w)
}

#[test]
fn stat_fields_land_at_their_offsets() {
    let s = Stat {
        dev: 0x0102030405060708,
        ino: 0x1112131415161718,
        mode: 0o100644,
        nlink: 3,
        uid: 1000,
        gid: 1001,
        rdev: 0x2122,
        size: 0x3132333435,
        blksize: 4096,
        blocks: 77,
        times: [(1, 2), (3, 4), (5, 6)],
    };
    let b = s.to_riscv64();
    assert_eq!(field(&b, stat_off::DEV, 8), 0x0102030405060708);
    assert_eq!(field(&b, stat_off::INO, 8), 0x1112131415161718);
    assert_eq!(field(&b, stat_off::MODE, 4), 0o100644);
    assert_eq!(field(&b, stat_off::NLINK, 4), 3);
    assert_eq!(field(&b, stat_off::UID, 4), 1000);
    assert_eq!(field(&b, stat_off::GID, 4), 1001);
    assert_eq!(field(&b, stat_off::RDEV, 8), 0x2122);
    assert_eq!(field(&b, 40, 8), 0, "__pad1");
    assert_eq!(field(&b, stat_off::SIZE, 8), 0x3132333435);
    assert_eq!(field(&b, stat_off::BLKSIZE, 4), 4096);
    assert_eq!(field(&b, 60, 4), 0, "__pad2");
    assert_eq!(field(&b, stat_off::BLOCKS, 8), 77);
    for (i, off) in [stat_off::ATIME, stat_off::MTIME, stat_off::CTIME]
        .into_iter()
        .enumerate()
    {
        assert_eq!(field(&b, off, 8), 2 * i as u64 + 1);
        assert_eq!(field(&b, off + 8, 8), 2 * i as u64 + 2);
    }
    assert_eq!(field(&b, 120, 8), 0, "__unused4/5");
}

#[test]
fn stat_from_host_file() {
    let path = std::ffi::CString::new("/").unwrap();
    // SAFETY: an all-zero `struct stat` is a valid value of this plain-data type.
    let mut st: libc::stat = unsafe { std::mem::zeroed() };
    // SAFETY: `path` is NUL-terminated and `st` is a valid, writable struct stat.
    let r = unsafe { libc::stat(path.as_ptr(), &mut st) };
    assert_eq!(r, 0);
    let b = Stat::from_host(&st).to_riscv64();
    assert_eq!(field(&b, stat_off::MODE, 4) as u32, st.st_mode);
    assert_eq!(
        field(&b, stat_off::MODE, 4) as u32 & libc::S_IFMT,
        libc::S_IFDIR
    );
    assert_eq!(field(&b, stat_off::INO, 8), st.st_ino);
    assert_eq!(field(&b, stat_off::MTIME, 8) as i64, st.st_mtime);
}

#[test]
fn utsname_fields() {
    let u = utsname(b"host");
    let f = |i: usize| {
        let s = &u[i * 65..(i + 1) * 65];
        String::from_utf8(s.iter().take_while(|&&c| c != 0).copied().collect()).unwrap()
    };
    assert_eq!(f(0), "Linux");
    assert_eq!(f(1), "host");
    assert_eq!(f(4), "riscv64");
    // Over-long names are cut, leaving a NUL.
    let u = utsname(&[b'x'; 100]);
    assert_eq!(u[65 + 64], 0);
}

/// Compile a probe with the riscv64 toolchain and check our offsets and sizes
/// against what the C headers say.
#[test]
fn layouts_match_riscv64_headers() {
    let have = |t: &str| {
        std::process::Command::new(t)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if !have("riscv64-linux-gnu-gcc") || !have("qemu-riscv64") {
        assert!(
            std::env::var_os("CI").is_none(),
            "riscv64 toolchain or qemu missing"
        );
        eprintln!("note: riscv64-linux-gnu-gcc or qemu-riscv64 missing, skipping");
        return;
    }
    let dir = std::env::temp_dir().join(format!("vm-linux-abi-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = dir.join("probe.c");
    std::fs::write(
        &src,
        r#"
#include <stdio.h>
#include <stddef.h>
#include <asm/stat.h>
#include <asm/termbits.h>
#include <sys/utsname.h>
#include <signal.h>
#include <ucontext.h>
#define O(f) printf(#f " %zu\n", offsetof(struct stat, f))
int main(void) {
    printf("size %zu\n", sizeof(struct stat));
    O(st_dev); O(st_ino); O(st_mode); O(st_nlink); O(st_uid); O(st_gid); O(st_rdev);
    O(st_size); O(st_blksize); O(st_blocks); O(st_atime); O(st_mtime); O(st_ctime);
    printf("termios %zu\n", sizeof(struct termios));
    printf("utsname %zu\n", sizeof(struct utsname));
    printf("siginfo %zu\n", sizeof(siginfo_t));
    printf("uc_sigmask %zu\n", offsetof(ucontext_t, uc_sigmask));
    printf("uc_mcontext %zu\n", offsetof(ucontext_t, uc_mcontext));
    printf("mc_fpregs %zu\n", offsetof(mcontext_t, __fpregs));
    printf("ucontext %zu\n", sizeof(ucontext_t));
    return 0;
}
"#,
    )
    .unwrap();
    let exe = dir.join("probe");
    let cc = std::process::Command::new("riscv64-linux-gnu-gcc")
        .args(["-static", "-O0", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .unwrap();
    assert!(
        cc.status.success(),
        "{}",
        String::from_utf8_lossy(&cc.stderr)
    );
    let run = std::process::Command::new("qemu-riscv64")
        .arg(&exe)
        .output()
        .unwrap();
    std::fs::remove_dir_all(&dir).ok();
    assert!(run.status.success());
    let out = String::from_utf8(run.stdout).unwrap();
    let got: std::collections::HashMap<&str, usize> = out
        .lines()
        .filter_map(|l| l.split_once(' '))
        .map(|(k, v)| (k, v.parse().unwrap()))
        .collect();
    use crate::syscall::sigframe::{
        MC_FPREGS, SIGINFO_SIZE, UC_MCONTEXT, UC_SIGMASK, UCONTEXT_SIZE,
    };
    use stat_off::*;
    let expect = [
        ("size", STAT_SIZE),
        ("st_dev", DEV),
        ("st_ino", INO),
        ("st_mode", MODE),
        ("st_nlink", NLINK),
        ("st_uid", UID),
        ("st_gid", GID),
        ("st_rdev", RDEV),
        ("st_size", SIZE),
        ("st_blksize", BLKSIZE),
        ("st_blocks", BLOCKS),
        ("st_atime", ATIME),
        ("st_mtime", MTIME),
        ("st_ctime", CTIME),
        ("termios", TERMIOS_SIZE),
        ("utsname", UTSNAME_SIZE),
        ("siginfo", SIGINFO_SIZE as usize),
        ("uc_sigmask", UC_SIGMASK as usize),
        ("uc_mcontext", UC_MCONTEXT as usize),
        ("mc_fpregs", MC_FPREGS as usize),
        ("ucontext", UCONTEXT_SIZE as usize),
    ];
    for (k, v) in expect {
        assert_eq!(got.get(k), Some(&v), "{k}");
    }
}
