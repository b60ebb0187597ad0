//! Mixup for object detection (Zhang et al., ["Bag of Freebies for Training Object Detection
//! Neural Networks"](https://arxiv.org/abs/1902.04103), 2019): two images of possibly different
//! sizes are blended on one canvas and the boxes of both are kept, weighted by λ and 1 − λ.
//!
//! The canvas and its padding are documented on [`mix_detection`].

use crate::arch::Checked;
use crate::error::{Error, check_len};
use crate::kernels::{Element, Plan, Stores, plan, run};
use crate::layout::ChannelOrder;

/// An object box in pixel coordinates, `[x1, y1, x2, y2]` with `x1 ≤ x2`, `y1 ≤ y2`, inside
/// its image (`0 ≤ x ≤ width`, `0 ≤ y ≤ height`), and its class id.
///
/// ```
/// let b = mixup::DetectionBox { bbox: [2.0, 3.0, 10.5, 8.0], class: 7 };
/// assert_eq!(b.bbox[2] - b.bbox[0], 8.5);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct DetectionBox {
    /// `[x1, y1, x2, y2]`.
    pub bbox: [f32; 4],
    /// The class id.
    pub class: u32,
}

/// A box of the mixed image with the weight its loss gets: λ for the first image's boxes,
/// 1 − λ for the second's.
///
/// ```
/// let w = mixup::WeightedBox { bbox: [0.0, 0.0, 4.0, 4.0], class: 1, weight: 0.6 };
/// assert!((0.0..=1.0).contains(&w.weight));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct WeightedBox {
    /// `[x1, y1, x2, y2]`, unchanged: both images sit at the canvas's top left.
    pub bbox: [f32; 4],
    /// The class id.
    pub class: u32,
    /// The loss weight, in `[0, 1]`.
    pub weight: f32,
}

/// One input image of [`mix_detection`]: `channels × height × width` elements in the order
/// given to the call, and its boxes.
///
/// ```
/// let pixels = [0u8; 3 * 2 * 4];
/// let image = mixup::DetectionImage { data: &pixels, height: 2, width: 4, boxes: &[] };
/// assert_eq!(image.data.len(), 3 * image.height * image.width);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct DetectionImage<'a, T> {
    /// The pixels.
    pub data: &'a [T],
    /// Height in rows.
    pub height: usize,
    /// Width in pixels.
    pub width: usize,
    /// The object boxes.
    pub boxes: &'a [DetectionBox],
}

/// What [`mix_detection`] wrote.
///
/// ```
/// let done = mixup::DetectionMix { height: 4, width: 6, boxes: 3, lambda: 0.5 };
/// assert_eq!(done.height * done.width, 24);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct DetectionMix {
    /// Canvas height.
    pub height: usize,
    /// Canvas width.
    pub width: usize,
    /// Boxes written at the start of the box buffer.
    pub boxes: usize,
    /// The λ applied (quantized for integer data), the weight of the first image.
    pub lambda: f64,
}

/// The canvas of two images given as `(height, width)`: `(max(H_a, H_b), max(W_a, W_b))`.
///
/// ```
/// assert_eq!(mixup::canvas_size((480, 640), (512, 512)), (512, 640));
/// ```
pub fn canvas_size(a: (usize, usize), b: (usize, usize)) -> (usize, usize) {
    (a.0.max(b.0), a.1.max(b.1))
}

/// The number of elements of the canvas of two images with `channels` channels, for sizing the
/// buffer of [`mix_detection`]; [`Error::SizeOverflow`] if it does not fit in `usize`.
///
/// ```
/// assert_eq!(mixup::canvas_len(3, (480, 640), (512, 512))?, 3 * 512 * 640);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn canvas_len(channels: usize, a: (usize, usize), b: (usize, usize)) -> Result<usize, Error> {
    let (h, w) = canvas_size(a, b);
    channels
        .checked_mul(h)
        .and_then(|n| n.checked_mul(w))
        .ok_or(Error::SizeOverflow)
}

/// Checks an image's pixel count and that each of its boxes is finite, ordered and inside it.
fn check_image<T>(
    which: usize,
    image: &DetectionImage<'_, T>,
    channels: usize,
) -> Result<(), Error> {
    let len = channels
        .checked_mul(image.height)
        .and_then(|n| n.checked_mul(image.width))
        .ok_or(Error::SizeOverflow)?;
    check_len(
        if which == 0 { "a.data" } else { "b.data" },
        len,
        image.data.len(),
    )?;
    let (w, h) = (image.width as f64, image.height as f64);
    for (index, b) in image.boxes.iter().enumerate() {
        let [x1, y1, x2, y2] = b.bbox.map(f64::from);
        // NaN fails every comparison, so it is rejected here too.
        let inside = 0.0 <= x1 && x1 <= x2 && x2 <= w && 0.0 <= y1 && y1 <= y2 && y2 <= h;
        if !inside {
            return Err(Error::BoxOutOfImage {
                image: which,
                index,
            });
        }
    }
    Ok(())
}

