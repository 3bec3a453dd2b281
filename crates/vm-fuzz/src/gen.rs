//! The random program generator: deterministic from a `u64` seed.
//!
//! A program is a prologue (load every register and `fcsr` from the state
//! table), a body of random instructions and control structures, an
//! epilogue (store every register and `fcsr` back, then end), and leaf
//! functions after the end. One program in eight (not those for qemu) ends
//! its body with an access that faults, so the engines are compared on the
//! exact state at a fault in compiled code. Every other memory access goes
//! to the scratch region,
//! whose base the generator keeps in the reserved registers `x2` and `x8`;
//! `x9` is reserved as the loop counter. Everything else is fair game,
//! including `x0` as a destination.
//!
//! The body uses every instruction the VM implements except those whose
//! results legitimately differ between runs (`cycle`, `time`, `instret`) or
//! that need the runtime (`ecall`): RV64I/M/A/F/D/C, Zicsr on the FP CSRs,
//! Zba/Zbb/Zbs; static rounding modes and dynamic ones after `frm` writes;
//! special FP values; LR/SC and AMOs on aligned addresses; misaligned plain
//! loads and stores; forward branches, bounded loops, direct and indirect
//! calls.

use crate::asm::Item;
use crate::encode::COp;
use crate::layout::*;
use crate::rng::Rng;
use vm_frontend::insn::{
    AmoOp, AqRl, AtomicWidth, BranchOp, CsrOp, CsrSrc, CvtTy, FBinOp, FmaOp, FpFmt, ImmOp, LoadOp,
    Op, RegOp, RoundMode, StoreOp, UnaryOp,
};

/// How a program ends after storing its state.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `ebreak` (in-process runs stop at `Exit::Breakpoint`).
    Ebreak,
    /// `write(1, data, DATA_BYTES)` then `exit_group(0)` (qemu and `vm run`).
    Linux,
}

/// Generator settings.
#[derive(Clone, Debug)]
pub struct GenConfig {
    /// Avoid what qemu 7.2 (the reference) gets wrong: `ctzw` (it counts
    /// into the upper word) and invalid `frm` values (qemu and the VM both
    /// die of SIGILL, which the byte comparison cannot see).
    pub qemu_safe: bool,
    /// Most plain instructions in the body.
    pub body_insns_max: u32,
}

impl Default for GenConfig {
    fn default() -> Self {
        GenConfig {
            qemu_safe: false,
            body_insns_max: 120,
        }
    }
}

/// A generated program: code items and the initial data region.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The seed it was generated from.
    pub seed: u64,
    /// Prologue and body.
    pub main: Vec<Item>,
    /// Leaf functions (placed after the epilogue).
    pub leaves: Vec<Item>,
    /// Initial contents of the data region ([`DATA_BYTES`] bytes).
    pub data: Vec<u8>,
}

impl Program {
    /// Every item in code order with the given ending.
    pub fn items(&self, ending: Ending) -> Vec<Item> {
        let mut out = self.main.clone();
        out.extend(epilogue(ending));
        out.extend(self.leaves.iter().cloned());
        out
    }
}

/// One program in this many (not for qemu, whose ending is its output)
/// ends its body with an access that faults: the engines must agree on the
/// fault and on the whole state at it (registers the body left only in
/// host registers of compiled code, `instret`, memory).
const FAULT_PROBE_ONE_IN: u64 = 8;

/// Registers the body never writes.
const RESERVED: [u8; 3] = [2, 8, 9];
/// Loop counter.
const LOOP_REG: u8 = 9;
/// Scratch base.
const BASE: u8 = 8;

/// Generate the program for `seed`.
pub fn generate(seed: u64, cfg: &GenConfig) -> Program {
    let mut g = Gen {
        rng: Rng::new(seed),
        cfg: cfg.clone(),
        in_leaf: false,
        next_label: 0,
    };
    let data = g.data();
    let n_leaves = g.rng.range(0, 3) as u32;
    let leaf_labels: Vec<u32> = (0..n_leaves).map(|_| g.label()).collect();
    let mut main = prologue();
    let budget = g.rng.range(1, cfg.body_insns_max.max(1) as i64) as u32;
    let mut emitted = 0;
    while emitted < budget {
        emitted += g.structure(&mut main, &leaf_labels);
    }
    if !cfg.qemu_safe && g.rng.chance(1, FAULT_PROBE_ONE_IN) {
        g.fault_probe(&mut main);
    }
    let mut leaves = Vec::new();
    g.in_leaf = true;
    for l in leaf_labels {
        leaves.push(Item::Label(l));
        for _ in 0..g.rng.range(0, 10) {
            g.plain(&mut leaves);
        }
        leaves.push(if g.rng.chance(1, 2) {
            Item::C(COp::Jr { rs1: 1 })
        } else {
            Item::Op(Op::Jalr {
                rd: 0,
                rs1: 1,
                offset: 0,
            })
        });
    }
    Program {
        seed,
        main,
        leaves,
        data,
    }
}

