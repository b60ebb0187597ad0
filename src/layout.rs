//! How the elements of one image are laid out in memory, and the rectangles cut out of it.

use crate::error::Error;

/// Where the channel index sits in an image's memory order.
///
/// ```
/// use mixup::{ChannelOrder, ImageLayout};
/// let chw = ImageLayout::nchw(3, 2, 2);
/// assert_eq!(chw.order, ChannelOrder::Chw);
/// assert_eq!(ImageLayout::nhwc(3, 2, 2).order, ChannelOrder::Hwc);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
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
/// image can be described as `hw(1, len)`.
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

    /// Elements in one sample, `C·H·W`, or [`Error::SizeOverflow`].
    ///
    /// ```
    /// assert_eq!(mixup::ImageLayout::nhwc(3, 4, 5).sample_len()?, 60);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn sample_len(&self) -> Result<usize, Error> {
        self.channels
            .checked_mul(self.height)
            .and_then(|n| n.checked_mul(self.width))
            .ok_or(Error::SizeOverflow)
    }

    /// Pixels in one channel plane, `H·W`, or [`Error::SizeOverflow`].
    ///
    /// ```
    /// assert_eq!(mixup::ImageLayout::nchw(3, 4, 5).area()?, 20);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn area(&self) -> Result<usize, Error> {
        self.height
            .checked_mul(self.width)
            .ok_or(Error::SizeOverflow)
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
    /// The layout's sample length must fit in `usize` and `rect` must be inside the image.
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

/// A rectangle of pixels, half-open: rows `y1..y2`, columns `x1..x2`.
///
/// ```
/// use mixup::Rect;
/// let r = Rect { y1: 1, y2: 3, x1: 0, x2: 4 };
/// assert_eq!(r.area(), 8);
/// assert!(Rect::default().is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// First row.
    pub y1: usize,
    /// One past the last row.
    pub y2: usize,
    /// First column.
    pub x1: usize,
    /// One past the last column.
    pub x2: usize,
}

impl Rect {
    /// Height of the rectangle (0 if `y2 ≤ y1`).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { y1: 2, y2: 5, x1: 0, x2: 1 }.height(), 3);
    /// ```
    pub fn height(&self) -> usize {
        self.y2.saturating_sub(self.y1)
    }

    /// Width of the rectangle (0 if `x2 ≤ x1`).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { y1: 0, y2: 1, x1: 4, x2: 2 }.width(), 0);
    /// ```
    pub fn width(&self) -> usize {
        self.x2.saturating_sub(self.x1)
    }

    /// Pixels covered, `height × width` (saturating).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { y1: 1, y2: 3, x1: 1, x2: 4 }.area(), 6);
    /// ```
    pub fn area(&self) -> usize {
        self.height().saturating_mul(self.width())
    }

    /// Whether the rectangle covers no pixel.
    ///
    /// ```
    /// assert!(mixup::Rect { y1: 3, y2: 3, x1: 0, x2: 9 }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.height() == 0 || self.width() == 0
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
