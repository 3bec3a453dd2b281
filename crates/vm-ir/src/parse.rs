//! Text form: parsing, the exact inverse of the printer (see `print.rs` for
//! the syntax).
//!
//! Value names in the text are free (`v` followed by digits) and are mapped to
//! the index of their defining instruction, so `parse_block(&b.to_string())`
//! gives back `b` and hand-written text may number values any way it likes.
//! A value must be defined before it is used. The parser never panics; every
//! error names its 1-based line. It checks syntax and naming only: the
//! semantic invariants are [`crate::verify()`]'s job.

use std::collections::HashMap;
use std::fmt;

use crate::*;

/// A syntax error in IR text, with its line number.
#[derive(Debug, Clone, PartialEq)]
pub struct ParseError {
    /// 1-based line.
    pub line: usize,
    /// What is wrong.
    pub msg: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.msg)
    }
}

impl std::error::Error for ParseError {}

/// One lexical token of a line.
#[derive(Debug, Clone, PartialEq)]
enum Tok {
    /// Identifier-like word: letters, digits, `_` and `.` (e.g. `load.i64`).
    Word(String),
    /// Integer literal with its sign, as written (range-checked by its user).
    Num(i128),
    /// Punctuation: `, = [ ] + - @ :` or `->` (as `>`).
    Punct(char),
}

impl fmt::Display for Tok {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Tok::Word(w) => write!(f, "`{w}`"),
            Tok::Num(n) => write!(f, "number {n}"),
            Tok::Punct('>') => f.write_str("`->`"),
            Tok::Punct(c) => write!(f, "`{c}`"),
        }
    }
}

/// Parse an unsigned literal (`0x` hex or decimal, `_` allowed) to i128.
fn parse_magnitude(s: &str) -> Option<i128> {
    let s = s.replace('_', "");
    let v = if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        u128::from_str_radix(h, 16).ok()?
    } else {
        s.parse::<u128>().ok()?
    };
    // Anything beyond 2^64 is out of range for every use; cap to keep i128 exact.
    i128::try_from(v.min(1 << 100)).ok()
}

/// Split one line (comment already removed) into tokens.
fn tokenize(line: &str) -> Result<Vec<Tok>, String> {
    let chars: Vec<char> = line.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    let word_char = |c: char| c.is_ascii_alphanumeric() || c == '_' || c == '.';
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
        } else if c.is_ascii_digit()
            || (c == '-' && chars.get(i + 1).is_some_and(|d| d.is_ascii_digit()))
        {
            let neg = c == '-';
            let start = if neg { i + 1 } else { i };
            let mut j = start;
            while j < chars.len() && (chars[j].is_ascii_alphanumeric() || chars[j] == '_') {
                j += 1;
            }
            let text: String = chars[start..j].iter().collect();
            let mag = parse_magnitude(&text).ok_or_else(|| format!("bad number `{text}`"))?;
            toks.push(Tok::Num(if neg { -mag } else { mag }));
            i = j;
        } else if word_char(c) {
            let mut j = i;
            while j < chars.len() && word_char(chars[j]) {
                j += 1;
            }
            toks.push(Tok::Word(chars[i..j].iter().collect()));
            i = j;
        } else if c == '-' && chars.get(i + 1) == Some(&'>') {
            toks.push(Tok::Punct('>'));
            i += 2;
        } else if ",=[]+-@:".contains(c) {
            toks.push(Tok::Punct(c));
            i += 1;
        } else {
            return Err(format!("unexpected character `{c}`"));
        }
    }
    Ok(toks)
}

/// Token cursor over one line, with the value-name table of the block.
struct Line<'a> {
    toks: Vec<Tok>,
    pos: usize,
    names: &'a HashMap<String, u32>,
}

type PResult<T> = Result<T, String>;

