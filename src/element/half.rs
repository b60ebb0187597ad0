//! `half::f16` and `half::bf16` elements (feature `half`): each element is widened to f32,
//! blended with the f32 kernel (same weights, same clamp, same NaN), and rounded back to the
//! input type to nearest, ties to even. The output has the input's type: no silent upcast.
//!
//! The conversions are written here as branch-free integer and float operations instead of
//! calling `half`'s, so that the blend loop stays a plain loop the compiler vectorizes (`half`
//! picks an F16C instruction or a branchy software path per element). They are tested against
//! `half`'s conversions, exhaustively for f16 → f32.

use super::sealed::Kernel;
use super::{BUFFER_BYTES, Element, TILE_BYTES, sealed};
use half::{bf16, f16};

/// f16 → f32, exact (every f16 is an f32). NaNs keep their payload and are quieted.
#[inline(always)]
pub(crate) fn f16_to_f32(h: f16) -> f32 {
    let h = h.to_bits() as u32;
    let sign = (h & 0x8000) << 16;
    let magnitude = h & 0x7FFF;
    // Moving exponent and mantissa 13 places up makes an f32 2¹¹² times too small, for normal
    // and subnormal values alike; the power-of-two product is exact.
    let scaled = f32::from_bits(magnitude << 13) * f32::from_bits(0x7780_0000); // 2¹¹²
    // Infinities and NaNs keep their mantissa and take the all-ones exponent; NaNs are quieted,
    // as `half` and the F16C instructions do.
    let quiet = if magnitude > 0x7C00 { 0x0040_0000 } else { 0 };
    let special = f32::from_bits((magnitude << 13) | 0x7F80_0000 | quiet);
    let m = if magnitude >= 0x7C00 { special } else { scaled };
    f32::from_bits(m.to_bits() | sign)
}

/// f32 → f16, rounded to nearest, ties to even; overflow gives ±∞, NaN gives a quiet NaN
/// (`0x7E00` with the sign). The method is F. Giesen's `float_to_half_fast3_rtne` (public
/// domain, <https://gist.github.com/rygorous/2156668>), written as selects.
#[inline(always)]
pub(crate) fn f32_to_f16(x: f32) -> f16 {
    let bits = x.to_bits();
    let sign = (bits >> 16) & 0x8000;
    let magnitude = bits & 0x7FFF_FFFF;
    // |x| ≥ 2¹⁶: ∞, or NaN.
    let big = if magnitude > 0x7F80_0000 {
        0x7E00
    } else {
        0x7C00
    };
    // |x| < 2⁻¹⁴: an f16 subnormal; adding 0.5 makes the float adder round at the right bit.
    let tiny = (f32::from_bits(magnitude) + 0.5)
        .to_bits()
        .wrapping_sub(0x3F00_0000);
    // Otherwise: rebias the exponent and round to nearest even by hand.
    let odd = (magnitude >> 13) & 1;
    let normal = magnitude
        .wrapping_add(((15i32 - 127) << 23) as u32)
        .wrapping_add(0xFFF)
        .wrapping_add(odd)
        >> 13;
    let m = if magnitude >= 0x4780_0000 {
        big
    } else if magnitude < 0x3880_0000 {
        tiny
    } else {
        normal
    };
    f16::from_bits((m | sign) as u16)
}

/// bf16 → f32, exact. NaNs keep their payload and are quieted.
#[inline(always)]
pub(crate) fn bf16_to_f32(h: bf16) -> f32 {
    let bits = h.to_bits() as u32;
    let quiet = if bits & 0x7FFF > 0x7F80 { 0x0040 } else { 0 };
    f32::from_bits((bits | quiet) << 16)
}

/// f32 → bf16, rounded to nearest, ties to even; NaN stays a quiet NaN with the sign and the top
/// of its payload.
#[inline(always)]
pub(crate) fn f32_to_bf16(x: f32) -> bf16 {
    let bits = x.to_bits();
    let nan = (bits >> 16) | 0x0040;
    // No overflow: the largest non-NaN pattern is 0xFF80_0000 (−∞), and ±∞ stay ±∞.
    let rounded = bits.wrapping_add(0x7FFF + ((bits >> 16) & 1)) >> 16;
    let m = if x.is_nan() { nan } else { rounded };
    bf16::from_bits(m as u16)
}

