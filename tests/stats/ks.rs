//! A Kolmogorov–Smirnov test of f64 samples against Beta(a, b), aware of rounding.
//!
//! # Why rounding matters
//!
//! A sampler returns doubles, so its law is discrete: the double x is returned with (ideally)
//! the probability that the real-valued λ* rounds to x, i.e. that λ* lies between the midpoints
//! to x's neighbours. Near 1 the doubles are 2⁻⁵³ apart and at small α the mass there is large:
//! at α = 0.1 about 1% of the draws are exactly 1.0 (and 7% at α = 0.05). A plain KS test
//! compares the empirical CDF with the continuous I at x itself and so charges that whole atom as
//! a deviation, rejecting every correct sampler.
//!
//! Here the empirical CDF is compared with the CDF G of the *rounded* variable: at a sample
//! value x, F_n(x) (the fraction ≤ x) with G(x) = I(x + ½·gap above x) and F_n(x⁻) (the
//! fraction < x) with G(x⁻) = I(x − ½·gap below x). Between sample values F_n is flat and G can
//! only rise, so the largest distance over those points is the exact supremum
//! D = sup |F_n − G|. For a discontinuous G the continuous-case critical values are conservative
//! (W. J. Conover, "A Kolmogorov goodness-of-fit test for discontinuous distributions", JASA 67,
//! 1972), so the false-positive rate stays below the nominal level.
//!
//! The midpoints are not doubles. Above ½ they are written as 1 − y with y a small double that
//! is exact (1 − x is exact there, and so is subtracting half a gap), and I_(1−y)(a, b) is
//! evaluated as 1 − I_y(b, a), so that the CDF near 1 is known to full relative precision in the
//! distance to 1. Below ½ the midpoint is rounded to a double; the probability of a half-gap
//! there is below 2⁻⁵² of the CDF value, far below anything the test can see.
//!
//! # The incomplete beta function
//!
//! I_x(a, b) comes from the `special` crate (algorithm AS 63, K. L. Majumder and
//! G. P. Bhattacharjee, Applied Statistics 22, 1973). Its accuracy at small shapes was checked
//! against mpmath 1.3 (`betainc(a, b, 0, x, regularized=True)` at 40 digits) for
//! (a, b) ∈ {(0.05, 0.05), (0.1, 0.1), (0.2, 0.2), (0.4, 0.4), (2, 2), (100, 100), (0.3, 2),
//! (5, 0.5)} and x ∈ {1e-300, 1e-20, 2⁻⁵⁴, 1e-5, 0.01, 0.3, 0.5, 0.7, 0.99}: the largest
//! relative error was 2.2e-13 (at a = b = 100, x = 0.3 and 0.5), and below 1e-14 at every
//! a ≤ 0.4. The test needs about 1e-6, so `special` is used as is; the cross-check [`sanity`]
//! below pins a few of those reference values.
//!
//! # Cost
//!
//! Evaluating I at two points per sample would dominate the run time. The sorted distinct
//! values are cut into blocks of [`BLOCK`]; I is evaluated at the two ends of every block, which
//! bounds every deviation inside it by monotonicity (F_n and G both lie between their values at
//! the ends). Only blocks whose bound exceeds the largest deviation found so far are evaluated
//! point by point, so D is exact while I is evaluated at a small fraction of the points.

use special::Beta as _;

/// Distinct sample values per block of the branch-and-bound search.
const BLOCK: usize = 64;

/// The Kolmogorov critical value at level 0.001: P(√n·D > 1.9495) = 0.001 as n → ∞, from
/// P(K > x) = 2 Σ (−1)^(k−1) e^(−2k²x²) (the k ≥ 2 terms are below 1e-13 here). It is compared
/// with Stephens' finite-n scaling (√n + 0.12 + 0.11/√n)·D (M. A. Stephens, "Use of the
/// Kolmogorov–Smirnov, Cramér–von Mises and related statistics without extensive tables",
/// JRSS B 32, 1970), which makes the level accurate for every n used here.
pub const CRITICAL: f64 = 1.9495;

/// Beta(a, b) and its CDF at the rounding midpoints.
pub struct Law {
    a: f64,
    b: f64,
    ln_beta: f64,
}

