//! Mixing a batch with a λ, or a CutMix rectangle, of its own for every sample.
//!
//! The in-place functions follow the permutation's cycles with one stack tile, as
//! [`mix_batch_inplace`](crate::mix_batch_inplace) does for one λ, so no batch-sized (or even
//! sample-sized) scratch is needed whatever each sample does: sample `i` only ever reads its
//! partner's **original** values, and samples that are not mixed are never written.

use crate::arch::{Checked, STREAM_THRESHOLD, prefetch};
use crate::cutmix::unpasted_fraction;
use crate::error::{Error, check_len};
use crate::kernels::{Element, Stores, applied_lambda, plan, run, run_inplace};
use crate::layout::{ImageLayout, Rect};
use crate::pairing::{check_permutation, for_each_cycle};

/// What happens to one sample of a batch: kept, blended with its partner (mixup), or given a
/// rectangle of its partner (CutMix).
///
/// [`Mixup::draw_per_sample`](crate::Mixup::draw_per_sample) writes one per sample;
/// [`mix_samples`] and [`mix_samples_inplace`] carry them out.
///
/// ```
/// use mixup::{ImageLayout, Rect, SampleOp, mix_samples_inplace};
/// // Three 1×2×2 images; sample 0 is blended with 1, sample 1 gets a pixel of 2, 2 is kept.
/// let mut batch = [0.0f32, 0.0, 0.0, 0.0, 4.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 8.0];
/// let ops = [
///     SampleOp::Blend(0.5),
///     SampleOp::Paste(Rect { y1: 0, y2: 1, x1: 0, x2: 1 }),
///     SampleOp::Keep,
/// ];
/// let mut lambdas = [0.0; 3];
/// mix_samples_inplace(&mut batch, &ImageLayout::hw(2, 2), &[1, 2, 0], &ops, &mut lambdas)?;
/// assert_eq!(batch, [2.0, 2.0, 2.0, 2.0, 8.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 8.0]);
/// assert_eq!(lambdas, [0.5, 0.75, 1.0]); // CutMix: the fraction of its own pixels kept
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub enum SampleOp {
    /// The sample keeps its data exactly; its λ is 1.
    #[default]
    Keep,
    /// Mixup: `λ·x_i + (1 − λ)·x_partner` with this λ in `[0, 1]`.
    Blend(f64),
    /// CutMix: the rectangle (which must lie inside the image) is replaced by the partner's
    /// pixels there; λ is the fraction of pixels not replaced.
    Paste(Rect),
}

/// Checks every op against the image: λ in `[0, 1]`, rectangles inside the image.
pub(crate) fn check_ops(layout: &ImageLayout, ops: &[SampleOp]) -> Result<(), Error> {
    for (i, op) in ops.iter().enumerate() {
        match *op {
            SampleOp::Keep => {}
            SampleOp::Blend(lambda) => {
                applied_lambda::<f64>(lambda)?;
            }
            SampleOp::Paste(rect) => layout.check_rect(i, &rect)?,
        }
    }
    Ok(())
}

/// The λ that `op` gives its sample for data of type `T` (already checked by [`check_ops`]).
pub(crate) fn op_lambda<T: Element>(layout: &ImageLayout, op: &SampleOp) -> f64 {
    match *op {
        SampleOp::Keep => 1.0,
        SampleOp::Blend(lambda) => applied_lambda::<T>(lambda).unwrap_or(1.0),
        SampleOp::Paste(rect) => unpasted_fraction(layout.height, layout.width, &rect),
    }
}

/// Whether `op` writes anything into sample `i`, whose partner is `j`.
fn writes<T: Element>(op: &SampleOp, i: usize, j: usize) -> bool {
    i != j
        && match *op {
            SampleOp::Keep => false,
            SampleOp::Blend(lambda) => applied_lambda::<T>(lambda).is_ok_and(|a| a != 1.0),
            SampleOp::Paste(rect) => !rect.is_empty(),
        }
}

/// How an out-of-place batch is written: the whole batch decides, as in `mix_batch`, since its
/// samples are written one after the other and a batch too big for the cache gains from
/// non-temporal stores even when each sample would fit.
fn stores_for<T>(dst: &[T]) -> Stores {
    if core::mem::size_of_val(dst) >= STREAM_THRESHOLD {
        Stores::Streaming
    } else {
        Stores::Cached
    }
}

/// Checks the batch length against `partners.len()` samples of `sample_len`.
fn check_batch(what: &'static str, len: usize, sample_len: usize, n: usize) -> Result<(), Error> {
    let expected = n.checked_mul(sample_len).ok_or(Error::SizeOverflow)?;
    check_len(what, expected, len)
}

