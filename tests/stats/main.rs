//! Statistical tests of the λ sampler `mixup::Beta`.
//!
//! - [`ks`]: the rounding-aware Kolmogorov–Smirnov machinery against the exact CDF I_x(a, b).
//! - [`symmetric`]: Beta(α, α) for α ∈ {0.001, 0.003, 0.01, 0.02, 0.05, 0.1, 0.2, 0.4, 0.7, 1, 2,
//!   8, 100, 1000}, with draw counts that detect a 2% error in α, and the proof that they do:
//!   samplers with α off by ±2% are rejected.
//! - [`asymmetric`]: Beta(a, b), a ≠ b, for a few pairs, down to (0.001, 0.01), where much of
//!   the mass lies on 0 and on subnormals.
//! - [`moments`]: mean and variance.
//! - [`extremes`]: exact 0/1 frequencies at tiny α, 0.5 at huge α, and a sweep of the shapes
//!   from 5e-324 to f64::MAX asserting λ ∈ [0, 1] and no NaN.
//!
//! Every test uses fixed seeds, so a run is reproducible; each statistical assertion has a
//! false-positive rate of at most 0.001 (the bound is stated next to it), so a failure means a
//! broken sampler, not bad luck.

mod asymmetric;
mod extremes;
mod ks;
mod moments;
mod symmetric;

use mixup::Beta;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// `n` draws of `beta` from a generator seeded with `seed`.
pub fn draw(beta: &Beta, seed: u64, n: usize) -> Vec<f64> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    (0..n).map(|_| beta.sample(&mut rng)).collect()
}
