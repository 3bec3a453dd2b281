//! Differential test of `vm_core::fpu` against real RISC-V instructions run by
//! `qemu-riscv64`.
//!
//! At test time this writes a C program with one function per (instruction,
//! static rounding mode), each executing the instruction with inline assembly
//! and returning the result bits and `fflags`. The program reads binary case
//! records `(function index, a, b, c)` from stdin and writes `(result, fflags)`.
//! Cases are special values crossed with every operation, rounding mode and
//! format, plus seeded random operands; every answer must match bit for bit.
//!
//! Needs `riscv64-linux-gnu-gcc` and `qemu-riscv64`: without them the test
//! prints a note and passes, unless `CI` is set, where it fails.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use vm_core::fpu;
use vm_ir::{CvtTy, FBinOp, FUnOp, FmaOp, FpFmt, RoundMode};

/// What one generated function executes.
#[derive(Clone, Copy, Debug)]
enum Kind {
    Bin(FBinOp, FpFmt),
    Un(FUnOp, FpFmt),
    Fma(FmaOp, FpFmt),
    Cvt(CvtTy, CvtTy),
}

/// One instruction with a static rounding mode (`None`: the instruction has
/// no `rm` field, or it is exact; the model is run with RNE).
#[derive(Clone, Copy, Debug)]
struct Insn {
    kind: Kind,
    rm: Option<RoundMode>,
}

const MODES: [RoundMode; 5] = [
    RoundMode::Rne,
    RoundMode::Rtz,
    RoundMode::Rdn,
    RoundMode::Rup,
    RoundMode::Rmm,
];

fn fmt_name(f: FpFmt) -> &'static str {
    f.name()
}

impl Insn {
    /// Every instruction under test.
    fn all() -> Vec<Insn> {
        let mut v = Vec::new();
        let with_modes = |kind: Kind, has_rm: bool, v: &mut Vec<Insn>| {
            if has_rm {
                v.extend(MODES.iter().map(|&rm| Insn { kind, rm: Some(rm) }));
            } else {
                v.push(Insn { kind, rm: None });
            }
        };
        for &fmt in FpFmt::ALL {
            for &op in FBinOp::ALL {
                let has_rm = matches!(op, FBinOp::Add | FBinOp::Sub | FBinOp::Mul | FBinOp::Div);
                with_modes(Kind::Bin(op, fmt), has_rm, &mut v);
            }
            for &op in FUnOp::ALL {
                with_modes(Kind::Un(op, fmt), op == FUnOp::Sqrt, &mut v);
            }
            for &op in FmaOp::ALL {
                with_modes(Kind::Fma(op, fmt), true, &mut v);
            }
        }
        for &to in CvtTy::ALL {
            for &from in CvtTy::ALL {
                if to == from || (!to.is_float() && !from.is_float()) {
                    continue;
                }
                // Exact conversions have no rounding-mode operand here.
                let exact = to == CvtTy::D && matches!(from, CvtTy::S | CvtTy::W | CvtTy::WU);
                with_modes(Kind::Cvt(to, from), !exact, &mut v);
            }
        }
        v
    }

    fn mnemonic(&self) -> String {
        match self.kind {
            Kind::Bin(op, f) => format!("{}.{}", op.name(), fmt_name(f)),
            Kind::Un(op, f) => format!("{}.{}", op.name(), fmt_name(f)),
            Kind::Fma(op, f) => format!("{}.{}", op.name(), fmt_name(f)),
            Kind::Cvt(to, from) => format!("fcvt.{}.{}", to.name(), from.name()),
        }
    }

    /// Whether the result is an integer register.
    fn int_result(&self) -> bool {
        match self.kind {
            Kind::Bin(op, _) => matches!(op, FBinOp::Eq | FBinOp::Lt | FBinOp::Le),
            Kind::Un(op, _) => op == FUnOp::Class,
            Kind::Fma(..) => false,
            Kind::Cvt(to, _) => !to.is_float(),
        }
    }

