//! The element types and the one loop body every kernel shares.
//!
//! This is the leaf of the crate: it imports nothing from it. [`crate::arch`] compiles the loop
//! bodies below several ways, and [`crate::kernels`] chooses among them.
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
//! * Integers: λ is quantized to a fixed-point weight `w = round(λ·2ᵏ)` (k = 8 for `u8`, 16 for
//!   `u16`) and each element is `(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) >> k`, the blend with the quantized λ
//!   rounded to nearest (halves up). That is within 1 of the exactly rounded blend with the
//!   requested λ, exact at λ = 0 and 1, and never outside `[min(a, b), max(a, b)]`. Peers that
//!   truncate instead (`(λ·a + (1 − λ)·b) as u8`) darken images by half a level on average.

#[cfg(feature = "half")]
mod half;

/// The internals of [`Element`]. The module is private, so no code outside the crate can name
/// this trait. Its methods would still be callable through an `Element` bound (a supertrait's
/// methods come with the bound), so every one takes a [`Private`] token that only this crate
/// can make: `weights` assumes a λ already checked to be in `[0, 1]`, and must not be reachable.
pub(crate) mod sealed {
    /// The proof of being inside the crate: unnameable, so unconstructible, outside it.
    #[derive(Clone, Copy, Debug)]
    pub struct Private;

    /// What the kernels need of an element type.
    pub trait Kernel: Copy {
        /// The per-call weights: `(λ, 1 − λ)` rounded to the type for floats, the fixed-point
        /// weights for integers.
        type Weights: Copy + core::fmt::Debug + Send + Sync;

        /// Weights for a λ already checked to be in `[0, 1]`.
        fn weights(lambda: f64, _: Private) -> Self::Weights;

        /// The λ that `weights` apply, exactly.
        fn applied(w: Self::Weights, _: Private) -> f64;

        /// One element of the blend.
        fn mix(a: Self, b: Self, w: Self::Weights, _: Private) -> Self;

        /// `out[k] = mix(a[k], b[k], w)` over slices of equal length: the loop body of every
        /// compiled copy. Must give exactly the bits of [`mix`](Kernel::mix) element by element.
        #[inline(always)]
        fn mix_slice(out: &mut [Self], a: &[Self], b: &[Self], w: Self::Weights, p: Private) {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = Self::mix(x, y, w, p);
            }
        }

        /// `a[k] = mix(a[k], b[k], w)`: the in-place form of [`mix_slice`](Kernel::mix_slice).
        #[inline(always)]
        fn mix_slice_inplace(a: &mut [Self], b: &[Self], w: Self::Weights, p: Private) {
            for (x, &y) in a.iter_mut().zip(b) {
                *x = Self::mix(*x, y, w, p);
            }
        }

        /// A stack buffer of [`BUFFER_BYTES`](super::BUFFER_BYTES): the staging area of the
        /// non-temporal stores and the tile of small in-place walks. An associated type because
        /// an array whose length depends on `size_of::<Self>()` cannot be written generically.
        type Buffer: AsMut<[Self]> + Copy;

        /// A zeroed [`Self::Buffer`].
        const BUFFER: Self::Buffer;

        /// A stack buffer of [`TILE_BYTES`](super::TILE_BYTES): the largest tile of the in-place
        /// walk.
        type Tile: AsMut<[Self]> + Copy;

        /// A zeroed [`Self::Tile`].
        const TILE: Self::Tile;
    }
}

/// An element type the blend kernels work on: `f32`, `f64`, `u8` or `u16`, and with the `half`
/// feature `half::f16` and `half::bf16` (blended in f32, stored back in the input type).
///
/// Sealed: the exactness guarantees are proven for these types only, and the kernel internals
/// are not part of the public API: they cannot be called from outside the crate, even through
/// an `Element` bound.
///
/// ```compile_fail
/// fn weights<T: mixup::Element>() -> f64 {
///     T::applied(T::weights(2.0)) // an unchecked λ: refused at compile time
/// }
/// ```
pub trait Element:
    Copy + Default + PartialEq + core::fmt::Debug + Send + Sync + sealed::Kernel
{
}

