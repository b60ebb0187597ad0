//! `Mixup::apply_per_sample` with every setting arbitrary: α, probability and its scope, label
//! smoothing, pairing, granularity, CutMix α, ratio range, switch probability and its scope,
//! layouts, labels and buffer lengths: no panic; settings refused exactly when invalid; an `Err`
//! exactly for invalid input, with every buffer and the generator untouched; otherwise partners
//! a permutation, ops consistent with the settings (one per pair, none for fixed points),
//! rectangles inside the image, every λ the op's λ in [0, 1], data as the op defines it from the
//! original batch, kept samples untouched, label rows λ·s(y_a) + (1 − λ)·s(y_b) summing to 1.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    ChannelOrder, CutMix, Granularity, ImageLayout, Mixup, Pairing, SampleOp, Scope,
    applied_lambda, blend, unpasted_fraction,
};
use mixup_fuzz::{ScriptedRng, any_f64, is_permutation, shape, unit_f64};

fn scope(u: &mut Unstructured<'_>) -> Result<Scope> {
    Ok(if u.arbitrary()? {
        Scope::Sample
    } else {
        Scope::Batch
    })
}

fn config(u: &mut Unstructured<'_>) -> Result<Option<Mixup>> {
    let alpha = shape(u)?;
    let m = Mixup::new(alpha);
    assert_eq!(m.is_ok(), alpha.is_finite() && alpha > 0.0);
    let Ok(mut m) = m else { return Ok(None) };
    let p = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    let r = m.with_probability(p);
    assert_eq!(r.is_ok(), (0.0..=1.0).contains(&p));
    let Ok(r) = r else { return Ok(None) };
    m = r.with_probability_scope(scope(u)?);
    let eps = if u.ratio(1, 8)? {
        any_f64(u)?
    } else {
        unit_f64(u)? * 0.5
    };
    let r = m.with_label_smoothing(eps);
    assert_eq!(r.is_ok(), (0.0..1.0).contains(&eps));
    let Ok(r) = r else { return Ok(None) };
    m = r.with_pairing(match u.int_in_range(0..=3)? {
        0 => Pairing::Roll(u.arbitrary()?),
        1 => Pairing::Flip,
        2 => Pairing::Shuffle,
        _ => Pairing::Derangement,
    });
    m = m.with_granularity(*u.choose(&[
        Granularity::Batch,
        Granularity::Pair,
        Granularity::Sample,
    ])?);
    if u.arbitrary()? {
        let ca = shape(u)?;
        let c = CutMix::new(ca);
        assert_eq!(c.is_ok(), ca.is_finite() && ca > 0.0);
        let Ok(mut c) = c else { return Ok(None) };
        if u.arbitrary()? {
            let (lo, hi) = (unit_f64(u)?, unit_f64(u)?);
            let r = c.with_ratio_range(lo, hi);
            assert_eq!(r.is_ok(), 0.0 <= lo && lo <= hi && hi <= 1.0, "{lo} {hi}");
            let Ok(r) = r else { return Ok(None) };
            c = r;
        }
        let s = unit_f64(u)?;
        let r = m.with_cutmix(c, s);
        assert_eq!(r.is_ok(), (0.0..=1.0).contains(&s));
        let Ok(r) = r else { return Ok(None) };
        m = r.with_switch_scope(scope(u)?);
    }
    Ok(Some(m))
}

