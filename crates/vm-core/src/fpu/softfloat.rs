//! Safe wrappers over Berkeley SoftFloat 3e (RISC-V specialization).
//!
//! Why a separate module: SoftFloat keeps its rounding mode and exception
//! flags in C thread-local globals, and every entry point is an `unsafe`
//! foreign function. All of that is confined here: [`with_env`] sets the
//! rounding mode, clears the flags, runs one operation and ORs the raised
//! flags into the caller's `fflags`; the remaining functions are safe
//! by-value wrappers over bit patterns.
//!
//! The C sources are vendored in `softfloat/` and compiled by `build.rs`;
//! [`ffi`] declares exactly the functions used here.
//!
//! Soundness argument shared by every `unsafe` block below: the SoftFloat
//! functions take and return plain integers (or `#[repr(C)]` structs of one
//! integer) by value, touch no memory besides their own thread-local state,
//! and are defined for every input bit pattern.

use ffi as sf;
use ffi::{float32_t, float64_t};
use vm_ir::RoundMode;

/// Declarations of the vendored SoftFloat functions (and of
/// `softfloat/glue/glue.c`), with the types of `softfloat.h`.
#[allow(non_camel_case_types, non_upper_case_globals)]
mod ffi {
    /// SoftFloat's `float32_t`: a single-precision bit pattern.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct float32_t {
        pub v: u32,
    }

    /// SoftFloat's `float64_t`: a double-precision bit pattern.
    #[repr(C)]
    #[derive(Clone, Copy)]
    pub struct float64_t {
        pub v: u64,
    }

    /// `softfloat_round_near_even`.
    pub const softfloat_round_near_even: u8 = 0;
    /// `softfloat_round_minMag`.
    pub const softfloat_round_minMag: u8 = 1;
    /// `softfloat_round_min`.
    pub const softfloat_round_min: u8 = 2;
    /// `softfloat_round_max`.
    pub const softfloat_round_max: u8 = 3;
    /// `softfloat_round_near_maxMag`.
    pub const softfloat_round_near_maxMag: u8 = 4;

    // `uint_fast8_t` is `unsigned char` in every C library we build with;
    // `int_fast64_t`/`uint_fast64_t` are 64 bits everywhere. The 32-bit
    // conversions go through fixed-width wrappers in glue.c.
    unsafe extern "C" {
        pub fn vm_softfloat_set_rounding_mode(mode: u8);
        pub fn vm_softfloat_set_flags(flags: u8);
        pub fn vm_softfloat_flags() -> u8;
        pub fn vm_f32_to_i32(a: float32_t, mode: u8, exact: bool) -> i32;
        pub fn vm_f32_to_ui32(a: float32_t, mode: u8, exact: bool) -> u32;
        pub fn vm_f64_to_i32(a: float64_t, mode: u8, exact: bool) -> i32;
        pub fn vm_f64_to_ui32(a: float64_t, mode: u8, exact: bool) -> u32;

        pub fn f32_add(a: float32_t, b: float32_t) -> float32_t;
        pub fn f32_sub(a: float32_t, b: float32_t) -> float32_t;
        pub fn f32_mul(a: float32_t, b: float32_t) -> float32_t;
        pub fn f32_div(a: float32_t, b: float32_t) -> float32_t;
        pub fn f32_eq(a: float32_t, b: float32_t) -> bool;
        pub fn f32_lt(a: float32_t, b: float32_t) -> bool;
        pub fn f32_le(a: float32_t, b: float32_t) -> bool;
        pub fn f32_sqrt(a: float32_t) -> float32_t;
        pub fn f32_mulAdd(a: float32_t, b: float32_t, c: float32_t) -> float32_t;
        pub fn f32_to_f64(a: float32_t) -> float64_t;
        pub fn f32_to_i64(a: float32_t, mode: u8, exact: bool) -> i64;
        pub fn f32_to_ui64(a: float32_t, mode: u8, exact: bool) -> u64;

        pub fn f64_add(a: float64_t, b: float64_t) -> float64_t;
        pub fn f64_sub(a: float64_t, b: float64_t) -> float64_t;
        pub fn f64_mul(a: float64_t, b: float64_t) -> float64_t;
        pub fn f64_div(a: float64_t, b: float64_t) -> float64_t;
        pub fn f64_eq(a: float64_t, b: float64_t) -> bool;
        pub fn f64_lt(a: float64_t, b: float64_t) -> bool;
        pub fn f64_le(a: float64_t, b: float64_t) -> bool;
        pub fn f64_sqrt(a: float64_t) -> float64_t;
        pub fn f64_mulAdd(a: float64_t, b: float64_t, c: float64_t) -> float64_t;
        pub fn f64_to_f32(a: float64_t) -> float32_t;
        pub fn f64_to_i64(a: float64_t, mode: u8, exact: bool) -> i64;
        pub fn f64_to_ui64(a: float64_t, mode: u8, exact: bool) -> u64;

        pub fn i32_to_f32(a: i32) -> float32_t;
        pub fn ui32_to_f32(a: u32) -> float32_t;
        pub fn i64_to_f32(a: i64) -> float32_t;
        pub fn ui64_to_f32(a: u64) -> float32_t;
        pub fn i32_to_f64(a: i32) -> float64_t;
        pub fn ui32_to_f64(a: u32) -> float64_t;
        pub fn i64_to_f64(a: i64) -> float64_t;
        pub fn ui64_to_f64(a: u64) -> float64_t;
    }
}

