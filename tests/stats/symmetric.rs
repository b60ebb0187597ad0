//! Beta(α, α) against I_x(α, α), and the power of that test against a 2% error in α.
//!
//! # Sample sizes
//!
//! For a sampler whose α is off by 2%, let Δ = sup_x |I_x(α, α) − I_x(α′, α′)| with
//! α′ = 0.98·α or 1.02·α, whichever gives the smaller Δ. The values in [`CASES`] were computed
//! with mpmath (30 digits) on 999 points of (0, ½], log-spaced down to 1e-40 (down to 2⁻¹⁰⁷⁵,
//! the midpoint below the smallest subnormal, for α < 0.05) plus a linear grid; a grid maximum
//! is below the true supremum, so they err on the safe side. (At α = 0.05 the supremum sits near
//! x = 2e-9, at α = 100 near x = 0.465; at α = 0.001 it is the atom at 0, which holds 23.7% of
//! the mass.)
//!
//! At the point x* of the supremum, √n·(F_n(x*) − I(x*)) is approximately normal with mean
//! ±√n·Δ and standard deviation √(F(1 − F)) ≤ ½. The test rejects when √n·D > 1.9495 (level
//! 0.001, see [`CRITICAL`]) and D ≥ |F_n(x*) − I(x*)|, so the power is at least
//! Φ((√n·Δ − 1.9495)/0.5). A power of 0.999 (z = 3.0902) needs
//!
//! √n ≥ (1.9495 + 0.5·3.0902)/Δ = 3.4946/Δ, i.e. n ≥ (3.4946/Δ)²,
//!
//! which [`draws`] rounds up to a multiple of 10 000: from 930 000 draws at α = 0.003 to
//! 2 130 000 at α = 1000. The `rejects_alpha_off_by_2_percent_*` tests show that this power is
//! real: the same test, with the same draw counts, rejects samplers of Beta(0.98α, 0.98α) and
//! Beta(1.02α, 1.02α).

use crate::draw;
use crate::ks::{CRITICAL, Law, test};
use mixup::Beta;

/// (α, Δ) with Δ as in the module docs. α = 0.7 exercises the Laplace-boost branch (½ < α < 1)
/// of the sampler; α ≤ 0.02 puts a visible share of the draws on 0 (from 1.7e-7 at α = 0.02 to
/// 23.7% at α = 0.001) and on subnormals, where the test's CDF at the rounding midpoints needs
/// its own evaluation (`Law::lower_subnormal`).
const CASES: [(f64, f64); 14] = [
    (0.001, 0.003_511),
    (0.003, 0.003_642),
    (0.01, 0.003_642),
    (0.02, 0.003_640),
    (0.05, 0.003_629),
    (0.1, 0.003_596),
    (0.2, 0.003_499),
    (0.4, 0.003_285),
    (0.7, 0.003_050),
    (1.0, 0.002_902),
    (2.0, 0.002_676),
    (8.0, 0.002_469),
    (100.0, 0.002_402),
    (1000.0, 0.002_396),
];

/// Draws needed to detect a CDF shift of `delta` with power 0.999 at level 0.001.
fn draws(delta: f64) -> usize {
    let root = (CRITICAL + 0.5 * 3.0902) / delta;
    let n = (root * root).ceil() as usize;
    n.div_ceil(10_000) * 10_000
}

fn case(alpha: f64) -> (usize, u64) {
    let (i, &(_, delta)) = CASES
        .iter()
        .enumerate()
        .find(|(_, c)| c.0 == alpha)
        .expect("α listed in CASES");
    (draws(delta), 0x5eed_0000 + i as u64)
}

/// Beta(α, α) passes the rounding-aware KS test (false-positive rate ≤ 0.001).
fn accepts(alpha: f64) {
    let (n, seed) = case(alpha);
    let samples = draw(&Beta::symmetric(alpha).unwrap(), seed, n);
    let outcome = test(&samples, &Law::new(alpha, alpha));
    assert!(
        !outcome.rejects(),
        "Beta({alpha}, {alpha}) rejected: {outcome}"
    );
}

