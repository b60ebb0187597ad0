//! Drawing the mixing weight λ ~ Beta(a, b).
//!
//! # Algorithm
//!
//! λ = G_a / (G_a + G_b) for independent G_a ~ Gamma(a), G_b ~ Gamma(b). Each gamma variate is
//! drawn with the method of Marsaglia and Tsang ("A simple method for generating gamma variables",
//! ACM Transactions on Mathematical Software 26(3), 2000): for shape s ≥ 1 it is d·w³ with
//! d = s − 1/3, w = 1 + c·x, x ~ N(0, 1), c = 1/(3√d), accepted by the paper's squeeze and, for
//! the few candidates the squeeze does not settle, its log test. A shape a < 1 is reached through
//! the boost of the same paper, G(a) = G(a + 1)·U^(1/a). The normal and exponential variates
//! come from the ziggurat method (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
//! Variables", Journal of Statistical Software 5(8), 2000), which needs no logarithm or square
//! root for almost every draw.
//!
//! A plain ratio G_a / (G_a + G_b) fails at small shapes: U^(1/a) underflows to zero for both
//! draws and the ratio is 0/0 (NaN in about a quarter of the draws at a = 10⁻³). Here the boosts
//! never appear as factors:
//!
//! - **a = b ≤ ½** (mixup's usual range). Jöhnk's method (M. D. Jöhnk, "Erzeugung von
//!   betaverteilten und gammaverteilten Zufallszahlen", Metrika 8, 1964; see also L. Devroye,
//!   *Non-Uniform Random Variate Generation*, 1986, section IX.3): with X = U₁^(1/a) and
//!   Y = U₂^(1/a), X/(X + Y) conditioned on X + Y ≤ 1 is Beta(a, a). It is the gamma-ratio
//!   method with only the two boost terms, and it is run in the same log domain: with
//!   E = −ln U from the ziggurat, z = min(X, Y)/max(X, Y) = e^(−|E₁ − E₂|/a) is one `exp2`, the
//!   acceptance test X + Y ≤ 1 becomes min(E₁, E₂)/a ≥ ln(1 + z) (settled by two rational bounds
//!   on ln(1 + z) except in a fraction of a percent of attempts), and λ is z/(1 + z) or its
//!   complement. An attempt is accepted with probability Γ(a + 1)²/Γ(2a + 1) ≥ π/4, so a draw
//!   costs about 1.05 `exp2` at a = 0.2 and 1.2 at a = 0.4, against about three transcendental
//!   functions for the gamma route. As a → 0, z is 0 and λ is exactly 1 or 0, each with
//!   probability ½: the limit of Beta(a, a).
//! - **½ < a = b < 1**, where Jöhnk's acceptance falls towards ½. The two boosts combine:
//!   ln U₁/a − ln U₂/a = (E₂ − E₁)/a, and the difference of two independent standard exponentials
//!   is a standard Laplace variate L, drawn as one exponential with a random sign. So
//!   λ = 1/(1 + z) with z = (w₂/w₁)³·e^(−L/a): one exponential function per draw (evaluated as
//!   `exp2`, which libm implements with a table and no division), no logarithm. e^(−L/a) may be
//!   0 or +∞, while (w₂/w₁)³ is finite and non-zero, so z is never NaN.
//! - **a = b > 1**: λ = w₁³/(w₁³ + w₂³), no transcendental function at all. For very large
//!   shapes c·x vanishes next to 1 and λ is 0.5.
//! - **a = b = 1**: λ is a uniform draw.
//! - **a ≠ b**: everything is kept in the log domain, t = ln G_a − ln G_b and
//!   λ = 1/(1 + e^(−t)). The one place where ∞ − ∞ could appear (two boosts that both overflow)
//!   is decided by comparing their logarithms.
//!
//! The last step, λ = num/(num + den), is evaluated as 1 − den/(num + den) when λ ≥ ½. Near 1 the
//! doubles are spaced 2⁻⁵³ apart and at small a much of the mass sits there; computing the small
//! quantity 1 − λ first and rounding once keeps every double below 1 reachable, with its proper
//! probability (a direct 1/(1 + z) lands only on every second one, since 1 + z is rounded to a
//! multiple of 2⁻⁵²).
//!
//! All transcendental functions come from `libm`, and no step depends on floating-point
//! contraction, so the same generator state gives the same λ, bit for bit, on every target.
//!
//! # Termination
//!
//! Every loop is bounded, so even a degenerate generator (say, one returning a constant) cannot
//! make [`Beta::sample`] loop forever. The ziggurat draws fall back to exact methods without
//! rejection (see `ziggurat.rs`), which leaves the distribution unchanged. After
//! [`MAX_CANDIDATES`] rejected Jöhnk attempts (probability below (1 − π/4)³² < 10⁻²¹) the draw
//! is finished by the Laplace-boost method with fresh draws, again exact. The gamma step gives up
//! after [`MAX_CANDIDATES`] rejected candidates and returns its centre d (w = 1); a candidate is
//! rejected with probability below 5% for every shape ≥ 1, so with a sound generator this happens
//! with probability below 0.05³² < 10⁻⁴¹ per gamma draw: a change of the distribution far below
//! anything measurable.

