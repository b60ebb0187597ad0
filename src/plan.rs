//! What happens to every sample of a batch: the operations, the draw records that carry them
//! with the partners, and the plan the mixing functions carry out.
//!
//! Mixing is one model: a permutation plus one operation per sample (kept, blended with λ, a
//! rectangle pasted). A [`Plan`] is either one operation for every sample of a [`Permutation`]
//! ([`Plan::same`]) or the per-sample operations of checked [`Draws`].

use crate::element::Element;
use crate::error::{Error, check_len};
use crate::geometry::{Rect, unpasted_fraction};
use crate::kernels::applied_lambda;
use crate::layout::{ImageLayout, Shape};
use crate::permutation::{
    Cycles, Permutation, Slots, check, clear_leaders, is_leader, mark_leaders, value,
};

/// What happens to one sample of a batch: kept, blended with its partner (mixup), or given a
/// rectangle of its partner (CutMix).
///
/// ```
/// use mixup::{BatchMut, Draw, Draws, ImageLayout, Rect, SampleOp, mix_inplace};
/// // Three 1×2×2 images; sample 0 is blended with 1, sample 1 gets a pixel of 2, 2 is kept.
/// let mut pixels = [0.0f32, 0.0, 0.0, 0.0, 4.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 8.0];
/// let mut batch = BatchMut::new(&mut pixels, ImageLayout::hw(2, 2))?;
/// let mut records = [
///     Draw { partner: 1, op: SampleOp::Blend(0.5), lambda: 0.0 },
///     Draw { partner: 2, op: SampleOp::Paste(Rect { x1: 0, y1: 0, x2: 1, y2: 1 }), lambda: 0.0 },
///     Draw { partner: 0, op: SampleOp::Keep, lambda: 0.0 },
/// ];
/// let draws = Draws::new(&mut records, batch.shape())?;
/// mix_inplace(&mut batch, &draws)?;
/// assert_eq!(batch.as_slice(), [2.0, 2.0, 2.0, 2.0, 8.0, 4.0, 4.0, 4.0, 8.0, 8.0, 8.0, 8.0]);
/// let lambdas: Vec<f64> = draws.iter().map(|d| d.lambda).collect();
/// assert_eq!(lambdas, [0.5, 0.75, 1.0]); // CutMix: the fraction of its own pixels kept
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Default)]
#[non_exhaustive]
pub enum SampleOp {
    /// The sample keeps its data exactly; its λ is 1.
    #[default]
    Keep,
    /// Mixup: `λ·x_i + (1 − λ)·x_partner` with this λ in `[0, 1]`.
    Blend(f64),
    /// CutMix: the rectangle (which must lie inside the image) is replaced by the partner's
    /// pixels there; λ is the fraction of pixels not replaced.
    Paste(Rect),
}

impl SampleOp {
    /// Checks the op against the image: λ in `[0, 1]`, a rectangle inside the image.
    pub(crate) fn check(&self, sample: usize, layout: &ImageLayout) -> Result<(), Error> {
        match *self {
            SampleOp::Keep => Ok(()),
            SampleOp::Blend(lambda) => applied_lambda::<f64>(lambda).map(|_| ()),
            SampleOp::Paste(rect) => layout.check_rect(sample, &rect),
        }
    }

    /// The λ this op gives a sample of `T` data with `layout`: 1 for [`Keep`](SampleOp::Keep),
    /// the λ the kernels apply for [`Blend`](SampleOp::Blend) (quantized for integer data,
    /// see [`applied_lambda`](crate::applied_lambda)), and for [`Paste`](SampleOp::Paste) the
    /// exact fraction of the image's pixels outside the rectangle
    /// ([`ImageLayout::unpasted_fraction`]). An op that does not fit the image is
    /// an `Err`.
    ///
    /// ```
    /// use mixup::{ImageLayout, Rect, SampleOp};
    /// let layout = ImageLayout::hw(4, 4);
    /// assert_eq!(SampleOp::Blend(0.3).applied_lambda::<u8>(&layout)?, 77.0 / 256.0);
    /// let rect = Rect { x1: 0, y1: 0, x2: 2, y2: 2 };
    /// assert_eq!(SampleOp::Paste(rect).applied_lambda::<f32>(&layout)?, 0.75);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn applied_lambda<T: Element>(&self, layout: &ImageLayout) -> Result<f64, Error> {
        self.check(0, layout)?;
        Ok(self.lambda_of::<T>(layout))
    }

    /// [`applied_lambda`](SampleOp::applied_lambda) for an op already checked.
    pub(crate) fn lambda_of<T: Element>(&self, layout: &ImageLayout) -> f64 {
        match *self {
            SampleOp::Keep => 1.0,
            SampleOp::Blend(lambda) => applied_lambda::<T>(lambda).unwrap_or(1.0),
            SampleOp::Paste(rect) => unpasted_fraction(layout.height, layout.width, &rect),
        }
    }

    /// Whether the op changes a sample of `T` whose partner is another sample.
    pub(crate) fn writes<T: Element>(&self) -> bool {
        match *self {
            SampleOp::Keep => false,
            SampleOp::Blend(lambda) => applied_lambda::<T>(lambda).is_ok_and(|a| a != 1.0),
            SampleOp::Paste(rect) => !rect.is_empty(),
        }
    }

    /// Whether the op would average two values (refused on class-index batches).
    pub(crate) fn averages<T: Element>(&self) -> bool {
        match *self {
            SampleOp::Blend(lambda) => {
                applied_lambda::<T>(lambda).is_ok_and(|a| a != 0.0 && a != 1.0)
            }
            _ => false,
        }
    }
}

