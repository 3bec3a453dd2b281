//! Choosing the execution engine named by `--engine`.

use vm_engine::{Engine, EngineConfig, Interpreter};
use vm_engine_jit::JitEngine;

use crate::cli::{EngineChoice, EngineKind};

/// A new engine as `choice` says. When the JIT cannot run on this host the
/// interpreter is used instead, with a warning.
pub fn make_engine(choice: EngineChoice, config: EngineConfig) -> Box<dyn Engine> {
    let jit = match choice.kind {
        EngineKind::Interp => return Box::new(Interpreter::new(config)),
        EngineKind::Jit => JitEngine::new(config.clone()),
        EngineKind::Tiered => JitEngine::tiered(config.clone(), choice.jit_threshold),
    };
    match jit {
        Ok(j) => Box::new(j),
        Err(e) => {
            eprintln!("vm: warning: {e}; using the interpreter");
            Box::new(Interpreter::new(config))
        }
    }
}