fn addi(rd: u8, rs1: u8, imm: i64) -> Op {
    Op::RegImm {
        op: ImmOp::Addi,
        rd,
        rs1,
        imm,
    }
}

/// Load every register and `fcsr` from the state table.
fn prologue() -> Vec<Item> {
    let mut v = vec![
        Item::Op(Op::Lui {
            rd: BASE,
            imm: DATA_BASE as i64,
        }),
        Item::Op(addi(2, BASE, 0)),
        Item::Op(Op::Load {
            op: LoadOp::Ld,
            rd: 5,
            rs1: BASE,
            offset: FCSR_OFF as i64,
        }),
        Item::Op(Op::Csr {
            op: CsrOp::Rw,
            rd: 0,
            csr: 0x003,
            src: CsrSrc::Reg(5),
        }),
    ];
    for r in 1..32u8 {
        if r != 2 && r != BASE {
            v.push(Item::Op(Op::Load {
                op: LoadOp::Ld,
                rd: r,
                rs1: BASE,
                offset: (XREGS_OFF + 8 * r as u64) as i64,
            }));
        }
    }
    for r in 0..32u8 {
        v.push(Item::Op(Op::FpLoad {
            fmt: FpFmt::D,
            rd: r,
            rs1: BASE,
            offset: (FREGS_OFF + 8 * r as u64) as i64,
        }));
    }
    v
}

/// Store every register and `fcsr` to the state table, then end.
pub fn epilogue(ending: Ending) -> Vec<Item> {
    let mut v = Vec::new();
    for r in 1..32u8 {
        v.push(Item::Op(Op::Store {
            op: StoreOp::Sd,
            rs1: BASE,
            rs2: r,
            offset: (XREGS_OFF + 8 * r as u64) as i64,
        }));
    }
    for r in 0..32u8 {
        v.push(Item::Op(Op::FpStore {
            fmt: FpFmt::D,
            rs1: BASE,
            rs2: r,
            offset: (FREGS_OFF + 8 * r as u64) as i64,
        }));
    }
    v.push(Item::Op(Op::Csr {
        op: CsrOp::Rs,
        rd: 5,
        csr: 0x003,
        src: CsrSrc::Reg(0),
    }));
    v.push(Item::Op(Op::Store {
        op: StoreOp::Sd,
        rs1: BASE,
        rs2: 5,
        offset: FCSR_OFF as i64,
    }));
    match ending {
        Ending::Ebreak => {
            // Padded to the Linux ending's length so that the leaf
            // functions after it (and their `auipc` results) sit at the
            // same addresses in both variants.
            v.push(Item::Op(Op::Ebreak));
            for _ in 0..7 {
                v.push(Item::Op(addi(0, 0, 0)));
            }
        }
        Ending::Linux => {
            v.push(Item::Op(addi(10, 0, 1)));
            v.push(Item::Op(addi(11, BASE, 0)));
            v.push(Item::Op(addi(12, 0, DATA_BYTES as i64)));
            v.push(Item::Op(addi(17, 0, 64)));
            v.push(Item::Op(Op::Ecall));
            v.push(Item::Op(addi(10, 0, 0)));
            v.push(Item::Op(addi(17, 0, 94)));
            v.push(Item::Op(Op::Ecall));
        }
    }
    v
}

/// Double-precision values worth testing.
const SPECIAL_D: &[u64] = &[
    0x0000_0000_0000_0000, // +0
    0x8000_0000_0000_0000, // -0
    0x7ff0_0000_0000_0000, // +inf
    0xfff0_0000_0000_0000, // -inf
    0x7ff8_0000_0000_0000, // canonical qNaN
    0xfff8_0000_0000_0000, // negative qNaN
    0x7ff0_0000_0000_0001, // sNaN
    0x7ff8_dead_beef_0001, // qNaN with payload
    0x0000_0000_0000_0001, // smallest subnormal
    0x000f_ffff_ffff_ffff, // largest subnormal
    0x8000_0000_0000_0001, // negative subnormal
    0x0010_0000_0000_0000, // smallest normal
    0x7fef_ffff_ffff_ffff, // largest finite
    0x3ff0_0000_0000_0000, // 1.0
    0xbff0_0000_0000_0000, // -1.0
    0x3ff8_0000_0000_0000, // 1.5
    0x4004_0000_0000_0000, // 2.5
    0xc004_0000_0000_0000, // -2.5
    0x3fe0_0000_0000_0000, // 0.5
    0x41e0_0000_0000_0000, // 2^31
    0xc1e0_0000_0000_0000, // -2^31
    0x41f0_0000_0000_0000, // 2^32
    0x43e0_0000_0000_0000, // 2^63
    0xc3e0_0000_0000_0000, // -2^63
    0x43f0_0000_0000_0000, // 2^64
    0x47ef_ffff_e000_0000, // largest single as a double
    0x36a0_0000_0000_0000, // smallest single subnormal as a double
];

