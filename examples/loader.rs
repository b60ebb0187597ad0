//! A training-loader loop: several epochs, worker threads that take batches as they come free
//! and mix them, and one random stream per batch (`mixup::Streams`, the `streams` feature).
//!
//! ```text
//! cargo run --release --example loader
//! cargo run --release --example loader -- --epochs 4 --workers 3 --seed 7
//! ```
//!
//! # Streams
//!
//! Every random draw comes from a `Xoshiro256PlusPlus` that depends only on `(seed, epoch,
//! index)`, never on a worker or on timing: `Streams::new(seed).batch(epoch, b)` mixes batch `b`
//! of `epoch`, and index `u64::MAX` (never a batch) is the epoch's sampler, which shuffles the
//! data set. Workers take the next free batch from a shared counter, so which worker mixes which
//! batch, and in what order they finish, changes from run to run; the bytes do not.
//!
//! The example checks that: it runs the whole loop with 1, 2 and 4 workers (and `--workers`),
//! and once more with one worker taking the batches in reverse order, and compares every λ,
//! every partner list and a hash of every mixed batch and its labels. It also checks that the
//! streams of all (epoch, index) pairs start differently. It exits with status 1 if a check
//! fails. (A per-worker stream, as PyTorch's DataLoader seeds them, would change the draws with
//! the worker count.)

use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup, Pairing, SampleOp, Streams};
use rand_core::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};
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
A training-loader loop with mixup: worker threads, one Xoshiro256PlusPlus stream per batch.

Usage: cargo run --release --example loader -- [OPTIONS]

Options:
  --epochs N    number of epochs (1..=100)               [default: 3]
  --workers N   worker threads of the printed run (1..=16) [default: 2]
                (1, 2 and 4 workers always run too, and must agree)
  --seed N      the one seed every stream derives from   [default: 2024]
  -h, --help    print this help";

#[derive(Clone, Copy)]
struct Config {
    epochs: usize,
    workers: usize,
    seed: u64,
}

/// What one worker did with one batch.
#[derive(Debug, Clone)]
struct BatchReport {
    epoch: usize,
    batch: usize,
    /// Which worker mixed it: the one field that may differ between runs.
    worker: usize,
    /// The sample indices of the data set in this batch.
    samples: Vec<usize>,
    mixed: bool,
    lambda: f64,
    partners: Vec<usize>,
    /// FNV-1a over the mixed data and the soft labels.
    hash: u64,
}

impl BatchReport {
    /// Everything but the worker: what must be the same in every run.
    fn outcome(&self) -> (usize, usize, &[usize], bool, u64, &[usize], u64) {
        let r = self;
        let lambda = r.lambda.to_bits();
        (
            r.epoch,
            r.batch,
            &r.samples,
            r.mixed,
            lambda,
            &r.partners,
            r.hash,
        )
    }
}

/// The index of an epoch's sampler stream: never a batch index.
const SAMPLER: u64 = u64::MAX;

/// The stream of batch `index` of `epoch` (or of the sampler, `SAMPLER`).
fn stream(seed: u64, epoch: usize, index: u64) -> Xoshiro256PlusPlus {
    Streams::new(seed).batch(epoch as u64, index)
}

/// How the workers of one run take batches.
#[derive(Clone, Copy)]
struct Schedule {
    workers: usize,
    /// Take the batches last first (a completion order no forward run has).
    reversed: bool,
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

/// One full run: every epoch, every batch, mixed by the worker threads as they come free.
/// Returns the reports in batch order.
fn run(cfg: Config, schedule: Schedule, mixup: &Mixup) -> Result<Vec<BatchReport>, mixup::Error> {
    let batches = DATASET / BATCH; // the last partial batch is dropped, as `drop_last=True`
    let mut reports = Vec::new();
    for epoch in 0..cfg.epochs {
        // The sampler: a fresh uniform order of the data set each epoch. A uniform permutation is
        // exactly what `Pairing::Shuffle` writes.
        let mut order = vec![0usize; DATASET];
        // The permutation is only needed as plain indices here: drop the checked view at once.
        drop(Pairing::Shuffle.fill(&mut stream(cfg.seed, epoch, SAMPLER), &mut order)?);
        let order = &order;
        // The next batch to take: whichever worker is free takes it.
        let next = &AtomicUsize::new(0);

        let (tx, rx) = mpsc::channel();
        std::thread::scope(|scope| {
            for worker in 0..schedule.workers {
                let tx = tx.clone();
                scope.spawn(move || {
                    let mut data = vec![0.0f32; BATCH * SAMPLE_LEN];
                    let mut labels = [0u32; BATCH];
                    let mut soft = vec![0.0f32; BATCH * CLASSES];
                    let mut records = vec![Draw::default(); BATCH];
                    loop {
                        let taken = next.fetch_add(1, Ordering::Relaxed);
                        if taken >= batches {
                            break;
                        }
                        let batch = if schedule.reversed {
                            batches - 1 - taken
                        } else {
                            taken
                        };
                        let samples = order[batch * BATCH..][..BATCH].to_vec();
                        for ((slot, label), &index) in data
                            .chunks_exact_mut(SAMPLE_LEN)
                            .zip(&mut labels)
                            .zip(&samples)
                        {
                            *label = load_sample(index, slot);
                        }
                        // The batch's own stream: the same whichever worker gets here.
                        let mut rng = stream(cfg.seed, epoch, batch as u64);
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
    let shown = Schedule {
        workers: cfg.workers,
        reversed: false,
    };
    let first = match run(cfg, shown, &mixup) {
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

    // Check 1: 1, 2 and 4 workers, and one worker taking the batches last first, give the same
    // bytes as the run above (new threads, another assignment of batches to workers).
    let mut schedules: Vec<Schedule> = [1, 2, 4]
        .into_iter()
        .map(|workers| Schedule {
            workers,
            reversed: false,
        })
        .collect();
    schedules.push(Schedule {
        workers: 1,
        reversed: true,
    });
    let mut identical = true;
    for schedule in schedules {
        let other = match run(cfg, schedule, &mixup) {
            Ok(r) => r,
            Err(e) => {
                eprintln!("error: {e}");
                return ExitCode::FAILURE;
            }
        };
        let same = first.len() == other.len()
            && first
                .iter()
                .zip(&other)
                .all(|(a, b)| a.outcome() == b.outcome());
        let order = if schedule.reversed {
            ", batches taken last first"
        } else {
            ""
        };
        say!(
            "{} worker(s){order}: {}",
            schedule.workers,
            if same {
                "identical λ, partners and bytes"
            } else {
                "DIFFERENT"
            }
        );
        identical &= same;
    }
    say!(
        "worker-independent: {} ({} batches compared per run)",
        if identical { "yes" } else { "NO" },
        first.len()
    );

    // Check 2: the streams differ: the first draws of every (epoch, index) pair, sampler
    // included, are different from those of every other pair.
    let batches = (DATASET / BATCH) as u64;
    let heads: Vec<((usize, u64), [u64; 4])> = (0..cfg.epochs)
        .flat_map(|e| (0..batches).chain([SAMPLER]).map(move |i| (e, i)))
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
        "distinct streams: {} ({} (epoch, index) pairs: the sampler and {batches} batches per epoch)",
        if distinct { "yes" } else { "NO" },
        heads.len(),
    );
    if identical && distinct {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