mod ziggurat;
mod ziggurat_tables;

use crate::error::Error;
use rand_core::Rng;

/// 2⁻⁵³, the spacing of the 53-bit uniform grid.
const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// Marsaglia–Tsang candidates per gamma variate before the fallback (see the module docs).
const MAX_CANDIDATES: u32 = 32;

/// A uniform double in `[0, 1)` on the grid of multiples of 2⁻⁵³.
#[inline]
pub(crate) fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * INV_2_53
}

/// Rejections of the bounded-integer method before the current draw is taken as it is. Each
/// rejection has probability below 2⁻¹ (below range/2³² for 32-bit draws), so a working
/// generator reaches the bound with probability below 2⁻⁶⁴; a constant generator, which would
/// otherwise be rejected forever, gets an answer.
const MAX_REJECTIONS: u32 = 64;

/// A uniform integer in `0..=max`, without modulo bias (Lemire, "Fast random integer generation
/// in an interval", ACM TOMACS 2019). Bounds below 2³² take one 32-bit draw, so the stream of
/// draws depends only on the bound, never on the target's pointer width.
#[inline]
pub(crate) fn below_or_equal<R: Rng + ?Sized>(rng: &mut R, max: usize) -> usize {
    let max = max as u64;
    if max < u32::MAX as u64 {
        let range = max as u32 + 1;
        let mut m = rng.next_u32() as u64 * range as u64;
        if (m as u32) < range {
            let threshold = range.wrapping_neg() % range;
            let mut rejections = 0;
            while (m as u32) < threshold && rejections < MAX_REJECTIONS {
                m = rng.next_u32() as u64 * range as u64;
                rejections += 1;
            }
        }
        (m >> 32) as usize
    } else if max == u64::MAX {
        rng.next_u64() as usize
    } else {
        let range = max + 1;
        let mut m = rng.next_u64() as u128 * range as u128;
        if (m as u64) < range {
            let threshold = range.wrapping_neg() % range;
            let mut rejections = 0;
            while (m as u64) < threshold && rejections < MAX_REJECTIONS {
                m = rng.next_u64() as u128 * range as u128;
                rejections += 1;
            }
        }
        (m >> 64) as usize
    }
}

/// A uniform double in `(0, 1]`, safe to take the logarithm of.
#[inline]
fn uniform_open0<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * INV_2_53
}

/// The constants of one Marsaglia–Tsang gamma generator of shape `s ≥ 1`.
#[derive(Debug, Clone, Copy, PartialEq)]
struct MarsagliaTsang {
    d: f64,
    c: f64,
}

impl MarsagliaTsang {
    fn new(shape: f64) -> Self {
        let d = shape - 1.0 / 3.0;
        // 1/(3√d) rather than 1/√(9d): 9d overflows for shapes above f64::MAX / 9.
        MarsagliaTsang {
            d,
            c: 1.0 / (3.0 * libm::sqrt(d)),
        }
    }

