//! Lowering a [`Region`] (one guest block, or several) to a Cranelift
//! function (see [`crate::abi`] for the function's contract).
//!
//! Shape of the generated code: an entry that counts the entry (and asks
//! the dispatcher for a region compile when the count reaches a
//! threshold), loads every guest register the region reads before
//! writing it (see [`live_at_head`]) into a Cranelift variable (or, under
//! register pressure, those its innermost
//! loops use: see [`register_homes`]; the others are loaded by each
//! member from `CpuState`) and loads `instret`, the budget limit and the
//! bound-test mask; then one Cranelift block per member guest block. IR
//! temporaries are plain SSA values. An edge to another member is
//! `instret += n`, a compare against the budget limit and a jump, so reads
//! of registers come from host registers across guest blocks and loops are
//! host loops. An edge leaving the region sets `pc` and `instret` and
//! tail-calls the successor through a link slot.
//!
//! Register state is written through, as QEMU's TCG does: the lowering
//! tracks the registers set since `CpuState` was last brought up to date
//! ("dirty") and stores them just before every op that may leave the
//! code (a memory access check, a helper that may fault, a rounding-mode
//! check, the end of a member), with one exception: the accesses of a
//! member made before anything but loads and register computation (up
//! to and including its first store) need no stores, because a fault
//! there restarts the member (see `Lower::guest_host_addr`). Every exit therefore only sets `pc` and
//! `instret` (and the fault address) and returns: no exit needs register
//! values. Why: with one shared exit block taking every written register,
//! Cranelift's SSA construction passed every register along every fault
//! edge (sites x registers moves, long live ranges) and register
//! allocation dominated compile time. The state at a fault is precise:
//! the IR puts every op of a guest instruction that may fault before its
//! `set`s, so the stores made there hold exactly the state before the
//! faulting instruction.
//!
//! Cranelift blocks are sealed as soon as their predecessors are known
//! (all but member blocks reached by an edge from a later or the same
//! member, sealed at the end), which keeps SSA construction from creating
//! block parameters only to remove them.
//!
//! Guest memory accesses are inline: one test that the address is in the
//! guest space, then one host access at `base + addr`; the host MMU does
//! the permission check (see `crate::hostfault`). The base is the
//! access's displacement when the arena is low enough (the code is then
//! compiled for that arena only, see [`arena_disp`]), else it is read from
//! the pinned register, which holds it in all compiled code. Before each access the registers are in sync and
//! each member with accesses keeps `cpu.instret` at its start, so a host
//! fault there leaves the interpreter's exact state.
//!
//! Integer operations follow `vm_ir::eval_binop`/`eval_unop` exactly
//! (RISC-V division rules, shift masking, `*w` sign extension); floating
//! point is [`crate::lower_fp`]'s (inline when exact, else a helper);
//! atomics and the `time` CSR call [`crate::helpers`].

use crate::abi::{self, JitCtx, LinkData};
use crate::helpers;
use crate::lower_fp::FpLower;
use crate::region::Region;
use crate::sites::{self, Site};
use cranelift_codegen::ir::condcodes::IntCC;
use cranelift_codegen::ir::types::{I8, I16, I32, I64};
use cranelift_codegen::ir::{
    AbiParam, Block as ClBlock, Endianness, Function, InstBuilder, MemFlagsData, SigRef, Signature,
    StackSlot, StackSlotData, StackSlotKind, TrapCode, Type, Value as V,
};
use cranelift_codegen::isa::{CallConv, TargetFrontendConfig};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext, Variable};
use vm_core::CpuState;
use vm_ir::{
    AmoOp, AtomicWidth, BinOp, Block, Cond, Csr, Global, Inst, MemTy, RoundMode, Terminator, UnOp,
};
use vm_mem::GUEST_SPACE_BYTES;

/// Guest memory accesses: little-endian, any alignment.
fn guest_flags() -> MemFlagsData {
    MemFlagsData::new().with_endianness(Endianness::Little)
}

/// Host-side state (`CpuState`, `JitCtx`): aligned and always accessible.
fn host_flags() -> MemFlagsData {
    MemFlagsData::trusted()
}

/// Where the compiled code finds its link data.
#[derive(Clone, Copy)]
pub(crate) struct LinkAddrs {
    /// The `LinkData`.
    pub link: usize,
    /// The word counting the code's entries (`LinkData::counter_addr`).
    pub counter: usize,
    /// Its slot words.
    pub slots: usize,
    /// The exit stub.
    pub stub: usize,
    /// Entry count at which the code returns [`abi::EXIT_HOT`] (0: never).
    pub hot_at: u64,
}

/// Where [`lower`] records the guest memory accesses it compiles: `list`
/// (emptied by the caller) gets them in order, the first numbered `base`
/// (see `crate::sites`).
pub(crate) struct NewSites<'s> {
    /// The sites, in the order of their numbers.
    pub list: &'s mut Vec<Site>,
    /// The number of the first.
    pub base: u32,
}

fn global_of(i: usize) -> Global {
    if i < 32 {
        Global::X(i as u8)
    } else {
        Global::F((i - 32) as u8)
    }
}

/// What [`lower`] needs to know of the host.
#[derive(Clone, Copy)]
pub(crate) struct HostTarget {
    /// The convention helpers are called in.
    pub call_conv: CallConv,
    /// For `FunctionBuilder::finalize`.
    pub frontend_config: TargetFrontendConfig,
    /// Whether the host has fused multiply-add.
    pub has_fma: bool,
    /// The guest arena's base when it fits an address displacement (see
    /// [`arena_disp`]): guest accesses are then `disp(addr)` with no base
    /// register, and the code is valid for that arena only. `None`: the
    /// base is taken from the pinned register (any arena).
    pub arena_disp: Option<i32>,
}

/// The displacement that addresses guest memory for the arena at host
/// address `base`, if it fits one (0: none known). Why: with the base in
/// the pinned register, Cranelift copies it into a fresh register before
/// every access (it does not use the pinned register in an address); a
/// base in the instruction costs nothing (see `vm_mem::ARENA_LOW_BASE`).
pub(crate) fn arena_disp(base: usize) -> Option<i32> {
    if base == 0 {
        return None;
    }
    i32::try_from(base).ok()
}

/// How many guest registers a region may read before some of them are
/// left in `CpuState` and loaded by each member that uses them (see
/// [`register_homes`]).
const HELD_REGS_MAX: u32 = 8;

