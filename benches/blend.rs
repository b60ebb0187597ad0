//! Blend kernels: each implementation on L1-resident slices, element types at L2-resident sizes,
//! and ordinary against non-temporal stores on outputs beyond the caches.
//!
//! `cargo bench --bench blend -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixup::{Element, Implementation, Kernels, Stores};
use std::hint::black_box;

fn inputs<T: Element>(n: usize, f: impl Fn(usize) -> T) -> (Vec<T>, Vec<T>, Vec<T>) {
    let a: Vec<T> = (0..n).map(&f).collect();
    let b: Vec<T> = (0..n).map(|k| f(k * 7 + 3)).collect();
    (a, b, vec![T::default(); n])
}

fn pixel_f32(k: usize) -> f32 {
    (k % 251) as f32 / 251.0
}

fn pixel_u8(k: usize) -> u8 {
    (k % 251) as u8
}

/// 2048 f32 per slice: 24 KiB for the three slices, inside the 48 KiB L1 data cache. The ratio
/// that matters is AVX-512 against SSE2 in the same run.
fn l1(c: &mut Criterion) {
    let n = 2048;
    let mut g = c.benchmark_group("blend_l1_f32");
    g.throughput(Throughput::Elements(n as u64));
    let (a, b, mut out) = inputs(n, pixel_f32);
    for imp in Implementation::available() {
        let k = Kernels::new(imp).unwrap().with_stores(Stores::Cached);
        g.bench_function(BenchmarkId::from_parameter(imp), |bench| {
            bench.iter(|| k.blend(&mut out, black_box(&a), &b, 0.3))
        });
    }
    g.finish();
}

/// The same element count in `u8` and `f32`, L2-resident for both (768 KiB of f32 slices in the
/// 2 MiB L2): elements per second with the implementation the crate picks.
fn l2_types(c: &mut Criterion) {
    let n = 64 * 1024;
    let mut g = c.benchmark_group("blend_l2");
    g.throughput(Throughput::Elements(n as u64));
    let (a, b, mut out) = inputs(n, pixel_f32);
    g.bench_function("f32", |bench| {
        bench.iter(|| mixup::blend(&mut out, black_box(&a), &b, 0.3))
    });
    let (a, b, mut out) = inputs(n, pixel_u8);
    g.bench_function("u8", |bench| {
        bench.iter(|| mixup::blend(&mut out, black_box(&a), &b, 0.3))
    });
    let (a, b, mut out) = inputs(n, |k| (k * 257 % 65521) as u16);
    g.bench_function("u16", |bench| {
        bench.iter(|| mixup::blend(&mut out, black_box(&a), &b, 0.3))
    });
    let (a, b, mut out) = inputs(n, |k| pixel_f32(k) as f64);
    g.bench_function("f64", |bench| {
        bench.iter(|| mixup::blend(&mut out, black_box(&a), &b, 0.3))
    });
    g.finish();
}

/// Out-of-place f32 blends of growing outputs with ordinary and with non-temporal stores, to
/// place the threshold above which `blend` streams.
fn streaming(c: &mut Criterion) {
    let cached = Kernels::best().with_stores(Stores::Cached);
    let streamed = Kernels::best().with_stores(Stores::Streaming);
    let mut g = c.benchmark_group("blend_stores_f32");
    g.sample_size(10);
    for mib in [4usize, 16, 64] {
        let n = mib << 18;
        g.throughput(Throughput::Bytes((3 * n * 4) as u64));
        let (a, b, mut out) = inputs(n, pixel_f32);
        g.bench_function(BenchmarkId::new("cached", format!("{mib}MiB")), |bench| {
            bench.iter(|| cached.blend(&mut out, black_box(&a), &b, 0.3))
        });
        g.bench_function(
            BenchmarkId::new("streaming", format!("{mib}MiB")),
            |bench| bench.iter(|| streamed.blend(&mut out, black_box(&a), &b, 0.3)),
        );
        g.bench_function(BenchmarkId::new("copy", format!("{mib}MiB")), |bench| {
            bench.iter(|| out.copy_from_slice(black_box(&a)))
        });
    }
    g.finish();
}

criterion_group!(benches, l1, l2_types, streaming);
criterion_main!(benches);
