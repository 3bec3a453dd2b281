//! Exact RISC-V F and D semantics over bit patterns.
//!
//! Every tier must produce bit-identical FP results and `fflags`, so the
//! semantics live here once, as pure functions of bit patterns. Arithmetic is
//! done by Berkeley SoftFloat 3 with its RISC-V specialization (canonical NaN
//! results, tininess detected after rounding, RISC-V saturation values for
//! float-to-integer conversions), wrapped in the private `softfloat` module. The rules SoftFloat
//! does not know about are applied here:
//!
//! - **NaN-boxing**: single-precision operands live in 64-bit registers; an
//!   operand whose upper 32 bits are not all ones reads as the canonical NaN
//!   (`0x7fc00000`), and single-precision results are boxed (upper 32 bits set).
//! - **`fmin`/`fmax`** (IEEE 754-2019 minimumNumber/maximumNumber): one NaN
//!   operand yields the other operand, two yield the canonical NaN, any
//!   signaling NaN raises NV, and -0 is less than +0.
//! - **Sign injection** works on the (unboxed) bits and raises nothing.
//! - **`fclass`** returns the 10-bit class mask.
//! - **Comparisons**: `feq` is quiet (NV only for a signaling NaN), `flt` and
//!   `fle` are signaling (NV for any NaN); they return 0 or 1.
//! - **Conversions to 32-bit integers** return the 32-bit result sign-extended
//!   to 64 bits, also for `wu`, as RISC-V writes it to an `x` register.
//!
//! `fflags` arguments accumulate: raised flags are ORed in (NV=16, DZ=8,
//! OF=4, UF=2, NX=1). The rounding mode passed to the operations is never
//! `Dyn`; callers resolve it first with [`resolve_rm`].

mod softfloat;

use softfloat::{self as sf, IntKind};
use vm_ir::{CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};

/// `fflags` bit: invalid operation.
pub const FLAG_NV: u64 = 16;
/// `fflags` bit: divide by zero.
pub const FLAG_DZ: u64 = 8;
/// `fflags` bit: overflow.
pub const FLAG_OF: u64 = 4;
/// `fflags` bit: underflow.
pub const FLAG_UF: u64 = 2;
/// `fflags` bit: inexact.
pub const FLAG_NX: u64 = 1;

/// The canonical single-precision NaN (unboxed).
pub const CANONICAL_NAN_S: u32 = 0x7fc0_0000;
/// The canonical double-precision NaN.
pub const CANONICAL_NAN_D: u64 = 0x7ff8_0000_0000_0000;

const BOX: u64 = 0xffff_ffff_0000_0000;
const SIGN_S: u32 = 1 << 31;
const SIGN_D: u64 = 1 << 63;

/// NaN-box a single-precision value into a 64-bit register value.
pub fn nan_box(v: u32) -> u64 {
    BOX | u64::from(v)
}

/// Read a single-precision operand from a 64-bit register value: the low 32
/// bits if the value is properly NaN-boxed, else the canonical NaN.
pub fn unbox(v: u64) -> u32 {
    if v & BOX == BOX {
        v as u32
    } else {
        CANONICAL_NAN_S
    }
}

/// The rounding mode an instruction uses: `rm` itself, or for `Dyn` the mode
/// held in `frm`. `None` when `frm` is reserved (5, 6, 7 or out of range),
/// which makes the instruction illegal.
pub fn resolve_rm(rm: RoundMode, frm: u64) -> Option<RoundMode> {
    if rm != RoundMode::Dyn {
        return Some(rm);
    }
    let bits = u32::try_from(frm).ok()?;
    match RoundMode::from_bits(bits)? {
        RoundMode::Dyn => None,
        mode => Some(mode),
    }
}

/// Classification of one value, independent of its width.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Parts {
    sign: bool,
    /// Biased exponent is all ones.
    exp_max: bool,
    /// Biased exponent is zero.
    exp_zero: bool,
    frac_zero: bool,
    /// Most significant fraction bit (the quiet bit for NaNs).
    quiet_bit: bool,
}

impl Parts {
    fn of(fmt: FpFmt, bits: u64) -> Parts {
        // (sign bit, exponent width, fraction width)
        let (sign_bit, exp_bits, frac_bits) = match fmt {
            FpFmt::S => (31, 8, 23),
            FpFmt::D => (63, 11, 52),
        };
        let exp_all = (1u64 << exp_bits) - 1;
        let exp = (bits >> frac_bits) & exp_all;
        let frac = bits & ((1u64 << frac_bits) - 1);
        Parts {
            sign: (bits >> sign_bit) & 1 != 0,
            exp_max: exp == exp_all,
            exp_zero: exp == 0,
            frac_zero: frac == 0,
            quiet_bit: (frac >> (frac_bits - 1)) & 1 != 0,
        }
    }

    fn is_nan(self) -> bool {
        self.exp_max && !self.frac_zero
    }

    fn is_snan(self) -> bool {
        self.is_nan() && !self.quiet_bit
    }

