//! Which compiled copy of the kernels runs.
//!
//! Every kernel has one body, the plain loops of [`crate::element`]. This module compiles that
//! body several ways and picks one; it depends on `element` only:
//!
//! * [`Implementation::Scalar`]: one element at a time through a call the optimizer cannot
//!   inline; the reference the others are tested against, never picked automatically.
//! * [`Implementation::Baseline`]: the loop vectorized for the target's baseline features (SSE2
//!   on x86-64, NEON on aarch64, simd128 on wasm32 when enabled, scalar code elsewhere).
//! * [`Implementation::Avx2`] and [`Implementation::Avx512`] (x86-64): `#[target_feature]` clones.
//!
//! With `std`, the CPU is queried once and the answer cached in an atomic (the way memchr
//! amortizes its detection); without `std`, the choice is fixed at compile time by
//! `cfg(target_feature)`, so a `-C target-cpu=...` build still gets the wide kernels.

use core::fmt;

use crate::element::Element;
use crate::element::sealed::Private;

#[cfg(feature = "std")]
mod cache;
mod generic;
#[cfg(target_arch = "x86_64")]
mod x86_64;

/// The level-2 cache of one core in bytes, where the machine says (with `std` only).
#[cfg(feature = "std")]
pub(crate) use cache::l2_bytes as l2_cache_bytes;

/// Bytes from which an in-place walk no longer stays in the cache, so that its loads go to
/// memory and are prefetched ahead ([`blend_inplace_ahead`]): with `std` the last-level cache as
/// CPUID or the OS reports it (32 MiB where it cannot be found), asked once; without `std`
/// never, since a target without an operating system has no cache worth the name or no
/// prefetch instruction the crate uses.
pub(crate) fn beyond_cache_bytes() -> usize {
    #[cfg(feature = "std")]
    {
        use core::sync::atomic::{AtomicUsize, Ordering};
        static BYTES: AtomicUsize = AtomicUsize::new(0);
        match BYTES.load(Ordering::Relaxed) {
            0 => {
                let bytes = cache::last_level_bytes().unwrap_or(32 << 20).max(1);
                BYTES.store(bytes, Ordering::Relaxed);
                bytes
            }
            bytes => bytes,
        }
    }
    #[cfg(not(feature = "std"))]
    {
        usize::MAX
    }
}

/// Output size in bytes from which [`Stores::Auto`] writes with non-temporal stores (where the
/// target has them): skipping the read-for-ownership of every output line saves a quarter of
/// the memory traffic once the output no longer stays in the last-level cache. Measured on a
/// Xeon (Sapphire Rapids): 14–29% slower at 4–8 MiB, about even at 16–24 MiB, 4–28% faster
/// from 32 MiB (see `docs/ARCHITECTURE.md`).
pub(crate) const STREAM_THRESHOLD: usize = 32 << 20;

/// How an out-of-place output is written.
///
/// ```
/// use mixup::{Kernels, Stores};
/// let k = Kernels::best().with_stores(Stores::Cached);
/// assert_eq!(k.stores(), Stores::Cached);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Default)]
#[non_exhaustive]
pub enum Stores {
    /// Non-temporal stores when the whole output of one call is at least 32 MiB (where the
    /// target has them), ordinary stores below: the default.
    #[default]
    Auto,
    /// Non-temporal stores at every length, where the target has them.
    Streaming,
    /// Ordinary stores at every length: the output stays in cache.
    Cached,
}

impl Stores {
    /// The one rule for [`Stores::Auto`]: whether an output of `bytes` bytes in total is
    /// streamed. Callers pass the size of everything the call writes (a whole batch, not one
    /// sample), since a batch too big for the cache gains from non-temporal stores even when
    /// each of its samples would fit.
    #[inline]
    pub(crate) fn resolve(self, bytes: usize) -> Stores {
        match self {
            Stores::Auto if bytes >= STREAM_THRESHOLD => Stores::Streaming,
            Stores::Auto => Stores::Cached,
            other => other,
        }
    }
}

/// Whether the in-place mix of long runs (tiles of 16 KiB or more; shorter ones are prefetched
/// a member ahead whole, and samples of a few hundred bytes by the segmented walk) blends with
/// prefetches a fixed distance ahead of its loads, on into the next member's run: the hardware
/// prefetchers, re-trained at every jump between samples, keep too few lines in flight to reach
/// the memory bound alone.
///
/// Like [`Stores`], it changes the speed only, never the bytes; it is a choice so that a bench
/// can put the two side by side in one run, and a test can take the prefetching path on small
/// data.
///
/// ```
/// use mixup::{Kernels, Lookahead};
/// let k = Kernels::best().with_lookahead(Lookahead::Never);
/// assert_eq!(k.lookahead(), Lookahead::Never);
/// assert_eq!(Kernels::best().lookahead(), Lookahead::Auto);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash, Default)]
#[non_exhaustive]
pub enum Lookahead {
    /// For batches at least the size of the last-level cache, as CPUID or the OS reports it
    /// (32 MiB where it cannot be found); never without `std`. The default.
    #[default]
    Auto,
    /// At every size (a prefetch is a hint: on a target without one it does nothing).
    Always,
    /// Never: the hardware prefetchers alone.
    Never,
}

