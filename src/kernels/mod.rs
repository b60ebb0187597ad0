//! Blend kernels: `out = λ·a + (1 − λ)·b` over caller-owned slices.
//!
//! # Exactness
//!
//! * Floats: λ is rounded once to the element type and `μ = 1 − λ` is computed once, then every
//!   element is `λ·a + μ·b` with two roundings and no fused multiply-add, so every target gives
//!   the same bits. The result is clamped to the interval between `a` and `b` (rounding can push a
//!   convex combination one ulp outside it, and `λ·MAX + μ·MAX` can overflow). A NaN result
//!   (from a NaN input or from `∞ − ∞`) is the canonical quiet NaN (`f32::NAN`, `f64::NAN`),
//!   whatever the payloads of the inputs, so that every implementation and every target writes
//!   the same bits.
//!   λ = 1 copies `a` and λ = 0 copies `b` bit for bit.
//! * Integers: λ is quantized to a fixed-point weight `w = round(λ·2ᵏ)` (k = 8 for `u8`, 16 for
//!   `u16`) and each element is `(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) >> k`, the blend with the quantized λ
//!   rounded to nearest (halves up). That is within 1 of the exactly rounded blend with the
//!   requested λ, exact at λ = 0 and 1, and never outside `[min(a, b), max(a, b)]`. Peers that
//!   truncate instead (`(λ·a + (1 − λ)·b) as u8`) darken images by half a level on average.
//!   [`applied_lambda`] returns the quantized λ so that labels can use the same weight.

#[cfg(feature = "half")]
mod half;

use crate::arch::{self, Checked, Implementation};
use crate::error::{Error, check_len};

mod sealed {
    pub trait Sealed {}
}

/// An element type the blend kernels work on: `f32`, `f64`, `u8` or `u16`, and with the `half`
/// feature `half::f16` and `half::bf16` (blended in f32, stored back in the input type).
///
/// Sealed: the exactness guarantees are proven for these types only.
pub trait Element:
    Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + sealed::Sealed
{
    /// The per-call weights: `(λ, 1 − λ)` rounded to the type for floats, the fixed-point
    /// weights for integers.
    #[doc(hidden)]
    type Weights: Copy + core::fmt::Debug;

    /// Weights for a λ already checked to be in `[0, 1]`.
    #[doc(hidden)]
    fn weights(lambda: f64) -> Self::Weights;

    /// The λ that `weights` apply, exactly.
    #[doc(hidden)]
    fn applied(w: Self::Weights) -> f64;

    /// One element of the blend.
    #[doc(hidden)]
    fn mix(a: Self, b: Self, w: Self::Weights) -> Self;

    /// A stack buffer of a few KiB: the tile of the in-place batch mix and the
    /// staging area of the non-temporal stores. An associated type because an array whose
    /// length depends on `size_of::<Self>()` cannot be written generically.
    #[doc(hidden)]
    type Buffer: AsMut<[Self]> + Copy;

    /// A zeroed [`Self::Buffer`].
    #[doc(hidden)]
    const BUFFER: Self::Buffer;
}

/// Bytes of the stack buffer [`Element::Buffer`]: the tile of
/// [`mix_batch_inplace`](crate::mix_batch_inplace) and the staging area of non-temporal stores.
/// 2 KiB measured best or tied-best from 1 to 16 KiB on a 64-bit server, with the prefetch of
/// the next sample (see `notes/simd.md`), and is small enough for microcontroller stacks.
pub(crate) const BUFFER_BYTES: usize = 2048;

macro_rules! float_element {
    ($t:ty) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            type Weights = ($t, $t);
            type Buffer = [$t; BUFFER_BYTES / core::mem::size_of::<$t>()];
            const BUFFER: Self::Buffer = [0.0; BUFFER_BYTES / core::mem::size_of::<$t>()];

            #[inline]
            fn weights(lambda: f64) -> ($t, $t) {
                let lam = lambda as $t;
                (lam, 1.0 - lam)
            }

            #[inline]
            fn applied(w: ($t, $t)) -> f64 {
                w.0 as f64
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, (lam, mu): ($t, $t)) -> $t {
                let r = lam * a + mu * b;
                // Which NaN an operation returns depends on its operand order, which the
                // optimizer may swap differently in each compiled copy of the loop, and the NaN
                // made by ∞ − ∞ differs between architectures: one quiet NaN for every NaN
                // result keeps all implementations and all targets bit-identical.
                let r = if r.is_nan() { <$t>::NAN } else { r };
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                // Written as compare-and-select so that a NaN `r` falls through unchanged.
                if r < lo {
                    lo
                } else if r > hi {
                    hi
                } else {
                    r
                }
            }
        }
    };
}

