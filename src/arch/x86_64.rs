//! x86-64: `#[target_feature]` clones of the plain loops, CPU detection, and non-temporal stores
//! for large outputs.

#[cfg(not(miri))]
use core::arch::x86_64::{
    __m128i, __m512i, _mm_loadu_si128, _mm_sfence, _mm_stream_si128, _mm512_loadu_si512,
    _mm512_stream_si512,
};
#[cfg(not(miri))]
use core::mem::size_of;

use super::{Ahead, Checked, Implementation};
use crate::element::{Element, blend_slices, blend_slices_inplace};

/// Whether `imp` (AVX2 or AVX-512) can run here.
pub(super) fn has(imp: Implementation) -> bool {
    match imp {
        Implementation::Avx2 => has_avx2(),
        Implementation::Avx512 => has_avx512(),
        Implementation::Scalar | Implementation::Baseline => true,
    }
}

fn has_avx2() -> bool {
    #[cfg(feature = "std")]
    {
        cfg!(target_feature = "avx2") || std::is_x86_feature_detected!("avx2")
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(target_feature = "avx2")
    }
}

fn has_avx512() -> bool {
    #[cfg(feature = "std")]
    {
        cfg!(all(target_feature = "avx512f", target_feature = "avx512bw"))
            || (std::is_x86_feature_detected!("avx512f")
                && std::is_x86_feature_detected!("avx512bw"))
    }
    #[cfg(not(feature = "std"))]
    {
        cfg!(all(target_feature = "avx512f", target_feature = "avx512bw"))
    }
}

fn detect() -> Implementation {
    if has_avx512() {
        Implementation::Avx512
    } else if has_avx2() {
        Implementation::Avx2
    } else {
        Implementation::Baseline
    }
}

/// The widest implementation this CPU runs. With `std` the CPU is asked once and the answer
/// kept in an atomic (a race only makes two threads detect the same thing); without `std` the
/// answer is a compile-time constant.
#[inline]
pub(super) fn best() -> Implementation {
    #[cfg(feature = "std")]
    {
        use core::sync::atomic::{AtomicU8, Ordering};
        const UNKNOWN: u8 = 0;
        static BEST: AtomicU8 = AtomicU8::new(UNKNOWN);
        let code = |imp| match imp {
            Implementation::Avx512 => 3,
            Implementation::Avx2 => 2,
            _ => 1,
        };
        match BEST.load(Ordering::Relaxed) {
            3 => Implementation::Avx512,
            2 => Implementation::Avx2,
            1 => Implementation::Baseline,
            _ => {
                let imp = detect();
                BEST.store(code(imp), Ordering::Relaxed);
                imp
            }
        }
    }
    #[cfg(not(feature = "std"))]
    {
        detect()
    }
}

#[target_feature(enable = "avx2")]
fn blend_avx2<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    blend_slices(out, a, b, w);
}

#[target_feature(enable = "avx2")]
fn blend_inplace_avx2<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    blend_slices_inplace(a, b, w);
}

#[target_feature(enable = "avx2")]
fn blend_inplace_ahead_avx2<T: Element>(a: &mut [T], b: &[T], w: T::Weights, ahead: Ahead<T>) {
    super::blend_inplace_ahead_body(a, b, w, ahead);
}

#[target_feature(enable = "avx512f,avx512bw")]
fn blend_inplace_ahead_avx512<T: Element>(a: &mut [T], b: &[T], w: T::Weights, ahead: Ahead<T>) {
    super::blend_inplace_ahead_body(a, b, w, ahead);
}

#[target_feature(enable = "avx512f,avx512bw")]
fn blend_avx512<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    blend_slices(out, a, b, w);
}

#[target_feature(enable = "avx512f,avx512bw")]
fn blend_inplace_avx512<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    blend_slices_inplace(a, b, w);
}

/// The AVX2 or AVX-512 clone of the out-of-place loop.
#[inline]
pub(super) fn blend<T: Element>(imp: Checked, out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    match imp.0 {
        // SAFETY: a `Checked` holds only implementations that `has` confirmed on this CPU (or
        // that the build's target features guarantee), so AVX-512 F and BW are present.
        Implementation::Avx512 => unsafe { blend_avx512(out, a, b, w) },
        // SAFETY: as above, AVX2 is present.
        Implementation::Avx2 => unsafe { blend_avx2(out, a, b, w) },
        _ => super::generic::blend(out, a, b, w),
    }
}

