//! The contract between compiled blocks, the dispatcher and each other: the
//! compiled function's signature, the context it reads, the per-block link
//! data that chains blocks, and how a block says why it returned.
//!
//! Compiled code (a region: see `crate::region`) is a Cranelift function
//! in the `tail` calling convention taking `(cpu, ctx, from)`. Rust cannot
//! call that convention, so the dispatcher enters compiled code through a
//! small trampoline ([`EnterFn`], compiled once per code memory) that calls
//! it and returns its result. The trampoline sets the pinned register
//! (r15) to the arena base (`JitCtx::mem_base`), which compiled code
//! reads for its guest accesses (region code that has the base in its
//! displacements is compiled without the pinned register and preserves
//! r15 like any callee-saved register); r15 is therefore not preserved,
//! and the trampoline is only called through `crate::hostfault::call`,
//! which saves it (and turns host faults into exits).
//!
//! Before leaving, compiled code has written back every guest register it
//! may have changed and added the retired instructions to `cpu.instret`,
//! and before returning it sets `cpu.pc`, exactly as the interpreter leaves
//! them (a direct jump to linked code need not set `pc`). It then either
//! returns an exit code (a trap, a fault, the budget check point, a request
//! to compile a region) or tail-calls the next code through a link slot in
//! its [`LinkData`], an inline cache, or the [`JumpCache`]. A link slot not
//! yet filled holds the *exit stub*, which records the slot in
//! [`JitCtx::link_from`] and returns [`EXIT_NEXT`]; the dispatcher then
//! finds (or compiles) the target and fills the slot, so the next time the
//! code continues straight into its successor. The `from` argument names
//! the slot (see [`from_tag`]); compiled code ignores it, only the stub
//! reads it. The direct emitter's link exits jump straight to the
//! successor instead, by a direct jump patched whenever the slot changes
//! ([`JumpPatch`]); only its slow path, taken while the slot holds the
//! stub, sets `pc` and `from`. So compiled code must not rely on `pc` at
//! entry: every exit sets it.

use std::mem::offset_of;
use std::sync::atomic::{AtomicI32, Ordering};
use vm_core::CpuState;
use vm_mem::GuestMemory;

/// The entry trampoline: runs the compiled block at `code` (and whatever it
/// chains to) and returns the exit code. Call it only through
/// `crate::hostfault::call` (it clobbers the callee-saved r15).
pub type EnterFn =
    unsafe extern "C" fn(cpu: *mut CpuState, ctx: *mut JitCtx, code: *const u8) -> u64;

/// What compiled code needs besides the CPU state, and where it leaves the
/// details of an exit. Built once per `run`.
#[repr(C)]
pub struct JitCtx {
    /// Host address of guest address 0 (`GuestMemory::base`).
    pub mem_base: *mut u8,
    /// The guest memory, for helpers (atomics).
    pub mem: *const GuestMemory,
    /// Guest address of a helper's failed access.
    pub fault_addr: u64,
    /// Set nonzero by a helper that failed; see [`HelperFault`].
    pub helper_fault: u64,
    /// The check point: a block that brings `cpu.instret` to this value or
    /// beyond returns to the dispatcher instead of chaining.
    pub instret_limit: u64,
    /// The link slot whose stub returned ([`EXIT_NEXT`] through a slot not
    /// yet filled), or 0.
    pub link_from: usize,
    /// Indirect jumps that consulted an inline cache.
    pub ic_lookups: u64,
    /// Guest instructions retired by region code (the optimizing tier),
    /// added at each exit from a region (not when a host fault ends it:
    /// statistics only).
    pub region_insns: u64,
    /// The jump cache (see [`JumpCache`]): [`JUMP_CACHE_LEN`] entries.
    pub jump_cache: *const JumpCacheEntry,
    /// The site number of the guest memory access compiled code is making
    /// or made last (see `crate::sites`), for [`EXIT_HOST_FAULT`].
    pub site: u32,
}

/// One jump cache entry: a guest PC and the compiled code starting there.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JumpCacheEntry {
    /// Guest PC ([`IC_EMPTY`] when empty).
    pub pc: u64,
    /// Its code.
    pub code: usize,
}

/// Entries in the jump cache (a power of two).
pub const JUMP_CACHE_LEN: usize = 4096;