    /// Draws `w > 0` with `d·w³ ~ Gamma(s)`.
    ///
    /// `w` is at least about 2⁻⁵³ (it is 1 + c·x rounded, and positive) and at most a few units
    /// (|x| stays far below 10³ for any generator), so w³ is finite and non-zero.
    #[inline]
    fn draw_w<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        for _ in 0..MAX_CANDIDATES {
            let x = ziggurat::normal(rng);
            let w = 1.0 + self.c * x;
            if w <= 0.0 {
                continue;
            }
            let u = uniform01(rng);
            let x2 = x * x;
            // The squeeze of the paper settles all but a few percent of the candidates.
            if u < 1.0 - 0.0331 * x2 * x2 {
                return w;
            }
            let v = w * w * w;
            // u may be 0 here: ln 0 = −∞ accepts, which is the right limit.
            if libm::log(u) < 0.5 * x2 + self.d * (1.0 - v + libm::log(v)) {
                return w;
            }
        }
        1.0
    }
}

/// One side of a general Beta(a, b): the generator for Gamma(shape) in the log domain.
#[derive(Debug, Clone, Copy, PartialEq)]
struct LogGamma {
    mt: MarsagliaTsang,
    ln_d: f64,
    /// For a shape below 1: the shape itself, for the boost U^(1/shape).
    boost: Option<f64>,
}

impl LogGamma {
    fn new(shape: f64) -> Self {
        let (base, boost) = if shape < 1.0 {
            (shape + 1.0, Some(shape))
        } else {
            (shape, None)
        };
        let mt = MarsagliaTsang::new(base);
        LogGamma {
            mt,
            ln_d: libm::log(mt.d),
            boost,
        }
    }

    /// ln of the un-boosted gamma draw, finite.
    #[inline]
    fn ln_base<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        self.ln_d + 3.0 * libm::log(self.mt.draw_w(rng))
    }

    /// The boost as (E, shape), E = −ln U ~ Exp(1): the term E/shape is subtracted from ln G.
    #[inline]
    fn boost_term<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(f64, f64)> {
        self.boost
            .map(|shape| (ziggurat::exponential_with_bit(rng).0, shape))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// a = b = 1.
    Uniform,
    /// a = b ≤ ½: Jöhnk's method, with `SymmetricBoosted` as the fallback.
    Johnk {
        /// 1/a, capped at `f64::MAX`.
        inv_a: f64,
        /// log₂(e)/a, capped at `f64::MAX`.
        log2e_over_a: f64,
        mt: MarsagliaTsang,
    },
    /// ½ < a = b < 1: λ = 1/(1 + (w₂/w₁)³·e^(−L/a)) with L Laplace.
    SymmetricBoosted {
        mt: MarsagliaTsang,
        /// log₂(e)/a, capped at `f64::MAX` (see `laplace_boosted`).
        log2e_over_a: f64,
    },
    /// a = b > 1: λ = w₁³/(w₁³ + w₂³).
    Symmetric { mt: MarsagliaTsang },
    /// a ≠ b.
    General { a: LogGamma, b: LogGamma },
}

/// The Beta(a, b) distribution, the law of the mixup weight λ.
///
/// Mixup uses the symmetric case Beta(α, α) ([`Beta::symmetric`]); small α (0.1 to 0.4) puts
/// most of the mass near 0 and 1 so that mixed samples stay close to one of their parents.
///
/// The sampler is defined for every shape in `[5e-324, f64::MAX]`: it never returns NaN and
/// always returns a λ in `[0, 1]`. As α → 0, λ is exactly 0 or 1, each with probability ½ (the
/// limit of Beta(α, α)); for very large α it is exactly 0.5. NaN, ±∞, zero and negative shapes
/// are refused with [`Error::InvalidShape`].
///
/// # Algorithm
///
/// λ = G_a/(G_a + G_b) for independent gamma variates, drawn by the method of Marsaglia and
/// Tsang ("A simple method for generating gamma variables", ACM TOMS 26(3), 2000), with the
/// boost G(a) = G(a + 1)·U^(1/a) for shapes below 1, and evaluated in the log domain so that
/// no 0/0, ∞/∞ or ∞ − ∞ can occur at any shape. The normal and exponential variates come from
/// the ziggurat method (Marsaglia and Tsang, "The Ziggurat Method for Generating Random
/// Variables", JSS 5(8), 2000; layer and position from disjoint bits as in Doornik, 2005).
/// The symmetric case has shortcuts:
///
/// - α ≤ ½: Jöhnk's method (Metrika 8, 1964), i.e. the two boost terms alone accepted when
///   U₁^(1/α) + U₂^(1/α) ≤ 1, evaluated with one `exp2` per attempt in the log domain.
/// - ½ < α < 1: the two boosts combine into one Laplace variate divided by α, so λ needs two
///   gamma draws of shape α + 1 and one `exp2`.
/// - α = 1: a uniform draw. α > 1: λ = w₁³/(w₁³ + w₂³) from two Marsaglia–Tsang draws, with no
///   transcendental function.
///
/// The last division is arranged so that λ near 1 is 1 minus an accurately computed small
/// number, rounded once: every double just below 1 occurs with its proper probability, which
/// matters at small α where a large share of the draws lies within a few ulps of 1.
///
/// All transcendental functions are `libm`'s, so a given generator state yields the same λ, bit
/// for bit, on every target. Every rejection loop is bounded: a degenerate generator (for
/// example one returning a constant) still gets an answer, and the fallbacks are exact methods
/// or are reached with probability below 10⁻⁴¹ under a sound generator.
///
/// ```
/// use mixup::Beta;
/// use rand_xoshiro::Xoshiro256PlusPlus;
/// use rand_core::SeedableRng;
///
/// let beta = Beta::symmetric(0.2)?;
/// let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
/// let lambda = beta.sample(&mut rng);
/// assert!((0.0..=1.0).contains(&lambda));
///
/// assert!(Beta::symmetric(0.0).is_err());
/// assert!(Beta::symmetric(f64::NAN).is_err());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Beta {
    a: f64,
    b: f64,
    method: Method,
}

