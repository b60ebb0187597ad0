//! CutMix (Yun et al., ["CutMix: Regularization Strategy to Train Strong Classifiers with
//! Localizable Features"](https://arxiv.org/abs/1905.04899), ICCV 2019): a rectangle of the
//! partner replaces the same rectangle of the sample, and the labels are weighted by area.
//!
//! The rectangle conventions are documented on [`CutMix`].

use crate::error::Error;
use crate::layout::Rect;
use crate::pairing::below_or_equal;
use crate::sampling::Beta;
use rand_core::Rng;

/// The fraction of an `height × width` image's pixels that lie outside `rect`:
/// `(H·W − area)/(H·W)`, the corrected λ of CutMix. 1 for an image without pixels.
///
/// The numerator and denominator are exact integers; below 2⁵³ they are exact in `f64` and the
/// result is one correctly rounded division. A rectangle reaching outside the image counts only
/// up to the image's area.
///
/// ```
/// use mixup::{Rect, unpasted_fraction};
/// let rect = Rect { y1: 0, y2: 2, x1: 1, x2: 4 };
/// assert_eq!(unpasted_fraction(4, 4, &rect), 10.0 / 16.0);
/// assert_eq!(unpasted_fraction(0, 4, &Rect::default()), 1.0);
/// ```
pub fn unpasted_fraction(height: usize, width: usize, rect: &Rect) -> f64 {
    // In u128 the products are exact for every usize, so huge images cannot saturate.
    let total = height as u128 * width as u128;
    if total == 0 {
        return 1.0;
    }
    let area = (rect.height() as u128 * rect.width() as u128).min(total);
    (total - area) as f64 / total as f64
}

/// CutMix (Yun et al., ["CutMix: Regularization Strategy to Train Strong Classifiers with
/// Localizable Features"](https://arxiv.org/abs/1905.04899), ICCV 2019): the rectangle settings,
/// λ ~ Beta(α, α) and the rectangle from λ, or a rectangle from a ratio range.
///
/// Used by [`Mixup::with_cutmix`](crate::Mixup::with_cutmix), or on its own with
/// [`mix_samples_inplace`](crate::mix_samples_inplace) (example below).
///
/// # Conventions
///
/// The rectangle follows timm's `rand_bbox` / `rand_bbox_minmax` / `correct_lam` conventions
/// (`timm/data/mixup.py`), re-derived here:
///
/// * From λ: side ratio `r = √(1 − λ)`, rectangle `⌊H·r⌋ × ⌊W·r⌋` centred on a uniform pixel
///   `(cy, cx)`, with rows `cy − ⌊h/2⌋ .. cy − ⌊h/2⌋ + h`, clipped to the image. (timm takes
///   `cy ± ⌊h/2⌋`, one row short for odd `h`; here the unclipped rectangle has exactly the area
///   λ asks for, up to the floor.)
/// * From a ratio range `[min, max]`: height uniform in `⌊H·min⌋ ..= ⌊H·max⌋`, width likewise
///   and independently, placed uniformly so that it lies inside the image (no clipping); λ is
///   not drawn.
/// * λ is always corrected to what was done: the exact fraction of the sample's own pixels
///   kept, `(H·W − area)/(H·W)`, one correctly rounded division ([`unpasted_fraction`]).
///
/// # Example
///
/// ```
/// use mixup::{CutMix, ImageLayout, SampleOp, mix_samples_inplace};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
/// let cutmix = CutMix::new(1.0)?;
///
/// let layout = ImageLayout::nchw(3, 8, 8);
/// let mut batch = vec![0.0f32; 2 * 3 * 8 * 8];
/// batch[3 * 8 * 8..].fill(1.0);
/// let (rect, lambda) = cutmix.sample(&mut rng, 8, 8);
/// let ops = [SampleOp::Paste(rect); 2];
/// let mut lambdas = [0.0; 2];
/// mix_samples_inplace(&mut batch, &layout, &[1, 0], &ops, &mut lambdas)?;
/// assert_eq!(lambdas, [lambda; 2]);
/// let ones = batch[..3 * 8 * 8].iter().filter(|&&v| v == 1.0).count();
/// assert_eq!(ones, 3 * rect.area());
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct CutMix {
    beta: Beta,
    ratio: Option<(f64, f64)>,
}

