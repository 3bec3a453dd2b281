//! The operation set: values, globals, instructions and terminators.

use std::fmt;

/// A block-local SSA temporary, defined by exactly one instruction.
#[derive(Copy, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct Value(pub u32);

impl fmt::Display for Value {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "v{}", self.0)
    }
}

/// A guest architectural register.
///
/// `X(0)` is never an operand of `set`; lowering reads it as the constant 0.
#[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
pub enum Global {
    /// Integer register x0..x31.
    X(u8),
    /// Floating-point register f0..f31 (64-bit, single precision NaN-boxed).
    F(u8),
}

impl Global {
    /// Dense index: x0..x31 are 0..31, f0..f31 are 32..63.
    pub fn index(self) -> usize {
        match self {
            Global::X(r) => r as usize,
            Global::F(r) => 32 + r as usize,
        }
    }

    /// Number of globals ([`Global::index`] is below this).
    pub const COUNT: usize = 64;
}

impl fmt::Display for Global {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Global::X(r) => write!(f, "x{r}"),
            Global::F(r) => write!(f, "f{r}"),
        }
    }
}

macro_rules! named_enum {
    ($(#[$m:meta])* $name:ident { $($(#[$vm:meta])* $v:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Copy, Clone, PartialEq, Eq, Hash, Debug)]
        pub enum $name { $($(#[$vm])* $v,)* }
        impl $name {
            /// Every variant, in declaration order.
            pub const ALL: &'static [$name] = &[$($name::$v,)*];
            /// The name used in the IR text form.
            pub fn name(self) -> &'static str {
                match self { $($name::$v => $s,)* }
            }
            /// Inverse of [`Self::name`].
            pub fn from_name(s: &str) -> Option<Self> {
                match s { $($s => Some($name::$v),)* _ => None }
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result { f.write_str(self.name()) }
        }
    };
}

named_enum! {
    /// Two-operand integer operations. `*w` forms operate on the low 32 bits and
    /// sign-extend the 32-bit result to 64 bits. Shift amounts are masked to the
    /// operand width (6 bits, or 5 for `*w`). Comparisons produce 0 or 1.
    /// Division follows RISC-V: x/0 = all ones, x%0 = x, MIN/-1 = MIN, MIN%-1 = 0.
    BinOp {
        Add = "add", Sub = "sub", Mul = "mul",
        /// High 64 bits of signed x signed product.
        MulH = "mulh",
        /// High 64 bits of signed x unsigned product.
        MulHSU = "mulhsu",
        /// High 64 bits of unsigned x unsigned product.
        MulHU = "mulhu",
        Div = "div", DivU = "divu", Rem = "rem", RemU = "remu",
        And = "and", Or = "or", Xor = "xor",
        /// a & !b
        AndN = "andn",
        /// a | !b
        OrN = "orn",
        /// !(a ^ b)
        Xnor = "xnor",
        Shl = "shl", ShrL = "shrl", ShrA = "shra",
        Rol = "rol", Ror = "ror",
        AddW = "addw", SubW = "subw", MulW = "mulw",
        DivW = "divw", DivUW = "divuw", RemW = "remw", RemUW = "remuw",
        ShlW = "shlw", ShrLW = "shrlw", ShrAW = "shraw",
        RolW = "rolw", RorW = "rorw",
        Min = "min", MinU = "minu", Max = "max", MaxU = "maxu",
        Eq = "eq", Ne = "ne", Lt = "lt", LtU = "ltu", Ge = "ge", GeU = "geu",
    }
}

named_enum! {
    /// One-operand integer operations (bit manipulation and extensions).
    UnOp {
        Not = "not", Neg = "neg",
        Clz = "clz", Ctz = "ctz", Cpop = "cpop",
        /// Count leading zeros of the low 32 bits.
        ClzW = "clzw", CtzW = "ctzw", CpopW = "cpopw",
        SextB = "sextb", SextH = "sexth", SextW = "sextw",
        ZextB = "zextb", ZextH = "zexth", ZextW = "zextw",
        /// Byte reverse.
        Rev8 = "rev8",
        /// Each byte becomes 0xff if nonzero, else 0.
        OrcB = "orcb",
    }
}

named_enum! {
    /// Branch conditions: compare two values as 64-bit integers.
    Cond {
        Eq = "eq", Ne = "ne", Lt = "lt", Ge = "ge", LtU = "ltu", GeU = "geu",
    }
}

impl Cond {
    /// Evaluate the condition.
    pub fn eval(self, a: u64, b: u64) -> bool {
        match self {
            Cond::Eq => a == b,
            Cond::Ne => a != b,
            Cond::Lt => (a as i64) < (b as i64),
            Cond::Ge => (a as i64) >= (b as i64),
            Cond::LtU => a < b,
            Cond::GeU => a >= b,
        }
    }
}

named_enum! {
    /// Width and extension of a memory access. Loads of narrow types extend to
    /// 64 bits (`i*` sign-extend, `u*` zero-extend); stores write the low bytes.
    /// Accesses need not be aligned.
    MemTy {
        I8 = "i8", U8 = "u8", I16 = "i16", U16 = "u16",
        I32 = "i32", U32 = "u32", I64 = "i64",
    }
}

impl MemTy {
    /// Access size in bytes.
    pub fn bytes(self) -> u32 {
        match self {
            MemTy::I8 | MemTy::U8 => 1,
            MemTy::I16 | MemTy::U16 => 2,
            MemTy::I32 | MemTy::U32 => 4,
            MemTy::I64 => 8,
        }
    }

    /// Extend the low bytes of `raw` as a load of this type does.
    pub fn extend(self, raw: u64) -> u64 {
        match self {
            MemTy::I8 => raw as i8 as i64 as u64,
            MemTy::U8 => raw as u8 as u64,
            MemTy::I16 => raw as i16 as i64 as u64,
            MemTy::U16 => raw as u16 as u64,
            MemTy::I32 => raw as i32 as i64 as u64,
            MemTy::U32 => raw as u32 as u64,
            MemTy::I64 => raw,
        }
    }
}

named_enum! {
    /// Atomic read-modify-write operations (RISC-V AMOs). The old memory value
    /// is the result.
    AmoOp {
        Swap = "swap", Add = "add", Xor = "xor", And = "and", Or = "or",
        Min = "min", Max = "max", MinU = "minu", MaxU = "maxu",
    }
}

named_enum! {
    /// Width of an atomic access: 32-bit (`w`, result sign-extended) or 64-bit.
    AtomicWidth { W = "w", D = "d", }
}

impl AtomicWidth {
    /// Access size in bytes.
    pub fn bytes(self) -> u32 {
        match self {
            AtomicWidth::W => 4,
            AtomicWidth::D => 8,
        }
    }
}

named_enum! {
    /// Floating-point format.
    FpFmt { S = "s", D = "d", }
}

named_enum! {
    /// Rounding mode of an FP operation; `Dyn` uses the `frm` CSR at run time
    /// (an invalid `frm` then raises an illegal-instruction exception).
    RoundMode {
        Rne = "rne", Rtz = "rtz", Rdn = "rdn", Rup = "rup", Rmm = "rmm", Dyn = "dyn",
    }
}

impl RoundMode {
    /// Decode the 3-bit RISC-V `rm` field; 5 and 6 are reserved (None).
    pub fn from_bits(rm: u32) -> Option<RoundMode> {
        Some(match rm {
            0 => RoundMode::Rne,
            1 => RoundMode::Rtz,
            2 => RoundMode::Rdn,
            3 => RoundMode::Rup,
            4 => RoundMode::Rmm,
            7 => RoundMode::Dyn,
            _ => return None,
        })
    }

    /// The 3-bit RISC-V encoding.
    pub fn bits(self) -> u32 {
        match self {
            RoundMode::Rne => 0,
            RoundMode::Rtz => 1,
            RoundMode::Rdn => 2,
            RoundMode::Rup => 3,
            RoundMode::Rmm => 4,
            RoundMode::Dyn => 7,
        }
    }
}

named_enum! {
    /// Two-operand FP operations. Arithmetic results are rounded with the
    /// instruction's rounding mode and OR their exception flags into `fflags`.
    /// Comparisons (`feq`, `flt`, `fle`) produce 0 or 1 as an integer.
    /// `fmin`/`fmax` follow RISC-V 2.2+ (IEEE 754-2019 minimumNumber with
    /// -0 < +0). Sign-injection ops never raise flags and do not canonicalize.
    FBinOp {
        Add = "fadd", Sub = "fsub", Mul = "fmul", Div = "fdiv",
        Min = "fmin", Max = "fmax",
        Sgnj = "fsgnj", Sgnjn = "fsgnjn", Sgnjx = "fsgnjx",
        Eq = "feq", Lt = "flt", Le = "fle",
    }
}

named_enum! {
    /// One-operand FP operations of one format.
    FUnOp {
        Sqrt = "fsqrt",
        /// RISC-V `fclass`: a 10-bit mask as an integer.
        Class = "fclass",
    }
}

named_enum! {
    /// Fused multiply-add family: a*b+c, a*b-c, -(a*b)+c... with one rounding.
    FmaOp {
        MAdd = "fmadd", MSub = "fmsub", NMSub = "fnmsub", NMAdd = "fnmadd",
    }
}

named_enum! {
    /// Source or destination kind of a conversion.
    CvtTy {
        /// Signed 32-bit integer (results sign-extended to 64 bits).
        W = "w",
        /// Unsigned 32-bit integer (results sign-extended to 64 bits, as RISC-V does).
        WU = "wu",
        L = "l", LU = "lu",
        S = "s", D = "d",
    }
}

impl CvtTy {
    /// Whether this is a floating-point type.
    pub fn is_float(self) -> bool {
        matches!(self, CvtTy::S | CvtTy::D)
    }
}

named_enum! {
    /// Control and status registers the guest can name.
    Csr {
        Fflags = "fflags", Frm = "frm", Fcsr = "fcsr",
        Cycle = "cycle", Time = "time", Instret = "instret",
    }
}

impl Csr {
    /// Map a CSR number to a known CSR.
    pub fn from_number(n: u32) -> Option<Csr> {
        Some(match n {
            0x001 => Csr::Fflags,
            0x002 => Csr::Frm,
            0x003 => Csr::Fcsr,
            0xC00 => Csr::Cycle,
            0xC01 => Csr::Time,
            0xC02 => Csr::Instret,
            _ => return None,
        })
    }

    /// The CSR number.
    pub fn number(self) -> u32 {
        match self {
            Csr::Fflags => 0x001,
            Csr::Frm => 0x002,
            Csr::Fcsr => 0x003,
            Csr::Cycle => 0xC00,
            Csr::Time => 0xC01,
            Csr::Instret => 0xC02,
        }
    }

    /// Whether the CSR is read-only (writing it is an illegal instruction).
    pub fn read_only(self) -> bool {
        matches!(self, Csr::Cycle | Csr::Time | Csr::Instret)
    }
}

/// One IR instruction. Variants that produce a value say so in their docs; the
/// value is numbered by the builder and stored in [`crate::Block::insts`] next
/// to the instruction.
#[derive(Clone, PartialEq, Debug)]
pub enum Inst {
    /// `v = const imm`.
    Const { imm: u64 },
    /// `v = get g`: read a guest register.
    Get { reg: Global },
    /// `set g, a`: write a guest register. No value.
    Set { reg: Global, arg: Value },
    /// `v = op a, b`.
    Binary { op: BinOp, a: Value, b: Value },
    /// `v = op a, imm`: the same as `Binary` with a constant right operand.
    BinaryImm { op: BinOp, a: Value, imm: i64 },
    /// `v = op a`.
    Unary { op: UnOp, a: Value },
    /// `v = load.ty [addr + offset]`. May fault.
    Load { ty: MemTy, addr: Value, offset: i32 },
    /// `store.ty [addr + offset], val`. May fault. No value.
    Store {
        ty: MemTy,
        addr: Value,
        offset: i32,
        val: Value,
    },
    /// `v = amo.op.width [addr], val`: atomic read-modify-write returning the
    /// old value (sign-extended for `w`). Must be naturally aligned, else it
    /// faults (misaligned AMOs raise an access fault on Linux: SIGBUS).
    Amo {
        op: AmoOp,
        width: AtomicWidth,
        addr: Value,
        val: Value,
    },
    /// `v = lr.width [addr]`: load-reserved. Records the reservation.
    LoadReserved { width: AtomicWidth, addr: Value },
    /// `v = sc.width [addr], val`: store-conditional; 0 on success, 1 on failure.
    /// Clears the reservation.
    StoreConditional {
        width: AtomicWidth,
        addr: Value,
        val: Value,
    },
    /// `fence`: orders memory accesses between harts. No value.
    Fence,
    /// `v = fop.fmt.rm a, b`. May fault (illegal instruction) if `rm` is `dyn`
    /// and `frm` holds a reserved value.
    FBinary {
        op: FBinOp,
        fmt: FpFmt,
        rm: RoundMode,
        a: Value,
        b: Value,
    },
    /// `v = fop.fmt.rm a`.
    FUnary {
        op: FUnOp,
        fmt: FpFmt,
        rm: RoundMode,
        a: Value,
    },
    /// `v = fmaop.fmt.rm a, b, c`.
    Fma {
        op: FmaOp,
        fmt: FpFmt,
        rm: RoundMode,
        a: Value,
        b: Value,
        c: Value,
    },
    /// `v = fcvt.to.from.rm a`: conversion between integer and FP kinds or
    /// between FP formats. Float-to-integer conversions saturate as RISC-V does
    /// (NaN converts to the maximum).
    FCvt {
        to: CvtTy,
        from: CvtTy,
        rm: RoundMode,
        a: Value,
    },
    /// `v = csrr csr`: read a CSR.
    CsrRead { csr: Csr },
    /// `csrw csr, a`: write a CSR (never a read-only one). No value.
    CsrWrite { csr: Csr, arg: Value },
}

impl Inst {
    /// Whether the instruction defines a value.
    pub fn has_result(&self) -> bool {
        !matches!(
            self,
            Inst::Set { .. } | Inst::Store { .. } | Inst::Fence | Inst::CsrWrite { .. }
        )
    }

    /// Whether executing the instruction can stop the block with a guest
    /// exception (memory fault or illegal dynamic rounding mode).
    pub fn may_fault(&self) -> bool {
        match self {
            Inst::Load { .. }
            | Inst::Store { .. }
            | Inst::Amo { .. }
            | Inst::LoadReserved { .. }
            | Inst::StoreConditional { .. } => true,
            Inst::FBinary { rm, .. }
            | Inst::FUnary { rm, .. }
            | Inst::Fma { rm, .. }
            | Inst::FCvt { rm, .. } => *rm == RoundMode::Dyn,
            _ => false,
        }
    }

    /// The values the instruction reads, in operand order.
    pub fn args(&self) -> Vec<Value> {
        match *self {
            Inst::Const { .. } | Inst::Get { .. } | Inst::Fence | Inst::CsrRead { .. } => vec![],
            Inst::Set { arg, .. } | Inst::CsrWrite { arg, .. } => vec![arg],
            Inst::Binary { a, b, .. } | Inst::FBinary { a, b, .. } => vec![a, b],
            Inst::BinaryImm { a, .. }
            | Inst::Unary { a, .. }
            | Inst::FUnary { a, .. }
            | Inst::FCvt { a, .. } => vec![a],
            Inst::Load { addr, .. } | Inst::LoadReserved { addr, .. } => vec![addr],
            Inst::Store { addr, val, .. }
            | Inst::Amo { addr, val, .. }
            | Inst::StoreConditional { addr, val, .. } => vec![addr, val],
            Inst::Fma { a, b, c, .. } => vec![a, b, c],
        }
    }
}

/// Why a block hands control back to the runtime instead of continuing at a
/// known guest PC.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum TrapKind {
    /// `ecall`: a system call; execution resumes at `next_pc`.
    Syscall,
    /// `ebreak`: breakpoint (SIGTRAP).
    Breakpoint,
    /// An instruction the VM does not implement or that is illegal; the raw
    /// instruction bits are kept for the diagnostic.
    Illegal { raw: u32 },
    /// `fence.i`: translations of guest code may be stale; resume at `next_pc`.
    FenceI,
}

/// How a block ends.
#[derive(Clone, PartialEq, Debug)]
pub enum Terminator {
    /// Continue at a known guest PC.
    Jump { target: u64 },
    /// `if cond(a, b) goto taken else goto fallthrough`.
    Branch {
        cond: Cond,
        a: Value,
        b: Value,
        taken: u64,
        fallthrough: u64,
    },
    /// Continue at the guest PC held in `target` (already aligned by lowering).
    /// `hint` says what the guest instruction looked like, for return-address
    /// prediction.
    JumpIndirect { target: Value, hint: JumpHint },
    /// Leave to the runtime. `pc` is the trapping instruction, `next_pc` the
    /// instruction after it.
    Trap {
        kind: TrapKind,
        pc: u64,
        next_pc: u64,
    },
}

/// What an indirect jump was in the guest program.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum JumpHint {
    /// A function return (`jalr x0, 0(ra)`).
    Return,
    /// An indirect call (link register written).
    Call,
    /// Anything else.
    Other,
}

impl JumpHint {
    /// Name in the text form.
    pub fn name(self) -> &'static str {
        match self {
            JumpHint::Return => "ret",
            JumpHint::Call => "call",
            JumpHint::Other => "other",
        }
    }
}