/// Single-precision values worth testing (to be NaN-boxed or not).
const SPECIAL_S: &[u32] = &[
    0x0000_0000,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0000,
    0x7f80_0001,
    0x7fc1_2345,
    0x0000_0001,
    0x007f_ffff,
    0x8000_0001,
    0x0080_0000,
    0x7f7f_ffff,
    0x3f80_0000,
    0xbf80_0000,
    0x3fc0_0000,
    0x4020_0000,
    0xc020_0000,
    0x4f00_0000,
    0xcf00_0000,
    0x4f80_0000,
    0x5f00_0000,
    0xdf00_0000,
    0x5f80_0000,
];

/// Integer values worth testing.
const SPECIAL_X: &[u64] = &[
    0,
    1,
    2,
    u64::MAX,
    0x8000_0000_0000_0000,
    0x7fff_ffff_ffff_ffff,
    0x8000_0000,
    0x7fff_ffff,
    0xffff_ffff,
    0xffff_ffff_8000_0000,
    0x1_0000_0000,
    63,
    64,
    31,
    32,
    0x0101_0101_0101_0101,
    0x8080_8080_8080_8080,
];

struct Gen {
    rng: Rng,
    cfg: GenConfig,
    /// Generating a leaf function: `ra` must survive.
    in_leaf: bool,
    next_label: u32,
}

impl Gen {
    fn label(&mut self) -> u32 {
        self.next_label += 1;
        self.next_label
    }

    /// A random double bit pattern: special, near 1.0 or fully random.
    fn fp_d(&mut self) -> u64 {
        match self.rng.below(4) {
            0 => self.rng.pick(SPECIAL_D),
            1 => self.rng.next_u64(),
            _ => {
                let sign = self.rng.below(2) << 63;
                let exp = (1023 + self.rng.range(-40, 40)) as u64;
                sign | exp << 52 | (self.rng.next_u64() & ((1 << 52) - 1))
            }
        }
    }

    /// A random single bit pattern.
    fn fp_s(&mut self) -> u32 {
        match self.rng.below(4) {
            0 => self.rng.pick(SPECIAL_S),
            1 => self.rng.next_u64() as u32,
            _ => {
                let sign = (self.rng.below(2) as u32) << 31;
                let exp = (127 + self.rng.range(-20, 20)) as u32;
                sign | exp << 23 | (self.rng.next_u64() as u32 & 0x7f_ffff)
            }
        }
    }

    /// A value for an FP register: a double, a NaN-boxed single, or an
    /// improperly boxed single.
    fn freg_value(&mut self) -> u64 {
        match self.rng.below(8) {
            0..=3 => self.fp_d(),
            4..=6 => 0xffff_ffff_0000_0000 | self.fp_s() as u64,
            _ => (self.rng.next_u64() & 0xffff_fffe_0000_0000) | self.fp_s() as u64,
        }
    }

    /// A value for an integer register.
    fn xreg_value(&mut self) -> u64 {
        match self.rng.below(6) {
            0 => self.rng.pick(SPECIAL_X),
            1 => self.rng.range(-16, 16) as u64,
            2 => self.freg_value(),
            _ => self.rng.next_u64(),
        }
    }

    /// Initial contents of the data region.
    fn data(&mut self) -> Vec<u8> {
        let mut d = vec![0u8; DATA_BYTES as usize];
        for chunk in d[..SCRATCH_BYTES as usize].chunks_mut(8) {
            let v = if self.rng.chance(1, 3) {
                self.freg_value()
            } else {
                self.xreg_value()
            };
            chunk.copy_from_slice(&v.to_le_bytes());
        }
        for r in 0..32 {
            let x = self.xreg_value();
            let f = self.freg_value();
            let xo = (XREGS_OFF + 8 * r) as usize;
            let fo = (FREGS_OFF + 8 * r) as usize;
            d[xo..xo + 8].copy_from_slice(&x.to_le_bytes());
            d[fo..fo + 8].copy_from_slice(&f.to_le_bytes());
        }
        let fcsr = self.rng.below(5) << 5 | self.rng.below(32);
        let o = FCSR_OFF as usize;
        d[o..o + 8].copy_from_slice(&fcsr.to_le_bytes());
        d
    }

    /// A destination integer register (may be x0, never reserved).
    fn rd(&mut self) -> u8 {
        loop {
            let r = self.rng.below(32) as u8;
            let keeps_ra = self.in_leaf && r == 1;
            if !RESERVED.contains(&r) && !keeps_ra {
                return r;
            }
        }
    }

