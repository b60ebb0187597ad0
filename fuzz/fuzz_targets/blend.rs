//! Every implementation of the blend kernels against a naive per-element reference written here
//! from the documented rules (src/element/mod.rs, src/kernels.rs), and so against each other:
//! the public `blend`/`blend_inplace` (`Kernels::best`) and, through `Kernels::new(imp)`, every
//! implementation this machine runs (scalar, the baseline vector loop, AVX2, AVX-512, NEON),
//! with every store policy (`Stores::Auto`, `Streaming`, `Cached`). Every element type, arbitrary
//! lengths, offsets, λ and values (NaN, ±∞, ±0 and subnormals included). The outputs are compared
//! bit for bit: a computed NaN is the canonical quiet NaN, λ = 0 and λ = 1 copy. `Kernels::new`
//! refuses exactly the implementations this machine cannot run.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Element, Error, Implementation, Kernels, Stores, applied_lambda, blend, blend_inplace,
};
use mixup_fuzz::unit_f64;

/// The documented rules of one element, written independently of the crate.
trait Reference: Element {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    /// The λ applied for a requested λ in [0, 1].
    fn applied_ref(lambda: f64) -> f64;
    /// One output element.
    fn reference(a: Self, b: Self, lambda: f64) -> Self;
    /// Equal as the crate promises: the same bits (a computed NaN is the canonical one, a copied
    /// NaN keeps its payload).
    fn same(x: Self, y: Self) -> bool;
    /// Between `a` and `b` (inclusive), or NaN with a NaN input.
    fn between(x: Self, a: Self, b: Self) -> bool;
}

macro_rules! float_reference {
    ($t:ty, $bits:ty) => {
        impl Reference for $t {
            fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
                Ok(match u.int_in_range(0..=3)? {
                    // Raw bits: NaNs with payloads, infinities, subnormals, both zeros.
                    0 => <$t>::from_bits(u.arbitrary::<$bits>()?),
                    1 => *u.choose(&[
                        <$t>::MAX,
                        <$t>::MIN,
                        <$t>::MIN_POSITIVE,
                        <$t>::INFINITY,
                        <$t>::NEG_INFINITY,
                        0.0,
                        -0.0,
                    ])?,
                    _ => u.int_in_range(-1000i32..=1000)? as $t / 8.0,
                })
            }
            fn applied_ref(lambda: f64) -> f64 {
                // A λ of -0.0 is taken as 0.0.
                (lambda + 0.0) as $t as f64
            }
            fn reference(a: $t, b: $t, lambda: f64) -> $t {
                // λ rounded once to the type, μ = 1 − λ once; the exact ends copy.
                let lam = lambda as $t;
                if lam == 1.0 {
                    return a;
                }
                if lam == 0.0 {
                    return b;
                }
                let mu = 1.0 - lam;
                let r = lam * a + mu * b;
                if r.is_nan() {
                    // One NaN for every implementation and target.
                    return <$t>::NAN;
                }
                // Clamped to the interval between a and b.
                let lo = if a < b { a } else { b };
                let hi = if a < b { b } else { a };
                if r < lo {
                    lo
                } else if r > hi {
                    hi
                } else {
                    r
                }
            }
            fn same(x: $t, y: $t) -> bool {
                x.to_bits() == y.to_bits()
            }
            fn between(x: $t, a: $t, b: $t) -> bool {
                if x.is_nan() {
                    // NaN only from a NaN input or from ∞ − ∞.
                    return a.is_nan() || b.is_nan() || (a.is_infinite() && b == -a);
                }
                if a.is_nan() || b.is_nan() {
                    // A copy of the other input (λ exactly 0 or 1).
                    return x.to_bits() == a.to_bits() || x.to_bits() == b.to_bits();
                }
                a.min(b) <= x && x <= a.max(b)
            }
        }
    };
}

float_reference!(f32, u32);
float_reference!(f64, u64);

macro_rules! int_reference {
    ($t:ty, $bits:expr) => {
        impl Reference for $t {
            fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
                Ok(match u.int_in_range(0..=3)? {
                    0 => <$t>::MAX,
                    1 => 0,
                    _ => u.arbitrary()?,
                })
            }
            fn applied_ref(lambda: f64) -> f64 {
                weight(lambda, $bits) as f64 / (1u64 << $bits) as f64
            }
            fn reference(a: $t, b: $t, lambda: f64) -> $t {
                // (w·a + (2ᵏ − w)·b) / 2ᵏ rounded to nearest, halves up, in exact integers.
                let w = weight(lambda, $bits) as u128;
                let one = 1u128 << $bits;
                let num = w * a as u128 + (one - w) * b as u128;
                ((2 * num + one) / (2 * one)) as $t
            }
            fn same(x: $t, y: $t) -> bool {
                x == y
            }
            fn between(x: $t, a: $t, b: $t) -> bool {
                a.min(b) <= x && x <= a.max(b)
            }
        }
    };
}

