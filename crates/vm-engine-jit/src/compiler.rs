//! The Cranelift side: the host ISA, compiling a region of IR blocks into host code
//! in [`CodeMemory`], and the two fixed pieces every block relies on (the
//! entry trampoline and the exit stub, see [`crate::abi`]).

use crate::abi::{self, EnterFn, JumpPatch, LinkData};
use crate::baseline;
use crate::code_memory::{CodeMemory, CodeMemoryError};
use crate::lower::{self, HostTarget, LinkAddrs, NewSites};
use crate::region::Region;
use crate::sites::{Site, SiteTable};
use cranelift_codegen::Context;
use cranelift_codegen::control::ControlPlane;
use cranelift_codegen::ir::{AbiParam, Function, InstBuilder, MemFlagsData, Signature, types::I64};
use cranelift_codegen::isa::{CallConv, OwnedTargetIsa};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_frontend::{FunctionBuilder, FunctionBuilderContext};
use std::sync::Arc;
use std::time::{Duration, Instant};
use vm_ir::Block;

/// Why the JIT could not be set up or could not compile a block.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// Cranelift (or this JIT) does not support this host.
    #[error("the JIT does not support this host: {0}")]
    Host(String),
    /// No code memory could be reserved.
    #[error(transparent)]
    CodeMemory(#[from] CodeMemoryError),
    /// Cranelift rejected a generated function (a JIT bug).
    #[error("cannot compile block {pc:#x}: {msg}")]
    Compile {
        /// Guest PC of the block.
        pc: u64,
        /// Cranelift's message.
        msg: String,
    },
    /// The code memory is full: the engine flushes it and retries.
    #[error("code memory full")]
    Full,
}

/// One block's host code.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Code {
    /// Entry point.
    pub ptr: *const u8,
    /// Bytes of host code.
    pub bytes: u32,
    /// Time the compile took (code generation and publishing).
    pub time: Duration,
    /// Compiled as a baseline block (asks for its region once hot).
    pub baseline: bool,
    /// Made by the direct emitter (`crate::baseline`), not Cranelift.
    pub direct: bool,
}

// SAFETY: `Code` is an address into the `CodeMemory` of the engine that
// holds it (both move between threads together); it is only called through
// that engine.
unsafe impl Send for Code {}

/// Compiles blocks into host code.
pub(crate) struct Compiler {
    /// For regions of several blocks.
    isa: OwnedTargetIsa,
    /// For regions addressing guest memory by displacement (see
    /// `lower::arena_disp`): as `isa` but r15 is not the pinned register.
    /// Such code never reads the arena base, so r15 is an allocatable,
    /// callee-saved register: restored before every return and tail call,
    /// it still holds the base for the baseline code the region continues
    /// in. One more register for the region's loops.
    isa_unpinned: OwnedTargetIsa,
    /// For single blocks (differs in the register allocator).
    isa_single: OwnedTargetIsa,
    ctx: Context,
    fctx: FunctionBuilderContext,
    mem: CodeMemory,
    /// Compile baseline blocks with the direct emitter where it can.
    direct: bool,
    enter: EnterFn,
    stub: usize,
    /// Sites of the published code (see `crate::sites`).
    sites: Arc<SiteTable>,
    /// Sites of the function being compiled.
    new_sites: Vec<Site>,
    /// (code offset, trap code) of the last function published.
    traps: Vec<(u32, u8)>,
    /// The direct emitter's link jumps of the last block it emitted.
    patch_sites: Vec<baseline::PatchSite>,
}

/// The signature of compiled blocks and the exit stub.
pub(crate) fn block_sig() -> Signature {
    let mut sig = Signature::new(CallConv::Tail);
    sig.params.extend([AbiParam::new(I64); 3]);
    sig.returns.push(AbiParam::new(I64));
    sig
}

impl Compiler {
    /// A compiler for the host at Cranelift's `opt_level` (`none`, `speed`
    /// or `speed_and_size`) and `regalloc` algorithm, with `code_bytes` of
    /// code memory.
    #[cfg(test)]
    pub(crate) fn new(
        opt_level: &str,
        regalloc: &str,
        code_bytes: usize,
    ) -> Result<Compiler, JitError> {
        Self::with_regallocs(opt_level, regalloc, regalloc, code_bytes)
    }

    /// Compile baseline blocks with the direct emitter (else Cranelift).
    #[cfg(test)]
    pub(crate) fn set_direct(&mut self, direct: bool) {
        self.direct = direct;
    }

    /// A compiler for the settings of `config`.
    pub(crate) fn from_config(config: &crate::JitConfig) -> Result<Compiler, JitError> {
        let mut c = Self::with_regallocs(
            config.opt_level,
            config.baseline_regalloc,
            config.regalloc,
            config.code_bytes_max,
        )?;
        c.direct = config.baseline_emitter;
        Ok(c)
    }

