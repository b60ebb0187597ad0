//! The target-independent copies: the plain loop as the baseline compiles it, and the scalar
//! reference.

use crate::element::sealed::Private;
use crate::element::{Element, blend_slices, blend_slices_inplace};

/// The plain loop, vectorized for the baseline target features. Not inlined, so that one copy
/// per element type serves every caller.
#[inline(never)]
pub(super) fn blend<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    blend_slices(out, a, b, w);
}

#[inline(never)]
pub(super) fn blend_inplace<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    blend_slices_inplace(a, b, w);
}

/// The prefetching in-place loop, vectorized for the baseline target features.
#[inline(never)]
pub(super) fn blend_inplace_ahead<T: Element>(
    a: &mut [T],
    b: &[T],
    w: T::Weights,
    ahead: super::Ahead<T>,
) {
    super::blend_inplace_ahead_body(a, b, w, ahead);
}

/// One element of the blend behind a call the optimizer may not inline, so the loops below
/// cannot be vectorized: the reference that the vector copies must match bit for bit.
#[inline(never)]
fn mix_one<T: Element>(a: T, b: T, w: T::Weights) -> T {
    T::mix(a, b, w, Private)
}

pub(super) fn blend_scalar<T: Element>(out: &mut [T], a: &[T], b: &[T], w: T::Weights) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = mix_one(x, y, w);
    }
}

pub(super) fn blend_inplace_scalar<T: Element>(a: &mut [T], b: &[T], w: T::Weights) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = mix_one(*x, y, w);
    }
}
