//! Compiled FP operations against the interpreter (which calls
//! `vm_core::fpu`, the reference) on special and random operands, flag
//! states and rounding modes; and checks that the inline fast path is what
//! runs in the common case, and the helper in the others (the helpers are
//! counted: in tests `lower_fp` calls the wrappers below).

use crate::abi::{self, JitCtx, LinkData};
use crate::compiler::Compiler;
use crate::region::Region;
use crate::test_rng::Rng;
use std::cell::Cell;
use vm_core::{CpuState, fpu};
use vm_engine::interp::{BlockEnd, InterpBlock, Slots};
use vm_ir::{
    Block, Builder, CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, Global, Inst, RoundMode, Terminator,
};
use vm_mem::{ARENA_GUARD_BYTES, GUEST_SPACE_BYTES, GuestMemory};

thread_local! {
    /// Helper calls made by compiled code on this thread.
    static SLOW_CALLS: Cell<u64> = const { Cell::new(0) };
}

fn slow_calls() -> u64 {
    SLOW_CALLS.with(Cell::get)
}

fn count() {
    SLOW_CALLS.with(|c| c.set(c.get() + 1));
}

/// Counting [`crate::helpers::fbinary`].
///
/// # Safety
/// As the helper.
pub(crate) unsafe extern "C" fn fbinary(cpu: *mut CpuState, p: u32, a: u64, b: u64) -> u64 {
    count();
    // SAFETY: forwarded caller contract.
    unsafe { crate::helpers::fbinary(cpu, p, a, b) }
}

/// Counting [`crate::helpers::funary`].
///
/// # Safety
/// As the helper.
pub(crate) unsafe extern "C" fn funary(cpu: *mut CpuState, p: u32, a: u64) -> u64 {
    count();
    // SAFETY: forwarded caller contract.
    unsafe { crate::helpers::funary(cpu, p, a) }
}

/// Counting [`crate::helpers::fma`].
///
/// # Safety
/// As the helper.
pub(crate) unsafe extern "C" fn fma(cpu: *mut CpuState, p: u32, a: u64, b: u64, c: u64) -> u64 {
    count();
    // SAFETY: forwarded caller contract.
    unsafe { crate::helpers::fma(cpu, p, a, b, c) }
}

/// Counting [`crate::helpers::fcvt`].
///
/// # Safety
/// As the helper.
pub(crate) unsafe extern "C" fn fcvt(cpu: *mut CpuState, p: u32, a: u64) -> u64 {
    count();
    // SAFETY: forwarded caller contract.
    unsafe { crate::helpers::fcvt(cpu, p, a) }
}

const NX: u64 = fpu::FLAG_NX;

