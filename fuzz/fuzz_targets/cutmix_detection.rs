//! `CutMix::sample`, `CutMix::rect_for_lambda`, `DetectionImage::new`, `canvas_layout` and
//! `mix_detection` with arbitrary image sizes (huge ones included), λ, ratio ranges, boxes (NaN,
//! inverted, outside the image), channel counts and orders, and buffer lengths: no panic;
//! rectangles inside the image with λ the exact unpasted fraction, ratio-range sides within
//! `⌊n·min⌋..=⌊n·max⌋`, and `rect_for_lambda` refused exactly for λ outside [0, 1], otherwise
//! sides within `⌊n·√(1 − λ)⌋` and a corrected λ never below the one asked for; detection
//! images refused exactly when their data is not one non-empty image or a box is not finite,
//! ordered and inside it; the canvas layout refused exactly for different channels or orders;
//! `mix_detection` refused exactly for invalid input with nothing written, otherwise the canvas
//! is the blend of the two images onto zeros, element by element, and the boxes are both lists
//! unchanged with weights λ and 1 − λ (the applied λ) in [0, 1], the rest of the list untouched.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Batch, ChannelOrder, CutMix, DetectionBox, DetectionImage, Element, ImageLayout, Rect,
    WeightedBox, applied_lambda, blend, canvas_layout, mix_detection,
};
use mixup_fuzz::{ScriptedRng, any_f64, shape, unit_f64};

/// A side of any size: small, a power of two, or next to `usize::MAX`.
fn side(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0..=7)? {
        0 => usize::MAX - u.int_in_range(0..=3)?,
        1 => 1 << u.int_in_range(0..=63)?,
        _ => u.int_in_range(0..=300)?,
    })
}

/// `⌊n·r⌋` for `r` in [0, 1], never above `n`: the documented side of a ratio `r`.
fn scaled(n: usize, r: f64) -> usize {
    ((n as f64 * r) as usize).min(n)
}

fn cutmix(u: &mut Unstructured<'_>) -> Result<()> {
    let Ok(mut c) = CutMix::new(shape(u)?) else {
        return Ok(());
    };
    if u.arbitrary()? {
        let Ok(r) = c.with_ratio_range(unit_f64(u)?, unit_f64(u)?) else {
            return Ok(());
        };
        c = r;
    }
    let (ch, h, w) = (side(u)?, side(u)?, side(u)?);
    // The channels and the order do not matter to a rectangle.
    let layout = if u.arbitrary()? {
        ImageLayout::nhwc(ch, h, w)
    } else {
        ImageLayout::nchw(ch, h, w)
    };
    let mut rng: ScriptedRng = u.arbitrary()?;
    let check = |r: Rect, l: f64| {
        assert!(
            r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
            "{r:?} in {h}x{w}"
        );
        assert!((0.0..=1.0).contains(&l) && l.is_sign_positive(), "{l}");
        assert_eq!(l, layout.unpasted_fraction(&r));
        let total = h as u128 * w as u128;
        let want = if total == 0 {
            1.0
        } else {
            let area = (r.height() as u128 * r.width() as u128).min(total);
            (total - area) as f64 / total as f64
        };
        if total < 1 << 53 {
            // Exact integers: one correctly rounded division.
            assert_eq!(l, want, "{r:?} in {h}x{w}");
        } else {
            assert!((l - want).abs() <= 1e-15, "{l} vs {want}");
        }
    };
    let (r, l) = c.sample(&mut rng, &layout);
    check(r, l);
    if let Some((lo, hi)) = c.ratio_range() {
        // Drawn from the range and placed inside: never clipped.
        assert!(
            (scaled(h, lo)..=scaled(h, hi)).contains(&r.height()),
            "{r:?} in {h}x{w}, ratio {lo}..{hi}"
        );
        assert!(
            (scaled(w, lo)..=scaled(w, hi)).contains(&r.width()),
            "{r:?} in {h}x{w}, ratio {lo}..{hi}"
        );
    }
    let lambda = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    match CutMix::rect_for_lambda(&mut rng, &layout, lambda) {
        Ok((r, l)) => {
            assert!((0.0..=1.0).contains(&lambda));
            check(r, l);
            let ratio = (1.0 - (lambda + 0.0)).sqrt();
            assert!(r.height() <= scaled(h, ratio) && r.width() <= scaled(w, ratio));
            assert!(
                l >= lambda,
                "corrected {l} < {lambda} asked, {r:?} in {h}x{w}"
            );
        }
        Err(e) => assert!(!(0.0..=1.0).contains(&lambda), "{e:?} for λ = {lambda}"),
    }
    Ok(())
}

