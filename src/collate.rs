//! The fused collates: `u8` images (HWC or CHW) → mixed and normalized `f32` CHW, and `i16`
//! audio (or any Q15 data) → mixed `f32` in `[-1, 1]`, each in one pass.
//!
//! A training loader decodes images to `u8`, mixes them, converts to `f32`, divides by 255 and
//! normalizes each channel. timm's `FastCollateMixup` mixes in `u8` and converts in a later
//! pass; here every output element is computed once from the two source bytes, so the batch is
//! read once and written once, and the mix is kept exact (no rounding of the mix to `u8`).
//! Audio loaders do the same with 16-bit PCM: [`collate_i16`] mixes and scales by 1/32768 in
//! one pass, without rounding the mix to `i16` in between.
//!
//! The exact formulas and their rounding are documented on [`collate_u8`] and [`collate_i16`].

use crate::arch::with_features;
use crate::error::{Error, check_len};
use crate::geometry::Rect;
use crate::kernels::{Kernels, applied_lambda};
use crate::layout::{Batch, ChannelOrder, Content, ImageLayout};
use crate::permutation::Cycles;
use crate::plan::{Plan, SampleOp};

/// The statistics of one channel for [`Normalize`], as fractions of 255: named fields, so that a
/// mean and a standard deviation cannot be swapped by position.
///
/// ```
/// let red = mixup::ChannelNorm { mean: 0.485, std: 0.229 };
/// assert_eq!(mixup::ChannelNorm::IMAGENET[0], red);
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ChannelNorm {
    /// The channel's mean, `mean_c`.
    pub mean: f32,
    /// The channel's standard deviation, `std_c`.
    pub std: f32,
}

impl ChannelNorm {
    /// The ImageNet statistics of the red, green and blue channels.
    pub const IMAGENET: [ChannelNorm; 3] = [
        ChannelNorm {
            mean: 0.485,
            std: 0.229,
        },
        ChannelNorm {
            mean: 0.456,
            std: 0.224,
        },
        ChannelNorm {
            mean: 0.406,
            std: 0.225,
        },
    ];
}

/// Per-channel normalization `(x/255 − mean_c)/std_c`, validated: every mean finite, every
/// standard deviation finite and above zero, and no channel whose constants overflow `f32` (a
/// standard deviation so small that `1/std` or `mean/std` is beyond `f32::MAX`, which would turn
/// finite pixels into infinities or NaN): every normalized value of every byte is then finite.
///
/// ```
/// use mixup::{ChannelNorm, Error, Normalize};
/// let norm = Normalize::new(&ChannelNorm::IMAGENET)?;
/// assert_eq!(norm.channels(), 3);
/// assert!(Normalize::new(&[ChannelNorm { mean: 0.5, std: 0.0 }]).is_err());
/// assert_eq!(
///     Normalize::new(&[ChannelNorm { mean: 0.0, std: 1e-45 }]).err(),
///     Some(Error::NormalizationOverflow { channel: 0 }) // 1/std overflows f32
/// );
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Normalize<'a> {
    channels: &'a [ChannelNorm],
}

impl<'a> Normalize<'a> {
    /// Checks and wraps one [`ChannelNorm`] per channel.
    ///
    /// ```
    /// use mixup::{ChannelNorm, Error, Normalize};
    /// let ok = [ChannelNorm { mean: 0.5, std: 0.25 }; 2];
    /// assert!(Normalize::new(&ok).is_ok());
    /// let bad = [ok[0], ChannelNorm { mean: 0.5, std: -1.0 }];
    /// assert!(matches!(Normalize::new(&bad), Err(Error::InvalidNormalization { channel: 1, .. })));
    /// ```
    pub fn new(channels: &'a [ChannelNorm]) -> Result<Normalize<'a>, Error> {
        for (channel, c) in channels.iter().enumerate() {
            if !(c.mean.is_finite() && c.std.is_finite() && c.std > 0.0) {
                return Err(Error::InvalidNormalization {
                    channel,
                    mean: c.mean,
                    std: c.std,
                });
            }
        }
        let norm = Normalize { channels };
        for channel in 0..channels.len() {
            // The largest |y| any byte can give is at m = 0 or m = 65280, |m·scale + shift| ≤
            // 65280·scale + |shift|; with both constants finite and that bound below f32::MAX
            // (with room for the two roundings), no output can overflow.
            let (scale, shift) = norm.constants(channel).unwrap_or((f32::INFINITY, 0.0));
            let bound = 65280.0 * f64::from(scale) + f64::from(shift).abs();
            if !(scale.is_finite() && shift.is_finite() && bound < 0.99 * f64::from(f32::MAX)) {
                return Err(Error::NormalizationOverflow { channel });
            }
        }
        Ok(norm)
    }

    /// The number of channels.
    ///
    /// ```
    /// let one = [mixup::ChannelNorm { mean: 0.5, std: 0.25 }];
    /// assert_eq!(mixup::Normalize::new(&one)?.channels(), 1);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn channels(&self) -> usize {
        self.channels.len()
    }

