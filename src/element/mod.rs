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
//! * Integers: λ is quantized to a fixed-point weight `w = round(λ·2ᵏ)` (k = 8 for `u8` and
//!   `i8`, 16 for `u16` and `i16`) and each element is `⌊(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ⌋`, the
//!   blend with the quantized λ rounded to nearest (halves up). That is within 1 of the exactly
//!   rounded blend with the requested λ, exact at λ = 0 and 1, and never outside
//!   `[min(a, b), max(a, b)]`: with `a ≤ b`, `2ᵏ·a ≤ w·a + (2ᵏ − w)·b ≤ 2ᵏ·b`. Peers that
//!   truncate instead (`(λ·a + (1 − λ)·b) as u8`) darken images by half a level on average.
//! * Signed integers are the unsigned kernels on offset values: flipping the sign bit maps `i8`
//!   onto `u8` as `a + 128` (and `i16` onto `u16` as `a + 32768`), and since the two weights sum
//!   to `2ᵏ` the offset passes through the blend unchanged,
//!   `⌊(w·(a + c) + (2ᵏ − w)·(b + c) + 2ᵏ⁻¹) / 2ᵏ⌋ = ⌊(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ⌋ + c`.
//!   So a signed blend is exactly the formula above on the signed values, and shares the
//!   unsigned vector code (and its bit identity) at the cost of two XORs.

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

/// An element type the blend kernels work on: `f32`, `f64`, `u8`, `u16`, `i8` or `i16`, and
/// with the `half` feature `half::f16` and `half::bf16` (blended in f32, stored back in the
/// input type).
///
/// `i8` and `i16` are blended in fixed point like `u8` and `u16` (see the crate's
/// [integer data](crate#integer-data) section): for quantized tensors that share one scale and
/// zero point, mixing the integers is the exact quantized mix.
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
            fn mix(a: $t, b: $t, w: ($t, $t), _: sealed::Private) -> $t {
                let c = <$t as Clamped>::clamped(a, b, w);
                // Which NaN an operation returns depends on its operand order, which the
                // optimizer may swap differently in each compiled copy of the loop, and the NaN
                // made by ∞ − ∞ differs between architectures: one quiet NaN for every NaN
                // result keeps all implementations and all targets bit-identical.
                if c.is_nan() { <$t>::NAN } else { c }
            }

            // The loops make `mix`'s NaN rule a rare second pass. A compare and a select on
            // every vector were a quarter of the loop's time in L1 (on x86 they need the same
            // two ports as the multiplies and the min/max); `c − c` (`+0.0` for every finite
            // `c`, NaN for NaN and ±∞) and an integer OR do not. A block whose OR is not zero
            // holds a NaN or an infinity, and only then are its NaNs made canonical, so the
            // bits are `mix`'s element by element.
            #[inline(always)]
            fn mix_slice(out: &mut [$t], a: &[$t], b: &[$t], w: ($t, $t), p: sealed::Private) {
                if !VECTOR_UNIT {
                    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                        *o = Self::mix(x, y, w, p);
                    }
                    return;
                }
                const BLOCK: usize = FLOAT_BLOCK_BYTES / core::mem::size_of::<$t>();
                let blocks = out
                    .chunks_mut(BLOCK)
                    .zip(a.chunks(BLOCK))
                    .zip(b.chunks(BLOCK));
                for ((o, x), y) in blocks {
                    let mut non_finite = 0;
                    for ((o, &x), &y) in o.iter_mut().zip(x).zip(y) {
                        let c = <$t as Clamped>::clamped(x, y, w);
                        *o = c;
                        non_finite |= (c - c).to_bits();
                    }
                    if non_finite != 0 {
                        <$t as Clamped>::canonical_nans(o);
                    }
                }
            }

            #[inline(always)]
            fn mix_slice_inplace(a: &mut [$t], b: &[$t], w: ($t, $t), p: sealed::Private) {
                if !VECTOR_UNIT {
                    for (x, &y) in a.iter_mut().zip(b) {
                        *x = Self::mix(*x, y, w, p);
                    }
                    return;
                }
                const BLOCK: usize = FLOAT_BLOCK_BYTES / core::mem::size_of::<$t>();
                for (x, y) in a.chunks_mut(BLOCK).zip(b.chunks(BLOCK)) {
                    let mut non_finite = 0;
                    for (x, &y) in x.iter_mut().zip(y) {
                        let c = <$t as Clamped>::clamped(*x, y, w);
                        *x = c;
                        non_finite |= (c - c).to_bits();
                    }
                    if non_finite != 0 {
                        <$t as Clamped>::canonical_nans(x);
                    }
                }
            }
        }

        impl Clamped for $t {
            #[inline(always)]
            fn clamped(a: $t, b: $t, (lam, mu): ($t, $t)) -> $t {
                let r = lam * a + mu * b;
                // Clamped to [lo, hi] as two selects whose comparison puts the bound first:
                // `hi < r ? hi : r` then `lo > c ? lo : c` are exactly x86's `minps(hi, r)` and
                // `maxps(lo, c)` (and NEON's and every other target's plain compare-and-select),
                // one instruction each, and a NaN `r` falls through both unchanged. For `lo ≤
                // hi` this is the clamp; when `a` or `b` is NaN so is `r`, whatever `lo` and
                // `hi` are.
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                let c = if hi < r { hi } else { r };
                if lo > c { lo } else { c }
            }

            #[inline(always)]
            fn canonical_nans(x: &mut [$t]) {
                for v in x {
                    if v.is_nan() {
                        *v = <$t>::NAN;
                    }
                }
            }
        }
    };
}

