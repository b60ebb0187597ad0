//! The kernel handle and the two-slice blends: `out = λ·a + (1 − λ)·b` over caller-owned
//! slices.
//!
//! The exactness rules of the element types are documented in [`crate::element`] and on
//! [`Element`]; [`applied_lambda`] returns the λ an integer kernel really applies, so that labels
//! can use the same weight.

use core::cell::Cell;

use crate::arch::{self, Checked, Implementation, Lookahead, Stores};
use crate::element::sealed::Private;
use crate::element::{Element, TILE_BYTES};
use crate::error::{Error, check_len};

/// The λ that the kernels for `T` actually apply when asked for `lambda`.
///
/// For `f64` that is `lambda`; for `f32` it is `lambda` rounded to `f32`; for `u8` and `i8` it is
/// the quantized weight `round(λ·256)/256`, for `u16` and `i16` `round(λ·65536)/65536`. Mix labels with this value
/// to make them agree with the data. A λ of `-0.0` is taken as `0.0`.
///
/// ```
/// use mixup::applied_lambda;
/// assert_eq!(applied_lambda::<f64>(0.3)?, 0.3);
/// assert_eq!(applied_lambda::<u8>(0.3)?, 77.0 / 256.0);
/// assert!(applied_lambda::<u8>(1.5).is_err());
/// assert_eq!(applied_lambda::<f32>(-0.0)?.to_bits(), 0.0f64.to_bits());
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn applied_lambda<T: Element>(lambda: f64) -> Result<f64, Error> {
    Ok(T::applied(
        T::weights(check_lambda(lambda)?, Private),
        Private,
    ))
}

/// The one λ check of the crate: λ in `[0, 1]`, not NaN. Negative zero is accepted and
/// returned as `+0.0`, so no `-0.0` can reach a weight, a label or a reported λ.
pub(crate) fn check_lambda(lambda: f64) -> Result<f64, Error> {
    if (0.0..=1.0).contains(&lambda) {
        // `-0.0 + 0.0` is `+0.0`; every other value is unchanged.
        Ok(lambda + 0.0)
    } else {
        Err(Error::InvalidLambda { value: lambda })
    }
}

/// The weights' two exact cases, which copy instead of computing.
#[derive(Clone, Copy)]
pub(crate) enum Weighting<W> {
    CopyA,
    CopyB,
    Mix(W),
}

/// The weighting of a λ for `T` and the λ it applies.
pub(crate) fn weighting<T: Element>(lambda: f64) -> Result<(Weighting<T::Weights>, f64), Error> {
    let w = T::weights(check_lambda(lambda)?, Private);
    let applied = T::applied(w, Private);
    let plan = if applied == 1.0 {
        Weighting::CopyA
    } else if applied == 0.0 {
        Weighting::CopyB
    } else {
        Weighting::Mix(w)
    };
    Ok((plan, applied))
}

/// The weighting of the last λ asked for: a plan usually has one λ for every sample, so a
/// walk computes it once instead of once per sample (for integers a `libm::round` each), which
/// for samples of a few elements cost more than the blend.
pub(crate) struct Weigher<T: Element> {
    last: Cell<(u64, Option<Weighting<T::Weights>>)>,
}

impl<T: Element> Weigher<T> {
    /// Nothing remembered yet: the starting pair is the NaN λ and its answer, so that it is
    /// right too.
    pub(crate) fn new() -> Weigher<T> {
        Weigher {
            last: Cell::new((f64::NAN.to_bits(), None)),
        }
    }

    /// [`weighting`] of `lambda`, `None` if λ is not in `[0, 1]`.
    #[inline]
    pub(crate) fn get(&self, lambda: f64) -> Option<Weighting<T::Weights>> {
        let bits = lambda.to_bits();
        match self.last.get() {
            (last, w) if last == bits => w,
            _ => {
                let w = weighting::<T>(lambda).ok().map(|(w, _)| w);
                self.last.set((bits, w));
                w
            }
        }
    }
}

