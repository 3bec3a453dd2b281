//! Disassembly in GNU objdump's default syntax.
//!
//! Why objdump's: it is the reference every RISC-V developer reads, so VM
//! diagnostics and traces can be compared with `objdump -d` line by line
//! (the crate's tests check this over the whole encoding space). The output is
//! the mnemonic, a tab, then comma-separated operands with ABI register names
//! and objdump's alias choices (`li`, `mv`, `ret`, `beqz`, `csrr`...). Branch
//! and jump targets are printed as absolute hex addresses (`0x1c`), which is
//! what objdump prints when it has no symbols. Illegal instructions print as
//! `.4byte 0x...` / `.2byte 0x...`, as objdump does.

use crate::decode::decode;
use crate::insn::*;

const XNAMES: [&str; 32] = [
    "zero", "ra", "sp", "gp", "tp", "t0", "t1", "t2", "s0", "s1", "a0", "a1", "a2", "a3", "a4",
    "a5", "a6", "a7", "s2", "s3", "s4", "s5", "s6", "s7", "s8", "s9", "s10", "s11", "t3", "t4",
    "t5", "t6",
];
const FNAMES: [&str; 32] = [
    "ft0", "ft1", "ft2", "ft3", "ft4", "ft5", "ft6", "ft7", "fs0", "fs1", "fa0", "fa1", "fa2",
    "fa3", "fa4", "fa5", "fa6", "fa7", "fs2", "fs3", "fs4", "fs5", "fs6", "fs7", "fs8", "fs9",
    "fs10", "fs11", "ft8", "ft9", "ft10", "ft11",
];

/// ABI name of integer register `r`.
pub fn xreg(r: u8) -> &'static str {
    XNAMES[(r & 31) as usize]
}

/// ABI name of FP register `r`.
pub fn freg(r: u8) -> &'static str {
    FNAMES[(r & 31) as usize]
}

/// Name of a CSR the disassembler knows, as objdump prints it.
fn csr_name(csr: u16) -> Option<&'static str> {
    vm_ir::Csr::from_number(csr as u32).map(|c| c.name())
}

fn csr_text(csr: u16) -> String {
    csr_name(csr).map_or_else(|| format!("{csr:#x}"), str::to_string)
}

fn rm_suffix(rm: RoundMode) -> String {
    match rm {
        RoundMode::Dyn => String::new(),
        other => format!(",{}", other.name()),
    }
}

fn fmt_name(f: FpFmt) -> &'static str {
    f.name()
}

fn width_name(w: AtomicWidth) -> &'static str {
    w.name()
}

fn order_suffix(o: AqRl) -> &'static str {
    match (o.aq, o.rl) {
        (false, false) => "",
        (true, false) => ".aq",
        (false, true) => ".rl",
        (true, true) => ".aqrl",
    }
}

fn fence_set(s: u8) -> String {
    if s == 0 {
        return "unknown".to_string();
    }
    "iorw"
        .chars()
        .enumerate()
        .filter(|(i, _)| s & (8 >> i) != 0)
        .map(|(_, c)| c)
        .collect()
}

fn target(pc: u64, offset: i64) -> String {
    format!("{:#x}", pc.wrapping_add(offset as u64))
}

/// Join a mnemonic and its operands with objdump's tab.
fn ins(mnemonic: &str, operands: &str) -> String {
    if operands.is_empty() {
        mnemonic.to_string()
    } else {
        format!("{mnemonic}\t{operands}")
    }
}

/// Disassemble the raw bits of one instruction (the low 16 bits if
/// compressed) at `pc`.
pub fn disassemble_bits(bits: u32, pc: u64) -> String {
    disassemble(&decode(bits as u16, (bits >> 16) as u16), pc)
}

