//! `mix_samples`, `mix_samples_inplace`, `mix_batch_per_sample` and
//! `mix_batch_per_sample_inplace` with arbitrary layouts, partners, per-sample operations (kept,
//! blended with any λ, CutMix rectangles in and out of the image) and buffer lengths: no panic;
//! an `Err` exactly for invalid input, with every buffer untouched; otherwise every element is
//! what the definition gives from the original batch (one `blend` of two elements, or a copy),
//! in place equal to out of place, every λ in [0, 1] and equal to the operation's λ.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    ChannelOrder, Element, ImageLayout, Rect, SampleOp, applied_lambda, blend,
    mix_batch_per_sample, mix_batch_per_sample_inplace, mix_samples, mix_samples_inplace,
    unpasted_fraction,
};
use mixup_fuzz::{is_permutation, partners, unit_f64};

trait Value: Element {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    fn bits(self) -> u64;
}

impl Value for u8 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
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
}

fn bits<T: Value>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.bits()).collect()
}

fn layout(u: &mut Unstructured<'_>) -> Result<ImageLayout> {
    let c = if u.ratio(1, 32)? {
        usize::MAX / 2 + 1
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
        _ => SampleOp::Paste(Rect {
            y1: u.int_in_range(0..=h + 1)?,
            y2: u.int_in_range(0..=h + 1)?,
            x1: u.int_in_range(0..=w + 1)?,
            x2: u.int_in_range(0..=w + 1)?,
        }),
    })
}

fn op_ok(op: &SampleOp, h: usize, w: usize) -> bool {
    match *op {
        SampleOp::Keep => true,
        SampleOp::Blend(l) => (0.0..=1.0).contains(&l),
        SampleOp::Paste(r) => r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
    }
}

/// Row and column of element `k` of a sample.
fn pixel(l: &ImageLayout, k: usize) -> (usize, usize) {
    match l.order {
        ChannelOrder::Chw => ((k / l.width) % l.height, k % l.width),
        ChannelOrder::Hwc => (k / (l.width * l.channels), (k / l.channels) % l.width),
    }
}

fn one<T: Value>(a: T, b: T, lambda: f64) -> T {
    let mut o = [T::default()];
    blend(&mut o, &[a], &[b], lambda).expect("valid λ");
    o[0]
}

fn samples<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    let layout = layout(u)?;
    let n = u.int_in_range(0..=10)?;
    let partners = partners(u, n)?;
    let mut ops = Vec::new();
    for _ in 0..u.int_in_range(n.saturating_sub(1)..=n + 1)? {
        ops.push(op(u, layout.height, layout.width)?);
    }
    let sample_len = layout.sample_len().ok();
    let total = sample_len.and_then(|s| partners.len().checked_mul(s));
    let len = match total {
        Some(t) if t <= 1 << 14 => {
            if u.ratio(1, 16)? {
                t + 1
            } else {
                t
            }
        }
        _ => u.int_in_range(0..=64)?,
    };
    let mut src = Vec::with_capacity(len);
    for _ in 0..len {
        src.push(T::arbitrary(u)?);
    }
    let lambdas_len = if u.ratio(1, 16)? {
        n + 1
    } else {
        partners.len()
    };
    let valid = total == Some(len)
        && ops.len() == partners.len()
        && lambdas_len == partners.len()
        && is_permutation(&partners)
        && ops.iter().all(|o| op_ok(o, layout.height, layout.width));

    let mut dst = vec![T::default(); len];
    let mut l1 = vec![-1.0; lambdas_len];
    let r1 = mix_samples(&mut dst, &src, &layout, &partners, &ops, &mut l1);
    let mut inplace = src.clone();
    let mut l2 = vec![-1.0; lambdas_len];
    let r2 = mix_samples_inplace(&mut inplace, &layout, &partners, &ops, &mut l2);
    assert_eq!(
        r1.is_ok(),
        valid,
        "{r1:?} {layout:?} {partners:?} {ops:?} len={len}"
    );
    assert_eq!(r2.is_ok(), valid, "{r2:?}");
    if !valid {
        assert!(
            dst.iter().all(|x| x.bits() == T::default().bits()),
            "dst written on Err"
        );
        assert_eq!(bits(&inplace), bits(&src), "batch written on Err");
        assert!(l1.iter().chain(&l2).all(|&l| l == -1.0), "λ written on Err");
        return Ok(());
    }
    assert_eq!(
        bits(&dst),
        bits(&inplace),
        "in place differs from out of place"
    );
    assert_eq!(l1, l2);
    let s = sample_len.unwrap();
    for (i, op) in ops.iter().enumerate() {
        let want_lambda = match *op {
            SampleOp::Keep => 1.0,
            SampleOp::Blend(l) => applied_lambda::<T>(l).unwrap(),
            SampleOp::Paste(r) => unpasted_fraction(layout.height, layout.width, &r),
        };
        assert!((0.0..=1.0).contains(&l1[i]));
        assert_eq!(l1[i], want_lambda);
        let j = partners[i];
        for k in 0..s {
            let (a, b) = (src[i * s + k], src[j * s + k]);
            let want = match *op {
                SampleOp::Keep => a,
                SampleOp::Blend(l) => one(a, b, l),
                SampleOp::Paste(r) => {
                    let (y, x) = pixel(&layout, k);
                    if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) {
                        b
                    } else {
                        a
                    }
                }
            };
            assert_eq!(
                dst[i * s + k].bits(),
                want.bits(),
                "sample {i} element {k} {op:?}"
            );
        }
    }
    Ok(())
}

