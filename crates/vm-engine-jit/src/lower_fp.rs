//! Lowering of the FP IR operations: an inline host (SSE/FMA) fast path
//! guarded by exactness conditions, and a call to the exact helper
//! (`vm_core::fpu` through [`crate::helpers`]) when they fail.
//!
//! Why: calling SoftFloat for every FP operation made FP-heavy code several
//! times slower than qemu, which runs the common case on the host FPU
//! ("hardfloat") and falls back to SoftFloat only when the host could
//! differ. This module does the same. The host's SSE operations are
//! correctly rounded IEEE 754 operations; they run in round-to-nearest-even
//! with exceptions masked and without flush-to-zero or denormals-are-zero
//! (the `MXCSR` state Rust threads run with; nothing in the VM changes it),
//! so a host result is bit-identical to RISC-V's whenever
//!
//! 1. the rounding mode is RNE: a static `rne`, or `dyn` with `frm == 0`
//!    (any other static mode always takes the helper), or the result is
//!    exact (exact zeros of products and quotients, exact conversions);
//! 2. no NaN is involved: the host propagates payloads where RISC-V returns
//!    the canonical NaN, and NaN operands raise NV;
//! 3. single-precision operands are properly NaN-boxed (an unboxed operand
//!    reads as the canonical NaN);
//!
//! and the flags the operation may raise are already set, or cannot be
//! raised. Flags accumulate in `CpuState::fflags`, so an inexact result
//! changes nothing once NX is set; the fast path requires NX for every
//! operation that may round, unless the guard proves the result exact (the
//! first inexact operation, run by the helper, sets NX). NV, DZ, OF and UF are never set by the fast path, so the guards
//! exclude every case that could raise them. They are checked on the host
//! *result*, which is cheaper than classifying the operands and covers them:
//!
//! - `fadd`/`fsub`: NV only for inf - inf, OF only with an infinite result;
//!   a tiny sum is always exact (both operands are multiples of the least
//!   subnormal), so UF cannot happen. Guard: the result is finite.
//! - `fmul`/`fdiv`/`fmadd` family: NV (inf*0, 0/0, inf/inf, inf-inf) and DZ
//!   (x/0) give NaN or infinite results; OF gives an infinite result; UF
//!   needs a tiny result. RISC-V detects tininess *after rounding*, so a
//!   result of exactly the least normal magnitude may still be tiny; any
//!   result strictly above it comes from an exact value above it, which is
//!   not tiny. Guard: `least normal < |result| < inf`. On the cold side a
//!   second guard accepts an exact zero: a product with a zero factor, or a
//!   quotient with a zero dividend, when the result is zero (so the other
//!   operand was neither NaN nor, for the product, infinite).
//! - `fsqrt`: NV only for NaN or negative operands (result NaN); never over-
//!   or underflows. Guard: the result is not NaN.
//! - comparisons, `fmin`/`fmax`: flags only for NaN operands. Guard: both
//!   operands ordered. Sign injection never raises anything: always inline.
//! - conversions: `fcvt.d.w[u]` is always exact; `fcvt.d.s` is exact except
//!   for NaN; integer to FP can only be inexact (no integer overflows a
//!   float); `fcvt.s.d` as the arithmetic case; FP to integer with a static
//!   `rtz` (C casts) when the truncated value is in range (else NV), under
//!   NX or when exact. Other conversions call the helper.
//!
//! The fast path costs a few integer instructions and one predictable branch
//! to a cold block that calls the helper.

use crate::helpers;
use cranelift_codegen::ir::condcodes::{FloatCC, IntCC};
use cranelift_codegen::ir::types::{F32, F64, I32, I64};
use cranelift_codegen::ir::{
    AbiParam, InstBuilder, MemFlagsData, SigRef, Signature, Type, Value as V, immediates::Ieee64,
};
use cranelift_codegen::isa::CallConv;
use cranelift_frontend::FunctionBuilder;
use entry::{fbinary as fbinary_fn, fcvt as fcvt_fn, fma as fma_fn, funary as funary_fn};
use vm_core::{CpuState, fpu};
use vm_ir::{CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};

