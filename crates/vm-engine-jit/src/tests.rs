//! Unit tests of compiled IR blocks: every integer operation against
//! `vm_ir::eval_binop`/`eval_unop` (the reference semantics) on edge values,
//! memory accesses and their fault exits, and the exit protocol. Each
//! block is compiled by Cranelift and by the baseline's direct emitter,
//! and the two must agree on every run. Whole
//! programs compared against the interpreter are in `tests/differential.rs`.

use crate::abi::{self, JitCtx, LinkData};
use crate::compiler::Compiler;
use crate::region::Region;
use crate::test_rng::Rng;
use crate::{hostfault, sites};
use vm_core::CpuState;
use vm_ir::{BinOp, Block, Builder, Global, MemTy, Terminator, UnOp, eval_binop, eval_unop};
use vm_mem::{ARENA_GUARD_BYTES, Backing, GUEST_SPACE_BYTES, GuestMemory, MapFlags, Perm};

const EDGES: &[u64] = &[
    0,
    1,
    2,
    3,
    7,
    31,
    32,
    33,
    63,
    64,
    65,
    0x7f,
    0x80,
    0xff,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0x1_0000_0000,
    0x1_8000_0005,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000_0000_0000,
    0xffff_ffff_8000_0000,
    0xffff_ffff_ffff_fffe,
    u64::MAX,
    0x0100_2000_0000_0003,
    0x0123_4567_89ab_cdef,
];

/// A test block compiled twice: by Cranelift, and (as a baseline block,
/// its hot count never reached) by the direct emitter, with their link data
/// (which the code addresses).
struct Compiled {
    cranelift: *const u8,
    direct: *const u8,
    /// Kept alive for the code.
    _links: [Box<LinkData>; 2],
}

/// Run one compiled block's code `code` on `cpu` against `mem`; returns
/// the exit code. Host faults in the code return `EXIT_HOST_FAULT`, as in
/// the engine.
fn run_code(c: &Compiler, code: *const u8, cpu: &mut CpuState, mem: &GuestMemory) -> (u64, JitCtx) {
    run_code_until(c, code, cpu, mem, u64::MAX)
}

/// As [`run_code`], with the budget check point at `instret_limit`.
fn run_code_until(
    c: &Compiler,
    code: *const u8,
    cpu: &mut CpuState,
    mem: &GuestMemory,
    instret_limit: u64,
) -> (u64, JitCtx) {
    let mut ctx = JitCtx::new(mem);
    ctx.instret_limit = instret_limit;
    let base = mem.base() as usize;
    let arena = (
        base,
        base + (GUEST_SPACE_BYTES + ARENA_GUARD_BYTES) as usize,
    );
    // SAFETY: `code` was compiled by `c` for the block contract against the
    // arena that `ctx` describes, its link data is alive (unlinked: every
    // slot is `c`'s stub); `cpu` is exclusively borrowed; the code lies in
    // `c`'s code memory.
    let r = unsafe { hostfault::call(c.enter(), cpu, &mut ctx, code, c.code_range(), arena) };
    (r, ctx)
}

/// Run both compiles of a block on `cpu` (the direct emitter's last, on
/// the state the Cranelift code started from) and check they agree: exit
/// code, CPU state, and for a host fault the access it names, unless the
/// Cranelift code restarts the block there (an access before the block
/// changed anything but registers: its site names the block's start and
/// nothing changed; see `lower::Lower::guest_host_addr`). Returns the
/// direct run's exit and context (`hostfault::fault_rip` is its fault's).
fn run(c: &Compiler, code: &Compiled, cpu: &mut CpuState, mem: &GuestMemory) -> (u64, JitCtx) {
    let start = cpu.clone();
    let (r1, ctx1) = run_code(c, code.cranelift, cpu, mem);
    let site1 =
        (r1 == abi::EXIT_HOST_FAULT).then(|| c.sites().lookup(hostfault::fault_rip(), ctx1.site));
    let after_cranelift = std::mem::replace(cpu, start.clone());
    let (r2, ctx2) = run_code(c, code.direct, cpu, mem);
    let site2 =
        (r2 == abi::EXIT_HOST_FAULT).then(|| c.sites().lookup(hostfault::fault_rip(), ctx2.site));
    assert_eq!(r1, r2, "exit codes of Cranelift's and the direct code");
    if let (Some(Some(s1)), Some(Some(s2))) = (site1, site2)
        && s1 != s2
    {
        assert_eq!(s1.retired, 0, "a restart names the block's start: {s1:?}");
        assert_eq!(
            after_cranelift, start,
            "a restart finds the state unchanged"
        );
        return (r2, ctx2);
    }
    assert_eq!(
        after_cranelift, *cpu,
        "CPU state after Cranelift's and the direct code"
    );
    assert_eq!(
        site1, site2,
        "faulting access of Cranelift's and the direct code"
    );
    (r2, ctx2)
}

/// Compile `block` twice (see [`Compiled`]) for any arena (the base from
/// the pinned register).
fn compile(c: &mut Compiler, block: &Block) -> Compiled {
    compile_for(c, block, 0)
}

/// As [`compile`], for the arena at host address `arena` (0: any).
fn compile_for(c: &mut Compiler, block: &Block, arena: usize) -> Compiled {
    vm_ir::verify(block).expect("test block is valid IR");
    let region = Region::single(block.clone());
    let mut link = Box::new(LinkData::new(c.stub(), 1, 0, block.start_pc));
    let cranelift = c
        .compile(&region, &mut link, 0, arena)
        .expect("block compiles");
    assert!(!cranelift.direct);
    let mut link2 = Box::new(LinkData::new(c.stub(), 1, 0, block.start_pc));
    let direct = c
        .compile(&region, &mut link2, u64::MAX, arena)
        .expect("block compiles");
    // The direct emitter takes every block but those with too many values
    // for its frame (then both compiles are Cranelift's).
    assert!(
        direct.direct || region.head().insts.len() > crate::baseline::VALUES_MAX,
        "the direct emitter takes blocks of up to VALUES_MAX values"
    );
    Compiled {
        cranelift: cranelift.ptr,
        direct: direct.ptr,
        _links: [link, link2],
    }
}

fn more_values(seed: u64) -> Vec<u64> {
    let mut s = seed;
    let mut v = EDGES.to_vec();
    for _ in 0..40 {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        v.push(s);
    }
    v
}

