//! System calls driven the way the runtime drives them: registers in a
//! `CpuState`, buffers in a real `GuestMemory`, results checked in `a0`
//! and in guest memory.

use super::*;
use vm_mem::{Backing, MapFlags, Perm};

/// Guest page used for buffers.
const BUF: u64 = 0x10_0000;
/// A read-only guest page.
const RO: u64 = 0x20_0000;

struct T {
    linux: Linux,
    mem: GuestMemory,
    cpu: CpuState,
}

impl T {
    fn new() -> T {
        T::with(LinuxConfig {
            exe_path: PathBuf::from("/opt/guest/prog"),
            sysroot: None,
            strace: false,
            exec_options: Vec::new(),
            cmdline: b"prog\0arg\0".to_vec(),
            auxv: [6u64, 4096, 0, 0]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect(),
            sandbox: Default::default(),
        })
    }

    fn with(cfg: LinuxConfig) -> T {
        let mem = GuestMemory::new().unwrap();
        let fixed = MapFlags {
            fixed: true,
            ..MapFlags::default()
        };
        mem.map(BUF, 0x4000, Perm::RW, fixed, Backing::Anonymous, "")
            .unwrap();
        mem.map(RO, 0x1000, Perm::R, fixed, Backing::Anonymous, "")
            .unwrap();
        T {
            linux: Linux::new(cfg),
            mem,
            cpu: CpuState::default(),
        }
    }

    fn call(&mut self, nr: u64, args: &[u64]) -> (i64, SyscallOutcome) {
        self.cpu.x[17] = nr;
        for i in 0..6 {
            self.cpu.x[10 + i] = args.get(i).copied().unwrap_or(0);
        }
        let out = self.linux.syscall(&mut self.cpu, &self.mem);
        (self.cpu.x[10] as i64, out)
    }

    fn ret(&mut self, nr: u64, args: &[u64]) -> i64 {
        let (r, out) = self.call(nr, args);
        assert_eq!(out, SyscallOutcome::Continue, "syscall {nr}");
        r
    }

    fn put_str(&self, addr: u64, s: &str) {
        let mut b = s.as_bytes().to_vec();
        b.push(0);
        self.mem.write_bytes(addr, &b).unwrap();
    }
}

const AT_FDCWD: u64 = -100i64 as u64;
/// execveat (281): a real call the VM does not implement.
const EXECVEAT_UNLISTED: u64 = 281;
fn neg(e: i32) -> i64 {
    -i64::from(e)
}

#[test]
fn write_and_read_through_a_pipe() {
    let mut t = T::new();
    assert_eq!(t.ret(nr::PIPE2, &[BUF, 0]), 0);
    let fds = t.mem.load(BUF, 8).unwrap();
    let (rfd, wfd) = (fds & 0xffff_ffff, fds >> 32);
    t.mem.write_bytes(BUF + 0x100, b"hello").unwrap();
    assert_eq!(t.ret(nr::WRITE, &[wfd, BUF + 0x100, 5]), 5);
    assert_eq!(t.ret(nr::READ, &[rfd, BUF + 0x200, 100]), 5);
    let mut got = [0u8; 5];
    t.mem.read_bytes(BUF + 0x200, &mut got).unwrap();
    assert_eq!(&got, b"hello");
    // Reading into a read-only page is EFAULT, as Linux reports it.
    assert_eq!(t.ret(nr::WRITE, &[wfd, BUF + 0x100, 1]), 1);
    assert_eq!(t.ret(nr::READ, &[rfd, RO, 1]), neg(libc::EFAULT));
    t.ret(nr::CLOSE, &[rfd]);
    t.ret(nr::CLOSE, &[wfd]);
}