int_reference!(u8, 8);
int_reference!(u16, 16);

macro_rules! signed_reference {
    ($t:ty, $bits:expr) => {
        impl Reference for $t {
            fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
                Ok(match u.int_in_range(0..=4)? {
                    0 => <$t>::MAX,
                    1 => <$t>::MIN,
                    2 => 0,
                    _ => u.arbitrary()?,
                })
            }
            fn applied_ref(lambda: f64) -> f64 {
                weight(lambda, $bits) as f64 / (1u64 << $bits) as f64
            }
            fn reference(a: $t, b: $t, lambda: f64) -> $t {
                // ⌊(w·a + (2ᵏ − w)·b + 2ᵏ⁻¹) / 2ᵏ⌋ on the signed values, in exact integers.
                let w = weight(lambda, $bits) as i128;
                let one = 1i128 << $bits;
                let num = w * a as i128 + (one - w) * b as i128 + one / 2;
                num.div_euclid(one) as $t
            }
            fn same(x: $t, y: $t) -> bool {
                x == y
            }
            fn between(x: $t, a: $t, b: $t) -> bool {
                a.min(b) <= x && x <= a.max(b)
            }
        }
    };
}

signed_reference!(i8, 8);
signed_reference!(i16, 16);

/// w = round(λ·2ᵏ), halves up, computed exactly: λ·2ᵏ is exact in f64 (a power-of-two scaling)
/// and so is its fractional part.
fn weight(lambda: f64, bits: u32) -> u64 {
    let x = lambda * (1u64 << bits) as f64;
    let whole = x.floor();
    let frac = x - whole;
    whole as u64 + u64::from(frac >= 0.5)
}

fn check<T: Reference>(u: &mut Unstructured<'_>) -> Result<()> {
    let len = if u.ratio(1, 8)? {
        u.int_in_range(0..=4100)?
    } else {
        u.int_in_range(0..=80)?
    };
    // Offsets into larger buffers move the slices off any vector alignment.
    let (oa, ob, oo) = (
        u.int_in_range(0..=15)?,
        u.int_in_range(0..=15)?,
        u.int_in_range(0..=15)?,
    );
    let lambda = unit_f64(u)?;
    let mut a_buf = vec![T::default(); oa + len];
    let mut b_buf = vec![T::default(); ob + len];
    // Only the first elements vary; the rest repeat them, so long inputs stay cheap to make.
    let distinct = len.min(64);
    for k in 0..distinct {
        a_buf[oa + k] = T::arbitrary(u)?;
        b_buf[ob + k] = T::arbitrary(u)?;
    }
    for k in distinct..len {
        a_buf[oa + k] = a_buf[oa + k % distinct];
        b_buf[ob + k] = b_buf[ob + k % distinct];
    }
    let a = &a_buf[oa..];
    let b = &b_buf[ob..];
    // Sometimes a length mismatch, which must be refused.
    let b_len = if u.ratio(1, 16)? && len > 0 {
        len - 1
    } else {
        len
    };
    let b = &b[..b_len];
    let fill = T::arbitrary(u)?;
    let valid_lambda = (0.0..=1.0).contains(&lambda);
    let valid = valid_lambda && b_len == len;

    assert_eq!(
        applied_lambda::<T>(lambda).ok().map(f64::to_bits),
        valid_lambda.then(|| T::applied_ref(lambda).to_bits()),
        "applied λ for {lambda:e}"
    );

    // The best kernels, then every implementation with every store policy.
    let mut out_buf = vec![fill; oo + len];
    let out = &mut out_buf[oo..];
    let result = blend(out, a, b, lambda);
    check_result::<T>(result, valid, lambda, b_len, len)?;
    check_output(out, a, b, lambda, valid, fill, "blend");
    let mut x = a.to_vec();
    let result = blend_inplace(&mut x, b, lambda);
    check_inplace(result, &x, a, out, lambda, valid, b_len, "blend_inplace")?;
    assert!(Kernels::best().implementation().is_available());

    for &imp in Implementation::ALL {
        let kernels = match Kernels::new(imp) {
            Ok(k) => {
                assert!(imp.is_available(), "{imp} made but not available");
                assert_eq!(k.implementation(), imp);
                k
            }
            Err(e) => {
                assert!(!imp.is_available(), "{imp} available but refused: {e}");
                assert_eq!(e, Error::ImplementationUnavailable { name: imp.name() });
                continue;
            }
        };
        for stores in [Stores::Auto, Stores::Streaming, Stores::Cached] {
            let k = kernels.with_stores(stores);
            assert_eq!((k.implementation(), k.stores()), (imp, stores));
            let mut buf = vec![fill; oo + len];
            let o = &mut buf[oo..];
            let result = k.blend(o, a, b, lambda);
            check_result::<T>(result, valid, lambda, b_len, len)?;
            check_output(
                o,
                a,
                b,
                lambda,
                valid,
                fill,
                &format!("{imp} {stores:?} blend"),
            );
            // The store policy is for out-of-place outputs; in place it must not matter.
            let mut x = a.to_vec();
            let result = k.blend_inplace(&mut x, b, lambda);
            let what = format!("{imp} {stores:?} blend_inplace");
            check_inplace(result, &x, a, out, lambda, valid, b_len, &what)?;
        }
    }
    Ok(())
}

