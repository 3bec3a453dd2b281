//! The runtime loop: run guest code on an engine, handle what it reports
//! (system calls, faults, code flushes), until the process exits or dies.
//!
//! Like QEMU's `cpu_loop`, this is the one place that sees both the engine
//! and Linux. A guest fault becomes the signal Linux would send: delivered
//! to the guest's handler if it has one, else fatal, with a diagnostic.

use vm_core::{CpuState, Exit, FaultAccess};
use vm_engine::Engine;
use vm_mem::{GuestMemory, Perm};

use crate::limits::{self, LimitHit};
use crate::syscall::{Linux, SyscallOutcome};

/// si_code values of synchronous faults.
const SEGV_MAPERR: i32 = 1;
const SEGV_ACCERR: i32 = 2;
const BUS_ADRALN: i32 = 1;
const BUS_ADRERR: i32 = 2;
const ILL_ILLOPC: i32 = 1;
const TRAP_BRKPT: i32 = 1;

/// Guest instructions per engine run between runtime checks.
pub const BUDGET_INSNS: u64 = 1 << 20;

/// How the guest process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum GuestEnd {
    /// exit/exit_group with this status (0..=255).
    Exited(i32),
    /// This guest thread ended (exit(2)) while others still run.
    ThreadExited,
    /// Stopped by a limit of [`crate::limits`] (`--max-insns`, `--timeout`).
    Limit(LimitHit),
    /// Killed by a signal.
    Killed {
        /// Signal number.
        signal: i32,
        /// One-line description naming the guest PC, instruction and
        /// address, for faults; `None` when the guest signalled itself.
        diagnostic: Option<String>,
    },
}

/// Options for [`run`]. The process-wide limits (instructions, time) are
/// set in [`crate::limits`], since all guest threads share them.
#[derive(Clone, Debug)]
pub struct RunLimits {
    /// Instructions per engine call, at most: how often the run loop
    /// checks for host signals and limits while the guest computes.
    pub budget_insns: u64,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            budget_insns: BUDGET_INSNS,
        }
    }
}

/// Run the guest from `cpu.pc` until it exits or is killed.
pub fn run(
    engine: &mut dyn Engine,
    cpu: &mut CpuState,
    mem: &GuestMemory,
    linux: &mut Linux,
    limits: &RunLimits,
) -> GuestEnd {
    let mut counted = cpu.instret;
    loop {
        // A check point: every system call and every spent budget passes here.
        limits::charge(cpu.instret.saturating_sub(counted));
        counted = cpu.instret;
        if let Some(hit) = limits::check(cpu.pc) {
            if limits::claim_end() {
                return GuestEnd::Limit(hit);
            }
            // Another thread (or the watchdog) is ending the process.
            loop {
                std::thread::park();
            }
        }
        for (start, end) in linux.take_invalidations() {
            engine.invalidate(start, end);
        }
        // Never run past the instruction limit: the engines stop at the
        // first block boundary after the budget.
        let budget = limits.budget_insns.min(limits::insns_left()).max(1);
        match engine.run(cpu, mem, budget) {
            Exit::Syscall => match syscall(linux, cpu, mem) {
                SyscallOutcome::Continue => {}
                SyscallOutcome::Invalidate { start, end } => engine.invalidate(start, end),
                SyscallOutcome::Exit(code) => return GuestEnd::Exited(code),
                SyscallOutcome::ThreadExit => return GuestEnd::ThreadExited,
                SyscallOutcome::Killed(signal) => {
                    return GuestEnd::Killed {
                        signal,
                        diagnostic: None,
                    };
                }
            },
            Exit::Budget => {
                if let Some(signal) = linux.poll_signals(cpu, mem) {
                    return GuestEnd::Killed {
                        signal,
                        diagnostic: None,
                    };
                }
            }
            Exit::FlushCode => engine.invalidate(0, u64::MAX),
            Exit::Breakpoint => {
                if !linux.fault_signal(cpu, mem, libc::SIGTRAP, TRAP_BRKPT, cpu.pc) {
                    return killed(libc::SIGTRAP, cpu, mem, "breakpoint".into());
                }
            }
            Exit::Illegal { raw } => {
                if !linux.fault_signal(cpu, mem, libc::SIGILL, ILL_ILLOPC, cpu.pc) {
                    return killed(
                        libc::SIGILL,
                        cpu,
                        mem,
                        format!("illegal instruction {raw:#x}"),
                    );
                }
            }
            Exit::MemFault {
                addr,
                access,
                misaligned,
                beyond_eof,
            } => {
                // An engine may report a fault on a page beyond the end of a
                // mapped file as an ordinary one (the JIT's helpers do): ask
                // the memory, which re-reads the file's size. Grown over: run
                // the instruction again (the state is precise at the fault).
                let beyond_eof = beyond_eof
                    || (!misaligned
                        && match mem.recheck(addr, access_perm(access)) {
                            Ok(()) => continue,
                            Err(f) => f.beyond_eof,
                        });
                let (signal, code) = if misaligned {
                    (libc::SIGBUS, BUS_ADRALN)
                } else if beyond_eof {
                    (libc::SIGBUS, BUS_ADRERR)
                } else if !mem.is_mapped(addr) {
                    (libc::SIGSEGV, SEGV_MAPERR)
                } else {
                    (libc::SIGSEGV, SEGV_ACCERR)
                };
                if !linux.fault_signal(cpu, mem, signal, code, addr) {
                    let what = fault_text(mem, addr, access, misaligned, beyond_eof);
                    return killed(signal, cpu, mem, what);
                }
            }
        }
    }
}

