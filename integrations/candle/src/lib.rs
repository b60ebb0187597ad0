//! Mixup for [candle](https://github.com/huggingface/candle): [`MixupBatches`] wraps a batch
//! iterator (candle-datasets' `Batcher`, or anything that yields `Result<(Tensor, Tensor)>` of
//! images and class indices) and mixes every batch; [`mix_batch`] mixes one batch.
//!
//! Supports candle 0.11 (candle-core 0.11.x).
//!
//! ```
//! use candle_core::{Device, Tensor};
//! use mixup_candle::{Mixup, MixupBatches};
//!
//! // Any iterator of (images, class indices) batches, e.g. candle_datasets::Batcher::new_r2(..).
//! let batches = (0..3).map(|b| {
//!     let xs = Tensor::arange(0f32, 4.0 * 3.0 * 2.0 * 2.0, &Device::Cpu)?.reshape((4, 3, 2, 2))?;
//!     let ys = Tensor::new(&[0u32, 1, 2, (b % 3) as u32], &Device::Cpu)?;
//!     Ok((xs, ys))
//! });
//! for batch in MixupBatches::new(batches, Mixup::new(0.4)?, 3).with_seed(42) {
//!     let batch = batch?;
//!     assert_eq!(batch.soft.dims(), [4, 3]); // λ·y_i + (1 − λ)·y_partner
//!     assert_eq!(batch.xs.dims(), [4, 3, 2, 2]); // mixed in place
//! }
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # In place, without a copy
//!
//! On the CPU the images are mixed in their own storage, through candle's `InplaceOp1`: no
//! batch-sized buffer is allocated, and the returned `xs` is the tensor the iterator gave (a
//! tensor that shares its storage, such as a clone, sees the mixed values too; candle-datasets'
//! `Batcher` stacks a fresh tensor for every batch, so nothing else does). The images must be
//! contiguous (a stacked batch is); f32, f64, f16, bf16 and u8 are mixed in their own type, u8
//! in exact fixed point. On other devices the batch goes to the host and back (a copy each way).
//!
//! # Reproducibility
//!
//! Batch `b` of the iteration (counted from 0) is mixed with `Streams::new(seed).batch(epoch, b)`:
//! the same seed and epoch give the same bytes, and each epoch ([`MixupBatches::with_epoch`])
//! gets its own draws.

use candle_core::backend::BackendStorage;
use candle_core::{CpuStorage, DType, Device, InplaceOp1, Layout, Tensor};
use core::fmt;

use mixup::{BatchMut, Draws, Element, Shape, mix_inplace};
pub use mixup::{Draw, ImageLayout, LabelTriple, Labels, Mixup, Streams, Xoshiro256PlusPlus};

/// Why a batch could not be mixed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The core refused the batch (a label out of range, no classes, …).
    Mixup(mixup::Error),
    /// candle failed (reading the labels, moving data between devices, building a tensor), or
    /// the wrapped iterator gave an error.
    Candle(candle_core::Error),
    /// The images are of a type that is not mixed (integers other than u8).
    Dtype(DType),
    /// The images and the labels disagree on the batch size, the labels are not of rank 1, or
    /// the images are not of rank 2 to 4 or not contiguous.
    Shape {
        /// The shape of the images.
        images: Vec<usize>,
        /// The shape of the labels.
        labels: Vec<usize>,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Mixup(e) => write!(f, "mixup: {e}"),
            Error::Candle(e) => write!(f, "candle: {e}"),
            Error::Dtype(d) => write!(f, "images of dtype {d:?} cannot be mixed"),
            Error::Shape { images, labels } => write!(
                f,
                "images of shape {images:?} (contiguous, rank 2 to 4) and labels of shape {labels:?} (rank 1) do not make one batch"
            ),
        }
    }
}

impl std::error::Error for Error {}

impl From<mixup::Error> for Error {
    fn from(e: mixup::Error) -> Error {
        Error::Mixup(e)
    }
}

impl From<candle_core::Error> for Error {
    fn from(e: candle_core::Error) -> Error {
        Error::Candle(e)
    }
}

/// One mixed batch.
#[derive(Debug, Clone)]
pub struct MixedBatch {
    /// The images, mixed (on the CPU, the very tensor that came in, mixed in place).
    pub xs: Tensor,
    /// The class indices as they came in.
    pub ys: Tensor,
    /// `[B, C]` f32 label rows `λ·y_i + (1 − λ)·y_partner` (smoothed if asked), for a soft-target
    /// cross-entropy.
    pub soft: Tensor,
    /// `[B]` u32: the sample's own class.
    pub y_a: Tensor,
    /// `[B]` u32: the partner's class.
    pub y_b: Tensor,
    /// `[B]` f32: the weight of `y_a` (the λ the data really got).
    pub lambda: Tensor,
    /// What happened to every sample: partner, operation, λ.
    pub draws: Vec<Draw>,
}

