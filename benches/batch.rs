//! Batch mixing against the memory bound, measured in the same run:
//!
//! * `pass`: an in-place pass `x = 0.5·x + 0.25` (`u8`: `x/2 + 16`) over the same bytes, one
//!   read and one write per element, the least traffic any in-place mix can have;
//! * `pass_2_threads`: the same pass split over two threads (the second one kept across calls),
//!   the bound of the parallel mix; for samples the parallel mix shares out whole,
//!   `pass_2_threads_scattered` too, each thread passing over a random half of the samples (the
//!   ownership a split by samples gives a shuffled batch);
//! * `copy_from_slice` of the same bytes between two preallocated buffers;
//! * `mix_inplace` with `Pairing::Shuffle` partners and λ = 0.3, one thread, the same with the
//!   prefetch ahead forced on and off (`mix_inplace_lookahead_always`, `_never`; 3×224×224
//!   batches), and `mix_inplace_parallel` with 1 and 2 threads.
//!
//! For `f32` and `u8`, B = 64, 256 and 512 of 3×224×224 (from 9.6 MB to 308 MB: on both sides
//! of any last-level cache), and two cache-resident batches: 128×3×32×32, whose 12 KiB samples
//! the parallel mix shares out whole (by samples; the 384 KiB `u8` batch stays on one thread),
//! and 8×3×224×224 (4.8 MB `f32`), whose samples it splits by elements. Then the linear-time
//! check (one element per sample, B = 2¹⁶ … 2²⁰, time per element flat, for the mix in and
//! out of place and for `Permutation::new`), the kernel alone against the pass in L1 (the
//! ceiling of any cache-resident ratio), and the tile sweep. The cache sizes of the machine are
//! printed first: a figure means something only next to them. After each batch, the round trip
//! of a value between two spinning threads, measured before and after it, says whether the two
//! cores shared a last-level cache meanwhile (tens of ns) or not (hundreds), which the
//! two-thread figures depend on.
//!
//! `cargo bench --bench batch -- --warm-up-time 1 --measurement-time 3`

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use mixup::{
    Batch, BatchMut, Element, ImageLayout, Kernels, Lookahead, Pairing, Permutation, Plan, SampleOp,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The machine's caches as Linux reports them (cpu0), e.g. `L1d 48K, L2 2048K, L3 105M`.
fn caches() -> String {
    let base = "/sys/devices/system/cpu/cpu0/cache";
    let mut parts = Vec::new();
    for index in 0..8 {
        let read = |f: &str| std::fs::read_to_string(format!("{base}/index{index}/{f}"));
        let (Ok(level), Ok(kind), Ok(size)) = (read("level"), read("type"), read("size")) else {
            break;
        };
        let kind = match kind.trim() {
            "Data" => "d",
            "Instruction" => continue,
            _ => "",
        };
        parts.push(format!("L{}{kind} {}", level.trim(), size.trim()));
    }
    if parts.is_empty() {
        "cache sizes unknown (no /sys/devices/system/cpu/cpu0/cache)".to_string()
    } else {
        parts.join(", ")
    }
}

fn shuffled(b: usize) -> Vec<usize> {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(7);
    let mut p = vec![0; b];
    drop(Pairing::Shuffle.fill(&mut rng, &mut p).unwrap());
    p
}

/// `pass` over the ranges `ranges[0]` of `x` (as start and length) on the calling thread and
/// over `ranges[1]` on a second one, timed per call. The second thread stays for the whole
/// benchmark and spins for the next call (as the crate's workers do), so that the bound pays
/// for a hand-over, not for starting a thread (tens of microseconds, more than a
/// cache-resident pass). Panics unless the ranges lie inside `x` without overlapping.
fn two_threads<T: Element>(
    bench: &mut criterion::Bencher<'_>,
    x: &mut [T],
    ranges: [Vec<(usize, usize)>; 2],
    pass: impl Fn(T) -> T + Copy + Sync,
) {
    let [mine, theirs] = &ranges;
    // Inside `x` and disjoint, which the unsafe slices below rely on.
    let mut all: Vec<(usize, usize)> = mine.iter().chain(theirs).copied().collect();
    all.sort_unstable();
    let mut free_from = 0;
    for (start, len) in all {
        assert!(start >= free_from && start.checked_add(len).is_some_and(|end| end <= x.len()));
        free_from = start + len;
    }
    let go = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let base = AtomicUsize::new(0);
    let run = |ptr: *mut T, ranges: &[(usize, usize)]| {
        for &(start, len) in ranges {
            // SAFETY: `ptr` is the start of `x`, the ranges lie inside it and do not overlap
            // (checked above), and `x` is borrowed for the whole scope.
            let part = unsafe { std::slice::from_raw_parts_mut(ptr.add(start), len) };
            part.iter_mut().for_each(|v| *v = pass(*v));
        }
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let mut seen = 0;
            loop {
                let epoch = go.load(Ordering::Acquire);
                if epoch == seen {
                    std::hint::spin_loop();
                    continue;
                }
                if epoch == usize::MAX {
                    break;
                }
                seen = epoch;
                // The pointer was published before `epoch`, and the calling thread touches
                // only its own ranges until it sees `done == epoch`.
                run(base.load(Ordering::Acquire) as *mut T, theirs);
                done.store(epoch, Ordering::Release);
            }
        });
        let mut epoch = 0;
        bench.iter(|| {
            let ptr = black_box(&mut *x).as_mut_ptr();
            epoch += 1;
            base.store(ptr as usize, Ordering::Release);
            go.store(epoch, Ordering::Release);
            run(ptr, mine);
            while done.load(Ordering::Acquire) != epoch {
                std::hint::spin_loop();
            }
        });
        go.store(usize::MAX, Ordering::Release);
    });
}