    /// The instruction line of the inline assembly.
    fn asm_line(&self) -> String {
        let dst = if self.int_result() { "%[r]" } else { "ft3" };
        let srcs = match self.kind {
            Kind::Bin(..) => "ft0, ft1".to_string(),
            Kind::Un(..) => "ft0".to_string(),
            Kind::Fma(..) => "ft0, ft1, ft2".to_string(),
            Kind::Cvt(_, from) if from.is_float() => "ft0".to_string(),
            Kind::Cvt(..) => "%[a]".to_string(),
        };
        let rm = self
            .rm
            .map(|m| format!(", {}", m.name()))
            .unwrap_or_default();
        format!("{} {dst}, {srcs}{rm}", self.mnemonic())
    }

    /// The model's answer: (result, fflags).
    fn model(&self, a: u64, b: u64, c: u64) -> (u64, u64) {
        let rm = self.rm.unwrap_or(RoundMode::Rne);
        let mut fl = 0;
        let r = match self.kind {
            Kind::Bin(op, f) => fpu::fbinary(op, f, rm, a, b, &mut fl),
            Kind::Un(op, f) => fpu::funary(op, f, rm, a, &mut fl),
            Kind::Fma(op, f) => fpu::fma(op, f, rm, a, b, c, &mut fl),
            Kind::Cvt(to, from) => fpu::fcvt(to, from, rm, a, &mut fl),
        };
        (r, fl)
    }

    /// Format of the float operands, or None when the operand is an integer.
    fn operand_fmt(&self) -> Option<FpFmt> {
        match self.kind {
            Kind::Bin(_, f) | Kind::Un(_, f) | Kind::Fma(_, f) => Some(f),
            Kind::Cvt(_, CvtTy::S) => Some(FpFmt::S),
            Kind::Cvt(_, CvtTy::D) => Some(FpFmt::D),
            Kind::Cvt(..) => None,
        }
    }

    fn arity(&self) -> usize {
        match self.kind {
            Kind::Bin(..) => 2,
            Kind::Un(..) | Kind::Cvt(..) => 1,
            Kind::Fma(..) => 3,
        }
    }
}

/// The C program: one function per instruction, a table, and a driver loop.
fn c_source(insns: &[Insn]) -> String {
    let mut s = String::from(
        "#include <stdint.h>\n#include <stdio.h>\n\
         typedef void (*fn_t)(uint64_t, uint64_t, uint64_t, uint64_t *);\n",
    );
    for (i, insn) in insns.iter().enumerate() {
        let mv_out = if insn.int_result() {
            ""
        } else {
            "fmv.x.d %[r], ft3\\n\\t"
        };
        s += &format!(
            "static void f{i}(uint64_t a, uint64_t b, uint64_t c, uint64_t *out) {{\n\
             \x20 uint64_t r = 0, f;\n\
             \x20 __asm__ volatile(\"fmv.d.x ft0, %[a]\\n\\tfmv.d.x ft1, %[b]\\n\\tfmv.d.x ft2, %[c]\\n\\t\"\n\
             \x20   \"csrw fflags, zero\\n\\t{line}\\n\\t{mv_out}csrr %[f], fflags\"\n\
             \x20   : [r] \"=&r\"(r), [f] \"=&r\"(f) : [a] \"r\"(a), [b] \"r\"(b), [c] \"r\"(c)\n\
             \x20   : \"ft0\", \"ft1\", \"ft2\", \"ft3\");\n\
             \x20 out[0] = r; out[1] = f;\n}}\n",
            line = insn.asm_line()
        );
    }
    s += "static const fn_t fns[] = {";
    for i in 0..insns.len() {
        s += &format!("f{i},");
    }
    s += "};\n";
    s += &format!(
        "int main(void) {{\n\
         \x20 uint64_t in[4], out[2];\n\
         \x20 while (fread(in, 8, 4, stdin) == 4) {{\n\
         \x20   if (in[0] >= {n}) return 2;\n\
         \x20   fns[in[0]](in[1], in[2], in[3], out);\n\
         \x20   if (fwrite(out, 8, 2, stdout) != 2) return 3;\n\
         \x20 }}\n\
         \x20 return 0;\n}}\n",
        n = insns.len()
    );
    s
}

