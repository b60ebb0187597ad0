//! `Mixup::apply` with every setting arbitrary: α, probability and its scope, pairing,
//! granularity, CutMix α, ratio range, switch probability and its scope; labels with any
//! smoothing; value and class-index batches of any layout; buffer lengths: no panic; settings
//! and labels refused exactly when invalid; an `Err` exactly for invalid input, with every
//! buffer and the generator untouched; otherwise the same bytes, records, label rows and
//! generator state as `Mixup::draw` + `mix_inplace` + `Labels::mix`; partners a permutation, ops
//! consistent with the settings (one per pair, none for fixed points, one decision per batch
//! where the scope says so), rectangles inside the image, every λ the op's λ in [0, 1], data as
//! the op defines it from the original batch, kept samples untouched, label rows
//! λ·s(y_a) + (1 − λ)·s(y_b) summing to 1, and the records read back clean.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    BatchMut, ChannelOrder, CutMix, Draw, Element, Granularity, ImageLayout, Labels, Mixup,
    Pairing, SampleOp, Scope, applied_lambda, blend, mix_inplace,
};
use mixup_fuzz::{ScriptedRng, any_f64, is_permutation, shape, unit_f64};

fn scope(u: &mut Unstructured<'_>) -> Result<Scope> {
    Ok(if u.arbitrary()? {
        Scope::Sample
    } else {
        Scope::Batch
    })
}

/// A probability: mostly in [0, 1], anything sometimes.
fn probability(u: &mut Unstructured<'_>) -> Result<f64> {
    if u.ratio(1, 8)? {
        any_f64(u)
    } else {
        unit_f64(u)
    }
}

