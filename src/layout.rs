//! How the elements of one sample are laid out in memory, and the batch views that carry a
//! batch's elements with that layout: the one way sizes and channel order reach the mixing
//! functions, CutMix, detection and the collate.

use core::marker::PhantomData;

use crate::element::Element;
use crate::error::Error;
use crate::geometry::{Rect, product, unpasted_fraction};

/// Where the channel index sits in an image's memory order.
///
/// ```
/// use mixup::{ChannelOrder, ImageLayout};
/// let chw = ImageLayout::nchw(3, 2, 2);
/// assert_eq!(chw.order, ChannelOrder::Chw);
/// assert_eq!(ImageLayout::nhwc(3, 2, 2).order, ChannelOrder::Hwc);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ChannelOrder {
    /// Channel planes one after the other (`C × H × W`, PyTorch's NCHW per sample).
    Chw,
    /// Pixels one after the other, the channels of a pixel together (`H × W × C`, NHWC per
    /// sample, as images are decoded).
    Hwc,
}

/// The shape and memory order of one sample of an image batch; a batch is `B` such samples one
/// after the other.
///
/// Plain single-channel images (`H × W`) are [`ImageLayout::hw`], which is `nchw(1, h, w)`; both
/// channel orders are the same memory layout when there is one channel. Data that is not an
/// image (tabular rows, token embeddings, audio frames) is [`ImageLayout::flat`]`(len)`, one row
/// of `len` elements.
///
/// Sizes are always given in the tensor's own order, `(channels, height, width)`, and every
/// size product follows one rule: a zero factor makes it zero, otherwise it must fit in `usize`.
///
/// ```
/// use mixup::ImageLayout;
/// let layout = ImageLayout::nchw(3, 224, 224);
/// assert_eq!(layout.sample_len()?, 3 * 224 * 224);
/// assert!(ImageLayout::hw(usize::MAX, 2).sample_len().is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ImageLayout {
    /// Number of channels `C`.
    pub channels: usize,
    /// Height `H`, in rows.
    pub height: usize,
    /// Width `W`, in pixels.
    pub width: usize,
    /// Memory order of one sample.
    pub order: ChannelOrder,
}

impl ImageLayout {
    /// Samples of `C × H × W` elements, channel planes one after the other (NCHW batches).
    ///
    /// ```
    /// let l = mixup::ImageLayout::nchw(3, 32, 32);
    /// assert_eq!((l.channels, l.height, l.width), (3, 32, 32));
    /// ```
    pub const fn nchw(channels: usize, height: usize, width: usize) -> ImageLayout {
        ImageLayout {
            channels,
            height,
            width,
            order: ChannelOrder::Chw,
        }
    }

    /// Samples of `H × W × C` elements, the channels of each pixel together (NHWC batches).
    ///
    /// ```
    /// let l = mixup::ImageLayout::nhwc(3, 32, 32);
    /// assert_eq!(l.order, mixup::ChannelOrder::Hwc);
    /// ```
    pub const fn nhwc(channels: usize, height: usize, width: usize) -> ImageLayout {
        ImageLayout {
            channels,
            height,
            width,
            order: ChannelOrder::Hwc,
        }
    }

    /// Single-channel samples of `H × W` elements.
    ///
    /// ```
    /// assert_eq!(mixup::ImageLayout::hw(28, 28), mixup::ImageLayout::nchw(1, 28, 28));
    /// ```
    pub const fn hw(height: usize, width: usize) -> ImageLayout {
        ImageLayout::nchw(1, height, width)
    }

