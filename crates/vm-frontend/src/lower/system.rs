//! Lowering of system instructions: fences, traps to the runtime, CSRs.

use super::{Ctx, Flow};
use crate::insn::*;
use vm_ir::{BinOp, Csr, Global, Inst, TrapKind};

/// Lower a system-class instruction.
pub(super) fn lower(cx: &mut Ctx<'_>, op: &Op) -> Flow {
    match *op {
        Op::Fence { .. } => {
            cx.b.push(Inst::Fence);
            Flow::Next
        }
        Op::FenceI => cx.trap(TrapKind::FenceI),
        Op::Ecall => cx.trap(TrapKind::Syscall),
        Op::Ebreak => cx.trap(TrapKind::Breakpoint),
        Op::Csr { op, rd, csr, src } => csr_insn(cx, op, rd, csr, src),
        _ => cx.illegal(),
    }
}

/// `csrrw`/`csrrs`/`csrrc` (register or immediate source).
fn csr_insn(cx: &mut Ctx<'_>, op: CsrOp, rd: u8, num: u16, src: CsrSrc) -> Flow {
    let Some(csr) = Csr::from_number(num as u32) else {
        return cx.illegal();
    };
    let src_is_zero = matches!(src, CsrSrc::Reg(0) | CsrSrc::Imm(0));
    let (reads, writes) = match op {
        CsrOp::Rw => (rd != 0, true),
        CsrOp::Rs | CsrOp::Rc => (true, !src_is_zero),
    };
    if writes && csr.read_only() {
        return cx.illegal();
    }
    let b = &mut *cx.b;
    // Read every source before any write (rd may equal rs1).
    let s = match src {
        CsrSrc::Reg(r) => b.get(Global::X(r)),
        CsrSrc::Imm(i) => b.iconst(i as u64),
    };
    let old = reads.then(|| b.push(Inst::CsrRead { csr }));
    if writes {
        let new = match (op, old) {
            (CsrOp::Rs, Some(old)) => b.binary(BinOp::Or, old, s),
            (CsrOp::Rc, Some(old)) => b.binary(BinOp::AndN, old, s),
            _ => s,
        };
        b.push(Inst::CsrWrite { csr, arg: new });
    }
    if let Some(old) = old {
        b.set(Global::X(rd), old);
    }
    Flow::Next
}