impl Law {
    pub fn new(a: f64, b: f64) -> Law {
        Law {
            a,
            b,
            ln_beta: a.ln_beta(b),
        }
    }

    /// I_x(a, b).
    fn lower(&self, x: f64) -> f64 {
        if x <= 0.0 {
            0.0
        } else {
            x.inc_beta(self.a, self.b, self.ln_beta)
        }
    }

    /// I_(1−y)(a, b) = 1 − I_y(b, a), for a small exact y.
    fn upper(&self, y: f64) -> f64 {
        if y <= 0.0 {
            1.0
        } else {
            1.0 - y.inc_beta(self.b, self.a, self.ln_beta)
        }
    }

    /// I at the midpoint (k + ½·side)·2⁻¹⁰⁷⁴ next to the subnormal (or zero) x = k·2⁻¹⁰⁷⁴,
    /// `side` = ±1. That midpoint is not a double (it would round to 0 at x = 0, where at
    /// α = 0.001 a quarter of the mass lies), so I is taken from the first term of its series,
    /// I_m(a, b) = m^a / (a·B(a, b))·(1 + O(m)), with ln m computed from k. At m ≤ 2⁻¹⁰²² the
    /// neglected terms are far below a double's precision (mpmath agrees to 17 digits at
    /// m = 2⁻¹⁰⁷⁵ for a = b = 0.001, 0.003, 0.01 and 0.02).
    fn lower_subnormal(&self, x: f64, side: f64) -> f64 {
        let k = x.to_bits() as f64;
        let ln_m = (k + side / 2.0).ln() - 1074.0 * core::f64::consts::LN_2;
        (self.a * ln_m - self.a.ln() - self.ln_beta).exp()
    }

    /// G(x) = P(the rounded variable ≤ x) = I at the midpoint between x and the next double.
    pub fn at_or_below(&self, x: f64) -> f64 {
        if x >= 1.0 {
            return 1.0;
        }
        if x < f64::MIN_POSITIVE {
            return self.lower_subnormal(x.max(0.0), 1.0);
        }
        let gap = x.next_up() - x;
        if x >= 0.5 {
            // 1 − x is a multiple of the gap, so this is exact.
            self.upper((1.0 - x) - gap / 2.0)
        } else {
            self.lower(x + gap / 2.0)
        }
    }

    /// G(x⁻) = P(the rounded variable < x) = I at the midpoint between x and the double below.
    pub fn below(&self, x: f64) -> f64 {
        if x <= 0.0 {
            return 0.0;
        }
        if x < f64::MIN_POSITIVE {
            return self.lower_subnormal(x, -1.0);
        }
        let gap = x - x.next_down();
        if x > 0.5 {
            self.upper((1.0 - x) + gap / 2.0)
        } else {
            self.lower(x - gap / 2.0)
        }
    }
}

/// The outcome of one test.
pub struct Outcome {
    /// sup |F_n − G|.
    pub d: f64,
    pub n: usize,
    /// (√n + 0.12 + 0.11/√n)·D, to be compared with [`CRITICAL`].
    pub scaled: f64,
}

impl Outcome {
    pub fn rejects(&self) -> bool {
        self.scaled > CRITICAL
    }
}

impl core::fmt::Display for Outcome {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(
            f,
            "D = {:.3e} over n = {}, scaled {:.4} against the critical {CRITICAL}",
            self.d, self.n, self.scaled
        )
    }
}