impl Lookahead {
    /// Whether an in-place mix over a batch of `bytes` bytes prefetches ahead.
    #[inline]
    pub(crate) fn resolve(self, bytes: usize) -> bool {
        match self {
            Lookahead::Auto => bytes >= beyond_cache_bytes(),
            Lookahead::Always => true,
            Lookahead::Never => false,
        }
    }
}

/// A compiled copy of the blend kernels.
///
/// All implementations give the same bits; they differ in speed only.
/// [`Kernels::implementation`](crate::Kernels::implementation) says which one the crate uses on
/// this machine.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Implementation {
    /// One element at a time, not vectorized: the reference for the differential tests.
    Scalar,
    /// The plain loop vectorized for the build's baseline target features.
    Baseline,
    /// x86-64 AVX2.
    Avx2,
    /// x86-64 AVX-512 (F and BW).
    Avx512,
}

impl Implementation {
    /// Every implementation, available here or not, slowest first. A slice, so that adding an
    /// implementation is not a breaking change.
    pub const ALL: &'static [Implementation] = &[
        Implementation::Scalar,
        Implementation::Baseline,
        Implementation::Avx2,
        Implementation::Avx512,
    ];

    /// A short lowercase name, e.g. `"sse2"` or `"avx512"`, for logs.
    ///
    /// `Baseline` is named after the vector extension the build targets.
    pub fn name(self) -> &'static str {
        match self {
            Implementation::Scalar => "scalar",
            Implementation::Baseline => BASELINE_NAME,
            Implementation::Avx2 => "avx2",
            Implementation::Avx512 => "avx512",
        }
    }

    /// Whether this implementation can run on this machine (with `std`: on this CPU; without:
    /// with the target features the crate was compiled for).
    pub fn is_available(self) -> bool {
        match self {
            Implementation::Scalar | Implementation::Baseline => true,
            Implementation::Avx2 | Implementation::Avx512 => {
                #[cfg(target_arch = "x86_64")]
                {
                    x86_64::has(self)
                }
                #[cfg(not(target_arch = "x86_64"))]
                {
                    false
                }
            }
        }
    }

    /// The implementations that can run here, slowest first.
    pub fn available() -> impl Iterator<Item = Implementation> {
        Implementation::ALL
            .iter()
            .copied()
            .filter(|i| i.is_available())
    }
}

impl fmt::Display for Implementation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(target_arch = "x86_64")]
const BASELINE_NAME: &str = "sse2";
#[cfg(target_arch = "aarch64")]
const BASELINE_NAME: &str = "neon";
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
const BASELINE_NAME: &str = "simd128";
#[cfg(not(any(
    target_arch = "x86_64",
    target_arch = "aarch64",
    all(target_arch = "wasm32", target_feature = "simd128")
)))]
const BASELINE_NAME: &str = "portable";

/// An implementation known to be available: the only way into the kernels, so that an
/// unavailable `#[target_feature]` clone can never be called.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Checked(Implementation);

impl Checked {
    /// The widest available implementation.
    #[inline]
    pub(crate) fn best() -> Checked {
        #[cfg(target_arch = "x86_64")]
        {
            Checked(x86_64::best())
        }
        #[cfg(not(target_arch = "x86_64"))]
        {
            Checked(Implementation::Baseline)
        }
    }

    /// `imp` if it can run here.
    pub(crate) fn new(imp: Implementation) -> Option<Checked> {
        imp.is_available().then_some(Checked(imp))
    }

    /// The implementation.
    pub(crate) fn get(self) -> Implementation {
        self.0
    }
}

/// `out = λ·a + μ·b` with the implementation `imp`. The slices have equal lengths. `stores`
/// has been resolved by the caller ([`Stores::resolve`]): `Auto` here means cached.
#[inline]
pub(crate) fn blend<T: Element>(
    imp: Checked,
    out: &mut [T],
    a: &[T],
    b: &[T],
    w: T::Weights,
    stores: Stores,
) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    {
        if stores == Stores::Streaming {
            return x86_64::blend_streaming(imp, out, a, b, |o, x, y| {
                blend_cached(imp, o, x, y, w)
            });
        }
    }
    let _ = stores;
    blend_cached(imp, out, a, b, w)
}