/// A choice of kernel implementation, store policy, in-place tile, prefetch policy and thread
/// share: the one handle through which every mixing function can be run with something other
/// than the defaults.
///
/// [`Kernels::best`] (what the free functions use) is the widest implementation the CPU runs,
/// [`Stores::Auto`], [`Lookahead::Auto`], a tile sized from the core's L2 cache and
/// [`DEFAULT_SHARE_BYTES`](Kernels::DEFAULT_SHARE_BYTES). Every implementation, store policy,
/// tile, prefetch policy and share gives the same bits; they differ in speed only, which is
/// what the differential tests and the benches use this handle for.
///
/// ```
/// use mixup::{Implementation, Kernels, Stores};
/// let reference = Kernels::new(Implementation::Scalar)?;
/// let fast = Kernels::best().with_stores(Stores::Streaming);
/// let (a, b) = ([1.0f32, 2.0, 3.0], [3.0f32, 2.0, 1.0]);
/// let (mut x, mut y) = ([0.0f32; 3], [0.0f32; 3]);
/// reference.blend(&mut x, &a, &b, 0.25)?;
/// fast.blend(&mut y, &a, &b, 0.25)?;
/// assert_eq!(x, y);
/// assert!(Kernels::new(Implementation::Avx512).is_ok() == Implementation::Avx512.is_available());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Clone, Copy, Debug)]
pub struct Kernels {
    imp: Checked,
    stores: Stores,
    tile_bytes: usize,
    lookahead: Lookahead,
    share_bytes: usize,
}

impl PartialEq for Kernels {
    fn eq(&self, other: &Kernels) -> bool {
        self.imp.get() == other.imp.get()
            && self.stores == other.stores
            && self.tile_bytes == other.tile_bytes
            && self.lookahead == other.lookahead
            && self.share_bytes == other.share_bytes
    }
}

impl Eq for Kernels {}

impl Default for Kernels {
    fn default() -> Kernels {
        Kernels::best()
    }
}

impl Kernels {
    /// The largest in-place tile, in bytes: 64 KiB with `std`, 2 KiB without (a stack
    /// buffer of this size is the walk's only scratch).
    pub const MAX_TILE_BYTES: usize = TILE_BYTES;

    /// The default least share of each sample a thread of the parallel in-place mix takes:
    /// 16 KiB. Where threads own neighbouring ranges of every sample, each boundary between
    /// them costs about 0.3 µs per call (measured on a 2-core EPYC VM; most likely the cores'
    /// prefetchers run on past the end of their range and pull lines the other core writes),
    /// which for samples under about 32 KiB is more than a second thread saves, so those are
    /// shared out whole instead; and joining a call costs the helpers microseconds, which a
    /// batch under a few hundred KiB does not repay (see `docs/ARCHITECTURE.md`).
    pub const DEFAULT_SHARE_BYTES: usize = 16 << 10;

    /// The widest implementation this machine runs (with `std`: detected once at run time;
    /// without: chosen at compile time from the enabled target features), [`Stores::Auto`], and
    /// the default in-place tile: with `std` an eighth of the core's L2 cache as CPUID or
    /// the OS reports it, between 4 KiB and [`MAX_TILE_BYTES`](Kernels::MAX_TILE_BYTES)
    /// (16 KiB where the size cannot be found); 2 KiB without `std`.
    ///
    /// ```
    /// let k = mixup::Kernels::best();
    /// assert!(k.implementation().is_available());
    /// assert!(k.tile_bytes() <= mixup::Kernels::MAX_TILE_BYTES);
    /// println!("mixup kernels: {}, {} B tiles", k.implementation(), k.tile_bytes());
    /// ```
    #[inline]
    pub fn best() -> Kernels {
        Kernels {
            imp: Checked::best(),
            stores: Stores::Auto,
            tile_bytes: default_tile_bytes(),
            lookahead: Lookahead::Auto,
            share_bytes: Kernels::DEFAULT_SHARE_BYTES,
        }
    }

