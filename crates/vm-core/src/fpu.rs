//! Exact RISC-V floating-point semantics. (Placeholder: filled by the FPU work.)
