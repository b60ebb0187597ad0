//! Findings of the fuzz targets (fuzz/) and of adversarial reviews, each reduced to a minimal
//! reproduction that fails on the code as it was found and passes with the fix. They run in the
//! test profile (overflow checks and debug assertions on) and in `--release` alike.
//!
//! A test marked `#[ignore]` reproduces a finding that is reported but not yet fixed in the file
//! that owns the code; its reason names the proposed fix. Un-ignore it with the fix.

use core::convert::Infallible;
use mixup::{
    Batch, BatchMut, Beta, ChannelNorm, CutMix, DetectionImage, Draw, Draws, Error, ImageLayout,
    Kernels, Labels, Mixup, Normalize, Pairing, Permutation, Plan, SampleOp, Shape, applied_lambda,
    blend, blend_inplace, canvas_layout, collate_i16, collate_u8, mix_detection,
};
use rand_core::{SeedableRng, TryRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::mpsc;
use std::time::Duration;

/// The records of two samples that swap partners and are blended half and half.
fn two_halves() -> [Draw; 2] {
    [0, 1].map(|i| Draw {
        partner: 1 - i,
        op: SampleOp::Blend(0.5),
        lambda: 0.0,
    })
}

/// The check on a copy, so that the caller's slice is only read.
fn check_permutation(p: &[usize]) -> Result<(), Error> {
    Permutation::new(&mut p.to_vec()).map(drop)
}

/// A generator that replays `script`, then continues with a seeded Xoshiro256++ (the same
/// construction as the fuzz targets' `ScriptedRng`).
struct Scripted {
    script: Vec<u64>,
    pos: usize,
    rest: Xoshiro256PlusPlus,
}

impl Scripted {
    fn new(script: &[u64]) -> Self {
        Scripted {
            script: script.to_vec(),
            pos: 0,
            rest: Xoshiro256PlusPlus::seed_from_u64(0),
        }
    }
}

impl TryRng for Scripted {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.try_next_u64()? >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(match self.script.get(self.pos) {
            Some(&w) => {
                self.pos += 1;
                w
            }
            None => rand_core::Rng::next_u64(&mut self.rest),
        })
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.try_next_u64()?.to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// A generator that returns the same word forever: broken, but it must not hang the crate.
struct Constant(u64);

impl TryRng for Constant {
    type Error = Infallible;
    fn try_next_u32(&mut self) -> Result<u32, Infallible> {
        Ok((self.0 >> 32) as u32)
    }
    fn try_next_u64(&mut self) -> Result<u64, Infallible> {
        Ok(self.0)
    }
    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
        dst.fill(self.0 as u8);
        Ok(())
    }
}

/// The words the samplers special-case: uniforms of exactly 0, ½, ¾ and 1 − 2⁻⁵³, and the
/// smallest and largest 53-bit fractions.
const EDGE_WORDS: [u64; 6] = [
    0,
    1 << 63,
    0xc000_0000_0000_0000,
    u64::MAX,
    u64::MAX << 11,
    1 << 11,
];

/// Shapes below 1/f64::MAX, where 1/α overflows to +∞.
const SUBNORMAL_SHAPES: [f64; 3] = [5e-324, 1.060_997_895_5e-314, 5.5e-309];

/// Found by `beta` and `batch` (fixed by the rewritten sampler, which caps 1/α at f64::MAX): for
/// a symmetric α below 1/f64::MAX the original Laplace boost multiplied
/// its exponential by 1/α = +∞, and an exponential of exactly 0 (a draw whose top 53 bits are all
/// ones) gives 0·∞ = NaN, so λ = NaN; `Mixup::apply` then refuses its own λ after it has written
/// the partners and advanced the generator. Minimal stream for the original sampler:
/// `[1 << 63, 0xc000…, 0, 0, u64::MAX]` at α = 5e-324.
///
/// Every stream whose first six words are edge words is tried, so the test keeps probing the
/// same corner whatever order a sampler draws in.
#[test]
fn subnormal_alpha_never_gives_nan() {
    let mut script = [0u64; 6];
    for &alpha in &SUBNORMAL_SHAPES {
        let beta = Beta::symmetric(alpha).unwrap();
        for code in 0..EDGE_WORDS.len().pow(script.len() as u32) {
            let mut c = code;
            for w in &mut script {
                *w = EDGE_WORDS[c % EDGE_WORDS.len()];
                c /= EDGE_WORDS.len();
            }
            let lambda = beta.sample(&mut Scripted::new(&script));
            assert!(
                (0.0..=1.0).contains(&lambda),
                "α={alpha:e}, stream {script:#x?}: λ={lambda}"
            );
        }
    }
}

/// The same stream through `Mixup::apply`: it must mix, not fail half-way.
#[test]
fn apply_with_subnormal_alpha_mixes() {
    let mixup = Mixup::new(5e-324).unwrap();
    let mut rng = Scripted::new(&[1 << 63, 0xc000_0000_0000_0000, 0, 0, u64::MAX]);
    let mut data = [1.0f32, 2.0, 3.0, 4.0];
    let mut soft = [0.0f32; 4];
    let mut records = [Draw::default(); 2];
    let labels = Labels::classes(&[0u8, 1], 2).unwrap();
    let mut batch = BatchMut::new(&mut data, ImageLayout::flat(2)).unwrap();
    let draws = mixup
        .apply(&mut rng, &mut batch, &labels, &mut records, &mut soft)
        .expect("valid input");
    for d in draws.iter() {
        assert!((0.0..=1.0).contains(&d.lambda), "{d:?}");
    }
}

/// Runs `f` on a watchdog thread: a call that never returns fails the test instead of hanging
/// the suite.
fn within(limit: Duration, what: &str, f: impl FnOnce() + Send + 'static) {
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        f();
        let _ = tx.send(());
    });
    match rx.recv_timeout(limit) {
        Ok(()) => {}
        Err(mpsc::RecvTimeoutError::Timeout) => panic!("{what} did not return within {limit:?}"),
        // The closure panicked: report that panic's message through the thread's output.
        Err(mpsc::RecvTimeoutError::Disconnected) => panic!("{what} panicked"),
    }
}

