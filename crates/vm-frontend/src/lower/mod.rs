//! Lowering of guest basic blocks to IR: the semantics of every instruction.
//!
//! [`translate_block`] decodes instructions from a start PC and lowers each to
//! IR until the block must end. Rules every lowering follows:
//!
//! - **x0**: reads use [`Builder::get`], which yields the constant 0; writes go
//!   through [`Builder::set`], which drops writes to x0. So no block ever
//!   writes x0, and e.g. a load into x0 still performs (and may fault on) the
//!   access.
//! - **Precise state**: inside one guest instruction every IR instruction that
//!   may fault (load, store, AMO, LR/SC, FP op with dynamic rounding mode)
//!   comes before any `set` of that instruction, and every source register is
//!   read before the destination is written (`rd` may equal `rs1`). A fault
//!   therefore leaves all registers as they were before the instruction.
//! - **Block ends**: after any jump or branch (`Jump`, `JumpIndirect`,
//!   `Branch` with fall-through `pc + len`); `ecall` (Trap Syscall), `ebreak`
//!   (Trap Breakpoint), `fence.i` (Trap FenceI); an illegal instruction (Trap
//!   Illegal with the raw bits: the 32-bit word, or the 16-bit parcel if
//!   compressed); or after `max_insns` instructions (Jump to the next PC). If a
//!   later instruction cannot be fetched the block ends before it with a Jump
//!   to it, so the fetch fault is raised when execution actually gets there.
//! - **JALR**: target = (rs1 + imm) & !1, computed before `rd` is written.
//!   Hint `Return` for `jalr x0, 0(ra)` (and `c.jr ra`), `Call` when rd != x0,
//!   else `Other`.
//! - **Atomics**: AMOs map to `Amo`, LR/SC to `LoadReserved`/
//!   `StoreConditional`. The aq/rl bits are ignored: every engine performs
//!   atomics sequentially consistent, which is at least as strong.
//! - **FP**: single-precision values are NaN-boxed; `flw` ORs the upper 32
//!   bits with ones, `fsw` stores the low 32 bits. `fmv.x.w` sign-extends the
//!   low 32 bits; `fmv.w.x` NaN-boxes. Ops without a rounding mode (sign
//!   injection, min/max, compares, fclass) carry `rne`, which they ignore.
//! - **CSRs**: only [`vm_ir::Csr`] exist. `csrrw` with rd = x0 does not read;
//!   `csrrs`/`csrrc` with rs1 = x0 (or uimm = 0) do not write. An unknown CSR
//!   or a write to a read-only CSR is an illegal instruction.
//! - `fence` becomes `Fence` whatever its (reserved) fields; privileged
//!   instructions (`wfi`, `mret`...) are not decoded, hence illegal.

mod fp;
mod int;
mod system;

use crate::decode::{decode, insn_len};
use crate::insn::{Insn, Op};
use vm_ir::{Block, Builder, Terminator, TrapKind};

/// The first instruction of a block could not be fetched (unmapped or not
/// executable); `addr` is the parcel address that failed.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct FetchFault {
    /// Guest address of the parcel that could not be read.
    pub addr: u64,
}

impl std::fmt::Display for FetchFault {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "instruction fetch fault at {:#x}", self.addr)
    }
}

impl std::error::Error for FetchFault {}

/// What lowering one instruction did to the block.
pub(crate) enum Flow {
    /// Continue with the next instruction.
    Next,
    /// The block ends with this terminator.
    End(Terminator),
}

/// Context of the instruction being lowered.
pub(crate) struct Ctx<'a> {
    pub b: &'a mut Builder,
    pub pc: u64,
    pub next_pc: u64,
    pub raw: u32,
}

impl Ctx<'_> {
    /// End the block with an illegal-instruction trap at this instruction.
    pub fn illegal(&self) -> Flow {
        self.trap(TrapKind::Illegal { raw: self.raw })
    }

    /// End the block with a trap at this instruction.
    pub fn trap(&self, kind: TrapKind) -> Flow {
        Flow::End(Terminator::Trap {
            kind,
            pc: self.pc,
            next_pc: self.next_pc,
        })
    }
}

/// Fetch and decode the instruction at `pc`; `Err(addr)` names the parcel
/// that could not be fetched.
fn fetch_insn(pc: u64, fetch: &mut dyn FnMut(u64) -> Option<u16>) -> Result<Insn, u64> {
    let p0 = fetch(pc).ok_or(pc)?;
    let p1 = if insn_len(p0) == 4 {
        let addr = pc.wrapping_add(2);
        fetch(addr).ok_or(addr)?
    } else {
        0
    };
    Ok(decode(p0, p1))
}

/// Translate the guest basic block starting at `pc` to IR.
///
/// `fetch` reads one 16-bit parcel of guest code (`None` when the address is
/// not executable). At most `max_insns` guest instructions (at least one) are
/// translated. Fails only if the first instruction cannot be fetched.
pub fn translate_block(
    pc: u64,
    fetch: &mut dyn FnMut(u64) -> Option<u16>,
    max_insns: usize,
) -> Result<Block, FetchFault> {
    let max_insns = max_insns.max(1);
    let mut b = Builder::new(pc);
    let mut cur = pc;
    loop {
        let insn = match fetch_insn(cur, fetch) {
            Ok(insn) => insn,
            Err(addr) if cur == pc => return Err(FetchFault { addr }),
            Err(_) => return Ok(b.finish(Terminator::Jump { target: cur }, cur)),
        };
        let next_pc = cur.wrapping_add(insn.len as u64);
        b.begin_insn(cur);
        let mut cx = Ctx {
            b: &mut b,
            pc: cur,
            next_pc,
            raw: insn.raw,
        };
        if let Flow::End(term) = lower_insn(&mut cx, &insn.op) {
            return Ok(b.finish(term, next_pc));
        }
        cur = next_pc;
        if b.guest_insn_count() >= max_insns {
            return Ok(b.finish(Terminator::Jump { target: cur }, cur));
        }
    }
}

/// Lower one decoded instruction.
pub(crate) fn lower_insn(cx: &mut Ctx<'_>, op: &Op) -> Flow {
    match *op {
        Op::Illegal => cx.illegal(),
        Op::Lui { .. }
        | Op::Auipc { .. }
        | Op::Jal { .. }
        | Op::Jalr { .. }
        | Op::Branch { .. }
        | Op::Load { .. }
        | Op::Store { .. }
        | Op::RegImm { .. }
        | Op::RegReg { .. }
        | Op::Unary { .. }
        | Op::Amo { .. }
        | Op::Lr { .. }
        | Op::Sc { .. } => int::lower(cx, op),
        Op::Fence { .. } | Op::FenceI | Op::Ecall | Op::Ebreak | Op::Csr { .. } => {
            system::lower(cx, op)
        }
        Op::FpLoad { .. }
        | Op::FpStore { .. }
        | Op::FpArith { .. }
        | Op::FpSignMinMax { .. }
        | Op::FpCompare { .. }
        | Op::FpSqrt { .. }
        | Op::Fma { .. }
        | Op::FCvt { .. }
        | Op::FMvToInt { .. }
        | Op::FMvFromInt { .. }
        | Op::FClass { .. } => fp::lower(cx, op),
    }
}