#[test]
fn writev_gathers_guest_buffers() {
    let mut t = T::new();
    t.ret(nr::PIPE2, &[BUF, 0]);
    let fds = t.mem.load(BUF, 8).unwrap();
    let (rfd, wfd) = (fds & 0xffff_ffff, fds >> 32);
    t.mem.write_bytes(BUF + 0x100, b"ab").unwrap();
    t.mem.write_bytes(BUF + 0x180, b"cde").unwrap();
    let iov = BUF + 0x200;
    for (i, (base, len)) in [(BUF + 0x100, 2u64), (BUF + 0x180, 3)].iter().enumerate() {
        t.mem.store(iov + 16 * i as u64, 8, *base).unwrap();
        t.mem.store(iov + 16 * i as u64 + 8, 8, *len).unwrap();
    }
    assert_eq!(t.ret(nr::WRITEV, &[wfd, iov, 2]), 5);
    assert_eq!(t.ret(nr::READ, &[rfd, BUF + 0x300, 10]), 5);
    let mut got = [0u8; 5];
    t.mem.read_bytes(BUF + 0x300, &mut got).unwrap();
    assert_eq!(&got, b"abcde");
    assert_eq!(t.ret(nr::WRITEV, &[wfd, iov, 5000]), neg(libc::EINVAL));
    t.ret(nr::CLOSE, &[rfd]);
    t.ret(nr::CLOSE, &[wfd]);
}

#[test]
fn newfstatat_writes_the_riscv64_layout() {
    let mut t = T::new();
    t.put_str(BUF, "/");
    assert_eq!(t.ret(nr::NEWFSTATAT, &[AT_FDCWD, BUF, BUF + 0x100, 0]), 0);
    let mode = t.mem.load(BUF + 0x100 + 16, 4).unwrap() as u32;
    assert_eq!(mode & libc::S_IFMT, libc::S_IFDIR);
    let meta = std::fs::metadata("/").unwrap();
    use std::os::unix::fs::MetadataExt;
    assert_eq!(t.mem.load(BUF + 0x100 + 8, 8).unwrap(), meta.ino());
    assert_eq!(
        t.mem.load(BUF + 0x100 + 88, 8).unwrap() as i64,
        meta.mtime()
    );
    // A missing file and a bad buffer give the Linux errors.
    t.put_str(BUF, "/nonexistent/vm-test");
    assert_eq!(
        t.ret(nr::NEWFSTATAT, &[AT_FDCWD, BUF, BUF + 0x100, 0]),
        neg(libc::ENOENT)
    );
    t.put_str(BUF, "/");
    assert_eq!(
        t.ret(nr::NEWFSTATAT, &[AT_FDCWD, BUF, RO, 0]),
        neg(libc::EFAULT)
    );
    assert_eq!(
        t.ret(nr::NEWFSTATAT, &[AT_FDCWD, 0x5000_0000, BUF, 0]),
        neg(libc::EFAULT)
    );
}

#[test]
fn readlink_proc_self_exe_names_the_guest() {
    let mut t = T::new();
    t.put_str(BUF, "/proc/self/exe");
    let n = t.ret(nr::READLINKAT, &[AT_FDCWD, BUF, BUF + 0x100, 256]);
    assert_eq!(n, "/opt/guest/prog".len() as i64);
    let mut got = vec![0u8; n as usize];
    t.mem.read_bytes(BUF + 0x100, &mut got).unwrap();
    assert_eq!(got, b"/opt/guest/prog");
    // Truncated to the buffer, like readlink(2).
    assert_eq!(t.ret(nr::READLINKAT, &[AT_FDCWD, BUF, BUF + 0x100, 4]), 4);
}

#[test]
fn absolute_paths_are_looked_up_in_the_sysroot_first() {
    let root = std::env::temp_dir().join(format!("vm-linux-root-{}", std::process::id()));
    std::fs::create_dir_all(root.join("etc")).unwrap();
    std::fs::write(root.join("etc/vm-test-file"), b"x").unwrap();
    let mut t = T::with(LinuxConfig {
        exe_path: PathBuf::from("/p"),
        sysroot: Some(root.clone()),
        strace: false,
        exec_options: Vec::new(),
        ..LinuxConfig::default()
    });
    t.put_str(BUF, "/etc/vm-test-file");
    let fd = t.ret(nr::OPENAT, &[AT_FDCWD, BUF, libc::O_RDONLY as u64, 0]);
    let n = t.ret(nr::READ, &[fd as u64, BUF + 0x200, 10]);
    // Paths that do not exist under the sysroot are the host's.
    t.put_str(BUF, "/");
    let root_fd = t.ret(nr::OPENAT, &[AT_FDCWD, BUF, libc::O_RDONLY as u64, 0]);
    std::fs::remove_dir_all(&root).ok();
    assert!(fd >= 0, "{fd}");
    assert_eq!(n, 1);
    assert_eq!(t.mem.load(BUF + 0x200, 1), Ok(u64::from(b'x')));
    assert!(root_fd >= 0, "{root_fd}");
    t.ret(nr::CLOSE, &[fd as u64]);
    t.ret(nr::CLOSE, &[root_fd as u64]);
}