trait Value: Element + std::fmt::Debug {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    fn bits(self) -> u64;
    const SENTINEL: Self;
}

impl Value for u8 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
    const SENTINEL: Self = 7;
}

impl Value for f32 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(u.int_in_range(-512i32..=512)? as f32 / 4.0)
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    const SENTINEL: Self = -7.125;
}

fn coord(u: &mut Unstructured<'_>, max: usize) -> Result<f32> {
    let max = max.min(1 << 20);
    Ok(match u.int_in_range(0..=9)? {
        0 => any_f64(u)? as f32,
        1 => max as f32 + 0.5,
        _ => u.int_in_range(0..=2 * max as u32)? as f32 / 2.0,
    })
}

fn boxes(u: &mut Unstructured<'_>, h: usize, w: usize) -> Result<Vec<DetectionBox>> {
    let mut v = Vec::new();
    for _ in 0..u.int_in_range(0..=4)? {
        v.push(DetectionBox {
            x1: coord(u, w)?,
            y1: coord(u, h)?,
            x2: coord(u, w)?,
            y2: coord(u, h)?,
            class: u.arbitrary()?,
        });
    }
    Ok(v)
}

/// Finite, ordered and inside an `h × w` image (NaN fails every comparison).
fn box_ok(b: &DetectionBox, h: usize, w: usize) -> bool {
    let [x1, y1, x2, y2] = [b.x1, b.y1, b.x2, b.y2].map(f64::from);
    0.0 <= x1 && x1 <= x2 && x2 <= w as f64 && 0.0 <= y1 && y1 <= y2 && y2 <= h as f64
}

/// One image's layout: usually small; sometimes with a huge side, which leaves it without
/// elements (refused) or too large to hold.
fn image_layout(u: &mut Unstructured<'_>, c: usize, order: ChannelOrder) -> Result<ImageLayout> {
    let dim = |u: &mut Unstructured<'_>| -> Result<usize> {
        Ok(match u.int_in_range(0..=31)? {
            0 => side(u)?,
            1 => u.int_in_range(0..=300)?,
            _ => u.int_in_range(0..=9)?,
        })
    };
    let (h, w) = (dim(u)?, dim(u)?);
    Ok(ImageLayout {
        height: h,
        width: w,
        ..if order == ChannelOrder::Hwc {
            ImageLayout::nhwc(c, 0, 0)
        } else {
            ImageLayout::nchw(c, 0, 0)
        }
    })
}

/// The documented size rule: a zero factor gives zero, otherwise checked.
fn product(factors: &[usize]) -> Option<usize> {
    if factors.contains(&0) {
        return Some(0);
    }
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

/// An image's data: its length (sometimes one more), or a few elements if it cannot be held.
fn pixels<T: Value>(u: &mut Unstructured<'_>, l: &ImageLayout) -> Result<Vec<T>> {
    let len = match product(&[l.channels, l.height, l.width]) {
        Some(s) if s <= 1 << 12 => s + usize::from(u.ratio(1, 24)?),
        _ => u.int_in_range(0..=4)?,
    };
    let mut v = Vec::with_capacity(len);
    for _ in 0..len.min(64) {
        v.push(T::arbitrary(u)?);
    }
    for k in v.len()..len {
        v.push(v[k % 64]);
    }
    Ok(v)
}

/// `DetectionImage::new(Batch::new(data, layout)?, boxes)` with the verdict checked: one
/// non-empty image, every box inside it.
fn image<'a, T: Value>(
    data: &'a [T],
    layout: ImageLayout,
    boxes: &'a [DetectionBox],
) -> Option<DetectionImage<'a, T>> {
    let s = product(&[layout.channels, layout.height, layout.width]);
    let one_image = s.is_some_and(|s| s > 0 && data.len() == s);
    let boxes_ok = boxes.iter().all(|b| box_ok(b, layout.height, layout.width));
    let made = Batch::new(data, layout).and_then(|b| DetectionImage::new(b, boxes));
    assert_eq!(
        made.is_ok(),
        one_image && boxes_ok,
        "{:?} {layout:?} len={} {boxes:?}",
        made.err(),
        data.len()
    );
    let img = made.ok()?;
    assert_eq!(img.layout(), layout);
    assert_eq!(img.boxes(), boxes);
    Some(img)
}