float_element!(f32);
float_element!(f64);

macro_rules! int_element {
    ($t:ty, $wide:ty, $bits:expr) => {
        impl sealed::Sealed for $t {}
        impl Element for $t {
            /// `(w, 2ᵏ − w)`.
            type Weights = ($wide, $wide);
            type Buffer = [$t; BUFFER_BYTES / core::mem::size_of::<$t>()];
            const BUFFER: Self::Buffer = [0; BUFFER_BYTES / core::mem::size_of::<$t>()];

            #[inline]
            fn weights(lambda: f64) -> ($wide, $wide) {
                const ONE: $wide = 1 << $bits;
                // λ·2ᵏ is exact (a power-of-two scaling) and in [0, 2ᵏ]. `round` is exact too,
                // where `floor(x + 0.5)` would round the addition first and turn the largest
                // double below a tie into the tie's upper neighbour.
                let w = libm::round(lambda * ONE as f64) as $wide;
                (w, ONE - w)
            }

            #[inline]
            fn applied(w: ($wide, $wide)) -> f64 {
                w.0 as f64 / (1u64 << $bits) as f64
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, (wa, wb): ($wide, $wide)) -> $t {
                // wa + wb = 2ᵏ and a, b < 2ᵏ: the sum is at most 2ᵏ·(2ᵏ − 1) + 2ᵏ⁻¹ < 2²ᵏ, no overflow.
                // Wrapping operations therefore change nothing, but keep builds with overflow
                // checks (the test profile) vectorizing the same loop that release builds run.
                let sum = wa
                    .wrapping_mul(a as $wide)
                    .wrapping_add(wb.wrapping_mul(b as $wide))
                    .wrapping_add(1 << ($bits - 1));
                (sum >> $bits) as $t
            }
        }
    };
}

int_element!(u8, u16, 8);
int_element!(u16, u32, 16);

/// The λ that the kernels for `T` actually apply when asked for `lambda`.
///
/// For `f64` that is `lambda`; for `f32` it is `lambda` rounded to `f32`; for `u8` and `u16` it is
/// the quantized weight `round(λ·256)/256` or `round(λ·65536)/65536`. Mix labels with this value
/// to make them agree with the data.
///
/// ```
/// use mixup::applied_lambda;
/// assert_eq!(applied_lambda::<f64>(0.3)?, 0.3);
/// assert_eq!(applied_lambda::<u8>(0.3)?, 77.0 / 256.0);
/// assert!(applied_lambda::<u8>(1.5).is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn applied_lambda<T: Element>(lambda: f64) -> Result<f64, Error> {
    Ok(T::applied(T::weights(check_lambda(lambda)?)))
}

pub(crate) fn check_lambda(lambda: f64) -> Result<f64, Error> {
    if (0.0..=1.0).contains(&lambda) {
        Ok(lambda)
    } else {
        Err(Error::InvalidLambda { value: lambda })
    }
}

/// The loop body every kernel shares. Kept as a plain zip over slices of equal length so that
/// the compiler drops the bounds checks and vectorizes it; the `#[target_feature]` clones in
/// [`crate::arch`] inline it. No fixed-size chunking: with AVX-512 enabled, LLVM turned a
/// `chunks_exact` loop over `[f32; 16]` arrays into gathers and scatters, 6–8× slower.
#[inline(always)]
pub(crate) fn blend_slices<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = T::mix(x, y, w);
    }
}

/// In-place form of [`blend_slices`]: `a = λ·a + μ·b`.
#[inline(always)]
pub(crate) fn blend_slices_inplace<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = T::mix(*x, y, w);
    }
}

/// The weights' two exact cases, which copy instead of computing.
#[derive(Clone, Copy)]
pub(crate) enum Plan<W> {
    CopyA,
    CopyB,
    Mix(W),
}

