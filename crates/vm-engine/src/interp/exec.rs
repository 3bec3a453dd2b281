//! Executing one compiled block.

use super::compile::CompiledBlock;
use super::ops::{Op, Slot, Term};
use crate::guest_ops::{self, AtomicFault};
use std::sync::atomic::Ordering::SeqCst;
use vm_core::fpu;
use vm_core::{CpuState, Exit, FaultAccess};
use vm_ir::{BinOp, RoundMode, eval_binop, eval_unop};
use vm_mem::{GuestMemory, MemFault};

/// The interpreter's slot file: guest registers x0..x31 and f0..f31, then
/// block temporaries.
pub struct Slots {
    vals: Vec<u64>,
}

impl Slots {
    /// A slot file with room for typical blocks.
    #[allow(clippy::new_without_default)]
    pub fn new() -> Self {
        Slots {
            vals: vec![0; super::ops::TEMP_BASE + 256],
        }
    }

    /// Make room for a block needing `n` slots.
    pub fn reserve(&mut self, n: usize) {
        if self.vals.len() < n {
            self.vals.resize(n, 0);
        }
    }

    /// Copy the guest registers in from `cpu`.
    pub fn load_from(&mut self, cpu: &CpuState) {
        self.vals[..32].copy_from_slice(&cpu.x);
        self.vals[32..64].copy_from_slice(&cpu.f);
    }

    /// Copy the guest registers out to `cpu`.
    pub fn store_to(&self, cpu: &mut CpuState) {
        cpu.x.copy_from_slice(&self.vals[..32]);
        cpu.f.copy_from_slice(&self.vals[32..64]);
        cpu.x[0] = 0;
    }

    #[inline(always)]
    fn get(&self, s: Slot) -> u64 {
        // Slots are checked against `len` once per block in `exec_block`.
        debug_assert!((s as usize) < self.vals.len());
        // SAFETY: every slot named by a block's ops is below its
        // `slots_needed`, and `exec_block` checks `slots_needed <= len` before
        // running any op of the block.
        unsafe { *self.vals.get_unchecked(s as usize) }
    }

    #[inline(always)]
    fn set(&mut self, s: Slot, v: u64) {
        debug_assert!((s as usize) < self.vals.len());
        // SAFETY: as in `get`.
        unsafe { *self.vals.get_unchecked_mut(s as usize) = v }
    }
}

/// How a block ended.
pub enum BlockEnd {
    /// Continue at `pc`; `succ` says which successor link to use (0 taken or
    /// jump target, 1 fallthrough, None for indirect targets).
    Next {
        /// The next guest PC.
        pc: u64,
        /// Successor link to use, if the target was static.
        succ: Option<usize>,
    },
    /// Leave the engine: `cpu.pc` and `cpu.instret` are already set.
    Exit(Exit),
}

/// Why an op stopped the block.
enum Stop {
    Fault {
        addr: u64,
        access: FaultAccess,
        misaligned: bool,
        beyond_eof: bool,
    },
    IllegalRm,
    /// A superblock side exit was taken (not a fault).
    SideExit(u16),
}

fn atomic_stop(f: AtomicFault, addr: u64, access: FaultAccess) -> Stop {
    match f {
        AtomicFault::Fault(f) => mem_fault(f, access),
        AtomicFault::Misaligned => Stop::Fault {
            addr,
            access,
            misaligned: true,
            beyond_eof: false,
        },
    }
}

fn mem_fault(f: MemFault, access: FaultAccess) -> Stop {
    Stop::Fault {
        addr: f.addr,
        access,
        misaligned: false,
        beyond_eof: f.beyond_eof,
    }
}

#[inline(always)]
fn ea(base: u64, off: i32) -> u64 {
    base.wrapping_add(off as i64 as u64)
}

fn rm_of(rm: RoundMode, cpu: &CpuState) -> Result<RoundMode, Stop> {
    if rm == RoundMode::Dyn {
        fpu::resolve_rm(rm, cpu.frm).ok_or(Stop::IllegalRm)
    } else {
        Ok(rm)
    }
}

