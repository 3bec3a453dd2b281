//! Choosing the execution engine named by `--engine`, for the main thread
//! and for every further guest thread.

use std::sync::Arc;
use vm_engine::interp::SharedTranslations;
use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::{JitConfig, JitEngine, Mode, SharedJit};
use vm_linux::syscall::thread::EngineFactory;

use crate::cli::{EngineChoice, EngineKind};

/// The main thread's engine as `choice` says, and the factory for the
/// engines of the guest threads it starts. JIT engines share one
/// translation cache (and compile worker): what one thread compiled runs
/// in all of them; interpreters share their translations the same way. When the JIT cannot run on this host the interpreter is
/// used instead, with a warning.
pub fn make_engines(
    choice: EngineChoice,
    config: EngineConfig,
) -> (Box<dyn Engine>, EngineFactory) {
    let mode = match choice.kind {
        EngineKind::Interp => return interpreters(config),
        EngineKind::Jit => Mode::Jit,
        EngineKind::Tiered => Mode::Tiered {
            threshold: choice.jit_threshold,
        },
    };
    let jit = JitConfig {
        engine: config.clone(),
        mode,
        background: !choice.jit_sync,
        baseline_emitter: !choice.jit_cranelift_baseline,
        region_threshold: choice.jit_region_threshold,
        ..JitConfig::default()
    };
    match SharedJit::new(jit) {
        Ok(shared) => {
            let main = Box::new(JitEngine::with_shared(&shared));
            let factory: EngineFactory =
                Arc::new(move || Box::new(JitEngine::with_shared(&shared)) as Box<dyn Engine>);
            (main, factory)
        }
        Err(e) => {
            eprintln!("vm: warning: {e}; using the interpreter");
            interpreters(config)
        }
    }
}

/// An interpreter for the main thread and one for each further thread,
/// all sharing one translation map.
fn interpreters(config: EngineConfig) -> (Box<dyn Engine>, EngineFactory) {
    let shared = SharedTranslations::new();
    let main = Box::new(Interpreter::with_shared(config.clone(), &shared));
    let factory: EngineFactory = Arc::new(move || {
        Box::new(Interpreter::with_shared(config.clone(), &shared)) as Box<dyn Engine>
    });
    (main, factory)
}