/// A sampler of Beta(f·α, f·α), f = 0.98 and 1.02, fails the test of Beta(α, α) with the draw
/// count of [`accepts`].
fn rejects_off(alpha: f64) {
    let (n, seed) = case(alpha);
    for factor in [0.98, 1.02] {
        let wrong = Beta::symmetric(alpha * factor).unwrap();
        let samples = draw(&wrong, seed ^ 0xbad, n);
        let outcome = test(&samples, &Law::new(alpha, alpha));
        assert!(
            outcome.rejects(),
            "Beta({a}, {a}) passed as Beta({alpha}, {alpha}): {outcome}",
            a = alpha * factor
        );
    }
}

macro_rules! per_alpha {
    ($($accept:ident, $reject:ident, $alpha:expr;)*) => {$(
        #[test]
        fn $accept() {
            accepts($alpha);
        }
        #[test]
        fn $reject() {
            rejects_off($alpha);
        }
    )*};
}

per_alpha! {
    ks_alpha_0_001, rejects_alpha_off_by_2_percent_0_001, 0.001;
    ks_alpha_0_003, rejects_alpha_off_by_2_percent_0_003, 0.003;
    ks_alpha_0_01, rejects_alpha_off_by_2_percent_0_01, 0.01;
    ks_alpha_0_02, rejects_alpha_off_by_2_percent_0_02, 0.02;
    ks_alpha_0_05, rejects_alpha_off_by_2_percent_0_05, 0.05;
    ks_alpha_0_1, rejects_alpha_off_by_2_percent_0_1, 0.1;
    ks_alpha_0_2, rejects_alpha_off_by_2_percent_0_2, 0.2;
    ks_alpha_0_4, rejects_alpha_off_by_2_percent_0_4, 0.4;
    ks_alpha_0_7, rejects_alpha_off_by_2_percent_0_7, 0.7;
    ks_alpha_1, rejects_alpha_off_by_2_percent_1, 1.0;
    ks_alpha_2, rejects_alpha_off_by_2_percent_2, 2.0;
    ks_alpha_8, rejects_alpha_off_by_2_percent_8, 8.0;
    ks_alpha_100, rejects_alpha_off_by_2_percent_100, 100.0;
    ks_alpha_1000, rejects_alpha_off_by_2_percent_1000, 1000.0;
}

#[test]
fn sample_sizes_follow_the_power_calculation() {
    // (3.4946 / 0.003629)² = 927 318 → 930 000; (3.4946 / 0.002402)² = 2 116 674 → 2 120 000.
    assert_eq!(draws(0.003_629), 930_000);
    assert_eq!(draws(0.002_402), 2_120_000);
}

/// Why the test must be rounding-aware: at α = 0.05 about 7.7% of correct draws are exactly
/// 1.0, so a plain KS test, which compares F_n just below 1 with I(1⁻) = 1, sees a deviation of
/// that size and rejects far beyond its critical value, while the atom matches the rounded law.
#[test]
fn plain_ks_would_reject_correct_draws_at_small_alpha() {
    let alpha = 0.05;
    let n = 200_000;
    let samples = draw(&Beta::symmetric(alpha).unwrap(), 77, n);
    let ones = samples.iter().filter(|&&x| x == 1.0).count() as f64 / n as f64;
    let plain = ones * (n as f64).sqrt();
    assert!(plain > 10.0 * CRITICAL, "plain KS statistic {plain}");
    // The rounded law puts mass I_(2⁻⁵⁴)(α, α) on 1.0; Binomial sd √(p(1−p)/n) ≈ 6e-4, and
    // 3.3 sd bounds a false positive at 0.001.
    let p_one = 1.0 - Law::new(alpha, alpha).below(1.0);
    let sd = (p_one * (1.0 - p_one) / n as f64).sqrt();
    assert!(
        (ones - p_one).abs() < 3.3 * sd,
        "P(λ = 1) = {ones}, expected {p_one}"
    );
}
