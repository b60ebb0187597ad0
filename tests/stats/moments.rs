//! Mean and variance of the draws against the exact moments of Beta(a, b).
//!
//! With the exact mean m, the sample mean has standard deviation √(σ²/n) and the estimator
//! Σ(x − m)²/n of σ² has standard deviation √((μ₄ − σ⁴)/n), μ₄ the fourth central moment; with
//! n = 10⁶ both are close to normal. Each bound is 4.5 standard deviations (two-sided
//! probability 6.8e-6), and the test makes 2 × 14 comparisons, so its false-positive rate is
//! below 2e-4.

use crate::draw;
use mixup::Beta;

const DRAWS: usize = 1_000_000;
const Z: f64 = 4.5;

/// E[X^k] = Π_{i<k} (a + i)/(a + b + i).
fn raw_moment(a: f64, b: f64, k: u32) -> f64 {
    (0..k)
        .map(|i| (a + i as f64) / (a + b + i as f64))
        .product()
}

fn check(a: f64, b: f64, seed: u64) {
    let m = raw_moment(a, b, 1);
    let (e2, e3, e4) = (
        raw_moment(a, b, 2),
        raw_moment(a, b, 3),
        raw_moment(a, b, 4),
    );
    let var = a * b / ((a + b) * (a + b) * (a + b + 1.0));
    let mu4 = e4 - 4.0 * m * e3 + 6.0 * m * m * e2 - 3.0 * m * m * m * m;
    let samples = draw(&Beta::new(a, b).unwrap(), seed, DRAWS);
    let n = DRAWS as f64;
    let mean = samples.iter().sum::<f64>() / n;
    let s2 = samples.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / n;
    let sd_mean = (var / n).sqrt();
    let sd_var = ((mu4 - var * var) / n).sqrt();
    assert!(
        (mean - m).abs() < Z * sd_mean,
        "Beta({a}, {b}): mean {mean}, expected {m} ± {sd_mean}"
    );
    assert!(
        (s2 - var).abs() < Z * sd_var,
        "Beta({a}, {b}): variance {s2}, expected {var} ± {sd_var}"
    );
}

#[test]
fn mean_and_variance() {
    let cases = [
        (0.01, 0.01),
        (0.05, 0.05),
        (0.1, 0.1),
        (0.2, 0.2),
        (0.4, 0.4),
        (0.7, 0.7),
        (1.0, 1.0),
        (2.0, 2.0),
        (8.0, 8.0),
        (100.0, 100.0),
        (0.3, 2.0),
        (5.0, 0.5),
        (0.05, 0.8),
        (1e6, 3e6),
    ];
    for (i, &(a, b)) in cases.iter().enumerate() {
        check(a, b, 500 + i as u64);
    }
}