/// Special double values: zeros, infinities, NaNs, subnormal/normal limits,
/// values near rounding ties and near integer limits.
fn specials_d() -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0,
        1 << 63,
        0x7ff0_0000_0000_0000,
        0xfff0_0000_0000_0000,
        0x7ff8_0000_0000_0000,
        0xfff8_0000_0000_1234,
        0x7ff0_0000_0000_0001,
        0xfff4_0000_0000_0000,
        1,
        0x8000_0000_0000_0001,
        0x000f_ffff_ffff_ffff,
        0x0010_0000_0000_0000,
        0x8010_0000_0000_0000,
        0x7fef_ffff_ffff_ffff,
        0xffef_ffff_ffff_ffff,
    ];
    for x in [
        1.0,
        -1.0,
        1.5,
        2.5,
        -2.5,
        0.5,
        -0.5,
        3.0,
        0.1,
        1e-310,
        2147483647.0,
        2147483647.5,
        2147483648.0,
        -2147483648.0,
        -2147483649.0,
        4294967295.0,
        4294967296.0,
        9.223372036854775e18,
        -9.223372036854775e18,
        1.8446744073709552e19,
        16777217.0,
        9007199254740993.0,
    ] {
        v.push(f64::to_bits(x));
    }
    v.push(f64::to_bits(1.0) + 1);
    v.push(f64::to_bits(1.0) - 1);
    v
}

/// Special single values, NaN-boxed, plus improperly boxed ones.
fn specials_s() -> Vec<u64> {
    let mut v: Vec<u32> = vec![
        0,
        1 << 31,
        0x7f80_0000,
        0xff80_0000,
        0x7fc0_0000,
        0xffc0_1234,
        0x7f80_0001,
        0xffa0_0000,
        1,
        0x8000_0001,
        0x007f_ffff,
        0x0080_0000,
        0x8080_0000,
        0x7f7f_ffff,
        0xff7f_ffff,
    ];
    for x in [
        1.0f32,
        -1.0,
        1.5,
        2.5,
        -2.5,
        0.5,
        -0.5,
        3.0,
        0.1,
        2147483520.0,
        2147483648.0,
        -2147483648.0,
        -2147483904.0,
        4294967040.0,
        4294967296.0,
        9.2233715e18,
        -9.223372e18,
        1.8446743e19,
        1.8446744e19,
        16777216.0,
    ] {
        v.push(x.to_bits());
    }
    v.push(1.0f32.to_bits() + 1);
    v.push(1.0f32.to_bits() - 1);
    let mut out: Vec<u64> = v.into_iter().map(fpu::nan_box).collect();
    out.push(u64::from(1.0f32.to_bits()));
    out.push(0x0000_0001_3f80_0000);
    out
}

/// Special integer operands for int-to-float conversions.
fn specials_int() -> Vec<u64> {
    let mut v: Vec<u64> = vec![
        0,
        1,
        u64::MAX,
        2,
        3,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0xffff_ffff_8000_0000,
        i64::MAX as u64,
        i64::MIN as u64,
        (1 << 24) + 1,
        (1 << 24) + 3,
        (1 << 53) + 1,
        (1 << 53) + 3,
        0x1234_5678_9abc_def0,
        0xfedc_ba98_7654_3210,
    ];
    v.extend([(1u64 << 63) + 1, (1 << 25) - 1, 0x0000_0001_0000_0003]);
    v
}

/// Deterministic xorshift64* generator.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// A random operand of format `fmt`: random bits, or a value with a
    /// moderate exponent (so sums, products and conversions do interesting
    /// rounding), or a special.
    fn float(&mut self, fmt: Option<FpFmt>, specials: &[u64]) -> u64 {
        let r = self.next();
        match (r % 4, fmt) {
            (0, _) => specials[(r >> 8) as usize % specials.len()],
            (1, Some(FpFmt::S)) => fpu::nan_box(self.next() as u32),
            (1, _) => self.next(),
            (_, Some(FpFmt::S)) => {
                let exp = 127 - 40 + (self.next() % 110) as u32;
                let bits = (self.next() as u32 & 0x807f_ffff) | (exp << 23);
                fpu::nan_box(bits)
            }
            (_, Some(FpFmt::D)) => {
                let exp = 1023 - 80 + self.next() % 170;
                (self.next() & 0x800f_ffff_ffff_ffff) | (exp << 52)
            }
            (_, None) => {
                let shift = self.next() % 64;
                self.next() >> shift
            }
        }
    }
}

