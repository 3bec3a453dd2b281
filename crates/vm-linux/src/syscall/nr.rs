//! riscv64 Linux system call numbers (the asm-generic table plus the two
//! RISC-V specific calls), with the argument kinds `--strace` uses to print
//! each call. One table is the single source of numbers, names and shapes.

/// How `--strace` prints one argument.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub enum Arg {
    /// Signed decimal.
    Int,
    /// Hexadecimal.
    Hex,
    /// Octal (modes).
    Oct,
    /// A file descriptor (`AT_FDCWD` by name).
    Fd,
    /// A NUL-terminated path, printed quoted.
    Path,
    /// A guest pointer (`NULL` or hex).
    Ptr,
}

/// Name and argument kinds of one system call.
#[derive(Copy, Clone, Debug)]
pub struct Info {
    /// Number (the value of `a7`).
    pub nr: u64,
    /// Name as in the kernel table.
    pub name: &'static str,
    /// Arguments, in order.
    pub args: &'static [Arg],
}

macro_rules! syscalls {
    ($($konst:ident = $nr:literal, $name:literal, [$($arg:ident),*];)*) => {
        $(
            #[doc = concat!("`", $name, "`")]
            pub const $konst: u64 = $nr;
        )*
        /// Every system call this table knows, ascending by number.
        pub const TABLE: &[Info] = &[
            $(Info { nr: $nr, name: $name, args: &[$(Arg::$arg),*] },)*
        ];
    };
}

