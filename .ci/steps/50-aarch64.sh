#!/usr/bin/env bash
# The test suite built for aarch64-unknown-linux-gnu and run under qemu-user, so the aarch64
# code paths (NEON once the SIMD kernels land) and libm on aarch64 give the pinned golden bytes.
# The linker and runner are set here, not in a committed .cargo/config, so that nobody else's
# builds change.
set -euo pipefail
cd "$(dirname "$0")/../.."

if ! command -v qemu-aarch64 >/dev/null || ! command -v aarch64-linux-gnu-gcc >/dev/null \
  || [ ! -d /usr/aarch64-linux-gnu/lib ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
    qemu-user gcc-aarch64-linux-gnu libc6-dev-arm64-cross >/dev/null
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
# The same profile and features as 25-aarch64-neon.sh, so the cross build is shared: that step
# checks the NEON kernels against the scalar reference, this one runs everything else too
# (the golden table on every implementation, properties, statistics, regressions, doc tests):
# every member of the workspace, the library's unit and doc tests and mixup-tests.
# The burn and candle adapters are left out (.ci/steps/80-integrations.sh tests them natively).
cargo test --workspace --exclude mixup-burn --exclude mixup-candle --release --all-features \
  --target aarch64-unknown-linux-gnu