fn run<T: mixup::Element + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    value: fn(u8) -> T,
    bits: fn(T) -> u64,
) -> Result<()> {
    let Some(m) = config(u)? else { return Ok(()) };
    let (c, h, w) = (
        u.int_in_range(0..=3)?,
        u.int_in_range(0..=8)?,
        u.int_in_range(0..=12)?,
    );
    let layout = if u.arbitrary()? {
        ImageLayout::nhwc(c, h, w)
    } else {
        ImageLayout::nchw(c, h, w)
    };
    let n = u.int_in_range(0..=12)?;
    let classes = u.int_in_range(0..=6)?;
    let mut labels = Vec::new();
    for _ in 0..n {
        labels.push(u.int_in_range(0..=classes as i32)? - i32::from(u.ratio(1, 64)?));
    }
    let s = layout.sample_len().unwrap();
    let off = |u: &mut Unstructured<'_>, k: usize| -> Result<usize> {
        Ok(if u.ratio(1, 24)? { k + 1 } else { k })
    };
    let batch_len = off(u, n * s)?;
    let soft_len = off(u, n * classes)?;
    let (pl, ol, ll) = (off(u, n)?, off(u, n)?, off(u, n)?);
    let mut batch = Vec::with_capacity(batch_len);
    for _ in 0..batch_len {
        batch.push(value(u.arbitrary()?));
    }
    let mut rng: ScriptedRng = u.arbitrary()?;
    let mut soft = vec![-1.0f32; soft_len];
    let mut partners = vec![usize::MAX; pl];
    let mut ops = vec![SampleOp::Blend(-1.0); ol];
    let mut lambdas = vec![-1.0; ll];
    let valid = batch_len == n * s
        && soft_len == n * classes
        && pl == n
        && ol == n
        && ll == n
        && classes > 0
        && labels.iter().all(|&l| l >= 0 && (l as usize) < classes)
        && !(m.pairing() == Pairing::Derangement && n == 1);
    let (batch0, rng0) = (batch.clone(), rng.clone());
    let r = m.apply_per_sample(
        &mut rng,
        &mut batch,
        &layout,
        &labels,
        classes,
        &mut soft,
        &mut partners,
        &mut ops,
        &mut lambdas,
    );
    assert_eq!(r.is_ok(), valid, "{r:?} n={n} C={classes} {layout:?}");
    if r.is_err() {
        assert_eq!(
            batch.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
            batch0.iter().map(|&x| bits(x)).collect::<Vec<_>>()
        );
        assert!(soft.iter().all(|&x| x == -1.0));
        assert!(partners.iter().all(|&x| x == usize::MAX));
        assert!(ops.iter().all(|&o| o == SampleOp::Blend(-1.0)));
        assert!(lambdas.iter().all(|&x| x == -1.0));
        assert_eq!(rng, rng0, "generator advanced on Err");
        return Ok(());
    }
    assert!(is_permutation(&partners));
    let (eps, p, sw) = (m.label_smoothing(), m.probability(), m.switch_probability());
    for i in 0..n {
        let j = partners[i];
        let op = ops[i];
        if i == j || p == 0.0 {
            assert_eq!(op, SampleOp::Keep);
        }
        if m.granularity() == Granularity::Pair {
            assert_eq!(op, ops[j], "pair {i} {j}");
        }
        let lam = match op {
            SampleOp::Keep => 1.0,
            SampleOp::Blend(l) => {
                assert!((0.0..=1.0).contains(&l) && sw < 1.0);
                applied_lambda::<T>(l).unwrap()
            }
            SampleOp::Paste(r) => {
                assert!(m.cutmix().is_some() && sw > 0.0);
                assert!(
                    r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
                    "{r:?}"
                );
                unpasted_fraction(h, w, &r)
            }
        };
        assert_eq!(lambdas[i], lam);
        assert!((0.0..=1.0).contains(&lam));
        for k in 0..s {
            let (a, b) = (batch0[i * s + k], batch0[j * s + k]);
            let want = match op {
                SampleOp::Keep => a,
                SampleOp::Blend(l) => {
                    let mut o = [a];
                    blend(&mut o, &[a], &[b], l).unwrap();
                    o[0]
                }
                SampleOp::Paste(r) => {
                    let (y, x) = match layout.order {
                        ChannelOrder::Chw => ((k / w) % h, k % w),
                        ChannelOrder::Hwc => (k / (w * c), (k / c) % w),
                    };
                    if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) {
                        b
                    } else {
                        a
                    }
                }
            };
            assert_eq!(
                bits(batch[i * s + k]),
                bits(want),
                "sample {i} element {k} {op:?}"
            );
        }
        let (ya, yb) = (labels[i] as usize, labels[j] as usize);
        let row = &soft[i * classes..][..classes];
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        assert!(
            (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
            "row {i} sums to {sum}"
        );
        let (offv, on) = (eps / classes as f64, 1.0 - eps + eps / classes as f64);
        for (cl, &x) in row.iter().enumerate() {
            let sv = |y: usize| if y == cl { on } else { offv };
            let want = lam * sv(ya) + (1.0 - lam) * sv(yb);
            assert!(
                (x as f64 - want).abs() <= 2.0 * f32::EPSILON as f64,
                "row {i} class {cl}: {x} vs {want}"
            );
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=2u8) {
        Ok(0) => run::<u8>(&mut u, |b| b, |x| x as u64),
        Ok(1) => run::<f32>(&mut u, |b| b as f32 - 100.0, |x| x.to_bits() as u64),
        Ok(_) => run::<u16>(&mut u, |b| b as u16 * 257, |x| x as u64),
        Err(e) => Err(e),
    };
});
