//! Differential tests of the kernel implementations: every implementation this machine runs
//! must give, bit for bit, what the scalar reference `Element::mix` gives (and copies at λ = 0
//! and λ = 1), at every length below 300, at every offset below 16 of each slice, with special
//! values, and for λ at and next to 0, ½ and 1.
//!
//! A `harness = false` test so that it can say which implementations it exercised.

use mixup::{Element, Implementation};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// An element type under test: its special values, random values and bits.
trait Testable: Element {
    const NAME: &'static str;
    fn specials() -> Vec<Self>;
    fn random(rng: &mut Xoshiro256PlusPlus) -> Self;
    fn bits(self) -> u64;
}

macro_rules! float_testable {
    ($t:ident, $bits:ty) => {
        impl Testable for $t {
            const NAME: &'static str = stringify!($t);
            fn specials() -> Vec<$t> {
                let mut v = vec![
                    0.0,
                    -0.0,
                    1.0,
                    -1.0,
                    0.5,
                    $t::INFINITY,
                    $t::NEG_INFINITY,
                    $t::NAN,
                    -$t::NAN,
                    $t::from_bits($t::NAN.to_bits() | 1), // a NaN with a payload
                    $t::MIN_POSITIVE,
                    $t::MIN_POSITIVE / 2.0, // subnormal
                    -$t::from_bits(1),      // smallest negative subnormal
                    $t::from_bits(1),
                    $t::MAX,
                    $t::MIN,
                    $t::EPSILON,
                    1.0 - $t::EPSILON / 2.0,
                ];
                v.extend(v.clone().iter().map(|x| -x));
                v
            }
            fn random(rng: &mut Xoshiro256PlusPlus) -> $t {
                let bits = rng.next_u64();
                match bits % 4 {
                    // Arbitrary bit patterns: every exponent, NaNs included.
                    0 => $t::from_bits((bits >> 2) as $bits),
                    // Pixel-like values in [0, 1] and around.
                    _ => ((bits >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 1.5) as $t,
                }
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
        }
    };
}

float_testable!(f32, u32);
float_testable!(f64, u64);

macro_rules! int_testable {
    ($t:ident) => {
        impl Testable for $t {
            const NAME: &'static str = stringify!($t);
            fn specials() -> Vec<$t> {
                vec![0, 1, $t::MAX / 2, $t::MAX / 2 + 1, $t::MAX - 1, $t::MAX]
            }
            fn random(rng: &mut Xoshiro256PlusPlus) -> $t {
                rng.next_u64() as $t
            }
            fn bits(self) -> u64 {
                self as u64
            }
        }
    };
}

int_testable!(u8);
int_testable!(u16);

#[cfg(feature = "half")]
macro_rules! half_testable {
    ($t:ident) => {
        impl Testable for half::$t {
            const NAME: &'static str = stringify!($t);
            fn specials() -> Vec<half::$t> {
                use half::$t as H;
                let mut v = vec![
                    H::ZERO,
                    H::NEG_ZERO,
                    H::ONE,
                    H::NEG_ONE,
                    H::INFINITY,
                    H::NEG_INFINITY,
                    H::NAN,
                    H::from_bits(H::NAN.to_bits() | 1),
                    H::MIN_POSITIVE,
                    H::MIN_POSITIVE_SUBNORMAL,
                    H::from_bits(H::MIN_POSITIVE.to_bits() - 1), // largest subnormal
                    H::MAX,
                    H::MIN,
                    H::EPSILON,
                ];
                v.extend(v.clone().iter().map(|&x| -x));
                v
            }
            fn random(rng: &mut Xoshiro256PlusPlus) -> half::$t {
                let bits = rng.next_u64();
                match bits % 4 {
                    0 => half::$t::from_bits((bits >> 2) as u16),
                    _ => half::$t::from_f64((bits >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 1.5),
                }
            }
            fn bits(self) -> u64 {
                self.to_bits() as u64
            }
        }
    };
}

#[cfg(feature = "half")]
half_testable!(f16);
#[cfg(feature = "half")]
half_testable!(bf16);

/// λ at and next to the values where kernels change behaviour, plus a few ordinary ones.
fn lambdas() -> Vec<f64> {
    let below = |x: f64| f64::from_bits(x.to_bits() - 1);
    let above = |x: f64| f64::from_bits(x.to_bits() + 1);
    vec![
        0.0,
        f64::from_bits(1),
        1e-9,
        1.0 / 512.0,        // a u8 rounding boundary (w = 0.5 → 1)
        below(1.0 / 512.0), // ... just below it
        1.0 / 131072.0,     // the u16 one
        f32::EPSILON as f64 / 4.0,
        0.3,
        below(0.5),
        0.5,
        above(0.5),
        0.7,
        1.0 - 1.0 / 512.0,
        1.0 - 1e-9,
        below(1.0),
        1.0,
    ]
}

/// What the kernels must give: a copy at the exact ends (λ applied 1 or 0), else `Element::mix`
/// element by element.
fn reference<T: Element>(a: &[T], b: &[T], lambda: f64) -> Vec<T> {
    let w = T::weights(lambda);
    let applied = T::applied(w);
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            if applied == 1.0 {
                x
            } else if applied == 0.0 {
                y
            } else {
                T::mix(x, y, w)
            }
        })
        .collect()
}

/// Bitwise equality; `what` describes the case and is built only on failure.
fn assert_same<T: Testable>(got: &[T], want: &[T], what: impl Fn() -> String) {
    assert_eq!(got.len(), want.len());
    if let Some(k) = (0..got.len()).find(|&k| got[k].bits() != want[k].bits()) {
        panic!(
            "{}: {}: element {k}: got {:?} ({:#x}), want {:?} ({:#x})",
            T::NAME,
            what(),
            got[k],
            got[k].bits(),
            want[k],
            want[k].bits()
        );
    }
}

const MAX_LEN: usize = 300;
const OFFSETS: usize = 16;

/// Offsets of (out, a, b): every slice at every offset, once with the other two at the same
/// offset and once at two different ones.
fn offset_triples() -> Vec<[usize; 3]> {
    let mut v = Vec::new();
    for k in 0..OFFSETS {
        v.push([k, k, k]);
        v.push([k, (k + 5) % OFFSETS, (k + 11) % OFFSETS]);
    }
    v
}

fn blends<T: Testable>(imps: &[Implementation], seed: u64) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let specials = T::specials();
    let pool = |n: usize, rng: &mut Xoshiro256PlusPlus| -> Vec<T> {
        (0..n)
            .map(|_| {
                if rng.next_u32().is_multiple_of(3) {
                    specials[rng.next_u32() as usize % specials.len()]
                } else {
                    T::random(rng)
                }
            })
            .collect()
    };
    let n = MAX_LEN + OFFSETS;
    let (a_buf, b_buf) = (pool(n, &mut rng), pool(n, &mut rng));
    let mut out_buf = vec![T::default(); n];
    let mut checks = 0;
    for lambda in lambdas() {
        for len in 0..MAX_LEN {
            for [oo, oa, ob] in offset_triples() {
                let (a, b) = (&a_buf[oa..oa + len], &b_buf[ob..ob + len]);
                let want = reference(a, b, lambda);
                for &imp in imps {
                    for streaming in [false, true] {
                        let out = &mut out_buf[oo..oo + len];
                        let applied = mixup::blend_with(imp, out, a, b, lambda, streaming).unwrap();
                        assert_eq!(applied, mixup::applied_lambda::<T>(lambda).unwrap());
                        assert_same(out, &want, || {
                            format!(
                                "blend {imp} streaming={streaming} λ={lambda} len={len} \
                                 offsets={oo},{oa},{ob} a={a:?} b={b:?}"
                            )
                        });
                    }
                    let x = &mut out_buf[oo..oo + len];
                    x.copy_from_slice(a);
                    mixup::blend_inplace_with(imp, x, b, lambda).unwrap();
                    assert_same(x, &want, || {
                        format!("blend_inplace {imp} λ={lambda} len={len} offsets={oo},{ob}")
                    });
                    checks += 3;
                }
            }
        }
    }
    checks
}