    /// An access that faults: a load or store (integer or FP, any width,
    /// often misaligned) through a register set to an address that is
    /// unmapped (past the data page, or 0), read-only (the code), across
    /// the end of the data page, at the end of the guest space, or far
    /// above it.
    fn fault_probe(&mut self, out: &mut Vec<Item>) {
        let r = self.rd_nz();
        let (base, store_only) = match self.rng.below(6) {
            0 => (DATA_BASE + DATA_MAP_BYTES + self.rng.below(64), false),
            1 => (0, false),
            2 => (CODE_BASE + self.rng.below(64), true),
            3 => (
                DATA_BASE + DATA_MAP_BYTES - self.rng.range(1, 7) as u64,
                false,
            ),
            4 => ((1 << 38) - self.rng.range(1, 7) as u64, false),
            _ => (1 << 40, false),
        };
        // r = base (below 2^41): lui of the bits above 22, then shifts
        // and adds of the rest in pieces addi can take.
        let top = (base >> 22) as i64;
        out.push(Item::Op(Op::Lui {
            rd: r,
            imm: top << 12,
        }));
        out.push(Item::Op(Op::RegImm {
            op: ImmOp::Srli,
            rd: r,
            rs1: r,
            imm: 12,
        }));
        for (shift, bits) in [(12, 10), (2, 10), (0, 2)] {
            out.push(Item::Op(Op::RegImm {
                op: ImmOp::Slli,
                rd: r,
                rs1: r,
                imm: bits,
            }));
            let part = (base >> shift) & ((1 << bits) - 1);
            out.push(Item::Op(addi(r, r, part as i64)));
        }
        let store = store_only || self.rng.chance(1, 2);
        let fp = self.rng.chance(1, 4);
        let op = match (store, fp) {
            (false, false) => Op::Load {
                op: self.rng.pick(&[
                    LoadOp::Lb,
                    LoadOp::Lh,
                    LoadOp::Lw,
                    LoadOp::Ld,
                    LoadOp::Lbu,
                    LoadOp::Lhu,
                    LoadOp::Lwu,
                ]),
                rd: self.rd(),
                rs1: r,
                offset: 0,
            },
            (true, false) => Op::Store {
                op: self
                    .rng
                    .pick(&[StoreOp::Sb, StoreOp::Sh, StoreOp::Sw, StoreOp::Sd]),
                rs1: r,
                rs2: self.rs(),
                offset: 0,
            },
            (false, true) => Op::FpLoad {
                fmt: self.fmt(),
                rd: self.freg(),
                rs1: r,
                offset: 0,
            },
            (true, true) => Op::FpStore {
                fmt: self.fmt(),
                rs1: r,
                rs2: self.freg(),
                offset: 0,
            },
        };
        out.push(Item::Op(op));
    }

    /// A nonzero destination.
    fn rd_nz(&mut self) -> u8 {
        loop {
            let r = self.rd();
            if r != 0 {
                return r;
            }
        }
    }

    /// A compressed-register destination (x10..x15).
    fn rdp(&mut self) -> u8 {
        self.rng.range(10, 15) as u8
    }

    /// Any source register.
    fn rs(&mut self) -> u8 {
        self.rng.below(32) as u8
    }

    fn freg(&mut self) -> u8 {
        self.rng.below(32) as u8
    }

    fn fmt(&mut self) -> FpFmt {
        if self.rng.chance(1, 2) {
            FpFmt::S
        } else {
            FpFmt::D
        }
    }

    fn rm(&mut self) -> RoundMode {
        use RoundMode::*;
        self.rng.pick(&[Rne, Rtz, Rdn, Rup, Rmm, Dyn, Dyn, Dyn])
    }

    fn order(&mut self) -> AqRl {
        AqRl {
            aq: self.rng.chance(1, 2),
            rl: self.rng.chance(1, 2),
        }
    }

    /// A scratch offset for an access of `size` bytes aligned to `align`.
    fn offset(&mut self, size: u64, align: u64) -> i64 {
        let slots = (SCRATCH_BYTES - size) / align + 1;
        (self.rng.below(slots) * align) as i64
    }

    /// A 12-bit immediate.
    fn imm12(&mut self) -> i64 {
        match self.rng.below(4) {
            0 => self
                .rng
                .pick(&[0, 1, -1, 2047, -2048, 31, 32, 63, 0xff, 0x7ff]),
            1 => self.rng.range(-16, 16),
            _ => self.rng.range(-2048, 2047),
        }
    }

