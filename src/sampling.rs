//! Drawing the mixing weight λ ~ Beta(a, b).
//!
//! # Algorithm
//!
//! λ = G_a / (G_a + G_b) for independent G_a ~ Gamma(a), G_b ~ Gamma(b). Each gamma variate is
//! drawn with the method of Marsaglia and Tsang ("A simple method for generating gamma variables",
//! ACM TOMS 26(3), 2000): for shape s ≥ 1 it is d·v with d = s − 1/3 and v = (1 + c·x)³,
//! x ~ N(0, 1), c = 1/(3√d), accepted by a squeeze and a log test. A shape a < 1 is reached
//! through the boost of the same paper, G(a) = G(a + 1)·U^(1/a).
//!
//! A plain ratio G_a / (G_a + G_b) fails at small shapes: U^(1/a) underflows to zero for both
//! draws and the ratio is 0/0 (NaN in about a quarter of the draws at a = 10⁻³). Here everything is
//! kept in the log domain instead: with t = ln G_a − ln G_b,
//! λ = 1 / (1 + e^(−t)), the logistic function of t, which is a number in `[0, 1]` for every t in
//! `[−∞, +∞]`. The one place where ∞ − ∞ could appear (two boosts that both overflow) is decided
//! by comparing their logarithms.
//!
//! For the symmetric case a = b < 1 the two boost terms combine: ln U₁/a − ln U₂/a =
//! (E₂ − E₁)/a, and the difference of two independent standard exponentials is a standard
//! Laplace variate, drawn as one exponential with a random sign. As a → 0 the term |L|/a
//! overflows to ∞ and λ becomes exactly 0 or 1, each with probability ½, which is the limit of
//! Beta(a, a). For a = b = 1, λ is a uniform draw. For very large shapes the gamma draws are equal
//! to working precision and λ is 0.5.
//!
//! All transcendental functions come from `libm`, so the same generator state gives the same λ,
//! bit for bit, on every target.

use crate::error::Error;
use rand_core::Rng;

/// 2⁻⁵³, the spacing of the 53-bit uniform grid.
const INV_2_53: f64 = 1.0 / 9_007_199_254_740_992.0;

/// A uniform double in `[0, 1)` on the grid of multiples of 2⁻⁵³.
#[inline]
pub(crate) fn uniform01<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    (rng.next_u64() >> 11) as f64 * INV_2_53
}

/// A uniform double in `(0, 1]`, safe to take the logarithm of.
#[inline]
fn uniform_open0<R: Rng + ?Sized>(rng: &mut R) -> f64 {
    ((rng.next_u64() >> 11) + 1) as f64 * INV_2_53
}

/// Two independent standard normal variates by Marsaglia's polar method.
#[inline]
fn normal_pair<R: Rng + ?Sized>(rng: &mut R) -> (f64, f64) {
    loop {
        let u = 2.0 * uniform01(rng) - 1.0;
        let v = 2.0 * uniform01(rng) - 1.0;
        let s = u * u + v * v;
        if s > 0.0 && s < 1.0 {
            let f = libm::sqrt(-2.0 * libm::log(s) / s);
            return (u * f, v * f);
        }
    }
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

    /// Tries one candidate built from the normal `x`; on acceptance returns `w = 1 + c·x`, so that
    /// the gamma variate is `d·w³`.
    #[inline]
    fn try_candidate<R: Rng + ?Sized>(&self, x: f64, rng: &mut R) -> Option<f64> {
        let w = 1.0 + self.c * x;
        if w <= 0.0 {
            return None;
        }
        let v = w * w * w;
        let u = uniform01(rng);
        let x2 = x * x;
        if u < 1.0 - 0.0331 * x2 * x2 {
            return Some(w);
        }
        // u may be 0 here: ln 0 = −∞ accepts, which is the right limit.
        if libm::log(u) < 0.5 * x2 + self.d * (1.0 - v + libm::log(v)) {
            return Some(w);
        }
        None
    }

    /// Draws `w` with `d·w³ ~ Gamma(s)`, using `x` as the first candidate's normal.
    #[inline]
    fn draw_w<R: Rng + ?Sized>(&self, first: f64, rng: &mut R) -> f64 {
        if let Some(w) = self.try_candidate(first, rng) {
            return w;
        }
        loop {
            let (x, y) = normal_pair(rng);
            if let Some(w) = self.try_candidate(x, rng) {
                return w;
            }
            if let Some(w) = self.try_candidate(y, rng) {
                return w;
            }
        }
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
    fn ln_base<R: Rng + ?Sized>(&self, x: f64, rng: &mut R) -> f64 {
        self.ln_d + 3.0 * libm::log(self.mt.draw_w(x, rng))
    }

    /// The boost term E/shape with E = −ln U ≥ 0, to be subtracted; may be +∞.
    #[inline]
    fn boost_term<R: Rng + ?Sized>(&self, rng: &mut R) -> Option<(f64, f64)> {
        self.boost
            .map(|shape| (-libm::log(uniform_open0(rng)), shape))
    }
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    /// a = b = 1.
    Uniform,
    /// a = b: λ = σ(3 ln(w₁/w₂) + L/a) with L Laplace when a < 1, without it otherwise.
    Symmetric {
        mt: MarsagliaTsang,
        /// 1/a, present for a < 1.
        boost: Option<f64>,
    },
    /// a ≠ b.
    General { a: LogGamma, b: LogGamma },
}

/// The Beta(a, b) distribution, the law of the mixup weight λ.
///
/// Mixup uses the symmetric case Beta(α, α) ([`Beta::symmetric`]); small α (0.1 to 0.4) puts
/// most of the mass near 0 and 1 so that mixed samples stay close to one of their parents.
///
/// The sampler is defined for every shape in `[5e-324, f64::MAX]`: it never returns NaN and
/// always returns a λ in `[0, 1]`. See the [module documentation](self) for the algorithm
/// (Marsaglia–Tsang gamma draws combined in the log domain).
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
            } else if a < 1.0 {
                Method::Symmetric {
                    mt: MarsagliaTsang::new(a + 1.0),
                    boost: Some(1.0 / a),
                }
            } else {
                Method::Symmetric {
                    mt: MarsagliaTsang::new(a),
                    boost: None,
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

    /// Draws one λ in `[0, 1]`.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> f64 {
        match self.method {
            Method::Uniform => uniform01(rng),
            Method::Symmetric { mt, boost } => {
                let (x, y) = normal_pair(rng);
                let w1 = mt.draw_w(x, rng);
                let w2 = mt.draw_w(y, rng);
                let mut t = 3.0 * libm::log(w1 / w2);
                if let Some(inv_a) = boost {
                    // One draw gives the exponential (53 bits) and the Laplace sign (bit 0).
                    let bits = rng.next_u64();
                    let e = -libm::log(((bits >> 11) + 1) as f64 * INV_2_53);
                    let laplace = if bits & 1 == 0 { e } else { -e };
                    // t is finite, so adding ±∞ here is well defined.
                    t += laplace * inv_a;
                }
                logistic(t)
            }
            Method::General { a, b } => {
                let (x, y) = normal_pair(rng);
                let base = a.ln_base(x, rng) - b.ln_base(y, rng);
                let ba = a.boost_term(rng);
                let bb = b.boost_term(rng);
                let boost = boost_difference(ba, bb);
                logistic(base + boost)
            }
        }
    }
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

/// 1 / (1 + e^(−t)), in `[0, 1]` for every t including ±∞.
#[inline]
fn logistic(t: f64) -> f64 {
    1.0 / (1.0 + libm::exp(-t))
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
}