/// SoftFloat's rounding-mode code for `rm`. The codes equal the RISC-V `rm`
/// encodings (RNE=0, RTZ=1, RDN=2, RUP=3, RMM=4). `Dyn` must have been resolved
/// by the caller; it is treated as RNE.
fn sf_mode(rm: RoundMode) -> u8 {
    match rm {
        RoundMode::Rne => sf::softfloat_round_near_even,
        RoundMode::Rtz => sf::softfloat_round_minMag,
        RoundMode::Rdn => sf::softfloat_round_min,
        RoundMode::Rup => sf::softfloat_round_max,
        RoundMode::Rmm => sf::softfloat_round_near_maxMag,
        RoundMode::Dyn => {
            debug_assert!(
                false,
                "dynamic rounding mode must be resolved by the caller"
            );
            sf::softfloat_round_near_even
        }
    }
}

/// Run `op` with SoftFloat's rounding mode set to `rm` and its flags cleared,
/// then OR the raised flags (same bit layout as RISC-V `fflags`) into `fflags`.
pub(super) fn with_env<T>(rm: RoundMode, fflags: &mut u64, op: impl FnOnce() -> T) -> T {
    let mode = sf_mode(rm);
    // SAFETY: the helpers only write SoftFloat's thread-local globals (see module doc).
    unsafe {
        sf::vm_softfloat_set_rounding_mode(mode);
        sf::vm_softfloat_set_flags(0);
    }
    let r = op();
    // SAFETY: reads SoftFloat's thread-local flag word (see module doc).
    let raised = unsafe { sf::vm_softfloat_flags() };
    *fflags |= u64::from(raised) & 0x1f;
    r
}

/// SoftFloat's rounding-mode code for a conversion to integer with `rm`.
pub(super) fn int_mode(rm: RoundMode) -> u8 {
    sf_mode(rm)
}

macro_rules! binary {
    ($($name:ident: $ty:ident, $bits:ty;)*) => {$(
        /// SoftFloat operation of the same name on bit patterns.
        pub(super) fn $name(a: $bits, b: $bits) -> $bits {
            // SAFETY: by-value pure call (see module doc).
            unsafe { sf::$name($ty { v: a }, $ty { v: b }).v }
        }
    )*};
}

binary! {
    f32_add: float32_t, u32; f32_sub: float32_t, u32; f32_mul: float32_t, u32; f32_div: float32_t, u32;
    f64_add: float64_t, u64; f64_sub: float64_t, u64; f64_mul: float64_t, u64; f64_div: float64_t, u64;
}

macro_rules! compare {
    ($($name:ident: $ty:ident, $bits:ty;)*) => {$(
        /// SoftFloat comparison of the same name on bit patterns.
        pub(super) fn $name(a: $bits, b: $bits) -> bool {
            // SAFETY: by-value pure call (see module doc).
            unsafe { sf::$name($ty { v: a }, $ty { v: b }) }
        }
    )*};
}

compare! {
    f32_eq: float32_t, u32; f32_lt: float32_t, u32; f32_le: float32_t, u32;
    f64_eq: float64_t, u64; f64_lt: float64_t, u64; f64_le: float64_t, u64;
}

