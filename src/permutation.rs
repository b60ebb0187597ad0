//! Choosing each sample's partner inside a batch, and the checked permutation type.
//!
//! A pairing writes, for every position `i` of a batch of `B` samples, the index of the sample
//! that `i` is mixed with. Every pairing is a permutation of `0..B`, which is what lets the
//! in-place mix work without a copy of the batch: it follows the permutation cycle by cycle.
//!
//! # Linear time without allocation
//!
//! A [`Permutation`] borrows its slice mutably. Indices of a slice are below `isize::MAX /
//! size_of::<usize>()`, so the two highest bits of every valid entry are zero, and the type uses
//! them while it holds the slice:
//!
//! * the check marks each value as seen in the entry *at* that index (one pass), then clears the
//!   marks (a second pass): O(B), no scratch, and the slice is restored whatever the outcome;
//! * the smallest member of every cycle of two or more samples carries a leader bit for as long
//!   as the permutation lives, so walking the cycles is one scan of the leader bits: O(B)
//!   whatever the cycle structure, with no state, and safe to share between threads;
//! * dropping the permutation clears the leader bits, so the caller gets their slice back as it
//!   was. (A permutation leaked with `mem::forget` leaves the bits set; nothing unsafe follows,
//!   but the values are then not indices.)
//!
//! The one input that falls back to a slower check is a slice holding an out-of-range value,
//! whose high bits may be in use: it is checked with 512-byte stack windows instead
//! (`⌈B/4096⌉` passes), and refused all the same.

