#!/usr/bin/env bash
# The differential suite on aarch64, where the baseline kernels are NEON: cross-built and run
# under qemu-user, so the NEON copy is checked bit for bit against the scalar reference too.
# Costs a few minutes (the dev-dependencies are built for aarch64 once, then cached).
set -euo pipefail
cd "$(dirname "$0")/../.."

need=()
command -v aarch64-linux-gnu-gcc >/dev/null || need+=(gcc-aarch64-linux-gnu libc6-dev-arm64-cross)
command -v qemu-aarch64 >/dev/null || need+=(qemu-user)
if [ "${#need[@]}" -gt 0 ]; then
  apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null
fi
rustup target add aarch64-unknown-linux-gnu >/dev/null

export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc
export CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_RUNNER="qemu-aarch64 -L /usr/aarch64-linux-gnu"
out=$(cargo test -p mixup-tests --release --all-features --target aarch64-unknown-linux-gnu \
  --test differential 2>&1) || {
  echo "$out" >&2
  echo "aarch64-neon: FAILED" >&2
  exit 1
}
echo "$out" | grep -E '^(differential|  )'
# The suite must have run the NEON copy, not only the scalar reference.
echo "$out" | grep -q 'implementations exercised: scalar, neon' || {
  echo "aarch64-neon: FAILED: the NEON implementation was not exercised" >&2
  exit 1
}