/// The jump cache: a direct-mapped table from guest PC to compiled code
/// (indexed by `(pc >> 1) % JUMP_CACHE_LEN`), consulted by indirect jumps
/// whose inline cache misses, so that jumps with many targets (switch
/// tables, returns to many call sites) stay in compiled code. The
/// dispatcher fills it whenever it enters compiled code, and empties it
/// whenever code is replaced or dropped.
pub struct JumpCache {
    entries: Box<[JumpCacheEntry]>,
}

impl Default for JumpCache {
    fn default() -> Self {
        Self::new()
    }
}

impl JumpCache {
    /// An empty cache.
    pub fn new() -> JumpCache {
        let empty = JumpCacheEntry {
            pc: IC_EMPTY,
            code: 0,
        };
        JumpCache {
            entries: vec![empty; JUMP_CACHE_LEN].into_boxed_slice(),
        }
    }

    /// Record that `code` runs guest code at `pc`.
    pub fn insert(&mut self, pc: u64, code: usize) {
        self.entries[Self::slot(pc)] = JumpCacheEntry { pc, code };
    }

    /// Forget every entry.
    pub fn clear(&mut self) {
        self.entries.fill(JumpCacheEntry {
            pc: IC_EMPTY,
            code: 0,
        });
    }

    /// The code recorded for `pc`.
    pub fn get(&self, pc: u64) -> Option<usize> {
        let e = self.entries[Self::slot(pc)];
        (e.pc == pc).then_some(e.code)
    }

    /// The entry index of `pc`.
    pub fn slot(pc: u64) -> usize {
        (pc >> 1) as usize & (JUMP_CACHE_LEN - 1)
    }

    /// Address of the entries, for [`JitCtx::jump_cache`].
    pub fn as_ptr(&self) -> *const JumpCacheEntry {
        self.entries.as_ptr()
    }
}

impl JitCtx {
    /// A context for running compiled code against `mem`.
    pub fn new(mem: &GuestMemory) -> JitCtx {
        JitCtx {
            mem_base: mem.base(),
            mem,
            fault_addr: 0,
            helper_fault: 0,
            instret_limit: u64::MAX,
            link_from: 0,
            ic_lookups: 0,
            region_insns: 0,
            jump_cache: std::ptr::null(),
            site: 0,
        }
    }
}

/// Per-translation data compiled code addresses directly: its outgoing
/// link slots and inline caches, and its execution counter. Boxed by the
/// code cache so its address is stable for the life of the code; the slot
/// words are a separate boxed slice, equally stable.
///
/// Slots: a translation (one guest block, or a region of several) has
/// [`SLOT_WORDS`] words per member guest block `i`: word `3i` is the jump /
/// taken-branch link or the inline cache's code, `3i + 1` the fallthrough
/// link, `3i + 2` the inline cache's PC.
#[repr(C, align(8))]
pub struct LinkData {
    /// Times the compiled code was entered, unless `LinkData::counter`
    /// names a word elsewhere.
    pub exec_count: u64,
    /// Address of the word that counts entries, if not `exec_count` (0):
    /// a word of the shared JIT's dense counter table, so that the
    /// counters of thousands of blocks share a few cache lines instead
    /// of one line each (SQLite ran ~10% faster). Compiled code writes
    /// there, so only the crate sets it.
    pub(crate) counter: usize,
    /// The owning cache entry (index and start PC), so the dispatcher can
    /// name the translation a stub return came from.
    pub owner_idx: u32,
    /// See [`LinkData::owner_idx`].
    pub owner_pc: u64,
    /// The slot words (see above).
    pub slots: Box<[usize]>,
    /// The exit stub the slots start at (and are reset to).
    pub stub: usize,
    /// The direct jumps that mirror slot words (see [`JumpPatch`]); only
    /// the crate makes them, for code it published.
    pub(crate) patches: Vec<JumpPatch>,
}

/// A `jmp rel32` in compiled code that mirrors a link slot, as QEMU's
/// `goto_tb`: the baseline emitter's link exits jump straight to their
/// successor's code instead of through the slot's word (a direct jump
/// the front end predicts even when the branch target buffer does not
/// know it; no load, no `from` argument, no `pc` store). While the slot
/// holds the stub, the jump goes to the exit's own slow path, which
/// stores `pc`, names the slot in `from` and jumps through the slot word
/// as before. `JumpPatch::point` keeps the two in step; both are
/// correct at every moment, so a thread running the code sees either.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JumpPatch {
    /// The slot word it mirrors.
    pub(crate) word: usize,
    /// The 4-byte-aligned `rel32` field, in the executable view.
    pub(crate) at: usize,
    /// The same bytes in the writable view of the code memory.
    pub(crate) at_writable: usize,
    /// The exit's slow path (executable view).
    pub(crate) slow: usize,
}