/// An in-place blend: its result as for `blend`, its output `x` (made from a copy of `a`) equal
/// to `out`, the out-of-place output; nothing written on `Err`.
#[allow(clippy::too_many_arguments)]
fn check_inplace<T: Reference>(
    result: core::result::Result<f64, Error>,
    x: &[T],
    a: &[T],
    out: &[T],
    lambda: f64,
    valid: bool,
    b_len: usize,
    what: &str,
) -> Result<()> {
    check_result::<T>(result, valid, lambda, b_len, a.len())?;
    if valid {
        for (k, (p, q)) in x.iter().zip(out).enumerate() {
            assert!(
                T::same(*p, *q),
                "{what} differs from blend at {k}: {p:?} vs {q:?}"
            );
        }
    } else {
        assert!(
            x.iter().zip(a).all(|(p, q)| T::same(*p, *q)),
            "{what} wrote on Err"
        );
    }
    Ok(())
}

fn check_result<T: Reference>(
    result: core::result::Result<f64, Error>,
    valid: bool,
    lambda: f64,
    b_len: usize,
    len: usize,
) -> Result<()> {
    match result {
        Ok(applied) => {
            assert!(valid, "accepted λ={lambda:e} lengths {len}/{b_len}");
            assert_eq!(
                applied.to_bits(),
                T::applied_ref(lambda).to_bits(),
                "λ={lambda:e}"
            );
        }
        Err(Error::InvalidLambda { value }) => {
            assert!(!(0.0..=1.0).contains(&lambda));
            assert_eq!(value.to_bits(), lambda.to_bits());
        }
        Err(Error::LengthMismatch {
            what,
            expected,
            actual,
        }) => {
            assert_eq!((what, expected, actual), ("b", len, b_len));
        }
        Err(e) => panic!("unexpected {e:?}"),
    }
    Ok(())
}

fn check_output<T: Reference>(
    out: &[T],
    a: &[T],
    b: &[T],
    lambda: f64,
    valid: bool,
    fill: T,
    what: &str,
) {
    if !valid {
        assert!(out.iter().all(|&x| T::same(x, fill)), "{what} wrote on Err");
        return;
    }
    for k in 0..out.len() {
        let want = T::reference(a[k], b[k], lambda);
        assert!(
            T::same(out[k], want),
            "{what}, λ={lambda:e} ({:#x}), k={k}, a={:?}, b={:?}: got {:?}, reference {:?}",
            lambda.to_bits(),
            a[k],
            b[k],
            out[k],
            want
        );
        assert!(
            T::between(out[k], a[k], b[k]),
            "{what}: {:?} outside {:?}..{:?}",
            out[k],
            a[k],
            b[k]
        );
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=5u8) {
        Ok(0) => check::<f32>(&mut u),
        Ok(1) => check::<f64>(&mut u),
        Ok(2) => check::<u8>(&mut u),
        Ok(3) => check::<u16>(&mut u),
        Ok(4) => check::<i8>(&mut u),
        Ok(_) => check::<i16>(&mut u),
        Err(e) => Err(e),
    };
});
