//! The declarative encoding table of 32-bit instructions.
//!
//! Why a table: each encoding is written once, as `mask`/`bits` plus the
//! operand shape and operation it decodes to ([`Kind`]); the decoder is a
//! generic loop over it, the disassembler takes names from the operations, and
//! tests can enumerate the encoding space from it (QEMU's decodetree idea).
//! Entries are disjoint, so order does not matter for correctness.

use crate::insn::*;

/// Operand shape plus operation of an encoding; [`crate::decode`] extracts the
/// fields a shape needs.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
#[allow(missing_docs)]
pub enum Kind {
    Lui,
    Auipc,
    Jal,
    Jalr,
    Branch(BranchOp),
    Load(LoadOp),
    Store(StoreOp),
    FpLoad(FpFmt),
    FpStore(FpFmt),
    /// I-type ALU op with a 12-bit signed immediate.
    Imm(ImmOp),
    /// Shift by a 6-bit (RV64) immediate.
    Shift64(ImmOp),
    /// Shift by a 5-bit immediate (`*w` forms).
    Shift32(ImmOp),
    Reg(RegOp),
    Unary(UnaryOp),
    Amo(AmoOp, AtomicWidth),
    Lr(AtomicWidth),
    Sc(AtomicWidth),
    Fence,
    FenceI,
    Ecall,
    Ebreak,
    Csr(CsrOp),
    CsrImm(CsrOp),
    FpArith(FBinOp, FpFmt),
    FpSignMinMax(FBinOp, FpFmt),
    FpCompare(FBinOp, FpFmt),
    FpSqrt(FpFmt),
    Fma(FmaOp, FpFmt),
    FCvt(CvtTy, CvtTy),
    FMvToInt(FpFmt),
    FMvFromInt(FpFmt),
    FClass(FpFmt),
}

/// One encoding: a word `w` matches when `w & mask == bits`.
#[derive(Copy, Clone, PartialEq, Eq, Debug)]
pub struct Encoding {
    /// Bits that are fixed by the encoding.
    pub mask: u32,
    /// Their values.
    pub bits: u32,
    /// What the word decodes to.
    pub kind: Kind,
}

// Masks of the common formats.
const M_OPC: u32 = 0x0000_007f; // opcode only (U/J types)
const M_F3: u32 = 0x0000_707f; // opcode + funct3 (I/S/B types)
const M_F7: u32 = 0xfe00_707f; // R type
const M_F6: u32 = 0xfc00_707f; // RV64 shift by immediate
const M_RS2: u32 = 0xfff0_707f; // R type with fixed rs2 field
const M_FRM: u32 = 0xfe00_007f; // FP op with rm
const M_FRM_RS2: u32 = 0xfff0_007f; // FP op with rm and fixed rs2
const M_AMO: u32 = 0xf800_707f; // funct5 + funct3 + opcode
const M_LR: u32 = 0xf9f0_707f; // lr: rs2 = 0
const M_FMA: u32 = 0x0600_007f; // fmt + opcode

const fn e(mask: u32, bits: u32, kind: Kind) -> Encoding {
    Encoding { mask, bits, kind }
}

const fn fp(fmt: FpFmt) -> u32 {
    match fmt {
        FpFmt::S => 0,
        FpFmt::D => 1 << 25,
    }
}

const fn amo(funct5: u32, width: AtomicWidth) -> u32 {
    let f3 = match width {
        AtomicWidth::W => 2,
        AtomicWidth::D => 3,
    };
    (funct5 << 27) | (f3 << 12) | 0x2f
}

const fn fcvt_rs2(t: CvtTy) -> u32 {
    match t {
        CvtTy::W => 0,
        CvtTy::WU => 1,
        CvtTy::L => 2,
        CvtTy::LU => 3,
        _ => 0,
    }
}