/// The permission a faulting access needed.
fn access_perm(access: FaultAccess) -> Perm {
    match access {
        FaultAccess::Read => Perm::R,
        FaultAccess::Write => Perm::W,
        FaultAccess::Exec => Perm::X,
    }
}

/// A system call, counted as one for the `--timeout` watchdog.
fn syscall(linux: &mut Linux, cpu: &mut CpuState, mem: &GuestMemory) -> SyscallOutcome {
    let _in_call = limits::InCall::enter();
    linux.syscall(cpu, mem)
}

fn killed(signal: i32, cpu: &CpuState, mem: &GuestMemory, what: String) -> GuestEnd {
    let diagnostic = format!(
        "guest killed by {} at pc {:#x} ({}): {what}",
        signal_name(signal),
        cpu.pc,
        insn_text(mem, cpu.pc)
    );
    GuestEnd::Killed {
        signal,
        diagnostic: Some(diagnostic),
    }
}

/// What a faulting access did, e.g. "write to unmapped address 0x0".
pub fn fault_text(
    mem: &GuestMemory,
    addr: u64,
    access: FaultAccess,
    misaligned: bool,
    beyond_eof: bool,
) -> String {
    let verb = match access {
        FaultAccess::Read => "read from",
        FaultAccess::Write => "write to",
        FaultAccess::Exec => "execute at",
    };
    let perm = mem.perm_at(addr);
    let state = if misaligned {
        "misaligned".to_string()
    } else if beyond_eof {
        "beyond-end-of-file".to_string()
    } else if !mem.is_mapped(addr) {
        "unmapped".to_string()
    } else {
        format!("protected ({perm:?})")
    };
    format!("{verb} {state} address {addr:#x}")
}

/// The instruction at `pc`, disassembled, or why it cannot be shown.
pub fn insn_text(mem: &GuestMemory, pc: u64) -> String {
    let Ok(lo) = mem.fetch_u16(pc) else {
        return "unreadable".into();
    };
    let bits = if lo & 3 == 3 {
        match mem.fetch_u16(pc + 2) {
            Ok(hi) => u32::from(lo) | (u32::from(hi) << 16),
            Err(_) => return format!("{lo:#06x}, truncated"),
        }
    } else {
        u32::from(lo)
    };
    vm_frontend::disassemble_bits(bits, pc).replace('\t', " ")
}

/// The conventional name of signal `sig`.
pub fn signal_name(sig: i32) -> String {
    let name = match sig {
        libc::SIGHUP => "SIGHUP",
        libc::SIGINT => "SIGINT",
        libc::SIGQUIT => "SIGQUIT",
        libc::SIGILL => "SIGILL",
        libc::SIGTRAP => "SIGTRAP",
        libc::SIGABRT => "SIGABRT",
        libc::SIGBUS => "SIGBUS",
        libc::SIGFPE => "SIGFPE",
        libc::SIGKILL => "SIGKILL",
        libc::SIGUSR1 => "SIGUSR1",
        libc::SIGSEGV => "SIGSEGV",
        libc::SIGUSR2 => "SIGUSR2",
        libc::SIGPIPE => "SIGPIPE",
        libc::SIGALRM => "SIGALRM",
        libc::SIGTERM => "SIGTERM",
        libc::SIGXCPU => "SIGXCPU",
        libc::SIGXFSZ => "SIGXFSZ",
        libc::SIGSYS => "SIGSYS",
        _ => return format!("signal {sig}"),
    };
    name.into()
}

/// End the VM process the way a process killed by `sig` ends, so the
/// parent sees the same wait status (the shell prints 128 + sig): restore
/// the default action, disable core dumps, unblock and raise it. If the
/// signal does not end the process, exit with status 128 + sig instead.
pub fn die_by_signal(sig: i32) -> ! {
    let no_core = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain libc calls with valid arguments: a valid rlimit struct,
    // a signal number, and a sigset initialised by sigemptyset before use.
    unsafe {
        libc::setrlimit(libc::RLIMIT_CORE, &no_core);
        libc::signal(sig, libc::SIG_DFL);
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, sig);
        libc::sigprocmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        libc::raise(sig);
    }
    std::process::exit(128 + sig)
}