#[test]
fn binops_match_reference_semantics() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    let vals = more_values(0x1234_5678);
    for &op in BinOp::ALL {
        // x3 = op(x1, x2); x4 = op(x1, 5) through the immediate form.
        let mut b = Builder::new(0x1000);
        b.begin_insn(0x1000);
        let x = b.get(Global::X(1));
        let y = b.get(Global::X(2));
        let r = b.binary(op, x, y);
        b.set(Global::X(3), r);
        b.begin_insn(0x1004);
        let x = b.get(Global::X(1));
        let r = b.binary_imm(op, x, -5);
        b.set(Global::X(4), r);
        let code = compile(
            &mut c,
            &b.finish(Terminator::Jump { target: 0x2000 }, 0x1008),
        );
        for &a in &vals {
            for &bb in &vals {
                let mut cpu = CpuState::default();
                cpu.x[1] = a;
                cpu.x[2] = bb;
                let (r, _) = run(&c, &code, &mut cpu, &mem);
                assert_eq!(r, abi::EXIT_NEXT);
                assert_eq!(cpu.x[3], eval_binop(op, a, bb), "{op} {a:#x}, {bb:#x}");
                assert_eq!(cpu.x[4], eval_binop(op, a, -5i64 as u64), "{op} {a:#x}, -5");
                assert_eq!((cpu.pc, cpu.instret), (0x2000, 2));
                assert_eq!((cpu.x[1], cpu.x[2]), (a, bb), "sources untouched");
            }
        }
    }
}

#[test]
fn unops_match_reference_semantics() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let vals = more_values(0x9999);
    for &op in UnOp::ALL {
        let mut b = Builder::new(0x1000);
        b.begin_insn(0x1000);
        let x = b.get(Global::F(7));
        let r = b.unary(op, x);
        b.set(Global::X(5), r);
        let code = compile(
            &mut c,
            &b.finish(Terminator::Jump { target: 0x1004 }, 0x1004),
        );
        for &a in &vals {
            let mut cpu = CpuState::default();
            cpu.f[7] = a;
            run(&c, &code, &mut cpu, &mem);
            assert_eq!(cpu.x[5], eval_unop(op, a), "{op} {a:#x}");
        }
    }
}

#[test]
fn branch_selects_target_and_x0_reads_zero() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    for &cond in vm_ir::Cond::ALL {
        let mut b = Builder::new(0x1000);
        b.begin_insn(0x1000);
        let x = b.get(Global::X(1));
        let z = b.get(Global::X(0));
        let block = b.finish(
            Terminator::Branch {
                cond,
                a: x,
                b: z,
                taken: 0x5000,
                fallthrough: 0x1004,
            },
            0x1004,
        );
        let code = compile(&mut c, &block);
        for &a in EDGES {
            let mut cpu = CpuState::default();
            cpu.x[1] = a;
            run(&c, &code, &mut cpu, &mem);
            let want = if cond.eval(a, 0) { 0x5000 } else { 0x1004 };
            assert_eq!(cpu.pc, want, "{cond} {a:#x}");
        }
    }
}

/// The ways to compile guest accesses for `mem`: for any arena (base in
/// the pinned register) and for `mem`'s own (its base as a displacement,
/// when it is low enough: see `lower::arena_disp`).
fn arenas(mem: &GuestMemory) -> [usize; 2] {
    [0, mem.base() as usize]
}

/// Memory: one RW page at 0x20000, one R page at 0x21000, 0x22000 unmapped.
fn scratch_memory() -> GuestMemory {
    let mem = GuestMemory::new().expect("arena");
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(0x20000, 0x1000, Perm::RW, fixed, Backing::Anonymous, "")
        .expect("map rw");
    mem.map(0x21000, 0x1000, Perm::R, fixed, Backing::Anonymous, "")
        .expect("map r");
    mem
}

/// insn 0: x5 = 1; insn 1: x6 = load.ty [x1 + off]; insn 2: store.ty
/// [x2 + off], x6; then jump.
fn load_store_block(ty: MemTy, off: i32) -> Block {
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let one = b.iconst(1);
    b.set(Global::X(5), one);
    b.begin_insn(0x1004);
    let a = b.get(Global::X(1));
    let v = b.load(ty, a, off);
    b.set(Global::X(6), v);
    b.begin_insn(0x1008);
    let a = b.get(Global::X(2));
    let v = b.get(Global::X(6));
    b.store(ty, a, off, v);
    b.finish(Terminator::Jump { target: 0x100c }, 0x100c)
}

#[test]
fn loads_and_stores_extend_and_write_little_endian() {
    let mem = scratch_memory();
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    let pattern: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(37) ^ 0x80).collect();
    mem.write_bytes(0x20000, &pattern).expect("write");
    // Offset 3: the loaded values are positive for 16 and 32 bits; 6:
    // negative (each extension is checked both ways).
    for (off, arena) in [3, 6]
        .into_iter()
        .flat_map(|o| arenas(&mem).map(|a| (o, a)))
    {
        for &ty in MemTy::ALL {
            let code = compile_for(&mut c, &load_store_block(ty, off as i32), arena);
            let mut cpu = CpuState::default();
            cpu.x[1] = 0x20000;
            cpu.x[2] = 0x20100;
            let (r, _) = run(&c, &code, &mut cpu, &mem);
            assert_eq!(r, abi::EXIT_NEXT, "{ty}");
            let mut raw = [0u8; 8];
            raw.copy_from_slice(&pattern[off..off + 8]);
            let want = ty.extend(u64::from_le_bytes(raw));
            assert_eq!(cpu.x[6], want, "{ty} at {off}");
            let n = ty.bytes() as usize;
            let mut back = vec![0u8; n];
            mem.read_bytes(0x20100 + off as u64, &mut back)
                .expect("read");
            assert_eq!(back, pattern[off..off + n], "{ty} stored bytes");
        }
    }
}

#[test]
fn faults_exit_with_precise_state() {
    let mem = scratch_memory();
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    // Every refused access is a host fault (EXIT_HOST_FAULT) naming its
    // access: the host MMU's, or for an address outside the guest space
    // an access to the arena's guard.
    // (load base, store base, offset, type, faulting pc)
    let cases: &[(u64, u64, i32, MemTy, u64)] = &[
        // load from an unmapped page
        (0x22000, 0x20000, 8, MemTy::I64, 0x1004),
        // load crossing from R into unmapped
        (0x21ffc, 0x20000, 0, MemTy::I64, 0x1004),
        // load beyond the guest space, address wrapping
        (u64::MAX - 2, 0x20000, 0, MemTy::U32, 0x1004),
        (1 << 38, 0x20000, 0, MemTy::U8, 0x1004),
        // load starting in the space and running past its end
        (1 << 38, 0x20000, -1, MemTy::U16, 0x1004),
        // store to a read-only page
        (0x20000, 0x21000, 0, MemTy::U8, 0x1008),
        // store crossing RW into R
        (0x20000, 0x20ffe, 0, MemTy::U32, 0x1008),
        // store beyond the guest space
        (0x20000, 1 << 40, 0, MemTy::U32, 0x1008),
    ];
    mem.write_bytes(0x20ff8, &[0x5a; 8]).expect("write");
    for (&(la, sa, off, ty, want_pc), arena) in
        cases.iter().flat_map(|c| arenas(&mem).map(|a| (c, a)))
    {
        let code = compile_for(&mut c, &load_store_block(ty, off), arena);
        let mut cpu = CpuState::default();
        cpu.x[1] = la;
        cpu.x[2] = sa;
        cpu.x[6] = 0xdead;
        cpu.instret = 100;
        let (r, ctx) = run(&c, &code, &mut cpu, &mem);
        let what = format!("{la:#x} {sa:#x} {ty}");
        assert_eq!(r, abi::EXIT_HOST_FAULT, "{what}");
        let insn = (want_pc - 0x1000) / 4;
        let site = c
            .sites()
            .lookup(hostfault::fault_rip(), ctx.site)
            .expect("a recorded site");
        assert_eq!(site.pc, want_pc, "{what}");
        assert_eq!(cpu.instret + u64::from(site.retired), 100 + insn, "{what}");
        assert_eq!(cpu.x[5], 1, "earlier instruction's write is visible");
        if want_pc == 0x1004 {
            assert_eq!(cpu.x[6], 0xdead, "faulting load wrote nothing");
        }
        let mut tail = [0u8; 8];
        mem.read_bytes(0x20ff8, &mut tail).expect("read");
        assert_eq!(tail, [0x5a; 8], "a faulting store wrote nothing");
    }
}