/// Double-precision operands: specials, both sides of every boundary the
/// guards test, the tininess-after-rounding pair (`(1 - 2^-53) * 2^-1022`
/// rounds up to the least normal but is tiny), and random values.
fn d_values(rng: &mut Rng) -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0,
        1,                     // least subnormal
        0x000f_ffff_ffff_ffff, // greatest subnormal
        0x0010_0000_0000_0000, // least normal
        0x0010_0000_0000_0001,
        0x0020_0000_0000_0000,
        0x3fef_ffff_ffff_ffff, // 1 - 2^-53
        0x3ff0_0000_0000_0000, // 1
        0x3ff8_0000_0000_0000, // 1.5
        0x4000_0000_0000_0000, // 2
        0x4008_0000_0000_0000, // 3
        0x3fb9_9999_9999_999a, // 0.1
        0x2000_0000_0000_0000, // 2^-511
        0x2000_0000_0000_0001,
        0x1ff0_0000_0000_0000, // 2^-512
        0x5fe0_0000_0000_0000, // 2^511
        0x7fe0_0000_0000_0000, // 2^1023
        0x7fef_ffff_ffff_ffff, // greatest finite
        0x7ff0_0000_0000_0000, // inf
        0x7ff8_0000_0000_0000, // canonical NaN
        0x7ff4_0000_0000_0000, // signaling NaN
        0x7ff8_0000_dead_beef, // NaN with payload
        0x41e0_0000_0000_0000, // 2^31
        0x41df_ffff_ffc0_0000, // 2^31 - 1
        0x41e0_0000_0020_0000, // 2^31 + 1
        0x41ef_ffff_ffe0_0000, // 2^32 - 1
        0x41f0_0000_0000_0000, // 2^32
        0x43e0_0000_0000_0000, // 2^63
        0x43df_ffff_ffff_ffff, // below 2^63
        0x43f0_0000_0000_0000, // 2^64
        0x43ef_ffff_ffff_ffff, // below 2^64
        0x3fe0_0000_0000_0000, // 0.5
        0x3fef_ffff_ffff_fffe, // 0.999...
        0x4340_0000_0000_0001, // 2^54 + 2: beyond exact
        0x3810_0000_0000_0000, // least normal single
        0x380f_ffff_ffff_ffff, // just below it
        0x47ef_ffff_e000_0000, // greatest finite single
        0x47ef_ffff_f000_0000, // rounds up to single inf
        0x36a0_0000_0000_0000, // least subnormal single
    ];
    let n = v.len();
    for i in 0..n {
        v.push(v[i] | 1 << 63);
    }
    for _ in 0..24 {
        // Moderate magnitudes: the common case.
        let e = 1023 - 30 + rng.below(60);
        v.push(rng.next() & (1 << 63 | ((1 << 52) - 1)) | e << 52);
    }
    for _ in 0..12 {
        v.push(rng.next());
    }
    v
}

/// Single-precision register values: boxed specials and random values,
/// and a few unboxed ones (which read as the canonical NaN).
fn s_values(rng: &mut Rng) -> Vec<u64> {
    let mut w: Vec<u32> = vec![
        0,
        1,
        0x007f_ffff,
        0x0080_0000,
        0x0080_0001,
        0x0100_0000,
        0x3f7f_ffff, // 1 - 2^-24
        0x3f80_0000,
        0x3fc0_0000,
        0x4000_0000,
        0x4040_0000,
        0x3dcc_cccd,
        0x2000_0000, // 2^-63
        0x2000_0001,
        0x1f80_0000, // 2^-64
        0x5f00_0000,
        0x7f00_0000,
        0x7f7f_ffff,
        0x7f80_0000,
        0x7fc0_0000,
        0x7fa0_0000,
        0x7fc0_beef,
        0x4f00_0000, // 2^31
        0x4eff_ffff,
        0x4f80_0000, // 2^32
        0x4f7f_ffff,
        0x5f00_0000, // 2^63
        0x5eff_ffff,
        0x5f80_0000, // 2^64
        0x5f7f_ffff,
        0x3f00_0000,
        0x3f7f_fffe,
        0x4b80_0001, // 2^24 + 2
    ];
    let n = w.len();
    for i in 0..n {
        w.push(w[i] | 1 << 31);
    }
    for _ in 0..24 {
        let e = 127 - 20 + rng.below(40) as u32;
        w.push(rng.next() as u32 & 0x807f_ffff | e << 23);
    }
    for _ in 0..8 {
        w.push(rng.next() as u32);
    }
    let mut v: Vec<u64> = w.into_iter().map(fpu::nan_box).collect();
    v.extend([
        0x3f80_0000,
        0x0000_0001_3f80_0000,
        0x7fff_ffff_3f80_0000,
        rng.next(),
    ]);
    v
}

fn values(fmt: FpFmt, rng: &mut Rng) -> Vec<u64> {
    match fmt {
        FpFmt::S => s_values(rng),
        FpFmt::D => d_values(rng),
    }
}

/// Integer operands for conversions to FP.
fn int_values(rng: &mut Rng) -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0,
        1,
        2,
        (1 << 24) - 1,
        1 << 24,
        (1 << 24) + 1,
        (1 << 53) + 1,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0001,
        i64::MAX as u64,
        1 << 63,
        u64::MAX,
    ];
    let n = v.len();
    for i in 0..n {
        v.push(v[i].wrapping_neg());
    }
    for _ in 0..16 {
        let r = rng.next();
        v.push(r);
        v.push(r >> rng.below(64));
    }
    v
}

