//! `Mixup::apply`, `Mixup::draw`, `mix`, `mix_inplace` (and `Kernels::mix_inplace_range` and
//! `mix_inplace_parallel`) with arbitrary layouts, labels, class counts, smoothing,
//! probabilities, pairings, ops, kernels and buffer lengths: no panic; every layer (`BatchMut`,
//! `Labels`, `Permutation`, `apply`, `mix`) refuses exactly the invalid input, with every buffer
//! and, for `Mixup`, the generator untouched; otherwise partners a permutation, every record's λ
//! in [0, 1] and the one `T` applies, the data mixed as `blend` mixes the original samples with
//! it (bit for bit, in place equal to out of place, whatever the implementation, store policy,
//! tile, element range split or thread count), `draw` then `mix_inplace` and `Labels::mix`
//! equal to `apply`, and every label row summing to 1.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{
    Batch, BatchMut, ChannelOrder, ClassLabel, Draw, Draws, Element, Error, ImageLayout,
    Implementation, Kernels, Labels, Lookahead, Mixup, Pairing, Plan, Rect, SampleOp, Shape,
    Stores, applied_lambda, blend, mix, mix_inplace,
};
use mixup_fuzz::{
    ScriptedRng, any_f64, checked_permutation, is_permutation, partners, records_bits, shape,
    smoothing, unit_f64,
};

/// Element values from the fuzzer: small exact ones mostly, any bits sometimes.
trait Value: Element {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self>;
    fn bits(self) -> u64;
}

impl Value for f32 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(if u.ratio(1, 8)? {
            f32::from_bits(u.arbitrary()?)
        } else {
            u.int_in_range(-512i32..=512)? as f32 / 4.0
        })
    }
    fn bits(self) -> u64 {
        self.to_bits() as u64
    }
}

impl Value for f64 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        Ok(if u.ratio(1, 8)? {
            f64::from_bits(u.arbitrary()?)
        } else {
            u.int_in_range(-512i32..=512)? as f64 / 4.0
        })
    }
    fn bits(self) -> u64 {
        self.to_bits()
    }
}

impl Value for u8 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
}

impl Value for u16 {
    fn arbitrary(u: &mut Unstructured<'_>) -> Result<Self> {
        u.arbitrary()
    }
    fn bits(self) -> u64 {
        self as u64
    }
}

/// Bits, so that NaNs compare exactly: the crate promises the same bits from every path (a
/// computed NaN is the canonical one; kept and self-paired samples are copied or left alone).
fn bits<T: Value>(v: &[T]) -> Vec<u64> {
    v.iter().map(|x| x.bits()).collect()
}

fn f32_bits(v: &[f32]) -> Vec<u32> {
    v.iter().map(|x| x.to_bits()).collect()
}

fn size(u: &mut Unstructured<'_>, small: usize) -> Result<usize> {
    Ok(match u.int_in_range(0..=15)? {
        // Sizes whose products overflow usize.
        0 => *u.choose(&[usize::MAX, usize::MAX / 2 + 1, 1 << (usize::BITS / 2)])?,
        1 => 0,
        _ => u.int_in_range(1..=small)?,
    })
}

/// A sample layout: flat rows, or CHW / HWC images, any size factor possibly 0 or huge.
fn layout(u: &mut Unstructured<'_>) -> Result<ImageLayout> {
    let long = u.ratio(1, 8)?;
    Ok(match u.int_in_range(0..=3)? {
        0 => ImageLayout::flat(size(u, if long { 1100 } else { 40 })?),
        1 => ImageLayout::hw(size(u, 8)?, size(u, if long { 64 } else { 8 })?),
        k => {
            let (c, h, w) = (
                size(u, 4)?,
                size(u, 8)?,
                size(u, if long { 48 } else { 8 })?,
            );
            if k == 2 {
                ImageLayout::nchw(c, h, w)
            } else {
                ImageLayout::nhwc(c, h, w)
            }
        }
    })
}

