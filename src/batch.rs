//! Mixing whole batches: every sample with its partner's original values.

use crate::arch::{Checked, Implementation, STREAM_THRESHOLD};
use crate::error::{Error, check_len};
use crate::kernels::{Element, Plan, Stores, plan, run, run_inplace};
use crate::pairing::check_permutation;
use crate::per_sample::cycle_tiles;

/// Checks a batch of `partners.len()` samples of `sample_len` elements against `len`.
fn check_batch(
    what: &'static str,
    len: usize,
    sample_len: usize,
    partners: &[usize],
) -> Result<(), Error> {
    let expected = partners
        .len()
        .checked_mul(sample_len)
        .ok_or(Error::SizeOverflow)?;
    check_len(what, expected, len)
}

/// Mixes a batch out of place: sample `i` of `dst` becomes
/// `λ·src[i] + (1 − λ)·src[partners[i]]`. Returns the λ applied (see
/// [`applied_lambda`](crate::applied_lambda)).
///
/// The batch size is `partners.len()`; `src` and `dst` hold that many samples of `sample_len`
/// elements each, contiguous (for images, `sample_len` is `channels × height × width`).
/// `partners` must be a permutation of `0..batch_size`, as every [`Pairing`](crate::Pairing)
/// writes. A sample paired with itself is copied unchanged. On any bad input the call returns an
/// `Err` and writes nothing.
///
/// ```
/// let src = [0.0f32, 0.0, 10.0, 10.0]; // two samples of two elements
/// let mut dst = [0.0f32; 4];
/// mixup::mix_batch(&mut dst, &src, 2, &[1, 0], 0.75)?;
/// assert_eq!(dst, [2.5, 2.5, 7.5, 7.5]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_batch<T: Element>(
    dst: &mut [T],
    src: &[T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    mix_batch_impl(Checked::best(), dst, src, sample_len, partners, lambda)
}