/// A generator stuck on one word makes every rejection sampler reject forever unless its loops
/// are bounded. No input may make the crate loop forever. (The original sampler hung here with
/// the word 0; the rewritten one bounds its loops.)
#[test]
fn constant_generators_do_not_hang_the_sampler() {
    for word in CONSTANT_WORDS {
        within(
            Duration::from_secs(60),
            &format!("Beta::sample with a constant generator {word:#x}"),
            move || {
                for alpha in [5e-324, 1e-3, 0.2, 0.5, 1.0, 2.0, 100.0, f64::MAX] {
                    for beta in [
                        Beta::symmetric(alpha).unwrap(),
                        Beta::new(alpha, 3.0).unwrap(),
                    ] {
                        let lambda = beta.sample(&mut Constant(word));
                        assert!((0.0..=1.0).contains(&lambda), "α={alpha:e}: λ={lambda}");
                    }
                }
            },
        );
    }
}

const CONSTANT_WORDS: [u64; 4] = [0, u64::MAX, 1 << 63, 0x5555_5555_5555_5555];

/// Found while reducing the sampler hang: `Pairing::Shuffle` and `Pairing::Derangement` (and so
/// `Mixup::draw` and `Mixup::apply`) hang with the constant generator 0. The bounded integer of
/// Lemire's method rejects `m = 0·range` while `(m mod 2³²) < 2³² mod range`, which holds forever
/// when every draw is 0 and the range is not a power of two (for a batch of 5: range 5,
/// threshold 1).
#[test]
fn constant_generators_do_not_hang_the_pairings() {
    for word in CONSTANT_WORDS {
        within(
            Duration::from_secs(60),
            &format!("random pairings with a constant generator {word:#x}"),
            move || {
                for n in [2usize, 3, 5, 7, 10, 100] {
                    let mut partners = vec![0usize; n];
                    for pairing in [Pairing::Shuffle, Pairing::Derangement] {
                        drop(pairing.fill(&mut Constant(word), &mut partners).unwrap());
                        assert!(check_permutation(&partners).is_ok());
                    }
                }
                let mut records = [Draw::default(); 5];
                let shape = Shape::<f32>::new(ImageLayout::flat(1), 5).unwrap();
                let draws = Mixup::new(0.2)
                    .unwrap()
                    .draw(&mut Constant(word), shape, &mut records)
                    .unwrap();
                assert!(draws.iter().all(|d| (0.0..=1.0).contains(&d.lambda)));
            },
        );
    }
}