/// `C·H·W` by the crate's rule: a zero factor gives 0, otherwise the checked product.
fn sample_len(l: &ImageLayout) -> Option<usize> {
    let f = [l.channels, l.height, l.width];
    if f.contains(&0) {
        return Some(0);
    }
    f.iter().try_fold(1usize, |acc, &x| acc.checked_mul(x))
}

/// Checks a batch view's verdict against the layout and the data length: `Ok` exactly when the
/// sample length fits, is above zero and divides the data; the error says which.
fn check_view(result: core::result::Result<usize, Error>, layout: &ImageLayout, len: usize) {
    match (sample_len(layout), result) {
        (Some(s), Ok(b)) if s > 0 && len.is_multiple_of(s) => assert_eq!(b, len / s),
        (None, Err(Error::SizeOverflow)) => {}
        (Some(0), Err(Error::EmptySample)) => {}
        (Some(s), Err(Error::LengthMismatch { what, actual, .. }))
            if s > 0 && !len.is_multiple_of(s) =>
        {
            assert_eq!((what, actual), ("batch", len));
        }
        (s, r) => panic!("{layout:?} with {len} elements (sample length {s:?}): {r:?}"),
    }
}

fn pairing(u: &mut Unstructured<'_>) -> Result<Pairing> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Pairing::Roll(u.arbitrary()?),
        1 => Pairing::Flip,
        2 => Pairing::Shuffle,
        _ => Pairing::Derangement,
    })
}

/// A buffer length: the right one, or one off either way.
fn length(u: &mut Unstructured<'_>, right: Option<usize>) -> Result<usize> {
    let right = right.unwrap_or(0).min(1 << 16);
    Ok(match u.int_in_range(0..=23)? {
        0 => right + 1,
        1 => right.saturating_sub(1),
        _ => right,
    })
}

fn data<T: Value>(u: &mut Unstructured<'_>, len: usize) -> Result<Vec<T>> {
    let mut v = Vec::with_capacity(len);
    for _ in 0..len.min(256) {
        v.push(T::arbitrary(u)?);
    }
    for k in v.len()..len {
        v.push(v[k % 256]);
    }
    Ok(v)
}

/// Whether element `k` of a sample lies in `rect`, by the layout's memory order.
fn inside(layout: &ImageLayout, rect: &Rect, k: usize) -> bool {
    let (c, h, w) = (layout.channels, layout.height, layout.width);
    let (y, x) = if layout.order == ChannelOrder::Hwc {
        (k / (w * c), (k / c) % w)
    } else {
        ((k / w) % h, k % w)
    };
    (rect.y1..rect.y2).contains(&y) && (rect.x1..rect.x2).contains(&x)
}

/// Sample `i` after its op, from the original batch, element by element: kept and self-paired
/// samples are copies, blends are `blend` of the two originals, pastes take the partner's
/// elements inside the rectangle.
fn expected_sample<T: Value>(
    src: &[T],
    layout: &ImageLayout,
    n: usize,
    i: usize,
    j: usize,
    op: SampleOp,
) -> Vec<T> {
    let a = &src[i * n..][..n];
    let b = &src[j * n..][..n];
    match op {
        _ if i == j => a.to_vec(),
        SampleOp::Blend(l) => {
            let mut want = vec![T::default(); n];
            blend(&mut want, a, b, l).expect("a valid blend");
            want
        }
        SampleOp::Paste(rect) => (0..n)
            .map(|k| if inside(layout, &rect, k) { b[k] } else { a[k] })
            .collect(),
        _ => a.to_vec(),
    }
}