impl JumpPatch {
    /// Point the jump at `code` (the slot's new word; the slow path if
    /// that is `stub`, or if `code` is out of `rel32` reach).
    pub(crate) fn point(&self, code: usize, stub: usize) {
        let next = self.at as i64 + 4;
        let disp = if code == stub {
            None
        } else {
            i32::try_from(code as i64 - next).ok()
        };
        let disp = disp.unwrap_or((self.slow as i64 - next) as i32);
        // SAFETY: only `Compiler::compile` makes patches (the fields are
        // crate-private), for code it just published: `at_writable` is a
        // 4-byte-aligned address in the writable view of the code memory
        // holding that code, the `rel32` field of a `jmp` there, and it
        // stays mapped while the link data lives (the code memory lives
        // as long as the shared JIT; its link data is dropped before it
        // is reset, and the cache never patches code of a flushed
        // generation). Other threads may be executing that `jmp`: an
        // aligned 4-byte store is atomic for instruction fetch as for data
        // on x86-64 (QEMU patches its `goto_tb` jumps the same way), so
        // they jump to the old or the new target, both valid code.
        unsafe { AtomicI32::from_ptr(self.at_writable as *mut i32) }.store(disp, Ordering::Release);
    }
}

impl LinkData {
    /// Unlinked data for `blocks` member blocks: every slot points at
    /// `stub`, every inline cache matches no PC (guest PCs are even).
    pub fn new(stub: usize, blocks: usize, owner_idx: u32, owner_pc: u64) -> LinkData {
        let mut slots = vec![stub; SLOT_WORDS * blocks].into_boxed_slice();
        for w in slots.iter_mut().skip(2).step_by(SLOT_WORDS) {
            *w = IC_EMPTY as usize;
        }
        LinkData {
            exec_count: 0,
            counter: 0,
            owner_idx,
            owner_pc,
            slots,
            stub,
            patches: Vec::new(),
        }
    }

    /// Address of the word that counts the code's entries (see
    /// `LinkData::counter`; stable: link data is boxed before code is
    /// compiled against it).
    pub fn counter_addr(&self) -> usize {
        if self.counter != 0 {
            self.counter
        } else {
            &raw const self.exec_count as usize
        }
    }

    /// Word index of slot `which` ([`LINK_TAKEN`], [`LINK_FALLTHROUGH`],
    /// [`LINK_IC`]: the cache's code word) of member block `block`.
    pub fn word(block: usize, which: usize) -> usize {
        SLOT_WORDS * block + if which == LINK_IC { 0 } else { which }
    }
}

/// Slot words per member block.
pub const SLOT_WORDS: usize = 3;

/// An inline cache PC that matches no guest PC.
pub const IC_EMPTY: u64 = 1;

/// Slot kind: the jump / taken-branch link.
pub const LINK_TAKEN: usize = 0;
/// Slot kind: the fallthrough link.
pub const LINK_FALLTHROUGH: usize = 1;
/// Slot kind: the inline cache.
pub const LINK_IC: usize = 2;

/// The `from` argument names a slot as the `LinkData` address (below
/// 2^47 on the supported host, checked when compiling) plus
/// `(4 * block + kind) << FROM_TAG_SHIFT`.
pub const FROM_TAG_SHIFT: u32 = 48;

/// The `from` value for slot `kind` of member block `block` of `link`.
pub fn from_tag(link: usize, block: usize, kind: usize) -> usize {
    link | (4 * block + kind) << FROM_TAG_SHIFT
}

/// Split a `from` value into the `LinkData` address, member block and
/// slot kind.
pub fn split_from(from: usize) -> (usize, usize, usize) {
    let tag = from >> FROM_TAG_SHIFT;
    (from & ((1 << FROM_TAG_SHIFT) - 1), tag / 4, tag % 4)
}

