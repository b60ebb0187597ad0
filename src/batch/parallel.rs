//! The parallel mix (`std`): one batch on several threads, with the bytes of one.
//!
//! Two ways to share a batch out, both with no coordination between the threads beyond the
//! final join:
//!
//! * **By elements**, for samples of at least two shares ([`Kernels::share_bytes`]): elements at
//!   different offsets of a sample are independent, so every thread mixes one element range of
//!   every sample with the one-thread walk ([`walk`] over [`Strips`]).
//! * **By samples**, for smaller samples, whose element ranges would put a boundary between two
//!   threads in every sample (each such boundary costs about 0.3 µs per call; see
//!   `docs/ARCHITECTURE.md`). The calling thread lists the members of every cycle in walk order
//!   and cuts that list into one run of consecutive members per thread ([`Piece`]), so every
//!   sample is written by one thread. A member reads only its successor's original: the next
//!   member of the same run (not yet written), or, for the last member of a cut cycle's
//!   stretch, a **head**: the cycle's leader or the first member of the next thread's stretch,
//!   whose samples the caller saves before any thread starts. A cycle that one thread holds
//!   whole is walked from its leader like the one-thread walk, with the leader's tile saved on
//!   that thread's stack.

use super::*;
use std::vec::Vec;

/// The element ranges `bounds[t]..bounds[t + 1]` that `threads` threads mix, for samples of `n`
/// elements of `T`: equal shares rounded to whole cache lines (so that no two threads write one
/// line), each at least `share_bytes` (but at least one), so a small sample is mixed by fewer
/// threads.
fn split_ranges<T>(n: usize, threads: usize, share_bytes: usize) -> Vec<usize> {
    let line = (64 / core::mem::size_of::<T>().max(1)).max(1);
    let min_share = (share_bytes / core::mem::size_of::<T>().max(1)).max(1);
    let useful = (n / min_share).clamp(1, threads.max(1));
    let share = n.div_ceil(useful).div_ceil(line) * line;
    let mut bounds: Vec<usize> = (0..useful).map(|t| (t * share).min(n)).collect();
    bounds.push(n);
    bounds.dedup();
    bounds
}

/// The most threads one parallel mix starts, whatever it is asked for: more would only queue
/// on the cores, and each costs a stack.
const MAX_THREADS: usize = 256;