    /// Emit one control structure or a plain instruction; returns how many
    /// plain instructions it contained (at least 1).
    fn structure(&mut self, out: &mut Vec<Item>, leaves: &[u32]) -> u32 {
        match self.rng.below(40) {
            0..=2 => {
                // Forward conditional branch over a few instructions.
                let l = self.label();
                let k = self.rng.range(0, 5) as u32;
                let branch = if self.rng.chance(1, 3) {
                    Item::CBranch {
                        bnez: self.rng.chance(1, 2),
                        rs1p: self.rng.range(8, 15) as u8,
                        target: l,
                    }
                } else {
                    use BranchOp::*;
                    Item::Branch {
                        op: self.rng.pick(&[Beq, Bne, Blt, Bge, Bltu, Bgeu]),
                        rs1: self.rs(),
                        rs2: self.rs(),
                        target: l,
                    }
                };
                out.push(branch);
                for _ in 0..k {
                    self.plain(out);
                }
                out.push(Item::Label(l));
                k + 1
            }
            3 => {
                // Forward jump.
                let l = self.label();
                let k = self.rng.range(0, 3) as u32;
                out.push(Item::Jump {
                    target: l,
                    compressed: self.rng.chance(1, 2),
                });
                for _ in 0..k {
                    self.plain(out);
                }
                out.push(Item::Label(l));
                k + 1
            }
            4..=5 => {
                // Bounded loop on x9.
                let l = self.label();
                let n = self.rng.range(1, 6);
                out.push(if self.rng.chance(1, 2) {
                    Item::C(COp::Li {
                        rd: LOOP_REG,
                        imm: n as i32,
                    })
                } else {
                    Item::Op(addi(LOOP_REG, 0, n))
                });
                out.push(Item::Label(l));
                let k = self.rng.range(1, 8) as u32;
                for _ in 0..k {
                    self.plain(out);
                }
                out.push(if self.rng.chance(1, 2) {
                    Item::C(COp::Addi {
                        rd: LOOP_REG,
                        imm: -1,
                    })
                } else {
                    Item::Op(addi(LOOP_REG, LOOP_REG, -1))
                });
                out.push(match self.rng.below(3) {
                    0 => Item::CBranch {
                        bnez: true,
                        rs1p: LOOP_REG,
                        target: l,
                    },
                    1 => Item::Branch {
                        op: BranchOp::Bne,
                        rs1: LOOP_REG,
                        rs2: 0,
                        target: l,
                    },
                    _ => Item::Branch {
                        op: BranchOp::Blt,
                        rs1: 0,
                        rs2: LOOP_REG,
                        target: l,
                    },
                });
                k * n as u32 + 1
            }
            6 if !leaves.is_empty() => {
                let target = self.rng.pick(leaves);
                out.push(if self.rng.chance(1, 2) {
                    Item::Call { target }
                } else {
                    Item::CallVia {
                        tmp: self.rd_nz(),
                        target,
                        compressed: self.rng.chance(1, 2),
                    }
                });
                1
            }
            _ => {
                self.plain(out);
                1
            }
        }
    }

    /// Emit one plain (non-control) instruction, or a short sequence that
    /// sets up its address register.
    pub(crate) fn plain(&mut self, out: &mut Vec<Item>) {
        let op = match self.rng.below(100) {
            0..=13 => self.reg_reg(),
            14..=23 => self.reg_imm(),
            24..=28 => self.unary(),
            29..=30 => {
                let imm = ((self.rng.next_u64() as i32) & !0xfff) as i64;
                if self.rng.chance(1, 2) {
                    Op::Lui { rd: self.rd(), imm }
                } else {
                    Op::Auipc { rd: self.rd(), imm }
                }
            }
            31..=36 => {
                use LoadOp::*;
                let op = self.rng.pick(&[Lb, Lh, Lw, Ld, Lbu, Lhu, Lwu]);
                let size = match op {
                    Lb | Lbu => 1,
                    Lh | Lhu => 2,
                    Lw | Lwu => 4,
                    Ld => 8,
                };
                Op::Load {
                    op,
                    rd: self.rd(),
                    rs1: self.rng.pick(&[2, BASE]),
                    offset: self.offset(size, 1),
                }
            }
            37..=42 => {
                use StoreOp::*;
                let op = self.rng.pick(&[Sb, Sh, Sw, Sd]);
                let size = match op {
                    Sb => 1,
                    Sh => 2,
                    Sw => 4,
                    Sd => 8,
                };
                Op::Store {
                    op,
                    rs1: self.rng.pick(&[2, BASE]),
                    rs2: self.rs(),
                    offset: self.offset(size, 1),
                }
            }
            43..=46 => {
                let fmt = self.fmt();
                let size = if fmt == FpFmt::S { 4 } else { 8 };
                let align = if self.rng.chance(1, 8) { 1 } else { size };
                let offset = self.offset(size, align);
                if self.rng.chance(1, 2) {
                    Op::FpLoad {
                        fmt,
                        rd: self.freg(),
                        rs1: BASE,
                        offset,
                    }
                } else {
                    Op::FpStore {
                        fmt,
                        rs1: BASE,
                        rs2: self.freg(),
                        offset,
                    }
                }
            }
            47..=50 => return self.atomic(out),
            51..=85 => self.fp(),
            86..=89 => return self.csr(out),
            90..=98 => {
                let c = self.compressed();
                out.push(Item::C(c));
                return;
            }
            _ => {
                if self.rng.chance(1, 20) {
                    Op::FenceI
                } else {
                    Op::Fence {
                        fm: 0,
                        pred: self.rng.range(0, 15) as u8,
                        succ: self.rng.range(0, 15) as u8,
                    }
                }
            }
        };
        out.push(Item::Op(op));
    }

