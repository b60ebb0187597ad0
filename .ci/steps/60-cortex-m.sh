#!/usr/bin/env bash
# The Cortex-M4F check (cross/cortex-m4): the golden scenario against the pinned table plus
# property checks, built for thumbv7em-none-eabihf and run under qemu-system-arm (mps2-an386)
# with semihosting; a failed check or a panic exits non-zero. The riscv32imac no_std build of the
# library itself is in .ci/run.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v qemu-system-arm >/dev/null; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq qemu-system-arm >/dev/null
fi
rustup target add thumbv7em-none-eabihf >/dev/null

cd cross/cortex-m4
cargo fmt --check
cargo clippy --release -- -D warnings
# The runner (.cargo/config.toml here) is qemu-system-arm; a hang is a failure too.
timeout 600 cargo run --release