fn config(u: &mut Unstructured<'_>) -> Result<Option<Mixup>> {
    let alpha = shape(u)?;
    let m = Mixup::new(alpha);
    assert_eq!(m.is_ok(), alpha.is_finite() && alpha > 0.0, "α = {alpha}");
    let Ok(mut m) = m else { return Ok(None) };
    let p = probability(u)?;
    let r = m.with_probability(p);
    assert_eq!(r.is_ok(), (0.0..=1.0).contains(&p), "p = {p}");
    let Ok(r) = r else { return Ok(None) };
    // -0.0 is taken as 0.0.
    assert_eq!(r.probability().to_bits(), (p + 0.0).to_bits());
    m = r.with_probability_scope(scope(u)?);
    m = m.with_pairing(match u.int_in_range(0..=3)? {
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
        assert_eq!(c.is_ok(), ca.is_finite() && ca > 0.0, "CutMix α = {ca}");
        let Ok(mut c) = c else { return Ok(None) };
        if u.arbitrary()? {
            let (lo, hi) = (unit_f64(u)?, unit_f64(u)?);
            let r = c.with_ratio_range(lo, hi);
            assert_eq!(r.is_ok(), 0.0 <= lo && lo <= hi && hi <= 1.0, "{lo} {hi}");
            let Ok(r) = r else { return Ok(None) };
            c = r;
        }
        let s = probability(u)?;
        let r = m.with_cutmix(c, s);
        assert_eq!(r.is_ok(), (0.0..=1.0).contains(&s), "switch {s}");
        let Ok(r) = r else { return Ok(None) };
        assert_eq!(r.switch_probability().to_bits(), (s + 0.0).to_bits());
        m = r.with_switch_scope(scope(u)?);
    }
    Ok(Some(m))
}

/// A dimension: mostly 1..=max, sometimes 0 (a sample of no elements, refused).
fn dim(u: &mut Unstructured<'_>, max: usize) -> Result<usize> {
    if u.ratio(1, 32)? {
        Ok(0)
    } else {
        u.int_in_range(1..=max)
    }
}

/// `k`, or sometimes `k + 1`.
fn off(u: &mut Unstructured<'_>, k: usize) -> Result<usize> {
    Ok(if u.ratio(1, 24)? { k + 1 } else { k })
}

fn run<T: Element + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    value: fn(u8) -> T,
    bits: fn(T) -> u64,
) -> Result<()> {
    let Some(m) = config(u)? else { return Ok(()) };
    let (c, h, w) = (dim(u, 3)?, dim(u, 8)?, dim(u, 12)?);
    let layout = if u.arbitrary()? {
        ImageLayout::nhwc(c, h, w)
    } else {
        ImageLayout::nchw(c, h, w)
    };
    // A segmentation mask takes only rectangles and kept samples.
    let class_indices = u.ratio(1, 8)?;
    let s = c * h * w;
    let n = u.int_in_range(0..=12)?;
    let classes = if u.ratio(1, 64)? {
        0
    } else {
        u.int_in_range(1..=6)?
    };
    let mut labels = Vec::new();
    for _ in 0..off(u, n)? {
        labels.push(if u.ratio(1, 64)? {
            *u.choose(&[-1, classes as i32, i32::MIN, i32::MAX])?
        } else {
            u.int_in_range(0..=classes.max(1) as i32 - 1)?
        });
    }
    let eps = probability(u)? * if u.ratio(1, 4)? { 1.0 } else { 0.5 };
    let labels_ok = classes > 0 && labels.iter().all(|&l| l >= 0 && (l as usize) < classes);
    let l = Labels::classes(&labels, classes);
    assert_eq!(l.is_ok(), labels_ok, "{:?} C={classes}", l.err());
    let Ok(l) = l else { return Ok(()) };
    assert_eq!((l.len(), l.num_classes()), (labels.len(), classes));
    let l = l.with_smoothing(eps);
    assert_eq!(l.is_ok(), (0.0..1.0).contains(&eps), "ε = {eps}");
    let Ok(l) = l else { return Ok(()) };
    assert_eq!(l.smoothing().to_bits(), (eps + 0.0).to_bits());

    let batch_len = off(u, n * s)?;
    let records_len = off(u, n)?;
    let targets_len = off(u, n * classes)?;
    let mut batch = Vec::with_capacity(batch_len);
    for _ in 0..batch_len {
        batch.push(value(u.arbitrary()?));
    }
    let mut rng: ScriptedRng = u.arbitrary()?;
    let sentinel = Draw {
        partner: usize::MAX,
        op: SampleOp::Blend(-1.0),
        lambda: -1.0,
    };
    let mut records = vec![sentinel; records_len];
    let mut targets = vec![-1.0f32; targets_len];
    let (batch0, rng0) = (batch.clone(), rng.clone());
    let (mut batch2, mut rng2, mut records2, mut targets2) =
        (batch.clone(), rng.clone(), records.clone(), targets.clone());

    let view = if class_indices {
        BatchMut::class_indices(&mut batch, layout)
    } else {
        BatchMut::new(&mut batch, layout)
    };
    let batch_ok = s > 0 && batch_len % s == 0;
    assert_eq!(view.is_ok(), batch_ok, "{:?} {layout:?}", view.err());
    let Ok(mut view) = view else { return Ok(()) };
    let nb = batch_len / s;
    assert_eq!(view.len(), nb);
    let may_blend = m.cutmix().is_none() || m.switch_probability() < 1.0;
    let valid = labels.len() == nb
        && records_len == nb
        && targets_len == nb * classes
        && !(class_indices && may_blend)
        && !(m.pairing() == Pairing::Derangement && nb == 1);
    let r = m
        .apply(&mut rng, &mut view, &l, &mut records, &mut targets)
        .map(|d| d.iter().collect::<Vec<Draw>>());
    assert_eq!(r.is_ok(), valid, "{r:?} n={nb} C={classes} {layout:?}");
    let Ok(draws) = r else {
        assert_eq!(
            batch.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
            batch0.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
            "batch written on Err"
        );
        assert!(targets.iter().all(|&x| x == -1.0), "targets written on Err");
        assert!(
            records
                .iter()
                .all(|d| format!("{d:?}") == format!("{sentinel:?}")),
            "records written on Err"
        );
        assert_eq!(rng, rng0, "generator advanced on Err");
        return Ok(());
    };
    // Dropped draws leave the records as they read: no leader bit left behind.
    assert_eq!(records, draws);

    // The same configuration by hand: draw, mix in place, labels.
    {
        let mut view2 = if class_indices {
            BatchMut::class_indices(&mut batch2, layout)
        } else {
            BatchMut::new(&mut batch2, layout)
        }
        .expect("accepted above");
        let d2 = m
            .draw(&mut rng2, view2.shape(), &mut records2)
            .expect("apply drew");
        mix_inplace(&mut view2, &d2).expect("apply mixed");
        l.mix(&d2, &mut targets2).expect("apply wrote the labels");
    }
    assert_eq!(records2, draws, "draw gave other records than apply");
    assert_eq!(rng2, rng, "draw used another number of draws than apply");
    assert_eq!(
        batch2.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
        batch.iter().map(|&x| bits(x)).collect::<Vec<_>>(),
        "draw + mix_inplace differs from apply"
    );
    assert_eq!(
        targets2.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        targets.iter().map(|x| x.to_bits()).collect::<Vec<_>>(),
        "Labels::mix differs from apply"
    );

    let partners: Vec<usize> = draws.iter().map(|d| d.partner).collect();
    let ops: Vec<SampleOp> = draws.iter().map(|d| d.op).collect();
    assert!(is_permutation(&partners), "{partners:?}");
    let (eps, p, sw) = (l.smoothing(), m.probability(), m.switch_probability());
    let moved = |i: usize| partners[i] != i;
    for (i, d) in draws.iter().enumerate() {
        let (j, op) = (d.partner, d.op);
        if !moved(i) || p == 0.0 {
            assert_eq!(op, SampleOp::Keep, "sample {i}");
        }
        if p == 1.0 && moved(i) {
            assert_ne!(op, SampleOp::Keep, "sample {i} kept at p = 1");
        }
        if m.granularity() == Granularity::Pair {
            assert_eq!(op, ops[j], "pair {i} {j}");
        }
        let lam = match op {
            SampleOp::Blend(x) => {
                assert!((0.0..=1.0).contains(&x) && sw < 1.0 && !class_indices);
                applied_lambda::<T>(x).unwrap()
            }
            SampleOp::Paste(r) => {
                assert!(m.cutmix().is_some() && sw > 0.0);
                assert!(
                    r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w,
                    "{r:?}"
                );
                if let Some((lo, hi)) = m.cutmix().and_then(|c| c.ratio_range()) {
                    let side = |n: usize, x: f64| ((n as f64 * x) as usize).min(n);
                    assert!((side(h, lo)..=side(h, hi)).contains(&r.height()), "{r:?}");
                    assert!((side(w, lo)..=side(w, hi)).contains(&r.width()), "{r:?}");
                }
                layout.unpasted_fraction(&r)
            }
            _ => 1.0,
        };
        let lam = if moved(i) { lam } else { 1.0 };
        assert_eq!(d.lambda.to_bits(), lam.to_bits(), "sample {i} {d:?}");
        assert!((0.0..=1.0).contains(&lam));
        for k in 0..s {
            let (a, b) = (batch0[i * s + k], batch0[j * s + k]);
            let want = match op {
                _ if !moved(i) => a,
                SampleOp::Blend(x) => {
                    let mut o = [a];
                    blend(&mut o, &[a], &[b], x).unwrap();
                    o[0]
                }
                SampleOp::Paste(r) => {
                    let (y, x) = match layout.order {
                        ChannelOrder::Chw => ((k / w) % h, k % w),
                        _ => (k / (w * c), (k / c) % w),
                    };
                    if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) {
                        b
                    } else {
                        a
                    }
                }
                _ => a,
            };
            assert_eq!(
                bits(batch[i * s + k]),
                bits(want),
                "sample {i} element {k} {op:?}"
            );
        }
        let (ya, yb) = (labels[i] as usize, labels[j] as usize);
        let row = &targets[i * classes..][..classes];
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        assert!(
            (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
            "row {i} sums to {sum}"
        );
        let (offv, on) = (eps / classes as f64, 1.0 - eps + eps / classes as f64);
        let sv = |y: usize, cl: usize| if y == cl { on } else { offv };
        for (cl, &x) in row.iter().enumerate() {
            assert!(x >= 0.0 && x.is_sign_positive(), "row {i} class {cl}: {x}");
            if lam == 1.0 {
                // Kept, or paired with itself: its own smoothed row exactly.
                assert_eq!(x, sv(ya, cl) as f32, "row {i} class {cl}");
            }
            let want = lam * sv(ya, cl) + (1.0 - lam) * sv(yb, cl);
            assert!(
                (x as f64 - want).abs() <= 2.0 * f32::EPSILON as f64,
                "row {i} class {cl}: {x} vs {want}"
            );
        }
    }
    let count = |f: fn(&SampleOp) -> bool| ops.iter().filter(|o| f(o)).count();
    if m.switch_scope() == Scope::Batch {
        // One switch for the batch: never both kinds.
        let blends = count(|o| matches!(o, SampleOp::Blend(_)));
        let pastes = count(|o| matches!(o, SampleOp::Paste(_)));
        assert!(blends == 0 || pastes == 0, "{ops:?}");
    }
    if m.probability_scope() == Scope::Batch {
        // One apply decision: every moved sample mixed, or none.
        let moving = (0..nb).filter(|&i| moved(i)).count();
        let kept = (0..nb)
            .filter(|&i| moved(i) && ops[i] == SampleOp::Keep)
            .count();
        assert!(kept == 0 || kept == moving, "{ops:?}");
    }
    if m.granularity() == Granularity::Batch {
        // One λ and one rectangle for the batch.
        for kind in [
            (|o: &&SampleOp| matches!(o, SampleOp::Blend(_))) as fn(&&SampleOp) -> bool,
            |o| matches!(o, SampleOp::Paste(_)),
        ] {
            let mut of_kind = ops.iter().filter(kind);
            if let Some(first) = of_kind.next() {
                assert!(of_kind.all(|o| o == first), "{ops:?}");
            }
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