    fn reg_reg(&mut self) -> Op {
        use RegOp::*;
        let op = self.rng.pick(&[
            Add, Sub, Sll, Slt, Sltu, Xor, Srl, Sra, Or, And, Addw, Subw, Sllw, Srlw, Sraw, Mul,
            Mulh, Mulhsu, Mulhu, Div, Divu, Rem, Remu, Mulw, Divw, Divuw, Remw, Remuw, Sh1add,
            Sh2add, Sh3add, AddUw, Sh1addUw, Sh2addUw, Sh3addUw, Andn, Orn, Xnor, Max, Maxu, Min,
            Minu, Rol, Rolw, Ror, Rorw, Bclr, Bext, Binv, Bset,
        ]);
        Op::RegReg {
            op,
            rd: self.rd(),
            rs1: self.rs(),
            rs2: self.rs(),
        }
    }

    fn reg_imm(&mut self) -> Op {
        use ImmOp::*;
        let op = self.rng.pick(&[
            Addi, Slti, Sltiu, Xori, Ori, Andi, Slli, Srli, Srai, Addiw, Slliw, Srliw, Sraiw,
            SlliUw, Rori, Roriw, Bclri, Bexti, Binvi, Bseti,
        ]);
        let imm = match op {
            Addi | Slti | Sltiu | Xori | Ori | Andi | Addiw => self.imm12(),
            Slliw | Srliw | Sraiw | Roriw => self.rng.range(0, 31),
            _ => self.rng.range(0, 63),
        };
        Op::RegImm {
            op,
            rd: self.rd(),
            rs1: self.rs(),
            imm,
        }
    }

    fn unary(&mut self) -> Op {
        use UnaryOp::*;
        let mut op = self.rng.pick(&[
            Clz, Ctz, Cpop, Clzw, Ctzw, Cpopw, SextB, SextH, ZextH, OrcB, Rev8,
        ]);
        if self.cfg.qemu_safe && op == Ctzw {
            op = Ctz;
        }
        Op::Unary {
            op,
            rd: self.rd(),
            rs1: self.rs(),
        }
    }

    /// An AMO, LR or SC (with LR/SC pairs), on an aligned scratch address
    /// placed in a temporary by an `addi` from the base.
    fn atomic(&mut self, out: &mut Vec<Item>) {
        let width = if self.rng.chance(1, 2) {
            AtomicWidth::W
        } else {
            AtomicWidth::D
        };
        let size = width.bytes() as u64;
        let tmp = self.rd_nz();
        let off = self.offset(size, size);
        out.push(Item::Op(addi(tmp, BASE, off)));
        match self.rng.below(4) {
            0 => {
                // LR, maybe an instruction, SC.
                let mut rd = self.rd();
                if rd == tmp {
                    rd = 0;
                }
                out.push(Item::Op(Op::Lr {
                    width,
                    order: self.order(),
                    rd,
                    rs1: tmp,
                }));
                if self.rng.chance(1, 2) {
                    let mut between = self.reg_reg();
                    if let Op::RegReg { rd, .. } = &mut between
                        && *rd == tmp
                    {
                        *rd = 0;
                    }
                    out.push(Item::Op(between));
                }
                if self.rng.chance(1, 4) {
                    // A store to the reserved address in between.
                    out.push(Item::Op(Op::Store {
                        op: StoreOp::Sd,
                        rs1: BASE,
                        rs2: self.rs(),
                        offset: off & !7,
                    }));
                }
                out.push(Item::Op(Op::Sc {
                    width,
                    order: self.order(),
                    rd: self.rd(),
                    rs1: tmp,
                    rs2: self.rs(),
                }));
            }
            1 => out.push(Item::Op(Op::Sc {
                width,
                order: self.order(),
                rd: self.rd(),
                rs1: tmp,
                rs2: self.rs(),
            })),
            _ => {
                use AmoOp::*;
                out.push(Item::Op(Op::Amo {
                    op: self
                        .rng
                        .pick(&[Swap, Add, Xor, And, Or, Min, Max, MinU, MaxU]),
                    width,
                    order: self.order(),
                    rd: self.rd(),
                    rs1: tmp,
                    rs2: self.rs(),
                }))
            }
        }
    }