    /// The constants `(scale_c, shift_c)` of channel `c` (see [`collate_u8`]): `scale_c` is
    /// `1/(255·256·std_c)` and `shift_c` is `−mean_c/std_c`, each computed in `f64` and rounded
    /// once to `f32`; `None` past the last channel.
    ///
    /// ```
    /// let half = [mixup::ChannelNorm { mean: 0.5, std: 0.5 }];
    /// let (scale, shift) = mixup::Normalize::new(&half)?.constants(0).unwrap();
    /// assert_eq!((256.0 * 255.0) * scale + shift, 1.0); // a white pixel: (1 − 0.5)/0.5
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn constants(&self, c: usize) -> Option<(f32, f32)> {
        let ch = self.channels.get(c)?;
        let (m, s) = (f64::from(ch.mean), f64::from(ch.std));
        Some(((1.0 / (65280.0 * s)) as f32, (-m / s) as f32))
    }
}

/// What a run of output elements is computed from: the fixed-point weights `(w, 256 − w)` of
/// the sample's and the partner's bytes.
#[derive(Clone, Copy)]
struct Source(u16, u16);

const OWN: Source = Source(256, 0);
const PARTNER: Source = Source(0, 256);

/// `w·a + (256 − w)·b` as `f32`: at most 256·255 = 65280, an exact integer in `f32`.
#[inline(always)]
fn mix(Source(wa, wb): Source, a: u8, b: u8) -> f32 {
    (wa * a as u16 + wb * b as u16) as f32
}

/// How one output channel reads its input: the pixel stride (1 for CHW, C for HWC), the channel
/// read within a pixel, and the channel's normalization constants.
#[derive(Clone, Copy)]
struct Channel {
    stride: usize,
    channel: usize,
    scale: f32,
    shift: f32,
}

/// Writes one run of output elements from the matching runs of the two samples. With
/// `stride = 1` the inputs are contiguous; otherwise they are HWC pixels and `channel` is read.
#[inline(always)]
fn run(out: &mut [f32], (a, b): (&[u8], &[u8]), src: Source, k: Channel) {
    if k.stride == 1 {
        for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
            *o = mix(src, x, y) * k.scale + k.shift;
        }
    } else {
        for ((o, p), q) in out
            .iter_mut()
            .zip(a.chunks_exact(k.stride))
            .zip(b.chunks_exact(k.stride))
        {
            *o = mix(src, p[k.channel], q[k.channel]) * k.scale + k.shift;
        }
    }
}

/// The fixed-point weight `w` of a checked λ: exactly the `u8` kernels' quantization, so that
/// `w/256` is [`applied_lambda::<u8>`](crate::applied_lambda).
fn weight(lambda: f64) -> u16 {
    // applied_lambda::<u8> is a multiple of 1/256 in [0, 1]: the product is an exact integer.
    (applied_lambda::<u8>(lambda).unwrap_or(1.0) * 256.0) as u16
}

/// Calls `f(x1, x2, source)` for the runs of row `y` (of width `w`) that `op` computes alike.
#[inline(always)]
fn segments(op: &SampleOp, y: usize, w: usize, mut f: impl FnMut(usize, usize, Source)) {
    match *op {
        SampleOp::Keep => f(0, w, OWN),
        SampleOp::Blend(lambda) => {
            let wa = weight(lambda);
            f(0, w, Source(wa, 256 - wa));
        }
        SampleOp::Paste(Rect { x1, y1, x2, y2 }) if (y1..y2).contains(&y) => {
            f(0, x1, OWN);
            f(x1, x2, PARTNER);
            f(x2, w, OWN);
        }
        _ => f(0, w, OWN),
    }
}

/// One HWC RGB sample of `h` rows of `w` pixels: each input row is read once and its three
/// channels are written to the three output planes in the same pass (the per-channel path
/// reads it three times).
#[inline(always)]
fn rgb_sample(
    out: &mut [f32],
    (a, b): (&[u8], &[u8]),
    (h, w): (usize, usize),
    op: &SampleOp,
    norm: &Normalize<'_>,
) {
    let k: [(f32, f32); 3] = core::array::from_fn(|c| norm.constants(c).unwrap_or((1.0, 0.0)));
    let mut planes = out.chunks_exact_mut(h * w);
    let mut planes: [&mut [f32]; 3] = core::array::from_fn(|_| planes.next().unwrap_or_default());
    for y in 0..h {
        let (ra, rb) = (&a[y * w * 3..][..w * 3], &b[y * w * 3..][..w * 3]);
        segments(op, y, w, |x1, x2, s| {
            let rows = planes.each_mut().map(|p| &mut p[y * w + x1..y * w + x2]);
            rgb_run(rows, &ra[x1 * 3..x2 * 3], &rb[x1 * 3..x2 * 3], s, k);
        });
    }
}

/// RGB pixels per block of [`rgb_run`]: the block's 24 values are mixed in one contiguous
/// (vectorizable) loop, then split into the three planes by fixed shuffles.
const BLOCK: usize = 8;

