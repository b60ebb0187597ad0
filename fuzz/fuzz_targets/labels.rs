//! `Labels` (class indices with smoothing, and soft rows), `Draws::new`, `Labels::mix` and
//! `Labels::triples` at arbitrary sizes: every constructor and call returns an `Err` exactly for
//! invalid input, naming the bad label or soft row, with nothing written (records included);
//! `Draws::new` records for every sample the λ its op applies to the element type (1 for a kept
//! or self-paired sample); mixed rows weight each sample by that λ, sum to 1, lie between their
//! two (smoothed) sources, and are never negative, NaN or `-0.0`; soft rows are the `f32` blend
//! of the two rows, then smoothed, bit for bit.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Batch, ClassLabel, Draw, Draws, Error, ImageLayout, LabelTriple, Labels, Rect,
    SOFT_ROW_TOLERANCE, SampleOp, Shape, applied_lambda, blend, mix,
};
use mixup_fuzz::{is_permutation, partners, records, records_bits, smoothing, unit_f64};

fn classes(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0..=15)? {
        0 => 0,
        1 => *u.choose(&[usize::MAX, usize::MAX / 2 + 1, 1 << (usize::BITS / 2)])?,
        2 => u.int_in_range(1000..=5000)?,
        _ => u.int_in_range(1..=40)?,
    })
}

/// The element type the draws are made for: it decides the λ the records carry.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Elem {
    F32,
    F64,
    U8,
    U16,
}

/// The layout the draws are checked against: one element per sample, a 1×1 image.
const ONE: ImageLayout = ImageLayout::flat(1);

/// The λ an op applies to `elem` data of layout [`ONE`].
fn applied(elem: Elem, op: SampleOp) -> f64 {
    match op {
        SampleOp::Blend(l) => match elem {
            Elem::F32 => applied_lambda::<f32>(l),
            Elem::F64 => applied_lambda::<f64>(l),
            Elem::U8 => applied_lambda::<u8>(l),
            Elem::U16 => applied_lambda::<u16>(l),
        }
        .expect("a valid λ"),
        SampleOp::Paste(rect) => ONE.unpasted_fraction(&rect),
        _ => 1.0,
    }
}

fn op_valid(op: SampleOp) -> bool {
    match op {
        SampleOp::Blend(l) => (0.0..=1.0).contains(&l),
        SampleOp::Paste(r) => r.y1 <= r.y2 && r.y2 <= 1 && r.x1 <= r.x2 && r.x2 <= 1,
        _ => true,
    }
}

/// One op per sample: one λ for all, one each, kept samples among them, a 1×1 CutMix.
fn ops(u: &mut Unstructured<'_>, n: usize) -> Result<Vec<SampleOp>> {
    let mode = u.int_in_range(0..=3)?;
    let one = unit_f64(u)?;
    let mut ops = Vec::with_capacity(n);
    for _ in 0..n {
        ops.push(match mode {
            0 => SampleOp::Blend(one),
            1 => SampleOp::Blend(unit_f64(u)?),
            2 => {
                if u.arbitrary()? {
                    SampleOp::Keep
                } else {
                    SampleOp::Blend(one)
                }
            }
            _ => match u.int_in_range(0..=3)? {
                0 => SampleOp::Keep,
                1 => SampleOp::Blend(unit_f64(u)?),
                2 => SampleOp::Paste(Rect {
                    x1: 0,
                    y1: 0,
                    x2: 1,
                    y2: 1,
                }),
                _ => SampleOp::Paste(Rect {
                    x1: u.int_in_range(0..=2)?,
                    y1: u.int_in_range(0..=2)?,
                    x2: u.int_in_range(0..=2)?,
                    y2: u.int_in_range(0..=2)?,
                }),
            },
        });
    }
    Ok(ops)
}