    /// Samples of `len` elements that are not images: one channel, one row of `len`.
    ///
    /// ```
    /// assert_eq!(mixup::ImageLayout::flat(40).sample_len()?, 40);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub const fn flat(len: usize) -> ImageLayout {
        ImageLayout::nchw(1, 1, len)
    }

    /// The same layout with another number of channels (the same height, width and order):
    /// for example the one-channel mask that goes with an RGB image.
    ///
    /// ```
    /// let rgb = mixup::ImageLayout::nhwc(3, 8, 8);
    /// assert_eq!(rgb.with_channels(1).sample_len()?, 64);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub const fn with_channels(self, channels: usize) -> ImageLayout {
        ImageLayout { channels, ..self }
    }

    /// Elements in one sample, `C·H·W`, or [`Error::SizeOverflow`]. A zero factor gives 0,
    /// whatever the others.
    ///
    /// ```
    /// use mixup::ImageLayout;
    /// assert_eq!(ImageLayout::nhwc(3, 4, 5).sample_len()?, 60);
    /// assert_eq!(ImageLayout::nchw(usize::MAX, 2, 0).sample_len()?, 0);
    /// assert_eq!(ImageLayout::nhwc(2, 0, usize::MAX).sample_len()?, 0);
    /// assert!(ImageLayout::hw(usize::MAX, 2).sample_len().is_err());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn sample_len(&self) -> Result<usize, Error> {
        product(&[self.channels, self.height, self.width]).ok_or(Error::SizeOverflow)
    }

    /// Pixels in one channel plane, `H·W`, or [`Error::SizeOverflow`], by the same rule.
    ///
    /// ```
    /// assert_eq!(mixup::ImageLayout::nchw(3, 4, 5).area()?, 20);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn area(&self) -> Result<usize, Error> {
        product(&[self.height, self.width]).ok_or(Error::SizeOverflow)
    }

    /// The fraction of one channel plane's pixels that lie outside `rect`, `(H·W − area)/(H·W)`:
    /// the corrected λ of CutMix, and the `lambda` a pasted sample reports. 1 for an image
    /// without pixels; a rectangle reaching outside the image counts only up to its area. The
    /// integers are exact, so below 2⁵³ pixels the result is one correctly rounded division.
    ///
    /// ```
    /// use mixup::{ImageLayout, Rect};
    /// let rect = Rect { x1: 1, y1: 0, x2: 4, y2: 2 };
    /// assert_eq!(ImageLayout::hw(4, 4).unpasted_fraction(&rect), 10.0 / 16.0);
    /// assert_eq!(ImageLayout::hw(0, 4).unpasted_fraction(&Rect::default()), 1.0);
    /// ```
    pub fn unpasted_fraction(&self, rect: &Rect) -> f64 {
        unpasted_fraction(self.height, self.width, rect)
    }

    /// Checks that `rect` lies inside the image.
    pub(crate) fn check_rect(&self, index: usize, rect: &Rect) -> Result<(), Error> {
        if rect.y1 <= rect.y2
            && rect.y2 <= self.height
            && rect.x1 <= rect.x2
            && rect.x2 <= self.width
        {
            Ok(())
        } else {
            Err(Error::RectOutOfImage {
                sample: index,
                rect: *rect,
            })
        }
    }

    /// Calls `f(s, e)`, in increasing order, for every run `s..e` of element offsets (within one
    /// sample) that lies inside `rect` and inside `start..end`: one run per rectangle row and
    /// channel in CHW order, one run of `(x2 − x1)·C` elements per rectangle row in HWC order.
    ///
    /// The layout's sample length must fit in `usize` and be non-zero (as in every batch view),
    /// and `rect` must be inside the image.
    pub(crate) fn for_each_run(
        &self,
        rect: &Rect,
        start: usize,
        end: usize,
        mut f: impl FnMut(usize, usize),
    ) {
        if rect.is_empty() || start >= end {
            return;
        }
        // A "line" is a run of consecutive elements holding one image row: one row of one
        // channel in CHW order, one row of all channels in HWC order.
        let (line_len, x1, x2, lines) = match self.order {
            ChannelOrder::Chw => (self.width, rect.x1, rect.x2, self.channels * self.height),
            ChannelOrder::Hwc => (
                self.width * self.channels,
                rect.x1 * self.channels,
                rect.x2 * self.channels,
                self.height,
            ),
        };
        if line_len == 0 || lines == 0 {
            return;
        }
        let first = start / line_len;
        let last = ((end - 1) / line_len).min(lines - 1);
        for line in first..=last {
            let y = match self.order {
                ChannelOrder::Chw => line % self.height,
                ChannelOrder::Hwc => line,
            };
            if y < rect.y1 || y >= rect.y2 {
                continue;
            }
            let s = (line * line_len + x1).max(start);
            let e = (line * line_len + x2).min(end);
            if s < e {
                f(s, e);
            }
        }
    }
}

/// What a batch holds: values that may be averaged, or class indices that may not.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Content {
    Values,
    ClassIndices,
}

/// The checked sample length and batch size of `len` elements of `layout`.
fn samples_of(len: usize, layout: &ImageLayout) -> Result<(usize, usize), Error> {
    let sample_len = layout.sample_len()?;
    if sample_len == 0 {
        return Err(Error::EmptySample);
    }
    let whole = len - len % sample_len;
    if whole != len {
        return Err(Error::LengthMismatch {
            what: "batch",
            expected: whole,
            actual: len,
        });
    }
    Ok((sample_len, len / sample_len))
}

