//! Mixup for [burn](https://burn.dev)'s data loaders: [`MixupBatcher`] wraps the `Batcher` you
//! already have, mixes every batch it builds with a [`Mixup`], and returns your batch with the
//! mixed images, the soft labels, and `(y_a, y_b, λ)` for index-based losses.
//!
//! Supports burn 0.22.x (tested with 0.22.1): the `Batcher<I, O>` trait with a non-generic
//! `Device` and `Tensor<D, K>` without a backend parameter. burn 0.21 and older, whose `Batcher`
//! and `Tensor` take a backend type parameter, are not supported; neither is the 0.23
//! pre-release yet.
//!
//! # Three lines
//!
//! An existing `DataLoaderBuilder` setup becomes a mixup one by wrapping the batcher, unpacking
//! [`Mixed`], and putting the soft labels in the loss:
//!
//! ```
//! # use burn::data::dataloader::{DataLoaderBuilder, batcher::Batcher};
//! # use burn::data::dataset::InMemDataset;
//! # use burn::nn::{Linear, LinearConfig};
//! # use burn::prelude::*;
//! # #[derive(Clone, Debug)]
//! # struct Item { pixels: Vec<f32>, label: i64 }
//! # #[derive(Clone, Debug)]
//! # struct MnistBatch { images: Tensor<3>, targets: Tensor<1, Int> }
//! # #[derive(Clone)]
//! # struct MnistBatcher;
//! # impl Batcher<Item, MnistBatch> for MnistBatcher {
//! #     fn batch(&self, items: Vec<Item>, device: &Device) -> MnistBatch {
//! #         let n = items.len();
//! #         let px: Vec<f32> = items.iter().flat_map(|i| i.pixels.clone()).collect();
//! #         let labels: Vec<i64> = items.iter().map(|i| i.label).collect();
//! #         MnistBatch {
//! #             images: Tensor::from_data(TensorData::new(px, [n, 4, 4]), device),
//! #             targets: Tensor::from_data(TensorData::new(labels, [n]), device),
//! #         }
//! #     }
//! # }
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let device = Device::flex();
//! # let items = (0..32).map(|i| Item { pixels: vec![i as f32 / 32.0; 16], label: i % 10 });
//! # let train = InMemDataset::new(items.collect());
//! # let model: Linear = LinearConfig::new(16, 10).init(&device);
//! # let batcher = MnistBatcher;
//! use mixup_burn::{Mixed, Mixup, MixupBatcher};
//!
//! // 1. Wrap the batcher: α, the class count, and where the images and class indices are.
//! let batcher = MixupBatcher::new(batcher, Mixup::new(0.4)?, 10, |b: &mut MnistBatch| (&mut b.images, &b.targets));
//! let loader = DataLoaderBuilder::new(batcher).batch_size(8).shuffle(42).set_device(device).build(train);
//! for item in loader.iter() {
//!     // 2. Unpack: your batch, its images mixed, and the soft labels.
//!     let Mixed { batch, soft, .. } = item??;
//!     let logits = model.forward(batch.images.flatten::<2>(1, 2));
//!     // 3. A loss on soft labels.
//!     let loss = burn::tensor::loss::cross_entropy_with_logits(logits, soft);
//! #   assert!(loss.into_scalar::<f32>().is_finite());
//! }
//! # Ok(())
//! # }
//! ```
//!
//! For an index-based loss, `λ·CE(logits, y_a) + (1 − λ)·CE(logits, y_b)`, take `y_a`, `y_b`
//! and `lambda` from [`Mixed`] instead of `soft`.
//!
//! # What a batch goes through
//!
//! 1. Your batcher builds the batch on the loader's device.
//! 2. The images (a float tensor of rank 2 to 4, samples along the first dimension) and the class
//!    indices (`Tensor<1, Int>`) are read to the host. Rank 4 is taken as NCHW (burn's `Conv2d`
//!    layout), rank 3 as `[B, H, W]`, rank 2 as `[B, features]`; this matters for CutMix only.
//! 3. The generator of the batch is `Streams::new(seed).batch(epoch, key)`, where `key` is
//!    [`batch_key`] of the batch's bytes and labels: the draws depend on the batch, never on the
//!    worker that built it or on when, so a run gives the same batches for any `num_workers`.
//! 4. [`Mixup::apply`] mixes the images in place in that host buffer (f32, f64, f16, bf16; other
//!    float types through f32) and writes the label rows; [`Labels::triples`] writes the
//!    `(y_a, y_b, λ)` triples.
//! 5. The mixed images replace the batch's tensor (same device and dtype) and the targets are
//!    uploaded next to them.
//!
//! Without `shuffle`, every epoch builds the same batches and so gets the same draws; give each
//! epoch its own by [`Epoch::set`] on the handle from [`MixupBatcher::epoch`], before the epoch's
//! `iter()` (burn's workers start a pass only then).
//!
//! Bad input (a label not below the class count, a tensor that cannot be read) gives an
//! [`Error`] in place of the batch: the `Batcher` trait cannot fail, so the batch type is
//! `Result<Mixed<O>, Error>`.

