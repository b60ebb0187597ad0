//! Property tests of the core guarantees: λ in [0, 1], label rows summing to 1, blends between
//! their inputs, in-place mixing equal to out-of-place mixing, and bad input leaving every
//! buffer untouched.

use mixup::{
    Batch, BatchMut, Beta, CutMix, Draw, Draws, Element, Error, Granularity, ImageLayout, Labels,
    Mixup, Pairing, Permutation, Plan, SampleOp, Scope, Shape, applied_lambda, blend,
    blend_inplace, mix, mix_inplace,
};
use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// Every finite positive double, subnormals and f64::MAX included, by drawing its bits.
fn shape() -> impl Strategy<Value = f64> {
    (1u64..=f64::MAX.to_bits()).prop_map(f64::from_bits)
}

fn pairing() -> impl Strategy<Value = Pairing> {
    prop_oneof![
        any::<isize>().prop_map(Pairing::Roll),
        Just(Pairing::Flip),
        Just(Pairing::Shuffle),
        Just(Pairing::Derangement),
    ]
}

/// λ: the exact endpoints, their neighbours and anything in between.
fn lambda() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        Just(0.5),
        Just(f64::from_bits(1)),
        Just(1.0 - f64::EPSILON / 2.0),
        0.0..=1.0f64,
    ]
}

/// Floats of every kind a blend may see: NaN excluded (it has no order to lie between).
fn finite_f32() -> impl Strategy<Value = f32> {
    prop_oneof![
        any::<f32>().prop_filter("finite", |x| x.is_finite()),
        Just(f32::MAX),
        Just(f32::MIN),
        Just(-0.0f32),
        Just(f32::from_bits(1)),
        -1.0e3f32..1.0e3,
    ]
}

fn finite_f64() -> impl Strategy<Value = f64> {
    prop_oneof![
        any::<f64>().prop_filter("finite", |x| x.is_finite()),
        Just(f64::MAX),
        Just(f64::MIN),
        Just(-0.0f64),
        -1.0e3f64..1.0e3,
    ]
}

fn between<T: PartialOrd + Copy>(v: T, a: T, b: T) -> bool {
    let (lo, hi) = if a < b { (a, b) } else { (b, a) };
    lo <= v && v <= hi
}