/// FP encodings that exist for each format.
const fn fp_entries(f: FpFmt) -> [Encoding; 30] {
    use CvtTy::*;
    let b = fp(f);
    let ft = match f {
        FpFmt::S => S,
        FpFmt::D => D,
    };
    let (ld, st) = match f {
        FpFmt::S => (0x2007, 0x2027),
        FpFmt::D => (0x3007, 0x3027),
    };
    [
        e(M_F3, ld, Kind::FpLoad(f)),
        e(M_F3, st, Kind::FpStore(f)),
        e(M_FRM, 0x53 | b, Kind::FpArith(FBinOp::Add, f)),
        e(M_FRM, 0x0800_0053 | b, Kind::FpArith(FBinOp::Sub, f)),
        e(M_FRM, 0x1000_0053 | b, Kind::FpArith(FBinOp::Mul, f)),
        e(M_FRM, 0x1800_0053 | b, Kind::FpArith(FBinOp::Div, f)),
        e(M_FRM_RS2, 0x5800_0053 | b, Kind::FpSqrt(f)),
        e(M_F7, 0x2000_0053 | b, Kind::FpSignMinMax(FBinOp::Sgnj, f)),
        e(M_F7, 0x2000_1053 | b, Kind::FpSignMinMax(FBinOp::Sgnjn, f)),
        e(M_F7, 0x2000_2053 | b, Kind::FpSignMinMax(FBinOp::Sgnjx, f)),
        e(M_F7, 0x2800_0053 | b, Kind::FpSignMinMax(FBinOp::Min, f)),
        e(M_F7, 0x2800_1053 | b, Kind::FpSignMinMax(FBinOp::Max, f)),
        e(M_F7, 0xa000_2053 | b, Kind::FpCompare(FBinOp::Eq, f)),
        e(M_F7, 0xa000_1053 | b, Kind::FpCompare(FBinOp::Lt, f)),
        e(M_F7, 0xa000_0053 | b, Kind::FpCompare(FBinOp::Le, f)),
        e(
            M_FRM_RS2,
            0xc000_0053 | b | (fcvt_rs2(W) << 20),
            Kind::FCvt(W, ft),
        ),
        e(
            M_FRM_RS2,
            0xc000_0053 | b | (fcvt_rs2(WU) << 20),
            Kind::FCvt(WU, ft),
        ),
        e(
            M_FRM_RS2,
            0xc000_0053 | b | (fcvt_rs2(L) << 20),
            Kind::FCvt(L, ft),
        ),
        e(
            M_FRM_RS2,
            0xc000_0053 | b | (fcvt_rs2(LU) << 20),
            Kind::FCvt(LU, ft),
        ),
        e(
            M_FRM_RS2,
            0xd000_0053 | b | (fcvt_rs2(W) << 20),
            Kind::FCvt(ft, W),
        ),
        e(
            M_FRM_RS2,
            0xd000_0053 | b | (fcvt_rs2(WU) << 20),
            Kind::FCvt(ft, WU),
        ),
        e(
            M_FRM_RS2,
            0xd000_0053 | b | (fcvt_rs2(L) << 20),
            Kind::FCvt(ft, L),
        ),
        e(
            M_FRM_RS2,
            0xd000_0053 | b | (fcvt_rs2(LU) << 20),
            Kind::FCvt(ft, LU),
        ),
        e(M_RS2, 0xe000_0053 | b, Kind::FMvToInt(f)),
        e(M_RS2, 0xe000_1053 | b, Kind::FClass(f)),
        e(M_RS2, 0xf000_0053 | b, Kind::FMvFromInt(f)),
        e(M_FMA, 0x43 | b, Kind::Fma(FmaOp::MAdd, f)),
        e(M_FMA, 0x47 | b, Kind::Fma(FmaOp::MSub, f)),
        e(M_FMA, 0x4b | b, Kind::Fma(FmaOp::NMSub, f)),
        e(M_FMA, 0x4f | b, Kind::Fma(FmaOp::NMAdd, f)),
    ]
}

const fn amo_entries(w: AtomicWidth) -> [Encoding; 11] {
    [
        e(M_LR, amo(0b00010, w), Kind::Lr(w)),
        e(M_AMO, amo(0b00011, w), Kind::Sc(w)),
        e(M_AMO, amo(0b00001, w), Kind::Amo(AmoOp::Swap, w)),
        e(M_AMO, amo(0b00000, w), Kind::Amo(AmoOp::Add, w)),
        e(M_AMO, amo(0b00100, w), Kind::Amo(AmoOp::Xor, w)),
        e(M_AMO, amo(0b01100, w), Kind::Amo(AmoOp::And, w)),
        e(M_AMO, amo(0b01000, w), Kind::Amo(AmoOp::Or, w)),
        e(M_AMO, amo(0b10000, w), Kind::Amo(AmoOp::Min, w)),
        e(M_AMO, amo(0b10100, w), Kind::Amo(AmoOp::Max, w)),
        e(M_AMO, amo(0b11000, w), Kind::Amo(AmoOp::MinU, w)),
        e(M_AMO, amo(0b11100, w), Kind::Amo(AmoOp::MaxU, w)),
    ]
}