/// The rounding-aware KS statistic of `samples` against `law`.
pub fn test(samples: &[f64], law: &Law) -> Outcome {
    let n = samples.len();
    assert!(n > 0);
    // Non-negative doubles (and λ is never −0.0) sort like their bit patterns.
    let mut bits: Vec<u64> = samples
        .iter()
        .map(|&x| {
            assert!((0.0..=1.0).contains(&x), "sample {x} outside [0, 1]");
            assert!(x.is_sign_positive(), "sample −0.0");
            x.to_bits()
        })
        .collect();
    bits.sort_unstable();

    // Distinct values and the number of samples ≤ each.
    let mut values: Vec<f64> = Vec::new();
    let mut at_most: Vec<usize> = Vec::new();
    for (i, &b) in bits.iter().enumerate() {
        if values.last().map(|v: &f64| v.to_bits()) == Some(b) {
            *at_most.last_mut().unwrap() = i + 1;
        } else {
            values.push(f64::from_bits(b));
            at_most.push(i + 1);
        }
    }
    let nf = n as f64;
    let less_than = |j: usize| if j == 0 { 0 } else { at_most[j - 1] };

    // Block ends: exact deviations there, and a bound for the inside.
    let mut d: f64 = 0.0;
    let mut blocks: Vec<(f64, usize, usize)> = Vec::new();
    for start in (0..values.len()).step_by(BLOCK) {
        let end = (start + BLOCK).min(values.len());
        let g_lo = law.below(values[start]);
        let g_hi = law.at_or_below(values[end - 1]);
        let f_lo = less_than(start) as f64 / nf;
        let f_hi = at_most[end - 1] as f64 / nf;
        d = d.max((f_lo - g_lo).abs()).max((f_hi - g_hi).abs());
        blocks.push(((f_hi - g_lo).max(g_hi - f_lo), start, end));
    }
    blocks.sort_unstable_by(|x, y| y.0.total_cmp(&x.0));
    for &(bound, start, end) in &blocks {
        if bound <= d {
            break;
        }
        for j in start..end {
            let below = (less_than(j) as f64 / nf - law.below(values[j])).abs();
            let at = (at_most[j] as f64 / nf - law.at_or_below(values[j])).abs();
            d = d.max(below).max(at);
        }
    }
    let root = nf.sqrt();
    Outcome {
        d,
        n,
        scaled: (root + 0.12 + 0.11 / root) * d,
    }
}

#[test]
fn sanity() {
    // Reference values from mpmath (see the module docs).
    let cases = [
        (0.05, 1e-20, 0.050_192_053_089_336_4),
        (0.1, 5.551_115_123_125_783e-17, 0.012_012_936_561_624_14),
        (0.2, 1e-5, 0.052_623_332_476_934_4),
        (0.4, 0.3, 0.387_501_428_456_176_2),
    ];
    for (a, x, reference) in cases {
        let law = Law::new(a, a);
        let got = law.lower(x);
        assert!(
            ((got - reference) / reference).abs() < 1e-12,
            "I_{x}({a}, {a}) = {got}, mpmath {reference}"
        );
        // Symmetry through the upper branch: I_(1−x) = 1 − I_x.
        assert!((law.upper(x) - (1.0 - reference)).abs() < 1e-15);
    }
    // The atom at 1: at α = 0.1 a correctly rounded sampler returns 1.0 with probability
    // I_(2⁻⁵⁴)(0.1, 0.1) ≈ 1.1%, the mass above the last midpoint.
    let law = Law::new(0.1, 0.1);
    let atom = 1.0 - law.below(1.0);
    assert!((0.010..0.013).contains(&atom), "P(λ = 1) = {atom}");
    assert_eq!(law.at_or_below(1.0), 1.0);
    assert_eq!(law.below(0.0), 0.0);
    // The atom at 0 and the midpoints between subnormals, against mpmath's I at 2⁻¹⁰⁷⁵
    // (G(0) and G(2⁻¹⁰⁷⁴⁻)) and at 1.5·2⁻¹⁰⁷⁴ (G(2⁻¹⁰⁷⁴)).
    let tiny = f64::from_bits(1);
    // (a, b, x, mpmath's I at the midpoint above x): G(x) = I(x + 2⁻¹⁰⁷⁵).
    let subnormal = [
        (0.001, 0.001, 0.0, 0.237_335_920_069_564_9),
        (0.001, 0.01, 0.0, 0.431_526_187_627_69),
        (0.02, 0.02, tiny, 1.724_428_449_042_225_6e-7),
    ];
    for (a, b, x, reference) in subnormal {
        let law = Law::new(a, b);
        let got = law.at_or_below(x);
        assert!(
            ((got - reference) / reference).abs() < 1e-12,
            "G({x:e}) of Beta({a}, {b}) = {got}, mpmath {reference}"
        );
        // The mass at and below x is the mass below the next double.
        assert_eq!(got, law.below(x.next_up()));
    }
}
