//! Turning a compiled block's exit code (see [`crate::abi`]) into the
//! [`Exit`] the runtime expects. Faults of plain loads and stores do not
//! come here: they are host faults, repeated in the interpreter (see
//! `crate::hostfault`). The helper faults reported here carry
//! `beyond_eof: false` (one on a page beyond the end of a mapped file
//! included): the runtime asks `GuestMemory::recheck` about such a page.

use crate::abi::{self, HelperFault, JitCtx};
use vm_core::{CpuState, Exit, FaultAccess};
use vm_engine::interp::raw_insn;
use vm_mem::GuestMemory;

/// Turn a compiled block's non-`EXIT_NEXT` return code into an exit.
pub(crate) fn exit_of(code: u64, ctx: &mut JitCtx, cpu: &CpuState, mem: &GuestMemory) -> Exit {
    match code & 0xff {
        abi::EXIT_SYSCALL => Exit::Syscall,
        abi::EXIT_BREAKPOINT => Exit::Breakpoint,
        abi::EXIT_ILLEGAL => Exit::Illegal {
            raw: (code >> 32) as u32,
        },
        abi::EXIT_FENCE_I => Exit::FlushCode,
        abi::EXIT_HELPER_FAULT => {
            let why = ctx.helper_fault;
            ctx.helper_fault = 0;
            let (access, misaligned) = match why {
                w if w == HelperFault::Read as u64 => (FaultAccess::Read, false),
                w if w == HelperFault::MisalignedRead as u64 => (FaultAccess::Read, true),
                w if w == HelperFault::MisalignedWrite as u64 => (FaultAccess::Write, true),
                _ => (FaultAccess::Write, false),
            };
            Exit::MemFault {
                addr: ctx.fault_addr,
                access,
                misaligned,
                beyond_eof: false,
            }
        }
        // EXIT_ILLEGAL_RM (and nothing else is produced).
        _ => Exit::Illegal {
            raw: raw_insn(mem, cpu.pc),
        },
    }
}
