//! Turning a compiled block's exit code (see [`crate::abi`]) into the
//! [`Exit`] the runtime expects, with the fault address Linux would report.
//! The faults reported here carry `beyond_eof: false` (a helper's fault on
//! a page beyond the end of a mapped file included): the runtime asks
//! `GuestMemory::recheck` about such a page.

use crate::abi::{self, HelperFault, JitCtx};
use vm_core::{CpuState, Exit, FaultAccess};
use vm_engine::interp::raw_insn;
use vm_mem::{GUEST_SPACE_BYTES, GuestMemory, PAGE_SIZE, Perm};

/// The address Linux reports for a failed access of `size` bytes at `addr`
/// needing `need` (as `vm_mem` computes it): `addr` itself unless only the
/// second page touched is inaccessible, then that page's first byte.
fn fault_addr(mem: &GuestMemory, addr: u64, size: u64, need: Perm) -> u64 {
    if addr >= GUEST_SPACE_BYTES || !mem.perm_at(addr).contains(need) {
        return addr;
    }
    addr.wrapping_add(size.max(1) - 1) & !(PAGE_SIZE - 1)
}

/// Turn a compiled block's non-`EXIT_NEXT` return code into an exit.
pub(crate) fn exit_of(code: u64, ctx: &mut JitCtx, cpu: &CpuState, mem: &GuestMemory) -> Exit {
    let size = (code >> 8) & 0xff;
    match code & 0xff {
        abi::EXIT_SYSCALL => Exit::Syscall,
        abi::EXIT_BREAKPOINT => Exit::Breakpoint,
        abi::EXIT_ILLEGAL => Exit::Illegal {
            raw: (code >> 32) as u32,
        },
        abi::EXIT_FENCE_I => Exit::FlushCode,
        abi::EXIT_LOAD_FAULT => Exit::MemFault {
            addr: fault_addr(mem, ctx.fault_addr, size, Perm::R),
            access: FaultAccess::Read,
            misaligned: false,
            beyond_eof: false,
        },
        abi::EXIT_STORE_FAULT => Exit::MemFault {
            addr: fault_addr(mem, ctx.fault_addr, size, Perm::W),
            access: FaultAccess::Write,
            misaligned: false,
            beyond_eof: false,
        },
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
