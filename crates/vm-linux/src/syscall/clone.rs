//! clone and clone3: one description of the new task, two ways to ask.
//!
//! Why a module of its own: the two system calls differ only in how the
//! arguments arrive (registers in the riscv64 order for clone, a versioned
//! `struct clone_args` in guest memory for clone3) and in what the kernel
//! checks about them. Both are turned into one [`CloneArgs`] here, checked
//! as the kernel checks them (`kernel/fork.c`: `copy_clone_args_from_user`,
//! `clone3_args_valid`), and then start a thread ([`super::thread`]) or fork
//! the VM process ([`super::process`]).
//!
//! glibc 2.36 and later try clone3 first for pthread_create and
//! posix_spawn, so every threaded guest goes through [`read_clone3`].

use vm_core::CpuState;
use vm_mem::{Errno, GuestMemory};

use super::Linux;
use super::host::SysResult;

/// CLONE_VM: share the address space.
pub(super) const CLONE_VM: u64 = 0x100;
/// CLONE_SIGHAND: share signal handlers.
pub(super) const CLONE_SIGHAND: u64 = 0x800;
/// CLONE_PIDFD: store a pidfd for the child.
pub(super) const CLONE_PIDFD: u64 = 0x1000;
/// CLONE_VFORK: the parent sleeps until the child execs or exits.
pub(super) const CLONE_VFORK: u64 = 0x4000;
/// CLONE_PARENT: the child's parent is the caller's parent.
const CLONE_PARENT: u64 = 0x8000;
/// CLONE_THREAD: same thread group.
pub(super) const CLONE_THREAD: u64 = 0x1_0000;
/// CLONE_SETTLS: set `tp`.
pub(super) const CLONE_SETTLS: u64 = 0x8_0000;
/// CLONE_PARENT_SETTID: store the child's tid at `parent_tid`.
pub(super) const CLONE_PARENT_SETTID: u64 = 0x10_0000;
/// CLONE_CHILD_CLEARTID: clear (and futex-wake) `child_tid` at thread exit.
pub(super) const CLONE_CHILD_CLEARTID: u64 = 0x20_0000;
/// CLONE_DETACHED: ignored by clone, refused by clone3.
const CLONE_DETACHED: u64 = 0x40_0000;
/// CLONE_CHILD_SETTID: store the child's tid at `child_tid` in the child.
pub(super) const CLONE_CHILD_SETTID: u64 = 0x100_0000;
/// CLONE_NEWTIME: shares a bit with the exit-signal byte of clone.
const CLONE_NEWTIME: u64 = 0x80;
/// clone3 only: reset handled signals to SIG_DFL in the child.
pub(super) const CLONE_CLEAR_SIGHAND: u64 = 0x1_0000_0000;
/// clone3 only: start the child in the cgroup `cgroup` names.
const CLONE_INTO_CGROUP: u64 = 0x2_0000_0000;
/// The exit-signal byte of clone's flags.
const CSIGNAL: u64 = 0xff;

/// `sizeof(struct clone_args)` of the first version (up to `tls`).
pub(super) const CLONE_ARGS_SIZE_VER0: u64 = 64;
/// With `cgroup` (Linux 5.7): the size this VM knows.
pub(super) const CLONE_ARGS_SIZE_VER2: u64 = 88;
/// Largest `size` accepted (the kernel refuses more than a page).
const CLONE_ARGS_SIZE_MAX: u64 = 4096;
/// Most pid-namespace levels `set_tid` may name (MAX_PID_NS_LEVEL).
const SET_TID_MAX: u64 = 32;

/// One request for a new task, from either system call.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct CloneArgs {
    /// CLONE_* flags, without the exit signal.
    pub flags: u64,
    /// Signal the parent gets when the child exits (0: none).
    pub exit_signal: u64,
    /// Where CLONE_PIDFD stores the pidfd.
    pub pidfd: u64,
    /// Where CLONE_CHILD_SETTID / CLONE_CHILD_CLEARTID point.
    pub child_tid: u64,
    /// Where CLONE_PARENT_SETTID stores the child's tid.
    pub parent_tid: u64,
    /// The child's initial stack pointer (0: the caller's).
    pub sp: u64,
    /// The child's `tp` with CLONE_SETTLS.
    pub tls: u64,
}