/// Where the region keeps each guest register between its members:
/// returns (the registers held in Cranelift variables that the region
/// reads, loaded at entry; the registers left in `CpuState`, loaded by
/// each member that reads them), as masks of bit [`Global::index`].
///
/// `CpuState` is up to date at every member boundary (write-through), so
/// any register may live there between members; holding one in a
/// variable saves its loads but makes it a value live across the whole
/// function. With a dozen of those the allocator spills, and in a loop
/// nest whose loops share their header (inner and outer loops of a
/// region both jump back to its first member) it cannot tell the inner
/// loop's registers from the outer ones' and may spill one the inner
/// loop reads (matmul: its bound, reloaded and stored back every
/// iteration). So when the region reads more than [`HELD_REGS_MAX`]
/// registers: if it has members that loop to themselves (`loops`: the
/// code loops inside; innermost loops, the hottest code), only the
/// registers those members use are held; else the registers the region
/// never writes are left in `CpuState`.
fn register_homes(region: &Region, loops: bool) -> (u64, u64) {
    let (mut read, mut written, mut hot) = (0u64, 0u64, 0u64);
    let mut any_hot = false;
    for blk in &region.blocks {
        let mut used = 0u64;
        for inst in &blk.insts {
            match *inst {
                Inst::Get { reg } => {
                    read |= 1 << reg.index();
                    used |= 1 << reg.index();
                }
                Inst::Set { reg, .. } => {
                    written |= 1 << reg.index();
                    used |= 1 << reg.index();
                }
                _ => {}
            }
        }
        let start = blk.start_pc;
        let self_loop = match blk.term {
            Terminator::Jump { target } => target == start,
            Terminator::Branch {
                taken, fallthrough, ..
            } => taken == start || fallthrough == start,
            _ => false,
        };
        if loops && self_loop {
            hot |= used;
            any_hot = true;
        }
    }
    read &= !(1 << Global::X(0).index());
    let in_memory = if read.count_ones() <= HELD_REGS_MAX {
        0
    } else if any_hot {
        (read | written) & !hot
    } else {
        read & !written
    };
    (read & !in_memory, in_memory)
}

/// Fill `func` (whose signature is already the block one, see
/// [`crate::abi`]) with the code of `region` for `host`.
pub(crate) fn lower(
    region: &Region,
    func: &mut Function,
    fctx: &mut FunctionBuilderContext,
    host: HostTarget,
    addrs: LinkAddrs,
    sites: NewSites<'_>,
) {
    let HostTarget {
        call_conv,
        frontend_config,
        has_fma,
        arena_disp,
    } = host;
    let NewSites {
        list: sites,
        base: site_base,
    } = sites;
    let (read, in_memory) = register_homes(region, addrs.hot_at == 0);
    let late_preds = late_predecessors(region);

    let mut b = FunctionBuilder::new(func, fctx);
    let entry = b.create_block();
    b.append_block_params_for_function_params(entry);
    b.switch_to_block(entry);
    b.seal_block(entry);
    let cpu = b.block_params(entry)[0];
    let ctx = b.block_params(entry)[1];
    let regs: Vec<Variable> = (0..Global::COUNT).map(|_| b.declare_var(I64)).collect();
    let icount = b.declare_var(I64);
    // The entry counter (statistics, and the region trigger).
    let counter = b.ins().iconst(I64, addrs.counter as i64);
    let n = b.ins().load(I64, host_flags(), counter, 0);
    let n = b.ins().iadd_imm_s(n, 1);
    b.ins().store(host_flags(), n, counter, 0);
    if addrs.hot_at != 0 {
        let hot = b.create_block();
        let body = b.create_block();
        b.set_cold_block(hot);
        let is_hot = b.ins().icmp_imm_s(IntCC::Equal, n, addrs.hot_at as i64);
        b.ins().brif(is_hot, hot, &[], body, &[]);
        b.seal_block(hot);
        b.seal_block(body);
        b.switch_to_block(hot);
        // (A direct jump from a linked baseline block does not set `pc`.)
        let pc = b.ins().iconst(I64, region.head().start_pc as i64);
        b.ins().store(host_flags(), pc, cpu, abi::PC);
        let code = b.ins().iconst(I64, abi::EXIT_HOT as i64);
        b.ins().return_(&[code]);
        b.switch_to_block(body);
    }
    let instret = b.ins().load(I64, host_flags(), cpu, abi::INSTRET);
    // Held for the whole function (see `Lower::space_mask`, `Lower::limit`).
    let space_mask = b.ins().iconst(I64, (GUEST_SPACE_BYTES - 1) as i64);
    let space_mask = b.ins().bnot(space_mask);
    let limit = b.ins().load(I64, host_flags(), ctx, abi::CTX_INSTRET_LIMIT);
    b.def_var(icount, instret);
    let entry_instret = (addrs.hot_at == 0).then(|| {
        let slot = b.create_sized_stack_slot(StackSlotData::new(StackSlotKind::ExplicitSlot, 8, 3));
        b.ins().stack_store(I64, instret, slot, 0);
        slot
    });
    for i in Bits(read & live_at_head(region)) {
        let v = b
            .ins()
            .load(I64, host_flags(), cpu, reg_offset(global_of(i)));
        b.def_var(regs[i], v);
    }
    let cl_blocks: Vec<ClBlock> = region.blocks.iter().map(|_| b.create_block()).collect();
    b.ins().jump(cl_blocks[0], &[]);
    let block_sig = b.import_signature(crate::compiler::block_sig());
    let mut l = Lower {
        b,
        region,
        block: region.head(),
        cur: 0,
        cl_blocks,
        ptr: I64,
        call_conv,
        has_fma,
        arena_disp,
        addrs,
        cpu,
        ctx,
        regs,
        icount,
        dirty: 0,
        vals: Vec::new(),
        insn: 0,
        block_sig,
        helper_sigs: Vec::new(),
        sites,
        site_base,
        guard_block: None,
        restartable: true,
        in_memory,
        loaded: vec![None; Global::COUNT],
        space_mask,
        limit,
        entry_instret,
        in_space: Vec::new(),
    };
    for (m, &late) in late_preds.iter().enumerate() {
        l.cur = m;
        l.block = &region.blocks[m];
        l.vals.clear();
        l.vals.resize(l.block.insts.len(), None);
        l.restartable = true;
        l.loaded.fill(None);
        l.in_space.clear();
        let cb = l.cl_blocks[m];
        l.b.switch_to_block(cb);
        if !late {
            l.b.seal_block(cb);
        }
        // A host fault at an access resumes with `cpu.instret` plus the
        // site's count (see `crate::sites`): keep `cpu.instret` at the
        // member's start wherever a member can fault so. (The function's
        // entry loaded it for a first member nothing jumps back to.)
        let accesses = l
            .block
            .insts
            .iter()
            .any(|i| matches!(i, Inst::Load { .. } | Inst::Store { .. }));
        if accesses && (m != 0 || late) {
            let n = l.b.use_var(l.icount);
            l.b.ins().store(host_flags(), n, l.cpu, abi::INSTRET);
        }
        for i in 0..l.block.insts.len() {
            l.insn = l.block.guest_insn_of(i).0;
            l.inst(i);
        }
        l.insn = l.block.insn_starts.len().saturating_sub(1);
        l.terminator();
        debug_assert_eq!(l.dirty, 0, "every way out of a member syncs");
    }
    for (m, &late) in late_preds.iter().enumerate() {
        if late {
            l.b.seal_block(l.cl_blocks[m]);
        }
    }
    l.finish_guard_block();
    l.b.finalize(frontend_config);
}

