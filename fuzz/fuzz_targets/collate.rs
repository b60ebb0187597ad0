//! `collate_u8` and `Normalize::new` with arbitrary layouts (huge ones included), per-channel
//! statistics (NaN, ±∞, zero, negative, subnormal), partners, operations, plans (checked draws
//! or one op for a permutation) and buffer lengths: no panic; statistics refused with
//! `InvalidNormalization` exactly when a mean is not finite or a std is not finite and positive,
//! `NormalizationOverflow` only for a channel whose constants come near `f32::MAX`, and every
//! accepted channel normalizing every byte to a finite value; the constants as documented; an
//! `Err` exactly for invalid input, with nothing written; otherwise every output element (CHW)
//! equals the documented formula `m·scale_c + shift_c` bit for bit, with the exact integer mix
//! `m` = 256·a, 256·b or `w·a + (256 − w)·b` for `w = round(λ·256)`, every recorded λ is
//! `w/256` (or the unpasted fraction) in [0, 1], and `mix` of the same plan in `u8` is `m/256`
//! rounded to nearest, halves up: the collate is the mix, normalized, without the rounding.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Batch, ChannelNorm, ChannelOrder, Draw, Draws, Error, ImageLayout, Normalize, Permutation,
    Plan, Rect, SampleOp, Shape, applied_lambda, collate_u8, mix,
};
use mixup_fuzz::{any_f64, is_permutation, partners, unit_f64};

/// The u8 kernels' weight for λ (its rounding is checked by the blend target).
fn u8_weight(l: f64) -> u32 {
    (applied_lambda::<u8>(l).unwrap() * 256.0) as u32
}

fn stat(u: &mut Unstructured<'_>) -> Result<f32> {
    Ok(match u.int_in_range(0..=15)? {
        0 => any_f64(u)? as f32,
        1 => f32::from_bits(u.arbitrary()?),
        // Subnormal and the smallest normal numbers: constants that overflow, or nearly.
        2 => f32::from_bits(u.int_in_range(1..=0x0200_0000)?),
        3 => *u.choose(&[1e-36, 1e-37, 1e-38, 2e-38, 1e30, -1e30, f32::MAX, 0.0, -0.0])?,
        _ => u.int_in_range(1..=1000u32)? as f32 / 1000.0,
    })
}

/// The documented constants of a channel: `1/(255·256·std)` and `−mean/std`, each computed in
/// `f64` and rounded once to `f32`.
fn constants(n: &ChannelNorm) -> (f32, f32) {
    let (m, s) = (f64::from(n.mean), f64::from(n.std));
    ((1.0 / (65280.0 * s)) as f32, (-m / s) as f32)
}