/// RV64I, M, Zicsr, Zifencei, Zba, Zbb, Zbs (everything but A, F, D).
const INT: &[Encoding] = &[
    // RV64I
    e(M_OPC, 0x37, Kind::Lui),
    e(M_OPC, 0x17, Kind::Auipc),
    e(M_OPC, 0x6f, Kind::Jal),
    e(M_F3, 0x67, Kind::Jalr),
    e(M_F3, 0x0063, Kind::Branch(BranchOp::Beq)),
    e(M_F3, 0x1063, Kind::Branch(BranchOp::Bne)),
    e(M_F3, 0x4063, Kind::Branch(BranchOp::Blt)),
    e(M_F3, 0x5063, Kind::Branch(BranchOp::Bge)),
    e(M_F3, 0x6063, Kind::Branch(BranchOp::Bltu)),
    e(M_F3, 0x7063, Kind::Branch(BranchOp::Bgeu)),
    e(M_F3, 0x0003, Kind::Load(LoadOp::Lb)),
    e(M_F3, 0x1003, Kind::Load(LoadOp::Lh)),
    e(M_F3, 0x2003, Kind::Load(LoadOp::Lw)),
    e(M_F3, 0x3003, Kind::Load(LoadOp::Ld)),
    e(M_F3, 0x4003, Kind::Load(LoadOp::Lbu)),
    e(M_F3, 0x5003, Kind::Load(LoadOp::Lhu)),
    e(M_F3, 0x6003, Kind::Load(LoadOp::Lwu)),
    e(M_F3, 0x0023, Kind::Store(StoreOp::Sb)),
    e(M_F3, 0x1023, Kind::Store(StoreOp::Sh)),
    e(M_F3, 0x2023, Kind::Store(StoreOp::Sw)),
    e(M_F3, 0x3023, Kind::Store(StoreOp::Sd)),
    e(M_F3, 0x0013, Kind::Imm(ImmOp::Addi)),
    e(M_F3, 0x2013, Kind::Imm(ImmOp::Slti)),
    e(M_F3, 0x3013, Kind::Imm(ImmOp::Sltiu)),
    e(M_F3, 0x4013, Kind::Imm(ImmOp::Xori)),
    e(M_F3, 0x6013, Kind::Imm(ImmOp::Ori)),
    e(M_F3, 0x7013, Kind::Imm(ImmOp::Andi)),
    e(M_F6, 0x1013, Kind::Shift64(ImmOp::Slli)),
    e(M_F6, 0x5013, Kind::Shift64(ImmOp::Srli)),
    e(M_F6, 0x4000_5013, Kind::Shift64(ImmOp::Srai)),
    e(M_F3, 0x001b, Kind::Imm(ImmOp::Addiw)),
    e(M_F7, 0x101b, Kind::Shift32(ImmOp::Slliw)),
    e(M_F7, 0x501b, Kind::Shift32(ImmOp::Srliw)),
    e(M_F7, 0x4000_501b, Kind::Shift32(ImmOp::Sraiw)),
    e(M_F7, 0x0033, Kind::Reg(RegOp::Add)),
    e(M_F7, 0x4000_0033, Kind::Reg(RegOp::Sub)),
    e(M_F7, 0x1033, Kind::Reg(RegOp::Sll)),
    e(M_F7, 0x2033, Kind::Reg(RegOp::Slt)),
    e(M_F7, 0x3033, Kind::Reg(RegOp::Sltu)),
    e(M_F7, 0x4033, Kind::Reg(RegOp::Xor)),
    e(M_F7, 0x5033, Kind::Reg(RegOp::Srl)),
    e(M_F7, 0x4000_5033, Kind::Reg(RegOp::Sra)),
    e(M_F7, 0x6033, Kind::Reg(RegOp::Or)),
    e(M_F7, 0x7033, Kind::Reg(RegOp::And)),
    e(M_F7, 0x003b, Kind::Reg(RegOp::Addw)),
    e(M_F7, 0x4000_003b, Kind::Reg(RegOp::Subw)),
    e(M_F7, 0x103b, Kind::Reg(RegOp::Sllw)),
    e(M_F7, 0x503b, Kind::Reg(RegOp::Srlw)),
    e(M_F7, 0x4000_503b, Kind::Reg(RegOp::Sraw)),
    e(M_F3, 0x000f, Kind::Fence),
    e(M_F3, 0x100f, Kind::FenceI),
    e(0xffff_ffff, 0x0000_0073, Kind::Ecall),
    e(0xffff_ffff, 0x0010_0073, Kind::Ebreak),
    e(M_F3, 0x1073, Kind::Csr(CsrOp::Rw)),
    e(M_F3, 0x2073, Kind::Csr(CsrOp::Rs)),
    e(M_F3, 0x3073, Kind::Csr(CsrOp::Rc)),
    e(M_F3, 0x5073, Kind::CsrImm(CsrOp::Rw)),
    e(M_F3, 0x6073, Kind::CsrImm(CsrOp::Rs)),
    e(M_F3, 0x7073, Kind::CsrImm(CsrOp::Rc)),
    // M
    e(M_F7, 0x0200_0033, Kind::Reg(RegOp::Mul)),
    e(M_F7, 0x0200_1033, Kind::Reg(RegOp::Mulh)),
    e(M_F7, 0x0200_2033, Kind::Reg(RegOp::Mulhsu)),
    e(M_F7, 0x0200_3033, Kind::Reg(RegOp::Mulhu)),
    e(M_F7, 0x0200_4033, Kind::Reg(RegOp::Div)),
    e(M_F7, 0x0200_5033, Kind::Reg(RegOp::Divu)),
    e(M_F7, 0x0200_6033, Kind::Reg(RegOp::Rem)),
    e(M_F7, 0x0200_7033, Kind::Reg(RegOp::Remu)),
    e(M_F7, 0x0200_003b, Kind::Reg(RegOp::Mulw)),
    e(M_F7, 0x0200_403b, Kind::Reg(RegOp::Divw)),
    e(M_F7, 0x0200_503b, Kind::Reg(RegOp::Divuw)),
    e(M_F7, 0x0200_603b, Kind::Reg(RegOp::Remw)),
    e(M_F7, 0x0200_703b, Kind::Reg(RegOp::Remuw)),
    // Zba
    e(M_F7, 0x2000_2033, Kind::Reg(RegOp::Sh1add)),
    e(M_F7, 0x2000_4033, Kind::Reg(RegOp::Sh2add)),
    e(M_F7, 0x2000_6033, Kind::Reg(RegOp::Sh3add)),
    e(M_F7, 0x0800_003b, Kind::Reg(RegOp::AddUw)),
    e(M_F7, 0x2000_203b, Kind::Reg(RegOp::Sh1addUw)),
    e(M_F7, 0x2000_403b, Kind::Reg(RegOp::Sh2addUw)),
    e(M_F7, 0x2000_603b, Kind::Reg(RegOp::Sh3addUw)),
    e(M_F6, 0x0800_101b, Kind::Shift64(ImmOp::SlliUw)),
    // Zbb
    e(M_F7, 0x4000_7033, Kind::Reg(RegOp::Andn)),
    e(M_F7, 0x4000_6033, Kind::Reg(RegOp::Orn)),
    e(M_F7, 0x4000_4033, Kind::Reg(RegOp::Xnor)),
    e(M_RS2, 0x6000_1013, Kind::Unary(UnaryOp::Clz)),
    e(M_RS2, 0x6010_1013, Kind::Unary(UnaryOp::Ctz)),
    e(M_RS2, 0x6020_1013, Kind::Unary(UnaryOp::Cpop)),
    e(M_RS2, 0x6000_101b, Kind::Unary(UnaryOp::Clzw)),
    e(M_RS2, 0x6010_101b, Kind::Unary(UnaryOp::Ctzw)),
    e(M_RS2, 0x6020_101b, Kind::Unary(UnaryOp::Cpopw)),
    e(M_RS2, 0x6040_1013, Kind::Unary(UnaryOp::SextB)),
    e(M_RS2, 0x6050_1013, Kind::Unary(UnaryOp::SextH)),
    e(M_RS2, 0x0800_403b, Kind::Unary(UnaryOp::ZextH)),
    e(M_RS2, 0x2870_5013, Kind::Unary(UnaryOp::OrcB)),
    e(M_RS2, 0x6b80_5013, Kind::Unary(UnaryOp::Rev8)),
    e(M_F7, 0x0a00_6033, Kind::Reg(RegOp::Max)),
    e(M_F7, 0x0a00_7033, Kind::Reg(RegOp::Maxu)),
    e(M_F7, 0x0a00_4033, Kind::Reg(RegOp::Min)),
    e(M_F7, 0x0a00_5033, Kind::Reg(RegOp::Minu)),
    e(M_F7, 0x6000_1033, Kind::Reg(RegOp::Rol)),
    e(M_F7, 0x6000_103b, Kind::Reg(RegOp::Rolw)),
    e(M_F7, 0x6000_5033, Kind::Reg(RegOp::Ror)),
    e(M_F7, 0x6000_503b, Kind::Reg(RegOp::Rorw)),
    e(M_F6, 0x6000_5013, Kind::Shift64(ImmOp::Rori)),
    e(M_F7, 0x6000_501b, Kind::Shift32(ImmOp::Roriw)),
    // Zbs
    e(M_F7, 0x4800_1033, Kind::Reg(RegOp::Bclr)),
    e(M_F7, 0x4800_5033, Kind::Reg(RegOp::Bext)),
    e(M_F7, 0x6800_1033, Kind::Reg(RegOp::Binv)),
    e(M_F7, 0x2800_1033, Kind::Reg(RegOp::Bset)),
    e(M_F6, 0x4800_1013, Kind::Shift64(ImmOp::Bclri)),
    e(M_F6, 0x4800_5013, Kind::Shift64(ImmOp::Bexti)),
    e(M_F6, 0x6800_1013, Kind::Shift64(ImmOp::Binvi)),
    e(M_F6, 0x2800_1013, Kind::Shift64(ImmOp::Bseti)),
];

