//! The baseline tier's own code generator: one guest block straight to
//! x86-64 machine code, without Cranelift.
//!
//! Why: the baseline tier compiles every block that gets warm (every block,
//! in `jit` mode) and most of them run a few times only; Cranelift spends
//! about 100 µs on even a one-instruction block (SSA construction, lowering,
//! register allocation, emission), a template emitter a few µs. Hot code is
//! recompiled as a region by Cranelift anyway (`crate::lower`), so the
//! baseline's code quality matters little and its compile time much.
//!
//! The code keeps the contract of [`crate::abi`] exactly as Cranelift's
//! baseline code does, so the two mix freely (links, inline caches, the
//! jump cache, the trampoline, host faults): a function in the `tail`
//! convention taking `(cpu, ctx, from)` in `rdi`, `rsi`, `rdx`, reading
//! the arena base from `r15`, leaving by `ret` with an exit code in `rax` or
//! by `jmp` to the next code with the same arguments (a link exit by a
//! direct `jmp` patched to follow its slot, see [`abi::JumpPatch`], whose
//! `rdx` the next code ignores). The callee-saved
//! registers it uses (other than `rsp`) it saves at entry and restores
//! before it leaves (a host fault leaves through `crate::hostfault`,
//! which restores its caller's).
//!
//! Shape: the entry counter (and the `EXIT_HOT` request), a frame (only
//! if needed: `cpu` and `ctx` if the block calls out, the callee-saved
//! registers it uses, value slots), then each IR instruction as a short
//! template over the scratch registers `rax`, `rcx` and `rdx`. A location
//! pass first (`alloc`) puts each value in a host register of a small
//! pool where one is free for its whole life, else in a frame slot;
//! constants are immediates. Templates read operands from those registers
//! (or slots, or as immediates) and compute into the result's register
//! where they can (else through `rax`). Guest registers live in
//! `CpuState` only: `get` loads, `set` stores, so the state in memory is
//! always the interpreter's and a fault needs nothing from host registers. Guest accesses are
//! those of `crate::lower`: one test that the address is in the guest space
//! (none for a constant address or one `sites::tested_before` covers; else
//! a cold path stores the site number and accesses the arena's guard),
//! then one host access at `r15 + addr` that carries the site's trap code
//! in the table of [`crate::sites`] (its code offset recorded here, as
//! Cranelift records trap codes).
//!
//! Operations without a short template call Rust: integer ones (division,
//! `clz`, `orc.b`, ...) `vm_ir::eval_binop` / `eval_unop` through a small
//! `extern "C"` shim, floating point, atomics and the `time` CSR the
//! helpers Cranelift's code calls (`crate::helpers`), so every operation
//! has exactly the interpreter's semantics. (No inline FP fast paths as in
//! `crate::lower_fp`: hot FP code is a Cranelift region.) Only blocks with
//! more values than [`VALUES_MAX`] are left to Cranelift.

// `dynasm!` expands a dynamic register `Rq(reg)` to `reg.into()`.
#![allow(clippy::useless_conversion)]

mod alloc;

/// Whether the emitter's code for an instruction calls out (the tests
/// build call-free blocks with it).
#[cfg(test)]
pub(crate) use alloc::calls;

use crate::abi::{self, LinkData};
use crate::helpers::{self, pack};
use crate::lower::{LinkAddrs, NewSites};
use crate::sites::{self, Site};
use alloc::Loc;
use dynasmrt::x64::X64Relocation;
use dynasmrt::{DynamicLabel, DynasmApi, DynasmLabelApi, VecAssembler, dynasm};
use vm_core::CpuState;
use vm_ir::{
    AmoOp, AtomicWidth, BinOp, Block, Cond, Csr, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, Global, Inst,
    MemTy, RoundMode, Terminator, UnOp, Value,
};
use vm_mem::GUEST_SPACE_BYTES;

/// Most IR values of a block the emitter takes (its frame holds at most
/// one slot per value, plus at most 64 bytes: saved registers, alignment).
/// The frame stays below a page, so that it needs no stack probe: no
/// access in it can step over the guard page below a thread's stack, as
/// one in a frame of a page or more could. (A block of 64 guest
/// instructions rarely has more than 300 values.)
pub(crate) const VALUES_MAX: usize = 500;

/// Why a block is left to Cranelift.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

/// Frame slot of the saved `cpu` pointer (in blocks that call out).
const SAVED_CPU: i32 = 0;
/// Frame slot of the saved `ctx` pointer (in blocks that call out).
const SAVED_CTX: i32 = 8;

/// Whether the emitter compiles `block` (else Cranelift must).
pub(crate) fn supports(block: &Block) -> Result<(), Unsupported> {
    if block.insts.len() > VALUES_MAX {
        return Err(Unsupported("too many values"));
    }
    Ok(())
}

/// The machine code of `block`, which [`supports`] must have accepted (the
/// caller checks, before taking site numbers), with link data at `addrs`. Its accesses are appended to `sites` and the (code
/// offset, trap code) of each access instruction to `traps`.
pub(crate) fn emit(
    block: &Block,
    addrs: LinkAddrs,
    sites: NewSites<'_>,
    traps: &mut Vec<(u32, u8)>,
    patches: &mut Vec<PatchSite>,
) -> Result<Vec<u8>, Unsupported> {
    debug_assert!(
        supports(block).is_ok(),
        "emit() called on an unsupported block"
    );
    let located = alloc::locate(block);
    // `cpu` and `ctx` are saved below the value slots in a block that
    // calls out; a block without slots or calls needs no frame.
    // Then the callee-saved registers it uses, then the value slots.
    let saved_at = if located.calls { 16 } else { 0 };
    let values_at = saved_at + 8 * located.saved.len() as i32;
    let mut frame = values_at + 8 * located.slots as i32;
    // At entry `rsp` is 8 below a 16-byte boundary (the return address);
    // the frame keeps helper calls aligned.
    if frame != 0 && (frame + 8) % 16 != 0 {
        frame += 8;
    }
    debug_assert!(frame < 4096, "a frame of a page or more");
    let mut e = Emitter {
        ops: VecAssembler::new(0),
        block,
        addrs,
        frame,
        values_at,
        calls: located.calls,
        saved_at,
        saved: located.saved,
        locs: located.locs,
        in_rax: None,
        cur: 0,
        sites,
        traps,
        guard: None,
        cold: Vec::new(),
        budget_exit: None,
        slow: Vec::new(),
        hot_exit: None,
        tested: Vec::new(),
        patches,
    };
    e.entry();
    for i in 0..block.insts.len() {
        e.inst(i);
    }
    e.terminator();
    e.cold_paths();
    e.ops
        .finalize()
        .map_err(|_| Unsupported("assembler relocation"))
}