    fn fp(&mut self) -> Op {
        let fmt = self.fmt();
        match self.rng.below(20) {
            0..=5 => {
                use FBinOp::*;
                Op::FpArith {
                    op: self.rng.pick(&[Add, Sub, Mul, Div]),
                    fmt,
                    rm: self.rm(),
                    rd: self.freg(),
                    rs1: self.freg(),
                    rs2: self.freg(),
                }
            }
            6..=7 => {
                use FBinOp::*;
                Op::FpSignMinMax {
                    op: self.rng.pick(&[Sgnj, Sgnjn, Sgnjx, Min, Max]),
                    fmt,
                    rd: self.freg(),
                    rs1: self.freg(),
                    rs2: self.freg(),
                }
            }
            8..=9 => {
                use FBinOp::*;
                Op::FpCompare {
                    op: self.rng.pick(&[Eq, Lt, Le]),
                    fmt,
                    rd: self.rd(),
                    rs1: self.freg(),
                    rs2: self.freg(),
                }
            }
            10 => Op::FpSqrt {
                fmt,
                rm: self.rm(),
                rd: self.freg(),
                rs1: self.freg(),
            },
            11..=12 => {
                use FmaOp::*;
                Op::Fma {
                    op: self.rng.pick(&[MAdd, MSub, NMSub, NMAdd]),
                    fmt,
                    rm: self.rm(),
                    rd: self.freg(),
                    rs1: self.freg(),
                    rs2: self.freg(),
                    rs3: self.freg(),
                }
            }
            13..=16 => {
                use CvtTy::*;
                let ints = [W, WU, L, LU];
                let (to, from, rd, rs1) = match self.rng.below(3) {
                    0 => {
                        let (to, from) = if self.rng.chance(1, 2) {
                            (S, D)
                        } else {
                            (D, S)
                        };
                        (to, from, self.freg(), self.freg())
                    }
                    1 => {
                        let f = if fmt == FpFmt::S { S } else { D };
                        (self.rng.pick(&ints), f, self.rd(), self.freg())
                    }
                    _ => {
                        let f = if fmt == FpFmt::S { S } else { D };
                        (f, self.rng.pick(&ints), self.freg(), self.rs())
                    }
                };
                Op::FCvt {
                    to,
                    from,
                    rm: self.rm(),
                    rd,
                    rs1,
                }
            }
            17 => Op::FMvToInt {
                fmt,
                rd: self.rd(),
                rs1: self.freg(),
            },
            18 => Op::FMvFromInt {
                fmt,
                rd: self.freg(),
                rs1: self.rs(),
            },
            _ => Op::FClass {
                fmt,
                rd: self.rd(),
                rs1: self.freg(),
            },
        }
    }

    /// An access to `fflags`, `frm` or `fcsr`. Writes of `frm` keep it a
    /// valid rounding mode except, rarely, outside qemu-safe programs.
    fn csr(&mut self, out: &mut Vec<Item>) {
        let csr = self.rng.range(1, 3) as u16;
        let rd = self.rd();
        let invalid_ok = !self.cfg.qemu_safe && self.rng.chance(1, 50);
        let op = match (csr, self.rng.below(4)) {
            // Reads.
            (_, 0) => Op::Csr {
                op: self.rng.pick(&[CsrOp::Rs, CsrOp::Rc]),
                rd,
                csr,
                src: if self.rng.chance(1, 2) {
                    CsrSrc::Reg(0)
                } else {
                    CsrSrc::Imm(0)
                },
            },
            // fflags: anything goes.
            (1, _) => Op::Csr {
                op: self.rng.pick(&[CsrOp::Rw, CsrOp::Rs, CsrOp::Rc]),
                rd,
                csr,
                src: if self.rng.chance(1, 2) {
                    CsrSrc::Reg(self.rs())
                } else {
                    CsrSrc::Imm(self.rng.below(32) as u8)
                },
            },
            // frm / fcsr: clearing bits keeps frm valid.
            (_, 1) => Op::Csr {
                op: CsrOp::Rc,
                rd,
                csr,
                src: CsrSrc::Imm(self.rng.below(32) as u8),
            },
            // frm: fsrm with an immediate or via a register.
            (2, _) => {
                let v = if invalid_ok {
                    self.rng.range(5, 7)
                } else {
                    self.rng.range(0, 4)
                } as u8;
                if self.rng.chance(1, 2) {
                    Op::Csr {
                        op: CsrOp::Rw,
                        rd,
                        csr,
                        src: CsrSrc::Imm(v),
                    }
                } else {
                    let t = self.rd_nz();
                    out.push(Item::Op(addi(t, 0, v as i64)));
                    Op::Csr {
                        op: CsrOp::Rw,
                        rd,
                        csr,
                        src: CsrSrc::Reg(t),
                    }
                }
            }
            // fcsr: flags and a rounding mode.
            _ => {
                let frm = if invalid_ok {
                    self.rng.range(5, 7)
                } else {
                    self.rng.range(0, 4)
                };
                let t = self.rd_nz();
                out.push(Item::Op(addi(t, 0, frm << 5 | self.rng.range(0, 31))));
                Op::Csr {
                    op: CsrOp::Rw,
                    rd,
                    csr,
                    src: CsrSrc::Reg(t),
                }
            }
        };
        out.push(Item::Op(op));
    }