#[test]
fn unknown_syscall_is_enosys() {
    let mut t = T::new();
    assert_eq!(t.ret(9999, &[]), neg(libc::ENOSYS));
    assert_eq!(t.ret(EXECVEAT_UNLISTED, &[]), neg(libc::ENOSYS));
}

#[test]
fn exit_group_ends_with_low_byte() {
    let mut t = T::new();
    assert_eq!(
        t.call(nr::EXIT_GROUP, &[0x1_2345]).1,
        SyscallOutcome::Exit(0x45)
    );
    assert_eq!(t.call(nr::EXIT, &[3]).1, SyscallOutcome::Exit(3));
}

#[test]
fn raising_sigsegv_on_self_kills_unless_ignored() {
    // Signals the host mirrors (SIGABRT, SIGTERM, ...) go through the host
    // kernel even to the VM itself, which would end this test process;
    // they are covered by the guest programs. SIGSEGV is raised in the VM.
    let mut t = T::new();
    let pid = t.linux.pid() as u64;
    assert_eq!(
        t.call(nr::TGKILL, &[pid, pid, libc::SIGSEGV as u64]).1,
        SyscallOutcome::Killed(libc::SIGSEGV)
    );
    // SIG_IGN: struct sigaction {handler, flags, mask}.
    t.mem.store(BUF, 8, 1).unwrap();
    t.mem.store(BUF + 8, 8, 0).unwrap();
    t.mem.store(BUF + 16, 8, 0).unwrap();
    assert_eq!(
        t.ret(
            nr::RT_SIGACTION,
            &[libc::SIGSEGV as u64, BUF, BUF + 0x40, 8]
        ),
        0
    );
    assert_eq!(t.ret(nr::TGKILL, &[pid, pid, libc::SIGSEGV as u64]), 0);
    // The old action reads back as SIG_IGN.
    assert_eq!(
        t.ret(nr::RT_SIGACTION, &[libc::SIGSEGV as u64, 0, BUF + 0x40, 8]),
        0
    );
    assert_eq!(t.mem.load(BUF + 0x40, 8), Ok(1));
    assert_eq!(
        t.ret(nr::RT_SIGACTION, &[libc::SIGKILL as u64, BUF, 0, 8]),
        neg(libc::EINVAL)
    );
    assert_eq!(t.ret(nr::TKILL, &[pid + 1, 6]), neg(libc::ESRCH));
}

#[test]
fn blocked_signal_kills_when_unblocked() {
    let mut t = T::new();
    let pid = t.linux.pid() as u64;
    t.mem.store(BUF, 8, 1 << (libc::SIGSEGV - 1)).unwrap();
    assert_eq!(
        t.ret(nr::RT_SIGPROCMASK, &[libc::SIG_BLOCK as u64, BUF, 0, 8]),
        0
    );
    assert_eq!(t.ret(nr::KILL, &[pid, libc::SIGSEGV as u64]), 0);
    assert_eq!(
        t.call(
            nr::RT_SIGPROCMASK,
            &[libc::SIG_UNBLOCK as u64, BUF, BUF + 8, 8]
        )
        .1,
        SyscallOutcome::Killed(libc::SIGSEGV)
    );
    assert_eq!(
        t.mem.load(BUF + 8, 8),
        Ok(1 << (libc::SIGSEGV - 1)),
        "old mask"
    );
}

