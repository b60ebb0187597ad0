//! Mixup data augmentation (Zhang et al., ["mixup: Beyond Empirical Risk
//! Minimization"](https://arxiv.org/abs/1710.09412), ICLR 2018) for `no_std`: no allocation, no
//! global state, the same bytes on every target.
//!
//! Mixup draws λ ~ Beta(α, α), pairs every sample `i` of a batch with a partner `j`, and trains
//! on `x̃ = λ·x_i + (1 − λ)·x_j` with labels `ỹ = λ·y_i + (1 − λ)·y_j`.
//!
//! # Guide
//!
//! The one-call API is [`Mixup`]: configure it once, then give it a generator, the batch, the
//! class labels and two output buffers per batch.
//!
//! ```
//! use mixup::Mixup;
//! use rand_core::SeedableRng;
//!
//! let mixup = Mixup::new(0.2)?; // λ ~ Beta(0.2, 0.2), shuffled partners
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
//!
//! // 8 images of 3×4×4 u8 values, 10 classes.
//! let (batch_size, sample_len, classes) = (8, 3 * 4 * 4, 10);
//! let mut images: Vec<u8> = (0..batch_size * sample_len).map(|k| (k % 251) as u8).collect();
//! let labels: Vec<u32> = (0..batch_size as u32).collect();
//! let mut soft = vec![0.0f32; batch_size * classes];
//! let mut partners = vec![0usize; batch_size];
//!
//! let outcome = mixup.apply(&mut rng, &mut images, sample_len, &labels, classes, &mut soft, &mut partners)?;
//! assert!((0.0..=1.0).contains(&outcome.lambda));
//! # Ok::<(), mixup::Error>(())
//! ```
//!
//! The pieces are public too, for pipelines that need only some of them:
//!
//! | step | items |
//! |---|---|
//! | draw λ | [`Beta`] |
//! | pair the batch | [`Pairing`], [`check_permutation`] |
//! | mix two slices | [`blend`], [`blend_inplace`], [`applied_lambda`] |
//! | mix a batch | [`mix_batch`] (out of place), [`mix_batch_inplace`] (no copy of the batch) |
//! | mix labels | [`mix_one_hot`] (class indices, optional smoothing), [`mix_soft`] (soft or multi-hot rows) |
//! | a λ per pair or per sample, CutMix | [`Mixup::apply_per_sample`], [`Granularity`], [`Scope`], [`CutMix`], [`SampleOp`], [`mix_batch_per_sample_inplace`], [`mix_samples_inplace`] |
//! | labels per sample | [`mix_one_hot_per_sample`], [`label_triples`] (`(y_a, y_b, λ)` for index-based losses) |
//! | detection | [`mix_detection`], [`canvas_size`], [`canvas_len`] |
//! | u8 loader batches | [`collate_u8`] (mix and normalize to `f32` CHW in one pass), [`Normalize`] |
//!
//! # Choosing α
//!
//! | α | λ ~ Beta(α, α) | typical use |
//! |---|---|---|
//! | 0.1–0.4 | mostly near 0 or 1: each mixed sample stays close to one parent | ImageNet-scale classification (the paper's range) |
//! | 1 | uniform on `[0, 1]` | the paper's CIFAR-10 setting; the demo's default |
//! | > 1 | concentrated around 0.5 | strong mixing |
//!
//! Very small α is safe: λ becomes exactly 0 or 1 with probability ½ each, never NaN.
//!
//! # Pairings
//!
//! [`Pairing`] tabulates them: `Roll(k)` (torchvision), `Flip` (timm), `Shuffle` (the paper,
//! mmpretrain, Keras) and `Derangement` (a shuffle in which no sample is its own partner). Fixed
//! pairings mix the same pairs whenever the batch order repeats; random ones cost a few draws.
//!
//! # Modes
//!
//! One λ per batch is the default ([`Mixup::apply`]). [`Granularity::Pair`] and
//! [`Granularity::Sample`] give a λ per pair (per cycle of the permutation) or per sample, and
//! [`Mixup::with_cutmix`] switches between mixup and CutMix per batch or per sample; these run
//! through [`Mixup::apply_per_sample`], which reports the operation and λ of every sample.
//!
//! # Reproducibility
//!
//! There is no global state: every random draw comes from the generator passed to the call, in
//! the order documented on [`Mixup::draw`] (the apply decision, then λ, then the partners). The
//! same generator state gives the same λ, partners and mixed bytes on every target (a golden
//! test pins them on x86-64, aarch64 and a Cortex-M4F). For a loader with several workers,
//! derive one stream per worker from one seed, e.g. with `Xoshiro256PlusPlus::jump()`;
//! `examples/loader.rs` does this and checks that two runs agree bit for bit.
//!
//! # Integer data
//!
//! `u8` and `u16` data are mixed in fixed point with round-to-nearest. The λ applied is then the
//! quantized one (a multiple of 1/256 for `u8`); [`Mixup::apply`] returns it and uses it for the
//! labels, so labels always describe the data exactly.
//!
//! # Guarantees
//!
//! * Every function checks all of its inputs first: bad input returns an [`Error`] that names the
//!   problem, and nothing is written. No public function panics.
//! * λ is in `[0, 1]` and never NaN for every α in `[5e-324, f64::MAX]`.
//! * Same seed, same bytes: transcendental math comes from `libm`, float kernels use no fused
//!   multiply-add, integer kernels are exact.
//!
//! # Features
//!
//! * `std` (default): `std`-only conveniences; the core never allocates either way. Build with
//!   `default-features = false` for microcontrollers.
//! * `half`: [`Element`] impls for `half::f16` and `half::bf16`, blended in f32 and stored back in
//!   the input type.
//!
//! # Kernels
//!
//! The blend loops are compiled for the baseline target (SSE2 on x86-64, NEON on aarch64) and,
//! on x86-64, again for AVX2 and AVX-512; with `std` the widest one the CPU runs is picked once
//! at run time, without `std` at compile time from the enabled target features. Every copy gives
//! the same bits. [`implementation`] says which one is in use.
#![no_std]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(any(test, feature = "std"))]
extern crate std;

mod arch;
mod batch;
mod collate;
mod cutmix;
mod detection;
mod error;
mod granularity;
mod kernels;
mod labels;
mod layout;
mod mixup;
mod pairing;
mod per_sample;
mod sampling;

pub use arch::{Implementation, implementation};
pub use batch::{mix_batch, mix_batch_inplace};
#[doc(hidden)]
pub use batch::{mix_batch_inplace_tiled_with, mix_batch_inplace_with, mix_batch_with};
pub use collate::{Normalize, collate_u8};
pub use cutmix::{CutMix, unpasted_fraction};
pub use detection::{
    DetectionBox, DetectionImage, DetectionMix, WeightedBox, canvas_len, canvas_size, mix_detection,
};
pub use error::Error;
pub use granularity::{Granularity, Scope};
pub use kernels::{Element, applied_lambda, blend, blend_inplace};
#[doc(hidden)]
pub use kernels::{blend_cached_with, blend_inplace_with, blend_with};
pub use labels::{ClassLabel, mix_one_hot, mix_soft};
pub use labels::{LabelTriple, label_triples, mix_one_hot_per_sample};
pub use layout::{ChannelOrder, ImageLayout, Rect};
pub use mixup::{Mixup, Outcome};
pub use pairing::{Pairing, check_permutation};
pub use per_sample::{
    SampleOp, mix_batch_per_sample, mix_batch_per_sample_inplace, mix_samples, mix_samples_inplace,
};
pub use sampling::Beta;

/// The README's code blocks, compiled and run as doc tests so that the quick start stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