/// The layout of one sample for images of `dims` (`[B, ...]`): rank 4 is NCHW (candle's conv
/// layout), rank 3 `[B, H, W]`, rank 2 `[B, features]`.
fn layout_of(dims: &[usize]) -> Option<ImageLayout> {
    match *dims {
        [_, c, h, w] => Some(ImageLayout::nchw(c, h, w)),
        [_, h, w] => Some(ImageLayout::hw(h, w)),
        [_, n] => Some(ImageLayout::flat(n)),
        _ => None,
    }
}

/// The in-place mix of one CPU storage with checked draws.
struct MixOp<'a, 'd> {
    draws: &'a Draws<'d>,
    layout: ImageLayout,
}

impl MixOp<'_, '_> {
    fn mix<T: Element>(&self, data: &mut [T], layout: &Layout) -> candle_core::Result<()> {
        let (start, end) = layout
            .contiguous_offsets()
            .ok_or_else(|| candle_core::Error::Msg("mixup: images not contiguous".into()))?;
        let part = data
            .get_mut(start..end)
            .ok_or_else(|| candle_core::Error::Msg("mixup: layout outside storage".into()))?;
        let mut batch = BatchMut::new(part, self.layout).map_err(candle_core::Error::wrap)?;
        mix_inplace(&mut batch, self.draws).map_err(candle_core::Error::wrap)
    }
}

impl InplaceOp1 for MixOp<'_, '_> {
    fn name(&self) -> &'static str {
        "mixup"
    }

    fn cpu_fwd(&self, storage: &mut CpuStorage, layout: &Layout) -> candle_core::Result<()> {
        match storage {
            CpuStorage::F32(v) => self.mix(v, layout),
            CpuStorage::F64(v) => self.mix(v, layout),
            CpuStorage::F16(v) => self.mix(v, layout),
            CpuStorage::BF16(v) => self.mix(v, layout),
            CpuStorage::U8(v) => self.mix(v, layout),
            other => Err(candle_core::Error::UnsupportedDTypeForOp(
                other.dtype(),
                "mixup",
            )),
        }
    }
}

/// The host-side targets of one batch.
struct Targets<'a> {
    records: &'a mut [Draw],
    soft: &'a mut [f32],
    triples: &'a mut [LabelTriple],
}

/// Draws for a batch of `T` and mixes `xs` with them: in place on the CPU, through the host
/// elsewhere. Returns the (possibly new) images.
fn draw_and_mix<T: Element + candle_core::WithDType>(
    mixup: &Mixup,
    rng: &mut Xoshiro256PlusPlus,
    xs: &Tensor,
    layout: ImageLayout,
    labels: &Labels<'_, i64>,
    out: Targets<'_>,
) -> Result<Tensor, Error> {
    let n = out.records.len();
    let draws = mixup.draw(rng, Shape::<T>::new(layout, n)?, out.records)?;
    let xs = match xs.device() {
        Device::Cpu => {
            xs.inplace_op1(&MixOp {
                draws: &draws,
                layout,
            })?;
            xs.clone()
        }
        device => {
            let mut host = xs.flatten_all()?.to_vec1::<T>()?;
            let mut batch = BatchMut::new(&mut host, layout)?;
            mix_inplace(&mut batch, &draws)?;
            Tensor::from_vec(host, xs.shape(), device)?
        }
    };
    labels.mix(&draws, out.soft)?;
    labels.triples(&draws, out.triples)?;
    Ok(xs)
}

