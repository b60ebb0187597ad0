//! Choosing each sample's partner inside a batch.
//!
//! A pairing writes, for every position `i` of a batch of `B` samples, the index `partners[i]` of
//! the sample that `i` is mixed with. Every pairing here is a permutation of `0..B`, which is what
//! lets [`mix_batch_inplace`](crate::mix_batch_inplace) work without a copy of the batch.

use crate::error::Error;
use rand_core::Rng;

/// How samples are paired inside a batch.
///
/// | pairing | partner of `i` | used by | random | self-pairs |
/// |---|---|---|---|---|
/// | [`Roll(k)`](Pairing::Roll) | `(i − k) mod B`, as `torch.roll(batch, k, 0)` puts it at `i` | torchvision (`k = 1`) | no | when `k ≡ 0 mod B` |
/// | [`Flip`](Pairing::Flip) | `B − 1 − i` | timm | no | the middle sample of an odd batch |
/// | [`Shuffle`](Pairing::Shuffle) | a uniform random permutation | mmpretrain, Keras, the paper | yes | with probability ≈ 1 − 1/e that some sample has none |
/// | [`Derangement`](Pairing::Derangement) | a uniform random permutation without fixed points | | yes | never (needs `B ≥ 2`) |
///
/// A fixed pairing (Roll, Flip) mixes the same pairs every time the same batch order comes back;
/// with a shuffled data loader that does not matter, but with a fixed order it does, and then
/// Shuffle or Derangement is the better choice. Derangement never wastes a sample on itself.
///
/// ```
/// use mixup::Pairing;
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
/// let mut partners = [0usize; 5];
///
/// Pairing::Roll(1).fill(&mut rng, &mut partners)?;
/// assert_eq!(partners, [4, 0, 1, 2, 3]);
/// Pairing::Flip.fill(&mut rng, &mut partners)?;
/// assert_eq!(partners, [4, 3, 2, 1, 0]);
/// Pairing::Derangement.fill(&mut rng, &mut partners)?;
/// assert!(partners.iter().enumerate().all(|(i, &p)| p != i));
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Pairing {
    /// The batch rolled by `k` places: the partner of `i` is `(i − k) mod B`. `Roll(1)` is
    /// torchvision's pairing. Any `k`, negative or larger than the batch, is reduced mod `B`.
    Roll(isize),
    /// The batch reversed: the partner of `i` is `B − 1 − i` (timm). In an odd batch the middle
    /// sample is its own partner and stays unmixed.
    Flip,
    /// A uniformly random permutation (Fisher–Yates with unbiased bounded integers).
    #[default]
    Shuffle,
    /// A uniformly random derangement: a permutation with no fixed point, so every sample is
    /// mixed with another one. Needs a batch of at least two; a batch of one is an `Err`.
    Derangement,
}

/// Tries of the derangement's rejection loop before the fallback. With a working generator the
/// fallback is reached with probability (1 − 1/e)^256 < 10⁻⁵⁰; it exists so that even a constant
/// generator cannot make the call loop forever.
const DERANGEMENT_TRIES: u32 = 256;

impl Pairing {
    /// Writes the partner of every sample into `partners`; the batch size is `partners.len()`.
    ///
    /// A batch of zero is allowed and writes nothing. A batch of one gets `[0]` from every
    /// pairing except [`Derangement`](Pairing::Derangement), which returns
    /// [`Error::DerangementOfOne`]. Fixed pairings do not use `rng`.
    pub fn fill<R: Rng + ?Sized>(&self, rng: &mut R, partners: &mut [usize]) -> Result<(), Error> {
        let n = partners.len();
        match *self {
            Pairing::Roll(k) => {
                if n == 0 {
                    return Ok(());
                }
                // `n` is a slice length, so it fits in isize and `rem_euclid` is in 0..n.
                let shift = k.rem_euclid(n as isize) as usize;
                for (i, p) in partners.iter_mut().enumerate() {
                    *p = (i + n - shift) % n;
                }
            }
            Pairing::Flip => {
                for (i, p) in partners.iter_mut().enumerate() {
                    *p = n - 1 - i;
                }
            }
            Pairing::Shuffle => shuffle(rng, partners),
            Pairing::Derangement => {
                if n == 1 {
                    return Err(Error::DerangementOfOne);
                }
                for _ in 0..DERANGEMENT_TRIES {
                    shuffle(rng, partners);
                    if partners.iter().enumerate().all(|(i, &p)| p != i) {
                        return Ok(());
                    }
                }
                sattolo(rng, partners);
            }
        }
        Ok(())
    }