#[test]
fn mmap_munmap_mprotect_and_code_invalidation() {
    let mut t = T::new();
    const PROT_RW: u64 = 3;
    const PROT_RX: u64 = 5;
    const PRIVATE_ANON: u64 = 0x22;
    let a = t.ret(nr::MMAP, &[0, 0x3000, PROT_RW, PRIVATE_ANON, u64::MAX, 0]);
    assert!(a > 0 && a % 4096 == 0, "{a:#x}");
    let a = a as u64;
    assert_eq!(t.mem.perm_at(a), Perm::RW);
    assert_eq!(t.mem.load(a + 0x2ff8, 8), Ok(0));
    // Making it executable drops stale translations of the range.
    assert_eq!(
        t.call(nr::MPROTECT, &[a, 0x3000, PROT_RX]),
        (
            0,
            SyscallOutcome::Invalidate {
                start: a,
                end: a + 0x3000
            }
        )
    );
    assert_eq!(t.mem.perm_at(a), Perm::RX);
    // Unmapping executable pages drops them too.
    assert_eq!(
        t.call(nr::MUNMAP, &[a, 0x1000]),
        (
            0,
            SyscallOutcome::Invalidate {
                start: a,
                end: a + 0x1000
            }
        )
    );
    assert_eq!(t.mem.perm_at(a), Perm::NONE);
    // Non-executable memory: no invalidation.
    assert_eq!(t.ret(nr::MUNMAP, &[BUF + 0x3000, 0x1000]), 0);
    // Argument errors.
    assert_eq!(
        t.ret(nr::MMAP, &[0, 0, PROT_RW, PRIVATE_ANON, u64::MAX, 0]),
        neg(libc::EINVAL)
    );
    assert_eq!(
        t.ret(nr::MMAP, &[0, 4096, PROT_RW, 0x20, u64::MAX, 0]),
        neg(libc::EINVAL)
    );
    assert_eq!(t.ret(nr::MUNMAP, &[a + 1, 4096]), neg(libc::EINVAL));
}

#[test]
fn flush_icache_invalidates() {
    let mut t = T::new();
    assert_eq!(
        t.call(nr::RISCV_FLUSH_ICACHE, &[0x1000, 0x2000, 0]).1,
        SyscallOutcome::Invalidate {
            start: 0x1000,
            end: 0x2000
        }
    );
    assert_eq!(
        t.call(nr::RISCV_FLUSH_ICACHE, &[0, 0, 0]).1,
        SyscallOutcome::Invalidate {
            start: 0,
            end: u64::MAX
        }
    );
}

#[test]
fn uname_says_riscv64() {
    let mut t = T::new();
    assert_eq!(t.ret(nr::UNAME, &[BUF]), 0);
    assert_eq!(t.mem.read_cstr(BUF, 65).unwrap(), b"Linux");
    assert_eq!(t.mem.read_cstr(BUF + 4 * 65, 65).unwrap(), b"riscv64");
}

#[test]
fn prlimit_reports_the_guest_stack() {
    let mut t = T::new();
    assert_eq!(
        t.ret(nr::PRLIMIT64, &[0, libc::RLIMIT_STACK as u64, 0, BUF]),
        0
    );
    assert_eq!(t.mem.load(BUF, 8), Ok(crate::loader::STACK_BYTES));
    assert_eq!(t.ret(nr::PRLIMIT64, &[0, 99, 0, BUF]), neg(libc::EINVAL));
}

#[test]
fn futex_single_threaded() {
    let mut t = T::new();
    t.mem.store(BUF, 4, 5).unwrap();
    assert_eq!(
        t.ret(nr::FUTEX, &[BUF, 0x80, 4]),
        neg(libc::EAGAIN),
        "WAIT, value differs"
    );
    assert_eq!(t.ret(nr::FUTEX, &[BUF, 0x81, 1]), 0, "WAKE");
    assert_eq!(
        t.ret(nr::FUTEX, &[BUF + 1, 0x81, 1]),
        neg(libc::EINVAL),
        "misaligned"
    );
}

#[test]
fn identity_calls() {
    let mut t = T::new();
    let pid = t.linux.pid() as i64;
    assert_eq!(t.ret(nr::GETPID, &[]), pid);
    assert_eq!(t.ret(nr::GETTID, &[]), pid);
    assert_eq!(t.ret(nr::SET_TID_ADDRESS, &[BUF]), pid);
    // SAFETY: getuid has no preconditions.
    assert_eq!(t.ret(nr::GETUID, &[]), i64::from(unsafe { libc::getuid() }));
    assert_eq!(
        t.ret(nr::CLOCK_GETTIME, &[libc::CLOCK_MONOTONIC as u64, BUF]),
        0
    );
    assert!(t.mem.load(BUF, 8).unwrap() > 0 || t.mem.load(BUF + 8, 8).unwrap() > 0);
    assert_eq!(t.ret(nr::CLOCK_GETTIME, &[1, RO]), neg(libc::EFAULT));
}