/// The registers whose value at the region's entry may be read: live at
/// the head, by the usual backward data flow over the members (a member
/// reads a register it `get`s before any `set` of it; edges are the
/// static targets and return sites that are members). An exit needs no
/// register (`CpuState` is written through), so nothing is live after
/// one. The others are set before any read on every path, and loading
/// them at entry would only cost loads and live ranges.
fn live_at_head(region: &Region) -> u64 {
    let n = region.blocks.len();
    let (mut used, mut defined) = (vec![0u64; n], vec![0u64; n]);
    for (m, blk) in region.blocks.iter().enumerate() {
        for inst in &blk.insts {
            match *inst {
                Inst::Get { reg } => used[m] |= (1 << reg.index()) & !defined[m],
                Inst::Set { reg, .. } => defined[m] |= 1 << reg.index(),
                _ => {}
            }
        }
    }
    let succs = region.member_successors();
    let mut live = used.clone();
    let mut changed = true;
    while changed {
        changed = false;
        for m in (0..n).rev() {
            let out = succs[m].iter().fold(0, |acc, &s| acc | live[s]);
            let new = used[m] | (out & !defined[m]);
            if new != live[m] {
                live[m] = new;
                changed = true;
            }
        }
    }
    live[0]
}

/// For each member, whether a member lowered at or after it jumps to it
/// (so its Cranelift block can be sealed only once every member is
/// lowered; the others are sealed as soon as lowering reaches them).
fn late_predecessors(region: &Region) -> Vec<bool> {
    let mut late = vec![false; region.blocks.len()];
    for (i, succs) in region.member_successors().into_iter().enumerate() {
        for j in succs {
            if j <= i {
                late[j] = true;
            }
        }
    }
    late
}

/// The indices of the set bits of a register mask, lowest first.
struct Bits(u64);

impl Iterator for Bits {
    type Item = usize;
    fn next(&mut self) -> Option<usize> {
        if self.0 == 0 {
            return None;
        }
        let i = self.0.trailing_zeros() as usize;
        self.0 &= self.0 - 1;
        Some(i)
    }
}

struct Lower<'a, 'b> {
    b: FunctionBuilder<'a>,
    region: &'b Region,
    /// The member being lowered and its index.
    block: &'b Block,
    cur: usize,
    /// Cranelift block of each member.
    cl_blocks: Vec<ClBlock>,
    ptr: Type,
    call_conv: CallConv,
    /// The host has fused multiply-add (see [`crate::lower_fp`]).
    has_fma: bool,
    /// See [`HostTarget::arena_disp`].
    arena_disp: Option<i32>,
    addrs: LinkAddrs,
    cpu: V,
    ctx: V,
    /// One variable per guest register ([`Global::index`]).
    regs: Vec<Variable>,
    /// `instret` at the start of the current member.
    icount: Variable,
    /// Registers (bit [`Global::index`]) set since `CpuState` was last
    /// brought up to date (see [`Lower::sync`]).
    dirty: u64,
    /// Cranelift value of each IR value of the current member.
    vals: Vec<Option<V>>,
    /// Index of the guest instruction being lowered.
    insn: usize,
    /// The imported block signature (for tail calls).
    block_sig: SigRef,
    /// Helper signatures imported so far, by parameter types.
    helper_sigs: Vec<(Vec<Type>, SigRef)>,
    /// The guest memory accesses lowered so far; the first is numbered
    /// `site_base` (see `crate::sites`).
    sites: &'b mut Vec<Site>,
    site_base: u32,
    /// See [`Lower::guard_access_block`].
    guard_block: Option<ClBlock>,
    /// Whether the current member has done nothing yet but compute,
    /// load and set registers: a fault here can restart the member (see
    /// [`Lower::guest_host_addr`]).
    restartable: bool,
    /// Registers (bit [`Global::index`]) kept in `CpuState` between
    /// members rather than in variables (see [`register_homes`]).
    in_memory: u64,
    /// Their values in the current member so far (loaded or set).
    loaded: Vec<Option<V>>,
    /// The address bits outside the guest space, made once at entry: the
    /// bound test of every access is then a register `test`. (As an
    /// immediate, Cranelift reads the 64-bit constant from memory at each
    /// test; in a loop of few instructions those loads, with the accesses
    /// and the write-through stores, bound its speed.)
    space_mask: V,
    /// `JitCtx::instret_limit` (fixed while code runs), loaded once at
    /// entry for the same reason: Cranelift does not fold a load into a
    /// compare that feeds a branch, so each budget check would load it.
    limit: V,
    /// The stack slot holding `instret` at entry, in region code (the
    /// optimizing tier), whose exits add what they retired to
    /// `JitCtx::region_insns`. A slot, not a value: read only on the way
    /// out, a value kept live across the region took a host register
    /// from its loops (matmul's inner loop spilled a guest register).
    entry_instret: Option<StackSlot>,
    /// Guest addresses (IR value, offset) the current member has tested
    /// to be in the guest space.
    in_space: Vec<(vm_ir::Value, i32)>,
}

/// A guest PC to leave for.
#[derive(Clone, Copy)]
enum Pc {
    Const(u64),
    Val(V),
}

fn reg_offset(g: Global) -> i32 {
    match g {
        Global::X(r) => abi::x_offset(r),
        Global::F(r) => abi::f_offset(r),
    }
}

fn int_cc(c: Cond) -> IntCC {
    match c {
        Cond::Eq => IntCC::Equal,
        Cond::Ne => IntCC::NotEqual,
        Cond::Lt => IntCC::SignedLessThan,
        Cond::Ge => IntCC::SignedGreaterThanOrEqual,
        Cond::LtU => IntCC::UnsignedLessThan,
        Cond::GeU => IntCC::UnsignedGreaterThanOrEqual,
    }
}