/// Cycle following with one stack tile and a different operation for every sample: the loop of
/// [`mix_batch_inplace`](crate::mix_batch_inplace), generalized.
///
/// For every cycle of `partners` with a member `i` for which `active(i)` holds, and for every
/// tile `start..start + len` of the sample, calls `op(i, start, x, y)` for each active member
/// in cycle order, where `x` is `batch[i][start..start + len]` and `y` is the same range of the
/// partner's **original** values (the partner is processed after `i`, and the last member reads
/// the leader's range saved on the stack before the leader was written). Inactive members are
/// never written but still serve as sources.
///
/// While member `i` is processed, the tile of the member after next is prefetched, as
/// `mix_batch_inplace` does: that address is an unrelated jump the hardware prefetchers cannot
/// foresee.
///
/// The caller has checked that `batch.len() == partners.len() * sample_len` and that `partners`
/// is a permutation. `tile` may have any length (`T::BUFFER`, 2 KiB, is the measured choice);
/// an empty one does nothing.
pub(crate) fn cycle_tiles<T: Copy>(
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    tile: &mut [T],
    active: impl Fn(usize) -> bool,
    mut op: impl FnMut(usize, usize, &mut [T], &[T]),
) {
    if sample_len == 0 || tile.is_empty() {
        return;
    }
    let tile_len = tile.len();
    for_each_cycle(partners, |leader| {
        // One walk decides whether the cycle writes anything, and whether its last member (the
        // only reader of the saved tile) does.
        let mut any = false;
        let mut i = leader;
        let last_active = loop {
            let a = active(i);
            any |= a;
            if partners[i] == leader {
                break a;
            }
            i = partners[i];
        };
        if !any {
            return;
        }
        let mut start = 0;
        while start < sample_len {
            let len = tile_len.min(sample_len - start);
            let saved = &mut tile[..len];
            if last_active {
                saved.copy_from_slice(&batch[leader * sample_len + start..][..len]);
            }
            let mut i = leader;
            loop {
                let j = partners[i];
                if j == leader {
                    if last_active {
                        op(i, start, &mut batch[i * sample_len + start..][..len], saved);
                    }
                    break;
                }
                let k = partners[j];
                if k != leader && active(j) {
                    prefetch(&batch[k * sample_len + start..][..len]);
                }
                if active(i) {
                    let (x, y) =
                        two_rows(batch, i * sample_len + start, j * sample_len + start, len);
                    op(i, start, x, y);
                }
                i = j;
            }
            start += len;
        }
    });
}

/// The ranges `x..x + len` (mutable) and `y..y + len` of `batch`, which do not overlap.
#[inline]
fn two_rows<T>(batch: &mut [T], x: usize, y: usize, len: usize) -> (&mut [T], &[T]) {
    if x < y {
        let (lo, hi) = batch.split_at_mut(y);
        (&mut lo[x..x + len], &hi[..len])
    } else {
        let (lo, hi) = batch.split_at_mut(x);
        (&mut hi[..len], &lo[y..y + len])
    }
}

/// Applies `op` to the range `start..start + x.len()` of one sample, in place, reading the
/// partner's original range `y`.
#[inline]
fn apply_tile<T: Element>(
    imp: Checked,
    layout: &ImageLayout,
    op: &SampleOp,
    start: usize,
    x: &mut [T],
    y: &[T],
) {
    match *op {
        SampleOp::Keep => {}
        SampleOp::Blend(lambda) => {
            if let Ok((p, _)) = plan::<T>(lambda) {
                run_inplace(imp, p, x, y);
            }
        }
        SampleOp::Paste(rect) => layout.for_each_run(&rect, start, start + x.len(), |s, e| {
            x[s - start..e - start].copy_from_slice(&y[s - start..e - start]);
        }),
    }
}