    /// Whether the pairing draws from the random generator.
    pub fn is_random(&self) -> bool {
        matches!(self, Pairing::Shuffle | Pairing::Derangement)
    }
}

/// Rejections of the bounded-integer method before the current draw is taken as it is. Each
/// rejection has probability below 2⁻¹ (below range/2³² for 32-bit draws), so a working
/// generator reaches the bound with probability below 2⁻⁶⁴; a constant generator, which would
/// otherwise be rejected forever, gets an answer.
const MAX_REJECTIONS: u32 = 64;

/// A uniform integer in `0..=max`, without modulo bias (Lemire, "Fast random integer generation
/// in an interval", ACM TOMACS 2019). Bounds below 2³² take one 32-bit draw, so the stream of
/// draws depends only on the bound, never on the target's pointer width.
#[inline]
pub(crate) fn below_or_equal<R: Rng + ?Sized>(rng: &mut R, max: usize) -> usize {
    let max = max as u64;
    if max < u32::MAX as u64 {
        let range = max as u32 + 1;
        let mut m = rng.next_u32() as u64 * range as u64;
        if (m as u32) < range {
            let threshold = range.wrapping_neg() % range;
            let mut rejections = 0;
            while (m as u32) < threshold && rejections < MAX_REJECTIONS {
                m = rng.next_u32() as u64 * range as u64;
                rejections += 1;
            }
        }
        (m >> 32) as usize
    } else if max == u64::MAX {
        rng.next_u64() as usize
    } else {
        let range = max + 1;
        let mut m = rng.next_u64() as u128 * range as u128;
        if (m as u64) < range {
            let threshold = range.wrapping_neg() % range;
            let mut rejections = 0;
            while (m as u64) < threshold && rejections < MAX_REJECTIONS {
                m = rng.next_u64() as u128 * range as u128;
                rejections += 1;
            }
        }
        (m >> 64) as usize
    }
}

/// Fisher–Yates (Durstenfeld's in-place form) over the identity.
fn shuffle<R: Rng + ?Sized>(rng: &mut R, partners: &mut [usize]) {
    for (i, p) in partners.iter_mut().enumerate() {
        *p = i;
    }
    for i in (1..partners.len()).rev() {
        let j = below_or_equal(rng, i);
        partners.swap(i, j);
    }
}

/// Sattolo's algorithm: a uniform cyclic permutation, which has no fixed point for `n ≥ 2`.
fn sattolo<R: Rng + ?Sized>(rng: &mut R, partners: &mut [usize]) {
    for (i, p) in partners.iter_mut().enumerate() {
        *p = i;
    }
    for i in (1..partners.len()).rev() {
        let j = below_or_equal(rng, i - 1);
        partners.swap(i, j);
    }
}

/// Bits in one window of the fixed-size marker set. 4096 bits are 512 bytes of stack, small
/// enough for a microcontroller; batches up to this size are checked in one linear pass.
const WINDOW_BITS: usize = 4096;

/// A set of marks for the indices `start..start + WINDOW_BITS`, kept on the stack so that no
/// batch-sized scratch is needed. Larger batches are handled one window after another.
pub(crate) struct Window {
    start: usize,
    words: [u64; WINDOW_BITS / 64],
}

impl Window {
    pub(crate) fn new(start: usize) -> Self {
        Window {
            start,
            words: [0; WINDOW_BITS / 64],
        }
    }

    /// The windows that cover `0..n`.
    pub(crate) fn starts(n: usize) -> impl Iterator<Item = usize> {
        (0..n).step_by(WINDOW_BITS)
    }

    pub(crate) fn contains(&self, i: usize) -> bool {
        i >= self.start && i - self.start < WINDOW_BITS
    }

    /// Marks `i` (which must be in the window) and says whether it was marked before.
    pub(crate) fn mark(&mut self, i: usize) -> bool {
        let k = i - self.start;
        let bit = 1u64 << (k % 64);
        let word = &mut self.words[k / 64];
        let was = *word & bit != 0;
        *word |= bit;
        was
    }

    pub(crate) fn is_marked(&self, i: usize) -> bool {
        let k = i - self.start;
        self.words[k / 64] & (1u64 << (k % 64)) != 0
    }
}