impl CloneArgs {
    /// clone(flags, newsp, parent_tid, tls, child_tid): riscv64's order.
    /// With CLONE_PIDFD the pidfd goes where `parent_tid` points.
    pub(super) fn from_clone(a: [u64; 6]) -> Result<CloneArgs, Errno> {
        let flags = a[0] & 0xffff_ffff;
        if flags & CLONE_PIDFD != 0 && flags & CLONE_PARENT_SETTID != 0 {
            return Err(Errno(libc::EINVAL));
        }
        Ok(CloneArgs {
            flags: flags & !CSIGNAL,
            exit_signal: flags & CSIGNAL,
            pidfd: a[2],
            child_tid: a[4],
            parent_tid: a[2],
            sp: a[1],
            tls: a[3],
        })
    }
}

/// The fields of `struct clone_args`, in order (all `__aligned_u64`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct RawCloneArgs {
    flags: u64,
    pidfd: u64,
    child_tid: u64,
    parent_tid: u64,
    exit_signal: u64,
    stack: u64,
    stack_size: u64,
    tls: u64,
    set_tid: u64,
    set_tid_size: u64,
    cgroup: u64,
}

impl RawCloneArgs {
    /// Decode the first `CLONE_ARGS_SIZE_VER2` bytes (shorter versions
    /// arrive zero-extended).
    fn decode(b: &[u8; CLONE_ARGS_SIZE_VER2 as usize]) -> RawCloneArgs {
        let w = |i: usize| {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[i * 8..i * 8 + 8]);
            u64::from_le_bytes(x)
        };
        RawCloneArgs {
            flags: w(0),
            pidfd: w(1),
            child_tid: w(2),
            parent_tid: w(3),
            exit_signal: w(4),
            stack: w(5),
            stack_size: w(6),
            tls: w(7),
            set_tid: w(8),
            set_tid_size: w(9),
            cgroup: w(10),
        }
    }
}

/// clone3(uargs, size): read and check `struct clone_args` as the kernel
/// does. A `size` below the first version is EINVAL, above a page E2BIG;
/// bytes past the known fields must be zero (else E2BIG); an unreadable
/// structure is EFAULT.
pub(super) fn read_clone3(mem: &GuestMemory, addr: u64, size: u64) -> Result<CloneArgs, Errno> {
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno(libc::EINVAL));
    }
    if size > CLONE_ARGS_SIZE_MAX {
        return Err(Errno(libc::E2BIG));
    }
    let mut known = [0u8; CLONE_ARGS_SIZE_VER2 as usize];
    let n = size.min(CLONE_ARGS_SIZE_VER2) as usize;
    mem.read_bytes(addr, &mut known[..n])
        .map_err(|_| Errno(libc::EFAULT))?;
    if size > CLONE_ARGS_SIZE_VER2 {
        let mut tail = vec![0u8; (size - CLONE_ARGS_SIZE_VER2) as usize];
        mem.read_bytes(addr.wrapping_add(CLONE_ARGS_SIZE_VER2), &mut tail)
            .map_err(|_| Errno(libc::EFAULT))?;
        if tail.iter().any(|&b| b != 0) {
            return Err(Errno(libc::E2BIG));
        }
    }
    let raw = RawCloneArgs::decode(&known);
    check_clone3(&raw, size)?;
    let sp = if raw.stack == 0 {
        0
    } else {
        // The stack grows down: the child starts at its top.
        raw.stack.wrapping_add(raw.stack_size)
    };
    // access_ok: the range must lie in the address space (mapped or not).
    if raw
        .stack
        .checked_add(raw.stack_size)
        .is_none_or(|end| end > vm_mem::GUEST_SPACE_BYTES)
    {
        return Err(Errno(libc::EINVAL));
    }
    Ok(CloneArgs {
        flags: raw.flags,
        exit_signal: raw.exit_signal,
        pidfd: raw.pidfd,
        child_tid: raw.child_tid,
        parent_tid: raw.parent_tid,
        sp,
        tls: raw.tls,
    })
}

