#!/usr/bin/env bash
# Fuzz every target in fuzz/ for a bounded time on nightly with AddressSanitizer (cargo-fuzz's
# default). A finding fails CI: the crashing input is kept under fuzz/artifacts/<target>/ and
# must become a regression test in tests/regressions.rs.
#
# MIXUP_FUZZ_SECONDS sets the time per target (default 30 s; nine targets plus the build keep
# this step near 6.5 minutes on 2 cores once cargo-fuzz is installed, which takes 3-4 more).
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${MIXUP_FUZZ_SECONDS:-30}"

rustup toolchain install nightly --profile minimal --no-self-update >/dev/null 2>&1 || true
if ! cargo fuzz --version >/dev/null 2>&1; then
  cargo install cargo-fuzz --locked
fi

cd fuzz
cargo fmt --check
cargo +nightly fuzz build
for target in $(cargo +nightly fuzz list); do
  # New inputs go to a scratch directory, so the checked-in seed corpus stays as it is.
  scratch="$(mktemp -d)"
  echo "--- fuzz $target for ${seconds}s"
  if ! cargo +nightly fuzz run "$target" "$scratch" "corpus/$target" -- \
      -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
      2>"$scratch.log"; then
    tail -n 60 "$scratch.log"
    echo "fuzz target $target found a problem; reproduce with:"
    echo "  cd fuzz && cargo +nightly fuzz run $target artifacts/$target/<file>"
    exit 1
  fi
  grep -E '^(Done|stat::number_of_executed_units)' "$scratch.log" || true
  rm -rf "$scratch" "$scratch.log"
done
