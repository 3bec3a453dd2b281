//! Compressed (RVC) instructions: a table of 16-bit forms and their expansion
//! to the equivalent 32-bit word.
//!
//! Why expand: the 32-bit table then defines the meaning of every compressed
//! instruction too (as QEMU's `insn16.decode` does), so the lowering never
//! sees compressed forms. The form is returned alongside, because the
//! disassembler prints a few forms (hints, `c.slli64`...) unlike their
//! expansion. Reserved encodings (zero immediates where the spec forbids them,
//! `rd = x0` for loads from the stack, RV32-only `c.jal`...) expand to `None`,
//! i.e. illegal; HINT encodings (e.g. `c.li x0, 5`) are legal and expand to
//! their natural no-effect base instruction.

use crate::decode::bits;
use crate::insn::CForm;

/// One compressed encoding: a parcel `p` matches when `p & mask == bits`.
#[derive(Copy, Clone, Debug)]
pub struct CEncoding {
    /// Fixed bits.
    pub mask: u16,
    /// Their values.
    pub bits: u16,
    /// The form.
    pub form: CForm,
}

const fn c(mask: u16, bits: u16, form: CForm) -> CEncoding {
    CEncoding { mask, bits, form }
}

/// Every RV64C form, most specific first (the first match wins).
pub const CTABLE: &[CEncoding] = &[
    c(0xe003, 0x0000, CForm::Addi4spn),
    c(0xe003, 0x2000, CForm::Fld),
    c(0xe003, 0x4000, CForm::Lw),
    c(0xe003, 0x6000, CForm::Ld),
    c(0xe003, 0xa000, CForm::Fsd),
    c(0xe003, 0xc000, CForm::Sw),
    c(0xe003, 0xe000, CForm::Sd),
    c(0xef83, 0x0001, CForm::Nop),
    c(0xe003, 0x0001, CForm::Addi),
    c(0xe003, 0x2001, CForm::Addiw),
    c(0xe003, 0x4001, CForm::Li),
    c(0xef83, 0x6101, CForm::Addi16sp),
    c(0xe003, 0x6001, CForm::Lui),
    c(0xec03, 0x8001, CForm::Srli),
    c(0xec03, 0x8401, CForm::Srai),
    c(0xec03, 0x8801, CForm::Andi),
    c(0xfc63, 0x8c01, CForm::Sub),
    c(0xfc63, 0x8c21, CForm::Xor),
    c(0xfc63, 0x8c41, CForm::Or),
    c(0xfc63, 0x8c61, CForm::And),
    c(0xfc63, 0x9c01, CForm::Subw),
    c(0xfc63, 0x9c21, CForm::Addw),
    c(0xe003, 0xa001, CForm::J),
    c(0xe003, 0xc001, CForm::Beqz),
    c(0xe003, 0xe001, CForm::Bnez),
    c(0xe003, 0x0002, CForm::Slli),
    c(0xe003, 0x2002, CForm::Fldsp),
    c(0xe003, 0x4002, CForm::Lwsp),
    c(0xe003, 0x6002, CForm::Ldsp),
    c(0xffff, 0x9002, CForm::Ebreak),
    c(0xf07f, 0x8002, CForm::Jr),
    c(0xf003, 0x8002, CForm::Mv),
    c(0xf07f, 0x9002, CForm::Jalr),
    c(0xf003, 0x9002, CForm::Add),
    c(0xe003, 0xa002, CForm::Fsdsp),
    c(0xe003, 0xc002, CForm::Swsp),
    c(0xe003, 0xe002, CForm::Sdsp),
];