/// Upper 32 bits of a NaN-boxed single.
const BOX: u64 = 0xffff_ffff_0000_0000;

/// Bit patterns of one format, as u64 (singles in the low 32 bits).
#[derive(Clone, Copy)]
struct Bits {
    sign: u64,
    /// Least normal magnitude.
    min_normal: u64,
    /// Infinity (also the least NaN magnitude).
    inf: u64,
}

impl Bits {
    fn of(fmt: FpFmt) -> Bits {
        match fmt {
            FpFmt::S => Bits {
                sign: 1 << 31,
                min_normal: 0x0080_0000,
                inf: 0x7f80_0000,
            },
            FpFmt::D => Bits {
                sign: 1 << 63,
                min_normal: 0x0010_0000_0000_0000,
                inf: 0x7ff0_0000_0000_0000,
            },
        }
    }
}

/// The packed (op, fmt, rm) helper argument.
fn pack<T: PartialEq>(all: &[T], op: T, fmt: FpFmt, rm: RoundMode) -> u32 {
    helpers::pack(
        helpers::index_of(all, &op),
        helpers::index_of(FpFmt::ALL, &fmt),
        helpers::index_of(RoundMode::ALL, &rm),
    )
}

fn float_ty(fmt: FpFmt) -> Type {
    match fmt {
        FpFmt::S => F32,
        FpFmt::D => F64,
    }
}

/// The helper call that computes an operation exactly: `f(cpu, packed,
/// operands...)`, where `params` are the types of the arguments after `cpu`.
struct Slow {
    f: usize,
    params: &'static [Type],
    packed: u32,
    operands: Vec<V>,
}

/// Lowers the FP operations of one function.
pub(crate) struct FpLower<'l, 'a> {
    /// The function being built, positioned where the operation goes.
    pub b: &'l mut FunctionBuilder<'a>,
    /// The `*mut CpuState` argument.
    pub cpu: V,
    /// The calling convention of helpers.
    pub call_conv: CallConv,
    /// Helper signatures already imported into the function, by parameter
    /// types (shared with the rest of the lowering).
    pub sigs: &'l mut Vec<(Vec<Type>, SigRef)>,
    /// Whether the host has a fused multiply-add instruction (else `fma`
    /// would be a libcall, which compiled code cannot make).
    pub has_fma: bool,
}

impl FpLower<'_, '_> {
    /// `op.fmt.rm a, b` (see [`vm_ir::Inst::FBinary`]); the caller has
    /// checked a `dyn` rounding mode against `frm`.
    pub(crate) fn fbinary(&mut self, op: FBinOp, fmt: FpFmt, rm: RoundMode, a: V, y: V) -> V {
        let slow = Slow {
            f: fbinary_fn as unsafe extern "C" fn(*mut CpuState, u32, u64, u64) -> u64 as usize,
            params: &[I32, I64, I64],
            packed: pack(FBinOp::ALL, op, fmt, rm),
            operands: vec![a, y],
        };
        match op {
            FBinOp::Sgnj | FBinOp::Sgnjn | FBinOp::Sgnjx => self.sign_inject(op, fmt, a, y),
            FBinOp::Eq | FBinOp::Lt | FBinOp::Le | FBinOp::Min | FBinOp::Max => {
                self.ordered_op(op, fmt, a, y, slow)
            }
            FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div => {
                self.arith(op, fmt, rm, a, y, slow)
            }
        }
    }