/// A block of one FP instruction reading `f1`/`f2`/`f3` (or `x1` for
/// integer conversion sources) and writing `x5`.
fn block(make: impl FnOnce(&mut Builder, [vm_ir::Value; 3]) -> Inst, int_src: bool) -> Block {
    let mut b = Builder::new(0x1000);
    b.begin_insn(0x1000);
    let a = b.get(if int_src { Global::X(1) } else { Global::F(1) });
    let y = b.get(Global::F(2));
    let c = b.get(Global::F(3));
    let inst = make(&mut b, [a, y, c]);
    let r = b.push(inst);
    b.set(Global::X(5), r);
    b.finish(Terminator::Jump { target: 0x1004 }, 0x1004)
}

/// One block compiled and pre-decoded, to run both ways.
struct Pair {
    code: *const u8,
    _link: Box<LinkData>,
    interp: InterpBlock,
}

fn prepare(c: &mut Compiler, block: &Block) -> Pair {
    vm_ir::verify(block).expect("test block is valid IR");
    let mut link = Box::new(LinkData::new(c.stub(), 1, 0, block.start_pc));
    let code = c
        .compile(&Region::single(block.clone()), &mut link, 0, 0)
        .expect("block compiles");
    Pair {
        code: code.ptr,
        _link: link,
        interp: InterpBlock::from_ir(block),
    }
}

/// The JIT state after running `p` from `cpu`, and whether it ran to the end.
fn run_jit(c: &Compiler, p: &Pair, mut cpu: CpuState, mem: &GuestMemory) -> (CpuState, bool) {
    let mut ctx = JitCtx::new(mem);
    let base = mem.base() as usize;
    let arena = (
        base,
        base + (GUEST_SPACE_BYTES + ARENA_GUARD_BYTES) as usize,
    );
    // SAFETY: `p.code` was compiled by `c` for the block contract against
    // the arena `ctx` describes, in `c`'s code memory; its link data is
    // alive; `cpu` is ours.
    let r = unsafe {
        crate::hostfault::call(c.enter(), &mut cpu, &mut ctx, p.code, c.code_range(), arena)
    };
    (cpu, r == abi::EXIT_NEXT)
}

fn run_interp(p: &Pair, mut cpu: CpuState, mem: &GuestMemory) -> (CpuState, bool) {
    let mut slots = Slots::new();
    slots.reserve(p.interp.slots_needed());
    slots.load_from(&cpu);
    let end = p.interp.exec(&mut slots, &mut cpu, mem);
    slots.store_to(&mut cpu);
    (cpu, matches!(end, BlockEnd::Next { .. }))
}

/// Run `p` both ways on every operand triple in `ops` under every flag
/// state and `frm` in `envs`; returns the helper calls the JIT made and
/// the runs that completed (a reserved `frm` stops `dyn` instructions).
fn compare(
    c: &Compiler,
    p: &Pair,
    mem: &GuestMemory,
    what: &str,
    ops: &[[u64; 3]],
    envs: &[(u64, u64)],
) -> (u64, u64) {
    let before = slow_calls();
    let mut completed = 0;
    for &[a, b, d] in ops {
        for &(fflags, frm) in envs {
            let mut cpu = CpuState::default();
            cpu.x[1] = a;
            cpu.f[1] = a;
            cpu.f[2] = b;
            cpu.f[3] = d;
            cpu.fflags = fflags;
            cpu.frm = frm;
            let (j, jok) = run_jit(c, p, cpu.clone(), mem);
            let (i, iok) = run_interp(p, cpu, mem);
            assert_eq!(
                jok, iok,
                "{what} {a:#x} {b:#x} {d:#x} fflags {fflags} frm {frm}"
            );
            if jok {
                completed += 1;
                assert_eq!(
                    (j.x[5], j.fflags),
                    (i.x[5], i.fflags),
                    "{what} {a:#x} {b:#x} {d:#x} fflags {fflags} frm {frm}: (result, fflags)"
                );
            }
            assert_eq!((&j.x, &j.f), (&i.x, &i.f), "{what}: registers");
        }
    }
    (slow_calls() - before, completed)
}