use burn::data::dataloader::batcher::Batcher;
use burn::tensor::{DType, Device, Int, Tensor, TensorData};
use core::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use mixup::{BatchMut, Element};
pub use mixup::{Draw, ImageLayout, LabelTriple, Labels, Mixup, Streams};

/// Why a batch could not be mixed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Error {
    /// The core refused the batch (a label out of range, no classes, a derangement of one
    /// sample, …).
    Mixup(mixup::Error),
    /// burn could not read a tensor back or convert its data.
    Tensor(String),
    /// The images are not of a float type the adapter handles.
    Dtype(DType),
    /// The images and the class indices disagree on the batch size, or the images have rank 1.
    Shape {
        /// The shape of the images.
        images: Vec<usize>,
        /// The number of class indices.
        labels: usize,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Mixup(e) => write!(f, "mixup: {e}"),
            Error::Tensor(e) => write!(f, "tensor data: {e}"),
            Error::Dtype(d) => write!(f, "images of dtype {d:?} cannot be mixed"),
            Error::Shape { images, labels } => write!(
                f,
                "images of shape {images:?} and {labels} class indices: expected [B, ...] with B = {labels} and rank 2 to 4"
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

/// A mixed batch: yours, with the images mixed in place, and the mixed targets.
#[derive(Debug, Clone)]
pub struct Mixed<O> {
    /// The batch your batcher built, its images replaced by the mixed ones.
    pub batch: O,
    /// `[B, C]` label rows, each `λ·y_i + (1 − λ)·y_partner` (smoothed if asked), for
    /// `cross_entropy_with_logits`.
    pub soft: Tensor<2>,
    /// `[B]` the sample's own class.
    pub y_a: Tensor<1, Int>,
    /// `[B]` the partner's class.
    pub y_b: Tensor<1, Int>,
    /// `[B]` the weight of `y_a` (the λ the data really got), for
    /// `λ·CE(logits, y_a) + (1 − λ)·CE(logits, y_b)`.
    pub lambda: Tensor<1>,
    /// What happened to every sample: partner, operation, λ (on the host, e.g. to replay on a
    /// mask with `mixup::mix_inplace`).
    pub draws: Vec<Draw>,
}

/// The epoch the draws are keyed by, shared between a [`MixupBatcher`] and its clones. Set it
/// before calling the data loader's `iter()` for that epoch.
#[derive(Debug, Clone, Default)]
pub struct Epoch(Arc<AtomicU64>);

impl Epoch {
    /// Sets the epoch of the batches built from now on.
    pub fn set(&self, epoch: u64) {
        self.0.store(epoch, Ordering::SeqCst);
    }

    /// The current epoch.
    pub fn get(&self) -> u64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// A [`Batcher`] that builds a batch with the batcher it wraps and mixes it (see the crate docs).
///
/// `parts` tells where the images and the class indices are in your batch type `O`:
/// `|b: &mut MyBatch| (&mut b.images, &b.targets)`.
#[derive(Clone)]
pub struct MixupBatcher<Bt, F, const D: usize> {
    inner: Bt,
    parts: F,
    mixup: Mixup,
    classes: usize,
    smoothing: f64,
    streams: Streams,
    epoch: Epoch,
}

impl<Bt, F, const D: usize> fmt::Debug for MixupBatcher<Bt, F, D> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MixupBatcher")
            .field("mixup", &self.mixup)
            .field("classes", &self.classes)
            .field("smoothing", &self.smoothing)
            .field("seed", &self.streams.seed())
            .field("epoch", &self.epoch.get())
            .finish_non_exhaustive()
    }
}

impl<Bt, F, const D: usize> MixupBatcher<Bt, F, D> {
    /// Wraps `inner`: every batch it builds is mixed with `mixup`, its labels taken as class
    /// indices below `num_classes`. The seed is 0 and the epoch 0 until changed.
    pub fn new<O>(inner: Bt, mixup: Mixup, num_classes: usize, parts: F) -> Self
    where
        F: Fn(&mut O) -> (&mut Tensor<D>, &Tensor<1, Int>),
    {
        MixupBatcher {
            inner,
            parts,
            mixup,
            classes: num_classes,
            smoothing: 0.0,
            streams: Streams::new(0),
            epoch: Epoch::default(),
        }
    }

    /// The seed every batch's stream derives from.
    pub fn with_seed(self, seed: u64) -> Self {
        MixupBatcher {
            streams: Streams::new(seed),
            ..self
        }
    }

    /// Label smoothing ε in `[0, 1)` for the soft rows (timm's smoothing before mixing).
    pub fn with_smoothing(self, epsilon: f64) -> Result<Self, Error> {
        // Checked by the core, on a label set of one.
        Labels::classes(&[0u8], 1)?.with_smoothing(epsilon)?;
        Ok(MixupBatcher {
            smoothing: epsilon + 0.0,
            ..self
        })
    }

    /// The handle that sets the epoch the draws are keyed by (shared with every clone).
    pub fn epoch(&self) -> Epoch {
        self.epoch.clone()
    }

    /// The streams of the batches.
    pub fn streams(&self) -> Streams {
        self.streams
    }
}

/// The key of a batch's stream: a hash of its image bytes (as read from the tensor, in the
/// tensor's dtype) and its class indices. `Streams::new(seed).batch(epoch, batch_key(..))` is the
/// generator the batch is mixed with.
///
/// Equal batches get equal keys; different batches get different 64-bit keys unless the hash
/// collides, which only makes the two share λ and partners (nothing worse).
pub fn batch_key(image_bytes: &[u8], labels: &[i64]) -> u64 {
    // FxHash-style word mixing, then the SplitMix64 finalizer: fast over megabytes of images
    // and enough to tell batches apart; nothing here needs to resist an adversary.
    let mut h: u64 = 0x243f_6a88_85a3_08d3 ^ (image_bytes.len() as u64);
    let mut add = |w: u64| h = (h.rotate_left(5) ^ w).wrapping_mul(0x517c_c1b7_2722_0a95);
    let mut words = image_bytes.chunks_exact(8);
    for w in &mut words {
        add(u64::from_le_bytes([
            w[0], w[1], w[2], w[3], w[4], w[5], w[6], w[7],
        ]));
    }
    let mut tail = [0u8; 8];
    tail[..words.remainder().len()].copy_from_slice(words.remainder());
    add(u64::from_le_bytes(tail));
    for &l in labels {
        add(l as u64);
    }
    let mut z = h;
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The layout of one sample for images of `dims` (`[B, ...]`).
fn layout_of(dims: &[usize]) -> Option<ImageLayout> {
    match *dims {
        [_, c, h, w] => Some(ImageLayout::nchw(c, h, w)),
        [_, h, w] => Some(ImageLayout::hw(h, w)),
        [_, n] => Some(ImageLayout::flat(n)),
        _ => None,
    }
}

/// The host-side targets of one batch, written by [`Job::run`].
struct Targets {
    draws: Vec<Draw>,
    soft: Vec<f32>,
    triples: Vec<LabelTriple>,
}

/// One batch's mixing, everything but the data: the configuration, the generator, the layout
/// and the labels.
struct Job<'a> {
    mixup: &'a Mixup,
    rng: mixup::Xoshiro256PlusPlus,
    layout: ImageLayout,
    labels: Labels<'a, i64>,
}

impl Job<'_> {
    /// Mixes `data`, of element type `T`, in place and writes the targets.
    fn run<T: Element + burn::tensor::Element>(
        &mut self,
        data: &mut TensorData,
        out: &mut Targets,
    ) -> Result<(), Error> {
        let slice = data
            .as_mut_slice::<T>()
            .map_err(|e| Error::Tensor(format!("{e:?}")))?;
        let mut batch = BatchMut::new(slice, self.layout)?;
        let draws = self.mixup.apply(
            &mut self.rng,
            &mut batch,
            &self.labels,
            &mut out.draws,
            &mut out.soft,
        )?;
        self.labels.triples(&draws, &mut out.triples)?;
        Ok(())
    }

    /// [`run`](Job::run) for the dtype of `data`.
    fn run_any(&mut self, data: &mut TensorData, out: &mut Targets) -> Result<(), Error> {
        match data.dtype() {
            DType::F32 => self.run::<f32>(data, out),
            DType::F64 => self.run::<f64>(data, out),
            DType::F16 => self.run::<half::f16>(data, out),
            DType::BF16 => self.run::<half::bf16>(data, out),
            other => Err(Error::Dtype(other)),
        }
    }
}