/// One run of RGB pixels into three output rows.
#[inline(always)]
fn rgb_run(rows: [&mut [f32]; 3], a: &[u8], b: &[u8], s: Source, k: [(f32, f32); 3]) {
    let [r0, r1, r2] = rows;
    let (ba, ta) = a.as_chunks::<{ 3 * BLOCK }>();
    let (bb, tb) = b.as_chunks::<{ 3 * BLOCK }>();
    let full = ba.len() * BLOCK;
    let (h0, t0) = r0.split_at_mut(full.min(r0.len()));
    let (h1, t1) = r1.split_at_mut(full.min(r1.len()));
    let (h2, t2) = r2.split_at_mut(full.min(r2.len()));
    let outs = h0
        .as_chunks_mut::<BLOCK>()
        .0
        .iter_mut()
        .zip(h1.as_chunks_mut::<BLOCK>().0)
        .zip(h2.as_chunks_mut::<BLOCK>().0);
    for (((o0, o1), o2), (p, q)) in outs.zip(ba.iter().zip(bb)) {
        let mut m = [0.0f32; 3 * BLOCK];
        for ((v, &x), &y) in m.iter_mut().zip(p).zip(q) {
            *v = mix(s, x, y);
        }
        for j in 0..BLOCK {
            o0[j] = m[3 * j] * k[0].0 + k[0].1;
            o1[j] = m[3 * j + 1] * k[1].0 + k[1].1;
            o2[j] = m[3 * j + 2] * k[2].0 + k[2].1;
        }
    }
    let outs = t0.iter_mut().zip(t1.iter_mut()).zip(t2.iter_mut());
    let tails = ta.as_chunks::<3>().0.iter().zip(tb.as_chunks::<3>().0);
    for (((o0, o1), o2), (p, q)) in outs.zip(tails) {
        *o0 = mix(s, p[0], q[0]) * k[0].0 + k[0].1;
        *o1 = mix(s, p[1], q[1]) * k[1].0 + k[1].1;
        *o2 = mix(s, p[2], q[2]) * k[2].0 + k[2].1;
    }
}

/// Fused collate: mixes a batch of `u8` images and normalizes it into `f32` CHW, in one pass.
///
/// * `out`: `B × C × H × W` `f32`, written in CHW order whatever the input order.
/// * `src`: the `u8` batch (CHW or HWC, as its layout says).
/// * `plan`: the partners and one [`SampleOp`] per sample, usually the [`Draws`](crate::Draws)
///   of [`Mixup::draw`](crate::Mixup::draw) for `src.shape()`, whose records then hold the λ
///   of every sample for the labels; every sample reads the original bytes of its partner.
/// * `norm`: one mean and standard deviation per channel.
///
/// Every input is checked first, with the checks of [`mix`](crate::mix) (lengths, every op
/// against the layout, no blend of a [class-index](Batch::class_indices) batch); on any bad
/// input the call returns an `Err` and writes nothing.
///
/// # The exact formula
///
/// The mix is computed exactly in integers, then normalized with one multiplication and one
/// addition in `f32`:
///
/// * a blended sample's λ is quantized exactly as the `u8` kernels quantize it: `w/256` is
///   [`applied_lambda::<u8>`](crate::applied_lambda)`(λ)` (`w = round(λ·256)`), which is the λ
///   that draws made for a `u8` shape record;
/// * each element is `m = w·a + (256 − w)·b`, an exact integer of at most 65280 (so exact in
///   `f32`), where `a` and `b` are the sample's and the partner's bytes; a kept sample or a pixel
///   outside a CutMix rectangle has `m = 256·a`, a pixel inside it `m = 256·b`;
/// * `y = m·scale_c + shift_c` in `f32`, two roundings to nearest-even and no fused
///   multiply-add (Rust never contracts `a * b + c`), with the constants of
///   [`Normalize::constants`]: `scale_c = 1/(255·256·std_c)` and `shift_c = −mean_c/std_c`,
///   each computed in `f64` and rounded once to `f32`.
///
/// Mathematically `m/256` is the exact blend of the two bytes with the reported λ, so `y` is
/// `(m/(256·255) − mean_c)/std_c` up to the four roundings above: a few `f32` ulp of the larger
/// of `|y|` and `|shift_c|`, where mixing first in `u8` (timm) is off by up to half a grey level.
/// Only integer and IEEE-754 single-precision operations are involved, so the output is
/// bit-identical on every target.
///
/// # Example
///
/// A loader's whole step: draw for the decoded `u8` batch, collate, then the labels from the λ
/// the draws record.
///
/// ```
/// use mixup::{Batch, ChannelNorm, CutMix, Draw, Granularity, ImageLayout, Labels, Mixup, Normalize, collate_u8};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(9);
/// let mixup = Mixup::new(0.8)?.with_cutmix(CutMix::new(1.0)?, 0.5)?.with_granularity(Granularity::Sample);
/// let (b, classes) = (4, 10);
/// let decoded: Vec<u8> = (0..b * 3 * 8 * 8).map(|k| (k % 256) as u8).collect();
/// let src = Batch::new(&decoded, ImageLayout::nhwc(3, 8, 8))?; // decoded images
/// let labels = Labels::classes(&[3u16, 1, 4, 1], classes)?.with_smoothing(0.1)?;
///
/// let mut records = [Draw::default(); 4];
/// let draws = mixup.draw(&mut rng, src.shape(), &mut records)?;
/// let mut input = vec![0.0f32; b * 3 * 8 * 8]; // f32 CHW, ready for the model
/// let norm = Normalize::new(&ChannelNorm::IMAGENET)?;
/// collate_u8(&mut input, &src, &draws, &norm)?;
/// let mut targets = vec![0.0f32; b * classes];
/// labels.mix(&draws, &mut targets)?;
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn collate_u8<'p>(
    out: &mut [f32],
    src: &Batch<'_, u8>,
    plan: impl Into<Plan<'p>>,
    norm: &Normalize<'_>,
) -> Result<(), Error> {
    Kernels::best().collate_u8(out, src, plan, norm)
}

