//! `Mixup::apply`, `Mixup::draw`, `mix_batch` and `mix_batch_inplace` with arbitrary shapes,
//! labels, class counts, smoothing, probabilities, pairings and partner buffers: no panic; an
//! `Err` exactly for invalid input, with every buffer and the generator untouched; otherwise λ in
//! [0, 1], partners a permutation, the data mixed as `blend` mixes it with the returned λ, and
//! every label row summing to 1.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    ClassLabel, Element, Mixup, Pairing, applied_lambda, blend, mix_batch, mix_batch_inplace,
};
use mixup_fuzz::{ScriptedRng, any_f64, is_permutation, partners, shape, unit_f64};

/// Element values from the fuzzer: small exact ones mostly, any bits sometimes.
trait Value: Element {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    fn bits(self) -> u64;
    fn is_nan(self) -> bool {
        false
    }
}

impl Value for f32 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(if u.ratio(1, 8)? {
            f32::from_bits(u.arbitrary()?)
        } else {
            u.int_in_range(-512i32..=512)? as f32 / 4.0
        })
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
    fn is_nan(self) -> bool {
        f32::is_nan(self)
    }
}

impl Value for f64 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(if u.ratio(1, 8)? {
            f64::from_bits(u.arbitrary()?)
        } else {
            u.int_in_range(-512i32..=512)? as f64 / 4.0
        })
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
    fn is_nan(self) -> bool {
        f64::is_nan(self)
    }
}

impl Value for u8 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
}

impl Value for u16 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
}

fn bits<T: Value>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.bits()).collect()
}

/// Equal as the crate promises: the same bits, or both NaN. A NaN's payload is not promised:
/// a sample paired with itself is left untouched in place (a signaling NaN stays signaling)
/// but computed out of place (where arithmetic quiets it).
fn same<T: Value>(x: &[T], y: &[T]) -> bool {
    x.len() == y.len()
        && x.iter()
            .zip(y)
            .all(|(a, b)| a.bits() == b.bits() || (a.is_nan() && b.is_nan()))
}

fn f32_bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn size(u: &mut Unstructured<'_>, small: usize) -> Result<usize> {
    Ok(match u.int_in_range(0..=15)? {
        // Sizes whose products overflow usize.
        0 => *u.choose(&[usize::MAX, usize::MAX / 2 + 1, 1 << (usize::BITS / 2)])?,
        1 => 0,
        _ => u.int_in_range(1..=small)?,
    })
}

fn pairing(u: &mut Unstructured<'_>) -> Result<Pairing> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Pairing::Roll(u.arbitrary()?),
        1 => Pairing::Flip,
        2 => Pairing::Shuffle,
        _ => Pairing::Derangement,
    })
}

/// A buffer length: the right one, or one off either way.
fn length(u: &mut Unstructured<'_>, right: Option<usize>) -> Result<usize> {
    let right = right.unwrap_or(0).min(1 << 16);
    Ok(match u.int_in_range(0..=23)? {
        0 => right + 1,
        1 => right.saturating_sub(1),
        _ => right,
    })
}

