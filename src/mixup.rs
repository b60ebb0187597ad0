//! The batch API: one call draws λ and the partners and mixes data and labels.

use crate::batch::mix_batch_inplace;
use crate::cutmix::CutMix;
use crate::error::{Error, check_len};
use crate::granularity::{Granularity, Scope};
use crate::kernels::{Element, applied_lambda};
use crate::labels::{
    ClassLabel, check_labels, check_smoothing, mix_one_hot, mix_one_hot_per_sample,
};
use crate::layout::ImageLayout;
use crate::pairing::{Pairing, for_each_cycle};
use crate::per_sample::{SampleOp, mix_samples_inplace};
use crate::sampling::{Beta, uniform01};
use rand_core::Rng;

/// Mixup with one λ per batch: the configuration, validated once.
///
/// | setting | default | meaning |
/// |---|---|---|
/// | α | (required) | λ ~ Beta(α, α); the paper uses 0.2 to 0.4 on ImageNet, 1.0 on CIFAR |
/// | probability | 1.0 | chance that a batch is mixed at all |
/// | pairing | [`Pairing::Shuffle`] | how partners are chosen |
/// | label smoothing | 0.0 | ε applied to one-hot labels before mixing |
/// | granularity | [`Granularity::Batch`] | one λ per batch, per pair or per sample |
/// | probability scope | [`Scope::Batch`] | the apply decision per batch or per sample |
/// | CutMix | off | [`with_cutmix`](Mixup::with_cutmix): rectangle settings and the switch probability |
/// | switch scope | [`Scope::Batch`] | the mixup-or-CutMix decision per batch or per sample |
///
/// With the defaults, [`apply`](Mixup::apply) mixes with one λ per batch. Any other granularity,
/// a per-sample scope or CutMix needs [`apply_per_sample`](Mixup::apply_per_sample) (or
/// [`draw_per_sample`](Mixup::draw_per_sample)), which reports the λ of every sample.
///
/// ```
/// use mixup::{Mixup, Pairing};
/// use rand_core::SeedableRng;
///
/// let mixup = Mixup::new(0.4)?
///     .with_pairing(Pairing::Derangement)
///     .with_label_smoothing(0.1)?;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(42);
///
/// // Four samples of 3 values each, with class labels out of 5 classes.
/// let mut batch = [0.0f32, 0.0, 0.0, 1.0, 1.0, 1.0, 2.0, 2.0, 2.0, 3.0, 3.0, 3.0];
/// let labels = [0u32, 1, 2, 3];
/// let mut soft = [0.0f32; 4 * 5];
/// let mut partners = [0usize; 4];
///
/// let outcome = mixup.apply(&mut rng, &mut batch, 3, &labels, 5, &mut soft, &mut partners)?;
/// assert!(outcome.mixed);
/// for (i, row) in soft.chunks(5).enumerate() {
///     assert_ne!(partners[i], i);
///     assert!((row.iter().sum::<f32>() - 1.0).abs() < 1e-6);
/// }
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Mixup {
    beta: Beta,
    probability: f64,
    pairing: Pairing,
    smoothing: f64,
    granularity: Granularity,
    apply_scope: Scope,
    cutmix: Option<CutMix>,
    switch_probability: f64,
    switch_scope: Scope,
}

/// What one call of [`Mixup::apply`] or [`Mixup::draw`] did.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Outcome {
    /// The λ applied to the data and labels: for integer data the quantized value (see
    /// [`applied_lambda`](crate::applied_lambda)); 1.0 when the batch was not mixed.
    pub lambda: f64,
    /// Whether the batch was mixed (false when the apply probability said no).
    pub mixed: bool,
}

impl Mixup {
    /// Mixup with λ ~ Beta(α, α) and the defaults above. α must be finite and above zero.
    pub fn new(alpha: f64) -> Result<Mixup, Error> {
        Ok(Mixup {
            beta: Beta::symmetric(alpha)?,
            probability: 1.0,
            pairing: Pairing::Shuffle,
            smoothing: 0.0,
            granularity: Granularity::Batch,
            apply_scope: Scope::Batch,
            cutmix: None,
            switch_probability: 0.0,
            switch_scope: Scope::Batch,
        })
    }