#[inline]
fn blend_cached<T: Element>(imp: Checked, out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    match imp.0 {
        Implementation::Scalar => generic::blend_scalar(out, a, b, w),
        _ if is_short::<T>(a.len()) => {
            for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
                *o = T::mix(x, y, w, Private);
            }
        }
        #[cfg(target_arch = "x86_64")]
        Implementation::Avx2 | Implementation::Avx512 => x86_64::blend(imp, out, a, b, w),
        _ => generic::blend(out, a, b, w),
    }
}

/// `a = λ·a + μ·b` with the implementation `imp`. The slices have equal lengths.
#[inline]
pub(crate) fn blend_inplace<T: Element>(imp: Checked, a: &mut [T], b: &[T], w: T::Weights) {
    match imp.0 {
        Implementation::Scalar => generic::blend_inplace_scalar(a, b, w),
        _ if is_short::<T>(a.len()) => {
            for (x, &y) in a.iter_mut().zip(b) {
                *x = T::mix(*x, y, w, Private);
            }
        }
        #[cfg(target_arch = "x86_64")]
        Implementation::Avx2 | Implementation::Avx512 => x86_64::blend_inplace(imp, a, b, w),
        _ => generic::blend_inplace(a, b, w),
    }
}

/// Bytes up to which a blend is done inline, one element at a time, instead of through the
/// vector loop: for runs shorter than one vector the call and the loop's set-up cost more than
/// the elements (samples of one to four `f32`, as tabular rows and token features have, in
/// batches of 2¹⁶–2²⁰). The same [`Element`] body, so the same bits.
const SHORT_BYTES: usize = 16;

/// Whether a run of `len` elements of `T` is blended inline.
#[inline(always)]
fn is_short<T>(len: usize) -> bool {
    len.saturating_mul(core::mem::size_of::<T>()) <= SHORT_BYTES
}

/// Bytes of the in-place loop between two groups of prefetches: eight lines. In a sweep beyond
/// the LLC on a Zen 2 EPYC (`docs/ARCHITECTURE.md`; the bench's `mix_inplace_lookahead_*` rows
/// show the result against the pass), with the same 2 KiB distance, groups of sixteen lines
/// mixed at 0.67–0.93× the in-place pass and groups of eight at 0.98–1.11×, for `f32` and
/// `u8`, B = 256 and 512, line-aligned or not (groups of four: 0.86–1.01×). Most likely a burst
/// of sixteen prefetches beside the hardware prefetchers' own overruns the few buffers a core
/// has for outstanding misses.
const AHEAD_BLOCK: usize = 512;
/// How far ahead of its loads the in-place loop prefetches, in bytes.
const AHEAD_DISTANCE: usize = 2048;

/// Where the loads of an in-place blend go after its `b`: the next run the walk will read, as
/// an address range only (it is never dereferenced, so no borrow of it is needed).
#[derive(Clone, Copy)]
pub(crate) struct Ahead<T> {
    pub(crate) next: *const T,
    pub(crate) len: usize,
}

impl<T> Ahead<T> {
    /// No next run.
    pub(crate) const NONE: Ahead<T> = Ahead {
        next: core::ptr::null(),
        len: 0,
    };
}

/// `a = λ·a + μ·b` with the implementation `imp`, prefetching the stream `b` then `ahead`
/// [`AHEAD_DISTANCE`] bytes ahead of the loads: a software stream prefetcher that needs no
/// training and crosses from one run to the next, for runs beyond the last-level cache.
#[inline]
pub(crate) fn blend_inplace_ahead<T: Element>(
    imp: Checked,
    a: &mut [T],
    b: &[T],
    w: T::Weights,
    ahead: Ahead<T>,
) {
    match imp.0 {
        Implementation::Scalar => generic::blend_inplace_scalar(a, b, w),
        #[cfg(target_arch = "x86_64")]
        Implementation::Avx2 | Implementation::Avx512 => {
            x86_64::blend_inplace_ahead(imp, a, b, w, ahead)
        }
        _ => generic::blend_inplace_ahead(a, b, w, ahead),
    }
}

/// The body of [`blend_inplace_ahead`]: the plain loop block by block, each block preceded by
/// the prefetch of the block [`AHEAD_DISTANCE`] bytes further on.
#[inline(always)]
fn blend_inplace_ahead_body<T: Element>(a: &mut [T], b: &[T], w: T::Weights, ahead: Ahead<T>) {
    let size = core::mem::size_of::<T>().max(1);
    let (block, distance) = ((AHEAD_BLOCK / size).max(1), AHEAD_DISTANCE / size);
    for (k, (x, y)) in a.chunks_mut(block).zip(b.chunks(block)).enumerate() {
        let from = k * block + distance;
        let to = from + x.len();
        if from < b.len() {
            prefetch(&b[from..to.min(b.len())]);
        }
        if to > b.len() {
            let skip = from.saturating_sub(b.len());
            let end = (to - b.len()).min(ahead.len);
            if skip < end {
                prefetch_raw(ahead.next.wrapping_add(skip), (end - skip) * size);
            }
        }
        crate::element::blend_slices_inplace(x, y, w);
    }
}