/// Single-precision square root.
pub(super) fn f32_sqrt(a: u32) -> u32 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f32_sqrt(float32_t { v: a }).v }
}

/// Double-precision square root.
pub(super) fn f64_sqrt(a: u64) -> u64 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f64_sqrt(float64_t { v: a }).v }
}

/// Single-precision `a * b + c` with one rounding.
pub(super) fn f32_mul_add(a: u32, b: u32, c: u32) -> u32 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f32_mulAdd(float32_t { v: a }, float32_t { v: b }, float32_t { v: c }).v }
}

/// Double-precision `a * b + c` with one rounding.
pub(super) fn f64_mul_add(a: u64, b: u64, c: u64) -> u64 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f64_mulAdd(float64_t { v: a }, float64_t { v: b }, float64_t { v: c }).v }
}

/// Single to double (exact; NaNs become the canonical NaN).
pub(super) fn f32_to_f64(a: u32) -> u64 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f32_to_f64(float32_t { v: a }).v }
}

/// Double to single, rounded with the current mode.
pub(super) fn f64_to_f32(a: u64) -> u32 {
    // SAFETY: by-value pure call (see module doc).
    unsafe { sf::f64_to_f32(float64_t { v: a }).v }
}

/// Integer kinds a float converts to or from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum IntKind {
    /// Signed 32-bit.
    I32,
    /// Unsigned 32-bit.
    U32,
    /// Signed 64-bit.
    I64,
    /// Unsigned 64-bit.
    U64,
}

/// Single to integer with rounding mode `rm`, saturating; raises NV and NX.
/// The result is the integer's bit pattern zero-extended to 64 bits.
pub(super) fn f32_to_int(a: u32, to: IntKind, rm: RoundMode) -> u64 {
    let a = float32_t { v: a };
    let m = int_mode(rm);
    // SAFETY: by-value pure calls (see module doc).
    unsafe {
        match to {
            IntKind::I32 => u64::from(sf::vm_f32_to_i32(a, m, true) as u32),
            IntKind::U32 => u64::from(sf::vm_f32_to_ui32(a, m, true)),
            IntKind::I64 => sf::f32_to_i64(a, m, true) as u64,
            IntKind::U64 => sf::f32_to_ui64(a, m, true),
        }
    }
}

/// Double to integer with rounding mode `rm`, saturating; raises NV and NX.
/// The result is the integer's bit pattern zero-extended to 64 bits.
pub(super) fn f64_to_int(a: u64, to: IntKind, rm: RoundMode) -> u64 {
    let a = float64_t { v: a };
    let m = int_mode(rm);
    // SAFETY: by-value pure calls (see module doc).
    unsafe {
        match to {
            IntKind::I32 => u64::from(sf::vm_f64_to_i32(a, m, true) as u32),
            IntKind::U32 => u64::from(sf::vm_f64_to_ui32(a, m, true)),
            IntKind::I64 => sf::f64_to_i64(a, m, true) as u64,
            IntKind::U64 => sf::f64_to_ui64(a, m, true),
        }
    }
}

/// Integer (given as its low bits per `from`) to single, rounded with the current mode.
pub(super) fn int_to_f32(a: u64, from: IntKind) -> u32 {
    // SAFETY: by-value pure calls (see module doc).
    unsafe {
        match from {
            IntKind::I32 => sf::i32_to_f32(a as u32 as i32).v,
            IntKind::U32 => sf::ui32_to_f32(a as u32).v,
            IntKind::I64 => sf::i64_to_f32(a as i64).v,
            IntKind::U64 => sf::ui64_to_f32(a).v,
        }
    }
}

/// Integer (given as its low bits per `from`) to double, rounded with the current mode.
pub(super) fn int_to_f64(a: u64, from: IntKind) -> u64 {
    // SAFETY: by-value pure calls (see module doc).
    unsafe {
        match from {
            IntKind::I32 => sf::i32_to_f64(a as u32 as i32).v,
            IntKind::U32 => sf::ui32_to_f64(a as u32).v,
            IntKind::I64 => sf::i64_to_f64(a as i64).v,
            IntKind::U64 => sf::ui64_to_f64(a).v,
        }
    }
}
