//! Real software for the VM: the C sources of Lua, zstd and SQLite, and
//! their builds.
//!
//! Two users compile the same three programs: vm-cli's real-software test
//! (`crates/vm-cli/tests/real_software.rs`, riscv64 only, compared with
//! qemu) and vm-bench's "programs" suite (riscv64 and x86-64, timed). They
//! must build the same code with the same configuration, so the source
//! lookup, the per-program file lists and `-D` defines, and the cached
//! compiler invocation live here once:
//!
//! - [`sources`]: where the unpacked crates `lua-src`, `zstd-sys` and
//!   `libsqlite3-sys` are in cargo's registry, at the versions pinned in
//!   vm-cli's manifest (with a `cargo fetch` fallback);
//! - [`steps`]: the compiler command lines of each program, parameterised
//!   by the user's flags (the two users put `-static` and `-march` in
//!   different places, and keep doing so, so their cached builds stay valid);
//! - [`cache`]: running one step with a given compiler into a given
//!   directory, only when an input is newer or the command line changed.

pub mod cache;
pub mod sources;
pub mod steps;

pub use cache::Builder;
pub use sources::Sources;
pub use steps::{Flags, Plan, Step};
