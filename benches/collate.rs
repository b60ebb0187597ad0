//! The fused u8 collate against mixing then normalizing in two passes, in-place mixing with a λ
//! per sample against one λ per batch and against a plain copy of the batch, and CutMix and the
//! detection canvas against copies of their bytes, all in one run.
//!
//! `cargo bench --bench collate`; compare the medians within one run (the machine is shared).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixup::{
    Batch, BatchMut, ChannelNorm, CutMix, DetectionImage, Draw, Draws, ImageLayout, Normalize,
    Pairing, Permutation, Plan, SampleOp, Shape, canvas_layout, collate_u8, mix, mix_detection,
    mix_inplace,
};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::time::Duration;

const B: usize = 64;
const C: usize = 3;
const H: usize = 224;
const W: usize = 224;

fn partners() -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
    let mut p = vec![0; B];
    drop(Pairing::Shuffle.fill(&mut rng, &mut p).unwrap());
    p
}

/// One record per sample with `partners` and `ops`.
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

/// One λ per sample, away from 0 and 1 so that every sample is blended.
fn lambdas() -> Vec<f64> {
    (0..B).map(|i| 0.1 + 0.8 * i as f64 / B as f64).collect()
}

fn collate(c: &mut Criterion) {
    // ImageNet-sized (the output does not fit in any cache) and CIFAR-sized (it fits in L2:
    // there the cost of the arithmetic, not of memory, decides).
    for (h, w) in [(H, W), (32, 32)] {
        collate_at(c, h, w);
    }
}

fn collate_at(c: &mut Criterion, h: usize, w: usize) {
    let partners = partners();
    let ops: Vec<SampleOp> = lambdas().into_iter().map(SampleOp::Blend).collect();
    let mut identity: Vec<usize> = (0..B).collect();
    let identity = Permutation::new(&mut identity).unwrap();
    let keep = Plan::same(&identity, SampleOp::Keep);
    let norm = Normalize::new(&ChannelNorm::IMAGENET).unwrap();
    let src: Vec<u8> = (0..B * C * h * w).map(|k| (k * 31 % 251) as u8).collect();
    let mut mixed = vec![0u8; src.len()];
    let mut out = vec![0.0f32; src.len()];

    let mut g = c.benchmark_group(format!("collate_{B}x{C}x{h}x{w}_u8_to_f32"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(src.len() as u64));
    for (tag, layout) in [
        ("hwc", ImageLayout::nhwc(C, h, w)),
        ("chw", ImageLayout::nchw(C, h, w)),
    ] {
        let batch = Batch::new(&src, layout).unwrap();
        let mut recs = records(&partners, &ops);
        let draws = Draws::new(&mut recs, Shape::<u8>::new(layout, B).unwrap()).unwrap();
        g.bench_function(format!("fused_{tag}"), |b| {
            b.iter(|| {
                collate_u8(&mut out, &batch, &draws, &norm).unwrap();
                black_box(&out);
            })
        });
        // timm's order: mix in u8, then convert and normalize in a second pass (the same
        // normalization code, with every sample kept).
        g.bench_function(format!("two_pass_{tag}"), |b| {
            b.iter(|| {
                mix(&mut mixed, &batch, &draws).unwrap();
                let m = Batch::new(&mixed, layout).unwrap();
                collate_u8(&mut out, &m, keep, &norm).unwrap();
                black_box(&out);
            })
        });
        // The bound: reading the u8 batch once and writing the f32 batch once, a plain
        // conversion with nothing mixed or normalized.
        g.bench_function(format!("convert_bound_{tag}"), |b| {
            let mut other = vec![0.0f32; out.len()];
            b.iter(|| {
                for (o, &s) in other.iter_mut().zip(black_box(&src)) {
                    *o = f32::from(s);
                }
                black_box(&other);
            })
        });
    }
    g.finish();
}

fn per_sample_inplace(c: &mut Criterion) {
    let partners = partners();
    let lambdas = lambdas();
    let len = C * H * W;
    let mut batch: Vec<f32> = (0..B * len).map(|k| (k % 1000) as f32).collect();
    let mut copy = vec![0.0f32; batch.len()];

    let mut g = c.benchmark_group("inplace_64x3x224x224_f32");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes((batch.len() * 4) as u64));
    g.bench_function("copy_bound", |b| {
        b.iter(|| {
            copy.copy_from_slice(&batch);
            black_box(&copy);
        })
    });
    let layout = ImageLayout::flat(len);
    let mut p = partners.clone();
    let perm = Permutation::new(&mut p).unwrap();
    g.bench_function("one_lambda", |b| {
        b.iter(|| {
            let mut view = BatchMut::new(&mut batch, layout).unwrap();
            mix_inplace(&mut view, Plan::same(&perm, SampleOp::Blend(0.3))).unwrap();
            black_box(&batch);
        })
    });
    let ops: Vec<SampleOp> = lambdas.iter().map(|&l| SampleOp::Blend(l)).collect();
    let mut recs = records(&partners, &ops);
    let draws = Draws::new(&mut recs, Shape::<f32>::new(layout, B).unwrap()).unwrap();
    g.bench_function("per_sample_lambda", |b| {
        b.iter(|| {
            let mut view = BatchMut::new(&mut batch, layout).unwrap();
            mix_inplace(&mut view, &draws).unwrap();
            black_box(&batch);
        })
    });
    g.finish();
}

