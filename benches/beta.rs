//! λ sampler throughput: `mixup::Beta::symmetric(α)` against `rand_distr::Beta::new(α, α)`
//! (rand_distr 0.6, Cheng's algorithms BB/BC), side by side in one run, both driven by the same
//! `Xoshiro256PlusPlus` seed, at α ∈ {0.2, 0.4, 1, 2}. Throughput is counted in draws.
//!
//! Which math each side uses: `mixup` always calls `libm`. rand_distr computes `ln`, `exp` and
//! `sqrt` through `num_traits::Float`; its own default is `num-traits/libm`, but in this bench
//! build criterion (and proptest, another dev-dependency) turn on `num-traits/std`, and
//! num-traits then prefers the `std` methods (`f64::ln`, `f64::exp`), which on
//! x86_64-unknown-linux-gnu are the platform's glibc `log`/`exp`. Check with
//! `cargo tree -e features -i num-traits`: it lists `num-traits feature "std"` pulled in by
//! `criterion` and `proptest`. So rand_distr is measured with glibc math. The `math` group below
//! measures `libm` against `std` for the functions involved in the same run, to show which side
//! of the ratio the difference falls on.
//!
//! Run: `cargo bench --bench beta -- --warm-up-time 1 --measurement-time 3`.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rand_core::SeedableRng;
use rand_distr::Distribution;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;

/// Draws per criterion iteration: large enough that loop overhead vanishes.
const DRAWS: u64 = 1024;

fn beta(c: &mut Criterion) {
    let mut group = c.benchmark_group("beta");
    group.throughput(Throughput::Elements(DRAWS));
    for alpha in [0.2, 0.4, 1.0, 2.0] {
        let ours = mixup::Beta::symmetric(alpha).unwrap();
        let theirs = rand_distr::Beta::new(alpha, alpha).unwrap();
        group.bench_with_input(BenchmarkId::new("mixup", alpha), &alpha, |bench, _| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
            bench.iter(|| {
                let mut acc = 0.0;
                for _ in 0..DRAWS {
                    acc += ours.sample(&mut rng);
                }
                black_box(acc)
            })
        });
        group.bench_with_input(BenchmarkId::new("rand_distr", alpha), &alpha, |bench, _| {
            let mut rng = Xoshiro256PlusPlus::seed_from_u64(42);
            bench.iter(|| {
                let mut acc = 0.0;
                for _ in 0..DRAWS {
                    acc += theirs.sample(&mut rng);
                }
                black_box(acc)
            })
        });
    }
    group.finish();
}

/// `libm` against `std` for the functions the two samplers call, on arguments in (0, 1].
fn math(c: &mut Criterion) {
    let xs: Vec<f64> = (1..=DRAWS).map(|i| i as f64 / DRAWS as f64).collect();
    let mut group = c.benchmark_group("math");
    group.throughput(Throughput::Elements(DRAWS));
    group.bench_function("libm::log", |b| {
        b.iter(|| black_box(&xs).iter().map(|&x| libm::log(x)).sum::<f64>())
    });
    group.bench_function("std::ln", |b| {
        b.iter(|| black_box(&xs).iter().map(|&x| x.ln()).sum::<f64>())
    });
    group.bench_function("libm::exp", |b| {
        b.iter(|| black_box(&xs).iter().map(|&x| libm::exp(-x)).sum::<f64>())
    });
    group.bench_function("std::exp", |b| {
        b.iter(|| black_box(&xs).iter().map(|&x| (-x).exp()).sum::<f64>())
    });
    group.bench_function("libm::exp_wide", |b| {
        b.iter(|| {
            black_box(&xs)
                .iter()
                .map(|&x| libm::exp(40.0 * x - 20.0))
                .sum::<f64>()
        })
    });
    group.bench_function("libm::exp2_wide", |b| {
        b.iter(|| {
            black_box(&xs)
                .iter()
                .map(|&x| libm::exp2(40.0 * x - 20.0))
                .sum::<f64>()
        })
    });
    group.finish();
}

criterion_group!(benches, beta, math);
criterion_main!(benches);