/// `Draws::new` on records for `partners` and `ops`, for a batch of `samples` samples of
/// `elem`: `Ok` exactly when the records are one per sample, the partners a permutation and
/// every op valid; then every λ is the one its op applies (1 for a sample paired with itself);
/// on `Err` the records are untouched.
fn check_draws<'a>(elem: Elem, recs: &'a mut [Draw], samples: usize) -> Option<Draws<'a>> {
    let before = records_bits(recs);
    let plain: Vec<Draw> = recs.to_vec();
    let partners: Vec<usize> = plain.iter().map(|d| d.partner).collect();
    let valid =
        recs.len() == samples && is_permutation(&partners) && plain.iter().all(|d| op_valid(d.op));
    // Checked once and dropped, to see the verdict and the records on `Err`.
    if let Err(e) = new_draws(elem, recs, samples).map(drop) {
        assert!(!valid, "Draws::new refused valid records ({e}): {plain:?}");
        assert_eq!(records_bits(recs), before, "records written on Err {e}");
        return None;
    }
    match new_draws(elem, recs, samples) {
        Err(e) => panic!("accepted once, refused twice: {e}"),
        Ok(draws) => {
            assert!(valid, "Draws::new accepted {plain:?} for {samples} samples");
            assert_eq!(draws.len(), samples);
            for (i, (d, r)) in draws.iter().zip(&plain).enumerate() {
                let want = if r.partner == i {
                    1.0
                } else {
                    applied(elem, r.op)
                };
                assert_eq!((d.partner, d.op), (r.partner, r.op));
                assert_eq!(d.lambda.to_bits(), want.to_bits(), "{elem:?} {r:?}");
                assert!(
                    (0.0..=1.0).contains(&d.lambda) && d.lambda.to_bits() != (-0.0f64).to_bits()
                );
            }
            Some(draws)
        }
    }
}

fn new_draws(elem: Elem, recs: &mut [Draw], samples: usize) -> Result<Draws<'_>, Error> {
    match elem {
        Elem::F32 => Draws::new(recs, Shape::<f32>::new(ONE, samples)?),
        Elem::F64 => Draws::new(recs, Shape::<f64>::new(ONE, samples)?),
        Elem::U8 => Draws::new(recs, Shape::<u8>::new(ONE, samples)?),
        Elem::U16 => Draws::new(recs, Shape::<u16>::new(ONE, samples)?),
    }
}

fn elem(u: &mut Unstructured<'_>) -> Result<Elem> {
    Ok(*u.choose(&[Elem::F32, Elem::F64, Elem::U8, Elem::U16])?)
}

/// An output length for `want` entries: the right one mostly, capped so that a huge product
/// that does not overflow is refused, not allocated.
fn out_len(u: &mut Unstructured<'_>, want: Option<usize>) -> Result<usize> {
    Ok(match (u.int_in_range(0..=15)?, want) {
        (0, Some(l)) => l.min(1 << 18) + 1,
        (1, Some(l)) => l.min(1 << 18).saturating_sub(1),
        (_, Some(l)) => l.min(1 << 18),
        (_, None) => u.int_in_range(0..=8)?,
    })
}

