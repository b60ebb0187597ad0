//! Mixup data augmentation (Zhang et al., ["mixup: Beyond Empirical Risk
//! Minimization"](https://arxiv.org/abs/1710.09412), ICLR 2018) for `no_std`: no allocation, no
//! global state, the same bytes on every target.
//!
//! Mixup draws λ ~ Beta(α, α), pairs every sample `i` of a batch with a partner `j`, and trains
//! on `x̃ = λ·x_i + (1 − λ)·x_j` with labels `ỹ = λ·y_i + (1 − λ)·y_j`.
//!
//! # Guide
//!
//! Configure a [`Mixup`] once; per batch, wrap the data in a [`BatchMut`] (its elements and the
//! [`ImageLayout`] of one sample) and the labels in [`Labels`], and call [`Mixup::apply`] with
//! two caller-owned buffers: one [`Draw`] record per sample and the label rows.
//!
//! ```
//! use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup};
//! use rand_core::SeedableRng;
//!
//! let mixup = Mixup::new(0.2)?; // λ ~ Beta(0.2, 0.2), shuffled partners
//! let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
//!
//! // 8 images of 3×4×4 u8 values, 10 classes.
//! let mut images: Vec<u8> = (0..8 * 3 * 4 * 4).map(|k| (k % 251) as u8).collect();
//! let mut batch = BatchMut::new(&mut images, ImageLayout::nchw(3, 4, 4))?;
//! let labels = Labels::classes(&[0u32, 1, 2, 3, 4, 5, 6, 7], 10)?;
//! let (mut records, mut soft) = (vec![Draw::default(); 8], vec![0.0f32; 8 * 10]);
//!
//! let draws = mixup.apply(&mut rng, &mut batch, &labels, &mut records, &mut soft)?;
//! assert!(draws.iter().all(|d| (0.0..=1.0).contains(&d.lambda)));
//! # Ok::<(), mixup::Error>(())
//! ```
//!
//! Everything runs through one model: a permutation plus one [`SampleOp`] per sample (kept,
//! blended with λ, or a CutMix rectangle pasted). [`Mixup::draw`] writes that plan into the
//! records without touching data; [`mix_inplace`] and [`mix`] carry out a [`Plan`] (the
//! [`Draws`], or one op for a whole [`Permutation`]); labels, the collate and any other tensor of
//! the batch (a mask, a depth map) read the same draws.
//!
//! | step | items |
//! |---|---|
//! | draw λ | [`Beta`] |
//! | pair the batch | [`Pairing`], [`Permutation`] |
//! | mix two slices | [`blend`], [`blend_inplace`], [`applied_lambda`] |
//! | describe a batch | [`Batch`], [`BatchMut`], [`Shape`], [`ImageLayout`] |
//! | draw a batch's plan | [`Mixup::draw`], [`Draw`], [`Draws`], [`SampleOp`], [`Granularity`], [`Scope`], [`CutMix`] |
//! | mix a batch | [`mix_inplace`] (no copy of the batch), [`mix`] (out of place), [`Plan`] |
//! | labels | [`Labels`] (class indices with smoothing, or soft rows), [`Labels::mix`], [`Labels::triples`] |
//! | detection | [`DetectionImage`], [`mix_detection`], [`canvas_layout`] |
//! | `u8` loader batches | [`collate_u8`] (mix and normalize to `f32` CHW in one pass), [`Normalize`] |
//! | `i16` audio batches | [`collate_i16`] (mix and convert to `f32` in `[-1, 1]` in one pass, the exact mix with no rounding to `i16`) |
//! | choose kernels | [`Kernels`] (implementation, store policy, tile, prefetch, thread share), [`Implementation`], [`Stores`], [`Lookahead`] |
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
//! One λ per batch is the default. [`Granularity::Pair`] and [`Granularity::Sample`] give a λ
//! per pair (per cycle of the permutation) or per sample, and [`Mixup::with_cutmix`] switches
//! between mixup and CutMix per batch or per sample. Every mode goes through the same
//! [`Mixup::draw`] and [`Mixup::apply`], with the one draw order documented on
//! [`Mixup::draw`].
//!
//! # Reproducibility
//!
//! There is no global state: every random draw comes from the generator passed to the call, in
//! the documented order. The same generator state gives the same draws and mixed bytes on every
//! target (a golden test pins them on x86-64, aarch64 and a Cortex-M4F).
//!
//! For a loader with several workers, key the generator by the batch, not by the worker: with
//! the `streams` feature, [`Streams`] gives one `Xoshiro256PlusPlus` per `(seed, epoch, batch
//! index)`, so batch `b` of epoch `e` gets the same draws whichever worker mixes it, with any
//! number of workers and in any completion order. Different keys never start from the same state
//! (the construction is injective), and the starts are scattered over the generator's 2²⁵⁶ − 1
//! period so that overlapping streams are astronomically unlikely (the [`Streams`] docs give the
//! bound). `examples/loader.rs` runs a loader with 1, 2 and 4 workers and checks that they give
//! the same bytes.
//!
//! ```
//! # #[cfg(feature = "streams")] {
//! use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup, Streams};
//!
//! let (mixup, streams) = (Mixup::new(0.4)?, Streams::new(2024));
//! let labels = [0u32, 1, 2, 3, 4, 5, 6, 7];
//! // The batches of epoch 0, each mixed with its own stream, in whatever order they come.
//! let mut mixed = Vec::new();
//! for index in [2u64, 0, 1] {
//!     let mut data: Vec<u8> = (0..8 * 16).map(|k| (k * 3 + index as usize) as u8).collect();
//!     let mut batch = BatchMut::new(&mut data, ImageLayout::hw(4, 4))?;
//!     let (mut records, mut soft) = ([Draw::default(); 8], [0.0f32; 8 * 8]);
//!     let labels = Labels::classes(&labels, 8)?;
//!     let mut rng = streams.batch(0, index); // the key is the batch, not the worker
//!     mixup.apply(&mut rng, &mut batch, &labels, &mut records, &mut soft)?;
//!     mixed.push((index, data));
//! }
//! // Batch 1 mixed again on its own gives the same bytes.
//! let mut again: Vec<u8> = (0..8 * 16).map(|k| (k * 3 + 1) as u8).collect();
//! let mut batch = BatchMut::new(&mut again, ImageLayout::hw(4, 4))?;
//! let (mut records, mut soft) = ([Draw::default(); 8], [0.0f32; 8 * 8]);
//! let labels = Labels::classes(&labels, 8)?;
//! mixup.apply(&mut streams.batch(0, 1), &mut batch, &labels, &mut records, &mut soft)?;
//! assert_eq!(mixed[2], (1, again));
//! # }
//! # Ok::<(), mixup::Error>(())
//! ```
//!
//! # Integer data
//!
//! `u8`, `u16`, `i8` and `i16` data are mixed in fixed point with round-to-nearest. The λ
//! applied is then the quantized one (a multiple of 1/256 for 8-bit data, of 1/65536 for 16-bit
//! data); the draws record it and the labels use it, so labels always describe the data exactly.
//! Every result lies between its two inputs, so no saturation is ever needed.
//!
//! **Quantized tensors** (TFLite Micro, CMSIS-NN, Q15 audio): a value `q` stands for the real
//! number `r = s·(q − z)` with scale `s` and zero point `z`. When both samples share `s` and `z`,
//!
//! ```text
//! λ·r_a + (1 − λ)·r_b = s·(λ·q_a + (1 − λ)·q_b − z)        (the weights sum to 1, so z passes through)
//! ```
//!
//! so mixing the integers is the exact quantized mix, rounded once like any integer blend here.
//! When the scales or zero points differ, requantize one tensor to the other's first
//! (`q_b' = round(s_b·(q_b − z_b)/s_a) + z_a`, saturated) and then mix the integers.
//!
//! ```
//! use mixup::{blend, applied_lambda};
//! // int8 activations with one scale and zero point: mix the integers.
//! let (a, b) = ([-128i8, -20, 0, 127], [127i8, 100, -1, 127]);
//! let mut out = [0i8; 4];
//! let lambda = blend(&mut out, &a, &b, 0.25)?; // the λ applied: 64/256
//! assert_eq!(lambda, applied_lambda::<i8>(0.25)?);
//! assert_eq!(out, [63, 70, -1, 127]); // round(0.25·a + 0.75·b), halves up
//! # Ok::<(), mixup::Error>(())
//! ```
//!
//! # Guarantees
//!
//! * Every function checks all of its inputs first: bad input returns an [`Error`] that names the
//!   problem, and nothing is written (for [`Mixup`], the generator does not advance either). No
//!   public function panics, in debug or release builds.
//! * Every product of caller-supplied sizes is checked by one rule: a zero factor gives zero,
//!   otherwise the product must fit in `usize` ([`Error::SizeOverflow`]).
//! * λ is in `[0, 1]` and never NaN for every α in `[5e-324, f64::MAX]`; `-0.0` never comes out.
//! * Same seed, same bytes: transcendental math comes from `libm`, float kernels use no fused
//!   multiply-add, integer kernels are exact.
//!
//! # Features
//!
//! * `std` (default): runtime CPU detection for the kernels and `std::error::Error`; the core
//!   never allocates either way. Build with `default-features = false` for microcontrollers.
//! * `half`: [`Element`] impls for `half::f16` and `half::bf16`, blended in f32 and stored back in
//!   the input type.
//! * `streams`: [`Streams`], one `Xoshiro256PlusPlus` (from `rand_xoshiro`, re-exported) per
//!   `(seed, epoch, batch index)` for loaders with several workers; `no_std` like the rest.
//!
//! # Kernels
//!
//! The blend loops are compiled for the baseline target (SSE2 on x86-64, NEON on aarch64) and,
//! on x86-64, again for AVX2 and AVX-512; with `std` the widest one the CPU runs is picked once
//! at run time, without `std` at compile time from the enabled target features. Every copy gives
//! the same bits. [`Kernels::best`] says which one is in use; [`Kernels::new`] picks another.
#![no_std]
#![deny(missing_docs, unsafe_op_in_unsafe_fn)]
#![warn(clippy::undocumented_unsafe_blocks)]