/// Run the ops of `b`, then evaluate its terminator.
#[inline(always)]
pub(crate) fn exec_block(
    b: &CompiledBlock,
    r: &mut Slots,
    cpu: &mut CpuState,
    mem: &GuestMemory,
) -> BlockEnd {
    assert!(
        b.slots_needed <= r.vals.len(),
        "slot file too small for block"
    );
    for (i, op) in b.ops.iter().enumerate() {
        if let Err(stop) = exec_op(b, op, r, cpu, mem) {
            if let Stop::SideExit(k) = stop {
                let exit = b.exits[k as usize];
                cpu.instret += exit.insns;
                return BlockEnd::Next {
                    pc: exit.target,
                    succ: Some(2 + k as usize),
                };
            }
            let insn = b.op_insn[i] as usize;
            cpu.pc = b.insn_pcs[insn];
            cpu.instret += insn as u64;
            return BlockEnd::Exit(match stop {
                Stop::Fault {
                    addr,
                    access,
                    misaligned,
                    beyond_eof,
                } => Exit::MemFault {
                    addr,
                    access,
                    misaligned,
                    beyond_eof,
                },
                Stop::IllegalRm => Exit::Illegal {
                    raw: raw_insn(mem, cpu.pc),
                },
                Stop::SideExit(_) => unreachable!("handled above"),
            });
        }
    }
    let n = b.insn_count();
    match b.term {
        Term::Jump { target } => {
            cpu.instret += n;
            BlockEnd::Next {
                pc: target,
                succ: Some(0),
            }
        }
        Term::Branch {
            cond,
            a,
            b: bb,
            taken,
            fallthrough,
        } => {
            cpu.instret += n;
            if cond.eval(r.get(a), r.get(bb)) {
                BlockEnd::Next {
                    pc: taken,
                    succ: Some(0),
                }
            } else {
                BlockEnd::Next {
                    pc: fallthrough,
                    succ: Some(1),
                }
            }
        }
        Term::Indirect { target } => {
            cpu.instret += n;
            BlockEnd::Next {
                pc: r.get(target),
                succ: None,
            }
        }
        Term::Trap { kind, pc, next_pc } => {
            // The trapping instruction has not retired.
            cpu.instret += n - 1;
            cpu.pc = pc;
            BlockEnd::Exit(match kind {
                vm_ir::TrapKind::Syscall => Exit::Syscall,
                vm_ir::TrapKind::Breakpoint => Exit::Breakpoint,
                vm_ir::TrapKind::Illegal { raw } => Exit::Illegal { raw },
                vm_ir::TrapKind::FenceI => {
                    cpu.instret += 1;
                    cpu.pc = next_pc;
                    Exit::FlushCode
                }
            })
        }
    }
}

/// The raw bits of the instruction at `pc`, for diagnostics.
pub fn raw_insn(mem: &GuestMemory, pc: u64) -> u32 {
    let lo = mem.fetch_u16(pc).unwrap_or(0) as u32;
    if lo & 3 != 3 {
        return lo;
    }
    lo | (mem.fetch_u16(pc.wrapping_add(2)).unwrap_or(0) as u32) << 16
}