impl Line<'_> {
    fn peek(&self) -> Option<&Tok> {
        self.toks.get(self.pos)
    }

    fn next(&mut self, what: &str) -> PResult<Tok> {
        let t = self
            .toks
            .get(self.pos)
            .cloned()
            .ok_or_else(|| format!("expected {what}, found end of line"))?;
        self.pos += 1;
        Ok(t)
    }

    fn punct(&mut self, c: char) -> PResult<()> {
        let shown = if c == '>' {
            "->".to_string()
        } else {
            c.to_string()
        };
        match self.next(&format!("`{shown}`"))? {
            Tok::Punct(p) if p == c => Ok(()),
            t => Err(format!("expected `{shown}`, found {t}")),
        }
    }

    fn eat_punct(&mut self, c: char) -> bool {
        if self.peek() == Some(&Tok::Punct(c)) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn word(&mut self, what: &str) -> PResult<String> {
        match self.next(what)? {
            Tok::Word(w) => Ok(w),
            t => Err(format!("expected {what}, found {t}")),
        }
    }

    fn num(&mut self, what: &str) -> PResult<i128> {
        match self.next(what)? {
            Tok::Num(n) => Ok(n),
            t => Err(format!("expected {what}, found {t}")),
        }
    }

    /// A 64-bit pattern: 0..=u64::MAX, or a negative i64 (two's complement).
    fn u64(&mut self, what: &str) -> PResult<u64> {
        let n = self.num(what)?;
        if let Ok(v) = u64::try_from(n) {
            Ok(v)
        } else if let Ok(v) = i64::try_from(n) {
            Ok(v as u64)
        } else {
            Err(format!("{what} {n} does not fit in 64 bits"))
        }
    }

    fn i64(&mut self, what: &str) -> PResult<i64> {
        let n = self.num(what)?;
        i64::try_from(n).map_err(|_| format!("{what} {n} does not fit in i64"))
    }

    fn u32(&mut self, what: &str) -> PResult<u32> {
        let n = self.num(what)?;
        u32::try_from(n).map_err(|_| format!("{what} {n} does not fit in u32"))
    }

    fn value(&mut self) -> PResult<Value> {
        let w = self.word("a value")?;
        match self.names.get(&w) {
            Some(&i) => Ok(Value(i)),
            None if is_value_name(&w) => Err(format!("value `{w}` is used before it is defined")),
            None => Err(format!("expected a value, found `{w}`")),
        }
    }

    fn global(&mut self) -> PResult<Global> {
        let w = self.word("a register")?;
        let parsed = match w.split_at_checked(1) {
            Some(("x", n)) => n.parse::<u8>().ok().map(Global::X),
            Some(("f", n)) => n.parse::<u8>().ok().map(Global::F),
            _ => None,
        };
        parsed.ok_or_else(|| format!("expected a register (x0..x31, f0..f31), found `{w}`"))
    }

    /// `[v]`, `[v + n]`, `[v - n]`.
    fn addr(&mut self) -> PResult<(Value, i32)> {
        self.punct('[')?;
        let v = self.value()?;
        let off: i128 = if self.eat_punct('+') {
            self.num("an offset")?
        } else if self.eat_punct('-') {
            -self.num("an offset")?
        } else if let Some(Tok::Num(n)) = self.peek() {
            let n = *n;
            self.pos += 1;
            n
        } else {
            0
        };
        self.punct(']')?;
        let off = i32::try_from(off).map_err(|_| format!("offset {off} does not fit in i32"))?;
        Ok((v, off))
    }

    /// `[v]` with no offset.
    fn plain_addr(&mut self) -> PResult<Value> {
        self.punct('[')?;
        let v = self.value()?;
        self.punct(']')?;
        Ok(v)
    }

    fn end(&self) -> PResult<()> {
        match self.peek() {
            None => Ok(()),
            Some(t) => Err(format!("unexpected {t} at end of line")),
        }
    }
}

