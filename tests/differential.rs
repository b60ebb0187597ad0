//! Differential tests of the kernel implementations: every implementation this machine runs
//! must give, bit for bit, what the documented formula gives (computed here, one element at a
//! time, independently of the crate; copies at λ = 0 and λ = 1), at every length below 300, at every offset below 16 of each slice, with special
//! values, and for λ at and next to 0, ½ and 1.
//!
//! A `harness = false` test so that it can say which implementations it exercised.

use mixup::{
    Batch, BatchMut, Element, ImageLayout, Implementation, Kernels, Lookahead, Permutation, Plan,
    SampleOp, Stores,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// An element type under test: its special values, random values and bits.
trait Testable: Element {
    const NAME: &'static str;
    /// The λ the kernels apply for this type: `λ` rounded to the type's weight.
    fn applied(lambda: f64) -> f64;
    /// The documented blend of one element, for λ strictly between the exact ends.
    fn blend_one(a: Self, b: Self, lambda: f64) -> Self;
    fn specials() -> Vec<Self>;
    fn random(rng: &mut Xoshiro256PlusPlus) -> Self;
    /// An ordinary value (finite, not NaN) that varies with `k`.
    fn plain(k: usize) -> Self;
    fn bits(self) -> u64;
}

macro_rules! float_testable {
    ($t:ident, $bits:ty) => {
        impl Testable for $t {
            const NAME: &'static str = stringify!($t);
            fn applied(lambda: f64) -> f64 {
                lambda as $t as f64
            }
            fn blend_one(a: $t, b: $t, lambda: f64) -> $t {
                // λ·a + (1 − λ)·b in the type, two roundings and no FMA; every NaN result is
                // the one quiet NaN; the result is clamped between the inputs by compare and
                // select (so a NaN result stays NaN).
                let lam = lambda as $t;
                let r = lam * a + (1.0 - lam) * b;
                let r = if r.is_nan() { $t::NAN } else { r };
                let (lo, hi) = if a < b { (a, b) } else { (b, a) };
                if r < lo {
                    lo
                } else if r > hi {
                    hi
                } else {
                    r
                }
            }
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
            fn plain(k: usize) -> $t {
                (k % 251) as $t / 97.0 - 1.0
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
    ($t:ident, $bits:expr) => {
        impl Testable for $t {
            const NAME: &'static str = stringify!($t);
            fn applied(lambda: f64) -> f64 {
                (lambda * (1u64 << $bits) as f64).round() / (1u64 << $bits) as f64
            }
            fn blend_one(a: $t, b: $t, lambda: f64) -> $t {
                // w = round(λ·2ᵏ); (w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ, exact in u64.
                let one = 1u64 << $bits;
                let w = (lambda * one as f64).round() as u64;
                ((w * a as u64 + (one - w) * b as u64 + one / 2) >> $bits) as $t
            }
            fn specials() -> Vec<$t> {
                vec![0, 1, $t::MAX / 2, $t::MAX / 2 + 1, $t::MAX - 1, $t::MAX]
            }
            fn random(rng: &mut Xoshiro256PlusPlus) -> $t {
                rng.next_u64() as $t
            }
            fn plain(k: usize) -> $t {
                (k.wrapping_mul(2654435761) >> 7) as $t
            }
            fn bits(self) -> u64 {
                self as u64
            }
        }
    };
}

int_testable!(u8, 8);
int_testable!(u16, 16);

macro_rules! signed_testable {
    ($t:ident, $bits:expr) => {
        impl Testable for $t {
            const NAME: &'static str = stringify!($t);
            fn applied(lambda: f64) -> f64 {
                (lambda * (1u64 << $bits) as f64).round() / (1u64 << $bits) as f64
            }
            fn blend_one(a: $t, b: $t, lambda: f64) -> $t {
                // The same fixed point on the signed values: ⌊(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ⌋,
                // exact in i64 (an arithmetic shift is the floor).
                let one = 1i64 << $bits;
                let w = (lambda * one as f64).round() as i64;
                ((w * a as i64 + (one - w) * b as i64 + one / 2) >> $bits) as $t
            }
            fn specials() -> Vec<$t> {
                vec![$t::MIN, $t::MIN + 1, -1, 0, 1, $t::MAX - 1, $t::MAX]
            }
            fn random(rng: &mut Xoshiro256PlusPlus) -> $t {
                rng.next_u64() as $t
            }
            fn plain(k: usize) -> $t {
                (k.wrapping_mul(2654435761) >> 7) as $t
            }
            fn bits(self) -> u64 {
                self as u64
            }
        }
    };
}

signed_testable!(i8, 8);
signed_testable!(i16, 16);

#[cfg(feature = "half")]
macro_rules! half_testable {
    ($t:ident) => {
        impl Testable for half::$t {
            const NAME: &'static str = stringify!($t);
            fn applied(lambda: f64) -> f64 {
                lambda as f32 as f64
            }
            fn blend_one(a: half::$t, b: half::$t, lambda: f64) -> half::$t {
                // Widened to f32, blended as f32, rounded back by `half` (to nearest, even).
                half::$t::from_f32(f32::blend_one(a.to_f32(), b.to_f32(), lambda))
            }
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
            fn plain(k: usize) -> half::$t {
                half::$t::from_f32(f32::plain(k))
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

/// What the kernels must give: a copy at the exact ends (λ applied 1 or 0), else the documented
/// blend element by element.
fn reference<T: Testable>(a: &[T], b: &[T], lambda: f64) -> Vec<T> {
    let applied = <T as Testable>::applied(lambda);
    a.iter()
        .zip(b)
        .map(|(&x, &y)| {
            if applied == 1.0 {
                x
            } else if applied == 0.0 {
                y
            } else {
                T::blend_one(x, y, lambda)
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
                    let k = Kernels::new(imp).unwrap();
                    for stores in [Stores::Cached, Stores::Streaming] {
                        let out = &mut out_buf[oo..oo + len];
                        let applied = k.with_stores(stores).blend(out, a, b, lambda).unwrap();
                        assert_eq!(applied, mixup::applied_lambda::<T>(lambda).unwrap());
                        assert_eq!(applied, <T as Testable>::applied(lambda));
                        assert_same(out, &want, || {
                            format!(
                                "blend {imp} {stores:?} λ={lambda} len={len} \
                                 offsets={oo},{oa},{ob} a={a:?} b={b:?}"
                            )
                        });
                    }
                    let x = &mut out_buf[oo..oo + len];
                    x.copy_from_slice(a);
                    k.blend_inplace(x, b, lambda).unwrap();
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
        for sample_len in [1, 17, 300, 1021, 4099, 40_009] {
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
                let mut p = partners.clone();
                let perm = Permutation::new(&mut p).unwrap();
                let plan = Plan::same(&perm, SampleOp::Blend(lambda));
                let layout = ImageLayout::flat(sample_len);
                for &imp in imps {
                    let what = format!("batch {imp} B={batch_size} n={sample_len} λ={lambda}");
                    let k = Kernels::new(imp).unwrap();
                    let mut dst = vec![T::default(); src.len()];
                    k.mix(&mut dst, &Batch::new(&src, layout).unwrap(), plan)
                        .unwrap();
                    assert_same(&dst, &want, || format!("mix_{what}"));
                    // The default tile, one element, and a tile that divides no length here.
                    for tile in [k.tile_bytes(), 1, 97 * std::mem::size_of::<T>()] {
                        let mut batch = src.clone();
                        let mut view = BatchMut::new(&mut batch, layout).unwrap();
                        k.with_tile_bytes(tile)
                            .mix_inplace(&mut view, plan)
                            .unwrap();
                        assert_same(&batch, &want, || format!("mix_inplace_{what} tile={tile}"));
                    }
                    // The blend that prefetches ahead (at every size), and none at all.
                    for look in [Lookahead::Always, Lookahead::Never] {
                        let mut batch = src.clone();
                        let mut view = BatchMut::new(&mut batch, layout).unwrap();
                        k.with_lookahead(look).mix_inplace(&mut view, plan).unwrap();
                        assert_same(&batch, &want, || format!("mix_inplace_{what} {look:?}"));
                    }
                    // Two element ranges in either order, and several threads.
                    let mut batch = src.clone();
                    let mut view = BatchMut::new(&mut batch, layout).unwrap();
                    let cut = sample_len / 3;
                    k.mix_inplace_range(&mut view, plan, cut..sample_len)
                        .unwrap();
                    k.mix_inplace_range(&mut view, plan, 0..cut).unwrap();
                    assert_same(&batch, &want, || format!("mix_inplace_range_{what}"));
                    for threads in [2, 3] {
                        let mut batch = src.clone();
                        let mut view = BatchMut::new(&mut batch, layout).unwrap();
                        k.with_share_bytes(1)
                            .mix_inplace_parallel(&mut view, plan, threads)
                            .unwrap();
                        assert_same(&batch, &want, || format!("parallel({threads})_{what}"));
                    }
                    checks += 9;
                }
            }
        }
    }
    checks
}

/// The parallel mix sharing whole samples out (samples under two shares): 2, 3 and 7 threads,
/// Shuffle, Flip and Roll partners, against the per-sample reference.
fn whole_samples<T: Testable>(imps: &[Implementation], seed: u64) -> usize {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let (b, n) = (131, 1031);
    let src: Vec<T> = (0..b * n).map(|_| T::random(&mut rng)).collect();
    let shuffled = permutation(b, &mut rng);
    let flipped: Vec<usize> = (0..b).rev().collect();
    let rolled: Vec<usize> = (0..b).map(|i| (i + b - 1) % b).collect();
    let mut checks = 0;
    for partners in [shuffled, flipped, rolled] {
        let mut want = Vec::with_capacity(src.len());
        for (i, &j) in partners.iter().enumerate() {
            let a = &src[i * n..][..n];
            if i == j {
                want.extend_from_slice(a);
            } else {
                want.extend(reference(a, &src[j * n..][..n], 0.3));
            }
        }
        let mut p = partners.clone();
        let perm = Permutation::new(&mut p).unwrap();
        let plan = Plan::same(&perm, SampleOp::Blend(0.3));
        for &imp in imps {
            // A share of one sample: no sample splits, and 131 samples make 8 threads' worth.
            let k = Kernels::new(imp)
                .unwrap()
                .with_share_bytes(n * std::mem::size_of::<T>());
            for threads in [2, 3, 7] {
                let mut batch = src.clone();
                let mut view = BatchMut::new(&mut batch, ImageLayout::flat(n)).unwrap();
                k.mix_inplace_parallel(&mut view, plan, threads).unwrap();
                assert_same(&batch, &want, || {
                    format!("whole samples {imp} threads={threads}")
                });
                checks += 1;
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
        Kernels::new(imp).unwrap().blend(o, a, b, 0.3).unwrap();
        assert_same(o, &want, || format!("large blend {imp}"));
    }
    // A batch of two samples whose output is above the threshold: `mix_batch` streams it.
    let half = len / 2;
    let src = &a[..2 * half];
    let mut want = reference(&src[..half], &src[half..], 0.3);
    want.extend(reference(&src[half..], &src[..half], 0.3));
    let dst = &mut out[..2 * half];
    let mut partners = [1, 0];
    let perm = Permutation::new(&mut partners).unwrap();
    let batch = Batch::new(src, ImageLayout::flat(half)).unwrap();
    for &imp in imps {
        let k = Kernels::new(imp).unwrap();
        k.mix(dst, &batch, Plan::same(&perm, SampleOp::Blend(0.3)))
            .unwrap();
        assert_same(dst, &want, || format!("large mix {imp}"));
    }
    2 * imps.len()
}

/// One special value in a long run of ordinary ones, at the ends and on both sides of the
/// float loops' 4 KiB blocks (512 `f64`, 1024 `f32`), in `a` or in `b`: the kernels find a NaN
/// per block and make it canonical in a second pass, which must reach exactly the element that
/// needs it, and leave an infinity or an ∞ − ∞ in the right state.
fn sparse<T: Testable>(imps: &[Implementation]) -> usize {
    const LEN: usize = 2200;
    let plain = |shift: usize| -> Vec<T> { (0..LEN).map(|k| T::plain(k + shift)).collect() };
    let (a0, b0) = (plain(0), plain(40));
    let mut out = vec![T::default(); LEN];
    let mut checks = 0;
    let specials = T::specials();
    for (i, &s) in specials.iter().enumerate() {
        // The float lists are values then their negations: this is `-s` for them.
        let opposite = specials[(i + specials.len() / 2) % specials.len()];
        for at in [0, 1, 511, 512, 513, 1023, 1024, 1025, 1500, LEN - 1] {
            for side in 0..3 {
                let (mut a, mut b) = (a0.clone(), b0.clone());
                match side {
                    0 => a[at] = s,
                    1 => b[at] = s,
                    // The special in `a`, its negation in `b` (∞ − ∞ for infinities), and the
                    // special again in another block of `b`.
                    _ => {
                        a[at] = s;
                        b[at] = opposite;
                        b[(at + 300) % LEN] = s;
                    }
                }
                for lambda in [0.3, 0.5, 0.7] {
                    let want = reference(&a, &b, lambda);
                    for &imp in imps {
                        let k = Kernels::new(imp).unwrap();
                        let what =
                            || format!("sparse {imp} λ={lambda} special {s:?} at {at} side {side}");
                        k.blend(&mut out, &a, &b, lambda).unwrap();
                        assert_same(&out, &want, what);
                        out.copy_from_slice(&a);
                        k.blend_inplace(&mut out, &b, lambda).unwrap();
                        assert_same(&out, &want, what);
                        checks += 2;
                    }
                }
            }
        }
    }
    checks
}

fn run<T: Testable>(imps: &[Implementation], seed: u64) {
    let start = std::time::Instant::now();
    let checks = blends::<T>(imps, seed)
        + batches::<T>(imps, seed + 1)
        + large::<T>(imps, seed + 2)
        + whole_samples::<T>(imps, seed + 3)
        + sparse::<T>(imps);
    println!(
        "  {:<5} {checks} comparisons with the reference in {:.2?}",
        T::NAME,
        start.elapsed()
    );
}

fn main() {
    // Unavailable implementations must be refused, not run.
    for &imp in Implementation::ALL {
        assert_eq!(Kernels::new(imp).is_ok(), imp.is_available(), "{imp}");
    }
    let imps: Vec<Implementation> = Implementation::available().collect();
    assert!(imps.contains(&Implementation::Scalar) && imps.contains(&Implementation::Baseline));
    let best = Kernels::best().implementation();
    assert!(imps.contains(&best));
    let names: Vec<&str> = imps.iter().map(|i| i.name()).collect();
    println!(
        "differential: implementations exercised: {} (in use: {best})",
        names.join(", "),
    );
    run::<f32>(&imps, 1);
    run::<f64>(&imps, 11);
    run::<u8>(&imps, 21);
    run::<u16>(&imps, 31);
    run::<i8>(&imps, 61);
    run::<i16>(&imps, 71);
    #[cfg(feature = "half")]
    run::<half::f16>(&imps, 41);
    #[cfg(feature = "half")]
    run::<half::bf16>(&imps, 51);
    println!("differential: ok");
}
