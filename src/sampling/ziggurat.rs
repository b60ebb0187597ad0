//! Standard normal and standard exponential variates by the ziggurat method.
//!
//! The method is that of Marsaglia and Tsang, "The Ziggurat Method for Generating Random
//! Variables", Journal of Statistical Software 5(8), 2000: the area under the (unnormalised)
//! density is covered by 256 horizontal layers of equal area `v`, the bottom one being a
//! rectangle plus the tail beyond `r`. A draw picks a layer and a point in it; most points fall
//! in the part of the layer that lies under the next layer's edge and are returned after one
//! multiplication and one comparison, without any transcendental function.
//!
//! Following Doornik ("An Improved Ziggurat Method to Generate Normal Random Samples", 2005), the
//! layer index and the position inside the layer come from disjoint bits of one 64-bit draw
//! (bits 0..8 for the layer, bits 11..64 for the position), so they are independent. Bit 8 gives
//! the sign of a normal variate, or is handed to the caller along with an exponential variate.
//!
//! The layer tables live in `ziggurat_tables.rs`. They were generated with `libm` by
//! [`tests::normal_tables`] and [`tests::exponential_tables`] below, and a unit test regenerates
//! them and compares them bit for bit, so the committed numbers cannot drift from the method.
//! Nothing is computed at build time.
//!
//! # Termination
//!
//! A draw makes at most [`MAX_ATTEMPTS`] ziggurat attempts. With a sound generator an attempt is
//! rejected with probability below 2%, so running out has probability below 0.02¹⁶ < 10⁻²⁷; the
//! bound only exists so that a degenerate generator (one that repeats a rejected value forever)
//! cannot hang the caller. After the last attempt an exact method without rejection finishes the
//! draw (Box–Muller for the normal, inversion for the exponential). Both produce the target law
//! exactly, and the fallback uses fresh draws, so the output distribution is unchanged by it.

use super::ziggurat_tables::{EXP_F, EXP_X, NORM_F, NORM_X};
use super::{uniform_open0, uniform01};
use rand_core::Rng;

/// Edge of the base layer of the 256-layer normal ziggurat (Marsaglia and Tsang 2000).
pub(super) const NORM_R: f64 = 3.654_152_885_361_009;

/// Edge of the base layer of the 256-layer exponential ziggurat (Marsaglia and Tsang 2000).
pub(super) const EXP_R: f64 = 7.697_117_470_131_05;

/// Ziggurat attempts per variate before the exact fallback takes over.
const MAX_ATTEMPTS: u32 = 16;

/// 2⁻⁵³.
const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// Layer index and position in `[0, 1)` from one 64-bit draw, plus the spare bit 8.
#[inline(always)]
fn split_bits(bits: u64) -> (usize, f64, bool) {
    let layer = (bits & 0xff) as usize;
    let position = (bits >> 11) as f64 * INV_2_53;
    (layer, position, bits & 0x100 != 0)
}

/// One standard normal variate.
#[inline]
pub(super) fn normal<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    for _ in 0..MAX_ATTEMPTS {
        let (i, u, negative) = split_bits(rng.next_u64());
        let x = u * NORM_X[i];
        // Hot path: the point lies under the next layer's edge, hence under the curve.
        if x < NORM_X[i + 1] {
            return if negative { -x } else { x };
        }
        if let Some(x) = normal_slow(i, x, rng) {
            return if negative { -x } else { x };
        }
    }
    // Box–Muller (1958) with fresh uniforms: exact, no rejection.
    let radius = libm::sqrt(-2.0 * libm::log(uniform_open0(rng)));
    radius * libm::cos(core::f64::consts::TAU * uniform01(rng))
}

/// The rare cases of one normal attempt: the tail beyond `r` (layer 0) or the wedge between a
/// layer's inner edge and the curve. `None` rejects the attempt.
#[cold]
#[inline(never)]
fn normal_slow<R: Rng + ?Sized>(i: usize, x: f64, rng: &mut R) -> Option<f64> {
    if i == 0 {
        // Marsaglia's tail method (1964), as in the ziggurat paper: with x = E₁/r and y = E₂,
        // accept r + x when 2y ≥ x².
        let x = -libm::log(uniform_open0(rng)) / NORM_R;
        let y = -libm::log(uniform_open0(rng));
        return (2.0 * y >= x * x).then_some(NORM_R + x);
    }
    let y = NORM_F[i] + uniform01(rng) * (NORM_F[i + 1] - NORM_F[i]);
    (y < libm::exp(-0.5 * x * x)).then_some(x)
}