#[inline(always)]
fn exec_op(
    b: &CompiledBlock,
    op: &Op,
    r: &mut Slots,
    cpu: &mut CpuState,
    mem: &GuestMemory,
) -> Result<(), Stop> {
    match *op {
        Op::Imm { d, imm } => r.set(d, imm),
        Op::Mov { d, s } => r.set(d, r.get(s)),
        Op::Add { d, a, b } => r.set(d, r.get(a).wrapping_add(r.get(b))),
        Op::Sub { d, a, b } => r.set(d, r.get(a).wrapping_sub(r.get(b))),
        Op::AddI { d, a, imm } => r.set(d, r.get(a).wrapping_add(imm as i64 as u64)),
        Op::AddIW { d, a, imm } => r.set(d, (r.get(a) as i32).wrapping_add(imm) as i64 as u64),
        Op::AndI { d, a, imm } => r.set(d, r.get(a) & imm as i64 as u64),
        Op::ShlI { d, a, sh } => r.set(d, r.get(a) << sh),
        Op::ShrLI { d, a, sh } => r.set(d, r.get(a) >> sh),
        Op::ShrAI { d, a, sh } => r.set(d, ((r.get(a) as i64) >> sh) as u64),
        Op::MulRR { d, a, b } => r.set(d, eval_binop(BinOp::Mul, r.get(a), r.get(b))),
        Op::XorRR { d, a, b } => r.set(d, eval_binop(BinOp::Xor, r.get(a), r.get(b))),
        Op::OrRR { d, a, b } => r.set(d, eval_binop(BinOp::Or, r.get(a), r.get(b))),
        Op::AndRR { d, a, b } => r.set(d, eval_binop(BinOp::And, r.get(a), r.get(b))),
        Op::ShlRR { d, a, b } => r.set(d, eval_binop(BinOp::Shl, r.get(a), r.get(b))),
        Op::ShrLRR { d, a, b } => r.set(d, eval_binop(BinOp::ShrL, r.get(a), r.get(b))),
        Op::ShrARR { d, a, b } => r.set(d, eval_binop(BinOp::ShrA, r.get(a), r.get(b))),
        Op::LtRR { d, a, b } => r.set(d, eval_binop(BinOp::Lt, r.get(a), r.get(b))),
        Op::LtURR { d, a, b } => r.set(d, eval_binop(BinOp::LtU, r.get(a), r.get(b))),
        Op::AddWRR { d, a, b } => r.set(d, eval_binop(BinOp::AddW, r.get(a), r.get(b))),
        Op::SubWRR { d, a, b } => r.set(d, eval_binop(BinOp::SubW, r.get(a), r.get(b))),
        Op::XorRI { d, a, imm } => r.set(d, eval_binop(BinOp::Xor, r.get(a), imm as i64 as u64)),
        Op::OrRI { d, a, imm } => r.set(d, eval_binop(BinOp::Or, r.get(a), imm as i64 as u64)),
        Op::LtRI { d, a, imm } => r.set(d, eval_binop(BinOp::Lt, r.get(a), imm as i64 as u64)),
        Op::LtURI { d, a, imm } => r.set(d, eval_binop(BinOp::LtU, r.get(a), imm as i64 as u64)),
        Op::ShlWRI { d, a, imm } => r.set(d, eval_binop(BinOp::ShlW, r.get(a), imm as i64 as u64)),
        Op::ShrLWRI { d, a, imm } => {
            r.set(d, eval_binop(BinOp::ShrLW, r.get(a), imm as i64 as u64))
        }
        Op::ShrAWRI { d, a, imm } => {
            r.set(d, eval_binop(BinOp::ShrAW, r.get(a), imm as i64 as u64))
        }
        Op::Bin { op, d, a, b } => r.set(d, eval_binop(op, r.get(a), r.get(b))),
        Op::BinI { op, d, a, imm } => r.set(d, eval_binop(op, r.get(a), imm as i64 as u64)),
        Op::BinI64 { op, d, a, imm_idx } => {
            r.set(d, eval_binop(op, r.get(a), b.imms[imm_idx as usize] as u64))
        }
        Op::Un { op, d, a } => r.set(d, eval_unop(op, r.get(a))),
        Op::Load64 { d, a, off } => {
            let v = mem
                .load(ea(r.get(a), off), 8)
                .map_err(|f| mem_fault(f, FaultAccess::Read))?;
            r.set(d, v)
        }
        Op::Load { ty, d, a, off } => {
            let v = mem
                .load(ea(r.get(a), off), ty.bytes())
                .map_err(|f| mem_fault(f, FaultAccess::Read))?;
            r.set(d, ty.extend(v))
        }
        Op::Store64 { a, off, v } => mem
            .store(ea(r.get(a), off), 8, r.get(v))
            .map_err(|f| mem_fault(f, FaultAccess::Write))?,
        Op::Store { ty, a, off, v } => mem
            .store(ea(r.get(a), off), ty.bytes(), r.get(v))
            .map_err(|f| mem_fault(f, FaultAccess::Write))?,
        Op::Amo { op, w, d, a, v } => {
            let addr = r.get(a);
            let old = guest_ops::amo(mem, op, w, addr, r.get(v))
                .map_err(|f| atomic_stop(f, addr, FaultAccess::Write))?;
            r.set(d, old)
        }
        Op::Lr { w, d, a } => {
            let addr = r.get(a);
            let v = guest_ops::load_reserved(mem, cpu, w, addr)
                .map_err(|f| atomic_stop(f, addr, FaultAccess::Read))?;
            r.set(d, v)
        }
        Op::Sc { w, d, a, v } => {
            let addr = r.get(a);
            let res = guest_ops::store_conditional(mem, cpu, w, addr, r.get(v))
                .map_err(|f| atomic_stop(f, addr, FaultAccess::Write))?;
            r.set(d, res)
        }
        Op::Fence => std::sync::atomic::fence(SeqCst),
        Op::ExitIf {
            cond,
            a,
            b: bb,
            exit,
        } => {
            if cond.eval(r.get(a), r.get(bb)) {
                return Err(Stop::SideExit(exit));
            }
        }
        Op::FBin {
            op,
            fmt,
            rm,
            d,
            a,
            b,
        } => {
            let rm = rm_of(rm, cpu)?;
            let v = fpu::fbinary(op, fmt, rm, r.get(a), r.get(b), &mut cpu.fflags);
            r.set(d, v)
        }
        Op::FUn { op, fmt, rm, d, a } => {
            let rm = rm_of(rm, cpu)?;
            let v = fpu::funary(op, fmt, rm, r.get(a), &mut cpu.fflags);
            r.set(d, v)
        }
        Op::Fma {
            op,
            fmt,
            rm,
            d,
            a,
            b,
            c,
        } => {
            let rm = rm_of(rm, cpu)?;
            let v = fpu::fma(op, fmt, rm, r.get(a), r.get(b), r.get(c), &mut cpu.fflags);
            r.set(d, v)
        }
        Op::FCvt { to, from, rm, d, a } => {
            let rm = rm_of(rm, cpu)?;
            let v = fpu::fcvt(to, from, rm, r.get(a), &mut cpu.fflags);
            r.set(d, v)
        }
        Op::CsrR { csr, d, insn } => r.set(d, guest_ops::csr_read(csr, cpu, insn as u64)),
        Op::CsrW { csr, s } => guest_ops::csr_write(csr, cpu, r.get(s)),
    }
    Ok(())
}
