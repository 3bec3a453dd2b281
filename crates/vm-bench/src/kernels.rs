//! The benchmark suite: which guest programs exist and at which sizes they run.
//!
//! The sources live in `bench/kernels/<name>.c`; each takes its problem size
//! as the first argument and prints a checksum line. Default sizes are tuned
//! so that a kernel runs roughly 0.05-0.3 s natively while the interpreter
//! (5-100x slower than native depending on the kernel) stays within a few
//! seconds per run; quick sizes are for smoke tests.

/// One guest program of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernel {
    /// Name: the source is `bench/kernels/<name>.c`.
    pub name: &'static str,
    /// What the kernel stresses, for the report.
    pub character: &'static str,
    /// Problem size for a real benchmark run.
    pub size_default: u64,
    /// Problem size for `--quick`.
    pub size_quick: u64,
    /// A start-up measurement rather than a compute kernel: reported, but
    /// kept out of the geometric means, which summarise steady-state speed.
    pub startup: bool,
}

impl Kernel {
    /// The size to run at.
    pub fn size(&self, quick: bool) -> u64 {
        if quick {
            self.size_quick
        } else {
            self.size_default
        }
    }
}

const fn kernel(
    name: &'static str,
    character: &'static str,
    size_default: u64,
    size_quick: u64,
) -> Kernel {
    Kernel {
        name,
        character,
        size_default,
        size_quick,
        startup: false,
    }
}

/// Every kernel, in report order.
pub const SUITE: &[Kernel] = &[
    Kernel {
        name: "hello",
        character: "start-up: load, libc init, one write",
        size_default: 1,
        size_quick: 1,
        startup: true,
    },
    kernel(
        "intloop",
        "integer loop, data-dependent branches (Collatz)",
        1_500_000,
        20_000,
    ),
    kernel("fib", "recursion, calls and returns", 37, 22),
    kernel(
        "ptrchase",
        "pointer chasing over a random cycle",
        600_000,
        2_000,
    ),
    kernel(
        "bytecode",
        "switch dispatch, indirect jumps (bytecode VM)",
        3_000,
        40,
    ),
    kernel(
        "memstr",
        "memcpy/memmove/strlen/strcmp via libc",
        8_000,
        150,
    ),
    kernel("hashtable", "open-addressing hash table", 600_000, 10_000),
    kernel("sort", "quicksort and mergesort", 1_200_000, 20_000),
    kernel("matmul", "integer matrix multiply", 480, 48),
    kernel("nbody", "double-precision n-body", 300_000, 5_000),
    kernel("crc32", "CRC-32 and FNV-1a over a buffer", 48, 1),
];

/// The kernels whose name contains one of the comma-separated `filter`
/// words (all kernels for `None`). An unmatched word is an error, so that a
/// typo does not silently run nothing.
pub fn select(filter: Option<&str>) -> Result<Vec<Kernel>, String> {
    crate::case::select_by_name(SUITE, |k| k.name, filter, "kernels", "kernel")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kernel_has_a_source_file_and_sane_sizes() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../bench/kernels");
        for k in SUITE {
            let src = std::path::Path::new(dir).join(format!("{}.c", k.name));
            assert!(src.is_file(), "missing {}", src.display());
            assert!(k.size_quick <= k.size_default, "{}", k.name);
            assert!(k.size_quick > 0, "{}", k.name);
        }
        assert!(SUITE.iter().filter(|k| !k.startup).count() >= 10);
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in SUITE.iter().enumerate() {
            assert!(
                SUITE[i + 1..].iter().all(|b| b.name != a.name),
                "{}",
                a.name
            );
        }
    }

    #[test]
    fn filter_selects_by_substring_and_rejects_unknown_words() {
        let got = select(Some("fib,sort")).unwrap();
        let names: Vec<&str> = got.iter().map(|k| k.name).collect();
        assert_eq!(names, ["fib", "sort"]);
        assert_eq!(select(None).unwrap().len(), SUITE.len());
        assert!(select(Some("nosuchkernel")).is_err());
        assert!(select(Some(",")).is_err());
    }
}