#[test]
fn trap_exit_codes_and_instret() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    let kinds = [
        (vm_ir::TrapKind::Syscall, abi::EXIT_SYSCALL, 0x1004, 1),
        (vm_ir::TrapKind::Breakpoint, abi::EXIT_BREAKPOINT, 0x1004, 1),
        (
            vm_ir::TrapKind::Illegal { raw: 0xdead_beef },
            abi::EXIT_ILLEGAL | 0xdead_beef << 32,
            0x1004,
            1,
        ),
        (vm_ir::TrapKind::FenceI, abi::EXIT_FENCE_I, 0x1008, 2),
    ];
    for (kind, want, pc, retired) in kinds {
        let mut b = Builder::new(0x1000);
        b.begin_insn(0x1000);
        let v = b.iconst(42);
        b.set(Global::X(10), v);
        b.begin_insn(0x1004);
        let block = b.finish(
            Terminator::Trap {
                kind,
                pc: 0x1004,
                next_pc: 0x1008,
            },
            0x1008,
        );
        let code = compile(&mut c, &block);
        let mut cpu = CpuState::default();
        let (r, _) = run(&c, &code, &mut cpu, &mem);
        assert_eq!(r, want, "{kind:?}");
        assert_eq!((cpu.pc, cpu.instret, cpu.x[10]), (pc, retired, 42));
    }
}

#[test]
fn host_faults_past_the_trap_codes_find_their_access_too() {
    // More accesses than trap codes: the later ones are found through the
    // site number the code stores.
    let mem = scratch_memory();
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    let n = sites::TRAP_CODES as u64 + 40;
    for fault_at in [
        3,
        sites::TRAP_CODES as u64 - 1,
        sites::TRAP_CODES as u64 + 7,
    ] {
        // A store first, so that Cranelift's sites for the loads name their
        // own instructions too (see `faults_before_a_store_restart_the_block`).
        let mut b = Builder::new(0x1000);
        b.begin_insn(0x1000);
        let a = b.get(Global::X(1));
        b.store(MemTy::U8, a, 0x800, a);
        for k in 0..n {
            b.begin_insn(0x1004 + 4 * k);
            let reg = if k == fault_at { 2 } else { 1 };
            let a = b.get(Global::X(reg));
            let v = b.load(MemTy::U8, a, k as i32);
            b.set(Global::X(5), v);
        }
        let end = 0x1004 + 4 * n;
        let block = b.finish(Terminator::Jump { target: end }, end);
        let code = compile_for(&mut c, &block, mem.base() as usize);
        let mut cpu = CpuState::default();
        cpu.x[1] = 0x20000;
        cpu.x[2] = 0x22000;
        cpu.instret = 7;
        let (r, ctx) = run(&c, &code, &mut cpu, &mem);
        assert_eq!(r, abi::EXIT_HOST_FAULT, "fault at access {fault_at}");
        let site = c
            .sites()
            .lookup(hostfault::fault_rip(), ctx.site)
            .expect("a recorded site");
        assert_eq!(site.pc, 0x1004 + 4 * fault_at);
        assert_eq!(cpu.instret + u64::from(site.retired), 7 + fault_at + 1);
    }
}

#[test]
fn faults_before_a_store_restart_the_block() {
    // Cranelift's code: an access before the block changed anything but
    // registers leaves `CpuState` as at the block's start and names the
    // start (the dispatcher repeats the block in the interpreter); the
    // direct emitter's writes through (compared in `run`).
    let mem = scratch_memory();
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    // (load base, store base): the load faults, then the store.
    for (la, sa) in [(0x22000, 0x20000), (0x20000, 0x21000), (1 << 45, 0x20000)] {
        for arena in arenas(&mem) {
            let code = compile_for(&mut c, &load_store_block(MemTy::I64, 0), arena);
            let mut cpu = CpuState::default();
            cpu.x[1] = la;
            cpu.x[2] = sa;
            cpu.x[6] = 0xdead;
            cpu.instret = 100;
            let start = cpu.clone();
            let (r, ctx) = run_code(&c, code.cranelift, &mut cpu, &mem);
            assert_eq!(r, abi::EXIT_HOST_FAULT, "{la:#x} {sa:#x}");
            let site = c
                .sites()
                .lookup(hostfault::fault_rip(), ctx.site)
                .expect("a recorded site");
            assert_eq!((site.pc, site.retired), (0x1000, 0), "{la:#x} {sa:#x}");
            assert_eq!(cpu, start, "{la:#x} {sa:#x}: nothing written");
            run(&c, &code, &mut cpu, &mem);
        }
    }
}