fn i_type(opcode: u32, f3: u32, rd: u32, rs1: u32, imm: i64) -> u32 {
    ((imm as u32 & 0xfff) << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
fn s_type(opcode: u32, f3: u32, rs1: u32, rs2: u32, imm: i64) -> u32 {
    let imm = imm as u32;
    (bits(imm, 11, 5) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (bits(imm, 4, 0) << 7)
        | opcode
}
fn r_type(opcode: u32, f3: u32, f7: u32, rd: u32, rs1: u32, rs2: u32) -> u32 {
    (f7 << 25) | (rs2 << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | opcode
}
fn b_type(f3: u32, rs1: u32, rs2: u32, off: i64) -> u32 {
    let o = off as u32;
    (bits(o, 12, 12) << 31)
        | (bits(o, 10, 5) << 25)
        | (rs2 << 20)
        | (rs1 << 15)
        | (f3 << 12)
        | (bits(o, 4, 1) << 8)
        | (bits(o, 11, 11) << 7)
        | 0x63
}
fn j_type(rd: u32, off: i64) -> u32 {
    let o = off as u32;
    (bits(o, 20, 20) << 31)
        | (bits(o, 10, 1) << 21)
        | (bits(o, 11, 11) << 20)
        | (bits(o, 19, 12) << 12)
        | (rd << 7)
        | 0x6f
}

fn sext(v: u32, width: u32) -> i64 {
    crate::decode::sext(v, width)
}

/// Look up the compressed form of a parcel (low bits not `11`).
pub fn form(p: u16) -> Option<CForm> {
    CTABLE.iter().find(|e| p & e.mask == e.bits).map(|e| e.form)
}

/// Expand a compressed parcel to its 32-bit equivalent, or `None` if the
/// parcel is reserved or not an RV64C instruction.
pub fn expand(p: u16) -> Option<(u32, CForm)> {
    let form = form(p)?;
    let w = p as u32;
    // Register fields.
    let rd = bits(w, 11, 7);
    let rs2 = bits(w, 6, 2);
    let rdp = 8 + bits(w, 4, 2); // rd' / rs2' in bits 4:2
    let rs1p = 8 + bits(w, 9, 7); // rs1' / rd' in bits 9:7
    // Immediates.
    let imm6 = sext((bits(w, 12, 12) << 5) | bits(w, 6, 2), 6);
    let shamt = ((bits(w, 12, 12) << 5) | bits(w, 6, 2)) as i64;
    let uimm_d = ((bits(w, 12, 10) << 3) | (bits(w, 6, 5) << 6)) as i64; // c.ld/c.fld/c.sd
    let uimm_w = ((bits(w, 12, 10) << 3) | (bits(w, 6, 6) << 2) | (bits(w, 5, 5) << 6)) as i64;
    let sp_ld = ((bits(w, 12, 12) << 5) | (bits(w, 6, 5) << 3) | (bits(w, 4, 2) << 6)) as i64;
    let sp_lw = ((bits(w, 12, 12) << 5) | (bits(w, 6, 4) << 2) | (bits(w, 3, 2) << 6)) as i64;
    let sp_sd = ((bits(w, 12, 10) << 3) | (bits(w, 9, 7) << 6)) as i64;
    let sp_sw = ((bits(w, 12, 9) << 2) | (bits(w, 8, 7) << 6)) as i64;
    let word = match form {
        CForm::Addi4spn => {
            let imm = (bits(w, 12, 11) << 4)
                | (bits(w, 10, 7) << 6)
                | (bits(w, 6, 6) << 2)
                | (bits(w, 5, 5) << 3);
            if imm == 0 {
                return None;
            }
            i_type(0x13, 0, rdp, 2, imm as i64)
        }
        CForm::Fld => i_type(0x07, 3, rdp, rs1p, uimm_d),
        CForm::Lw => i_type(0x03, 2, rdp, rs1p, uimm_w),
        CForm::Ld => i_type(0x03, 3, rdp, rs1p, uimm_d),
        CForm::Fsd => s_type(0x27, 3, rs1p, rdp, uimm_d),
        CForm::Sw => s_type(0x23, 2, rs1p, rdp, uimm_w),
        CForm::Sd => s_type(0x23, 3, rs1p, rdp, uimm_d),
        CForm::Nop | CForm::Addi => i_type(0x13, 0, rd, rd, imm6),
        CForm::Addiw => {
            if rd == 0 {
                return None;
            }
            i_type(0x1b, 0, rd, rd, imm6)
        }
        CForm::Li => i_type(0x13, 0, rd, 0, imm6),
        CForm::Addi16sp => {
            let imm = (bits(w, 12, 12) << 9)
                | (bits(w, 6, 6) << 4)
                | (bits(w, 5, 5) << 6)
                | (bits(w, 4, 3) << 7)
                | (bits(w, 2, 2) << 5);
            if imm == 0 {
                return None;
            }
            i_type(0x13, 0, 2, 2, sext(imm, 10))
        }
        CForm::Lui => {
            if imm6 == 0 {
                return None;
            }
            ((imm6 as u32) << 12) | (rd << 7) | 0x37
        }
        CForm::Srli => i_type(0x13, 5, rs1p, rs1p, shamt),
        CForm::Srai => i_type(0x13, 5, rs1p, rs1p, shamt | 0x400),
        CForm::Andi => i_type(0x13, 7, rs1p, rs1p, imm6),
        CForm::Sub => r_type(0x33, 0, 0x20, rs1p, rs1p, rdp),
        CForm::Xor => r_type(0x33, 4, 0, rs1p, rs1p, rdp),
        CForm::Or => r_type(0x33, 6, 0, rs1p, rs1p, rdp),
        CForm::And => r_type(0x33, 7, 0, rs1p, rs1p, rdp),
        CForm::Subw => r_type(0x3b, 0, 0x20, rs1p, rs1p, rdp),
        CForm::Addw => r_type(0x3b, 0, 0, rs1p, rs1p, rdp),
        CForm::J => {
            let off = (bits(w, 12, 12) << 11)
                | (bits(w, 11, 11) << 4)
                | (bits(w, 10, 9) << 8)
                | (bits(w, 8, 8) << 10)
                | (bits(w, 7, 7) << 6)
                | (bits(w, 6, 6) << 7)
                | (bits(w, 5, 3) << 1)
                | (bits(w, 2, 2) << 5);
            j_type(0, sext(off, 12))
        }
        CForm::Beqz | CForm::Bnez => {
            let off = (bits(w, 12, 12) << 8)
                | (bits(w, 11, 10) << 3)
                | (bits(w, 6, 5) << 6)
                | (bits(w, 4, 3) << 1)
                | (bits(w, 2, 2) << 5);
            let f3 = if form == CForm::Beqz { 0 } else { 1 };
            b_type(f3, rs1p, 0, sext(off, 9))
        }
        CForm::Slli => i_type(0x13, 1, rd, rd, shamt),
        CForm::Fldsp => i_type(0x07, 3, rd, 2, sp_ld),
        CForm::Lwsp | CForm::Ldsp => {
            if rd == 0 {
                return None;
            }
            if form == CForm::Lwsp {
                i_type(0x03, 2, rd, 2, sp_lw)
            } else {
                i_type(0x03, 3, rd, 2, sp_ld)
            }
        }
        CForm::Jr => {
            if rd == 0 {
                return None;
            }
            i_type(0x67, 0, 0, rd, 0)
        }
        CForm::Mv => r_type(0x33, 0, 0, rd, 0, rs2),
        CForm::Ebreak => 0x0010_0073,
        CForm::Jalr => i_type(0x67, 0, 1, rd, 0),
        CForm::Add => r_type(0x33, 0, 0, rd, rd, rs2),
        CForm::Fsdsp => s_type(0x27, 3, 2, rs2, sp_sd),
        CForm::Swsp => s_type(0x23, 2, 2, rs2, sp_sw),
        CForm::Sdsp => s_type(0x23, 3, 2, rs2, sp_sd),
    };
    Some((word, form))
}