/// Checks that `partners` is a permutation of `0..partners.len()`.
///
/// Runs in one pass for batches up to 4096 and in `⌈B/4096⌉` passes beyond, with 512 bytes of
/// stack and no allocation. The error names the first position that is out of range or repeats
/// an earlier partner.
///
/// ```
/// use mixup::check_permutation;
/// assert!(check_permutation(&[2, 0, 1]).is_ok());
/// assert!(check_permutation(&[0, 0, 1]).is_err());
/// assert!(check_permutation(&[0, 3, 1]).is_err());
/// ```
pub fn check_permutation(partners: &[usize]) -> Result<(), Error> {
    let n = partners.len();
    // Positions before the first out-of-range entry hold only in-range values, so the first bad
    // position is either a repeat among them or that out-of-range entry itself.
    let in_range = partners.iter().position(|&p| p >= n).unwrap_or(n);
    let mut first_bad = (in_range < n).then_some(in_range);
    for start in Window::starts(n) {
        let mut window = Window::new(start);
        for (position, &p) in partners[..in_range].iter().enumerate() {
            if first_bad.is_some_and(|r| position >= r) {
                break;
            }
            if window.contains(p) && window.mark(p) {
                first_bad = Some(position);
                break;
            }
        }
    }
    match first_bad {
        None => Ok(()),
        Some(position) => Err(Error::NotAPermutation {
            position,
            partner: partners[position],
        }),
    }
}

/// Calls `f` once for every cycle of the permutation `partners` that has two or more members,
/// with the cycle's smallest index. Fixed points are skipped: a sample mixed with itself is
/// unchanged.
///
/// Uses the same stack windows as [`check_permutation`]: each cycle is walked once per window
/// that holds one of its members.
pub(crate) fn for_each_cycle(partners: &[usize], mut f: impl FnMut(usize)) {
    let n = partners.len();
    for start in Window::starts(n) {
        let mut window = Window::new(start);
        let end = n.min(start + WINDOW_BITS);
        for leader in start..end {
            if window.is_marked(leader) {
                continue;
            }
            window.mark(leader);
            let mut seen_before = false;
            let mut j = partners[leader];
            while j != leader {
                if j < start {
                    seen_before = true;
                } else if window.contains(j) {
                    window.mark(j);
                }
                j = partners[j];
            }
            if !seen_before && partners[leader] != leader {
                f(leader);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::vec;

    #[test]
    fn roll_matches_torch_roll() {
        // torch.roll([0, 1, 2, 3], 1) == [3, 0, 1, 2]; torch.roll(.., -1) == [1, 2, 3, 0].
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let mut p = [0usize; 4];
        Pairing::Roll(1).fill(&mut rng, &mut p).unwrap();
        assert_eq!(p, [3, 0, 1, 2]);
        Pairing::Roll(-1).fill(&mut rng, &mut p).unwrap();
        assert_eq!(p, [1, 2, 3, 0]);
        Pairing::Roll(isize::MIN).fill(&mut rng, &mut p).unwrap();
        assert_eq!(p, [0, 1, 2, 3]);
        Pairing::Roll(6).fill(&mut rng, &mut p).unwrap();
        assert_eq!(p, [2, 3, 0, 1]);
    }

    #[test]
    fn cycles_cover_every_moved_index_once() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        for n in [0usize, 1, 2, 3, 17, 4095, 4096, 4097, 9000] {
            let mut p = vec![0usize; n];
            Pairing::Shuffle.fill(&mut rng, &mut p).unwrap();
            let mut hit = vec![0u32; n];
            for_each_cycle(&p, |leader| {
                let mut j = leader;
                loop {
                    hit[j] += 1;
                    j = p[j];
                    if j == leader {
                        break;
                    }
                }
            });
            for i in 0..n {
                let expected = u32::from(p[i] != i);
                assert_eq!(hit[i], expected, "n={n} i={i}");
            }
        }
    }

    #[test]
    fn below_or_equal_is_in_range_for_large_bounds() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(9);
        for max in [
            0usize,
            1,
            2,
            u32::MAX as usize - 1,
            u32::MAX as usize,
            usize::MAX / 3,
            usize::MAX,
        ] {
            for _ in 0..100 {
                assert!(below_or_equal(&mut rng, max) <= max);
            }
        }
    }
}