/// Mixes a batch out of place with a λ per sample: sample `i` of `dst` becomes
/// `λ_i·src[i] + (1 − λ_i)·src[partners[i]]`.
///
/// `lambdas` holds one λ per sample, each in `[0, 1]`; on return it holds the λ each sample
/// actually got (see [`applied_lambda`](crate::applied_lambda): rounded to `f32` for `f32`
/// data, quantized for `u8`/`u16`), ready for the labels. A sample with λ = 1 is copied exactly.
/// The batch size is `partners.len()`, a permutation of `0..B`. On any bad input the call
/// returns an `Err` and writes nothing, `lambdas` included.
///
/// ```
/// let src = [0u8, 0, 200, 200]; // two samples of two elements
/// let mut dst = [0u8; 4];
/// let mut lambdas = [0.25, 1.0];
/// mixup::mix_batch_per_sample(&mut dst, &src, 2, &[1, 0], &mut lambdas)?;
/// assert_eq!(dst, [150, 150, 200, 200]);
/// assert_eq!(lambdas, [0.25, 1.0]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_batch_per_sample<T: Element>(
    dst: &mut [T],
    src: &[T],
    sample_len: usize,
    partners: &[usize],
    lambdas: &mut [f64],
) -> Result<(), Error> {
    let n = partners.len();
    check_batch("src", src.len(), sample_len, n)?;
    check_batch("dst", dst.len(), sample_len, n)?;
    check_len("lambdas", n, lambdas.len())?;
    check_permutation(partners)?;
    for &lambda in lambdas.iter() {
        applied_lambda::<T>(lambda)?;
    }
    for l in lambdas.iter_mut() {
        *l = applied_lambda::<T>(*l).unwrap_or(1.0);
    }
    if sample_len == 0 {
        return Ok(());
    }
    let (imp, stores) = (Checked::best(), stores_for(dst));
    for (i, out) in dst.chunks_exact_mut(sample_len).enumerate() {
        let a = &src[i * sample_len..][..sample_len];
        let j = partners[i];
        if i == j {
            // Mixing a sample with itself gives it back; copying also keeps NaN payloads, as the
            // in-place mix, which leaves such samples alone, does (and as `mix_batch` does).
            out.copy_from_slice(a);
            continue;
        }
        if let Ok((p, _)) = plan::<T>(lambdas[i]) {
            run(imp, p, out, a, &src[j * sample_len..][..sample_len], stores);
        }
    }
    Ok(())
}

/// Mixes a batch in place with a λ per sample: sample `i` becomes
/// `λ_i·x[i] + (1 − λ_i)·x[partners[i]]`, every sample mixed with its partner's **original**
/// values, with no copy of the batch.
///
/// The permutation is followed cycle by cycle with one 2 KiB tile on the stack; samples
/// with λ = 1 (and samples paired with themselves) are never written, and a cycle in which no
/// sample changes is skipped. The result is bit for bit that of [`mix_batch_per_sample`], and
/// with all λ equal that of [`mix_batch_inplace`](crate::mix_batch_inplace). `lambdas` is read
/// and then overwritten with the λ applied, as in [`mix_batch_per_sample`]. On any bad input the
/// call returns an `Err` and writes nothing.
///
/// ```
/// let mut batch = [0.0f32, 10.0, 20.0]; // three samples of one element
/// let mut lambdas = [0.5, 1.0, 0.75];
/// mixup::mix_batch_per_sample_inplace(&mut batch, 1, &[1, 2, 0], &mut lambdas)?;
/// assert_eq!(batch, [5.0, 10.0, 15.0]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_batch_per_sample_inplace<T: Element>(
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambdas: &mut [f64],
) -> Result<(), Error> {
    let n = partners.len();
    check_batch("batch", batch.len(), sample_len, n)?;
    check_len("lambdas", n, lambdas.len())?;
    check_permutation(partners)?;
    for &lambda in lambdas.iter() {
        applied_lambda::<T>(lambda)?;
    }
    for l in lambdas.iter_mut() {
        *l = applied_lambda::<T>(*l).unwrap_or(1.0);
    }
    let lambdas = &*lambdas;
    let imp = Checked::best();
    let mut tile = T::BUFFER;
    cycle_tiles(
        batch,
        sample_len,
        partners,
        tile.as_mut(),
        |i| partners[i] != i && lambdas[i] != 1.0,
        |i, _, x, y| {
            if let Ok((p, _)) = plan::<T>(lambdas[i]) {
                run_inplace(imp, p, x, y);
            }
        },
    );
    Ok(())
}

/// Checks everything [`mix_samples`] and [`mix_samples_inplace`] need, and returns the sample
/// length.
fn check_samples(
    layout: &ImageLayout,
    partners: &[usize],
    ops: &[SampleOp],
    lambdas: &[f64],
) -> Result<usize, Error> {
    let sample_len = layout.sample_len()?;
    let n = partners.len();
    check_len("ops", n, ops.len())?;
    check_len("lambdas", n, lambdas.len())?;
    check_permutation(partners)?;
    check_ops(layout, ops)?;
    Ok(sample_len)
}