/// A link exit's direct jump, by code offsets (see [`abi::JumpPatch`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PatchSite {
    /// The slot word it mirrors.
    pub word: usize,
    /// Offset of the jump's 4-byte-aligned `rel32` field.
    pub rel32: u32,
    /// Offset of the exit's slow path (where the jump first goes).
    pub slow: u32,
}

// A `rel32` aligned in the emitter's buffer is aligned in code memory.
const _: () = assert!(crate::code_memory::FUNC_ALIGN.is_multiple_of(4));

/// A link exit's out-of-line path, emitted after the body.
enum SlowExit {
    /// `instret` reached the limit: store `pc` (`target`), release the
    /// frame, return to the dispatcher.
    Budget { label: DynamicLabel, target: u64 },
    /// The slot is not linked (where its direct jump first goes; the frame
    /// is released already): store `pc`, name slot `which` in `from`,
    /// jump through the slot word. `patch` indexes `Emitter::patches`.
    Link {
        label: DynamicLabel,
        target: u64,
        which: usize,
        patch: usize,
    },
}

/// A cold path emitted after the body: an out-of-space access (store the
/// site number, go to the guard access).
struct ColdAccess {
    label: DynamicLabel,
    site: u32,
}

struct Emitter<'b, 's> {
    ops: VecAssembler<X64Relocation>,
    block: &'b Block,
    addrs: LinkAddrs,
    /// Frame size in bytes (0: no frame).
    frame: i32,
    /// Frame offset of value slot 0.
    values_at: i32,
    /// Whether the block calls out (then `cpu` and `ctx` are saved at
    /// frame offsets [`SAVED_CPU`] and [`SAVED_CTX`]).
    calls: bool,
    /// Frame offset of the callee-saved registers' save area.
    saved_at: i32,
    /// The callee-saved registers the block uses (see [`alloc::POOL`]).
    saved: Vec<u8>,
    /// Where each value lives (see [`alloc`]).
    locs: Vec<Loc>,
    /// The value `rax` holds, if the last instruction left its result
    /// there (see [`Emitter::result`]).
    in_rax: Option<Value>,
    /// The IR instruction being emitted.
    cur: usize,
    sites: NewSites<'s>,
    traps: &'s mut Vec<(u32, u8)>,
    /// The guard-access path, once an access needs it.
    guard: Option<DynamicLabel>,
    cold: Vec<ColdAccess>,
    /// The indirect exit's return to the dispatcher when `instret`
    /// reached the limit, out of line (`pc` is set before it; the link
    /// exits have their own, in `slow`).
    budget_exit: Option<DynamicLabel>,
    /// The link exits' slow paths.
    slow: Vec<SlowExit>,
    /// The entry's `EXIT_HOT` return, if the block can get hot.
    hot_exit: Option<DynamicLabel>,
    /// Guest addresses (IR value, offset) tested to be in the guest space
    /// so far (the block is straight-line code: every later access is
    /// dominated by them).
    tested: Vec<(Value, i32)>,
    /// The link exits' direct jumps.
    patches: &'s mut Vec<PatchSite>,
}

/// The right operand of a two-operand operation.
#[derive(Clone, Copy)]
enum Right {
    /// A value, wherever it lives.
    Val(Value),
    /// A sign-extended 32-bit immediate.
    Imm(i32),
}

fn reg_offset(g: Global) -> i32 {
    match g {
        Global::X(r) => abi::x_offset(r),
        Global::F(r) => abi::f_offset(r),
    }
}

/// `eval_binop` for compiled code: `op` indexes [`BinOp::ALL`].
extern "C" fn binop_shim(op: u64, a: u64, b: u64) -> u64 {
    vm_ir::eval_binop(BinOp::ALL[op as usize], a, b)
}

/// `eval_unop` for compiled code: `op` indexes [`UnOp::ALL`].
extern "C" fn unop_shim(op: u64, a: u64) -> u64 {
    vm_ir::eval_unop(UnOp::ALL[op as usize], a)
}

/// The packed (op, fmt, rm) argument of the FP helpers.
fn fp_pack<T: PartialEq>(all: &[T], op: T, fmt: FpFmt, rm: RoundMode) -> u32 {
    pack(
        helpers::index_of(all, &op),
        helpers::index_of(FpFmt::ALL, &fmt),
        helpers::index_of(RoundMode::ALL, &rm),
    )
}

impl Emitter<'_, '_> {
    /// Where value `v` lives.
    fn loc(&self, v: Value) -> Loc {
        self.locs.get(v.0 as usize).copied().unwrap_or(Loc::Unused)
    }

    /// Frame offset of slot `s`.
    fn slot_at(&self, s: u32) -> i32 {
        self.values_at + 8 * s as i32
    }

    /// The pool register holding `v`, if any.
    fn reg_of(&self, v: Value) -> Option<u8> {
        match self.loc(v) {
            Loc::Reg(r) => Some(r),
            _ => None,
        }
    }

    /// `reg` (0 = rax, 1 = rcx, 2 = rdx, 6 = rsi, 7 = rdi, 8 = r8) := `v`.
    fn load(&mut self, reg: u8, v: Value) {
        match self.loc(v) {
            Loc::Imm(imm) => self.imm(reg, imm),
            Loc::Reg(r) => {
                if r != reg {
                    dynasm!(self.ops ; .arch x64 ; mov Rq(reg), Rq(r));
                }
            }
            Loc::Slot(s) => {
                let off = self.slot_at(s);
                dynasm!(self.ops ; .arch x64 ; mov Rq(reg), QWORD [rsp + off]);
            }
            // A value that is read is never unused (see `alloc::locate`).
            Loc::Unused => debug_assert!(false, "read of unused value {v}"),
        }
    }

    /// The register holding `v`: its pool register, else `scratch` loaded
    /// with it.
    fn in_reg(&mut self, scratch: u8, v: Value) -> u8 {
        match self.reg_of(v) {
            Some(r) => r,
            None => {
                self.load(scratch, v);
                scratch
            }
        }
    }

    /// The register instruction `i` may compute its result straight into:
    /// its pool register, else `rax` (then [`Emitter::result`] stores it).
    fn dest(&self, i: usize) -> u8 {
        self.reg_of(Value(i as u32)).unwrap_or(0)
    }

    /// `reg` := `imm`, in the shortest form.
    fn imm(&mut self, reg: u8, imm: u64) {
        if imm == 0 {
            dynasm!(self.ops ; .arch x64 ; xor Rd(reg), Rd(reg));
        } else if imm <= u32::MAX as u64 {
            dynasm!(self.ops ; .arch x64 ; mov Rd(reg), imm as u32 as i32);
        } else if imm as i64 >= i32::MIN as i64 && imm as i64 <= i32::MAX as i64 {
            dynasm!(self.ops ; .arch x64 ; mov Rq(reg), imm as i64 as i32);
        } else {
            dynasm!(self.ops ; .arch x64 ; mov Rq(reg), QWORD imm as i64);
        }
    }

