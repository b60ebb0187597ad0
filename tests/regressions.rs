//! Findings of the fuzz targets (fuzz/), each reduced to a minimal reproduction that fails on
//! the code as it was found and passes with the fix.
//!
//! A test marked `#[ignore]` reproduces a finding that is reported but not yet fixed in the file
//! that owns the code; its reason names the proposed fix. Un-ignore it with the fix.

use core::convert::Infallible;
use mixup::{Beta, Error, Mixup, Pairing, applied_lambda, blend, check_permutation};
use rand_core::{SeedableRng, TryRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::sync::mpsc;
use std::time::Duration;

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
    let mut batch = [1.0f32, 2.0, 3.0, 4.0];
    let mut soft = [0.0f32; 4];
    let mut partners = [0usize; 2];
    let outcome = mixup
        .apply(
            &mut rng,
            &mut batch,
            2,
            &[0u8, 1],
            2,
            &mut soft,
            &mut partners,
        )
        .expect("valid input");
    assert!((0.0..=1.0).contains(&outcome.lambda), "{outcome:?}");
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
                        pairing.fill(&mut Constant(word), &mut partners).unwrap();
                        assert!(check_permutation(&partners).is_ok());
                    }
                }
                let mut partners = [0usize; 5];
                let o = Mixup::new(0.2)
                    .unwrap()
                    .draw(&mut Constant(word), &mut partners)
                    .unwrap();
                assert!((0.0..=1.0).contains(&o.lambda));
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