/// Carries out one [`SampleOp`] per sample, out of place: sample `i` of `dst` is `src[i]` kept,
/// blended with `src[partners[i]]`, or with a rectangle of `src[partners[i]]` pasted in.
///
/// `lambdas` receives the λ of every sample: 1 for [`Keep`](SampleOp::Keep), the λ applied for
/// [`Blend`](SampleOp::Blend) (quantized for integer data), and for
/// [`Paste`](SampleOp::Paste) the exact fraction of the sample's own pixels that were kept,
/// `(H·W − area)/(H·W)` (1 for an image without pixels). The batch size is `partners.len()`; on
/// any bad input (lengths, a permutation, a λ outside `[0, 1]`, a rectangle outside the image)
/// the call returns an `Err` and writes nothing.
///
/// ```
/// use mixup::{ImageLayout, Rect, SampleOp};
/// let layout = ImageLayout::nhwc(2, 1, 2); // one row of two pixels of two channels
/// let src = [1u8, 2, 3, 4, 5, 6, 7, 8];
/// let mut dst = [0u8; 8];
/// let ops = [SampleOp::Paste(Rect { y1: 0, y2: 1, x1: 1, x2: 2 }), SampleOp::Keep];
/// let mut lambdas = [0.0; 2];
/// mixup::mix_samples(&mut dst, &src, &layout, &[1, 0], &ops, &mut lambdas)?;
/// assert_eq!(dst, [1, 2, 7, 8, 5, 6, 7, 8]);
/// assert_eq!(lambdas, [0.5, 1.0]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_samples<T: Element>(
    dst: &mut [T],
    src: &[T],
    layout: &ImageLayout,
    partners: &[usize],
    ops: &[SampleOp],
    lambdas: &mut [f64],
) -> Result<(), Error> {
    let sample_len = check_samples(layout, partners, ops, lambdas)?;
    let n = partners.len();
    check_batch("src", src.len(), sample_len, n)?;
    check_batch("dst", dst.len(), sample_len, n)?;
    for (l, op) in lambdas.iter_mut().zip(ops) {
        *l = op_lambda::<T>(layout, op);
    }
    if sample_len == 0 {
        return Ok(());
    }
    let (imp, stores) = (Checked::best(), stores_for(dst));
    for (i, out) in dst.chunks_exact_mut(sample_len).enumerate() {
        let a = &src[i * sample_len..][..sample_len];
        let b = &src[partners[i] * sample_len..][..sample_len];
        match ops[i] {
            // A sample mixed with itself is copied, as in `mix_batch_per_sample`.
            SampleOp::Keep => out.copy_from_slice(a),
            SampleOp::Blend(_) if partners[i] == i => out.copy_from_slice(a),
            SampleOp::Blend(lambda) => {
                if let Ok((p, _)) = plan::<T>(lambda) {
                    run(imp, p, out, a, b, stores);
                }
            }
            SampleOp::Paste(rect) => {
                out.copy_from_slice(a);
                layout.for_each_run(&rect, 0, sample_len, |s, e| {
                    out[s..e].copy_from_slice(&b[s..e]);
                });
            }
        }
    }
    Ok(())
}

