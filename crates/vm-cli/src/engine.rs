//! Choosing the execution engine named by `--engine`.

use vm_engine::{Engine, EngineConfig, Interpreter};

use crate::cli::EngineKind;

/// A new engine of kind `kind`.
pub fn make_engine(kind: EngineKind, config: EngineConfig) -> Box<dyn Engine> {
    match kind {
        EngineKind::Interp => Box::new(Interpreter::new(config)),
    }
}