#[test]
fn faults_after_a_store_name_their_instruction() {
    // insn 0: x5 = 1; insn 1: store.u8 [x1], x5; insn 2: x6 = load [x2];
    // insn 3: store [x3], x6. Once the block has stored, a fault has the
    // registers written through and names the faulting instruction, in
    // both code generators' code (compared in `run`).
    let mem = scratch_memory();
    let mut c = Compiler::new("speed", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let one = b.iconst(1);
    b.set(Global::X(5), one);
    b.begin_insn(0x1004);
    let a = b.get(Global::X(1));
    let v = b.get(Global::X(5));
    b.store(MemTy::U8, a, 0, v);
    b.begin_insn(0x1008);
    let a = b.get(Global::X(2));
    let v = b.load(MemTy::I64, a, 0);
    b.set(Global::X(6), v);
    b.begin_insn(0x100c);
    let a = b.get(Global::X(3));
    let v = b.get(Global::X(6));
    b.store(MemTy::I64, a, 0, v);
    let block = b.finish(Terminator::Jump { target: 0x1010 }, 0x1010);
    // (x2, x3, faulting pc, x6 at the fault)
    let cases: &[(u64, u64, u64, u64)] = &[
        (0x22000, 0x20100, 0x1008, 0xdead),
        (1 << 39, 0x20100, 0x1008, 0xdead),
        (0x20000, 0x21000, 0x100c, 0x0807_0605_0403_0201),
    ];
    mem.write_bytes(0x20000, &[1, 2, 3, 4, 5, 6, 7, 8])
        .expect("write");
    for (&(x2, x3, want_pc, x6), arena) in cases.iter().flat_map(|c| arenas(&mem).map(|a| (c, a))) {
        let code = compile_for(&mut c, &block, arena);
        let mut cpu = CpuState::default();
        cpu.x[1] = 0x20010;
        cpu.x[2] = x2;
        cpu.x[3] = x3;
        cpu.x[6] = 0xdead;
        cpu.instret = 100;
        let (r, ctx) = run(&c, &code, &mut cpu, &mem);
        let what = format!("{x2:#x} {x3:#x}");
        assert_eq!(r, abi::EXIT_HOST_FAULT, "{what}");
        let site = c
            .sites()
            .lookup(hostfault::fault_rip(), ctx.site)
            .expect("a recorded site");
        assert_eq!(site.pc, want_pc, "{what}");
        let insn = (want_pc - 0x1000) / 4;
        assert_eq!(cpu.instret + u64::from(site.retired), 100 + insn, "{what}");
        assert_eq!(
            (cpu.x[5], cpu.x[6]),
            (1, x6),
            "{what}: registers written through"
        );
        let mut stored = [0u8; 1];
        mem.read_bytes(0x20010, &mut stored).expect("read");
        assert_eq!(stored, [1], "{what}: the first store happened");
        mem.write_bytes(0x20010, &[0]).expect("reset");
    }
}

#[test]
fn helper_calls_match_between_the_code_generators() {
    // FP with a dynamic rounding mode, CSRs, an AMO and LR/SC: the direct
    // emitter calls the helpers Cranelift's code calls (or inlines); both
    // must leave the same state, memory and exit, including the illegal
    // rounding mode and helper faults (unmapped, misaligned).
    use vm_ir::{AmoOp, AtomicWidth, Csr, CvtTy, FBinOp, FmaOp, FpFmt, Inst, RoundMode};
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let (x, y) = (b.get(Global::F(1)), b.get(Global::F(2)));
    let sum = b.push(Inst::FBinary {
        op: FBinOp::Add,
        fmt: FpFmt::D,
        rm: RoundMode::Dyn,
        a: x,
        b: y,
    });
    b.set(Global::F(3), sum);
    b.begin_insn(0x1004);
    let f3 = b.get(Global::F(3));
    let w = b.push(Inst::FCvt {
        to: CvtTy::W,
        from: CvtTy::D,
        rm: RoundMode::Rtz,
        a: f3,
    });
    b.set(Global::X(11), w);
    b.begin_insn(0x1008);
    let fl = b.push(Inst::CsrRead { csr: Csr::Fflags });
    b.set(Global::X(5), fl);
    b.begin_insn(0x100c);
    let n = b.push(Inst::CsrRead { csr: Csr::Instret });
    b.set(Global::X(7), n);
    b.begin_insn(0x1010);
    let (a1, a2) = (b.get(Global::X(1)), b.get(Global::X(2)));
    let old = b.push(Inst::Amo {
        op: AmoOp::Add,
        width: AtomicWidth::W,
        addr: a1,
        val: a2,
    });
    b.set(Global::X(8), old);
    b.begin_insn(0x1014);
    let a1 = b.get(Global::X(1));
    let r = b.push(Inst::LoadReserved {
        width: AtomicWidth::D,
        addr: a1,
    });
    b.set(Global::X(9), r);
    b.begin_insn(0x1018);
    let (a1, a2) = (b.get(Global::X(1)), b.get(Global::X(2)));
    let ok = b.push(Inst::StoreConditional {
        width: AtomicWidth::D,
        addr: a1,
        val: a2,
    });
    b.set(Global::X(10), ok);
    b.begin_insn(0x101c);
    let (x, y) = (b.get(Global::F(1)), b.get(Global::F(2)));
    let m = b.push(Inst::Fma {
        op: FmaOp::NMSub,
        fmt: FpFmt::S,
        rm: RoundMode::Dyn,
        a: x,
        b: y,
        c: x,
    });
    b.set(Global::F(4), m);
    b.begin_insn(0x1020);
    let v = b.get(Global::X(6));
    b.push(Inst::CsrWrite {
        csr: Csr::Fcsr,
        arg: v,
    });
    let code = compile(
        &mut c,
        &b.finish(Terminator::Jump { target: 0x1024 }, 0x1024),
    );
    // (frm, x1, expected exit, expected pc)
    let cases: &[(u64, u64, u64, u64)] = &[
        (0, 0x20000, abi::EXIT_NEXT, 0x1024),
        (3, 0x20008, abi::EXIT_NEXT, 0x1024),
        (5, 0x20000, abi::EXIT_ILLEGAL_RM, 0x1000),
        (1, 0x22000, abi::EXIT_HELPER_FAULT, 0x1010),
        (2, 0x20002, abi::EXIT_HELPER_FAULT, 0x1010),
        (0, 0x20004, abi::EXIT_HELPER_FAULT, 0x1014),
    ];
    let initial: Vec<u8> = (0..64u8).map(|i| i.wrapping_mul(91)).collect();
    for &(frm, x1, want, want_pc) in cases {
        let mut ends = Vec::new();
        for code_ptr in [code.cranelift, code.direct] {
            mem.write_bytes(0x20000, &initial).expect("write");
            let mut cpu = CpuState {
                frm,
                instret: 40,
                ..CpuState::default()
            };
            cpu.f[1] = 1.5f64.to_bits();
            cpu.f[2] = (-0.1f64).to_bits();
            cpu.x[1] = x1;
            cpu.x[2] = 0x1234_5678_9abc_def0;
            cpu.x[6] = 0xe5;
            let (r, _) = run_code(&c, code_ptr, &mut cpu, &mem);
            let mut after = vec![0u8; 64];
            mem.read_bytes(0x20000, &mut after).expect("read");
            assert_eq!((r, cpu.pc), (want, want_pc), "frm {frm} x1 {x1:#x}");
            ends.push((r, cpu, after));
        }
        assert_eq!(
            ends[0], ends[1],
            "frm {frm} x1 {x1:#x}: Cranelift's vs the direct code"
        );
    }
}

#[test]
fn reassociated_addresses_load_the_same_and_fault_the_same() {
    // `load [((x1 + 1024) + x2) - 1024]`: Cranelift's code computes the
    // address as `(x1 + x2) + 0` (see `Lower::effective_addr`); the value
    // and the faulting access must be those of the plain sum.
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let x = b.get(Global::X(1));
    let k = b.binary_imm(BinOp::Add, x, 1024);
    b.set(Global::X(5), k);
    b.begin_insn(0x1004);
    let y = b.get(Global::X(2));
    let sum = b.binary(BinOp::Add, k, y);
    b.set(Global::X(5), sum);
    b.begin_insn(0x1008);
    let v = b.load(MemTy::I32, sum, -1024);
    b.set(Global::X(6), v);
    let code = compile(
        &mut c,
        &b.finish(Terminator::Jump { target: 0x100c }, 0x100c),
    );
    mem.write_bytes(0x20010, &0x8765_4321u32.to_le_bytes())
        .expect("write");
    for (x1, x2, want) in [
        (0x20000, 0x10, Some(0xffff_ffff_8765_4321)),
        (0x10, 0x20000, Some(0xffff_ffff_8765_4321)),
        (0x22000, 0x10, None),
        (u64::MAX - 0x100, 0x20111, Some(0xffff_ffff_8765_4321)),
    ] {
        let mut cpu = CpuState::default();
        cpu.x[1] = x1;
        cpu.x[2] = x2;
        let (r, ctx) = run(&c, &code, &mut cpu, &mem);
        match want {
            Some(v) => {
                assert_eq!(r, abi::EXIT_NEXT, "{x1:#x} + {x2:#x}");
                assert_eq!(cpu.x[6], v, "{x1:#x} + {x2:#x}");
                assert_eq!(cpu.x[5], x1.wrapping_add(1024).wrapping_add(x2));
            }
            None => {
                assert_eq!(r, abi::EXIT_HOST_FAULT, "{x1:#x} + {x2:#x}");
                let site = c
                    .sites()
                    .lookup(hostfault::fault_rip(), ctx.site)
                    .expect("a recorded site");
                assert!(
                    site.pc == 0x1008 || (site.pc == 0x1000 && site.retired == 0),
                    "{site:?}"
                );
            }
        }
    }
}

// The direct emitter keeps values in a few host registers (r8-r11) and
// frame slots (`baseline::alloc`). The tests below give it more live
// values than registers, values live across calls (which kill those
// registers), long live ranges, shifts (rcx), `mulh` (rdx), stores from
// registers and helper arguments in r8 (Fma, SC). Each compares against
// Cranelift's code and, where the block is small enough to say, against
// values computed here.

/// `0x20000 + (v & mask)`: an address in the scratch page (8-aligned for
/// `mask` 0xff8).
fn scratch_addr(b: &mut Builder, v: vm_ir::Value, mask: i64) -> vm_ir::Value {
    let low = b.binary_imm(BinOp::And, v, mask);
    b.binary_imm(BinOp::Add, low, 0x20000)
}

/// A random straight-line block of `len` operations over x1..x15, f1
/// and the scratch page. Operands are drawn from every earlier value, so
/// many values are live at once and for long; with `calls`, across calls
/// (division and bit-count shims, FP, atomics), else with no call at all
/// (values stay in the emitter's registers as long as there are free
/// ones).
fn random_block(rng: &mut Rng, len: usize, calls: bool) -> Block {
    use vm_ir::{AmoOp, AtomicWidth, FBinOp, FmaOp, FpFmt, Inst, RoundMode};
    const IMMS: &[i64] = &[
        0,
        1,
        5,
        31,
        32,
        63,
        64,
        -1,
        -5,
        0x7fff_ffff,
        i32::MIN as i64,
        1 << 40,
        -(1 << 35),
    ];
    const TYS: &[MemTy] = &[
        MemTy::I8,
        MemTy::U8,
        MemTy::I16,
        MemTy::U16,
        MemTy::I32,
        MemTy::U32,
        MemTy::I64,
    ];
    let mut b = Builder::new(0x1000);
    let mut pc = 0x1000;
    b.begin_insn(pc);
    let (binops, unops): (Vec<BinOp>, Vec<UnOp>) = if calls {
        (BinOp::ALL.to_vec(), UnOp::ALL.to_vec())
    } else {
        let no_call = |i: &Inst| !crate::baseline::calls(i);
        let z = vm_ir::Value(0);
        (
            BinOp::ALL
                .iter()
                .copied()
                .filter(|&op| no_call(&Inst::Binary { op, a: z, b: z }))
                .collect(),
            UnOp::ALL
                .iter()
                .copied()
                .filter(|&op| no_call(&Inst::Unary { op, a: z }))
                .collect(),
        )
    };
    let mut vals: Vec<vm_ir::Value> = (1..6).map(|r| b.get(Global::X(r))).collect();
    vals.push(b.get(Global::F(1)));
    vals.push(b.iconst(0x8000_0000_0000_0007));
    for _ in 0..len {
        pc += 4;
        b.begin_insn(pc);
        let (x, y, z) = (rng.pick(&vals), rng.pick(&vals), rng.pick(&vals));
        let v = match rng.below(if calls { 20 } else { 16 }) {
            0..=4 => Some(b.binary(rng.pick(&binops), x, y)),
            5..=7 => Some(b.binary_imm(rng.pick(&binops), x, rng.pick(IMMS))),
            8 => Some(b.unary(rng.pick(&unops), x)),
            9 => Some(b.get(Global::X(1 + rng.below(15) as u8))),
            10 | 11 => {
                b.set(Global::X(1 + rng.below(15) as u8), x);
                None
            }
            12 | 13 => {
                let a = scratch_addr(&mut b, x, 0xff0);
                Some(b.load(rng.pick(TYS), a, 8))
            }
            14 | 15 => {
                let a = scratch_addr(&mut b, x, 0xff0);
                b.store(rng.pick(TYS), a, 4, y);
                None
            }
            16 => Some(b.push(Inst::FBinary {
                op: rng.pick(FBinOp::ALL),
                fmt: FpFmt::D,
                rm: RoundMode::Rne,
                a: x,
                b: y,
            })),
            17 => Some(b.push(Inst::Fma {
                op: rng.pick(FmaOp::ALL),
                fmt: FpFmt::D,
                rm: RoundMode::Rtz,
                a: x,
                b: y,
                c: z,
            })),
            18 => {
                let a = scratch_addr(&mut b, x, 0xff8);
                Some(b.push(Inst::Amo {
                    op: rng.pick(AmoOp::ALL),
                    width: rng.pick(AtomicWidth::ALL),
                    addr: a,
                    val: y,
                }))
            }
            _ => {
                let a = scratch_addr(&mut b, x, 0xff8);
                let width = rng.pick(AtomicWidth::ALL);
                let r = b.push(Inst::LoadReserved { width, addr: a });
                b.set(Global::X(16), r);
                pc += 4;
                b.begin_insn(pc);
                Some(b.push(Inst::StoreConditional {
                    width,
                    addr: a,
                    val: z,
                }))
            }
        };
        vals.extend(v);
    }
    // Keep the oldest values live to the end.
    for (k, &v) in vals.iter().take(8).enumerate() {
        b.set(Global::X(20 + k as u8), v);
    }
    let (a, c) = (rng.pick(&vals), rng.pick(&vals));
    b.finish(
        Terminator::Branch {
            cond: rng.pick(vm_ir::Cond::ALL),
            a,
            b: c,
            taken: 0x8000,
            fallthrough: 0x9000,
        },
        pc + 4,
    )
}

/// Run Cranelift's and the direct code of `code` from `start` with the
/// scratch page reset to `page` each time; both must leave the same exit,
/// CPU state and page. Returns the direct run's.
fn run_both_on_page(
    c: &Compiler,
    code: &Compiled,
    start: &CpuState,
    mem: &GuestMemory,
    page: &[u8],
) -> (u64, CpuState, Vec<u8>) {
    let mut ends = Vec::new();
    for ptr in [code.cranelift, code.direct] {
        mem.write_bytes(0x20000, page).expect("write");
        let mut cpu = start.clone();
        let (r, _) = run_code(c, ptr, &mut cpu, mem);
        let mut after = vec![0u8; page.len()];
        mem.read_bytes(0x20000, &mut after).expect("read");
        ends.push((r, cpu, after));
    }
    let direct = ends.pop().expect("two runs");
    assert!(
        ends[0] == direct,
        "Cranelift's vs the direct code: exits {} vs {}, x {:x?} vs {:x?}",
        ends[0].0,
        direct.0,
        ends[0].1.x,
        direct.1.x
    );
    direct
}

#[test]
fn random_blocks_match_between_the_code_generators() {
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 22).expect("host supported");
    let mut rng = Rng(0x5eed_0001);
    let page: Vec<u8> = (0..0x1000u32).map(|i| (i * 131 + 7) as u8).collect();
    for round in 0..120 {
        let len = 10 + rng.below(50) as usize;
        let block = random_block(&mut rng, len, round % 2 == 0);
        let code = compile(&mut c, &block);
        for _ in 0..3 {
            let mut cpu = CpuState {
                frm: 0,
                ..CpuState::default()
            };
            for r in 1..32 {
                cpu.x[r] = rng.pick(EDGES) ^ (rng.next() & rng.next());
            }
            cpu.f[1] = rng.next();
            let (r, _, _) = run_both_on_page(&c, &code, &cpu, &mem, &page);
            assert_eq!(r, abi::EXIT_NEXT, "round {round}");
        }
    }
}

