//! Decoder + disassembler against GNU objdump over the encoding space.
//!
//! Words are written into the `.text` of a small object whose RISC-V arch
//! attribute is exactly the VM's ISA (rv64imafdc + zicsr, zifencei, zba, zbb,
//! zbs), so objdump decodes the same extensions the VM does. Every word's VM
//! disassembly must equal objdump's, including which words both treat as
//! illegal, except for the documented groups in [`known_difference`] where the
//! VM deliberately differs.
//!
//! Needs riscv64-linux-gnu-{as,objcopy,objdump}. Without them the tests print
//! a note and pass, unless the `CI` environment variable is set: then they fail.

use std::path::{Path, PathBuf};
use std::process::Command;
use vm_frontend::{Insn, Op, decode_bits, disassemble, table};

const ARCH: &str = "rv64i2p1_m2p0_a2p1_f2p2_d2p2_c2p0_zicsr2p0_zifencei2p0_zba1p0_zbb1p0_zbs1p0";

/// Deterministic xorshift64* generator (fixed seeds, no dependencies).
struct Rng(u64);

impl Rng {
    fn next_u32(&mut self) -> u32 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 32) as u32
    }
}

/// A scratch directory holding the template object.
struct Objdump {
    dir: PathBuf,
}

fn tool(name: &str) -> String {
    format!("riscv64-linux-gnu-{name}")
}

