//! The fused u8 collate against mixing then normalizing in two passes, in-place mixing with a λ
//! per sample against one λ per batch and against a plain copy of the batch, and CutMix and the
//! detection canvas against copies of their bytes, all in one run.
//!
//! `cargo bench --bench collate`; compare the medians within one run (the machine is shared).

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mixup::{
    ChannelOrder, CutMix, DetectionImage, ImageLayout, Normalize, Pairing, SampleOp, collate_u8,
    mix_batch_inplace, mix_batch_per_sample_inplace, mix_detection, mix_samples,
    mix_samples_inplace,
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
    Pairing::Shuffle.fill(&mut rng, &mut p).unwrap();
    p
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
    let keep = vec![SampleOp::Keep; B];
    let identity: Vec<usize> = (0..B).collect();
    let norm = Normalize::new(&[0.485, 0.456, 0.406], &[0.229, 0.224, 0.225]).unwrap();
    let src: Vec<u8> = (0..B * C * h * w).map(|k| (k * 31 % 251) as u8).collect();
    let mut mixed = vec![0u8; src.len()];
    let mut out = vec![0.0f32; src.len()];
    let mut lam = vec![0.0; B];

    let mut g = c.benchmark_group(format!("collate_{B}x{C}x{h}x{w}_u8_to_f32"));
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .throughput(Throughput::Bytes(src.len() as u64));
    for layout in [ImageLayout::nhwc(C, h, w), ImageLayout::nchw(C, h, w)] {
        let tag = if layout == ImageLayout::nhwc(C, h, w) {
            "hwc"
        } else {
            "chw"
        };
        g.bench_function(format!("fused_{tag}"), |b| {
            b.iter(|| {
                collate_u8(&mut out, &src, &layout, &partners, &ops, &mut lam, &norm).unwrap();
                black_box(&out);
            })
        });
        // timm's order: mix in u8, then convert and normalize in a second pass (the same
        // normalization code, with every sample kept).
        g.bench_function(format!("two_pass_{tag}"), |b| {
            b.iter(|| {
                mix_samples(&mut mixed, &src, &layout, &partners, &ops, &mut lam).unwrap();
                collate_u8(&mut out, &mixed, &layout, &identity, &keep, &mut lam, &norm).unwrap();
                black_box(&out);
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
    let mut lam = lambdas.clone();

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
    g.bench_function("one_lambda", |b| {
        b.iter(|| {
            mix_batch_inplace(&mut batch, len, &partners, 0.3).unwrap();
            black_box(&batch);
        })
    });
    g.bench_function("per_sample_lambda", |b| {
        b.iter(|| {
            lam.copy_from_slice(&lambdas);
            mix_batch_per_sample_inplace(&mut batch, len, &partners, &mut lam).unwrap();
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
        .map(|_| SampleOp::Paste(cutmix.sample(&mut rng, H, W).0))
        .collect();
    let mut lam = vec![0.0; B];

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
            mix_samples_inplace(&mut batch, &layout, &partners, &ops, &mut lam).unwrap();
            black_box(&batch);
        })
    });
    g.finish();

    let (ha, wa, hb, wb) = (480, 640, 512, 512);
    let da: Vec<u8> = (0..3 * ha * wa).map(|k| (k % 251) as u8).collect();
    let db: Vec<u8> = (0..3 * hb * wb).map(|k| (k % 241) as u8).collect();
    let a = DetectionImage {
        data: &da,
        height: ha,
        width: wa,
        boxes: &[],
    };
    let b_img = DetectionImage {
        data: &db,
        height: hb,
        width: wb,
        boxes: &[],
    };
    let mut canvas = vec![0u8; mixup::canvas_len(3, (ha, wa), (hb, wb)).unwrap()];
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
            mix_detection(&mut canvas, &mut [], &a, &b_img, 3, ChannelOrder::Hwc, 0.4).unwrap();
            black_box(&canvas);
        })
    });
    g.finish();
}

criterion_group!(benches, collate, per_sample_inplace, cutmix_and_detection);
criterion_main!(benches);