/// The AVX2 or AVX-512 clone of the in-place loop.
#[inline]
pub(super) fn blend_inplace<T: Element>(imp: Checked, a: &mut [T], b: &[T], w: T::Weights) {
    match imp.0 {
        // SAFETY: a `Checked` holds only implementations that `has` confirmed on this CPU, so
        // AVX-512 F and BW are present.
        Implementation::Avx512 => unsafe { blend_inplace_avx512(a, b, w) },
        // SAFETY: as above, AVX2 is present.
        Implementation::Avx2 => unsafe { blend_inplace_avx2(a, b, w) },
        _ => super::generic::blend_inplace(a, b, w),
    }
}

/// The AVX2 or AVX-512 clone of the prefetching in-place loop.
#[inline]
pub(super) fn blend_inplace_ahead<T: Element>(
    imp: Checked,
    a: &mut [T],
    b: &[T],
    w: T::Weights,
    ahead: Ahead<T>,
) {
    match imp.0 {
        // SAFETY: a `Checked` holds only implementations that `has` confirmed on this CPU, so
        // AVX-512 F and BW are present.
        Implementation::Avx512 => unsafe { blend_inplace_ahead_avx512(a, b, w, ahead) },
        // SAFETY: as above, AVX2 is present.
        Implementation::Avx2 => unsafe { blend_inplace_ahead_avx2(a, b, w, ahead) },
        _ => super::generic::blend_inplace_ahead(a, b, w, ahead),
    }
}

#[target_feature(enable = "avx2")]
fn call_avx2<R>(f: impl FnOnce() -> R) -> R {
    f()
}

#[target_feature(enable = "avx512f,avx512bw")]
fn call_avx512<R>(f: impl FnOnce() -> R) -> R {
    f()
}

/// `f()` inside an AVX2 or AVX-512 function (see [`super::with_features`]).
#[inline]
pub(super) fn with_features<R>(imp: Checked, f: impl FnOnce() -> R) -> R {
    match imp.0 {
        // SAFETY: a `Checked` holds only implementations that `has` confirmed on this CPU, so
        // AVX-512 F and BW are present.
        Implementation::Avx512 => unsafe { call_avx512(f) },
        // SAFETY: as above, AVX2 is present.
        Implementation::Avx2 => unsafe { call_avx2(f) },
        _ => f(),
    }
}

/// `kernel(out, a, b)` with the output written by non-temporal stores: each chunk is computed
/// into a stack buffer that stays in L1, then streamed to `out` in whole cache lines where
/// possible (64-byte stores with AVX-512, 16-byte ones otherwise). The values are the kernel's
/// own, so the result is bit for bit that of the cached path. Not under Miri, which does not
/// model non-temporal stores.
#[cfg(not(miri))]
pub(super) fn blend_streaming<T: Element>(
    imp: Checked,
    out: &mut [T],
    a: &[T],
    b: &[T],
    kernel: impl Fn(&mut [T], &[T], &[T]),
) {
    // Start the streamed part on a cache line; the elements before it go through the cache.
    // Element sizes divide 64 and elements are aligned to their size, so the head is a whole
    // number of elements.
    let misalign = out.as_ptr() as usize % 64;
    let head = (((64 - misalign) % 64) / size_of::<T>()).min(out.len());
    let (out_head, out) = out.split_at_mut(head);
    let ((a_head, a), (b_head, b)) = (a.split_at(head), b.split_at(head));
    kernel(out_head, a_head, b_head);

    let mut buffer = T::BUFFER;
    let buffer = buffer.as_mut();
    let chunk = buffer.len();
    for ((o, x), y) in out
        .chunks_mut(chunk)
        .zip(a.chunks(chunk))
        .zip(b.chunks(chunk))
    {
        let staged = &mut buffer[..o.len()];
        kernel(staged, x, y);
        // `o` starts on a cache line: the head split above made `out` 64-byte aligned, and every
        // chunk before this one is a whole number of 2 KiB.
        if imp.0 == Implementation::Avx512 {
            // SAFETY: a `Checked` holds only implementations confirmed on this CPU, so AVX-512 F
            // is present; `o` is 64-byte aligned (above) and as long as `staged`.
            unsafe { stream_copy_avx512(o, staged) };
        } else {
            // SAFETY: `o` is 64-byte aligned (above), so 16-byte aligned, and as long as
            // `staged`; SSE2 is part of the x86-64 baseline.
            unsafe { stream_copy_sse2(o, staged) };
        }
    }
    // Non-temporal stores are weakly ordered: fence them before anyone else may read `out`.
    // SAFETY: `sfence` is SSE, part of the x86-64 baseline; it has no memory operands.
    unsafe { _mm_sfence() };
}

