//! The description of the machine and toolchain a report was measured on,
//! so that numbers from different runs can be compared knowingly.

use std::path::Path;
use std::process::Command;

/// Facts about the host and the software under test.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Machine {
    /// Host name.
    pub host: String,
    /// CPU model from /proc/cpuinfo.
    pub cpu: String,
    /// Logical CPUs online / usable by this process.
    pub cores: String,
    /// Total memory from /proc/meminfo.
    pub memory: String,
    /// Kernel release.
    pub kernel: String,
    /// First line of `qemu-riscv64 --version`.
    pub qemu: String,
    /// `rustc --version`.
    pub rustc: String,
    /// First lines of both compilers' `--version`.
    pub compilers: String,
    /// Commit hash of the working tree (with a note when it has changes).
    pub commit: String,
}

const UNKNOWN: &str = "unknown";

impl Machine {
    /// Gathers the description; anything unavailable reads "unknown".
    pub fn describe(repo_root: &Path) -> Machine {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let online = cpuinfo
            .lines()
            .filter(|l| l.starts_with("processor"))
            .count();
        let usable = std::thread::available_parallelism().map_or(0, |n| n.get());
        let dirty = command_line(
            Command::new("git")
                .arg("-C")
                .arg(repo_root)
                .args(["status", "--porcelain"]),
        )
        .is_some_and(|s| !s.is_empty());
        let commit = command_line(Command::new("git").arg("-C").arg(repo_root).args([
            "rev-parse",
            "--short=12",
            "HEAD",
        ]))
        .map_or_else(
            || UNKNOWN.to_string(),
            |h| {
                if dirty {
                    format!("{h} (working tree has uncommitted changes)")
                } else {
                    h
                }
            },
        );
        let version = |prog: &str| {
            command_line(Command::new(prog).arg("--version")).unwrap_or_else(|| UNKNOWN.into())
        };
        Machine {
            host: read_trimmed("/proc/sys/kernel/hostname").unwrap_or_else(|| UNKNOWN.into()),
            cpu: field(&cpuinfo, "model name").unwrap_or_else(|| UNKNOWN.into()),
            cores: format!("{online} online, {usable} usable"),
            memory: field(&meminfo, "MemTotal")
                .map_or_else(|| UNKNOWN.into(), |kb| format_mem(&kb)),
            kernel: read_trimmed("/proc/sys/kernel/osrelease").unwrap_or_else(|| UNKNOWN.into()),
            qemu: version(crate::runner::QEMU),
            rustc: version("rustc"),
            compilers: format!("{}; {}", version("gcc"), version("riscv64-linux-gnu-gcc")),
            commit,
        }
    }
}

/// The value of the first `key: value` line of a /proc file.
fn field(text: &str, key: &str) -> Option<String> {
    text.lines().find_map(|l| {
        let (k, v) = l.split_once(':')?;
        (k.trim() == key).then(|| v.trim().to_string())
    })
}

/// "16318412 kB" as "15.6 GiB".
fn format_mem(kb: &str) -> String {
    match kb
        .split_whitespace()
        .next()
        .and_then(|n| n.parse::<f64>().ok())
    {
        Some(n) => format!("{:.1} GiB", n / (1024.0 * 1024.0)),
        None => kb.to_string(),
    }
}

fn read_trimmed(path: &str) -> Option<String> {
    std::fs::read_to_string(path)
        .ok()
        .map(|s| s.trim().to_string())
}

/// The first line of a command's stdout, if it ran successfully.
fn command_line(cmd: &mut Command) -> Option<String> {
    let out = cmd.output().ok()?;
    if !out.status.success() {
        return None;
    }
    Some(
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .next()
            .unwrap_or("")
            .trim()
            .to_string(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proc_fields_and_memory_sizes() {
        let text = "processor\t: 0\nmodel name\t: Some CPU @ 2.0GHz\nflags\t: a b\n";
        assert_eq!(
            field(text, "model name").as_deref(),
            Some("Some CPU @ 2.0GHz")
        );
        assert_eq!(field(text, "missing"), None);
        assert_eq!(format_mem("2097152 kB"), "2.0 GiB");
        assert_eq!(format_mem("garbage"), "garbage");
    }

    #[test]
    fn describes_this_machine() {
        let m = Machine::describe(Path::new(env!("CARGO_MANIFEST_DIR")));
        assert!(!m.host.is_empty());
        assert!(m.cores.contains("usable"));
        assert!(m.rustc.starts_with("rustc"), "{}", m.rustc);
    }
}
