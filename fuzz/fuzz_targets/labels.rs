//! `mix_one_hot` and `mix_soft` at arbitrary sizes: an `Err` exactly for invalid input, naming
//! the bad label, with nothing written; otherwise rows that sum to 1 and values between their
//! two sources.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{ClassLabel, Error, applied_lambda, mix_batch, mix_one_hot, mix_soft};
use mixup_fuzz::{any_f64, is_permutation, partners, unit_f64};

fn classes(u: &mut Unstructured<'_>) -> Result<usize> {
    Ok(match u.int_in_range(0..=15)? {
        0 => 0,
        1 => *u.choose(&[usize::MAX, usize::MAX / 2 + 1, 1 << (usize::BITS / 2)])?,
        2 => u.int_in_range(1000..=5000)?,
        _ => u.int_in_range(1..=40)?,
    })
}

fn one_hot<L: ClassLabel + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    label: fn(i64) -> L,
) -> Result<()> {
    let n = u.int_in_range(0..=32)?;
    let c = classes(u)?;
    let mut labels = Vec::with_capacity(n);
    for _ in 0..n {
        let v: i64 = if u.ratio(1, 16)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=c.min(1 << 20) as i64)?
        };
        labels.push(label(v));
    }
    let partners = partners(u, n)?;
    let lambda = unit_f64(u)?;
    let eps = if u.ratio(1, 4)? {
        any_f64(u)?
    } else {
        unit_f64(u)? * 0.5
    };
    let want_len = n.checked_mul(c);
    let len = match (u.int_in_range(0..=15)?, want_len) {
        // Capped: a huge n·C that does not overflow must be refused, not allocated.
        (0, Some(l)) => l.min(1 << 18) + 1,
        (1, Some(l)) => l.min(1 << 18).saturating_sub(1),
        (_, Some(l)) => l.min(1 << 18),
        (_, None) => u.int_in_range(0..=8)?,
    };
    let mut out = vec![f32::from_bits(0x7fc0_dead); len];
    let result = mix_one_hot(&mut out, &labels, &partners, c, lambda, eps);

    let bad_label = labels
        .iter()
        .position(|l| l.class_index().is_none_or(|k| k >= c));
    let valid = c > 0
        && partners.len() == n
        && want_len == Some(len)
        && bad_label.is_none()
        && is_permutation(&partners)
        && (0.0..=1.0).contains(&lambda)
        && (0.0..1.0).contains(&eps);
    match result {
        Err(e) => {
            assert!(!valid, "refused ({e}) n={n} C={c} λ={lambda} ε={eps}");
            assert!(
                out.iter().all(|x| x.to_bits() == 0x7fc0_dead),
                "written on Err {e}"
            );
            if let Error::LabelOutOfRange {
                sample,
                num_classes,
            } = e
            {
                assert_eq!(Some(sample), bad_label, "{labels:?}");
                assert_eq!(num_classes, c);
            }
        }
        Ok(()) => {
            assert!(
                valid,
                "accepted n={n} C={c} λ={lambda} ε={eps} {labels:?} {partners:?}"
            );
            let off = eps / c as f64;
            let on = 1.0 - eps + off;
            for (i, row) in out.chunks_exact(c).enumerate() {
                let sum: f64 = row.iter().map(|&x| x as f64).sum();
                assert!(
                    (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
                    "row {i} sums to {sum}: C={c} ε={eps} λ={lambda}"
                );
                let a = labels[i].class_index().unwrap();
                let b = labels[partners[i]].class_index().unwrap();
                for (k, &x) in row.iter().enumerate() {
                    let ya = if k == a { on } else { off };
                    let yb = if k == b { on } else { off };
                    let (lo, hi) = (ya.min(yb) as f32, ya.max(yb) as f32);
                    assert!(
                        lo <= x && x <= hi,
                        "row {i} class {k}: {x} outside {lo}..{hi}"
                    );
                }
            }
        }
    }
    Ok(())
}

fn soft(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=32)?;
    let c = classes(u)?;
    let partners = partners(u, n)?;
    let lambda = unit_f64(u)?;
    let len = n.checked_mul(c).map_or(0, |l| l.min(1 << 18));
    // Probability rows: non-negative weights normalized in f64, rounded once.
    let mut rows = vec![0.0f32; len];
    if c > 0 {
        for row in rows.chunks_exact_mut(c) {
            let mut w = vec![0.0f64; c];
            for x in w.iter_mut().take(64) {
                *x = u.int_in_range(0u8..=8)? as f64;
            }
            let total: f64 = w.iter().sum();
            if total == 0.0 {
                w[0] = 1.0;
            }
            let total: f64 = w.iter().sum();
            for (r, x) in row.iter_mut().zip(&w) {
                *r = (x / total) as f32;
            }
        }
    }
    let mut out = vec![f32::from_bits(0x7fc0_dead); len];
    let result = mix_soft(&mut out, &rows, &partners, c, lambda);
    let valid = c > 0
        && n.checked_mul(c) == Some(len)
        && partners.len() == n
        && is_permutation(&partners)
        && (0.0..=1.0).contains(&lambda);
    match result {
        Err(e) => {
            assert!(!valid, "refused ({e}) n={n} C={c} λ={lambda}");
            assert!(
                out.iter().all(|x| x.to_bits() == 0x7fc0_dead),
                "written on Err {e}"
            );
        }
        Ok(applied) => {
            assert!(valid, "accepted n={n} C={c} λ={lambda} {partners:?}");
            assert_eq!(applied_lambda::<f32>(lambda), Ok(applied));
            // The same as the batch mix of rows.
            let mut same = vec![0.0f32; len];
            mix_batch(&mut same, &rows, c, &partners, lambda).unwrap();
            assert!(
                same.iter()
                    .zip(&out)
                    .all(|(x, y)| x.to_bits() == y.to_bits())
            );
            for (i, row) in out.chunks_exact(c).enumerate() {
                let a = &rows[i * c..][..c];
                let b = &rows[partners[i] * c..][..c];
                let sum: f64 = row.iter().map(|&x| x as f64).sum();
                let tol = (c as f64 + 4.0) * f32::EPSILON as f64;
                assert!((sum - 1.0).abs() <= tol, "row {i} sums to {sum} (C={c})");
                for k in 0..c {
                    let (lo, hi) = (a[k].min(b[k]), a[k].max(b[k]));
                    assert!(lo <= row[k] && row[k] <= hi, "row {i} class {k}");
                }
            }
        }
    }
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