    /// Mixes each batch with probability `p` in `[0, 1]`; an unmixed batch keeps its data and
    /// gets (smoothed) one-hot labels.
    pub fn with_probability(mut self, p: f64) -> Result<Mixup, Error> {
        if !(0.0..=1.0).contains(&p) {
            return Err(Error::InvalidProbability { value: p });
        }
        self.probability = p;
        Ok(self)
    }

    /// Chooses how partners are paired.
    pub fn with_pairing(mut self, pairing: Pairing) -> Mixup {
        self.pairing = pairing;
        self
    }

    /// Smooths one-hot labels by ε in `[0, 1)` before mixing (off value ε/C, on value
    /// 1 − ε + ε/C).
    pub fn with_label_smoothing(mut self, epsilon: f64) -> Result<Mixup, Error> {
        self.smoothing = check_smoothing(epsilon)?;
        Ok(self)
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

    /// The label smoothing ε.
    pub fn label_smoothing(&self) -> f64 {
        self.smoothing
    }

    /// Draws whether to mix, λ and the partners, without touching any data: for callers that mix
    /// with the lower-level functions themselves. `partners.len()` is the batch size.
    ///
    /// The draws are, in this order: one uniform for the apply decision (only when the
    /// probability is strictly between 0 and 1), then λ, then the partners. When the batch is
    /// not mixed, λ is 1, `partners` is the identity and nothing more is drawn.
    ///
    /// Returns [`Error::NeedsPerSampleApi`] unless the granularity, the probability scope and
    /// the CutMix setting are the defaults (see [`draw_per_sample`](Mixup::draw_per_sample)).
    pub fn draw<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        partners: &mut [usize],
    ) -> Result<Outcome, Error> {
        if !self.is_per_batch() {
            return Err(Error::NeedsPerSampleApi);
        }
        if self.pairing == Pairing::Derangement && partners.len() == 1 {
            return Err(Error::DerangementOfOne);
        }
        let mixed = bernoulli(rng, self.probability);
        if !mixed {
            for (i, p) in partners.iter_mut().enumerate() {
                *p = i;
            }
            return Ok(Outcome { lambda: 1.0, mixed });
        }
        let lambda = self.beta.sample(rng);
        self.pairing.fill(rng, partners)?;
        Ok(Outcome { lambda, mixed })
    }

