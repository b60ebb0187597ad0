//! A training-loader loop: several epochs, worker threads that mix their own batches, one
//! random stream per worker derived from a single seed.
//!
//! ```text
//! cargo run --release --example loader
//! cargo run --release --example loader -- --epochs 4 --workers 3 --seed 7
//! ```
//!
//! # Streams
//!
//! Every random draw comes from a `Xoshiro256PlusPlus` stream that depends only on
//! `(seed, epoch, stream index)`, never on thread timing:
//!
//! * `long_jump()` (2¹⁹² steps) once per epoch gives every epoch its own block of the period;
//! * inside an epoch's block, stream 0 shuffles the data set (the sampler) and stream `w + 1`
//!   belongs to worker `w`, reached with `w + 1` calls of `jump()` (2¹²⁸ steps each).
//!
//! The streams never overlap (each is 2¹²⁸ draws long), batch `b` always goes to worker
//! `b mod workers`, and each worker mixes its batches in order, so a run is reproducible bit for
//! bit whatever the scheduling. The example checks that: it runs the whole loop twice and
//! compares every λ, every partner list and a hash of every mixed batch, and it checks that the
//! streams of all (epoch, stream) pairs start differently. It exits with status 1 if either check
//! fails.
//!
//! Changing the number of workers changes which stream mixes which batch, and therefore the
//! draws; that is the price of per-worker streams (PyTorch's DataLoader has the same property).

use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup, Pairing, SampleOp};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::process::ExitCode;
use std::sync::mpsc;

/// `println!` that ignores a closed stdout (e.g. `| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

const DATASET: usize = 48;
const BATCH: usize = 8;
const SAMPLE_LEN: usize = 3 * 16 * 16;
const CLASSES: usize = 10;

const USAGE: &str = "\
A training-loader loop with mixup: worker threads, one Xoshiro256PlusPlus stream per worker.

Usage: cargo run --release --example loader -- [OPTIONS]

Options:
  --epochs N    number of epochs (1..=100)               [default: 3]
  --workers N   number of worker threads (1..=16)        [default: 2]
  --seed N      the one seed every stream derives from   [default: 2024]
  -h, --help    print this help";

#[derive(Clone, Copy)]
struct Config {
    epochs: usize,
    workers: usize,
    seed: u64,
}

/// What one worker did with one batch.
#[derive(Debug, Clone, PartialEq)]
struct BatchReport {
    epoch: usize,
    batch: usize,
    worker: usize,
    /// The sample indices of the data set in this batch.
    samples: Vec<usize>,
    mixed: bool,
    lambda: f64,
    partners: Vec<usize>,
    /// FNV-1a over the mixed data and the soft labels.
    hash: u64,
}

/// The stream for `(seed, epoch, index)`: index 0 is the sampler, `w + 1` is worker `w`.
fn stream(seed: u64, epoch: usize, index: usize) -> Xoshiro256PlusPlus {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    for _ in 0..epoch {
        rng.long_jump();
    }
    for _ in 0..index {
        rng.jump();
    }
    rng
}

/// A stand-in for decoding sample `index` of a data set: deterministic bytes and a class.
fn load_sample(index: usize, out: &mut [f32]) -> u32 {
    for (k, v) in out.iter_mut().enumerate() {
        *v = ((index * 131 + k * 7) % 251) as f32 / 250.0;
    }
    (index % CLASSES) as u32
}

fn fnv1a(hash: &mut u64, bytes: &[u8]) {
    for &b in bytes {
        *hash = (*hash ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3);
    }
}

/// One batch through `Mixup::apply` with label smoothing 0.1; returns whether any sample was
/// mixed, the λ of the mixed samples (one per batch here) and the partners.
fn mix_one(
    mixup: &Mixup,
    rng: &mut Xoshiro256PlusPlus,
    data: &mut [f32],
    labels: &[u32],
    records: &mut [Draw],
    soft: &mut [f32],
) -> Result<(bool, f64, Vec<usize>), mixup::Error> {
    let mut batch = BatchMut::new(data, ImageLayout::flat(SAMPLE_LEN))?;
    let labels = Labels::classes(labels, CLASSES)?.with_smoothing(0.1)?;
    let draws = mixup.apply(rng, &mut batch, &labels, records, soft)?;
    let blended = draws.iter().find(|d| matches!(d.op, SampleOp::Blend(_)));
    let partners = draws.iter().map(|d| d.partner).collect();
    Ok((
        blended.is_some(),
        blended.map_or(1.0, |d| d.lambda),
        partners,
    ))
}

