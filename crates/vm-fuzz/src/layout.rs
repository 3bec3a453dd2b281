//! Where a generated program lives in the guest address space, and the
//! layout of its data region.
//!
//! The same addresses are used in process and in the ELF files given to
//! qemu, so `auipc` results and stored addresses agree between the two.
//!
//! Data region (`DATA_BASE`, [`DATA_BYTES`] long):
//!
//! ```text
//! +0x000  scratch: every load, store and atomic of the program lands here
//! +0x400  x0..x31   initial values (read by the prologue), final values (epilogue)
//! +0x500  f0..f31   likewise
//! +0x600  fcsr      likewise
//! ```

/// Guest address of the first instruction.
pub const CODE_BASE: u64 = 0x1_0000;
/// Room for code (generated programs stay far below).
pub const CODE_BYTES_MAX: u64 = 0x8000;
/// Guest address of the data region; also the value of the reserved base
/// registers `x2` and `x8`.
pub const DATA_BASE: u64 = 0x8_0000;
/// Bytes of scratch memory the program may touch.
pub const SCRATCH_BYTES: u64 = 0x400;
/// Offset of the integer register table.
pub const XREGS_OFF: u64 = 0x400;
/// Offset of the FP register table.
pub const FREGS_OFF: u64 = 0x500;
/// Offset of the saved `fcsr`.
pub const FCSR_OFF: u64 = 0x600;
/// Size of the data region: scratch plus the state tables.
pub const DATA_BYTES: u64 = 0x608;
/// Pages mapped for the data region.
pub const DATA_MAP_BYTES: u64 = 0x1000;

/// What lives at `off` in the data region, e.g. `"x5"` or `"scratch"`.
pub fn describe_offset(off: u64) -> String {
    match off {
        o if o < SCRATCH_BYTES => "scratch".into(),
        o if o < FREGS_OFF => format!("x{}", (o - XREGS_OFF) / 8),
        o if o < FCSR_OFF => format!("f{}", (o - FREGS_OFF) / 8),
        _ => "fcsr".into(),
    }
}
