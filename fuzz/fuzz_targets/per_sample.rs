//! Per-sample operations through `Draws::new`, `mix` and `mix_inplace`, with arbitrary layouts
//! (huge ones included), partners, per-sample operations (kept, blended with any λ, CutMix
//! rectangles in and out of the image), draw shapes and batch layouts that may disagree, and
//! buffer lengths: no panic; `Shape::new`, `Batch::new` and `BatchMut::new` refused exactly
//! when the documented size rule says so; `Draws::new` refused exactly for invalid records, with
//! the records untouched; `mix` and `mix_inplace` refused exactly for a plan that does not fit
//! the batch (or a `dst` of the wrong length), with nothing written; otherwise every record's λ
//! is the one its op applies to the element type (never `-0.0`), every element is what the
//! definition gives from the original batch (one `blend` of two elements, or a copy), in place
//! equal to out of place, and the records read back clean once the draws are dropped.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Batch, BatchMut, ChannelOrder, Draw, Draws, Element, ImageLayout, Rect, SampleOp, Shape,
    applied_lambda, blend, mix, mix_inplace,
};
use mixup_fuzz::{is_permutation, partners, unit_f64};

trait Value: Element {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    fn bits(self) -> u64;
    /// What an untouched output holds.
    const SENTINEL: Self;
}

impl Value for u8 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
    const SENTINEL: Self = 0xa5;
}

impl Value for f32 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        // Finite values: NaN payloads are not promised (see the batch target).
        let v = if u.ratio(1, 8)? {
            f32::from_bits(u.arbitrary()?)
        } else {
            u.int_in_range(-512i32..=512)? as f32 / 4.0
        };
        Ok(if v.is_nan() { 0.0 } else { v })
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    const SENTINEL: Self = -7.125;
}

fn bits<T: Value>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.bits()).collect()
}

