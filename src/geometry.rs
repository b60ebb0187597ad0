//! Rectangles of pixels and the one rule for multiplying caller-supplied sizes.
//!
//! This module imports nothing from the crate, so that the error type can carry a [`Rect`]
//! without a cycle between `error` and `layout`.

/// A rectangle of pixels, half-open: columns `x1..x2`, rows `y1..y2`.
///
/// The crate has one box convention: named fields in the order `x1, y1, x2, y2`, for this
/// pixel rectangle and for detection boxes ([`DetectionBox`](crate::DetectionBox)) alike, with
/// `x` the column and `y` the row.
///
/// ```
/// use mixup::Rect;
/// let r = Rect { x1: 0, y1: 1, x2: 4, y2: 3 };
/// assert_eq!((r.width(), r.height(), r.area()), (4, 2, 8));
/// assert!(Rect::default().is_empty());
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Rect {
    /// First column.
    pub x1: usize,
    /// First row.
    pub y1: usize,
    /// One past the last column.
    pub x2: usize,
    /// One past the last row.
    pub y2: usize,
}

impl Rect {
    /// Width of the rectangle (0 if `x2 ≤ x1`).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { x1: 4, y1: 0, x2: 2, y2: 1 }.width(), 0);
    /// ```
    pub fn width(&self) -> usize {
        self.x2.saturating_sub(self.x1)
    }

    /// Height of the rectangle (0 if `y2 ≤ y1`).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { x1: 0, y1: 2, x2: 1, y2: 5 }.height(), 3);
    /// ```
    pub fn height(&self) -> usize {
        self.y2.saturating_sub(self.y1)
    }

    /// Pixels covered, `width × height`, saturating at `usize::MAX` (only a rectangle that
    /// does not fit in any image can saturate).
    ///
    /// ```
    /// assert_eq!(mixup::Rect { x1: 1, y1: 1, x2: 4, y2: 3 }.area(), 6);
    /// ```
    pub fn area(&self) -> usize {
        self.height().saturating_mul(self.width())
    }

    /// Whether the rectangle covers no pixel.
    ///
    /// ```
    /// assert!(mixup::Rect { x1: 0, y1: 3, x2: 9, y2: 3 }.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.height() == 0 || self.width() == 0
    }
}

/// The fraction of an `height × width` image's pixels that lie outside `rect`:
/// `(H·W − area)/(H·W)`, the corrected λ of CutMix; 1 for an image without pixels.
///
/// The numerator and denominator are exact integers (in `u128` the products are exact for
/// every `usize`); below 2⁵³ they are exact in `f64` and the result is one correctly rounded
/// division. A rectangle reaching outside the image counts only up to the image's area.
pub(crate) fn unpasted_fraction(height: usize, width: usize, rect: &Rect) -> f64 {
    let total = height as u128 * width as u128;
    if total == 0 {
        return 1.0;
    }
    let area = (rect.height() as u128 * rect.width() as u128).min(total);
    (total - area) as f64 / total as f64
}

/// The product of caller-supplied sizes, or `None` if it does not fit in `usize`.
///
/// The one rule of the crate for every size computation: **a product with a zero factor is
/// zero, whatever the other factors**, so the answer never depends on the order in which the
/// factors are given (`0 × usize::MAX × 2` and `usize::MAX × 2 × 0` are both 0). Otherwise the
/// product must fit in `usize`.
pub(crate) fn product(factors: &[usize]) -> Option<usize> {
    if factors.contains(&0) {
        return Some(0);
    }
    factors
        .iter()
        .try_fold(1usize, |acc, &f| acc.checked_mul(f))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_zero_factor_wins_in_any_position() {
        let big = usize::MAX;
        for factors in [[0, big, 2], [big, 0, 2], [big, 2, 0], [2, big, 0]] {
            assert_eq!(product(&factors), Some(0), "{factors:?}");
        }
        assert_eq!(product(&[big, 2, 1]), None);
        assert_eq!(product(&[3, 4, 5]), Some(60));
        assert_eq!(product(&[]), Some(1));
    }
}