#[test]
fn more_live_values_than_registers_keep_their_values() {
    // x1..x12 read, then each combined with a later one, then all written
    // back in reverse order: twelve values live at once, most in slots.
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let xs: Vec<_> = (1..=12).map(|r| b.get(Global::X(r))).collect();
    let mut sums = Vec::new();
    for k in 0..12 {
        b.begin_insn(0x1004 + 4 * k as u64);
        sums.push(b.binary(BinOp::Sub, xs[k], xs[(k + 5) % 12]));
    }
    b.begin_insn(0x1100);
    for k in (0..12).rev() {
        b.set(Global::X(13 + k as u8), sums[k]);
        b.set(Global::X(1 + k as u8), xs[11 - k]);
    }
    let code = compile(
        &mut c,
        &b.finish(Terminator::Jump { target: 0x2000 }, 0x1104),
    );
    let mut cpu = CpuState::default();
    for r in 1..=12 {
        cpu.x[r] = 0x1111_1111_1111_1111u64.wrapping_mul(r as u64) ^ (r as u64) << 60;
    }
    let start = cpu.clone();
    let (r, _) = run(&c, &code, &mut cpu, &mem);
    assert_eq!(r, abi::EXIT_NEXT);
    for k in 0..12 {
        let want = start.x[1 + k].wrapping_sub(start.x[1 + (k + 5) % 12]);
        assert_eq!(cpu.x[13 + k], want, "x{}", 13 + k);
        assert_eq!(cpu.x[1 + k], start.x[12 - k], "x{}", 1 + k);
    }
}