fn check_shape(value: f64) -> Result<f64, Error> {
    if value.is_finite() && value > 0.0 {
        Ok(value)
    } else {
        Err(Error::InvalidShape { value })
    }
}

impl Beta {
    /// Beta(a, b). Both shapes must be finite and above zero; subnormal shapes are allowed.
    pub fn new(a: f64, b: f64) -> Result<Beta, Error> {
        let a = check_shape(a)?;
        let b = check_shape(b)?;
        let method = if a == b {
            if a == 1.0 {
                Method::Uniform
            } else if a <= 0.5 {
                Method::Johnk {
                    inv_a: (1.0 / a).min(f64::MAX),
                    log2e_over_a: (core::f64::consts::LOG2_E / a).min(f64::MAX),
                    mt: MarsagliaTsang::new(a + 1.0),
                }
            } else if a < 1.0 {
                Method::SymmetricBoosted {
                    mt: MarsagliaTsang::new(a + 1.0),
                    log2e_over_a: (core::f64::consts::LOG2_E / a).min(f64::MAX),
                }
            } else {
                Method::Symmetric {
                    mt: MarsagliaTsang::new(a),
                }
            }
        } else {
            Method::General {
                a: LogGamma::new(a),
                b: LogGamma::new(b),
            }
        };
        Ok(Beta { a, b, method })
    }

    /// Beta(α, α), the distribution of λ in mixup.
    pub fn symmetric(alpha: f64) -> Result<Beta, Error> {
        Beta::new(alpha, alpha)
    }

    /// The first shape parameter.
    pub fn a(&self) -> f64 {
        self.a
    }

    /// The second shape parameter.
    pub fn b(&self) -> f64 {
        self.b
    }

    /// Draws one λ in `[0, 1]`, never NaN, for every generator; it always terminates (see the
    /// type-level documentation for the algorithm).
    #[inline]
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.method {
            Method::Uniform => uniform01(rng),
            Method::Johnk {
                inv_a,
                log2e_over_a,
                mt,
            } => {
                for _ in 0..MAX_CANDIDATES {
                    if let Some(lambda) = johnk_attempt(inv_a, log2e_over_a, rng) {
                        return lambda;
                    }
                }
                // Fresh draws from another exact method: the law of λ is unchanged.
                laplace_boosted(mt, log2e_over_a, rng)
            }
            Method::SymmetricBoosted { mt, log2e_over_a } => laplace_boosted(mt, log2e_over_a, rng),
            Method::Symmetric { mt } => {
                let w1 = mt.draw_w(rng);
                let w2 = mt.draw_w(rng);
                split(w1 * w1 * w1, w2 * w2 * w2)
            }
            Method::General { a, b } => {
                let base = a.ln_base(rng) - b.ln_base(rng);
                let ba = a.boost_term(rng);
                let bb = b.boost_term(rng);
                let boost = boost_difference(ba, bb);
                // s = ln G_a − ln G_b, never NaN: base is finite, boost is finite or ±∞.
                let s = base + boost;
                let t = libm::exp(-s);
                if t == f64::INFINITY {
                    // Below s ≈ −709.8, e^(−s) overflows and 1/(1 + ∞) would be 0, while λ =
                    // e^s/(1 + e^s) is e^s to a relative 1e-308: subnormal down to s ≈ −745.1.
                    // At Beta(0.001, 0.01) that band holds 1.6% of the draws.
                    libm::exp(s)
                } else {
                    split(1.0, t)
                }
            }
        }
    }
}