impl<Bt, F, const D: usize> MixupBatcher<Bt, F, D> {
    /// Mixes host image data of one batch in place; returns it with the batch's targets.
    fn mix_host(
        &self,
        mut data: TensorData,
        labels: &[i64],
    ) -> Result<(TensorData, Targets), Error> {
        let dims = data.shape().to_vec();
        let layout = layout_of(&dims).ok_or_else(|| Error::Shape {
            images: dims.clone(),
            labels: labels.len(),
        })?;
        if dims[0] != labels.len() {
            return Err(Error::Shape {
                images: dims,
                labels: labels.len(),
            });
        }
        let key = batch_key(data.as_bytes(), labels);
        let mut job = Job {
            mixup: &self.mixup,
            rng: self.streams.batch(self.epoch.get(), key),
            layout,
            labels: Labels::classes(labels, self.classes)?.with_smoothing(self.smoothing)?,
        };
        let n = labels.len();
        let mut out = Targets {
            draws: vec![Draw::default(); n],
            soft: vec![0.0f32; n * self.classes],
            triples: vec![LabelTriple::default(); n],
        };
        match data.dtype() {
            DType::F32 | DType::F64 | DType::F16 | DType::BF16 => {
                job.run_any(&mut data, &mut out)?
            }
            // Flex32 and the like: mixed as f32, converted back when uploaded.
            other if other.is_float() => {
                data = data
                    .try_cast(DType::F32)
                    .map_err(|e| Error::Tensor(format!("{e:?}")))?;
                job.run_any(&mut data, &mut out)?;
            }
            other => return Err(Error::Dtype(other)),
        }
        Ok((data, out))
    }
}