/// Found by `blend` (fixed on main in "Integer weights: exact round(λ·2ᵏ) instead of
/// floor(x + 0.5)"): the `+ 0.5` rounded when λ·2ᵏ was one ulp below a half, so
/// λ = 0.5/256 − 2⁻⁶² got w = 1 instead of the documented `round(λ·2ᵏ)` = 0 (same for `u16` at
/// 0.5/65536).
#[test]
fn integer_weight_is_round_of_lambda_times_scale() {
    let below_u8_tie = f64::from_bits((0.5f64 / 256.0).to_bits() - 1);
    assert_eq!(applied_lambda::<u8>(below_u8_tie), Ok(0.0));
    let mut out = [0u8; 1];
    blend(&mut out, &[255], &[0], below_u8_tie).unwrap();
    assert_eq!(out, [0]);
    let below_u16_tie = f64::from_bits((0.5f64 / 65536.0).to_bits() - 1);
    assert_eq!(applied_lambda::<u16>(below_u16_tie), Ok(0.0));
    // The ties themselves round up.
    assert_eq!(applied_lambda::<u8>(0.5 / 256.0), Ok(1.0 / 256.0));
}

/// Found by `pairing` (fixed on main in "check_permutation: report a repeat that comes before the
/// first out-of-range entry"): with a repeat at position 1 and an out-of-range partner at
/// position 2, the error named position 2; `Error::NotAPermutation` documents "the first position
/// whose partner is out of range or repeats an earlier one", which is 1.
#[test]
fn check_permutation_names_first_bad_position() {
    assert_eq!(
        check_permutation(&[0, 0, 5]),
        Err(Error::NotAPermutation {
            position: 1,
            partner: 0
        })
    );
    assert_eq!(
        check_permutation(&[1, 7, 1]),
        Err(Error::NotAPermutation {
            position: 1,
            partner: 7
        })
    );
}

// Issue 13, an adversarial pass over the public API. Each finding below failed on 0.1.

/// Finding 1: `mix_detection` multiplied `width * unit` unchecked, so two images of height 0,
/// channel-last, with a width of `usize::MAX` (or `usize::MAX / 2` with 3 channels, 2⁶³ with 2)
/// panicked in a debug build and returned `Ok` in release. An image has at least one element
/// now (its sample length is computed by the one checked product, zero factor first), so such
/// images are refused when they are made, with the same error in both profiles.
#[test]
fn detection_images_of_zero_elements_and_huge_sides_are_refused() {
    for (c, h, w) in [
        (1, 0, usize::MAX),
        (3, 0, usize::MAX / 2),
        (2, 0, 1usize << 63),
        (usize::MAX, 0, 2),
        (3, usize::MAX, 0),
    ] {
        for layout in [ImageLayout::nhwc(c, h, w), ImageLayout::nchw(c, h, w)] {
            assert_eq!(layout.sample_len(), Ok(0), "{layout:?}");
            let image = Batch::<f32>::new(&[], layout).map(drop);
            assert_eq!(image, Err(Error::EmptySample), "{layout:?}");
        }
    }
    // Images that exist give a canvas whose every product is checked: a 1×1 and a 2×3 image.
    let (pa, pb) = ([1.0f32; 3], [2.0f32; 18]);
    let a = DetectionImage::new(Batch::new(&pa, ImageLayout::nhwc(3, 1, 1)).unwrap(), &[]).unwrap();
    let b = DetectionImage::new(Batch::new(&pb, ImageLayout::nhwc(3, 2, 3)).unwrap(), &[]).unwrap();
    let layout = canvas_layout(&a, &b).unwrap();
    assert_eq!((layout.height, layout.width), (2, 3));
    let mut canvas = vec![0.0f32; layout.sample_len().unwrap()];
    let mix = mix_detection(&a, &b, 0.5, &mut canvas, &mut []).unwrap();
    assert_eq!((mix.layout, mix.boxes), (layout, 0));
    // Pixel (0, 0) is in both images: 0.5·1 + 0.5·2; the rest only in b: 0.5·2.
    assert_eq!(&canvas[..3], &[1.5; 3]);
    assert!(canvas[3..].iter().all(|&v| v == 1.0));
}