impl Kernels {
    /// [`collate_u8`] compiled for this handle's implementation (the stores and the tile do not
    /// apply): every implementation writes the same bits.
    pub fn collate_u8<'p>(
        &self,
        out: &mut [f32],
        src: &Batch<'_, u8>,
        plan: impl Into<Plan<'p>>,
        norm: &Normalize<'_>,
    ) -> Result<(), Error> {
        let plan = plan.into();
        let layout = src.layout();
        let sample_len = src.sample_len();
        let data = src.as_slice();
        check_len("out", data.len(), out.len())?;
        check_len("plan", src.len(), plan.len())?;
        check_len("mean", layout.channels, norm.channels())?;
        plan.check::<u8>(&layout, src.content() == Content::ClassIndices)?;

        // The closure is inlined into the `#[target_feature]` trampoline, and with it the loops.
        with_features(
            self.checked(),
            #[inline(always)]
            || collate_samples(out, (data, sample_len), &plan, &layout, norm),
        );
        Ok(())
    }
}

/// The collate loop over checked inputs.
#[inline(always)]
fn collate_samples(
    out: &mut [f32],
    (data, sample_len): (&[u8], usize),
    plan: &Plan<'_>,
    layout: &ImageLayout,
    norm: &Normalize<'_>,
) {
    let (c_count, h, w) = (layout.channels, layout.height, layout.width);
    // Input runs: one image row of one channel (CHW) or of all channels (HWC).
    for (i, out_sample) in out.chunks_exact_mut(sample_len).enumerate() {
        let a_sample = &data[i * sample_len..][..sample_len];
        let b_sample = &data[plan.partner(i) * sample_len..][..sample_len];
        let op = match plan.op(i) {
            _ if plan.partner(i) == i => SampleOp::Keep,
            op => op,
        };
        // Rows follow each other in the input (per plane or pixel after pixel) and in the output
        // planes, so a sample that treats every row alike is processed as one long row.
        let (h, w) = match op {
            SampleOp::Paste(r) if !r.is_empty() => (h, w),
            _ => (1, h * w),
        };
        if layout.order == ChannelOrder::Hwc && c_count == 3 {
            rgb_sample(out_sample, (a_sample, b_sample), (h, w), &op, norm);
            continue;
        }
        let (stride, in_row) = match layout.order {
            ChannelOrder::Chw => (1, w),
            _ => (c_count, w * c_count),
        };
        for (c, plane) in out_sample.chunks_exact_mut(h * w).enumerate() {
            let (scale, shift) = norm.constants(c).unwrap_or((1.0, 0.0));
            for (y, out_row) in plane.chunks_exact_mut(w).enumerate() {
                let (start, channel) = match layout.order {
                    ChannelOrder::Chw => ((c * h + y) * w, 0),
                    _ => (y * in_row, c),
                };
                let k = Channel {
                    stride,
                    channel,
                    scale,
                    shift,
                };
                let a = &a_sample[start..][..in_row];
                let b = &b_sample[start..][..in_row];
                segments(&op, y, w, |x1, x2, s| {
                    let (p, q) = (&a[x1 * stride..x2 * stride], &b[x1 * stride..x2 * stride]);
                    run(&mut out_row[x1..x2], (p, q), s, k);
                });
            }
        }
    }
}

/// `2⁻³¹`: one unit of the `i16` collate's integer mix `w·a + (65536 − w)·b` in the output.
const I16_UNIT: f32 = 1.0 / 2_147_483_648.0;

/// `2⁻¹⁵`: one `i16` step in the output, `1/32768`.
const I16_STEP: f32 = 1.0 / 32_768.0;