/// One full run: every epoch, every batch, mixed by the worker threads. Returns the reports in
/// batch order.
fn run(cfg: Config, mixup: &Mixup) -> Result<Vec<BatchReport>, mixup::Error> {
    let batches = DATASET / BATCH; // the last partial batch is dropped, as `drop_last=True`
    let mut reports = Vec::new();
    for epoch in 0..cfg.epochs {
        // The sampler: a fresh uniform order of the data set each epoch. A uniform permutation is
        // exactly what `Pairing::Shuffle` writes.
        let mut order = vec![0usize; DATASET];
        // The permutation is only needed as plain indices here: drop the checked view at once.
        drop(Pairing::Shuffle.fill(&mut stream(cfg.seed, epoch, 0), &mut order)?);
        let order = &order;

        let (tx, rx) = mpsc::channel();
        std::thread::scope(|scope| {
            for worker in 0..cfg.workers {
                let tx = tx.clone();
                scope.spawn(move || {
                    let mut rng = stream(cfg.seed, epoch, worker + 1);
                    let mut data = vec![0.0f32; BATCH * SAMPLE_LEN];
                    let mut labels = [0u32; BATCH];
                    let mut soft = vec![0.0f32; BATCH * CLASSES];
                    let mut records = vec![Draw::default(); BATCH];
                    for batch in (worker..batches).step_by(cfg.workers) {
                        let samples = order[batch * BATCH..][..BATCH].to_vec();
                        for ((slot, label), &index) in data
                            .chunks_exact_mut(SAMPLE_LEN)
                            .zip(&mut labels)
                            .zip(&samples)
                        {
                            *label = load_sample(index, slot);
                        }
                        let result =
                            mix_one(mixup, &mut rng, &mut data, &labels, &mut records, &mut soft)
                                .map(|(mixed, lambda, partners)| {
                                    let mut hash = 0xcbf2_9ce4_8422_2325;
                                    for v in data.iter().chain(&soft) {
                                        fnv1a(&mut hash, &v.to_le_bytes());
                                    }
                                    BatchReport {
                                        epoch,
                                        batch,
                                        worker,
                                        samples,
                                        mixed,
                                        lambda,
                                        partners,
                                        hash,
                                    }
                                });
                        // The receiver outlives the scope, so sending cannot fail.
                        let _ = tx.send(result);
                    }
                });
            }
        });
        drop(tx);
        let mut epoch_reports = rx.iter().collect::<Result<Vec<_>, _>>()?;
        epoch_reports.sort_by_key(|r| r.batch);
        reports.extend(epoch_reports);
    }
    Ok(reports)
}

fn parse_args() -> Result<Option<Config>, String> {
    let mut cfg = Config {
        epochs: 3,
        workers: 2,
        seed: 2024,
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !matches!(flag.as_str(), "--epochs" | "--workers" | "--seed") {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        let bounded = |lo: usize, hi: usize| -> Result<usize, String> {
            match value.parse::<usize>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                _ => Err(format!(
                    "`{flag} {value}`: expected an integer in {lo}..={hi}"
                )),
            }
        };
        match flag.as_str() {
            "--epochs" => cfg.epochs = bounded(1, 100)?,
            "--workers" => cfg.workers = bounded(1, 16)?,
            _ => {
                cfg.seed = value
                    .parse()
                    .map_err(|_| format!("`--seed {value}`: not an unsigned 64-bit integer"))?
            }
        }
    }
    Ok(Some(cfg))
}

fn main() -> ExitCode {
    let cfg = match parse_args() {
        Ok(Some(cfg)) => cfg,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\nRun with --help for the options.");
            return ExitCode::from(2);
        }
    };
    // A typical ImageNet-style setting: small α, derangement so no sample is wasted on itself,
    // label smoothing, and 20% of the batches left unmixed.
    let mixup = Mixup::new(0.4)
        .and_then(|m| m.with_probability(0.8))
        .map(|m| m.with_pairing(Pairing::Derangement))
        .expect("the settings above are valid");

    say!(
        "{} epochs, {} workers, seed {}: {DATASET} samples in batches of {BATCH}; Mixup α=0.4, p=0.8, derangement, smoothing 0.1",
        cfg.epochs,
        cfg.workers,
        cfg.seed
    );
    let first = match run(cfg, &mixup) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    for r in &first {
        let what = if r.mixed {
            format!("λ = {:.4}  partners {:?}", r.lambda, r.partners)
        } else {
            "not mixed (apply probability)".to_string()
        };
        say!(
            "epoch {} batch {} worker {}  samples {:?}  {what}  hash {:016x}",
            r.epoch,
            r.batch,
            r.worker,
            r.samples,
            r.hash
        );
    }

    // Check 1: a second run (new threads, other scheduling) gives the same bytes.
    let second = match run(cfg, &mixup) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let reproducible = first == second;
    say!(
        "reproducible: {} (a second run gave the same λ, partners and data hashes for all {} batches)",
        if reproducible { "yes" } else { "NO" },
        first.len()
    );

    // Check 2: the streams differ: the first draws of every (epoch, stream) pair, sampler
    // included, are different from those of every other pair.
    let heads: Vec<((usize, usize), [u64; 4])> = (0..cfg.epochs)
        .flat_map(|e| (0..=cfg.workers).map(move |i| (e, i)))
        .map(|(e, i)| {
            let mut rng = stream(cfg.seed, e, i);
            ((e, i), core::array::from_fn(|_| rng.next_u64()))
        })
        .collect();
    let mut distinct = true;
    for (n, (ka, a)) in heads.iter().enumerate() {
        for (kb, b) in &heads[n + 1..] {
            if a == b {
                distinct = false;
                say!("streams {ka:?} and {kb:?} start with the same draws");
            }
        }
    }
    say!(
        "distinct streams: {} ({} (epoch, stream) pairs: the sampler and {} workers per epoch)",
        if distinct { "yes" } else { "NO" },
        heads.len(),
        cfg.workers
    );
    if reproducible && distinct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