use crate::error::Error;
use crate::sampling::below_or_equal;
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
/// let roll = Pairing::Roll(1).fill(&mut rng, &mut partners)?;
/// assert!(roll.iter().eq([4, 0, 1, 2, 3]));
/// drop(roll);
/// Pairing::Flip.fill(&mut rng, &mut partners)?;
/// assert_eq!(partners, [4, 3, 2, 1, 0]);
/// let derangement = Pairing::Derangement.fill(&mut rng, &mut partners)?;
/// assert!(derangement.iter().enumerate().all(|(i, p)| p != i));
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
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
    /// Writes the partner of every sample into `partners` and returns them as a checked
    /// [`Permutation`]; the batch size is `partners.len()`.
    ///
    /// A batch of zero is allowed and writes nothing. A batch of one gets `[0]` from every
    /// pairing except [`Derangement`](Pairing::Derangement), which returns
    /// [`Error::DerangementOfOne`] and writes nothing. Fixed pairings do not use `rng`.
    pub fn fill<'a, R: Rng + ?Sized>(
        &self,
        rng: &mut R,
        partners: &'a mut [usize],
    ) -> Result<Permutation<'a>, Error> {
        self.write(rng, partners)?;
        Ok(Permutation::trusted(partners))
    }

    /// [`fill`](Pairing::fill) into any slots (a `usize` slice or draw records), without
    /// marking leaders.
    pub(crate) fn write<R: Rng + ?Sized, S: Slots + ?Sized>(
        &self,
        rng: &mut R,
        partners: &mut S,
    ) -> Result<(), Error> {
        let n = partners.len();
        match *self {
            Pairing::Roll(k) => {
                if n == 0 {
                    return Ok(());
                }
                // `n` is a slice length, so it fits in isize and `rem_euclid` is in 0..n.
                let shift = k.rem_euclid(n as isize) as usize;
                for i in 0..n {
                    partners.set(i, (i + n - shift) % n);
                }
            }
            Pairing::Flip => {
                for i in 0..n {
                    partners.set(i, n - 1 - i);
                }
            }
            Pairing::Shuffle => shuffle(rng, partners),
            Pairing::Derangement => {
                if n == 1 {
                    return Err(Error::DerangementOfOne);
                }
                for _ in 0..DERANGEMENT_TRIES {
                    shuffle(rng, partners);
                    if (0..n).all(|i| partners.get(i) != i) {
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

/// Fisher–Yates (Durstenfeld's in-place form) over the identity.
fn shuffle<R: Rng + ?Sized, S: Slots + ?Sized>(rng: &mut R, partners: &mut S) {
    identity(partners);
    for i in (1..partners.len()).rev() {
        let j = below_or_equal(rng, i);
        partners.swap(i, j);
    }
}

/// `partners[i] = i` for every `i`.
pub(crate) fn identity<S: Slots + ?Sized>(partners: &mut S) {
    for i in 0..partners.len() {
        partners.set(i, i);
    }
}

/// Sattolo's algorithm: a uniform cyclic permutation, which has no fixed point for `n ≥ 2`.
fn sattolo<R: Rng + ?Sized, S: Slots + ?Sized>(rng: &mut R, partners: &mut S) {
    identity(partners);
    for i in (1..partners.len()).rev() {
        let j = below_or_equal(rng, i - 1);
        partners.swap(i, j);
    }
}

/// Where a permutation's entries live: a `usize` slice, or the partner fields of draw records.
/// `get` and `set` see the entry with its flag bits; the algorithms below mask them.
pub(crate) trait Slots {
    fn len(&self) -> usize;
    fn get(&self, i: usize) -> usize;
    fn set(&mut self, i: usize, value: usize);
    fn swap(&mut self, i: usize, j: usize) {
        let (a, b) = (self.get(i), self.get(j));
        self.set(i, b);
        self.set(j, a);
    }
}

impl Slots for [usize] {
    #[inline]
    fn len(&self) -> usize {
        <[usize]>::len(self)
    }
    #[inline]
    fn get(&self, i: usize) -> usize {
        self[i]
    }
    #[inline]
    fn set(&mut self, i: usize, value: usize) {
        self[i] = value;
    }
    #[inline]
    fn swap(&mut self, i: usize, j: usize) {
        <[usize]>::swap(self, i, j)
    }
}

/// The leader bit: set on the smallest member of every cycle of two or more samples.
const LEADER: usize = 1 << (usize::BITS - 1);
/// The seen bit, used during the check and while marking leaders, clear otherwise.
const SEEN: usize = 1 << (usize::BITS - 2);
/// The value bits.
const VALUE: usize = !(LEADER | SEEN);

/// Checks that `slots` is a permutation of `0..len` and leaves it unchanged either way. O(B)
/// unless some entry is out of range (see the module docs).
pub(crate) fn check<S: Slots + ?Sized>(slots: &mut S) -> Result<(), Error> {
    let n = slots.len();
    let in_range = (0..n).position(|i| slots.get(i) >= n).unwrap_or(n);
    if in_range < n {
        // An out-of-range entry may use the high bits: check without writing.
        return Err(windowed_first_bad(slots, in_range));
    }
    // Every entry is below n, so its high bits are free. Mark each value as seen in the entry
    // at that index; a value seen twice is the first repeat.
    let mut bad = None;
    for i in 0..n {
        let v = slots.get(i) & VALUE;
        let at = slots.get(v);
        if at & SEEN != 0 {
            bad = Some(i);
            break;
        }
        slots.set(v, at | SEEN);
    }
    // Restore: exactly the entries marked above, i.e. the values of the positions before `bad`.
    let end = bad.unwrap_or(n);
    for i in 0..end {
        let v = slots.get(i) & VALUE;
        let at = slots.get(v);
        slots.set(v, at & !SEEN);
    }
    match bad {
        None => Ok(()),
        Some(position) => Err(Error::NotAPermutation {
            position,
            partner: slots.get(position),
        }),
    }
}

/// Sets the leader bit on the smallest member of every cycle of two or more members of a valid
/// permutation without flag bits. Two passes: each cycle is walked once from its smallest
/// member, marking its members seen, then the seen bits are cleared.
pub(crate) fn mark_leaders<S: Slots + ?Sized>(slots: &mut S) {
    let n = slots.len();
    for i in 0..n {
        if slots.get(i) & SEEN != 0 {
            continue;
        }
        // Every smaller index was visited with its own cycle, so `i` is this cycle's smallest.
        let first = slots.get(i) & VALUE;
        let mut j = i;
        loop {
            let raw = slots.get(j);
            slots.set(j, raw | SEEN);
            j = raw & VALUE;
            if j == i {
                break;
            }
        }
        if first != i {
            slots.set(i, slots.get(i) | LEADER);
        }
    }
    for i in 0..n {
        slots.set(i, slots.get(i) & !SEEN);
    }
}

/// Clears every leader bit.
pub(crate) fn clear_leaders<S: Slots + ?Sized>(slots: &mut S) {
    for i in 0..slots.len() {
        slots.set(i, slots.get(i) & VALUE);
    }
}

/// The entry's value without flag bits.
#[inline]
pub(crate) fn value(raw: usize) -> usize {
    raw & VALUE
}

/// Whether the entry carries the leader bit.
#[inline]
pub(crate) fn is_leader(raw: usize) -> bool {
    raw & LEADER != 0
}

/// Bits in one window of the fallback check's marker set: 512 bytes of stack.
const WINDOW_BITS: usize = 4096;

/// The first bad position of a slice whose entry `in_range` is out of range: a repeat among the
/// positions before it, or `in_range` itself. Reads only, with one stack window at a time.
fn windowed_first_bad<S: Slots + ?Sized>(slots: &S, in_range: usize) -> Error {
    let n = slots.len();
    let mut first_bad = in_range;
    for start in (0..n).step_by(WINDOW_BITS) {
        let mut words = [0u64; WINDOW_BITS / 64];
        for position in 0..first_bad {
            let p = slots.get(position);
            if p >= start && p - start < WINDOW_BITS {
                let k = p - start;
                let (word, bit) = (k / 64, 1u64 << (k % 64));
                if words[word] & bit != 0 {
                    first_bad = position;
                    break;
                }
                words[word] |= bit;
            }
        }
    }
    Error::NotAPermutation {
        position: first_bad,
        partner: slots.get(first_bad),
    }
}

/// A permutation of `0..B`, checked once when made and trusted from then on: the partner of
/// every sample of a batch.
///
/// Made by [`Pairing::fill`] or from a caller's slice with [`Permutation::new`]. It borrows the
/// slice mutably for as long as it lives, so that checking it and walking its cycles take O(B)
/// time and no memory (its flag bits live in the slice's unused high bits), and gives the slice
/// back unchanged when dropped. Read it with [`get`](Permutation::get) or [`iter`](Permutation::iter).
///
/// ```
/// use mixup::{Error, Permutation};
/// let mut partners = [2, 0, 1];
/// let perm = Permutation::new(&mut partners)?;
/// assert_eq!((perm.len(), perm.get(0)), (3, Some(2)));
/// drop(perm);
/// assert_eq!(partners, [2, 0, 1]);
///
/// let mut repeated = [0, 0, 1];
/// assert_eq!(
///     Permutation::new(&mut repeated).err(),
///     Some(Error::NotAPermutation { position: 1, partner: 0 })
/// );
/// assert_eq!(repeated, [0, 0, 1]); // untouched
/// # Ok::<(), mixup::Error>(())
/// ```
#[derive(Debug)]
pub struct Permutation<'a> {
    slots: &'a mut [usize],
}

impl<'a> Permutation<'a> {
    /// Checks that `partners` is a permutation of `0..partners.len()` and wraps it.
    ///
    /// The error names the first position that is out of range or repeats an earlier partner;
    /// the slice is left as it was either way. Linear time, no allocation.
    pub fn new(partners: &'a mut [usize]) -> Result<Permutation<'a>, Error> {
        check(partners)?;
        Ok(Permutation::trusted(partners))
    }

    /// The identity permutation of `partners.len()` samples (every sample its own partner),
    /// written into `partners`.
    ///
    /// ```
    /// let mut partners = [7; 3];
    /// let perm = mixup::Permutation::identity(&mut partners);
    /// assert!(perm.iter().eq(0..3));
    /// ```
    pub fn identity(partners: &'a mut [usize]) -> Permutation<'a> {
        identity(partners);
        Permutation::trusted(partners)
    }

    /// Wraps a slice known to hold a permutation without flag bits.
    pub(crate) fn trusted(partners: &'a mut [usize]) -> Permutation<'a> {
        mark_leaders(partners);
        Permutation { slots: partners }
    }

    /// The batch size.
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Whether the batch is empty.
    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// The partner of sample `i`, or `None` past the end.
    pub fn get(&self, i: usize) -> Option<usize> {
        self.slots.get(i).map(|&raw| value(raw))
    }

    /// The partners in order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = usize> + '_ {
        self.slots.iter().map(|&raw| value(raw))
    }

    /// The entries with their leader bits, for plans.
    pub(crate) fn raw(&self) -> &[usize] {
        self.slots
    }
}

impl Drop for Permutation<'_> {
    fn drop(&mut self) {
        clear_leaders(self.slots);
    }
}

/// A checked permutation whose cycles can be walked: [`Permutation`] and the draw records.
pub(crate) trait Cycles: Sync {
    /// The batch size.
    fn size(&self) -> usize;
    /// The partner of `i < size()`.
    fn partner(&self, i: usize) -> usize;
    /// Whether `i < size()` is the smallest member of a cycle of two or more.
    fn leads(&self, i: usize) -> bool;
}

impl Cycles for Permutation<'_> {
    #[inline]
    fn size(&self) -> usize {
        self.slots.len()
    }
    #[inline]
    fn partner(&self, i: usize) -> usize {
        value(self.slots[i])
    }
    #[inline]
    fn leads(&self, i: usize) -> bool {
        is_leader(self.slots[i])
    }
}

/// Calls `f` once for every cycle of two or more members, with its smallest member, in
/// increasing order: one scan of the leader bits. Fixed points are skipped: a sample mixed with
/// itself is unchanged.
pub(crate) fn for_each_cycle<C: Cycles + ?Sized>(perm: &C, mut f: impl FnMut(usize)) {
    for i in 0..perm.size() {
        if perm.leads(i) {
            f(i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;
    use rand_xoshiro::Xoshiro256PlusPlus;
    use std::{vec, vec::Vec};

    #[test]
    fn roll_matches_torch_roll() {
        // torch.roll([0, 1, 2, 3], 1) == [3, 0, 1, 2]; torch.roll(.., -1) == [1, 2, 3, 0].
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
        let mut p = [0usize; 4];
        for (k, want) in [
            (1, [3, 0, 1, 2]),
            (-1, [1, 2, 3, 0]),
            (isize::MIN, [0, 1, 2, 3]),
            (6, [2, 3, 0, 1]),
        ] {
            drop(Pairing::Roll(k).fill(&mut rng, &mut p).unwrap());
            assert_eq!(p, want, "roll {k}");
        }
    }

    /// The cycles by brute force: the smallest member of every cycle of length ≥ 2.
    fn naive_leaders(p: &[usize]) -> Vec<usize> {
        (0..p.len())
            .filter(|&i| {
                let mut j = p[i];
                let mut smallest = true;
                while j != i {
                    smallest &= j > i;
                    j = p[j];
                }
                smallest && p[i] != i
            })
            .collect()
    }

    #[test]
    fn leaders_match_brute_force_and_drop_restores() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        for n in [0usize, 1, 2, 3, 17, 4095, 4096, 4097, 9000] {
            for pairing in [Pairing::Shuffle, Pairing::Flip, Pairing::Roll(3)] {
                let mut p = vec![0usize; n];
                let perm = pairing.fill(&mut rng, &mut p).unwrap();
                let mut got = Vec::new();
                for_each_cycle(&perm, |l| got.push(l));
                let plain: Vec<usize> = perm.iter().collect();
                drop(perm);
                assert_eq!(p, plain, "drop restores the slice");
                assert_eq!(got, naive_leaders(&p), "n={n} {pairing:?}");
            }
        }
    }

    #[test]
    fn check_names_the_first_bad_position_and_restores() {
        for (bad, position) in [
            (vec![0usize, 0, 1], 1),
            (vec![0, 3, 1], 1),
            (vec![1, 7, 1], 1),
            (vec![0, 0, 5], 1),
            (vec![2, 1, 2, usize::MAX], 2),
            (vec![usize::MAX, 0], 0),
            (vec![1, 0, usize::MAX - 1, 2], 2),
        ] {
            let mut p = bad.clone();
            match Permutation::new(&mut p) {
                Err(Error::NotAPermutation { position: got, .. }) => {
                    assert_eq!(got, position, "{bad:?}")
                }
                other => panic!("{bad:?}: {other:?}"),
            }
            assert_eq!(p, bad);
        }
        let mut ok = vec![3usize, 2, 1, 0];
        assert!(Permutation::new(&mut ok).is_ok());
        assert_eq!(ok, [3, 2, 1, 0]);
    }
}