fn one_hot<L: ClassLabel + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    label: fn(i64) -> L,
) -> Result<()> {
    let n = u.int_in_range(0..=32)?;
    let c = classes(u)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let v: i64 = if u.ratio(1, 16)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=c.min(1 << 20) as i64)?
        };
        values.push(label(v));
    }
    let partners = partners(u, n)?;
    let ops = ops(u, partners.len())?;
    let elem = elem(u)?;
    // Draws for the labels' batch size, or for the partners' (which may differ).
    let samples = if u.arbitrary()? { n } else { partners.len() };
    let eps = smoothing(u)?;
    let len = out_len(u, n.checked_mul(c))?;
    let triples_len = out_len(u, Some(n))?.min(n + 1);

    // The labels: checked when made, naming the first bad one.
    let bad = values
        .iter()
        .position(|l| l.class_index().is_none_or(|k| k >= c));
    let labels = match (Labels::classes(&values, c), c, bad) {
        (Err(Error::NoClasses), 0, _) => return Ok(()),
        (
            Err(Error::LabelOutOfRange {
                sample,
                num_classes,
            }),
            1..,
            Some(first),
        ) => {
            assert_eq!((sample, num_classes), (first, c), "{values:?}");
            return Ok(());
        }
        (Ok(labels), 1.., None) => labels,
        (r, _, _) => panic!("C={c}, first bad label {bad:?} of {values:?}: {r:?}"),
    };
    assert_eq!((labels.len(), labels.num_classes()), (n, c));
    assert_eq!(labels.smoothing().to_bits(), 0f64.to_bits());
    let labels = match labels.with_smoothing(eps) {
        Ok(l) => {
            assert!((0.0..1.0).contains(&eps), "accepted ε={eps:e}");
            assert_eq!(l.smoothing().to_bits(), (eps + 0.0).to_bits());
            l
        }
        Err(e) => {
            assert!(!(0.0..1.0).contains(&eps), "refused ε={eps:e}");
            assert!(
                matches!(e, Error::InvalidSmoothing { value } if value.to_bits() == eps.to_bits())
            );
            return Ok(());
        }
    };

    let mut recs = records(&partners, |i| ops[i]);
    let Some(draws) = check_draws(elem, &mut recs, samples) else {
        return Ok(());
    };

    // Rows.
    let mut out = vec![f32::from_bits(0x7fc0_dead); len];
    let result = labels.mix(&draws, &mut out);
    let valid = draws.len() == n && n.checked_mul(c) == Some(len);
    match result {
        Err(e) => {
            assert!(!valid, "refused ({e}) n={n} C={c} ε={eps}");
            assert!(
                out.iter().all(|x| x.to_bits() == 0x7fc0_dead),
                "written on Err {e}"
            );
        }
        Ok(()) => {
            assert!(
                valid,
                "accepted n={n} C={c} ε={eps} with {} draws",
                draws.len()
            );
            let eps = labels.smoothing();
            let off = eps / c as f64;
            let on = 1.0 - eps + off;
            for (i, (row, d)) in out.chunks_exact(c).zip(draws.iter()).enumerate() {
                let sum: f64 = row.iter().map(|&x| x as f64).sum();
                assert!(
                    (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
                    "row {i} sums to {sum}: C={c} ε={eps} {d:?}"
                );
                let a = values[i].class_index().unwrap();
                let b = values[d.partner].class_index().unwrap();
                let l = d.lambda;
                for (k, &x) in row.iter().enumerate() {
                    let ya = if k == a { on } else { off };
                    let yb = if k == b { on } else { off };
                    let (lo, hi) = (ya.min(yb) as f32, ya.max(yb) as f32);
                    assert!(
                        lo <= x && x <= hi && x.to_bits() != (-0.0f32).to_bits(),
                        "row {i} class {k}: {x} outside {lo}..{hi}"
                    );
                    let want = l * ya + (1.0 - l) * yb;
                    assert!(
                        (x as f64 - want).abs()
                            <= f32::EPSILON as f64 * want.max(f32::MIN_POSITIVE as f64),
                        "row {i} class {k}: {x} vs {want} ({d:?})"
                    );
                    // A kept or self-paired sample, or two samples of one class: the
                    // (smoothed) one-hot row exactly.
                    if l == 1.0 || a == b {
                        assert_eq!(x, if k == a { on as f32 } else { off as f32 });
                    }
                }
            }
        }
    }

    // Triples.
    let junk = LabelTriple {
        a: usize::MAX,
        b: usize::MAX,
        lambda: -1.0,
    };
    let mut triples = vec![junk; triples_len];
    match labels.triples(&draws, &mut triples) {
        Err(e) => {
            assert!(
                draws.len() != n || triples_len != n,
                "triples refused ({e}) n={n}"
            );
            assert!(triples.iter().all(|t| *t == junk), "written on Err {e}");
        }
        Ok(()) => {
            assert!(draws.len() == n && triples_len == n, "triples accepted");
            for (i, (t, d)) in triples.iter().zip(draws.iter()).enumerate() {
                let want = LabelTriple {
                    a: values[i].class_index().unwrap(),
                    b: values[d.partner].class_index().unwrap(),
                    lambda: d.lambda,
                };
                assert_eq!(t.lambda.to_bits(), want.lambda.to_bits());
                assert_eq!(*t, want, "sample {i}");
            }
        }
    }
    Ok(())
}