macro_rules! half_element {
    ($t:ty, $to:ident, $from:ident, $zero:expr) => {
        impl Element for $t {}
        impl sealed::Kernel for $t {
            /// `(λ, 1 − λ)` in f32, the precision the blend is computed in.
            type Weights = (f32, f32);
            type Buffer = [$t; BUFFER_BYTES / 2];
            const BUFFER: Self::Buffer = [$zero; BUFFER_BYTES / 2];
            type Tile = [$t; TILE_BYTES / 2];
            const TILE: Self::Tile = [$zero; TILE_BYTES / 2];

            #[inline]
            fn weights(lambda: f64, p: sealed::Private) -> (f32, f32) {
                <f32 as Kernel>::weights(lambda, p)
            }

            #[inline]
            fn applied(w: (f32, f32), _: sealed::Private) -> f64 {
                w.0 as f64
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, w: (f32, f32), p: sealed::Private) -> $t {
                // The f32 result lies between the two widened inputs, which are representable
                // in the narrow type, and rounding is monotonic: the narrow result does too.
                $from(<f32 as Kernel>::mix($to(a), $to(b), w, p))
            }
        }
    };
}

half_element!(f16, f16_to_f32, f32_to_f16, f16::ZERO);
half_element!(bf16, bf16_to_f32, f32_to_bf16, bf16::ZERO);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_to_f32_matches_half_on_every_value() {
        for bits in 0..=u16::MAX {
            let h = f16::from_bits(bits);
            assert_eq!(f16_to_f32(h).to_bits(), h.to_f32().to_bits(), "{bits:#06x}");
        }
    }

    #[test]
    fn bf16_to_f32_matches_half_on_every_value() {
        for bits in 0..=u16::MAX {
            let h = bf16::from_bits(bits);
            assert_eq!(
                bf16_to_f32(h).to_bits(),
                h.to_f32().to_bits(),
                "{bits:#06x}"
            );
        }
    }

    /// f32 inputs where rounding to 16 bits is decided: every 16-bit value widened, its
    /// neighbours, the midpoints to the next value and theirs, plus a stride over all f32.
    fn hard_f32s(widen: fn(u16) -> f32) -> impl Iterator<Item = f32> {
        let around = (0..=u16::MAX).flat_map(move |bits| {
            let x = widen(bits);
            let next = widen(bits.wrapping_add(1));
            let mid = ((x as f64 + next as f64) / 2.0) as f32;
            let up = |v: f32| f32::from_bits(v.to_bits().wrapping_add(1));
            let down = |v: f32| f32::from_bits(v.to_bits().wrapping_sub(1));
            [x, up(x), down(x), mid, up(mid), down(mid)]
        });
        let stride = (0..=u32::MAX / 997).map(|k| f32::from_bits(k * 997));
        around.chain(stride)
    }

    #[test]
    fn f32_to_f16_matches_half() {
        for x in hard_f32s(|b| f16::from_bits(b).to_f32()) {
            let (ours, theirs) = (f32_to_f16(x), f16::from_f32(x));
            if x.is_nan() {
                assert!(ours.is_nan(), "{:#010x}", x.to_bits());
            } else {
                assert_eq!(
                    ours.to_bits(),
                    theirs.to_bits(),
                    "{x:e} ({:#010x})",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn f32_to_bf16_matches_half() {
        for x in hard_f32s(|b| bf16::from_bits(b).to_f32()) {
            let (ours, theirs) = (f32_to_bf16(x), bf16::from_f32(x));
            if x.is_nan() {
                assert!(ours.is_nan(), "{:#010x}", x.to_bits());
            } else {
                assert_eq!(
                    ours.to_bits(),
                    theirs.to_bits(),
                    "{x:e} ({:#010x})",
                    x.to_bits()
                );
            }
        }
    }

    #[test]
    fn the_canonical_nan_narrows_to_one_quiet_nan() {
        assert_eq!(f32_to_f16(f32::NAN).to_bits(), 0x7E00);
        assert_eq!(f32_to_bf16(f32::NAN).to_bits(), 0x7FC0);
    }

    #[test]
    fn blends_stay_in_the_input_type_and_between_the_inputs() {
        let a = [f16::from_f32(1.0), f16::MAX, f16::from_f32(-2.5)];
        let b = [f16::from_f32(2.0), f16::MAX, f16::from_f32(3.0)];
        let mut out = [f16::ZERO; 3];
        crate::blend(&mut out, &a, &b, 0.25).unwrap();
        assert_eq!(out[0], f16::from_f32(1.75));
        assert_eq!(out[1], f16::MAX); // λ·MAX + μ·MAX does not overflow to ∞
        assert_eq!(out[2], f16::from_f32(1.625));
    }
}