/// The crate's documented size rule, restated: a zero factor gives zero, otherwise the product
/// must fit in `usize`.
fn product(factors: &[usize]) -> Option<usize> {
    if factors.contains(&0) {
        return Some(0);
    }
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

/// Elements per sample of `l` by the rule, `None` on overflow.
fn sample_len(l: &ImageLayout) -> Option<usize> {
    product(&[l.channels, l.height, l.width])
}

fn layout(u: &mut Unstructured<'_>) -> Result<ImageLayout> {
    let c = if u.ratio(1, 32)? {
        *u.choose(&[usize::MAX / 2 + 1, usize::MAX, 1 << 32])?
    } else {
        u.int_in_range(0..=4)?
    };
    let h = u.int_in_range(0..=9)?;
    let w = u.int_in_range(0..=20)?;
    Ok(if u.arbitrary()? {
        ImageLayout::nhwc(c, h, w)
    } else {
        ImageLayout::nchw(c, h, w)
    })
}

fn op(u: &mut Unstructured<'_>, h: usize, w: usize) -> Result<SampleOp> {
    Ok(match u.int_in_range(0..=2)? {
        0 => SampleOp::Keep,
        1 => SampleOp::Blend(unit_f64(u)?),
        _ => SampleOp::Paste(rect(u, h, w)?),
    })
}

/// A rectangle: mostly inside an `h × w` image, sometimes inverted or reaching one past it.
fn rect(u: &mut Unstructured<'_>, h: usize, w: usize) -> Result<Rect> {
    let (h1, w1) = (h.saturating_add(1), w.saturating_add(1));
    let [x1, y1, x2, y2] = [
        u.int_in_range(0..=w1)?,
        u.int_in_range(0..=h1)?,
        u.int_in_range(0..=w1)?,
        u.int_in_range(0..=h1)?,
    ];
    Ok(if u.ratio(1, 8)? {
        Rect { x1, y1, x2, y2 }
    } else {
        Rect {
            x1: x1.min(x2).min(w),
            y1: y1.min(y2).min(h),
            x2: x1.max(x2).min(w),
            y2: y1.max(y2).min(h),
        }
    })
}

/// Whether `op` is valid for an image of `l`: λ in [0, 1], a rectangle inside the image.
fn op_ok(op: &SampleOp, l: &ImageLayout) -> bool {
    match *op {
        SampleOp::Blend(x) => (0.0..=1.0).contains(&x),
        SampleOp::Paste(r) => r.y1 <= r.y2 && r.y2 <= l.height && r.x1 <= r.x2 && r.x2 <= l.width,
        _ => true,
    }
}

/// Row and column of element `k` of a sample.
fn pixel(l: &ImageLayout, k: usize) -> (usize, usize) {
    match l.order {
        ChannelOrder::Chw => ((k / l.width) % l.height, k % l.width),
        _ => (k / (l.width * l.channels), (k / l.channels) % l.width),
    }
}

/// The fraction of the image's pixels outside `r`, from exact integers.
fn unpasted(l: &ImageLayout, r: &Rect) -> f64 {
    let total = l.height as u128 * l.width as u128;
    if total == 0 {
        return 1.0;
    }
    let area = (r.height() as u128 * r.width() as u128).min(total);
    (total - area) as f64 / total as f64
}

fn one<T: Value>(a: T, b: T, lambda: f64) -> T {
    let mut o = [T::SENTINEL];
    blend(&mut o, &[a], &[b], lambda).expect("valid λ");
    o[0]
}

/// `flat`: non-image samples of any length (up to `usize::MAX`), every op a blend, as per-sample
/// λ are used; otherwise images with every kind of op.
fn run<T: Value>(u: &mut Unstructured<'_>, flat: bool) -> Result<()> {
    let layout = if flat {
        ImageLayout::flat(if u.ratio(1, 32)? {
            usize::MAX
        } else {
            u.int_in_range(0..=1100)?
        })
    } else {
        layout(u)?
    };
    let n = u.int_in_range(0..=10)?;
    let partners = partners(u, n)?;
    let mut ops = Vec::with_capacity(partners.len());
    for _ in 0..partners.len() {
        ops.push(if flat {
            SampleOp::Blend(unit_f64(u)?)
        } else {
            op(u, layout.height, layout.width)?
        });
    }
    // The draws are made for a shape of `shape_n` samples, usually the records' count.
    let shape_n = match u.int_in_range(0..=15)? {
        0 => partners.len() + 1,
        1 => partners.len().saturating_sub(1),
        _ => partners.len(),
    };
    // The batch they are carried out on: usually the draws' layout; sometimes another channel
    // count (a mask replayed with an image's draws), another image size, or the other order.
    let batch_layout = match u.int_in_range(0..=15)? {
        0 => layout.with_channels(u.int_in_range(0..=4)?),
        1 => ImageLayout {
            height: u.int_in_range(0..=9)?,
            ..layout
        },
        2 => ImageLayout {
            width: u.int_in_range(0..=20)?,
            ..layout
        },
        3 if layout.order == ChannelOrder::Chw => ImageLayout {
            order: ChannelOrder::Hwc,
            ..layout
        },
        _ => layout,
    };
    let s_draws = sample_len(&layout);
    let s = sample_len(&batch_layout);
    assert_eq!(layout.sample_len().ok(), s_draws, "{layout:?}");
    assert_eq!(batch_layout.sample_len().ok(), s, "{batch_layout:?}");
    let batch_n = if u.ratio(1, 16)? {
        shape_n + 1
    } else {
        shape_n
    };
    let total = s.and_then(|s| batch_n.checked_mul(s));
    let len = match total {
        Some(t) if t <= 1 << 14 => t + usize::from(u.ratio(1, 16)?),
        _ => u.int_in_range(0..=64)?,
    };
    let mut src = Vec::with_capacity(len);
    for _ in 0..len.min(256) {
        src.push(T::arbitrary(u)?);
    }
    for k in src.len()..len {
        src.push(src[k % 256]);
    }
    let dst_len = if u.ratio(1, 16)? { len + 1 } else { len };

    // The batch views: the sample length must be non-zero and divide the data.
    let batch_ok = s.is_some_and(|s| s > 0 && len % s == 0);
    let batch = Batch::new(&src, batch_layout);
    assert_eq!(
        batch.is_ok(),
        batch_ok,
        "{:?} {batch_layout:?} len={len}",
        batch.err()
    );
    let mut inplace = src.clone();
    let view = BatchMut::new(&mut inplace, batch_layout);
    assert_eq!(view.is_ok(), batch_ok);
    if let Ok(b) = &batch {
        let s = s.unwrap();
        assert_eq!((b.len(), b.sample_len()), (len / s, s));
        assert_eq!(b.shape(), Shape::<T>::new(batch_layout, len / s).unwrap());
    }

    // The shape: a non-empty sample, and the whole batch within usize.
    let shape_ok = s_draws.is_some_and(|s| s > 0 && product(&[shape_n, s]).is_some());
    let shape = Shape::<T>::new(layout, shape_n);
    assert_eq!(
        shape.is_ok(),
        shape_ok,
        "{:?} {layout:?} n={shape_n}",
        shape.err()
    );
    let Ok(shape) = shape else { return Ok(()) };
    assert_eq!((shape.len(), shape.layout()), (shape_n, layout));

    // The records, checked against the shape.
    let mut records: Vec<Draw> = partners
        .iter()
        .zip(&ops)
        .map(|(&partner, &op)| Draw {
            partner,
            op,
            lambda: -1.0,
        })
        .collect();
    let before = format!("{records:?}");
    let records_ok = records.len() == shape_n
        && is_permutation(&partners)
        && ops.iter().all(|o| op_ok(o, &layout));
    // Made and dropped once to see the verdict with the records free again, then made for use.
    let verdict = Draws::new(&mut records, shape).map(drop);
    assert_eq!(
        verdict.is_ok(),
        records_ok,
        "{verdict:?} {layout:?} {partners:?} {ops:?} n={shape_n}"
    );
    if verdict.is_err() {
        assert_eq!(format!("{records:?}"), before, "records written on Err");
        return Ok(());
    }
    let draws = Draws::new(&mut records, shape).expect("accepted once, accepted twice");
    assert_eq!(draws.len(), partners.len());
    let lambdas: Vec<f64> = draws.iter().map(|d| d.lambda).collect();
    for (i, d) in draws.iter().enumerate() {
        assert_eq!((d.partner, d.op), (partners[i], ops[i]));
        let want = match ops[i] {
            _ if partners[i] == i => 1.0,
            SampleOp::Blend(l) => applied_lambda::<T>(l).unwrap(),
            SampleOp::Paste(r) => {
                assert_eq!(layout.unpasted_fraction(&r), unpasted(&layout, &r));
                unpasted(&layout, &r)
            }
            _ => 1.0,
        };
        assert!((0.0..=1.0).contains(&d.lambda), "{d:?}");
        assert_eq!(d.lambda.to_bits(), want.to_bits(), "sample {i} {d:?}");
    }

    // Carrying them out: the plan must fit the batch (its size and every op), and `dst` must
    // have the batch's length.
    let (Ok(batch), Ok(mut view)) = (batch, view) else {
        return Ok(());
    };
    let plan_ok = draws.len() == batch.len() && ops.iter().all(|o| op_ok(o, &batch_layout));
    let mut dst = vec![T::SENTINEL; dst_len];
    let r1 = mix(&mut dst, &batch, &draws);
    let r2 = mix_inplace(&mut view, &draws);
    assert_eq!(
        r1.is_ok(),
        plan_ok && dst_len == len,
        "{r1:?} {batch_layout:?} {ops:?} len={len} dst={dst_len}"
    );
    assert_eq!(r2.is_ok(), plan_ok, "{r2:?} {batch_layout:?} {ops:?}");
    drop(draws);
    // Dropped draws give the records back as the caller wrote them, λ completed.
    for (i, r) in records.iter().enumerate() {
        assert_eq!((r.partner, r.op), (partners[i], ops[i]));
        assert_eq!(r.lambda.to_bits(), lambdas[i].to_bits());
    }
    if r1.is_err() {
        assert!(
            dst.iter().all(|x| x.bits() == T::SENTINEL.bits()),
            "dst written on Err"
        );
    }
    if r2.is_err() {
        assert_eq!(bits(&inplace), bits(&src), "batch written on Err");
    }
    if !plan_ok {
        return Ok(());
    }
    let s = s.unwrap();
    for (i, op) in ops.iter().enumerate() {
        let j = partners[i];
        for k in 0..s {
            let (a, b) = (src[i * s + k], src[j * s + k]);
            let want = match *op {
                _ if i == j => a,
                SampleOp::Blend(l) => one(a, b, l),
                SampleOp::Paste(r) => {
                    let (y, x) = pixel(&batch_layout, k);
                    if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) {
                        b
                    } else {
                        a
                    }
                }
                _ => a,
            };
            assert_eq!(
                inplace[i * s + k].bits(),
                want.bits(),
                "in place: sample {i} element {k} {op:?} {batch_layout:?}"
            );
            if r1.is_ok() {
                assert_eq!(
                    dst[i * s + k].bits(),
                    want.bits(),
                    "out of place: sample {i} element {k} {op:?} {batch_layout:?}"
                );
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=3u8) {
        Ok(0) => run::<u8>(&mut u, false),
        Ok(1) => run::<f32>(&mut u, false),
        Ok(2) => run::<u8>(&mut u, true),
        Ok(_) => run::<f32>(&mut u, true),
        Err(e) => Err(e),
    };
});
