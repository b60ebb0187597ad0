#!/usr/bin/env bash
# The burn and candle adapters (integrations/burn, integrations/candle): workspace members that
# are not default members, so the root's `cargo test` never builds them. Their tests check that
# they give exactly the bytes, soft rows and triples the core gives for the same draws; the
# training example runs end to end in its short mode.
#
# Everything in release: the tests and the example then share one build of burn and candle
# (a debug build would be a second one, and the training example needs release anyway).
# Cost on 2 cores: 7 minutes from a cold target directory (70 s of check build for clippy, then
# 6 minutes of release build of burn and candle; about twice that while other builds share the
# cores), under a minute warm.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=never
pkgs=(-p mixup-burn -p mixup-candle)
start=$(date +%s)
# Each phase with the seconds since the step started, so the log shows what the builds cost.
phase() { echo "--- $* ($(( $(date +%s) - start ))s)"; }

phase "fmt"
cargo fmt "${pkgs[@]}" -- --check

# Release, like the tests below, so that the two share their proc-macros and build scripts.
phase "clippy"
cargo clippy --release "${pkgs[@]}" --all-targets -- -D warnings

phase "tests: the adapters against the core"
# `cargo test` builds the packages' examples too, with the features of both packages unified.
# The training example is run from that build: `cargo run -p mixup-burn` alone would resolve
# the features of the shared dependencies (gemm, half, ...) without candle's and build burn a
# second time (6-7 minutes cold).
cargo test --release "${pkgs[@]}"
example="${CARGO_TARGET_DIR:-target}/release/examples/noisy_labels"
test -x "$example" || { echo "cargo test did not build $example"; exit 1; }

phase "the training example, short mode (end to end: data, both methods, plot, table)"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
"$example" --quick --out "$out/quick.png" | tee "$out/log"
test -s "$out/quick.png" || { echo "noisy_labels --quick wrote no plot"; exit 1; }
grep -q '^| mixup' "$out/log" || { echo "noisy_labels --quick printed no table"; exit 1; }
status=0
"$example" --alpha 0 --out "$out/bad.png" 2> /dev/null || status=$?
if [ "$status" -ne 2 ] || [ -e "$out/bad.png" ]; then
  echo "noisy_labels --alpha 0: expected exit status 2 and no plot, got $status"; exit 1
fi
size=$(wc -c < docs/noisy_labels.png)
if [ "$size" -ge 204800 ]; then echo "docs/noisy_labels.png is $size bytes; keep it under 200 KB"; exit 1; fi
phase "done"
