//! The Cranelift side: the host ISA, the code memory (a `JITModule`), and
//! compiling one IR block into a callable [`BlockFn`].
//!
//! Code memory is never freed piecemeal: `JITModule` can only release all of
//! its memory at once, so invalidated translations leak their code until the
//! engine is dropped (a later step can rotate modules or use a custom
//! memory provider).

use crate::abi::BlockFn;
use crate::lower;
use cranelift_codegen::ir::{AbiParam, types::I64};
use cranelift_codegen::settings::{self, Configurable};
use cranelift_codegen::{Context, isa::CallConv};
use cranelift_frontend::FunctionBuilderContext;
use cranelift_jit::{JITBuilder, JITModule};
use cranelift_module::Module;
use std::time::{Duration, Instant};
use vm_ir::Block;

/// Why the JIT could not be set up or could not compile a block.
#[derive(Debug, thiserror::Error)]
pub enum JitError {
    /// Cranelift does not support this host.
    #[error("the JIT does not support this host: {0}")]
    Host(String),
    /// Cranelift rejected a generated function (a JIT bug).
    #[error("cannot compile block {pc:#x}: {msg}")]
    Compile {
        /// Guest PC of the block.
        pc: u64,
        /// Cranelift's message.
        msg: String,
    },
}

/// Compiles blocks into host code.
pub(crate) struct Compiler {
    module: JITModule,
    ctx: Context,
    fctx: FunctionBuilderContext,
    call_conv: CallConv,
    /// Total time spent compiling.
    pub compile_time: Duration,
    /// Bytes of host code produced.
    pub code_bytes: u64,
}

impl Compiler {
    /// A compiler for the host, at Cranelift's `opt_level`
    /// (`none`, `speed` or `speed_and_size`).
    pub(crate) fn new(opt_level: &str) -> Result<Compiler, JitError> {
        let host = |e: &dyn std::fmt::Display| JitError::Host(e.to_string());
        let mut flags = settings::builder();
        flags.set("opt_level", opt_level).map_err(|e| host(&e))?;
        flags.set("is_pic", "false").map_err(|e| host(&e))?;
        // Cranelift's IR verifier costs about as much as the rest of a
        // baseline compile; keep it for debug builds (and so for tests).
        let verify = if cfg!(debug_assertions) {
            "true"
        } else {
            "false"
        };
        flags.set("enable_verifier", verify).map_err(|e| host(&e))?;
        let isa = cranelift_native::builder()
            .map_err(|e| host(&e))?
            .finish(settings::Flags::new(flags))
            .map_err(|e| host(&e))?;
        let call_conv = isa.default_call_conv();
        let module = JITModule::new(JITBuilder::with_isa(
            isa,
            cranelift_module::default_libcall_names(),
        ));
        Ok(Compiler {
            ctx: module.make_context(),
            module,
            fctx: FunctionBuilderContext::new(),
            call_conv,
            compile_time: Duration::ZERO,
            code_bytes: 0,
        })
    }

    /// Compile `block` to host code.
    pub(crate) fn compile(&mut self, block: &Block) -> Result<BlockFn, JitError> {
        let t0 = Instant::now();
        let err = |e: &dyn std::fmt::Display| JitError::Compile {
            pc: block.start_pc,
            msg: e.to_string(),
        };
        let ptr = self.module.target_config().pointer_type();
        let mut sig = self.module.make_signature();
        sig.params.push(AbiParam::new(ptr));
        sig.params.push(AbiParam::new(ptr));
        sig.returns.push(AbiParam::new(I64));
        let id = self
            .module
            .declare_anonymous_function(&sig)
            .map_err(|e| err(&e))?;
        self.module.clear_context(&mut self.ctx);
        self.ctx.func.signature = sig;
        lower::lower(
            block,
            &mut self.ctx.func,
            &mut self.fctx,
            ptr,
            self.call_conv,
            self.module.target_config(),
        );
        let defined = self.module.define_function(id, &mut self.ctx);
        let size = self
            .ctx
            .compiled_code()
            .map_or(0, |c| c.code_buffer().len() as u64);
        self.module.clear_context(&mut self.ctx);
        defined.map_err(|e| err(&e))?;
        self.module.finalize_definitions().map_err(|e| err(&e))?;
        let code = self.module.get_finalized_function(id);
        self.code_bytes += size;
        self.compile_time += t0.elapsed();
        // SAFETY: `code` is the finalized (executable) entry of a function
        // compiled with exactly the `BlockFn` signature in the host's
        // default calling convention (which is what `extern "C"` means on
        // the supported hosts); the module keeps it alive as long as `self`.
        Ok(unsafe { std::mem::transmute::<*const u8, BlockFn>(code) })
    }
}