    /// As `Compiler::new` (tests), with register allocator `single` for
    /// single-block compiles and `region` for regions.
    pub(crate) fn with_regallocs(
        opt_level: &str,
        single: &str,
        region: &str,
        code_bytes: usize,
    ) -> Result<Compiler, JitError> {
        if !cfg!(target_arch = "x86_64") {
            // CodeMemory relies on x86-64's coherent instruction fetch.
            return Err(JitError::Host(std::env::consts::ARCH.to_string()));
        }
        let mut c = Compiler {
            isa: make_isa(opt_level, region, true)?,
            isa_unpinned: make_isa(opt_level, region, false)?,
            isa_single: make_isa(opt_level, single, true)?,
            ctx: Context::new(),
            fctx: FunctionBuilderContext::new(),
            mem: CodeMemory::new(code_bytes)?,
            direct: true,
            enter: fallback_enter,
            stub: 0,
            sites: Arc::default(),
            new_sites: Vec::new(),
            patch_sites: Vec::new(),
            traps: Vec::new(),
        };
        c.install_fixed()?;
        Ok(c)
    }

    /// The entry trampoline.
    pub(crate) fn enter(&self) -> EnterFn {
        self.enter
    }

    /// The exit stub's address (the value of every unfilled link slot).
    pub(crate) fn stub(&self) -> usize {
        self.stub
    }

    /// The access sites of the published code.
    pub(crate) fn sites(&self) -> Arc<SiteTable> {
        self.sites.clone()
    }

    /// The executable code memory, `[start, end)`: every code pointer
    /// handed out lies in it.
    pub(crate) fn code_range(&self) -> (usize, usize) {
        self.mem.range()
    }

    /// Free all code (every pointer handed out becomes invalid), keeping
    /// the trampoline and stub available (at new addresses).
    pub(crate) fn reset(&mut self) -> Result<(), JitError> {
        self.mem.reset();
        self.sites.clear();
        self.install_fixed()
    }

    fn install_fixed(&mut self) -> Result<(), JitError> {
        let cfg = self.isa.frontend_config();
        let stub = self.finish(0, IsaChoice::Single, |func, fctx| {
            func.signature = block_sig();
            let mut b = FunctionBuilder::new(func, fctx);
            let e = b.create_block();
            b.append_block_params_for_function_params(e);
            b.switch_to_block(e);
            let (ctx, from) = (b.block_params(e)[1], b.block_params(e)[2]);
            b.ins()
                .store(MemFlagsData::trusted(), from, ctx, abi::CTX_LINK_FROM);
            let zero = b.ins().iconst(I64, abi::EXIT_NEXT as i64);
            b.ins().return_(&[zero]);
            b.seal_all_blocks();
            b.finalize(cfg);
        })?;
        let call_conv = self.isa.default_call_conv();
        let enter = self.finish(0, IsaChoice::Single, |func, fctx| {
            let mut sig = Signature::new(call_conv);
            sig.params.extend([AbiParam::new(I64); 3]);
            sig.returns.push(AbiParam::new(I64));
            func.signature = sig;
            let mut b = FunctionBuilder::new(func, fctx);
            let e = b.create_block();
            b.append_block_params_for_function_params(e);
            b.switch_to_block(e);
            let p = b.block_params(e).to_vec();
            let sig = b.import_signature(block_sig());
            let base = b
                .ins()
                .load(I64, MemFlagsData::trusted(), p[1], abi::CTX_MEM_BASE);
            b.ins().set_pinned_reg(base);
            let zero = b.ins().iconst(I64, 0);
            let call = b.ins().call_indirect(sig, p[2], &[p[0], p[1], zero]);
            let r = b.inst_results(call)[0];
            b.ins().return_(&[r]);
            b.seal_all_blocks();
            b.finalize(cfg);
        })?;
        self.stub = stub.ptr as usize;
        // SAFETY: `enter` was compiled just above with exactly the
        // `EnterFn` signature in the host's default calling convention
        // (what `extern "C"` is on the supported host); it lives in
        // `self.mem` until the next `reset`, which replaces it.
        self.enter = unsafe { std::mem::transmute::<*const u8, EnterFn>(enter.ptr) };
        Ok(())
    }