    /// `fadd`/`fsub`/`fmul`/`fdiv`.
    fn arith(&mut self, op: FBinOp, fmt: FpFmt, rm: RoundMode, a: V, y: V, slow: Slow) -> V {
        let Some(env) = self.env_ok(rm) else {
            return self.call(&slow);
        };
        let boxed = self.boxed(fmt, &[a, y]);
        let ok = self.and_opt(env, boxed);
        let (x, yf) = (self.as_float(fmt, a), self.as_float(fmt, y));
        let r = match op {
            FBinOp::Add => self.b.ins().fadd(x, yf),
            FBinOp::Sub => self.b.ins().fsub(x, yf),
            FBinOp::Mul => self.b.ins().fmul(x, yf),
            _ => self.b.ins().fdiv(x, yf),
        };
        let (r, bits) = self.float_result(fmt, r);
        if matches!(op, FBinOp::Add | FBinOp::Sub) {
            let fin = self.finite(fmt, bits);
            let ok = self.and(ok, fin);
            return self.guarded(ok, r, |_| None, &slow);
        }
        let normal = self.above_min_normal(fmt, bits);
        let ok = self.and(ok, normal);
        self.guarded(
            ok,
            r,
            |l| {
                // An exact zero: 0 * finite, 0 / nonzero (a NaN or an
                // infinite product would not be zero).
                let rz = l.is_zero(fmt, bits);
                let az = l.is_zero(fmt, a);
                let zero_in = if op == FBinOp::Mul {
                    let yz = l.is_zero(fmt, y);
                    l.b.ins().bor(az, yz)
                } else {
                    az
                };
                let t = l.and(rz, zero_in);
                let boxed = l.boxed(fmt, &[a, y]);
                Some(l.and_opt(t, boxed))
            },
            &slow,
        )
    }

    /// `op.fmt.rm a` (see [`vm_ir::Inst::FUnary`]).
    pub(crate) fn funary(&mut self, op: FUnOp, fmt: FpFmt, rm: RoundMode, a: V) -> V {
        let slow = Slow {
            f: funary_fn as unsafe extern "C" fn(*mut CpuState, u32, u64) -> u64 as usize,
            params: &[I32, I64],
            packed: pack(FUnOp::ALL, op, fmt, rm),
            operands: vec![a],
        };
        let env = match op {
            FUnOp::Sqrt => self.env_ok(rm),
            FUnOp::Class => None,
        };
        let Some(env) = env else {
            return self.call(&slow);
        };
        let boxed = self.boxed(fmt, &[a]);
        let ok = self.and_opt(env, boxed);
        let x = self.as_float(fmt, a);
        let r = self.b.ins().sqrt(x);
        let ordered = self.b.ins().fcmp(FloatCC::Ordered, r, r);
        let ok = self.and(ok, ordered);
        let (r, _) = self.float_result(fmt, r);
        self.guarded(ok, r, |_| None, &slow)
    }

    /// `op.fmt.rm a, b, c` (see [`vm_ir::Inst::Fma`]).
    pub(crate) fn fma(&mut self, op: FmaOp, fmt: FpFmt, rm: RoundMode, a: V, y: V, c: V) -> V {
        let slow = Slow {
            f: fma_fn as unsafe extern "C" fn(*mut CpuState, u32, u64, u64, u64) -> u64 as usize,
            params: &[I32, I64, I64, I64],
            packed: pack(FmaOp::ALL, op, fmt, rm),
            operands: vec![a, y, c],
        };
        let env = if self.has_fma { self.env_ok(rm) } else { None };
        let Some(env) = env else {
            return self.call(&slow);
        };
        let boxed = self.boxed(fmt, &[a, y, c]);
        let ok = self.and_opt(env, boxed);
        let (mut x, yf, mut z) = (
            self.as_float(fmt, a),
            self.as_float(fmt, y),
            self.as_float(fmt, c),
        );
        // Negating an operand is exact; NaN results take the helper anyway.
        if matches!(op, FmaOp::NMSub | FmaOp::NMAdd) {
            x = self.b.ins().fneg(x);
        }
        if matches!(op, FmaOp::MSub | FmaOp::NMAdd) {
            z = self.b.ins().fneg(z);
        }
        let r = self.b.ins().fma(x, yf, z);
        let (r, bits) = self.float_result(fmt, r);
        let normal = self.above_min_normal(fmt, bits);
        let ok = self.and(ok, normal);
        self.guarded(ok, r, |_| None, &slow)
    }