/// Finding 2: `Normalize` took a standard deviation whose reciprocal overflows `f32`, and
/// `collate_u8` then wrote NaN (std = 1e-45, mean 0: byte 0 became NaN; mean 0.5, std 1e-39:
/// byte 128 became NaN where the exact value is 1.96e36). Such constants are refused now, and
/// every constant that is accepted gives a finite value for every byte.
#[test]
fn normalization_constants_that_overflow_are_refused() {
    for (mean, std) in [(0.0, 1e-45), (0.5, 1e-39), (1.0, 1e-39), (0.0, 1e-40)] {
        assert_eq!(
            Normalize::new(&[ChannelNorm { mean, std }]).err(),
            Some(Error::NormalizationOverflow { channel: 0 }),
            "mean {mean} std {std:e}"
        );
    }
    // The smallest accepted standard deviations, every byte, blended and kept.
    let bytes: Vec<u8> = (0..=255).collect();
    let src = Batch::new(&bytes, ImageLayout::flat(128)).unwrap();
    let mut partners = [1usize, 0];
    let perm = Permutation::new(&mut partners).unwrap();
    for std in [
        1e-36f32,
        1e-37,
        1e-38,
        2e-38,
        3e-38,
        1e-30,
        1e-10,
        1.0,
        f32::MAX,
    ] {
        for mean in [0.0f32, 0.5, 1.0, -1.0, 1e30] {
            let stats = [ChannelNorm { mean, std }];
            let Ok(norm) = Normalize::new(&stats) else {
                continue;
            };
            for op in [SampleOp::Keep, SampleOp::Blend(0.3)] {
                let mut out = vec![0.0f32; 256];
                collate_u8(&mut out, &src, Plan::same(&perm, op), &norm).unwrap();
                assert!(out.iter().all(|v| v.is_finite()), "mean {mean} std {std:e}");
            }
        }
    }
}

/// Finding 3: `CutMix::rect_for_lambda` returned a corrected λ below the one asked for when
/// λ < 2⁻⁵³ (on a 1×1 image, λ = 5e-324 gave the full rectangle and λ = 0).
#[test]
fn cutmix_corrected_lambda_is_never_below_the_one_asked() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(13);
    let tiny = [
        5e-324,
        1e-300,
        1e-17,
        2f64.powi(-53),
        2f64.powi(-52),
        1e-9,
        1e-3,
    ];
    for (h, w) in [
        (1, 1),
        (1, 2),
        (2, 1),
        (3, 3),
        (7, 224),
        (224, 224),
        (1, 10_000),
    ] {
        let layout = ImageLayout::hw(h, w);
        for &lambda in tiny.iter().chain(&[0.0, 0.25, 0.5, 1.0 - 1e-16, 1.0]) {
            for _ in 0..20 {
                let (rect, corrected) = CutMix::rect_for_lambda(&mut rng, &layout, lambda).unwrap();
                assert!(
                    corrected >= lambda,
                    "{h}x{w} λ={lambda:e}: {corrected:e} {rect:?}"
                );
                assert_eq!(corrected, layout.unpasted_fraction(&rect));
            }
        }
    }
}