/// Whether the target has a vector unit the compiler vectorizes the loops for. Without one
/// (Cortex-M, RISC-V `imac`, wasm without `simd128`) the byte kernels work in 32-bit words and
/// the float loops check each element for NaN as it comes (on a soft-float target `c − c` would
/// be a library call per element).
const VECTOR_UNIT: bool = cfg!(any(
    target_arch = "x86",
    target_arch = "x86_64",
    target_feature = "neon",
    target_feature = "simd128",
    target_feature = "v",
    target_feature = "altivec",
));

/// Bytes per block of the float loops: the second pass over a block with a NaN re-reads it
/// from L1, and the OR that finds it costs a reduction and a branch per block (in L1 on a Zen 2,
/// 1 KiB blocks ran 6% slower than 4 KiB, 2 KiB blocks 2%).
const FLOAT_BLOCK_BYTES: usize = 4096;

/// The float blend before its NaN rule, shared by [`sealed::Kernel::mix`] and the loops.
trait Clamped: Sized {
    /// `λ·a + μ·b` clamped to the interval between `a` and `b`; NaN payloads as they come.
    fn clamped(a: Self, b: Self, w: (Self, Self)) -> Self;
    /// Every NaN of `x` made the canonical quiet NaN.
    fn canonical_nans(x: &mut [Self]);
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
        bytes::mix_slice(out, a, b, w, 0, p);
    },
    #[inline(always)]
    fn mix_slice_inplace(a: &mut [u8], b: &[u8], w: (u16, u16), p: sealed::Private) {
        bytes::mix_slice_inplace(a, b, w, 0, p);
    }
);
int_element!(u16, u32, 16);

/// `i8` and `i16` through their unsigned twins: the sign bit flipped in, the unsigned blend, the
/// sign bit flipped out (exact, see the module docs).
macro_rules! signed_element {
    ($t:ty, $u:ty, $sign:expr $(, $slices:item)*) => {
        impl Element for $t {}
        impl sealed::Kernel for $t {
            $($slices)*

            type Weights = <$u as sealed::Kernel>::Weights;
            type Buffer = [$t; BUFFER_BYTES / core::mem::size_of::<$t>()];
            const BUFFER: Self::Buffer = [0; BUFFER_BYTES / core::mem::size_of::<$t>()];
            type Tile = [$t; TILE_BYTES / core::mem::size_of::<$t>()];
            const TILE: Self::Tile = [0; TILE_BYTES / core::mem::size_of::<$t>()];

            #[inline]
            fn weights(lambda: f64, p: sealed::Private) -> Self::Weights {
                <$u as sealed::Kernel>::weights(lambda, p)
            }

            #[inline]
            fn applied(w: Self::Weights, p: sealed::Private) -> f64 {
                <$u as sealed::Kernel>::applied(w, p)
            }

            #[inline(always)]
            fn mix(a: $t, b: $t, w: Self::Weights, p: sealed::Private) -> $t {
                let (a, b) = ((a as $u) ^ $sign, (b as $u) ^ $sign);
                (<$u as sealed::Kernel>::mix(a, b, w, p) ^ $sign) as $t
            }
        }
    };
}