/// Whether a soft row is a probability vector, the naive way: every entry finite and
/// non-negative, the sum (in `f64`, in order) within `SOFT_ROW_TOLERANCE` of 1.
fn row_valid(row: &[f32]) -> bool {
    let sum: f64 = row.iter().map(|&v| v as f64).sum();
    row.iter().all(|v| v.is_finite() && *v >= 0.0) && (sum - 1.0).abs() <= SOFT_ROW_TOLERANCE
}

/// Probability rows, normalized in `f64` and rounded once, some of them broken (NaN, ∞,
/// negative entries, sums off by about the tolerance), sometimes a length that is not whole rows.
fn soft_rows(u: &mut Unstructured<'_>, n: usize, c: usize) -> Result<Vec<f32>> {
    let len = n.checked_mul(c).map_or(0, |l| l.min(1 << 18));
    let mut rows = vec![0.0f32; len];
    if c > 0 {
        for row in rows.chunks_exact_mut(c) {
            let mut w = vec![0.0f64; c.min(64)];
            for x in w.iter_mut() {
                *x = u.int_in_range(0u8..=8)? as f64;
            }
            if w.iter().sum::<f64>() == 0.0 {
                w[0] = 1.0;
            }
            let total: f64 = w.iter().sum();
            for (r, x) in row.iter_mut().zip(&w) {
                *r = (x / total) as f32;
            }
            if u.ratio(1, 6)? {
                let k = u.int_in_range(0..=c.min(64) - 1)?;
                match u.int_in_range(0..=6)? {
                    0 => row[k] = f32::NAN,
                    1 => row[k] = *u.choose(&[f32::INFINITY, f32::NEG_INFINITY])?,
                    2 => row[k] = -*u.choose(&[f32::from_bits(1), f32::MIN_POSITIVE, 0.25])?,
                    3 => row[k] = -0.0,
                    4 => row[k] = f32::MAX,
                    _ => {
                        // Scaled so that the sum lands near the tolerance, on either side.
                        let t = SOFT_ROW_TOLERANCE * *u.choose(&[0.5, 0.99, 1.01, 2.0])?;
                        let f = if u.arbitrary()? { 1.0 + t } else { 1.0 - t };
                        for v in row.iter_mut() {
                            *v = (*v as f64 * f) as f32;
                        }
                    }
                }
            }
        }
    }
    if u.ratio(1, 16)? {
        rows.push(1.0);
    }
    Ok(rows)
}

