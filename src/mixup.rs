//! The batch API: one configuration, one `draw`, one `apply`.

use crate::cutmix::CutMix;
use crate::element::Element;
use crate::error::{Error, check_len};
use crate::geometry::product;
use crate::granularity::{Granularity, Scope};
use crate::labels::{ClassLabel, Labels};
use crate::layout::{BatchMut, Content, ImageLayout, Shape};
use crate::permutation::{Pairing, cycles_by_smallest, mark_leaders, value};
use crate::plan::{Draw, Draws, SampleOp, complete};
use crate::sampling::{Beta, uniform01};
use rand_core::Rng;

/// Mixup, configured once: the λ distribution, the apply probability, the pairing, how many λ a
/// batch gets, and optionally a switch to CutMix.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | α | (required) | λ ~ Beta(α, α); the paper uses 0.2 to 0.4 on ImageNet, 1.0 on CIFAR |
/// | probability | 1.0 | chance that a batch (or a sample, by the scope) is mixed at all |
/// | pairing | [`Pairing::Shuffle`] | how partners are chosen |
/// | granularity | [`Granularity::Batch`] | one λ per batch, per pair or per sample |
/// | probability scope | [`Scope::Batch`] | the apply decision per batch or per sample |
/// | CutMix | off | [`with_cutmix`](Mixup::with_cutmix): rectangle settings and the switch probability |
/// | switch scope | [`Scope::Batch`] | the mixup-or-CutMix decision per batch or per sample |
///
/// Every configuration goes through the same two calls: [`draw`](Mixup::draw) draws what
/// happens to every sample into caller-owned [`Draw`] records, and [`apply`](Mixup::apply)
/// draws, mixes the batch in place and writes the labels. Label smoothing belongs to the labels
/// ([`Labels::with_smoothing`]).
///
/// ```
/// use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup, Pairing};
/// use rand_core::SeedableRng;
///
/// let mixup = Mixup::new(0.4)?.with_pairing(Pairing::Derangement);
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
///
/// // Four samples of 3 values each, with class labels out of 5 classes.
/// let mut data = [0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0];
/// let mut batch = BatchMut::new(&mut data, ImageLayout::flat(3))?;
/// let labels = Labels::classes(&[0u32, 1, 2, 3], 5)?.with_smoothing(0.1)?;
/// let (mut records, mut soft) = ([Draw::default(); 4], [0.0f32; 4 * 5]);
///
/// let draws = mixup.apply(&mut rng, &mut batch, &labels, &mut records, &mut soft)?;
/// for (i, (d, row)) in draws.iter().zip(soft.chunks(5)).enumerate() {
///     assert_ne!(d.partner, i);
///     assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// }
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixup {
    beta: Beta,
    probability: f64,
    pairing: Pairing,
    granularity: Granularity,
    apply_scope: Scope,
    cutmix: Option<CutMix>,
    switch_probability: f64,
    switch_scope: Scope,
}

/// The one probability check: in `[0, 1]`, not NaN; `-0.0` is taken as `0.0`.
fn check_probability(p: f64) -> Result<f64, Error> {
    if (0.0..=1.0).contains(&p) {
        Ok(p + 0.0)
    } else {
        Err(Error::InvalidProbability { value: p })
    }
}

/// `true` with probability `p`; draws a uniform only when `p` is strictly between 0 and 1.
fn bernoulli<R: Rng + ?Sized>(rng: &mut R, p: f64) -> bool {
    if p >= 1.0 {
        true
    } else if p <= 0.0 {
        false
    } else {
        uniform01(rng) < p
    }
}

impl Mixup {
    /// Mixup with λ ~ Beta(α, α) and the defaults above. α must be finite and above zero.
    pub fn new(alpha: f64) -> Result<Mixup, Error> {
        Ok(Mixup {
            beta: Beta::symmetric(alpha)?,
            probability: 1.0,
            pairing: Pairing::Shuffle,
            granularity: Granularity::Batch,
            apply_scope: Scope::Batch,
            cutmix: None,
            switch_probability: 0.0,
            switch_scope: Scope::Batch,
        })
    }

