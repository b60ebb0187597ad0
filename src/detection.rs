//! Mixup for object detection (Zhang et al., ["Bag of Freebies for Training Object Detection
//! Neural Networks"](https://arxiv.org/abs/1902.04103), 2019): two images of possibly different
//! sizes are blended on one canvas and the boxes of both are kept, weighted by λ and 1 − λ.
//!
//! The canvas and its padding are documented on [`mix_detection`].

use crate::arch::{Checked, Stores};
use crate::element::Element;
use crate::error::{Error, check_len};
use crate::geometry::product;
use crate::kernels::{Kernels, Weighting, run, weighting};
use crate::layout::{Batch, ChannelOrder, ImageLayout};

/// An object box in pixel coordinates and its class id: `x1 ≤ x2` and `y1 ≤ y2`, inside its
/// image (`0 ≤ x ≤ width`, `0 ≤ y ≤ height`). The crate's one box convention: named fields in
/// the order `x1, y1, x2, y2`, as [`Rect`](crate::Rect).
///
/// ```
/// let b = mixup::DetectionBox { x1: 2.0, y1: 3.0, x2: 10.5, y2: 8.0, class: 7 };
/// assert_eq!(b.x2 - b.x1, 8.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DetectionBox {
    /// Left edge.
    pub x1: f32,
    /// Top edge.
    pub y1: f32,
    /// Right edge.
    pub x2: f32,
    /// Bottom edge.
    pub y2: f32,
    /// The class id.
    pub class: u32,
}

/// A box of the mixed image with the weight its loss gets: λ for the first image's boxes,
/// 1 − λ for the second's.
///
/// ```
/// use mixup::{DetectionBox, WeightedBox};
/// let w = WeightedBox { object: DetectionBox { x2: 4.0, y2: 4.0, class: 1, ..Default::default() }, weight: 0.6 };
/// assert!((0.0..=1.0).contains(&w.weight));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightedBox {
    /// The box, unchanged: both images sit at the canvas's top left.
    pub object: DetectionBox,
    /// The loss weight, in `[0, 1]`.
    pub weight: f32,
}

/// One input image of [`mix_detection`] and its boxes, checked when made: a batch view of one
/// image (its layout gives the size and channel order) and boxes that are finite, ordered and
/// inside it.
///
/// ```
/// use mixup::{Batch, DetectionBox, DetectionImage, ImageLayout};
/// let pixels = [0u8; 3 * 2 * 4];
/// let boxes = [DetectionBox { x1: 0.0, y1: 0.0, x2: 4.0, y2: 2.0, class: 1 }];
/// let image = DetectionImage::new(Batch::new(&pixels, ImageLayout::nchw(3, 2, 4))?, &boxes)?;
/// assert_eq!(image.layout().width, 4);
/// let outside = [DetectionBox { x2: 5.0, ..boxes[0] }];
/// assert!(DetectionImage::new(Batch::new(&pixels, ImageLayout::nchw(3, 2, 4))?, &outside).is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DetectionImage<'a, T> {
    image: Batch<'a, T>,
    boxes: &'a [DetectionBox],
}

impl<'a, T: Element> DetectionImage<'a, T> {
    /// One image (a batch of exactly one sample) and its boxes.
    pub fn new(
        image: Batch<'a, T>,
        boxes: &'a [DetectionBox],
    ) -> Result<DetectionImage<'a, T>, Error> {
        check_len("image samples", 1, image.len())?;
        let layout = image.layout();
        let (w, h) = (layout.width as f64, layout.height as f64);
        for (index, b) in boxes.iter().enumerate() {
            let [x1, y1, x2, y2] = [b.x1, b.y1, b.x2, b.y2].map(f64::from);
            // NaN fails every comparison, so it is refused here too.
            let inside = 0.0 <= x1 && x1 <= x2 && x2 <= w && 0.0 <= y1 && y1 <= y2 && y2 <= h;
            if !inside {
                return Err(Error::BoxOutOfImage { index });
            }
        }
        Ok(DetectionImage { image, boxes })
    }

    /// The image's layout.
    pub fn layout(&self) -> ImageLayout {
        self.image.layout()
    }

    /// The boxes.
    pub fn boxes(&self) -> &'a [DetectionBox] {
        self.boxes
    }
}