pub(crate) fn plan<T: Element>(lambda: f64) -> Result<(Plan<T::Weights>, f64), Error> {
    let w = T::weights(check_lambda(lambda)?);
    let applied = T::applied(w);
    let plan = if applied == 1.0 {
        Plan::CopyA
    } else if applied == 0.0 {
        Plan::CopyB
    } else {
        Plan::Mix(w)
    };
    Ok((plan, applied))
}

/// How an out-of-place output is written.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stores {
    /// Non-temporal stores when the output is large (`STREAM_THRESHOLD` in `arch::x86_64`).
    Auto,
    /// Non-temporal stores at every length (where the target has them), for the tests.
    Streaming,
    /// Ordinary stores: the output stays in cache.
    Cached,
}

#[inline]
pub(crate) fn run<T: Element>(
    imp: Checked,
    plan: Plan<T::Weights>,
    out: &mut [T],
    a: &[T],
    b: &[T],
    stores: Stores,
) {
    match plan {
        Plan::CopyA => out.copy_from_slice(a),
        Plan::CopyB => out.copy_from_slice(b),
        Plan::Mix(w) => arch::blend(imp, out, a, b, w, stores),
    }
}

#[inline]
pub(crate) fn run_inplace<T: Element>(imp: Checked, plan: Plan<T::Weights>, a: &mut [T], b: &[T]) {
    match plan {
        Plan::CopyA => {}
        Plan::CopyB => a.copy_from_slice(b),
        Plan::Mix(w) => arch::blend_inplace(imp, a, b, w),
    }
}

/// `out[k] = λ·a[k] + (1 − λ)·b[k]` for every `k`; returns the λ applied (see
/// [`applied_lambda`]).
///
/// All three slices must have the same length and λ must be in `[0, 1]`; otherwise the call
/// returns an `Err` and writes nothing.
///
/// ```
/// let a = [0u8, 100, 255];
/// let b = [255u8, 100, 0];
/// let mut out = [0u8; 3];
/// let applied = mixup::blend(&mut out, &a, &b, 0.25)?;
/// assert_eq!(applied, 0.25);
/// assert_eq!(out, [191, 100, 64]); // 191.25 and 63.75, rounded to nearest
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn blend<T: Element>(out: &mut [T], a: &[T], b: &[T], lambda: f64) -> Result<f64, Error> {
    blend_impl(Checked::best(), out, a, b, lambda, Stores::Auto)
}

fn blend_impl<T: Element>(
    imp: Checked,
    out: &mut [T],
    a: &[T],
    b: &[T],
    lambda: f64,
    stores: Stores,
) -> Result<f64, Error> {
    check_len("a", out.len(), a.len())?;
    check_len("b", out.len(), b.len())?;
    let (plan, applied) = plan::<T>(lambda)?;
    run(imp, plan, out, a, b, stores);
    Ok(applied)
}

/// `a[k] = λ·a[k] + (1 − λ)·b[k]` for every `k`; returns the λ applied.
///
/// The slices must have the same length and λ must be in `[0, 1]`; otherwise the call returns an
/// `Err` and writes nothing.
///
/// ```
/// let mut a = [1.0f32, 2.0];
/// mixup::blend_inplace(&mut a, &[3.0, 4.0], 0.5)?;
/// assert_eq!(a, [2.0, 3.0]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn blend_inplace<T: Element>(a: &mut [T], b: &[T], lambda: f64) -> Result<f64, Error> {
    blend_inplace_impl(Checked::best(), a, b, lambda)
}

fn blend_inplace_impl<T: Element>(
    imp: Checked,
    a: &mut [T],
    b: &[T],
    lambda: f64,
) -> Result<f64, Error> {
    check_len("b", a.len(), b.len())?;
    let (plan, applied) = plan::<T>(lambda)?;
    run_inplace(imp, plan, a, b);
    Ok(applied)
}

/// [`blend`] with a chosen implementation, for the differential tests and the benches.
///
/// `streaming` forces non-temporal stores at every length (they are used only above a size
/// threshold otherwise); without it the output is written as [`blend`] writes it. Returns
/// [`Error::ImplementationUnavailable`] if `imp` cannot run on this machine.
#[doc(hidden)]
pub fn blend_with<T: Element>(
    imp: Implementation,
    out: &mut [T],
    a: &[T],
    b: &[T],
    lambda: f64,
    streaming: bool,
) -> Result<f64, Error> {
    let stores = if streaming {
        Stores::Streaming
    } else {
        Stores::Auto
    };
    blend_impl(Checked::new(imp)?, out, a, b, lambda, stores)
}