fn is_value_name(w: &str) -> bool {
    w.strip_prefix('v')
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// Look up a name in one of the op enums.
fn lookup<T>(from_name: fn(&str) -> Option<T>, s: &str, what: &str) -> PResult<T> {
    from_name(s).ok_or_else(|| format!("unknown {what} `{s}`"))
}

/// Parse the instruction whose mnemonic is `m` (cursor after the mnemonic).
fn parse_inst(m: &str, l: &mut Line<'_>) -> PResult<Inst> {
    let parts: Vec<&str> = m.split('.').collect();
    let inst = match parts.as_slice() {
        ["const"] => Inst::Const {
            imm: l.u64("an immediate")?,
        },
        ["get"] => Inst::Get { reg: l.global()? },
        ["set"] => {
            let reg = l.global()?;
            l.punct(',')?;
            Inst::Set {
                reg,
                arg: l.value()?,
            }
        }
        ["load", ty] => {
            let ty = lookup(MemTy::from_name, ty, "memory type")?;
            let (addr, offset) = l.addr()?;
            Inst::Load { ty, addr, offset }
        }
        ["store", ty] => {
            let ty = lookup(MemTy::from_name, ty, "memory type")?;
            let (addr, offset) = l.addr()?;
            l.punct(',')?;
            Inst::Store {
                ty,
                addr,
                offset,
                val: l.value()?,
            }
        }
        ["amo", op, width] => {
            let op = lookup(AmoOp::from_name, op, "atomic operation")?;
            let width = lookup(AtomicWidth::from_name, width, "atomic width")?;
            let addr = l.plain_addr()?;
            l.punct(',')?;
            Inst::Amo {
                op,
                width,
                addr,
                val: l.value()?,
            }
        }
        ["lr", width] => Inst::LoadReserved {
            width: lookup(AtomicWidth::from_name, width, "atomic width")?,
            addr: l.plain_addr()?,
        },
        ["sc", width] => {
            let width = lookup(AtomicWidth::from_name, width, "atomic width")?;
            let addr = l.plain_addr()?;
            l.punct(',')?;
            Inst::StoreConditional {
                width,
                addr,
                val: l.value()?,
            }
        }
        ["fence"] => Inst::Fence,
        ["fcvt", to, from, rm] => Inst::FCvt {
            to: lookup(CvtTy::from_name, to, "conversion type")?,
            from: lookup(CvtTy::from_name, from, "conversion type")?,
            rm: lookup(RoundMode::from_name, rm, "rounding mode")?,
            a: l.value()?,
        },
        ["csrr"] => Inst::CsrRead {
            csr: lookup(Csr::from_name, &l.word("a CSR")?, "CSR")?,
        },
        ["csrw"] => {
            let csr = lookup(Csr::from_name, &l.word("a CSR")?, "CSR")?;
            l.punct(',')?;
            Inst::CsrWrite {
                csr,
                arg: l.value()?,
            }
        }
        [op, fmt, rm] => {
            let fmt = lookup(FpFmt::from_name, fmt, "FP format")?;
            let rm = lookup(RoundMode::from_name, rm, "rounding mode")?;
            parse_fp(op, fmt, rm, l)?
        }
        [op] => parse_int(op, l)?,
        _ => return Err(format!("unknown instruction `{m}`")),
    };
    l.end()?;
    Ok(inst)
}

/// FP arithmetic: `fop.fmt.rm a[, b[, c]]`.
fn parse_fp(op: &str, fmt: FpFmt, rm: RoundMode, l: &mut Line<'_>) -> PResult<Inst> {
    if let Some(op) = FBinOp::from_name(op) {
        let a = l.value()?;
        l.punct(',')?;
        Ok(Inst::FBinary {
            op,
            fmt,
            rm,
            a,
            b: l.value()?,
        })
    } else if let Some(op) = FUnOp::from_name(op) {
        Ok(Inst::FUnary {
            op,
            fmt,
            rm,
            a: l.value()?,
        })
    } else if let Some(op) = FmaOp::from_name(op) {
        let a = l.value()?;
        l.punct(',')?;
        let b = l.value()?;
        l.punct(',')?;
        Ok(Inst::Fma {
            op,
            fmt,
            rm,
            a,
            b,
            c: l.value()?,
        })
    } else {
        Err(format!("unknown FP operation `{op}`"))
    }
}

/// Integer ops: `op a, b`, `op a, imm` or `op a`.
fn parse_int(op: &str, l: &mut Line<'_>) -> PResult<Inst> {
    if let Some(op) = BinOp::from_name(op) {
        let a = l.value()?;
        l.punct(',')?;
        if let Some(Tok::Num(_)) = l.peek() {
            Ok(Inst::BinaryImm {
                op,
                a,
                imm: l.i64("an immediate")?,
            })
        } else {
            Ok(Inst::Binary {
                op,
                a,
                b: l.value()?,
            })
        }
    } else if let Some(op) = UnOp::from_name(op) {
        Ok(Inst::Unary { op, a: l.value()? })
    } else {
        Err(format!("unknown instruction `{op}`"))
    }
}

/// Parse a terminator whose keyword is `kw`, or None if `kw` is not one.
fn parse_term(kw: &str, l: &mut Line<'_>) -> PResult<Option<Terminator>> {
    let term = match kw {
        "jump" => Terminator::Jump {
            target: l.u64("a target address")?,
        },
        "br" => {
            let cond = lookup(Cond::from_name, &l.word("a condition")?, "condition")?;
            let a = l.value()?;
            l.punct(',')?;
            let b = l.value()?;
            l.punct(',')?;
            let taken = l.u64("a taken address")?;
            l.punct(',')?;
            Terminator::Branch {
                cond,
                a,
                b,
                taken,
                fallthrough: l.u64("a fall-through address")?,
            }
        }
        "jr" => {
            let target = l.value()?;
            l.punct(',')?;
            let hint = match l.word("a jump hint")?.as_str() {
                "ret" => JumpHint::Return,
                "call" => JumpHint::Call,
                "other" => JumpHint::Other,
                h => return Err(format!("unknown jump hint `{h}` (ret, call, other)")),
            };
            Terminator::JumpIndirect { target, hint }
        }
        "trap" => {
            let kind = match l.word("a trap kind")?.as_str() {
                "syscall" => TrapKind::Syscall,
                "breakpoint" => TrapKind::Breakpoint,
                "fencei" => TrapKind::FenceI,
                "illegal" => TrapKind::Illegal {
                    raw: l.u32("raw instruction bits")?,
                },
                k => return Err(format!("unknown trap kind `{k}`")),
            };
            let pc = l.u64("a trap pc")?;
            l.punct('>')?;
            Terminator::Trap {
                kind,
                pc,
                next_pc: l.u64("a next pc")?,
            }
        }
        _ => return Ok(None),
    };
    l.end()?;
    Ok(Some(term))
}

/// Block being assembled while lines are read.
struct State {
    header: Option<(u64, u64)>,
    insts: Vec<Inst>,
    insn_starts: Vec<InsnStart>,
    term: Option<Terminator>,
    names: HashMap<String, u32>,
}

impl State {
    fn line(&mut self, toks: Vec<Tok>) -> PResult<()> {
        let mut l = Line {
            toks,
            pos: 0,
            names: &self.names,
        };
        if self.term.is_some() {
            return Err("text after the terminator".into());
        }
        if self.header.is_none() {
            if l.word("`block`")? != "block" {
                return Err("a block starts with `block START .. END:`".into());
            }
            let start = l.u64("a start pc")?;
            // `..` lexes as a word made of dots.
            if l.word("`..`")? != ".." {
                return Err("expected `..` between start and end pc".into());
            }
            let end = l.u64("an end pc")?;
            l.punct(':')?;
            l.end()?;
            self.header = Some((start, end));
            return Ok(());
        }
        if l.eat_punct('@') {
            let pc = l.u64("a guest pc")?;
            let inst = if l.peek().is_some() {
                if l.word("`inst`")? != "inst" {
                    return Err("expected `inst N` after the pc".into());
                }
                l.u32("an instruction index")?
            } else {
                u32::try_from(self.insts.len()).map_err(|_| "too many instructions")?
            };
            l.end()?;
            self.insn_starts.push(InsnStart { inst, pc });
            return Ok(());
        }
        let first = l.word("an instruction")?;
        let index = u32::try_from(self.insts.len()).map_err(|_| "too many instructions")?;
        if l.eat_punct('=') {
            if !is_value_name(&first) {
                return Err(format!("`{first}` is not a value name (v0, v1, ...)"));
            }
            if self.names.contains_key(&first) {
                return Err(format!("value `{first}` is defined twice"));
            }
            let m = l.word("an instruction")?;
            let inst = parse_inst(&m, &mut l)?;
            if !inst.has_result() {
                return Err(format!("`{m}` defines no value"));
            }
            self.insts.push(inst);
            self.names.insert(first, index);
            return Ok(());
        }
        if let Some(term) = parse_term(&first, &mut l)? {
            self.term = Some(term);
            return Ok(());
        }
        let inst = parse_inst(&first, &mut l)?;
        if inst.has_result() {
            return Err(format!(
                "`{first}` defines a value: write `vN = {first} ...`"
            ));
        }
        self.insts.push(inst);
        Ok(())
    }
}

/// Parse one block from its text form (see `print.rs` for the syntax).
pub fn parse_block(text: &str) -> Result<Block, ParseError> {
    let mut st = State {
        header: None,
        insts: Vec::new(),
        insn_starts: Vec::new(),
        term: None,
        names: HashMap::new(),
    };
    let mut last_line = 0;
    for (i, raw) in text.lines().enumerate() {
        let line = i + 1;
        last_line = line;
        let code = raw.split(';').next().unwrap_or("");
        let toks = tokenize(code).map_err(|msg| ParseError { line, msg })?;
        if toks.is_empty() {
            continue;
        }
        st.line(toks).map_err(|msg| ParseError { line, msg })?;
    }
    let err = |msg: &str| ParseError {
        line: last_line.max(1),
        msg: msg.into(),
    };
    let (start_pc, end_pc) = st.header.ok_or_else(|| err("no `block` header"))?;
    let term = st.term.ok_or_else(|| err("block has no terminator"))?;
    Ok(Block {
        start_pc,
        end_pc,
        insts: st.insts,
        term,
        insn_starts: st.insn_starts,
    })
}