fn apply<T: Value, L: ClassLabel + std::fmt::Debug>(
    u: &mut Unstructured<'_>,
    label: fn(i64) -> L,
) -> Result<()> {
    let alpha = shape(u)?;
    let p = if u.ratio(1, 4)? {
        any_f64(u)?
    } else {
        let any = unit_f64(u)?;
        *u.choose(&[0.0, 1.0, any])?
    };
    let eps = smoothing(u)?;
    let pairing = pairing(u)?;

    let config = Mixup::new(alpha);
    assert_eq!(
        config.is_ok(),
        alpha.is_finite() && alpha > 0.0,
        "α={alpha:e}"
    );
    let Ok(config) = config else { return Ok(()) };
    let config = config.with_probability(p);
    assert_eq!(config.is_ok(), (0.0..=1.0).contains(&p), "p={p:e}");
    let Ok(config) = config else { return Ok(()) };
    assert_eq!(config.probability().to_bits(), (p + 0.0).to_bits());
    let config = config.with_pairing(pairing);

    let n = u.int_in_range(0..=24)?;
    let layout = layout(u)?;
    let classes = size(u, 300)?;
    let mut values = Vec::with_capacity(n);
    for _ in 0..n {
        let c: i64 = if u.ratio(1, 16)? {
            u.arbitrary()?
        } else {
            u.int_in_range(0..=classes.min(1 << 20) as i64)?
        };
        values.push(label(c));
    }
    let sl = sample_len(&layout);
    let batch_len = length(u, sl.and_then(|s| n.checked_mul(s)))?;
    let soft_buf_len = length(u, n.checked_mul(classes))?;
    let records_len = length(u, Some(n))?;
    let class_indices = u.ratio(1, 16)?;

    let mut batch = data::<T>(u, batch_len)?;
    let mut soft = vec![-1.0f32; soft_buf_len];
    let junk = Draw {
        partner: usize::MAX,
        op: SampleOp::Blend(2.0),
        lambda: -3.0,
    };
    let mut records = vec![junk; records_len];
    let mut rng: ScriptedRng = u.arbitrary()?;
    let (batch0, soft0, records0, rng0) = (
        batch.clone(),
        soft.clone(),
        records_bits(&records),
        rng.clone(),
    );

    // The batch view: checked when made.
    let view = if class_indices {
        BatchMut::class_indices(&mut batch, layout)
    } else {
        BatchMut::new(&mut batch, layout)
    };
    check_view(
        view.as_ref().map(|v| v.len()).map_err(|e| *e),
        &layout,
        batch_len,
    );
    let Ok(mut view) = view else { return Ok(()) };
    let b = view.len();

    // The labels: checked when made, naming the first bad one.
    let bad = values
        .iter()
        .position(|l| l.class_index().is_none_or(|c| c >= classes));
    let made = match (Labels::classes(&values, classes), classes, bad) {
        (Err(Error::NoClasses), 0, _) => None,
        (
            Err(Error::LabelOutOfRange {
                sample,
                num_classes,
            }),
            1..,
            Some(first),
        ) => {
            assert_eq!((sample, num_classes), (first, classes));
            None
        }
        (Ok(made), 1.., None) => Some(made),
        (r, _, _) => panic!("C={classes}, first bad label {bad:?} of {values:?}: {r:?}"),
    };
    let Some(made) = made else { return Ok(()) };
    assert_eq!((made.len(), made.num_classes()), (n, classes));
    let smoothed = made.with_smoothing(eps);
    assert_eq!(smoothed.is_ok(), (0.0..1.0).contains(&eps), "ε={eps:e}");
    let Ok(labels) = smoothed else { return Ok(()) };
    assert_eq!(labels.smoothing().to_bits(), (eps + 0.0).to_bits());

    let lengths_ok = b == n && records_len == n && n.checked_mul(classes) == Some(soft_buf_len);
    let valid = lengths_ok && !class_indices && !(pairing == Pairing::Derangement && n == 1);

    let (draws, refused) = match config.apply(&mut rng, &mut view, &labels, &mut records, &mut soft)
    {
        Ok(draws) => (Some(draws), None),
        Err(e) => (None, Some(e)),
    };
    if let Some(e) = refused {
        drop(draws);
        assert!(
            !valid,
            "refused valid input ({e}): n={n} {layout:?} C={classes} {pairing:?}"
        );
        if lengths_ok && class_indices {
            assert!(matches!(e, Error::BlendOfClassIndices { .. }), "{e}");
        }
        assert_eq!(bits(&batch), bits(&batch0), "batch written on Err {e}");
        assert_eq!(
            f32_bits(&soft),
            f32_bits(&soft0),
            "labels written on Err {e}"
        );
        assert_eq!(
            records_bits(&records),
            records0,
            "records written on Err {e}"
        );
        assert_eq!(rng, rng0, "generator advanced on Err {e}");
        return Ok(());
    }
    let draws = draws.expect("no error, so draws");
    assert!(
        valid,
        "accepted invalid input: n={n} b={b} {layout:?} C={classes} {values:?}"
    );
    let s = sl.expect("a valid batch has a sample length");
    assert_eq!(draws.len(), n);
    let got: Vec<Draw> = draws.iter().collect();
    let partners: Vec<usize> = got.iter().map(|d| d.partner).collect();
    assert!(is_permutation(&partners), "{partners:?}");
    let identity = partners.iter().enumerate().all(|(i, &j)| i == j);

    // Every record: kept with λ 1, or blended with the batch's one λ, recorded as T applies it.
    let mut batch_lambda = None;
    for (i, d) in got.iter().enumerate() {
        match d.op {
            SampleOp::Keep => assert_eq!(d.lambda.to_bits(), 1f64.to_bits(), "{i}: {d:?}"),
            SampleOp::Blend(l) => {
                assert_ne!(d.partner, i, "a self-paired sample blended: {d:?}");
                assert_eq!(
                    batch_lambda.get_or_insert(l).to_bits(),
                    l.to_bits(),
                    "two λ"
                );
                let applied = applied_lambda::<T>(l).expect("a drawn λ is valid");
                assert_eq!(d.lambda.to_bits(), applied.to_bits(), "{i}: {d:?}");
                assert!(
                    (0.0..=1.0).contains(&d.lambda) && d.lambda.to_bits() != (-0.0f64).to_bits()
                );
            }
            op => panic!("mixup without CutMix gave {op:?}"),
        }
        // One λ for the batch and one decision: every sample with a partner is blended.
        if d.partner != i {
            assert!(matches!(d.op, SampleOp::Blend(_)), "{i}: {d:?}");
        }
    }
    if !identity {
        assert!(p > 0.0, "mixed with p={p}");
    }
    if pairing == Pairing::Derangement {
        assert!(
            identity || partners.iter().enumerate().all(|(i, &j)| i != j),
            "{partners:?}"
        );
    }
    // The documented draw order: the apply decision (no draw at p = 0 or 1), then with one λ
    // per batch, λ, then the partners, then nothing.
    if p == 0.0 {
        assert!(identity, "mixed with p=0");
        assert_eq!(rng, rng0, "p=0 drew from the generator");
    } else if p == 1.0 {
        let mut replay = rng0.clone();
        let lambda = config.beta().sample(&mut replay);
        let mut want = vec![0usize; n];
        pairing
            .fill(&mut replay, &mut want)
            .expect("the pairing of a valid batch");
        assert_eq!(partners, want, "{pairing:?}");
        assert_eq!(rng, replay, "not λ then the partners");
        if let Some(l) = batch_lambda {
            assert_eq!(l.to_bits(), lambda.to_bits());
        }
    }

    // Data: sample i is its op applied to the original samples, bit for bit.
    for (i, d) in got.iter().enumerate() {
        let want = expected_sample(&batch0, &layout, s, i, d.partner, d.op);
        let out = &batch[i * s..][..s];
        assert_eq!(
            bits(out),
            bits(&want),
            "sample {i} ({d:?}): {out:?} vs {want:?}"
        );
    }
    // Out of place with the same draws: the same bytes.
    let mut dst = vec![T::default(); batch_len];
    let src = Batch::new(&batch0, layout).expect("the same view");
    mix(&mut dst, &src, &draws).expect("valid draws");
    assert_eq!(bits(&dst), bits(&batch), "mix differs from apply");

    // Labels: smoothed one-hot rows weighted by each record's λ, each summing to 1.
    let off = labels.smoothing() / classes as f64;
    let on = 1.0 - labels.smoothing() + off;
    for (i, row) in soft.chunks_exact(classes).enumerate() {
        let l = got[i].lambda;
        let a = values[i].class_index().expect("checked");
        let b = values[got[i].partner].class_index().expect("checked");
        let sum: f64 = row.iter().map(|&x| x as f64).sum();
        assert!(
            (sum - 1.0).abs() <= 8.0 * f32::EPSILON as f64,
            "row {i} sums to {sum} (C={classes}, ε={eps}, λ={l})"
        );
        for (c, &x) in row.iter().enumerate() {
            let want =
                l * if c == a { on } else { off } + (1.0 - l) * if c == b { on } else { off };
            assert!(
                x >= 0.0 && x.to_bits() != (-0.0f32).to_bits(),
                "row {i} class {c}: {x}"
            );
            assert!(
                (x as f64 - want).abs() <= f32::EPSILON as f64 * want.max(f32::MIN_POSITIVE as f64),
                "row {i} class {c}: {x} vs {want}"
            );
        }
    }
    let mut again = vec![0.0f32; soft_buf_len];
    labels.mix(&draws, &mut again).expect("valid labels");
    assert_eq!(
        f32_bits(&again),
        f32_bits(&soft),
        "Labels::mix differs from apply"
    );

    // The same records, checked again by `Draws::new`, are accepted as they are.
    let mut copy = got.clone();
    let shape = Shape::<T>::new(layout, n).expect("a valid batch's shape");
    let checked = Draws::new(&mut copy, shape).expect("records of apply");
    assert!(checked.iter().eq(got.iter().copied()));
    drop(checked);

    // `draw` then `mix_inplace` then `Labels::mix`: the bytes and generator of `apply`.
    let mut rng2 = rng0.clone();
    let mut records2 = vec![junk; n];
    let mut batch2 = batch0.clone();
    let mut soft2 = vec![0.0f32; soft_buf_len];
    let draws2 = config
        .draw(&mut rng2, shape, &mut records2)
        .expect("valid draw");
    mix_inplace(
        &mut BatchMut::new(&mut batch2, layout).expect("the same view"),
        &draws2,
    )
    .expect("valid draws");
    labels.mix(&draws2, &mut soft2).expect("valid labels");
    assert!(
        draws2.iter().eq(got.iter().copied()),
        "draw differs from apply"
    );
    assert_eq!(bits(&batch2), bits(&batch));
    assert_eq!(f32_bits(&soft2), f32_bits(&soft));
    assert_eq!(rng2, rng);
    drop(draws2);

    // Dropped, the draws give back plain records: the partners without any marker bit.
    drop(draws);
    assert_eq!(records_bits(&records), records_bits(&got));
    Ok(())
}

