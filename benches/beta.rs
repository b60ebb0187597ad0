//! λ sampler throughput: `mixup::Beta::symmetric(α).sample` against
//! `rand_distr::Beta::new(α, α)` sampled through `rand_distr::Distribution` (rand_distr 0.6,
//! which uses Cheng's algorithms BB and BC, "Generating beta variates with nonintegral shape
//! parameters", CACM 21(4), 1978), side by side in one run, each driven by its own
//! `Xoshiro256PlusPlus` with the same seed, at α ∈ {0.2, 0.4, 1, 2}. Throughput is counted in
//! draws; the issue asks for at least twice rand_distr's draws per second at α = 0.2 and 0.4.
//!
//! # Which math each side uses
//!
//! `mixup` always calls `libm` (0.2.16). rand_distr computes `ln`, `exp` and `sqrt` through
//! `num_traits::Float`; on its own it asks for `num-traits/libm`, but in this bench build the
//! dev-dependencies criterion and proptest turn on `num-traits/std`, and num-traits then uses the
//! `std` methods (`f64::ln`, `f64::exp`): on x86_64-unknown-linux-gnu that is the system's glibc
//! `log` and `exp`. Checked with `cargo tree -e features -i num-traits`, which lists
//! `num-traits feature "std"` pulled in by `criterion` and by `proptest`, and with
//! `perf record` on this bench, which shows rand_distr's time in glibc's `__ieee754_log_fma`
//! and `__ieee754_exp_fma` (libm.so.6). So rand_distr is measured with glibc math, which is
//! faster than `libm` (the `math` group below measures both in the same run): the ratio shown
//! is a conservative bound for the like-for-like comparison with rand_distr on `libm`.
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

/// `libm` against `std` for the functions the two samplers call, on arguments in (0, 1], and
/// `libm`'s `exp` against its table-driven `exp2` on arguments in [−20, 20], the range the Beta
/// sampler feeds to its one exponential.
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