/// `dst.copy_from_slice(src)` with 16-byte non-temporal stores for the whole 16-byte blocks.
///
/// # Safety
///
/// `dst` must start on a 16-byte boundary (or be empty), as `movntdq` requires, and `dst` and
/// `src` must have the same length.
#[cfg(not(miri))]
#[inline]
unsafe fn stream_copy_sse2<T: Element>(dst: &mut [T], src: &[T]) {
    debug_assert_eq!(dst.len(), src.len());
    debug_assert_eq!(dst.as_ptr() as usize % 16, 0);
    let per_block = 16 / size_of::<T>();
    let blocks = dst.len() / per_block;
    let d = dst.as_mut_ptr().cast::<__m128i>();
    let s = src.as_ptr().cast::<__m128i>();
    for k in 0..blocks {
        // SAFETY: block `k < blocks` covers bytes 16k..16k+16 of both slices, which have the same
        // length (the caller's contract) of at least 16·blocks bytes; `d` is 16-byte aligned
        // (the caller's contract) as `_mm_stream_si128` requires, and `_mm_loadu_si128` takes
        // any alignment. SSE2 is part of the x86-64 baseline. The element types are plain data,
        // so copying their bytes is copying them.
        unsafe { _mm_stream_si128(d.add(k), _mm_loadu_si128(s.add(k))) };
    }
    let done = blocks * per_block;
    dst[done..].copy_from_slice(&src[done..]);
}

/// [`stream_copy_sse2`] with 64-byte stores, one whole cache line each.
///
/// # Safety
///
/// The CPU must have AVX-512 F, `dst` must start on a 64-byte boundary (or be empty), as
/// `vmovntdq zmm` requires, and `dst` and `src` must have the same length.
#[cfg(not(miri))]
#[target_feature(enable = "avx512f")]
unsafe fn stream_copy_avx512<T: Element>(dst: &mut [T], src: &[T]) {
    debug_assert_eq!(dst.len(), src.len());
    debug_assert_eq!(dst.as_ptr() as usize % 64, 0);
    let per_block = 64 / size_of::<T>();
    let blocks = dst.len() / per_block;
    let d = dst.as_mut_ptr().cast::<__m512i>();
    let s = src.as_ptr().cast::<__m512i>();
    for k in 0..blocks {
        // SAFETY: as in `stream_copy_sse2`, with 64-byte blocks: both slices hold at least
        // 64·blocks bytes, `d` is 64-byte aligned (the caller's contract) as
        // `_mm512_stream_si512` requires, the load is unaligned, and AVX-512 F is present (the
        // caller's contract) and enabled for this function.
        unsafe { _mm512_stream_si512(d.add(k), _mm512_loadu_si512(s.add(k))) };
    }
    let done = blocks * per_block;
    dst[done..].copy_from_slice(&src[done..]);
}

/// Prefetches every cache line that the `bytes` bytes from `start` touch into L1
/// (`prefetcht0`).
#[cfg(not(miri))]
#[inline]
pub(super) fn prefetch(start: *const u8, bytes: usize) {
    use core::arch::x86_64::{_MM_HINT_T0, _mm_prefetch};
    let start = start.cast::<i8>();
    if bytes == 0 {
        return;
    }
    // From the line holding the first byte to the one holding the last, so that a run that
    // starts mid-line still has its last line fetched. The callers' ranges lie within one
    // allocation, at most `isize::MAX` bytes, so the sum does not overflow.
    let lead = start as usize % 64;
    let first = start.wrapping_sub(lead);
    for line in 0..(lead + bytes).div_ceil(64) {
        // SAFETY: a prefetch is a hint that never faults and has no effect on the program's
        // memory; the address is a line that `data` touches (`wrapping_sub`/`wrapping_add`
        // make no in-bounds claim). SSE is baseline.
        unsafe { _mm_prefetch::<_MM_HINT_T0>(first.wrapping_add(line * 64)) };
    }
}