    /// Mixes a batch in place and writes its soft labels, in one call.
    ///
    /// * `batch`: `B × sample_len` elements, sample after sample; `B = labels.len()`.
    /// * `labels`: the class index of each sample, below `num_classes`.
    /// * `soft_labels`: receives `B × num_classes` label rows, each summing to 1.
    /// * `partners`: receives the partner of each sample (length `B`).
    ///
    /// Every input is checked before anything is drawn or written: on an `Err` the generator has
    /// not advanced and no buffer was touched. For integer data the labels use the quantized λ
    /// that the kernel applied, which is also the λ returned.
    ///
    /// Returns [`Error::NeedsPerSampleApi`] unless the granularity, the probability scope and
    /// the CutMix setting are the defaults (see [`apply_per_sample`](Mixup::apply_per_sample)).
    #[allow(clippy::too_many_arguments)]
    pub fn apply<T: Element, L: ClassLabel, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        batch: &mut [T],
        sample_len: usize,
        labels: &[L],
        num_classes: usize,
        soft_labels: &mut [f32],
        partners: &mut [usize],
    ) -> Result<Outcome, Error> {
        if !self.is_per_batch() {
            return Err(Error::NeedsPerSampleApi);
        }
        let n = labels.len();
        let data_len = n.checked_mul(sample_len).ok_or(Error::SizeOverflow)?;
        check_len("batch", data_len, batch.len())?;
        check_labels(labels, num_classes)?;
        let label_len = n.checked_mul(num_classes).ok_or(Error::SizeOverflow)?;
        check_len("soft_labels", label_len, soft_labels.len())?;
        check_len("partners", n, partners.len())?;

        let drawn = self.draw(rng, partners)?;
        // Cannot fail any more: lengths, labels, the permutation and λ ∈ [0, 1] all hold.
        let lambda = if drawn.mixed {
            applied_lambda::<T>(drawn.lambda)?
        } else {
            1.0
        };
        mix_batch_inplace(batch, sample_len, partners, lambda)?;
        mix_one_hot(
            soft_labels,
            labels,
            partners,
            num_classes,
            lambda,
            self.smoothing,
        )?;
        Ok(Outcome {
            lambda,
            mixed: drawn.mixed,
        })
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

/// Per-pair and per-sample λ, per-sample decisions and CutMix.
impl Mixup {
    /// Sets how many λ a batch gets: one, one per pair (cycle of the pairing), or one per sample.
    /// See [`Granularity`] for what a pair is with a general permutation.
    ///
    /// ```
    /// use mixup::{Granularity, Mixup};
    /// let m = Mixup::new(0.2)?.with_granularity(Granularity::Sample);
    /// assert_eq!(m.granularity(), Granularity::Sample);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_granularity(mut self, granularity: Granularity) -> Mixup {
        self.granularity = granularity;
        self
    }

    /// Sets whether the apply probability decides once per batch or for every sample (every
    /// pair with [`Granularity::Pair`]). Samples not mixed keep their data and labels exactly.
    ///
    /// ```
    /// use mixup::{Mixup, Scope};
    /// let m = Mixup::new(0.2)?.with_probability(0.8)?.with_probability_scope(Scope::Sample);
    /// assert_eq!((m.probability(), m.probability_scope()), (0.8, Scope::Sample));
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_probability_scope(mut self, scope: Scope) -> Mixup {
        self.apply_scope = scope;
        self
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
    pub fn with_cutmix(mut self, cutmix: CutMix, switch_probability: f64) -> Result<Mixup, Error> {
        if !(0.0..=1.0).contains(&switch_probability) {
            return Err(Error::InvalidProbability {
                value: switch_probability,
            });
        }
        self.cutmix = Some(cutmix);
        self.switch_probability = switch_probability;
        Ok(self)
    }

    /// Sets whether the mixup-or-CutMix switch decides once per batch or for every sample (every
    /// pair with [`Granularity::Pair`]).
    ///
    /// ```
    /// use mixup::{Mixup, Scope};
    /// let m = Mixup::new(0.8)?.with_switch_scope(Scope::Sample);
    /// assert_eq!(m.switch_scope(), Scope::Sample);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn with_switch_scope(mut self, scope: Scope) -> Mixup {
        self.switch_scope = scope;
        self
    }

    /// The λ granularity.
    ///
    /// ```
    /// assert_eq!(mixup::Mixup::new(1.0)?.granularity(), mixup::Granularity::Batch);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn granularity(&self) -> Granularity {
        self.granularity
    }

    /// The scope of the apply decision.
    ///
    /// ```
    /// assert_eq!(mixup::Mixup::new(1.0)?.probability_scope(), mixup::Scope::Batch);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn probability_scope(&self) -> Scope {
        self.apply_scope
    }

    /// The CutMix settings, if CutMix is on.
    ///
    /// ```
    /// assert!(mixup::Mixup::new(1.0)?.cutmix().is_none());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn cutmix(&self) -> Option<&CutMix> {
        self.cutmix.as_ref()
    }

    /// The probability of CutMix rather than mixup (0 when CutMix is off).
    ///
    /// ```
    /// assert_eq!(mixup::Mixup::new(1.0)?.switch_probability(), 0.0);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn switch_probability(&self) -> f64 {
        self.switch_probability
    }

    /// The scope of the mixup-or-CutMix decision.
    ///
    /// ```
    /// assert_eq!(mixup::Mixup::new(1.0)?.switch_scope(), mixup::Scope::Batch);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn switch_scope(&self) -> Scope {
        self.switch_scope
    }

    /// Whether [`apply`](Mixup::apply) and [`draw`](Mixup::draw) serve this configuration: one
    /// λ per batch, one apply decision per batch, no CutMix.
    ///
    /// ```
    /// use mixup::{Granularity, Mixup};
    /// assert!(Mixup::new(1.0)?.is_per_batch());
    /// assert!(!Mixup::new(1.0)?.with_granularity(Granularity::Pair).is_per_batch());
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn is_per_batch(&self) -> bool {
        self.granularity == Granularity::Batch
            && self.apply_scope == Scope::Batch
            && self.cutmix.is_none()
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
            (Some(true), Some(cutmix)) => {
                SampleOp::Paste(cutmix.sample(rng, layout.height, layout.width).0)
            }
            (Some(_), _) => SampleOp::Blend(self.beta.sample(rng)),
        }
    }

    /// Draws what happens to every sample of a batch, without touching any data: the partners
    /// and one [`SampleOp`] per sample (kept, blended with a λ, or given a CutMix rectangle for
    /// an image of `layout`). `partners.len()` is the batch size; `ops` has the same length.
    ///
    /// The draws are, in this order:
    ///
    /// 1. the batch's apply decision (probability scope [`Scope::Batch`]); a batch not applied
    ///    gets the identity pairing and [`SampleOp::Keep`] everywhere, and nothing more is
    ///    drawn. Then the batch's mixup-or-CutMix decision (switch scope [`Scope::Batch`],
    ///    CutMix on). Each decision is one uniform, drawn only when its probability is strictly
    ///    between 0 and 1;
    /// 2. the partners;
    /// 3. by granularity:
    ///    * [`Batch`](Granularity::Batch): the mixup λ (if any sample may blend), then the CutMix
    ///      λ and rectangle (if any sample may paste); then, for every sample not paired with
    ///      itself in increasing order, its per-sample decisions (apply, then switch);
    ///    * [`Pair`](Granularity::Pair): for every cycle of two or more samples in increasing
    ///      order of its smallest member, its decisions, then its λ or its CutMix λ and
    ///      rectangle, shared by all its members;
    ///    * [`Sample`](Granularity::Sample): the same for every sample not paired with itself,
    ///      in increasing order.
    ///
    /// Samples paired with themselves are [`SampleOp::Keep`] and draw nothing. On any bad input
    /// (lengths, an image size that overflows, a derangement of one sample) the call returns an
    /// `Err`, draws nothing and writes nothing.
    ///
    /// ```
    /// use mixup::{Granularity, ImageLayout, Mixup, Pairing, SampleOp};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(7);
    /// let mixup = Mixup::new(0.4)?.with_pairing(Pairing::Flip).with_granularity(Granularity::Pair);
    /// let mut partners = [0usize; 4];
    /// let mut ops = [SampleOp::Keep; 4];
    /// mixup.draw_per_sample(&mut rng, &ImageLayout::hw(8, 8), &mut partners, &mut ops)?;
    /// assert_eq!(partners, [3, 2, 1, 0]);
    /// assert_eq!((ops[0], ops[1]), (ops[3], ops[2])); // one λ per pair
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn draw_per_sample<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        layout: &ImageLayout,
        partners: &mut [usize],
        ops: &mut [SampleOp],
    ) -> Result<(), Error> {
        let n = partners.len();
        check_len("ops", n, ops.len())?;
        layout.sample_len()?;
        if self.pairing == Pairing::Derangement && n == 1 {
            return Err(Error::DerangementOfOne);
        }
        ops.fill(SampleOp::Keep);
        let applied = self.apply_scope == Scope::Sample || bernoulli(rng, self.probability);
        if !applied {
            for (i, p) in partners.iter_mut().enumerate() {
                *p = i;
            }
            return Ok(());
        }
        let batch_cut = self.cutmix.is_some()
            && self.switch_scope == Scope::Batch
            && bernoulli(rng, self.switch_probability);
        self.pairing.fill(rng, partners)?;
        let partners = &*partners;
        match self.granularity {
            Granularity::Batch => {
                let (may_blend, may_paste) = self.kinds(batch_cut);
                let blend = may_blend.then(|| SampleOp::Blend(self.beta.sample(rng)));
                let paste = match (&self.cutmix, may_paste) {
                    (Some(c), true) => Some(SampleOp::Paste(
                        c.sample(rng, layout.height, layout.width).0,
                    )),
                    _ => None,
                };
                for (i, op) in ops.iter_mut().enumerate() {
                    if partners[i] == i {
                        continue;
                    }
                    *op = match self.decide(rng, batch_cut) {
                        None => SampleOp::Keep,
                        Some(true) => paste.unwrap_or(SampleOp::Keep),
                        Some(false) => blend.unwrap_or(SampleOp::Keep),
                    };
                }
            }
            Granularity::Pair => for_each_cycle(partners, |leader| {
                let op = self.unit_op(rng, layout, batch_cut);
                let mut i = leader;
                loop {
                    ops[i] = op;
                    i = partners[i];
                    if i == leader {
                        break;
                    }
                }
            }),
            Granularity::Sample => {
                for (i, op) in ops.iter_mut().enumerate() {
                    if partners[i] != i {
                        *op = self.unit_op(rng, layout, batch_cut);
                    }
                }
            }
        }
        Ok(())
    }

    /// Mixes a batch of images in place with this configuration and writes its soft labels and
    /// the λ of every sample, in one call: [`draw_per_sample`](Mixup::draw_per_sample), then
    /// [`mix_samples_inplace`](crate::mix_samples_inplace), then
    /// [`mix_one_hot_per_sample`](crate::mix_one_hot_per_sample).
    ///
    /// * `batch`: `B` samples of `layout`, one after the other; `B = labels.len()`.
    /// * `labels`: the class index of each sample, below `num_classes`.
    /// * `soft_labels`: receives `B × num_classes` label rows, each summing to 1.
    /// * `partners`, `ops`, `lambdas` (length `B` each): receive the partner, the operation and
    ///   the λ of every sample: 1 for a kept sample, the λ applied for a blended one (quantized
    ///   for integer data), the exact fraction of its own pixels kept for a CutMix one. For
    ///   index-based losses, feed them to [`label_triples`](crate::label_triples).
    ///
    /// Works with every setting, the per-batch defaults included. Samples not mixed keep their
    /// data bit for bit and get their own (smoothed) one-hot row. Every input is checked before
    /// anything is drawn or written: on an `Err` the generator has not advanced and no buffer
    /// was touched.
    ///
    /// ```
    /// use mixup::{CutMix, Granularity, ImageLayout, Mixup, SampleOp, Scope};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
    /// // timm's usual ImageNet recipe, per sample: mixup α 0.8 or CutMix α 1.0, half and half.
    /// let mixup = Mixup::new(0.8)?
    ///     .with_cutmix(CutMix::new(1.0)?, 0.5)?
    ///     .with_granularity(Granularity::Sample)
    ///     .with_switch_scope(Scope::Sample);
    ///
    /// let layout = ImageLayout::nchw(3, 16, 16);
    /// let (b, classes) = (6, 10);
    /// let mut batch: Vec<u8> = (0..b * 3 * 16 * 16).map(|k| (k / (3 * 16 * 16) * 40) as u8).collect();
    /// let labels: Vec<u32> = (0..b as u32).collect();
    /// let mut soft = vec![0.0f32; b * classes];
    /// let (mut partners, mut ops, mut lambdas) = (vec![0; b], vec![SampleOp::Keep; b], vec![0.0; b]);
    /// mixup.apply_per_sample(&mut rng, &mut batch, &layout, &labels, classes, &mut soft,
    ///                        &mut partners, &mut ops, &mut lambdas)?;
    /// for i in 0..b {
    ///     assert!((0.0..=1.0).contains(&lambdas[i]));
    ///     assert!((soft[i * classes..][..classes].iter().sum::<f32>() - 1.0).abs() < 1e-6);
    /// }
    /// # Ok::<(), mixup::Error>(())
    /// ```
    #[allow(clippy::too_many_arguments)]
    pub fn apply_per_sample<T: Element, L: ClassLabel, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        batch: &mut [T],
        layout: &ImageLayout,
        labels: &[L],
        num_classes: usize,
        soft_labels: &mut [f32],
        partners: &mut [usize],
        ops: &mut [SampleOp],
        lambdas: &mut [f64],
    ) -> Result<(), Error> {
        let n = labels.len();
        let sample_len = layout.sample_len()?;
        let data_len = n.checked_mul(sample_len).ok_or(Error::SizeOverflow)?;
        check_len("batch", data_len, batch.len())?;
        check_labels(labels, num_classes)?;
        let label_len = n.checked_mul(num_classes).ok_or(Error::SizeOverflow)?;
        check_len("soft_labels", label_len, soft_labels.len())?;
        check_len("partners", n, partners.len())?;
        check_len("ops", n, ops.len())?;
        check_len("lambdas", n, lambdas.len())?;

        self.draw_per_sample(rng, layout, partners, ops)?;
        // Cannot fail any more: every length, label, the permutation and every op is valid.
        mix_samples_inplace(batch, layout, partners, ops, lambdas)?;
        mix_one_hot_per_sample(
            soft_labels,
            labels,
            partners,
            num_classes,
            lambdas,
            self.smoothing,
        )
    }
}