/// Beta(a, a), a < 1: two Gamma(a + 1) draws and a Laplace boost (see the module docs).
#[inline]
fn laplace_boosted<R: Rng + ?Sized>(mt: MarsagliaTsang, log2e_over_a: f64, rng: &mut R) -> f64 {
    let w1 = mt.draw_w(rng);
    let w2 = mt.draw_w(rng);
    let (e, negative) = ziggurat::exponential_with_bit(rng);
    // |L|/a in base 2: libm's exp2 is table driven, markedly faster than its exp. With a below
    // about 2⁻¹⁰²⁴, log₂(e)/a overflows; the cap gives the same result, since then any E ≠ 0
    // drives 2^(±E·k) to 0 or ∞ either way, and E = 0 must give 1 (not 2^(0·∞) = NaN).
    let s = e * log2e_over_a;
    let boost = libm::exp2(if negative { s } else { -s });
    split(w1 * w1 * w1, w2 * w2 * w2 * boost)
}

/// One attempt of Jöhnk's method for Beta(a, a) in the log domain (see the module docs):
/// X = e^(−E₁/a), Y = e^(−E₂/a), accepted when X + Y ≤ 1, giving λ = X/(X + Y).
#[inline]
fn johnk_attempt<R: Rng + ?Sized>(inv_a: f64, log2e_over_a: f64, rng: &mut R) -> Option<f64> {
    let (e1, _) = ziggurat::exponential_with_bit(rng);
    let (e2, _) = ziggurat::exponential_with_bit(rng);
    let x_is_larger = e1 <= e2;
    let (m, big) = if x_is_larger { (e1, e2) } else { (e2, e1) };
    let delta = big - m;
    // X + Y ≤ 1  ⟺  max·(1 + z) ≤ 1  ⟺  m/a ≥ ln(1 + z), with z = min(X, Y)/max(X, Y) =
    // e^(−δ/a) in [0, 1]. The caps on 1/a and log₂(e)/a keep 0·∞ out, as in
    // `laplace_boosted`; t and δ/a may be +∞ (tiny a), and no product below is then ∞·0.
    let t = m * inv_a;
    // Since ln(1 + z) ≥ z·ln 2 ≥ (1 − δ/a)·ln 2, about half of the rejections are known before
    // the exponential is computed.
    if t < core::f64::consts::LN_2 * (1.0 - delta * inv_a) {
        return None;
    }
    let z = libm::exp2(-(delta * log2e_over_a));
    // The bounds 2z/(2 + z) ≤ ln(1 + z) ≤ z(6 + z)/(6 + 4z) for z ≥ 0 (cross-multiplied, as
    // the denominators are positive) decide all but a fraction of a percent of the attempts
    // without the logarithm.
    let surely_in = t * (6.0 + 4.0 * z) >= z * (6.0 + z);
    let surely_out = t * (2.0 + z) < 2.0 * z;
    // One well-predicted branch for the rare band instead of two data-dependent ones.
    let accept = if surely_in | surely_out {
        surely_in
    } else {
        t >= libm::log1p(z)
    };
    if !accept {
        return None;
    }
    let q = z / (1.0 + z);
    Some(if x_is_larger { 1.0 - q } else { q })
}

/// num / (num + den) for `num` finite and positive, `den` in `[0, +∞]`: a number in `[0, 1]`,
/// never NaN. For a result at or above ½ the complement den / (num + den) is computed and
/// subtracted from 1, so that the result is 1 minus an accurate small number, rounded once.
#[inline]
fn split(num: f64, den: f64) -> f64 {
    let total = num + den;
    // Both sides are formed and one is selected, rather than branching: the branch would be
    // taken at random half of the time.
    let upper = den <= num;
    let q = if upper { den } else { num } / total;
    if upper { 1.0 - q } else { q }
}