/// One sample's draw: its partner, its operation and the λ its own data keeps.
///
/// [`Mixup::draw`](crate::Mixup::draw) writes one per sample into a caller-owned slice; the
/// mixing functions, the labels ([`Labels::mix`](crate::Labels::mix),
/// [`Labels::triples`](crate::Labels::triples)), the collate and any other consumer (a GPU
/// kernel, a log) read the same records. `lambda` is 1 for a kept sample or one paired with
/// itself, the λ applied for a blend (quantized for integer data), and the fraction of its own
/// pixels kept for CutMix; labels weighted with it describe the data exactly.
///
/// ```
/// let d = mixup::Draw::default();
/// assert_eq!((d.partner, d.op, d.lambda), (0, mixup::SampleOp::Keep, 1.0));
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Draw {
    /// The partner sample.
    pub partner: usize,
    /// What happens to the sample.
    pub op: SampleOp,
    /// The λ of the sample's own data (written by [`Draws::new`] and [`Mixup::draw`](crate::Mixup::draw)).
    pub lambda: f64,
}

impl Default for Draw {
    fn default() -> Draw {
        Draw {
            partner: 0,
            op: SampleOp::Keep,
            lambda: 1.0,
        }
    }
}

impl Slots for [Draw] {
    #[inline]
    fn len(&self) -> usize {
        <[Draw]>::len(self)
    }
    #[inline]
    fn get(&self, i: usize) -> usize {
        self[i].partner
    }
    #[inline]
    fn set(&mut self, i: usize, value: usize) {
        self[i].partner = value;
    }
    #[inline]
    fn prefetch(&self, i: usize) {
        crate::arch::prefetch(&self[i..][..1]);
    }
}

/// Checked draw records: the partners are a permutation, every op is valid for the batch's
/// layout, and every `lambda` is the one the op applies to the batch's element type.
///
/// Made by [`Mixup::draw`](crate::Mixup::draw) and [`Mixup::apply`](crate::Mixup::apply), or
/// from records a caller wrote (or kept from an earlier batch) with [`Draws::new`]. Like
/// [`Permutation`], it borrows the records mutably while it lives, so that its cycles are walked
/// in linear time, and gives them back unchanged when dropped.
///
/// The same draws can be replayed on the batch's other tensors: a segmentation mask
/// ([`BatchMut::class_indices`](crate::BatchMut::class_indices)) or a depth map gets the same
/// CutMix rectangles and partners.
#[derive(Debug)]
pub struct Draws<'a> {
    records: &'a mut [Draw],
}