signed_element!(
    i8,
    u8,
    0x80,
    #[inline(always)]
    fn mix_slice(out: &mut [i8], a: &[i8], b: &[i8], w: (u16, u16), p: sealed::Private) {
        bytes::mix_slice(out, a, b, w, 0x80, p);
    },
    #[inline(always)]
    fn mix_slice_inplace(a: &mut [i8], b: &[i8], w: (u16, u16), p: sealed::Private) {
        bytes::mix_slice_inplace(a, b, w, 0x80, p);
    }
);
signed_element!(i16, u16, 0x8000);

/// The byte kernels (`u8`, and `i8` with the sign bit flipped on the way in and out), several
/// bytes per integer word, bit for bit the one-byte formula of [`Kernel::mix`](sealed::Kernel::mix).
///
/// Bytes are blended in separate 16-bit lanes of one word: the even bytes in the low halves of
/// the lanes, shifted down, the odd bytes in the high halves in place, and masked.
///
/// * With a vector unit, the word is 16 bits ([`pair`]): vectorized, that needs only 16-bit
///   multiplies, adds, shifts and masks, none of the widening and narrowing shuffles of the plain
///   loop (`vpmovzxbw`/`vpmovwb` run on one port), and one multiply per byte.
/// * Without one (Cortex-M, RISC-V `imac`, wasm without `simd128`), the word is the 32-bit
///   register ([`quad`]): four bytes per two loads, four multiplies and one store, where the
///   plain loop spends two loads, two multiplies and a store on each byte.
mod bytes {
    use super::sealed::{Kernel, Private};

    /// Whether this target blends bytes four to a 32-bit word: no vector unit the compiler
    /// would use for the 16-bit lanes.
    pub(crate) const WORD_PARALLEL: bool = !super::VECTOR_UNIT;

    /// Two bytes in one 16-bit word, each XORed with `flip` before and after (0 for `u8`,
    /// 0x80 for `i8`).
    ///
    /// One multiply per byte instead of two: since the weights sum to 256,
    /// `w·a + (256 − w)·b + 128 = 256·b + (w·(a − b) + 128)`, so the blend is
    /// `b + ⌊(w·(a − b) + 128) / 256⌋`. The result is a byte, so only that quotient modulo 256 is
    /// needed, and that is bits 8–15 of `w·(a − b) + 128` computed modulo 2¹⁶ (two's complement
    /// keeps a negative difference exact): wrapping 16-bit lanes suffice although the product
    /// needs 17 bits. The even byte's quotient is shifted down and `b` added; the odd byte's
    /// stays in the high half, where `b`'s high byte is added before the low half is masked off.
    /// With AVX2 that is 15 vector instructions per 32 bytes, 2 of them multiplies, where the
    /// two-multiply form had 4 in its 15: 1.17× faster in L1 on a Zen 2. Without a byte blend (SSE2 only) the masking costs two instructions more, about
    /// 4% slower; that build runs only where AVX2 is missing (see `docs/ARCHITECTURE.md`).
    #[inline(always)]
    pub(crate) fn pair(a: [u8; 2], b: [u8; 2], (wa, _): (u16, u16), flip: u8) -> [u8; 2] {
        let f = u16::from_ne_bytes([flip, flip]);
        let (p, q) = (u16::from_le_bytes(a) ^ f, u16::from_le_bytes(b) ^ f);
        let even = (wa
            .wrapping_mul((p & 0xFF).wrapping_sub(q & 0xFF))
            .wrapping_add(0x80)
            >> 8)
            .wrapping_add(q)
            & 0xFF;
        let odd = wa
            .wrapping_mul((p >> 8).wrapping_sub(q >> 8))
            .wrapping_add((q & 0xFF00) | 0x80)
            & 0xFF00;
        ((even | odd) ^ f).to_le_bytes()
    }