    /// A named implementation, or [`Error::ImplementationUnavailable`] if this machine cannot
    /// run it.
    ///
    /// ```
    /// use mixup::{Implementation, Kernels};
    /// assert_eq!(Kernels::new(Implementation::Baseline)?.implementation(), Implementation::Baseline);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn new(imp: Implementation) -> Result<Kernels, Error> {
        let imp = Checked::new(imp).ok_or(Error::ImplementationUnavailable { name: imp.name() })?;
        Ok(Kernels {
            imp,
            ..Kernels::best()
        })
    }

    /// The same kernels with another store policy for out-of-place outputs.
    pub fn with_stores(self, stores: Stores) -> Kernels {
        Kernels { stores, ..self }
    }

    /// The same kernels with another tile for the in-place mix: `bytes` is clamped to
    /// `1..=`[`MAX_TILE_BYTES`](Kernels::MAX_TILE_BYTES) and rounded down to whole elements
    /// (at least one) where it is used. The tile changes the speed only, never the bytes; tiny
    /// tiles exist for tests that must cross many tile boundaries.
    ///
    /// ```
    /// use mixup::Kernels;
    /// assert_eq!(Kernels::best().with_tile_bytes(0).tile_bytes(), 1);
    /// assert_eq!(Kernels::best().with_tile_bytes(1 << 30).tile_bytes(), Kernels::MAX_TILE_BYTES);
    /// ```
    pub fn with_tile_bytes(self, bytes: usize) -> Kernels {
        Kernels {
            tile_bytes: bytes.clamp(1, TILE_BYTES),
            ..self
        }
    }

    /// The same kernels with another prefetch policy for the in-place mix. It changes the speed
    /// only, never the bytes.
    pub fn with_lookahead(self, lookahead: Lookahead) -> Kernels {
        Kernels { lookahead, ..self }
    }

    /// The prefetch policy of the in-place mix.
    pub fn lookahead(&self) -> Lookahead {
        self.lookahead
    }

    /// The same kernels with another least share for the parallel in-place mix: each thread of
    /// `mix_inplace_parallel` takes at least `16·bytes` of the batch (so batches smaller than
    /// 32 shares are mixed on one thread), and splits a sample's elements only into ranges of
    /// at least `bytes` (whole cache lines): samples shorter than two shares are shared out
    /// whole instead, or, at 1 KiB and under (unless that is a share or more), left to one
    /// thread. Like the tile, it changes the speed only, never the bytes; small shares exist
    /// for tests that must split small samples over many threads.
    ///
    /// ```
    /// use mixup::Kernels;
    /// assert_eq!(Kernels::best().share_bytes(), Kernels::DEFAULT_SHARE_BYTES);
    /// assert_eq!(Kernels::best().with_share_bytes(0).share_bytes(), 1);
    /// ```
    pub fn with_share_bytes(self, bytes: usize) -> Kernels {
        Kernels {
            share_bytes: bytes.max(1),
            ..self
        }
    }

    /// The least share of every sample one thread of the parallel in-place mix takes, in bytes.
    pub fn share_bytes(&self) -> usize {
        self.share_bytes
    }

    /// The implementation.
    pub fn implementation(&self) -> Implementation {
        self.imp.get()
    }

    /// The store policy.
    pub fn stores(&self) -> Stores {
        self.stores
    }

    /// The in-place tile in bytes.
    pub fn tile_bytes(&self) -> usize {
        self.tile_bytes
    }

    /// The tile length in elements of `T`: at least one, at most the stack buffer.
    pub(crate) fn tile_len<T: Element>(&self) -> usize {
        (self.tile_bytes / core::mem::size_of::<T>().max(1)).max(1)
    }

    pub(crate) fn checked(&self) -> Checked {
        self.imp
    }

    /// `out[k] = λ·a[k] + (1 − λ)·b[k]` for every `k`; returns the λ applied (see
    /// [`applied_lambda`]).
    ///
    /// All three slices must have the same length and λ must be in `[0, 1]`; otherwise the call
    /// returns an `Err` and writes nothing.
    ///
    /// ```
    /// let (a, b) = ([0u8, 100, 255], [255u8, 100, 0]);
    /// let mut out = [0u8; 3];
    /// let applied = mixup::Kernels::best().blend(&mut out, &a, &b, 0.25)?;
    /// assert_eq!((applied, out), (0.25, [191, 100, 64])); // 191.25 and 63.75, to nearest
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn blend<T: Element>(
        &self,
        out: &mut [T],
        a: &[T],
        b: &[T],
        lambda: f64,
    ) -> Result<f64, Error> {
        check_len("a", out.len(), a.len())?;
        check_len("b", out.len(), b.len())?;
        let (plan, applied) = weighting::<T>(lambda)?;
        let stores = self.stores.resolve(core::mem::size_of_val(out));
        run(self.imp, plan, out, a, b, stores);
        Ok(applied)
    }

    /// `a[k] = λ·a[k] + (1 − λ)·b[k]` for every `k`; returns the λ applied.
    ///
    /// The slices must have the same length and λ must be in `[0, 1]`; otherwise the call
    /// returns an `Err` and writes nothing.
    ///
    /// ```
    /// let mut a = [1.0f32, 2.0];
    /// mixup::Kernels::best().blend_inplace(&mut a, &[3.0, 4.0], 0.5)?;
    /// assert_eq!(a, [2.0, 3.0]);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn blend_inplace<T: Element>(
        &self,
        a: &mut [T],
        b: &[T],
        lambda: f64,
    ) -> Result<f64, Error> {
        check_len("b", a.len(), b.len())?;
        let (plan, applied) = weighting::<T>(lambda)?;
        run_inplace(self.imp, plan, a, b);
        Ok(applied)
    }
}