fn run(cmd: &mut Command) -> Result<Vec<u8>, String> {
    let out = cmd.output().map_err(|e| format!("{cmd:?}: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "{cmd:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

impl Objdump {
    /// Set up, or `None` (after a note) if the tools are missing and CI is unset.
    fn new(test: &str) -> Option<Objdump> {
        let have = ["as", "objcopy", "objdump"].iter().all(|t| {
            Command::new(tool(t))
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success())
        });
        if !have {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI is set but riscv64-linux-gnu binutils are missing"
            );
            eprintln!("note: riscv64-linux-gnu binutils not found; skipping {test}");
            return None;
        }
        let dir = std::env::temp_dir().join(format!("vm-frontend-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        let src = dir.join("t.s");
        std::fs::write(&src, format!(".attribute arch, \"{ARCH}\"\n.text\nnop\n")).unwrap();
        run(Command::new(tool("as"))
            .arg(&src)
            .arg("-o")
            .arg(dir.join("t.o")))
        .expect("assemble template");
        Some(Objdump { dir })
    }

    /// Disassemble `insns` (raw bits, low 16 bits if compressed) laid out one
    /// after another from address 0; returns objdump's text per address.
    fn disassemble(&self, bytes: &[u8]) -> std::collections::HashMap<u64, String> {
        let bin = self.dir.join("t.bin");
        let obj = self.dir.join("u.o");
        std::fs::write(&bin, bytes).unwrap();
        run(Command::new(tool("objcopy"))
            .arg(format!("--update-section=.text={}", bin.display()))
            .arg(self.dir.join("t.o"))
            .arg(&obj))
        .expect("objcopy");
        let out = run(Command::new(tool("objdump")).arg("-d").arg(&obj)).expect("objdump");
        parse(&String::from_utf8_lossy(&out))
    }
}

impl Drop for Objdump {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Parse `  addr:\thex   \ttext` lines; branch targets `1c <.text+0x1c>`
/// become `0x1c`, `# ...` comments are dropped.
fn parse(out: &str) -> std::collections::HashMap<u64, String> {
    let mut map = std::collections::HashMap::new();
    for line in out.lines() {
        let mut parts = line.splitn(3, '\t');
        let (Some(addr), Some(_hex), Some(text)) = (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let Some(addr) = addr.trim().strip_suffix(':') else {
            continue;
        };
        let Ok(addr) = u64::from_str_radix(addr, 16) else {
            continue;
        };
        let mut text = text.trim_end().to_string();
        // objdump's `# addr` comments depend on earlier instructions
        // (tracked register values): not part of the instruction's text.
        if let Some(hash) = text.find(" # ") {
            text.truncate(hash);
        }
        if let Some(lt) = text.find(" <") {
            text.truncate(lt);
            let cut = text.rfind([',', '\t']).map_or(0, |i| i + 1);
            text.insert_str(cut, "0x");
        }
        map.insert(addr, text);
    }
    map
}

/// Privileged instructions objdump knows and a user-mode VM rejects.
const PRIVILEGED: &[&str] = &[
    "mret",
    "sret",
    "uret",
    "dret",
    "wfi",
    "sfence.vma",
    "sinval.vma",
    "sfence.w.inval",
    "sfence.inval.ir",
    "hfence.vvma",
    "hfence.gvma",
    "hinval.vvma",
    "hinval.gvma",
];

/// Why the VM may legitimately differ from objdump for this word, if it may.
fn known_difference(insn: &Insn, vm: &str, od: &str) -> Option<&'static str> {
    let od_illegal = od.starts_with(".2byte") || od.starts_with(".4byte");
    let od_mnemonic = od.split('\t').next().unwrap_or("");
    if insn.is_illegal() && PRIVILEGED.contains(&od_mnemonic) {
        return Some("privileged instruction");
    }
    if insn.is_illegal() && insn.len == 2 && (insn.raw == 0 || od == "add\tsp,sp,0") {
        // c.unimp (all zeros) and c.addi16sp with a zero immediate are reserved.
        return Some("reserved compressed encoding objdump accepts");
    }
    if insn.is_illegal() && od.ends_with(",unknown") && !od.starts_with("fence") {
        // objdump prints reserved static rounding modes 5 and 6 as `unknown`.
        return Some("reserved rounding mode");
    }
    if od_illegal {
        match insn.op {
            // The spec says to ignore fence/fence.i's reserved fields.
            Op::Fence { .. } | Op::FenceI => return Some("fence with reserved fields"),
            // binutils 2.40 only decodes exact conversions with rm = 0.
            Op::FCvt { .. } if vm.starts_with("fcvt.d.") => {
                return Some("exact conversion with rm != rne");
            }
            _ => {}
        }
    }
    None
}

/// For a CSR outside the VM's set, objdump prints a name the VM does not
/// know: blank out the CSR operand (same position) in both texts.
fn normalize_csr(insn: &Insn, vm: &str, od: &str) -> (String, String) {
    if let Op::Csr { csr, .. } = insn.op
        && vm_ir::Csr::from_number(csr as u32).is_none()
    {
        let hex = format!("{csr:#x}");
        let tokens = |s: &str| -> Vec<String> {
            s.split(['\t', ',']).map(str::to_string).collect::<Vec<_>>()
        };
        let (mut a, mut b) = (tokens(vm), tokens(od));
        if let Some(i) = a.iter().position(|t| *t == hex)
            && i < b.len()
        {
            a[i] = "CSR".into();
            b[i] = "CSR".into();
        }
        return (a.join(" "), b.join(" "));
    }
    (vm.to_string(), od.to_string())
}

/// Compare every word; returns (compared, mismatch descriptions).
fn compare(od: &Objdump, words: &[u32]) -> (usize, Vec<String>) {
    let mut bytes = Vec::new();
    let mut addrs = Vec::new();
    for &w in words {
        addrs.push(bytes.len() as u64);
        if w & 3 == 3 {
            bytes.extend_from_slice(&w.to_le_bytes());
        } else {
            bytes.extend_from_slice(&(w as u16).to_le_bytes());
        }
    }
    let texts = od.disassemble(&bytes);
    let mut bad = Vec::new();
    let mut groups = std::collections::BTreeMap::new();
    for (&w, &addr) in words.iter().zip(&addrs) {
        let insn = decode_bits(w);
        let vm = disassemble(&insn, addr);
        let Some(odt) = texts.get(&addr) else {
            bad.push(format!("{w:08x}: objdump printed nothing at {addr:#x}"));
            continue;
        };
        let (v, o) = normalize_csr(&insn, &vm, odt);
        if v != o {
            match known_difference(&insn, &vm, odt) {
                Some(group) => *groups.entry(group).or_insert(0usize) += 1,
                None => bad.push(format!("{w:08x}: vm `{vm}` objdump `{odt}`")),
            }
        }
    }
    eprintln!("known differences: {groups:?}");
    (texts.len(), bad)
}

fn report(what: &str, words: usize, compared: usize, bad: &[String]) {
    // Debug aid: VM_FRONTEND_MISMATCHES=dir writes every mismatch there.
    if let Some(dir) = std::env::var_os("VM_FRONTEND_MISMATCHES") {
        let _ = std::fs::write(Path::new(&dir).join(what), bad.join("\n"));
    }
    assert_eq!(compared, words, "{what}: objdump line count");
    assert!(
        bad.is_empty(),
        "{what}: {} mismatches of {words}:\n{}",
        bad.len(),
        bad.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn compressed_parcels_match_objdump() {
    let Some(od) = Objdump::new("c") else { return };
    let words: Vec<u32> = (0..=0xffffu32).filter(|p| p & 3 != 3).collect();
    let (n, bad) = compare(&od, &words);
    report("compressed", words.len(), n, &bad);
}

/// Random words for every table encoding (fields random, fixed bits fixed),
/// random words for every major opcode, and the privileged words.
fn words32() -> Vec<u32> {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut words = Vec::new();
    // Register fields and immediates that select aliases (x0, ra, imm 0/1/-1/255).
    const FIELDS: [(u32, u32); 3] = [(7, 0x1f), (15, 0x1f), (20, 0x1f)];
    const IMMS: [u32; 5] = [0, 1, 0xfff, 0xff, 0x7ff];
    for e in table::encodings() {
        for i in 0..400 {
            let mut w = rng.next_u32();
            if i % 2 == 1 {
                for (shift, mask) in FIELDS {
                    match rng.next_u32() % 4 {
                        0 => w &= !(mask << shift),
                        1 => w = (w & !(mask << shift)) | (1 << shift),
                        _ => {}
                    }
                }
                if rng.next_u32() & 1 == 0 {
                    let imm = IMMS[(rng.next_u32() % 5) as usize];
                    w = (w & 0x000f_ffff) | (imm << 20);
                }
            }
            words.push((w & !e.mask) | e.bits);
        }
    }
    // Every CSR instruction on every CSR the VM knows.
    for csr in [0x001u32, 0x002, 0x003, 0xc00, 0xc01, 0xc02] {
        for f3 in [1u32, 2, 3, 5, 6, 7] {
            for i in 0..64u32 {
                let rd = if i % 2 == 0 { 0 } else { rng.next_u32() % 32 };
                let rs1 = if i % 4 < 2 { 0 } else { rng.next_u32() % 32 };
                words.push((csr << 20) | (rs1 << 15) | (f3 << 12) | (rd << 7) | 0x73);
            }
        }
    }
    for opcode in (0..128u32).filter(|o| o & 3 == 3 && o & 0x1f != 0x1f) {
        for _ in 0..1500 {
            words.push((rng.next_u32() & !0x7f) | opcode);
        }
    }
    // SYSTEM with funct3 = 0: privileged instructions and their neighbours.
    for base in [
        0x3020_0073u32,
        0x1020_0073,
        0x0020_0073,
        0x1050_0073,
        0x7b20_0073,
        0x1200_0073,
    ] {
        words.push(base);
        for _ in 0..200 {
            words.push(base | (rng.next_u32() & 0x01ff_8f80));
        }
    }
    words
}

#[test]
fn words32_match_objdump() {
    let Some(od) = Objdump::new("w") else { return };
    let words = words32();
    let (n, bad) = compare(&od, &words);
    report("32-bit", words.len(), n, &bad);
}

#[test]
fn objdump_output_is_parsed() {
    let Some(od) = Objdump::new("p") else { return };
    // jal ra, +8 at address 4 and beq a1,a0,+8 at address 0.
    let texts = od.disassemble(&[0x63, 0x84, 0xa5, 0x00, 0xef, 0x00, 0x80, 0x00]);
    assert_eq!(texts.get(&0).map(String::as_str), Some("beq\ta1,a0,0x8"));
    assert_eq!(texts.get(&4).map(String::as_str), Some("jal\t0xc"));
}