impl Kernels {
    /// [`mix_inplace`](Kernels::mix_inplace) on several threads, with the bytes of the
    /// one-thread call whatever the thread count and whoever takes which share.
    /// `threads = 0` uses [`std::thread::available_parallelism`].
    ///
    /// How the batch is shared out depends on [`share_bytes`](Kernels::share_bytes) (16 KiB by
    /// default): no thread gets less than 16 shares of the batch (256 KiB), so smaller batches
    /// are mixed on one thread, and
    ///
    /// * samples of at least two shares are split **by elements**: every sample's elements are
    ///   cut into ranges of whole cache lines, at least a share each, and each thread mixes its
    ///   range of every sample with [`mix_inplace_range`](Kernels::mix_inplace_range);
    /// * smaller samples (of more than 1 KiB, or of at least one share when the share is
    ///   smaller) are split **by samples**: the members of the permutation's cycles, in walk
    ///   order, are cut into one run of consecutive members per thread, so that each sample is
    ///   written by one thread; the calling thread first saves the samples that a cut makes a
    ///   thread read from another's (at most two per thread). Smaller samples stay on one
    ///   thread, whose segmented walk keeps the permutation's loads independent.
    ///
    /// Threads coordinate only through the queue of shares and the final join. The helpers are
    /// the crate's worker threads, one per core beyond the caller's, started on the first call
    /// and kept: they look for the next call for 200 µs before they sleep, so that back-to-back
    /// calls do not pay for starting or waking threads. While they serve another caller, the
    /// call starts threads of its own instead (at most 256; one the operating system refuses
    /// leaves its shares to the others).
    ///
    /// Allocates the lists of shares (one slice per sample and share, and, split by samples,
    /// the walk order and the saved samples; std only: the core allocates nothing). On any bad
    /// input the call returns an `Err` before any thread is involved and writes nothing.
    ///
    /// ```
    /// use mixup::{BatchMut, ImageLayout, Kernels, Pairing, Plan, SampleOp};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(1);
    /// let mut partners = [0; 16];
    /// let perm = Pairing::Shuffle.fill(&mut rng, &mut partners)?;
    /// let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    /// let data: Vec<f32> = (0..16 * 3 * 64 * 64).map(|k| k as f32).collect();
    /// let (mut one, mut many) = (data.clone(), data);
    /// let layout = ImageLayout::nchw(3, 64, 64);
    /// Kernels::best().mix_inplace(&mut BatchMut::new(&mut one, layout)?, plan)?;
    /// Kernels::best().mix_inplace_parallel(&mut BatchMut::new(&mut many, layout)?, plan, 3)?;
    /// assert_eq!(one, many);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn mix_inplace_parallel<'p, T: Element>(
        &self,
        batch: &mut BatchMut<'_, T>,
        plan: impl Into<Plan<'p>>,
        threads: usize,
    ) -> Result<(), Error> {
        let plan = plan.into();
        let layout = batch.layout();
        check_plan::<T>(&plan, batch.len(), &layout, batch.content())?;
        let threads = if threads == 0 {
            std::thread::available_parallelism().map_or(1, usize::from)
        } else {
            threads.min(MAX_THREADS)
        };
        match self.split::<T>(batch.len(), batch.sample_len(), threads) {
            Split::Elements(bounds) => self.by_elements(batch, &plan, &bounds),
            Split::Samples(threads) => self.by_samples(batch, &plan, threads),
            Split::None => {
                let n = batch.sample_len();
                let mut rows = Contiguous {
                    data: batch.as_mut_slice(),
                    sample_len: n,
                };
                walk(self, &plan, &layout, &mut rows, 0..n);
            }
        }
        Ok(())
    }

    /// The split by elements: thread `t` mixes the elements `bounds[t]..bounds[t + 1]` of every
    /// sample.
    fn by_elements<T: Element>(
        &self,
        batch: &mut BatchMut<'_, T>,
        plan: &Plan<'_>,
        bounds: &[usize],
    ) {
        let layout = batch.layout();
        let n = batch.sample_len();
        let batch_bytes = core::mem::size_of_val(batch.as_slice());
        let parts = bounds.len() - 1;
        let mut strips: Vec<Vec<&mut [T]>> = (0..parts)
            .map(|_| Vec::with_capacity(batch.len()))
            .collect();
        for sample in batch.as_mut_slice().chunks_exact_mut(n) {
            let mut rest = sample;
            for (t, strip) in strips.iter_mut().enumerate() {
                let (piece, tail) = rest.split_at_mut(bounds[t + 1] - bounds[t]);
                strip.push(piece);
                rest = tail;
            }
        }
        let queue = Queue::new(
            strips
                .iter_mut()
                .enumerate()
                .map(|(t, strip)| (bounds[t]..bounds[t + 1], strip)),
        );
        share_out(parts, &|| {
            while let Some((range, strip)) = queue.next() {
                let mut rows = Strips {
                    strips: strip,
                    offset: range.start,
                    batch_bytes,
                };
                walk(self, plan, &layout, &mut rows, range);
            }
        });
    }

    /// The split by samples (see the module docs): the members of the cycles in walk order, cut
    /// into `threads` runs of consecutive members (fewer if there are fewer members), the heads
    /// of the cut cycles saved first.
    fn by_samples<T: Element>(&self, batch: &mut BatchMut<'_, T>, plan: &Plan<'_>, threads: usize) {
        let layout = batch.layout();
        let n = batch.sample_len();
        // Every member of a cycle of two or more, cycle after cycle, each from its leader;
        // `ends[c]` is where cycle `c` ends in `order`. Fixed points are left alone, as by the
        // one-thread walk.
        let mut order = Vec::with_capacity(plan.len());
        let mut ends = Vec::new();
        for_each_cycle(plan, |leader| {
            let mut i = leader;
            loop {
                order.push(i);
                i = plan.partner(i);
                if i == leader {
                    break;
                }
            }
            ends.push(order.len());
        });
        let members = order.len();
        let parts = threads.min(members);
        if parts == 0 {
            return;
        }
        // Thread `t` takes `order[cuts[t]..cuts[t + 1]]`. (In 128 bits: `t · members` can
        // overflow a 32-bit `usize` with a tiny share and a huge batch of tiny samples.)
        let cuts: Vec<usize> = (0..=parts)
            .map(|t| (t as u128 * members as u128 / parts as u128) as usize)
            .collect();
        // The heads: the leader and every cut of each cycle that a cut falls inside. Their
        // samples are saved, in `order`'s order, before any thread writes one.
        let data = batch.as_mut_slice();
        let mut heads: Vec<usize> = Vec::new();
        let mut begin = 0;
        for &end in &ends {
            let inside = cuts.iter().filter(|&&c| begin < c && c < end);
            if inside.clone().next().is_some() {
                heads.push(begin);
                heads.extend(inside);
            }
            begin = end;
        }
        let mut saved = Vec::with_capacity(heads.len() * n);
        for &h in &heads {
            let i = order[h];
            saved.extend_from_slice(&data[i * n..][..n]);
        }
        let saved_of = |position: usize| {
            heads
                .binary_search(&position)
                .ok()
                .map(|k| &saved[k * n..][..n])
        };
        let mut samples: Vec<Option<&mut [T]>> = data.chunks_exact_mut(n).map(Some).collect();
        let mut pieces: Vec<Piece<'_, '_, T>> = Vec::with_capacity(parts);
        let mut cycle = 0;
        for t in 0..parts {
            let (from, to) = (cuts[t], cuts[t + 1]);
            let mut piece = Piece {
                members: Vec::with_capacity(to - from),
                stretches: Vec::new(),
            };
            for &i in &order[from..to] {
                // Each index is in `order` once (the plan is a checked permutation).
                if let Some(sample) = samples[i].take() {
                    piece.members.push((i, sample));
                }
            }
            // The stretches: the cycles (or the parts of them) between `from` and `to`.
            let mut at = from;
            while at < to {
                while ends[cycle] <= at {
                    cycle += 1;
                }
                let begin = if cycle == 0 { 0 } else { ends[cycle - 1] };
                let end = ends[cycle].min(to);
                let whole = begin == at && end == ends[cycle] && saved_of(begin).is_none();
                // The last member's successor: the next member after `end`, or the leader when
                // the stretch ends the cycle.
                let tail = if whole {
                    None
                } else if end == ends[cycle] {
                    saved_of(begin)
                } else {
                    saved_of(end)
                };
                piece.stretches.push((end - from, tail));
                at = end;
            }
            pieces.push(piece);
        }
        let queue = Queue::new(pieces.iter_mut());
        share_out(parts, &|| {
            while let Some(piece) = queue.next() {
                let walk = Walk {
                    kernels: self,
                    plan,
                    layout: &layout,
                    range: 0..n,
                    ahead: false,
                    weights: Weigher::new(),
                };
                with_tile(self.tile_len::<T>().min(n), |tile| piece.mix(&walk, tile));
            }
        });
    }
}