/// Disassemble a decoded instruction located at `pc`.
pub fn disassemble(insn: &Insn, pc: u64) -> String {
    if insn.op == Op::Illegal {
        return if insn.len == 2 {
            ins(".2byte", &format!("{:#x}", insn.raw & 0xffff))
        } else {
            ins(".4byte", &format!("{:#x}", insn.raw))
        };
    }
    if let Some(form) = insn.cform
        && let Some(text) = compressed_special(form, &insn.op)
    {
        return text;
    }
    base(&insn.op, pc)
}

/// Compressed forms objdump prints differently from their expansion
/// (mostly HINT encodings and forms whose base alias would be different).
fn compressed_special(form: CForm, op: &Op) -> Option<String> {
    Some(match (form, *op) {
        (CForm::Nop, Op::RegImm { imm, .. }) if imm != 0 => ins("c.nop", &imm.to_string()),
        (CForm::Addi, Op::RegImm { rd, imm: 0, .. }) => ins("add", &format!("{0},{0},0", xreg(rd))),
        (CForm::Li, Op::RegImm { rd: 0, imm, .. }) => ins("c.li", &format!("zero,{imm}")),
        (CForm::Lui, Op::Lui { rd: 0, imm }) => {
            ins("c.lui", &format!("zero,{:#x}", (imm >> 12) & 0xfffff))
        }
        (CForm::Slli, Op::RegImm { rd, imm: 0, .. }) => ins("c.slli64", xreg(rd)),
        (CForm::Slli, Op::RegImm { rd: 0, imm, .. }) => ins("c.slli", &format!("zero,{imm:#x}")),
        (CForm::Srli, Op::RegImm { rd, imm: 0, .. }) => ins("c.srli64", xreg(rd)),
        (CForm::Srai, Op::RegImm { rd, imm: 0, .. }) => ins("c.srai64", xreg(rd)),
        (CForm::Mv, Op::RegReg { rd: 0, rs2, .. }) => ins("c.mv", &format!("zero,{}", xreg(rs2))),
        (CForm::Mv, Op::RegReg { rd, rs2, .. }) => {
            ins("mv", &format!("{},{}", xreg(rd), xreg(rs2)))
        }
        (CForm::Add, Op::RegReg { rd: 0, rs2, .. }) => ins("c.add", &format!("zero,{}", xreg(rs2))),
        _ => return None,
    })
}