/// Mixes one batch with `mixup` and the generator `rng`: the images `xs` (`[B, ...]`, rank 2 to
/// 4) in place on the CPU, and the labels `ys` (`[B]` class indices below `num_classes`, any
/// integer dtype) into soft rows (smoothed by `smoothing`) and triples.
///
/// The same bytes and targets as `mixup::Mixup::apply` on the same host batch with the same
/// generator state. Everything is checked before the images are touched: on an `Err`, `xs` is
/// unchanged.
pub fn mix_batch(
    mixup: &Mixup,
    rng: &mut Xoshiro256PlusPlus,
    xs: Tensor,
    ys: Tensor,
    num_classes: usize,
    smoothing: f64,
) -> Result<MixedBatch, Error> {
    let shape_error = || Error::Shape {
        images: xs.dims().to_vec(),
        labels: ys.dims().to_vec(),
    };
    let layout = layout_of(xs.dims()).ok_or_else(shape_error)?;
    if ys.rank() != 1 || ys.dims()[0] != xs.dims()[0] || !xs.is_contiguous() {
        return Err(shape_error());
    }
    let label_values: Vec<i64> = ys.to_dtype(DType::I64)?.to_vec1::<i64>()?;
    let labels = Labels::classes(&label_values, num_classes)?.with_smoothing(smoothing)?;
    let n = label_values.len();
    let mut records = vec![Draw::default(); n];
    let mut soft = vec![0.0f32; n * num_classes];
    let mut triples = vec![LabelTriple::default(); n];
    let out = Targets {
        records: &mut records,
        soft: &mut soft,
        triples: &mut triples,
    };
    let (l, x) = (&labels, &xs);
    let mixed = match xs.dtype() {
        DType::F32 => draw_and_mix::<f32>(mixup, rng, x, layout, l, out)?,
        DType::F64 => draw_and_mix::<f64>(mixup, rng, x, layout, l, out)?,
        DType::F16 => draw_and_mix::<half::f16>(mixup, rng, x, layout, l, out)?,
        DType::BF16 => draw_and_mix::<half::bf16>(mixup, rng, x, layout, l, out)?,
        DType::U8 => draw_and_mix::<u8>(mixup, rng, x, layout, l, out)?,
        other => return Err(Error::Dtype(other)),
    };
    let device = xs.device();
    let a: Vec<u32> = triples.iter().map(|t| t.a as u32).collect();
    let b: Vec<u32> = triples.iter().map(|t| t.b as u32).collect();
    let lambda: Vec<f32> = triples.iter().map(|t| t.lambda as f32).collect();
    Ok(MixedBatch {
        soft: Tensor::from_vec(soft, (n, num_classes), device)?,
        y_a: Tensor::from_vec(a, n, device)?,
        y_b: Tensor::from_vec(b, n, device)?,
        lambda: Tensor::from_vec(lambda, n, device)?,
        xs: mixed,
        ys,
        draws: records,
    })
}

/// An iterator of mixed batches over an iterator of `(images, class indices)` batches (see the
/// crate docs). Batch `b` is mixed with `Streams::new(seed).batch(epoch, b)`.
#[derive(Debug, Clone)]
pub struct MixupBatches<It> {
    inner: It,
    mixup: Mixup,
    classes: usize,
    smoothing: f64,
    streams: Streams,
    epoch: u64,
    index: u64,
}

impl<It> MixupBatches<It> {
    /// Mixes every batch of `inner` with `mixup`; labels are class indices below
    /// `num_classes`. Seed 0, epoch 0 until changed.
    pub fn new(inner: It, mixup: Mixup, num_classes: usize) -> Self {
        MixupBatches {
            inner,
            mixup,
            classes: num_classes,
            smoothing: 0.0,
            streams: Streams::new(0),
            epoch: 0,
            index: 0,
        }
    }

    /// The seed every batch's stream derives from.
    pub fn with_seed(self, seed: u64) -> Self {
        MixupBatches {
            streams: Streams::new(seed),
            ..self
        }
    }

    /// The epoch these batches belong to (each epoch gets its own draws).
    pub fn with_epoch(self, epoch: u64) -> Self {
        MixupBatches { epoch, ..self }
    }

    /// Label smoothing ε in `[0, 1)` for the soft rows.
    pub fn with_smoothing(self, epsilon: f64) -> Result<Self, Error> {
        let smoothing = Labels::classes(&[0u8], 1)?
            .with_smoothing(epsilon)?
            .smoothing();
        Ok(MixupBatches { smoothing, ..self })
    }
}

impl<It> Iterator for MixupBatches<It>
where
    It: Iterator<Item = candle_core::Result<(Tensor, Tensor)>>,
{
    type Item = Result<MixedBatch, Error>;

    fn next(&mut self) -> Option<Self::Item> {
        let item = self.inner.next()?;
        let index = self.index;
        self.index += 1;
        Some(item.map_err(Error::Candle).and_then(|(xs, ys)| {
            let mut rng = self.streams.batch(self.epoch, index);
            mix_batch(&self.mixup, &mut rng, xs, ys, self.classes, self.smoothing)
        }))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.inner.size_hint()
    }
}