fn apply<T: Value, L: ClassLabel + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    label: fn(i64) -> L,
) -> Result<()> {
    let alpha = shape(u)?;
    let p = if u.ratio(1, 4)? {
        any_f64(u)?
    } else {
        unit_f64(u)?
    };
    let eps = if u.ratio(1, 4)? {
        any_f64(u)?
    } else {
        unit_f64(u)? * 0.5
    };
    let pairing = pairing(u)?;

    let config = Mixup::new(alpha);
    assert_eq!(
        config.is_ok(),
        alpha.is_finite() && alpha > 0.0,
        "α={alpha:e}"
    );
    let Ok(config) = config else { return Ok(()) };
    let config = config.with_probability(p);
    assert_eq!(config.is_ok(), (0.0..=1.0).contains(&p), "p={p:e}");
    let Ok(config) = config else { return Ok(()) };
    let config = config.with_label_smoothing(eps);
    assert_eq!(config.is_ok(), (0.0..1.0).contains(&eps), "ε={eps:e}");
    let Ok(config) = config else { return Ok(()) };
    let config = config.with_pairing(pairing);

    let n = u.int_in_range(0..=24)?;
    let long = u.ratio(1, 8)?;
    let sample_len = size(u, if long { 1100 } else { 40 })?;
    let classes = size(u, 300)?;
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let c: i64 = if u.ratio(1, 16)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=classes.min(1 << 20) as i64)?
        };
        labels.push(label(c));
    }
    let data_len = n.checked_mul(sample_len);
    let soft_len = n.checked_mul(classes);
    let batch_len = length(u, data_len)?;
    let soft_buf_len = length(u, soft_len)?;
    let partners_len = length(u, Some(n))?;

    let mut batch = Vec::with_capacity(batch_len);
    let distinct = batch_len.min(256);
    for _ in 0..distinct {
        batch.push(T::arbitrary(u)?);
    }
    for k in distinct..batch_len {
        batch.push(batch[k % distinct]);
    }
    let mut soft = vec![-1.0f32; soft_buf_len];
    let mut partners_buf = vec![usize::MAX; partners_len];
    let mut rng: ScriptedRng = u.arbitrary()?;

    let labels_ok = classes > 0
        && labels
            .iter()
            .all(|l| l.class_index().is_some_and(|c| c < classes));
    let valid = data_len == Some(batch_len)
        && labels_ok
        && soft_len == Some(soft_buf_len)
        && partners_len == n
        && !(pairing == Pairing::Derangement && n == 1);

    let (batch0, soft0, partners0, rng0) = (
        batch.clone(),
        soft.clone(),
        partners_buf.clone(),
        rng.clone(),
    );
    let result = config.apply(
        &mut rng,
        &mut batch,
        sample_len,
        &labels,
        classes,
        &mut soft,
        &mut partners_buf,
    );
    let outcome = match result {
        Err(e) => {
            assert!(
                !valid,
                "refused valid input ({e}): n={n} len={sample_len} C={classes} {pairing:?}"
            );
            assert_eq!(bits(&batch), bits(&batch0), "batch written on Err {e}");
            assert_eq!(
                f32_bits(&soft),
                f32_bits(&soft0),
                "labels written on Err {e}"
            );
            assert_eq!(partners_buf, partners0, "partners written on Err {e}");
            assert_eq!(rng, rng0, "generator advanced on Err {e}");
            return Ok(());
        }
        Ok(o) => o,
    };
    assert!(
        valid,
        "accepted invalid input: n={n} len={sample_len} C={classes} {labels:?}"
    );
    let lambda = outcome.lambda;
    assert!((0.0..=1.0).contains(&lambda), "λ={lambda}");
    assert_eq!(
        applied_lambda::<T>(lambda),
        Ok(lambda),
        "λ is not one T applies"
    );
    assert!(is_permutation(&partners_buf), "{partners_buf:?}");
    if !outcome.mixed {
        assert_eq!(lambda, 1.0);
        assert!(partners_buf.iter().enumerate().all(|(i, &j)| i == j));
        assert!(p < 1.0);
    } else {
        assert!(p > 0.0);
    }
    if pairing == Pairing::Derangement && outcome.mixed {
        assert!(partners_buf.iter().enumerate().all(|(i, &j)| i != j));
    }

    // Data: sample i is blend(original i, original partner, λ).
    if sample_len > 0 {
        for (i, &j) in partners_buf.iter().enumerate() {
            let mut want = vec![T::default(); sample_len];
            let a = &batch0[i * sample_len..][..sample_len];
            let b = &batch0[j * sample_len..][..sample_len];
            blend(&mut want, a, b, lambda).expect("valid blend");
            let got = &batch[i * sample_len..][..sample_len];
            assert!(
                same(got, &want),
                "sample {i} (partner {j}), λ={lambda}: {got:?} vs {want:?}"
            );
        }
    }

    // Labels: smoothed one-hot rows mixed with the same λ, each summing to 1.
    let off = eps / classes as f64;
    let on = 1.0 - eps + off;
    for (i, row) in soft.chunks_exact(classes).enumerate() {
        let a = labels[i].class_index().unwrap();
        let b = labels[partners_buf[i]].class_index().unwrap();
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        assert!(
            (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
            "row {i} sums to {sum} (C={classes}, ε={eps}, λ={lambda})"
        );
        for (c, &x) in row.iter().enumerate() {
            let want = lambda * if c == a { on } else { off }
                + (1.0 - lambda) * if c == b { on } else { off };
            assert!(
                (x as f64 - want).abs() <= f32::EPSILON as f64 * want.max(f32::MIN_POSITIVE as f64),
                "row {i} class {c}: {x} vs {want}"
            );
        }
    }
    Ok(())
}

/// `mix_batch` and `mix_batch_inplace` directly, with arbitrary partners and λ.
fn direct<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=24)?;
    let long = u.ratio(1, 8)?;
    let sample_len = size(u, if long { 1100 } else { 40 })?;
    let partners = partners(u, n)?;
    let lambda = unit_f64(u)?;
    let len = length(u, n.checked_mul(sample_len))?;
    let mut src = Vec::with_capacity(len);
    for _ in 0..len.min(256) {
        src.push(T::arbitrary(u)?);
    }
    for k in src.len()..len {
        src.push(src[k % 256]);
    }
    // The batch size is partners.len(), whatever n was meant to be.
    let valid = partners.len().checked_mul(sample_len) == Some(len)
        && is_permutation(&partners)
        && (0.0..=1.0).contains(&lambda);
    let mut dst = vec![T::default(); len];
    let r1 = mix_batch(&mut dst, &src, sample_len, &partners, lambda);
    let mut inplace = src.clone();
    let r2 = mix_batch_inplace(&mut inplace, sample_len, &partners, lambda);
    assert_eq!(
        r1.is_ok(),
        valid,
        "mix_batch n={n} len={sample_len} {partners:?} λ={lambda}"
    );
    // Both refuse the same inputs; the error may name its own buffer ("src" or "batch").
    assert_eq!(r1.is_ok(), r2.is_ok(), "{r1:?} vs {r2:?}");
    if let (Ok(x), Ok(y)) = (r1, r2) {
        assert_eq!(x.to_bits(), y.to_bits());
    }
    if valid {
        assert!(same(&inplace, &dst), "in place differs from out of place");
    } else {
        assert!(
            dst.iter().all(|x| x.bits() == T::default().bits()),
            "written on Err"
        );
        assert_eq!(bits(&inplace), bits(&src), "written on Err");
    }
    Ok(())
}

fn run<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=4)? {
        0 => direct::<T>(u),
        1 => apply::<T, u8>(u, |c| c as u8),
        2 => apply::<T, i32>(u, |c| c as i32),
        3 => apply::<T, i64>(u, |c| c),
        _ => apply::<T, usize>(u, |c| c as usize),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=3u8) {
        Ok(0) => run::<f32>(&mut u),
        Ok(1) => run::<f64>(&mut u),
        Ok(2) => run::<u8>(&mut u),
        Ok(_) => run::<u16>(&mut u),
        Err(e) => Err(e),
    };
});