fn soft(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=32)?;
    let c = classes(u)?;
    let rows = soft_rows(u, n, c)?;
    let eps = if u.ratio(1, 2)? { 0.0 } else { smoothing(u)? };

    // The rows: checked when made, naming the first bad one.
    let expected = if c == 0 {
        Err(Error::NoClasses)
    } else if rows.len() % c != 0 {
        Err(Error::LengthMismatch {
            what: "rows",
            expected: rows.len() - rows.len() % c,
            actual: rows.len(),
        })
    } else {
        match rows.chunks_exact(c).position(|r| !row_valid(r)) {
            Some(sample) => Err(Error::InvalidSoftRow { sample }),
            None => Ok(rows.len() / c),
        }
    };
    let labels = Labels::soft(&rows, c);
    assert_eq!(
        labels.as_ref().map(|l| l.len()).map_err(|e| *e),
        expected,
        "C={c}, {} entries",
        rows.len()
    );
    let Ok(labels) = labels else { return Ok(()) };
    let n = labels.len();
    assert_eq!(labels.num_classes(), c);
    let labels = match labels.with_smoothing(eps) {
        Ok(l) => l,
        Err(e) => {
            assert!(!(0.0..1.0).contains(&eps), "refused ε={eps:e}: {e}");
            return Ok(());
        }
    };
    let eps = labels.smoothing();

    let partners = partners(u, n)?;
    let ops = ops(u, partners.len())?;
    let elem = elem(u)?;
    let samples = if u.arbitrary()? { n } else { partners.len() };
    let len = out_len(u, n.checked_mul(c))?;
    let mut recs = records(&partners, |i| ops[i]);
    let Some(draws) = check_draws(elem, &mut recs, samples) else {
        return Ok(());
    };

    let mut out = vec![f32::from_bits(0x7fc0_dead); len];
    let result = labels.mix(&draws, &mut out);
    let valid = draws.len() == n && n.checked_mul(c) == Some(len);
    let Ok(()) = result else {
        let e = result.unwrap_err();
        assert!(!valid, "refused ({e}) n={n} C={c}");
        assert!(
            out.iter().all(|x| x.to_bits() == 0x7fc0_dead),
            "written on Err {e}"
        );
        return Ok(());
    };
    assert!(valid, "accepted n={n} C={c} with {} draws", draws.len());

    // Each row: the f32 blend of the two rows by the record's λ (its own row when paired with
    // itself), then smoothed as (1 − ε)·v + ε/C, never -0.0.
    let smooth = |v: f32| ((1.0 - eps) * v as f64 + eps / c as f64) as f32 + 0.0;
    let mut blended = vec![0.0f32; len];
    for (i, d) in draws.iter().enumerate() {
        let a = &rows[i * c..][..c];
        let b = &rows[d.partner * c..][..c];
        let row = &mut blended[i * c..][..c];
        if d.partner == i {
            row.copy_from_slice(a);
        } else {
            blend(row, a, b, d.lambda).expect("a recorded λ is valid");
        }
        let got = &out[i * c..][..c];
        for k in 0..c {
            let want = smooth(row[k]);
            assert_eq!(
                got[k].to_bits(),
                want.to_bits(),
                "row {i} class {k}: {} vs {want} ({d:?}, ε={eps})",
                got[k]
            );
            let (lo, hi) = (smooth(a[k].min(b[k])), smooth(a[k].max(b[k])));
            assert!(lo <= got[k] && got[k] <= hi, "row {i} class {k}");
            assert!(got[k] >= 0.0 && got[k].to_bits() != (-0.0f32).to_bits());
        }
        // The sum: the two sources' sums weighted, smoothed, within a few ulp per class.
        let sum = |r: &[f32]| r.iter().map(|&v| v as f64).sum::<f64>();
        let (sa, sb, s) = (sum(a), sum(b), sum(got));
        let l = if d.partner == i { 1.0 } else { d.lambda };
        let tol = (c as f64 + 4.0) * f32::EPSILON as f64;
        let want = (1.0 - eps) * (l * sa + (1.0 - l) * sb) + eps;
        assert!((s - want).abs() <= tol, "row {i} sums to {s}, not {want}");
        assert!(
            (s - 1.0).abs() <= SOFT_ROW_TOLERANCE + tol,
            "row {i} sums to {s}"
        );
    }
    // Without smoothing, f32 draws give the rows that the batch mix of the rows gives.
    let pasted = draws.iter().any(|d| matches!(d.op, SampleOp::Paste(_)));
    if eps == 0.0 && elem == Elem::F32 && !pasted {
        let mut same = vec![0.0f32; len];
        let batch = Batch::new(&rows, ImageLayout::flat(c)).expect("whole rows");
        mix(&mut same, &batch, &draws).expect("valid draws");
        let plus_zero: Vec<u32> = same.iter().map(|&x| (x + 0.0).to_bits()).collect();
        assert_eq!(
            plus_zero,
            out.iter().map(|x| x.to_bits()).collect::<Vec<_>>()
        );
    }
    // Soft rows have no class indices.
    let mut triples = vec![LabelTriple::default(); n];
    assert_eq!(
        labels.triples(&draws, &mut triples),
        Err(Error::NeedsClassIndices)
    );
    assert!(triples.iter().all(|t| *t == LabelTriple::default()));
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=4u8) {
        Ok(0) => soft(&mut u),
        Ok(1) => one_hot::<u8>(&mut u, |v| v as u8),
        Ok(2) => one_hot::<i32>(&mut u, |v| v as i32),
        Ok(3) => one_hot::<i64>(&mut u, |v| v),
        Ok(_) => one_hot::<usize>(&mut u, |v| v as usize),
        Err(e) => Err(e),
    };
});