    /// `fcvt.to.from.rm a` (see [`vm_ir::Inst::FCvt`]).
    pub(crate) fn fcvt(&mut self, to: CvtTy, from: CvtTy, rm: RoundMode, a: V) -> V {
        let slow = Slow {
            f: fcvt_fn as unsafe extern "C" fn(*mut CpuState, u32, u64) -> u64 as usize,
            params: &[I32, I64],
            packed: helpers::pack(
                helpers::index_of(CvtTy::ALL, &to),
                helpers::index_of(CvtTy::ALL, &from),
                helpers::index_of(RoundMode::ALL, &rm),
            ),
            operands: vec![a],
        };
        match (from, to) {
            // Exact: every 32-bit integer is a double.
            (CvtTy::W | CvtTy::WU, CvtTy::D) => {
                let w = self.b.ins().ireduce(I32, a);
                let r = if from == CvtTy::W {
                    self.b.ins().fcvt_from_sint(F64, w)
                } else {
                    self.b.ins().fcvt_from_uint(F64, w)
                };
                self.float_result(FpFmt::D, r).0
            }
            // May only be inexact.
            (CvtTy::W | CvtTy::WU | CvtTy::L | CvtTy::LU, CvtTy::S | CvtTy::D) => {
                let Some(ok) = self.env_ok(rm) else {
                    return self.call(&slow);
                };
                let fmt = if to == CvtTy::S { FpFmt::S } else { FpFmt::D };
                let ty = float_ty(fmt);
                let r = match from {
                    CvtTy::W => {
                        let w = self.b.ins().ireduce(I32, a);
                        self.b.ins().fcvt_from_sint(ty, w)
                    }
                    CvtTy::WU => {
                        let w = self.b.ins().ireduce(I32, a);
                        self.b.ins().fcvt_from_uint(ty, w)
                    }
                    CvtTy::L => self.b.ins().fcvt_from_sint(ty, a),
                    _ => self.b.ins().fcvt_from_uint(ty, a),
                };
                let (r, _) = self.float_result(fmt, r);
                self.guarded(ok, r, |_| None, &slow)
            }
            // Exact unless NaN.
            (CvtTy::S, CvtTy::D) => {
                let ok = self.boxed_s(&[a]);
                let x = self.as_float(FpFmt::S, a);
                let r = self.b.ins().fpromote(F64, x);
                let ordered = self.b.ins().fcmp(FloatCC::Ordered, r, r);
                let ok = self.and(ok, ordered);
                let (r, _) = self.float_result(FpFmt::D, r);
                self.guarded(ok, r, |_| None, &slow)
            }
            // Rounds like an arithmetic operation.
            (CvtTy::D, CvtTy::S) => {
                let Some(env) = self.env_ok(rm) else {
                    return self.call(&slow);
                };
                let x = self.as_float(FpFmt::D, a);
                let r = self.b.ins().fdemote(F32, x);
                let (r, bits) = self.float_result(FpFmt::S, r);
                let normal = self.above_min_normal(FpFmt::S, bits);
                let ok = self.and(env, normal);
                self.guarded(
                    ok,
                    r,
                    |l| Some(l.is_zero(FpFmt::D, a)), // ±0 converts exactly
                    &slow,
                )
            }
            (CvtTy::S | CvtTy::D, CvtTy::W | CvtTy::WU | CvtTy::L | CvtTy::LU)
                if rm == RoundMode::Rtz =>
            {
                self.fp_to_int(to, from, a, slow)
            }
            _ => self.call(&slow),
        }
    }