    /// Value `i` is in `rax`: move it to its register or slot.
    fn result(&mut self, i: usize) {
        match self.loc(Value(i as u32)) {
            Loc::Reg(r) => dynasm!(self.ops ; .arch x64 ; mov Rq(r), rax),
            Loc::Slot(s) => {
                let off = self.slot_at(s);
                dynasm!(self.ops ; .arch x64 ; mov QWORD [rsp + off], rax);
            }
            Loc::Imm(_) | Loc::Unused => {}
        }
        self.in_rax = Some(Value(i as u32));
    }

    /// Restore the callee-saved registers and release the frame (before
    /// `ret` or the tail jump; `rax`, `rcx`, `rdx` are kept).
    fn pop_frame(&mut self) {
        for k in 0..self.saved.len() {
            let (r, off) = (self.saved[k], self.saved_at + 8 * k as i32);
            dynasm!(self.ops ; .arch x64 ; mov Rq(r), QWORD [rsp + off]);
        }
        let f = self.frame;
        if f != 0 {
            dynasm!(self.ops ; .arch x64 ; add rsp, f);
        }
    }

    fn entry(&mut self) {
        // Every block pays this: a read-modify-write of the counter and,
        // unless the block never tiers up (`hot_at` of `u64::MAX`), a
        // compare of the counter in memory with an immediate. (Threads
        // racing on the counter may step over `hot_at` between the add
        // and the compare, as they may lose increments: the block then
        // keeps its baseline code, which only costs speed.)
        // The `EXIT_HOT` return is out of line (`cold_paths`), so that the
        // usual entry falls through instead of taking a branch.
        self.imm(0, self.addrs.counter as u64);
        dynasm!(self.ops ; .arch x64 ; add QWORD [rax], 1);
        let hot_at = self.addrs.hot_at;
        if hot_at != 0 && hot_at != u64::MAX {
            let hot = self.ops.new_dynamic_label();
            if let Ok(k) = i32::try_from(hot_at) {
                dynasm!(self.ops ; .arch x64 ; cmp QWORD [rax], k);
            } else {
                self.imm(2, hot_at);
                dynasm!(self.ops ; .arch x64 ; cmp QWORD [rax], rdx);
            }
            dynasm!(self.ops ; .arch x64 ; je =>hot);
            self.hot_exit = Some(hot);
        }
        let f = self.frame;
        if f != 0 {
            dynasm!(self.ops ; .arch x64 ; sub rsp, f);
        }
        if self.calls {
            dynasm!(self.ops
                ; .arch x64
                ; mov QWORD [rsp + SAVED_CPU], rdi
                ; mov QWORD [rsp + SAVED_CTX], rsi
            );
        }
        // (A host fault needs no restore: `hostfault::call` restores its
        // caller's callee-saved registers itself.)
        for k in 0..self.saved.len() {
            let (r, off) = (self.saved[k], self.saved_at + 8 * k as i32);
            dynasm!(self.ops ; .arch x64 ; mov QWORD [rsp + off], Rq(r));
        }
    }

    /// Call `f` (arguments already in place), then restore `cpu`, `ctx`.
    /// The pool registers die: the location pass knows the instruction
    /// calls (`alloc::calls`).
    fn call(&mut self, f: usize) {
        debug_assert!(
            alloc::calls(&self.block.insts[self.cur]) && self.calls,
            "a call the location pass does not know of"
        );
        self.imm(0, f as u64);
        dynasm!(self.ops
            ; .arch x64
            ; call rax
            ; mov rdi, QWORD [rsp + SAVED_CPU]
            ; mov rsi, QWORD [rsp + SAVED_CTX]
        );
    }