impl<'a> Draws<'a> {
    /// Checks records a caller wrote against a batch shape and completes them: `partner` must
    /// form a permutation and every `op` must fit the layout; then `lambda` is written for every
    /// record (the λ the op applies to `T` data, 1 for a sample paired with itself). On an
    /// `Err` nothing is written.
    ///
    /// ```
    /// use mixup::{Draw, Draws, ImageLayout, SampleOp, Shape};
    /// let shape = Shape::<u8>::new(ImageLayout::flat(4), 2)?;
    /// let mut records = [
    ///     Draw { partner: 1, op: SampleOp::Blend(0.3), lambda: 0.0 },
    ///     Draw { partner: 0, op: SampleOp::Blend(0.3), lambda: 0.0 },
    /// ];
    /// let draws = Draws::new(&mut records, shape)?;
    /// assert_eq!(draws.get(0).map(|d| d.lambda), Some(77.0 / 256.0));
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn new<T: Element>(records: &'a mut [Draw], shape: Shape<T>) -> Result<Draws<'a>, Error> {
        check_len("records", shape.len(), records.len())?;
        check(records)?;
        let layout = shape.layout();
        for (i, r) in records.iter().enumerate() {
            r.op.check(i, &layout)?;
        }
        complete::<T>(records, &layout);
        Ok(Draws::trusted(records))
    }

    /// Wraps records whose partners are a permutation without flag bits and whose ops and λ
    /// are complete.
    pub(crate) fn trusted(records: &'a mut [Draw]) -> Draws<'a> {
        mark_leaders(records);
        Draws { records }
    }

    /// Wraps complete records whose leaders are already marked.
    pub(crate) fn marked(records: &'a mut [Draw]) -> Draws<'a> {
        Draws { records }
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The draw of sample `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<Draw> {
        self.records.get(i).map(clean)
    }

    /// The draws in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = Draw> + '_ {
        self.records.iter().map(clean)
    }
}

/// A record as the caller wrote it, without the leader bit.
fn clean(d: &Draw) -> Draw {
    Draw {
        partner: value(d.partner),
        ..*d
    }
}

/// Writes every record's λ for `T` data of `layout` (ops already checked, partners without
/// flag bits).
pub(crate) fn complete<T: Element>(records: &mut [Draw], layout: &ImageLayout) {
    for (i, r) in records.iter_mut().enumerate() {
        r.lambda = if value(r.partner) == i {
            1.0
        } else {
            r.op.lambda_of::<T>(layout)
        };
    }
}

impl Drop for Draws<'_> {
    fn drop(&mut self) {
        clear_leaders(self.records);
    }
}

/// What the mixing functions carry out: a permutation and one operation per sample.
///
/// Made from checked [`Draws`] (`&draws` converts into a plan) or with [`Plan::same`] from a
/// [`Permutation`] and one operation for all samples. The operations are checked against the
/// batch when it is mixed, so one plan can be replayed on tensors of different channel counts.
///
/// ```
/// use mixup::{BatchMut, ImageLayout, Pairing, Plan, SampleOp, mix_inplace};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
/// let mut data = [0u8, 0, 100, 100, 200, 200]; // three samples of two elements
/// let mut partners = [0; 3];
/// let perm = Pairing::Roll(2).fill(&mut rng, &mut partners)?; // partner of i: i + 1 mod 3
/// let mut batch = BatchMut::new(&mut data, ImageLayout::flat(2))?;
/// mix_inplace(&mut batch, Plan::same(&perm, SampleOp::Blend(0.5)))?;
/// assert_eq!(batch.as_slice(), [50, 50, 150, 150, 100, 100]);
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    kind: Kind<'a>,
}

#[derive(Debug, Clone, Copy)]
enum Kind<'a> {
    /// Partner entries with leader bits, one op for all.
    Same(&'a [usize], SampleOp),
    /// Records with leader bits.
    Each(&'a [Draw]),
}

impl<'a> Plan<'a> {
    /// One operation for every sample of `perm` (samples paired with themselves stay as they
    /// are).
    pub fn same(perm: &'a Permutation<'_>, op: SampleOp) -> Plan<'a> {
        Plan {
            kind: Kind::Same(perm.raw(), op),
        }
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        match self.kind {
            Kind::Same(p, _) => p.len(),
            Kind::Each(d) => d.len(),
        }
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Asks the CPU to start loading the entry of sample `i < len()` (its partner and op).
    #[inline]
    pub(crate) fn prefetch(&self, i: usize) {
        match self.kind {
            Kind::Same(p, _) => crate::arch::prefetch(&p[i..][..1]),
            Kind::Each(d) => crate::arch::prefetch(&d[i..][..1]),
        }
    }

    /// The op of sample `i < len()`.
    #[inline]
    pub(crate) fn op(&self, i: usize) -> SampleOp {
        match self.kind {
            Kind::Same(_, op) => op,
            Kind::Each(d) => d[i].op,
        }
    }

    /// The op of every sample, if the plan has one for all.
    #[inline]
    pub(crate) fn same_op(&self) -> Option<SampleOp> {
        match self.kind {
            Kind::Same(_, op) => Some(op),
            Kind::Each(_) => None,
        }
    }

    /// Checks every op against `layout` and, for a class-index batch, that no op averages.
    pub(crate) fn check<T: Element>(
        &self,
        layout: &ImageLayout,
        indices: bool,
    ) -> Result<(), Error> {
        if let Kind::Same(partners, op) = self.kind {
            // One op for every sample: checked once, and the first sample it would fail for
            // named, as the loop below would. Checked for an empty batch too: an op that is
            // wrong for the layout is an error whatever the batch size.
            op.check(0, layout)?;
            if indices
                && op.averages::<T>()
                && let Some(i) = (0..partners.len()).find(|&i| self.partner(i) != i)
            {
                return Err(Error::BlendOfClassIndices { sample: i });
            }
            return Ok(());
        }
        for i in 0..self.len() {
            let op = self.op(i);
            op.check(i, layout)?;
            if indices && self.partner(i) != i && op.averages::<T>() {
                return Err(Error::BlendOfClassIndices { sample: i });
            }
        }
        Ok(())
    }
}

impl<'a, 'b> From<&'a Draws<'b>> for Plan<'a> {
    fn from(draws: &'a Draws<'b>) -> Plan<'a> {
        Plan {
            kind: Kind::Each(draws.records),
        }
    }
}

impl Cycles for Plan<'_> {
    #[inline]
    fn size(&self) -> usize {
        self.len()
    }
    #[inline]
    fn partner(&self, i: usize) -> usize {
        match self.kind {
            Kind::Same(p, _) => value(p[i]),
            Kind::Each(d) => value(d[i].partner),
        }
    }
    #[inline]
    fn leads(&self, i: usize) -> bool {
        match self.kind {
            Kind::Same(p, _) => is_leader(p[i]),
            Kind::Each(d) => is_leader(d[i].partner),
        }
    }
}