/// Finding 4: a zero-element shape was answered by the order of its factors:
/// `nchw(usize::MAX, 2, 0).sample_len()` overflowed while `nhwc(2, 0, usize::MAX)` was 0. The
/// rule now: any zero factor makes the product 0, otherwise it is checked.
#[test]
fn zero_element_shapes_are_zero_whatever_the_factor_order() {
    let big = [usize::MAX, usize::MAX / 2, 1 << 63, 3];
    for &x in &big {
        for &y in &big {
            for (c, h, w) in [(x, y, 0), (x, 0, y), (0, x, y)] {
                for layout in [ImageLayout::nchw(c, h, w), ImageLayout::nhwc(c, h, w)] {
                    assert_eq!(layout.sample_len(), Ok(0), "{layout:?}");
                }
            }
            // And no zero factor: checked, never wrapped.
            let layout = ImageLayout::nchw(x, y, 2);
            let exact = (x as u128)
                .checked_mul(y as u128)
                .and_then(|p| p.checked_mul(2))
                .filter(|&p| p <= usize::MAX as u128);
            match layout.sample_len() {
                Ok(n) => assert_eq!(Some(n as u128), exact),
                Err(e) => assert_eq!((e, exact), (Error::SizeOverflow, None)),
            }
        }
    }
    assert_eq!(
        Shape::<f32>::new(ImageLayout::nchw(usize::MAX, 2, 0), usize::MAX).map(|s| s.len()),
        Shape::<f32>::new(ImageLayout::nhwc(2, 0, usize::MAX), usize::MAX).map(|s| s.len())
    );
}

/// Finding 5: negative zero passed through: ε = −0.0 wrote −0.0 into label rows, and
/// `blend::<f32>` with λ = −0.0 reported an applied λ of −0.0.
#[test]
fn negative_zero_comes_out_as_positive_zero() {
    let positive = 0.0f64.to_bits();
    assert_eq!(applied_lambda::<f32>(-0.0).unwrap().to_bits(), positive);
    let mut out = [0.0f32; 2];
    assert_eq!(
        blend(&mut out, &[1.0, 2.0], &[3.0, 4.0], -0.0)
            .unwrap()
            .to_bits(),
        positive
    );
    assert_eq!(out, [3.0, 4.0]);
    let mut a = [1u8, 2];
    assert_eq!(
        blend_inplace(&mut a, &[3, 4], -0.0).unwrap().to_bits(),
        positive
    );

    let labels = Labels::classes(&[0u8, 2, 1], 3)
        .unwrap()
        .with_smoothing(-0.0)
        .unwrap();
    assert_eq!(labels.smoothing().to_bits(), positive);
    let mut records: Vec<Draw> = [1usize, 2, 0]
        .iter()
        .map(|&partner| Draw {
            partner,
            op: SampleOp::Blend(-0.0),
            lambda: 0.0,
        })
        .collect();
    let draws = Draws::new(
        &mut records,
        Shape::<f32>::new(ImageLayout::flat(1), 3).unwrap(),
    )
    .unwrap();
    assert!(draws.iter().all(|d| d.lambda.to_bits() == positive));
    let mut rows = [f32::NAN; 9];
    labels.mix(&draws, &mut rows).unwrap();
    assert!(rows.iter().all(|v| v.is_sign_positive()), "{rows:?}");
    assert_eq!(rows.iter().sum::<f32>(), 3.0);
}

/// Finding 6: soft rows were not checked: `[NaN, 1]`, `[−1, 2]` and `[3, 3]` gave `Ok` and NaN
/// or unnormalized output, against the promise that label rows sum to 1. A soft row must be
/// finite, non-negative and sum to 1 within `SOFT_ROW_TOLERANCE`.
#[test]
fn invalid_soft_rows_are_refused_with_their_index() {
    let good = [0.25f32, 0.75];
    for bad in [
        [f32::NAN, 1.0],
        [-1.0, 2.0],
        [3.0, 3.0],
        [f32::INFINITY, 0.0],
        [0.0, 0.0],
    ] {
        for at in 0..3 {
            let mut rows = [good; 3];
            rows[at] = bad;
            let flat: Vec<f32> = rows.concat();
            assert_eq!(
                Labels::soft(&flat, 2).map(drop),
                Err(Error::InvalidSoftRow { sample: at }),
                "{bad:?} at {at}"
            );
        }
    }
    // Within the tolerance is accepted, and the output rows then sum to 1 within it too.
    let eps = mixup::SOFT_ROW_TOLERANCE as f32 / 2.0;
    let flat = [0.5 + eps, 0.5, 0.0, 1.0 - eps];
    let labels = Labels::soft(&flat, 2).unwrap();
    let mut records = two_halves();
    let draws = Draws::new(
        &mut records,
        Shape::<f32>::new(ImageLayout::flat(1), 2).unwrap(),
    )
    .unwrap();
    let mut out = [0.0f32; 4];
    labels.mix(&draws, &mut out).unwrap();
    for row in out.chunks(2) {
        assert!(
            (row[0] + row[1] - 1.0).abs() <= mixup::SOFT_ROW_TOLERANCE as f32,
            "{out:?}"
        );
    }
}

