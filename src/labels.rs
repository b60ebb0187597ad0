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

/// The checks shared by the one-hot writers: lengths, labels and the permutation.
fn check_one_hot<L: ClassLabel>(
    out: &[f32],
    labels: &[L],
    partners: &[usize],
    num_classes: usize,
) -> Result<(), Error> {
    check_len("partners", labels.len(), partners.len())?;
    let expected = labels
        .len()
        .checked_mul(num_classes)
        .ok_or(Error::SizeOverflow)?;
    check_labels(labels, num_classes)?;
    check_len("out", expected, out.len())?;
    check_permutation(partners)
}

/// Row `i` becomes `λ_i·s(labels[i]) + (1 − λ_i)·s(labels[partners[i]])`, computed in `f64` and
/// rounded once; every input has been checked.
fn write_one_hot<L: ClassLabel>(
    out: &mut [f32],
    labels: &[L],
    partners: &[usize],
    num_classes: usize,
    eps: f64,
    lambda_of: impl Fn(usize) -> f64,
) {
    let off = eps / num_classes as f64;
    let on = 1.0 - eps + off;
    for (i, row) in out.chunks_exact_mut(num_classes).enumerate() {
        // Checked by the caller: both labels are class indices below num_classes.
        let a = labels[i].class_index().unwrap_or(0);
        let b = labels[partners[i]].class_index().unwrap_or(0);
        let lambda = lambda_of(i);
        let mu = 1.0 - lambda;
        row.fill(off as f32);
        if a == b {
            row[a] = on as f32;
        } else {
            row[a] = (lambda * on + mu * off) as f32;
            row[b] = (lambda * off + mu * on) as f32;
        }
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
    check_one_hot(out, labels, partners, num_classes)?;
    let lambda = check_lambda(lambda)?;
    let eps = check_smoothing(smoothing)?;
    write_one_hot(out, labels, partners, num_classes, eps, |_| lambda);
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

/// Checks a per-sample λ buffer: one λ per sample, each in `[0, 1]`.
fn check_lambdas(lambdas: &[f64], n: usize) -> Result<(), Error> {
    check_len("lambdas", n, lambdas.len())?;
    lambdas
        .iter()
        .try_for_each(|&l| check_lambda(l).map(|_| ()))
}

/// [`mix_one_hot`] with a λ of its own for every sample: row `i` becomes
/// `λ_i·s(labels[i]) + (1 − λ_i)·s(labels[partners[i]])`.
///
/// Pass the `lambdas` that [`mix_batch_per_sample`](crate::mix_batch_per_sample),
/// [`mix_samples`](crate::mix_samples) or their in-place forms wrote, so that every row
/// describes its sample exactly; a sample with λ = 1 gets its own (smoothed) one-hot row, exactly
/// as if it had not been mixed. Every row sums to 1 within a few ulp of `f32`. The same checks
/// as [`mix_one_hot`] apply, plus `lambdas.len() == labels.len()` with every λ in `[0, 1]`; on
/// any bad input the call returns an `Err` and writes nothing.
///
/// ```
/// let mut out = [0.0f32; 2 * 2];
/// mixup::mix_one_hot_per_sample(&mut out, &[0u8, 1], &[1, 0], 2, &[0.25, 1.0], 0.0)?;
/// assert_eq!(out, [0.25, 0.75, 0.0, 1.0]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_one_hot_per_sample<L: ClassLabel>(
    out: &mut [f32],
    labels: &[L],
    partners: &[usize],
    num_classes: usize,
    lambdas: &[f64],
    smoothing: f64,
) -> Result<(), Error> {
    check_one_hot(out, labels, partners, num_classes)?;
    check_lambdas(lambdas, labels.len())?;
    let eps = check_smoothing(smoothing)?;
    write_one_hot(out, labels, partners, num_classes, eps, |i| lambdas[i]);
    Ok(())
}

/// One sample's target for a loss computed as `λ·L(a) + (1 − λ)·L(b)`: the sample's own class
/// `a`, its partner's class `b` and the weight λ of `a`.
///
/// ```
/// use mixup::LabelTriple;
/// let t = LabelTriple { a: 3, b: 7, lambda: 0.8 };
/// let loss = |class: usize| if class == 3 { 0.1 } else { 2.0 }; // a per-class loss
/// let mixed = t.lambda * loss(t.a) + (1.0 - t.lambda) * loss(t.b);
/// assert!((mixed - 0.48).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct LabelTriple {
    /// The sample's own class (`y_a`).
    pub a: usize,
    /// The partner's class (`y_b`).
    pub b: usize,
    /// The weight of `a`, in `[0, 1]`; `b` weighs `1 − λ`.
    pub lambda: f64,
}

/// Writes the `(y_a, y_b, λ)` triple of every sample, for index-based losses
/// (`λ·CE(logits, y_a) + (1 − λ)·CE(logits, y_b)`, as in the mixup paper's reference code)
/// instead of soft label rows.
///
/// `out[i]` becomes `(labels[i], labels[partners[i]], lambdas[i])`. For one λ per batch pass a
/// slice filled with it. Every label must be below `num_classes`, `partners` a permutation,
/// every λ in `[0, 1]` and every buffer of length `labels.len()`; on any bad input the call
/// returns an `Err` and writes nothing.
///
/// ```
/// use mixup::{LabelTriple, label_triples};
/// let mut out = [LabelTriple::default(); 2];
/// label_triples(&mut out, &[4u32, 9], &[1, 0], 10, &[0.7, 1.0])?;
/// assert_eq!(out[0], LabelTriple { a: 4, b: 9, lambda: 0.7 });
/// assert_eq!(out[1], LabelTriple { a: 9, b: 4, lambda: 1.0 });
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn label_triples<L: ClassLabel>(
    out: &mut [LabelTriple],
    labels: &[L],
    partners: &[usize],
    num_classes: usize,
    lambdas: &[f64],
) -> Result<(), Error> {
    let n = labels.len();
    check_len("out", n, out.len())?;
    check_len("partners", n, partners.len())?;
    check_labels(labels, num_classes)?;
    check_permutation(partners)?;
    check_lambdas(lambdas, n)?;
    for (i, t) in out.iter_mut().enumerate() {
        *t = LabelTriple {
            a: labels[i].class_index().unwrap_or(0),
            b: labels[partners[i]].class_index().unwrap_or(0),
            lambda: lambdas[i],
        };
    }
    Ok(())
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
