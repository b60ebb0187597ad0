//! Carrying out a [`Plan`] on a batch: out of place, or in place by following the
//! permutation's cycles with one stack tile, so that no batch-sized (or even sample-sized)
//! scratch is needed whatever each sample does.
//!
//! In place, sample `i` only ever reads its partner's **original** values: each cycle is walked
//! tile by tile from its leader, every member mixed with its successor (not yet written), the
//! last one with the leader's tile saved on the stack before the leader was written. Samples
//! that an operation does not change are never written but still serve as sources. Finding the
//! cycles costs one scan of the permutation's leader bits (see [`crate::permutation`]), so the
//! whole mix is linear in the batch size. Large batches of short runs are cut into segments
//! that are followed sixteen at a time instead ([`Walk::segments`]), so that the walk is not one
//! chain of dependent loads.

use core::ops::Range;

use crate::arch::{self, Ahead};
use crate::element::Element;
use crate::error::{Error, check_len};
use crate::kernels::{Kernels, Weigher, Weighting, run, run_inplace, run_inplace_ahead};
use crate::layout::{Batch, BatchMut, Content, ImageLayout};
use crate::permutation::{Cycles, for_each_cycle};
use crate::plan::{Plan, SampleOp};

#[cfg(feature = "std")]
mod parallel;
#[cfg(feature = "std")]
pub use parallel::mix_inplace_parallel;

/// Checks a plan against a batch of `samples` samples of `layout`.
fn check_plan<T: Element>(
    plan: &Plan<'_>,
    samples: usize,
    layout: &ImageLayout,
    content: Content,
) -> Result<(), Error> {
    check_len("plan", samples, plan.len())?;
    plan.check::<T>(layout, content == Content::ClassIndices)
}

