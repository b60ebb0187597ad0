//! Beta(a, b) with a ≠ b against I_x(a, b): the general, log-domain branch of the sampler, with
//! a boost on one side, on both, or on neither.

use crate::draw;
use crate::ks::{Law, test};
use mixup::Beta;

/// One million draws per pair: by the calculation in `symmetric.rs`, enough to see a CDF shift
/// of 3.5e-3 with power 0.999.
const DRAWS: usize = 1_000_000;

fn accepts(a: f64, b: f64, seed: u64) {
    let samples = draw(&Beta::new(a, b).unwrap(), seed, DRAWS);
    let outcome = test(&samples, &Law::new(a, b));
    assert!(!outcome.rejects(), "Beta({a}, {b}) rejected: {outcome}");
}

#[test]
fn ks_small_and_large_shape() {
    accepts(0.3, 2.0, 31);
}

#[test]
fn ks_large_and_small_shape() {
    accepts(5.0, 0.5, 32);
}

#[test]
fn ks_two_small_shapes() {
    accepts(0.05, 0.8, 33);
}

#[test]
fn ks_two_large_shapes() {
    accepts(3.0, 7.0, 34);
}

#[test]
fn ks_uniform_side() {
    accepts(1.0, 0.2, 35);
}

/// Tiny shapes put much of the mass on doubles that are subnormal or zero: at Beta(0.001, 0.01),
/// 43.2% of λ rounds to 0 and 2.4% lies between 2⁻¹⁰⁷⁵ and 1e-300, a band that a sampler
/// computing 1/(1 + e^(−s)) flushes to 0 once e^(−s) overflows (1.6% of the draws; this test
/// rejected that at 15 times its critical value). The other pair has the tiny shape second.
#[test]
fn ks_tiny_shapes_keep_subnormal_draws() {
    accepts(0.001, 0.01, 37);
    accepts(0.003, 0.03, 38);
    accepts(0.01, 0.001, 39);
}

/// The general branch is not a relabelled symmetric one: swapping a and b must be detected.
#[test]
fn swapped_shapes_are_rejected() {
    let samples = draw(&Beta::new(0.3, 2.0).unwrap(), 36, 100_000);
    assert!(test(&samples, &Law::new(2.0, 0.3)).rejects());
}