/// One blend of every sample with its partner, out of place, through the 0.2 batch API.
fn mix_batch<T: Element>(
    dst: &mut [T],
    src: &[T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<(), Error> {
    let mut p = partners.to_vec();
    let perm = Permutation::new(&mut p)?;
    let batch = Batch::new(src, ImageLayout::flat(sample_len))?;
    mix(dst, &batch, Plan::same(&perm, SampleOp::Blend(lambda)))
}

/// [`mix_batch`] in place.
fn mix_batch_inplace<T: Element>(
    data: &mut [T],
    sample_len: usize,
    partners: &[usize],
    lambda: f64,
) -> Result<(), Error> {
    let mut p = partners.to_vec();
    let perm = Permutation::new(&mut p)?;
    let mut batch = BatchMut::new(data, ImageLayout::flat(sample_len))?;
    mix_inplace(&mut batch, Plan::same(&perm, SampleOp::Blend(lambda)))
}

/// Records blending every sample with its partner by `lambda` (checked by `Draws::new`).
fn blend_records(partners: &[usize], lambda: f64) -> Vec<Draw> {
    partners
        .iter()
        .map(|&partner| Draw {
            partner,
            op: SampleOp::Blend(lambda),
            lambda: 0.0,
        })
        .collect()
}

/// Label rows for one λ: class labels (smoothed by `eps`) or soft rows, through `Labels::mix`.
/// The draws are made for an `f64` shape, whose applied λ is λ itself.
fn mix_labels(
    labels: &Labels<'_, u32>,
    partners: &[usize],
    lambda: f64,
    out: &mut [f32],
) -> Result<(), Error> {
    let mut records = blend_records(partners, lambda);
    let draws = Draws::new(
        &mut records,
        Shape::<f64>::new(ImageLayout::flat(1), partners.len())?,
    )?;
    labels.mix(&draws, out)
}

/// A partner list from a pairing, or `None` for a derangement of one.
fn partners_for(pairing: Pairing, n: usize, seed: u64) -> Option<Vec<usize>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut p = vec![0; n];
    pairing.fill(&mut rng, &mut p).ok().map(drop)?;
    Some(p)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn lambda_is_in_the_unit_interval(a in shape(), b in shape(), seed: u64) {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for beta in [Beta::symmetric(a).unwrap(), Beta::new(a, b).unwrap()] {
            for _ in 0..16 {
                let l = beta.sample(&mut rng);
                prop_assert!((0.0..=1.0).contains(&l), "a={} b={} λ={}", beta.a(), beta.b(), l);
            }
        }
    }

    #[test]
    fn f32_blend_lies_between_its_inputs(
        v in proptest::collection::vec((finite_f32(), finite_f32()), 0..64),
        l in lambda(),
    ) {
        let a: Vec<f32> = v.iter().map(|p| p.0).collect();
        let b: Vec<f32> = v.iter().map(|p| p.1).collect();
        let mut out = vec![f32::NAN; v.len()];
        blend(&mut out, &a, &b, l).unwrap();
        for k in 0..v.len() {
            prop_assert!(between(out[k], a[k], b[k]), "{} not between {} and {}", out[k], a[k], b[k]);
        }
        let mut inplace = a.clone();
        blend_inplace(&mut inplace, &b, l).unwrap();
        prop_assert_eq!(bits32(&inplace), bits32(&out));
    }

    #[test]
    fn f64_blend_lies_between_its_inputs(
        v in proptest::collection::vec((finite_f64(), finite_f64()), 0..64),
        l in lambda(),
    ) {
        let a: Vec<f64> = v.iter().map(|p| p.0).collect();
        let b: Vec<f64> = v.iter().map(|p| p.1).collect();
        let mut out = vec![f64::NAN; v.len()];
        blend(&mut out, &a, &b, l).unwrap();
        for k in 0..v.len() {
            prop_assert!(between(out[k], a[k], b[k]));
        }
    }

    #[test]
    fn u8_blend_is_within_one_of_the_exact_blend(
        v in proptest::collection::vec(any::<(u8, u8)>(), 0..64),
        l in lambda(),
    ) {
        let a: Vec<u8> = v.iter().map(|p| p.0).collect();
        let b: Vec<u8> = v.iter().map(|p| p.1).collect();
        let mut out = vec![0u8; v.len()];
        let applied = blend(&mut out, &a, &b, l).unwrap();
        prop_assert!((applied - l).abs() <= 0.5 / 256.0);
        for k in 0..v.len() {
            let exact = l * a[k] as f64 + (1.0 - l) * b[k] as f64;
            prop_assert!((out[k] as f64 - exact).abs() < 1.0, "{} vs {}", out[k], exact);
            prop_assert!(between(out[k], a[k], b[k]));
            // Against the quantized λ the result is the correctly rounded value.
            let q = applied * a[k] as f64 + (1.0 - applied) * b[k] as f64;
            prop_assert!((out[k] as f64 - q).abs() <= 0.5);
        }
    }

    #[test]
    fn u16_blend_is_within_one_of_the_exact_blend(
        v in proptest::collection::vec(any::<(u16, u16)>(), 0..64),
        l in lambda(),
    ) {
        let a: Vec<u16> = v.iter().map(|p| p.0).collect();
        let b: Vec<u16> = v.iter().map(|p| p.1).collect();
        let mut out = vec![0u16; v.len()];
        let applied = blend(&mut out, &a, &b, l).unwrap();
        for k in 0..v.len() {
            let exact = l * a[k] as f64 + (1.0 - l) * b[k] as f64;
            prop_assert!((out[k] as f64 - exact).abs() < 1.0);
            let q = applied * a[k] as f64 + (1.0 - applied) * b[k] as f64;
            prop_assert!((out[k] as f64 - q).abs() <= 0.5);
        }
    }

    #[test]
    fn i8_blend_is_within_one_of_the_exact_blend_and_between(
        v in proptest::collection::vec(any::<(i8, i8)>(), 0..64),
        l in lambda(),
    ) {
        let a: Vec<i8> = v.iter().map(|p| p.0).collect();
        let b: Vec<i8> = v.iter().map(|p| p.1).collect();
        let mut out = vec![0i8; v.len()];
        let applied = blend(&mut out, &a, &b, l).unwrap();
        prop_assert!((applied - l).abs() <= 0.5 / 256.0);
        let mut inplace = a.clone();
        prop_assert_eq!(blend_inplace(&mut inplace, &b, l).unwrap(), applied);
        prop_assert_eq!(&inplace, &out);
        for k in 0..v.len() {
            let exact = l * a[k] as f64 + (1.0 - l) * b[k] as f64;
            prop_assert!((out[k] as f64 - exact).abs() < 1.0, "{} vs {}", out[k], exact);
            prop_assert!(between(out[k], a[k], b[k]));
            let q = applied * a[k] as f64 + (1.0 - applied) * b[k] as f64;
            prop_assert!((out[k] as f64 - q).abs() <= 0.5);
        }
    }

    #[test]
    fn i16_blend_is_within_one_of_the_exact_blend_and_between(
        v in proptest::collection::vec(any::<(i16, i16)>(), 0..64),
        l in lambda(),
    ) {
        let a: Vec<i16> = v.iter().map(|p| p.0).collect();
        let b: Vec<i16> = v.iter().map(|p| p.1).collect();
        let mut out = vec![0i16; v.len()];
        let applied = blend(&mut out, &a, &b, l).unwrap();
        prop_assert!((applied - l).abs() <= 0.5 / 65536.0);
        for k in 0..v.len() {
            let exact = l * a[k] as f64 + (1.0 - l) * b[k] as f64;
            prop_assert!((out[k] as f64 - exact).abs() < 1.0);
            prop_assert!(between(out[k], a[k], b[k]));
            let q = applied * a[k] as f64 + (1.0 - applied) * b[k] as f64;
            prop_assert!((out[k] as f64 - q).abs() <= 0.5);
        }
    }

    #[test]
    fn one_hot_rows_sum_to_one(
        n in 1usize..40,
        classes in 1usize..300,
        l in lambda(),
        eps in prop_oneof![Just(0.0), 0.0..1.0f64],
        pairing in pairing(),
        seed: u64,
    ) {
        let labels: Vec<u32> = (0..n).map(|i| ((i as u64 * 7919 + seed) % classes as u64) as u32).collect();
        let Some(p) = partners_for(pairing, n, seed) else { return Ok(()) };
        let mut out = vec![f32::NAN; n * classes];
        let labels = Labels::classes(&labels, classes).unwrap().with_smoothing(eps).unwrap();
        mix_labels(&labels, &p, l, &mut out).unwrap();
        for row in out.chunks(classes) {
            let s: f64 = row.iter().map(|&v| v as f64).sum();
            prop_assert!((s - 1.0).abs() <= 4.0 * f32::EPSILON as f64, "sum {}", s);
            prop_assert!(row.iter().all(|&v| (0.0..=1.0).contains(&v)));
        }
    }

    #[test]
    fn soft_rows_stay_normalized(
        n in 1usize..20,
        classes in 1usize..50,
        l in lambda(),
        pairing in pairing(),
        seed: u64,
    ) {
        // Random rows normalized to 1 in f32.
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut rows = vec![0.0f32; n * classes];
        for row in rows.chunks_mut(classes) {
            for v in row.iter_mut() {
                *v = (rand_core::Rng::next_u32(&mut rng) >> 8) as f32;
            }
            let s: f32 = row.iter().sum();
            if s > 0.0 { row.iter_mut().for_each(|v| *v /= s) } else { row[0] = 1.0 }
        }
        let Some(p) = partners_for(pairing, n, seed) else { return Ok(()) };
        let mut out = vec![0.0f32; n * classes];
        mix_labels(&Labels::soft(&rows, classes).unwrap(), &p, l, &mut out).unwrap();
        for (i, row) in out.chunks(classes).enumerate() {
            let s: f64 = row.iter().map(|&v| v as f64).sum();
            let a: f64 = rows[i * classes..][..classes].iter().map(|&v| v as f64).sum();
            let b: f64 = rows[p[i] * classes..][..classes].iter().map(|&v| v as f64).sum();
            // Inputs sum to 1 within their own rounding; the mix adds a few ulp per class.
            let tol = (classes as f64 + 4.0) * f32::EPSILON as f64;
            prop_assert!((s - (l * a + (1.0 - l) * b)).abs() <= tol, "sum {} from {} {}", s, a, b);
        }
    }

    #[test]
    fn inplace_equals_out_of_place_for_every_pairing(
        n in 0usize..40,
        sample_len in 1usize..40,
        l in lambda(),
        pairing in pairing(),
        seed: u64,
    ) {
        let Some(p) = partners_for(pairing, n, seed) else { return Ok(()) };
        check_inplace::<f32>(n, sample_len, &p, l, |k| (k as f32 * 0.37).sin() * 1e3)?;
        check_inplace::<f64>(n, sample_len, &p, l, |k| (k as f64 * 0.11).cos())?;
        check_inplace::<u8>(n, sample_len, &p, l, |k| (k * 37 % 256) as u8)?;
        check_inplace::<u16>(n, sample_len, &p, l, |k| (k * 7919 % 65536) as u16)?;
        check_inplace::<i8>(n, sample_len, &p, l, |k| (k * 37 % 256) as u8 as i8)?;
        check_inplace::<i16>(n, sample_len, &p, l, |k| (k * 7919 % 65536) as u16 as i16)?;
    }

    /// A plan whose λ changes from sample to sample (in runs, with λ = 0, λ = 1 and kept
    /// samples between) gives every sample the bytes of its own `blend` call: the batch paths
    /// compute each λ's weights once per run of equal λ, and must never apply a stale one.
    #[test]
    fn per_sample_lambdas_give_each_sample_its_own_blend(
        n in 1usize..40,
        sample_len in 1usize..24,
        lambdas in prop::collection::vec(prop_oneof![Just(0.0), Just(1.0), Just(0.5), 0.0..=1.0f64, Just(-1.0)], 1..6),
        run in 1usize..5,
        pairing in pairing(),
        seed: u64,
    ) {
        let Some(p) = partners_for(pairing, n, seed) else { return Ok(()) };
        // -1 stands for a kept sample.
        let op = |i: usize| match lambdas[i / run % lambdas.len()] {
            l if l < 0.0 => SampleOp::Keep,
            l => SampleOp::Blend(l),
        };
        let mut records: Vec<Draw> = (0..n).map(|i| Draw { partner: p[i], op: op(i), lambda: 0.0 }).collect();
        let src: Vec<u8> = (0..n * sample_len).map(|k| (k * 7919 % 251) as u8).collect();
        let layout = ImageLayout::flat(sample_len);
        let draws = Draws::new(&mut records, Shape::<u8>::new(layout, n).unwrap()).unwrap();
        let mut out = vec![0u8; src.len()];
        mix(&mut out, &Batch::new(&src, layout).unwrap(), &draws).unwrap();
        let mut inplace = src.clone();
        mix_inplace(&mut BatchMut::new(&mut inplace, layout).unwrap(), &draws).unwrap();
        let floats: Vec<f32> = src.iter().map(|&v| v as f32 * 0.37 - 20.0).collect();
        let mut out32 = vec![0.0f32; src.len()];
        mix(&mut out32, &Batch::new(&floats, layout).unwrap(), &draws).unwrap();
        for i in 0..n {
            let (a, b) = (&src[i * sample_len..][..sample_len], &src[p[i] * sample_len..][..sample_len]);
            let (fa, fb) = (&floats[i * sample_len..][..sample_len], &floats[p[i] * sample_len..][..sample_len]);
            let mut expected = a.to_vec();
            let mut expected32 = fa.to_vec();
            if let SampleOp::Blend(l) = op(i) {
                blend(&mut expected, a, b, l).unwrap();
                blend(&mut expected32, fa, fb, l).unwrap();
            }
            prop_assert_eq!(&out[i * sample_len..][..sample_len], &expected[..], "sample {} out of place", i);
            prop_assert_eq!(&inplace[i * sample_len..][..sample_len], &expected[..], "sample {} in place", i);
            prop_assert_eq!(bits32(&out32[i * sample_len..][..sample_len]), bits32(&expected32), "sample {} f32", i);
        }
    }

    #[test]
    fn bad_partners_write_nothing(
        n in 1usize..20,
        sample_len in 1usize..8,
        bad_pos in any::<prop::sample::Index>(),
        bad_val in any::<usize>(),
        l in lambda(),
    ) {
        let mut p: Vec<usize> = (0..n).rev().collect();
        let pos = bad_pos.index(n);
        // Either out of range, or a duplicate of another entry.
        p[pos] = if bad_val % 2 == 0 || n == 1 { n + bad_val % 1000 } else { p[(pos + 1) % n] };
        let src: Vec<f32> = (0..n * sample_len).map(|k| k as f32).collect();
        let mut dst = vec![-1.0f32; n * sample_len];
        let mut inplace = src.clone();
        prop_assert!(matches!(mix_batch(&mut dst, &src, sample_len, &p, l), Err(Error::NotAPermutation { .. })), "unexpected result");
        prop_assert!(matches!(mix_batch_inplace(&mut inplace, sample_len, &p, l), Err(Error::NotAPermutation { .. })), "unexpected result");
        prop_assert!(dst.iter().all(|&v| v == -1.0));
        prop_assert_eq!(&inplace, &src);
    }

    #[test]
    fn bad_lambda_writes_nothing(l in prop_oneof![Just(f64::NAN), Just(-0.1), Just(1.0 + f64::EPSILON), Just(f64::INFINITY), any::<f64>().prop_filter("outside", |x| !(0.0..=1.0).contains(x))]) {
        let mut a = [3u8; 5];
        prop_assert!(matches!(blend_inplace(&mut a, &[9u8; 5], l), Err(Error::InvalidLambda { .. })), "unexpected result");
        prop_assert!(matches!(applied_lambda::<f32>(l), Err(Error::InvalidLambda { .. })), "unexpected result");
        let mut batch = [1.0f32; 6];
        prop_assert!(mix_batch_inplace(&mut batch, 3, &[1, 0], l).is_err());
        prop_assert_eq!(a, [3u8; 5]);
        prop_assert_eq!(batch, [1.0f32; 6]);
    }

    #[test]
    fn mixup_apply_mixes_data_and_labels_consistently(
        n in 1usize..24,
        sample_len in 1usize..20,
        classes in 1usize..12,
        alpha in prop_oneof![Just(5e-324), Just(f64::MAX), 0.01..10.0f64],
        p in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        eps in prop_oneof![Just(0.0), 0.0..0.5f64],
        pairing in pairing(),
        seed: u64,
    ) {
        let mixup = Mixup::new(alpha).unwrap().with_probability(p).unwrap().with_pairing(pairing);
        let labels: Vec<u16> = (0..n).map(|i| (i % classes) as u16).collect();
        let labels = Labels::classes(&labels, classes).unwrap().with_smoothing(eps).unwrap();
        let orig: Vec<u8> = (0..n * sample_len).map(|k| (k * 31 % 256) as u8).collect();
        let mut data = orig.clone();
        let mut soft = vec![f32::NAN; n * classes];
        let mut records = vec![Draw::default(); n];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut batch = BatchMut::new(&mut data, ImageLayout::flat(sample_len)).unwrap();
        let r = mixup.apply(&mut rng, &mut batch, &labels, &mut records, &mut soft).map(|d| d.iter().collect::<Vec<_>>());
        if pairing == Pairing::Derangement && n == 1 {
            prop_assert_eq!(r, Err(Error::DerangementOfOne));
            prop_assert_eq!(&data, &orig);
            return Ok(());
        }
        let got = r.unwrap();
        let blended: Vec<f64> = got.iter().filter(|d| matches!(d.op, SampleOp::Blend(_))).map(|d| d.lambda).collect();
        for d in &got {
            prop_assert!((0.0..=1.0).contains(&d.lambda));
            match d.op {
                // The λ recorded is exactly the one the u8 kernel applies.
                SampleOp::Blend(_) => prop_assert_eq!(applied_lambda::<u8>(d.lambda).unwrap(), d.lambda),
                _ => prop_assert_eq!(d.lambda, 1.0),
            }
        }
        // One λ per batch with the default granularity.
        prop_assert!(blended.windows(2).all(|w| w[0] == w[1]));
        let mut expected = vec![0u8; n * sample_len];
        let partners: Vec<usize> = got.iter().map(|d| d.partner).collect();
        let lambda = blended.first().copied().unwrap_or(1.0);
        mix_batch(&mut expected, &orig, sample_len, &partners, lambda).unwrap();
        if blended.is_empty() {
            prop_assert_eq!(&data, &orig);
        } else {
            prop_assert_eq!(&data, &expected);
        }
        for row in soft.chunks(classes) {
            let s: f64 = row.iter().map(|&v| v as f64).sum();
            prop_assert!((s - 1.0).abs() <= 4.0 * f32::EPSILON as f64, "sum {}", s);
        }
        let mut expected_soft = vec![0.0f32; n * classes];
        let mut copy = got.clone();
        let draws = Draws::new(&mut copy, Shape::<u8>::new(ImageLayout::flat(sample_len), n).unwrap()).unwrap();
        labels.mix(&draws, &mut expected_soft).unwrap();
        prop_assert_eq!(bits32(&soft), bits32(&expected_soft));
    }

    /// One random stream for every entry point: `draw` then `mix_inplace` and `Labels::mix`
    /// give the bytes of `apply`, for every granularity, probability scope and CutMix switch.
    #[test]
    fn draw_then_mix_equals_apply(
        n in 1usize..12,
        (h, w) in (1usize..9, 1usize..9),
        gran in prop_oneof![Just(Granularity::Batch), Just(Granularity::Pair), Just(Granularity::Sample)],
        p in prop_oneof![Just(1.0), 0.0..=1.0f64],
        cut in prop_oneof![Just(None), (0.0..=1.0f64).prop_map(Some)],
        sample_scope: bool,
        pairing in pairing(),
        seed: u64,
    ) {
        let scope = if sample_scope { Scope::Sample } else { Scope::Batch };
        let mut mixup = Mixup::new(0.7).unwrap().with_pairing(pairing).with_granularity(gran)
            .with_probability(p).unwrap().with_probability_scope(scope);
        if let Some(q) = cut {
            mixup = mixup.with_cutmix(CutMix::new(1.0).unwrap(), q).unwrap().with_switch_scope(scope);
        }
        let layout = ImageLayout::nchw(2, h, w);
        let len = layout.sample_len().unwrap();
        let orig: Vec<f32> = (0..n * len).map(|k| (k * 7919 % 1009) as f32).collect();
        let classes: Vec<u32> = (0..n as u32).map(|i| i % 5).collect();
        let labels = Labels::classes(&classes, 5).unwrap();

        let mut one = orig.clone();
        let (mut rec1, mut soft1) = (vec![Draw::default(); n], vec![0.0f32; n * 5]);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let r1 = mixup
            .apply(&mut rng, &mut BatchMut::new(&mut one, layout).unwrap(), &labels, &mut rec1, &mut soft1)
            .map(|d| d.iter().collect::<Vec<_>>());

        let mut two = orig.clone();
        let (mut rec2, mut soft2) = (vec![Draw::default(); n], vec![0.0f32; n * 5]);
        let mut rng2 = Xoshiro256PlusPlus::seed_from_u64(seed);
        let r2 = mixup.draw(&mut rng2, Shape::<f32>::new(layout, n).unwrap(), &mut rec2).and_then(|draws| {
            mix_inplace(&mut BatchMut::new(&mut two, layout)?, &draws)?;
            labels.mix(&draws, &mut soft2)?;
            Ok(draws.iter().collect::<Vec<_>>())
        });
        prop_assert_eq!(&r1, &r2);
        prop_assert!(bits32(&one) == bits32(&two));
        prop_assert_eq!(bits32(&soft1), bits32(&soft2));
        prop_assert_eq!(rng, rng2);
    }

    /// Draws replayed on a second tensor: a class-index mask gets the same CutMix rectangles as
    /// the image, and a blend on it is refused before anything is written.
    #[test]
    fn draws_replay_on_a_class_index_mask(
        n in 2usize..10,
        (h, w) in (1usize..12, 1usize..12),
        seed: u64,
    ) {
        let layout = ImageLayout::hw(h, w);
        let len = h * w;
        let image: Vec<f32> = (0..n * len).map(|k| k as f32).collect();
        // The mask holds each sample's index, so a pasted pixel says where it came from.
        let mask: Vec<u8> = (0..n * len).map(|k| (k / len) as u8).collect();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let cutmix_only = Mixup::new(1.0).unwrap().with_cutmix(CutMix::new(1.0).unwrap(), 1.0).unwrap()
            .with_granularity(Granularity::Sample).with_pairing(Pairing::Derangement);
        let mut records = vec![Draw::default(); n];
        let draws = cutmix_only.draw(&mut rng, Shape::<u8>::new(layout, n).unwrap(), &mut records).unwrap();
        let mut img = image.clone();
        mix_inplace(&mut BatchMut::new(&mut img, layout).unwrap(), &draws).unwrap();
        let mut m = mask.clone();
        mix_inplace(&mut BatchMut::class_indices(&mut m, layout).unwrap(), &draws).unwrap();
        for (i, d) in draws.iter().enumerate() {
            let SampleOp::Paste(rect) = d.op else { panic!("CutMix with probability 1 pasted nothing: {d:?}") };
            for y in 0..h {
                for x in 0..w {
                    let k = i * len + y * w + x;
                    let inside = rect.y1 <= y && y < rect.y2 && rect.x1 <= x && x < rect.x2;
                    let from = if inside { d.partner } else { i };
                    prop_assert_eq!(m[k] as usize, from);
                    prop_assert_eq!(img[k], image[from * len + y * w + x]);
                }
            }
        }
        drop(draws);
        // A blend of class ids is refused and writes nothing.
        let mut records = blend_records(&(0..n).rev().collect::<Vec<_>>(), 0.5);
        let blend = Draws::new(&mut records, Shape::<u8>::new(layout, n).unwrap()).unwrap();
        let mut m = mask.clone();
        let r = mix_inplace(&mut BatchMut::class_indices(&mut m, layout).unwrap(), &blend);
        prop_assert!(matches!(r, Err(Error::BlendOfClassIndices { .. })), "{:?}", r);
        prop_assert_eq!(&m, &mask);
    }

    /// `Labels::soft` takes rows that are finite, non-negative and sum to 1 within
    /// `SOFT_ROW_TOLERANCE`, and names the first row that is not.
    #[test]
    fn soft_rows_are_validated(
        n in 1usize..8,
        classes in 1usize..8,
        bad_row in any::<prop::sample::Index>(),
        kind in 0usize..5,
    ) {
        let mut rows = vec![0.0f32; n * classes];
        for row in rows.chunks_mut(classes) {
            row[0] = 1.0;
        }
        prop_assert!(Labels::soft(&rows, classes).is_ok());
        let i = bad_row.index(n);
        let row = &mut rows[i * classes..][..classes];
        match kind {
            0 => row[0] = f32::NAN,
            1 => row[0] = f32::INFINITY,
            2 => { row[0] = 2.0; if classes > 1 { row[classes - 1] = -1.0 } }
            3 => row[0] = 1.0 + 4.0 * mixup::SOFT_ROW_TOLERANCE as f32,
            _ => row[0] = 0.0,
        }
        let r = Labels::soft(&rows, classes).map(|_| ());
        prop_assert_eq!(r, Err(Error::InvalidSoftRow { sample: i }));
    }

    #[test]
    fn mixup_apply_with_bad_input_touches_nothing(
        n in 1usize..10,
        classes in 1usize..6,
        which in 0usize..4,
        seed: u64,
    ) {
        let mixup = Mixup::new(0.3).unwrap();
        let labels: Vec<u32> = (0..n).map(|i| (i % classes) as u32).collect();
        let labels = Labels::classes(&labels, classes).unwrap();
        let mut data = vec![1.5f32; (n + 1) * 4];
        let mut soft = vec![-2.0f32; n * classes];
        let mut records = vec![Draw { partner: 7, op: SampleOp::Keep, lambda: 7.0 }; n];
        // One thing wrong at a time: the batch size, the label buffer, the records.
        let batch_len = if which == 0 { (n + 1) * 4 } else { n * 4 };
        match which {
            1 => { soft.pop(); }
            2 => { records.pop(); }
            3 => soft.push(0.0),
            _ => {}
        }
        let soft_before = soft.clone();
        let records_before = records.clone();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let untouched = rng.clone();
        let mut batch = BatchMut::new(&mut data[..batch_len], ImageLayout::flat(4)).unwrap();
        let r = mixup.apply(&mut rng, &mut batch, &labels, &mut records, &mut soft).map(drop);
        prop_assert!(r.is_err());
        prop_assert!(data.iter().all(|&v| v == 1.5));
        prop_assert_eq!(bits32(&soft), bits32(&soft_before));
        prop_assert_eq!(records, records_before);
        prop_assert_eq!(rng, untouched);
    }

    /// Out-of-range labels are refused when the labels are made, before any mixing.
    #[test]
    fn out_of_range_labels_are_refused(n in 1usize..10, classes in 1usize..6) {
        let mut labels: Vec<i64> = (0..n).map(|i| (i % classes) as i64).collect();
        labels[n - 1] = classes as i64;
        prop_assert!(Labels::classes(&labels, classes).is_err());
        labels[n - 1] = -1;
        prop_assert!(Labels::classes(&labels, classes).is_err());
    }
}

fn bits32(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

/// Mixes a generated batch both ways and checks they agree bit for bit, and that every element
/// is the blend of the two **original** samples (no mixed value was used as a source).
fn check_inplace<T: Element>(
    n: usize,
    sample_len: usize,
    p: &[usize],
    l: f64,
    gen_value: impl Fn(usize) -> T,
) -> Result<(), TestCaseError> {
    let src: Vec<T> = (0..n * sample_len).map(gen_value).collect();
    let mut dst = vec![T::default(); n * sample_len];
    mix_batch(&mut dst, &src, sample_len, p, l).unwrap();
    let mut inplace = src.clone();
    mix_batch_inplace(&mut inplace, sample_len, p, l).unwrap();
    prop_assert!(dst == inplace, "in-place differs from out-of-place");
    for i in 0..n {
        for e in 0..sample_len {
            let mut one = [T::default()];
            blend(
                &mut one,
                &[src[i * sample_len + e]],
                &[src[p[i] * sample_len + e]],
                l,
            )
            .unwrap();
            prop_assert!(one[0] == dst[i * sample_len + e]);
        }
    }
    Ok(())
}

/// A plan with one op for every sample is checked once, but the error still names the first
/// sample the op fails for, and nothing is written: on a class-index batch the first sample
/// not paired with itself, for a rectangle outside the image sample 0.
#[test]
fn one_op_plans_name_the_first_sample_they_fail_for() {
    let mut p = vec![0, 1, 3, 2];
    let perm = Permutation::new(&mut p).unwrap();
    let src = [0u8, 1, 2, 3];
    let mut out = [9u8; 4];
    let layout = ImageLayout::flat(1);
    let blend_half = Plan::same(&perm, SampleOp::Blend(0.5));
    let r = mix(
        &mut out,
        &Batch::class_indices(&src, layout).unwrap(),
        blend_half,
    );
    assert_eq!(r, Err(Error::BlendOfClassIndices { sample: 2 }));
    let mut data = src;
    let r = mix_inplace(
        &mut BatchMut::class_indices(&mut data, layout).unwrap(),
        blend_half,
    );
    assert_eq!(r, Err(Error::BlendOfClassIndices { sample: 2 }));
    assert_eq!((out, data), ([9; 4], src));
    // λ = 1 keeps every sample and averages nothing: allowed on class indices.
    mix(
        &mut out,
        &Batch::class_indices(&src, layout).unwrap(),
        Plan::same(&perm, SampleOp::Blend(1.0)),
    )
    .unwrap();
    assert_eq!(out, src);

    let rect = mixup::Rect {
        x1: 0,
        y1: 0,
        x2: 2,
        y2: 1,
    };
    let r = mix(
        &mut [9u8; 4],
        &Batch::new(&src, layout).unwrap(),
        Plan::same(&perm, SampleOp::Paste(rect)),
    );
    assert!(
        matches!(r, Err(Error::RectOutOfImage { sample: 0, .. })),
        "{r:?}"
    );
}
