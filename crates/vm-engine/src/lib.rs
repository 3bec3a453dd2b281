//! vm-engine