/// How a parallel mix shares a batch out.
#[derive(Debug, PartialEq, Eq)]
enum Split {
    /// Not at all: one thread.
    None,
    /// By elements, thread `t` mixing `bounds[t]..bounds[t + 1]` of every sample.
    Elements(Vec<usize>),
    /// By samples, over this many threads (fewer if the cycles have fewer members).
    Samples(usize),
}

impl Kernels {
    /// How `threads` threads (at least one) share a batch of `b` samples of `n` elements.
    fn split<T>(&self, b: usize, n: usize, threads: usize) -> Split {
        // A call costs the helpers microseconds to join and leave: a thread that gets less
        // than 16 shares' worth of the batch in all would not earn them back.
        let size = core::mem::size_of::<T>();
        let batch_bytes = b.saturating_mul(n).saturating_mul(size);
        let per_thread = self.share_bytes().saturating_mul(16);
        let threads = threads.min((batch_bytes / per_thread).max(1));
        if threads < 2 || b == 0 || n == 0 {
            return Split::None;
        }
        let bounds = split_ranges::<T>(n, threads, self.share_bytes());
        if bounds.len() > 2 {
            Split::Elements(bounds)
        } else if b > 1 && n.saturating_mul(size) >= self.share_bytes().min(SEGMENT_RUN_BYTES + 1) {
            // Samples under two shares. The caller lists every cycle's members first, one
            // chain of dependent loads through the permutation, which the one-thread walk
            // avoids for runs of at most `SEGMENT_RUN_BYTES` in large batches (the segmented
            // walk): such samples stay on one thread, unless they are a share or more (a share
            // under 1 KiB, as tests and fuzzing set, says that such samples are worth a thread).
            Split::Samples(threads)
        } else {
            Split::None
        }
    }
}