/// The kernel's checks of clone3 arguments that need no memory access
/// (`copy_clone_args_from_user`, `clone3_args_valid`); `size` is the
/// caller's structure size. set_tid is refused with EPERM afterwards: the
/// VM cannot choose host pids (an unprivileged caller gets the same).
fn check_clone3(raw: &RawCloneArgs, size: u64) -> Result<(), Errno> {
    let einval = Err(Errno(libc::EINVAL));
    if raw.set_tid_size > SET_TID_MAX
        || (raw.set_tid == 0 && raw.set_tid_size > 0)
        || (raw.set_tid != 0 && raw.set_tid_size == 0)
    {
        return einval;
    }
    // valid_signal: 0..=_NSIG (64).
    if raw.exit_signal & !CSIGNAL != 0 || raw.exit_signal > 64 {
        return einval;
    }
    if raw.flags & CLONE_INTO_CGROUP != 0
        && (raw.cgroup > i32::MAX as u64 || size < CLONE_ARGS_SIZE_VER2)
    {
        return einval;
    }
    if raw.flags & !(0xffff_ffff | CLONE_CLEAR_SIGHAND | CLONE_INTO_CGROUP) != 0 {
        return einval;
    }
    if raw.flags & (CLONE_DETACHED | (CSIGNAL & !CLONE_NEWTIME)) != 0 {
        return einval;
    }
    if raw.flags & (CLONE_SIGHAND | CLONE_CLEAR_SIGHAND) == CLONE_SIGHAND | CLONE_CLEAR_SIGHAND {
        return einval;
    }
    if raw.flags & (CLONE_THREAD | CLONE_PARENT) != 0 && raw.exit_signal != 0 {
        return einval;
    }
    // clone3_stack_valid: both or neither of stack and stack_size.
    if (raw.stack == 0) != (raw.stack_size == 0) {
        return einval;
    }
    if raw.set_tid_size > 0 {
        return Err(Errno(libc::EPERM));
    }
    Ok(())
}