/// Row `y` of channel plane `plane` (CHW, `unit` = 1) or of all channels (HWC, `unit` = C) of
/// an image, empty below the image.
fn line<'a, T>(img: &DetectionImage<'a, T>, unit: usize, plane: usize, y: usize) -> &'a [T] {
    if y >= img.height {
        return &[];
    }
    let len = img.width * unit;
    &img.data[(plane * img.height + y) * len..][..len]
}

/// Elements of the zero tile that stands in for a missing image.
const ZEROS: usize = 256;

/// Writes one canvas run: `a` and `b` are the image runs that reach it (each a prefix of the
/// run, or absent); past both, zeros.
fn fill_run<T: Element>(
    imp: Checked,
    p: Plan<T::Weights>,
    zero: &[T; ZEROS],
    out: &mut [T],
    a: &[T],
    b: &[T],
) {
    // Runs are one canvas row: small, so ordinary stores (the canvas stays in cache for the
    // model's next read).
    let st = Stores::Cached;
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
/// [`canvas_size`] with weights λ and 1 − λ (see below for the padding) and
/// writes the boxes of both, `a`'s first with weight λ then `b`'s with weight 1 − λ.
///
/// * `canvas`: exactly [`canvas_len`]`(channels, (H_a, W_a), (H_b, W_b))` elements, written in
///   the same `order` as the inputs.
/// * `boxes`: at least `a.boxes.len() + b.boxes.len()` entries; the rest is left untouched.
/// * `lambda` in `[0, 1]`; the weights use the λ applied (quantized for `u8`/`u16`).
///
/// Every input is checked first (pixel counts, every box finite, ordered and inside its image,
/// buffer sizes, λ); on any bad input the call returns an `Err` and writes nothing.
///
/// # The canvas
///
/// The canvas is `max(H_a, H_b) × max(W_a, W_b)` ([`canvas_size`]), both images at its top left
/// corner. As in the paper, each image is weighted onto a canvas of zeros: a pixel covered by
/// both images is `λ·a + (1 − λ)·b`, a pixel covered by `a` alone is `λ·a` (blended with zero),
/// one covered by `b` alone is `(1 − λ)·b`, and the rest is zero. No pixel is renormalized, so a
/// lone image is darker where the other does not reach, exactly as its boxes' loss weights say.
/// The blend uses the crate's kernels, so it is exact at λ = 0 and 1 and, for integer data,
/// uses the quantized λ, which then also weights the boxes. The paper draws λ ~ Beta(1.5, 1.5).
///
/// # Example
///
/// ```
/// use mixup::{ChannelOrder, DetectionBox, DetectionImage, WeightedBox, canvas_len, mix_detection};
/// // A 1×2 image and a 2×1 image, one channel.
/// let a = DetectionImage { data: &[100u8, 200], height: 1, width: 2,
///                          boxes: &[DetectionBox { bbox: [0.0, 0.0, 2.0, 1.0], class: 3 }] };
/// let b = DetectionImage { data: &[50u8, 60], height: 2, width: 1,
///                          boxes: &[DetectionBox { bbox: [0.0, 0.5, 1.0, 2.0], class: 5 }] };
/// let mut canvas = vec![0u8; canvas_len(1, (1, 2), (2, 1))?];
/// let mut boxes = [WeightedBox::default(); 2];
/// let done = mix_detection(&mut canvas, &mut boxes, &a, &b, 1, ChannelOrder::Chw, 0.5)?;
/// assert_eq!((done.height, done.width, done.boxes), (2, 2, 2));
/// // Both at (0, 0); a alone at (0, 1); b alone at (1, 0); nothing at (1, 1).
/// assert_eq!(canvas, [75, 100, 30, 0]);
/// assert_eq!((boxes[0].class, boxes[0].weight, boxes[1].class, boxes[1].weight), (3, 0.5, 5, 0.5));
/// # Ok::<(), mixup::Error>(())
/// ```
#[allow(clippy::too_many_arguments)]
pub fn mix_detection<T: Element>(
    canvas: &mut [T],
    boxes: &mut [WeightedBox],
    a: &DetectionImage<'_, T>,
    b: &DetectionImage<'_, T>,
    channels: usize,
    order: ChannelOrder,
    lambda: f64,
) -> Result<DetectionMix, Error> {
    check_image(0, a, channels)?;
    check_image(1, b, channels)?;
    let size_a = (a.height, a.width);
    let size_b = (b.height, b.width);
    check_len(
        "canvas",
        canvas_len(channels, size_a, size_b)?,
        canvas.len(),
    )?;
    let needed = a.boxes.len().saturating_add(b.boxes.len());
    if boxes.len() < needed {
        return Err(Error::BufferTooSmall {
            what: "boxes",
            needed,
            actual: boxes.len(),
        });
    }
    let (p, applied) = plan::<T>(lambda)?;
    let (height, width) = canvas_size(size_a, size_b);

    // A "line" is one canvas row of one channel (CHW) or of all channels (HWC); `unit` is the
    // number of elements per pixel in a line.
    let unit = match order {
        ChannelOrder::Chw => 1,
        ChannelOrder::Hwc => channels,
    };
    let zero = [T::default(); ZEROS];
    let imp = Checked::best();
    if width * unit > 0 {
        for (k, out) in canvas.chunks_exact_mut(width * unit).enumerate() {
            let (plane, y) = (k / height, k % height);
            fill_run(
                imp,
                p,
                &zero,
                out,
                line(a, unit, plane, y),
                line(b, unit, plane, y),
            );
        }
    }

    let (wa, wb) = (applied as f32, (1.0 - applied) as f32);
    let weighted = a
        .boxes
        .iter()
        .map(|x| (x, wa))
        .chain(b.boxes.iter().map(|x| (x, wb)));
    for (out, (x, weight)) in boxes.iter_mut().zip(weighted) {
        *out = WeightedBox {
            bbox: x.bbox,
            class: x.class,
            weight,
        };
    }
    Ok(DetectionMix {
        height,
        width,
        boxes: needed,
        lambda: applied,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::{vec, vec::Vec};

    /// The canvas by definition, one element at a time, in f64 for f64 data.
    fn naive(
        a: &DetectionImage<'_, f64>,
        b: &DetectionImage<'_, f64>,
        c: usize,
        order: ChannelOrder,
        lambda: f64,
    ) -> Vec<f64> {
        let (h, w) = canvas_size((a.height, a.width), (b.height, b.width));
        let at = |img: &DetectionImage<'_, f64>, ch: usize, y: usize, x: usize| {
            if y < img.height && x < img.width {
                match order {
                    ChannelOrder::Chw => img.data[(ch * img.height + y) * img.width + x],
                    ChannelOrder::Hwc => img.data[(y * img.width + x) * c + ch],
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
                        ChannelOrder::Hwc => (y * w + x) * c + ch,
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
        for order in [ChannelOrder::Chw, ChannelOrder::Hwc] {
            for c in [1usize, 3] {
                for (ha, wa, hb, wb) in [
                    (2, 3, 3, 2),
                    (4, 1, 1, 4),
                    (2, 2, 2, 2),
                    (0, 3, 2, 1),
                    (300, 1, 1, 300),
                ] {
                    let da: Vec<f64> = (0..c * ha * wa).map(|k| 1.0 + k as f64).collect();
                    let db: Vec<f64> = (0..c * hb * wb).map(|k| -2.0 - k as f64).collect();
                    let a = DetectionImage {
                        data: &da,
                        height: ha,
                        width: wa,
                        boxes: &[],
                    };
                    let b = DetectionImage {
                        data: &db,
                        height: hb,
                        width: wb,
                        boxes: &[],
                    };
                    for lambda in [0.0, 0.3, 1.0] {
                        let mut canvas = vec![f64::NAN; canvas_len(c, (ha, wa), (hb, wb)).unwrap()];
                        mix_detection(&mut canvas, &mut [], &a, &b, c, order, lambda).unwrap();
                        assert_eq!(
                            canvas,
                            naive(&a, &b, c, order, lambda),
                            "{order:?} c={c} {ha}x{wa} {hb}x{wb} λ={lambda}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn bad_boxes_write_nothing() {
        let data = [1.0f32; 4];
        let good = [DetectionBox {
            bbox: [0.0, 0.0, 2.0, 2.0],
            class: 0,
        }];
        for bad in [
            [0.0, 0.0, 2.5, 2.0],
            [1.0, 0.0, 0.5, 1.0],
            [f32::NAN, 0.0, 1.0, 1.0],
            [-0.5, 0.0, 1.0, 1.0],
        ] {
            let boxes_b = [DetectionBox {
                bbox: bad,
                class: 1,
            }];
            let a = DetectionImage {
                data: &data,
                height: 2,
                width: 2,
                boxes: &good,
            };
            let b = DetectionImage {
                data: &data,
                height: 2,
                width: 2,
                boxes: &boxes_b,
            };
            let mut canvas = [7.0f32; 4];
            let mut out = [WeightedBox::default(); 2];
            assert_eq!(
                mix_detection(&mut canvas, &mut out, &a, &b, 1, ChannelOrder::Chw, 0.5),
                Err(Error::BoxOutOfImage { image: 1, index: 0 })
            );
            assert_eq!(canvas, [7.0; 4]);
            assert_eq!(out, [WeightedBox::default(); 2]);
        }
    }
}