/// How a helper failed (the value of [`JitCtx::helper_fault`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
#[repr(u64)]
pub enum HelperFault {
    /// Not permitted, on the read side of an access.
    Read = 1,
    /// Not permitted, on the write side.
    Write = 2,
    /// Misaligned atomic, read side (LR).
    MisalignedRead = 3,
    /// Misaligned atomic, write side (AMO, SC).
    MisalignedWrite = 4,
}

/// Continue at `cpu.pc` (the check point was reached, or a link is not
/// filled yet: see [`JitCtx::link_from`]).
pub const EXIT_NEXT: u64 = 0;
/// `ecall` at `cpu.pc`.
pub const EXIT_SYSCALL: u64 = 1;
/// `ebreak` at `cpu.pc`.
pub const EXIT_BREAKPOINT: u64 = 2;
/// Illegal instruction at `cpu.pc`; its raw bits are in the high 32 bits.
pub const EXIT_ILLEGAL: u64 = 3;
/// `fence.i` retired; `cpu.pc` is the next instruction.
pub const EXIT_FENCE_I: u64 = 4;
/// A helper failed ([`JitCtx::helper_fault`], [`JitCtx::fault_addr`]).
pub const EXIT_HELPER_FAULT: u64 = 7;
/// A dynamic rounding mode met a reserved `frm` at `cpu.pc`.
pub const EXIT_ILLEGAL_RM: u64 = 8;
/// The translation's entry count reached the region threshold: `cpu.pc`
/// is its start and nothing ran; the dispatcher may compile a region.
pub const EXIT_HOT: u64 = 9;
/// The host refused a guest access (see `crate::hostfault`): the access
/// is site [`JitCtx::site`]; registers are in sync and `cpu.instret` holds
/// the count at the start of the site's member block. Never returned by
/// the code itself: the fault handler makes the entry return it.
pub const EXIT_HOST_FAULT: u64 = 10;

/// How compiled code leaves at a block's trap terminator: the exit code,
/// the `pc` to set, and the guest instructions of the block (of `insns`)
/// retired. The trapping instruction has not retired, except `fence.i`.
pub(crate) fn trap_exit(
    kind: vm_ir::TrapKind,
    pc: u64,
    next_pc: u64,
    insns: u64,
) -> (u64, u64, u64) {
    use vm_ir::TrapKind;
    let before = insns.saturating_sub(1);
    match kind {
        TrapKind::Syscall => (EXIT_SYSCALL, pc, before),
        TrapKind::Breakpoint => (EXIT_BREAKPOINT, pc, before),
        TrapKind::Illegal { raw } => (EXIT_ILLEGAL | (raw as u64) << 32, pc, before),
        TrapKind::FenceI => (EXIT_FENCE_I, next_pc, insns),
    }
}

/// Byte offset of integer register `r` in [`CpuState`].
pub fn x_offset(r: u8) -> i32 {
    (offset_of!(CpuState, x) + 8 * r as usize) as i32
}

/// Byte offset of FP register `r` in [`CpuState`].
pub fn f_offset(r: u8) -> i32 {
    (offset_of!(CpuState, f) + 8 * r as usize) as i32
}

/// Offsets of the scalar [`CpuState`] fields compiled code touches.
pub const PC: i32 = offset_of!(CpuState, pc) as i32;
/// See [`PC`].
pub const FFLAGS: i32 = offset_of!(CpuState, fflags) as i32;
/// See [`PC`].
pub const FRM: i32 = offset_of!(CpuState, frm) as i32;
/// See [`PC`].
pub const INSTRET: i32 = offset_of!(CpuState, instret) as i32;

/// Offsets of [`JitCtx`] fields.
pub const CTX_MEM_BASE: i32 = offset_of!(JitCtx, mem_base) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_SITE: i32 = offset_of!(JitCtx, site) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_HELPER_FAULT: i32 = offset_of!(JitCtx, helper_fault) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_INSTRET_LIMIT: i32 = offset_of!(JitCtx, instret_limit) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_LINK_FROM: i32 = offset_of!(JitCtx, link_from) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_JUMP_CACHE: i32 = offset_of!(JitCtx, jump_cache) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_IC_LOOKUPS: i32 = offset_of!(JitCtx, ic_lookups) as i32;
/// See [`CTX_MEM_BASE`].
pub const CTX_REGION_INSNS: i32 = offset_of!(JitCtx, region_insns) as i32;