    fn is_zero(self) -> bool {
        self.exp_zero && self.frac_zero
    }

    /// RISC-V `fclass` mask (exactly one of bits 0..=9 set).
    fn class_mask(self) -> u64 {
        let bit = if self.is_nan() {
            if self.quiet_bit { 9 } else { 8 }
        } else if self.exp_max {
            if self.sign { 0 } else { 7 }
        } else if self.is_zero() {
            if self.sign { 3 } else { 4 }
        } else if self.exp_zero {
            if self.sign { 2 } else { 5 }
        } else if self.sign {
            1
        } else {
            6
        };
        1 << bit
    }
}

/// Read operand `v` of format `fmt` as raw bits of that width (unboxing singles).
fn operand(fmt: FpFmt, v: u64) -> u64 {
    match fmt {
        FpFmt::S => u64::from(unbox(v)),
        FpFmt::D => v,
    }
}

/// Write a result of format `fmt` (boxing singles).
fn result(fmt: FpFmt, v: u64) -> u64 {
    match fmt {
        FpFmt::S => nan_box(v as u32),
        FpFmt::D => v,
    }
}

/// Two-operand FP operation `op` of format `fmt` with rounding mode `rm`.
/// Comparisons return 0 or 1; every other result is an FP register value.
pub fn fbinary(op: FBinOp, fmt: FpFmt, rm: RoundMode, a: u64, b: u64, fflags: &mut u64) -> u64 {
    let (x, y) = (operand(fmt, a), operand(fmt, b));
    let sign = match fmt {
        FpFmt::S => u64::from(SIGN_S),
        FpFmt::D => SIGN_D,
    };
    let r = match op {
        FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div => {
            sf::with_env(rm, fflags, || arith(op, fmt, x, y))
        }
        FBinOp::Min | FBinOp::Max => min_max(op == FBinOp::Max, fmt, x, y, fflags),
        FBinOp::Sgnj => (x & !sign) | (y & sign),
        FBinOp::Sgnjn => (x & !sign) | (!y & sign),
        FBinOp::Sgnjx => x ^ (y & sign),
        FBinOp::Eq | FBinOp::Lt | FBinOp::Le => {
            return u64::from(sf::with_env(rm, fflags, || compare(op, fmt, x, y)));
        }
    };
    result(fmt, r)
}

/// `add`/`sub`/`mul`/`div` on unboxed bits, in the current SoftFloat environment.
fn arith(op: FBinOp, fmt: FpFmt, x: u64, y: u64) -> u64 {
    match fmt {
        FpFmt::S => {
            let (x, y) = (x as u32, y as u32);
            u64::from(match op {
                FBinOp::Add => sf::f32_add(x, y),
                FBinOp::Sub => sf::f32_sub(x, y),
                FBinOp::Mul => sf::f32_mul(x, y),
                _ => sf::f32_div(x, y),
            })
        }
        FpFmt::D => match op {
            FBinOp::Add => sf::f64_add(x, y),
            FBinOp::Sub => sf::f64_sub(x, y),
            FBinOp::Mul => sf::f64_mul(x, y),
            _ => sf::f64_div(x, y),
        },
    }
}

/// `feq` (quiet), `flt`/`fle` (signaling) on unboxed bits.
fn compare(op: FBinOp, fmt: FpFmt, x: u64, y: u64) -> bool {
    match fmt {
        FpFmt::S => {
            let (x, y) = (x as u32, y as u32);
            match op {
                FBinOp::Eq => sf::f32_eq(x, y),
                FBinOp::Lt => sf::f32_lt(x, y),
                _ => sf::f32_le(x, y),
            }
        }
        FpFmt::D => match op {
            FBinOp::Eq => sf::f64_eq(x, y),
            FBinOp::Lt => sf::f64_lt(x, y),
            _ => sf::f64_le(x, y),
        },
    }
}

/// RISC-V `fmin`/`fmax` on unboxed bits.
fn min_max(max: bool, fmt: FpFmt, x: u64, y: u64, fflags: &mut u64) -> u64 {
    let (px, py) = (Parts::of(fmt, x), Parts::of(fmt, y));
    if px.is_snan() || py.is_snan() {
        *fflags |= FLAG_NV;
    }
    match (px.is_nan(), py.is_nan()) {
        (true, true) => {
            return match fmt {
                FpFmt::S => u64::from(CANONICAL_NAN_S),
                FpFmt::D => CANONICAL_NAN_D,
            };
        }
        (true, false) => return y,
        (false, true) => return x,
        (false, false) => {}
    }
    // Neither is NaN: compare as host floats (exact), ordering -0 below +0.
    let (fx, fy) = match fmt {
        FpFmt::S => (
            f64::from(f32::from_bits(x as u32)),
            f64::from(f32::from_bits(y as u32)),
        ),
        FpFmt::D => (f64::from_bits(x), f64::from_bits(y)),
    };
    let x_less = fx < fy || (fx == fy && px.sign && !py.sign);
    if x_less != max { x } else { y }
}

