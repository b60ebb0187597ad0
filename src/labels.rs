//! Labels and their mixing: `ỹ_i = λ_i·y_i + (1 − λ_i)·y_partner(i)`.
//!
//! A [`Labels`] value is checked once when made: class indices with their class count (and
//! optional smoothing), or soft rows. It is then mixed by the λ that the draws record for every
//! sample, so that labels always describe the mixed data exactly.

use crate::arch::Stores;
use crate::error::{Error, check_len};
use crate::geometry::product;
use crate::kernels::{Kernels, run, weighting};
use crate::plan::Draws;

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

/// How far the sum of a soft label row may be from 1 (absolute, computed in `f64`): rows
/// normalized in `f32` arithmetic pass, rows of counts or logits do not.
pub const SOFT_ROW_TOLERANCE: f64 = 1e-3;

/// Checks a label smoothing ε: in `[0, 1)`; `-0.0` is taken as `0.0`.
pub(crate) fn check_smoothing(smoothing: f64) -> Result<f64, Error> {
    if (0.0..1.0).contains(&smoothing) {
        Ok(smoothing + 0.0)
    } else {
        Err(Error::InvalidSmoothing { value: smoothing })
    }
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a, L> {
    Classes(&'a [L]),
    Soft(&'a [f32]),
}

/// The labels of a batch, checked once: class indices with the class count, or soft rows; and
/// the label smoothing ε.
///
/// * [`Labels::classes`]: one class index per sample, each below the class count. Mixed rows
///   are `λ·s(y_i) + (1 − λ)·s(y_partner)`, where `s(c)` is the one-hot row of `c` smoothed by
///   ε: `1 − ε + ε/C` at `c` and `ε/C` elsewhere (timm's smoothing before mixing), computed in
///   `f64` and rounded once.
/// * [`Labels::soft`]: one row of `C` probabilities per sample (soft targets, or multi-hot rows
///   divided by their count as AudioSet-style labels), each entry finite and non-negative and
///   each row summing to 1 within [`SOFT_ROW_TOLERANCE`]. Rows are blended with the `f32`
///   kernel, then smoothed as `(1 − ε)·v + ε/C`.
///
/// Every mixed row then sums to 1 within the input rows' tolerance plus a few `f32` ulp; no
/// entry is negative, NaN or `-0.0`.
///
/// ```
/// use mixup::{Draw, Draws, ImageLayout, Labels, SampleOp, Shape};
/// let labels = Labels::classes(&[0u32, 2], 3)?;
/// let mut records = [
///     Draw { partner: 1, op: SampleOp::Blend(0.75), lambda: 0.0 },
///     Draw { partner: 0, op: SampleOp::Blend(0.75), lambda: 0.0 },
/// ];
/// let draws = Draws::new(&mut records, Shape::<f32>::new(ImageLayout::flat(1), 2)?)?;
/// let mut out = [0.0f32; 2 * 3];
/// labels.mix(&draws, &mut out)?;
/// assert_eq!(out, [0.75, 0.0, 0.25, 0.25, 0.0, 0.75]);
///
/// assert!(Labels::classes(&[0u32, 3], 3).is_err()); // 3 is not a class of 3
/// assert!(Labels::soft(&[0.5, 0.6], 2).is_err()); // sums to 1.1
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Labels<'a, L = u32> {
    kind: Kind<'a, L>,
    classes: usize,
    smoothing: f64,
}

impl<'a, L: ClassLabel> Labels<'a, L> {
    /// Class indices, one per sample, each below `num_classes` (which must be above zero).
    pub fn classes(labels: &'a [L], num_classes: usize) -> Result<Labels<'a, L>, Error> {
        if num_classes == 0 {
            return Err(Error::NoClasses);
        }
        if let Some(sample) = labels
            .iter()
            .position(|l| l.class_index().is_none_or(|c| c >= num_classes))
        {
            return Err(Error::LabelOutOfRange {
                sample,
                num_classes,
            });
        }
        Ok(Labels {
            kind: Kind::Classes(labels),
            classes: num_classes,
            smoothing: 0.0,
        })
    }

    /// The same labels smoothed by ε in `[0, 1)` (`-0.0` is taken as `0.0`).
    ///
    /// ```
    /// let labels = mixup::Labels::classes(&[1u8], 4)?.with_smoothing(0.1)?;
    /// assert_eq!(labels.smoothing(), 0.1);
    /// assert!(labels.with_smoothing(1.0).is_err());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_smoothing(self, epsilon: f64) -> Result<Labels<'a, L>, Error> {
        Ok(Labels {
            smoothing: check_smoothing(epsilon)?,
            ..self
        })
    }

    /// The number of samples.
    pub fn len(&self) -> usize {
        match self.kind {
            Kind::Classes(l) => l.len(),
            Kind::Soft(rows) => rows.len() / self.classes,
        }
    }

    /// Whether there are no samples.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The number of classes `C`: the length of every label row.
    pub fn num_classes(&self) -> usize {
        self.classes
    }

    /// The label smoothing ε.
    pub fn smoothing(&self) -> f64 {
        self.smoothing
    }

    /// Writes the mixed label row of every sample into `out` (`B × C`, row after row), each
    /// weighted by the λ its draw records (so for integer data the quantized λ the kernels
    /// applied). A kept sample, or one paired with itself, gets its own (smoothed) row exactly.
    /// `draws` must be for a batch of `self.len()` samples; on any bad input the call returns
    /// an `Err` and writes nothing.
    pub fn mix(&self, draws: &Draws<'_>, out: &mut [f32]) -> Result<(), Error> {
        let n = self.len();
        check_len("draws", n, draws.len())?;
        let expected = product(&[n, self.classes]).ok_or(Error::SizeOverflow)?;
        check_len("out", expected, out.len())?;
        let c = self.classes;
        match self.kind {
            Kind::Classes(labels) => {
                let off = self.smoothing / c as f64;
                let on = 1.0 - self.smoothing + off;
                for ((row, d), &label) in out.chunks_exact_mut(c).zip(draws.iter()).zip(labels) {
                    // Checked when made: both labels are class indices below C.
                    let a = label.class_index().unwrap_or(0);
                    let b = labels[d.partner].class_index().unwrap_or(0);
                    let (lambda, mu) = (d.lambda, 1.0 - d.lambda);
                    row.fill(off as f32);
                    if a == b {
                        row[a] = on as f32;
                    } else {
                        row[a] = (lambda * on + mu * off) as f32;
                        row[b] = (lambda * off + mu * on) as f32;
                    }
                }
            }
            Kind::Soft(rows) => {
                let kernels = Kernels::best().with_stores(Stores::Cached);
                let (keep, add) = (1.0 - self.smoothing, self.smoothing / c as f64);
                for (i, (row, d)) in out.chunks_exact_mut(c).zip(draws.iter()).enumerate() {
                    let a = &rows[i * c..][..c];
                    let b = &rows[d.partner * c..][..c];
                    if d.partner == i {
                        row.copy_from_slice(a);
                    } else if let Ok((w, _)) = weighting::<f32>(d.lambda) {
                        run(kernels.checked(), w, row, a, b, kernels.stores());
                    }
                    for v in row.iter_mut() {
                        let s = if self.smoothing > 0.0 {
                            (keep * f64::from(*v) + add) as f32
                        } else {
                            *v
                        };
                        // `+ 0.0` turns a `-0.0` entry into `0.0` and changes nothing else.
                        *v = s + 0.0;
                    }
                }
            }
        }
        Ok(())
    }

    /// Writes the `(y_a, y_b, λ)` triple of every sample, for index-based losses
    /// (`λ·CE(logits, y_a) + (1 − λ)·CE(logits, y_b)`, as in the mixup paper's reference code)
    /// instead of soft rows: `out[i]` is the sample's class, its partner's class and the λ its
    /// draw records. Soft-row labels have no class indices ([`Error::NeedsClassIndices`]).
    ///
    /// ```
    /// use mixup::{Draw, Draws, ImageLayout, LabelTriple, Labels, SampleOp, Shape};
    /// let mut records = [
    ///     Draw { partner: 1, op: SampleOp::Blend(0.7), lambda: 0.0 },
    ///     Draw { partner: 0, op: SampleOp::Keep, lambda: 0.0 },
    /// ];
    /// let draws = Draws::new(&mut records, Shape::<f64>::new(ImageLayout::flat(3), 2)?)?;
    /// let mut out = [LabelTriple::default(); 2];
    /// Labels::classes(&[4u32, 9], 10)?.triples(&draws, &mut out)?;
    /// assert_eq!(out[0], LabelTriple { a: 4, b: 9, lambda: 0.7 });
    /// assert_eq!(out[1], LabelTriple { a: 9, b: 4, lambda: 1.0 });
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn triples(&self, draws: &Draws<'_>, out: &mut [LabelTriple]) -> Result<(), Error> {
        let Kind::Classes(labels) = self.kind else {
            return Err(Error::NeedsClassIndices);
        };
        check_len("draws", labels.len(), draws.len())?;
        check_len("out", labels.len(), out.len())?;
        for ((t, d), &label) in out.iter_mut().zip(draws.iter()).zip(labels) {
            *t = LabelTriple {
                a: label.class_index().unwrap_or(0),
                b: labels[d.partner].class_index().unwrap_or(0),
                lambda: d.lambda,
            };
        }
        Ok(())
    }
}

impl<'a> Labels<'a, u32> {
    /// Soft rows: `rows` holds one row of `num_classes` entries per sample, each finite and
    /// non-negative, each row summing to 1 within [`SOFT_ROW_TOLERANCE`].
    ///
    /// ```
    /// use mixup::{Error, Labels};
    /// let labels = Labels::soft(&[1.0, 0.0, 0.5, 0.5], 2)?;
    /// assert_eq!(labels.len(), 2);
    /// assert_eq!(Labels::soft(&[f32::NAN, 1.0], 2).err(), Some(Error::InvalidSoftRow { sample: 0 }));
    /// assert_eq!(Labels::soft(&[1.0, 0.0, -1.0, 2.0], 2).err(), Some(Error::InvalidSoftRow { sample: 1 }));
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn soft(rows: &'a [f32], num_classes: usize) -> Result<Labels<'a, u32>, Error> {
        if num_classes == 0 {
            return Err(Error::NoClasses);
        }
        let whole = rows.len() - rows.len() % num_classes;
        check_len("rows", whole, rows.len())?;
        for (sample, row) in rows.chunks_exact(num_classes).enumerate() {
            let valid = row.iter().all(|v| v.is_finite() && *v >= 0.0);
            let sum: f64 = row.iter().map(|&v| f64::from(v)).sum();
            if !(valid && (sum - 1.0).abs() <= SOFT_ROW_TOLERANCE) {
                return Err(Error::InvalidSoftRow { sample });
            }
        }
        Ok(Labels {
            kind: Kind::Soft(rows),
            classes: num_classes,
            smoothing: 0.0,
        })
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{ImageLayout, Shape};
    use crate::plan::{Draw, SampleOp};

    fn draws<'a>(records: &'a mut [Draw]) -> Draws<'a> {
        let n = records.len();
        Draws::new(records, Shape::<f64>::new(ImageLayout::flat(1), n).unwrap()).unwrap()
    }

    #[test]
    fn smoothing_matches_timm_values() {
        // timm: off = ε/C, on = 1 − ε + ε/C; mixed = λ·on/off + (1 − λ)·off/on.
        let mut records = [
            Draw {
                partner: 1,
                op: SampleOp::Blend(0.7),
                lambda: 0.0,
            },
            Draw {
                partner: 0,
                op: SampleOp::Blend(0.7),
                lambda: 0.0,
            },
        ];
        let d = draws(&mut records);
        let mut out = [0.0f32; 8];
        let labels = Labels::classes(&[1i64, 3], 4)
            .unwrap()
            .with_smoothing(0.1)
            .unwrap();
        labels.mix(&d, &mut out).unwrap();
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
        assert_eq!(
            Labels::classes(&[0i32, -1], 3).err(),
            Some(Error::LabelOutOfRange {
                sample: 1,
                num_classes: 3
            })
        );
        assert_eq!(
            Labels::classes(&[0u8, 3], 3).err(),
            Some(Error::LabelOutOfRange {
                sample: 1,
                num_classes: 3
            })
        );
        assert!(
            Labels::classes(&[0u8, 1], 3)
                .unwrap()
                .with_smoothing(1.0)
                .is_err()
        );
        assert_eq!(Labels::classes(&[0u8, 1], 0).err(), Some(Error::NoClasses));
        let mut records = [Draw::default(); 3];
        for (i, r) in records.iter_mut().enumerate() {
            r.partner = i;
        }
        let d = draws(&mut records);
        let mut out = [9.0f32; 6];
        assert!(
            Labels::classes(&[0u8, 1], 3)
                .unwrap()
                .mix(&d, &mut out)
                .is_err()
        );
        assert_eq!(out, [9.0; 6]);
    }

    #[test]
    fn negative_zero_smoothing_is_zero() {
        let labels = Labels::classes(&[0u8], 2)
            .unwrap()
            .with_smoothing(-0.0)
            .unwrap();
        assert_eq!(labels.smoothing().to_bits(), 0.0f64.to_bits());
    }
}