/// The shape of a batch without its data: the layout of a sample, the batch size and the
/// element type. What [`Mixup::draw`](crate::Mixup::draw) needs to draw for a batch, so that
/// a batch that lives elsewhere (on a GPU, in another process) can be drawn for on the host.
///
/// ```
/// use mixup::{ImageLayout, Shape};
/// let shape = Shape::<u8>::new(ImageLayout::nchw(3, 224, 224), 256)?;
/// assert_eq!((shape.len(), shape.layout().height), (256, 224));
/// assert!(Shape::<u8>::new(ImageLayout::nchw(3, 0, 224), 256).is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug)]
pub struct Shape<T> {
    layout: ImageLayout,
    samples: usize,
    _element: PhantomData<fn() -> T>,
}

impl<T> Clone for Shape<T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for Shape<T> {}

impl<T> PartialEq for Shape<T> {
    fn eq(&self, other: &Self) -> bool {
        self.layout == other.layout && self.samples == other.samples
    }
}

impl<T: Element> Shape<T> {
    /// `samples` samples of `layout`. The samples must have at least one element and the whole
    /// batch must fit in `usize`.
    pub fn new(layout: ImageLayout, samples: usize) -> Result<Shape<T>, Error> {
        let sample_len = layout.sample_len()?;
        if sample_len == 0 {
            return Err(Error::EmptySample);
        }
        product(&[samples, sample_len]).ok_or(Error::SizeOverflow)?;
        Ok(Shape {
            layout,
            samples,
            _element: PhantomData,
        })
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        self.samples
    }

    /// Whether the batch has no samples.
    pub fn is_empty(&self) -> bool {
        self.samples == 0
    }

    /// The layout of one sample.
    pub fn layout(&self) -> ImageLayout {
        self.layout
    }
}

/// A batch, read only: its elements, sample after sample, with the layout of one sample.
///
/// The batch size is the number of elements divided by the sample length, which must divide it
/// exactly; samples of zero elements are refused ([`Error::EmptySample`]), since their number
/// could not be told. Made once, checked once.
///
/// ```
/// use mixup::{Batch, ImageLayout};
/// let pixels = [0u8; 2 * 3 * 4 * 4];
/// let batch = Batch::new(&pixels, ImageLayout::nhwc(3, 4, 4))?;
/// assert_eq!((batch.len(), batch.sample(1).map(<[u8]>::len)), (2, Some(48)));
/// assert!(Batch::new(&pixels[1..], ImageLayout::nhwc(3, 4, 4)).is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Batch<'a, T> {
    data: &'a [T],
    layout: ImageLayout,
    sample_len: usize,
    content: Content,
}

impl<'a, T: Element> Batch<'a, T> {
    /// A batch of values (images, features, audio) in `data`.
    pub fn new(data: &'a [T], layout: ImageLayout) -> Result<Batch<'a, T>, Error> {
        let (sample_len, _) = samples_of(data.len(), &layout)?;
        Ok(Batch {
            data,
            layout,
            sample_len,
            content: Content::Values,
        })
    }

    /// A batch of class indices, such as segmentation masks: mixing it with a blend of λ
    /// strictly between 0 and 1 is refused ([`Error::BlendOfClassIndices`]); CutMix rectangles
    /// and kept samples are replayed exactly.
    pub fn class_indices(data: &'a [T], layout: ImageLayout) -> Result<Batch<'a, T>, Error> {
        Ok(Batch {
            content: Content::ClassIndices,
            ..Batch::new(data, layout)?
        })
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        self.data.len() / self.sample_len
    }

    /// Whether the batch has no samples.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The layout of one sample.
    pub fn layout(&self) -> ImageLayout {
        self.layout
    }

    /// Elements per sample (never 0).
    pub fn sample_len(&self) -> usize {
        self.sample_len
    }

    /// All elements.
    pub fn as_slice(&self) -> &'a [T] {
        self.data
    }

    /// Sample `i`, or `None` past the end.
    pub fn sample(&self, i: usize) -> Option<&'a [T]> {
        self.data.chunks_exact(self.sample_len).nth(i)
    }

    /// The shape: layout, batch size and element type.
    pub fn shape(&self) -> Shape<T> {
        Shape {
            layout: self.layout,
            samples: self.len(),
            _element: PhantomData,
        }
    }