impl CutMix {
    /// CutMix with λ ~ Beta(α, α) (the paper and timm use α = 1) and the rectangle from λ.
    /// α must be finite and above zero.
    ///
    /// ```
    /// assert!(mixup::CutMix::new(1.0).is_ok());
    /// assert!(mixup::CutMix::new(0.0).is_err());
    /// ```
    pub fn new(alpha: f64) -> Result<CutMix, Error> {
        Ok(CutMix {
            beta: Beta::symmetric(alpha)?,
            ratio: None,
        })
    }

    /// Draws the rectangle's height and width as fractions of the image's in `[min, max]`
    /// (timm's `cutmix_minmax`) instead of from λ. Needs `0 ≤ min ≤ max ≤ 1`.
    ///
    /// ```
    /// use mixup::CutMix;
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let cutmix = CutMix::new(1.0)?.with_ratio_range(0.25, 0.5)?;
    /// let (rect, _) = cutmix.sample(&mut rng, 100, 40);
    /// assert!((25..=50).contains(&rect.height()) && (10..=20).contains(&rect.width()));
    /// assert!(CutMix::new(1.0)?.with_ratio_range(0.6, 0.5).is_err());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_ratio_range(mut self, min: f64, max: f64) -> Result<CutMix, Error> {
        if !(0.0 <= min && min <= max && max <= 1.0) {
            return Err(Error::InvalidRatioRange { min, max });
        }
        self.ratio = Some((min, max));
        Ok(self)
    }

    /// The λ distribution.
    ///
    /// ```
    /// assert_eq!(mixup::CutMix::new(0.5)?.beta().a(), 0.5);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn beta(&self) -> &Beta {
        &self.beta
    }

    /// The ratio range, if the rectangle is drawn from one.
    ///
    /// ```
    /// assert_eq!(mixup::CutMix::new(1.0)?.ratio_range(), None);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn ratio_range(&self) -> Option<(f64, f64)> {
        self.ratio
    }

    /// Draws one rectangle for an `height × width` image and returns it with its corrected λ,
    /// the fraction of pixels it leaves ([`unpasted_fraction`]).
    ///
    /// Draws, in order: λ then the centre row and column (from λ), or the height, the width,
    /// the top row and the left column (ratio range). An empty dimension draws nothing for it.
    ///
    /// ```
    /// use mixup::{CutMix, unpasted_fraction};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    /// let (rect, lambda) = CutMix::new(1.0)?.sample(&mut rng, 32, 32);
    /// assert!(rect.y2 <= 32 && rect.x2 <= 32);
    /// assert_eq!(lambda, unpasted_fraction(32, 32, &rect));
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, height: usize, width: usize) -> (Rect, f64) {
        let rect = match self.ratio {
            None => {
                let lambda = self.beta.sample(rng);
                rect_for(rng, height, width, lambda)
            }
            Some((min, max)) => {
                let h = ranged_side(rng, height, min, max);
                let w = ranged_side(rng, width, min, max);
                let y1 = placed(rng, height, h);
                let x1 = placed(rng, width, w);
                Rect {
                    y1,
                    y2: y1 + h,
                    x1,
                    x2: x1 + w,
                }
            }
        };
        (rect, unpasted_fraction(height, width, &rect))
    }

    /// The rectangle for a given λ in `[0, 1]`: side ratio `√(1 − λ)`, uniform centre, clipped.
    /// Returns it with the corrected λ, which is at least the λ asked for.
    ///
    /// ```
    /// use mixup::CutMix;
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2);
    /// let (rect, corrected) = CutMix::rect_for_lambda(&mut rng, 10, 10, 0.75)?;
    /// assert!(rect.height() <= 5 && rect.width() <= 5 && corrected >= 0.75);
    /// assert!(CutMix::rect_for_lambda(&mut rng, 10, 10, 1.5).is_err());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn rect_for_lambda<R: Rng + ?Sized>(
        rng: &mut R,
        height: usize,
        width: usize,
        lambda: f64,
    ) -> Result<(Rect, f64), Error> {
        if !(0.0..=1.0).contains(&lambda) {
            return Err(Error::InvalidLambda { value: lambda });
        }
        let rect = rect_for(rng, height, width, lambda);
        Ok((rect, unpasted_fraction(height, width, &rect)))
    }
}