impl Kernels {
    /// Carries out `plan` out of place: sample `i` of `dst` is `src[i]` kept, blended with
    /// `src[partner(i)]`, or with a rectangle of `src[partner(i)]` pasted in.
    ///
    /// `dst` must have the length of `src`. A sample paired with itself, or kept, is copied
    /// exactly. On any bad input (lengths, an op that does not fit the layout, a blend on a
    /// class-index batch) the call returns an `Err` and writes nothing.
    ///
    /// ```
    /// use mixup::{Batch, ImageLayout, Kernels, Pairing, Plan, SampleOp};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
    /// let src = [0.0f32, 0.0, 10.0, 10.0]; // two samples of two elements
    /// let mut partners = [0; 2];
    /// let perm = Pairing::Flip.fill(&mut rng, &mut partners)?;
    /// let mut dst = [0.0f32; 4];
    /// let batch = Batch::new(&src, ImageLayout::flat(2))?;
    /// Kernels::best().mix(&mut dst, &batch, Plan::same(&perm, SampleOp::Blend(0.75)))?;
    /// assert_eq!(dst, [2.5, 2.5, 7.5, 7.5]);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn mix<'p, T: Element>(
        &self,
        dst: &mut [T],
        src: &Batch<'_, T>,
        plan: impl Into<Plan<'p>>,
    ) -> Result<(), Error> {
        let plan = plan.into();
        let layout = src.layout();
        check_plan::<T>(&plan, src.len(), &layout, src.content())?;
        let data = src.as_slice();
        check_len("dst", data.len(), dst.len())?;
        let n = src.sample_len();
        let stores = self.stores().resolve(core::mem::size_of_val(dst));
        let imp = self.checked();
        let weights = Weigher::<T>::new();
        // Short samples of a batch beyond L2 are gathered from random places: their partners'
        // rows are prefetched a few samples ahead, as the hardware cannot foresee them and each
        // is too short for its stream prefetchers to lock on. (Long samples are streams the
        // hardware follows; in L2 the prefetches cost more than they save.)
        let gather = core::mem::size_of::<T>().saturating_mul(n) <= SEGMENT_RUN_BYTES
            && core::mem::size_of_val(data) >= SEGMENT_MIN_BYTES;
        for (i, out) in dst.chunks_exact_mut(n).enumerate() {
            if gather && i + GATHER_AHEAD < plan.len() {
                arch::prefetch(&data[plan.partner(i + GATHER_AHEAD) * n..][..n]);
            }
            let a = &data[i * n..][..n];
            let j = plan.partner(i);
            let b = &data[j * n..][..n];
            match plan.op(i) {
                // A sample mixed with itself gives itself back; copying also keeps NaN
                // payloads, as the in-place mix, which leaves such samples alone, does.
                _ if i == j => out.copy_from_slice(a),
                SampleOp::Blend(lambda) => {
                    if let Some(w) = weights.get(lambda) {
                        run(imp, w, out, a, b, stores);
                    }
                }
                SampleOp::Paste(rect) => {
                    out.copy_from_slice(a);
                    layout.for_each_run(&rect, 0, n, |s, e| out[s..e].copy_from_slice(&b[s..e]));
                }
                _ => out.copy_from_slice(a),
            }
        }
        Ok(())
    }

    /// Carries out `plan` in place, every sample reading its partner's **original** values,
    /// with no copy of the batch: [`mix`](Kernels::mix) without the second buffer, bit for bit.
    ///
    /// Linear time in the batch size whatever the permutation; one stack tile (see
    /// [`Kernels::best`] and [`with_tile_bytes`](Kernels::with_tile_bytes)); kept samples, samples paired
    /// with themselves, λ = 1 and empty rectangles write nothing. On any bad input the call
    /// returns an `Err` and writes nothing.
    pub fn mix_inplace<'p, T: Element>(
        &self,
        batch: &mut BatchMut<'_, T>,
        plan: impl Into<Plan<'p>>,
    ) -> Result<(), Error> {
        let n = batch.sample_len();
        self.mix_inplace_range(batch, plan, 0..n)
    }

    /// [`mix_inplace`](Kernels::mix_inplace) restricted to the elements `range` of every sample
    /// (offsets within a sample): the split that lets several threads mix one batch without
    /// coordination, since elements at different offsets are independent. Mixing disjoint
    /// ranges that cover `0..sample_len` in any order gives exactly the bytes of one
    /// [`mix_inplace`](Kernels::mix_inplace) call.
    ///
    /// `range` must lie within `0..sample_len` ([`Error::RangeOutsideSample`] otherwise); an
    /// empty range writes nothing.
    ///
    /// ```
    /// use mixup::{BatchMut, ImageLayout, Kernels, Pairing, Plan, SampleOp};
    /// use rand_core::SeedableRng;
    /// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(4);
    /// let mut partners = [0; 8];
    /// let perm = Pairing::Shuffle.fill(&mut rng, &mut partners)?;
    /// let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    /// let original: Vec<f32> = (0..8 * 100).map(|k| k as f32).collect();
    ///
    /// let (mut whole, mut halves) = (original.clone(), original.clone());
    /// Kernels::best().mix_inplace(&mut BatchMut::new(&mut whole, ImageLayout::flat(100))?, plan)?;
    /// let mut batch = BatchMut::new(&mut halves, ImageLayout::flat(100))?;
    /// Kernels::best().mix_inplace_range(&mut batch, plan, 60..100)?;
    /// Kernels::best().mix_inplace_range(&mut batch, plan, 0..60)?;
    /// assert_eq!(whole, halves);
    /// # Ok::<(), mixup::Error>(())
    /// ```
    pub fn mix_inplace_range<'p, T: Element>(
        &self,
        batch: &mut BatchMut<'_, T>,
        plan: impl Into<Plan<'p>>,
        range: Range<usize>,
    ) -> Result<(), Error> {
        let plan = plan.into();
        let layout = batch.layout();
        check_plan::<T>(&plan, batch.len(), &layout, batch.content())?;
        let n = batch.sample_len();
        if range.start > range.end || range.end > n {
            return Err(Error::RangeOutsideSample {
                start: range.start,
                end: range.end,
                sample_len: n,
            });
        }
        let mut rows = Contiguous {
            data: batch.as_mut_slice(),
            sample_len: n,
        };
        walk(self, &plan, &layout, &mut rows, range);
        Ok(())
    }
}