    pub(crate) fn content(&self) -> Content {
        self.content
    }
}

/// A batch that can be mixed in place: [`Batch`] over a mutable slice.
///
/// ```
/// use mixup::{BatchMut, ImageLayout};
/// let mut features = [0.0f32; 4 * 10];
/// let mut batch = BatchMut::new(&mut features, ImageLayout::flat(10))?;
/// batch.as_mut_slice()[0] = 1.0;
/// assert_eq!((batch.len(), batch.as_batch().as_slice()[0]), (4, 1.0));
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug)]
pub struct BatchMut<'a, T> {
    data: &'a mut [T],
    layout: ImageLayout,
    sample_len: usize,
    content: Content,
}

impl<'a, T: Element> BatchMut<'a, T> {
    /// A batch of values in `data`.
    pub fn new(data: &'a mut [T], layout: ImageLayout) -> Result<BatchMut<'a, T>, Error> {
        let (sample_len, _) = samples_of(data.len(), &layout)?;
        Ok(BatchMut {
            data,
            layout,
            sample_len,
            content: Content::Values,
        })
    }

    /// A batch of class indices (see [`Batch::class_indices`]).
    pub fn class_indices(data: &'a mut [T], layout: ImageLayout) -> Result<BatchMut<'a, T>, Error> {
        let mut batch = BatchMut::new(data, layout)?;
        batch.content = Content::ClassIndices;
        Ok(batch)
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        self.data.len() / self.sample_len
    }

    /// Whether the batch has no samples.
    pub fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// The layout of one sample.
    pub fn layout(&self) -> ImageLayout {
        self.layout
    }

    /// Elements per sample (never 0).
    pub fn sample_len(&self) -> usize {
        self.sample_len
    }

    /// All elements.
    pub fn as_slice(&self) -> &[T] {
        self.data
    }

    /// All elements, mutably.
    pub fn as_mut_slice(&mut self) -> &mut [T] {
        self.data
    }

    /// A read-only view of the same batch.
    pub fn as_batch(&self) -> Batch<'_, T> {
        Batch {
            data: self.data,
            layout: self.layout,
            sample_len: self.sample_len,
            content: self.content,
        }
    }

    /// The shape: layout, batch size and element type.
    pub fn shape(&self) -> Shape<T> {
        self.as_batch().shape()
    }

    pub(crate) fn content(&self) -> Content {
        self.content
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// Element offsets inside `rect`, by brute force over every element.
    fn naive(layout: &ImageLayout, rect: &Rect) -> Vec<usize> {
        let (c, h, w) = (layout.channels, layout.height, layout.width);
        let mut v = Vec::new();
        for k in 0..c * h * w {
            let (y, x) = match layout.order {
                ChannelOrder::Chw => ((k / w) % h, k % w),
                ChannelOrder::Hwc => (k / (w * c), (k / c) % w),
            };
            if (rect.y1..rect.y2).contains(&y) && (rect.x1..rect.x2).contains(&x) {
                v.push(k);
            }
        }
        v
    }

    #[test]
    fn runs_match_brute_force_for_every_window() {
        for layout in [
            ImageLayout::nchw(3, 5, 7),
            ImageLayout::nhwc(3, 5, 7),
            ImageLayout::hw(4, 6),
            ImageLayout::nhwc(2, 1, 9),
        ] {
            let n = layout.sample_len().unwrap();
            for rect in [
                Rect {
                    y1: 0,
                    y2: layout.height,
                    x1: 0,
                    x2: layout.width,
                },
                Rect {
                    y1: 1,
                    y2: 3,
                    x1: 2,
                    x2: 5.min(layout.width),
                },
                Rect {
                    y1: 0,
                    y2: 1,
                    x1: 0,
                    x2: 1,
                },
                Rect {
                    y1: 2,
                    y2: 2,
                    x1: 0,
                    x2: 3,
                },
            ] {
                if layout.check_rect(0, &rect).is_err() {
                    continue;
                }
                let expected = naive(&layout, &rect);
                for start in 0..n {
                    for end in start..=n {
                        let mut got = Vec::new();
                        layout.for_each_run(&rect, start, end, |s, e| got.extend(s..e));
                        let want: Vec<usize> = expected
                            .iter()
                            .copied()
                            .filter(|k| (start..end).contains(k))
                            .collect();
                        assert_eq!(got, want, "{layout:?} {rect:?} {start}..{end}");
                    }
                }
            }
        }
    }
}