/// Build the (function index, a, b, c) case list.
fn cases(insns: &[Insn]) -> Vec<[u64; 4]> {
    let (sd, ss, si) = (specials_d(), specials_s(), specials_int());
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut out = Vec::new();
    for (i, insn) in insns.iter().enumerate() {
        let i = i as u64;
        let sp: &[u64] = match insn.operand_fmt() {
            Some(FpFmt::S) => &ss,
            Some(FpFmt::D) => &sd,
            None => &si,
        };
        match insn.arity() {
            1 => out.extend(sp.iter().map(|&a| [i, a, 0, 0])),
            2 => {
                for &a in sp {
                    out.extend(sp.iter().map(|&b| [i, a, b, 0]));
                }
            }
            _ => {
                // Cubing every special is large: use every third one.
                let few: Vec<u64> = sp.iter().copied().step_by(3).collect();
                for &a in &few {
                    for &b in &few {
                        out.extend(few.iter().map(|&c| [i, a, b, c]));
                    }
                }
            }
        }
        let fmt = insn.operand_fmt();
        for _ in 0..600 {
            let (a, b, c) = (rng.float(fmt, sp), rng.float(fmt, sp), rng.float(fmt, sp));
            out.push([i, a, b, c]);
        }
    }
    out
}

/// Whether a tool can be run; without it the test fails under CI, else notes and skips.
fn tool_available(name: &str) -> bool {
    let ok = Command::new(name)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{name} is required when CI is set"
        );
        eprintln!("note: {name} not found; skipping the qemu differential FP test");
    }
    ok
}

fn build(dir: &Path, insns: &[Insn]) -> PathBuf {
    let src = dir.join("fpu_probe.c");
    let exe = dir.join("fpu_probe");
    std::fs::write(&src, c_source(insns)).expect("write C source");
    let out = Command::new("riscv64-linux-gnu-gcc")
        .args(["-O1", "-static", "-march=rv64gc", "-o"])
        .arg(&exe)
        .arg(&src)
        .output()
        .expect("run riscv64-linux-gnu-gcc");
    assert!(
        out.status.success(),
        "compiling the probe failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

#[test]
fn fpu_matches_qemu() {
    if !tool_available("riscv64-linux-gnu-gcc") || !tool_available("qemu-riscv64") {
        return;
    }
    // Per-process directory: concurrent test runs must not share files.
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("fpu_qemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("create temp dir");
    let insns = Insn::all();
    let exe = build(&dir, &insns);
    let cases = cases(&insns);

    let input_path = dir.join("cases.bin");
    {
        let mut f = std::io::BufWriter::new(std::fs::File::create(&input_path).expect("create"));
        for c in &cases {
            for w in c {
                f.write_all(&w.to_le_bytes()).expect("write cases");
            }
        }
        f.flush().expect("flush cases");
    }
    let out = Command::new("qemu-riscv64")
        .arg(&exe)
        .stdin(std::fs::File::open(&input_path).expect("open cases"))
        .output()
        .expect("run qemu-riscv64");
    assert!(out.status.success(), "probe failed: {:?}", out.status);
    assert_eq!(
        out.stdout.len(),
        cases.len() * 16,
        "probe answered every case"
    );

    let mut mismatches = Vec::new();
    for (k, c) in cases.iter().enumerate() {
        let word = |j: usize| {
            let off = k * 16 + j * 8;
            u64::from_le_bytes(out.stdout[off..off + 8].try_into().expect("8 bytes"))
        };
        let want = (word(0), word(1));
        let insn = insns[c[0] as usize];
        let got = insn.model(c[1], c[2], c[3]);
        if got != want {
            mismatches.push(format!(
                "{} rm={:?} a={:#x} b={:#x} c={:#x}: qemu ({:#x}, flags {:#x}) model ({:#x}, flags {:#x})",
                insn.mnemonic(),
                insn.rm,
                c[1],
                c[2],
                c[3],
                want.0,
                want.1,
                got.0,
                got.1
            ));
        }
    }
    // Keep the files only when something differs, for reproduction.
    if mismatches.is_empty() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    assert!(
        mismatches.is_empty(),
        "{} of {} cases differ (probe and cases in {}); first ones:\n{}",
        mismatches.len(),
        cases.len(),
        dir.display(),
        mismatches[..mismatches.len().min(30)].join("\n")
    );
}
