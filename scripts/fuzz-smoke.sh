#!/usr/bin/env bash
# Run each cargo-fuzz target (fuzz/) for a short fixed number of executions
# from its seed corpus; exits non-zero if a target crashes.
#
#   scripts/fuzz-smoke.sh [RUNS]     (default 20000 per target)
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or
# RUSTC_BOOTSTRAP=1 with stable (set here when no nightly is installed).
set -euo pipefail
runs="${1:-20000}"
cd "$(dirname "$0")/../fuzz"
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
targets=(decoder elf_loader ir ir_opt syscall)
cargo "${toolchain[@]}" fuzz build -O
status=0
for t in "${targets[@]}"; do
    work="$(mktemp -d)"
    cp corpus/"$t"/* "$work"/
    echo "== $t: $runs runs"
    if ! cargo "${toolchain[@]}" fuzz run -O "$t" "$work" -- -runs="$runs" \
        -artifact_prefix="$work/crash-" 2>&1 | tail -n 3; then
        echo "!! $t crashed; artifacts in $work"
        status=1
        continue
    fi
    rm -rf "$work"
done
exit $status