/// What [`mix_detection`] wrote.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionMix {
    /// The canvas layout ([`canvas_layout`]).
    pub layout: ImageLayout,
    /// Boxes written at the start of the box buffer.
    pub boxes: usize,
    /// The λ applied (quantized for integer data), the weight of the first image.
    pub lambda: f64,
}

/// The canvas of two images: their channel count and order, `max(H_a, H_b)` rows and
/// `max(W_a, W_b)` columns. The images must have the same channels and order.
///
/// ```
/// use mixup::{Batch, DetectionImage, ImageLayout, canvas_layout};
/// let (pa, pb) = (vec![0u8; 3 * 480 * 640], vec![0u8; 3 * 512 * 512]);
/// let a = DetectionImage::new(Batch::new(&pa, ImageLayout::nhwc(3, 480, 640))?, &[])?;
/// let b = DetectionImage::new(Batch::new(&pb, ImageLayout::nhwc(3, 512, 512))?, &[])?;
/// assert_eq!(canvas_layout(&a, &b)?, ImageLayout::nhwc(3, 512, 640));
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn canvas_layout<T: Element>(
    a: &DetectionImage<'_, T>,
    b: &DetectionImage<'_, T>,
) -> Result<ImageLayout, Error> {
    let (la, lb) = (a.layout(), b.layout());
    check_len("b channels", la.channels, lb.channels)?;
    if la.order != lb.order {
        return Err(Error::ChannelOrderMismatch);
    }
    let canvas = ImageLayout {
        height: la.height.max(lb.height),
        width: la.width.max(lb.width),
        ..la
    };
    canvas.sample_len()?;
    Ok(canvas)
}

/// Row `y` of channel plane `plane` (CHW, `unit` = 1) or of all channels (HWC, `unit` = C) of
/// an image, empty below the image.
fn line<'a, T: Element>(
    img: &DetectionImage<'a, T>,
    unit: usize,
    plane: usize,
    y: usize,
) -> &'a [T] {
    let layout = img.layout();
    if y >= layout.height {
        return &[];
    }
    // Both products are at most the image's sample length, which fits in usize.
    let len = layout.width * unit;
    &img.image.as_slice()[(plane * layout.height + y) * len..][..len]
}

/// Elements of the zero tile that stands in for a missing image.
const ZEROS: usize = 256;

/// Writes one canvas run: `a` and `b` are the image runs that reach it (each a prefix of the
/// run, or absent); past both, zeros.
fn fill_run<T: Element>(
    imp: Checked,
    p: Weighting<T::Weights>,
    out: &mut [T],
    (a, b): (&[T], &[T]),
) {
    // Runs are one canvas row: small, so ordinary stores (the canvas stays in cache for the
    // model's next read).
    let st = Stores::Cached;
    let zero = [T::default(); ZEROS];
    let both = a.len().min(b.len());
    run(imp, p, &mut out[..both], &a[..both], &b[..both], st);
    let reach = a.len().max(b.len());
    let (alone, a_alone) = if a.len() > b.len() {
        (&a[both..], true)
    } else {
        (&b[both..], false)
    };
    for (o, x) in out[both..reach].chunks_mut(ZEROS).zip(alone.chunks(ZEROS)) {
        let z = &zero[..x.len()];
        if a_alone {
            run(imp, p, o, x, z, st);
        } else {
            run(imp, p, o, z, x, st);
        }
    }
    out[reach..].fill(T::default());
}

