//! `collate_u8` and `Normalize::new` with arbitrary layouts, per-channel statistics (NaN, ±∞,
//! zero, negative), partners, operations and buffer lengths: no panic; statistics refused
//! exactly when a mean is not finite or a std is not finite and positive; an `Err` exactly for
//! invalid input, with nothing written; otherwise every output element (CHW) equals the
//! documented formula `m·scale_c + shift_c` bit for bit, with the exact integer mix `m` = 256·a,
//! 256·b or `w·a + (256 − w)·b` for `w = round(λ·256)`, and every λ in [0, 1].
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{ChannelOrder, ImageLayout, Normalize, Rect, SampleOp, collate_u8, unpasted_fraction};
use mixup_fuzz::{any_f64, is_permutation, partners, unit_f64};

/// The u8 kernels' weight for λ (its rounding is checked by the blend target).
fn u8_weight(l: f64) -> u32 {
    (mixup::applied_lambda::<u8>(l).unwrap() * 256.0) as u32
}

fn stat(u: &mut Unstructured<'_>) -> Result<f32> {
    Ok(if u.ratio(1, 8)? {
        any_f64(u)? as f32
    } else {
        u.int_in_range(1..=1000u32)? as f32 / 1000.0
    })
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let (c, h, w) = (
        u.int_in_range(0..=4)?,
        u.int_in_range(0..=6)?,
        u.int_in_range(0..=20)?,
    );
    let layout = if u.arbitrary()? {
        ImageLayout::nhwc(c, h, w)
    } else {
        ImageLayout::nchw(c, h, w)
    };
    let nc = if u.ratio(1, 16)? { c + 1 } else { c };
    let (mut mean, mut std) = (Vec::new(), Vec::new());
    for _ in 0..nc {
        mean.push(stat(u)?);
        std.push(stat(u)?);
    }
    let norm = Normalize::new(&mean, &std);
    let stats_ok = mean
        .iter()
        .zip(&std)
        .all(|(m, s)| m.is_finite() && s.is_finite() && *s > 0.0);
    assert_eq!(norm.is_ok(), stats_ok);
    let Ok(norm) = norm else { return Ok(()) };
    let n = u.int_in_range(0..=6)?;
    let partners = partners(u, n)?;
    let mut ops = Vec::new();
    for _ in 0..partners.len() {
        ops.push(match u.int_in_range(0..=2)? {
            0 => SampleOp::Keep,
            1 => SampleOp::Blend(unit_f64(u)?),
            _ => SampleOp::Paste(Rect {
                y1: u.int_in_range(0..=h + 1)?,
                y2: u.int_in_range(0..=h + 1)?,
                x1: u.int_in_range(0..=w + 1)?,
                x2: u.int_in_range(0..=w + 1)?,
            }),
        });
    }
    let s = c * h * w;
    let len = partners.len() * s + usize::from(u.ratio(1, 24)?);
    let mut src = Vec::new();
    for _ in 0..len {
        src.push(u.arbitrary::<u8>()?);
    }
    let out_len = partners.len() * s + usize::from(u.ratio(1, 24)?);
    let mut out = vec![f32::NAN; out_len];
    let mut lambdas = vec![-1.0; partners.len()];
    let valid = len == partners.len() * s
        && out_len == len
        && nc == c
        && is_permutation(&partners)
        && ops.iter().all(|o| match *o {
            SampleOp::Keep => true,
            SampleOp::Blend(l) => (0.0..=1.0).contains(&l),
            SampleOp::Paste(r) => r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
        });
    let r = collate_u8(
        &mut out,
        &src,
        &layout,
        &partners,
        &ops,
        &mut lambdas,
        &norm,
    );
    assert_eq!(r.is_ok(), valid, "{r:?}");
    if r.is_err() {
        assert!(out.iter().all(|x| x.is_nan()) && lambdas.iter().all(|&l| l == -1.0));
        return Ok(());
    }
    for (i, op) in ops.iter().enumerate() {
        let j = partners[i];
        let lam = match *op {
            SampleOp::Keep => 1.0,
            SampleOp::Blend(l) => u8_weight(l) as f64 / 256.0,
            SampleOp::Paste(r) => unpasted_fraction(h, w, &r),
        };
        assert_eq!(lambdas[i], lam);
        assert!((0.0..=1.0).contains(&lam));
        for ch in 0..c {
            let (scale, shift) = norm.constants(ch).unwrap();
            for y in 0..h {
                for x in 0..w {
                    let k = match layout.order {
                        ChannelOrder::Chw => (ch * h + y) * w + x,
                        ChannelOrder::Hwc => (y * w + x) * c + ch,
                    };
                    let (a, b) = (src[i * s + k] as u32, src[j * s + k] as u32);
                    let m = match *op {
                        SampleOp::Keep => 256 * a,
                        SampleOp::Blend(l) => {
                            let w = u8_weight(l);
                            w * a + (256 - w) * b
                        }
                        SampleOp::Paste(r) => {
                            if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) {
                                256 * b
                            } else {
                                256 * a
                            }
                        }
                    };
                    let want = m as f32 * scale + shift;
                    let got = out[i * s + (ch * h + y) * w + x];
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "sample {i} ({ch},{y},{x}) {op:?}"
                    );
                }
            }
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = run(&mut Unstructured::new(data));
});
