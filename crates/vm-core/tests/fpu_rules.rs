//! Hand-checked special cases of the RISC-V F/D rules (expected values come
//! from the RISC-V unprivileged spec, not from the code under test).

use vm_core::fpu::*;
use vm_ir::{CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};

const RNE: RoundMode = RoundMode::Rne;

fn s(x: f32) -> u64 {
    nan_box(x.to_bits())
}
fn d(x: f64) -> u64 {
    x.to_bits()
}
const SNAN_S: u64 = 0xffff_ffff_7f80_0001;
const QNAN_S: u64 = 0xffff_ffff_7fc0_1234;
const SNAN_D: u64 = 0x7ff0_0000_0000_0001;
const QNAN_D: u64 = 0x7ff8_0000_0000_1234;
const CANON_S: u64 = 0xffff_ffff_7fc0_0000;

fn bin(op: FBinOp, fmt: FpFmt, a: u64, b: u64) -> (u64, u64) {
    let mut fl = 0;
    let r = fbinary(op, fmt, RNE, a, b, &mut fl);
    (r, fl)
}

#[test]
fn arithmetic_nan_results_are_canonical() {
    assert_eq!(
        bin(FBinOp::Add, FpFmt::D, QNAN_D, d(1.0)),
        (CANONICAL_NAN_D, 0)
    );
    assert_eq!(
        bin(FBinOp::Add, FpFmt::D, SNAN_D, d(1.0)),
        (CANONICAL_NAN_D, FLAG_NV)
    );
    assert_eq!(bin(FBinOp::Mul, FpFmt::S, QNAN_S, s(2.0)), (CANON_S, 0));
    // inf - inf is invalid.
    assert_eq!(
        bin(FBinOp::Sub, FpFmt::S, s(f32::INFINITY), s(f32::INFINITY)),
        (CANON_S, FLAG_NV)
    );
    assert_eq!(
        bin(FBinOp::Div, FpFmt::D, d(1.0), d(0.0)),
        (d(f64::INFINITY), FLAG_DZ)
    );
}

#[test]
fn improperly_boxed_single_reads_as_canonical_nan() {
    // 1.0f32 without the box: the operand is the (quiet) canonical NaN.
    let unboxed_one = u64::from(1.0f32.to_bits());
    assert_eq!(
        bin(FBinOp::Add, FpFmt::S, unboxed_one, s(1.0)),
        (CANON_S, 0)
    );
    let mut fl = 0;
    assert_eq!(
        funary(FUnOp::Class, FpFmt::S, RNE, unboxed_one, &mut fl),
        1 << 9
    );
    // fmin with one NaN returns the other operand.
    assert_eq!(bin(FBinOp::Min, FpFmt::S, unboxed_one, s(3.0)), (s(3.0), 0));
    // fsgnj reads the canonical NaN too.
    assert_eq!(
        bin(FBinOp::Sgnj, FpFmt::S, unboxed_one, s(-1.0)),
        (0xffff_ffff_ffc0_0000, 0)
    );
}

#[test]
fn single_results_are_boxed() {
    assert_eq!(bin(FBinOp::Add, FpFmt::S, s(1.0), s(2.0)), (s(3.0), 0));
    assert_eq!(s(3.0) >> 32, 0xffff_ffff);
}

#[test]
fn fmin_fmax_rules() {
    use FBinOp::{Max, Min};
    for fmt in [FpFmt::S, FpFmt::D] {
        let (q, sn, canon, z, nz, one) = match fmt {
            FpFmt::S => (QNAN_S, SNAN_S, CANON_S, s(0.0), s(-0.0), s(1.0)),
            FpFmt::D => (QNAN_D, SNAN_D, CANONICAL_NAN_D, d(0.0), d(-0.0), d(1.0)),
        };
        assert_eq!(bin(Min, fmt, q, q), (canon, 0));
        assert_eq!(bin(Max, fmt, sn, q), (canon, FLAG_NV));
        assert_eq!(bin(Min, fmt, q, one), (one, 0));
        assert_eq!(bin(Max, fmt, one, q), (one, 0));
        assert_eq!(bin(Min, fmt, sn, one), (one, FLAG_NV));
        assert_eq!(bin(Min, fmt, z, nz), (nz, 0));
        assert_eq!(bin(Min, fmt, nz, z), (nz, 0));
        assert_eq!(bin(Max, fmt, nz, z), (z, 0));
        assert_eq!(bin(Max, fmt, z, nz), (z, 0));
    }
    assert_eq!(bin(Min, FpFmt::D, d(-2.5), d(1.0)), (d(-2.5), 0));
    assert_eq!(bin(Max, FpFmt::S, s(-2.5), s(1.0)), (s(1.0), 0));
}

