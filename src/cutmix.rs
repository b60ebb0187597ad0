//! CutMix (Yun et al., ["CutMix: Regularization Strategy to Train Strong Classifiers with
//! Localizable Features"](https://arxiv.org/abs/1905.04899), ICCV 2019): a rectangle of the
//! partner replaces the same rectangle of the sample, and the labels are weighted by area.
//!
//! The rectangle conventions are documented on [`CutMix`].

use crate::error::Error;
use crate::geometry::{Rect, unpasted_fraction};
use crate::kernels::check_lambda;
use crate::layout::ImageLayout;
use crate::sampling::{Beta, below_or_equal};
use rand_core::Rng;

/// CutMix (Yun et al., ["CutMix: Regularization Strategy to Train Strong Classifiers with
/// Localizable Features"](https://arxiv.org/abs/1905.04899), ICCV 2019): the rectangle settings,
/// λ ~ Beta(α, α) and the rectangle from λ, or a rectangle from a ratio range.
///
/// Used by [`Mixup::with_cutmix`](crate::Mixup::with_cutmix), or on its own with a
/// [`Plan`](crate::Plan) (example below).
///
/// # Conventions
///
/// The rectangle follows timm's `rand_bbox` / `rand_bbox_minmax` / `correct_lam` conventions
/// (`timm/data/mixup.py`), re-derived here:
///
/// * From λ: side ratio `r = √(1 − λ)`, rectangle `⌊H·r⌋ × ⌊W·r⌋` centred on a uniform pixel
///   `(cy, cx)`, with rows `cy − ⌊h/2⌋ .. cy + ⌈h/2⌉` (and columns likewise), clipped to the
///   image: the same box as timm 1.0's `rand_bbox` (`cy − h // 2 .. cy + (h + 1) // 2`), so
///   the unclipped rectangle has the area λ asks for, up to the floor. Where rounding of `r`
///   would make the rectangle cover more than `1 − λ` of the image (λ below 2⁻⁵³, say), a side
///   is shortened until it does not, so the corrected λ is never below the λ asked for.
/// * From a ratio range `[min, max]`: height uniform in `⌊H·min⌋ ..= ⌊H·max⌋`, width likewise
///   and independently, placed uniformly so that it lies inside the image (no clipping); λ is
///   not drawn. One difference from timm here: its `randint(⌊H·min⌋, ⌊H·max⌋)` leaves the upper
///   end out (and raises when the two are equal), so its rectangles are slightly smaller (mean
///   corrected λ for `[0.2, 0.8]`: 0.7522 here and 0.7544 in timm at 224×224, 0.786 and 0.857 at
///   7×5). Here `max` is reachable and `min = max` gives that side exactly, as the range says.
/// * λ is always corrected to what was done: the exact fraction of the sample's own pixels
///   kept, `(H·W − area)/(H·W)`, one correctly rounded division ([`ImageLayout::unpasted_fraction`]).
///
/// # Example
///
/// ```
/// use mixup::{BatchMut, CutMix, ImageLayout, Pairing, Plan, SampleOp, mix_inplace};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
/// let cutmix = CutMix::new(1.0)?;
///
/// let layout = ImageLayout::nchw(3, 8, 8);
/// let mut data = vec![0.0f32; 2 * 3 * 8 * 8];
/// data[3 * 8 * 8..].fill(1.0);
/// let (rect, lambda) = cutmix.sample(&mut rng, &layout);
/// let mut partners = [0; 2];
/// let perm = Pairing::Flip.fill(&mut rng, &mut partners)?;
/// mix_inplace(&mut BatchMut::new(&mut data, layout)?, Plan::same(&perm, SampleOp::Paste(rect)))?;
/// let ones = data[..3 * 8 * 8].iter().filter(|&&v| v == 1.0).count();
/// assert_eq!(ones, 3 * rect.area());
/// assert_eq!(lambda, layout.unpasted_fraction(&rect));
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
    /// (timm's `cutmix_minmax`) instead of from λ. Needs `0 ≤ min ≤ max ≤ 1` (`-0.0` is taken as
    /// `0.0`).
    ///
    /// ```
    /// use mixup::CutMix;
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let cutmix = CutMix::new(1.0)?.with_ratio_range(0.25, 0.5)?;
    /// let (rect, _) = cutmix.sample(&mut rng, &mixup::ImageLayout::hw(100, 40));
    /// assert!((25..=50).contains(&rect.height()) && (10..=20).contains(&rect.width()));
    /// assert!(CutMix::new(1.0)?.with_ratio_range(0.6, 0.5).is_err());
    /// let zero = CutMix::new(1.0)?.with_ratio_range(-0.0, -0.0)?.ratio_range().unwrap();
    /// assert!(zero.0.is_sign_positive() && zero.1.is_sign_positive());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_ratio_range(mut self, min: f64, max: f64) -> Result<CutMix, Error> {
        if !(0.0 <= min && min <= max && max <= 1.0) {
            return Err(Error::InvalidRatioRange { min, max });
        }
        // `-0.0` is taken as `0.0`, as for probabilities and λ.
        self.ratio = Some((min + 0.0, max + 0.0));
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

    /// Draws one rectangle for an image of `layout` and returns it with its corrected λ, the
    /// fraction of pixels it leaves ([`ImageLayout::unpasted_fraction`]).
    ///
    /// Draws, in order: λ then the centre row and column (from λ), or the height, the width,
    /// the top row and the left column (ratio range). An empty dimension draws nothing for it.
    ///
    /// ```
    /// use mixup::{CutMix, ImageLayout};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    /// let layout = ImageLayout::nchw(3, 32, 32);
    /// let (rect, lambda) = CutMix::new(1.0)?.sample(&mut rng, &layout);
    /// assert!(rect.y2 <= 32 && rect.x2 <= 32);
    /// assert_eq!(lambda, layout.unpasted_fraction(&rect));
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R, layout: &ImageLayout) -> (Rect, f64) {
        let (height, width) = (layout.height, layout.width);
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
                    x1,
                    y1,
                    x2: x1 + w,
                    y2: y1 + h,
                }
            }
        };
        (rect, unpasted_fraction(height, width, &rect))
    }

    /// The rectangle for a given λ in `[0, 1]` in an image of `layout`: side ratio `√(1 − λ)`,
    /// uniform centre, clipped. Returns it with the corrected λ, which is never below the λ
    /// asked for.
    ///
    /// ```
    /// use mixup::{CutMix, ImageLayout};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(2);
    /// let layout = ImageLayout::hw(10, 10);
    /// let (rect, corrected) = CutMix::rect_for_lambda(&mut rng, &layout, 0.75)?;
    /// assert!(rect.height() <= 5 && rect.width() <= 5 && corrected >= 0.75);
    /// assert!(CutMix::rect_for_lambda(&mut rng, &layout, 1.5).is_err());
    /// // A λ too small for √(1 − λ) to tell from 1: the full image would undercut it.
    /// let (_, tiny) = CutMix::rect_for_lambda(&mut rng, &ImageLayout::hw(1, 1), 5e-324)?;
    /// assert!(tiny >= 5e-324);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn rect_for_lambda<R: Rng + ?Sized>(
        rng: &mut R,
        layout: &ImageLayout,
        lambda: f64,
    ) -> Result<(Rect, f64), Error> {
        let lambda = check_lambda(lambda)?;
        let (height, width) = (layout.height, layout.width);
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
    let (mut h, mut w) = (scaled(height, r), scaled(width, r));
    // `1 − λ` and the square root round, so `⌊H·r⌋ × ⌊W·r⌋` can cover more than `1 − λ` of the
    // image (for λ < 2⁻⁵³, `r` is exactly 1). Shorten the longer side until the unclipped
    // rectangle leaves at least λ; clipping only shrinks it further. Whole sides are rarely
    // touched: only when λ is within rounding of a boundary. The draws below do not depend on
    // the sides, so the stream of draws is the same either way.
    let inside = |h: usize, w: usize| {
        let rect = Rect {
            x1: 0,
            y1: 0,
            x2: w,
            y2: h,
        };
        unpasted_fraction(height, width, &rect) >= lambda
    };
    while !inside(h, w) {
        if h >= w {
            h -= 1;
        } else {
            w -= 1;
        }
    }
    let (y1, y2) = centred(rng, height, h);
    let (x1, x2) = centred(rng, width, w);
    Rect { x1, y1, x2, y2 }
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
            let (rect, corrected) =
                CutMix::rect_for_lambda(&mut rng, &ImageLayout::hw(h, w), lambda).unwrap();
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
            let (rect, _) = CutMix::rect_for_lambda(&mut rng, &ImageLayout::hw(7, 1), 0.0).unwrap();
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

    /// A ratio range includes both ends (timm's leaves the upper one out), and `min = max` gives
    /// that side exactly; every rectangle lies inside the image and every side in the range.
    #[test]
    fn a_ratio_range_reaches_both_ends() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let layout = ImageLayout::hw(10, 20);
        let exact = CutMix::new(1.0)
            .unwrap()
            .with_ratio_range(0.5, 0.5)
            .unwrap();
        for _ in 0..100 {
            let (rect, lambda) = exact.sample(&mut rng, &layout);
            assert_eq!((rect.height(), rect.width()), (5, 10));
            assert_eq!(lambda, 0.75);
        }
        let range = CutMix::new(1.0)
            .unwrap()
            .with_ratio_range(0.2, 0.8)
            .unwrap();
        let (mut heights, mut widths) = ([0u32; 11], [0u32; 21]);
        for _ in 0..4000 {
            let (rect, _) = range.sample(&mut rng, &layout);
            assert!(rect.y2 <= 10 && rect.x2 <= 20, "{rect:?}");
            heights[rect.height()] += 1;
            widths[rect.width()] += 1;
        }
        // ⌊10·0.2⌋ ..= ⌊10·0.8⌋ and ⌊20·0.2⌋ ..= ⌊20·0.8⌋, each side about uniform on its range:
        // 4000/7 ≈ 571 and 4000/13 ≈ 308 expected per value, none below half of that.
        for (h, &count) in heights.iter().enumerate() {
            assert_eq!(count > 0, (2..=8).contains(&h), "height {h}: {count}");
            assert!(count == 0 || count > 285, "height {h}: {count}");
        }
        for (w, &count) in widths.iter().enumerate() {
            assert_eq!(count > 0, (4..=16).contains(&w), "width {w}: {count}");
            assert!(count == 0 || count > 154, "width {w}: {count}");
        }
    }
}