    /// Float to integer, truncating: inline when the operand is boxed (for
    /// `S`), the truncated value is in range (no NV) and NX is already set
    /// or the conversion is exact.
    fn fp_to_int(&mut self, to: CvtTy, from: CvtTy, a: V, slow: Slow) -> V {
        let fmt = if from == CvtTy::S { FpFmt::S } else { FpFmt::D };
        let x = self.as_float(fmt, a);
        // Compare in double precision (promotion is exact): trunc(x) is in
        // range iff lo < x (or lo <= x) and x < hi; false for NaN.
        let xd = if fmt == FpFmt::S {
            self.b.ins().fpromote(F64, x)
        } else {
            x
        };
        let (lo, lo_inclusive, hi, int_ty, signed) = match to {
            CvtTy::W => (-2_147_483_649.0, false, 2_147_483_648.0, I32, true),
            CvtTy::WU => (-1.0, false, 4_294_967_296.0, I32, false),
            // -2^63 - 1 is no double; the next one below -2^63 truncates
            // out of range.
            CvtTy::L => (
                -9_223_372_036_854_775_808.0,
                true,
                9.223_372_036_854_776e18,
                I64,
                true,
            ),
            _ => (-1.0, false, 18_446_744_073_709_551_616.0, I64, false),
        };
        let lo = self.b.ins().f64const(Ieee64::with_float(lo));
        let hi = self.b.ins().f64const(Ieee64::with_float(hi));
        let lo_cc = if lo_inclusive {
            FloatCC::GreaterThanOrEqual
        } else {
            FloatCC::GreaterThan
        };
        let above = self.b.ins().fcmp(lo_cc, xd, lo);
        let below = self.b.ins().fcmp(FloatCC::LessThan, xd, hi);
        let in_range = self.and(above, below);
        let boxed = self.boxed(fmt, &[a]);
        let valid = self.and_opt(in_range, boxed);
        let nx = self.nx_set();
        let ok = self.and(valid, nx);
        let t = if signed {
            self.b.ins().fcvt_to_sint_sat(int_ty, x)
        } else {
            self.b.ins().fcvt_to_uint_sat(int_ty, x)
        };
        // 32-bit results are sign-extended, also for `wu`.
        let r = if int_ty == I32 {
            self.b.ins().sextend(I64, t)
        } else {
            t
        };
        self.guarded(
            ok,
            r,
            |l| {
                // Without NX: exact when x is an integer, i.e. converting
                // the result back gives x (a non-integer x is below 2^52,
                // so its truncation converts back exactly, to another value).
                let back = if signed {
                    l.b.ins().fcvt_from_sint(F64, t)
                } else {
                    l.b.ins().fcvt_from_uint(F64, t)
                };
                let exact = l.b.ins().fcmp(FloatCC::Equal, back, xd);
                Some(l.and(valid, exact))
            },
            &slow,
        )
    }

    /// Comparisons and `fmin`/`fmax`: inline unless an operand is NaN (or
    /// an unboxed single, which reads as NaN).
    fn ordered_op(&mut self, op: FBinOp, fmt: FpFmt, a: V, y: V, slow: Slow) -> V {
        let boxed = self.boxed(fmt, &[a, y]);
        let (x, yf) = (self.as_float(fmt, a), self.as_float(fmt, y));
        let ordered = self.b.ins().fcmp(FloatCC::Ordered, x, yf);
        let ok = self.and_opt(ordered, boxed);
        let r = match op {
            FBinOp::Min | FBinOp::Max => {
                // Cranelift's fmin/fmax order -0 below +0, as RISC-V does.
                let r = if op == FBinOp::Min {
                    self.b.ins().fmin(x, yf)
                } else {
                    self.b.ins().fmax(x, yf)
                };
                self.float_result(fmt, r).0
            }
            _ => {
                let cc = match op {
                    FBinOp::Eq => FloatCC::Equal,
                    FBinOp::Lt => FloatCC::LessThan,
                    _ => FloatCC::LessThanOrEqual,
                };
                let c = self.b.ins().fcmp(cc, x, yf);
                self.b.ins().uextend(I64, c)
            }
        };
        self.guarded(ok, r, |_| None, &slow)
    }

    /// Sign injection: bit operations, no flags. An unboxed single operand
    /// reads as the (boxed) canonical NaN.
    fn sign_inject(&mut self, op: FBinOp, fmt: FpFmt, a: V, y: V) -> V {
        let (x, y) = match fmt {
            FpFmt::S => (self.unbox(a), self.unbox(y)),
            FpFmt::D => (a, y),
        };
        let sign = Bits::of(fmt).sign as i64;
        let mag = self.b.ins().band_imm_s(x, !sign);
        match op {
            FBinOp::Sgnj => {
                let s = self.b.ins().band_imm_s(y, sign);
                self.b.ins().bor(mag, s)
            }
            FBinOp::Sgnjn => {
                let ny = self.b.ins().bnot(y);
                let s = self.b.ins().band_imm_s(ny, sign);
                self.b.ins().bor(mag, s)
            }
            _ => {
                let s = self.b.ins().band_imm_s(y, sign);
                self.b.ins().bxor(x, s)
            }
        }
    }

