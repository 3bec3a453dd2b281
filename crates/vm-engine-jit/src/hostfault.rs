//! Host faults in compiled code: how a guest access refused by the host MMU
//! becomes an exit of the compiled code.
//!
//! Compiled code accesses guest memory at `base + addr` after one bound
//! check (`addr` below `GUEST_SPACE_BYTES`): the host protection of each
//! arena page mirrors the guest permissions (see `vm_mem`), so a forbidden
//! access is a host SIGSEGV (or SIGBUS, for a file page beyond its end),
//! as in qemu-user. At each access `CpuState` holds the guest state either
//! before the accessing instruction (every register the code changed is
//! already stored: write-through) or, for an access made before its
//! member block changed anything but registers, at the member's start
//! (the member is then repeated); `cpu.instret` holds the count at the
//! start of the member block (see `lower`), and the faulting host
//! instruction names the access (see `crate::sites`). So the state is
//! precise at any access, and the fault needs no unwinding information:
//!
//! - the dispatcher enters compiled code through [`call`], which saves the
//!   host callee-saved registers and its stack pointer in a thread-local
//!   before calling the entry trampoline;
//! - the signal handler, for a fault by a kernel (not `kill`) whose
//!   instruction lies in this thread's code memory and whose address lies
//!   in its arena, records the instruction's address and rewrites the
//!   signal context to resume at [`fault_landing`] with that stack pointer and [`EXIT_HOST_FAULT`] as
//!   the return value: `call` returns it as if the code had exited;
//! - the dispatcher then looks the site up (guest PC, instructions retired
//!   in the block before it) and runs the block at that PC in the
//!   interpreter, which repeats the access with its own checks and
//!   produces exactly the interpreter's outcome (guest SIGSEGV or SIGBUS
//!   with the address Linux reports, or success if another thread changed
//!   the mapping in between).
//!
//! Any other fault goes to the handler that was installed before (Rust's
//! stack-overflow handler, a fuzzer's) or, if none, kills the process as
//! the default action would.

use std::cell::Cell;
use std::sync::Once;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::abi::{EXIT_HOST_FAULT, EnterFn, JitCtx};
use vm_core::CpuState;

/// What the signal handler needs to know about the compiled code this
/// thread is running. Only this thread writes it; the handler reads it on
/// the same thread.
struct Guard {
    /// The stack pointer saved by [`guarded_call`] (0: not in code).
    sp: Cell<usize>,
    /// The executable code memory, `[start, end)`.
    code: Cell<(usize, usize)>,
    /// The guest arena with its guard, `[start, end)`.
    arena: Cell<(usize, usize)>,
    /// The host instruction of the last fault handled.
    rip: Cell<usize>,
}

thread_local! {
    // Constant-initialised and without a destructor, so reading it in a
    // signal handler touches only this thread's static TLS block.
    static GUARD: Guard = const {
        Guard {
            sp: Cell::new(0),
            code: Cell::new((0, 0)),
            arena: Cell::new((0, 0)),
            rip: Cell::new(0),
        }
    };
}

/// Run compiled code: `enter(cpu, ctx, code)` with host faults in the code
/// memory `code_range` on guest memory `arena` turned into the return
/// value [`EXIT_HOST_FAULT`].
///
/// # Safety
/// As for calling `enter` directly: `code` must be compiled code that
/// follows the contract in `crate::abi` for `cpu` and `ctx`, and it must
/// lie in `code_range`.
pub(crate) unsafe fn call(
    enter: EnterFn,
    cpu: *mut CpuState,
    ctx: *mut JitCtx,
    code: *const u8,
    code_range: (usize, usize),
    arena: (usize, usize),
) -> u64 {
    install();
    GUARD.with(|g| {
        g.code.set(code_range);
        g.arena.set(arena);
        // SAFETY: the caller's contract for `enter`; `guarded_call` only
        // adds saving and restoring the callee-saved registers and writing
        // the stack pointer to `g.sp`, which lives as long as this thread.
        let r = unsafe { guarded_call(enter, cpu, ctx, code, g.sp.as_ptr()) };
        g.sp.set(0);
        r
    })
}

/// The host instruction address of the last fault [`call`] returned
/// [`EXIT_HOST_FAULT`] for on this thread.
pub(crate) fn fault_rip() -> usize {
    GUARD.with(|g| g.rip.get())
}