/// `⌊n·r⌋` for `r ∈ [0, 1]`, never above `n`.
fn scaled(n: usize, r: f64) -> usize {
    // n·r ≤ n; the float product can round up past n only when n > 2⁵³, hence the min.
    (libm::floor(n as f64 * r) as usize).min(n)
}

/// The clipped rectangle from λ (checked to be in `[0, 1]`).
fn rect_for<R: Rng + ?Sized>(rng: &mut R, height: usize, width: usize, lambda: f64) -> Rect {
    let r = libm::sqrt(1.0 - lambda);
    let (y1, y2) = centred(rng, height, scaled(height, r));
    let (x1, x2) = centred(rng, width, scaled(width, r));
    Rect { y1, y2, x1, x2 }
}

/// A run of `len ≤ n` centred on a uniform position in `0..n`, clipped to `0..n`.
fn centred<R: Rng + ?Sized>(rng: &mut R, n: usize, len: usize) -> (usize, usize) {
    if n == 0 {
        return (0, 0);
    }
    let c = below_or_equal(rng, n - 1);
    let lo = c.saturating_sub(len / 2);
    // c − ⌊len/2⌋ + len = c + ⌈len/2⌉, without going below zero first.
    let hi = c.saturating_add(len - len / 2).min(n);
    (lo, hi)
}

/// A uniform start for a run of `len ≤ n` that stays inside `0..n`.
fn placed<R: Rng + ?Sized>(rng: &mut R, n: usize, len: usize) -> usize {
    if n == 0 {
        0
    } else {
        below_or_equal(rng, n - len)
    }
}

/// A side uniform in `⌊n·min⌋ ..= ⌊n·max⌋`.
fn ranged_side<R: Rng + ?Sized>(rng: &mut R, n: usize, min: f64, max: f64) -> usize {
    if n == 0 {
        return 0;
    }
    let lo = scaled(n, min);
    let hi = scaled(n, max);
    lo + below_or_equal(rng, hi - lo)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;

    #[test]
    fn area_tracks_lambda_before_clipping() {
        // Away from the border the rectangle is exactly ⌊H·r⌋ × ⌊W·r⌋.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(4);
        let (h, w) = (224usize, 160usize);
        let mut unclipped = 0;
        for k in 0..2000 {
            let lambda = k as f64 / 2000.0;
            let (rect, corrected) = CutMix::rect_for_lambda(&mut rng, h, w, lambda).unwrap();
            let r = libm::sqrt(1.0 - lambda);
            let (eh, ew) = (scaled(h, r), scaled(w, r));
            assert!(rect.height() <= eh && rect.width() <= ew);
            assert!(rect.y2 <= h && rect.x2 <= w);
            assert!(
                corrected >= lambda - 1e-12,
                "λ={lambda} corrected={corrected}"
            );
            if rect.height() == eh && rect.width() == ew {
                unclipped += 1;
                let asked = 1.0 - (eh * ew) as f64 / (h * w) as f64;
                assert!((corrected - asked).abs() < 1e-12);
            }
        }
        assert!(
            unclipped > 100,
            "only {unclipped} rectangles were not clipped"
        );
    }

    #[test]
    fn centres_cover_every_row_including_the_edges() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let mut seen = [false; 7];
        for _ in 0..500 {
            // λ = 0: the rectangle is the whole image shifted by the centre, then clipped.
            let (rect, _) = CutMix::rect_for_lambda(&mut rng, 7, 1, 0.0).unwrap();
            // Full height 7, rows c − 3 .. c + 4 clipped: (y1, y2) tells c apart.
            assert!(rect.y1 <= 3 && rect.y2 >= 4);
            let c = if rect.y1 > 0 {
                rect.y1 + 3
            } else {
                rect.y2 - 4
            };
            seen[c] = true;
        }
        assert!(seen.iter().all(|&s| s), "{seen:?}");
    }
}
