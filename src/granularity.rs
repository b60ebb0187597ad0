//! How often [`Mixup`](crate::Mixup) draws λ and takes its random decisions within a batch.

/// How many λ a batch gets.
///
/// | granularity | λ | as in |
/// |---|---|---|
/// | [`Batch`](Granularity::Batch) | one for the whole batch | the paper, torchvision, timm's `batch` mode |
/// | [`Pair`](Granularity::Pair) | one per pair: `i` and its partner share it | timm's `pair` mode |
/// | [`Sample`](Granularity::Sample) | one per sample | timm's `elem` mode, Keras |
///
/// **What a pair is.** With a pairing that is an involution (partner of the partner is the
/// sample itself, as [`Pairing::Flip`](crate::Pairing::Flip), or
/// [`Pairing::Roll`](crate::Pairing::Roll) by half an even batch), the pairs are the two-element
/// cycles `{i, partner(i)}`: both are mixed from the originals with the same λ, `i` as
/// `λ·x_i + (1 − λ)·x_partner` and the partner symmetrically, exactly timm's pair mode. A
/// general permutation (Shuffle, Derangement, Roll(1)) has longer cycles `i → p(i) → p(p(i)) →
/// … → i`; "every sample shares its λ with its partner" then forces one λ for the whole cycle,
/// and that is what `Pair` does: one λ (and one CutMix rectangle, one apply and one switch
/// decision) per cycle. It is the finest granularity for which each sample and its partner are
/// treated alike, and it reduces to the pairs above for involutions. A sample paired with
/// itself is its own cycle and is never mixed.
///
/// ```
/// use mixup::{Granularity, Mixup, Pairing};
/// let mixup = Mixup::new(0.4)?
///     .with_pairing(Pairing::Flip)
///     .with_granularity(Granularity::Pair);
/// assert_eq!(mixup.granularity(), Granularity::Pair);
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Granularity {
    /// One λ (and one CutMix rectangle) for the whole batch.
    #[default]
    Batch,
    /// One λ per pair, or per cycle of the pairing (see above).
    Pair,
    /// One λ per sample.
    Sample,
}

/// Whether a random decision (mix or not, mixup or CutMix) is taken once for the whole batch or
/// separately for every sample.
///
/// With [`Granularity::Pair`], a per-sample decision is taken once per pair (cycle), so the
/// members of a pair are mixed or kept, and blended or cut, together.
///
/// ```
/// use mixup::{Mixup, Scope};
/// // Every sample is mixed with probability 0.5, independently of the others.
/// let mixup = Mixup::new(0.2)?.with_probability(0.5)?.with_probability_scope(Scope::Sample);
/// assert_eq!(mixup.probability_scope(), Scope::Sample);
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Scope {
    /// One decision for the batch.
    #[default]
    Batch,
    /// One decision per sample (per pair with [`Granularity::Pair`]).
    Sample,
}