/// Flag states and `frm` values a rounding mode is run under: `dyn` also
/// under directed and reserved modes.
fn envs(rm: RoundMode) -> Vec<(u64, u64)> {
    let mut e = vec![(0, 0), (NX, 0), (0x1f, 0), (fpu::FLAG_UF, 0)];
    if rm == RoundMode::Dyn {
        e.extend([(NX, 1), (NX, 2), (0, 3), (NX, 4), (NX, 5), (NX, 7)]);
    }
    e
}

fn pairs(vals: &[u64]) -> Vec<[u64; 3]> {
    let mut v = Vec::new();
    for &a in vals {
        for &b in vals {
            v.push([a, b, 0]);
        }
    }
    v
}

/// What `Compiler` asks the ISA (the fast path needs host FMA).
fn host_has_fma() -> bool {
    use cranelift_codegen::settings;
    cranelift_native::builder()
        .expect("host supported")
        .finish(settings::Flags::new(settings::builder()))
        .expect("host ISA")
        .has_native_fma()
}

fn compiler() -> Compiler {
    Compiler::new("none", "backtracking", 16 << 20).expect("host supported")
}

#[test]
fn binary_ops_match_the_interpreter() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = compiler();
    let mut rng = Rng(0x5eed_f00d);
    for &fmt in FpFmt::ALL {
        let ops = pairs(&values(fmt, &mut rng));
        for &op in FBinOp::ALL {
            let rms: &[RoundMode] = match op {
                FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div => {
                    &[RoundMode::Rne, RoundMode::Dyn, RoundMode::Rup]
                }
                _ => &[RoundMode::Rne],
            };
            for &rm in rms {
                let p = prepare(
                    &mut c,
                    &block(|_, [a, b, _]| Inst::FBinary { op, fmt, rm, a, b }, false),
                );
                let (slow, runs) =
                    compare(&c, &p, &mem, &format!("{op}.{fmt}.{rm}"), &ops, &envs(rm));
                // The helper ran for some operands (NaNs at least) and not
                // for others, except where no fast path exists.
                if matches!(op, FBinOp::Sgnj | FBinOp::Sgnjn | FBinOp::Sgnjx) {
                    assert_eq!(slow, 0, "{op}.{fmt}: sign injection is inline");
                } else if rm == RoundMode::Rup {
                    assert_eq!(slow, runs, "{op}.{fmt}.{rm}: always the helper");
                } else {
                    assert!(0 < slow && slow < runs, "{op}.{fmt}.{rm}: {slow} of {runs}");
                }
            }
        }
    }
}

#[test]
fn sqrt_and_class_match_the_interpreter() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = compiler();
    let mut rng = Rng(0xabcd_1234);
    for &fmt in FpFmt::ALL {
        let ops: Vec<[u64; 3]> = values(fmt, &mut rng)
            .into_iter()
            .map(|a| [a, 0, 0])
            .collect();
        for &op in FUnOp::ALL {
            for rm in [RoundMode::Rne, RoundMode::Dyn, RoundMode::Rdn] {
                let p = prepare(
                    &mut c,
                    &block(|_, [a, _, _]| Inst::FUnary { op, fmt, rm, a }, false),
                );
                let (slow, runs) =
                    compare(&c, &p, &mem, &format!("{op}.{fmt}.{rm}"), &ops, &envs(rm));
                if op == FUnOp::Sqrt && rm != RoundMode::Rdn {
                    assert!(0 < slow && slow < runs, "{op}.{fmt}.{rm}: {slow} of {runs}");
                } else {
                    assert_eq!(slow, runs, "{op}.{fmt}.{rm}");
                }
            }
        }
    }
}

