#!/usr/bin/env bash
# Run every test on a fresh Debian/Ubuntu machine: install what the tests need
# (cross compiler, qemu-user as the reference, a font for
# the benchmark chart), then run
# formatting, lint and the whole test suite. Nothing is skipped when CI is set.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v riscv64-linux-gnu-gcc >/dev/null || need+=(gcc-riscv64-linux-gnu libc6-dev-riscv64-cross)
command -v riscv64-linux-gnu-objdump >/dev/null || need+=(binutils-riscv64-linux-gnu)
command -v qemu-riscv64 >/dev/null || need+=(qemu-user)
[ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || need+=(fonts-dejavu-core)
if [ ${#need[@]} -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "installing: ${need[*]}"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need[@]}" >/dev/null
fi

cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
cargo test --workspace --release

# The cargo-fuzz targets (fuzz/, a workspace of its own), each for a short
# fixed count; the long runs are documented in the README.
command -v cargo-fuzz >/dev/null || cargo install --locked cargo-fuzz
bash scripts/fuzz-smoke.sh 5000