    /// A single-precision register value as a boxed single: itself if
    /// NaN-boxed, else the boxed canonical NaN.
    fn unbox(&mut self, a: V) -> V {
        let ok = self.boxed_s(&[a]);
        let nan = self
            .b
            .ins()
            .iconst(I64, fpu::nan_box(fpu::CANONICAL_NAN_S) as i64);
        self.b.ins().select(ok, a, nan)
    }

    /// Whether the rounding environment allows a rounding fast path: `None`
    /// if `rm` is a static mode other than RNE (always the helper), else a
    /// predicate: NX is set and, for `dyn`, `frm` is RNE.
    fn env_ok(&mut self, rm: RoundMode) -> Option<V> {
        match rm {
            RoundMode::Rne => Some(self.nx_set()),
            RoundMode::Dyn => {
                let flags = self.load(crate::abi::FFLAGS);
                let frm = self.load(crate::abi::FRM);
                // (NX clear) | frm == 0
                let nx = self.b.ins().band_imm_s(flags, fpu::FLAG_NX as i64);
                let missing = self.b.ins().bxor_imm_s(nx, fpu::FLAG_NX as i64);
                let bad = self.b.ins().bor(missing, frm);
                Some(self.b.ins().icmp_imm_s(IntCC::Equal, bad, 0))
            }
            _ => None,
        }
    }

    /// Whether NX is set in `fflags`.
    fn nx_set(&mut self) -> V {
        let flags = self.load(crate::abi::FFLAGS);
        let nx = self.b.ins().band_imm_s(flags, fpu::FLAG_NX as i64);
        self.b.ins().icmp_imm_s(IntCC::NotEqual, nx, 0)
    }

    fn load(&mut self, offset: i32) -> V {
        self.b
            .ins()
            .load(I64, MemFlagsData::trusted(), self.cpu, offset)
    }

    /// Whether every one of `vals` is a NaN-boxed single; `None` (always
    /// true) for `D`.
    fn boxed(&mut self, fmt: FpFmt, vals: &[V]) -> Option<V> {
        match fmt {
            FpFmt::S => Some(self.boxed_s(vals)),
            FpFmt::D => None,
        }
    }

    /// Whether every one of `vals` is a NaN-boxed single.
    fn boxed_s(&mut self, vals: &[V]) -> V {
        let mut all = vals[0];
        for &v in &vals[1..] {
            all = self.b.ins().band(all, v);
        }
        self.b
            .ins()
            .icmp_imm_s(IntCC::UnsignedGreaterThanOrEqual, all, BOX as i64)
    }

    /// A register value as a host float of format `fmt`.
    fn as_float(&mut self, fmt: FpFmt, v: V) -> V {
        match fmt {
            FpFmt::S => {
                let w = self.b.ins().ireduce(I32, v);
                self.b.ins().bitcast(F32, MemFlagsData::new(), w)
            }
            FpFmt::D => self.b.ins().bitcast(F64, MemFlagsData::new(), v),
        }
    }

    /// A host float as (register value, raw bits zero-extended to I64).
    fn float_result(&mut self, fmt: FpFmt, r: V) -> (V, V) {
        match fmt {
            FpFmt::S => {
                let w = self.b.ins().bitcast(I32, MemFlagsData::new(), r);
                let bits = self.b.ins().uextend(I64, w);
                (self.b.ins().bor_imm_s(bits, BOX as i64), bits)
            }
            FpFmt::D => {
                let bits = self.b.ins().bitcast(I64, MemFlagsData::new(), r);
                (bits, bits)
            }
        }
    }

