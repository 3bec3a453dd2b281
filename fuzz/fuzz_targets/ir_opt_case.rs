//! One differential case of the IR optimizer, shared by the `ir_opt`
//! cargo-fuzz target and `crates/vm-engine/tests/opt_equiv.rs` (both
//! include this file with `#[path]`): bytes → a random well-formed block
//! (every integer operation, register traffic, loads, stores, atomics,
//! LR/SC, fences, FP arithmetic/conversions/FMA with static and dynamic
//! rounding, CSR reads and writes, every terminator) plus a random initial
//! CPU state and guest memory page; the block and its optimized form run
//! once each through the interpreter (`InterpBlock`) from the same state
//! and must end the same: next PC or exit, every CPU field (registers, pc,
//! instret, fflags, frm, reservation) and the memory page.
//!
//! Blocks are built so they verify (a faulting instruction after a `set`
//! starts a new guest instruction, as the frontend's lowering does); a
//! block that still fails the verifier is skipped.

use vm_core::CpuState;
use vm_engine::interp::{BlockEnd, InterpBlock, Slots};
use vm_ir::{
    AmoOp, AtomicWidth, BinOp, Block, Builder, Cond, Csr, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt,
    Global, Inst, JumpHint, MemTy, RoundMode, Terminator, TrapKind, UnOp, Value, optimize, verify,
};
use vm_mem::{Backing, GuestMemory, MapFlags, Perm};

/// The one mapped, writable guest page.
pub const MEM: u64 = 0x4000_0000;
/// Its size.
pub const MEM_LEN: usize = 4096;
const START: u64 = 0x1000;

/// A reader of fuzz bytes that yields zeros once they run out.
pub struct Bytes<'a>(pub &'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((b, rest)) => {
                self.0 = rest;
                *b
            }
            None => 0,
        }
    }
    fn u64(&mut self) -> u64 {
        (0..8).fold(0, |v, i| v | (self.u8() as u64) << (8 * i))
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.u8() as usize % xs.len()]
    }
    /// A constant biased to identity/absorbing values and guest addresses.
    fn constant(&mut self) -> u64 {
        match self.u8() % 8 {
            0 => self.pick(&[
                0,
                1,
                2,
                3,
                u64::MAX,
                u64::MAX - 1,
                i64::MIN as u64,
                i64::MAX as u64,
                0xffff_ffff,
                0x8000_0000,
                0xffff_ffff_8000_0000,
                31,
                32,
                63,
                64,
            ]),
            1 | 2 => (self.u8() % 70) as u64,
            3 | 4 => MEM + 8 * (self.u8() as u64 % 16),
            5 => MEM + self.u8() as u64,
            _ => self.u64(),
        }
    }
}

fn global(b: &mut Bytes) -> Global {
    let r = b.u8();
    match r >> 6 {
        0 => Global::F(r & 3),
        _ => Global::X(r & 7),
    }
}

/// A value the rest of the block may use: one of the newest three half the
/// time (so chains reach a `set`), else any.
fn pick(b: &mut Bytes, live: &[Value]) -> Value {
    let r = b.u8() as usize;
    if r & 1 == 0 {
        live[live.len() - 1 - (r >> 1) % live.len().min(3)]
    } else {
        live[(r >> 1) % live.len()]
    }
}

fn rm(b: &mut Bytes) -> RoundMode {
    b.pick(&[
        RoundMode::Rne,
        RoundMode::Rtz,
        RoundMode::Dyn,
        RoundMode::Dyn,
    ])
}