/// The round trip of a value between two threads that spin on it, in ns, median of three runs
/// of 20 000: 50–60 ns between cores that share a last-level cache, several hundred where they
/// do not (a VM's vCPUs can move between the two for minutes at a time). `None` on one core.
fn round_trip_ns() -> Option<f64> {
    if std::thread::available_parallelism().map_or(1, usize::from) < 2 {
        return None;
    }
    const TRIPS: usize = 20_000;
    let flag = AtomicUsize::new(0);
    let mut runs: Vec<f64> = (0..3)
        .map(|_| {
            flag.store(0, Ordering::Relaxed);
            std::thread::scope(|s| {
                s.spawn(|| {
                    for i in 0..TRIPS {
                        while flag.load(Ordering::Acquire) != 2 * i + 1 {
                            std::hint::spin_loop();
                        }
                        flag.store(2 * i + 2, Ordering::Release);
                    }
                });
                let start = std::time::Instant::now();
                for i in 0..TRIPS {
                    flag.store(2 * i + 1, Ordering::Release);
                    while flag.load(Ordering::Acquire) != 2 * i + 2 {
                        std::hint::spin_loop();
                    }
                }
                start.elapsed().as_nanos() as f64 / TRIPS as f64
            })
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    Some(runs[1])
}

/// `round_trip_ns` as printed.
fn round_trip() -> String {
    round_trip_ns().map_or("one core".to_string(), |ns| format!("{ns:.0} ns"))
}

/// One element type's bound and mixes for a batch of `b` samples of `layout`.
fn group<T: Element>(
    c: &mut Criterion,
    name: &str,
    (b, layout): (usize, ImageLayout),
    value: impl Fn(usize) -> T,
    pass: impl Fn(T) -> T + Copy + Sync,
) {
    let n = layout.sample_len().unwrap();
    let bytes = b * n * std::mem::size_of::<T>();
    let title = format!(
        "batch_{b}x{}x{}x{}_{name}",
        layout.channels, layout.height, layout.width
    );
    let before = round_trip();
    let mut g = c.benchmark_group(&title);
    g.sample_size(10);
    g.throughput(Throughput::Bytes(bytes as u64));
    let mut x: Vec<T> = (0..b * n).map(value).collect();
    let mut y = x.clone();
    g.bench_function("pass", |bench| {
        bench.iter(|| {
            for v in black_box(&mut x).iter_mut() {
                *v = pass(*v);
            }
        })
    });
    // The bound of the parallel mix: the same pass on two threads, one half of the batch each.
    let half = b * n / 2;
    g.bench_function("pass_2_threads", |bench| {
        two_threads(
            bench,
            &mut x,
            [vec![(0, half)], vec![(half, b * n - half)]],
            pass,
        )
    });
    // Samples split by samples (under two shares) go to the threads as the cycles' members
    // fall, a shuffled batch's samples to one thread or the other at random: the same pass with
    // each thread owning a random half of the samples shows what that ownership costs the
    // machine in this run, whatever the mix does.
    if n * std::mem::size_of::<T>() < 2 * Kernels::DEFAULT_SHARE_BYTES {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
        let mut owners: [Vec<(usize, usize)>; 2] = [Vec::new(), Vec::new()];
        for s in 0..b {
            owners[(rng.next_u32() & 1) as usize].push((s * n, n));
        }
        g.bench_function("pass_2_threads_scattered", |bench| {
            two_threads(bench, &mut x, owners.clone(), pass)
        });
    }
    g.bench_function("copy_from_slice", |bench| {
        bench.iter(|| {
            y.copy_from_slice(black_box(&x));
            black_box(&mut y);
        })
    });
    let mut partners = shuffled(b);
    let perm = Permutation::new(&mut partners).unwrap();
    let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    let kernels = Kernels::best();
    g.bench_function("mix_inplace", |bench| {
        bench.iter(|| {
            let mut batch = BatchMut::new(black_box(&mut x), layout).unwrap();
            kernels.mix_inplace(&mut batch, plan).unwrap();
        })
    });
    // The prefetch ahead of the blend's loads, forced on and off, beside the default choice
    // (on from the size of the last-level cache): what it gains beyond the cache and costs
    // inside it, in this run. Not for the cache-resident batch, whose samples fit one tile.
    if n * std::mem::size_of::<T>() > 64 << 10 {
        for (label, look) in [("always", Lookahead::Always), ("never", Lookahead::Never)] {
            let k = kernels.with_lookahead(look);
            g.bench_function(format!("mix_inplace_lookahead_{label}"), |bench| {
                bench.iter(|| {
                    let mut batch = BatchMut::new(black_box(&mut x), layout).unwrap();
                    k.mix_inplace(&mut batch, plan).unwrap();
                })
            });
        }
    }
    // One thread is the parallel entry point's own overhead (it mixes on the calling thread);
    // two split every sample into two element ranges, or, for samples too short for two ranges
    // of at least 16 KiB, the cycles' members into two runs of whole samples (a batch under
    // 512 KiB is mixed on one thread, as with 1).
    for threads in [1, 2] {
        g.bench_function(format!("mix_inplace_parallel_{threads}"), |bench| {
            bench.iter(|| {
                let mut batch = BatchMut::new(black_box(&mut x), layout).unwrap();
                kernels
                    .mix_inplace_parallel(&mut batch, plan, threads)
                    .unwrap();
            })
        });
    }
    g.finish();
    // Two-thread figures depend on whether the two cores share a cache at the time.
    println!(
        "{title}: round trip between two cores {before} before, {} after",
        round_trip()
    );
}

fn against_the_bound(c: &mut Criterion) {
    let k = Kernels::best();
    println!(
        "batch bench: {}; kernels {}, in-place tile {} B",
        caches(),
        k.implementation(),
        k.tile_bytes()
    );
    let imagenet = ImageLayout::nchw(3, 224, 224);
    for shape in [
        (128, ImageLayout::nchw(3, 32, 32)),
        (8, imagenet),
        (64, imagenet),
        (256, imagenet),
        (512, imagenet),
    ] {
        group::<f32>(c, "f32", shape, |k| (k % 251) as f32, |v| 0.5 * v + 0.25);
        group::<u8>(c, "u8", shape, |k| (k % 251) as u8, |v| v / 2 + 16);
    }
}

/// One element per sample: the cycle walk must cost the same per element at every batch size,
/// in place and out of place.
fn linear_time(c: &mut Criterion) {
    let mut g = c.benchmark_group("linear_time_1_element_per_sample_f32");
    g.sample_size(10);
    for log_b in [16u32, 17, 18, 19, 20] {
        let b = 1usize << log_b;
        g.throughput(Throughput::Elements(b as u64));
        let mut x: Vec<f32> = (0..b).map(|k| k as f32).collect();
        let mut partners = shuffled(b);
        let perm = Permutation::new(&mut partners).unwrap();
        let plan = Plan::same(&perm, SampleOp::Blend(0.3));
        g.bench_function(BenchmarkId::new("mix_inplace", b), |bench| {
            bench.iter(|| {
                let mut batch = BatchMut::new(black_box(&mut x), ImageLayout::flat(1)).unwrap();
                mixup::mix_inplace(&mut batch, plan).unwrap();
            })
        });
        let src = x.clone();
        let mut out = vec![0.0f32; b];
        g.bench_function(BenchmarkId::new("mix", b), |bench| {
            bench.iter(|| {
                let batch = Batch::new(black_box(&src), ImageLayout::flat(1)).unwrap();
                mixup::mix(&mut out, &batch, plan).unwrap();
            })
        });
        // The permutation itself: the check, the leaders and the restore on drop.
        drop(perm);
        g.bench_function(BenchmarkId::new("permutation_new", b), |bench| {
            bench.iter(|| drop(Permutation::new(black_box(&mut partners)).unwrap()))
        });
    }
    g.finish();
}

/// What bounds a cache-resident mix: the kernel alone on 8 KiB in L1, against the pass over the
/// same bytes. The blend's clamp and canonical NaN (f32) and its rounding (u8) are contract, so
/// this ratio is the ceiling of the in-cache batch ratios above.
fn arithmetic(c: &mut Criterion) {
    fn one<T: Element>(
        c: &mut Criterion,
        name: &str,
        value: impl Fn(usize) -> T,
        pass: impl Fn(T) -> T + Copy,
    ) {
        let n = 8192 / std::mem::size_of::<T>();
        let mut g = c.benchmark_group(format!("kernel_l1_8KiB_{name}"));
        g.throughput(Throughput::Bytes(8192));
        let mut x: Vec<T> = (0..n).map(&value).collect();
        let y: Vec<T> = (0..n).map(|k| value(k * 7 + 3)).collect();
        g.bench_function("pass", |bench| {
            bench.iter(|| {
                for v in black_box(&mut x).iter_mut() {
                    *v = pass(*v);
                }
            })
        });
        let k = Kernels::best();
        g.bench_function("blend_inplace", |bench| {
            bench.iter(|| k.blend_inplace(black_box(&mut x), &y, 0.3).unwrap())
        });
        g.finish();
    }
    one::<f32>(c, "f32", |k| (k % 251) as f32, |v| 0.5 * v + 0.25);
    one::<u8>(c, "u8", |k| (k % 251) as u8, |v| v / 2 + 16);
}

/// The in-place mix with tiles from 2 KiB to the largest on 256×3×224×224 f32.
fn tiles(c: &mut Criterion) {
    let b = 256;
    let layout = ImageLayout::nchw(3, 224, 224);
    let n = layout.sample_len().unwrap();
    let mut g = c.benchmark_group(format!("tile_{b}x3x224x224_f32"));
    g.sample_size(10);
    g.throughput(Throughput::Bytes((b * n * 4) as u64));
    let mut x: Vec<f32> = (0..b * n).map(|k| (k % 251) as f32).collect();
    let mut partners = shuffled(b);
    let perm = Permutation::new(&mut partners).unwrap();
    let plan = Plan::same(&perm, SampleOp::Blend(0.3));
    let mut bytes = 2048;
    while bytes <= Kernels::MAX_TILE_BYTES {
        let k = Kernels::best().with_tile_bytes(bytes);
        g.bench_function(BenchmarkId::from_parameter(bytes), |bench| {
            bench.iter(|| {
                let mut batch = BatchMut::new(black_box(&mut x), layout).unwrap();
                k.mix_inplace(&mut batch, plan).unwrap();
            })
        });
        bytes *= 2;
    }
    g.finish();
}

criterion_group!(benches, against_the_bound, linear_time, arithmetic, tiles);
criterion_main!(benches);