    /// Four bytes in one 32-bit word, two 16-bit lanes for the even bytes and two for the odd.
    /// Every product `w·x ≤ 256·255` and every sum `w·x + (256 − w)·y + 128 ≤ 65408` fits in
    /// 16 bits, so the lanes never carry into each other. The one-multiply form of [`pair`]
    /// does not carry over: in a 32-bit register a negative difference would borrow from the
    /// neighbouring lane.
    #[inline(always)]
    pub(crate) fn quad(a: [u8; 4], b: [u8; 4], (wa, wb): (u16, u16), flip: u8) -> [u8; 4] {
        const LANES: u32 = 0x00FF_00FF;
        let f = u32::from_ne_bytes([flip; 4]);
        let (wa, wb) = (u32::from(wa), u32::from(wb));
        // 128 in both lanes. Derived from the weights (which sum to 256) rather than written as
        // a constant, so that the compiler keeps it in a register and folds each lane's rounding
        // into a multiply-accumulate (`mla`) instead of a separate add of an immediate: two
        // instructions fewer per word on a Cortex-M4.
        let half = ((wa + wb) >> 1).wrapping_mul(0x0001_0001);
        let (p, q) = (u32::from_le_bytes(a) ^ f, u32::from_le_bytes(b) ^ f);
        let even = (wa
            .wrapping_mul(p & LANES)
            .wrapping_add(wb.wrapping_mul(q & LANES).wrapping_add(half))
            >> 8)
            & LANES;
        let odd = wa
            .wrapping_mul((p >> 8) & LANES)
            .wrapping_add(wb.wrapping_mul((q >> 8) & LANES).wrapping_add(half))
            & !LANES;
        ((even | odd) ^ f).to_le_bytes()
    }

    /// A byte type: `u8`, or `i8` whose bits are taken as `u8`.
    pub(crate) trait Byte: Copy {
        fn bits(self) -> u8;
        fn from_bits(bits: u8) -> Self;
    }

    impl Byte for u8 {
        #[inline(always)]
        fn bits(self) -> u8 {
            self
        }
        #[inline(always)]
        fn from_bits(bits: u8) -> u8 {
            bits
        }
    }

    impl Byte for i8 {
        #[inline(always)]
        fn bits(self) -> u8 {
            self as u8
        }
        #[inline(always)]
        fn from_bits(bits: u8) -> i8 {
            bits as i8
        }
    }

    /// One byte, through the `u8` formula.
    #[inline(always)]
    fn one<B: Byte>(a: B, b: B, w: (u16, u16), flip: u8, p: Private) -> B {
        B::from_bits(u8::mix(a.bits() ^ flip, b.bits() ^ flip, w, p) ^ flip)
    }

    /// `N` bytes through `f` on their bits.
    #[inline(always)]
    fn lift<B: Byte, const N: usize>(
        f: impl Fn([u8; N], [u8; N]) -> [u8; N],
    ) -> impl Fn([B; N], [B; N]) -> [B; N] {
        move |x, y| f(x.map(B::bits), y.map(B::bits)).map(B::from_bits)
    }

    /// `out[k] = mix(a[k], b[k])` with the target's word: four bytes per word on targets without
    /// a vector unit ([`WORD_PARALLEL`]), two otherwise. `flip` is the sign bit of `B`.
    #[inline(always)]
    pub(crate) fn mix_slice<B: Byte>(
        out: &mut [B],
        a: &[B],
        b: &[B],
        w: (u16, u16),
        flip: u8,
        p: Private,
    ) {
        let byte = |x, y| one(x, y, w, flip, p);
        if WORD_PARALLEL {
            words::<B, 4>(out, a, b, lift(|x, y| quad(x, y, w, flip)), byte);
        } else {
            words::<B, 2>(out, a, b, lift(|x, y| pair(x, y, w, flip)), byte);
        }
    }

    /// `a[k] = mix(a[k], b[k])`, in place.
    #[inline(always)]
    pub(crate) fn mix_slice_inplace<B: Byte>(
        a: &mut [B],
        b: &[B],
        w: (u16, u16),
        flip: u8,
        p: Private,
    ) {
        let byte = |x, y| one(x, y, w, flip, p);
        if WORD_PARALLEL {
            words_inplace::<B, 4>(a, b, lift(|x, y| quad(x, y, w, flip)), byte);
        } else {
            words_inplace::<B, 2>(a, b, lift(|x, y| pair(x, y, w, flip)), byte);
        }
    }