#[test]
fn madvise_dontneed_zeroes_anonymous_memory() {
    let mut t = T::new();
    t.mem.store(BUF + 0x1000, 8, 0x1234).unwrap();
    t.mem.store(BUF, 8, 0x99).unwrap();
    assert_eq!(t.ret(nr::MADVISE, &[BUF + 0x1000, 0x1000, 4]), 0);
    assert_eq!(t.mem.load(BUF + 0x1000, 8), Ok(0));
    assert_eq!(t.mem.load(BUF, 8), Ok(0x99), "outside the range");
    assert_eq!(
        t.ret(nr::MADVISE, &[0x7000_0000, 0x1000, 4]),
        neg(libc::ENOMEM)
    );
    assert_eq!(t.ret(nr::MADVISE, &[BUF + 1, 0x1000, 4]), neg(libc::EINVAL));
}

#[test]
fn proc_self_maps_describes_guest_memory() {
    let mut t = T::new();
    t.put_str(BUF, "/proc/self/maps");
    let fd = t.ret(nr::OPENAT, &[AT_FDCWD, BUF, libc::O_RDONLY as u64, 0]);
    assert!(fd >= 0, "{fd}");
    let n = t.ret(nr::READ, &[fd as u64, BUF + 0x100, 0x1000]);
    t.ret(nr::CLOSE, &[fd as u64]);
    let mut text = vec![0u8; n as usize];
    t.mem.read_bytes(BUF + 0x100, &mut text).unwrap();
    let text = String::from_utf8(text).unwrap();
    assert!(
        text.contains("00100000-00104000 rw-p 00000000 00:00 0\n"),
        "{text}"
    );
    assert!(
        text.contains("00200000-00201000 r--p 00000000 00:00 0\n"),
        "{text}"
    );
}

#[test]
fn handler_runs_on_a_frame_and_sigreturn_restores_state() {
    let mut t = T::new();
    let pid = t.linux.pid() as u64;
    // SIGSEGV: raised inside the VM (mirrored signals would go to the
    // host's main thread, not this test thread).
    // sigaction(SIGSEGV, {handler 0x4000, flags 0, mask 0}).
    t.mem.store(BUF, 8, 0x4000).unwrap();
    t.mem.store(BUF + 8, 8, 0).unwrap();
    t.mem.store(BUF + 16, 8, 0).unwrap();
    assert_eq!(
        t.ret(nr::RT_SIGACTION, &[libc::SIGSEGV as u64, BUF, 0, 8]),
        0
    );
    t.cpu.pc = 0x1000;
    t.cpu.x[2] = BUF + 0x4000; // stack top: the end of the buffer mapping
    t.cpu.x[9] = 0x5151;
    t.cpu.f[3] = 0x3333;
    // tgkill returns 0 into the saved context; a0 now holds the handler's argument.
    assert_eq!(
        t.call(nr::TGKILL, &[pid, pid, libc::SIGSEGV as u64]).1,
        SyscallOutcome::Continue
    );
    // Now in the handler: a0 = signo, a1 = siginfo, a2 = ucontext, ra = trampoline.
    assert_eq!(t.cpu.pc, 0x4000);
    assert_eq!(t.cpu.x[10], libc::SIGSEGV as u64);
    let frame = t.cpu.x[2];
    assert_eq!(frame % 16, 0);
    assert_eq!(frame, (BUF + 0x4000 - sigframe::FRAME_SIZE) & !15);
    assert_eq!(t.cpu.x[11], frame);
    assert_eq!(t.mem.load(frame, 4), Ok(libc::SIGSEGV as u64), "si_signo");
    let tramp = t.cpu.x[1];
    assert_eq!(t.mem.perm_at(tramp), Perm::RX);
    assert_eq!(t.mem.load(tramp + 4, 4), Ok(0x73), "ecall");
    // The signal is blocked while its handler runs.
    assert_eq!(t.linux.signals().mask, 1 << (libc::SIGSEGV - 1));
    // The handler clobbers registers, then returns through the trampoline.
    t.cpu.x[9] = 0;
    t.cpu.f[3] = 0;
    t.cpu.x[17] = nr::RT_SIGRETURN;
    assert_eq!(
        t.linux.syscall(&mut t.cpu, &t.mem),
        SyscallOutcome::Continue
    );
    assert_eq!(t.cpu.pc, 0x1004, "after the ecall that raised it");
    assert_eq!(t.cpu.x[2], BUF + 0x4000);
    assert_eq!(t.cpu.x[9], 0x5151);
    assert_eq!(t.cpu.f[3], 0x3333);
    assert_eq!(t.cpu.x[10], 0, "tgkill's result");
    assert_eq!(t.linux.signals().mask, 0);
}