/// A uniform permutation by Fisher–Yates (the test's own, independent of the crate's pairing).
fn permutation(n: usize, rng: &mut Xoshiro256PlusPlus) -> Vec<usize> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = (rng.next_u64() % (i as u64 + 1)) as usize;
        p.swap(i, j);
    }
    p
}

/// Whole batches, in place and out of place, against the per-sample reference; sample lengths
/// cross the stack tile of the in-place mix.
fn batches<T: Testable>(imps: &[Implementation], seed: u64) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let mut checks = 0;
    for batch_size in [1, 2, 3, 5, 8] {
        for sample_len in [0, 1, 17, 300, 1021, 4099] {
            let src: Vec<T> = (0..batch_size * sample_len)
                .map(|_| T::random(&mut rng))
                .collect();
            let partners = permutation(batch_size, &mut rng);
            for lambda in [0.0, 0.3, 0.5, 1.0 - 1e-9, 1.0] {
                let mut want = Vec::with_capacity(src.len());
                for (i, &j) in partners.iter().enumerate() {
                    let a = &src[i * sample_len..][..sample_len];
                    let b = &src[j * sample_len..][..sample_len];
                    if i == j {
                        want.extend_from_slice(a); // a sample paired with itself is kept
                    } else {
                        want.extend(reference(a, b, lambda));
                    }
                }
                for &imp in imps {
                    let what = format!("batch {imp} B={batch_size} n={sample_len} λ={lambda}");
                    let mut dst = vec![T::default(); src.len()];
                    mixup::mix_batch_with(imp, &mut dst, &src, sample_len, &partners, lambda)
                        .unwrap();
                    assert_same(&dst, &want, || format!("mix_{what}"));
                    let mut batch = src.clone();
                    mixup::mix_batch_inplace_with(imp, &mut batch, sample_len, &partners, lambda)
                        .unwrap();
                    assert_same(&batch, &want, || format!("mix_inplace_{what}"));
                    checks += 2;
                }
            }
        }
    }
    checks
}