/// Fused collate for 16-bit audio (or any `i16` data): mixes a batch and converts it to `f32`,
/// `x/32768` (so `i16::MIN` is exactly −1), in one pass.
///
/// * `out`: as many `f32` as `src` has elements, written in `src`'s own order (element `k` of
///   `out` comes from element `k` of the samples), so a flat clip stays a flat clip and a
///   spectrogram stays in its layout.
/// * `src`: the `i16` batch, for example 16-bit PCM clips as [`ImageLayout::flat`]`(len)`.
/// * `plan`: the partners and one [`SampleOp`] per sample, usually the [`Draws`](crate::Draws)
///   of [`Mixup::draw`](crate::Mixup::draw) for `src.shape()`, whose records then hold the λ
///   of every sample for the labels; every sample reads the original values of its partner.
///
/// Every input is checked first, with the checks of [`collate_u8`] and [`mix`](crate::mix)
/// (lengths, every op against the layout, no blend of a [class-index](Batch::class_indices)
/// batch); on any bad input the call returns an `Err` and writes nothing.
///
/// # The exact formula
///
/// * A blended sample's λ is quantized exactly as the `i16` kernels quantize it:
///   `w = round(λ·65536)`, so `w/65536` is [`applied_lambda::<i16>`](crate::applied_lambda)`(λ)`,
///   the λ the draws record for an `i16` shape. Each element is the **exact** mix with that λ,
///   `(w·a + (65536 − w)·b) / 2³¹`, rounded once to `f32` (to nearest, ties to even), where `a`
///   and `b` are the sample's and the partner's values: there is no rounding to `i16` in
///   between, unlike [`mix`](crate::mix) followed by a conversion, which is off by up to half an
///   `i16` step (1/65536) before its conversion.
/// * A kept sample (or one paired with itself), and an element outside a CutMix rectangle, is
///   `a/32768`; an element inside the rectangle is `b/32768`. Both are exact in `f32`.
///
/// How it is computed: `w·a + (65536 − w)·b` is an integer of magnitude at most 2³¹, exact in
/// `i32` (it is `i32::MIN` only for `a = b = −32768`); it is converted to `f32` once, and the
/// multiplication by 2⁻³¹ that follows is exact (a power of two, far from the subnormals). That
/// is bit for bit what computing the quotient in `f64`, where it is exact, and rounding it once
/// to `f32` gives. Only integer operations and one IEEE-754 conversion are involved, so the
/// output is bit-identical on every target and with every [`Implementation`](crate::Implementation).
///
/// # Example
///
/// Two clips of a 16 kHz batch mixed for a model that takes `f32` audio, with the labels from
/// the λ the draws record:
///
/// ```
/// use mixup::{Batch, Draw, ImageLayout, Labels, Mixup, Pairing, collate_i16};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
/// let len = 1600; // 100 ms at 16 kHz
/// let tone: Vec<i16> = (0..len).map(|t| ((t as f64 * 0.17).sin() * 12000.0) as i16).collect();
/// let clicks: Vec<i16> = (0..len).map(|t| if t % 400 == 0 { -30000 } else { 0 }).collect();
/// let clips = [tone, clicks].concat();
/// let src = Batch::new(&clips, ImageLayout::flat(len))?;
///
/// let mut records = [Draw::default(); 2];
/// let mixup = Mixup::new(1.0)?.with_pairing(Pairing::Flip); // partners 1 and 0
/// let draws = mixup.draw(&mut rng, src.shape(), &mut records)?;
/// let mut input = vec![0.0f32; clips.len()]; // f32 in [-1, 1], ready for the model
/// collate_i16(&mut input, &src, &draws)?;
///
/// // Sample 0 is λ·tone + (1 − λ)·clicks with the quantized λ the draws record, exactly.
/// let d = draws.get(0).unwrap();
/// let w = (d.lambda * 65536.0) as i64; // an exact integer
/// let j = d.partner * len;
/// let exact = (w * i64::from(clips[0]) + (65536 - w) * i64::from(clips[j])) as f64 / 2f64.powi(31);
/// assert_eq!(input[0], exact as f32);
///
/// let rows = [1.0f32, 0.0, 0.0, 1.0]; // classes: tone, clicks
/// let mut targets = [0.0f32; 4];
/// Labels::soft(&rows, 2)?.mix(&draws, &mut targets)?;
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn collate_i16<'p>(
    out: &mut [f32],
    src: &Batch<'_, i16>,
    plan: impl Into<Plan<'p>>,
) -> Result<(), Error> {
    Kernels::best().collate_i16(out, src, plan)
}

impl Kernels {
    /// [`collate_i16`] compiled for this handle's implementation (the stores and the tile do not
    /// apply): every implementation writes the same bits.
    pub fn collate_i16<'p>(
        &self,
        out: &mut [f32],
        src: &Batch<'_, i16>,
        plan: impl Into<Plan<'p>>,
    ) -> Result<(), Error> {
        let plan = plan.into();
        let layout = src.layout();
        let sample_len = src.sample_len();
        let data = src.as_slice();
        check_len("out", data.len(), out.len())?;
        check_len("plan", src.len(), plan.len())?;
        plan.check::<i16>(&layout, src.content() == Content::ClassIndices)?;

        // The closure is inlined into the `#[target_feature]` trampoline, and with it the loops.
        with_features(
            self.checked(),
            #[inline(always)]
            || collate_i16_samples(out, (data, sample_len), &plan, &layout),
        );
        Ok(())
    }
}

/// The fixed-point weight `w` of a checked λ for `i16` data: `w/65536` is
/// [`applied_lambda::<i16>`](crate::applied_lambda), as the kernels apply it.
fn weight_i16(lambda: f64) -> i32 {
    // A multiple of 1/65536 in [0, 1]: the product is an exact integer in [0, 65536].
    (applied_lambda::<i16>(lambda).unwrap_or(1.0) * 65536.0) as i32
}

/// `out[k] = x[k]/32768`, exact.
#[inline(always)]
fn scale_i16(out: &mut [f32], x: &[i16]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = f32::from(v) * I16_STEP;
    }
}

/// `out[k] = (w·a[k] + (65536 − w)·b[k]) / 2³¹`, rounded once (see [`collate_i16`]).
#[inline(always)]
fn blend_i16(out: &mut [f32], a: &[i16], b: &[i16], w: i32) {
    let v = 65536 - w;
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        // |w·x + v·y| ≤ 65536·32768 = 2³¹ with the one extreme −2³¹, so nothing wraps; the
        // wrapping operations keep builds with overflow checks vectorizing the same loop.
        let m = w
            .wrapping_mul(i32::from(x))
            .wrapping_add(v.wrapping_mul(i32::from(y)));
        *o = m as f32 * I16_UNIT;
    }
}