/// One-operand FP operation `op` of format `fmt` with rounding mode `rm`.
/// `fclass` returns its 10-bit mask as an integer.
pub fn funary(op: FUnOp, fmt: FpFmt, rm: RoundMode, a: u64, fflags: &mut u64) -> u64 {
    let x = operand(fmt, a);
    match op {
        FUnOp::Sqrt => {
            let r = sf::with_env(rm, fflags, || match fmt {
                FpFmt::S => u64::from(sf::f32_sqrt(x as u32)),
                FpFmt::D => sf::f64_sqrt(x),
            });
            result(fmt, r)
        }
        FUnOp::Class => Parts::of(fmt, x).class_mask(),
    }
}

/// Fused multiply-add family with one rounding:
/// `fmadd` = a*b+c, `fmsub` = a*b-c, `fnmsub` = -(a*b)+c, `fnmadd` = -(a*b)-c.
pub fn fma(op: FmaOp, fmt: FpFmt, rm: RoundMode, a: u64, b: u64, c: u64, fflags: &mut u64) -> u64 {
    let (x, y, z) = (operand(fmt, a), operand(fmt, b), operand(fmt, c));
    let sign = match fmt {
        FpFmt::S => u64::from(SIGN_S),
        FpFmt::D => SIGN_D,
    };
    // Negating an operand is exact (also for NaNs, whose results are canonical anyway).
    let (neg_product, neg_addend) = match op {
        FmaOp::MAdd => (false, false),
        FmaOp::MSub => (false, true),
        FmaOp::NMSub => (true, false),
        FmaOp::NMAdd => (true, true),
    };
    let x = if neg_product { x ^ sign } else { x };
    let z = if neg_addend { z ^ sign } else { z };
    let r = sf::with_env(rm, fflags, || match fmt {
        FpFmt::S => u64::from(sf::f32_mul_add(x as u32, y as u32, z as u32)),
        FpFmt::D => sf::f64_mul_add(x, y, z),
    });
    result(fmt, r)
}

/// The integer kind of a conversion endpoint, if it is one.
fn int_kind(t: CvtTy) -> Option<IntKind> {
    match t {
        CvtTy::W => Some(IntKind::I32),
        CvtTy::WU => Some(IntKind::U32),
        CvtTy::L => Some(IntKind::I64),
        CvtTy::LU => Some(IntKind::U64),
        CvtTy::S | CvtTy::D => None,
    }
}

/// The FP format of a conversion endpoint, if it is one.
fn float_fmt(t: CvtTy) -> Option<FpFmt> {
    match t {
        CvtTy::S => Some(FpFmt::S),
        CvtTy::D => Some(FpFmt::D),
        _ => None,
    }
}

/// Write integer bits `v` of kind `k` to an `x` register: 32-bit kinds are
/// sign-extended from bit 31 (also `wu`), 64-bit kinds are unchanged.
fn int_result(k: IntKind, v: u64) -> u64 {
    match k {
        IntKind::I32 | IntKind::U32 => v as u32 as i32 as i64 as u64,
        IntKind::I64 | IntKind::U64 => v,
    }
}

/// Conversion `fcvt.to.from` with rounding mode `rm`.
///
/// Float to integer saturates (NaN and +overflow to the maximum, -overflow to
/// the minimum) raising NV, and raises NX when inexact; integer sources read
/// `w`/`wu` from the low 32 bits. `s` to `d` is exact; `d` to `s` rounds.
/// Pairs RISC-V has no instruction for (integer to integer, a format to
/// itself) are never produced by lowering and the verifier rejects them; they
/// evaluate without flags to the source value written as the destination
/// kind, so evaluation is total.
pub fn fcvt(to: CvtTy, from: CvtTy, rm: RoundMode, a: u64, fflags: &mut u64) -> u64 {
    match (float_fmt(from), float_fmt(to)) {
        (Some(ff), None) => {
            let k = int_kind(to).unwrap_or(IntKind::I64);
            let x = operand(ff, a);
            let v = sf::with_env(rm, fflags, || match ff {
                FpFmt::S => sf::f32_to_int(x as u32, k, rm),
                FpFmt::D => sf::f64_to_int(x, k, rm),
            });
            int_result(k, v)
        }
        (None, Some(tf)) => {
            let k = int_kind(from).unwrap_or(IntKind::I64);
            let r = sf::with_env(rm, fflags, || match tf {
                FpFmt::S => u64::from(sf::int_to_f32(a, k)),
                FpFmt::D => sf::int_to_f64(a, k),
            });
            result(tf, r)
        }
        (Some(FpFmt::S), Some(FpFmt::D)) => sf::with_env(rm, fflags, || sf::f32_to_f64(unbox(a))),
        (Some(FpFmt::D), Some(FpFmt::S)) => nan_box(sf::with_env(rm, fflags, || sf::f64_to_f32(a))),
        (Some(f), Some(_)) => result(f, operand(f, a)),
        (None, None) => int_result(int_kind(to).unwrap_or(IntKind::I64), a),
    }
}