/// `enter(cpu, ctx, code)` after saving the callee-saved registers and
/// storing the stack pointer in `*sp_slot`; [`fault_landing`] resumed
/// with that stack pointer returns from here.
///
/// # Safety
/// `enter` and its arguments as in [`call`]; `sp_slot` must be writable.
#[unsafe(naked)]
unsafe extern "sysv64" fn guarded_call(
    enter: EnterFn,
    cpu: *mut CpuState,
    ctx: *mut JitCtx,
    code: *const u8,
    sp_slot: *mut usize,
) -> u64 {
    core::arch::naked_asm!(
        "push rbp",
        "mov rbp, rsp",
        "push rbx",
        "push r12",
        "push r13",
        "push r14",
        "push r15",
        // Five pushes after rbp leave rsp 8 bytes off 16-byte alignment.
        "sub rsp, 8",
        "mov [r8], rsp",
        "mov rax, rdi",
        "mov rdi, rsi",
        "mov rsi, rdx",
        "mov rdx, rcx",
        "call rax",
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// Where a handled fault resumes, with `rsp` set to the value
/// [`guarded_call`] saved and `rax` to the exit code: the epilogue of
/// `guarded_call`, returning to its caller.
#[unsafe(naked)]
unsafe extern "sysv64" fn fault_landing() {
    core::arch::naked_asm!(
        "add rsp, 8",
        "pop r15",
        "pop r14",
        "pop r13",
        "pop r12",
        "pop rbx",
        "pop rbp",
        "ret",
    )
}

/// The handlers in place before ours (`sigaction` structs, read in the
/// handler), for SIGSEGV and SIGBUS.
static PREVIOUS: [AtomicUsize; 2] = [AtomicUsize::new(0), AtomicUsize::new(0)];

/// Install the handler for SIGSEGV and SIGBUS, once per process.
fn install() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| {
        for (i, sig) in [libc::SIGSEGV, libc::SIGBUS].into_iter().enumerate() {
            // SAFETY: plain sigaction calls with valid structs; the old
            // action is leaked so the handler can read it for the life of
            // the process.
            unsafe {
                let old: &'static mut libc::sigaction = Box::leak(Box::new(std::mem::zeroed()));
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = on_fault as *const () as usize;
                act.sa_flags = libc::SA_SIGINFO | libc::SA_ONSTACK;
                libc::sigemptyset(&mut act.sa_mask);
                if libc::sigaction(sig, &act, old) == 0 {
                    PREVIOUS[i].store(old as *mut libc::sigaction as usize, Ordering::Release);
                }
            }
        }
    });
}

/// The SIGSEGV/SIGBUS handler (see the module doc).
extern "C" fn on_fault(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    // SAFETY: the kernel passes valid `siginfo_t` and `ucontext_t` pointers
    // to an SA_SIGINFO handler; on x86-64 Linux the register array is
    // `uc_mcontext.gregs`.
    unsafe {
        let uc = &mut *uctx.cast::<libc::ucontext_t>();
        let rip = uc.uc_mcontext.gregs[libc::REG_RIP as usize] as usize;
        let addr = (*info).si_addr() as usize;
        let by_kernel = (*info).si_code > 0;
        let handled = GUARD.with(|g| {
            let sp = g.sp.get();
            let (c0, c1) = g.code.get();
            let (a0, a1) = g.arena.get();
            if sp == 0 || !by_kernel || !(c0..c1).contains(&rip) || !(a0..a1).contains(&addr) {
                return false;
            }
            g.rip.set(rip);
            let gregs = &mut uc.uc_mcontext.gregs;
            gregs[libc::REG_RSP as usize] = sp as i64;
            gregs[libc::REG_RIP as usize] = fault_landing as *const () as usize as i64;
            gregs[libc::REG_RAX as usize] = EXIT_HOST_FAULT as i64;
            true
        });
        if !handled {
            chain(sig, info, uctx);
        }
    }
}

/// Pass a fault that is not ours to the handler installed before, or let
/// the default action happen.
///
/// # Safety
/// Called from the signal handler with the kernel's arguments.
unsafe fn chain(sig: libc::c_int, info: *mut libc::siginfo_t, uctx: *mut libc::c_void) {
    let i = usize::from(sig != libc::SIGSEGV);
    let old = PREVIOUS[i].load(Ordering::Acquire) as *const libc::sigaction;
    // SAFETY: `old` is null or the leaked action saved by `install`.
    let old = unsafe { old.as_ref() };
    match old.map(|o| (o.sa_sigaction, o.sa_flags)) {
        Some((h, flags)) if h != libc::SIG_DFL && h != libc::SIG_IGN => {
            if flags & libc::SA_SIGINFO != 0 {
                // SAFETY: an SA_SIGINFO handler takes these arguments.
                let f: extern "C" fn(libc::c_int, *mut libc::siginfo_t, *mut libc::c_void) =
                    unsafe { std::mem::transmute(h) };
                f(sig, info, uctx);
            } else {
                // SAFETY: a plain handler takes the signal number.
                let f: extern "C" fn(libc::c_int) = unsafe { std::mem::transmute(h) };
                f(sig);
            }
        }
        _ => {
            // Back to the default action: returning re-runs the faulting
            // instruction, which now kills the process with `sig`.
            // SAFETY: sigaction is async-signal-safe; the struct is valid.
            unsafe {
                let mut act: libc::sigaction = std::mem::zeroed();
                act.sa_sigaction = libc::SIG_DFL;
                libc::sigemptyset(&mut act.sa_mask);
                libc::sigaction(sig, &act, std::ptr::null_mut());
            }
        }
    }
}