#[test]
fn values_live_across_calls_survive_them() {
    // Values read before a division (shim call), an FP op, an FMA (its
    // third argument in r8), an SC (its value in r8) and an AMO, and
    // used after them; the calls' own operands are values last used
    // there (in registers).
    use vm_ir::{AmoOp, AtomicWidth, FBinOp, FmaOp, FpFmt, Inst, RoundMode};
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let live: Vec<_> = (1..=6).map(|r| b.get(Global::X(r))).collect();
    b.begin_insn(0x1004);
    let (n, d) = (b.get(Global::X(7)), b.get(Global::X(8)));
    let q = b.binary(BinOp::DivU, n, d);
    let m = b.binary(BinOp::MulH, q, live[0]);
    b.begin_insn(0x1008);
    let (f1, f2, f3) = (
        b.get(Global::F(1)),
        b.get(Global::F(2)),
        b.get(Global::F(3)),
    );
    let s = b.push(Inst::FBinary {
        op: FBinOp::Mul,
        fmt: FpFmt::D,
        rm: RoundMode::Rne,
        a: f1,
        b: f2,
    });
    b.begin_insn(0x100c);
    // c first: it is in r8 (the first pool register) and is the call's
    // fourth argument there; a and b are moved out of r9, r10 first.
    let fma = b.push(Inst::Fma {
        op: FmaOp::MAdd,
        fmt: FpFmt::D,
        rm: RoundMode::Rne,
        a: f3,
        b: s,
        c: f1,
    });
    b.begin_insn(0x1010);
    let addr = b.iconst(0x20010);
    let r = b.push(Inst::LoadReserved {
        width: AtomicWidth::D,
        addr,
    });
    b.begin_insn(0x1014);
    let v = b.get(Global::X(9));
    let sc = b.push(Inst::StoreConditional {
        width: AtomicWidth::D,
        addr,
        val: v,
    });
    b.begin_insn(0x1018);
    let old = b.push(Inst::Amo {
        op: AmoOp::Add,
        width: AtomicWidth::D,
        addr,
        val: live[5],
    });
    b.begin_insn(0x101c);
    for (k, &x) in live.iter().enumerate() {
        b.set(Global::X(10 + k as u8), x);
    }
    b.set(Global::X(16), q);
    b.set(Global::X(17), m);
    b.set(Global::X(18), r);
    b.set(Global::X(19), sc);
    b.set(Global::X(20), old);
    b.set(Global::F(4), fma);
    let code = compile(
        &mut c,
        &b.finish(Terminator::Jump { target: 0x2000 }, 0x1020),
    );
    let page: Vec<u8> = (0..64u8).collect();
    let mut cpu = CpuState::default();
    for r in 1..=9 {
        cpu.x[r] = 0x0123_4567_89ab_cdefu64.rotate_left(7 * r as u32);
    }
    cpu.f[1] = 1.25f64.to_bits();
    cpu.f[2] = 3.0f64.to_bits();
    cpu.f[3] = (-0.5f64).to_bits();
    let (exit, end, after) = run_both_on_page(&c, &code, &cpu, &mem, &page);
    assert_eq!(exit, abi::EXIT_NEXT);
    let x = &cpu.x;
    for k in 0..6 {
        assert_eq!(end.x[10 + k], x[1 + k], "x{} across the calls", 10 + k);
    }
    let q = x[7] / x[8];
    assert_eq!(end.x[16], q);
    assert_eq!(end.x[17], eval_binop(BinOp::MulH, q, x[1]));
    let mem_word = u64::from_le_bytes(page[16..24].try_into().expect("8 bytes"));
    assert_eq!(end.x[18], mem_word, "lr");
    assert_eq!(end.x[19], 0, "sc succeeds");
    assert_eq!(end.x[20], x[9], "amo returns what sc stored");
    let stored = u64::from_le_bytes(after[16..24].try_into().expect("8 bytes"));
    assert_eq!(stored, x[9].wrapping_add(x[6]), "amo adds");
    assert_eq!(f64::from_bits(end.f[4]), -0.5 * 3.75 + 1.25, "fma");
}

