//! Helpers shared by the fuzz targets: a generator the fuzzer can steer, and value choices that
//! reach the edges (exact 0 and 1, quantization ties, subnormals, NaN) far more often than raw
//! random bits would.

use arbitrary::{Arbitrary, Result, Unstructured};
use core::convert::Infallible;
use mixup::{Draw, Error, Permutation, SampleOp};
use rand_core::{SeedableRng, TryRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// A generator that first replays words chosen by the fuzzer, then continues with a seeded
/// Xoshiro256++.
///
/// The script lets the fuzzer pick the exact draws that hit rare branches (a uniform of exactly
/// 0 or 1 − 2⁻⁵³, a rejected candidate, a derangement that needs many tries); the continuation
/// keeps every rejection loop finite, as any working generator does.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptedRng {
    script: Vec<u64>,
    pos: usize,
    rest: Xoshiro256PlusPlus,
}

impl ScriptedRng {
    pub fn new(script: Vec<u64>, seed: u64) -> Self {
        ScriptedRng {
            script,
            pos: 0,
            rest: Xoshiro256PlusPlus::seed_from_u64(seed),
        }
    }

    fn word(&mut self) -> u64 {
        if let Some(&w) = self.script.get(self.pos) {
            self.pos += 1;
            w
        } else {
            use rand_core::Rng;
            self.rest.next_u64()
        }
    }
}

impl<'a> Arbitrary<'a> for ScriptedRng {
    fn arbitrary(u: &mut Unstructured<'a>) -> Result<Self> {
        let len = u.int_in_range(0..=24)?;
        let mut script = Vec::with_capacity(len);
        for _ in 0..len {
            // Words near the ends of the range are what the samplers special-case.
            script.push(match u.int_in_range(0..=3)? {
                0 => u64::MAX - u.int_in_range(0..=4096)?,
                1 => u.int_in_range(0..=4096)?,
                _ => u.arbitrary()?,
            });
        }
        Ok(ScriptedRng::new(script, u.arbitrary()?))
    }
}

impl TryRng for ScriptedRng {
    type Error = Infallible;

    fn try_next_u32(&mut self) -> core::result::Result<u32, Infallible> {
        // The high half, as Xoshiro256++ does, so a scripted word means the same to both.
        Ok((self.word() >> 32) as u32)
    }

    fn try_next_u64(&mut self) -> core::result::Result<u64, Infallible> {
        Ok(self.word())
    }

    fn try_fill_bytes(&mut self, dst: &mut [u8]) -> core::result::Result<(), Infallible> {
        for chunk in dst.chunks_mut(8) {
            let w = self.word().to_le_bytes();
            chunk.copy_from_slice(&w[..chunk.len()]);
        }
        Ok(())
    }
}

/// A λ-like number: mostly in `[0, 1]` and at the quantization grid's ties, sometimes anything.
pub fn unit_f64(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(match u.int_in_range(0..=9)? {
        0 => 0.0,
        1 => 1.0,
        // k / 2^bits: the exact u8 / u16 weights.
        2 => u.int_in_range(0..=256u32)? as f64 / 256.0,
        3 => u.int_in_range(0..=65536u32)? as f64 / 65536.0,
        // Halfway between two weights, nudged by a few ulps: the rounding ties.
        4 | 5 => {
            let bits = if u.arbitrary()? { 8 } else { 16 };
            let k = u.int_in_range(0..=(1u32 << bits) - 1)?;
            let tie = (k as f64 + 0.5) / (1u64 << bits) as f64;
            let nudge: i8 = u.int_in_range(-4..=4)?;
            f64::from_bits((tie.to_bits() as i64 + nudge as i64) as u64)
        }
        // Uniform on the 53-bit grid.
        6 | 7 => (u.arbitrary::<u64>()? >> 11) as f64 / 9_007_199_254_740_992.0,
        // Just inside the ends.
        8 => {
            let k: u8 = u.int_in_range(1..=64)?;
            if u.arbitrary()? {
                f64::from_bits(k as u64)
            } else {
                f64::from_bits(1.0f64.to_bits() - k as u64)
            }
        }
        _ => any_f64(u)?,
    })
}

/// Any double, with the special values (NaN, ±∞, ±0, subnormals, extremes) likely.
pub fn any_f64(u: &mut Unstructured<'_>) -> Result<f64> {
    const SPECIAL: [f64; 14] = [
        f64::NAN,
        f64::INFINITY,
        f64::NEG_INFINITY,
        0.0,
        -0.0,
        5e-324,
        -5e-324,
        f64::MIN_POSITIVE,
        f64::MAX,
        f64::MIN,
        f64::EPSILON,
        1.0 + f64::EPSILON,
        -1.0,
        0.5,
    ];
    Ok(if u.arbitrary()? {
        *u.choose(&SPECIAL)?
    } else {
        f64::from_bits(u.arbitrary()?)
    })
}

/// A shape parameter α: positive and spread over every binade most of the time, anything
/// otherwise.
pub fn shape(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(match u.int_in_range(0..=3)? {
        0 => any_f64(u)?,
        // Positive, any exponent (subnormal to f64::MAX).
        1 | 2 => f64::from_bits(u.arbitrary::<u64>()? & 0x7fff_ffff_ffff_ffff),
        _ => *u.choose(&[1e-3, 0.05, 0.1, 0.2, 0.4, 1.0, 2.0, 8.0, 100.0])?,
    })
}