/// (E_b / s_b) − (E_a / s_a) for the optional boosts of both sides, without ∞ − ∞.
#[inline]
fn boost_difference(a: Option<(f64, f64)>, b: Option<(f64, f64)>) -> f64 {
    match (a, b) {
        (None, None) => 0.0,
        (Some((ea, sa)), None) => -(ea / sa),
        (None, Some((eb, sb))) => eb / sb,
        (Some((ea, sa)), Some((eb, sb))) => {
            let qa = ea / sa;
            let qb = eb / sb;
            if qa.is_infinite() && qb.is_infinite() {
                // Both overflow: the sign of qb − qa is the sign of ln qb − ln qa.
                let d = (libm::log(eb) - libm::log(sb)) - (libm::log(ea) - libm::log(sa));
                if d > 0.0 {
                    f64::INFINITY
                } else if d < 0.0 {
                    f64::NEG_INFINITY
                } else {
                    0.0
                }
            } else {
                qb - qa
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn rejects_invalid_shapes() {
        for v in [0.0, -0.0, -1.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
            assert!(matches!(
                Beta::symmetric(v),
                Err(Error::InvalidShape { .. })
            ));
            assert!(Beta::new(1.0, v).is_err());
            assert!(Beta::new(v, 1.0).is_err());
        }
    }

    #[test]
    fn extremes_stay_in_range() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let shapes = [5e-324, 1e-300, 1e-10, 0.5, 1.0, 3.0, 1e10, 1e300, f64::MAX];
        for &a in &shapes {
            for &b in &shapes {
                let beta = Beta::new(a, b).unwrap();
                for _ in 0..200 {
                    let l = beta.sample(&mut rng);
                    assert!((0.0..=1.0).contains(&l), "a={a} b={b} λ={l}");
                }
            }
        }
    }

    #[test]
    fn split_reaches_every_double_below_one() {
        // λ = 1/(1 + z) for z = k·2⁻⁵³/(1 − k·2⁻⁵³) is exactly 1 − k·2⁻⁵³, a double for every k.
        // A direct 1/(1 + z) rounds 1 + z to a multiple of 2⁻⁵² first and so misses the odd k;
        // `split` must hit each of them.
        for k in 1..=64u32 {
            let target = 1.0 - f64::from(k) * INV_2_53;
            let z = f64::from(k) * INV_2_53 / target;
            assert_eq!(split(1.0, z), target, "k = {k}");
        }
        assert_eq!(split(1.0, 0.0), 1.0);
        assert_eq!(split(1.0, f64::INFINITY), 0.0);
        assert_eq!(split(1.0, 1.0), 0.5);
        assert_eq!(split(1.0, libm::exp2(1000.0)), libm::exp2(-1000.0));
    }

    /// The Laplace-boost route is Jöhnk's fallback at α ≤ ½ and is otherwise used only for
    /// ½ < α < 1 (tested there in tests/stats); check its first two moments at α = 0.2 too.
    /// Bounds at 4.5 standard deviations (mean sd √(σ²/n), variance sd √((μ₄ − σ⁴)/n)).
    #[test]
    fn laplace_route_moments_at_small_alpha() {
        let alpha: f64 = 0.2;
        let mt = MarsagliaTsang::new(alpha + 1.0);
        let k = core::f64::consts::LOG2_E / alpha;
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let n = 400_000;
        let (mut s1, mut s2) = (0.0, 0.0);
        for _ in 0..n {
            let l = laplace_boosted(mt, k, &mut rng);
            assert!((0.0..=1.0).contains(&l));
            s1 += l;
            s2 += (l - 0.5) * (l - 0.5);
        }
        let nf = f64::from(n);
        let var = 1.0 / (4.0 * (2.0 * alpha + 1.0));
        let mu4 = var * var * (3.0 - 6.0 / (2.0 * alpha + 3.0));
        assert!((s1 / nf - 0.5).abs() < 4.5 * (var / nf).sqrt());
        assert!((s2 / nf - var).abs() < 4.5 * ((mu4 - var * var) / nf).sqrt());
    }
}