#[cfg(any(test, feature = "std"))]
extern crate std;

// Layers, leaves first: `geometry` and `element` import nothing from the crate; `error` only
// `geometry`; `arch` only `element`; everything above depends downwards only (see
// docs/ARCHITECTURE.md).
mod arch;
mod batch;
mod collate;
mod cutmix;
mod detection;
mod element;
mod error;
mod geometry;
mod granularity;
mod kernels;
mod labels;
mod layout;
mod mixup;
mod permutation;
mod plan;
#[cfg(all(feature = "std", not(miri)))]
mod pool;
mod sampling;
#[cfg(feature = "streams")]
mod streams;

pub use arch::{Implementation, Lookahead, Stores};
#[cfg(feature = "std")]
pub use batch::mix_inplace_parallel;
pub use batch::{mix, mix_inplace};
pub use collate::{ChannelNorm, Normalize, collate_i16, collate_u8};
pub use cutmix::CutMix;
pub use detection::{
    DetectionBox, DetectionImage, DetectionMix, WeightedBox, canvas_layout, mix_detection,
};
pub use element::Element;
pub use error::Error;
pub use geometry::Rect;
pub use granularity::{Granularity, Scope};
pub use kernels::{Kernels, applied_lambda, blend, blend_inplace};
pub use labels::{ClassLabel, LabelTriple, Labels, SOFT_ROW_TOLERANCE};
pub use layout::{Batch, BatchMut, ChannelOrder, ImageLayout, Shape};
pub use mixup::Mixup;
pub use permutation::{Pairing, Permutation};
pub use plan::{Draw, Draws, Plan, SampleOp};
pub use sampling::Beta;
#[cfg(feature = "streams")]
pub use streams::{Streams, Xoshiro256PlusPlus};

/// The README's code blocks, compiled and run as doc tests so that the quick start stays true.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