#[test]
fn fused_multiply_add_matches_the_interpreter() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = compiler();
    let mut rng = Rng(0x0f0f_5555);
    for &fmt in FpFmt::ALL {
        let vals = values(fmt, &mut rng);
        let mut ops = Vec::new();
        for _ in 0..6000 {
            let mut pick = || vals[rng.below(vals.len() as u64) as usize];
            ops.push([pick(), pick(), pick()]);
        }
        // Products near the least normal with small or cancelling addends.
        let (one_less, min_normal, half) = match fmt {
            FpFmt::S => (
                fpu::nan_box(0x3f7f_ffff),
                fpu::nan_box(0x0080_0000),
                fpu::nan_box(0x3f00_0000),
            ),
            FpFmt::D => (
                0x3fef_ffff_ffff_ffff,
                0x0010_0000_0000_0000,
                0x3fe0_0000_0000_0000,
            ),
        };
        let neg = |v: u64| match fmt {
            FpFmt::S => v ^ 1 << 31,
            FpFmt::D => v ^ 1 << 63,
        };
        let zero = match fmt {
            FpFmt::S => fpu::nan_box(0),
            FpFmt::D => 0,
        };
        ops.extend([
            [one_less, min_normal, zero],
            [min_normal, half, zero],
            [min_normal, half, min_normal],
            [half, min_normal, neg(min_normal)],
            [one_less, one_less, neg(one_less)],
            [zero, one_less, neg(zero)],
        ]);
        for &op in FmaOp::ALL {
            for rm in [RoundMode::Rne, RoundMode::Dyn, RoundMode::Rmm] {
                let p = prepare(
                    &mut c,
                    &block(
                        |_, [a, b, c]| Inst::Fma {
                            op,
                            fmt,
                            rm,
                            a,
                            b,
                            c,
                        },
                        false,
                    ),
                );
                let (slow, runs) =
                    compare(&c, &p, &mem, &format!("{op}.{fmt}.{rm}"), &ops, &envs(rm));
                if rm == RoundMode::Rmm || !host_has_fma() {
                    assert_eq!(slow, runs, "{op}.{fmt}.{rm}: always the helper");
                } else {
                    assert!(0 < slow && slow < runs, "{op}.{fmt}.{rm}: {slow} of {runs}");
                }
            }
        }
    }
}

#[test]
fn conversions_match_the_interpreter() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = compiler();
    let mut rng = Rng(0x7777_2222);
    let ints: Vec<[u64; 3]> = int_values(&mut rng)
        .into_iter()
        .map(|a| [a, 0, 0])
        .collect();
    for &from in CvtTy::ALL {
        for &to in CvtTy::ALL {
            if from == to || (!from.is_float() && !to.is_float()) {
                continue;
            }
            let ops: Vec<[u64; 3]> = match from {
                CvtTy::S => values(FpFmt::S, &mut rng)
                    .into_iter()
                    .map(|a| [a, 0, 0])
                    .collect(),
                CvtTy::D => values(FpFmt::D, &mut rng)
                    .into_iter()
                    .map(|a| [a, 0, 0])
                    .collect(),
                _ => ints.clone(),
            };
            for rm in [
                RoundMode::Rne,
                RoundMode::Dyn,
                RoundMode::Rtz,
                RoundMode::Rdn,
            ] {
                let p = prepare(
                    &mut c,
                    &block(
                        |_, [a, _, _]| Inst::FCvt { to, from, rm, a },
                        !from.is_float(),
                    ),
                );
                let what = format!("fcvt.{to}.{from}.{rm}");
                let (slow, runs) = compare(&c, &p, &mem, &what, &ops, &envs(rm));
                let exact = matches!((from, to), (CvtTy::W | CvtTy::WU, CvtTy::D));
                let rounds_to_float = !from.is_float() || (from, to) == (CvtTy::D, CvtTy::S);
                if exact {
                    assert_eq!(slow, 0, "{what}: always inline");
                } else if (from, to) == (CvtTy::S, CvtTy::D)
                    || (rounds_to_float && matches!(rm, RoundMode::Rne | RoundMode::Dyn))
                    || (!to.is_float() && rm == RoundMode::Rtz)
                {
                    assert!(0 < slow && slow < runs, "{what}: {slow} of {runs}");
                } else {
                    assert_eq!(slow, runs, "{what}: always the helper");
                }
            }
        }
    }
}

