//! Why an engine returned control to the runtime.

/// What a faulting access was doing.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FaultAccess {
    /// A load (or the read half of an atomic).
    Read,
    /// A store (or the write half of an atomic).
    Write,
    /// An instruction fetch.
    Exec,
}

/// The reason an engine stopped. In every case `CpuState::pc` is the guest
/// instruction that caused it, and every register holds the value it had just
/// before that instruction (precise state), unless stated otherwise.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Exit {
    /// `ecall` at `pc`; the runtime performs the call and advances `pc` by 4.
    Syscall,
    /// `ebreak` at `pc`.
    Breakpoint,
    /// Illegal or unimplemented instruction at `pc`; `raw` are its bits (the
    /// low 16 bits for a compressed instruction).
    Illegal { raw: u32 },
    /// A memory access at `pc` to `addr` failed: unmapped or not permitted
    /// (`misaligned` is set for misaligned atomics, which Linux reports as
    /// SIGBUS with BUS_ADRALN; `beyond_eof` for a page of a file mapping
    /// wholly beyond the end of the file, SIGBUS with BUS_ADRERR).
    MemFault {
        addr: u64,
        access: FaultAccess,
        misaligned: bool,
        beyond_eof: bool,
    },
    /// The instruction budget given to the engine ran out; `pc` is the next
    /// instruction to execute. Lets the runtime check for signals and limits.
    Budget,
    /// `fence.i` or another event that may have made translations stale;
    /// `pc` is the next instruction to execute.
    FlushCode,
}