    fn inst(&mut self, i: usize) {
        self.cur = i;
        // What `rax` holds survives only into a `set` (which keeps it).
        let in_rax = self.in_rax.take();
        match self.block.insts[i] {
            // Constants are immediates where used.
            Inst::Const { .. } => {}
            Inst::Get { reg } => {
                if reg != Global::X(0) && self.loc(Value(i as u32)) != Loc::Unused {
                    let off = reg_offset(reg);
                    let d = self.dest(i);
                    dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [rdi + off]);
                    if d == 0 {
                        self.result(i);
                    }
                }
            }
            Inst::Set { reg, arg } => {
                self.in_rax = if reg != Global::X(0) {
                    self.set(reg, arg, in_rax)
                } else {
                    in_rax
                };
            }
            Inst::Binary { op, a, b } => {
                let right = match self.loc(b) {
                    Loc::Imm(k) => i32::try_from(k as i64).map(Right::Imm).ok(),
                    _ => Some(Right::Val(b)),
                };
                if let Some(right) = right
                    && self.binop_in_place(i, op, a, right)
                {
                    return;
                }
                self.load(0, a);
                if alloc::binop_calls(op) || !Self::binop_any_reg(op) {
                    self.load(1, b);
                    self.binop(op, 1);
                } else {
                    let r = self.in_reg(1, b);
                    self.binop(op, r);
                }
                self.result(i);
            }
            Inst::BinaryImm { op, a, imm } => {
                if let Ok(k) = i32::try_from(imm)
                    && self.binop_in_place(i, op, a, Right::Imm(k))
                {
                    return;
                }
                self.load(0, a);
                if !self.binop_imm(op, imm) {
                    self.imm(1, imm as u64);
                    self.binop(op, 1);
                }
                self.result(i);
            }
            Inst::Unary { op, a } => {
                self.load(0, a);
                self.unop(op);
                self.result(i);
            }
            Inst::Load { ty, addr, offset } => {
                self.address(i, addr, offset);
                self.trap_here();
                let d = self.dest(i);
                match ty {
                    MemTy::I8 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), BYTE [r15 + rax]),
                    MemTy::U8 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), BYTE [r15 + rax]),
                    MemTy::I16 => dynasm!(self.ops ; .arch x64 ; movsx Rq(d), WORD [r15 + rax]),
                    MemTy::U16 => dynasm!(self.ops ; .arch x64 ; movzx Rd(d), WORD [r15 + rax]),
                    MemTy::I32 => dynasm!(self.ops ; .arch x64 ; movsxd Rq(d), DWORD [r15 + rax]),
                    MemTy::U32 => dynasm!(self.ops ; .arch x64 ; mov Rd(d), DWORD [r15 + rax]),
                    MemTy::I64 => dynasm!(self.ops ; .arch x64 ; mov Rq(d), QWORD [r15 + rax]),
                }
                if d == 0 {
                    self.result(i);
                }
            }
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => {
                self.address(i, addr, offset);
                let r = self.in_reg(1, val);
                self.trap_here();
                match ty.bytes() {
                    1 => dynasm!(self.ops ; .arch x64 ; mov BYTE [r15 + rax], Rb(r)),
                    2 => dynasm!(self.ops ; .arch x64 ; mov WORD [r15 + rax], Rw(r)),
                    4 => dynasm!(self.ops ; .arch x64 ; mov DWORD [r15 + rax], Rd(r)),
                    _ => dynasm!(self.ops ; .arch x64 ; mov QWORD [r15 + rax], Rq(r)),
                }
            }
            Inst::Fence => dynasm!(self.ops ; .arch x64 ; mfence),
            Inst::FBinary { op, fmt, rm, a, b } => {
                self.check_rm(i, rm);
                self.load(2, a);
                self.load(1, b);
                let f =
                    helpers::fbinary as unsafe extern "C" fn(*mut CpuState, u32, u64, u64) -> u64;
                self.call_packed(f as usize, fp_pack(FBinOp::ALL, op, fmt, rm));
                self.result(i);
            }
            Inst::FUnary { op, fmt, rm, a } => {
                self.check_rm(i, rm);
                self.load(2, a);
                let f = helpers::funary as unsafe extern "C" fn(*mut CpuState, u32, u64) -> u64;
                self.call_packed(f as usize, fp_pack(FUnOp::ALL, op, fmt, rm));
                self.result(i);
            }
            Inst::Fma {
                op,
                fmt,
                rm,
                a,
                b,
                c,
            } => {
                self.check_rm(i, rm);
                self.load(2, a);
                self.load(1, b);
                self.load(8, c);
                let f =
                    helpers::fma as unsafe extern "C" fn(*mut CpuState, u32, u64, u64, u64) -> u64;
                self.call_packed(f as usize, fp_pack(FmaOp::ALL, op, fmt, rm));
                self.result(i);
            }
            Inst::FCvt { to, from, rm, a } => {
                self.check_rm(i, rm);
                self.load(2, a);
                let packed = pack(
                    helpers::index_of(CvtTy::ALL, &to),
                    helpers::index_of(CvtTy::ALL, &from),
                    helpers::index_of(RoundMode::ALL, &rm),
                );
                let f = helpers::fcvt as unsafe extern "C" fn(*mut CpuState, u32, u64) -> u64;
                self.call_packed(f as usize, packed);
                self.result(i);
            }
            Inst::Amo {
                op,
                width,
                addr,
                val,
            } => {
                // amo(ctx, packed, addr, val)
                self.load(2, addr);
                self.load(1, val);
                dynasm!(self.ops ; .arch x64 ; mov rdi, rsi);
                let packed = pack(
                    helpers::index_of(AmoOp::ALL, &op),
                    helpers::index_of(AtomicWidth::ALL, &width),
                    0,
                );
                let f =
                    helpers::amo as unsafe extern "C" fn(*mut abi::JitCtx, u32, u64, u64) -> u64;
                self.call_packed(f as usize, packed);
                self.check_helper(i);
                self.result(i);
            }
            Inst::LoadReserved { width, addr } => {
                // lr(cpu, ctx, width, addr)
                self.load(1, addr);
                self.imm(2, helpers::index_of(AtomicWidth::ALL, &width) as u64);
                let f = helpers::lr
                    as unsafe extern "C" fn(*mut CpuState, *mut abi::JitCtx, u32, u64) -> u64;
                self.call(f as usize);
                self.check_helper(i);
                self.result(i);
            }
            Inst::StoreConditional { width, addr, val } => {
                // sc(cpu, ctx, width, addr, val)
                self.load(1, addr);
                self.load(8, val);
                self.imm(2, helpers::index_of(AtomicWidth::ALL, &width) as u64);
                let f = helpers::sc
                    as unsafe extern "C" fn(*mut CpuState, *mut abi::JitCtx, u32, u64, u64) -> u64;
                self.call(f as usize);
                self.check_helper(i);
                self.result(i);
            }
            Inst::CsrRead { csr } => {
                self.csr_read(i, csr);
                self.result(i);
            }
            Inst::CsrWrite { csr, arg } => {
                self.load(0, arg);
                self.csr_write(csr);
            }
        }
    }

    /// Call `f` with `packed` as its second argument (`esi`); the others
    /// are in place.
    fn call_packed(&mut self, f: usize, packed: u32) {
        self.imm(6, packed as u64);
        self.call(f);
    }

    /// Exit at IR instruction `i`'s guest instruction with `code`
    /// (nothing of it retired): a cold path, emitted in line behind a jump.
    fn fault_exit(&mut self, i: usize, code: u64) {
        let (insn, pc) = self.block.guest_insn_of(i);
        self.retire(insn as u64);
        self.set_pc(pc);
        self.ret(code);
    }

    /// For a dynamic rounding mode: the illegal-instruction exit if `frm`
    /// is reserved (5 and above).
    fn check_rm(&mut self, i: usize, rm: RoundMode) {
        if rm != RoundMode::Dyn {
            return;
        }
        let ok = self.ops.new_dynamic_label();
        let frm = abi::FRM;
        dynasm!(self.ops
            ; .arch x64
            ; cmp QWORD [rdi + frm], 5
            ; jb =>ok
        );
        self.fault_exit(i, abi::EXIT_ILLEGAL_RM);
        dynasm!(self.ops ; .arch x64 ; =>ok);
    }

    /// After a helper that may fail (its result in `rax`, kept): exit if
    /// it recorded a fault.
    fn check_helper(&mut self, i: usize) {
        let ok = self.ops.new_dynamic_label();
        let at = abi::CTX_HELPER_FAULT;
        dynasm!(self.ops
            ; .arch x64
            ; cmp QWORD [rsi + at], 0
            ; je =>ok
        );
        self.fault_exit(i, abi::EXIT_HELPER_FAULT);
        dynasm!(self.ops ; .arch x64 ; =>ok);
    }

    /// `rax` := CSR `csr` as read by IR instruction `i`.
    fn csr_read(&mut self, i: usize, csr: Csr) {
        let (fflags, frm, instret) = (abi::FFLAGS, abi::FRM, abi::INSTRET);
        match csr {
            Csr::Fflags => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [rdi + fflags]),
            Csr::Frm => dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [rdi + frm]),
            Csr::Fcsr => dynasm!(self.ops
                ; .arch x64
                ; mov rax, QWORD [rdi + frm]
                ; shl rax, 5
                ; or rax, QWORD [rdi + fflags]
            ),
            // `cpu.instret` holds the count at the block's start.
            Csr::Instret | Csr::Cycle => {
                let (insn, _) = self.block.guest_insn_of(i);
                dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [rdi + instret]);
                if insn != 0 {
                    dynasm!(self.ops ; .arch x64 ; add rax, insn as i32);
                }
            }
            Csr::Time => {
                let f = helpers::time as extern "C" fn() -> u64;
                self.call(f as usize);
            }
        }
    }

    /// Write `rax` to CSR `csr`.
    fn csr_write(&mut self, csr: Csr) {
        let (fflags, frm) = (abi::FFLAGS, abi::FRM);
        match csr {
            Csr::Fflags => dynasm!(self.ops
                ; .arch x64
                ; and eax, 0x1f
                ; mov QWORD [rdi + fflags], rax
            ),
            Csr::Frm => dynasm!(self.ops
                ; .arch x64
                ; and eax, 0x7
                ; mov QWORD [rdi + frm], rax
            ),
            Csr::Fcsr => dynasm!(self.ops
                ; .arch x64
                ; mov rcx, rax
                ; and eax, 0x1f
                ; mov QWORD [rdi + fflags], rax
                ; shr rcx, 5
                ; and ecx, 0x7
                ; mov QWORD [rdi + frm], rcx
            ),
            // Lowering never writes read-only CSRs.
            Csr::Instret | Csr::Cycle | Csr::Time => {}
        }
    }

    /// `rax` := the guest address `addr + offset` of access `i`, checked to
    /// lie in the guest space (else to the cold path), with its site
    /// recorded. A site past the trap codes stores its number first.
    fn address(&mut self, i: usize, addr: Value, offset: i32) {
        let (insn, pc) = self.block.guest_insn_of(i);
        let local = self.sites.list.len();
        let site = self.sites.base + local as u32;
        self.sites.list.push(Site {
            pc,
            retired: insn as u32,
        });
        let mut in_space = false;
        match self.loc(addr) {
            Loc::Imm(a) => {
                // A constant address in the space needs no test (the
                // guard page past it catches an access that crosses).
                let ea = a.wrapping_add(offset as i64 as u64);
                in_space = ea < GUEST_SPACE_BYTES;
                self.imm(0, ea);
            }
            Loc::Reg(r) if offset != 0 => {
                dynasm!(self.ops ; .arch x64 ; lea rax, [Rq(r) + offset]);
            }
            _ => {
                self.load(0, addr);
                if offset != 0 {
                    dynasm!(self.ops ; .arch x64 ; add rax, offset);
                }
            }
        }
        if !in_space && !sites::tested_before(&self.tested, addr, offset) {
            self.tested.push((addr, offset));
            let shift = GUEST_SPACE_BYTES.trailing_zeros() as i8;
            let label = self.ops.new_dynamic_label();
            dynasm!(self.ops
                ; .arch x64
                ; mov rdx, rax
                ; shr rdx, shift
                ; jnz =>label
            );
            self.cold.push(ColdAccess { label, site });
        }
        if sites::trap_code(local).is_none() {
            let s = site as i32;
            dynasm!(self.ops ; .arch x64 ; mov DWORD [rsi + abi::CTX_SITE], s);
        }
    }

    /// Record the next instruction as the current site's access.
    fn trap_here(&mut self) {
        let local = self.sites.list.len() - 1;
        if let Some(code) = sites::trap_code(local) {
            let off = self.ops.offset().0 as u32;
            self.traps.push((off, code.as_raw().get()));
        }
    }

    /// `set reg, arg` (not `x0`): a store to `CpuState`. `in_rax` is the
    /// value `rax` holds before; returns the one it holds after.
    fn set(&mut self, reg: Global, arg: Value, in_rax: Option<Value>) -> Option<Value> {
        let off = reg_offset(reg);
        match self.loc(arg) {
            Loc::Reg(r) => {
                dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + off], Rq(r));
                in_rax
            }
            Loc::Imm(imm) if imm as i64 == imm as i32 as i64 => {
                let k = imm as i32;
                dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + off], k);
                in_rax
            }
            _ => {
                if in_rax != Some(arg) {
                    self.load(0, arg);
                }
                dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + off], rax);
                Some(arg)
            }
        }
    }

    /// Value `i` := `op(a, right)` computed in `i`'s own pool register,
    /// for the two-operand ALU operations; else false, nothing emitted
    /// (then the template goes through `rax`).
    fn binop_in_place(&mut self, i: usize, op: BinOp, a: Value, right: Right) -> bool {
        let d = self.dest(i);
        let shift_imm = matches!(right, Right::Imm(_))
            && matches!(
                op,
                BinOp::Shl | BinOp::ShrL | BinOp::ShrA | BinOp::ShlW | BinOp::ShrLW | BinOp::ShrAW
            );
        let alu = matches!(
            op,
            BinOp::Add
                | BinOp::Sub
                | BinOp::And
                | BinOp::Or
                | BinOp::Xor
                | BinOp::Mul
                | BinOp::AddW
                | BinOp::SubW
                | BinOp::MulW
        );
        if d == 0 || !(alu || shift_imm) {
            return false;
        }
        // The right operand in a register other than `d` (which `a` is
        // about to overwrite), or an immediate.
        let right = match right {
            Right::Val(b) => match self.reg_of(b) {
                Some(r) if r == d && b != a => return false,
                Some(r) => Ok(r),
                None => {
                    self.load(1, b);
                    Ok(1)
                }
            },
            Right::Imm(k) => Err(k),
        };
        self.load(d, a);
        macro_rules! w {
            ($($t:tt)*) => {
                dynasm!(self.ops ; .arch x64 ; $($t)* ; movsxd Rq(d), Rd(d))
            };
        }
        // (The arms left to `_` are the last ones `alu`/`shift_imm` let in.)
        match right {
            Ok(r) => match op {
                BinOp::Add => dynasm!(self.ops ; .arch x64 ; add Rq(d), Rq(r)),
                BinOp::Sub => dynasm!(self.ops ; .arch x64 ; sub Rq(d), Rq(r)),
                BinOp::And => dynasm!(self.ops ; .arch x64 ; and Rq(d), Rq(r)),
                BinOp::Or => dynasm!(self.ops ; .arch x64 ; or Rq(d), Rq(r)),
                BinOp::Xor => dynasm!(self.ops ; .arch x64 ; xor Rq(d), Rq(r)),
                BinOp::Mul => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(r)),
                BinOp::AddW => w!(add Rd(d), Rd(r)),
                BinOp::SubW => w!(sub Rd(d), Rd(r)),
                _ => w!(imul Rd(d), Rd(r)),
            },
            Err(k) => {
                // x86 masks immediate shift counts as RISC-V does.
                let (c64, c32) = ((k & 63) as i8, (k & 31) as i8);
                match op {
                    BinOp::Add => dynasm!(self.ops ; .arch x64 ; add Rq(d), k),
                    BinOp::Sub => dynasm!(self.ops ; .arch x64 ; sub Rq(d), k),
                    BinOp::And => dynasm!(self.ops ; .arch x64 ; and Rq(d), k),
                    BinOp::Or => dynasm!(self.ops ; .arch x64 ; or Rq(d), k),
                    BinOp::Xor => dynasm!(self.ops ; .arch x64 ; xor Rq(d), k),
                    BinOp::Mul => dynasm!(self.ops ; .arch x64 ; imul Rq(d), Rq(d), k),
                    BinOp::Shl => dynasm!(self.ops ; .arch x64 ; shl Rq(d), c64),
                    BinOp::ShrL => dynasm!(self.ops ; .arch x64 ; shr Rq(d), c64),
                    BinOp::ShrA => dynasm!(self.ops ; .arch x64 ; sar Rq(d), c64),
                    BinOp::AddW => w!(add Rd(d), k),
                    BinOp::SubW => w!(sub Rd(d), k),
                    BinOp::MulW => w!(imul Rd(d), Rd(d), k),
                    BinOp::ShlW => w!(shl Rd(d), c32),
                    BinOp::ShrLW => w!(shr Rd(d), c32),
                    _ => w!(sar Rd(d), c32),
                }
            }
        }
        true
    }

    /// Whether [`Emitter::binop`] takes `op`'s right operand in any
    /// register (else in `rcx`: shift counts, operands it modifies, calls).
    fn binop_any_reg(op: BinOp) -> bool {
        !matches!(
            op,
            BinOp::Shl
                | BinOp::ShrL
                | BinOp::ShrA
                | BinOp::Rol
                | BinOp::Ror
                | BinOp::ShlW
                | BinOp::ShrLW
                | BinOp::ShrAW
                | BinOp::RolW
                | BinOp::RorW
                | BinOp::AndN
                | BinOp::OrN
        ) && !alloc::binop_calls(op)
    }

    /// `rax` := `op(rax, imm)` with `imm` as an instruction immediate, if
    /// `op` has such a form and `imm` fits; else false, nothing emitted.
    fn binop_imm(&mut self, op: BinOp, imm: i64) -> bool {
        let Ok(k) = i32::try_from(imm) else {
            return false;
        };
        // x86 masks immediate shift counts as it masks `cl`.
        let (c64, c32) = ((imm & 63) as i8, (imm & 31) as i8);
        macro_rules! cmp_set {
            ($set:ident) => {
                dynasm!(self.ops ; .arch x64 ; cmp rax, k ; $set al ; movzx eax, al)
            };
        }
        macro_rules! w {
            ($($t:tt)*) => {
                dynasm!(self.ops ; .arch x64 ; $($t)* ; movsxd rax, eax)
            };
        }
        match op {
            BinOp::Add => dynasm!(self.ops ; .arch x64 ; add rax, k),
            BinOp::Sub => dynasm!(self.ops ; .arch x64 ; sub rax, k),
            BinOp::Mul => dynasm!(self.ops ; .arch x64 ; imul rax, rax, k),
            BinOp::And => dynasm!(self.ops ; .arch x64 ; and rax, k),
            BinOp::Or => dynasm!(self.ops ; .arch x64 ; or rax, k),
            BinOp::Xor => dynasm!(self.ops ; .arch x64 ; xor rax, k),
            BinOp::Shl => dynasm!(self.ops ; .arch x64 ; shl rax, c64),
            BinOp::ShrL => dynasm!(self.ops ; .arch x64 ; shr rax, c64),
            BinOp::ShrA => dynasm!(self.ops ; .arch x64 ; sar rax, c64),
            BinOp::Rol => dynasm!(self.ops ; .arch x64 ; rol rax, c64),
            BinOp::Ror => dynasm!(self.ops ; .arch x64 ; ror rax, c64),
            BinOp::AddW => w!(add eax, k),
            BinOp::SubW => w!(sub eax, k),
            BinOp::MulW => w!(imul eax, eax, k),
            BinOp::ShlW => w!(shl eax, c32),
            BinOp::ShrLW => w!(shr eax, c32),
            BinOp::ShrAW => w!(sar eax, c32),
            BinOp::RolW => w!(rol eax, c32),
            BinOp::RorW => w!(ror eax, c32),
            BinOp::Eq => cmp_set!(sete),
            BinOp::Ne => cmp_set!(setne),
            BinOp::Lt => cmp_set!(setl),
            BinOp::LtU => cmp_set!(setb),
            BinOp::Ge => cmp_set!(setge),
            BinOp::GeU => cmp_set!(setae),
            _ => return false,
        }
        true
    }

    /// `rax` := `op(rax, b)` with the right operand in register `b`: `rcx`
    /// unless [`Emitter::binop_any_reg`] (may clobber `rcx`, `rdx`, `rdi`,
    /// `rsi`).
    fn binop(&mut self, op: BinOp, b: u8) {
        debug_assert!(
            b == 1 || Self::binop_any_reg(op),
            "{op} takes its operand in rcx"
        );
        macro_rules! cmp_set {
            ($set:ident) => {
                dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(b) ; $set al ; movzx eax, al)
            };
        }
        macro_rules! w {
            ($($t:tt)*) => {
                dynasm!(self.ops ; .arch x64 ; $($t)* ; movsxd rax, eax)
            };
        }
        match op {
            BinOp::Add => dynasm!(self.ops ; .arch x64 ; add rax, Rq(b)),
            BinOp::Sub => dynasm!(self.ops ; .arch x64 ; sub rax, Rq(b)),
            BinOp::Mul => dynasm!(self.ops ; .arch x64 ; imul rax, Rq(b)),
            BinOp::MulH => dynasm!(self.ops ; .arch x64 ; imul Rq(b) ; mov rax, rdx),
            BinOp::MulHU => dynasm!(self.ops ; .arch x64 ; mul Rq(b) ; mov rax, rdx),
            BinOp::And => dynasm!(self.ops ; .arch x64 ; and rax, Rq(b)),
            BinOp::Or => dynasm!(self.ops ; .arch x64 ; or rax, Rq(b)),
            BinOp::Xor => dynasm!(self.ops ; .arch x64 ; xor rax, Rq(b)),
            BinOp::AndN => dynasm!(self.ops ; .arch x64 ; not rcx ; and rax, rcx),
            BinOp::OrN => dynasm!(self.ops ; .arch x64 ; not rcx ; or rax, rcx),
            BinOp::Xnor => dynasm!(self.ops ; .arch x64 ; xor rax, Rq(b) ; not rax),
            // x86 masks 64-bit shift counts to 6 bits, 32-bit ones to 5, as
            // RISC-V does.
            BinOp::Shl => dynasm!(self.ops ; .arch x64 ; shl rax, cl),
            BinOp::ShrL => dynasm!(self.ops ; .arch x64 ; shr rax, cl),
            BinOp::ShrA => dynasm!(self.ops ; .arch x64 ; sar rax, cl),
            BinOp::Rol => dynasm!(self.ops ; .arch x64 ; rol rax, cl),
            BinOp::Ror => dynasm!(self.ops ; .arch x64 ; ror rax, cl),
            BinOp::AddW => w!(add eax, Rd(b)),
            BinOp::SubW => w!(sub eax, Rd(b)),
            BinOp::MulW => w!(imul eax, Rd(b)),
            BinOp::ShlW => w!(shl eax, cl),
            BinOp::ShrLW => w!(shr eax, cl),
            BinOp::ShrAW => w!(sar eax, cl),
            BinOp::RolW => w!(rol eax, cl),
            BinOp::RorW => w!(ror eax, cl),
            BinOp::Min => dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(b) ; cmovg rax, Rq(b)),
            BinOp::Max => dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(b) ; cmovl rax, Rq(b)),
            BinOp::MinU => dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(b) ; cmova rax, Rq(b)),
            BinOp::MaxU => dynasm!(self.ops ; .arch x64 ; cmp rax, Rq(b) ; cmovb rax, Rq(b)),
            BinOp::Eq => cmp_set!(sete),
            BinOp::Ne => cmp_set!(setne),
            BinOp::Lt => cmp_set!(setl),
            BinOp::LtU => cmp_set!(setb),
            BinOp::Ge => cmp_set!(setge),
            BinOp::GeU => cmp_set!(setae),
            BinOp::MulHSU
            | BinOp::Div
            | BinOp::DivU
            | BinOp::Rem
            | BinOp::RemU
            | BinOp::DivW
            | BinOp::DivUW
            | BinOp::RemW
            | BinOp::RemUW => {
                // The allocator keeps its own list of what calls out.
                debug_assert!(alloc::binop_calls(op));
                dynasm!(self.ops ; .arch x64 ; mov rsi, rax ; mov rdx, rcx);
                self.imm(7, helpers::index_of(BinOp::ALL, &op) as u64);
                self.call(binop_shim as *const () as usize);
            }
        }
    }

    /// `rax` := `op(rax)` (may clobber `rcx`, `rdx`, `rdi`, `rsi`).
    fn unop(&mut self, op: UnOp) {
        match op {
            UnOp::Not => dynasm!(self.ops ; .arch x64 ; not rax),
            UnOp::Neg => dynasm!(self.ops ; .arch x64 ; neg rax),
            UnOp::SextB => dynasm!(self.ops ; .arch x64 ; movsx rax, al),
            UnOp::SextH => dynasm!(self.ops ; .arch x64 ; movsx rax, ax),
            UnOp::SextW => dynasm!(self.ops ; .arch x64 ; movsxd rax, eax),
            UnOp::ZextB => dynasm!(self.ops ; .arch x64 ; movzx eax, al),
            UnOp::ZextH => dynasm!(self.ops ; .arch x64 ; movzx eax, ax),
            UnOp::ZextW => dynasm!(self.ops ; .arch x64 ; mov eax, eax),
            UnOp::Rev8 => dynasm!(self.ops ; .arch x64 ; bswap rax),
            UnOp::Clz
            | UnOp::Ctz
            | UnOp::Cpop
            | UnOp::ClzW
            | UnOp::CtzW
            | UnOp::CpopW
            | UnOp::OrcB => {
                debug_assert!(alloc::unop_calls(op));
                dynasm!(self.ops ; .arch x64 ; mov rsi, rax);
                self.imm(7, helpers::index_of(UnOp::ALL, &op) as u64);
                self.call(unop_shim as *const () as usize);
            }
        }
    }

    /// `rax` := `cpu.instret + retired`, stored back.
    fn retire(&mut self, retired: u64) {
        let at = abi::INSTRET;
        dynasm!(self.ops ; .arch x64 ; mov rax, QWORD [rdi + at]);
        if retired != 0 {
            dynasm!(self.ops ; .arch x64 ; add rax, retired as i32);
        }
        dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + at], rax);
    }

    /// Set `cpu.pc` to `pc` (via `rcx`).
    fn set_pc(&mut self, pc: u64) {
        self.imm(1, pc);
        dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + abi::PC], rcx);
    }

    /// Return `code` (pc and instret already set).
    fn ret(&mut self, code: u64) {
        self.pop_frame();
        self.imm(0, code);
        dynasm!(self.ops ; .arch x64 ; ret);
    }

    /// `rax` holds the new `instret` and `rcx` the next PC (an indirect
    /// jump's): set `cpu.pc` to it, then return to the dispatcher if
    /// `instret` reached the limit, else fall through.
    fn check_point(&mut self) {
        let limit = abi::CTX_INSTRET_LIMIT;
        dynasm!(self.ops ; .arch x64 ; mov QWORD [rdi + abi::PC], rcx);
        let out = *self
            .budget_exit
            .get_or_insert_with(|| self.ops.new_dynamic_label());
        dynasm!(self.ops
            ; .arch x64
            ; cmp rax, QWORD [rsi + limit]
            ; jae =>out
        );
    }

    /// Leave the block for `target` through link slot `which`: the budget
    /// check (its cold path sets `pc`), then a direct jump, aligned for
    /// patching, to the successor's code once linked, until then to the
    /// slow path (see [`abi::JumpPatch`]). No `pc` store on the way:
    /// compiled code never reads `pc` at entry (every exit sets it).
    fn link_exit(&mut self, target: u64, which: usize) {
        let n = self.block.insn_starts.len() as u64;
        self.retire(n);
        let out = self.ops.new_dynamic_label();
        let limit = abi::CTX_INSTRET_LIMIT;
        dynasm!(self.ops
            ; .arch x64
            ; cmp rax, QWORD [rsi + limit]
            ; jae =>out
        );
        self.slow.push(SlowExit::Budget { label: out, target });
        self.pop_frame();
        // The `rel32` after the one-byte opcode on a 4-byte boundary.
        while !(self.ops.offset().0 + 1).is_multiple_of(4) {
            dynasm!(self.ops ; .arch x64 ; nop);
        }
        let slow = self.ops.new_dynamic_label();
        dynasm!(self.ops ; .arch x64 ; jmp =>slow);
        let end = self.ops.offset().0;
        self.patches.push(PatchSite {
            word: LinkData::word(0, which),
            rel32: (end - 4) as u32,
            slow: 0,
        });
        self.slow.push(SlowExit::Link {
            label: slow,
            target,
            which,
            patch: self.patches.len() - 1,
        });
    }

    /// The link exits' out-of-line paths: the budget exits (`pc` set, the
    /// frame released, back to the dispatcher) and the slow paths (the
    /// frame is already released: `pc` set, `from` named, through the
    /// slot word).
    fn slow_exits(&mut self) {
        for s in std::mem::take(&mut self.slow) {
            match s {
                SlowExit::Budget { label, target } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.set_pc(target);
                    self.ret(abi::EXIT_NEXT);
                }
                SlowExit::Link {
                    label,
                    target,
                    which,
                    patch,
                } => {
                    dynasm!(self.ops ; .arch x64 ; =>label);
                    self.patches[patch].slow = self.ops.offset().0 as u32;
                    self.set_pc(target);
                    let word = LinkData::word(0, which);
                    self.imm(0, (self.addrs.slots + 8 * word) as u64);
                    self.imm(2, abi::from_tag(self.addrs.link, 0, which) as u64);
                    dynasm!(self.ops ; .arch x64 ; jmp QWORD [rax]);
                }
            }
        }
    }

    /// `rdx` := `from` naming slot `kind`, and the frame released: what
    /// every way into the next code does last.
    fn from(&mut self, kind: usize) {
        self.imm(2, abi::from_tag(self.addrs.link, 0, kind) as u64);
        self.pop_frame();
    }

    /// Jump to the code in `rax` with `from` naming slot `kind`.
    fn tail_jump(&mut self, kind: usize) {
        self.from(kind);
        dynasm!(self.ops ; .arch x64 ; jmp rax);
    }

    /// Leave for the guest PC in `rcx`: the inline cache's code if its PC
    /// matches, else the jump cache's entry if it matches, else the stub.
    fn indirect_exit(&mut self) {
        let n = self.block.insn_starts.len() as u64;
        self.retire(n);
        self.check_point();
        let word = LinkData::word(0, abi::LINK_IC);
        self.imm(0, (self.addrs.slots + 8 * word) as u64);
        let (miss, stub, go) = (
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
            self.ops.new_dynamic_label(),
        );
        let lookups = abi::CTX_IC_LOOKUPS;
        let table = abi::CTX_JUMP_CACHE;
        let mask = (abi::JUMP_CACHE_LEN - 1) as i32;
        dynasm!(self.ops
            ; .arch x64
            ; add QWORD [rsi + lookups], 1
            ; cmp rcx, QWORD [rax + 16]
            ; jne =>miss
            ; mov rax, QWORD [rax]
            ; jmp =>go
            ; =>miss
            ; mov rax, QWORD [rsi + table]
            ; mov rdx, rcx
            ; shr rdx, 1
            ; and edx, mask
            ; shl rdx, 4
            ; add rax, rdx
            ; cmp rcx, QWORD [rax]
            ; jne =>stub
            ; mov rax, QWORD [rax + 8]
            ; jmp =>go
            ; =>stub
        );
        self.imm(0, self.addrs.stub as u64);
        dynasm!(self.ops ; .arch x64 ; =>go);
        self.tail_jump(abi::LINK_IC);
    }

    fn terminator(&mut self) {
        let n = self.block.insn_starts.len() as u64;
        match self.block.term {
            Terminator::Jump { target } => self.link_exit(target, abi::LINK_TAKEN),
            Terminator::Branch {
                cond,
                a,
                b,
                taken,
                fallthrough,
            } => {
                let ra = self.in_reg(0, a);
                let t = self.ops.new_dynamic_label();
                match self.loc(b) {
                    Loc::Imm(k) if k as i64 == k as i32 as i64 => {
                        let k = k as i32;
                        dynasm!(self.ops ; .arch x64 ; cmp Rq(ra), k);
                    }
                    _ => {
                        let rb = self.in_reg(1, b);
                        dynasm!(self.ops ; .arch x64 ; cmp Rq(ra), Rq(rb));
                    }
                }
                match cond {
                    Cond::Eq => dynasm!(self.ops ; .arch x64 ; je =>t),
                    Cond::Ne => dynasm!(self.ops ; .arch x64 ; jne =>t),
                    Cond::Lt => dynasm!(self.ops ; .arch x64 ; jl =>t),
                    Cond::Ge => dynasm!(self.ops ; .arch x64 ; jge =>t),
                    Cond::LtU => dynasm!(self.ops ; .arch x64 ; jb =>t),
                    Cond::GeU => dynasm!(self.ops ; .arch x64 ; jae =>t),
                }
                self.link_exit(fallthrough, abi::LINK_FALLTHROUGH);
                dynasm!(self.ops ; .arch x64 ; =>t);
                self.link_exit(taken, abi::LINK_TAKEN);
            }
            Terminator::JumpIndirect { target, .. } => {
                self.load(1, target);
                self.indirect_exit();
            }
            Terminator::Trap { kind, pc, next_pc } => {
                let (code, pc, retired) = abi::trap_exit(kind, pc, next_pc, n);
                self.retire(retired);
                self.set_pc(pc);
                self.ret(code);
            }
        }
    }

    /// The out-of-space paths and the guard access they share: a load
    /// from the guard just past the guest space, which faults; the fault
    /// is looked up by the site number stored in `JitCtx::site`.
    fn cold_paths(&mut self) {
        if let Some(hot) = self.hot_exit.take() {
            // Before the frame: nothing to release. (A direct jump from a
            // linked predecessor does not set `pc`.)
            dynasm!(self.ops ; .arch x64 ; =>hot);
            self.set_pc(self.block.start_pc);
            let code = abi::EXIT_HOT as i32;
            dynasm!(self.ops ; .arch x64 ; mov eax, code ; ret);
        }
        self.slow_exits();
        if let Some(out) = self.budget_exit.take() {
            dynasm!(self.ops ; .arch x64 ; =>out);
            self.ret(abi::EXIT_NEXT);
        }
        if self.cold.is_empty() {
            return;
        }
        let guard = *self
            .guard
            .get_or_insert_with(|| self.ops.new_dynamic_label());
        for c in std::mem::take(&mut self.cold) {
            let (label, site) = (c.label, c.site as i32);
            dynasm!(self.ops
                ; .arch x64
                ; =>label
                ; mov DWORD [rsi + abi::CTX_SITE], site
                ; jmp =>guard
            );
        }
        let space = GUEST_SPACE_BYTES as i64;
        dynasm!(self.ops
            ; .arch x64
            ; =>guard
            ; mov rax, QWORD space
            ; movzx eax, BYTE [r15 + rax]
            ; ud2
        );
    }
}