/// The default in-place tile for a core with `l2` bytes of level-2 cache: an eighth of it,
/// rounded down to a power of two, between 4 KiB and [`TILE_BYTES`]; 16 KiB (at most
/// [`TILE_BYTES`]) when the size is unknown. The walk keeps about four tiles live (the saved
/// leader run, the two runs being mixed, the one being prefetched), so an eighth leaves half the
/// L2 to the streams and to a sibling hyperthread; longer runs mean fewer jumps between samples
/// (EPYC with 512 KiB L2, 512×3×224×224 beyond its L3, three runs: 64 KiB tiles 0.96–1.07× the
/// in-place pass for f32 and 0.91–0.99× for u8, 32 KiB 0.91–1.04× and 0.70–0.94×; equal within
/// the noise at smaller batches); 4 KiB is one page, below which every run would start with a
/// cold TLB entry and an untrained prefetcher.
#[cfg(feature = "std")]
pub(crate) fn tile_for_l2(l2: Option<usize>) -> usize {
    let bytes = match l2 {
        Some(l2) => (l2 / 8).clamp(4096, TILE_BYTES),
        None => 16 << 10,
    };
    // A power of two at most `bytes` (and at most TILE_BYTES, itself one).
    (1usize << (usize::BITS - 1 - bytes.leading_zeros())).min(TILE_BYTES)
}

/// [`tile_for_l2`] of this machine's cache, asked once (with `std`); 2 KiB without
/// `std`.
fn default_tile_bytes() -> usize {
    #[cfg(feature = "std")]
    {
        use core::sync::atomic::{AtomicUsize, Ordering};
        static TILE: AtomicUsize = AtomicUsize::new(0);
        match TILE.load(Ordering::Relaxed) {
            0 => {
                let bytes = tile_for_l2(crate::arch::l2_cache_bytes());
                TILE.store(bytes, Ordering::Relaxed);
                bytes
            }
            bytes => bytes,
        }
    }
    #[cfg(not(feature = "std"))]
    {
        crate::element::BUFFER_BYTES
    }
}

/// Writes `out` by `plan` with resolved `stores`. The slices have equal lengths.
#[inline]
pub(crate) fn run<T: Element>(
    imp: Checked,
    plan: Weighting<T::Weights>,
    out: &mut [T],
    a: &[T],
    b: &[T],
    stores: Stores,
) {
    match plan {
        Weighting::CopyA => out.copy_from_slice(a),
        Weighting::CopyB => out.copy_from_slice(b),
        Weighting::Mix(w) => arch::blend(imp, out, a, b, w, stores),
    }
}

/// Updates `a` by `plan`. The slices have equal lengths.
#[inline]
pub(crate) fn run_inplace<T: Element>(
    imp: Checked,
    plan: Weighting<T::Weights>,
    a: &mut [T],
    b: &[T],
) {
    match plan {
        Weighting::CopyA => {}
        Weighting::CopyB => a.copy_from_slice(b),
        Weighting::Mix(w) => arch::blend_inplace(imp, a, b, w),
    }
}

/// [`run_inplace`], prefetching ahead of the loads into the next run `ahead`.
#[inline]
pub(crate) fn run_inplace_ahead<T: Element>(
    imp: Checked,
    plan: Weighting<T::Weights>,
    a: &mut [T],
    b: &[T],
    ahead: arch::Ahead<T>,
) {
    match plan {
        Weighting::Mix(w) => arch::blend_inplace_ahead(imp, a, b, w, ahead),
        other => run_inplace(imp, other, a, b),
    }
}

/// `out[k] = λ·a[k] + (1 − λ)·b[k]` with [`Kernels::best`]; returns the λ applied (see
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
    Kernels::best().blend(out, a, b, lambda)
}

/// `a[k] = λ·a[k] + (1 − λ)·b[k]` with [`Kernels::best`]; returns the λ applied.
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
    Kernels::best().blend_inplace(a, b, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tile_follows_the_l2_within_bounds() {
        assert_eq!(tile_for_l2(None), (16 << 10).min(TILE_BYTES));
        assert_eq!(tile_for_l2(Some(0)), 4096);
        assert_eq!(tile_for_l2(Some(256 << 10)), 32 << 10);
        assert_eq!(tile_for_l2(Some(1 << 20)), 64 << 10);
        assert_eq!(tile_for_l2(Some(1280 << 10)), 64 << 10);
        assert_eq!(tile_for_l2(Some(usize::MAX)), TILE_BYTES);
        for l2 in (0..40)
            .map(|k| 1usize << k)
            .chain([3 << 17, 5 << 19, 48 << 10])
        {
            let t = tile_for_l2(Some(l2));
            assert!(
                t.is_power_of_two() && (4096..=TILE_BYTES).contains(&t),
                "{l2} -> {t}"
            );
        }
        assert_eq!(Kernels::best().tile_bytes(), default_tile_bytes());
    }

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