/// Shares of work that several threads take in turn: a share that one thread took, no other
/// gets.
struct Queue<I>(std::sync::Mutex<I>);

impl<I: Iterator> Queue<I> {
    fn new(shares: I) -> Self {
        Queue(std::sync::Mutex::new(shares))
    }

    fn next(&self) -> Option<I::Item> {
        match self.0.lock() {
            Ok(mut q) => q.next(),
            Err(poisoned) => poisoned.into_inner().next(),
        }
    }
}

/// Runs `work` on the calling thread and on up to `parts - 1` helpers: the pool's workers,
/// which outlive the call (see `crate::pool`), or, while they serve another caller, threads of
/// this call's own. `work` takes shares from a queue until it is empty, so a thread the OS
/// refuses to start is not an error: its shares are taken by the others, and which thread
/// mixes a share does not change the bytes.
fn share_out(parts: usize, work: &(dyn Fn() + Sync)) {
    #[cfg(not(miri))]
    if crate::pool::run(parts - 1, work) {
        return;
    }
    std::thread::scope(|scope| {
        for _ in 1..parts {
            if std::thread::Builder::new()
                .spawn_scoped(scope, work)
                .is_err()
            {
                break;
            }
        }
        work();
    });
}

/// One thread's share of a batch split by samples: consecutive members of the cycles in walk
/// order, with their samples.
struct Piece<'a, 's, T> {
    /// The members, in walk order, and their samples.
    members: Vec<(usize, &'a mut [T])>,
    /// Where each stretch of `members` ends, and the saved original of its last member's
    /// successor, or `None` for a whole cycle from its leader.
    stretches: Vec<(usize, Option<&'s [T]>)>,
}

impl<T: Element> Piece<'_, '_, T> {
    fn mix(&mut self, walk: &Walk<'_, T>, tile: &mut [T]) {
        let mut from = 0;
        for &(end, tail) in &self.stretches {
            walk.stretch(tile, &mut self.members[from..end], tail);
            from = end;
        }
    }
}

impl<T: Element> Walk<'_, T> {
    /// Mixes `members`, consecutive members of one cycle with their whole samples, tile by tile:
    /// each with the next one's original, and the last with `tail`, the saved original of its
    /// successor, or, when `tail` is `None` (the stretch is a whole cycle from its leader), with
    /// the first member's tile, saved in `tile` before it is written.
    fn stretch(&self, tile: &mut [T], members: &mut [(usize, &mut [T])], tail: Option<&[T]>) {
        let Some(&(last, _)) = members.last() else {
            return;
        };
        let n = self.range.end;
        let last_active = self.active(last);
        let mut start = 0;
        while start < n {
            let len = tile.len().min(n - start);
            let saved: &[T] = match tail {
                Some(tail) => &tail[start..][..len],
                None => {
                    if last_active {
                        tile[..len].copy_from_slice(&members[0].1[start..][..len]);
                    }
                    &tile[..len]
                }
            };
            for k in 1..members.len() {
                let (done, rest) = members.split_at_mut(k);
                let (i, x) = &mut done[k - 1];
                if self.active(*i) {
                    self.apply(
                        *i,
                        start,
                        &mut x[start..][..len],
                        &rest[0].1[start..][..len],
                    );
                }
            }
            if last_active && let Some((i, x)) = members.last_mut() {
                self.apply(*i, start, &mut x[start..][..len], saved);
            }
            start += len;
        }
    }
}

/// [`Kernels::mix_inplace_parallel`] with [`Kernels::best`].
pub fn mix_inplace_parallel<'p, T: Element>(
    batch: &mut BatchMut<'_, T>,
    plan: impl Into<Plan<'p>>,
    threads: usize,
) -> Result<(), Error> {
    Kernels::best().mix_inplace_parallel(batch, plan, threads)
}

/// One thread's share of a batch: the same element range of every sample.
struct Strips<'s, 'a, T> {
    strips: &'s mut [&'a mut [T]],
    /// The offset within a sample of the strips' first element.
    offset: usize,
    /// The size of the whole batch in bytes.
    batch_bytes: usize,
}

impl<T> Rows<T> for Strips<'_, '_, T> {
    #[inline]
    fn batch_bytes(&self) -> usize {
        self.batch_bytes
    }