/// Mixup for detection (Zhang et al., ["Bag of Freebies for Training Object Detection Neural
/// Networks"](https://arxiv.org/abs/1902.04103), 2019): blends two images onto a zero canvas of
/// [`canvas_layout`] with weights λ and 1 − λ (see below for the padding) and writes the boxes
/// of both, `a`'s first with weight λ then `b`'s with weight 1 − λ.
///
/// * `lambda` in `[0, 1]`; the weights use the λ applied (quantized for `u8`/`u16`).
/// * `canvas`: exactly the [`canvas_layout`]'s sample length, written in the images' order.
/// * `boxes`: at least `a.boxes().len() + b.boxes().len()` entries; the rest is left untouched.
///
/// Every input is checked first (the images when made; here their layouts, the buffer sizes and
/// λ); on any bad input the call returns an `Err` and writes nothing.
///
/// # The canvas
///
/// The canvas is `max(H_a, H_b) × max(W_a, W_b)`, both images at its top left corner. As in the
/// paper, each image is weighted onto a canvas of zeros: a pixel covered by both images is
/// `λ·a + (1 − λ)·b`, a pixel covered by `a` alone is `λ·a` (blended with zero), one covered by
/// `b` alone is `(1 − λ)·b`, and the rest is zero. No pixel is renormalized, so a lone image is
/// darker where the other does not reach, exactly as its boxes' loss weights say. The blend uses
/// the crate's kernels, so it is exact at λ = 0 and 1 and, for integer data, uses the quantized
/// λ, which then also weights the boxes. The paper draws λ ~ Beta(1.5, 1.5).
///
/// # Example
///
/// ```
/// use mixup::{Batch, DetectionBox, DetectionImage, ImageLayout, WeightedBox, canvas_layout, mix_detection};
/// // A 1×2 image and a 2×1 image, one channel.
/// let ba = [DetectionBox { x1: 0.0, y1: 0.0, x2: 2.0, y2: 1.0, class: 3 }];
/// let bb = [DetectionBox { x1: 0.0, y1: 0.5, x2: 1.0, y2: 2.0, class: 5 }];
/// let a = DetectionImage::new(Batch::new(&[100u8, 200], ImageLayout::hw(1, 2))?, &ba)?;
/// let b = DetectionImage::new(Batch::new(&[50u8, 60], ImageLayout::hw(2, 1))?, &bb)?;
/// let mut canvas = vec![0u8; canvas_layout(&a, &b)?.sample_len()?];
/// let mut boxes = [WeightedBox::default(); 2];
/// let done = mix_detection(&a, &b, 0.5, &mut canvas, &mut boxes)?;
/// assert_eq!((done.layout.height, done.layout.width, done.boxes), (2, 2, 2));
/// // Both at (0, 0); a alone at (0, 1); b alone at (1, 0); nothing at (1, 1).
/// assert_eq!(canvas, [75, 100, 30, 0]);
/// assert_eq!((boxes[0].object.class, boxes[0].weight, boxes[1].object.class, boxes[1].weight), (3, 0.5, 5, 0.5));
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_detection<T: Element>(
    a: &DetectionImage<'_, T>,
    b: &DetectionImage<'_, T>,
    lambda: f64,
    canvas: &mut [T],
    boxes: &mut [WeightedBox],
) -> Result<DetectionMix, Error> {
    let layout = canvas_layout(a, b)?;
    check_len("canvas", layout.sample_len()?, canvas.len())?;
    let needed = a.boxes.len().saturating_add(b.boxes.len());
    if boxes.len() < needed {
        return Err(Error::BufferTooSmall {
            what: "boxes",
            needed,
            actual: boxes.len(),
        });
    }
    let (p, applied) = weighting::<T>(lambda)?;

    // A "line" is one canvas row of one channel (CHW) or of all channels (HWC); `unit` is the
    // number of elements per pixel in a line. The canvas's sample length fits and is non-zero,
    // so its partial products do too.
    let unit = match layout.order {
        ChannelOrder::Chw => 1,
        _ => layout.channels,
    };
    let line_len = product(&[layout.width, unit]).ok_or(Error::SizeOverflow)?;
    let imp = Kernels::best().checked();
    for (k, out) in canvas.chunks_exact_mut(line_len).enumerate() {
        let (plane, y) = (k / layout.height, k % layout.height);
        fill_run(
            imp,
            p,
            out,
            (line(a, unit, plane, y), line(b, unit, plane, y)),
        );
    }

    let (wa, wb) = (applied as f32, (1.0 - applied) as f32);
    let weighted = a
        .boxes
        .iter()
        .map(|x| (x, wa))
        .chain(b.boxes.iter().map(|x| (x, wb)));
    for (out, (x, weight)) in boxes.iter_mut().zip(weighted) {
        *out = WeightedBox {
            object: *x,
            weight: weight + 0.0,
        };
    }
    Ok(DetectionMix {
        layout,
        boxes: needed,
        lambda: applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    /// The canvas by definition, one element at a time, in f64 for f64 data.
    fn naive(a: (&[f64], ImageLayout), b: (&[f64], ImageLayout), lambda: f64) -> Vec<f64> {
        let (c, order) = (a.1.channels, a.1.order);
        let (h, w) = (a.1.height.max(b.1.height), a.1.width.max(b.1.width));
        let at = |img: (&[f64], ImageLayout), ch: usize, y: usize, x: usize| {
            let l = img.1;
            if y < l.height && x < l.width {
                match order {
                    ChannelOrder::Chw => img.0[(ch * l.height + y) * l.width + x],
                    _ => img.0[(y * l.width + x) * c + ch],
                }
            } else {
                0.0
            }
        };
        let mut out = vec![0.0; c * h * w];
        for ch in 0..c {
            for y in 0..h {
                for x in 0..w {
                    let k = match order {
                        ChannelOrder::Chw => (ch * h + y) * w + x,
                        _ => (y * w + x) * c + ch,
                    };
                    let (va, vb) = (at(a, ch, y, x), at(b, ch, y, x));
                    let v = lambda * va + (1.0 - lambda) * vb;
                    let (lo, hi) = if va < vb { (va, vb) } else { (vb, va) };
                    out[k] = v.clamp(lo, hi);
                }
            }
        }
        out
    }

    #[test]
    fn canvas_matches_the_definition_for_every_size_combination() {
        for nhwc in [false, true] {
            for c in [1usize, 3] {
                for (ha, wa, hb, wb) in [
                    (2, 3, 3, 2),
                    (4, 1, 1, 4),
                    (2, 2, 2, 2),
                    (1, 3, 2, 1),
                    (300, 1, 1, 300),
                ] {
                    let layout = |h, w| {
                        if nhwc {
                            ImageLayout::nhwc(c, h, w)
                        } else {
                            ImageLayout::nchw(c, h, w)
                        }
                    };
                    let (la, lb) = (layout(ha, wa), layout(hb, wb));
                    let da: Vec<f64> = (0..c * ha * wa).map(|k| 1.0 + k as f64).collect();
                    let db: Vec<f64> = (0..c * hb * wb).map(|k| -2.0 - k as f64).collect();
                    let a = DetectionImage::new(Batch::new(&da, la).unwrap(), &[]).unwrap();
                    let b = DetectionImage::new(Batch::new(&db, lb).unwrap(), &[]).unwrap();
                    for lambda in [0.0, 0.3, 1.0] {
                        let mut canvas =
                            vec![f64::NAN; canvas_layout(&a, &b).unwrap().sample_len().unwrap()];
                        mix_detection(&a, &b, lambda, &mut canvas, &mut []).unwrap();
                        assert_eq!(
                            canvas,
                            naive((&da, la), (&db, lb), lambda),
                            "nhwc={nhwc} c={c} {ha}x{wa} {hb}x{wb} λ={lambda}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bad_boxes_are_refused() {
        let data = [1.0f32; 4];
        let image = Batch::new(&data, ImageLayout::hw(2, 2)).unwrap();
        let good = DetectionBox {
            x1: 0.0,
            y1: 0.0,
            x2: 2.0,
            y2: 2.0,
            class: 0,
        };
        assert!(DetectionImage::new(image, &[good]).is_ok());
        for bad in [
            DetectionBox { x2: 2.5, ..good },
            DetectionBox {
                x1: 1.0,
                x2: 0.5,
                ..good
            },
            DetectionBox {
                x1: f32::NAN,
                ..good
            },
            DetectionBox { x1: -0.5, ..good },
        ] {
            assert_eq!(
                DetectionImage::new(image, &[good, bad]).err(),
                Some(Error::BoxOutOfImage { index: 1 })
            );
        }
    }

    #[test]
    fn mismatched_images_write_nothing() {
        let (da, db) = ([1.0f32; 4], [1.0f32; 12]);
        let a = DetectionImage::new(Batch::new(&da, ImageLayout::hw(2, 2)).unwrap(), &[]).unwrap();
        let b =
            DetectionImage::new(Batch::new(&db, ImageLayout::nhwc(3, 2, 2)).unwrap(), &[]).unwrap();
        let mut canvas = [7.0f32; 4];
        assert!(mix_detection(&a, &b, 0.5, &mut canvas, &mut []).is_err());
        assert!(mix_detection(&a, &a, 1.5, &mut canvas, &mut []).is_err());
        assert!(mix_detection(&a, &a, 0.5, &mut canvas[1..], &mut []).is_err());
        assert_eq!(canvas, [7.0; 4]);
    }
}