#[test]
fn shifts_and_stores_take_operands_from_registers() {
    // Shift counts from values in pool registers (moved to cl), `mulh`
    // (rdx) with live values around, and stores whose address and value
    // are both in pool registers, at every width.
    let mem = scratch_memory();
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let (x1, x2, x3, x4) = (
        b.get(Global::X(1)),
        b.get(Global::X(2)),
        b.get(Global::X(3)),
        b.get(Global::X(4)),
    );
    let shl = b.binary(BinOp::Shl, x1, x2);
    let sraw = b.binary(BinOp::ShrAW, x3, x2);
    let ror = b.binary(BinOp::Ror, x4, x3);
    let hi = b.binary(BinOp::MulHU, shl, x4);
    b.begin_insn(0x1004);
    let base = b.get(Global::X(5));
    b.store(MemTy::I64, base, 0, shl);
    b.begin_insn(0x1008);
    b.store(MemTy::U32, base, 8, sraw);
    b.begin_insn(0x100c);
    b.store(MemTy::U16, base, 12, ror);
    b.begin_insn(0x1010);
    b.store(MemTy::U8, base, 14, hi);
    b.begin_insn(0x1014);
    b.set(Global::X(6), shl);
    b.set(Global::X(7), sraw);
    b.set(Global::X(8), ror);
    b.set(Global::X(9), hi);
    b.set(Global::X(10), x1);
    let code = compile(
        &mut c,
        &b.finish(Terminator::Jump { target: 0x2000 }, 0x1018),
    );
    let page = vec![0xaau8; 32];
    for (a, s, t, u) in [
        (0x0123_4567_89ab_cdef, 3, 0x8000_0000_0000_0021, u64::MAX),
        (u64::MAX, 67, 0x7fff_fff0, 0x1234_5678_9abc_def0),
        (1, 63, 0xffff_ffff_8000_0000, 0xff),
    ] {
        let mut cpu = CpuState::default();
        cpu.x[1..=5].copy_from_slice(&[a, s, t, u, 0x20000]);
        let (exit, end, after) = run_both_on_page(&c, &code, &cpu, &mem, &page);
        assert_eq!(exit, abi::EXIT_NEXT);
        let want = [
            eval_binop(BinOp::Shl, a, s),
            eval_binop(BinOp::ShrAW, t, s),
            eval_binop(BinOp::Ror, u, t),
            eval_binop(BinOp::MulHU, eval_binop(BinOp::Shl, a, s), u),
        ];
        assert_eq!(end.x[6..10], want, "{a:#x} {s} {t:#x} {u:#x}");
        assert_eq!(end.x[10], a);
        assert_eq!(after[0..8], want[0].to_le_bytes());
        assert_eq!(after[8..12], want[1].to_le_bytes()[..4]);
        assert_eq!(after[12..14], want[2].to_le_bytes()[..2]);
        assert_eq!(after[14], want[3] as u8);
        assert_eq!(after[15..], page[15..], "nothing else written");
    }
}

/// The direct emitter's link exits: unlinked, a block returns `EXIT_NEXT`
/// with `pc` at its successor and the slot named in `link_from`; once the
/// slot holds the successor's code, its direct jump (patched with the
/// slot) runs the successor without returning, and `pc` is set by
/// whatever exit the chain leaves by; unlinked again, it returns again;
/// and the budget check point returns before the jump with `pc` set.
#[test]
fn direct_link_jumps_follow_their_slots() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    // A (0x1000): x5 += 1, jump 0x2000. B (0x2000): x6 = x5 * 2, jump 0x3000.
    let mut a = Builder::new(0x1000);
    a.begin_insn(0x1000);
    let x = a.get(Global::X(5));
    let r = a.binary_imm(BinOp::Add, x, 1);
    a.set(Global::X(5), r);
    let a = a.finish(Terminator::Jump { target: 0x2000 }, 0x1004);
    let mut b = Builder::new(0x2000);
    b.begin_insn(0x2000);
    let x = b.get(Global::X(5));
    let r = b.binary(BinOp::Add, x, x);
    b.set(Global::X(6), r);
    let b = b.finish(Terminator::Jump { target: 0x3000 }, 0x2004);
    let mut link_a = Box::new(LinkData::new(c.stub(), 1, 0, 0x1000));
    let code_a = c
        .compile(&Region::single(a), &mut link_a, u64::MAX, 0)
        .expect("A compiles");
    let mut link_b = Box::new(LinkData::new(c.stub(), 1, 0, 0x2000));
    let code_b = c
        .compile(&Region::single(b), &mut link_b, u64::MAX, 0)
        .expect("B compiles");
    assert!(code_a.direct && code_b.direct);
    let word = LinkData::word(0, abi::LINK_TAKEN);
    assert_eq!(
        link_a.patches.len(),
        1,
        "one direct jump, for the taken slot"
    );
    let patch = link_a.patches[0];
    assert_eq!(patch.word, word);
    assert_eq!(patch.at % 4, 0, "rel32 aligned");
    let rel32_target = |p: &abi::JumpPatch| {
        // SAFETY: `p.at` is 4 bytes of published code in `c`'s memory.
        let d = unsafe { std::ptr::read_unaligned(p.at as *const i32) };
        (p.at as i64 + 4 + d as i64) as usize
    };
    assert_eq!(rel32_target(&patch), patch.slow, "unlinked: the slow path");

    let start = |cpu: &mut CpuState| {
        cpu.x[5] = 10;
        cpu.x[6] = 0;
        cpu.pc = 0x1000;
        cpu.instret = 0;
    };
    let mut cpu = CpuState::default();
    start(&mut cpu);
    let (r, ctx) = run_code(&c, code_a.ptr, &mut cpu, &mem);
    assert_eq!(
        (r, cpu.pc, cpu.x[5], cpu.x[6]),
        (abi::EXIT_NEXT, 0x2000, 11, 0)
    );
    assert_eq!(
        ctx.link_from,
        abi::from_tag(&*link_a as *const LinkData as usize, 0, 0)
    );

    crate::shared::store_slot(&mut link_a, word, code_b.ptr as usize);
    assert_eq!(rel32_target(&link_a.patches[0]), code_b.ptr as usize);
    start(&mut cpu);
    let (r, ctx) = run_code(&c, code_a.ptr, &mut cpu, &mem);
    assert_eq!(
        (r, cpu.pc, cpu.x[5], cpu.x[6]),
        (abi::EXIT_NEXT, 0x3000, 11, 22)
    );
    assert_eq!(cpu.instret, 2);
    assert_eq!(
        ctx.link_from,
        abi::from_tag(&*link_b as *const LinkData as usize, 0, 0)
    );

    // The budget: A's exit reaches the limit, so it returns with pc set.
    start(&mut cpu);
    let (r, ctx) = run_code_until(&c, code_a.ptr, &mut cpu, &mem, 1);
    assert_eq!(
        (r, cpu.pc, cpu.x[6], ctx.link_from),
        (abi::EXIT_NEXT, 0x2000, 0, 0)
    );

    crate::shared::store_slot(&mut link_a, word, c.stub());
    assert_eq!(
        rel32_target(&link_a.patches[0]),
        patch.slow,
        "unlinked again"
    );
    start(&mut cpu);
    let (r, _) = run_code(&c, code_a.ptr, &mut cpu, &mem);
    assert_eq!((r, cpu.pc, cpu.x[6]), (abi::EXIT_NEXT, 0x2000, 0));
}