    #[inline]
    fn row(&self, i: usize, start: usize, len: usize) -> &[T] {
        &self.strips[i][start - self.offset..][..len]
    }

    #[inline]
    fn row_mut(&mut self, i: usize, start: usize, len: usize) -> &mut [T] {
        &mut self.strips[i][start - self.offset..][..len]
    }

    #[inline]
    fn pair(&mut self, i: usize, j: usize, start: usize, len: usize) -> (&mut [T], &[T]) {
        let s = start - self.offset;
        if i < j {
            let (lo, hi) = self.strips.split_at_mut(j);
            (&mut lo[i][s..][..len], &hi[0][s..][..len])
        } else {
            let (lo, hi) = self.strips.split_at_mut(i);
            (&mut hi[0][s..][..len], &lo[j][s..][..len])
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::permutation::Pairing;
    use crate::plan::{Draw, Draws};
    use crate::{CutMix, Rect};
    use rand_core::SeedableRng;
    use std::vec;

    /// Per-sample ops for `b` samples of `layout`, every kind: blends (λ = 1 among them, which
    /// writes nothing), pastes and keeps, partners drawn by `pairing`.
    fn records(
        rng: &mut rand_xoshiro::Xoshiro256PlusPlus,
        b: usize,
        layout: &ImageLayout,
        pairing: Pairing,
    ) -> Vec<Draw> {
        let cutmix = CutMix::new(1.0).unwrap();
        let mut records: Vec<Draw> = (0..b)
            .map(|i| Draw {
                partner: 0,
                op: match i % 5 {
                    0 | 3 => SampleOp::Blend(0.3 + i as f64 / 1000.0),
                    1 => SampleOp::Paste(cutmix.sample(rng, layout).0),
                    2 => SampleOp::Keep,
                    _ => SampleOp::Blend(1.0),
                },
                lambda: 0.0,
            })
            .collect();
        pairing.write(rng, records.as_mut_slice()).unwrap();
        records
    }

    /// The split by samples, called directly: for every pairing (one long cycle, many short
    /// ones, fixed points, random cycles), batch sizes from one sample, thread counts beyond
    /// the members, tiles shorter than a sample, one op for all and per-sample ops, with NaNs
    /// among the values: the bytes of one thread.
    #[test]
    fn by_samples_equals_one_thread() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        let layout = ImageLayout::nchw(2, 3, 5);
        let n = layout.sample_len().unwrap();
        let sizes: &[usize] = if cfg!(miri) {
            &[1, 2, 5]
        } else {
            &[1, 2, 3, 5, 17, 64]
        };
        let threads: &[usize] = if cfg!(miri) { &[2, 3] } else { &[2, 3, 7, 64] };
        let pairings = [
            Pairing::Shuffle,
            Pairing::Shuffle,
            Pairing::Flip,
            Pairing::Roll(1),
            Pairing::Roll(3),
            Pairing::Roll(0),
        ];
        for &b in sizes {
            for pairing in pairings {
                let mut recs = records(&mut rng, b, &layout, pairing);
                let shape = crate::Shape::<f32>::new(layout, b).unwrap();
                let draws = Draws::new(&mut recs, shape).unwrap();
                let mut partners = vec![0; b];
                let perm = pairing.fill(&mut rng, &mut partners).unwrap();
                let same = Plan::same(&perm, SampleOp::Blend(0.7));
                let src: Vec<f32> = (0..b * n)
                    .map(|k| match k % 23 {
                        0 => f32::NAN,
                        _ => (k * 7919 % 1000) as f32 / 7.0,
                    })
                    .collect();
                for plan in [Plan::from(&draws), same] {
                    let mut one = src.clone();
                    mix_inplace(&mut BatchMut::new(&mut one, layout).unwrap(), plan).unwrap();
                    for tile in [4, 12, 1 << 16] {
                        let k = Kernels::best().with_tile_bytes(tile);
                        for &t in threads {
                            let mut many = src.clone();
                            let mut batch = BatchMut::new(&mut many, layout).unwrap();
                            k.by_samples(&mut batch, &plan, t);
                            let same_bits = one
                                .iter()
                                .zip(&many)
                                .all(|(x, y)| x.to_bits() == y.to_bits());
                            assert!(same_bits, "b={b} {pairing:?} tile={tile} threads={t}");
                        }
                    }
                }
            }
        }
    }

    /// The split each size gets: by elements for samples of two shares or more, by samples for
    /// smaller samples above `SEGMENT_RUN_BYTES`, none for a batch under 32 shares, for tiny
    /// samples or for one thread.
    #[test]
    fn the_split_follows_the_sizes() {
        let k = Kernels::best();
        // 128 samples of 3×32×32: 12 KiB f32 samples (under two 16 KiB shares), 1.5 MB.
        assert_eq!(k.split::<f32>(128, 3072, 2), Split::Samples(2));
        // u8: 384 KiB in all, under 32 shares.
        assert_eq!(k.split::<u8>(128, 3072, 2), Split::None);
        // 8 samples of 3×224×224 f32: 588 KiB each, split by elements.
        assert!(matches!(k.split::<f32>(8, 150_528, 2), Split::Elements(b) if b.len() == 3));
        // One `f32` per sample in a large batch: the segmented walk on one thread.
        assert_eq!(k.split::<f32>(1 << 20, 1, 2), Split::None);
        assert_eq!(k.split::<f32>(128, 3072, 1), Split::None);
        assert_eq!(k.split::<f32>(0, 3072, 2), Split::None);
        assert_eq!(k.split::<f32>(1 << 10, 0, 2), Split::None);
        // Enough bytes for 7 threads by samples.
        let small = k.with_share_bytes(1200);
        assert_eq!(small.split::<f32>(130, 300, 7), Split::Samples(7));
        // A share under 1 KiB: samples of one share or more (and under two) go by samples.
        let tiny = k.with_share_bytes(100);
        assert_eq!(tiny.split::<u8>(40, 150, 2), Split::Samples(2));
        assert_eq!(tiny.split::<u8>(80, 99, 2), Split::None);
        assert!(matches!(tiny.split::<u8>(40, 200, 2), Split::Elements(_)));
    }

    /// The public entry with a share that sends the batch down the split by samples, for every
    /// thread count: the bytes of one thread.
    #[test]
    fn parallel_by_samples_equals_one_thread() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(12);
        let (b, layout) = if cfg!(miri) {
            (40, ImageLayout::flat(300))
        } else {
            (130, ImageLayout::flat(300))
        };
        let n = layout.sample_len().unwrap();
        let k = Kernels::best().with_share_bytes(n * 4);
        for pairing in [Pairing::Shuffle, Pairing::Flip, Pairing::Roll(1)] {
            let mut recs = records(&mut rng, b, &layout, pairing);
            let shape = crate::Shape::<f32>::new(layout, b).unwrap();
            let draws = Draws::new(&mut recs, shape).unwrap();
            let src: Vec<f32> = (0..b * n).map(|k| (k * 7919 % 1000) as f32).collect();
            let mut one = src.clone();
            mix_inplace(&mut BatchMut::new(&mut one, layout).unwrap(), &draws).unwrap();
            let threads: &[usize] = if cfg!(miri) { &[2] } else { &[1, 2, 3, 7, 0] };
            for &threads in threads {
                assert!(threads < 2 || matches!(k.split::<f32>(b, n, threads), Split::Samples(_)));
                let mut many = src.clone();
                let mut batch = BatchMut::new(&mut many, layout).unwrap();
                k.mix_inplace_parallel(&mut batch, &draws, threads).unwrap();
                assert!(one == many, "{pairing:?} threads={threads}");
            }
        }
    }