/// A rectangle for `layout`: inside it mostly, sometimes inverted or reaching outside.
fn rect(u: &mut Unstructured<'_>, layout: &ImageLayout) -> Result<Rect> {
    let (h, w) = (layout.height.min(64), layout.width.min(64));
    let (y1, y2) = (u.int_in_range(0..=h)?, u.int_in_range(0..=h)?);
    let (x1, x2) = (u.int_in_range(0..=w)?, u.int_in_range(0..=w)?);
    Ok(match u.int_in_range(0..=7)? {
        0 => Rect { x1, y1, x2, y2 },
        1 => Rect {
            x1,
            y1,
            x2: x2.max(x1) + 1,
            y2: y2.max(y1),
        },
        2 => Rect {
            x1,
            y1,
            x2: x2.max(x1),
            y2: y2.max(y1) + 1,
        },
        _ => Rect {
            x1: x1.min(x2),
            y1: y1.min(y2),
            x2: x1.max(x2),
            y2: y1.max(y2),
        },
    })
}

/// Kernels from the fuzzer: any implementation this machine runs, any store policy, any tile,
/// any prefetch policy.
fn kernels(u: &mut Unstructured<'_>) -> Result<Kernels> {
    let available: Vec<Implementation> = Implementation::available().collect();
    let imp = *u.choose(&available)?;
    let stores = *u.choose(&[Stores::Auto, Stores::Streaming, Stores::Cached])?;
    let tile = match u.int_in_range(0..=3)? {
        0 => *u.choose(&[0, 1, 2, 3, 7, 64, usize::MAX, Kernels::MAX_TILE_BYTES])?,
        1 => Kernels::best().tile_bytes(),
        _ => u.int_in_range(0..=4096)?,
    };
    let lookahead = *u.choose(&[Lookahead::Auto, Lookahead::Always, Lookahead::Never])?;
    // Mostly tiny shares, so that the fuzzer's small samples are split over threads.
    let share = match u.int_in_range(0..=3)? {
        0 => *u.choose(&[0, usize::MAX, Kernels::DEFAULT_SHARE_BYTES])?,
        _ => u.int_in_range(0..=256)?,
    };
    let k = Kernels::new(imp)
        .expect("an available implementation")
        .with_stores(stores)
        .with_tile_bytes(tile)
        .with_lookahead(lookahead)
        .with_share_bytes(share);
    assert_eq!(k.share_bytes(), share.max(1));
    assert_eq!(k.implementation(), imp);
    assert_eq!(k.lookahead(), lookahead);
    assert_eq!(k.stores(), stores);
    assert_eq!(k.tile_bytes(), tile.clamp(1, Kernels::MAX_TILE_BYTES));
    Ok(k)
}