fn dim(u: &mut Unstructured<'_>, max: usize) -> Result<usize> {
    Ok(match u.int_in_range(0..=31)? {
        0 => 0,
        1 => *u.choose(&[usize::MAX / 2 + 1, usize::MAX, 1 << 32])?,
        _ => u.int_in_range(1..=max)?,
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

fn op(u: &mut Unstructured<'_>, h: usize, w: usize) -> Result<SampleOp> {
    Ok(match u.int_in_range(0..=2)? {
        0 => SampleOp::Keep,
        1 => SampleOp::Blend(unit_f64(u)?),
        _ => SampleOp::Paste(rect(u, h, w)?),
    })
}

fn op_ok(op: &SampleOp, h: usize, w: usize) -> bool {
    match *op {
        SampleOp::Blend(l) => (0.0..=1.0).contains(&l),
        SampleOp::Paste(r) => r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
        _ => true,
    }
}

/// Checks `Normalize::new` against its contract and returns it if it accepted.
fn normalize(stats: &[ChannelNorm]) -> Option<Normalize<'_>> {
    let norm = Normalize::new(stats);
    let invalid = stats
        .iter()
        .position(|c| !(c.mean.is_finite() && c.std.is_finite() && c.std > 0.0));
    match (norm, invalid) {
        (Err(e), Some(channel)) => {
            let ChannelNorm { mean, std } = stats[channel];
            assert_eq!(
                format!("{e:?}"),
                format!("{:?}", Error::InvalidNormalization { channel, mean, std })
            );
            None
        }
        (Ok(_), Some(channel)) => panic!("accepted channel {channel} of {stats:?}"),
        (Err(Error::NormalizationOverflow { channel }), None) => {
            // Refused only near f32::MAX: the largest |y| of any byte is at m = 0 or 65280.
            let c = stats[channel];
            let (m, s) = (f64::from(c.mean), f64::from(c.std));
            let bound = 65280.0 / (65280.0 * s) + (m / s).abs();
            assert!(
                bound >= 0.5 * f64::from(f32::MAX),
                "channel {channel} refused: {c:?}, largest value {bound:e}"
            );
            None
        }
        (Err(e), None) => panic!("{e:?} for {stats:?}"),
        (Ok(norm), None) => {
            assert_eq!(norm.channels(), stats.len());
            assert_eq!(norm.constants(stats.len()), None);
            for (ch, c) in stats.iter().enumerate() {
                let (scale, shift) = norm.constants(ch).unwrap();
                let (ws, wh) = constants(c);
                assert_eq!(
                    (scale.to_bits(), shift.to_bits()),
                    (ws.to_bits(), wh.to_bits())
                );
                // Every byte, kept or mixed, gives a finite value: the extremes of m do.
                for m in [0.0f32, 65280.0] {
                    assert!((m * scale + shift).is_finite(), "{c:?} at m = {m}");
                }
            }
            Some(norm)
        }
    }
}

fn run(u: &mut Unstructured<'_>) -> Result<()> {
    let (c, h, w) = (dim(u, 4)?, dim(u, 6)?, dim(u, 20)?);
    let layout = if u.arbitrary()? {
        ImageLayout::nhwc(c, h, w)
    } else {
        ImageLayout::nchw(c, h, w)
    };
    let nc = if c > 4 {
        3
    } else if u.ratio(1, 16)? {
        c + 1
    } else {
        c
    };
    let mut stats = Vec::new();
    for _ in 0..nc {
        stats.push(ChannelNorm {
            mean: stat(u)?,
            std: stat(u)?,
        });
    }
    let Some(norm) = normalize(&stats) else {
        return Ok(());
    };
    let n = u.int_in_range(0..=6)?;
    let mut partners = partners(u, n)?;
    // One op per sample through checked draws, or one op for all through `Plan::same`.
    let same = u.ratio(1, 4)?;
    let mut ops = Vec::new();
    if same {
        ops = vec![op(u, h, w)?; partners.len()];
    } else {
        for _ in 0..partners.len() {
            ops.push(op(u, h, w)?);
        }
    }
    // The documented size rule: a zero factor gives zero, otherwise checked.
    let s = if [c, h, w].contains(&0) {
        Some(0)
    } else {
        c.checked_mul(h).and_then(|x| x.checked_mul(w))
    };
    assert_eq!(layout.sample_len().ok(), s, "{layout:?}");
    let total = s.and_then(|s| partners.len().checked_mul(s));
    let len = match total {
        Some(t) if t <= 1 << 13 => t + usize::from(u.ratio(1, 24)?),
        _ => u.int_in_range(0..=64)?,
    };
    let mut src = Vec::new();
    for _ in 0..len {
        src.push(u.arbitrary::<u8>()?);
    }
    let out_len = if u.ratio(1, 24)? { len + 1 } else { len };
    let batch_ok = s.is_some_and(|s| s > 0 && len % s == 0);
    let batch = Batch::new(&src, layout);
    assert_eq!(batch.is_ok(), batch_ok, "{batch:?}");
    let Ok(batch) = batch else { return Ok(()) };
    let s = s.unwrap();

    let partners0 = partners.clone();
    let mut records: Vec<Draw> = partners
        .iter()
        .zip(&ops)
        .map(|(&partner, &op)| Draw {
            partner,
            op,
            lambda: -1.0,
        })
        .collect();
    let perm_ok = is_permutation(&partners);
    let ops_ok = ops.iter().all(|o| op_ok(o, h, w));
    let (mut perm, mut draws) = (None, None);
    let plan: Plan<'_> = if same {
        // One op for all, checked by the collate itself.
        let p = Permutation::new(&mut partners);
        assert_eq!(p.is_ok(), perm_ok, "{p:?}");
        let Ok(p) = p else { return Ok(()) };
        Plan::same(perm.insert(p), ops.first().copied().unwrap_or_default())
    } else {
        let shape = Shape::<u8>::new(layout, partners.len());
        assert_eq!(shape.is_ok(), partners.len().checked_mul(s).is_some());
        let Ok(shape) = shape else { return Ok(()) };
        let d = Draws::new(&mut records, shape);
        assert_eq!(d.is_ok(), perm_ok && ops_ok, "{d:?}");
        let Ok(d) = d else { return Ok(()) };
        (&*draws.insert(d)).into()
    };
    let valid = out_len == len && plan.len() == batch.len() && nc == c && ops_ok;
    let nan = f32::from_bits(0x7fc0_dead);
    let mut out = vec![nan; out_len];
    let r = collate_u8(&mut out, &batch, plan, &norm);
    assert_eq!(r.is_ok(), valid, "{r:?} {layout:?} {ops:?}");
    if r.is_err() {
        assert!(
            out.iter().all(|x| x.to_bits() == nan.to_bits()),
            "out written on Err"
        );
        return Ok(());
    }
    let mut mixed = vec![0u8; len];
    mix(&mut mixed, &batch, plan).expect("the plan fits the batch");
    let inside =
        |r: &Rect, y: usize, x: usize| (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x);
    for (i, op) in ops.iter().enumerate() {
        let j = partners0[i];
        if let Some(d) = &draws {
            let l = d.get(i).unwrap().lambda;
            let want = match *op {
                _ if i == j => 1.0,
                SampleOp::Blend(l) => u8_weight(l) as f64 / 256.0,
                SampleOp::Paste(r) => {
                    let kept = (0..h * w).filter(|&p| !inside(&r, p / w, p % w)).count();
                    kept as f64 / (h * w) as f64
                }
                _ => 1.0,
            };
            assert_eq!(l.to_bits(), want.to_bits(), "sample {i} {op:?}");
            assert!((0.0..=1.0).contains(&l));
        }
        for ch in 0..c {
            let (scale, shift) = norm.constants(ch).unwrap();
            for y in 0..h {
                for x in 0..w {
                    let k = match layout.order {
                        ChannelOrder::Chw => (ch * h + y) * w + x,
                        _ => (y * w + x) * c + ch,
                    };
                    let (a, b) = (src[i * s + k] as u32, src[j * s + k] as u32);
                    let m = match *op {
                        _ if i == j => 256 * a,
                        SampleOp::Blend(l) => {
                            let w = u8_weight(l);
                            w * a + (256 - w) * b
                        }
                        SampleOp::Paste(r) if inside(&r, y, x) => 256 * b,
                        _ => 256 * a,
                    };
                    let want = m as f32 * scale + shift;
                    let got = out[i * s + (ch * h + y) * w + x];
                    assert_eq!(
                        got.to_bits(),
                        want.to_bits(),
                        "sample {i} ({ch},{y},{x}) {op:?}"
                    );
                    assert!(got.is_finite());
                    // The same plan mixed in u8: the exact mix rounded to nearest, halves up.
                    assert_eq!(
                        u32::from(mixed[i * s + k]),
                        (m + 128) >> 8,
                        "u8 mix of sample {i} ({ch},{y},{x}) {op:?}"
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
