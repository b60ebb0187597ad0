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
//! * one member of every cycle of two or more samples carries a leader bit for as long as the
//!   permutation lives, so walking the cycles is one scan of the leader bits: O(B) whatever the
//!   cycle structure, with no state, and safe to share between threads. The leader is the
//!   cycle's smallest member, except in batches of 2¹⁴ samples or more, where it is the smallest
//!   multiple of 64 the cycle holds (if any): there the cycles are cut at the multiples of 64 and
//!   the pieces followed sixteen at a time, since following a cycle of a million members alone
//!   is a million dependent loads from memory (`mark_segments`);
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
    /// Asks the CPU to start loading entry `i < len()`; a hint only.
    fn prefetch(&self, i: usize) {
        let _ = i;
    }
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
    fn prefetch(&self, i: usize) {
        crate::arch::prefetch(&self[i..][..1]);
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

/// Batches from which leaders are found by following many segments at once
/// ([`mark_segments`]): below this the permutation stays in L2, and one chain of loads is fast.
const SEGMENTS_FROM: usize = 1 << 14;

/// The heads of [`mark_segments`]: the multiples of this in cycles of two or more.
const STRIDE: usize = 64;

/// How many segments [`mark_segments`] follows at once.
const CURSORS: usize = 16;

/// Sets the leader bit on one member of every cycle of two or more members of a valid
/// permutation without flag bits: the smallest multiple of 64 in the cycle if the batch has
/// 2¹⁴ samples or more and the cycle holds one, else the cycle's smallest member. Linear time;
/// the seen bits it uses are clear again when it returns.
pub(crate) fn mark_leaders<S: Slots + ?Sized>(slots: &mut S) {
    let stride = (slots.len() >= SEGMENTS_FROM).then_some(STRIDE);
    mark_leaders_with(slots, stride);
}

/// [`mark_leaders`] with heads every `stride` members, or none.
fn mark_leaders_with<S: Slots + ?Sized>(slots: &mut S, stride: Option<usize>) {
    if let Some(stride) = stride {
        mark_segments(slots, stride);
    }
    mark_cycles(slots);
}

/// Leads every cycle not seen yet from its smallest member (and clears the seen bits).
fn mark_cycles<S: Slots + ?Sized>(slots: &mut S) {
    cycles_by_smallest(slots, |slots, i| slots.set(i, slots.get(i) | LEADER));
}

/// Leads every cycle that holds a **head** (a multiple of `stride`, a power of two) from its
/// smallest head, and marks all its members seen, without one long chain of dependent loads.
///
/// 1. The segments from each head up to the next one are followed [`CURSORS`] at once, each
///    step prefetching the next entry, marking their members seen; the head each segment ends at
///    is written into the leader bits of the `stride` entries from its own head (the last head,
///    whose run of entries may be short, keeps it in a local).
/// 2. The heads, in order: one not seen yet is the smallest of its cycle's heads; the next-head
///    links (one load per head, `stride` times fewer than members) go round its cycle, marking
///    the heads seen, then round again clearing the links, and it gets the leader bit.
///
/// Needs `stride` at least the bit length of the largest head number, so that a link fits.
fn mark_segments<S: Slots + ?Sized>(slots: &mut S, stride: usize) {
    let n = slots.len();
    let heads = n.div_ceil(stride);
    if heads == 0 {
        return;
    }
    let width = (usize::BITS - (heads - 1).leading_zeros()) as usize;
    debug_assert!(stride.is_power_of_two() && width <= stride);
    let last = heads - 1;
    let mut last_link = 0;
    let link_at = |k: usize, t: usize| k * stride + t;

    // 1. The segments, `CURSORS` at once: (head number, member to visit next).
    let mut next_head = 0;
    let start = |slots: &S, next_head: &mut usize| -> Option<(usize, usize)> {
        while *next_head < heads {
            let k = *next_head;
            *next_head += 1;
            let h = k * stride;
            let p = slots.get(h) & VALUE;
            if p != h {
                slots.prefetch(p);
                return Some((k, p));
            }
        }
        None
    };
    let mut cursors = [(0usize, 0usize); CURSORS];
    let mut live = 0;
    while live < CURSORS {
        let Some(c) = start(slots, &mut next_head) else {
            break;
        };
        cursors[live] = c;
        live += 1;
    }
    while live > 0 {
        let mut c = 0;
        while c < live {
            let (k, j) = cursors[c];
            if j % stride != 0 {
                let raw = slots.get(j);
                slots.set(j, raw | SEEN);
                let next = raw & VALUE;
                slots.prefetch(next);
                cursors[c] = (k, next);
                c += 1;
                continue;
            }
            // The segment of head `k` ends at head `j / stride`.
            let link = j / stride;
            if k == last {
                last_link = link;
            } else {
                for t in 0..width {
                    let e = link_at(k, t);
                    let bit = if link >> t & 1 == 1 { LEADER } else { 0 };
                    slots.set(e, (slots.get(e) & !LEADER) | bit);
                }
            }
            if let Some(next) = start(slots, &mut next_head) {
                cursors[c] = next;
                c += 1;
            } else {
                live -= 1;
                cursors[c] = cursors[live];
            }
        }
    }

    // 2. Round each cycle of heads.
    let link = |slots: &S, k: usize| -> usize {
        if k == last {
            last_link
        } else {
            (0..width).fold(0, |acc, t| {
                acc | usize::from(slots.get(link_at(k, t)) & LEADER != 0) << t
            })
        }
    };
    for k in 0..heads {
        let h = k * stride;
        let raw = slots.get(h);
        if raw & SEEN != 0 || raw & VALUE == h {
            continue;
        }
        let mut c = k;
        loop {
            slots.set(c * stride, slots.get(c * stride) | SEEN);
            c = link(slots, c);
            if c == k {
                break;
            }
        }
        loop {
            let next = link(slots, c);
            if c != last {
                for t in 0..width {
                    let e = link_at(c, t);
                    slots.set(e, slots.get(e) & !LEADER);
                }
            }
            c = next;
            if c == k {
                break;
            }
        }
        slots.set(h, slots.get(h) | LEADER);
    }
}

/// Calls `f(slots, smallest)` once for every cycle of two or more members not marked seen, in
/// increasing order of its smallest member (which the leader bits do not give in large
/// batches), before walking it once to mark its members seen; then clears every seen bit. The
/// leader bits are left as they are (or as `f` sets them).
pub(crate) fn cycles_by_smallest<S: Slots + ?Sized>(
    slots: &mut S,
    mut f: impl FnMut(&mut S, usize),
) {
    for i in 0..slots.len() {
        let raw = slots.get(i);
        if raw & SEEN != 0 || raw & VALUE == i {
            continue;
        }
        f(slots, i);
        let mut j = i;
        loop {
            let raw = slots.get(j);
            slots.set(j, raw | SEEN);
            j = raw & VALUE;
            if j == i {
                break;
            }
        }
    }
    for i in 0..slots.len() {
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
    /// Whether `i < size()` is the leader of a cycle of two or more (see [`mark_leaders`]).
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

    /// The leaders by brute force: in every cycle of length ≥ 2, the smallest multiple of
    /// `stride` if it holds one (`stride = 0`: never), else its smallest member.
    fn naive_leaders(p: &[usize], stride: usize) -> Vec<usize> {
        let is_head = |j: usize| stride != 0 && j.is_multiple_of(stride);
        let mut seen = vec![false; p.len()];
        let mut leaders = Vec::new();
        for i in 0..p.len() {
            if seen[i] || p[i] == i {
                continue;
            }
            let mut members = vec![i];
            seen[i] = true;
            let mut j = p[i];
            while j != i {
                members.push(j);
                seen[j] = true;
                j = p[j];
            }
            let heads = members.iter().copied().filter(|&m| is_head(m)).min();
            leaders.push(heads.unwrap_or(i));
        }
        leaders.sort_unstable();
        leaders
    }

    /// Leaders marked with heads every `stride` members, as a sorted list; the slice is given
    /// back without flag bits.
    fn marked(p: &mut [usize], stride: usize) -> Vec<usize> {
        mark_leaders_with(p, Some(stride));
        let leaders = (0..p.len()).filter(|&i| is_leader(p[i])).collect();
        clear_leaders(p);
        leaders
    }

    #[test]
    fn leaders_match_brute_force_and_drop_restores() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
        let sizes: &[usize] = if cfg!(miri) {
            &[0, 1, 2, 3, 17, 300]
        } else {
            &[0, 1, 2, 3, 17, 4095, 4096, 4097, 9000, SEGMENTS_FROM + 77]
        };
        for &n in sizes {
            for pairing in [
                Pairing::Shuffle,
                Pairing::Flip,
                Pairing::Roll(3),
                Pairing::Derangement,
            ] {
                if n == 1 && pairing == Pairing::Derangement {
                    continue;
                }
                let mut p = vec![0usize; n];
                let perm = pairing.fill(&mut rng, &mut p).unwrap();
                let mut got = Vec::new();
                for_each_cycle(&perm, |l| got.push(l));
                let plain: Vec<usize> = perm.iter().collect();
                drop(perm);
                assert_eq!(p, plain, "drop restores the slice");
                let stride = if n >= SEGMENTS_FROM { STRIDE } else { 0 };
                assert_eq!(got, naive_leaders(&p, stride), "n={n} {pairing:?}");
            }
        }
    }

    /// The segmented marking at small strides (so that small batches have many heads and long
    /// links), on random permutations and on ones whose cycles avoid or hold only heads.
    #[test]
    fn segmented_marking_matches_brute_force() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(6);
        let sizes: &[usize] = if cfg!(miri) {
            &[1, 5, 33]
        } else {
            &[1, 2, 5, 33, 64, 65, 200, 1000]
        };
        for &n in sizes {
            for stride in [4usize, 8, 16, 64] {
                let heads = n.div_ceil(stride);
                if (usize::BITS - (heads - 1).leading_zeros()) as usize > stride {
                    continue;
                }
                let mut cases: Vec<Vec<usize>> = Vec::new();
                for pairing in [
                    Pairing::Shuffle,
                    Pairing::Flip,
                    Pairing::Roll(1),
                    Pairing::Roll(0),
                ] {
                    let mut p = vec![0usize; n];
                    drop(pairing.fill(&mut rng, &mut p).unwrap());
                    cases.push(p);
                }
                // One cycle through the non-heads, one through the heads.
                let mut p: Vec<usize> = (0..n).collect();
                let non: Vec<usize> = (0..n).filter(|i| i % stride != 0).collect();
                let hs: Vec<usize> = (0..n).filter(|i| i % stride == 0).collect();
                for group in [&non, &hs] {
                    for w in 0..group.len() {
                        p[group[w]] = group[(w + 1) % group.len()];
                    }
                }
                cases.push(p);
                for p in cases {
                    let want = naive_leaders(&p, stride);
                    let mut q = p.clone();
                    assert_eq!(marked(&mut q, stride), want, "n={n} stride={stride} {p:?}");
                    assert_eq!(q, p);
                }
            }
        }
    }

    /// The cycles in increasing order of their smallest member, whatever the leader bits say,
    /// and the slice as it was (leader bits included) afterwards.
    #[test]
    fn cycles_come_by_smallest_member() {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
        let n = if cfg!(miri) { 100 } else { SEGMENTS_FROM + 5 };
        for pairing in [Pairing::Shuffle, Pairing::Flip, Pairing::Roll(2)] {
            let mut p = vec![0usize; n];
            drop(pairing.fill(&mut rng, &mut p).unwrap());
            let plain = p.clone();
            mark_leaders(p.as_mut_slice());
            let marked = p.clone();
            let mut got = Vec::new();
            cycles_by_smallest(p.as_mut_slice(), |slots, i| {
                // Every member still reads its partner through the marks.
                assert_eq!(value(slots[i]), plain[i]);
                got.push(i);
            });
            assert_eq!(got, naive_leaders(&plain, 0), "{pairing:?}");
            assert_eq!(p, marked);
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