/// Found by the `batch` fuzz target with overflow checks on: `mix_inplace_parallel` split the
/// sample length of an empty batch into thread shares, and a sample length near `usize::MAX`
/// (accepted, since zero samples hold no elements) overflowed the share arithmetic in a debug
/// build; `threads = usize::MAX` asked for a 2⁵⁷-byte list of shares. An empty batch is now
/// left alone, and the thread count is capped.
#[test]
fn parallel_mix_of_an_empty_batch_with_a_huge_sample_length() {
    for threads in [0, 1, 2, 3, usize::MAX] {
        for len in [usize::MAX, usize::MAX / 2, 1 << 62, 1] {
            let mut data: [f32; 0] = [];
            let mut batch = BatchMut::new(&mut data, ImageLayout::flat(len)).unwrap();
            let mut p: [usize; 0] = [];
            let perm = Permutation::new(&mut p).unwrap();
            let plan = Plan::same(&perm, SampleOp::Blend(0.5));
            assert_eq!(
                Kernels::best().mix_inplace_parallel(&mut batch, plan, threads),
                Ok(()),
                "len {len} threads {threads}"
            );
        }
    }
    // A real batch with far more threads asked for than there are shares: the bytes of the
    // one-thread mix.
    let layout = ImageLayout::flat(40_000);
    let src: Vec<u8> = (0..5 * 40_000).map(|k| (k * 7919 % 251) as u8).collect();
    let mut p = [3usize, 0, 4, 1, 2];
    let perm = Permutation::new(&mut p).unwrap();
    let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    let mut one = src.clone();
    mixup::mix_inplace(&mut BatchMut::new(&mut one, layout).unwrap(), plan).unwrap();
    for threads in [usize::MAX, 1000, 9] {
        for share in [1, 1024, Kernels::DEFAULT_SHARE_BYTES] {
            let mut many = src.clone();
            let mut batch = BatchMut::new(&mut many, layout).unwrap();
            Kernels::best()
                .with_share_bytes(share)
                .mix_inplace_parallel(&mut batch, plan, threads)
                .unwrap();
            assert_eq!(one, many, "threads {threads} share {share}");
        }
    }
}

/// Found by an adversarial review: `Plan::same` skipped the check of its op for a batch of no
/// samples, so a λ of NaN or 2 and a rectangle outside the image were `Ok` there and refused for
/// any other batch size (where the two-slice `blend` refuses the λ even for empty slices). The
/// op is now checked whatever the batch size.
#[test]
fn an_invalid_op_is_refused_for_an_empty_batch_too() {
    let mut p: [usize; 0] = [];
    let perm = Permutation::new(&mut p).unwrap();
    let layout = ImageLayout::hw(4, 4);
    let outside = mixup::Rect {
        x1: 0,
        y1: 0,
        x2: 99,
        y2: 99,
    };
    let norm = Normalize::new(&[ChannelNorm {
        mean: 0.0,
        std: 1.0,
    }])
    .unwrap();
    for lambda in [f64::NAN, 2.0, -1.0] {
        let op = SampleOp::Blend(lambda);
        // The error carries the λ given (compared by bits: NaN ≠ NaN).
        let names_it = |r: Result<(), Error>| matches!(r, Err(Error::InvalidLambda { value }) if value.to_bits() == lambda.to_bits());
        let mut data: [f32; 0] = [];
        let mut batch = BatchMut::new(&mut data, layout).unwrap();
        assert!(names_it(mixup::mix_inplace(
            &mut batch,
            Plan::same(&perm, op)
        )));
        assert!(names_it(Kernels::best().mix_inplace_parallel(
            &mut batch,
            Plan::same(&perm, op),
            2
        )));
        let bytes = Batch::<u8>::new(&[], layout).unwrap();
        assert!(names_it(collate_u8(
            &mut [],
            &bytes,
            Plan::same(&perm, op),
            &norm
        )));
        let pcm = Batch::<i16>::new(&[], layout).unwrap();
        assert!(names_it(collate_i16(&mut [], &pcm, Plan::same(&perm, op))));
    }
    let src = Batch::<f32>::new(&[], layout).unwrap();
    assert!(matches!(
        mixup::mix(&mut [], &src, Plan::same(&perm, SampleOp::Paste(outside))),
        Err(Error::RectOutOfImage { .. })
    ));
    // Valid ops on an empty batch are still a no-op.
    for op in [
        SampleOp::Keep,
        SampleOp::Blend(0.3),
        SampleOp::Paste(mixup::Rect::default()),
    ] {
        assert_eq!(mixup::mix(&mut [], &src, Plan::same(&perm, op)), Ok(()));
    }
}