/// Build a block from the bytes.
pub fn build(b: &mut Bytes) -> Block {
    let mut bl = Builder::new(START);
    let mut pc = START;
    bl.begin_insn(pc);
    let mut live: Vec<Value> = Vec::new();
    let mut wrote = false;
    let steps = b.u8() % 48;
    for _ in 0..steps {
        let kind = b.u8() % 32;
        if live.is_empty() || kind == 0 {
            live.push(bl.iconst(b.constant()));
            continue;
        }
        // Instructions that may fault start a new guest instruction when
        // this one already wrote guest state.
        let faulting = matches!(kind, 17..=22);
        if kind == 31 || (faulting && wrote) {
            pc += 4;
            bl.begin_insn(pc);
            wrote = false;
            if kind == 31 {
                continue;
            }
        }
        match kind {
            1..=3 => live.push(bl.get(global(b))),
            4 | 5 => live.push(bl.iconst(b.constant())),
            6..=8 => {
                let (x, y) = (pick(b, &live), pick(b, &live));
                let op = b.pick(BinOp::ALL);
                live.push(bl.binary(op, x, y));
            }
            9..=11 => {
                let x = pick(b, &live);
                let op = b.pick(BinOp::ALL);
                let imm = b.constant() as i64;
                live.push(bl.binary_imm(op, x, imm));
            }
            12 | 13 => {
                let x = pick(b, &live);
                let op = b.pick(UnOp::ALL);
                live.push(bl.unary(op, x));
            }
            14..=16 => {
                let x = pick(b, &live);
                bl.set(global(b), x);
                wrote = true;
            }
            17 | 18 => {
                let a = pick(b, &live);
                let ty = b.pick(MemTy::ALL);
                let off = (b.u8() % 24) as i32 - 8;
                live.push(bl.load(ty, a, off));
            }
            19 => {
                let (a, v) = (pick(b, &live), pick(b, &live));
                let ty = b.pick(MemTy::ALL);
                let off = (b.u8() % 24) as i32 - 8;
                bl.store(ty, a, off, v);
            }
            20 => {
                let (addr, val) = (pick(b, &live), pick(b, &live));
                let op = b.pick(AmoOp::ALL);
                let width = b.pick(AtomicWidth::ALL);
                live.push(bl.push(Inst::Amo {
                    op,
                    width,
                    addr,
                    val,
                }));
            }
            21 => {
                let addr = pick(b, &live);
                let width = b.pick(AtomicWidth::ALL);
                live.push(bl.push(Inst::LoadReserved { width, addr }));
            }
            22 => {
                let (addr, val) = (pick(b, &live), pick(b, &live));
                let width = b.pick(AtomicWidth::ALL);
                live.push(bl.push(Inst::StoreConditional { width, addr, val }));
            }
            23 => {
                bl.push(Inst::Fence);
            }
            24 | 25 => {
                let (x, y) = (pick(b, &live), pick(b, &live));
                let (op, fmt, rm) = (b.pick(FBinOp::ALL), b.pick(FpFmt::ALL), rm(b));
                if rm == RoundMode::Dyn && wrote {
                    continue;
                }
                live.push(bl.push(Inst::FBinary {
                    op,
                    fmt,
                    rm,
                    a: x,
                    b: y,
                }));
            }
            26 => {
                let (x, y, z) = (pick(b, &live), pick(b, &live), pick(b, &live));
                let (op, fmt, rm) = (b.pick(FmaOp::ALL), b.pick(FpFmt::ALL), rm(b));
                if rm == RoundMode::Dyn && wrote {
                    continue;
                }
                live.push(bl.push(Inst::Fma {
                    op,
                    fmt,
                    rm,
                    a: x,
                    b: y,
                    c: z,
                }));
            }
            27 => {
                let x = pick(b, &live);
                let (op, fmt, rm) = (b.pick(FUnOp::ALL), b.pick(FpFmt::ALL), rm(b));
                let (to, from) = (b.pick(CvtTy::ALL), b.pick(CvtTy::ALL));
                if rm == RoundMode::Dyn && wrote {
                    continue;
                }
                let inst = if to != from && (to.is_float() || from.is_float()) && b.u8() & 1 == 0 {
                    Inst::FCvt { to, from, rm, a: x }
                } else {
                    Inst::FUnary { op, fmt, rm, a: x }
                };
                live.push(bl.push(inst));
            }
            // Not `time`: it differs between the two runs.
            28 => live.push(bl.push(Inst::CsrRead {
                csr: b.pick(&[Csr::Fflags, Csr::Frm, Csr::Fcsr, Csr::Cycle, Csr::Instret]),
            })),
            29 => {
                let arg = pick(b, &live);
                let csr = b.pick(&[Csr::Fflags, Csr::Frm, Csr::Fcsr]);
                bl.push(Inst::CsrWrite { csr, arg });
                wrote = true;
            }
            _ => live.push(bl.get(global(b))),
        }
    }
    if live.is_empty() {
        live.push(bl.iconst(b.constant()));
    }
    let end = pc + 4;
    let term = match b.u8() % 8 {
        0..=2 => Terminator::Branch {
            cond: b.pick(Cond::ALL),
            a: pick(b, &live),
            b: pick(b, &live),
            taken: 0x4000,
            fallthrough: end,
        },
        3 => Terminator::JumpIndirect {
            target: pick(b, &live),
            hint: JumpHint::Other,
        },
        4 => Terminator::Trap {
            kind: b.pick(&[
                TrapKind::Syscall,
                TrapKind::Breakpoint,
                TrapKind::Illegal { raw: 0x1234 },
                TrapKind::FenceI,
            ]),
            pc,
            next_pc: end,
        },
        _ => Terminator::Jump { target: 0x2000 },
    };
    bl.finish(term, end)
}