/// [`mix_batch`] with a chosen implementation, for the differential tests and the benches.
#[doc(hidden)]
pub fn mix_batch_with<T: Element>(
    imp: Implementation,
    dst: &mut [T],
    src: &[T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    mix_batch_impl(Checked::new(imp)?, dst, src, sample_len, partners, lambda)
}

fn mix_batch_impl<T: Element>(
    imp: Checked,
    dst: &mut [T],
    src: &[T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    check_batch("src", src.len(), sample_len, partners)?;
    check_batch("dst", dst.len(), sample_len, partners)?;
    check_permutation(partners)?;
    let (plan, applied) = plan::<T>(lambda)?;
    if sample_len == 0 {
        return Ok(applied);
    }
    // The whole batch decides: its samples are written one after the other, so a batch too big
    // for the cache gains from non-temporal stores even when each sample would fit.
    let stores = if core::mem::size_of_val(dst) >= STREAM_THRESHOLD {
        Stores::Streaming
    } else {
        Stores::Cached
    };
    for ((i, out), &j) in dst.chunks_exact_mut(sample_len).enumerate().zip(partners) {
        let a = &src[i * sample_len..][..sample_len];
        if i == j {
            // Mixing a sample with itself gives it back; copying also keeps NaN payloads, as
            // the in-place mix, which leaves such samples alone, does.
            out.copy_from_slice(a);
            continue;
        }
        let b = &src[j * sample_len..][..sample_len];
        run(imp, plan, out, a, b, stores);
    }
    Ok(applied)
}

/// Mixes a batch in place: sample `i` becomes `λ·x[i] + (1 − λ)·x[partners[i]]`, every sample
/// mixed with its partner's **original** values. Returns the λ applied.
///
/// No copy of the batch is made. The permutation is followed cycle by cycle; for each tile of
/// 2 KiB the first sample's original tile is kept on the stack, every other member is
/// mixed with its successor (still original), and the last member with the saved tile. Each
/// element is read from memory once and written once. Samples paired with themselves are not
/// touched. The result is bit for bit that of [`mix_batch`].
///
/// The same input rules as [`mix_batch`] apply; on any bad input the call returns an `Err` and
/// writes nothing.
///
/// ```
/// let mut batch = [0u8, 0, 100, 100, 200, 200]; // three samples of two elements
/// mixup::mix_batch_inplace(&mut batch, 2, &[1, 2, 0], 0.5)?;
/// assert_eq!(batch, [50, 50, 150, 150, 100, 100]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_batch_inplace<T: Element>(
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    let mut tile = T::BUFFER;
    mix_batch_inplace_impl(
        Checked::best(),
        batch,
        sample_len,
        partners,
        lambda,
        tile.as_mut(),
    )
}

/// [`mix_batch_inplace`] with a chosen implementation, for the differential tests and the
/// benches.
#[doc(hidden)]
pub fn mix_batch_inplace_with<T: Element>(
    imp: Implementation,
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    let mut tile = T::BUFFER;
    mix_batch_inplace_impl(
        Checked::new(imp)?,
        batch,
        sample_len,
        partners,
        lambda,
        tile.as_mut(),
    )
}

/// [`mix_batch_inplace`] with a chosen implementation and a caller-given tile, for the bench that
/// chooses the tile size. An empty tile returns an `Err`.
#[doc(hidden)]
pub fn mix_batch_inplace_tiled_with<T: Element>(
    imp: Implementation,
    tile: &mut [T],
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<f64, Error> {
    if tile.is_empty() {
        return Err(Error::LengthMismatch {
            what: "tile",
            expected: 1,
            actual: 0,
        });
    }
    mix_batch_inplace_impl(
        Checked::new(imp)?,
        batch,
        sample_len,
        partners,
        lambda,
        tile,
    )
}

/// The cycle-following mix with `tile` as the stack tile (any non-zero length).
fn mix_batch_inplace_impl<T: Element>(
    imp: Checked,
    batch: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
    tile: &mut [T],
) -> Result<f64, Error> {
    check_batch("batch", batch.len(), sample_len, partners)?;
    check_permutation(partners)?;
    let (plan, applied) = plan::<T>(lambda)?;
    if sample_len == 0 || matches!(plan, Plan::CopyA) {
        return Ok(applied);
    }
    // Every sample writes, so the shared cycle-following loop does exactly the mix above:
    // each member blended with its successor's original tile, the last with the saved one.
    cycle_tiles(
        batch,
        sample_len,
        partners,
        tile,
        |_| true,
        |_, _, x, y| run_inplace(imp, plan, x, y),
    );
    Ok(applied)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    const T_TILE: usize = crate::kernels::BUFFER_BYTES / 8;

    #[test]
    fn rejects_bad_partners_and_writes_nothing() {
        let mut batch = [1.0f32, 2.0, 3.0, 4.0];
        let before = batch;
        assert!(matches!(
            mix_batch_inplace(&mut batch, 2, &[0, 0], 0.5),
            Err(Error::NotAPermutation {
                position: 1,
                partner: 0
            })
        ));
        assert!(matches!(
            mix_batch_inplace(&mut batch, 2, &[1, 2], 0.5),
            Err(Error::NotAPermutation {
                position: 1,
                partner: 2
            })
        ));
        assert!(matches!(
            mix_batch_inplace(&mut batch, 3, &[1, 0], 0.5),
            Err(Error::LengthMismatch { .. })
        ));
        assert!(matches!(
            mix_batch_inplace(&mut batch, usize::MAX, &[1, 0], 0.5),
            Err(Error::SizeOverflow)
        ));
        assert_eq!(batch, before);
    }

    #[test]
    fn long_samples_cross_tiles() {
        let n = 3 * T_TILE + 7;
        let src: Vec<f64> = (0..3 * n).map(|k| k as f64).collect();
        let partners = [2, 0, 1];
        let mut dst = vec![0.0; 3 * n];
        mix_batch(&mut dst, &src, n, &partners, 0.25).unwrap();
        let mut inplace = src.clone();
        mix_batch_inplace(&mut inplace, n, &partners, 0.25).unwrap();
        assert_eq!(dst, inplace);
        for (k, &v) in dst.iter().enumerate() {
            let (i, e) = (k / n, k % n);
            let expected = 0.25 * src[k] + 0.75 * src[partners[i] * n + e];
            assert_eq!(v, expected);
        }
    }
}
