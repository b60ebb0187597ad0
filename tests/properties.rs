//! Property tests of the core guarantees: λ in [0, 1], label rows summing to 1, blends between
//! their inputs, in-place mixing equal to out-of-place mixing, and bad input leaving every
//! buffer untouched.

use mixup::{
    Beta, Element, Error, Mixup, Pairing, applied_lambda, blend, blend_inplace, mix_batch,
    mix_batch_inplace, mix_one_hot, mix_soft,
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

/// A partner list from a pairing, or `None` for a derangement of one.
fn partners_for(pairing: Pairing, n: usize, seed: u64) -> Option<Vec<usize>> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut p = vec![0; n];
    pairing.fill(&mut rng, &mut p).ok().map(|_| p)
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
        mix_one_hot(&mut out, &labels, &p, classes, l, eps).unwrap();
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
        mix_soft(&mut out, &rows, &p, classes, l).unwrap();
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
        sample_len in 0usize..40,
        l in lambda(),
        pairing in pairing(),
        seed: u64,
    ) {
        let Some(p) = partners_for(pairing, n, seed) else { return Ok(()) };
        check_inplace::<f32>(n, sample_len, &p, l, |k| (k as f32 * 0.37).sin() * 1e3)?;
        check_inplace::<f64>(n, sample_len, &p, l, |k| (k as f64 * 0.11).cos())?;
        check_inplace::<u8>(n, sample_len, &p, l, |k| (k * 37 % 256) as u8)?;
        check_inplace::<u16>(n, sample_len, &p, l, |k| (k * 7919 % 65536) as u16)?;
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
        sample_len in 0usize..20,
        classes in 1usize..12,
        alpha in prop_oneof![Just(5e-324), Just(f64::MAX), 0.01..10.0f64],
        p in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        eps in prop_oneof![Just(0.0), 0.0..0.5f64],
        pairing in pairing(),
        seed: u64,
    ) {
        let mixup = Mixup::new(alpha).unwrap().with_probability(p).unwrap()
            .with_pairing(pairing).with_label_smoothing(eps).unwrap();
        let labels: Vec<u16> = (0..n).map(|i| (i % classes) as u16).collect();
        let orig: Vec<u8> = (0..n * sample_len).map(|k| (k * 31 % 256) as u8).collect();
        let mut data = orig.clone();
        let mut soft = vec![f32::NAN; n * classes];
        let mut partners = vec![usize::MAX; n];
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let r = mixup.apply(&mut rng, &mut data, sample_len, &labels, classes, &mut soft, &mut partners);
        if pairing == Pairing::Derangement && n == 1 {
            prop_assert_eq!(r, Err(Error::DerangementOfOne));
            prop_assert_eq!(&data, &orig);
            return Ok(());
        }
        let outcome = r.unwrap();
        prop_assert!((0.0..=1.0).contains(&outcome.lambda));
        // The λ returned is exactly the one the u8 kernel applies.
        prop_assert_eq!(applied_lambda::<u8>(outcome.lambda).unwrap(), outcome.lambda);
        let mut expected = vec![0u8; n * sample_len];
        mix_batch(&mut expected, &orig, sample_len, &partners, outcome.lambda).unwrap();
        prop_assert_eq!(&data, &expected);
        if !outcome.mixed {
            prop_assert_eq!(&data, &orig);
        }
        let mut expected_soft = vec![0.0f32; n * classes];
        mix_one_hot(&mut expected_soft, &labels, &partners, classes, outcome.lambda, eps).unwrap();
        prop_assert_eq!(bits32(&soft), bits32(&expected_soft));
    }

    #[test]
    fn mixup_apply_with_bad_input_touches_nothing(
        n in 1usize..10,
        classes in 1usize..6,
        which in 0usize..4,
        seed: u64,
    ) {
        let mixup = Mixup::new(0.3).unwrap();
        let mut labels: Vec<i64> = (0..n).map(|i| (i % classes) as i64).collect();
        let mut data = vec![1.5f32; n * 4];
        let mut soft = vec![-2.0f32; n * classes];
        let mut partners = vec![7usize; n];
        let mut data_len = n * 4;
        match which {
            0 => labels[n - 1] = classes as i64,
            1 => labels[0] = -1,
            2 => data_len += 1,
            _ => { soft.pop(); }
        }
        data.resize(data_len, 1.5);
        let soft_before = soft.clone();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let untouched = rng.clone();
        let r = mixup.apply(&mut rng, &mut data, 4, &labels, classes, &mut soft, &mut partners);
        prop_assert!(r.is_err());
        prop_assert!(data.iter().all(|&v| v == 1.5));
        prop_assert_eq!(bits32(&soft), bits32(&soft_before));
        prop_assert!(partners.iter().all(|&v| v == 7));
        prop_assert_eq!(rng, untouched);
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
    let a1 = mix_batch(&mut dst, &src, sample_len, p, l).unwrap();
    let mut inplace = src.clone();
    let a2 = mix_batch_inplace(&mut inplace, sample_len, p, l).unwrap();
    prop_assert_eq!(a1, a2);
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
