//! Property tests of the extended modes: per-pair and per-sample λ, CutMix, detection mixup, the
//! fused collate and the (y_a, y_b, λ) triples.
//!
//! Each property is checked against an independent statement of the definition (element by
//! element, from the original batch), never against the function's own output.

use mixup::{
    Batch, BatchMut, ChannelNorm, ChannelOrder, CutMix, DetectionBox, DetectionImage, Draw, Draws,
    Error, Granularity, ImageLayout, LabelTriple, Labels, Mixup, Normalize, Pairing, Rect,
    SampleOp, Scope, Shape, WeightedBox, applied_lambda, canvas_layout, collate_u8, mix,
    mix_detection, mix_inplace,
};
use proptest::prelude::*;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// One record per sample: partner and op, λ to be written by `Draws::new`.
fn records(partners: &[usize], ops: &[SampleOp]) -> Vec<Draw> {
    partners
        .iter()
        .zip(ops)
        .map(|(&partner, &op)| Draw {
            partner,
            op,
            lambda: 0.0,
        })
        .collect()
}

/// The λ of every record.
fn lambdas_of(draws: &Draws<'_>) -> Vec<f64> {
    draws.iter().map(|d| d.lambda).collect()
}

/// A random permutation of `0..n`.
fn permutation(n: usize) -> impl Strategy<Value = Vec<usize>> {
    Just((0..n).collect::<Vec<_>>()).prop_shuffle()
}

fn lambda() -> impl Strategy<Value = f64> {
    prop_oneof![Just(0.0), Just(1.0), Just(0.5), 0.0..=1.0f64]
}

fn layout() -> impl Strategy<Value = ImageLayout> {
    (1usize..4, 1usize..7, 1usize..20, any::<bool>()).prop_map(|(c, h, w, hwc)| {
        if hwc {
            ImageLayout::nhwc(c, h, w)
        } else {
            ImageLayout::nchw(c, h, w)
        }
    })
}

/// A rectangle inside an `h × w` image.
fn rect_in(h: usize, w: usize) -> impl Strategy<Value = Rect> {
    (0..=h, 0..=h, 0..=w, 0..=w).prop_map(|(a, b, c, d)| Rect {
        y1: a.min(b),
        y2: a.max(b),
        x1: c.min(d),
        x2: c.max(d),
    })
}

fn op_in(h: usize, w: usize) -> impl Strategy<Value = SampleOp> {
    prop_oneof![
        Just(SampleOp::Keep),
        lambda().prop_map(SampleOp::Blend),
        rect_in(h, w).prop_map(SampleOp::Paste),
    ]
}

/// A batch: layout, permutation, one op per sample, u8 data.
fn batch() -> impl Strategy<Value = (ImageLayout, Vec<usize>, Vec<SampleOp>, Vec<u8>)> {
    (layout(), 0usize..9).prop_flat_map(|(layout, n)| {
        let len = n * layout.sample_len().unwrap();
        (
            Just(layout),
            permutation(n),
            proptest::collection::vec(op_in(layout.height, layout.width), n),
            proptest::collection::vec(any::<u8>(), len),
        )
    })
}

/// Row `y`, column `x` of element `k` of one sample.
fn pixel_of(layout: &ImageLayout, k: usize) -> (usize, usize) {
    let (c, h, w) = (layout.channels, layout.height, layout.width);
    match layout.order {
        ChannelOrder::Chw => ((k / w) % h, k % w),
        _ => (k / (w * c), (k / c) % w),
    }
}

fn inside(r: &Rect, (y, x): (usize, usize)) -> bool {
    (r.y1..r.y2).contains(&y) && (r.x1..r.x2).contains(&x)
}

