//! Soft labels: `ỹ_i = λ·y_i + (1 − λ)·y_partner`.

use crate::batch::mix_batch;
use crate::error::{Error, check_len};
use crate::kernels::check_lambda;
use crate::pairing::check_permutation;

mod sealed {
    pub trait Sealed {}
}

/// An integer type that holds class indices: every primitive integer.
///
/// Negative values and values that do not fit in `usize` are treated as out of range.
pub trait ClassLabel: Copy + sealed::Sealed {
    /// The class index, or `None` if the value cannot be one.
    fn class_index(self) -> Option<usize>;
}

macro_rules! class_label {
    ($($t:ty),*) => {$(
        impl sealed::Sealed for $t {}
        impl ClassLabel for $t {
            #[inline]
            fn class_index(self) -> Option<usize> {
                usize::try_from(self).ok()
            }
        }
    )*};
}

class_label!(u8, u16, u32, u64, usize, i8, i16, i32, i64, isize);

/// Checks a label smoothing ε: finite and in `[0, 1)`.
pub(crate) fn check_smoothing(smoothing: f64) -> Result<f64, Error> {
    if (0.0..1.0).contains(&smoothing) {
        Ok(smoothing)
    } else {
        Err(Error::InvalidSmoothing { value: smoothing })
    }
}

/// Checks that every label is a class index below `num_classes`.
pub(crate) fn check_labels<L: ClassLabel>(labels: &[L], num_classes: usize) -> Result<(), Error> {
    if num_classes == 0 {
        return Err(Error::NoClasses);
    }
    match labels
        .iter()
        .position(|l| l.class_index().is_none_or(|c| c >= num_classes))
    {
        None => Ok(()),
        Some(sample) => Err(Error::LabelOutOfRange {
            sample,
            num_classes,
        }),
    }
}

/// Writes mixed one-hot labels: row `i` of `out` (a `B × num_classes` row-major buffer) becomes
/// `λ·s(labels[i]) + (1 − λ)·s(labels[partners[i]])`, where `s(c)` is the one-hot vector of class
/// `c` smoothed by ε: `1 − ε + ε/C` at `c` and `ε/C` elsewhere (as timm smooths before mixing).
///
/// Every row sums to 1 within a few ulp of `f32`. The values are computed in `f64` and rounded
/// once. Pass the λ that the data kernels applied ([`applied_lambda`](crate::applied_lambda)) so
/// that labels and data agree.
///
/// `partners` must be a permutation of `0..labels.len()`, every label below `num_classes`,
/// `num_classes > 0`, λ in `[0, 1]`, ε in `[0, 1)`, and `out.len() == labels.len() * num_classes`;
/// otherwise the call returns an `Err` naming the problem and writes nothing.
///
/// ```
/// let mut out = [0.0f32; 2 * 3];
/// mixup::mix_one_hot(&mut out, &[0u32, 2], &[1, 0], 3, 0.75, 0.0)?;
/// assert_eq!(out, [0.75, 0.0, 0.25, 0.25, 0.0, 0.75]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_one_hot<L: ClassLabel>(
    out: &mut [f32],
    labels: &[L],
    partners: &[usize],
    num_classes: usize,
    lambda: f64,
    smoothing: f64,
) -> Result<(), Error> {
    check_len("partners", labels.len(), partners.len())?;
    let expected = labels
        .len()
        .checked_mul(num_classes)
        .ok_or(Error::SizeOverflow)?;
    check_labels(labels, num_classes)?;
    check_len("out", expected, out.len())?;
    check_permutation(partners)?;
    let lambda = check_lambda(lambda)?;
    let eps = check_smoothing(smoothing)?;

    let off = eps / num_classes as f64;
    let on = 1.0 - eps + off;
    let mu = 1.0 - lambda;
    for ((row, label), &partner) in out.chunks_exact_mut(num_classes).zip(labels).zip(partners) {
        // Checked above: both labels are class indices below num_classes.
        let a = label.class_index().unwrap_or(0);
        let b = labels[partner].class_index().unwrap_or(0);
        row.fill(off as f32);
        if a == b {
            row[a] = on as f32;
        } else {
            row[a] = (lambda * on + mu * off) as f32;
            row[b] = (lambda * off + mu * on) as f32;
        }
    }
    Ok(())
}

/// Mixes label rows that are already soft, smoothed or multi-hot: row `i` of `out` becomes
/// `λ·rows[i] + (1 − λ)·rows[partners[i]]`. Returns the λ applied, rounded to `f32`.
///
/// This is [`mix_batch`] with `sample_len = num_classes`; rows that each sum to 1 still sum to 1
/// within a few ulp.
///
/// ```
/// let rows = [1.0f32, 0.0, 0.5, 0.5];
/// let mut out = [0.0f32; 4];
/// mixup::mix_soft(&mut out, &rows, &[1, 0], 2, 0.5)?;
/// assert_eq!(out, [0.75, 0.25, 0.75, 0.25]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_soft(
    out: &mut [f32],
    rows: &[f32],
    partners: &[usize],
    num_classes: usize,
    lambda: f64,
) -> Result<f64, Error> {
    if num_classes == 0 {
        return Err(Error::NoClasses);
    }
    mix_batch(out, rows, num_classes, partners, lambda)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smoothing_matches_timm_values() {
        // timm: off = ε/C, on = 1 − ε + ε/C; mixed = λ·on/off + (1 − λ)·off/on.
        let mut out = [0.0f32; 8];
        mix_one_hot(&mut out, &[1i64, 3], &[1, 0], 4, 0.7, 0.1).unwrap();
        let (off, on) = (0.025f64, 0.925f64);
        let row0 = [off, 0.7 * on + 0.3 * off, off, 0.7 * off + 0.3 * on];
        for (got, want) in out[..4].iter().zip(row0) {
            assert_eq!(*got, want as f32);
        }
        let s: f64 = out[4..].iter().map(|&v| v as f64).sum();
        assert!((s - 1.0).abs() < 4.0 * f32::EPSILON as f64);
    }

    #[test]
    fn names_the_bad_label_and_writes_nothing() {
        let mut out = [9.0f32; 6];
        assert_eq!(
            mix_one_hot(&mut out, &[0i32, -1], &[1, 0], 3, 0.5, 0.0),
            Err(Error::LabelOutOfRange {
                sample: 1,
                num_classes: 3
            })
        );
        assert_eq!(
            mix_one_hot(&mut out, &[0u8, 3], &[1, 0], 3, 0.5, 0.0),
            Err(Error::LabelOutOfRange {
                sample: 1,
                num_classes: 3
            })
        );
        assert!(mix_one_hot(&mut out, &[0u8, 1], &[1, 0], 3, 0.5, 1.0).is_err());
        assert!(mix_one_hot(&mut out, &[0u8, 1], &[1, 0], 0, 0.5, 0.0).is_err());
        assert_eq!(out, [9.0; 6]);
    }
}