/// [`Kernels::mix`] with [`Kernels::best`]: carries out `plan` out of place into `dst`.
///
/// ```
/// use mixup::{Batch, ImageLayout, Pairing, Plan, SampleOp, mix};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
/// let src = [0u8, 0, 200, 200];
/// let mut partners = [0; 2];
/// let perm = Pairing::Flip.fill(&mut rng, &mut partners)?;
/// let mut dst = [0u8; 4];
/// mix(&mut dst, &Batch::new(&src, ImageLayout::flat(2))?, Plan::same(&perm, SampleOp::Blend(0.25)))?;
/// assert_eq!(dst, [150, 150, 50, 50]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix<'p, T: Element>(
    dst: &mut [T],
    src: &Batch<'_, T>,
    plan: impl Into<Plan<'p>>,
) -> Result<(), Error> {
    Kernels::best().mix(dst, src, plan)
}

/// [`Kernels::mix_inplace`] with [`Kernels::best`]: carries out `plan` in place, with no copy
/// of the batch.
///
/// ```
/// use mixup::{BatchMut, ImageLayout, Pairing, Plan, SampleOp, mix_inplace};
/// use rand_core::SeedableRng;
/// let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(0);
/// let mut data = [0u8, 0, 100, 100, 200, 200];
/// let mut partners = [0; 3];
/// let perm = Pairing::Roll(2).fill(&mut rng, &mut partners)?;
/// mix_inplace(&mut BatchMut::new(&mut data, ImageLayout::flat(2))?, Plan::same(&perm, SampleOp::Blend(0.5)))?;
/// assert_eq!(data, [50, 50, 150, 150, 100, 100]);
/// # Ok::<(), mixup::Error>(())
/// ```
pub fn mix_inplace<'p, T: Element>(
    batch: &mut BatchMut<'_, T>,
    plan: impl Into<Plan<'p>>,
) -> Result<(), Error> {
    Kernels::best().mix_inplace(batch, plan)
}

/// Where the in-place walk reads and writes: the element ranges of the samples.
pub(crate) trait Rows<T> {
    /// The size of the whole batch in bytes (all threads' shares together).
    fn batch_bytes(&self) -> usize;
    /// Elements `start..start + len` of sample `i`.
    fn row(&self, i: usize, start: usize, len: usize) -> &[T];
    /// Elements `start..start + len` of sample `i`, to write.
    fn row_mut(&mut self, i: usize, start: usize, len: usize) -> &mut [T];
    /// The same range of samples `i` (mutable) and `j` (read), `i ≠ j`.
    fn pair(&mut self, i: usize, j: usize, start: usize, len: usize) -> (&mut [T], &[T]);
}

/// A contiguous batch, sample after sample.
struct Contiguous<'a, T> {
    data: &'a mut [T],
    sample_len: usize,
}

impl<T> Rows<T> for Contiguous<'_, T> {
    #[inline]
    fn batch_bytes(&self) -> usize {
        core::mem::size_of_val(self.data)
    }

    #[inline]
    fn row(&self, i: usize, start: usize, len: usize) -> &[T] {
        &self.data[i * self.sample_len + start..][..len]
    }

    #[inline]
    fn row_mut(&mut self, i: usize, start: usize, len: usize) -> &mut [T] {
        &mut self.data[i * self.sample_len + start..][..len]
    }

    #[inline]
    fn pair(&mut self, i: usize, j: usize, start: usize, len: usize) -> (&mut [T], &[T]) {
        let (x, y) = (i * self.sample_len + start, j * self.sample_len + start);
        if x < y {
            let (lo, hi) = self.data.split_at_mut(y);
            (&mut lo[x..x + len], &hi[..len])
        } else {
            let (lo, hi) = self.data.split_at_mut(x);
            (&mut hi[..len], &lo[y..y + len])
        }
    }
}

/// Applies sample `i`'s op to its elements `start..start + x.len()`, reading the partner's
/// original range `y`.
#[inline]
fn apply_tile<T: Element>(
    kernels: &Kernels,
    weights: &Weigher<T>,
    layout: &ImageLayout,
    op: SampleOp,
    start: usize,
    x: &mut [T],
    y: &[T],
) {
    match op {
        SampleOp::Blend(lambda) => {
            if let Some(w) = weights.get(lambda) {
                run_inplace(kernels.checked(), w, x, y);
            }
        }
        SampleOp::Paste(rect) => layout.for_each_run(&rect, start, start + x.len(), |s, e| {
            x[s - start..e - start].copy_from_slice(&y[s - start..e - start]);
        }),
        _ => {}
    }
}

