//! Architectural state of one guest hart.

/// No reservation is held (see [`CpuState::res_addr`]).
pub const NO_RESERVATION: u64 = u64::MAX;

/// Registers and CSR state of one RV64 hart. `repr(C)` because compiled code
/// addresses its fields by offset.
#[repr(C)]
#[derive(Clone, Debug, PartialEq)]
pub struct CpuState {
    /// Integer registers; `x[0]` is always 0.
    pub x: [u64; 32],
    /// FP registers as bit patterns (single precision NaN-boxed).
    pub f: [u64; 32],
    /// Address of the next instruction to execute.
    pub pc: u64,
    /// Accrued FP exception flags (fcsr bits 4:0: NV DZ OF UF NX).
    pub fflags: u64,
    /// Dynamic rounding mode (fcsr bits 7:5).
    pub frm: u64,
    /// Address reserved by the last LR, or [`NO_RESERVATION`].
    pub res_addr: u64,
    /// Value loaded by the last LR (SC succeeds only if memory still holds it).
    pub res_value: u64,
    /// Guest instructions retired (for `instret`/`cycle` and `--stats`).
    pub instret: u64,
}

impl Default for CpuState {
    fn default() -> Self {
        CpuState {
            x: [0; 32],
            f: [0; 32],
            pc: 0,
            fflags: 0,
            frm: 0,
            res_addr: NO_RESERVATION,
            res_value: 0,
            instret: 0,
        }
    }
}

impl CpuState {
    /// The `fcsr` CSR value.
    pub fn fcsr(&self) -> u64 {
        (self.frm << 5) | self.fflags
    }

    /// Write `fcsr` (only its defined bits).
    pub fn set_fcsr(&mut self, v: u64) {
        self.fflags = v & 0x1f;
        self.frm = (v >> 5) & 0x7;
    }
}
