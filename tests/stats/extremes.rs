//! The contract at the ends of the shape range: exact 0/1 at tiny α with the right frequencies,
//! exactly 0.5 at huge α, λ ∈ [0, 1] and never NaN for every shape from 5e-324 to f64::MAX, and
//! termination even with a generator that repeats one value.

use crate::draw;
use mixup::Beta;

/// Two-sided normal quantile for probability 6.8e-6: each binomial bound below has a
/// false-positive rate under 1e-5, and no test makes more than 6 of them.
const Z: f64 = 4.5;

/// Counts of exact 0s and exact 1s.
fn zeros_ones(samples: &[f64]) -> (usize, usize) {
    let zeros = samples.iter().filter(|&&x| x == 0.0).count();
    let ones = samples.iter().filter(|&&x| x == 1.0).count();
    (zeros, ones)
}

/// `count` successes in `n` Binomial(n, p) trials, within Z standard deviations.
fn assert_binomial(count: usize, n: usize, p: f64, what: &str) {
    let expected = n as f64 * p;
    let sd = (n as f64 * p * (1.0 - p)).sqrt();
    assert!(
        (count as f64 - expected).abs() < Z * sd,
        "{what}: {count} of {n}, expected {expected} ± {sd}"
    );
}

#[test]
fn tiny_symmetric_alpha_gives_0_or_1_each_with_probability_half() {
    let n = 100_000;
    for (i, alpha) in [5e-324, 1e-310, 1e-300, 1e-100, 1e-20]
        .into_iter()
        .enumerate()
    {
        let samples = draw(&Beta::symmetric(alpha).unwrap(), 700 + i as u64, n);
        let (zeros, ones) = zeros_ones(&samples);
        // For small α, I_x(α, α) ≈ x^α/2 near 0, so the mass between the smallest subnormal and
        // 1 − 2⁻⁵⁴ is about α·(ln 2⁻⁵⁴ − ln 5e-324) ≈ 707·α ≤ 7.1e-18 at α ≤ 1e-20: over all
        // these draws the chance of a λ that is not exactly 0 or 1 is below 1e-12.
        assert_eq!(
            zeros + ones,
            n,
            "α = {alpha:e}: a draw strictly inside (0, 1)"
        );
        assert_binomial(ones, n, 0.5, &format!("λ = 1 at α = {alpha:e}"));
    }
}

/// Beta(a, b) as a, b → 0 with b = 2a: mass a/(a + b) = ⅓ at 1 and ⅔ at 0. At 5e-324 every
/// boost overflows and the sampler has to compare logarithms to get this right.
#[test]
fn tiny_asymmetric_shapes_split_in_proportion() {
    let n = 60_000;
    for (i, (a, b)) in [(5e-324, 1e-323), (1e-300, 2e-300)].into_iter().enumerate() {
        let samples = draw(&Beta::new(a, b).unwrap(), 710 + i as u64, n);
        let (zeros, ones) = zeros_ones(&samples);
        assert_eq!(
            zeros + ones,
            n,
            "Beta({a:e}, {b:e}): a draw strictly inside (0, 1)"
        );
        assert_binomial(ones, n, 1.0 / 3.0, &format!("λ = 1 for Beta({a:e}, {b:e})"));
    }
}

#[test]
fn huge_alpha_gives_one_half() {
    for alpha in [1e40, 1e100, 1e300, f64::MAX] {
        let samples = draw(&Beta::symmetric(alpha).unwrap(), 720, 10_000);
        assert!(
            samples.iter().all(|&x| x == 0.5),
            "α = {alpha:e}: a draw other than 0.5"
        );
    }
}

/// `count` shapes from 5e-324 to f64::MAX, log-spaced, ends included exactly, plus the
/// boundaries where the sampler changes method.
fn shapes(count: usize) -> Vec<f64> {
    let (lo, hi) = (f64::from_bits(1), f64::MAX);
    let (llo, lhi) = (lo.ln(), hi.ln());
    let mut v: Vec<f64> = (0..count)
        .map(|k| (llo + (lhi - llo) * k as f64 / (count - 1) as f64).exp())
        .map(|x| x.clamp(lo, hi))
        .collect();
    v[0] = lo;
    v[count - 1] = hi;
    v.extend([
        f64::MIN_POSITIVE,
        std::f64::consts::LOG2_E / f64::MAX,
        1.0 / f64::MAX,
        0.5,
        0.5f64.next_up(),
        0.5f64.next_down(),
        1.0,
        1.0f64.next_up(),
        1.0f64.next_down(),
        f64::MAX / 9.0,
    ]);
    v
}

#[test]
fn symmetric_sweep_stays_in_range() {
    for (i, alpha) in shapes(400).into_iter().enumerate() {
        let beta = Beta::symmetric(alpha).unwrap();
        for x in draw(&beta, 800 + i as u64, 2_000) {
            assert!((0.0..=1.0).contains(&x), "α = {alpha:e}: λ = {x}");
        }
    }
}

#[test]
fn asymmetric_sweep_stays_in_range() {
    let grid = shapes(50);
    for (i, &a) in grid.iter().enumerate() {
        for (j, &b) in grid.iter().enumerate() {
            let beta = Beta::new(a, b).unwrap();
            for x in draw(&beta, (i * 1000 + j) as u64, 100) {
                assert!((0.0..=1.0).contains(&x), "Beta({a:e}, {b:e}): λ = {x}");
            }
        }
    }
}

/// A generator stuck on one output: rejection loops would spin forever on it.
struct Constant(u64);

impl rand_core::TryRng for Constant {
    type Error = core::convert::Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Self::Error> {
        Ok(self.0 as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Self::Error> {
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Self::Error> {
        dst.fill(self.0 as u8);
        Ok(())
    }
}

#[test]
fn constant_generators_terminate_in_range() {
    let constants = [
        0,
        u64::MAX,
        0xff,
        0x1ff,
        1 << 11,
        u64::MAX << 8,
        u64::MAX >> 1,
        0x8000_0000_0000_0000,
        0x5555_5555_5555_5555,
    ];
    let mut shapes = shapes(30);
    shapes.extend([0.2, 0.4, 0.7, 2.0]);
    for &c in &constants {
        for &a in &shapes {
            for &b in &[a, 0.3, 3.0] {
                let x = Beta::new(a, b).unwrap().sample(&mut Constant(c));
                assert!(
                    (0.0..=1.0).contains(&x),
                    "Beta({a:e}, {b:e}), constant {c:#x}: {x}"
                );
            }
        }
    }
}