/// `mix` and `mix_inplace` directly, with one op for every sample of arbitrary partners
/// (`Plan::same`), arbitrary kernels and arbitrary buffer lengths.
fn direct<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=24)?;
    let layout = layout(u)?;
    let sl = sample_len(&layout);
    let mut partners = partners(u, n)?;
    let op = match u.int_in_range(0..=5)? {
        0 => SampleOp::Keep,
        1 => SampleOp::Paste(rect(u, &layout)?),
        _ => SampleOp::Blend(unit_f64(u)?),
    };
    let len = length(u, sl.and_then(|s| n.checked_mul(s)))?;
    let src = data::<T>(u, len)?;
    let dst_len = if u.ratio(1, 24)? { len + 1 } else { len };
    let kernels = kernels(u)?;
    let fill = T::arbitrary(u)?;

    // The permutation: checked when made, the slice restored (asserted by the helper).
    let Ok(perm) = checked_permutation(&mut partners) else {
        return Ok(());
    };
    // The batch: checked when made.
    let batch = Batch::new(&src, layout);
    check_view(
        batch.as_ref().map(|v| v.len()).map_err(|e| *e),
        &layout,
        len,
    );
    let Ok(batch) = batch else { return Ok(()) };
    let s = batch.sample_len();
    let plan = Plan::same(&perm, op);
    assert_eq!(plan.len(), perm.len());

    let op_ok = match op {
        SampleOp::Blend(l) => (0.0..=1.0).contains(&l),
        SampleOp::Paste(r) => {
            r.y1 <= r.y2 && r.y2 <= layout.height && r.x1 <= r.x2 && r.x2 <= layout.width
        }
        _ => true,
    };
    // The batch size is the permutation's length, whatever n was meant to be. The op is checked
    // against the layout whatever the batch size, a batch of none included.
    let valid = perm.len() == batch.len() && op_ok;

    let mut dst = vec![fill; dst_len];
    let r1 = kernels.mix(&mut dst, &batch, plan);
    assert_eq!(
        r1.is_ok(),
        valid && dst_len == len,
        "mix: {} samples of {s}, plan of {}, {op:?}, dst {dst_len}: {r1:?}",
        batch.len(),
        perm.len()
    );
    let mut inplace = src.clone();
    let r2 = kernels.mix_inplace(
        &mut BatchMut::new(&mut inplace, layout).expect("the same view"),
        plan,
    );
    assert_eq!(r2.is_ok(), valid, "mix_inplace {op:?}: {r2:?}");
    if !valid {
        assert!(
            dst.iter().all(|x| x.bits() == fill.bits()),
            "written on Err"
        );
        assert_eq!(bits(&inplace), bits(&src), "written on Err");
        return Ok(());
    }
    // Every sample as its op makes it from the originals, in place and out of place.
    let mut want = Vec::with_capacity(len);
    for i in 0..batch.len() {
        let j = perm.get(i).expect("in range");
        want.extend(expected_sample(&src, &layout, s, i, j, op));
    }
    assert_eq!(
        bits(&inplace),
        bits(&want),
        "mix_inplace {op:?} {kernels:?}"
    );
    if dst_len == len {
        assert_eq!(bits(&dst), bits(&want), "mix {op:?} {kernels:?}");
        let mut best = vec![fill; len];
        mix(&mut best, &batch, plan).expect("valid");
        assert_eq!(bits(&best), bits(&want), "mix with the best kernels");
    } else {
        assert!(
            dst.iter().all(|x| x.bits() == fill.bits()),
            "written on Err"
        );
    }

    // Element ranges in either order, and ranges that do not fit: the same bytes, or nothing.
    let cut = u.int_in_range(0..=s)?;
    let mut halves = src.clone();
    let mut view = BatchMut::new(&mut halves, layout).expect("the same view");
    let bad_range = match u.int_in_range(0..=7)? {
        // `s` may be huge in a batch of no samples.
        0 => s.checked_add(1).map(|end| cut..end),
        1 if cut > 0 => Some(cut..cut - 1),
        _ => None,
    };
    if let Some(range) = bad_range {
        let r = kernels.mix_inplace_range(&mut view, plan, range.clone());
        assert!(r.is_err(), "range {range:?} of {s}");
        assert_eq!(bits(view.as_slice()), bits(&src), "written on Err");
    }
    if u.arbitrary()? {
        kernels
            .mix_inplace_range(&mut view, plan, cut..s)
            .expect("valid");
        kernels
            .mix_inplace_range(&mut view, plan, 0..cut)
            .expect("valid");
    } else {
        kernels
            .mix_inplace_range(&mut view, plan, 0..cut)
            .expect("valid");
        kernels
            .mix_inplace_range(&mut view, plan, cut..s)
            .expect("valid");
    }
    assert_eq!(bits(&halves), bits(&want), "split at {cut} of {s}");

    // Several threads: the bytes of one.
    if u.ratio(1, 4)? {
        let threads = u.int_in_range(1..=3)?;
        let mut par = src.clone();
        kernels
            .mix_inplace_parallel(
                &mut BatchMut::new(&mut par, layout).expect("the same view"),
                plan,
                threads,
            )
            .expect("valid");
        assert_eq!(bits(&par), bits(&want), "{threads} threads");
    }
    Ok(())
}

fn run<T: Value>(u: &mut Unstructured<'_>) -> Result<()> {
    match u.int_in_range(0..=4)? {
        0 => direct::<T>(u),
        1 => apply::<T, u8>(u, |c| c as u8),
        2 => apply::<T, i32>(u, |c| c as i32),
        3 => apply::<T, i64>(u, |c| c),
        _ => apply::<T, usize>(u, |c| c as usize),
    }
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = match u.int_in_range(0..=3u8) {
        Ok(0) => run::<f32>(&mut u),
        Ok(1) => run::<f64>(&mut u),
        Ok(2) => run::<u8>(&mut u),
        Ok(_) => run::<u16>(&mut u),
        Err(e) => Err(e),
    };
});