/// Outputs above the non-temporal threshold, through the public entry points' automatic choice.
fn large<T: Testable>(imps: &[Implementation], seed: u64) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let len = (33 << 20) / std::mem::size_of::<T>() + 37;
    let a: Vec<T> = (0..len).map(|_| T::random(&mut rng)).collect();
    let b: Vec<T> = (0..len + 1).map(|_| T::random(&mut rng)).collect();
    let (a, b) = (&a[..], &b[1..]); // misaligned against each other
    let want = reference(a, b, 0.3);
    let mut out = vec![T::default(); len + 1];
    for &imp in imps {
        let o = &mut out[1..];
        mixup::blend_with(imp, o, a, b, 0.3, false).unwrap();
        assert_same(o, &want, || format!("large blend {imp}"));
    }
    // A batch of two samples whose output is above the threshold: `mix_batch` streams it.
    let half = len / 2;
    let src = &a[..2 * half];
    let mut want = reference(&src[..half], &src[half..], 0.3);
    want.extend(reference(&src[half..], &src[..half], 0.3));
    let dst = &mut out[..2 * half];
    for &imp in imps {
        mixup::mix_batch_with(imp, dst, src, half, &[1, 0], 0.3).unwrap();
        assert_same(dst, &want, || format!("large mix_batch {imp}"));
    }
    2 * imps.len()
}

fn run<T: Testable>(imps: &[Implementation], seed: u64) {
    let start = std::time::Instant::now();
    let checks =
        blends::<T>(imps, seed) + batches::<T>(imps, seed + 1) + large::<T>(imps, seed + 2);
    println!(
        "  {:<5} {checks} comparisons with the reference in {:.2?}",
        T::NAME,
        start.elapsed()
    );
}

fn main() {
    // Unavailable implementations must be refused, not run.
    for imp in Implementation::ALL {
        let r = mixup::blend_with::<f32>(imp, &mut [0.0], &[1.0], &[2.0], 0.5, false);
        assert_eq!(r.is_ok(), imp.is_available(), "{imp}");
    }
    let imps: Vec<Implementation> = Implementation::available().collect();
    assert!(imps.contains(&Implementation::Scalar) && imps.contains(&Implementation::Baseline));
    assert!(imps.contains(&mixup::implementation()));
    let names: Vec<&str> = imps.iter().map(|i| i.name()).collect();
    println!(
        "differential: implementations exercised: {} (in use: {})",
        names.join(", "),
        mixup::implementation()
    );
    run::<f32>(&imps, 1);
    run::<f64>(&imps, 11);
    run::<u8>(&imps, 21);
    run::<u16>(&imps, 31);
    #[cfg(feature = "half")]
    run::<half::f16>(&imps, 41);
    #[cfg(feature = "half")]
    run::<half::bf16>(&imps, 51);
    println!("differential: ok");
}