/// A permutation of `0..n` from the fuzzer's bytes (Fisher–Yates driven by the input).
pub fn permutation(u: &mut Unstructured<'_>, n: usize) -> Result<Vec<usize>> {
    let mut p: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        let j = u.int_in_range(0..=i)?;
        p.swap(i, j);
    }
    Ok(p)
}

/// Partners for a batch of `n`: usually a permutation, sometimes with one entry corrupted (out
/// of range or a repeat), sometimes of the wrong length.
pub fn partners(u: &mut Unstructured<'_>, n: usize) -> Result<Vec<usize>> {
    let mut p = permutation(u, n)?;
    match u.int_in_range(0..=7)? {
        0 if n > 0 => {
            let i = u.int_in_range(0..=n - 1)?;
            p[i] = *u.choose(&[n, n + 1, usize::MAX, p[(i + 1) % n]])?;
        }
        1 => {
            if u.arbitrary()? {
                p.push(n);
            } else {
                p.pop();
            }
        }
        _ => {}
    }
    Ok(p)
}

/// Whether `p` is a permutation of `0..p.len()`, the slow obvious way.
pub fn is_permutation(p: &[usize]) -> bool {
    let mut seen = vec![false; p.len()];
    for &x in p {
        if x >= p.len() || seen[x] {
            return false;
        }
        seen[x] = true;
    }
    true
}

/// The first position of `p` that is out of range or repeats an earlier entry: the position a
/// refused permutation's `Error::NotAPermutation` must name. `None` for a permutation.
pub fn first_bad(p: &[usize]) -> Option<usize> {
    let mut seen = vec![false; p.len()];
    for (i, &x) in p.iter().enumerate() {
        if x >= p.len() || seen[x] {
            return Some(i);
        }
        seen[x] = true;
    }
    None
}

/// `Permutation::new(partners)` with its 0.2 contract asserted: `Ok` exactly for a permutation
/// (the checked view reading back the same partners), otherwise `Error::NotAPermutation` naming
/// the first bad position and the value there, with the slice left exactly as it was.
///
/// On `Ok` the slice is given back when the permutation is dropped; [`check_permutation`]
/// asserts that too.
pub fn checked_permutation(partners: &mut [usize]) -> core::result::Result<Permutation<'_>, Error> {
    let before = partners.to_vec();
    let bad = first_bad(&before);
    // Checked once and dropped at once: the slice must come back as it was, whatever the verdict.
    let verdict = Permutation::new(partners).map(drop);
    assert_eq!(partners, &before[..], "the check did not restore the slice");
    match (verdict, bad) {
        (Ok(()), None) => {}
        (Ok(()), Some(i)) => panic!("accepted {before:?}, bad at {i}"),
        (Err(e), None) => panic!("refused a permutation ({e}): {before:?}"),
        (Err(e), Some(position)) => {
            assert_eq!(
                e,
                Error::NotAPermutation {
                    position,
                    partner: before[position]
                },
                "{before:?}"
            );
            return Err(e);
        }
    }
    let perm = Permutation::new(partners).expect("accepted once, accepted twice");
    assert_eq!(perm.len(), before.len());
    assert_eq!(perm.is_empty(), before.is_empty());
    assert!(perm.iter().eq(before.iter().copied()), "{before:?}");
    assert_eq!(perm.get(before.len()), None);
    Ok(perm)
}

/// [`checked_permutation`] on a copy, the copy dropped and compared: `Ok` or the error, and the
/// slice given back unchanged on every outcome.
pub fn check_permutation(partners: &[usize]) -> core::result::Result<(), Error> {
    let mut copy = partners.to_vec();
    let result = checked_permutation(&mut copy).map(drop);
    assert_eq!(
        copy, partners,
        "the permutation was not given back unchanged"
    );
    result
}

/// Draw records with these partners, `op(i)` for sample `i`, and a `lambda` that
/// `Draws::new` must overwrite (and must leave alone when it refuses them).
pub fn records(partners: &[usize], op: impl Fn(usize) -> SampleOp) -> Vec<Draw> {
    partners
        .iter()
        .enumerate()
        .map(|(i, &partner)| Draw {
            partner,
            op: op(i),
            lambda: f64::from_bits(0x7ff8_dead_beef_0001),
        })
        .collect()
}

/// A draw record as bits, so that records holding NaN compare exactly.
pub fn draw_bits(d: &Draw) -> [u64; 7] {
    let (tag, op) = match d.op {
        SampleOp::Keep => (0, [0; 4]),
        SampleOp::Blend(l) => (1, [l.to_bits(), 0, 0, 0]),
        SampleOp::Paste(r) => (2, [r.x1, r.y1, r.x2, r.y2].map(|x| x as u64)),
        _ => (3, [0; 4]),
    };
    [
        d.partner as u64,
        tag,
        op[0],
        op[1],
        op[2],
        op[3],
        d.lambda.to_bits(),
    ]
}

/// [`draw_bits`] of every record.
pub fn records_bits(records: &[Draw]) -> Vec<[u64; 7]> {
    records.iter().map(draw_bits).collect()
}

/// A label smoothing ε: mostly in `[0, 0.5]`, anything sometimes.
pub fn smoothing(u: &mut Unstructured<'_>) -> Result<f64> {
    Ok(if u.ratio(1, 4)? {
        any_f64(u)?
    } else {
        unit_f64(u)? * 0.5
    })
}