    /// A compressed instruction (no control transfer).
    fn compressed(&mut self) -> COp {
        let r8 = |g: &mut Gen| g.rng.range(8, 15) as u8;
        let nz6 = |g: &mut Gen| loop {
            let v = g.rng.range(-32, 31) as i32;
            if v != 0 {
                return v;
            }
        };
        match self.rng.below(26) {
            0 => COp::Addi4spn {
                rdp: self.rdp(),
                imm: (self.rng.range(1, 255) * 4) as u32,
            },
            1 => COp::Fld {
                rdp: r8(self),
                rs1p: BASE,
                imm: (self.rng.range(0, 31) * 8) as u32,
            },
            2 => COp::Lw {
                rdp: self.rdp(),
                rs1p: BASE,
                imm: (self.rng.range(0, 31) * 4) as u32,
            },
            3 => COp::Ld {
                rdp: self.rdp(),
                rs1p: BASE,
                imm: (self.rng.range(0, 31) * 8) as u32,
            },
            4 => COp::Fsd {
                rs1p: BASE,
                rs2p: r8(self),
                imm: (self.rng.range(0, 31) * 8) as u32,
            },
            5 => COp::Sw {
                rs1p: BASE,
                rs2p: r8(self),
                imm: (self.rng.range(0, 31) * 4) as u32,
            },
            6 => COp::Sd {
                rs1p: BASE,
                rs2p: r8(self),
                imm: (self.rng.range(0, 31) * 8) as u32,
            },
            7 => COp::Nop,
            8 => COp::Addi {
                rd: self.rd_nz(),
                imm: nz6(self),
            },
            9 => COp::Addiw {
                rd: self.rd_nz(),
                imm: self.rng.range(-32, 31) as i32,
            },
            10 => COp::Li {
                rd: self.rd_nz(),
                imm: self.rng.range(-32, 31) as i32,
            },
            11 => COp::Lui {
                rd: self.rd_nz(),
                imm: nz6(self) << 12,
            },
            12 => COp::Srli {
                rdp: self.rdp(),
                sh: self.rng.range(1, 63) as u32,
            },
            13 => COp::Srai {
                rdp: self.rdp(),
                sh: self.rng.range(1, 63) as u32,
            },
            14 => COp::Andi {
                rdp: self.rdp(),
                imm: self.rng.range(-32, 31) as i32,
            },
            15 => {
                let (rdp, rs2p) = (self.rdp(), r8(self));
                match self.rng.below(6) {
                    0 => COp::Sub { rdp, rs2p },
                    1 => COp::Xor { rdp, rs2p },
                    2 => COp::Or { rdp, rs2p },
                    3 => COp::And { rdp, rs2p },
                    4 => COp::Subw { rdp, rs2p },
                    _ => COp::Addw { rdp, rs2p },
                }
            }
            16 => COp::Slli {
                rd: self.rd_nz(),
                sh: self.rng.range(1, 63) as u32,
            },
            17 => COp::Fldsp {
                rd: self.freg(),
                imm: (self.rng.range(0, 63) * 8) as u32,
            },
            18 => COp::Lwsp {
                rd: self.rd_nz(),
                imm: (self.rng.range(0, 63) * 4) as u32,
            },
            19 => COp::Ldsp {
                rd: self.rd_nz(),
                imm: (self.rng.range(0, 63) * 8) as u32,
            },
            20 => COp::Mv {
                rd: self.rd_nz(),
                rs2: self.rng.range(1, 31) as u8,
            },
            21 => COp::Add {
                rd: self.rd_nz(),
                rs2: self.rng.range(1, 31) as u8,
            },
            22 => COp::Fsdsp {
                rs2: self.freg(),
                imm: (self.rng.range(0, 63) * 8) as u32,
            },
            23 => COp::Swsp {
                rs2: self.rs(),
                imm: (self.rng.range(0, 63) * 4) as u32,
            },
            24 => COp::Sdsp {
                rs2: self.rs(),
                imm: (self.rng.range(0, 63) * 8) as u32,
            },
            _ => COp::Fld {
                rdp: r8(self),
                rs1p: 8,
                imm: (self.rng.range(0, 31) * 8) as u32,
            },
        }
    }
}

#[cfg(test)]
mod tests;