impl<'a> Lower<'a, '_> {
    fn val(&self, v: vm_ir::Value) -> V {
        // The verifier guarantees every operand is defined earlier by an
        // instruction with a result.
        self.vals[v.0 as usize].expect("IR operand defined before use")
    }

    fn iconst(&mut self, ty: Type, v: i64) -> V {
        let v = if ty == I32 { v as u32 as i64 } else { v };
        self.b.ins().iconst(ty, v)
    }

    fn get(&mut self, g: Global) -> V {
        if g == Global::X(0) {
            return self.iconst(I64, 0);
        }
        let i = g.index();
        if self.in_memory & (1 << i) == 0 {
            return self.b.use_var(self.regs[i]);
        }
        // Every later instruction of the member is dominated by this one
        // (its blocks form a chain; the side exits leave the function).
        if let Some(v) = self.loaded[i] {
            return v;
        }
        let v = self
            .b
            .ins()
            .load(I64, host_flags(), self.cpu, reg_offset(g));
        self.loaded[i] = Some(v);
        v
    }

    fn set(&mut self, g: Global, v: V) {
        if g == Global::X(0) {
            return;
        }
        let i = g.index();
        if self.in_memory & (1 << i) == 0 {
            self.b.def_var(self.regs[i], v);
        } else {
            self.loaded[i] = Some(v);
        }
        self.dirty |= 1 << i;
    }

    /// Bring `CpuState` up to date: store the registers set since the last
    /// sync. Called before every op that may leave the code, so that no
    /// exit needs register values: the IR puts every op of a guest
    /// instruction that may fault before its `set`s, so at such an op
    /// `CpuState` holds exactly the state before the instruction.
    fn sync(&mut self) {
        for i in Bits(std::mem::take(&mut self.dirty)) {
            let v = match self.loaded[i] {
                Some(v) if self.in_memory & (1 << i) != 0 => v,
                _ => self.b.use_var(self.regs[i]),
            };
            self.b
                .ins()
                .store(host_flags(), v, self.cpu, reg_offset(global_of(i)));
        }
    }

    /// Branch to a new block on `cond` (`then` cold if asked), else to
    /// another new block; both are sealed, and code generation continues
    /// in neither. Returns (then, else).
    fn split(&mut self, cond: V, cold_then: bool) -> (ClBlock, ClBlock) {
        let (t, f) = (self.b.create_block(), self.b.create_block());
        if cold_then {
            self.b.set_cold_block(t);
        }
        self.b.ins().brif(cond, t, &[], f, &[]);
        self.b.seal_block(t);
        self.b.seal_block(f);
        (t, f)
    }

    /// Return `code` after setting `pc` and `instret` (ends the current
    /// Cranelift block). The registers must be in sync.
    fn exit(&mut self, pc: V, instret: V, code: u64) {
        self.count_region_insns(instret);
        self.b.ins().store(host_flags(), pc, self.cpu, abi::PC);
        self.b
            .ins()
            .store(host_flags(), instret, self.cpu, abi::INSTRET);
        let code = self.iconst(I64, code as i64);
        self.b.ins().return_(&[code]);
    }

    /// In region code, on a way out with `instret` retired so far: add
    /// what this entry of the region retired to `JitCtx::region_insns`.
    fn count_region_insns(&mut self, instret: V) {
        let Some(slot) = self.entry_instret else {
            return;
        };
        let start = self.b.ins().stack_load(I64, I64, slot, 0);
        let done = self.b.ins().isub(instret, start);
        let at = abi::CTX_REGION_INSNS;
        let n = self.b.ins().load(I64, host_flags(), self.ctx, at);
        let n = self.b.ins().iadd(n, done);
        self.b.ins().store(host_flags(), n, self.ctx, at);
    }

    /// `instret` after `retired` instructions of the current member.
    fn instret_after(&mut self, retired: u64) -> V {
        let base = self.b.use_var(self.icount);
        self.b.ins().iadd_imm_s(base, retired as i64)
    }

    /// Leave the current member for `pc` after retiring it whole: out of
    /// the code at the check point (the budget is spent), else to member
    /// `inner` by a jump, else by a tail call to the code `code` gives
    /// (called only on that path) with `from` naming slot `kind`.
    fn leave(
        &mut self,
        pc: Pc,
        inner: Option<usize>,
        kind: usize,
        code: impl FnOnce(&mut Self) -> V,
    ) {
        self.sync();
        let n = self.block.insn_starts.len() as u64;
        let new = self.instret_after(n);
        let limit = self.limit;
        let stop = self
            .b
            .ins()
            .icmp(IntCC::UnsignedGreaterThanOrEqual, new, limit);
        let (out, go) = self.split(stop, true);
        self.b.switch_to_block(out);
        let pc_v = self.pc_value(pc);
        self.exit(pc_v, new, abi::EXIT_NEXT);
        self.b.switch_to_block(go);
        if let Some(j) = inner {
            self.b.def_var(self.icount, new);
            self.b.ins().jump(self.cl_blocks[j], &[]);
            return;
        }
        let pc_v = self.pc_value(pc);
        self.b.ins().store(host_flags(), pc_v, self.cpu, abi::PC);
        self.b
            .ins()
            .store(host_flags(), new, self.cpu, abi::INSTRET);
        self.count_region_insns(new);
        let code = code(self);
        let from = abi::from_tag(self.addrs.link, self.cur, kind);
        let from = self.b.ins().iconst(I64, from as i64);
        self.b
            .ins()
            .return_call_indirect(self.block_sig, code, &[self.cpu, self.ctx, from]);
    }

    /// The value of `pc` (constants are made where used, off hot paths).
    fn pc_value(&mut self, pc: Pc) -> V {
        match pc {
            Pc::Const(c) => self.iconst(I64, c as i64),
            Pc::Val(v) => v,
        }
    }

    /// Address of slot word `word` of this translation.
    fn slot_addr(&mut self, word: usize) -> V {
        self.iconst(I64, (self.addrs.slots + 8 * word) as i64)
    }

    /// Continue at the static target `target` (slot `which` when it is
    /// not a member).
    fn link_exit(&mut self, target: u64, which: usize) {
        let pc = Pc::Const(target);
        // Baseline code (it asks for its region once hot) leaves even for
        // its own start, so that a loop re-enters the function and its
        // entries reach the hot count; hot code loops inside.
        let inner = if self.addrs.hot_at != 0 {
            None
        } else {
            self.region.member(target)
        };
        let word = LinkData::word(self.cur, which);
        self.leave(pc, inner, which, |l| {
            let at = l.slot_addr(word);
            l.b.ins().load(I64, host_flags(), at, 0)
        });
    }

    /// Continue at the dynamic target `pc` through the inline cache: its
    /// code if the cached PC matches, else the jump cache's entry for `pc`
    /// if it matches, else the exit stub.
    fn indirect_exit(&mut self, pc: V) {
        self.sync();
        for (site, j) in self.region.return_sites() {
            let is = self.b.ins().icmp_imm_s(IntCC::Equal, pc, site as i64);
            let (inner, next) = self.split(is, false);
            self.b.switch_to_block(inner);
            // A jump to a member: `leave` never asks for code.
            let stub = self.addrs.stub as i64;
            self.leave(Pc::Const(site), Some(j), abi::LINK_IC, |l| {
                l.iconst(I64, stub)
            });
            self.b.switch_to_block(next);
        }
        let word = LinkData::word(self.cur, abi::LINK_IC);
        let stub = self.addrs.stub;
        self.leave(Pc::Val(pc), None, abi::LINK_IC, |l| {
            let at = l.slot_addr(word);
            let ic_pc = l.b.ins().load(I64, host_flags(), at, 16);
            let hit = l.b.ins().icmp(IntCC::Equal, pc, ic_pc);
            let n =
                l.b.ins()
                    .load(I64, host_flags(), l.ctx, abi::CTX_IC_LOOKUPS);
            let n = l.b.ins().iadd_imm_s(n, 1);
            l.b.ins().store(host_flags(), n, l.ctx, abi::CTX_IC_LOOKUPS);
            let miss = l.b.create_block();
            let done = l.b.create_block();
            let code = l.b.append_block_param(done, I64);
            let ic_code = l.b.ins().load(I64, host_flags(), at, 0);
            l.b.ins().brif(hit, done, &[ic_code.into()], miss, &[]);
            l.b.seal_block(miss);
            l.b.switch_to_block(miss);
            let table =
                l.b.ins()
                    .load(I64, host_flags(), l.ctx, abi::CTX_JUMP_CACHE);
            let idx = l.b.ins().ushr_imm_s(pc, 1);
            let idx = l.b.ins().band_imm_s(idx, (abi::JUMP_CACHE_LEN - 1) as i64);
            let off = l.b.ins().ishl_imm_s(idx, 4);
            let e = l.b.ins().iadd(table, off);
            let e_pc = l.b.ins().load(I64, host_flags(), e, 0);
            let e_code = l.b.ins().load(I64, host_flags(), e, 8);
            let found = l.b.ins().icmp(IntCC::Equal, pc, e_pc);
            let stub = l.b.ins().iconst(I64, stub as i64);
            let c = l.b.ins().select(found, e_code, stub);
            l.b.ins().jump(done, &[c.into()]);
            l.b.seal_block(done);
            l.b.switch_to_block(done);
            code
        });
    }

    /// A cold exit at the current guest instruction with `code`, taken when
    /// `fail` is nonzero; code generation continues on the other edge. The
    /// registers must be in sync.
    fn fault_exit_if(&mut self, fail: V, code: u64) {
        let (cold, cont) = self.split(fail, true);
        self.b.switch_to_block(cold);
        self.fault_exit(code);
        self.b.switch_to_block(cont);
    }

    /// The exit for a fault at the current guest instruction (ends the
    /// current Cranelift block). The registers must be in sync.
    fn fault_exit(&mut self, code: u64) {
        let pc = self.block.insn_starts[self.insn].pc;
        let pc = self.b.ins().iconst(I64, pc as i64);
        let instret = self.instret_after(self.insn as u64);
        self.exit(pc, instret, code);
    }

    /// The host address of a guest access at guest address `ea` as a
    /// value and a displacement, and the flags the access must carry. The only check here is the bound: `ea`
    /// must lie in the guest space (an access outside it is made to the
    /// arena's guard instead). Everything else is the host MMU's job: the
    /// arena's host protection mirrors the guest permissions, and an access
    /// that starts in the space but runs past its end meets the guard. A
    /// refused access is a host fault that `crate::hostfault` turns into an
    /// exit, at a precise state: the registers are in sync here; the
    /// interpreter then repeats the instruction and reports the fault as
    /// Linux would. The faulting host instruction names the access: it
    /// carries a trap code numbering it in this function (see
    /// `crate::sites`); past the numbers trap codes offer, and on the way
    /// to the guard, the code stores the site number in `JitCtx::site`.
    ///
    /// Restarting: while the member has only loaded, computed and set
    /// registers (`restartable`), `CpuState` still holds the state at the
    /// member's start and nothing else has changed, so the access's site
    /// names the member's first instruction, with nothing retired, and
    /// the registers are not stored: after a fault the interpreter
    /// repeats the member from its start up to the same access (or past
    /// it, if another thread changed the mapping meanwhile), exactly as
    /// if the compiled code had never run. This keeps the stores of a
    /// load-compute-store member to one per register, at its end.
    ///
    /// `key` names the address (IR value and offset): an address already
    /// tested in the member (on the way here: a member's code is a chain),
    /// or at a larger offset within the guard's reach of one
    /// (`sites::tested_before`), is not tested again.
    fn guest_host_addr(&mut self, ea: V, key: (vm_ir::Value, i32)) -> (V, i32, MemFlagsData) {
        let at = if self.restartable {
            Site {
                pc: self.block.start_pc,
                retired: 0,
            }
        } else {
            self.sync();
            Site {
                pc: self.block.insn_starts[self.insn].pc,
                retired: self.insn as u32,
            }
        };
        let local = self.sites.len();
        let site = self.site_base + local as u32;
        self.sites.push(at);
        // Outside the space: a cold block stores the site number and
        // goes to the function's one block that accesses the arena's
        // guard, which faults like any refused access (the interpreter
        // then reports the real address). No exit sequence per access.
        // A constant address in the space needs no test (the guard page
        // past the space catches the bytes of an access that crosses it).
        let known = self
            .const_addr(key.0, key.1)
            .is_some_and(|ea| ea < GUEST_SPACE_BYTES);
        if !known && !sites::tested_before(&self.in_space, key.0, key.1) {
            self.in_space.push(key);
            let outside = self.b.ins().band(ea, self.space_mask);
            let (cold, cont) = self.split(outside, true);
            self.b.switch_to_block(cold);
            let id = self.iconst(I32, site as i64);
            self.b
                .ins()
                .store(host_flags(), id, self.ctx, abi::CTX_SITE);
            let guard = self.guard_access_block();
            self.b.ins().jump(guard, &[]);
            self.b.switch_to_block(cont);
        }
        let flags = match sites::trap_code(local) {
            Some(trap) => guest_flags().with_trap_code(Some(trap)),
            None => {
                let site = self.iconst(I32, site as i64);
                self.b
                    .ins()
                    .store(host_flags(), site, self.ctx, abi::CTX_SITE);
                guest_flags()
            }
        };
        match self.arena_disp {
            Some(disp) => (ea, disp, flags),
            None => {
                let base = self.b.ins().get_pinned_reg(I64);
                (self.b.ins().iadd(base, ea), 0, flags)
            }
        }
    }

    /// The function's block that loads from the arena's guard (a host
    /// fault: see [`Lower::guest_host_addr`]), created on first use; its
    /// code is emitted at the end of lowering.
    fn guard_access_block(&mut self) -> ClBlock {
        if let Some(b) = self.guard_block {
            return b;
        }
        let b = self.b.create_block();
        self.b.set_cold_block(b);
        self.guard_block = Some(b);
        b
    }

    /// Fill the guard-access block, if any.
    fn finish_guard_block(&mut self) {
        let Some(blk) = self.guard_block else {
            return;
        };
        self.b.switch_to_block(blk);
        self.b.seal_block(blk);
        // (Code with the base in its displacements may be compiled without
        // a pinned register: see `Compiler::isa_unpinned`.)
        let at = match self.arena_disp {
            Some(disp) => self.iconst(I64, disp as i64 + GUEST_SPACE_BYTES as i64),
            None => {
                let base = self.b.ins().get_pinned_reg(I64);
                self.b.ins().iadd_imm_s(base, GUEST_SPACE_BYTES as i64)
            }
        };
        // A trapping load without a site trap code: the fault is looked
        // up by the site number just stored.
        self.b.ins().uload8(I32, guest_flags(), at, 0);
        self.b.ins().trap(TrapCode::HEAP_OUT_OF_BOUNDS);
    }

    /// The guest address `addr + offset`. An address `(r + k) + q` (an
    /// add whose operand adds a constant: crc32's table index
    /// `((x << 2) + 1024) + sp` read at `-1024`) is computed as
    /// `(r + q) + (k + offset)`, the same sum, so that the access does not
    /// wait for the `+ k` (the `r + k` value is still made for whoever
    /// else reads it) and Cranelift can fold a shifted `r` into a scaled
    /// index.
    fn effective_addr(&mut self, addr: vm_ir::Value, offset: i32) -> V {
        if let Some(ea) = self.const_addr(addr, offset) {
            return self.iconst(I64, ea as i64);
        }
        let (a, offset) = self
            .reassociated(addr, offset)
            .unwrap_or_else(|| (self.val(addr), offset as i64));
        if offset == 0 {
            a
        } else {
            self.b.ins().iadd_imm_s(a, offset)
        }
    }

    /// `addr + offset` if `addr` is a constant (a `auipc`-relative
    /// access: globals, the GOT, constant tables), computed here since
    /// the region is compiled without Cranelift's constant folding.
    fn const_addr(&self, addr: vm_ir::Value, offset: i32) -> Option<u64> {
        match self.block.insts.get(addr.0 as usize) {
            Some(&Inst::Const { imm }) => Some(imm.wrapping_add(offset as i64 as u64)),
            _ => None,
        }
    }

    /// `(r + q, k + offset)` for `addr = (r + k) + q` (either operand order).
    fn reassociated(&mut self, addr: vm_ir::Value, offset: i32) -> Option<(V, i64)> {
        let def = |v: vm_ir::Value| self.block.insts.get(v.0 as usize);
        let Some(&Inst::Binary {
            op: BinOp::Add,
            a,
            b,
        }) = def(addr)
        else {
            return None;
        };
        let with_const = |v: vm_ir::Value| match def(v) {
            Some(&Inst::BinaryImm {
                op: BinOp::Add,
                a: r,
                imm,
            }) => Some((r, imm)),
            _ => None,
        };
        let (r, k, q) = match (with_const(a), with_const(b)) {
            (Some((r, k)), _) => (r, k, b),
            (None, Some((r, k))) => (r, k, a),
            (None, None) => return None,
        };
        let total = k.checked_add(offset as i64)?;
        i32::try_from(total).ok()?;
        let (r, q) = (self.val(r), self.val(q));
        Some((self.b.ins().iadd(r, q), total))
    }

    /// Exit with an illegal-instruction exception if `rm` is `dyn` and
    /// `frm` is reserved (5..=7, or anything larger).
    fn check_rm(&mut self, rm: RoundMode) {
        if rm != RoundMode::Dyn {
            return;
        }
        self.sync();
        let frm = self.b.ins().load(I64, host_flags(), self.cpu, abi::FRM);
        let bad = self
            .b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, frm, 5);
        self.fault_exit_if(bad, abi::EXIT_ILLEGAL_RM);
    }

    /// Call the helper at `f` with `args` (types `params`), returning its u64.
    fn call(&mut self, f: usize, params: &[Type], args: &[V]) -> V {
        let sig = match self.helper_sigs.iter().find(|(p, _)| p == params) {
            Some(&(_, s)) => s,
            None => {
                let mut sig = Signature::new(self.call_conv);
                sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
                sig.returns.push(AbiParam::new(I64));
                let s = self.b.import_signature(sig);
                self.helper_sigs.push((params.to_vec(), s));
                s
            }
        };
        let callee = self.b.ins().iconst(self.ptr, f as i64);
        let call = self.b.ins().call_indirect(sig, callee, args);
        self.b.inst_results(call)[0]
    }

    /// After a helper that may fail (called with the registers in sync):
    /// exit if it recorded a fault.
    fn check_helper(&mut self) {
        let f = self
            .b
            .ins()
            .load(I64, host_flags(), self.ctx, abi::CTX_HELPER_FAULT);
        self.fault_exit_if(f, abi::EXIT_HELPER_FAULT);
    }

    fn inst(&mut self, i: usize) {
        // Anything but register computation and loads changes state that a
        // restart of the member would not undo (a store, after its own
        // access: see `guest_host_addr`).
        let keeps_restartable = matches!(
            self.block.insts[i],
            Inst::Const { .. }
                | Inst::Get { .. }
                | Inst::Set { .. }
                | Inst::Binary { .. }
                | Inst::BinaryImm { .. }
                | Inst::Unary { .. }
                | Inst::Load { .. }
                | Inst::Store { .. }
        );
        if !keeps_restartable {
            self.restartable = false;
        }
        let result = match self.block.insts[i] {
            Inst::Const { imm } => Some(self.iconst(I64, imm as i64)),
            Inst::Get { reg } => Some(self.get(reg)),
            Inst::Set { reg, arg } => {
                let v = self.val(arg);
                self.set(reg, v);
                None
            }
            Inst::Binary { op, a, b } => {
                let (a, b) = (self.val(a), self.val(b));
                Some(self.binop(op, a, b))
            }
            Inst::BinaryImm { op, a, imm } => {
                let a = self.val(a);
                let b = self.iconst(I64, imm);
                Some(self.binop(op, a, b))
            }
            Inst::Unary { op, a } => {
                let a = self.val(a);
                Some(self.unop(op, a))
            }
            Inst::Load { ty, addr, offset } => {
                let ea = self.effective_addr(addr, offset);
                let (host, disp, f) = self.guest_host_addr(ea, (addr, offset));
                Some(self.load(ty, host, disp, f))
            }
            Inst::Store {
                ty,
                addr,
                offset,
                val,
            } => {
                let ea = self.effective_addr(addr, offset);
                let (host, disp, f) = self.guest_host_addr(ea, (addr, offset));
                let v = self.val(val);
                self.store(ty, v, host, disp, f);
                self.restartable = false;
                None
            }
            Inst::Amo {
                op,
                width,
                addr,
                val,
            } => {
                let packed = helpers::pack(
                    helpers::index_of(AmoOp::ALL, &op),
                    helpers::index_of(AtomicWidth::ALL, &width),
                    0,
                );
                let packed = self.iconst(I32, packed as i64);
                let args = [self.ctx, packed, self.val(addr), self.val(val)];
                let f = helpers::amo as unsafe extern "C" fn(*mut JitCtx, u32, u64, u64) -> u64;
                self.sync();
                let r = self.call(f as usize, &[self.ptr, I32, I64, I64], &args);
                self.check_helper();
                Some(r)
            }
            Inst::LoadReserved { width, addr } => {
                let w = self.iconst(I32, helpers::index_of(AtomicWidth::ALL, &width) as i64);
                let args = [self.cpu, self.ctx, w, self.val(addr)];
                let f = helpers::lr
                    as unsafe extern "C" fn(*mut CpuState, *mut JitCtx, u32, u64) -> u64;
                self.sync();
                let r = self.call(f as usize, &[self.ptr, self.ptr, I32, I64], &args);
                self.check_helper();
                Some(r)
            }
            Inst::StoreConditional { width, addr, val } => {
                let w = self.iconst(I32, helpers::index_of(AtomicWidth::ALL, &width) as i64);
                let args = [self.cpu, self.ctx, w, self.val(addr), self.val(val)];
                let f = helpers::sc
                    as unsafe extern "C" fn(*mut CpuState, *mut JitCtx, u32, u64, u64) -> u64;
                self.sync();
                let r = self.call(f as usize, &[self.ptr, self.ptr, I32, I64, I64], &args);
                self.check_helper();
                Some(r)
            }
            Inst::Fence => {
                self.b.ins().fence();
                None
            }
            Inst::FBinary { op, fmt, rm, a, b } => {
                self.check_rm(rm);
                let (a, b) = (self.val(a), self.val(b));
                Some(self.fp().fbinary(op, fmt, rm, a, b))
            }
            Inst::FUnary { op, fmt, rm, a } => {
                self.check_rm(rm);
                let a = self.val(a);
                Some(self.fp().funary(op, fmt, rm, a))
            }
            Inst::Fma {
                op,
                fmt,
                rm,
                a,
                b,
                c,
            } => {
                self.check_rm(rm);
                let (a, b, c) = (self.val(a), self.val(b), self.val(c));
                Some(self.fp().fma(op, fmt, rm, a, b, c))
            }
            Inst::FCvt { to, from, rm, a } => {
                self.check_rm(rm);
                let a = self.val(a);
                Some(self.fp().fcvt(to, from, rm, a))
            }
            Inst::CsrRead { csr } => Some(self.csr_read(csr)),
            Inst::CsrWrite { csr, arg } => {
                let v = self.val(arg);
                self.csr_write(csr, v);
                None
            }
        };
        self.vals[i] = result;
    }

    /// The FP lowering (see [`crate::lower_fp`]) at the current position.
    fn fp(&mut self) -> FpLower<'_, 'a> {
        FpLower {
            b: &mut self.b,
            cpu: self.cpu,
            call_conv: self.call_conv,
            sigs: &mut self.helper_sigs,
            has_fma: self.has_fma,
        }
    }

    /// Load `ty` from host address `host + disp`.
    fn load(&mut self, ty: MemTy, host: V, disp: i32, f: MemFlagsData) -> V {
        let ins = self.b.ins();
        match ty {
            MemTy::I8 => ins.sload8(I64, f, host, disp),
            MemTy::U8 => ins.uload8(I64, f, host, disp),
            MemTy::I16 => ins.sload16(I64, f, host, disp),
            MemTy::U16 => ins.uload16(I64, f, host, disp),
            MemTy::I32 => ins.sload32(f, host, disp),
            MemTy::U32 => ins.uload32(f, host, disp),
            MemTy::I64 => ins.load(I64, f, host, disp),
        }
    }

    /// Store the low `ty` bytes of `v` at host address `host + disp`.
    fn store(&mut self, ty: MemTy, v: V, host: V, disp: i32, f: MemFlagsData) {
        let ins = self.b.ins();
        match ty.bytes() {
            1 => ins.istore8(f, v, host, disp),
            2 => ins.istore16(f, v, host, disp),
            4 => ins.istore32(f, v, host, disp),
            _ => ins.store(f, v, host, disp),
        };
    }

    fn csr_read(&mut self, csr: Csr) -> V {
        let load = |l: &mut Self, off: i32| l.b.ins().load(I64, host_flags(), l.cpu, off);
        match csr {
            Csr::Fflags => load(self, abi::FFLAGS),
            Csr::Frm => load(self, abi::FRM),
            Csr::Fcsr => {
                let frm = load(self, abi::FRM);
                let fflags = load(self, abi::FFLAGS);
                let hi = self.b.ins().ishl_imm_s(frm, 5);
                self.b.ins().bor(hi, fflags)
            }
            // The variable holds the count at the member's start.
            Csr::Instret | Csr::Cycle => {
                let n = self.b.use_var(self.icount);
                self.b.ins().iadd_imm_s(n, self.insn as i64)
            }
            Csr::Time => {
                let f = helpers::time as extern "C" fn() -> u64;
                self.call(f as usize, &[], &[])
            }
        }
    }

    fn csr_write(&mut self, csr: Csr, v: V) {
        let store = |l: &mut Self, v: V, off: i32| {
            l.b.ins().store(host_flags(), v, l.cpu, off);
        };
        match csr {
            Csr::Fflags => {
                let m = self.b.ins().band_imm_s(v, 0x1f);
                store(self, m, abi::FFLAGS);
            }
            Csr::Frm => {
                let m = self.b.ins().band_imm_s(v, 0x7);
                store(self, m, abi::FRM);
            }
            Csr::Fcsr => {
                let fl = self.b.ins().band_imm_s(v, 0x1f);
                store(self, fl, abi::FFLAGS);
                let rm = self.b.ins().ushr_imm_s(v, 5);
                let rm = self.b.ins().band_imm_s(rm, 0x7);
                store(self, rm, abi::FRM);
            }
            // Lowering never writes read-only CSRs.
            Csr::Instret | Csr::Cycle | Csr::Time => {}
        }
    }

    fn sext32(&mut self, v: V) -> V {
        let w = self.b.ins().ireduce(I32, v);
        self.b.ins().sextend(I64, w)
    }

    fn low32(&mut self, a: V, b: V) -> (V, V) {
        (self.b.ins().ireduce(I32, a), self.b.ins().ireduce(I32, b))
    }

    /// RISC-V signed division or remainder in type `ty`: x/0 = -1, x%0 = x,
    /// MIN/-1 = MIN (= -MIN wrapped), MIN%-1 = 0.
    fn sdiv(&mut self, ty: Type, a: V, b: V, rem: bool) -> V {
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        let m1c = self.iconst(ty, -1);
        let m1 = self.b.ins().icmp(IntCC::Equal, b, m1c);
        let special = self.b.ins().bor(zero, m1);
        let one = self.iconst(ty, 1);
        let safe = self.b.ins().select(special, one, b);
        if rem {
            // x % 1 = 0 covers b = -1.
            let r = self.b.ins().srem(a, safe);
            self.b.ins().select(zero, a, r)
        } else {
            let q = self.b.ins().sdiv(a, safe);
            let neg = self.b.ins().ineg(a);
            let q = self.b.ins().select(m1, neg, q);
            self.b.ins().select(zero, m1c, q)
        }
    }

    /// RISC-V unsigned division or remainder: x/0 = all ones, x%0 = x.
    fn udiv(&mut self, ty: Type, a: V, b: V, rem: bool) -> V {
        let zero = self.b.ins().icmp_imm_s(IntCC::Equal, b, 0);
        let one = self.iconst(ty, 1);
        let safe = self.b.ins().select(zero, one, b);
        if rem {
            let r = self.b.ins().urem(a, safe);
            self.b.ins().select(zero, a, r)
        } else {
            let q = self.b.ins().udiv(a, safe);
            let ones = self.iconst(ty, -1);
            self.b.ins().select(zero, ones, q)
        }
    }

    fn binop(&mut self, op: BinOp, a: V, b: V) -> V {
        let cmp = |l: &mut Self, cc: IntCC| {
            let c = l.b.ins().icmp(cc, a, b);
            l.b.ins().uextend(I64, c)
        };
        match op {
            BinOp::Add => self.b.ins().iadd(a, b),
            BinOp::Sub => self.b.ins().isub(a, b),
            BinOp::Mul => self.b.ins().imul(a, b),
            BinOp::MulH => self.b.ins().smulhi(a, b),
            BinOp::MulHU => self.b.ins().umulhi(a, b),
            BinOp::MulHSU => {
                // signed a = unsigned a - 2^64 * (a < 0), so the high half
                // loses b when a is negative.
                let hi = self.b.ins().umulhi(a, b);
                let neg = self.b.ins().icmp_imm_s(IntCC::SignedLessThan, a, 0);
                let zero = self.iconst(I64, 0);
                let fix = self.b.ins().select(neg, b, zero);
                self.b.ins().isub(hi, fix)
            }
            BinOp::Div => self.sdiv(I64, a, b, false),
            BinOp::Rem => self.sdiv(I64, a, b, true),
            BinOp::DivU => self.udiv(I64, a, b, false),
            BinOp::RemU => self.udiv(I64, a, b, true),
            BinOp::And => self.b.ins().band(a, b),
            BinOp::Or => self.b.ins().bor(a, b),
            BinOp::Xor => self.b.ins().bxor(a, b),
            BinOp::AndN => self.b.ins().band_not(a, b),
            BinOp::OrN => self.b.ins().bor_not(a, b),
            BinOp::Xnor => self.b.ins().bxor_not(a, b),
            // Cranelift shifts and rotates take the amount modulo the width.
            BinOp::Shl => self.b.ins().ishl(a, b),
            BinOp::ShrL => self.b.ins().ushr(a, b),
            BinOp::ShrA => self.b.ins().sshr(a, b),
            BinOp::Rol => self.b.ins().rotl(a, b),
            BinOp::Ror => self.b.ins().rotr(a, b),
            BinOp::AddW => {
                let r = self.b.ins().iadd(a, b);
                self.sext32(r)
            }
            BinOp::SubW => {
                let r = self.b.ins().isub(a, b);
                self.sext32(r)
            }
            BinOp::MulW => {
                let r = self.b.ins().imul(a, b);
                self.sext32(r)
            }
            BinOp::DivW | BinOp::RemW | BinOp::DivUW | BinOp::RemUW => {
                let (wa, wb) = self.low32(a, b);
                let r = match op {
                    BinOp::DivW => self.sdiv(I32, wa, wb, false),
                    BinOp::RemW => self.sdiv(I32, wa, wb, true),
                    BinOp::DivUW => self.udiv(I32, wa, wb, false),
                    _ => self.udiv(I32, wa, wb, true),
                };
                self.b.ins().sextend(I64, r)
            }
            BinOp::ShlW | BinOp::ShrLW | BinOp::ShrAW | BinOp::RolW | BinOp::RorW => {
                let (wa, wb) = self.low32(a, b);
                let r = match op {
                    BinOp::ShlW => self.b.ins().ishl(wa, wb),
                    BinOp::ShrLW => self.b.ins().ushr(wa, wb),
                    BinOp::ShrAW => self.b.ins().sshr(wa, wb),
                    BinOp::RolW => self.b.ins().rotl(wa, wb),
                    _ => self.b.ins().rotr(wa, wb),
                };
                self.b.ins().sextend(I64, r)
            }
            BinOp::Min => self.b.ins().smin(a, b),
            BinOp::MinU => self.b.ins().umin(a, b),
            BinOp::Max => self.b.ins().smax(a, b),
            BinOp::MaxU => self.b.ins().umax(a, b),
            BinOp::Eq => cmp(self, IntCC::Equal),
            BinOp::Ne => cmp(self, IntCC::NotEqual),
            BinOp::Lt => cmp(self, IntCC::SignedLessThan),
            BinOp::LtU => cmp(self, IntCC::UnsignedLessThan),
            BinOp::Ge => cmp(self, IntCC::SignedGreaterThanOrEqual),
            BinOp::GeU => cmp(self, IntCC::UnsignedGreaterThanOrEqual),
        }
    }

    fn unop(&mut self, op: UnOp, a: V) -> V {
        let narrow = |l: &mut Self, ty: Type| {
            let n = l.b.ins().ireduce(ty, a);
            l.b.ins().sextend(I64, n)
        };
        let w32 = |l: &mut Self, f: fn(&mut FunctionBuilder, V) -> V| {
            let n = l.b.ins().ireduce(I32, a);
            let r = f(&mut l.b, n);
            l.b.ins().uextend(I64, r)
        };
        match op {
            UnOp::Not => self.b.ins().bnot(a),
            UnOp::Neg => self.b.ins().ineg(a),
            UnOp::Clz => self.b.ins().clz(a),
            UnOp::Ctz => self.b.ins().ctz(a),
            UnOp::Cpop => self.b.ins().popcnt(a),
            UnOp::ClzW => w32(self, |b, v| b.ins().clz(v)),
            UnOp::CtzW => w32(self, |b, v| b.ins().ctz(v)),
            UnOp::CpopW => w32(self, |b, v| b.ins().popcnt(v)),
            UnOp::SextB => narrow(self, I8),
            UnOp::SextH => narrow(self, I16),
            UnOp::SextW => narrow(self, I32),
            UnOp::ZextB => self.b.ins().band_imm_s(a, 0xff),
            UnOp::ZextH => self.b.ins().band_imm_s(a, 0xffff),
            UnOp::ZextW => self.b.ins().band_imm_s(a, 0xffff_ffff),
            UnOp::Rev8 => self.b.ins().bswap(a),
            UnOp::OrcB => {
                // Bit 7 of each byte of `t` is set iff the byte of `a` is
                // nonzero (the masked add cannot carry across bytes); then
                // spread it to the whole byte.
                const LOW7: i64 = 0x7f7f_7f7f_7f7f_7f7f;
                let m = self.b.ins().band_imm_s(a, LOW7);
                let m = self.b.ins().iadd_imm_s(m, LOW7);
                let t = self.b.ins().bor(m, a);
                let t = self.b.ins().band_imm_s(t, 0x8080_8080_8080_8080_u64 as i64);
                let ones = self.b.ins().ushr_imm_s(t, 7);
                self.b.ins().imul_imm_s(ones, 0xff)
            }
        }
    }

    fn terminator(&mut self) {
        // Every way out leaves `CpuState` in sync; on a branch, both ways.
        self.sync();
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
                let (a, b) = (self.val(a), self.val(b));
                let c = self.b.ins().icmp(int_cc(cond), a, b);
                let (t, f) = self.split(c, false);
                self.b.switch_to_block(t);
                self.link_exit(taken, abi::LINK_TAKEN);
                self.b.switch_to_block(f);
                self.link_exit(fallthrough, abi::LINK_FALLTHROUGH);
            }
            Terminator::JumpIndirect { target, .. } => {
                let pc = self.val(target);
                self.indirect_exit(pc);
            }
            Terminator::Trap { kind, pc, next_pc } => {
                let (code, pc, retired) = abi::trap_exit(kind, pc, next_pc, n);
                self.sync();
                let pc = self.iconst(I64, pc as i64);
                let instret = self.instret_after(retired);
                self.exit(pc, instret, code);
            }
        }
    }
}