impl Linux {
    /// Start the task `args` describes: a guest thread (CLONE_THREAD) or
    /// a forked process.
    pub(super) fn clone_task(
        &mut self,
        cpu: &mut CpuState,
        mem: &GuestMemory,
        args: CloneArgs,
    ) -> SysResult {
        // The kernel's copy_process checks, common to both calls.
        if args.flags & CLONE_THREAD != 0 && args.flags & CLONE_SIGHAND == 0 {
            return Err(Errno(libc::EINVAL));
        }
        if args.flags & CLONE_SIGHAND != 0 && args.flags & CLONE_VM == 0 {
            return Err(Errno(libc::EINVAL));
        }
        if args.flags & CLONE_THREAD != 0 {
            self.spawn_thread(cpu, args)
        } else {
            self.fork(cpu, mem, args)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A guest memory with one read-write page at `PAGE`.
    const PAGE: u64 = 0x10_0000;

    fn mem_with(bytes: &[u8]) -> GuestMemory {
        use vm_mem::{Backing, MapFlags, Perm};
        let mem = GuestMemory::new().expect("guest memory");
        let fixed = MapFlags {
            fixed: true,
            ..MapFlags::default()
        };
        mem.map(PAGE, 0x2000, Perm::RW, fixed, Backing::Anonymous, "")
            .expect("map");
        mem.write_bytes(PAGE, bytes).expect("write args");
        mem
    }

    fn encode(w: &[u64]) -> Vec<u8> {
        w.iter().flat_map(|x| x.to_le_bytes()).collect()
    }

    const THREAD_FLAGS: u64 = CLONE_VM
        | CLONE_SIGHAND
        | CLONE_THREAD
        | CLONE_SETTLS
        | CLONE_PARENT_SETTID
        | CLONE_CHILD_CLEARTID;

    #[test]
    fn clone3_reads_every_field_and_tops_the_stack() {
        let words = [THREAD_FLAGS, 0x11, 0x22, 0x33, 0, 0x8000, 0x1000, 0x44];
        let mem = mem_with(&encode(&words));
        let a = read_clone3(&mem, PAGE, CLONE_ARGS_SIZE_VER0).expect("valid");
        assert_eq!(
            a,
            CloneArgs {
                flags: THREAD_FLAGS,
                exit_signal: 0,
                pidfd: 0x11,
                child_tid: 0x22,
                parent_tid: 0x33,
                sp: 0x9000,
                tls: 0x44,
            }
        );
    }

    #[test]
    fn clone3_sizes_as_the_kernel() {
        let mut words = vec![0u64; 20];
        words[0] = 0;
        words[4] = 17;
        let mem = mem_with(&encode(&words));
        assert_eq!(read_clone3(&mem, PAGE, 63), Err(Errno(libc::EINVAL)));
        assert_eq!(read_clone3(&mem, PAGE, 0), Err(Errno(libc::EINVAL)));
        assert!(read_clone3(&mem, PAGE, 64).is_ok());
        assert!(read_clone3(&mem, PAGE, 88).is_ok());
        assert!(read_clone3(&mem, PAGE, 160).is_ok(), "zero tail is fine");
        assert_eq!(read_clone3(&mem, PAGE, 4097), Err(Errno(libc::E2BIG)));
        // A non-zero byte past the known structure.
        mem.write_bytes(PAGE + 100, &[1]).expect("write");
        assert_eq!(read_clone3(&mem, PAGE, 160), Err(Errno(libc::E2BIG)));
        assert!(read_clone3(&mem, PAGE, 100).is_ok(), "byte beyond size");
        // Unreadable.
        assert_eq!(read_clone3(&mem, 0x50_0000, 64), Err(Errno(libc::EFAULT)));
        assert_eq!(
            read_clone3(&mem, PAGE + 0x2000 - 32, 64),
            Err(Errno(libc::EFAULT))
        );
    }

    #[test]
    fn clone3_argument_checks() {
        let check = |f: &dyn Fn(&mut RawCloneArgs), size: u64| {
            let mut r = RawCloneArgs {
                exit_signal: 17,
                ..RawCloneArgs::default()
            };
            f(&mut r);
            check_clone3(&r, size)
        };
        let einval = Err(Errno(libc::EINVAL));
        assert_eq!(check(&|_| {}, 64), Ok(()));
        assert_eq!(check(&|r| r.exit_signal = 65, 64), einval);
        assert_eq!(check(&|r| r.exit_signal = 0x111, 64), einval);
        assert_eq!(check(&|r| r.flags = 17, 64), einval, "signal in flags");
        assert_eq!(check(&|r| r.flags = CLONE_DETACHED, 64), einval);
        assert_eq!(check(&|r| r.flags = 1 << 40, 64), einval);
        assert_eq!(
            check(&|r| r.flags = CLONE_SIGHAND | CLONE_CLEAR_SIGHAND, 64),
            einval
        );
        assert_eq!(check(&|r| r.flags = CLONE_THREAD, 64), einval, "signal");
        assert_eq!(check(&|r| r.flags = CLONE_PARENT, 64), einval);
        assert_eq!(check(&|r| r.stack = 0x1000, 64), einval, "no size");
        assert_eq!(check(&|r| r.stack_size = 0x1000, 64), einval, "no stack");
        assert_eq!(check(&|r| r.set_tid_size = 1, 80), einval);
        assert_eq!(check(&|r| r.set_tid = 0x1000, 80), einval);
        assert_eq!(
            check(
                &|r| {
                    r.set_tid = 0x1000;
                    r.set_tid_size = 33;
                },
                80
            ),
            einval
        );
        assert_eq!(
            check(
                &|r| {
                    r.set_tid = 0x1000;
                    r.set_tid_size = 1;
                },
                80
            ),
            Err(Errno(libc::EPERM))
        );
        assert_eq!(
            check(&|r| r.flags = CLONE_INTO_CGROUP, 80),
            einval,
            "cgroup needs VER2"
        );
        assert_eq!(check(&|r| r.flags = CLONE_CLEAR_SIGHAND, 64), Ok(()));
        assert_eq!(check(&|r| r.flags = CLONE_NEWTIME, 64), Ok(()));
    }

    #[test]
    fn clone3_rejects_a_stack_outside_the_address_space() {
        let words = [0, 0, 0, 0, 17, vm_mem::GUEST_SPACE_BYTES - 0xfff, 0x1000, 0];
        let mem = mem_with(&encode(&words));
        assert_eq!(read_clone3(&mem, PAGE, 64), Err(Errno(libc::EINVAL)));
    }

    #[test]
    fn clone_splits_the_exit_signal_and_pidfd() {
        let a =
            CloneArgs::from_clone([CLONE_PIDFD | 17, 0x5000, 0x60, 0x70, 0x80, 0]).expect("valid");
        assert_eq!(a.flags, CLONE_PIDFD);
        assert_eq!(a.exit_signal, 17);
        assert_eq!(
            (a.pidfd, a.sp, a.tls, a.child_tid),
            (0x60, 0x5000, 0x70, 0x80)
        );
        assert_eq!(
            CloneArgs::from_clone([CLONE_PIDFD | CLONE_PARENT_SETTID | 17, 0, 0, 0, 0, 0]),
            Err(Errno(libc::EINVAL))
        );
    }
}