/// [`blend`] with a chosen implementation and ordinary (cached) stores at every length, for the
/// benches that measure where non-temporal stores start to pay.
#[doc(hidden)]
pub fn blend_cached_with<T: Element>(
    imp: Implementation,
    out: &mut [T],
    a: &[T],
    b: &[T],
    lambda: f64,
) -> Result<f64, Error> {
    blend_impl(Checked::new(imp)?, out, a, b, lambda, Stores::Cached)
}

/// [`blend_inplace`] with a chosen implementation, for the differential tests and the benches.
#[doc(hidden)]
pub fn blend_inplace_with<T: Element>(
    imp: Implementation,
    a: &mut [T],
    b: &[T],
    lambda: f64,
) -> Result<f64, Error> {
    blend_inplace_impl(Checked::new(imp)?, a, b, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn u8_rounds_to_nearest_against_exact_rationals() {
        for wa in 0u16..=256 {
            let lambda = wa as f64 / 256.0;
            for a in 0..=255u8 {
                for b in [0u8, 1, 2, 127, 128, 254, 255] {
                    let mut out = [0u8];
                    blend(&mut out, &[a], &[b], lambda).unwrap();
                    // Exact rational: (wa·a + (256 − wa)·b) / 256, rounded half up.
                    let num = wa as u32 * a as u32 + (256 - wa as u32) * b as u32;
                    let expected = (2 * num + 256) / 512;
                    assert_eq!(out[0] as u32, expected, "λ={lambda} a={a} b={b}");
                }
            }
        }
    }

    #[test]
    fn weight_is_the_exact_rounding_of_lambda_times_scale() {
        // Just below a tie: λ·256 = 0.5 − 2⁻⁵⁴ must round down, though 0.5 − 2⁻⁵⁴ + 0.5 rounds to 1.
        let below_tie = (0.5 - f64::EPSILON / 4.0) / 256.0;
        assert_eq!(applied_lambda::<u8>(below_tie).unwrap(), 0.0);
        assert_eq!(applied_lambda::<u8>(0.5 / 256.0).unwrap(), 1.0 / 256.0);
        let below_tie16 = (0.5 - f64::EPSILON / 4.0) / 65536.0;
        assert_eq!(applied_lambda::<u16>(below_tie16).unwrap(), 0.0);
    }

    #[test]
    fn u16_extremes_do_not_overflow() {
        for lambda in [0.0, 1e-9, 0.5, 1.0 - 1e-9, 1.0] {
            let mut out = [0u16; 2];
            let applied = blend(&mut out, &[65535, 0], &[65535, 65535], lambda).unwrap();
            assert_eq!(out[0], 65535);
            let exact = (1.0 - applied) * 65535.0;
            assert!(
                (out[1] as f64 - exact).abs() <= 0.5,
                "λ={lambda} got {}",
                out[1]
            );
        }
    }

    #[test]
    fn exact_at_zero_and_one_even_for_infinities() {
        let a = [f32::INFINITY, -0.0, f32::NAN, 1.0];
        let b = [1.0, f32::NEG_INFINITY, 2.0, -0.0];
        let mut out = [0.0f32; 4];
        blend(&mut out, &a, &b, 1.0).unwrap();
        assert_eq!(out.map(f32::to_bits), a.map(f32::to_bits));
        blend(&mut out, &a, &b, 0.0).unwrap();
        assert_eq!(out.map(f32::to_bits), b.map(f32::to_bits));
    }

    #[test]
    fn bad_input_writes_nothing() {
        let mut out = [7.0f64; 3];
        assert_eq!(
            blend(&mut out, &[1.0; 3], &[1.0; 2], 0.5),
            Err(Error::LengthMismatch {
                what: "b",
                expected: 3,
                actual: 2
            })
        );
        assert!(matches!(
            blend(&mut out, &[1.0; 3], &[1.0; 3], f64::NAN),
            Err(Error::InvalidLambda { .. })
        ));
        assert!(blend_inplace(&mut out, &[1.0; 3], -0.1).is_err());
        assert_eq!(out, [7.0; 3]);
    }
}
