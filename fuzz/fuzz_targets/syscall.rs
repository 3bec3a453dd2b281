//! The system call layer on a fresh process: random call numbers and
//! arguments (biased towards the guest's mapped buffers, their edges and
//! unmapped or read-only pages) never panic and never touch host memory
//! outside the guest arena; every call either returns a value in `a0` and
//! advances `pc` by 4, or reports an outcome.
//!
//! Only calls that cannot disturb the fuzzing process itself are made with
//! random arguments: no signals to real pids, no fd juggling (close/dup3
//! could close libFuzzer's own descriptors; `lseek` gets a descriptor of
//! `/dev/null`), no blocking reads, no fork,
//! execve, exit of host threads, file-system writes or host signal
//! dispositions. Unknown numbers (ENOSYS paths) are included.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;
use vm_core::CpuState;
use vm_linux::syscall::nr;
use vm_linux::{Linux, LinuxConfig, SyscallOutcome};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

const BUF: u64 = 0x10_0000;
const BUF_BYTES: u64 = 0x4000;
const RO: u64 = 0x20_0000;

const SAFE: &[u64] = &[
    nr::GETCWD,
    nr::FSTAT,
    nr::NEWFSTATAT,
    nr::FACCESSAT,
    nr::READLINKAT,
    nr::STATFS,
    nr::FSTATFS,
    nr::LSEEK,
    nr::CLOCK_GETTIME,
    nr::CLOCK_GETRES,
    nr::GETTIMEOFDAY,
    nr::GETPID,
    nr::GETPPID,
    nr::GETUID,
    nr::GETEUID,
    nr::GETGID,
    nr::GETEGID,
    nr::GETTID,
    nr::GETRESUID,
    nr::GETRESGID,
    nr::TIMES,
    nr::UNAME,
    nr::GETRLIMIT,
    nr::GETRUSAGE,
    nr::SYSINFO,
    nr::GETCPU,
    nr::SCHED_GETAFFINITY,
    nr::SCHED_YIELD,
    nr::BRK,
    nr::MMAP,
    nr::MUNMAP,
    nr::MREMAP,
    nr::MPROTECT,
    nr::MADVISE,
    nr::MSYNC,
    nr::SET_TID_ADDRESS,
    nr::SET_ROBUST_LIST,
    nr::GET_ROBUST_LIST,
    nr::RT_SIGPENDING,
    nr::SIGALTSTACK,
    nr::GETITIMER,
    nr::GETPGID,
    nr::GETSID,
    nr::RISCV_HWPROBE,
    nr::RISCV_FLUSH_ICACHE,
    nr::EXIT,
    nr::EXIT_GROUP,
    // Not in the table: ENOSYS.
    500,
    1000,
    u64::MAX,
];

struct Bytes<'a>(&'a [u8]);
impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, i| v | (self.u8() as u64) << (8 * i))
    }
    /// An argument: small, a buffer pointer (inside, at an edge, read-only,
    /// unmapped) or raw bits.
    fn arg(&mut self) -> u64 {
        match self.u8() % 8 {
            0 => self.u8() as u64,
            1 => BUF + (self.u64() % BUF_BYTES),
            2 => BUF + BUF_BYTES - (self.u8() as u64 % 16),
            3 => RO + (self.u8() as u64),
            4 => 0x30_0000 + self.u8() as u64,
            5 => (self.u8() as i8) as i64 as u64,
            6 => 0x1000 * (self.u8() as u64),
            _ => self.u64(),
        }
    }
}

/// A descriptor of `/dev/null`, opened once.
fn dev_null() -> u64 {
    use std::os::fd::AsRawFd;
    static NULL: std::sync::OnceLock<Option<std::fs::File>> = std::sync::OnceLock::new();
    NULL.get_or_init(|| std::fs::File::open("/dev/null").ok())
        .as_ref()
        .map_or(u64::MAX, |f| f.as_raw_fd() as u64)
}

fuzz_target!(|data: &[u8]| {
    let mut b = Bytes(data);
    let Ok(mem) = GuestMemory::new() else {
        return;
    };
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    if mem
        .map(BUF, BUF_BYTES, Perm::RW, fixed, Backing::Anonymous, "buf")
        .is_err()
        || mem
            .map(RO, 0x1000, Perm::R, fixed, Backing::Anonymous, "ro")
            .is_err()
    {
        return;
    }
    mem.init_brk(0x40_0000);
    let _ = mem.write_bytes(BUF, b"/\0/proc/self/maps\0.\0");
    let mut linux = Linux::new(LinuxConfig {
        exe_path: PathBuf::from("/fuzz/prog"),
        ..LinuxConfig::default()
    });
    let mut cpu = CpuState {
        pc: 0x1_0000,
        ..CpuState::default()
    };
    for _ in 0..1 + b.u8() % 8 {
        let n = SAFE[b.u8() as usize % SAFE.len()];
        cpu.x[17] = n;
        for i in 0..6 {
            cpu.x[10 + i] = b.arg();
        }
        if n == nr::LSEEK {
            // Guest descriptors are host descriptors: a random seek on
            // libFuzzer's own output would scatter its log (it did, into a
            // sparse file of hundreds of GB). Seek a descriptor of our own.
            cpu.x[10] = dev_null();
        }
        let pc = cpu.pc;
        match linux.syscall(&mut cpu, &mem) {
            SyscallOutcome::Continue | SyscallOutcome::Invalidate { .. } => {
                assert_eq!(cpu.pc, pc + 4, "syscall {n} did not advance pc");
            }
            SyscallOutcome::Exit(_) | SyscallOutcome::ThreadExit | SyscallOutcome::Killed(_) => {
                return;
            }
        }
    }
});