/// `EXIT_HOT` sets `pc` to the block (a linked predecessor's direct jump
/// does not), for both code generators.
#[test]
fn hot_exits_set_pc() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let x = b.get(Global::X(5));
    b.set(Global::X(6), x);
    let block = b.finish(Terminator::Jump { target: 0x2000 }, 0x1004);
    for direct in [true, false] {
        c.set_direct(direct);
        let mut link = Box::new(LinkData::new(c.stub(), 1, 0, 0x1000));
        let code = c
            .compile(&Region::single(block.clone()), &mut link, 1, 0)
            .expect("compiles");
        assert_eq!(code.direct, direct);
        let mut cpu = CpuState {
            pc: 0x5000,
            ..CpuState::default()
        };
        let (r, _) = run_code(&c, code.ptr, &mut cpu, &mem);
        assert_eq!((r, cpu.pc), (abi::EXIT_HOT, 0x1000), "direct: {direct}");
    }
}

/// insn 0: x5 = load.u8 [x1]; insn 1: x6 = load.i64 [x1 + off] (the same
/// IR value as base); then jump.
fn two_loads_block(off: i32) -> Block {
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let a = b.get(Global::X(1));
    let v = b.load(MemTy::U8, a, 0);
    b.set(Global::X(5), v);
    b.begin_insn(0x1004);
    let v = b.load(MemTy::I64, a, off);
    b.set(Global::X(6), v);
    b.finish(Terminator::Jump { target: 0x1008 }, 0x1008)
}

/// An access at a larger offset from an address already tested to be in
/// the guest space is not tested again (`sites::tested_before`): past the
/// space's end it meets the arena's guard, and faults as a tested one
/// would; a smaller offset is tested (it could wrap below the arena).
#[test]
fn accesses_past_a_tested_address_fault_in_the_guard() {
    let mem = GuestMemory::new().expect("arena");
    let top = GUEST_SPACE_BYTES - 0x1000;
    let fixed = MapFlags {
        fixed: true,
        ..MapFlags::default()
    };
    mem.map(top, 0x1000, Perm::RW, fixed, Backing::Anonymous, "")
        .expect("map the last page");
    mem.map(0x20000, 0x1000, Perm::RW, fixed, Backing::Anonymous, "")
        .expect("map rw");
    mem.map(0x10000, 0x1000, Perm::RW, fixed, Backing::Anonymous, "")
        .expect("map the lowest page");
    mem.write_bytes(GUEST_SPACE_BYTES - 8, &[7; 8])
        .expect("write");
    let mut c = Compiler::new("none", "backtracking", 1 << 20).expect("host supported");
    // (base, offset of the second load, whether it faults)
    let cases: &[(u64, i32, bool)] = &[
        (GUEST_SPACE_BYTES - 8, 0, false),
        (GUEST_SPACE_BYTES - 8, 8, true),
        (GUEST_SPACE_BYTES - 8, 4088, true),
        (GUEST_SPACE_BYTES - 8, 4089, true),
        (GUEST_SPACE_BYTES - 8, i32::MAX, true),
        (0x20000, -8, true),
        // Below a tested address: wraps below 0, outside the arena.
        (0x10004, -0x20000, true),
        (0x20000, 0xff8, false),
    ];
    for (&(base, off, faults), arena) in cases.iter().flat_map(|c| arenas(&mem).map(|a| (c, a))) {
        let code = compile_for(&mut c, &two_loads_block(off), arena);
        let mut cpu = CpuState::default();
        cpu.x[1] = base;
        cpu.x[6] = 0xdead;
        let (r, ctx) = run(&c, &code, &mut cpu, &mem);
        let what = format!("{base:#x} + {off}");
        if faults {
            assert_eq!(r, abi::EXIT_HOST_FAULT, "{what}");
            let site = c
                .sites()
                .lookup(hostfault::fault_rip(), ctx.site)
                .expect("a recorded site");
            // The second load faults: the direct emitter's site (`run`
            // returns its run) names it. (Cranelift's restarts the block,
            // nothing stored yet; `run` checks that.)
            assert_eq!(site.pc, 0x1004, "{what}");
            assert_eq!(cpu.x[6], 0xdead, "{what}");
        } else {
            assert_eq!((r, cpu.pc), (abi::EXIT_NEXT, 0x1008), "{what}");
        }
    }
    // The direct emitter tests the second address only when it must.
    let mut size = |off| {
        let mut link = Box::new(LinkData::new(c.stub(), 1, 0, 0x1000));
        let region = Region::single(two_loads_block(off));
        c.compile(&region, &mut link, u64::MAX, 0)
            .expect("compiles")
            .bytes
    };
    let skipped = size(8);
    let tested = size(-8);
    assert!(skipped < tested, "{skipped} bytes, {tested} with the test");
}