/// Disassemble a base (32-bit) instruction with objdump's aliases.
fn base(op: &Op, pc: u64) -> String {
    match *op {
        Op::Illegal => ins(".insn", ""),
        Op::Lui { rd, imm } => ins("lui", &format!("{},{:#x}", xreg(rd), (imm >> 12) & 0xfffff)),
        Op::Auipc { rd, imm } => ins(
            "auipc",
            &format!("{},{:#x}", xreg(rd), (imm >> 12) & 0xfffff),
        ),
        Op::Jal { rd, offset } => match rd {
            0 => ins("j", &target(pc, offset)),
            1 => ins("jal", &target(pc, offset)),
            _ => ins("jal", &format!("{},{}", xreg(rd), target(pc, offset))),
        },
        Op::Jalr { rd, rs1, offset } => jalr(rd, rs1, offset),
        Op::Branch {
            op,
            rs1,
            rs2,
            offset,
        } => branch(op, rs1, rs2, target(pc, offset)),
        Op::Load {
            op,
            rd,
            rs1,
            offset,
        } => ins(op.name(), &format!("{},{offset}({})", xreg(rd), xreg(rs1))),
        Op::Store {
            op,
            rs1,
            rs2,
            offset,
        } => ins(op.name(), &format!("{},{offset}({})", xreg(rs2), xreg(rs1))),
        Op::FpLoad {
            fmt,
            rd,
            rs1,
            offset,
        } => ins(
            if fmt == FpFmt::S { "flw" } else { "fld" },
            &format!("{},{offset}({})", freg(rd), xreg(rs1)),
        ),
        Op::FpStore {
            fmt,
            rs1,
            rs2,
            offset,
        } => ins(
            if fmt == FpFmt::S { "fsw" } else { "fsd" },
            &format!("{},{offset}({})", freg(rs2), xreg(rs1)),
        ),
        Op::RegImm { op, rd, rs1, imm } => reg_imm(op, rd, rs1, imm),
        Op::RegReg { op, rd, rs1, rs2 } => reg_reg(op, rd, rs1, rs2),
        Op::Unary { op, rd, rs1 } => ins(op.name(), &format!("{},{}", xreg(rd), xreg(rs1))),
        Op::Amo {
            op,
            width,
            order,
            rd,
            rs1,
            rs2,
        } => ins(
            &format!(
                "amo{}.{}{}",
                op.name(),
                width_name(width),
                order_suffix(order)
            ),
            &format!("{},{},({})", xreg(rd), xreg(rs2), xreg(rs1)),
        ),
        Op::Lr {
            width,
            order,
            rd,
            rs1,
        } => ins(
            &format!("lr.{}{}", width_name(width), order_suffix(order)),
            &format!("{},({})", xreg(rd), xreg(rs1)),
        ),
        Op::Sc {
            width,
            order,
            rd,
            rs1,
            rs2,
        } => ins(
            &format!("sc.{}{}", width_name(width), order_suffix(order)),
            &format!("{},{},({})", xreg(rd), xreg(rs2), xreg(rs1)),
        ),
        Op::Fence { fm, pred, succ } => {
            if fm == 8 && pred == 3 && succ == 3 {
                ins("fence.tso", "")
            } else if pred == 15 && succ == 15 {
                ins("fence", "")
            } else {
                ins("fence", &format!("{},{}", fence_set(pred), fence_set(succ)))
            }
        }
        Op::FenceI => ins("fence.i", ""),
        Op::Ecall => ins("ecall", ""),
        Op::Ebreak => ins("ebreak", ""),
        Op::Csr { op, rd, csr, src } => csr_insn(op, rd, csr, src),
        Op::FpArith {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
        } => ins(
            &format!("{}.{}", op.name(), fmt_name(fmt)),
            &format!("{},{},{}{}", freg(rd), freg(rs1), freg(rs2), rm_suffix(rm)),
        ),
        Op::FpSignMinMax {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => {
            let f = fmt_name(fmt);
            let alias = match op {
                FBinOp::Sgnj => "fmv",
                FBinOp::Sgnjn => "fneg",
                FBinOp::Sgnjx => "fabs",
                _ => "",
            };
            if rs1 == rs2 && !alias.is_empty() {
                ins(
                    &format!("{alias}.{f}"),
                    &format!("{},{}", freg(rd), freg(rs1)),
                )
            } else {
                ins(
                    &format!("{}.{f}", op.name()),
                    &format!("{},{},{}", freg(rd), freg(rs1), freg(rs2)),
                )
            }
        }
        Op::FpCompare {
            op,
            fmt,
            rd,
            rs1,
            rs2,
        } => ins(
            &format!("{}.{}", op.name(), fmt_name(fmt)),
            &format!("{},{},{}", xreg(rd), freg(rs1), freg(rs2)),
        ),
        Op::FpSqrt { fmt, rm, rd, rs1 } => ins(
            &format!("fsqrt.{}", fmt_name(fmt)),
            &format!("{},{}{}", freg(rd), freg(rs1), rm_suffix(rm)),
        ),
        Op::Fma {
            op,
            fmt,
            rm,
            rd,
            rs1,
            rs2,
            rs3,
        } => ins(
            &format!("{}.{}", op.name(), fmt_name(fmt)),
            &format!(
                "{},{},{},{}{}",
                freg(rd),
                freg(rs1),
                freg(rs2),
                freg(rs3),
                rm_suffix(rm)
            ),
        ),
        Op::FCvt {
            to,
            from,
            rm,
            rd,
            rs1,
        } => {
            let r = |t: CvtTy, r: u8| if t.is_float() { freg(r) } else { xreg(r) };
            // Exact conversions: objdump prints no rounding mode for rm = rne.
            let exact = to == CvtTy::D && !matches!(from, CvtTy::L | CvtTy::LU);
            let suffix = if exact && rm == RoundMode::Rne {
                String::new()
            } else {
                rm_suffix(rm)
            };
            ins(
                &format!("fcvt.{}.{}", to.name(), from.name()),
                &format!("{},{}{suffix}", r(to, rd), r(from, rs1)),
            )
        }
        Op::FMvToInt { fmt, rd, rs1 } => ins(
            if fmt == FpFmt::S {
                "fmv.x.w"
            } else {
                "fmv.x.d"
            },
            &format!("{},{}", xreg(rd), freg(rs1)),
        ),
        Op::FMvFromInt { fmt, rd, rs1 } => ins(
            if fmt == FpFmt::S {
                "fmv.w.x"
            } else {
                "fmv.d.x"
            },
            &format!("{},{}", freg(rd), xreg(rs1)),
        ),
        Op::FClass { fmt, rd, rs1 } => ins(
            &format!("fclass.{}", fmt_name(fmt)),
            &format!("{},{}", xreg(rd), freg(rs1)),
        ),
    }
}

fn jalr(rd: u8, rs1: u8, offset: i64) -> String {
    let mem = |off: i64| {
        if off == 0 {
            xreg(rs1).to_string()
        } else {
            format!("{off}({})", xreg(rs1))
        }
    };
    match rd {
        0 if rs1 == 1 && offset == 0 => ins("ret", ""),
        0 => ins("jr", &mem(offset)),
        1 => ins("jalr", &mem(offset)),
        _ => ins("jalr", &format!("{},{}", xreg(rd), mem(offset))),
    }
}

fn branch(op: BranchOp, rs1: u8, rs2: u8, t: String) -> String {
    let (a, b) = (xreg(rs1), xreg(rs2));
    match op {
        BranchOp::Beq if rs2 == 0 => ins("beqz", &format!("{a},{t}")),
        BranchOp::Bne if rs2 == 0 => ins("bnez", &format!("{a},{t}")),
        BranchOp::Bge if rs1 == 0 => ins("blez", &format!("{b},{t}")),
        BranchOp::Bge if rs2 == 0 => ins("bgez", &format!("{a},{t}")),
        BranchOp::Blt if rs2 == 0 => ins("bltz", &format!("{a},{t}")),
        BranchOp::Blt if rs1 == 0 => ins("bgtz", &format!("{b},{t}")),
        _ => ins(op.name(), &format!("{a},{b},{t}")),
    }
}

fn reg_imm(op: ImmOp, rd: u8, rs1: u8, imm: i64) -> String {
    let (d, s) = (xreg(rd), xreg(rs1));
    let plain = |name: &str| ins(name, &format!("{d},{s},{imm}"));
    let shift = |name: &str| ins(name, &format!("{d},{s},{imm:#x}"));
    match op {
        ImmOp::Addi if rd == 0 && rs1 == 0 && imm == 0 => ins("nop", ""),
        ImmOp::Addi if rs1 == 0 => ins("li", &format!("{d},{imm}")),
        ImmOp::Addi if imm == 0 => ins("mv", &format!("{d},{s}")),
        ImmOp::Addi => plain("add"),
        ImmOp::Addiw if imm == 0 => ins("sext.w", &format!("{d},{s}")),
        ImmOp::Addiw => plain("addw"),
        ImmOp::Sltiu if imm == 1 => ins("seqz", &format!("{d},{s}")),
        ImmOp::Xori if imm == -1 => ins("not", &format!("{d},{s}")),
        ImmOp::Andi if imm == 255 => ins("zext.b", &format!("{d},{s}")),
        ImmOp::Andi => plain("and"),
        ImmOp::Ori => plain("or"),
        ImmOp::Xori => plain("xor"),
        ImmOp::Slti => plain("slti"),
        ImmOp::Sltiu => plain("sltiu"),
        ImmOp::Slli => shift("sll"),
        ImmOp::Srli => shift("srl"),
        ImmOp::Srai => shift("sra"),
        ImmOp::Slliw => shift("sllw"),
        ImmOp::Srliw => shift("srlw"),
        ImmOp::Sraiw => shift("sraw"),
        ImmOp::Rori => shift("ror"),
        ImmOp::Roriw => shift("rorw"),
        ImmOp::Bclri => shift("bclr"),
        ImmOp::Bexti => shift("bext"),
        ImmOp::Binvi => shift("binv"),
        ImmOp::Bseti => shift("bset"),
        ImmOp::SlliUw => shift("slli.uw"),
    }
}

fn reg_reg(op: RegOp, rd: u8, rs1: u8, rs2: u8) -> String {
    let (d, a, b) = (xreg(rd), xreg(rs1), xreg(rs2));
    match op {
        RegOp::Sub if rs1 == 0 => ins("neg", &format!("{d},{b}")),
        RegOp::Subw if rs1 == 0 => ins("negw", &format!("{d},{b}")),
        RegOp::Sltu if rs1 == 0 => ins("snez", &format!("{d},{b}")),
        RegOp::Slt if rs2 == 0 => ins("sltz", &format!("{d},{a}")),
        RegOp::Slt if rs1 == 0 => ins("sgtz", &format!("{d},{b}")),
        RegOp::AddUw if rs2 == 0 => ins("zext.w", &format!("{d},{a}")),
        _ => ins(op.name(), &format!("{d},{a},{b}")),
    }
}

fn csr_insn(op: CsrOp, rd: u8, csr: u16, src: CsrSrc) -> String {
    let d = xreg(rd);
    let c = csr_text(csr);
    let known = vm_ir::Csr::from_number(csr as u32);
    use vm_ir::Csr as K;
    match (op, src) {
        (CsrOp::Rs, CsrSrc::Reg(0)) => match known {
            Some(K::Cycle) => ins("rdcycle", d),
            Some(K::Time) => ins("rdtime", d),
            Some(K::Instret) => ins("rdinstret", d),
            Some(K::Fcsr) => ins("frcsr", d),
            Some(K::Frm) => ins("frrm", d),
            Some(K::Fflags) => ins("frflags", d),
            None => ins("csrr", &format!("{d},{c}")),
        },
        (CsrOp::Rw, CsrSrc::Reg(s)) => {
            let s = xreg(s);
            let fp = match known {
                Some(K::Fcsr) => Some("fscsr"),
                Some(K::Frm) => Some("fsrm"),
                Some(K::Fflags) => Some("fsflags"),
                _ => None,
            };
            match (fp, rd) {
                (Some(n), 0) => ins(n, s),
                (Some(n), _) => ins(n, &format!("{d},{s}")),
                (None, 0) if known == Some(K::Cycle) && s == "zero" => ins("unimp", ""),
                (None, 0) => ins("csrw", &format!("{c},{s}")),
                (None, _) => ins("csrrw", &format!("{d},{c},{s}")),
            }
        }
        (CsrOp::Rw, CsrSrc::Imm(i)) => match known {
            Some(K::Frm) => ins("fsrmi", &format!("{d},{i}")),
            Some(K::Fflags) => ins("fsflagsi", &format!("{d},{i}")),
            _ if rd == 0 => ins("csrw", &format!("{c},{i}")),
            _ => ins("csrrw", &format!("{d},{c},{i}")),
        },
        (_, src) => {
            let s = match src {
                CsrSrc::Reg(r) => xreg(r).to_string(),
                CsrSrc::Imm(i) => i.to_string(),
            };
            if rd == 0 {
                let n = if op == CsrOp::Rs { "csrs" } else { "csrc" };
                ins(n, &format!("{c},{s}"))
            } else {
                ins(op.name(), &format!("{d},{c},{s}"))
            }
        }
    }
}
