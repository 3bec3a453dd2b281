//! `vm-difftest`: differential testing from the command line (stub).
fn main() {}