/// The other hot loops: CutMix in place with a rectangle per sample (row copies only) and the
/// detection canvas, each next to a copy of the bytes it touches at most.
fn cutmix_and_detection(c: &mut Criterion) {
    let partners = partners();
    let len = C * H * W;
    let layout = ImageLayout::nchw(C, H, W);
    let mut batch: Vec<f32> = (0..B * len).map(|k| (k % 1000) as f32).collect();
    let mut copy = vec![0.0f32; batch.len()];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let cutmix = CutMix::new(1.0).unwrap();
    let ops: Vec<SampleOp> = (0..B)
        .map(|_| SampleOp::Paste(cutmix.sample(&mut rng, &layout).0))
        .collect();
    let mut recs = records(&partners, &ops);
    let draws = Draws::new(&mut recs, Shape::<f32>::new(layout, B).unwrap()).unwrap();

    let mut g = c.benchmark_group("cutmix_64x3x224x224_f32");
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes((batch.len() * 4) as u64));
    g.bench_function("copy_bound", |b| {
        b.iter(|| {
            copy.copy_from_slice(&batch);
            black_box(&copy);
        })
    });
    g.bench_function("per_sample_rects_inplace", |b| {
        b.iter(|| {
            mix_inplace(&mut BatchMut::new(&mut batch, layout).unwrap(), &draws).unwrap();
            black_box(&batch);
        })
    });
    g.finish();

    let (ha, wa, hb, wb) = (480, 640, 512, 512);
    let da: Vec<u8> = (0..3 * ha * wa).map(|k| (k % 251) as u8).collect();
    let db: Vec<u8> = (0..3 * hb * wb).map(|k| (k % 241) as u8).collect();
    let a =
        DetectionImage::new(Batch::new(&da, ImageLayout::nhwc(3, ha, wa)).unwrap(), &[]).unwrap();
    let b_img =
        DetectionImage::new(Batch::new(&db, ImageLayout::nhwc(3, hb, wb)).unwrap(), &[]).unwrap();
    let canvas_shape = canvas_layout(&a, &b_img).unwrap();
    let mut canvas = vec![0u8; canvas_shape.sample_len().unwrap()];
    let mut canvas_copy = vec![0u8; canvas.len()];
    let mut g = c.benchmark_group("detection_u8_480x640_512x512");
    g.sample_size(20)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .throughput(Throughput::Bytes(canvas.len() as u64));
    g.bench_function("copy_canvas_bound", |b| {
        b.iter(|| {
            canvas_copy.copy_from_slice(&canvas);
            black_box(&canvas_copy);
        })
    });
    g.bench_function("mix_detection_hwc", |b| {
        b.iter(|| {
            mix_detection(&a, &b_img, 0.4, &mut canvas, &mut []).unwrap();
            black_box(&canvas);
        })
    });
    g.finish();
}

criterion_group!(benches, collate, per_sample_inplace, cutmix_and_detection);
criterion_main!(benches);