/// Runs `f` compiled for `imp`'s target features: the dispatch for kernels that are not blends
/// (the fused collate). `f` and the functions it calls must be `#[inline(always)]` (a closure
/// called once is inlined anyway) so that their loops are generated inside the
/// `#[target_feature]` function; the result is the same with every implementation, since the
/// body has no FMA to contract and integer code is exact.
#[inline]
pub(crate) fn with_features<R>(imp: Checked, f: impl FnOnce() -> R) -> R {
    match imp.0 {
        #[cfg(target_arch = "x86_64")]
        Implementation::Avx2 | Implementation::Avx512 => x86_64::with_features(imp, f),
        // The scalar reference is the same body with the baseline features: only the blends
        // have a separately written one-at-a-time loop.
        _ => f(),
    }
}

/// Asks the CPU to start loading `data` into the cache; a hint only, nothing is read. Used to
/// overlap the memory latency of the next sample of a cycle with the mixing of the current one.
#[inline]
pub(crate) fn prefetch<T>(data: &[T]) {
    prefetch_raw(data.as_ptr(), core::mem::size_of_val(data));
}

/// [`prefetch`] of the `bytes` bytes from `start`, which need not be valid: a prefetch never
/// faults.
#[inline]
pub(crate) fn prefetch_raw<T>(start: *const T, bytes: usize) {
    #[cfg(all(target_arch = "x86_64", not(miri)))]
    x86_64::prefetch(start.cast::<u8>(), bytes);
    #[cfg(not(all(target_arch = "x86_64", not(miri))))]
    let _ = (start, bytes);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::element::sealed::Private;
    use std::vec::Vec;

    /// The prefetching in-place loop of every implementation against the one-at-a-time
    /// reference, at lengths around its blocks and its distance, at every alignment of `a` and
    /// `b`, with no next run, a real one, and one that is only an address.
    fn ahead_matches_reference<T: Element + core::fmt::Debug + PartialEq>(
        value: impl Fn(usize) -> T,
    ) {
        let size = core::mem::size_of::<T>();
        let mut lengths: Vec<usize> = (0..70).collect();
        for edge in [
            AHEAD_BLOCK,
            AHEAD_DISTANCE,
            AHEAD_BLOCK + AHEAD_DISTANCE,
            3 * AHEAD_DISTANCE,
        ] {
            let e = edge / size;
            lengths.extend([e - 1, e, e + 1]);
        }
        if cfg!(miri) {
            // The interpreter is slow: short lengths, and one block boundary.
            lengths.retain(|&n| n < 24 || n == AHEAD_BLOCK / size + 1);
        }
        let pool: Vec<T> = (0..4 * AHEAD_DISTANCE).map(&value).collect();
        let other: Vec<T> = (0..4 * AHEAD_DISTANCE).map(|k| value(k * 31 + 5)).collect();
        let w = T::weights(0.3, Private);
        for &n in &lengths {
            for (oa, ob) in [(0, 0), (1, 0), (0, 3), (2, 1)] {
                let b = &other[ob..ob + n];
                let mut want: Vec<T> = pool[oa..oa + n].to_vec();
                generic::blend_inplace_scalar(&mut want, b, w);
                let nexts = [
                    Ahead::NONE,
                    Ahead {
                        next: pool.as_ptr(),
                        len: pool.len(),
                    },
                    Ahead {
                        next: core::ptr::null::<T>().wrapping_add(12_345),
                        len: 1 << 20,
                    },
                ];
                for imp in Implementation::available() {
                    for next in nexts {
                        let mut got: Vec<T> = pool[oa..oa + n].to_vec();
                        blend_inplace_ahead(Checked::new(imp).unwrap(), &mut got, b, w, next);
                        assert_eq!(got, want, "{imp} n={n} offsets {oa} {ob}");
                    }
                }
            }
        }
    }

    #[test]
    fn prefetching_loop_matches_the_reference() {
        ahead_matches_reference::<f32>(|k| (k % 1000) as f32 * 0.37 - 100.0);
        ahead_matches_reference::<u8>(|k| (k * 7919 % 251) as u8);
        ahead_matches_reference::<i16>(|k| (k * 7919 % 65_521) as i16);
        ahead_matches_reference::<f64>(|k| (k % 977) as f64 * 1.3);
    }
}