/// The `i16` collate loop over checked inputs.
#[inline(always)]
fn collate_i16_samples(
    out: &mut [f32],
    (data, n): (&[i16], usize),
    plan: &Plan<'_>,
    layout: &ImageLayout,
) {
    for (i, o) in out.chunks_exact_mut(n).enumerate() {
        let a = &data[i * n..][..n];
        let j = plan.partner(i);
        let b = &data[j * n..][..n];
        match plan.op(i) {
            _ if i == j => scale_i16(o, a),
            SampleOp::Blend(lambda) => match weight_i16(lambda) {
                65536 => scale_i16(o, a),
                0 => scale_i16(o, b),
                w => blend_i16(o, a, b, w),
            },
            SampleOp::Paste(rect) => {
                // The runs come in increasing order: each element is written once, from the
                // sample between runs and from the partner inside them.
                let mut at = 0;
                layout.for_each_run(&rect, 0, n, |s, e| {
                    scale_i16(&mut o[at..s], &a[at..s]);
                    scale_i16(&mut o[s..e], &b[s..e]);
                    at = e;
                });
                scale_i16(&mut o[at..], &a[at..]);
            }
            _ => scale_i16(o, a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layout::{BatchMut, ImageLayout};
    use crate::plan::{Draw, Draws};
    use std::{vec, vec::Vec};

    /// The documented formula for the exact integer mix `m`, one element at a time.
    fn reference(m: u32, c: usize, norm: &Normalize<'_>) -> f32 {
        let (scale, shift) = norm.constants(c).unwrap();
        m as f32 * scale + shift
    }

    #[test]
    fn matches_the_documented_formula_in_both_orders() {
        // 21 pixels a row: two full blocks of the RGB path and a tail.
        let (c, h, w) = (3usize, 5usize, 21usize);
        let norm = Normalize::new(&ChannelNorm::IMAGENET).unwrap();
        let chw: Vec<u8> = (0..3 * c * h * w).map(|k| (k * 37 % 256) as u8).collect();
        // The same images in HWC order.
        let mut hwc = vec![0u8; chw.len()];
        for s in 0..3 {
            for ch in 0..c {
                for p in 0..h * w {
                    hwc[s * c * h * w + p * c + ch] = chw[s * c * h * w + ch * h * w + p];
                }
            }
        }
        let partners = [2, 0, 1];
        let rect = Rect {
            x1: 2,
            y1: 1,
            x2: 19,
            y2: 4,
        };
        let ops = [SampleOp::Blend(0.3), SampleOp::Paste(rect), SampleOp::Keep];
        let mut expect = vec![0.0f32; chw.len()];
        for s in 0..3 {
            let j = partners[s];
            for ch in 0..c {
                for y in 0..h {
                    for x in 0..w {
                        let k = ch * h * w + y * w + x;
                        let (a, b) = (chw[s * c * h * w + k] as u32, chw[j * c * h * w + k] as u32);
                        let v = match ops[s] {
                            // round(0.3·256) = 77.
                            SampleOp::Blend(_) => 77 * a + 179 * b,
                            SampleOp::Paste(r)
                                if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) =>
                            {
                                256 * b
                            }
                            _ => 256 * a,
                        };
                        expect[s * c * h * w + k] = reference(v, ch, &norm);
                    }
                }
            }
        }
        let records = |ops: &[SampleOp]| -> Vec<Draw> {
            (0..3)
                .map(|i| Draw {
                    partner: partners[i],
                    op: ops[i],
                    lambda: 0.0,
                })
                .collect()
        };
        for (layout, data) in [
            (ImageLayout::nchw(c, h, w), &chw),
            (ImageLayout::nhwc(c, h, w), &hwc),
        ] {
            let src = Batch::new(data, layout).unwrap();
            let mut r = records(&ops);
            let draws = Draws::new(&mut r, src.shape()).unwrap();
            // Every compiled copy, not only the one this CPU picks.
            for imp in crate::Implementation::available() {
                let mut out = vec![0.0f32; chw.len()];
                let kernels = Kernels::new(imp).unwrap();
                kernels.collate_u8(&mut out, &src, &draws, &norm).unwrap();
                assert_eq!(
                    out.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    expect.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                    "{layout:?} {imp}"
                );
            }
            let lambdas: Vec<f64> = draws.iter().map(|d| d.lambda).collect();
            assert_eq!(lambdas, [77.0 / 256.0, (105.0 - 51.0) / 105.0, 1.0]);
        }
        // CutMix and kept samples agree with mixing in u8 first: no rounding is involved.
        let mut mixed = chw.clone();
        let layout = ImageLayout::nchw(c, h, w);
        let mut batch = BatchMut::new(&mut mixed, layout).unwrap();
        let mut r = records(&ops);
        let draws = Draws::new(&mut r, batch.shape()).unwrap();
        crate::mix_inplace(&mut batch, &draws).unwrap();
        for k in c * h * w..chw.len() {
            let ch = (k / (h * w)) % c;
            assert_eq!(expect[k], reference(256 * mixed[k] as u32, ch, &norm));
        }
    }

    #[test]
    fn bad_input_writes_nothing() {
        let norm = Normalize::new(&[ChannelNorm {
            mean: 0.5,
            std: 0.5,
        }])
        .unwrap();
        let data = [0u8; 8];
        let layout = ImageLayout::hw(2, 2);
        let src = Batch::new(&data, layout).unwrap();
        let mut out = [9.0f32; 8];
        let bad_rect = SampleOp::Paste(Rect {
            x1: 0,
            y1: 0,
            x2: 3,
            y2: 1,
        });
        let mut partners = [1, 0];
        let perm = crate::Permutation::new(&mut partners).unwrap();
        assert!(collate_u8(&mut out, &src, Plan::same(&perm, bad_rect), &norm).is_err());
        let rgb = Normalize::new(
            &[ChannelNorm {
                mean: 0.5,
                std: 0.5,
            }; 3],
        )
        .unwrap();
        assert!(collate_u8(&mut out, &src, Plan::same(&perm, SampleOp::Keep), &rgb).is_err());
        assert!(
            collate_u8(
                &mut out[1..],
                &src,
                Plan::same(&perm, SampleOp::Keep),
                &norm
            )
            .is_err()
        );
        assert_eq!(out, [9.0; 8]);
    }

    #[test]
    fn imagenet_statistics_are_valid() {
        assert_eq!(
            Normalize::new(&ChannelNorm::IMAGENET).unwrap().channels(),
            3
        );
    }

    #[test]
    fn constants_that_overflow_are_refused() {
        let c = |mean, std| ChannelNorm { mean, std };
        assert_eq!(
            Normalize::new(&[c(0.0, 1e-45)]).err(),
            Some(Error::NormalizationOverflow { channel: 0 })
        );
        assert_eq!(
            Normalize::new(&[c(0.5, 0.5), c(0.5, 1e-39)]).err(),
            Some(Error::NormalizationOverflow { channel: 1 })
        );
        // Small but safe: every output finite.
        let safe = [c(0.5, 1e-30)];
        let norm = Normalize::new(&safe).unwrap();
        let (scale, shift) = norm.constants(0).unwrap();
        for m in [0.0f32, 32768.0, 65280.0] {
            assert!((m * scale + shift).is_finite());
        }
    }

    /// The documented `i16` formulas, one element at a time, in `f64` (where they are exact)
    /// rounded once to `f32`.
    fn reference_i16(op: &SampleOp, (y, x): (usize, usize), a: i16, b: i16) -> f32 {
        let (a, b) = (f64::from(a), f64::from(b));
        match *op {
            SampleOp::Blend(lambda) => {
                let w = libm::round(lambda * 65536.0);
                ((w * a + (65536.0 - w) * b) / 2_147_483_648.0) as f32
            }
            SampleOp::Paste(r) if (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x) => {
                (b / 32768.0) as f32
            }
            _ => (a / 32768.0) as f32,
        }
    }

    /// Values at the ends of the `i16` range and a spread in between.
    fn i16_data(len: usize, salt: u32) -> Vec<i16> {
        const EDGES: [i16; 8] = [i16::MIN, i16::MIN + 1, -1, 0, 1, 2, i16::MAX - 1, i16::MAX];
        (0..len as u32)
            .map(|k| match k % 11 {
                0..=7 if k % 3 == salt % 3 => EDGES[(k % 8) as usize],
                _ => (k.wrapping_mul(40503).wrapping_add(salt.wrapping_mul(7919)) >> 3) as i16,
            })
            .collect()
    }

    /// Runs `collate_i16` with every available implementation and checks every element against
    /// [`reference_i16`], bit for bit.
    fn check_i16(layout: ImageLayout, data: &[i16], partners: &[usize], ops: &[SampleOp]) {
        let src = Batch::new(data, layout).unwrap();
        let n = src.sample_len();
        let (c, h, w) = (layout.channels, layout.height, layout.width);
        let mut expect = vec![0.0f32; data.len()];
        for s in 0..src.len() {
            let j = partners[s];
            let op = if j == s { SampleOp::Keep } else { ops[s] };
            for k in 0..n {
                // (row, column) of element k in either channel order.
                let (y, x) = match layout.order {
                    ChannelOrder::Chw => ((k / w) % h, k % w),
                    _ => (k / (w * c), (k / c) % w),
                };
                expect[s * n + k] = reference_i16(&op, (y, x), data[s * n + k], data[j * n + k]);
            }
        }
        let mut records: Vec<Draw> = (0..src.len())
            .map(|i| Draw {
                partner: partners[i],
                op: ops[i],
                lambda: 0.0,
            })
            .collect();
        let draws = Draws::new(&mut records, src.shape()).unwrap();
        let bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        for imp in crate::Implementation::available() {
            let mut out = vec![f32::NAN; data.len()];
            let kernels = Kernels::new(imp).unwrap();
            kernels.collate_i16(&mut out, &src, &draws).unwrap();
            assert_eq!(bits(&out), bits(&expect), "{layout:?} {imp}");
        }
        let mut out = vec![f32::NAN; data.len()];
        collate_i16(&mut out, &src, &draws).unwrap();
        assert_eq!(bits(&out), bits(&expect), "{layout:?} best");
    }

    #[test]
    fn i16_matches_the_documented_formula_for_every_op() {
        // Flat clips of an odd length (vector bodies and tails), every kind of op, λ at and near
        // the ends, ties of the quantization, a sample paired with itself.
        let len = 1003;
        let ops = [
            SampleOp::Blend(0.3),
            SampleOp::Blend(1.0),
            SampleOp::Blend(0.0),
            SampleOp::Blend(0.5 / 65536.0), // a tie: rounds to w = 1
            SampleOp::Blend(1.0 - 1e-9),    // rounds to w = 65536, kept
            SampleOp::Paste(Rect {
                x1: 17,
                y1: 0,
                x2: 650,
                y2: 1,
            }),
            SampleOp::Keep,
            SampleOp::Blend(0.75),
            SampleOp::Paste(Rect {
                x1: 0,
                y1: 0,
                x2: 0,
                y2: 1,
            }),
        ];
        let partners = [3, 0, 1, 2, 5, 6, 4, 7, 8];
        let data = i16_data(ops.len() * len, 1);
        check_i16(ImageLayout::flat(len), &data, &partners, &ops);

        // Spectrogram-like samples: the rectangle is a time × frequency patch, in both orders
        // and with several channels.
        let rect = Rect {
            x1: 2,
            y1: 1,
            x2: 19,
            y2: 4,
        };
        let ops = [SampleOp::Blend(0.61), SampleOp::Paste(rect), SampleOp::Keep];
        for layout in [
            ImageLayout::hw(5, 21),
            ImageLayout::nchw(2, 5, 21),
            ImageLayout::nhwc(3, 5, 21),
        ] {
            let data = i16_data(3 * layout.sample_len().unwrap(), 2);
            check_i16(layout, &data, &[2, 0, 1], &ops);
        }
    }

    #[test]
    fn i16_extremes_are_exact_and_in_range() {
        // Every pair of extreme values at every weight class: the result is within [-1, 1),
        // between the inputs, and a blend of −32768 with itself is exactly −1.
        let vals = [i16::MIN, -12345, -1, 0, 1, 12345, i16::MAX];
        let mut a = Vec::new();
        let mut b = Vec::new();
        for &x in &vals {
            for &y in &vals {
                a.push(x);
                b.push(y);
            }
        }
        let len = a.len();
        let data = [a, b].concat();
        let src = Batch::new(&data, ImageLayout::flat(len)).unwrap();
        let mut partners = [1, 0];
        let perm = crate::Permutation::new(&mut partners).unwrap();
        for lambda in [0.0, 1.0 / 65536.0, 0.25, 0.5, 0.999, 1.0] {
            let mut out = vec![0.0f32; data.len()];
            collate_i16(&mut out, &src, Plan::same(&perm, SampleOp::Blend(lambda))).unwrap();
            for k in 0..len {
                let (x, y) = (
                    f32::from(data[k]) / 32768.0,
                    f32::from(data[len + k]) / 32768.0,
                );
                assert!(out[k] >= x.min(y) && out[k] <= x.max(y), "{lambda} {x} {y}");
                assert!((-1.0..1.0).contains(&out[k]));
            }
            assert_eq!(out[0], -1.0); // MIN with MIN
        }
    }

    #[test]
    fn i16_agrees_with_mixing_in_i16_within_half_a_step() {
        // The collate is the exact mix; mix_inplace rounds it to i16 (halves up): the two differ
        // by at most half an i16 step, 1/65536, and not at all for kept and pasted samples.
        let len = 257;
        let ops = [
            SampleOp::Blend(0.3),
            SampleOp::Blend(0.9),
            SampleOp::Paste(Rect {
                x1: 5,
                y1: 0,
                x2: 200,
                y2: 1,
            }),
            SampleOp::Keep,
        ];
        let partners = [1, 2, 3, 0];
        let data = i16_data(4 * len, 3);
        let layout = ImageLayout::flat(len);
        let mut r: Vec<Draw> = (0..4)
            .map(|i| Draw {
                partner: partners[i],
                op: ops[i],
                lambda: 0.0,
            })
            .collect();
        let src = Batch::new(&data, layout).unwrap();
        let draws = Draws::new(&mut r, src.shape()).unwrap();
        let mut out = vec![0.0f32; data.len()];
        collate_i16(&mut out, &src, &draws).unwrap();
        let mut mixed = data.clone();
        crate::mix_inplace(&mut BatchMut::new(&mut mixed, layout).unwrap(), &draws).unwrap();
        for k in 0..data.len() {
            let diff = (f64::from(out[k]) - f64::from(mixed[k]) / 32768.0).abs();
            if k < 2 * len {
                assert!(diff <= 1.0 / 65536.0 + 1e-9, "k={k}: {diff}");
            } else {
                assert_eq!(out[k], f32::from(mixed[k]) / 32768.0, "k={k}");
            }
        }
    }

    #[test]
    fn i16_bad_input_writes_nothing() {
        let data = [7i16; 8];
        let layout = ImageLayout::flat(4);
        let src = Batch::new(&data, layout).unwrap();
        let mut out = [9.0f32; 8];
        let mut partners = [1, 0];
        let perm = crate::Permutation::new(&mut partners).unwrap();
        let rect = |x2| {
            SampleOp::Paste(Rect {
                x1: 0,
                y1: 0,
                x2,
                y2: 1,
            })
        };
        // A rectangle outside the clip, an invalid λ, the wrong output length.
        assert!(matches!(
            collate_i16(&mut out, &src, Plan::same(&perm, rect(5))),
            Err(Error::RectOutOfImage { .. })
        ));
        for lambda in [1.5, -0.1, f64::NAN] {
            assert!(matches!(
                collate_i16(&mut out, &src, Plan::same(&perm, SampleOp::Blend(lambda))),
                Err(Error::InvalidLambda { .. })
            ));
        }
        assert!(matches!(
            collate_i16(&mut out[1..], &src, Plan::same(&perm, SampleOp::Keep)),
            Err(Error::LengthMismatch { what: "out", .. })
        ));
        // A plan for another batch size.
        let mut three = [1, 2, 0];
        let perm3 = crate::Permutation::new(&mut three).unwrap();
        assert!(matches!(
            collate_i16(&mut out, &src, Plan::same(&perm3, SampleOp::Keep)),
            Err(Error::LengthMismatch { what: "plan", .. })
        ));
        // Averaging class indices is refused, as by `mix`; pasting them is not.
        let masks = Batch::class_indices(&data, layout).unwrap();
        assert!(matches!(
            collate_i16(&mut out, &masks, Plan::same(&perm, SampleOp::Blend(0.5))),
            Err(Error::BlendOfClassIndices { sample: 0 })
        ));
        assert_eq!(out, [9.0; 8]);
        assert!(collate_i16(&mut out, &masks, Plan::same(&perm, rect(2))).is_ok());
        assert_eq!(out, [7.0 / 32768.0; 8]);
    }
}