fn detection<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    let c = if u.ratio(1, 32)? {
        side(u)?
    } else {
        u.int_in_range(0..=3)?
    };
    let order = if u.arbitrary()? {
        ChannelOrder::Hwc
    } else {
        ChannelOrder::Chw
    };
    // The second image: usually the first one's channels and order.
    let (cb, order_b) = match u.int_in_range(0..=15)? {
        0 => (u.int_in_range(0..=4)?, order),
        1 if order == ChannelOrder::Chw => (c, ChannelOrder::Hwc),
        _ => (c, order),
    };
    let (la, lb) = (image_layout(u, c, order)?, image_layout(u, cb, order_b)?);
    let (da, db) = (pixels::<T>(u, &la)?, pixels::<T>(u, &lb)?);
    let (ba, bb) = (
        boxes(u, la.height, la.width)?,
        boxes(u, lb.height, lb.width)?,
    );
    let lambda = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    let (Some(a), Some(b)) = (image(&da, la, &ba), image(&db, lb, &bb)) else {
        return Ok(());
    };

    let (h, w) = (la.height.max(lb.height), la.width.max(lb.width));
    let canvas_ok = c == cb && order == order_b;
    let cl = canvas_layout(&a, &b);
    assert_eq!(cl.is_ok(), canvas_ok, "{cl:?} {la:?} {lb:?}");
    let Ok(cl) = cl else {
        let mut canvas = vec![T::SENTINEL; 4];
        let mut out = [WeightedBox::default(); 8];
        assert!(mix_detection(&a, &b, 0.5, &mut canvas, &mut out).is_err());
        assert!(canvas.iter().all(|x| x.bits() == T::SENTINEL.bits()));
        assert!(out.iter().all(|x| *x == WeightedBox::default()));
        return Ok(());
    };
    assert_eq!(
        cl,
        ImageLayout {
            height: h,
            width: w,
            ..la
        }
    );
    // Both images hold their elements, so the canvas (at most their sum squared) does too.
    let s = cl.sample_len().expect("the canvas of two images fits");
    assert_eq!(s, c * h * w);
    if s > 1 << 16 {
        return Ok(());
    }
    let needed = ba.len() + bb.len();
    let clen = s + usize::from(u.ratio(1, 24)?);
    let blen = needed.saturating_sub(usize::from(u.ratio(1, 16)?)) + u.int_in_range(0..=2)?;
    let mut canvas = vec![T::SENTINEL; clen];
    let sentinel = WeightedBox {
        object: DetectionBox {
            x1: -1.0,
            y1: -1.0,
            x2: -1.0,
            y2: -1.0,
            class: 9,
        },
        weight: -1.0,
    };
    let mut out = vec![sentinel; blen];
    let valid = clen == s && blen >= needed && (0.0..=1.0).contains(&lambda);
    let r = mix_detection(&a, &b, lambda, &mut canvas, &mut out);
    assert_eq!(r.is_ok(), valid, "{r:?}");
    let Ok(done) = r else {
        assert!(canvas.iter().all(|x| x.bits() == T::SENTINEL.bits()));
        assert!(out.iter().all(|x| *x == sentinel));
        return Ok(());
    };
    assert_eq!((done.layout, done.boxes), (cl, needed));
    let applied = applied_lambda::<T>(lambda).unwrap();
    assert_eq!(done.lambda.to_bits(), applied.to_bits());
    for (k, x) in out.iter().enumerate() {
        if k < needed {
            let (src, want) = if k < ba.len() {
                (ba[k], applied)
            } else {
                (bb[k - ba.len()], 1.0 - applied)
            };
            assert_eq!(x.object, src);
            assert!(box_ok(&x.object, h, w));
            assert!((0.0..=1.0).contains(&x.weight) && x.weight.is_sign_positive());
            assert_eq!(x.weight, want as f32);
        } else {
            assert_eq!(*x, sentinel, "box past the end written");
        }
    }
    let at = |d: &[T], l: &ImageLayout, ch: usize, y: usize, x: usize| -> T {
        if y >= l.height || x >= l.width {
            return T::default();
        }
        match order {
            ChannelOrder::Chw => d[(ch * l.height + y) * l.width + x],
            _ => d[(y * l.width + x) * c + ch],
        }
    };
    for ch in 0..c {
        for y in 0..h {
            for x in 0..w {
                let k = match order {
                    ChannelOrder::Chw => (ch * h + y) * w + x,
                    _ => (y * w + x) * c + ch,
                };
                let mut o = [T::SENTINEL];
                blend(
                    &mut o,
                    &[at(&da, &la, ch, y, x)],
                    &[at(&db, &lb, ch, y, x)],
                    lambda,
                )
                .unwrap();
                assert_eq!(canvas[k].bits(), o[0].bits(), "({ch}, {y}, {x})");
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=2u8) {
        Ok(0) => cutmix(&mut u),
        Ok(1) => detection::<u8>(&mut u),
        Ok(_) => detection::<f32>(&mut u),
        Err(e) => Err(e),
    };
});