#[test]
fn comparisons_quiet_and_signaling() {
    use FBinOp::{Eq, Le, Lt};
    assert_eq!(bin(Eq, FpFmt::D, QNAN_D, d(1.0)), (0, 0));
    assert_eq!(bin(Eq, FpFmt::D, SNAN_D, d(1.0)), (0, FLAG_NV));
    assert_eq!(bin(Lt, FpFmt::D, QNAN_D, d(1.0)), (0, FLAG_NV));
    assert_eq!(bin(Le, FpFmt::S, s(1.0), QNAN_S), (0, FLAG_NV));
    assert_eq!(bin(Eq, FpFmt::S, s(0.0), s(-0.0)), (1, 0));
    assert_eq!(bin(Lt, FpFmt::S, s(-0.0), s(0.0)), (0, 0));
    assert_eq!(bin(Le, FpFmt::D, d(-0.0), d(0.0)), (1, 0));
    assert_eq!(bin(Lt, FpFmt::D, d(-1.0), d(0.5)), (1, 0));
}

#[test]
fn sign_injection_on_bits_without_flags() {
    assert_eq!(bin(FBinOp::Sgnj, FpFmt::D, d(2.0), d(-0.0)), (d(-2.0), 0));
    assert_eq!(bin(FBinOp::Sgnjn, FpFmt::D, d(2.0), d(-0.0)), (d(2.0), 0));
    assert_eq!(bin(FBinOp::Sgnjx, FpFmt::D, d(-2.0), d(-1.0)), (d(2.0), 0));
    // sNaN passes through unchanged (no canonicalization, no NV).
    assert_eq!(
        bin(FBinOp::Sgnj, FpFmt::D, SNAN_D, d(-1.0)),
        (SNAN_D | 1 << 63, 0)
    );
    assert_eq!(
        bin(FBinOp::Sgnjn, FpFmt::S, SNAN_S, s(1.0)),
        (SNAN_S | 1 << 31, 0)
    );
}

#[test]
fn fclass_masks() {
    let cases_d: [(u64, u32); 10] = [
        (d(f64::NEG_INFINITY), 0),
        (d(-1.0), 1),
        (0x800f_ffff_ffff_ffff, 2),
        (d(-0.0), 3),
        (d(0.0), 4),
        (1, 5),
        (d(f64::MAX), 6),
        (d(f64::INFINITY), 7),
        (SNAN_D, 8),
        (QNAN_D, 9),
    ];
    for (v, bit) in cases_d {
        let mut fl = 0;
        assert_eq!(
            funary(FUnOp::Class, FpFmt::D, RNE, v, &mut fl),
            1 << bit,
            "{v:#x}"
        );
        assert_eq!(fl, 0);
    }
    let cases_s: [(u64, u32); 4] = [
        (nan_box(0x8000_0001), 2),
        (s(f32::MIN_POSITIVE), 6),
        (SNAN_S, 8),
        (QNAN_S, 9),
    ];
    for (v, bit) in cases_s {
        let mut fl = 0;
        assert_eq!(
            funary(FUnOp::Class, FpFmt::S, RNE, v, &mut fl),
            1 << bit,
            "{v:#x}"
        );
    }
}

fn cvt(to: CvtTy, from: CvtTy, rm: RoundMode, a: u64) -> (u64, u64) {
    let mut fl = 0;
    (fcvt(to, from, rm, a, &mut fl), fl)
}

#[test]
fn float_to_int_saturates() {
    use CvtTy::*;
    assert_eq!(cvt(W, S, RNE, QNAN_S), (0x7fff_ffff, FLAG_NV));
    assert_eq!(
        cvt(W, D, RNE, d(f64::NEG_INFINITY)),
        (0xffff_ffff_8000_0000, FLAG_NV)
    );
    assert_eq!(cvt(W, D, RNE, d(3e9)), (0x7fff_ffff, FLAG_NV));
    // WU saturates to 0xffffffff, written sign-extended.
    assert_eq!(cvt(WU, D, RNE, QNAN_D), (u64::MAX, FLAG_NV));
    assert_eq!(
        cvt(WU, D, RNE, d(3e9)),
        (3_000_000_000u32 as i32 as i64 as u64, 0)
    );
    assert_eq!(cvt(WU, D, RNE, d(-1.0)), (0, FLAG_NV));
    // Small negatives round to 0 for unsigned targets: only inexact.
    assert_eq!(cvt(WU, D, RoundMode::Rtz, d(-0.5)), (0, FLAG_NX));
    assert_eq!(cvt(L, D, RNE, QNAN_D), (i64::MAX as u64, FLAG_NV));
    assert_eq!(
        cvt(L, S, RNE, s(f32::NEG_INFINITY)),
        (i64::MIN as u64, FLAG_NV)
    );
    assert_eq!(cvt(LU, D, RNE, d(1e30)), (u64::MAX, FLAG_NV));
    assert_eq!(cvt(LU, D, RNE, d(-3.0)), (0, FLAG_NV));
    // Rounding modes and inexact.
    assert_eq!(cvt(W, D, RNE, d(2.5)), (2, FLAG_NX));
    assert_eq!(cvt(W, D, RoundMode::Rmm, d(2.5)), (3, FLAG_NX));
    assert_eq!(cvt(W, D, RoundMode::Rdn, d(-2.5)), (-3i64 as u64, FLAG_NX));
    assert_eq!(cvt(W, D, RoundMode::Rup, d(-2.5)), (-2i64 as u64, FLAG_NX));
    assert_eq!(cvt(W, D, RoundMode::Rtz, d(-2.5)), (-2i64 as u64, FLAG_NX));
    assert_eq!(cvt(W, D, RNE, d(-7.0)), (-7i64 as u64, 0));
}