/// The fast path runs exactly when the guards say: normal operands under
/// RNE with NX set (or exact results); the helper otherwise.
#[test]
fn fast_path_is_taken_in_the_common_case_only() {
    let mem = GuestMemory::new().expect("arena");
    let mut c = compiler();
    let mul = |fmt, rm| {
        block(
            move |_, [a, b, _]| Inst::FBinary {
                op: FBinOp::Mul,
                fmt,
                rm,
                a,
                b,
            },
            false,
        )
    };
    let one_d = 1.5f64.to_bits();
    let three_d = 3.25f64.to_bits();
    let one_s = fpu::nan_box(1.5f32.to_bits());
    let three_s = fpu::nan_box(3.25f32.to_bits());
    // (fmt, rm, a, b, fflags, frm, helper expected)
    let cases = [
        (FpFmt::D, RoundMode::Rne, one_d, three_d, NX, 0, false),
        (FpFmt::D, RoundMode::Rne, one_d, three_d, 0, 0, true),
        (FpFmt::D, RoundMode::Rne, one_d, three_d, 0x1e, 0, true),
        (FpFmt::D, RoundMode::Dyn, one_d, three_d, NX, 0, false),
        (FpFmt::D, RoundMode::Dyn, one_d, three_d, NX, 1, true),
        (FpFmt::D, RoundMode::Rtz, one_d, three_d, NX, 0, true),
        (
            FpFmt::D,
            RoundMode::Rne,
            one_d,
            0x7ff8_0000_0000_0000,
            NX,
            0,
            true,
        ),
        (FpFmt::D, RoundMode::Rne, one_d, 0, NX, 0, false),
        (
            FpFmt::D,
            RoundMode::Rne,
            0,
            0x7ff0_0000_0000_0000,
            NX,
            0,
            true,
        ),
        (
            FpFmt::D,
            RoundMode::Rne,
            0x2000_0000_0000_0000,
            0x1ff0_0000_0000_0000,
            NX,
            0,
            true,
        ),
        (FpFmt::S, RoundMode::Rne, one_s, three_s, NX, 0, false),
        (
            FpFmt::S,
            RoundMode::Rne,
            one_s,
            three_s & 0xffff_fffe_ffff_ffff,
            NX,
            0,
            true,
        ),
        (
            FpFmt::S,
            RoundMode::Rne,
            one_s,
            fpu::nan_box(0x7f7f_ffff),
            NX,
            0,
            true,
        ),
    ];
    for (fmt, rm, a, b, fflags, frm, helper) in cases {
        let p = prepare(&mut c, &mul(fmt, rm));
        let (slow, runs) = compare(&c, &p, &mem, "fmul", &[[a, b, 0]], &[(fflags, frm)]);
        assert_eq!(runs, 1);
        assert_eq!(
            slow,
            u64::from(helper),
            "fmul.{fmt}.{rm} {a:#x} {b:#x} {fflags} {frm}"
        );
    }
    // fcvt.w.d, rtz: exact or under NX inline; inexact without NX, or out
    // of range, the helper.
    let cvt = prepare(
        &mut c,
        &block(
            |_, [a, _, _]| Inst::FCvt {
                to: CvtTy::W,
                from: CvtTy::D,
                rm: RoundMode::Rtz,
                a,
            },
            false,
        ),
    );
    let cases = [
        (-7.0f64, 0, false),
        (-7.5, NX, false),
        (-7.5, 0, true),
        (2_147_483_647.0, 0, false),
        (2_147_483_648.0, NX, true),
        (-2_147_483_648.9, NX, false),
        (-2_147_483_649.0, NX, true),
    ];
    for (x, fflags, helper) in cases {
        let (slow, runs) = compare(
            &c,
            &cvt,
            &mem,
            "fcvt",
            &[[x.to_bits(), 0, 0]],
            &[(fflags, 0)],
        );
        assert_eq!(runs, 1);
        assert_eq!(slow, u64::from(helper), "fcvt.w.d.rtz {x} fflags {fflags}");
    }
}
