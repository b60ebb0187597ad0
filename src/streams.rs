//! One random stream per batch of a training run, keyed by `(seed, epoch, batch index)`.
//!
//! A loader with several workers must not hand out one generator per worker: which worker takes
//! which batch depends on the worker count and on scheduling, so the draws would too. Keying the
//! stream by the batch instead makes batch `b` of epoch `e` get the same λ, partners and bytes
//! whoever mixes it, with 1 worker or 64, in any completion order.
//!
//! The construction and why the streams do not overlap are documented on [`Streams`]; the tests
//! below pin the first outputs of a few keys, so a change of the construction, which would change
//! every user's batches, cannot pass unnoticed.

use rand_core::SeedableRng;
pub use rand_xoshiro::Xoshiro256PlusPlus;

/// Distinct odd constants (the first digits of π, e and √2, and the golden ratio), so that a
/// zero key does not feed zeros into the finalizer.
const K: [u64; 4] = [
    0x243f_6a88_85a3_08d3,
    0xb7e1_5162_8aed_2a6b,
    0x6a09_e667_f3bc_c909,
    0x9e37_79b9_7f4a_7c15,
];

/// The SplitMix64 finalizer (Stafford's mix 13): a bijection of `u64` with full avalanche.
#[inline]
const fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The generators of one training run: one [`Xoshiro256PlusPlus`] per `(epoch, batch index)`,
/// all derived from one seed.
///
/// Mix batch `b` of epoch `e` with `streams.batch(e, b)`, whichever worker builds it: the run
/// is then the same bytes for any number of workers and any completion order.
///
/// # Construction
///
/// The 256-bit state of a [`Xoshiro256PlusPlus`] is built from the key with the SplitMix64
/// finalizer `f` (a bijection of `u64`: xor-shifts and odd multiplications, each invertible):
///
/// ```text
/// s0 = f(seed  ^ K0)
/// s1 = f(epoch ^ rotl(s0, 17) ^ K1)
/// s2 = f(batch ^ rotl(s1, 31) ^ K2)
/// s3 = f(s0 ^ s1 ^ s2 ^ K3) | 1
/// ```
///
/// `s0` determines `seed`, then `s0` and `s1` determine `epoch`, then `s1` and `s2` determine
/// `batch`: the map from keys to states is injective, so **two different keys never start from
/// the same state**. `s3` is odd, so the state is never the all-zero one (on which xoshiro
/// outputs only zeros). Each of the first three words changes in about half of its bits when one
/// bit of the key changes (the finalizer's avalanche), so neighbouring keys such as batch 7 and
/// batch 8 start at unrelated points of the period.
///
/// # Why streams don't overlap
///
/// Not provably: that would need each start to be a computed jump ahead (`jump()` is 2¹²⁸
/// steps, so batch `b` would cost `b` jumps, and every epoch more). Instead the starts are
/// scattered pseudo-randomly over a single cycle of length 2²⁵⁶ − 1 (xoshiro256's whole period).
/// For `n` streams of at most `L` outputs each, the chance that any two overlap is at most
/// `n²·L / 2²⁵⁶` (the birthday bound for intervals on a cycle): a run of 2³² batches (about 4
/// billion, every epoch included) that each draw 2³² numbers has `n²·L = 2⁹⁶`, a chance below
/// 2⁻¹⁶⁰. A mixed batch draws a handful of numbers (λ and one or two per partner).
///
/// # Example
///
/// ```
/// use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup, Streams};
///
/// let streams = Streams::new(2024);
/// let mixup = Mixup::new(0.4)?;
/// let labels = [0u32, 1, 2, 3];
/// let mix_batch = |epoch: u64, index: u64| -> Result<Vec<f32>, mixup::Error> {
///     let mut data: Vec<f32> = (0..4 * 6).map(|k| k as f32).collect(); // 4 samples of 6 values
///     let mut batch = BatchMut::new(&mut data, ImageLayout::flat(6))?;
///     let (mut records, mut soft) = ([Draw::default(); 4], [0.0f32; 4 * 4]);
///     let labels = Labels::classes(&labels, 4)?;
///     mixup.apply(&mut streams.batch(epoch, index), &mut batch, &labels, &mut records, &mut soft)?;
///     Ok(data)
/// };
/// // Batch 3 of epoch 1 is the same bytes whenever and wherever it is mixed...
/// assert_eq!(mix_batch(1, 3)?, mix_batch(1, 3)?);
/// // ...and another batch gets its own draws.
/// assert_ne!(mix_batch(1, 3)?, mix_batch(1, 4)?);
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Streams {
    seed: u64,
}

impl Streams {
    /// The streams of the run with this seed.
    pub const fn new(seed: u64) -> Streams {
        Streams { seed }
    }

    /// The seed.
    pub const fn seed(&self) -> u64 {
        self.seed
    }

    /// The generator of batch `index` of `epoch`, at the start of its stream. Every call with
    /// the same arguments returns the same generator; different `(seed, epoch, index)` keys
    /// start from different states.
    pub fn batch(&self, epoch: u64, index: u64) -> Xoshiro256PlusPlus {
        Xoshiro256PlusPlus::from_seed(self.state(epoch, index))
    }