fn per_sample<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=10)?;
    let sample_len = if u.ratio(1, 32)? {
        usize::MAX
    } else {
        u.int_in_range(0..=1100)?
    };
    let partners = partners(u, n)?;
    let mut lambdas = Vec::new();
    for _ in 0..u.int_in_range(n.saturating_sub(1)..=n + 1)? {
        lambdas.push(unit_f64(u)?);
    }
    let total = partners.len().checked_mul(sample_len);
    let len = match total {
        Some(t) if t <= 1 << 14 => t,
        _ => u.int_in_range(0..=64)?,
    };
    let mut src = Vec::with_capacity(len);
    for _ in 0..len.min(256) {
        src.push(T::arbitrary(u)?);
    }
    for k in src.len()..len {
        src.push(src[k % 256]);
    }
    let valid = total == Some(len)
        && lambdas.len() == partners.len()
        && is_permutation(&partners)
        && lambdas.iter().all(|l| (0.0..=1.0).contains(l));
    let mut dst = vec![T::default(); len];
    let mut l1 = lambdas.clone();
    let r1 = mix_batch_per_sample(&mut dst, &src, sample_len, &partners, &mut l1);
    let mut inplace = src.clone();
    let mut l2 = lambdas.clone();
    let r2 = mix_batch_per_sample_inplace(&mut inplace, sample_len, &partners, &mut l2);
    assert_eq!(r1.is_ok(), valid, "{r1:?}");
    assert_eq!(r2.is_ok(), valid, "{r2:?}");
    let same_bits = |x: &[f64], y: &[f64]| x.iter().zip(y).all(|(a, b)| a.to_bits() == b.to_bits());
    if !valid {
        assert!(dst.iter().all(|x| x.bits() == T::default().bits()));
        assert_eq!(bits(&inplace), bits(&src));
        assert!(
            same_bits(&l1, &lambdas) && same_bits(&l2, &lambdas),
            "λ written on Err"
        );
        return Ok(());
    }
    assert_eq!(
        bits(&dst),
        bits(&inplace),
        "in place differs from out of place"
    );
    for i in 0..partners.len() {
        assert_eq!(l1[i], applied_lambda::<T>(lambdas[i]).unwrap());
        assert_eq!(l1[i].to_bits(), l2[i].to_bits());
        let j = partners[i];
        for k in 0..sample_len {
            let want = one(src[i * sample_len + k], src[j * sample_len + k], lambdas[i]);
            assert_eq!(dst[i * sample_len + k].bits(), want.bits());
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=3u8) {
        Ok(0) => samples::<u8>(&mut u),
        Ok(1) => samples::<f32>(&mut u),
        Ok(2) => per_sample::<u8>(&mut u),
        Ok(_) => per_sample::<f32>(&mut u),
        Err(e) => Err(e),
    };
});