/// The cycle walk over the elements `range` of every sample (the plan is checked and the range
/// lies within the sample), with the kernels' tile: on the stack in a 2 KiB buffer when that is
/// enough, else in a frame of its own holding the largest tile, so that small calls neither
/// reserve nor zero 64 KiB.
///
/// Short runs take the segmented walk ([`Walk::segments`]), long ones the leader walk
/// ([`Walk::leaders`]); both give the bytes of [`Kernels::mix`].
pub(crate) fn walk<T: Element, R: Rows<T>>(
    kernels: &Kernels,
    plan: &Plan<'_>,
    layout: &ImageLayout,
    rows: &mut R,
    range: Range<usize>,
) {
    let run_bytes = core::mem::size_of::<T>().saturating_mul(range.len());
    let touched = plan
        .len()
        .saturating_mul(run_bytes.saturating_add(core::mem::size_of::<usize>()));
    let choice = Choice {
        segmented: run_bytes <= SEGMENT_RUN_BYTES && touched >= SEGMENT_MIN_BYTES,
        ahead: kernels.lookahead().resolve(rows.batch_bytes()),
    };
    walk_by(kernels, plan, layout, rows, range, choice);
}

/// How a walk goes: the choices [`walk`] makes from the sizes, which tests make directly.
#[derive(Clone, Copy, Debug)]
struct Choice {
    /// The segmented walk, if the tile holds a run.
    segmented: bool,
    /// Long runs blended with prefetches ahead of their loads.
    ahead: bool,
}

/// The walk as `choice` says.
fn walk_by<T: Element, R: Rows<T>>(
    kernels: &Kernels,
    plan: &Plan<'_>,
    layout: &ImageLayout,
    rows: &mut R,
    range: Range<usize>,
    choice: Choice,
) {
    if range.is_empty() || plan.is_empty() {
        return;
    }
    let tile_len = kernels.tile_len::<T>();
    let run = range.len();
    let walk = Walk {
        kernels,
        plan,
        layout,
        range,
        ahead: choice.ahead,
        weights: Weigher::new(),
    };
    if choice.segmented && run <= tile_len {
        with_tile(tile_len, |tile| walk.segments(tile, rows));
    } else {
        with_tile(tile_len.min(run), |tile| walk.leaders(tile, rows));
    }
}

/// Runs `f` on a zeroed stack tile of `len` elements of `T` (at least one, at most the largest
/// tile): the 2 KiB buffer when it is enough, else a frame of its own.
#[inline(always)]
fn with_tile<T: Element>(len: usize, f: impl FnOnce(&mut [T])) {
    let mut small = T::BUFFER;
    if let Some(tile) = small.as_mut().get_mut(..len) {
        f(tile);
    } else {
        with_large_tile(len, f);
    }
}

#[inline(never)]
fn with_large_tile<T: Element>(len: usize, f: impl FnOnce(&mut [T])) {
    let mut large = T::TILE;
    let buffer = large.as_mut();
    let len = len.clamp(1, buffer.len());
    f(&mut buffer[..len]);
}

/// Tiles from which the walk leaves prefetching to the hardware: a run of 16 KiB or more is long
/// enough for the stream prefetchers to lock on, and prefetching a whole long run at once only
/// fills the miss queue ahead of the loads that need it (64 KiB tiles, 3×224×224 f32 batches on
/// an EPYC with 1 MiB L2: 8–12% faster without; see `docs/ARCHITECTURE.md`).
const PREFETCH_BELOW: usize = 16 << 10;

/// Runs up to which the segmented walk is taken: below this, the latency of finding the next
/// member of a cycle (a random load from the permutation) costs more than moving the run.
const SEGMENT_RUN_BYTES: usize = 1024;

/// The bytes a walk touches (runs and permutation entries) from which the segmented walk is
/// taken: in a batch that stays in L2 the leader walk's chain of loads is short, and the
/// segments' bookkeeping costs more than it saves (EPYC, 512 KiB L2: 10–20% slower below,
/// up to 4× faster from a few MiB; see `docs/ARCHITECTURE.md`).
const SEGMENT_MIN_BYTES: usize = 512 << 10;

/// How many samples ahead the out-of-place mix prefetches the partner of a short sample: enough
/// to cover a miss to memory at a few nanoseconds per sample.
const GATHER_AHEAD: usize = 16;

