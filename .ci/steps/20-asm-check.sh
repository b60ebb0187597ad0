#!/usr/bin/env bash
# The AVX2 and AVX-512 clones of the blend kernels must be plain vector loops: no gather or
# scatter (LLVM emitted them once for a chunked loop with AVX-512 enabled, 6-8x slower in L1) and
# no fused multiply-add (it would change the bits). Each clone must also really use its vector
# width (ymm for AVX2, zmm for AVX-512), so a kernel that silently stopped vectorizing fails too.
#
# Checks the release build of the differential test (package mixup-tests, tests/Cargo.toml),
# which .ci/run has already built with `cargo test --workspace --all-features --release` and
# which instantiates every kernel for every element type. Fails loudly if the kernels cannot be
# found.
set -euo pipefail
cd "$(dirname "$0")/../.."

if [ "$(uname -m)" != x86_64 ]; then
  echo "asm-check: not an x86-64 host, no AVX2/AVX-512 kernels to check"
  exit 0
fi
if ! command -v objdump >/dev/null; then
  apt-get update -qq && apt-get install -y -qq binutils >/dev/null
fi

exe=$(cargo test -p mixup-tests --release --all-features --test differential --no-run \
    --message-format=json 2>/dev/null |
  grep -o '"executable":"[^"]*"' | sed 's/"executable":"//; s/"$//' | tail -n 1)
if [ -z "$exe" ] || [ ! -x "$exe" ]; then
  echo "asm-check: FAILED: could not build or find the differential test binary" >&2
  exit 1
fi
echo "asm-check: disassembling $exe"

# One line per kernel copy: name, instructions, gathers/scatters, FMAs, ymm uses, zmm uses.
report=$(objdump -d --no-show-raw-insn -C "$exe" | awk '
  /^[0-9a-f]+ <.*>:$/ {
    flush()
    name = $0; sub(/^[0-9a-f]+ </, "", name); sub(/>:$/, "", name)
    keep = (name ~ /^mixup::arch::x86_64::blend(_inplace(_ahead)?)?_avx(2|512)$/)
    n = g = f = y = z = 0
    next
  }
  keep && /^ *[0-9a-f]+:/ {
    n++
    if ($0 ~ /v(p)?(gather|scatter)/) g++
    if ($0 ~ /vf(n)?m(add|sub)/) f++
    if ($0 ~ /%ymm/) y++
    if ($0 ~ /%zmm/) z++
  }
  function flush() { if (keep) print name, n, g, f, y, z; keep = 0 }
  END { flush() }
')

status=0
printf '%-45s %6s %7s %4s %5s %5s\n' kernel insns gath/sc fma ymm zmm
while read -r name n g f y z; do
  printf '%-45s %6s %7s %4s %5s %5s\n' "$name" "$n" "$g" "$f" "$y" "$z"
  if [ "$g" -ne 0 ]; then echo "asm-check: FAILED: $name contains gather/scatter" >&2; status=1; fi
  if [ "$f" -ne 0 ]; then echo "asm-check: FAILED: $name contains fused multiply-add" >&2; status=1; fi
  case "$name" in
    *_avx512) [ "$z" -gt 0 ] || { echo "asm-check: FAILED: $name uses no zmm register" >&2; status=1; } ;;
    *_avx2) [ "$y" -gt 0 ] || { echo "asm-check: FAILED: $name uses no ymm register" >&2; status=1; } ;;
  esac
done <<<"$report"

# Every kernel must be there once per element type: f32, f64, u8, u16, i8, i16 (+ f16, bf16 with `half`,
# which mixup-tests' own `half` feature forwards to mixup under --all-features).
expected=6
if grep -q '^half = ' Cargo.toml; then expected=8; fi
for kernel in blend_avx2 blend_inplace_avx2 blend_inplace_ahead_avx2 blend_avx512 blend_inplace_avx512 blend_inplace_ahead_avx512; do
  found=$(grep -c "^mixup::arch::x86_64::$kernel " <<<"$report" || true)
  if [ "$found" -lt "$expected" ]; then
    echo "asm-check: FAILED: found $found copies of $kernel, expected $expected (one per element type)" >&2
    status=1
  fi
done
[ "$status" -eq 0 ] && echo "asm-check: ok, no gather/scatter or FMA in $(wc -l <<<"$report") AVX2/AVX-512 kernels"
exit "$status"