/// Carries out one [`SampleOp`] per sample in place, every sample reading its partner's
/// **original** values, with no copy of the batch: [`mix_samples`] without the second buffer.
///
/// Cycle following with one 2 KiB stack tile, as for
/// [`mix_batch_per_sample_inplace`]; kept samples, samples paired with themselves and empty
/// rectangles write nothing, and CutMix copies whole row runs. The result is bit for bit that of
/// [`mix_samples`], `lambdas` gets the same values, and on any bad input the call returns an
/// `Err` and writes nothing.
///
/// ```
/// use mixup::{ImageLayout, Rect, SampleOp};
/// // Two 2×2 single-channel images; each gets the other's top row.
/// let mut batch = [1u8, 1, 1, 1, 2, 2, 2, 2];
/// let top = SampleOp::Paste(Rect { y1: 0, y2: 1, x1: 0, x2: 2 });
/// let mut lambdas = [0.0; 2];
/// mixup::mix_samples_inplace(&mut batch, &ImageLayout::hw(2, 2), &[1, 0], &[top, top], &mut lambdas)?;
/// assert_eq!(batch, [2, 2, 1, 1, 1, 1, 2, 2]);
/// assert_eq!(lambdas, [0.5, 0.5]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_samples_inplace<T: Element>(
    batch: &mut [T],
    layout: &ImageLayout,
    partners: &[usize],
    ops: &[SampleOp],
    lambdas: &mut [f64],
) -> Result<(), Error> {
    let sample_len = check_samples(layout, partners, ops, lambdas)?;
    check_batch("batch", batch.len(), sample_len, partners.len())?;
    for (l, op) in lambdas.iter_mut().zip(ops) {
        *l = op_lambda::<T>(layout, op);
    }
    let imp = Checked::best();
    let mut tile = T::BUFFER;
    cycle_tiles(
        batch,
        sample_len,
        partners,
        tile.as_mut(),
        |i| writes::<T>(&ops[i], i, partners[i]),
        |i, start, x, y| apply_tile(imp, layout, &ops[i], start, x, y),
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::mix_batch_inplace;
    use std::{vec, vec::Vec};

    #[test]
    fn equal_lambdas_match_the_batch_kernel_across_tiles() {
        let n = 2 * crate::kernels::BUFFER_BYTES + 5;
        let src: Vec<u8> = (0..4 * n).map(|k| (k * 7 % 256) as u8).collect();
        let partners = [3, 0, 1, 2];
        let mut one = src.clone();
        mix_batch_inplace(&mut one, n, &partners, 0.3).unwrap();
        let mut per = src.clone();
        let mut lambdas = [0.3; 4];
        mix_batch_per_sample_inplace(&mut per, n, &partners, &mut lambdas).unwrap();
        assert_eq!(one, per);
        assert_eq!(lambdas, [77.0 / 256.0; 4]);
    }

    #[test]
    fn mixed_ops_across_tile_boundaries_match_out_of_place() {
        use crate::{CutMix, Pairing};
        use rand_core::SeedableRng;
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(8);
        // Samples of 3·17·23 = 1173 elements: three tiles, rectangle rows straddling the seams.
        for layout in [ImageLayout::nchw(3, 17, 23), ImageLayout::nhwc(3, 17, 23)] {
            let n = layout.sample_len().unwrap();
            for round in 0..20 {
                let b = 1 + round % 9;
                let mut partners = vec![0; b];
                Pairing::Shuffle.fill(&mut rng, &mut partners).unwrap();
                let ops: Vec<SampleOp> = (0..b)
                    .map(|i| match (i + round) % 3 {
                        0 => SampleOp::Keep,
                        1 => SampleOp::Blend(i as f64 / b as f64),
                        _ => SampleOp::Paste(CutMix::new(1.0).unwrap().sample(&mut rng, 17, 23).0),
                    })
                    .collect();
                let src: Vec<u16> = (0..b * n).map(|k| (k * 7919 % 65536) as u16).collect();
                let mut dst = vec![0u16; src.len()];
                let (mut l1, mut l2) = (vec![0.0; b], vec![0.0; b]);
                mix_samples(&mut dst, &src, &layout, &partners, &ops, &mut l1).unwrap();
                let mut inplace = src.clone();
                mix_samples_inplace(&mut inplace, &layout, &partners, &ops, &mut l2).unwrap();
                assert_eq!(dst, inplace, "{layout:?} round {round}");
                assert_eq!(l1, l2);
            }
        }
    }

    #[test]
    fn unmixed_members_are_never_written_but_still_read() {
        // Cycle 0 → 1 → 2 → 0 where only the last member (2) mixes: it must read 0's original.
        let mut batch = [0.0f64, 10.0, 20.0];
        let mut lambdas = [1.0, 1.0, 0.5];
        mix_batch_per_sample_inplace(&mut batch, 1, &[1, 2, 0], &mut lambdas).unwrap();
        assert_eq!(batch, [0.0, 10.0, 10.0]);
    }

    #[test]
    fn bad_input_writes_nothing() {
        let mut batch = vec![1.0f32; 8];
        let mut lambdas = [0.5, 2.0];
        assert_eq!(
            mix_batch_per_sample_inplace(&mut batch, 4, &[1, 0], &mut lambdas),
            Err(Error::InvalidLambda { value: 2.0 })
        );
        assert_eq!(lambdas, [0.5, 2.0]);
        let ops = [
            SampleOp::Keep,
            SampleOp::Paste(Rect {
                y1: 0,
                y2: 3,
                x1: 0,
                x2: 1,
            }),
        ];
        let mut out = [9.0; 2];
        assert!(matches!(
            mix_samples_inplace(&mut batch, &ImageLayout::hw(2, 2), &[1, 0], &ops, &mut out),
            Err(Error::RectOutOfImage { sample: 1, .. })
        ));
        assert_eq!(out, [9.0; 2]);
        assert_eq!(batch, vec![1.0f32; 8]);
    }
}