/// How many segments the segmented walk follows at once: enough independent chains of loads to
/// keep a core's miss queue busy.
const CURSORS: usize = 16;

/// How the leader walk helps the loads of the next run.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Prefetch {
    /// Not at all: the runs are in cache, or long enough for the hardware prefetchers.
    None,
    /// Tiles short because the tile is (2 KiB without `std`): while member `i` is processed,
    /// the tile of the member after next is prefetched whole. That address is a jump the
    /// hardware prefetchers cannot foresee, and a short run ends before they would have
    /// trained on it.
    NextTile,
    /// A batch beyond the last-level cache: the blend prefetches a fixed distance ahead of its
    /// loads, on into the next member's run ([`arch::blend_inplace_ahead`]). One core's
    /// hardware prefetchers keep too few lines in flight to reach the memory bound on a run
    /// that jumps every tile (EPYC, 3×224×224 f32 beyond its 32 MiB L3: 0.76–0.90× the in-place
    /// pass without, 0.84–1.07× with; see `docs/ARCHITECTURE.md`).
    Ahead,
}

/// One walk's fixed inputs: the plan (checked), the kernels and layout that carry out its ops,
/// and the element range of every sample that it mixes (not empty, within the sample).
struct Walk<'a, T: Element> {
    kernels: &'a Kernels,
    plan: &'a Plan<'a>,
    layout: &'a ImageLayout,
    range: Range<usize>,
    /// Whether the walk goes beyond the last-level cache, so that long runs are blended with
    /// prefetches ahead of their loads.
    ahead: bool,
    /// The ops' λ as `T`'s weights, each computed once.
    weights: Weigher<T>,
}