#[cfg(test)]
mod live_tests {
    use super::*;

    fn block(text: &str) -> Block {
        vm_ir::parse_block(text).expect("parses")
    }

    /// Only registers some path reads before setting are loaded at entry:
    /// `x11` is set by the head before its successor reads it, `x13` only
    /// set; the loop member's `x12` and the exit member's `x14` are live.
    #[test]
    fn only_registers_read_before_set_are_live_at_the_head() {
        let mut region = Region::single(block(
            "block 0x1000 .. 0x1008:
  @0x1000
  v0 = get x10
  set x11, v0
  @0x1004
  v2 = const 0x0
  br eq v0, v2, 0x1010, 0x1008
",
        ));
        region.push(block(
            "block 0x1008 .. 0x1010:
  @0x1008
  v0 = get x11
  v1 = get x12
  v2 = add v0, v1
  set x13, v2
  @0x100c
  jump 0x1000
",
        ));
        region.push(block(
            "block 0x1010 .. 0x1014:
  @0x1010
  v0 = get x14
  set x10, v0
  jump 0x2000
",
        ));
        let want = [10, 12, 14].iter().fold(0u64, |m, &r| m | 1 << r);
        assert_eq!(live_at_head(&region), want);
    }

    /// A register a loop reads before the head sets it again is live at
    /// the head only if the head reads it first: here the head sets `x5`
    /// before the loop body reads it, so it is not loaded.
    #[test]
    fn a_register_set_by_the_head_before_the_loop_reads_it_is_not_live() {
        let mut region = Region::single(block(
            "block 0x1000 .. 0x1004:
  @0x1000
  v0 = const 0x7
  set x5, v0
  jump 0x1004
",
        ));
        region.push(block(
            "block 0x1004 .. 0x100c:
  @0x1004
  v0 = get x5
  v1 = add v0, -1
  set x5, v1
  @0x1008
  v3 = const 0x0
  br ne v1, v3, 0x1004, 0x100c
",
        ));
        assert_eq!(live_at_head(&region), 0);
    }
}
