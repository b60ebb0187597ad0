//! The one error type of the crate.

use crate::layout::Rect;
use core::fmt;

/// Why a call was refused.
///
/// Every function of the crate checks all of its inputs before it writes anything, so an `Err`
/// means that no output buffer was touched. Each variant carries the values that were wrong.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// A Beta shape parameter (α or β) was zero, negative, infinite or NaN.
    InvalidShape {
        /// The value given.
        value: f64,
    },
    /// A mixing weight λ was outside `[0, 1]` or NaN.
    InvalidLambda {
        /// The value given.
        value: f64,
    },
    /// An apply probability was outside `[0, 1]` or NaN.
    InvalidProbability {
        /// The value given.
        value: f64,
    },
    /// A label smoothing ε was outside `[0, 1)` or NaN.
    InvalidSmoothing {
        /// The value given.
        value: f64,
    },
    /// Two buffers that must agree in length do not.
    LengthMismatch {
        /// Which buffer was wrong, e.g. `"out"` or `"labels"`.
        what: &'static str,
        /// The length it needed.
        expected: usize,
        /// The length it had.
        actual: usize,
    },
    /// A buffer size does not fit in `usize` (for example `batch_size * sample_len`).
    SizeOverflow,
    /// The partner list is not a permutation of `0..batch_size`.
    NotAPermutation {
        /// The first position whose partner is out of range or repeats an earlier one.
        position: usize,
        /// The partner index found there.
        partner: usize,
    },
    /// A class label is not an index below the number of classes.
    LabelOutOfRange {
        /// The sample whose label is wrong.
        sample: usize,
        /// The number of classes.
        num_classes: usize,
    },
    /// The number of classes was zero.
    NoClasses,
    /// A derangement (no sample paired with itself) was asked for a batch of one.
    DerangementOfOne,
    /// A kernel implementation was asked for that this machine cannot run.
    ImplementationUnavailable {
        /// Its name, as [`Implementation::name`](crate::Implementation::name) gives it.
        name: &'static str,
    },
    /// A CutMix rectangle does not lie inside the image.
    RectOutOfImage {
        /// The sample it was given for.
        sample: usize,
        /// The rectangle.
        rect: Rect,
    },
    /// A CutMix ratio range is not `0 ≤ min ≤ max ≤ 1`.
    InvalidRatioRange {
        /// The lower bound given.
        min: f64,
        /// The upper bound given.
        max: f64,
    },
    /// A normalization mean is not finite, or a standard deviation is not finite and above zero.
    InvalidNormalization {
        /// The channel.
        channel: usize,
        /// Its mean.
        mean: f32,
        /// Its standard deviation.
        std: f32,
    },
    /// A detection box is not finite, inverted, or outside its image.
    BoxOutOfImage {
        /// 0 for the first image, 1 for the second.
        image: usize,
        /// The index of the box in that image's list.
        index: usize,
    },
    /// An output buffer is shorter than the call needs.
    BufferTooSmall {
        /// Which buffer.
        what: &'static str,
        /// The length needed.
        needed: usize,
        /// The length it had.
        actual: usize,
    },
    /// [`Mixup::apply`](crate::Mixup::apply) and [`Mixup::draw`](crate::Mixup::draw) give one λ
    /// per batch; a `Mixup` set up for per-pair or per-sample λ, per-sample decisions or CutMix
    /// needs [`Mixup::apply_per_sample`](crate::Mixup::apply_per_sample).
    NeedsPerSampleApi,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Error::InvalidShape { value } => {
                write!(f, "Beta shape {value} is not a finite number above zero")
            }
            Error::InvalidLambda { value } => write!(f, "lambda {value} is not in [0, 1]"),
            Error::InvalidProbability { value } => {
                write!(f, "probability {value} is not in [0, 1]")
            }
            Error::InvalidSmoothing { value } => {
                write!(f, "label smoothing {value} is not in [0, 1)")
            }
            Error::LengthMismatch {
                what,
                expected,
                actual,
            } => write!(f, "`{what}` has length {actual}, expected {expected}"),
            Error::SizeOverflow => f.write_str("buffer size overflows usize"),
            Error::NotAPermutation { position, partner } => write!(
                f,
                "partners are not a permutation: position {position} holds {partner}, which is out of range or repeated"
            ),
            Error::LabelOutOfRange {
                sample,
                num_classes,
            } => write!(
                f,
                "label of sample {sample} is not a class index below {num_classes}"
            ),
            Error::NoClasses => f.write_str("the number of classes is zero"),
            Error::DerangementOfOne => {
                f.write_str("a derangement needs at least two samples; a batch of one has none")
            }
            Error::ImplementationUnavailable { name } => {
                write!(f, "the {name} kernels cannot run on this machine")
            }
            Error::RectOutOfImage { sample, rect } => write!(
                f,
                "rectangle rows {}..{}, columns {}..{} of sample {sample} is not inside the image",
                rect.y1, rect.y2, rect.x1, rect.x2
            ),
            Error::InvalidRatioRange { min, max } => {
                write!(
                    f,
                    "ratio range [{min}, {max}] is not within 0 <= min <= max <= 1"
                )
            }
            Error::InvalidNormalization { channel, mean, std } => write!(
                f,
                "channel {channel} has mean {mean} and std {std}; the mean must be finite and the std finite and above zero"
            ),
            Error::BoxOutOfImage { image, index } => write!(
                f,
                "box {index} of image {image} is not finite, inverted or outside its image"
            ),
            Error::BufferTooSmall {
                what,
                needed,
                actual,
            } => write!(f, "`{what}` has length {actual}, needs at least {needed}"),
            Error::NeedsPerSampleApi => f.write_str(
                "this Mixup uses per-pair or per-sample settings or CutMix; call apply_per_sample",
            ),
        }
    }
}

impl core::error::Error for Error {}

/// Checks that a buffer has the length it must have.
pub(crate) fn check_len(what: &'static str, expected: usize, actual: usize) -> Result<(), Error> {
    if expected == actual {
        Ok(())
    } else {
        Err(Error::LengthMismatch {
            what,
            expected,
            actual,
        })
    }
}
