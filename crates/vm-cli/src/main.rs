//! `vm`: run a RISC-V (RV64GC) Linux program on this host, like
//! `qemu-riscv64`.
//!
//! ```text
//! vm run [OPTIONS] PROGRAM [ARGS...]
//! ```
//!
//! The binary only parses arguments and reports errors; loading, system
//! calls and the run loop live in `vm-linux`, execution in the engines.
//! Every user error is one line `vm: error: <message>` and exit status 1;
//! the guest's own ending (exit status or death signal) becomes the VM's.

mod cli;
mod engine;
mod env;
mod run;

use clap::Parser;

fn main() {
    let cli = cli::Cli::parse();
    match cli.command {
        cli::Command::Run(args) => match run::run(args) {
            Ok(never) => match never {},
            Err(e) => {
                eprintln!("vm: error: {e:#}");
                std::process::exit(1);
            }
        },
    }
}