const FP_S: [Encoding; 30] = fp_entries(FpFmt::S);
const FP_D: [Encoding; 30] = fp_entries(FpFmt::D);
const AMO_W: [Encoding; 11] = amo_entries(AtomicWidth::W);
const AMO_D: [Encoding; 11] = amo_entries(AtomicWidth::D);
/// `fcvt.s.d` and `fcvt.d.s`.
const FP_CONV: &[Encoding] = &[
    e(M_FRM_RS2, 0x4010_0053, Kind::FCvt(CvtTy::S, CvtTy::D)),
    e(M_FRM_RS2, 0x4200_0053, Kind::FCvt(CvtTy::D, CvtTy::S)),
];

/// Every table group, for iteration.
pub const GROUPS: &[&[Encoding]] = &[INT, &AMO_W, &AMO_D, &FP_S, &FP_D, FP_CONV];

/// Iterate over every 32-bit encoding the VM implements.
pub fn encodings() -> impl Iterator<Item = &'static Encoding> {
    GROUPS.iter().flat_map(|g| g.iter())
}

/// Find the encoding matching `word`, if any.
pub fn lookup(word: u32) -> Option<&'static Encoding> {
    encodings().find(|e| word & e.mask == e.bits)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Entries must be disjoint: a word of one encoding (with its free bits
    /// filled several ways) matches no other entry.
    #[test]
    fn encodings_are_disjoint() {
        let all: Vec<&Encoding> = encodings().collect();
        assert!(all.len() > 190, "table has {} entries", all.len());
        for (i, e) in all.iter().enumerate() {
            for fill in [0u32, 0xffff_ffff, 0x5555_5555, 0xaaaa_aaaa, 0x1234_5678] {
                let w = (fill & !e.mask) | e.bits;
                let hits: Vec<usize> = all
                    .iter()
                    .enumerate()
                    .filter(|(_, o)| w & o.mask == o.bits)
                    .map(|(j, _)| j)
                    .collect();
                assert_eq!(hits, vec![i], "word {w:#010x} of {:?}", e.kind);
            }
        }
    }

    /// Every entry describes a 32-bit instruction and fixes its opcode.
    #[test]
    fn entries_fix_a_standard_opcode() {
        for e in encodings() {
            assert_eq!(e.mask & 0x7f, 0x7f, "{:?}", e.kind);
            assert_eq!(e.bits & 3, 3, "{:?}", e.kind);
            assert_eq!(e.bits & !e.mask, 0, "{:?}", e.kind);
        }
    }
}
