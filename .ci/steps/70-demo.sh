#!/usr/bin/env bash
# The README's main command and the other examples, the package as it would be published, and the
# MSRV as far as it can be checked here. Run by .ci/run from the repository root.
set -euo pipefail
cd "$(dirname "$0")/../.."
export CARGO_TERM_COLOR=never
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

echo "--- demo: the README's main command, exactly as a user types it"
cargo run --release --example demo
test -s mixup_demo.png

# The committed picture should be what the default demo writes today. A difference is not an
# error (a change to the sampler or the draw order legitimately changes it), but the README would
# then show a stale picture, so say how to refresh it.
if ! cmp -s mixup_demo.png docs/demo.png; then
  echo "WARNING: docs/demo.png differs from the default demo output;" \
       "refresh it with: cargo run --release --example demo -- --out docs/demo.png"
fi
size=$(wc -c < docs/demo.png)
if [ "$size" -ge 204800 ]; then
  echo "docs/demo.png is $size bytes; keep it under 200 KB"; exit 1
fi

echo "--- demo: flags, and bad flags exit with status 2"
cargo run --release --example demo -- --alpha 0.2 --pairing derangement --seed 7 --out "$out/b.png"
for mode in batch pair sample; do
  cargo run --release --quiet --example demo -- --mode "$mode" --out "$out/mode-$mode.png" > /dev/null
  test -s "$out/mode-$mode.png"
done
cargo run --release --quiet --example demo -- --mode sample --cutmix 0.5 --out "$out/cutmix.png" > /dev/null
test -s "$out/cutmix.png"
# --mode batch alone is the default configuration, so it must draw the same picture.
cmp -s "$out/mode-batch.png" mixup_demo.png || { echo "demo --mode batch differs from the default"; exit 1; }
cargo run --release --example demo -- --help > /dev/null
for bad in "--alpha 0" "--alpha nan" "--pairing sideways" "--seed -1" "--frobnicate" \
           "--mode diagonal" "--cutmix 2"; do
  status=0
  # shellcheck disable=SC2086 # the flags are meant to split
  cargo run --release --quiet --example demo -- $bad --out "$out/never.png" 2> "$out/err" || status=$?
  if [ "$status" -ne 2 ] || [ -e "$out/never.png" ]; then
    echo "demo $bad: expected exit status 2 and no file, got $status"; cat "$out/err"; exit 1
  fi
done

# mix_files is an example of the mixup-tests package (tests/Cargo.toml; `image` would slow down the
# demo's first build otherwise); the command is the same at the repository root.
echo "--- mix_files: PNG in, JPEG out; JPEG in, PNG out"
cargo run --release --example mix_files -- mixup_demo.png "$out/b.png" "$out/m.jpg" --lambda 0.3
cargo run --release --example mix_files -- "$out/m.jpg" mixup_demo.png "$out/m.png" --alpha 0.4 --seed 3
cargo run --release --example mix_files -- docs/demo.png "$out/m.jpg" "$out/m2.png" --lambda 0.5
test -s "$out/m.jpg" && test -s "$out/m.png" && test -s "$out/m2.png"

echo "--- audio: WAVs before and after and a PNG into a temp dir (checks collate_i16 against the i16 mix); a bad flag exits 2"
cargo run --release --example audio -- --alpha 0.4 --seed 7 --out "$out/audio"
test -s "$out/audio/audio_mix.png"
wavs=("$out"/audio/sample*_before.wav "$out"/audio/sample*_partner.wav "$out"/audio/sample*_after.wav)
[ "${#wavs[@]}" -ge 3 ] || { echo "audio: expected WAV files, got ${#wavs[@]}"; exit 1; }
for f in "${wavs[@]}"; do test -s "$f" || { echo "audio: $f is missing or empty"; exit 1; }; done
status=0
cargo run --release --quiet --example audio -- --alpha 0 --out "$out/audio-bad" 2> "$out/err" || status=$?
if [ "$status" -ne 2 ] || [ -e "$out/audio-bad" ]; then
  echo "audio --alpha 0: expected exit status 2 and no output, got $status"; cat "$out/err"; exit 1
fi

echo "--- loader (checks that 1, 2, 4 and 3 workers give the same bytes, and stream distinctness) and no_std (no allocation)"
cargo run --release --example loader -- --epochs 2 --workers 3
cargo run --release --example no_std

echo "--- package: the files that would be published, and a build of the packaged crate"
# Only the mixup package: the other workspace members (tests/, benches/) are publish = false and
# not part of it (cargo leaves out the directories that have their own Cargo.toml).
cargo package -p mixup --allow-dirty --list > "$out/files"
for f in Cargo.toml README.md LICENSE-MIT LICENSE-APACHE CHANGELOG.md src/lib.rs; do
  grep -qx "$f" "$out/files" || { echo "package is missing $f"; exit 1; }
done
if grep -q '^\.ci/' "$out/files"; then echo "package includes .ci/"; exit 1; fi
if grep -qE '^(tests|benches)/' "$out/files"; then echo "package includes tests/ or benches/"; exit 1; fi
cargo package -p mixup --allow-dirty --no-verify --quiet
# Verification builds the packaged sources on their own; it needs crates.io (reachable here).
cargo package -p mixup --allow-dirty --quiet

echo "--- MSRV: standard-library APIs against rust-version"
# Only the stable and nightly toolchains exist here and no other can be downloaded, so a build
# with the 1.89 toolchain itself is NOT run. clippy's incompatible_msrv lint reads rust-version
# from Cargo.toml and rejects std APIs stabilized after it; language features are not checked.
msrv=$(sed -n 's/^rust-version *= *"\(.*\)"/\1/p' Cargo.toml)
echo "declared MSRV: $msrv (checked with clippy::incompatible_msrv, not with a $msrv toolchain)"
for member in tests/Cargo.toml benches/Cargo.toml; do
  grep -qx "rust-version = \"$msrv\"" "$member" || { echo "$member: rust-version is not $msrv"; exit 1; }
done
# tests/Cargo.toml and benches/Cargo.toml declare the same rust-version, so this covers them too.
# The burn and candle adapters declare their own rust-version (burn 0.22 needs 1.95) and are
# linted in .ci/steps/80-integrations.sh.
cargo clippy --workspace --exclude mixup-burn --exclude mixup-candle --all-targets --all-features \
  -- -D clippy::incompatible_msrv
cargo clippy -p mixup --no-default-features --lib -- -D clippy::incompatible_msrv