impl<T: Element> Walk<'_, T> {
    /// Whether sample `i`'s op writes anything: [`SampleOp::writes`] with the weights at hand.
    #[inline]
    fn active(&self, i: usize) -> bool {
        match self.plan.op(i) {
            SampleOp::Blend(lambda) => {
                !matches!(self.weights.get(lambda), None | Some(Weighting::CopyA))
            }
            op => op.writes::<T>(),
        }
    }

    /// Applies sample `i`'s op to `x`, its elements from `start`, with `y` its partner's
    /// original values there.
    #[inline]
    fn apply(&self, i: usize, start: usize, x: &mut [T], y: &[T]) {
        apply_tile(
            self.kernels,
            &self.weights,
            self.layout,
            self.plan.op(i),
            start,
            x,
            y,
        );
    }

    /// [`apply`](Walk::apply), the blends prefetching into `ahead` as they go.
    #[inline]
    fn apply_ahead(&self, i: usize, start: usize, x: &mut [T], y: &[T], ahead: Ahead<T>) {
        match self.plan.op(i) {
            SampleOp::Blend(lambda) => {
                if let Some(w) = self.weights.get(lambda) {
                    run_inplace_ahead(self.kernels.checked(), w, x, y, ahead);
                }
            }
            _ => self.apply(i, start, x, y),
        }
    }

    /// The leader walk, with `tile` (not empty) as the saved leader run: every cycle from its
    /// leader, tile by tile.
    fn leaders<R: Rows<T>>(&self, tile: &mut [T], rows: &mut R) {
        // Prefetch only tiles that are short because the tile is (2 KiB without `std`), not
        // because the samples are: a whole small sample prefetched into L1 while two others are
        // being mixed evicts them (128 samples of 3×32×32 f32 in L3 on an EPYC, 12 KiB each:
        // 74 µs with the prefetch, 66 µs without).
        let prefetch =
            if core::mem::size_of_val(tile) < PREFETCH_BELOW && self.range.len() > tile.len() {
                Prefetch::NextTile
            } else if self.ahead {
                Prefetch::Ahead
            } else {
                Prefetch::None
            };
        for_each_cycle(self.plan, |leader| {
            self.cycle(tile, rows, leader, prefetch, None::<fn(usize) -> bool>)
        });
    }

    /// Mixes the cycle of `leader` tile by tile, unless one of its members satisfies `skip`
    /// (checked before anything is written), prefetching as `prefetch` says.
    #[inline(always)]
    fn cycle<R: Rows<T>>(
        &self,
        tile: &mut [T],
        rows: &mut R,
        leader: usize,
        prefetch: Prefetch,
        skip: Option<impl Fn(usize) -> bool>,
    ) {
        let plan = self.plan;
        let (any, last_active) = match (&skip, plan.same_op()) {
            // One op for all: every member writes or none does, with no walk to find out.
            (None, Some(_)) => {
                let a = self.active(leader);
                (a, a)
            }
            // One walk decides whether the cycle is skipped or writes anything, and whether
            // its last member (the only reader of the saved tile) does.
            _ => {
                let mut any = false;
                let mut i = leader;
                let last_active = loop {
                    if skip.as_ref().is_some_and(|skip| skip(i)) {
                        return;
                    }
                    let a = self.active(i);
                    any |= a;
                    let j = plan.partner(i);
                    if j == leader {
                        break a;
                    }
                    i = j;
                };
                (any, last_active)
            }
        };
        if !any {
            return;
        }
        let mut start = self.range.start;
        while start < self.range.end {
            let len = tile.len().min(self.range.end - start);
            let saved = &mut tile[..len];
            if last_active {
                saved.copy_from_slice(rows.row(leader, start, len));
            }
            let mut i = leader;
            loop {
                let j = plan.partner(i);
                if j == leader {
                    if last_active {
                        self.apply(i, start, rows.row_mut(i, start, len), saved);
                    }
                    break;
                }
                // The member after next: its run is what `i`'s successor will read.
                let k = plan.partner(j);
                if prefetch == Prefetch::NextTile && k != leader && self.active(j) {
                    arch::prefetch(rows.row(k, start, len));
                }
                if self.active(i) {
                    // After `j`'s run the loads go on into `k`'s (the saved tile, in cache, when
                    // `k` is the leader).
                    let ahead = (prefetch == Prefetch::Ahead).then(|| match k == leader {
                        true => Ahead::NONE,
                        false => Ahead {
                            next: rows.row(k, start, len).as_ptr(),
                            len,
                        },
                    });
                    let (x, y) = rows.pair(i, j, start, len);
                    match ahead {
                        Some(ahead) => self.apply_ahead(i, start, x, y, ahead),
                        None => self.apply(i, start, x, y),
                    }
                }
                i = j;
            }
            start += len;
        }
    }

    /// The segmented walk, for runs short enough that `tile` holds at least one: the cycles are
    /// cut into segments at the **heads**, the members whose index is a multiple of a power of
    /// two `stride` chosen so that every head's run fits in the tile, and up to [`CURSORS`]
    /// segments are followed at once, each step prefetching the next member's entry and run.
    ///
    /// A segment runs from its head along the cycle up to the next head. Every member is mixed
    /// by its own segment with its successor's original run: the successor is either the next
    /// member of the same segment, not yet written, or a head, whose run was saved before
    /// anything was written. Segments share no member, so following them in any interleaving
    /// gives the same bytes, and each member is still read and written once. Following one cycle
    /// alone is a chain of dependent random loads; sixteen segments are sixteen independent
    /// chains.
    ///
    /// Cycles without a head (short ones, in practice) are then mixed by the leader walk,
    /// skipping the cycles the segments have done.
    fn segments<R: Rows<T>>(&self, tile: &mut [T], rows: &mut R) {
        let plan = self.plan;
        let b = plan.len();
        let (start, run) = (self.range.start, self.range.len());
        // `run ≤ tile.len()`, so there is at least one slot; `b` is a slice length, so the power
        // of two does not overflow.
        let slots = tile.len() / run;
        let stride = b.div_ceil(slots).next_power_of_two();
        let is_head = |j: usize| j & (stride - 1) == 0;
        let slot = |j: usize| j / stride * run;
        // A head is a member of a cycle of two or more: a sample paired with itself is read by
        // no one else.
        let heads = || (0..b).step_by(stride).filter(|&h| plan.partner(h) != h);
        for h in heads() {
            tile[slot(h)..][..run].copy_from_slice(rows.row(h, start, run));
        }
        let mut heads = heads();
        // Each cursor is the member to mix next and its successor.
        let mut cursors = [(0usize, 0usize); CURSORS];
        let mut live = 0;
        while live < CURSORS {
            let Some(h) = heads.next() else { break };
            let j = plan.partner(h);
            arch::prefetch(rows.row(j, start, run));
            plan.prefetch(j);
            cursors[live] = (h, j);
            live += 1;
        }
        while live > 0 {
            let mut c = 0;
            while c < live {
                let (i, j) = cursors[c];
                let ends = is_head(j);
                if self.active(i) {
                    if ends {
                        let x = rows.row_mut(i, start, run);
                        self.apply(i, start, x, &tile[slot(j)..][..run]);
                    } else {
                        let (x, y) = rows.pair(i, j, start, run);
                        self.apply(i, start, x, y);
                    }
                }
                let next = if ends {
                    heads.next().map(|h| (h, plan.partner(h)))
                } else {
                    Some((j, plan.partner(j)))
                };
                if let Some((i, j)) = next {
                    arch::prefetch(rows.row(j, start, run));
                    plan.prefetch(j);
                    cursors[c] = (i, j);
                    c += 1;
                } else {
                    live -= 1;
                    cursors[c] = cursors[live];
                }
            }
        }
        // The cycles that hold no head, each from its leader.
        for_each_cycle(plan, |leader| {
            self.cycle(tile, rows, leader, Prefetch::None, Some(is_head))
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::CutMix;
    use crate::permutation::Pairing;
    use crate::plan::{Draw, Draws};
    use rand_core::SeedableRng;
    use std::{vec, vec::Vec};

    const SEGMENTED: Choice = Choice {
        segmented: true,
        ahead: false,
    };

    /// Every way of cutting cycles into segments (strides from one head to one sample per head,
    /// through tiles of 1 to 64 elements), every pairing, per-sample ops and a tile too small
    /// for a run (the leader walk): the bytes of the out-of-place mix.
    #[test]
    fn segmented_walk_gives_the_out_of_place_bytes() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(12);
        // Under Miri (the walks have no unsafe code; the kernels they call do) fewer cases.
        let (batches, tiles): (&[usize], &[usize]) = if cfg!(miri) {
            (&[2, 9], &[1, 64])
        } else {
            (&[1, 2, 3, 7, 33, 100, 1000], &[1, 2, 3, 5, 8, 64, 4096])
        };
        let all = [
            Pairing::Shuffle,
            Pairing::Flip,
            Pairing::Roll(0),
            Pairing::Derangement,
            Pairing::Roll(1),
        ];
        let pairings = if cfg!(miri) { &all[..3] } else { &all[..] };
        for &b in batches {
            for layout in [ImageLayout::flat(1), ImageLayout::hw(2, 3)] {
                let n = layout.sample_len().unwrap();
                let src: Vec<f32> = (0..b * n).map(|k| (k * 7919 % 1000) as f32).collect();
                for &pairing in pairings {
                    if b == 1 && pairing == Pairing::Derangement {
                        continue;
                    }
                    let cutmix = CutMix::new(1.0).unwrap();
                    let mut records: Vec<Draw> = (0..b)
                        .map(|i| Draw {
                            partner: 0,
                            op: match i % 4 {
                                0 | 3 => SampleOp::Blend(0.25 + i as f64 / 4000.0),
                                1 => SampleOp::Paste(cutmix.sample(&mut rng, &layout).0),
                                _ => SampleOp::Keep,
                            },
                            lambda: 0.0,
                        })
                        .collect();
                    pairing.write(&mut rng, records.as_mut_slice()).unwrap();
                    let shape = crate::Shape::<f32>::new(layout, b).unwrap();
                    let draws = Draws::new(&mut records, shape).unwrap();
                    let mut partners: Vec<usize> = draws.iter().map(|d| d.partner).collect();
                    let perm = crate::Permutation::new(&mut partners).unwrap();
                    let plans = [Plan::from(&draws), Plan::same(&perm, SampleOp::Blend(0.3))];
                    for plan in plans {
                        let mut expect = vec![0.0f32; src.len()];
                        mix(&mut expect, &Batch::new(&src, layout).unwrap(), plan).unwrap();
                        for &tile in tiles {
                            let k = Kernels::best().with_tile_bytes(tile * 4);
                            let mut got = src.clone();
                            let mut rows = Contiguous {
                                data: &mut got,
                                sample_len: n,
                            };
                            walk_by(&k, &plan, &layout, &mut rows, 0..n, SEGMENTED);
                            assert!(got == expect, "b={b} {layout:?} {pairing:?} tile={tile}");
                            // Ranges of the sample (threads' shares) cut the runs shorter.
                            let mut got = src.clone();
                            let m = 3.min(n);
                            let mut rows = Contiguous {
                                data: &mut got,
                                sample_len: n,
                            };
                            for r in [m..n, 0..m] {
                                walk_by(&k, &plan, &layout, &mut rows, r, SEGMENTED);
                            }
                            assert!(
                                got == expect,
                                "ranges b={b} {layout:?} {pairing:?} tile={tile}"
                            );
                        }
                    }
                }
            }
        }
    }

    /// A batch large enough that the public entry points take the segmented walk by themselves.
    #[test]
    fn large_batches_of_small_samples_give_the_out_of_place_bytes() {
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(13);
        let b = if cfg!(miri) { 1 << 10 } else { 70_001 };
        for n in [1usize, 3] {
            let layout = ImageLayout::flat(n);
            let src: Vec<u8> = (0..b * n).map(|k| (k * 7919 % 251) as u8).collect();
            let mut records: Vec<Draw> = (0..b)
                .map(|i| Draw {
                    partner: 0,
                    op: if i % 5 == 0 {
                        SampleOp::Keep
                    } else {
                        SampleOp::Blend((i % 7) as f64 / 7.0)
                    },
                    lambda: 0.0,
                })
                .collect();
            Pairing::Shuffle
                .write(&mut rng, records.as_mut_slice())
                .unwrap();
            let draws =
                Draws::new(&mut records, crate::Shape::<u8>::new(layout, b).unwrap()).unwrap();
            let mut expect = vec![0u8; src.len()];
            mix(&mut expect, &Batch::new(&src, layout).unwrap(), &draws).unwrap();
            let mut got = src.clone();
            mix_inplace(&mut BatchMut::new(&mut got, layout).unwrap(), &draws).unwrap();
            assert!(got == expect, "n={n}");
        }
    }

    #[test]
    fn every_tile_gives_the_out_of_place_bytes() {
        // Tiles below, at and above the 2 KiB stack buffer, none dividing the sample length,
        // so that runs end mid-sample and the large-frame path is taken.
        let mut rng = rand_xoshiro::Xoshiro256PlusPlus::seed_from_u64(11);
        // Under Miri a shorter sample (still longer than the 2 KiB buffer, and divided by no
        // tile), so that the interpreter gets through every tile in seconds.
        let len = if cfg!(miri) { 2_053 } else { 40_009 };
        let layout = ImageLayout::flat(len);
        let b = if cfg!(miri) { 3 } else { 6 };
        let src: Vec<u8> = (0..b * len).map(|k| (k * 7919 % 251) as u8).collect();
        let mut partners = [0usize; 6];
        let partners = &mut partners[..b];
        let perm = Pairing::Shuffle.fill(&mut rng, partners).unwrap();
        let plan = Plan::same(&perm, SampleOp::Blend(0.3));
        let mut expect = vec![0u8; src.len()];
        mix(&mut expect, &Batch::new(&src, layout).unwrap(), plan).unwrap();
        let mut tiles = vec![1, 3, 2047, 2048, 2049, 4096, len, Kernels::MAX_TILE_BYTES];
        if cfg!(miri) {
            // Tiny tiles mean thousands of kernel dispatches, minutes in the interpreter.
            tiles.retain(|&t| t > 3);
        }
        tiles.push(Kernels::best().tile_bytes());
        for tile in tiles {
            let mut got = src.clone();
            let k = Kernels::best().with_tile_bytes(tile);
            k.mix_inplace(&mut BatchMut::new(&mut got, layout).unwrap(), plan)
                .unwrap();
            assert!(got == expect, "tile {tile}");
            // The walk of batches beyond the last-level cache, prefetching ahead of its loads.
            let mut got = src.clone();
            let mut rows = Contiguous {
                data: &mut got,
                sample_len: len,
            };
            let ahead = Choice {
                segmented: false,
                ahead: true,
            };
            walk_by(&k, &plan, &layout, &mut rows, 0..len, ahead);
            assert!(got == expect, "ahead, tile {tile}");
        }
    }
}