#[test]
fn fault_goes_to_handler_only_when_installed() {
    let mut t = T::new();
    t.cpu.x[2] = BUF + 0x4000;
    assert!(
        !t.linux
            .fault_signal(&mut t.cpu, &t.mem, libc::SIGSEGV, 1, 0x10)
    );
    t.mem.store(BUF, 8, 0x4000).unwrap();
    t.mem.store(BUF + 8, 8, 0).unwrap();
    t.mem.store(BUF + 16, 8, 0).unwrap();
    assert_eq!(
        t.ret(nr::RT_SIGACTION, &[libc::SIGSEGV as u64, BUF, 0, 8]),
        0
    );
    t.cpu.x[2] = BUF + 0x4000;
    assert!(
        t.linux
            .fault_signal(&mut t.cpu, &t.mem, libc::SIGSEGV, 1, 0x10)
    );
    assert_eq!(t.cpu.pc, 0x4000);
    let frame = t.cpu.x[2];
    assert_eq!(t.mem.load(frame + 8, 4), Ok(1), "si_code SEGV_MAPERR");
    assert_eq!(t.mem.load(frame + 16, 8), Ok(0x10), "si_addr");
    // A second fault inside the handler: SIGSEGV is blocked, so it is fatal.
    assert!(
        !t.linux
            .fault_signal(&mut t.cpu, &t.mem, libc::SIGSEGV, 1, 0x10)
    );
}

#[test]
fn socketpair_sendto_recvfrom_getsockopt() {
    let mut t = T::new();
    let unix_stream = [libc::AF_UNIX as u64, libc::SOCK_STREAM as u64, 0, BUF];
    assert_eq!(t.ret(nr::SOCKETPAIR, &unix_stream), 0);
    let sv = t.mem.load(BUF, 8).unwrap();
    let (a, b) = (sv & 0xffff_ffff, sv >> 32);
    t.mem.write_bytes(BUF + 0x100, b"ping").unwrap();
    assert_eq!(t.ret(nr::SENDTO, &[a, BUF + 0x100, 4, 0, 0, 0]), 4);
    assert_eq!(t.ret(nr::RECVFROM, &[b, BUF + 0x200, 64, 0, 0, 0]), 4);
    let mut got = [0u8; 4];
    t.mem.read_bytes(BUF + 0x200, &mut got).unwrap();
    assert_eq!(&got, b"ping");
    // getsockopt(SO_TYPE) writes the value and its length back.
    t.mem.store(BUF + 0x300, 4, 4).unwrap();
    let so_type = [
        b,
        libc::SOL_SOCKET as u64,
        libc::SO_TYPE as u64,
        BUF + 0x308,
        BUF + 0x300,
    ];
    assert_eq!(t.ret(nr::GETSOCKOPT, &so_type), 0);
    assert_eq!(t.mem.load(BUF + 0x308, 4), Ok(libc::SOCK_STREAM as u64));
    assert_eq!(t.mem.load(BUF + 0x300, 4), Ok(4));
    t.ret(nr::CLOSE, &[a]);
    t.ret(nr::CLOSE, &[b]);
}