    #[test]
    fn parallel_equals_one_thread_for_every_thread_count() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(3);
        // Odd shapes: sample lengths that no share divides, a rectangle crossing shares.
        // Under Miri (threads are interpreted too) only the shapes that still split in two.
        let shapes = [
            (7, ImageLayout::nchw(3, 61, 67)),
            (5, ImageLayout::nhwc(3, 37, 41)),
            (9, ImageLayout::flat(20_011)),
            (3, ImageLayout::hw(1, 5)),
        ];
        let shapes = if cfg!(miri) {
            &[
                (3, ImageLayout::nchw(1, 41, 53)),
                (2, ImageLayout::hw(1, 5)),
            ][..]
        } else {
            &shapes[..]
        };
        for &(b, layout) in shapes {
            let n = layout.sample_len().unwrap();
            let mut records = records(&mut rng, b, &layout, Pairing::Shuffle);
            let shape = crate::Shape::<f32>::new(layout, b).unwrap();
            let draws = Draws::new(&mut records, shape).unwrap();
            let src: Vec<f32> = (0..b * n).map(|k| (k * 7919 % 1000) as f32).collect();
            let mut one = src.clone();
            mix_inplace(&mut BatchMut::new(&mut one, layout).unwrap(), &draws).unwrap();
            // The default share, and shares small enough that every shape splits as often as
            // it is asked to.
            for k in [Kernels::best(), Kernels::best().with_share_bytes(1)] {
                for threads in [1, 2, 3, 7] {
                    let mut many = src.clone();
                    let mut batch = BatchMut::new(&mut many, layout).unwrap();
                    k.mix_inplace_parallel(&mut batch, &draws, threads).unwrap();
                    assert_eq!(one, many, "{layout:?} threads={threads} {k:?}");
                }
            }
        }
    }
    /// Several callers at once: one gets the worker pool, the others start threads of their
    /// own, and every one gets the one-thread bytes.
    #[test]
    fn concurrent_parallel_calls_give_the_one_thread_bytes() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(5);
        // Samples long enough for two ranges (four natively).
        let layout = if cfg!(miri) {
            ImageLayout::hw(4, 80)
        } else {
            ImageLayout::nchw(3, 16, 24)
        };
        let (b, n) = (9, layout.sample_len().unwrap());
        let mut partners = [0usize; 9];
        let perm = Pairing::Shuffle.fill(&mut rng, &mut partners).unwrap();
        let plan = Plan::same(&perm, SampleOp::Blend(0.3));
        let src: Vec<f32> = (0..b * n).map(|k| (k * 7919 % 1000) as f32).collect();
        let mut one = src.clone();
        mix_inplace(&mut BatchMut::new(&mut one, layout).unwrap(), plan).unwrap();
        let rounds = if cfg!(miri) { 1 } else { 100 };
        std::thread::scope(|s| {
            let threads: &[usize] = if cfg!(miri) { &[2, 3] } else { &[2, 3, 4] };
            for &threads in threads {
                let (src, one) = (&src, &one);
                s.spawn(move || {
                    for _ in 0..rounds {
                        let mut many = src.clone();
                        let mut batch = BatchMut::new(&mut many, layout).unwrap();
                        mix_inplace_parallel(&mut batch, plan, threads).unwrap();
                        assert!(many == *one, "threads={threads}");
                    }
                });
            }
        });
    }

    #[test]
    fn split_ranges_cover_the_sample_in_whole_lines() {
        for n in [1usize, 15, 16, 17, 1000, 4096, 150_528] {
            for threads in [1usize, 2, 3, 7, 64] {
                for share in [1usize, 64, 1000, 16 << 10] {
                    let b = split_ranges::<f32>(n, threads, share);
                    assert_eq!((b[0], *b.last().unwrap()), (0, n));
                    assert!(b.windows(2).all(|w| w[0] < w[1]));
                    assert!(b.len() - 1 <= threads);
                    assert!(b[1..b.len() - 1].iter().all(|&x| x % 16 == 0));
                    // Every share but the last (which takes the rest) is at least `share`
                    // bytes, so a sample under two shares is not split.
                    if b.len() > 2 {
                        assert!(
                            b.windows(2)
                                .rev()
                                .skip(1)
                                .all(|w| (w[1] - w[0]) * 4 >= share)
                        );
                        assert!(n * 4 >= 2 * share);
                    }
                }
            }
        }
        // The default splits a 3×224×224 f32 sample in two, and leaves a 3×32×32 one whole.
        let share = Kernels::DEFAULT_SHARE_BYTES;
        assert_eq!(split_ranges::<f32>(150_528, 2, share).len(), 3);
        assert_eq!(split_ranges::<f32>(3072, 2, share).len(), 2);
    }

    #[test]
    fn bad_input_starts_no_thread_and_writes_nothing() {
        let mut data = [1.0f32; 8];
        let mut partners = [0usize, 1];
        let perm = crate::Permutation::new(&mut partners).unwrap();
        let rect = Rect {
            x1: 0,
            y1: 0,
            x2: 9,
            y2: 1,
        };
        let mut batch = BatchMut::new(&mut data, ImageLayout::hw(2, 2)).unwrap();
        assert!(
            mix_inplace_parallel(&mut batch, Plan::same(&perm, SampleOp::Paste(rect)), 2).is_err()
        );
        assert_eq!(data, [1.0; 8]);
    }
}