syscalls! {
    GETCWD = 17, "getcwd", [Ptr, Int];
    EPOLL_CREATE1 = 20, "epoll_create1", [Hex];
    EPOLL_CTL = 21, "epoll_ctl", [Fd, Int, Fd, Ptr];
    EPOLL_PWAIT = 22, "epoll_pwait", [Fd, Ptr, Int, Int, Ptr, Int];
    DUP = 23, "dup", [Fd];
    DUP3 = 24, "dup3", [Fd, Fd, Hex];
    FCNTL = 25, "fcntl", [Fd, Int, Hex];
    IOCTL = 29, "ioctl", [Fd, Hex, Hex];
    MKNODAT = 33, "mknodat", [Fd, Path, Oct, Hex];
    MKDIRAT = 34, "mkdirat", [Fd, Path, Oct];
    UNLINKAT = 35, "unlinkat", [Fd, Path, Hex];
    SYMLINKAT = 36, "symlinkat", [Path, Fd, Path];
    LINKAT = 37, "linkat", [Fd, Path, Fd, Path, Hex];
    STATFS = 43, "statfs", [Path, Ptr];
    FSTATFS = 44, "fstatfs", [Fd, Ptr];
    TRUNCATE = 45, "truncate", [Path, Int];
    FTRUNCATE = 46, "ftruncate", [Fd, Int];
    FALLOCATE = 47, "fallocate", [Fd, Hex, Int, Int];
    FACCESSAT = 48, "faccessat", [Fd, Path, Oct];
    CHDIR = 49, "chdir", [Path];
    FCHDIR = 50, "fchdir", [Fd];
    FCHMOD = 52, "fchmod", [Fd, Oct];
    FCHMODAT = 53, "fchmodat", [Fd, Path, Oct];
    FCHOWNAT = 54, "fchownat", [Fd, Path, Int, Int, Hex];
    FCHOWN = 55, "fchown", [Fd, Int, Int];
    OPENAT = 56, "openat", [Fd, Path, Hex, Oct];
    CLOSE = 57, "close", [Fd];
    PIPE2 = 59, "pipe2", [Ptr, Hex];
    GETDENTS64 = 61, "getdents64", [Fd, Ptr, Int];
    LSEEK = 62, "lseek", [Fd, Int, Int];
    READ = 63, "read", [Fd, Ptr, Int];
    WRITE = 64, "write", [Fd, Ptr, Int];
    READV = 65, "readv", [Fd, Ptr, Int];
    WRITEV = 66, "writev", [Fd, Ptr, Int];
    PREAD64 = 67, "pread64", [Fd, Ptr, Int, Int];
    PWRITE64 = 68, "pwrite64", [Fd, Ptr, Int, Int];
    PREADV = 69, "preadv", [Fd, Ptr, Int, Int];
    PWRITEV = 70, "pwritev", [Fd, Ptr, Int, Int];
    SENDFILE = 71, "sendfile", [Fd, Fd, Ptr, Int];
    PSELECT6 = 72, "pselect6", [Int, Ptr, Ptr, Ptr, Ptr, Ptr];
    PPOLL = 73, "ppoll", [Ptr, Int, Ptr, Ptr, Int];
    READLINKAT = 78, "readlinkat", [Fd, Path, Ptr, Int];
    NEWFSTATAT = 79, "newfstatat", [Fd, Path, Ptr, Hex];
    FSTAT = 80, "fstat", [Fd, Ptr];
    SYNC = 81, "sync", [];
    FSYNC = 82, "fsync", [Fd];
    FDATASYNC = 83, "fdatasync", [Fd];
    UTIMENSAT = 88, "utimensat", [Fd, Path, Ptr, Hex];
    EXIT = 93, "exit", [Int];
    EXIT_GROUP = 94, "exit_group", [Int];
    WAITID = 95, "waitid", [Int, Int, Ptr, Hex, Ptr];
    SET_TID_ADDRESS = 96, "set_tid_address", [Ptr];
    FUTEX = 98, "futex", [Ptr, Int, Int, Ptr, Ptr, Int];
    SET_ROBUST_LIST = 99, "set_robust_list", [Ptr, Int];
    GET_ROBUST_LIST = 100, "get_robust_list", [Int, Ptr, Ptr];
    NANOSLEEP = 101, "nanosleep", [Ptr, Ptr];
    GETITIMER = 102, "getitimer", [Int, Ptr];
    SETITIMER = 103, "setitimer", [Int, Ptr, Ptr];
    CLOCK_GETTIME = 113, "clock_gettime", [Int, Ptr];
    CLOCK_GETRES = 114, "clock_getres", [Int, Ptr];
    CLOCK_NANOSLEEP = 115, "clock_nanosleep", [Int, Int, Ptr, Ptr];
    SCHED_SETAFFINITY = 122, "sched_setaffinity", [Int, Int, Ptr];
    SCHED_GETAFFINITY = 123, "sched_getaffinity", [Int, Int, Ptr];
    SCHED_YIELD = 124, "sched_yield", [];
    KILL = 129, "kill", [Int, Int];
    TKILL = 130, "tkill", [Int, Int];
    TGKILL = 131, "tgkill", [Int, Int, Int];
    SIGALTSTACK = 132, "sigaltstack", [Ptr, Ptr];
    RT_SIGSUSPEND = 133, "rt_sigsuspend", [Ptr, Int];
    RT_SIGACTION = 134, "rt_sigaction", [Int, Ptr, Ptr, Int];
    RT_SIGPROCMASK = 135, "rt_sigprocmask", [Int, Ptr, Ptr, Int];
    RT_SIGPENDING = 136, "rt_sigpending", [Ptr, Int];
    RT_SIGTIMEDWAIT = 137, "rt_sigtimedwait", [Ptr, Ptr, Ptr, Int];
    RT_SIGQUEUEINFO = 138, "rt_sigqueueinfo", [Int, Int, Ptr];
    RT_SIGRETURN = 139, "rt_sigreturn", [];
    GETRESUID = 148, "getresuid", [Ptr, Ptr, Ptr];
    GETRESGID = 150, "getresgid", [Ptr, Ptr, Ptr];
    TIMES = 153, "times", [Ptr];
    SETPGID = 154, "setpgid", [Int, Int];
    GETPGID = 155, "getpgid", [Int];
    GETSID = 156, "getsid", [Int];
    SETSID = 157, "setsid", [];
    UNAME = 160, "uname", [Ptr];
    GETRLIMIT = 163, "getrlimit", [Int, Ptr];
    SETRLIMIT = 164, "setrlimit", [Int, Ptr];
    GETRUSAGE = 165, "getrusage", [Int, Ptr];
    UMASK = 166, "umask", [Oct];
    PRCTL = 167, "prctl", [Int, Hex, Hex, Hex, Hex];
    GETCPU = 168, "getcpu", [Ptr, Ptr, Ptr];
    GETTIMEOFDAY = 169, "gettimeofday", [Ptr, Ptr];
    GETPID = 172, "getpid", [];
    GETPPID = 173, "getppid", [];
    GETUID = 174, "getuid", [];
    GETEUID = 175, "geteuid", [];
    GETGID = 176, "getgid", [];
    GETEGID = 177, "getegid", [];
    GETTID = 178, "gettid", [];
    SYSINFO = 179, "sysinfo", [Ptr];
    SOCKET = 198, "socket", [Int, Int, Int];
    SOCKETPAIR = 199, "socketpair", [Int, Int, Int, Ptr];
    BIND = 200, "bind", [Fd, Ptr, Int];
    LISTEN = 201, "listen", [Fd, Int];
    ACCEPT = 202, "accept", [Fd, Ptr, Ptr];
    CONNECT = 203, "connect", [Fd, Ptr, Int];
    GETSOCKNAME = 204, "getsockname", [Fd, Ptr, Ptr];
    GETPEERNAME = 205, "getpeername", [Fd, Ptr, Ptr];
    SENDTO = 206, "sendto", [Fd, Ptr, Int, Hex, Ptr, Int];
    RECVFROM = 207, "recvfrom", [Fd, Ptr, Int, Hex, Ptr, Ptr];
    SETSOCKOPT = 208, "setsockopt", [Fd, Int, Int, Ptr, Int];
    GETSOCKOPT = 209, "getsockopt", [Fd, Int, Int, Ptr, Ptr];
    SHUTDOWN = 210, "shutdown", [Fd, Int];
    SENDMSG = 211, "sendmsg", [Fd, Ptr, Hex];
    RECVMSG = 212, "recvmsg", [Fd, Ptr, Hex];
    BRK = 214, "brk", [Hex];
    MUNMAP = 215, "munmap", [Hex, Int];
    MREMAP = 216, "mremap", [Hex, Int, Int, Hex, Hex];
    CLONE = 220, "clone", [Hex, Ptr, Ptr, Hex, Ptr];
    EXECVE = 221, "execve", [Path, Ptr, Ptr];
    MMAP = 222, "mmap", [Hex, Int, Hex, Hex, Fd, Hex];
    MPROTECT = 226, "mprotect", [Hex, Int, Hex];
    MSYNC = 227, "msync", [Hex, Int, Hex];
    MADVISE = 233, "madvise", [Hex, Int, Int];
    ACCEPT4 = 242, "accept4", [Fd, Ptr, Ptr, Hex];
    RISCV_HWPROBE = 258, "riscv_hwprobe", [Ptr, Int, Int, Ptr, Hex];
    RISCV_FLUSH_ICACHE = 259, "riscv_flush_icache", [Hex, Hex, Hex];
    WAIT4 = 260, "wait4", [Int, Ptr, Hex, Ptr];
    PRLIMIT64 = 261, "prlimit64", [Int, Int, Ptr, Ptr];
    RENAMEAT2 = 276, "renameat2", [Fd, Path, Fd, Path, Hex];
    GETRANDOM = 278, "getrandom", [Ptr, Int, Hex];
    MEMFD_CREATE = 279, "memfd_create", [Path, Hex];
    MEMBARRIER = 283, "membarrier", [Int, Int, Int];
    STATX = 291, "statx", [Fd, Path, Hex, Hex, Ptr];
    RSEQ = 293, "rseq", [Ptr, Int, Hex, Hex];
    CLONE3 = 435, "clone3", [Ptr, Int];
    CLOSE_RANGE = 436, "close_range", [Fd, Fd, Hex];
    FACCESSAT2 = 439, "faccessat2", [Fd, Path, Oct, Hex];
}