impl<I, O, Bt, F, const D: usize> Batcher<I, Result<Mixed<O>, Error>> for MixupBatcher<Bt, F, D>
where
    Bt: Batcher<I, O>,
    F: Fn(&mut O) -> (&mut Tensor<D>, &Tensor<1, Int>) + Send + Sync,
{
    fn batch(&self, items: Vec<I>, device: &Device) -> Result<Mixed<O>, Error> {
        let mut batch = self.inner.batch(items, device);
        let (images, targets) = (self.parts)(&mut batch);
        let labels: Vec<i64> = targets
            .try_to_data()
            .map_err(|e| Error::Tensor(format!("{e:?}")))?
            .try_into_vec_as::<i64>()
            .map_err(|e| Error::Tensor(format!("{e:?}")))?;
        let (device, dtype) = (images.device(), images.dtype());
        let data = images
            .try_to_data()
            .map_err(|e| Error::Tensor(format!("{e:?}")))?;
        let (mixed, targets) = self.mix_host(data, &labels)?;
        *images = Tensor::from_data(mixed, (&device, dtype));
        let n = labels.len();
        let soft = Tensor::from_data(TensorData::new(targets.soft, [n, self.classes]), &device);
        let t = &targets.triples;
        let a: Vec<i64> = t.iter().map(|t| t.a as i64).collect();
        let b: Vec<i64> = t.iter().map(|t| t.b as i64).collect();
        let lambda: Vec<f32> = t.iter().map(|t| t.lambda as f32).collect();
        Ok(Mixed {
            batch,
            soft,
            y_a: Tensor::from_data(TensorData::new(a, [n]), &device),
            y_b: Tensor::from_data(TensorData::new(b, [n]), &device),
            lambda: Tensor::from_data(TensorData::new(lambda, [n]), &device),
            draws: targets.draws,
        })
    }
}