    /// Compile `region`, whose code addresses `link` (its [`LinkData`],
    /// with slots for every member) and returns [`abi::EXIT_HOT`] on its
    /// `hot_at`-th entry (0: never), for the guest arena at host address
    /// `arena_base` (0: any arena; else the code runs only against that
    /// one, see `lower::HostTarget::arena_disp`).
    pub(crate) fn compile(
        &mut self,
        region: &Region,
        link: &mut LinkData,
        hot_at: u64,
        arena_base: usize,
    ) -> Result<Code, JitError> {
        let pc = region.head().start_pc;
        let link_addr = link as *mut LinkData as usize;
        if link_addr >> (abi::FROM_TAG_SHIFT - 1) != 0
            || link.slots.len() < abi::SLOT_WORDS * region.blocks.len()
        {
            return Err(JitError::Compile {
                pc,
                msg: "link data out of reach".into(),
            });
        }
        let addrs = LinkAddrs {
            link: link_addr,
            counter: link.counter_addr(),
            slots: link.slots.as_mut_ptr() as usize,
            stub: self.stub,
            hot_at,
        };
        let host = HostTarget {
            call_conv: self.isa.default_call_conv(),
            frontend_config: self.isa.frontend_config(),
            has_fma: self.isa.has_native_fma(),
            arena_disp: lower::arena_disp(arena_base),
        };
        // The baseline tier (a block compiled before it is hot, which asks
        // for its region once hot: `hot_at != 0`) gets the fast allocator;
        // everything compiled because it is hot — regions, including a
        // one-block loop — the better one. (Choosing by block count gave
        // hot one-block loops the baseline's spill-everything code.)
        let single = hot_at != 0;
        if single && self.direct && region.blocks.len() == 1 {
            match self.emit_direct(region.head(), addrs) {
                Ok(code) => {
                    let mem = &self.mem;
                    link.patches.clear();
                    link.patches.extend(self.patch_sites.iter().map(|p| {
                        let at = code.ptr as usize + p.rel32 as usize;
                        JumpPatch {
                            word: p.word,
                            at,
                            at_writable: mem.writable(at),
                            slow: code.ptr as usize + p.slow as usize,
                        }
                    }));
                    // Every compile gets fresh link data, whose slots hold
                    // the stub: the jumps' first target, the slow paths,
                    // is already right.
                    debug_assert!(link.patches.iter().all(|p| link.slots[p.word] == self.stub));
                    return Ok(code);
                }
                // Left to Cranelift (floating point, atomics, CSRs).
                Err(DirectError::Unsupported) => {}
                Err(DirectError::Jit(e)) => return Err(e),
            }
        }
        let site_base = u32::try_from(self.sites.next()).map_err(|_| JitError::Full)?;
        let mut new_sites = std::mem::take(&mut self.new_sites);
        new_sites.clear();
        let isa = match (single, host.arena_disp) {
            (true, _) => IsaChoice::Single,
            (false, Some(_)) => IsaChoice::RegionUnpinned,
            (false, None) => IsaChoice::Region,
        };
        let code = self.finish(pc, isa, |func, fctx| {
            func.signature = block_sig();
            lower::lower(
                region,
                func,
                fctx,
                host,
                addrs,
                NewSites {
                    list: &mut new_sites,
                    base: site_base,
                },
            );
        });
        if let Ok(c) = &code {
            if u32::try_from(site_base as usize + new_sites.len()).is_err() {
                return Err(JitError::Full);
            }
            self.sites
                .append(c.ptr as usize, c.bytes as usize, &new_sites, &self.traps);
        }
        self.new_sites = new_sites;
        code.map(|c| Code {
            baseline: single,
            ..c
        })
    }

    /// Compile the single block `block` with the direct emitter.
    fn emit_direct(&mut self, block: &Block, addrs: LinkAddrs) -> Result<Code, DirectError> {
        let t0 = Instant::now();
        baseline::supports(block).map_err(|_| DirectError::Unsupported)?;
        let site_base = u32::try_from(self.sites.next()).map_err(|_| JitError::Full)?;
        let mut new_sites = std::mem::take(&mut self.new_sites);
        new_sites.clear();
        self.traps.clear();
        self.patch_sites.clear();
        let bytes = baseline::emit(
            block,
            addrs,
            NewSites {
                list: &mut new_sites,
                base: site_base,
            },
            &mut self.traps,
            &mut self.patch_sites,
        );
        let published = bytes.map_err(|e| {
            DirectError::Jit(JitError::Compile {
                pc: block.start_pc,
                msg: format!("direct emitter: {}", e.0),
            })
        });
        let code = published.and_then(|bytes| {
            if u32::try_from(site_base as usize + new_sites.len()).is_err() {
                return Err(DirectError::Jit(JitError::Full));
            }
            let ptr = self.mem.publish(&bytes).ok_or(JitError::Full)?;
            self.sites
                .append(ptr as usize, bytes.len(), &new_sites, &self.traps);
            if std::env::var_os("VM_JIT_DISASM").is_some() {
                // No listing of our own: the code offset lets a
                // disassembler of a memory dump find it.
                eprintln!(
                    "== {:#x} at code offset {:#x}, {} bytes (direct emitter)",
                    block.start_pc,
                    ptr as usize - self.mem.range().0,
                    bytes.len()
                );
            }
            Ok(Code {
                ptr,
                bytes: bytes.len() as u32,
                time: t0.elapsed(),
                baseline: true,
                direct: true,
            })
        });
        self.new_sites = new_sites;
        code
    }