/// One standard exponential variate, with one independent fair bit (for a random sign).
///
/// The bit is bit 8 of the draw that produced the accepted point: acceptance depends only on the
/// other bits and on later draws, so the bit is uniform and independent of the variate.
#[inline]
pub(super) fn exponential_with_bit<R: Rng + ?Sized>(rng: &mut R) -> (f64, bool) {
    for _ in 0..MAX_ATTEMPTS {
        let (i, u, bit) = split_bits(rng.next_u64());
        let x = u * EXP_X[i];
        if x < EXP_X[i + 1] {
            return (x, bit);
        }
        if let Some(x) = exponential_slow(i, x, rng) {
            return (x, bit);
        }
    }
    // Inversion with fresh bits: exact, no rejection. The top 53 bits make U in (0, 1], bit 0
    // is the independent fair bit.
    let bits = rng.next_u64();
    let u = ((bits >> 11) + 1) as f64 * INV_2_53;
    (-libm::log(u), bits & 1 != 0)
}

/// The rare cases of one exponential attempt. `None` rejects the attempt.
#[cold]
#[inline(never)]
fn exponential_slow<R: Rng + ?Sized>(i: usize, x: f64, rng: &mut R) -> Option<f64> {
    if i == 0 {
        // The exponential law is memoryless: the tail beyond r is r plus a fresh exponential.
        return Some(EXP_R - libm::log(uniform_open0(rng)));
    }
    let y = EXP_F[i] + uniform01(rng) * (EXP_F[i + 1] - EXP_F[i]);
    (y < libm::exp(-x)).then_some(x)
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    /// Layers of each ziggurat.
    const LAYERS: usize = 256;

    /// Builds the 257-entry tables `(x, f)` of a decreasing density `f` on `[0, ∞)` with
    /// `LAYERS` layers of area `v` each and base edge `r`: `x[0] = v / f(r)` is the width of a
    /// rectangle with the base layer's area, `x[1] = r`, `x[i + 1] = f⁻¹(f(x[i]) + v / x[i])`
    /// stacks the layers, and `x[LAYERS] = 0` closes the top one.
    fn build(
        r: f64,
        v: f64,
        f: impl Fn(f64) -> f64,
        f_inv: impl Fn(f64) -> f64,
    ) -> ([f64; LAYERS + 1], [f64; LAYERS + 1]) {
        let mut x = [0.0; LAYERS + 1];
        x[0] = v / f(r);
        x[1] = r;
        for i in 1..LAYERS - 1 {
            x[i + 1] = f_inv(f(x[i]) + v / x[i]);
        }
        x[LAYERS] = 0.0;
        let mut fx = [0.0; LAYERS + 1];
        for i in 0..=LAYERS {
            fx[i] = f(x[i]);
        }
        (x, fx)
    }

    /// The normal ziggurat for f(x) = e^(−x²/2), with Marsaglia and Tsang's r for 256 layers;
    /// v = r·f(r) + ∫ᵣ^∞ f = r·f(r) + √(π/2)·erfc(r/√2).
    pub(in super::super) fn normal_tables() -> ([f64; LAYERS + 1], [f64; LAYERS + 1]) {
        let r = NORM_R;
        let v = r * libm::exp(-0.5 * r * r)
            + libm::sqrt(core::f64::consts::FRAC_PI_2) * libm::erfc(r / core::f64::consts::SQRT_2);
        build(
            r,
            v,
            |x| libm::exp(-0.5 * x * x),
            |y| libm::sqrt(-2.0 * libm::log(y)),
        )
    }

    /// The exponential ziggurat for f(x) = e^(−x), with Marsaglia and Tsang's r for 256 layers;
    /// v = r·f(r) + ∫ᵣ^∞ f = (r + 1)·e^(−r).
    pub(in super::super) fn exponential_tables() -> ([f64; LAYERS + 1], [f64; LAYERS + 1]) {
        let r = EXP_R;
        let v = (r + 1.0) * libm::exp(-r);
        build(r, v, |x| libm::exp(-x), |y| -libm::log(y))
    }

    fn same_bits(name: &str, committed: &[f64; LAYERS + 1], generated: &[f64; LAYERS + 1]) {
        for (i, (c, g)) in committed.iter().zip(generated).enumerate() {
            assert_eq!(
                c.to_bits(),
                g.to_bits(),
                "{name}[{i}]: committed {c:?}, regenerated {g:?}"
            );
        }
    }

    #[test]
    fn committed_tables_match_libm_regeneration() {
        let (x, f) = normal_tables();
        same_bits("NORM_X", &NORM_X, &x);
        same_bits("NORM_F", &NORM_F, &f);
        let (x, f) = exponential_tables();
        same_bits("EXP_X", &EXP_X, &x);
        same_bits("EXP_F", &EXP_F, &f);
    }

    #[test]
    fn tables_are_well_formed_ziggurats() {
        for (x, f) in [(NORM_X, NORM_F), (EXP_X, EXP_F)] {
            assert!(x.iter().chain(f.iter()).all(|v| v.is_finite()));
            // Edges shrink strictly towards the top, the density grows towards 1 there.
            assert!(x.windows(2).all(|w| w[0] > w[1]));
            assert!(f.windows(2).all(|w| w[0] < w[1]));
            assert_eq!(x[LAYERS], 0.0);
            assert_eq!(f[LAYERS], 1.0);
            // The top layer, [0, x₂₅₅] × [f(x₂₅₅), 1], has the same area as the others: the
            // recursion closes, which holds only for the right r.
            let v = x[1] * (f[2] - f[1]);
            let top = x[LAYERS - 1] * (1.0 - f[LAYERS - 1]);
            assert!((top - v).abs() < 1e-9 * v, "top layer {top} vs {v}");
        }
    }

    /// Prints the tables module; used once to write `ziggurat_tables.rs`.
    /// `cargo test --lib print_ziggurat_tables -- --ignored --nocapture`
    #[test]
    #[ignore = "generator for ziggurat_tables.rs, run by hand"]
    fn print_ziggurat_tables() {
        extern crate std;
        use std::println;
        let (nx, nf) = normal_tables();
        let (ex, ef) = exponential_tables();
        for (name, t) in [("NORM_X", nx), ("NORM_F", nf), ("EXP_X", ex), ("EXP_F", ef)] {
            println!("pub(super) static {name}: [f64; 257] = [");
            for v in t {
                println!("    {v:?},");
            }
            println!("];");
        }
    }

    /// A generator stuck on one output: the worst case for rejection loops.
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
    fn constant_generators_terminate_with_finite_values() {
        for c in [
            0,
            u64::MAX,
            0xff,
            0x1ff,
            0xfe,
            1 << 11,
            u64::MAX << 8,
            0x8000_0000_0000_00ff,
        ] {
            let mut rng = Constant(c);
            assert!(normal(&mut rng).is_finite(), "normal, constant {c:#x}");
            let (e, _) = exponential_with_bit(&mut rng);
            assert!(e.is_finite() && e >= 0.0, "exponential, constant {c:#x}");
        }
    }

    /// Every layer, the tails and the wedges are reached with many draws; the first four
    /// moments must match N(0, 1) and Exp(1). The distribution itself is tested through the
    /// Beta sampler in tests/stats.
    #[test]
    fn moments() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let n = 1_000_000;
        let (mut s1, mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0, 0.0);
        for _ in 0..n {
            let x = normal(&mut rng);
            s1 += x;
            s2 += x * x;
            s3 += x * x * x;
            s4 += x * x * x * x;
        }
        let n_f = n as f64;
        // Standard errors: 1/√n, √2/√n, √15/√n, √96/√n; bounds at about 5 of them.
        assert!((s1 / n_f).abs() < 0.005);
        assert!((s2 / n_f - 1.0).abs() < 0.008);
        assert!((s3 / n_f).abs() < 0.02);
        assert!((s4 / n_f - 3.0).abs() < 0.05);

        let (mut e1, mut e2, mut ones) = (0.0, 0.0, 0u32);
        for _ in 0..n {
            let (x, bit) = exponential_with_bit(&mut rng);
            e1 += x;
            e2 += x * x;
            ones += bit as u32;
        }
        // Var E = 1, Var E² = 20.
        assert!((e1 / n_f - 1.0).abs() < 0.005);
        assert!((e2 / n_f - 2.0).abs() < 0.025);
        // Binomial(n, ½): sd 500.
        assert!((ones as f64 - n_f / 2.0).abs() < 2500.0);
    }
}
