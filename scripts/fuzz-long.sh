#!/usr/bin/env bash
# Long cargo-fuzz runs: each target (or the ones named) for RUNS executions
# (default 10,000,000), without a sanitizer (the targets are safe Rust over
# the VM's own bounds-checked guest memory; ASan would only slow libFuzzer
# down about five times). The corpus grows in fuzz/corpus-run/<target>
# (seeded from fuzz/corpus/<target>); logs go to fuzz/logs/<target>.log and
# the last line of each says how many executions ran. The targets' own
# stderr is closed (-close_fd_mask=2: the syscall target's warnings about
# unknown calls slowed it and filled the log); libFuzzer's lines remain.
#
#   scripts/fuzz-long.sh [RUNS] [TARGET...]
set -euo pipefail
runs="${1:-10000000}"
shift || true
cd "$(dirname "$0")/../fuzz"
toolchain=()
if rustup toolchain list 2>/dev/null | grep -q '^nightly'; then
    toolchain=(+nightly)
else
    export RUSTC_BOOTSTRAP=1
fi
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(decoder elf_loader ir ir_opt syscall)
cargo "${toolchain[@]}" fuzz build -O -s none
mkdir -p logs corpus-run artifacts
status=0
for t in "${targets[@]}"; do
    mkdir -p corpus-run/"$t" artifacts/"$t"
    cp -n corpus/"$t"/* corpus-run/"$t"/ 2>/dev/null || true
    echo "== $t: $runs runs (log: fuzz/logs/$t.log)"
    if ! cargo "${toolchain[@]}" fuzz run -O -s none "$t" corpus-run/"$t" -- \
        -runs="$runs" -print_final_stats=1 -close_fd_mask=2 -artifact_prefix="artifacts/$t/" \
        >logs/"$t".log 2>&1; then
        echo "!! $t crashed; see fuzz/logs/$t.log and fuzz/artifacts/$t/"
        status=1
    fi
    grep -E '^#[0-9]+.*DONE|stat::number_of_executed_units' logs/"$t".log | tail -n 2
done
exit $status
