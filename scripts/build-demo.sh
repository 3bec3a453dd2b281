#!/bin/sh
# Rebuilds the demo guest programs (demo/src/*.c) into demo/bin/ as
# stripped, statically linked riscv64 Linux executables.
# Usage: scripts/build-demo.sh   (needs riscv64-linux-gnu-gcc; CC overrides)
set -eu
CC=${CC:-riscv64-linux-gnu-gcc}
root=$(cd "$(dirname "$0")/.." && pwd)
if ! command -v "$CC" >/dev/null 2>&1; then
    echo "build-demo: $CC not found (install gcc-riscv64-linux-gnu)" >&2
    exit 1
fi
mkdir -p "$root/demo/bin"
for src in "$root"/demo/src/*.c; do
    name=$(basename "$src" .c)
    "$CC" -static -Os -s -Wall -Wextra -o "$root/demo/bin/$name" "$src"
    echo "built demo/bin/$name ($(wc -c <"$root/demo/bin/$name") bytes)"
done
