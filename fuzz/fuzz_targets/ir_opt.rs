//! The IR optimizer: bytes → a random well-formed block and a random
//! initial CPU state and memory page; the block and its `vm_ir::optimize`d
//! form, run through the interpreter, must end the same (next PC or exit,
//! every CPU field, memory). See `ir_opt_case.rs` (shared with
//! `crates/vm-engine/tests/opt_equiv.rs`) for what the blocks contain.
#![no_main]

use libfuzzer_sys::fuzz_target;

#[path = "ir_opt_case.rs"]
mod case;

fuzz_target!(|data: &[u8]| {
    thread_local! {
        static MEM: vm_mem::GuestMemory = case::memory();
    }
    MEM.with(|mem| case::check(data, mem));
});