/// The initial CPU state and memory page from the bytes.
pub fn initial(b: &mut Bytes) -> (CpuState, Vec<u8>) {
    let mut cpu = CpuState::default();
    for r in 1..8 {
        cpu.x[r] = b.constant();
    }
    for r in 0..4 {
        cpu.f[r] = b.constant();
    }
    cpu.fflags = (b.u8() & 31) as u64;
    cpu.frm = (b.u8() % 8) as u64;
    cpu.instret = b.u8() as u64;
    if b.u8() & 1 == 1 {
        cpu.res_addr = MEM + 8 * (b.u8() as u64 % 16);
        cpu.res_value = b.constant();
    }
    let mut mem = vec![0u8; MEM_LEN];
    for (i, byte) in mem.iter_mut().take(160).enumerate() {
        *byte = if i < 32 { b.u8() } else { (i * 7) as u8 };
    }
    (cpu, mem)
}

/// The guest memory of a case: one page at [`MEM`].
pub fn memory() -> GuestMemory {
    let mem = GuestMemory::new().expect("guest memory");
    let flags = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(
        MEM,
        MEM_LEN as u64,
        Perm::RW,
        flags,
        Backing::Anonymous,
        "data",
    )
    .expect("map the data page");
    mem
}

/// How a run ended: the next PC, or the exit (the `BlockEnd` without its
/// successor-link hint, which folding a branch legitimately changes).
#[derive(Debug, PartialEq)]
pub enum End {
    Next(u64),
    Exit(vm_core::Exit),
}

/// Run `block` once from `cpu` and `page`; the end, the CPU, the page.
pub fn run(
    block: &Block,
    mut cpu: CpuState,
    page: &[u8],
    mem: &GuestMemory,
) -> (End, CpuState, Vec<u8>) {
    mem.write_bytes(MEM, page).expect("write the data page");
    let code = InterpBlock::from_ir(block);
    let mut slots = Slots::new();
    slots.reserve(code.slots_needed());
    slots.load_from(&cpu);
    let end = code.exec(&mut slots, &mut cpu, mem);
    slots.store_to(&mut cpu);
    let end = match end {
        BlockEnd::Next { pc, .. } => End::Next(pc),
        BlockEnd::Exit(e) => End::Exit(e),
    };
    let mut after = vec![0u8; MEM_LEN];
    mem.read_bytes(MEM, &mut after).expect("read the data page");
    (end, cpu, after)
}

/// Run one case from the bytes; panics when the optimized block differs.
/// Returns the instruction counts (before, after) of the block, or None
/// when the bytes made no valid block.
pub fn check(data: &[u8], mem: &GuestMemory) -> Option<(usize, usize)> {
    let mut b = Bytes(data);
    let block = build(&mut b);
    if verify(&block).is_err() {
        return None;
    }
    let (cpu, page) = initial(&mut b);
    let mut opt = block.clone();
    optimize(&mut opt);
    if let Err(e) = verify(&opt) {
        panic!("optimized block does not verify: {e}\n{block}\n=>\n{opt}");
    }
    assert_eq!(opt.guest_insn_count(), block.guest_insn_count());
    let want = run(&block, cpu.clone(), &page, mem);
    let got = run(&opt, cpu, &page, mem);
    assert_eq!(got.0, want.0, "end\n{block}\n=>\n{opt}");
    assert_eq!(got.1, want.1, "cpu state\n{block}\n=>\n{opt}");
    assert!(got.2 == want.2, "memory differs\n{block}\n=>\n{opt}");
    Some((block.insts.len(), opt.insts.len()))
}