    /// Keeps 32-bit Arm cores' word loop at one word per iteration. LLVM unrolls it 4× there and
    /// then runs out of registers (spilling to the stack each iteration: 4.9 instructions per
    /// byte where the rolled loop needs 4.0, measured on a Cortex-M4 under qemu, see
    /// `cross/cortex-m4`); its runtime unroller leaves loops that contain inline assembly alone.
    /// Elsewhere, and on every target with a vector unit, it is nothing.
    #[inline(always)]
    fn no_unroll() {
        #[cfg(all(target_arch = "arm", not(target_feature = "neon")))]
        // SAFETY: an empty assembly block: it reads and writes no memory, no stack and no
        // flags (as its options declare), so it cannot affect the program's state.
        unsafe {
            core::arch::asm!("", options(nomem, nostack, preserves_flags));
        }
    }

    /// `N` bytes at a time with `word`, the tail one at a time with `byte`.
    #[inline(always)]
    pub(crate) fn words<B: Copy, const N: usize>(
        out: &mut [B],
        a: &[B],
        b: &[B],
        word: impl Fn([B; N], [B; N]) -> [B; N],
        byte: impl Fn(B, B) -> B,
    ) {
        let (o, ot) = out.as_chunks_mut::<N>();
        let (x, xt) = a.as_chunks::<N>();
        let (y, yt) = b.as_chunks::<N>();
        for ((o, x), y) in o.iter_mut().zip(x).zip(y) {
            *o = word(*x, *y);
            no_unroll();
        }
        for ((o, &x), &y) in ot.iter_mut().zip(xt).zip(yt) {
            *o = byte(x, y);
        }
    }

    /// In-place form of [`words`].
    #[inline(always)]
    pub(crate) fn words_inplace<B: Copy, const N: usize>(
        a: &mut [B],
        b: &[B],
        word: impl Fn([B; N], [B; N]) -> [B; N],
        byte: impl Fn(B, B) -> B,
    ) {
        let (x, xt) = a.as_chunks_mut::<N>();
        let (y, yt) = b.as_chunks::<N>();
        for (x, y) in x.iter_mut().zip(y) {
            *x = word(*x, *y);
            no_unroll();
        }
        for (x, &y) in xt.iter_mut().zip(yt) {
            *x = byte(*x, y);
        }
    }
}

