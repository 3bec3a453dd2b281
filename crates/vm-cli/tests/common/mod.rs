//! Helpers shared by the integration tests that need host tools (the cross
//! compiler, qemu, objdump).

use std::process::{Command, Stdio};

/// True when `tool --version` runs.
pub fn tool_present(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// True when all `tools` exist. When one is missing: panics if `CI` is
/// set, otherwise prints a note and returns false (the caller skips).
/// `what` names the tests in the message.
pub fn tools_ready(what: &str, tools: &[&str]) -> bool {
    let missing: Vec<&str> = tools.iter().copied().filter(|t| !tool_present(t)).collect();
    if missing.is_empty() {
        return true;
    }
    let msg = format!("{what} need {}: not found", missing.join(", "));
    assert!(
        std::env::var_os("CI").is_none(),
        "{msg} (CI is set, so this fails)"
    );
    eprintln!("note: {msg}; skipping");
    false
}