/// The table entry for `nr`.
pub fn info(nr: u64) -> Option<&'static Info> {
    TABLE
        .binary_search_by_key(&nr, |i| i.nr)
        .ok()
        .map(|i| &TABLE[i])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_sorted_and_lookup_works() {
        assert!(TABLE.windows(2).all(|w| w[0].nr < w[1].nr));
        assert_eq!(info(WRITE).map(|i| i.name), Some("write"));
        assert!(info(1).is_none());
    }

    /// Check every number against the riscv64 kernel headers in the sysroot.
    #[test]
    fn numbers_match_sysroot_headers() {
        let dir = "/usr/riscv64-linux-gnu/include";
        let generic = std::fs::read_to_string(format!("{dir}/asm-generic/unistd.h"));
        let Ok(generic) = generic else {
            assert!(
                std::env::var_os("CI").is_none(),
                "riscv64 sysroot headers missing"
            );
            eprintln!("note: no riscv64 sysroot headers, skipping");
            return;
        };
        let mut defs = std::collections::HashMap::new();
        for line in generic.lines() {
            let mut w = line.split_whitespace();
            if let (Some("#define"), Some(name), Some(val)) = (w.next(), w.next(), w.next())
                && let Ok(v) = val.parse::<u64>()
                && let Some(n) = name
                    .strip_prefix("__NR3264_")
                    .or_else(|| name.strip_prefix("__NR_"))
            {
                defs.insert(n.to_string(), v);
            }
        }
        let arch = defs["arch_specific_syscall"];
        // asm/unistd.h defines the RISC-V calls as offsets from the arch base.
        let riscv = std::fs::read_to_string(format!("{dir}/asm/unistd.h")).unwrap_or_default();
        for line in riscv.lines() {
            let mut w = line.split_whitespace();
            if let (Some("#define"), Some(name)) = (w.next(), w.next()) {
                let rest: String = w.collect();
                let off = rest
                    .strip_prefix("(__NR_arch_specific_syscall+")
                    .and_then(|r| r.strip_suffix(')'))
                    .and_then(|r| r.parse::<u64>().ok());
                if let (Some(n), Some(off)) = (name.strip_prefix("__NR_"), off) {
                    defs.insert(n.to_string(), arch + off);
                }
            }
        }
        assert_eq!(defs.get("riscv_flush_icache"), Some(&RISCV_FLUSH_ICACHE));
        for i in TABLE {
            let header_name = match i.name {
                "newfstatat" => "fstatat",
                n => n,
            };
            if i.nr == RISCV_HWPROBE && !defs.contains_key(header_name) {
                continue; // older headers predate riscv_hwprobe
            }
            assert_eq!(defs.get(header_name), Some(&i.nr), "{}", i.name);
        }
    }
}