#[test]
fn sendmsg_recvmsg_translate_the_header() {
    let mut t = T::new();
    let unix_dgram = [libc::AF_UNIX as u64, libc::SOCK_DGRAM as u64, 0, BUF];
    assert_eq!(t.ret(nr::SOCKETPAIR, &unix_dgram), 0);
    let sv = t.mem.load(BUF, 8).unwrap();
    let (a, b) = (sv & 0xffff_ffff, sv >> 32);
    // Two-part message: "ab" + "cde".
    t.mem.write_bytes(BUF + 0x100, b"ab").unwrap();
    t.mem.write_bytes(BUF + 0x110, b"cde").unwrap();
    let iov = BUF + 0x200;
    for (i, (base, len)) in [(BUF + 0x100, 2u64), (BUF + 0x110, 3)].iter().enumerate() {
        t.mem.store(iov + 16 * i as u64, 8, *base).unwrap();
        t.mem.store(iov + 16 * i as u64 + 8, 8, *len).unwrap();
    }
    let hdr = BUF + 0x300;
    t.mem.write_bytes(hdr, &[0u8; 56]).unwrap();
    t.mem.store(hdr + 16, 8, iov).unwrap();
    t.mem.store(hdr + 24, 8, 2).unwrap();
    assert_eq!(t.ret(nr::SENDMSG, &[a, hdr, 0]), 5);
    // Receive into one buffer, with a 7 in the flags field to see it rewritten.
    let riov = BUF + 0x400;
    t.mem.store(riov, 8, BUF + 0x500).unwrap();
    t.mem.store(riov + 8, 8, 64).unwrap();
    let rhdr = BUF + 0x600;
    t.mem.write_bytes(rhdr, &[0u8; 56]).unwrap();
    t.mem.store(rhdr + 16, 8, riov).unwrap();
    t.mem.store(rhdr + 24, 8, 1).unwrap();
    t.mem.store(rhdr + 48, 4, 7).unwrap();
    assert_eq!(t.ret(nr::RECVMSG, &[b, rhdr, 0]), 5);
    let mut got = [0u8; 5];
    t.mem.read_bytes(BUF + 0x500, &mut got).unwrap();
    assert_eq!(&got, b"abcde");
    assert_eq!(t.mem.load(rhdr + 48, 4), Ok(0), "msg_flags written back");
    t.ret(nr::CLOSE, &[a]);
    t.ret(nr::CLOSE, &[b]);
}

#[test]
fn epoll_reports_a_readable_pipe() {
    let mut t = T::new();
    t.ret(nr::PIPE2, &[BUF, 0]);
    let fds = t.mem.load(BUF, 8).unwrap();
    let (rfd, wfd) = (fds & 0xffff_ffff, fds >> 32);
    let ep = t.ret(nr::EPOLL_CREATE1, &[0]);
    assert!(ep >= 0);
    // struct epoll_event {EPOLLIN, data 0xdead_beef_0000_0001}
    t.mem.store(BUF + 0x100, 4, libc::EPOLLIN as u64).unwrap();
    t.mem.store(BUF + 0x108, 8, 0xdead_beef_0000_0001).unwrap();
    assert_eq!(
        t.ret(
            nr::EPOLL_CTL,
            &[ep as u64, libc::EPOLL_CTL_ADD as u64, rfd, BUF + 0x100]
        ),
        0
    );
    assert_eq!(
        t.ret(nr::EPOLL_PWAIT, &[ep as u64, BUF + 0x200, 4, 0, 0, 8]),
        0,
        "nothing yet"
    );
    t.mem.write_bytes(BUF + 0x300, b"x").unwrap();
    t.ret(nr::WRITE, &[wfd, BUF + 0x300, 1]);
    assert_eq!(
        t.ret(nr::EPOLL_PWAIT, &[ep as u64, BUF + 0x200, 4, 1000, 0, 8]),
        1
    );
    assert_eq!(t.mem.load(BUF + 0x200, 4), Ok(libc::EPOLLIN as u64));
    assert_eq!(t.mem.load(BUF + 0x208, 8), Ok(0xdead_beef_0000_0001));
    for fd in [rfd, wfd, ep as u64] {
        t.ret(nr::CLOSE, &[fd]);
    }
}

#[test]
fn proc_self_cmdline_and_auxv_describe_the_guest() {
    let mut t = T::new();
    for (path, want) in [
        ("/proc/self/cmdline", b"prog\0arg\0".to_vec()),
        (
            "/proc/self/auxv",
            [6u64, 4096, 0, 0]
                .iter()
                .flat_map(|w| w.to_le_bytes())
                .collect(),
        ),
    ] {
        t.put_str(BUF, path);
        let fd = t.ret(nr::OPENAT, &[AT_FDCWD, BUF, libc::O_RDONLY as u64, 0]);
        assert!(fd >= 0, "{path}");
        let n = t.ret(nr::READ, &[fd as u64, BUF + 0x200, 64]);
        assert_eq!(n as usize, want.len(), "{path}");
        let mut got = vec![0u8; want.len()];
        t.mem.read_bytes(BUF + 0x200, &mut got).unwrap();
        assert_eq!(got, want, "{path}");
        t.ret(nr::CLOSE, &[fd as u64]);
    }
}
