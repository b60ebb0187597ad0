//! Batch mixing against the memory bound: `mix_batch_inplace` on ImageNet-shaped f32 batches
//! with shuffled partners, next to `copy_from_slice` of the same bytes between two preallocated
//! buffers, in the same run. Also the tile-size sweep behind the in-place tile.
//!
//! `cargo bench --bench batch -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixup::Pairing;
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

const SAMPLE: usize = 3 * 224 * 224;

fn batch(b: usize) -> Vec<f32> {
    (0..b * SAMPLE).map(|k| (k % 251) as f32 / 251.0).collect()
}

fn partners(b: usize) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut p = vec![0; b];
    Pairing::Shuffle.fill(&mut rng, &mut p).unwrap();
    p
}

fn inplace_vs_copy(c: &mut Criterion) {
    for b in [64usize, 256] {
        let mut g = c.benchmark_group(format!("batch_{b}x3x224x224_f32"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes((b * SAMPLE * 4) as u64));
        let partners = partners(b);
        // Two buffers only: the copy reads `x` into `y`, the mix works on `x` in place.
        let mut x = batch(b);
        let mut y = vec![0.0f32; x.len()];
        g.bench_function("copy_from_slice", |bench| {
            bench.iter(|| {
                y.copy_from_slice(black_box(&x));
                black_box(&mut y);
            })
        });
        g.bench_function("mix_batch_inplace", |bench| {
            bench.iter(|| mixup::mix_batch_inplace(black_box(&mut x), SAMPLE, &partners, 0.3))
        });
        if b == 64 {
            g.bench_function("mix_batch", |bench| {
                bench.iter(|| mixup::mix_batch(&mut y, black_box(&x), SAMPLE, &partners, 0.3))
            });
        }
        g.finish();
    }
}

/// The in-place mix with tiles from 1 KiB to 32 KiB on both batches (the crate uses 8 KiB).
fn tiles(c: &mut Criterion) {
    let imp = mixup::implementation();
    for b in [64usize, 256] {
        let mut g = c.benchmark_group(format!("tile_{b}x3x224x224_f32"));
        g.sample_size(10);
        g.throughput(Throughput::Bytes((b * SAMPLE * 4) as u64));
        let partners = partners(b);
        let mut x = batch(b);
        for bytes in [1024usize, 2048, 4096, 8192, 16384, 32768] {
            let mut tile = vec![0.0f32; bytes / 4];
            g.bench_function(BenchmarkId::from_parameter(bytes), |bench| {
                bench.iter(|| {
                    let (t, x) = (&mut tile, &mut x);
                    mixup::mix_batch_inplace_tiled_with(imp, t, x, SAMPLE, &partners, 0.3)
                })
            });
        }
        g.finish();
    }
}

criterion_group!(benches, inplace_vs_copy, tiles);
criterion_main!(benches);