#[test]
fn int_to_float_reads_low_bits() {
    use CvtTy::*;
    // W reads the low 32 bits as signed, WU as unsigned.
    assert_eq!(cvt(D, W, RNE, 0x1234_5678_ffff_ffff), (d(-1.0), 0));
    assert_eq!(cvt(D, WU, RNE, 0x1234_5678_ffff_ffff), (d(4294967295.0), 0));
    assert_eq!(cvt(S, L, RNE, u64::MAX), (s(-1.0), 0));
    assert_eq!(
        cvt(D, LU, RNE, u64::MAX),
        (d(18446744073709551615.0), FLAG_NX)
    );
    // 2^24 + 1 is not representable in single.
    assert_eq!(cvt(S, W, RNE, (1 << 24) + 1), (s(16777216.0), FLAG_NX));
    assert_eq!(
        cvt(S, W, RoundMode::Rup, (1 << 24) + 1),
        (s(16777218.0), FLAG_NX)
    );
}

#[test]
fn float_to_float() {
    use CvtTy::*;
    assert_eq!(cvt(D, S, RNE, SNAN_S), (CANONICAL_NAN_D, FLAG_NV));
    assert_eq!(cvt(D, S, RNE, QNAN_S), (CANONICAL_NAN_D, 0));
    assert_eq!(cvt(S, D, RNE, QNAN_D), (CANON_S, 0));
    assert_eq!(cvt(D, S, RNE, s(1.5)), (d(1.5), 0));
    assert_eq!(
        cvt(S, D, RNE, d(1e300)),
        (s(f32::INFINITY), FLAG_OF | FLAG_NX)
    );
    assert_eq!(
        cvt(S, D, RoundMode::Rtz, d(1e300)),
        (s(f32::MAX), FLAG_OF | FLAG_NX)
    );
}

#[test]
fn fma_variants_and_invalid_product() {
    let mut fl = 0;
    let (a, b, c) = (d(2.0), d(3.0), d(1.0));
    assert_eq!(fma(FmaOp::MAdd, FpFmt::D, RNE, a, b, c, &mut fl), d(7.0));
    assert_eq!(fma(FmaOp::MSub, FpFmt::D, RNE, a, b, c, &mut fl), d(5.0));
    assert_eq!(fma(FmaOp::NMSub, FpFmt::D, RNE, a, b, c, &mut fl), d(-5.0));
    assert_eq!(fma(FmaOp::NMAdd, FpFmt::D, RNE, a, b, c, &mut fl), d(-7.0));
    assert_eq!(fl, 0);
    // inf * 0 + qNaN raises NV even though the addend is a quiet NaN.
    let r = fma(
        FmaOp::MAdd,
        FpFmt::S,
        RNE,
        s(f32::INFINITY),
        s(0.0),
        QNAN_S,
        &mut fl,
    );
    assert_eq!((r, fl), (CANON_S, FLAG_NV));
}

#[test]
fn flags_accumulate() {
    let mut fl = FLAG_DZ;
    fbinary(FBinOp::Add, FpFmt::D, RNE, d(1.0), d(1e-30), &mut fl);
    assert_eq!(fl, FLAG_DZ | FLAG_NX);
}

#[test]
fn underflow_tininess_after_rounding() {
    // The largest subnormal single times (1 + 2^-23)... rounds up to the
    // smallest normal: tiny before rounding, not tiny after, so no UF (only NX).
    let max_sub = nan_box(0x007f_ffff);
    let mut fl = 0;
    let r = fbinary(
        FBinOp::Mul,
        FpFmt::S,
        RoundMode::Rup,
        max_sub,
        s(1.0 + f32::EPSILON),
        &mut fl,
    );
    assert_eq!(r, nan_box(0x0080_0000));
    assert_eq!(fl, FLAG_NX);
}

#[test]
fn resolve_dynamic_rounding_mode() {
    assert_eq!(resolve_rm(RoundMode::Rtz, 7), Some(RoundMode::Rtz));
    assert_eq!(resolve_rm(RoundMode::Dyn, 0), Some(RoundMode::Rne));
    assert_eq!(resolve_rm(RoundMode::Dyn, 4), Some(RoundMode::Rmm));
    for bad in [5, 6, 7, 8, u64::MAX] {
        assert_eq!(resolve_rm(RoundMode::Dyn, bad), None);
    }
}