/// The loop body every kernel shares. Kept as a plain zip over slices of equal length so that
/// the compiler drops the bounds checks and vectorizes it; the `#[target_feature]` clones in
/// [`crate::arch`] inline it. No fixed-size chunking into arrays: with AVX-512 enabled, LLVM
/// turned a `chunks_exact` loop over `[f32; 16]` arrays into gathers and scatters, 6–8× slower
/// (the floats' 4 KiB blocks are slices, and `.ci/steps/20-asm-check.sh` checks every clone).
/// `u8` and `i8` use a body of their own (`bytes`), equal bit for bit.
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
    use super::bytes::{pair, quad};
    use super::sealed::{Kernel, Private};
    use std::vec::Vec;

    /// The documented integer formula, `⌊(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ⌋`, on wide signed values.
    fn formula(a: i64, b: i64, w: i64, k: u32) -> i64 {
        (w * a + ((1 << k) - w) * b + (1 << (k - 1))).div_euclid(1 << k)
    }

    #[test]
    fn byte_words_match_the_byte_formula_exhaustively() {
        // Every weight and every pair of bytes, through the 16-bit and the 32-bit word, unsigned
        // and signed: the word forms must give the one-byte formula in every lane, whatever the
        // neighbouring lanes hold.
        for wa in 0u16..=256 {
            let w = (wa, 256 - wa);
            for a in 0..=255u8 {
                for b in 0..=255u8 {
                    let want = u8::mix(a, b, w, Private);
                    assert_eq!(i64::from(want), formula(a.into(), b.into(), wa.into(), 8));
                    let (sa, sb) = (a as i8, b as i8);
                    let swant = i8::mix(sa, sb, w, Private);
                    assert_eq!(
                        i64::from(swant),
                        formula(sa.into(), sb.into(), wa.into(), 8)
                    );
                    assert!(swant >= sa.min(sb) && swant <= sa.max(sb));
                    let (c, d) = (a.wrapping_mul(31), b.wrapping_add(97));
                    let other = u8::mix(c, d, w, Private);
                    assert_eq!(pair([a, c], [b, d], w, 0), [want, other]);
                    assert_eq!(pair([c, a], [d, b], w, 0), [other, want]);
                    assert_eq!(quad([a, c, b, d], [b, d, a, c], w, 0)[0], want);
                    assert_eq!(quad([c, a, d, b], [d, b, c, a], w, 0)[1], want);
                    assert_eq!(quad([c, d, a, b], [d, c, b, a], w, 0)[2], want);
                    assert_eq!(quad([d, c, b, a], [c, d, a, b], w, 0)[3], want);
                    let flipped = |x: [u8; 2]| x.map(|v| v as i8);
                    assert_eq!(flipped(pair([a, c], [b, d], w, 0x80))[0], swant);
                    assert_eq!(quad([c, d, a, b], [d, c, b, a], w, 0x80)[2] as i8, swant);
                }
            }
        }
    }

    #[test]
    fn slices_match_the_formula_at_every_length() {
        // The slice bodies (the target's word and the tail) against the one-element formula, in
        // and out of place, at every length up to 67 and every start offset up to 3.
        let a: Vec<u8> = (0..80u32).map(|k| (k * 37 + 11) as u8).collect();
        let b: Vec<u8> = (0..80u32).map(|k| (k * 101 + 3) as u8).collect();
        for wa in [0u16, 1, 77, 128, 255, 256] {
            let w = (wa, 256 - wa);
            for start in 0..4 {
                for len in 0..68 {
                    let (x, y) = (&a[start..start + len], &b[start..start + len]);
                    let mut out = std::vec![0u8; len];
                    u8::mix_slice(&mut out, x, y, w, Private);
                    let mut inplace = x.to_vec();
                    u8::mix_slice_inplace(&mut inplace, y, w, Private);
                    let sx: Vec<i8> = x.iter().map(|&v| v as i8).collect();
                    let sy: Vec<i8> = y.iter().map(|&v| v as i8).collect();
                    let mut sout = std::vec![0i8; len];
                    i8::mix_slice(&mut sout, &sx, &sy, w, Private);
                    let mut sin = sx.clone();
                    i8::mix_slice_inplace(&mut sin, &sy, w, Private);
                    for k in 0..len {
                        let want = u8::mix(x[k], y[k], w, Private);
                        assert_eq!((out[k], inplace[k]), (want, want), "w={wa} len={len} k={k}");
                        let swant = i8::mix(sx[k], sy[k], w, Private);
                        assert_eq!((sout[k], sin[k]), (swant, swant), "w={wa} len={len} k={k}");
                    }
                }
            }
        }
    }

    #[test]
    fn sixteen_bit_blends_follow_the_formula_and_stay_between() {
        // Every weight against values at and near the ends of both ranges.
        let edges: Vec<u16> = [0u16, 1, 2, 0x7FFE, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF]
            .into_iter()
            .chain((0..40u16).map(|k| k.wrapping_mul(1657)))
            .collect();
        for wa in (0u32..=65536)
            .step_by(7)
            .chain([1, 32767, 32768, 32769, 65535, 65536])
        {
            let w = (wa, 65536 - wa);
            for &a in &edges {
                for &b in &edges {
                    let m = u16::mix(a, b, w, Private);
                    assert_eq!(i64::from(m), formula(a.into(), b.into(), wa.into(), 16));
                    let (sa, sb) = (a as i16, b as i16);
                    let s = i16::mix(sa, sb, w, Private);
                    assert_eq!(i64::from(s), formula(sa.into(), sb.into(), wa.into(), 16));
                    assert!(s >= sa.min(sb) && s <= sa.max(sb), "{sa} {sb} w={wa}: {s}");
                }
            }
        }
        // Exact at the ends.
        assert_eq!(i16::mix(i16::MIN, i16::MAX, (65536, 0), Private), i16::MIN);
        assert_eq!(i16::mix(i16::MIN, i16::MAX, (0, 65536), Private), i16::MAX);
        assert_eq!(i8::mix(-128, 127, (256, 0), Private), -128);
    }
}