/// Found by an adversarial review: `collate_u8` averaged a batch made with
/// `Batch::class_indices` (a segmentation mask) where `mix`, `mix_inplace` and `collate_i16`
/// refuse the blend with `BlendOfClassIndices`. It now refuses it too, and writes nothing.
#[test]
fn collate_u8_refuses_to_average_class_indices() {
    let mask = [0u8, 0, 0, 0, 10, 10, 10, 10];
    let layout = ImageLayout::hw(2, 2);
    let mut records = two_halves();
    let draws = Draws::new(&mut records, Shape::<u8>::new(layout, 2).unwrap()).unwrap();
    let norm = Normalize::new(&[ChannelNorm {
        mean: 0.0,
        std: 1.0,
    }])
    .unwrap();
    let masks = Batch::class_indices(&mask, layout).unwrap();
    let mut out = [f32::NAN; 8];
    assert_eq!(
        collate_u8(&mut out, &masks, &draws, &norm),
        Err(Error::BlendOfClassIndices { sample: 0 })
    );
    assert!(out.iter().all(|v| v.is_nan()), "written on Err: {out:?}");
    // Pasting a rectangle of the partner's classes is not averaging: allowed, as by `mix`.
    let mut p = [1usize, 0];
    let perm = Permutation::new(&mut p).unwrap();
    let all = mixup::Rect {
        x1: 0,
        y1: 0,
        x2: 2,
        y2: 2,
    };
    assert_eq!(
        collate_u8(
            &mut out,
            &masks,
            Plan::same(&perm, SampleOp::Paste(all)),
            &norm
        ),
        Ok(())
    );
    // Each sample now holds its partner's classes, scaled by 1/255 as `collate_u8` does.
    let ten = 10.0f32 / 255.0;
    assert!(out[..4].iter().all(|&v| (v - ten).abs() < 1e-6), "{out:?}");
    assert_eq!(out[4..], [0.0; 4]);
}

/// Found by an adversarial review: a reversed range or one past the end of a sample was
/// reported as a `range` of the wrong length ("`range` has length 2, expected 6" for `3..2`).
/// It is now `RangeOutsideSample`, which names the range and the sample length.
#[test]
fn a_bad_element_range_is_named_as_a_range() {
    let layout = ImageLayout::flat(6);
    let src: Vec<f32> = (0..12).map(|k| k as f32).collect();
    let mut data = src.clone();
    let mut p = [1usize, 0];
    let perm = Permutation::new(&mut p).unwrap();
    let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    for (start, end) in [(3, 2), (7, 7), (0, 7), (6, usize::MAX)] {
        let mut batch = BatchMut::new(&mut data, layout).unwrap();
        let e = Kernels::best()
            .mix_inplace_range(&mut batch, plan, start..end)
            .unwrap_err();
        assert_eq!(
            e,
            Error::RangeOutsideSample {
                start,
                end,
                sample_len: 6
            }
        );
        assert_eq!(
            e.to_string(),
            format!("the element range {start}..{end} is not within a sample's 0..6")
        );
        assert_eq!(data, src, "written on Err");
    }
    // The ranges at the edges are fine.
    for (start, end) in [(6, 6), (0, 0), (0, 6)] {
        let mut batch = BatchMut::new(&mut data, layout).unwrap();
        assert_eq!(
            Kernels::best().mix_inplace_range(&mut batch, plan, start..end),
            Ok(())
        );
    }
}