    /// Magnitude bits of `bits` (the low 32 for `S`).
    fn abs(&mut self, fmt: FpFmt, bits: V) -> V {
        let mag = match fmt {
            FpFmt::S => 0x7fff_ffff,
            FpFmt::D => 0x7fff_ffff_ffff_ffff,
        };
        self.b.ins().band_imm_s(bits, mag)
    }

    /// `|bits| < inf`.
    fn finite(&mut self, fmt: FpFmt, bits: V) -> V {
        let abs = self.abs(fmt, bits);
        let inf = Bits::of(fmt).inf as i64;
        self.b.ins().icmp_imm_s(IntCC::UnsignedLessThan, abs, inf)
    }

    /// `least normal < |bits| < inf`.
    fn above_min_normal(&mut self, fmt: FpFmt, bits: V) -> V {
        let c = Bits::of(fmt);
        let abs = self.abs(fmt, bits);
        let low = c.min_normal as i64 + 1;
        let t = self.b.ins().iadd_imm_s(abs, -low);
        self.b
            .ins()
            .icmp_imm_s(IntCC::UnsignedLessThan, t, c.inf as i64 - low)
    }

    /// `bits` (low 32 for `S`) is ±0.
    fn is_zero(&mut self, fmt: FpFmt, bits: V) -> V {
        let abs = self.abs(fmt, bits);
        self.b.ins().icmp_imm_s(IntCC::Equal, abs, 0)
    }

    fn and(&mut self, p: V, q: V) -> V {
        self.b.ins().band(p, q)
    }

    /// `p & q`, or `p` if there is no `q`.
    fn and_opt(&mut self, p: V, q: Option<V>) -> V {
        match q {
            Some(q) => self.and(p, q),
            None => p,
        }
    }

    /// `fast` when `ok` holds; else (in a cold block) `fast` when the
    /// second guard `retry` emits holds, else the helper's result.
    fn guarded(
        &mut self,
        ok: V,
        fast: V,
        retry: impl FnOnce(&mut Self) -> Option<V>,
        slow: &Slow,
    ) -> V {
        let cold = self.b.create_block();
        let join = self.b.create_block();
        self.b.set_cold_block(cold);
        let r = self.b.append_block_param(join, I64);
        self.b.ins().brif(ok, join, &[fast.into()], cold, &[]);
        // Each new block is sealed as soon as its predecessors are all known.
        self.b.seal_block(cold);
        self.b.switch_to_block(cold);
        if let Some(again) = retry(self) {
            let call = self.b.create_block();
            self.b.set_cold_block(call);
            self.b.ins().brif(again, join, &[fast.into()], call, &[]);
            self.b.seal_block(call);
            self.b.switch_to_block(call);
        }
        let v = self.call(slow);
        self.b.ins().jump(join, &[v.into()]);
        self.b.seal_block(join);
        self.b.switch_to_block(join);
        r
    }

    /// Call the helper `slow` names, returning its u64.
    fn call(&mut self, slow: &Slow) -> V {
        let mut params = vec![I64];
        params.extend_from_slice(slow.params);
        let sig = match self.sigs.iter().find(|(p, _)| *p == params) {
            Some(&(_, s)) => s,
            None => {
                let mut sig = Signature::new(self.call_conv);
                sig.params.extend(params.iter().map(|&t| AbiParam::new(t)));
                sig.returns.push(AbiParam::new(I64));
                let s = self.b.import_signature(sig);
                self.sigs.push((params, s));
                s
            }
        };
        let packed = self.b.ins().iconst(I32, i64::from(slow.packed));
        let mut args = vec![self.cpu, packed];
        args.extend_from_slice(&slow.operands);
        let callee = self.b.ins().iconst(I64, slow.f as i64);
        let call = self.b.ins().call_indirect(sig, callee, &args);
        self.b.inst_results(call)[0]
    }
}

/// The helpers the slow paths call; in tests, wrappers that count calls.
#[cfg(not(test))]
mod entry {
    pub(super) use crate::helpers::{fbinary, fcvt, fma, funary};
}
#[cfg(test)]
mod entry {
    pub(super) use super::tests::{fbinary, fcvt, fma, funary};
}

#[cfg(test)]
#[path = "lower_fp_tests.rs"]
mod tests;