    /// Mixes each batch (or sample, see [`with_probability_scope`](Mixup::with_probability_scope))
    /// with probability `p` in `[0, 1]`; what is not mixed keeps its data and labels exactly.
    pub fn with_probability(self, p: f64) -> Result<Mixup, Error> {
        Ok(Mixup {
            probability: check_probability(p)?,
            ..self
        })
    }

    /// Chooses how partners are paired.
    pub fn with_pairing(self, pairing: Pairing) -> Mixup {
        Mixup { pairing, ..self }
    }

    /// Sets how many λ a batch gets: one, one per pair (cycle of the pairing), or one per sample.
    /// See [`Granularity`] for what a pair is with a general permutation.
    pub fn with_granularity(self, granularity: Granularity) -> Mixup {
        Mixup {
            granularity,
            ..self
        }
    }

    /// Sets whether the apply probability decides once per batch or for every sample (every
    /// pair with [`Granularity::Pair`]).
    pub fn with_probability_scope(self, scope: Scope) -> Mixup {
        Mixup {
            apply_scope: scope,
            ..self
        }
    }

    /// Turns CutMix on: a mixed batch (or sample, see
    /// [`with_switch_scope`](Mixup::with_switch_scope)) uses CutMix with probability
    /// `switch_probability` in `[0, 1]` and mixup otherwise, as timm's `switch_prob`. Use 1 for
    /// CutMix alone. CutMix draws its λ from its own α.
    ///
    /// ```
    /// use mixup::{CutMix, Mixup};
    /// let m = Mixup::new(0.8)?.with_cutmix(CutMix::new(1.0)?, 0.5)?;
    /// assert_eq!(m.switch_probability(), 0.5);
    /// assert!(Mixup::new(0.8)?.with_cutmix(CutMix::new(1.0)?, 1.5).is_err());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_cutmix(self, cutmix: CutMix, switch_probability: f64) -> Result<Mixup, Error> {
        Ok(Mixup {
            cutmix: Some(cutmix),
            switch_probability: check_probability(switch_probability)?,
            ..self
        })
    }

    /// Sets whether the mixup-or-CutMix switch decides once per batch or for every sample (every
    /// pair with [`Granularity::Pair`]).
    pub fn with_switch_scope(self, scope: Scope) -> Mixup {
        Mixup {
            switch_scope: scope,
            ..self
        }
    }

    /// The λ distribution.
    pub fn beta(&self) -> &Beta {
        &self.beta
    }

    /// The apply probability.
    pub fn probability(&self) -> f64 {
        self.probability
    }

    /// The pairing.
    pub fn pairing(&self) -> Pairing {
        self.pairing
    }

    /// The λ granularity.
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// The scope of the apply decision.
    pub fn probability_scope(&self) -> Scope {
        self.apply_scope
    }

    /// The CutMix settings, if CutMix is on.
    pub fn cutmix(&self) -> Option<&CutMix> {
        self.cutmix.as_ref()
    }

    /// The probability of CutMix rather than mixup (0 when CutMix is off).
    pub fn switch_probability(&self) -> f64 {
        self.switch_probability
    }

    /// The scope of the mixup-or-CutMix decision.
    pub fn switch_scope(&self) -> Scope {
        self.switch_scope
    }

    /// Whether some sample may be blended (rather than only kept or given a rectangle).
    fn may_ever_blend(&self) -> bool {
        self.cutmix.is_none() || self.switch_probability < 1.0
    }

    /// Whether a mixed unit may blend and may paste, given the batch's switch decision.
    fn kinds(&self, batch_cut: bool) -> (bool, bool) {
        match (&self.cutmix, self.switch_scope) {
            (None, _) => (true, false),
            (Some(_), Scope::Batch) => (!batch_cut, batch_cut),
            (Some(_), Scope::Sample) => {
                (self.switch_probability < 1.0, self.switch_probability > 0.0)
            }
        }
    }

    /// The per-unit decisions: `None` if the unit is kept, else whether it uses CutMix.
    fn decide<R: Rng + ?Sized>(&self, rng: &mut R, batch_cut: bool) -> Option<bool> {
        if self.apply_scope == Scope::Sample && !bernoulli(rng, self.probability) {
            return None;
        }
        Some(match (&self.cutmix, self.switch_scope) {
            (None, _) => false,
            (Some(_), Scope::Batch) => batch_cut,
            (Some(_), Scope::Sample) => bernoulli(rng, self.switch_probability),
        })
    }

    /// One unit's operation with its own λ or rectangle.
    fn unit_op<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        layout: &ImageLayout,
        batch_cut: bool,
    ) -> SampleOp {
        match (self.decide(rng, batch_cut), &self.cutmix) {
            (None, _) => SampleOp::Keep,
            (Some(true), Some(cutmix)) => SampleOp::Paste(cutmix.sample(rng, layout).0),
            (Some(_), _) => SampleOp::Blend(self.beta.sample(rng)),
        }
    }

    /// Draws what happens to every sample of a batch of `shape`, without touching any data,
    /// into `records` (one per sample): the partner, the operation (kept, blended with a λ, or
    /// given a CutMix rectangle) and the λ of the sample's own data for `T` (quantized for
    /// integer data, the exact fraction of pixels kept for CutMix, 1 for a kept sample).
    ///
    /// The draws are, in this order, for every configuration:
    ///
    /// 1. with probability scope [`Scope::Batch`], the batch's apply decision; a batch not
    ///    applied gets every sample paired with itself and kept, and nothing more is drawn;
    /// 2. with CutMix on and switch scope [`Scope::Batch`], the batch's mixup-or-CutMix
    ///    decision (each decision is one uniform, drawn only when its probability is strictly
    ///    between 0 and 1);
    /// 3. with [`Granularity::Batch`], the batch's mixup λ (if a sample may blend), then its
    ///    CutMix λ and rectangle (if a sample may paste);
    /// 4. the partners;
    /// 5. by granularity: [`Batch`](Granularity::Batch): for every sample not paired with
    ///    itself, in increasing order, its per-sample decisions (apply, then switch, for the
    ///    decisions whose scope is [`Scope::Sample`]); [`Pair`](Granularity::Pair): for every
    ///    cycle of two or more samples in increasing order of its smallest member, its
    ///    decisions, then its λ or its CutMix λ and rectangle, shared by all its members;
    ///    [`Sample`](Granularity::Sample): the same for every sample not paired with itself,
    ///    in increasing order.
    ///
    /// With the defaults that is: λ, then the partners. Samples paired with themselves are
    /// kept and draw nothing. On any bad input (`records.len()` not the batch size, a
    /// derangement of one sample) the call returns an `Err`, draws nothing and writes nothing.
    ///
    /// ```
    /// use mixup::{Draw, Granularity, ImageLayout, Mixup, Pairing, Shape};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    /// let mixup = Mixup::new(0.4)?.with_pairing(Pairing::Flip).with_granularity(Granularity::Pair);
    /// let mut records = [Draw::default(); 4];
    /// let draws = mixup.draw(&mut rng, Shape::<f32>::new(ImageLayout::hw(8, 8), 4)?, &mut records)?;
    /// let d: Vec<Draw> = draws.iter().collect();
    /// assert_eq!(d.iter().map(|d| d.partner).collect::<Vec<_>>(), [3, 2, 1, 0]);
    /// assert_eq!((d[0].op, d[1].op), (d[3].op, d[2].op)); // one λ per pair
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn draw<'d, T: Element, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        shape: Shape<T>,
        records: &'d mut [Draw],
    ) -> Result<Draws<'d>, Error> {
        let n = shape.len();
        check_len("records", n, records.len())?;
        if self.pairing == Pairing::Derangement && n == 1 {
            return Err(Error::DerangementOfOne);
        }
        let layout = shape.layout();
        for (i, r) in records.iter_mut().enumerate() {
            *r = Draw {
                partner: i,
                op: SampleOp::Keep,
                lambda: 1.0,
            };
        }
        let applied = self.apply_scope == Scope::Sample || bernoulli(rng, self.probability);
        if !applied {
            return Ok(Draws::trusted(records));
        }
        let batch_cut = self.cutmix.is_some()
            && self.switch_scope == Scope::Batch
            && bernoulli(rng, self.switch_probability);
        let (blend, paste) = if self.granularity == Granularity::Batch {
            let (may_blend, may_paste) = self.kinds(batch_cut);
            let blend = may_blend.then(|| SampleOp::Blend(self.beta.sample(rng)));
            let paste = match (&self.cutmix, may_paste) {
                (Some(c), true) => Some(SampleOp::Paste(c.sample(rng, &layout).0)),
                _ => None,
            };
            (blend, paste)
        } else {
            (None, None)
        };
        self.pairing.write(rng, records)?;
        mark_leaders(records);
        match self.granularity {
            Granularity::Batch => {
                for (i, r) in records.iter_mut().enumerate() {
                    if value(r.partner) == i {
                        continue;
                    }
                    r.op = match self.decide(rng, batch_cut) {
                        None => SampleOp::Keep,
                        Some(true) => paste.unwrap_or(SampleOp::Keep),
                        Some(false) => blend.unwrap_or(SampleOp::Keep),
                    };
                }
            }
            Granularity::Pair => {
                cycles_by_smallest(records, |records, smallest| {
                    let op = self.unit_op(rng, &layout, batch_cut);
                    let mut i = smallest;
                    loop {
                        records[i].op = op;
                        i = value(records[i].partner);
                        if i == smallest {
                            break;
                        }
                    }
                });
            }
            Granularity::Sample => {
                for (i, r) in records.iter_mut().enumerate() {
                    if value(r.partner) != i {
                        r.op = self.unit_op(rng, &layout, batch_cut);
                    }
                }
            }
        }
        complete::<T>(records, &layout);
        Ok(Draws::marked(records))
    }

    /// Mixes a batch in place with this configuration and writes its label rows, in one call:
    /// [`draw`](Mixup::draw), then [`mix_inplace`](crate::mix_inplace), then
    /// [`Labels::mix`]. Returns the draws, so that they can be replayed on the batch's other
    /// tensors or read by the loss.
    ///
    /// * `batch`: the batch to mix; its size is `labels.len()`.
    /// * `labels`: the labels of its samples.
    /// * `records`: one [`Draw`] per sample, written.
    /// * `targets`: receives `B × C` label rows, each weighted by the λ its sample really got.
    ///
    /// Every input is checked before anything is drawn or written: on an `Err` the generator has
    /// not advanced and no buffer was touched. Same seed, same configuration: the same bytes as
    /// [`draw`](Mixup::draw) followed by [`mix_inplace`](crate::mix_inplace).
    pub fn apply<'d, T: Element, L: ClassLabel, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        batch: &mut BatchMut<'_, T>,
        labels: &Labels<'_, L>,
        records: &'d mut [Draw],
        targets: &mut [f32],
    ) -> Result<Draws<'d>, Error> {
        let n = batch.len();
        check_len("labels", n, labels.len())?;
        check_len("records", n, records.len())?;
        let rows = product(&[n, labels.num_classes()]).ok_or(Error::SizeOverflow)?;
        check_len("targets", rows, targets.len())?;
        if batch.content() == Content::ClassIndices && self.may_ever_blend() {
            return Err(Error::BlendOfClassIndices { sample: 0 });
        }
        let draws = self.draw(rng, batch.shape(), records)?;
        // Cannot fail any more: every length, every label and every drawn op is valid.
        crate::batch::mix_inplace(batch, &draws)?;
        labels.mix(&draws, targets)?;
        Ok(draws)
    }
}
