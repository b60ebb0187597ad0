//! The batch API: one call draws λ and the partners and mixes data and labels.

use crate::batch::mix_batch_inplace;
use crate::error::{Error, check_len};
use crate::kernels::{Element, applied_lambda};
use crate::labels::{ClassLabel, check_labels, check_smoothing, mix_one_hot};
use crate::pairing::Pairing;
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
    pub fn draw<R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        partners: &mut [usize],
    ) -> Result<Outcome, Error> {
        if self.pairing == Pairing::Derangement && partners.len() == 1 {
            return Err(Error::DerangementOfOne);
        }
        let mixed = if self.probability >= 1.0 {
            true
        } else if self.probability <= 0.0 {
            false
        } else {
            uniform01(rng) < self.probability
        };
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