/// Bytes of the stack buffer [`sealed::Kernel::Buffer`]: the staging area of non-temporal
/// stores (it must stay in L1), and the in-place tile of small walks. Small enough for
/// microcontroller stacks.
pub(crate) const BUFFER_BYTES: usize = 2048;

/// Bytes of [`sealed::Kernel::Tile`], the largest in-place tile. With `std` 64 KiB, a stack
/// frame every std thread has room for (they get at least 2 MiB unless the spawner asks for
/// less), and long enough that the walk's jump to another sample costs little next to the run
/// it then streams (see `docs/ARCHITECTURE.md`); without `std` the 2 KiB of [`BUFFER_BYTES`],
/// since a microcontroller's whole stack may be a few KiB.
#[cfg(feature = "std")]
pub(crate) const TILE_BYTES: usize = 64 << 10;
/// See the `std` definition.
#[cfg(not(feature = "std"))]
pub(crate) const TILE_BYTES: usize = BUFFER_BYTES;

macro_rules! float_element {
    ($t:ty) => {
        impl Element for $t {}
        impl sealed::Kernel for $t {
            type Weights = ($t, $t);
            type Buffer = [$t; BUFFER_BYTES / core::mem::size_of::<$t>()];
            const BUFFER: Self::Buffer = [0.0; BUFFER_BYTES / core::mem::size_of::<$t>()];
            type Tile = [$t; TILE_BYTES / core::mem::size_of::<$t>()];
            const TILE: Self::Tile = [0.0; TILE_BYTES / core::mem::size_of::<$t>()];

            #[inline]
            fn weights(lambda: f64, _: sealed::Private) -> ($t, $t) {
                let lam = lambda as $t;
                (lam, 1.0 - lam)
            }

            #[inline]
            fn applied(w: ($t, $t), _: sealed::Private) -> f64 {
                w.0 as f64
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, (lam, mu): ($t, $t), _: sealed::Private) -> $t {
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
    ($t:ty, $wide:ty, $bits:expr $(, $slices:item)*) => {
        impl Element for $t {}
        impl sealed::Kernel for $t {
            $($slices)*

            /// `(w, 2ᵏ − w)`.
            type Weights = ($wide, $wide);
            type Buffer = [$t; BUFFER_BYTES / core::mem::size_of::<$t>()];
            const BUFFER: Self::Buffer = [0; BUFFER_BYTES / core::mem::size_of::<$t>()];
            type Tile = [$t; TILE_BYTES / core::mem::size_of::<$t>()];
            const TILE: Self::Tile = [0; TILE_BYTES / core::mem::size_of::<$t>()];

            #[inline]
            fn weights(lambda: f64, _: sealed::Private) -> ($wide, $wide) {
                const ONE: $wide = 1 << $bits;
                // λ·2ᵏ is exact (a power-of-two scaling) and in [0, 2ᵏ]. `round` is exact too,
                // where `floor(x + 0.5)` would round the addition first and turn the largest
                // double below a tie into the tie's upper neighbour.
                let w = libm::round(lambda * ONE as f64) as $wide;
                (w, ONE - w)
            }

            #[inline]
            fn applied(w: ($wide, $wide), _: sealed::Private) -> f64 {
                w.0 as f64 / (1u64 << $bits) as f64
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, (wa, wb): ($wide, $wide), _: sealed::Private) -> $t {
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

int_element!(
    u8,
    u16,
    8,
    #[inline(always)]
    fn mix_slice(out: &mut [u8], a: &[u8], b: &[u8], w: (u16, u16), p: sealed::Private) {
        let (o2, ot) = out.as_chunks_mut::<2>();
        let (a2, at) = a.as_chunks::<2>();
        let (b2, bt) = b.as_chunks::<2>();
        for ((o, x), y) in o2.iter_mut().zip(a2).zip(b2) {
            *o = mix_byte_pair(*x, *y, w);
        }
        for ((o, &x), &y) in ot.iter_mut().zip(at).zip(bt) {
            *o = <u8 as sealed::Kernel>::mix(x, y, w, p);
        }
    },
    #[inline(always)]
    fn mix_slice_inplace(a: &mut [u8], b: &[u8], w: (u16, u16), p: sealed::Private) {
        let (a2, at) = a.as_chunks_mut::<2>();
        let (b2, bt) = b.as_chunks::<2>();
        for (x, y) in a2.iter_mut().zip(b2) {
            *x = mix_byte_pair(*x, *y, w);
        }
        for (x, &y) in at.iter_mut().zip(bt) {
            *x = <u8 as sealed::Kernel>::mix(*x, y, w, p);
        }
    }
);
int_element!(u16, u32, 16);

/// Two `u8` blends in one 16-bit word, bit for bit [`Kernel::mix`](sealed::Kernel::mix) of each
/// byte. The even byte is blended in the low half of the word and shifted down; the odd byte is
/// blended in place in the high half and masked. Every product `w·x ≤ 256·255` and every sum
/// `≤ 65408` fits in 16 bits, so no lane carries into another. Vectorized, this needs no
/// widening or narrowing shuffles (the plain loop's bottleneck: `vpmovzxbw`/`vpmovwb` run on one
/// port), only 16-bit multiplies, adds, shifts and masks.
#[inline(always)]
fn mix_byte_pair(a: [u8; 2], b: [u8; 2], (wa, wb): (u16, u16)) -> [u8; 2] {
    let (p, q) = (u16::from_le_bytes(a), u16::from_le_bytes(b));
    let even = wa
        .wrapping_mul(p & 0xFF)
        .wrapping_add(wb.wrapping_mul(q & 0xFF))
        .wrapping_add(0x80)
        >> 8;
    let odd = wa
        .wrapping_mul(p >> 8)
        .wrapping_add(wb.wrapping_mul(q >> 8))
        .wrapping_add(0x80)
        & 0xFF00;
    (even | odd).to_le_bytes()
}

/// The loop body every kernel shares. Kept as a plain zip over slices of equal length so that
/// the compiler drops the bounds checks and vectorizes it; the `#[target_feature]` clones in
/// [`crate::arch`] inline it. No fixed-size chunking: with AVX-512 enabled, LLVM turned a
/// `chunks_exact` loop over `[f32; 16]` arrays into gathers and scatters, 6–8× slower.
/// `u8` uses a body of its own ([`mix_byte_pair`]), equal bit for bit.
#[inline(always)]
pub(crate) fn blend_slices<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    T::mix_slice(out, a, b, w, sealed::Private);
}

/// In-place form of [`blend_slices`]: `a = λ·a + μ·b`.
#[inline(always)]
pub(crate) fn blend_slices_inplace<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    T::mix_slice_inplace(a, b, w, sealed::Private);
}

#[cfg(test)]
mod tests {
    use super::sealed::{Kernel, Private};

    #[test]
    fn byte_pairs_match_the_byte_formula_exhaustively_in_a() {
        // Every weight, every pair of bytes a, and b from a spread of values: the pair form must
        // equal the one-byte formula in both halves, in and out of place.
        for wa in 0u16..=256 {
            let w = (wa, 256 - wa);
            let a: std::vec::Vec<u8> = (0..=255u8).chain(0..=255u8).collect();
            for bv in [0u8, 1, 127, 128, 200, 255] {
                let b: std::vec::Vec<u8> = a.iter().map(|&x| x ^ bv).collect();
                let mut out = std::vec![0u8; a.len() + 1];
                let n = a.len();
                u8::mix_slice(&mut out[..n], &a, &b, w, Private);
                let mut inplace = a.clone();
                u8::mix_slice_inplace(&mut inplace, &b, w, Private);
                for k in 0..n {
                    let want = u8::mix(a[k], b[k], w, Private);
                    assert_eq!(out[k], want, "w={wa} a={} b={}", a[k], b[k]);
                    assert_eq!(inplace[k], want);
                }
                // An odd length exercises the tail.
                let mut odd = std::vec![0u8; 3];
                u8::mix_slice(&mut odd, &a[..3], &b[..3], w, Private);
                assert_eq!(odd[2], u8::mix(a[2], b[2], w, Private));
            }
        }
    }
}
