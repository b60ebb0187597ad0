#!/usr/bin/env bash
# Miri (undefined behaviour, out-of-bounds access, uninitialized reads) over the unit tests of
# the kernels, batch mixing, pairing, labels and sampling, and the golden scenario, which drives
# every public function at small sizes (one seed under Miri). The doc tests and the statistical
# and property suites are left to the native runs: under the interpreter they would take far
# longer and reach no code the tests here do not.
set -euo pipefail
cd "$(dirname "$0")/../.."

rustup toolchain install nightly --profile minimal --component miri,rust-src --no-self-update \
  >/dev/null 2>&1 || rustup component add --toolchain nightly miri rust-src
cargo +nightly miri setup >/dev/null

export MIRIFLAGS="${MIRIFLAGS:--Zmiri-strict-provenance}"
# libm computes sqrt with inline assembly on x86-64, which Miri cannot run; its portable code
# gives the same correctly rounded results (the golden values check exactly that).
features=(--features libm/force-soft-floats)
# Left to the native runs: an exhaustive u8 table, and the sampler's unit tests (thousands of
# draws each in soft-float libm; the sampler has no unsafe code, and the golden scenario still
# draws every kind of λ under Miri).
skip=(--skip u8_rounds_to_nearest_against_exact_rationals --skip sampling::)

# Only the modules on the path of the unsafe code (the kernels in src/arch) and the golden
# scenario: the other modules are safe Rust, and their exhaustive unit tests (for example
# detection's every-size-combination check) take many minutes under the interpreter.
only=(kernels:: batch:: pairing:: labels:: golden_values_match every_implementation)

# The unit tests are the mixup package's (--lib), the golden scenario is in mixup-tests; naming
# both packages lets --features libm/... reach mixup's libm, which mixup-tests does not depend on.
pkgs=(-p mixup -p mixup-tests)

cargo +nightly miri test "${features[@]}" "${pkgs[@]}" --lib --test golden -- "${only[@]}" "${skip[@]}"

# With the SIMD kernels (src/arch), interpret the AVX2 copy as well: Miri implements the AVX2
# intrinsics, and runtime detection under Miri reports the enabled target features. Only the
# tests that reach the kernels run again.
if [ -d src/arch ] && grep -rqs 'target_arch = "x86_64"' src/arch; then
  RUSTFLAGS="-C target-feature=+avx2" cargo +nightly miri test "${features[@]}" "${pkgs[@]}" \
    --lib --test golden -- kernels:: batch:: every_implementation "${skip[@]}"
fi