    /// The 32-byte starting state of [`batch`](Streams::batch)`(epoch, index)`, as
    /// `Xoshiro256PlusPlus::from_seed` takes it (four little-endian words): for a generator
    /// that is not a `Xoshiro256PlusPlus`, or to store the state.
    ///
    /// ```
    /// use mixup::Streams;
    /// use rand_core::SeedableRng;
    /// let s = Streams::new(7);
    /// assert_eq!(mixup::Xoshiro256PlusPlus::from_seed(s.state(0, 5)), s.batch(0, 5));
    /// assert_ne!(s.state(0, 5), s.state(5, 0));
    /// ```
    pub const fn state(&self, epoch: u64, index: u64) -> [u8; 32] {
        let s0 = mix(self.seed ^ K[0]);
        let s1 = mix(epoch ^ s0.rotate_left(17) ^ K[1]);
        let s2 = mix(index ^ s1.rotate_left(31) ^ K[2]);
        // Odd: the state is never all zero. The key is already determined by s0, s1 and s2.
        let s3 = mix(s0 ^ s1 ^ s2 ^ K[3]) | 1;
        let words = [s0, s1, s2, s3];
        let mut out = [0u8; 32];
        let mut w = 0;
        while w < 4 {
            let bytes = words[w].to_le_bytes();
            let mut b = 0;
            while b < 8 {
                out[8 * w + b] = bytes[b];
                b += 1;
            }
            w += 1;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::Rng;
    use std::collections::{HashMap, HashSet};
    use std::vec::Vec;

    fn head(mut rng: Xoshiro256PlusPlus, n: usize) -> Vec<u64> {
        (0..n).map(|_| rng.next_u64()).collect()
    }

    #[test]
    fn same_key_same_stream() {
        for (seed, epoch, index) in [(0, 0, 0), (42, 3, 17), (u64::MAX, u64::MAX, u64::MAX)] {
            let s = Streams::new(seed);
            assert_eq!(
                head(s.batch(epoch, index), 64),
                head(s.batch(epoch, index), 64)
            );
            assert_eq!(
                head(s.batch(epoch, index), 64),
                head(Streams::new(seed).batch(epoch, index), 64)
            );
        }
    }

    /// Every key of a grid that includes swapped coordinates, neighbours and the extremes gets
    /// its own state and its own first outputs.
    #[test]
    fn different_keys_different_streams() {
        let values = [
            0u64,
            1,
            2,
            3,
            7,
            8,
            255,
            256,
            1 << 32,
            u64::MAX - 1,
            u64::MAX,
        ];
        let mut states = HashSet::new();
        let mut firsts: HashMap<[u64; 2], (u64, u64, u64)> = HashMap::new();
        for &seed in &values {
            for &epoch in &values {
                for &index in &values {
                    let s = Streams::new(seed);
                    assert!(states.insert(s.state(epoch, index)));
                    let h = head(s.batch(epoch, index), 2);
                    let key = (seed, epoch, index);
                    if let Some(other) = firsts.insert([h[0], h[1]], key) {
                        panic!("{key:?} and {other:?} start with the same outputs");
                    }
                }
            }
        }
        assert_eq!(states.len(), values.len().pow(3));
    }

    /// Neighbouring batches are not shifted copies of one another: the first output of each
    /// does not occur in the first 4096 outputs of the others (as it would if the starts were
    /// close together on the cycle).
    #[test]
    fn neighbouring_streams_do_not_overlap() {
        let s = Streams::new(1);
        let keys = [(0, 0), (0, 1), (0, 2), (1, 0), (1, 1), (2, 0)];
        let heads: Vec<Vec<u64>> = keys
            .iter()
            .map(|&(e, b)| head(s.batch(e, b), 4096))
            .collect();
        for (i, a) in heads.iter().enumerate() {
            for (j, b) in heads.iter().enumerate() {
                if i != j {
                    assert!(!a.contains(&b[0]), "{:?} reaches {:?}", keys[i], keys[j]);
                }
            }
        }
    }

    /// One bit of the key leaves the words before its own untouched and changes about half of
    /// the bits of every word from its own on (the finalizer's avalanche).
    #[test]
    fn one_bit_of_the_key_changes_half_of_the_later_words() {
        let words = |state: [u8; 32]| -> [u64; 4] {
            core::array::from_fn(|w| u64::from_le_bytes(state[8 * w..][..8].try_into().unwrap()))
        };
        let (seed, epoch, index) = (0x1234_5678u64, 9u64, 1000u64);
        let base = words(Streams::new(seed).state(epoch, index));
        for bit in 0..64 {
            let flipped = [
                (0, Streams::new(seed ^ (1 << bit)).state(epoch, index)),
                (1, Streams::new(seed).state(epoch ^ (1 << bit), index)),
                (2, Streams::new(seed).state(epoch, index ^ (1 << bit))),
            ];
            for (first, state) in flipped {
                let other = words(state);
                assert_eq!(
                    base[..first],
                    other[..first],
                    "bit {bit}: earlier words changed"
                );
                let k = 4 - first as u32;
                let changed: u32 = (first..4).map(|w| (base[w] ^ other[w]).count_ones()).sum();
                // About 32·k of 64·k bits, with a standard deviation of 4·√k: allow ±16·k.
                assert!(
                    (16 * k..=48 * k).contains(&changed),
                    "bit {bit} of key word {first}: {changed} of {} bits changed",
                    64 * k
                );
            }
        }
    }

    /// The construction is part of the reproducibility promise: these values must never change.
    /// They were computed independently of this code, from the formulas in the module docs and
    /// xoshiro256++'s first output `rotl(s0 + s3, 23) + s0`, in Python's integers.
    #[test]
    fn pinned_first_outputs() {
        let got: Vec<u64> = [(0, 0, 0), (42, 1, 7), (u64::MAX, 0, u64::MAX)]
            .iter()
            .map(|&(seed, epoch, index)| Streams::new(seed).batch(epoch, index).next_u64())
            .collect();
        assert_eq!(got, PINNED);
    }

    const PINNED: [u64; 3] = [
        6_725_549_958_616_176_400,
        1_811_670_147_679_378_075,
        12_342_212_637_179_756_548,
    ];
}
