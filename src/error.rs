//! The one error type of the crate.

use crate::geometry::Rect;
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
    /// A buffer size does not fit in `usize` (for example `batch_size * sample_len`). A size
    /// with a zero factor is zero and never overflows.
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
        /// The index of the box in the image's list.
        index: usize,
    },
    /// Two images that must share a channel order do not.
    ChannelOrderMismatch,
    /// An output buffer is shorter than the call needs.
    BufferTooSmall {
        /// Which buffer.
        what: &'static str,
        /// The length needed.
        needed: usize,
        /// The length it had.
        actual: usize,
    },
    /// A batch view was asked for samples of zero elements, whose number cannot be told from
    /// the data.
    EmptySample,
    /// A batch of class indices (a segmentation mask) was to be blended: averaging class ids
    /// gives meaningless classes. Only CutMix rectangles, kept samples and λ of exactly 0 or 1
    /// can be replayed on such a batch.
    BlendOfClassIndices {
        /// The first sample whose operation is a blend.
        sample: usize,
    },
    /// A soft label row is not a probability vector: an entry is negative or not finite, or
    /// the row does not sum to 1 within [`SOFT_ROW_TOLERANCE`](crate::SOFT_ROW_TOLERANCE).
    InvalidSoftRow {
        /// The sample whose row is wrong.
        sample: usize,
    },
    /// An operation needs class indices, but the labels are soft rows (for example
    /// [`Labels::triples`](crate::Labels::triples)).
    NeedsClassIndices,
    /// A normalization makes a finite input overflow `f32`: `1/std` or `mean/std` (or their
    /// combination at the brightest pixel) is too large.
    NormalizationOverflow {
        /// The channel.
        channel: usize,
    },
    /// An element range (offsets within a sample) is reversed or reaches past the end of a
    /// sample.
    RangeOutsideSample {
        /// The range's start.
        start: usize,
        /// The range's end.
        end: usize,
        /// The elements in a sample.
        sample_len: usize,
    },
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
                "rectangle columns {}..{}, rows {}..{} of sample {sample} is not inside the image",
                rect.x1, rect.x2, rect.y1, rect.y2
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
            Error::BoxOutOfImage { index } => write!(
                f,
                "box {index} is not finite, inverted or outside its image"
            ),
            Error::ChannelOrderMismatch => {
                f.write_str("the two images have different channel orders")
            }
            Error::BufferTooSmall {
                what,
                needed,
                actual,
            } => write!(f, "`{what}` has length {actual}, needs at least {needed}"),
            Error::EmptySample => f.write_str(
                "the samples have zero elements, so the batch size cannot be told from the data",
            ),
            Error::BlendOfClassIndices { sample } => write!(
                f,
                "sample {sample} would blend class indices; a class-index batch takes only CutMix rectangles and kept samples"
            ),
            Error::InvalidSoftRow { sample } => write!(
                f,
                "the soft label row of sample {sample} is not finite and non-negative with sum 1"
            ),
            Error::NeedsClassIndices => {
                f.write_str("this needs class-index labels, but the labels are soft rows")
            }
            Error::NormalizationOverflow { channel } => write!(
                f,
                "the normalization of channel {channel} overflows f32 (std too small for its mean)"
            ),
            Error::RangeOutsideSample {
                start,
                end,
                sample_len,
            } => write!(
                f,
                "the element range {start}..{end} is not within a sample's 0..{sample_len}"
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