/// The batch by definition: every element from the original data.
fn expected(layout: &ImageLayout, partners: &[usize], ops: &[SampleOp], src: &[u8]) -> Vec<u8> {
    let n = layout.sample_len().unwrap();
    let mut out = src.to_vec();
    for (i, op) in ops.iter().enumerate() {
        let j = partners[i];
        for k in 0..n {
            let (a, b) = (src[i * n + k], src[j * n + k]);
            out[i * n + k] = match *op {
                SampleOp::Keep => a,
                SampleOp::Blend(l) => {
                    let w = (applied_lambda::<u8>(l).unwrap() * 256.0) as u32;
                    ((w * a as u32 + (256 - w) * b as u32 + 128) >> 8) as u8
                }
                SampleOp::Paste(r) => {
                    if inside(&r, pixel_of(layout, k)) {
                        b
                    } else {
                        a
                    }
                }
                _ => unreachable!("the strategies make Keep, Blend and Paste only"),
            };
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn samples_inplace_and_out_of_place_follow_the_definition((layout, partners, ops, src) in batch()) {
        let want = expected(&layout, &partners, &ops, &src);
        let mut dst = vec![0u8; src.len()];
        let mut r1 = records(&partners, &ops);
        let draws = Draws::new(&mut r1, Shape::<u8>::new(layout, partners.len()).unwrap()).unwrap();
        mix(&mut dst, &Batch::new(&src, layout).unwrap(), &draws).unwrap();
        prop_assert_eq!(&dst, &want);
        let mut inplace = src.clone();
        mix_inplace(&mut BatchMut::new(&mut inplace, layout).unwrap(), &draws).unwrap();
        prop_assert_eq!(&inplace, &want);
        let l1 = lambdas_of(&draws);
        let n = layout.sample_len().unwrap();
        for (i, op) in ops.iter().enumerate() {
            prop_assert!((0.0..=1.0).contains(&l1[i]));
            if partners[i] == i {
                // A sample paired with itself is itself, whatever its op.
                prop_assert_eq!(l1[i], 1.0);
                continue;
            }
            match *op {
                SampleOp::Keep => {
                    prop_assert_eq!(l1[i], 1.0);
                    prop_assert_eq!(&inplace[i * n..][..n], &src[i * n..][..n]);
                }
                SampleOp::Blend(l) => prop_assert_eq!(l1[i], applied_lambda::<u8>(l).unwrap()),
                SampleOp::Paste(r) => {
                    // The corrected λ is the exact fraction of the sample's own pixels kept.
                    let total = layout.height * layout.width;
                    let kept = (0..layout.height * layout.width)
                        .filter(|&p| !inside(&r, (p / layout.width, p % layout.width)))
                        .count();
                    let frac = kept as f64 / total as f64;
                    prop_assert_eq!(l1[i], frac);
                }
                _ => unreachable!(),
            }
        }
    }

    #[test]
    fn per_sample_lambdas_in_place_equal_out_of_place_f32(
        (n, partners, lambdas, src) in (1usize..40, 0usize..10).prop_flat_map(|(len, b)| (
            Just(len),
            permutation(b),
            proptest::collection::vec(lambda(), b),
            proptest::collection::vec(-1e3f32..1e3, b * len),
        ))
    ) {
        let ops: Vec<SampleOp> = lambdas.iter().map(|&l| SampleOp::Blend(l)).collect();
        let mut recs = records(&partners, &ops);
        let layout = ImageLayout::flat(n);
        let draws = Draws::new(&mut recs, Shape::<f32>::new(layout, partners.len()).unwrap()).unwrap();
        let mut dst = vec![0.0f32; src.len()];
        mix(&mut dst, &Batch::new(&src, layout).unwrap(), &draws).unwrap();
        let mut inplace = src.clone();
        mix_inplace(&mut BatchMut::new(&mut inplace, layout).unwrap(), &draws).unwrap();
        prop_assert_eq!(dst.iter().map(|v| v.to_bits()).collect::<Vec<_>>(),
                        inplace.iter().map(|v| v.to_bits()).collect::<Vec<_>>());
        let l1 = lambdas_of(&draws);
        for i in 0..partners.len() {
            let want = if partners[i] == i { 1.0 } else { f64::from(lambdas[i] as f32) };
            prop_assert_eq!(l1[i], want);
            for k in 0..n {
                let (a, b, v) = (src[i * n + k], src[partners[i] * n + k], dst[i * n + k]);
                prop_assert!(a.min(b) <= v && v <= a.max(b));
                if l1[i] == 1.0 || partners[i] == i {
                    prop_assert_eq!(v.to_bits(), a.to_bits());
                }
            }
        }
    }

    #[test]
    fn mixup_draws_respect_granularity_and_scopes(
        seed in any::<u64>(),
        n in 1usize..24,
        gran in prop_oneof![Just(Granularity::Batch), Just(Granularity::Pair), Just(Granularity::Sample)],
        pairing in prop_oneof![Just(Pairing::Flip), Just(Pairing::Shuffle), Just(Pairing::Roll(1))],
        p in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        p_scope in prop_oneof![Just(Scope::Batch), Just(Scope::Sample)],
        s in prop_oneof![Just(0.0), Just(1.0), 0.0..=1.0f64],
        s_scope in prop_oneof![Just(Scope::Batch), Just(Scope::Sample)],
        (h, w) in (1usize..12, 1usize..12),
    ) {
        let mixup = Mixup::new(0.4).unwrap()
            .with_pairing(pairing)
            .with_granularity(gran)
            .with_probability(p).unwrap()
            .with_probability_scope(p_scope)
            .with_cutmix(CutMix::new(1.0).unwrap(), s).unwrap()
            .with_switch_scope(s_scope);
        let layout = ImageLayout::hw(h, w);
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut recs = vec![Draw::default(); n];
        let draws = mixup.draw(&mut rng, Shape::<u8>::new(layout, n).unwrap(), &mut recs).unwrap();
        let partners: Vec<usize> = draws.iter().map(|d| d.partner).collect();
        let ops: Vec<SampleOp> = draws.iter().map(|d| d.op).collect();
        let mut sorted = partners.clone();
        sorted.sort_unstable();
        prop_assert_eq!(sorted, (0..n).collect::<Vec<_>>());
        for i in 0..n {
            match ops[i] {
                SampleOp::Keep => {}
                SampleOp::Blend(l) => {
                    prop_assert!((0.0..=1.0).contains(&l));
                    prop_assert!(s < 1.0);
                }
                SampleOp::Paste(r) => {
                    prop_assert!(r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w);
                    prop_assert!(s > 0.0);
                }
                _ => unreachable!(),
            }
            if partners[i] == i {
                prop_assert_eq!(ops[i], SampleOp::Keep);
            }
            if p == 0.0 {
                prop_assert_eq!(ops[i], SampleOp::Keep);
            }
            if p == 1.0 && partners[i] != i {
                prop_assert_ne!(ops[i], SampleOp::Keep);
            }
            if gran == Granularity::Pair {
                // i and its partner share everything: λ, rectangle, decisions.
                prop_assert_eq!(ops[i], ops[partners[i]]);
            }
        }
        let kinds = |pred: fn(&SampleOp) -> bool| ops.iter().filter(|o| pred(o)).count();
        if s_scope == Scope::Batch {
            // One switch for the batch: never both kinds.
            prop_assert!(kinds(|o| matches!(o, SampleOp::Blend(_))) == 0
                || kinds(|o| matches!(o, SampleOp::Paste(_))) == 0);
        }
        if p_scope == Scope::Batch {
            // One apply decision: all moved samples mixed, or none.
            let moved = (0..n).filter(|&i| partners[i] != i).count();
            let kept = (0..n).filter(|&i| partners[i] != i && ops[i] == SampleOp::Keep).count();
            prop_assert!(kept == 0 || kept == moved);
        }
        if gran == Granularity::Batch {
            let mut blends = ops.iter().filter(|o| matches!(o, SampleOp::Blend(_)));
            if let Some(first) = blends.next() {
                prop_assert!(blends.all(|o| o == first));
            }
            let mut pastes = ops.iter().filter(|o| matches!(o, SampleOp::Paste(_)));
            if let Some(first) = pastes.next() {
                prop_assert!(pastes.all(|o| o == first));
            }
        }
    }

    #[test]
    fn apply_per_sample_labels_and_untouched_samples(
        seed in any::<u64>(),
        n in 1usize..12,
        classes in 1usize..6,
        eps in prop_oneof![Just(0.0), 0.0..0.5f64],
    ) {
        let mixup = Mixup::new(0.3).unwrap()
            .with_granularity(Granularity::Sample)
            .with_probability(0.5).unwrap()
            .with_probability_scope(Scope::Sample)
            .with_cutmix(CutMix::new(1.0).unwrap().with_ratio_range(0.2, 0.8).unwrap(), 0.5).unwrap()
            .with_switch_scope(Scope::Sample);
        let layout = ImageLayout::nhwc(3, 5, 4);
        let len = layout.sample_len().unwrap();
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let src: Vec<u16> = (0..n * len).map(|k| (k * 2654435761 % 65536) as u16).collect();
        let labels: Vec<u32> = (0..n as u32).map(|i| i % classes as u32).collect();
        let classes_of = Labels::classes(&labels, classes).unwrap().with_smoothing(eps).unwrap();
        let mut batch = src.clone();
        let mut soft = vec![0.0f32; n * classes];
        let mut recs = vec![Draw::default(); n];
        let mut view = BatchMut::new(&mut batch, layout).unwrap();
        let draws = mixup.apply(&mut rng, &mut view, &classes_of, &mut recs, &mut soft).unwrap();
        let mut triples = vec![LabelTriple::default(); n];
        classes_of.triples(&draws, &mut triples).unwrap();
        let partners: Vec<usize> = draws.iter().map(|d| d.partner).collect();
        let ops: Vec<SampleOp> = draws.iter().map(|d| d.op).collect();
        let lambdas = lambdas_of(&draws);
        drop(draws);
        let (off, on) = (eps / classes as f64, 1.0 - eps + eps / classes as f64);
        for i in 0..n {
            let row = &soft[i * classes..][..classes];
            let sum: f64 = row.iter().map(|&v| v as f64).sum();
            prop_assert!((sum - 1.0).abs() < 1e-5, "row {} sums to {}", i, sum);
            prop_assert!((0.0..=1.0).contains(&lambdas[i]));
            prop_assert_eq!(triples[i], LabelTriple {
                a: labels[i] as usize, b: labels[partners[i]] as usize, lambda: lambdas[i] });
            // The row is λ·s(a) + (1 − λ)·s(b), recomputed from the triple.
            for (c, &v) in row.iter().enumerate() {
                let s = |k: usize| if k == c { on } else { off };
                let want = triples[i].lambda * s(triples[i].a) + (1.0 - triples[i].lambda) * s(triples[i].b);
                prop_assert!((v as f64 - want).abs() < 1e-6);
            }
            if let SampleOp::Paste(r) = ops[i] {
                prop_assert_eq!(lambdas[i], layout.unpasted_fraction(&r));
                prop_assert!((1..=4).contains(&r.height()) && (0..=3).contains(&r.width()));
            }
            if ops[i] == SampleOp::Keep || partners[i] == i {
                prop_assert_eq!(&batch[i * len..][..len], &src[i * len..][..len]);
                prop_assert_eq!(lambdas[i], 1.0);
                prop_assert_eq!(row[labels[i] as usize], on as f32);
            }
        }
    }

    #[test]
    fn cutmix_rects_are_inside_and_lambda_is_the_unpasted_fraction(
        seed in any::<u64>(),
        (h, w) in (0usize..300, 0usize..300),
        alpha in 0.05f64..4.0,
        range in proptest::option::of((0.0f64..=1.0, 0.0f64..=1.0)),
    ) {
        let mut cutmix = CutMix::new(alpha).unwrap();
        if let Some((a, b)) = range {
            cutmix = cutmix.with_ratio_range(a.min(b), a.max(b)).unwrap();
        }
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for _ in 0..8 {
            let (r, l) = cutmix.sample(&mut rng, &ImageLayout::hw(h, w));
            prop_assert!(r.y1 <= r.y2 && r.y2 <= h && r.x1 <= r.x2 && r.x2 <= w);
            prop_assert!((0.0..=1.0).contains(&l));
            let total = h * w;
            let want = if total == 0 { 1.0 } else { (total - r.area()) as f64 / total as f64 };
            prop_assert_eq!(l, want);
            if let Some((a, b)) = range {
                let (lo, hi) = (a.min(b), a.max(b));
                if h > 0 {
                    prop_assert!(r.height() >= (h as f64 * lo) as usize && r.height() <= (h as f64 * hi) as usize);
                }
            }
        }
    }

    #[test]
    fn detection_boxes_inside_the_canvas_with_weights_in_unit_interval(
        (ha, wa, hb, wb) in (1usize..9, 1usize..9, 1usize..9, 1usize..9),
        c in 1usize..4,
        lambda in lambda(),
        na in 0usize..4,
        nb in 0usize..4,
        hwc in any::<bool>(),
    ) {
        let shape = |h, w| if hwc { ImageLayout::nhwc(c, h, w) } else { ImageLayout::nchw(c, h, w) };
        let order = shape(1, 1).order;
        let da: Vec<u8> = (0..c * ha * wa).map(|k| (k % 200) as u8 + 1).collect();
        let db: Vec<u8> = (0..c * hb * wb).map(|k| (k % 100) as u8 + 50).collect();
        let bx = |h: usize, w: usize, k: usize| DetectionBox {
            x1: 0.0, y1: 0.0, x2: w as f32 / (k + 1) as f32, y2: h as f32, class: k as u32 };
        let boxes_a: Vec<DetectionBox> = (0..na).map(|k| bx(ha, wa, k)).collect();
        let boxes_b: Vec<DetectionBox> = (0..nb).map(|k| bx(hb, wb, k + 10)).collect();
        let a = DetectionImage::new(Batch::new(&da, shape(ha, wa)).unwrap(), &boxes_a).unwrap();
        let b = DetectionImage::new(Batch::new(&db, shape(hb, wb)).unwrap(), &boxes_b).unwrap();
        let (h, w) = (ha.max(hb), wa.max(wb));
        let canvas_shape = canvas_layout(&a, &b).unwrap();
        prop_assert_eq!(canvas_shape, shape(h, w));
        let mut canvas = vec![7u8; canvas_shape.sample_len().unwrap()];
        let mut out = vec![WeightedBox::default(); na + nb + 1];
        let done = mix_detection(&a, &b, lambda, &mut canvas, &mut out).unwrap();
        prop_assert_eq!((done.layout, done.boxes), (canvas_shape, na + nb));
        prop_assert_eq!(done.lambda, applied_lambda::<u8>(lambda).unwrap());
        for (k, x) in out[..na + nb].iter().enumerate() {
            let o = x.object;
            prop_assert!(0.0 <= o.x1 && o.x2 <= w as f32 && 0.0 <= o.y1 && o.y2 <= h as f32);
            prop_assert!((0.0..=1.0).contains(&x.weight));
            let want = if k < na { done.lambda } else { 1.0 - done.lambda };
            prop_assert_eq!(x.weight, want as f32);
            prop_assert_eq!(o, if k < na { boxes_a[k] } else { boxes_b[k - na] });
        }
        prop_assert_eq!(out[na + nb], WeightedBox::default());
        // Every canvas pixel is the blend of the two images onto zeros.
        let at = |data: &[u8], (ih, iw): (usize, usize), ch: usize, y: usize, x: usize| -> u32 {
            if y >= ih || x >= iw { return 0; }
            u32::from(match order {
                ChannelOrder::Chw => data[(ch * ih + y) * iw + x],
                _ => data[(y * iw + x) * c + ch],
            })
        };
        let wq = (done.lambda * 256.0) as u32;
        for ch in 0..c { for y in 0..h { for x in 0..w {
            let k = match order { ChannelOrder::Chw => (ch * h + y) * w + x, _ => (y * w + x) * c + ch };
            let want = (wq * at(&da, (ha, wa), ch, y, x) + (256 - wq) * at(&db, (hb, wb), ch, y, x) + 128) >> 8;
            prop_assert_eq!(u32::from(canvas[k]), want);
        }}}
    }

    #[test]
    fn collate_is_the_normalized_exact_mix_and_rounds_to_the_u8_mix(
        (layout, partners, ops, src) in batch(),
    ) {
        let c = layout.channels;
        let stats: Vec<ChannelNorm> = (0..c)
            .map(|k| ChannelNorm { mean: 0.4 + 0.05 * k as f32, std: 0.2 + 0.01 * k as f32 })
            .collect();
        let norm = Normalize::new(&stats).unwrap();
        let n = layout.sample_len().unwrap();
        let mut out = vec![0.0f32; src.len()];
        let mut recs = records(&partners, &ops);
        let draws = Draws::new(&mut recs, Shape::<u8>::new(layout, partners.len()).unwrap()).unwrap();
        let batch = Batch::new(&src, layout).unwrap();
        collate_u8(&mut out, &batch, &draws, &norm).unwrap();
        let mut mixed = vec![0u8; src.len()];
        mix(&mut mixed, &batch, &draws).unwrap();
        let lambdas = lambdas_of(&draws);
        let (h, w) = (layout.height, layout.width);
        for i in 0..partners.len() {
            for k in 0..n {
                let (y, x) = pixel_of(&layout, k);
                let ch = match layout.order { ChannelOrder::Chw => k / (h * w), _ => k % c };
                let o = out[i * n + (ch * h + y) * w + x];
                let (scale, shift) = norm.constants(ch).unwrap();
                let (a, b) = (src[i * n + k] as u32, src[partners[i] * n + k] as u32);
                // The exact mix m = 256·(blend with the reported λ), from the definition.
                let m = match ops[i] {
                    _ if partners[i] == i => 256 * a,
                    SampleOp::Blend(_) => {
                        let wa = (lambdas[i] * 256.0) as u32;
                        wa * a + (256 - wa) * b
                    }
                    SampleOp::Paste(r) if inside(&r, (y, x)) => 256 * b,
                    _ => 256 * a,
                };
                prop_assert_eq!(o.to_bits(), (m as f32 * scale + shift).to_bits());
                // Mixing in u8 first (two passes) rounds m/256 to the nearest level, halves up.
                prop_assert_eq!(u32::from(mixed[i * n + k]), (m + 128) / 256);
            }
        }
    }

    #[test]
    fn bad_input_returns_err_and_writes_nothing(
        (layout, partners, ops, src) in batch().prop_filter("non-empty", |b| b.1.len() >= 2),
        which in 0usize..5,
    ) {
        let n = partners.len();
        let mut partners = partners;
        let mut ops = ops;
        match which {
            0 => partners[1] = partners[0],
            1 => ops[n - 1] = SampleOp::Blend(f64::NAN),
            2 => ops[0] = SampleOp::Paste(Rect { y1: 0, y2: layout.height + 1, x1: 0, x2: 0 }),
            3 => ops[0] = SampleOp::Blend(-0.0 - 1e-300),
            _ => {}
        }
        let mut recs: Vec<Draw> = records(&partners, &ops).into_iter().map(|d| Draw { lambda: 0.25, ..d }).collect();
        let before = recs.clone();
        if which < 4 {
            // Bad records are refused when the draws are made, and left as they were.
            let r = Draws::new(&mut recs, Shape::<u8>::new(layout, n).unwrap()).map(drop);
            prop_assert!(r.is_err());
            // Compared as text: a NaN op is not equal to itself.
            prop_assert_eq!(format!("{recs:?}"), format!("{before:?}"));
            return Ok(());
        }
        // Draws for one sample fewer than the batch: every consumer refuses them.
        let fewer: Vec<usize> = (0..n - 1).rev().collect();
        let mut recs = records(&fewer, &vec![SampleOp::Blend(0.5); n - 1]);
        let draws = Draws::new(&mut recs, Shape::<u8>::new(layout, n - 1).unwrap()).unwrap();
        let mut batch = src.clone();
        prop_assert!(mix_inplace(&mut BatchMut::new(&mut batch, layout).unwrap(), &draws).is_err());
        prop_assert_eq!(&batch, &src);
        let mut dst = vec![3u8; src.len()];
        prop_assert!(mix(&mut dst, &Batch::new(&src, layout).unwrap(), &draws).is_err());
        prop_assert!(dst.iter().all(|&v| v == 3));
        let mut out = vec![5.0f32; src.len()];
        let stats = vec![ChannelNorm { mean: 0.5, std: 0.5 }; layout.channels];
        let norm = Normalize::new(&stats).unwrap();
        prop_assert!(collate_u8(&mut out, &Batch::new(&src, layout).unwrap(), &draws, &norm).is_err());
        prop_assert!(out.iter().all(|&v| v == 5.0));
        let labels = vec![0u8; n];
        let mut rows = vec![2.0f32; n];
        prop_assert!(Labels::classes(&labels, 1).unwrap().mix(&draws, &mut rows).is_err());
        prop_assert!(rows.iter().all(|&v| v == 2.0));
    }
}

#[test]
fn bad_settings_are_refused() {
    assert!(matches!(
        CutMix::new(1.0).unwrap().with_ratio_range(f64::NAN, 0.5),
        Err(Error::InvalidRatioRange { .. })
    ));
    assert!(
        Mixup::new(1.0)
            .unwrap()
            .with_cutmix(CutMix::new(1.0).unwrap(), f64::NAN)
            .is_err()
    );
    let norm = |mean, std| Normalize::new(&[ChannelNorm { mean, std }]).map(drop);
    assert!(norm(f32::NAN, 1.0).is_err());
    assert!(norm(0.0, f32::INFINITY).is_err());
    assert!(norm(0.0, -1.0).is_err());
    // A draw for a batch of another size than the records is refused before drawing anything.
    let m = Mixup::new(1.0)
        .unwrap()
        .with_granularity(Granularity::Sample);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let untouched = rng.clone();
    let mut recs = [Draw {
        partner: 9,
        op: SampleOp::Keep,
        lambda: 9.0,
    }; 2];
    let shape = Shape::<f32>::new(ImageLayout::hw(2, 2), 3).unwrap();
    assert!(matches!(
        m.draw(&mut rng, shape, &mut recs).map(drop),
        Err(Error::LengthMismatch { .. })
    ));
    assert!(recs.iter().all(|d| d.partner == 9 && d.lambda == 9.0));
    assert_eq!(rng, untouched);
}

#[test]
fn pair_granularity_with_flip_is_timm_pair_mode() {
    // Flip pairs i with B − 1 − i; both members get the same λ and are mixed from the originals:
    // x̃_i = λ·x_i + (1 − λ)·x_j and x̃_j = λ·x_j + (1 − λ)·x_i.
    let mixup = Mixup::new(1.0)
        .unwrap()
        .with_pairing(Pairing::Flip)
        .with_granularity(Granularity::Pair);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(3);
    let src: Vec<f64> = (0..6).map(|k| k as f64 * 10.0).collect();
    let mut batch = src.clone();
    let mut soft = vec![0.0f32; 6 * 6];
    let mut recs = [Draw::default(); 6];
    let labels: Vec<u8> = (0..6).collect();
    let labels = Labels::classes(&labels, 6).unwrap();
    let mut view = BatchMut::new(&mut batch, ImageLayout::hw(1, 1)).unwrap();
    let draws = mixup
        .apply(&mut rng, &mut view, &labels, &mut recs, &mut soft)
        .unwrap();
    let lambdas = lambdas_of(&draws);
    drop(draws);
    for i in 0..3 {
        let j = 5 - i;
        assert_eq!(lambdas[i], lambdas[j]);
        let l = lambdas[i];
        assert_eq!(
            batch[i],
            (l * src[i] + (1.0 - l) * src[j]).clamp(src[i].min(src[j]), src[i].max(src[j]))
        );
        assert_eq!(
            batch[j],
            (l * src[j] + (1.0 - l) * src[i]).clamp(src[i].min(src[j]), src[i].max(src[j]))
        );
    }
    // Three pairs, three different λ (with probability one).
    assert!(lambdas[0] != lambdas[1] && lambdas[1] != lambdas[2]);
}

/// The per-sample decisions happen with the configured probabilities: counts over many samples
/// stay within six standard deviations of the binomial mean (fixed seed; a wrong probability, a
/// decision taken per batch instead of per sample, or a skipped draw moves them far outside).
#[test]
fn per_sample_decisions_have_the_configured_frequencies() {
    let (p, s) = (0.3, 0.25);
    let mixup = Mixup::new(0.5)
        .unwrap()
        .with_pairing(Pairing::Derangement)
        .with_granularity(Granularity::Sample)
        .with_probability(p)
        .unwrap()
        .with_probability_scope(Scope::Sample)
        .with_cutmix(CutMix::new(1.0).unwrap(), s)
        .unwrap()
        .with_switch_scope(Scope::Sample);
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let (batches, n) = (2000usize, 16usize);
    let mut recs = vec![Draw::default(); n];
    let shape = Shape::<f64>::new(ImageLayout::hw(32, 32), n).unwrap();
    let (mut applied, mut cut, mut lambda_sum) = (0usize, 0usize, 0.0f64);
    for _ in 0..batches {
        let draws = mixup.draw(&mut rng, shape, &mut recs).unwrap();
        for op in draws.iter().map(|d| d.op) {
            match op {
                SampleOp::Keep => {}
                SampleOp::Blend(l) => {
                    applied += 1;
                    lambda_sum += l;
                }
                SampleOp::Paste(_) => {
                    applied += 1;
                    cut += 1;
                }
                _ => unreachable!(),
            }
        }
    }
    let total = (batches * n) as f64;
    let within = |count: usize, trials: f64, q: f64| {
        let (mean, sd) = (trials * q, (trials * q * (1.0 - q)).sqrt());
        (count as f64 - mean).abs() <= 6.0 * sd
    };
    assert!(within(applied, total, p), "{applied} of {total} applied");
    assert!(within(cut, applied as f64, s), "{cut} of {applied} cut");
    // Beta(0.5, 0.5) has mean 1/2 and variance 1/8.
    let blends = (applied - cut) as f64;
    let mean = lambda_sum / blends;
    assert!(
        (mean - 0.5).abs() <= 6.0 * (0.125 / blends).sqrt(),
        "mean λ {mean}"
    );
}