    /// Build a function with `build`, compile it for `isa` and publish
    /// its code.
    fn finish(
        &mut self,
        pc: u64,
        isa: IsaChoice,
        build: impl FnOnce(&mut Function, &mut FunctionBuilderContext),
    ) -> Result<Code, JitError> {
        let t0 = Instant::now();
        let err = |msg: String| JitError::Compile { pc, msg };
        let isa = match isa {
            IsaChoice::Single => &*self.isa_single,
            IsaChoice::Region => &*self.isa,
            IsaChoice::RegionUnpinned => &*self.isa_unpinned,
        };
        self.ctx.clear();
        build(&mut self.ctx.func, &mut self.fctx);
        // A debugging aid: print Cranelift's listing of every function.
        let dis = std::env::var_os("VM_JIT_DISASM").is_some();
        self.ctx.set_disasm(dis);
        let compiled = self
            .ctx
            .compile(isa, &mut ControlPlane::default())
            .map_err(|e| err(format!("{:?}", e.inner)))?;
        if !compiled.buffer.relocs().is_empty() {
            return Err(err("unexpected relocations".into()));
        }
        self.traps.clear();
        self.traps.extend(
            compiled
                .buffer
                .traps()
                .iter()
                .map(|t| (t.offset, t.code.as_raw().get())),
        );
        let bytes = compiled.code_buffer();
        let ptr = self.mem.publish(bytes).ok_or(JitError::Full)?;
        if dis {
            eprintln!(
                "== {pc:#x} at code offset {:#x}, {} bytes\n{}",
                ptr as usize - self.mem.range().0,
                bytes.len(),
                compiled.vcode.as_deref().unwrap_or("")
            );
        }
        Ok(Code {
            ptr,
            bytes: bytes.len() as u32,
            time: t0.elapsed(),
            baseline: false,
            direct: false,
        })
    }
}

/// Why the direct emitter did not compile a block.
enum DirectError {
    /// The block needs Cranelift.
    Unsupported,
    /// As a Cranelift compile would fail.
    Jit(JitError),
}

impl From<JitError> for DirectError {
    fn from(e: JitError) -> Self {
        DirectError::Jit(e)
    }
}

/// Which of the compiler's ISA settings a function is compiled with.
#[derive(Clone, Copy)]
enum IsaChoice {
    Single,
    Region,
    RegionUnpinned,
}

/// The host ISA with Cranelift's `opt_level` and `regalloc` algorithm,
/// with r15 as the pinned register if `pinned`.
fn make_isa(opt_level: &str, regalloc: &str, pinned: bool) -> Result<OwnedTargetIsa, JitError> {
    let host = |e: &dyn std::fmt::Display| JitError::Host(e.to_string());
    let mut flags = settings::builder();
    flags.set("opt_level", opt_level).map_err(|e| host(&e))?;
    flags.set("is_pic", "false").map_err(|e| host(&e))?;
    flags
        .set("regalloc_algorithm", regalloc)
        .map_err(|e| host(&e))?;
    // Cranelift's x64 tail calls need frame pointers.
    flags
        .set("preserve_frame_pointers", "true")
        .map_err(|e| host(&e))?;
    // Nothing unwinds through compiled code (helpers do not panic across
    // it), so no unwind information.
    flags.set("unwind_info", "false").map_err(|e| host(&e))?;
    // The arena base lives in the pinned register (r15) for all compiled
    // code: the entry trampoline sets it, nothing else writes it (code
    // compiled without it preserves r15 as a callee-saved register).
    flags
        .set("enable_pinned_reg", if pinned { "true" } else { "false" })
        .map_err(|e| host(&e))?;
    // Cranelift's IR verifier costs about as much as the rest of a
    // baseline compile; keep it for debug builds (and so for tests).
    let verify = if cfg!(debug_assertions) {
        "true"
    } else {
        "false"
    };
    flags.set("enable_verifier", verify).map_err(|e| host(&e))?;
    cranelift_native::builder()
        .map_err(|e| host(&e))?
        .finish(settings::Flags::new(flags))
        .map_err(|e| host(&e))
}

/// Placeholder trampoline until the real one is compiled (never called:
/// `Compiler::new` fails instead).
unsafe extern "C" fn fallback_enter(
    _cpu: *mut vm_core::CpuState,
    _ctx: *mut abi::JitCtx,
    _code: *const u8,
) -> u64 {
    abi::EXIT_NEXT
}
