//! Does mixup help? A small CNN trained on generated shape images whose training labels are
//! partly wrong, once plainly and once with mixup, three seeds each, evaluated on clean held-out
//! images: the experiment of the mixup paper's label-corruption table (Zhang et al. 2018, §3.4),
//! at a size that runs on two CPU cores.
//!
//! ```text
//! cargo run --release -p mixup-burn --example noisy_labels                  # the README's run
//! cargo run --release -p mixup-burn --example noisy_labels -- --quick       # CI: end to end, small
//! cargo run --release -p mixup-burn --example noisy_labels -- --help
//! ```
//!
//! * **Data**: the demo's 8 shape classes (disc, square, triangle, ring, cross, stripes, diamond,
//!   dots) drawn on 24×24 RGB images at a random position and size, in a random colour on a
//!   random background, with per-pixel noise. The images are the same for every seed.
//! * **Label noise**: a fraction of the training labels (`--noise`, 40 % by default) is replaced
//!   by a different class, drawn uniformly; which samples and which wrong classes depend on the
//!   seed. The test images keep their true labels.
//! * **Model**: three 3×3 convolutions (16, 32, 64 channels, max-pooling after the first two), a
//!   128-unit hidden layer, trained with Adam (lr 10⁻³, batch 64, no weight decay) on burn's
//!   pure-Rust CPU backend (flex) with autodiff.
//! * **Plain** training uses cross-entropy on the (noisy) class indices; **mixup** wraps the same
//!   batcher in `MixupBatcher` (α = 1 by default, shuffled partners, one λ per batch) and uses
//!   cross-entropy on the soft labels. Everything else is identical, seed for seed.
//!
//! It prints the clean test accuracy after every epoch, writes a plot of both curves (mean and
//! min–max over the seeds) as a PNG, and prints the final table.

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::loss::CrossEntropyLoss;
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Linear, LinearConfig, PaddingConfig2d, Relu};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::loss::cross_entropy_with_logits;
use mixup_burn::{Mixed, Mixup, MixupBatcher, Streams};
use rand_core::Rng;
use std::process::ExitCode;
use std::time::Instant;

#[path = "../../../examples/common/canvas.rs"]
mod canvas;
use canvas::{Canvas, INK, text_width};

/// `println!` that ignores a closed stdout (e.g. `| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

const SIDE: usize = 24;
const CHANNELS: usize = 3;
const SAMPLE_LEN: usize = CHANNELS * SIDE * SIDE;
const CLASSES: usize = 8;
const CLASS_NAMES: [&str; CLASSES] = [
    "disc", "square", "triangle", "ring", "cross", "stripes", "diamond", "dots",
];
/// The images never depend on the run's seed, so that seeds vary only the label noise, the
/// initialization and the order of the batches.
const DATA_SEED: u64 = 0x5EED_DA7A;
const BATCH: usize = 64;
const LR: f64 = 1e-3;

const USAGE: &str = "\
Train a small CNN on generated shape images with noisy training labels, plainly and with mixup,
and compare the clean test accuracy.

Usage: cargo run --release -p mixup-burn --example noisy_labels -- [OPTIONS]

Options:
  --noise P      fraction of training labels replaced by a wrong class   [default: 0.4]
  --alpha A      mixup's alpha, lambda ~ Beta(A, A)                       [default: 1.0]
  --epochs N     training epochs                                          [default: 20]
  --seeds N      seeds per method (1, 2, ...)                             [default: 3]
  --train N      training images                                          [default: 4000]
  --test N       clean held-out images                                    [default: 1000]
  --out PATH     the plot                                                 [default: docs/noisy_labels.png]
  --quick        a short end-to-end run for CI: 256 training and 128 test images, 2 epochs,
                 1 seed (the other options still apply after it)
  -h, --help     print this help";

#[derive(Debug, Clone)]
struct Options {
    noise: f64,
    alpha: f64,
    epochs: usize,
    seeds: usize,
    train: usize,
    test: usize,
    out: String,
}

fn parse_args() -> Result<Option<Options>, String> {
    let mut o = Options {
        noise: 0.4,
        alpha: 1.0,
        epochs: 20,
        seeds: 3,
        train: 4000,
        test: 1000,
        out: "docs/noisy_labels.png".to_string(),
    };
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => return Ok(None),
            "--quick" => {
                (o.train, o.test, o.epochs, o.seeds) = (256, 128, 2, 1);
                continue;
            }
            _ => {}
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        let known = [
            "--noise", "--alpha", "--epochs", "--seeds", "--train", "--test", "--out",
        ];
        if !known.contains(&flag.as_str()) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        let count = |lo: usize, hi: usize| -> Result<usize, String> {
            match value.parse::<usize>() {
                Ok(n) if (lo..=hi).contains(&n) => Ok(n),
                _ => Err(format!(
                    "`{flag} {value}`: expected an integer in {lo}..={hi}"
                )),
            }
        };
        match flag.as_str() {
            "--noise" => match value.parse::<f64>() {
                Ok(p) if (0.0..=1.0).contains(&p) => o.noise = p,
                _ => return Err(format!("`--noise {value}`: expected a number in [0, 1]")),
            },
            "--alpha" => {
                let a: f64 = value
                    .parse()
                    .map_err(|_| format!("`--alpha {value}`: not a number"))?;
                Mixup::new(a).map_err(|e| format!("`--alpha {value}`: {e}"))?;
                o.alpha = a;
            }
            "--epochs" => o.epochs = count(1, 1000)?,
            "--seeds" => o.seeds = count(1, 100)?,
            "--train" => o.train = count(BATCH, 1_000_000)?,
            "--test" => o.test = count(1, 1_000_000)?,
            _ => {
                if value.is_empty() {
                    return Err("`--out` needs a non-empty path".to_string());
                }
                o.out = value;
            }
        }
    }
    Ok(Some(o))
}

// ---------------------------------------------------------------------------------------------
// Data

#[derive(Debug, Clone)]
struct Sample {
    /// CHW, normalized to about zero mean and unit variance.
    pixels: Vec<f32>,
    label: u8,
}

fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// A standard normal variate (Box–Muller; the data needs no exactness).
fn normal(rng: &mut impl Rng) -> f64 {
    let (u, v) = (unit(rng).max(1e-300), unit(rng));
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// Whether the point (u, v), in units of the shape's radius around its centre, is inside the
/// shape of `class` (the demo's shapes).
fn inside(class: usize, u: f64, v: f64, phase: f64) -> bool {
    let r2 = u * u + v * v;
    match class {
        0 => r2 <= 1.0,
        1 => u.abs() <= 0.8 && v.abs() <= 0.8,
        2 => (-0.95..=0.75).contains(&v) && u.abs() <= (v + 0.95) * 0.62,
        3 => (0.36..=1.0).contains(&r2),
        4 => (u.abs() <= 0.3 && v.abs() <= 1.0) || (v.abs() <= 0.3 && u.abs() <= 1.0),
        // Diagonal stripes inside the shape's disc.
        5 => r2 <= 1.1 && ((u + v) * 1.6 + phase).rem_euclid(2.0) < 1.0,
        6 => u.abs() + v.abs() <= 1.05,
        _ => {
            let g = |t: f64| (t / 0.75).round() * 0.75;
            let (du, dv) = (u - g(u), v - g(v));
            u.abs() <= 1.1 && v.abs() <= 1.1 && du * du + dv * dv <= 0.09
        }
    }
}

/// Sample `index` of a data set: its class, then a random placement, size, colours and noise, all
/// from the sample's own stream, so that any sample can be made alone.
fn make_sample(set: u64, index: usize) -> Sample {
    let mut rng = Streams::new(DATA_SEED).batch(set, index as u64);
    let class = (rng.next_u32() % CLASSES as u32) as usize;
    let radius = 5.0 + 4.0 * unit(&mut rng);
    let margin = radius * 0.8;
    let cx = margin + (SIDE as f64 - 2.0 * margin) * unit(&mut rng);
    let cy = margin + (SIDE as f64 - 2.0 * margin) * unit(&mut rng);
    let phase = 2.0 * unit(&mut rng);
    // A random foreground colour and a background far enough from it to be seen.
    let fg: [f64; 3] = core::array::from_fn(|_| unit(&mut rng));
    let mut bg: [f64; 3] = core::array::from_fn(|_| unit(&mut rng));
    while fg.iter().zip(&bg).map(|(a, b)| (a - b).abs()).sum::<f64>() < 0.6 {
        bg = core::array::from_fn(|_| unit(&mut rng));
    }
    let noise = 0.05 + 0.1 * unit(&mut rng);
    const SS: usize = 3; // 3×3 supersampling for smooth edges
    let mut pixels = vec![0.0f32; SAMPLE_LEN];
    for y in 0..SIDE {
        for x in 0..SIDE {
            let mut hits = 0;
            for sy in 0..SS {
                for sx in 0..SS {
                    let px = x as f64 + (sx as f64 + 0.5) / SS as f64;
                    let py = y as f64 + (sy as f64 + 0.5) / SS as f64;
                    hits += inside(class, (px - cx) / radius, (py - cy) / radius, phase) as u32;
                }
            }
            let cover = hits as f64 / (SS * SS) as f64;
            for c in 0..CHANNELS {
                let v = bg[c] * (1.0 - cover) + fg[c] * cover + noise * normal(&mut rng);
                // Roughly zero mean, unit variance.
                pixels[(c * SIDE + y) * SIDE + x] = ((v - 0.5) / 0.3) as f32;
            }
        }
    }
    Sample {
        pixels,
        label: class as u8,
    }
}

/// `n` samples of data set `set` (0: training, 1: test).
fn make_set(set: u64, n: usize) -> Vec<Sample> {
    (0..n).map(|i| make_sample(set, i)).collect()
}

/// The training set with a fraction `noise` of its labels replaced by another class, drawn
/// uniformly; which ones depends on `seed`. Returns the number of labels changed.
fn corrupt(samples: &mut [Sample], noise: f64, seed: u64) -> usize {
    let mut rng = Streams::new(seed).batch(u64::MAX, 0);
    let n = (noise * samples.len() as f64).round() as usize;
    // The first n of a uniform shuffle of the indices.
    let mut order: Vec<usize> = (0..samples.len()).collect();
    for i in (1..order.len()).rev() {
        order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
    }
    for &i in &order[..n] {
        let shift = 1 + (rng.next_u32() % (CLASSES as u32 - 1)) as u8;
        samples[i].label = (samples[i].label + shift) % CLASSES as u8;
    }
    n
}

#[derive(Debug, Clone)]
struct ShapeBatch {
    images: Tensor<4>,
    targets: Tensor<1, Int>,
}

/// The user's batcher: stacks samples into `[B, 3, 24, 24]` images and `[B]` classes.
#[derive(Debug, Clone)]
struct ShapeBatcher;

impl Batcher<Sample, ShapeBatch> for ShapeBatcher {
    fn batch(&self, items: Vec<Sample>, device: &Device) -> ShapeBatch {
        let n = items.len();
        let pixels: Vec<f32> = items
            .iter()
            .flat_map(|s| s.pixels.iter().copied())
            .collect();
        let labels: Vec<i64> = items.iter().map(|s| i64::from(s.label)).collect();
        ShapeBatch {
            images: Tensor::from_data(TensorData::new(pixels, [n, CHANNELS, SIDE, SIDE]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Model

#[derive(Module, Debug)]
struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    conv3: Conv2d,
    pool: MaxPool2d,
    hidden: Linear,
    out: Linear,
    relu: Relu,
}

impl Cnn {
    fn new(device: &Device) -> Cnn {
        let conv = |i: usize, o: usize| {
            Conv2dConfig::new([i, o], [3, 3])
                .with_padding(PaddingConfig2d::Same)
                .init(device)
        };
        Cnn {
            conv1: conv(CHANNELS, 16),
            conv2: conv(16, 32),
            conv3: conv(32, 64),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            hidden: LinearConfig::new(64 * (SIDE / 4) * (SIDE / 4), 128).init(device),
            out: LinearConfig::new(128, CLASSES).init(device),
            relu: Relu::new(),
        }
    }

    /// `[B, 3, 24, 24]` → `[B, 8]` logits.
    fn forward(&self, x: Tensor<4>) -> Tensor<2> {
        let x = self.pool.forward(self.relu.forward(self.conv1.forward(x))); // 16×12×12
        let x = self.pool.forward(self.relu.forward(self.conv2.forward(x))); // 32×6×6
        let x = self.relu.forward(self.conv3.forward(x)); // 64×6×6
        let x = x.flatten(1, 3);
        self.out.forward(self.relu.forward(self.hidden.forward(x)))
    }
}

/// The fraction of `test` the model classifies correctly.
fn accuracy(model: &Cnn, test: &[Sample], device: &Device) -> f64 {
    let mut correct = 0usize;
    for chunk in test.chunks(500) {
        let batch = ShapeBatcher.batch(chunk.to_vec(), device);
        let predicted = model.forward(batch.images).argmax(1).flatten::<1>(0, 1);
        let predicted: Vec<i64> = predicted
            .into_data()
            .try_into_vec_as::<i64>()
            .unwrap_or_default();
        correct += predicted
            .iter()
            .zip(chunk)
            .filter(|(p, s)| **p == i64::from(s.label))
            .count();
    }
    correct as f64 / test.len() as f64
}

#[derive(Debug, Clone, Copy, PartialEq)]
enum Method {
    Plain,
    Mixup,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Plain => "plain",
            Method::Mixup => "mixup",
        }
    }
}

/// One training run; returns the clean test accuracy after every epoch.
fn train(
    method: Method,
    seed: u64,
    opts: &Options,
    train: &[Sample],
    test: &[Sample],
) -> Result<Vec<f64>, String> {
    let device = Device::flex().autodiff();
    device.seed(seed);
    let mut model = Cnn::new(&device);
    let mut optim = AdamConfig::new().init();
    let mixup = Mixup::new(opts.alpha).map_err(|e| e.to_string())?;
    let dataset = || InMemDataset::new(train.to_vec());
    // The same shuffling seed for both methods: they see the same batches in the same order.
    let plain = DataLoaderBuilder::new(ShapeBatcher)
        .batch_size(BATCH)
        .shuffle(seed)
        .set_device(device.clone())
        .build(dataset());
    // The three lines that turn the plain setup into mixup: wrap the batcher, unpack `Mixed`,
    // and use the soft labels in the loss (below).
    let batcher = MixupBatcher::new(ShapeBatcher, mixup, CLASSES, |b: &mut ShapeBatch| {
        (&mut b.images, &b.targets)
    })
    .with_seed(seed);
    let epoch_handle = batcher.epoch();
    let mixed = DataLoaderBuilder::new(batcher)
        .batch_size(BATCH)
        .shuffle(seed)
        .set_device(device.clone())
        .build(dataset());

    let mut curve = Vec::with_capacity(opts.epochs);
    for epoch in 0..opts.epochs {
        let start = Instant::now();
        let mut loss_sum = 0.0;
        let mut steps = 0usize;
        epoch_handle.set(epoch as u64);
        match method {
            Method::Plain => {
                for item in plain.iter() {
                    let batch = item.map_err(|e| format!("{e:?}"))?;
                    let logits = model.forward(batch.images);
                    let loss = CrossEntropyLoss::new(None, &device).forward(logits, batch.targets);
                    loss_sum += loss.clone().into_scalar::<f32>() as f64;
                    let grads = GradientsParams::from_grads(loss.backward(), &model);
                    model = optim.step(LR, model, grads);
                    steps += 1;
                }
            }
            Method::Mixup => {
                for item in mixed.iter() {
                    let Mixed { batch, soft, .. } = item
                        .map_err(|e| format!("{e:?}"))?
                        .map_err(|e| e.to_string())?;
                    let logits = model.forward(batch.images);
                    let loss = cross_entropy_with_logits(logits, soft);
                    loss_sum += loss.clone().into_scalar::<f32>() as f64;
                    let grads = GradientsParams::from_grads(loss.backward(), &model);
                    model = optim.step(LR, model, grads);
                    steps += 1;
                }
            }
        }
        let acc = accuracy(&model.valid(), test, &device.clone().without_autodiff());
        say!(
            "{:<5} seed {seed} epoch {:>3}: loss {:.4}, clean test accuracy {:5.1} %  ({:.1} s)",
            method.name(),
            epoch + 1,
            loss_sum / steps.max(1) as f64,
            100.0 * acc,
            start.elapsed().as_secs_f64()
        );
        curve.push(acc);
    }
    Ok(curve)
}

// ---------------------------------------------------------------------------------------------
// Statistics and the table

struct Summary {
    mean: f64,
    sd: f64,
    min: f64,
    max: f64,
}

fn summary(values: &[f64]) -> Summary {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let var = if values.len() > 1 {
        values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)
    } else {
        0.0
    };
    Summary {
        mean,
        sd: var.sqrt(),
        min: values.iter().copied().fold(f64::INFINITY, f64::min),
        max: values.iter().copied().fold(f64::NEG_INFINITY, f64::max),
    }
}

// ---------------------------------------------------------------------------------------------
// The plot

const PAPER: [u8; 3] = [255, 255, 255];
const GRID: [u8; 3] = [228, 228, 234];
const PLAIN_COLOUR: [u8; 3] = [120, 120, 130];
const MIXUP_COLOUR: [u8; 3] = [200, 40, 70];

impl Canvas {
    /// A line `width` pixels thick from (x0, y0) to (x1, y1).
    fn line(&mut self, (x0, y0): (f64, f64), (x1, y1): (f64, f64), width: f64, colour: [u8; 3]) {
        let steps = ((x1 - x0).abs().max((y1 - y0).abs()) * 2.0).ceil().max(1.0) as usize;
        let r = width / 2.0;
        for s in 0..=steps {
            let t = s as f64 / steps as f64;
            let (x, y) = (x0 + (x1 - x0) * t, y0 + (y1 - y0) * t);
            let (lo_x, lo_y) = (
                (x - r).floor().max(0.0) as usize,
                (y - r).floor().max(0.0) as usize,
            );
            for yy in lo_y..=(y + r).ceil() as usize {
                for xx in lo_x..=(x + r).ceil() as usize {
                    let d = ((xx as f64 + 0.5 - x).powi(2) + (yy as f64 + 0.5 - y).powi(2)).sqrt();
                    if d <= r + 0.5 {
                        self.blend(xx, yy, colour, (r + 0.5 - d).clamp(0.0, 1.0));
                    }
                }
            }
        }
    }
}

/// The accuracy curves (one per seed) of both methods as a PNG: mean lines and min–max bands.
fn plot(path: &str, opts: &Options, plain: &[Vec<f64>], mixed: &[Vec<f64>]) -> Result<(), String> {
    let (w, h) = (900usize, 540usize);
    let (left, right, top, bottom) = (80.0, 870.0, 70.0, 470.0);
    let mut c = Canvas::new(w, h, PAPER);
    let epochs = plain[0].len();
    let all = plain.iter().chain(mixed).flatten();
    let lowest = all.clone().copied().fold(1.0, f64::min);
    // The y axis from a multiple of 10 % below the lowest value to 100 %.
    let y_min = ((lowest * 10.0).floor() / 10.0).clamp(0.0, 0.9);
    let sx = |e: f64| left + (right - left) * (e - 1.0) / (epochs.max(2) - 1) as f64;
    let sy = |a: f64| bottom - (bottom - top) * (a - y_min) / (1.0 - y_min);
    // Grid and axes.
    let mut tick = y_min;
    while tick <= 1.0 + 1e-9 {
        let y = sy(tick).round() as usize;
        c.fill(left as usize, y, (right - left) as usize + 1, 1, GRID);
        let label = format!("{:.0}%", tick * 100.0);
        c.text(
            left as usize - 10 - text_width(&label, 2),
            y - 7,
            &label,
            2,
            INK,
        );
        tick += 0.1;
    }
    // Epoch 1, then every `every`-th epoch; 1 is left out where its label would touch the next.
    let every = (epochs / 10).max(1);
    for e in (1..=epochs).filter(|e| (*e == 1 && every > 2) || e % every == 0) {
        let x = sx(e as f64).round() as usize;
        c.fill(x, bottom as usize, 1, 6, INK);
        let label = e.to_string();
        c.text(
            x - text_width(&label, 2) / 2,
            bottom as usize + 12,
            &label,
            2,
            INK,
        );
    }
    c.fill(
        left as usize,
        bottom as usize,
        (right - left) as usize + 1,
        2,
        INK,
    );
    c.fill(
        left as usize - 1,
        top as usize,
        2,
        (bottom - top) as usize,
        INK,
    );
    let xlabel = "EPOCH";
    c.text(
        (w - text_width(xlabel, 2)) / 2,
        bottom as usize + 36,
        xlabel,
        2,
        INK,
    );
    let title = format!(
        "CLEAN TEST ACCURACY, {:.0}% OF TRAINING LABELS WRONG ({} SEEDS: MEAN, MIN-MAX)",
        opts.noise * 100.0,
        plain.len()
    );
    c.text((w - text_width(&title, 2)) / 2, 20, &title, 2, INK);
    // Bands, then lines, so the lines stay on top.
    for (runs, colour) in [(plain, PLAIN_COLOUR), (mixed, MIXUP_COLOUR)] {
        let per_epoch: Vec<Summary> = (0..epochs)
            .map(|e| summary(&runs.iter().map(|r| r[e]).collect::<Vec<_>>()))
            .collect();
        for x in left as usize..=right as usize {
            let e = 1.0 + (x as f64 - left) / (right - left) * (epochs.max(2) - 1) as f64;
            let i = (e.floor() as usize - 1).min(epochs - 1);
            let j = (i + 1).min(epochs - 1);
            let t = e - (i + 1) as f64;
            let lo = per_epoch[i].min * (1.0 - t) + per_epoch[j].min * t;
            let hi = per_epoch[i].max * (1.0 - t) + per_epoch[j].max * t;
            for y in sy(hi).round() as usize..=sy(lo).round() as usize {
                c.blend(x, y, colour, 0.18);
            }
        }
    }
    for (runs, colour) in [(plain, PLAIN_COLOUR), (mixed, MIXUP_COLOUR)] {
        let means: Vec<f64> = (0..epochs)
            .map(|e| runs.iter().map(|r| r[e]).sum::<f64>() / runs.len() as f64)
            .collect();
        for e in 1..epochs {
            c.line(
                (sx(e as f64), sy(means[e - 1])),
                (sx(e as f64 + 1.0), sy(means[e])),
                3.0,
                colour,
            );
        }
    }
    // Legend, bottom right of the plot area.
    let legend = [
        (PLAIN_COLOUR, "PLAIN".to_string()),
        (MIXUP_COLOUR, format!("MIXUP, α = {}", opts.alpha)),
    ];
    for (k, (colour, label)) in legend.iter().enumerate() {
        let y = bottom as usize - 70 + 26 * k;
        let x = right as usize - 260;
        c.fill(x, y + 5, 36, 4, *colour);
        c.text(x + 48, y, label, 2, INK);
    }
    c.write_png(path)
        .map_err(|e| format!("cannot write `{path}`: {e}"))
}

// ---------------------------------------------------------------------------------------------

fn main() -> ExitCode {
    let opts = match parse_args() {
        Ok(Some(o)) => o,
        Ok(None) => {
            say!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\nRun with --help for the options.");
            return ExitCode::from(2);
        }
    };
    match run(&opts) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(opts: &Options) -> Result<(), String> {
    let start = Instant::now();
    let clean_train = make_set(0, opts.train);
    let test = make_set(1, opts.test);
    say!(
        "{} training images ({:.0} % of the labels wrong), {} clean test images, 24x24 RGB, {CLASSES} classes ({}); {} epochs, {} seeds; mixup α = {}",
        opts.train,
        opts.noise * 100.0,
        opts.test,
        CLASS_NAMES.join(", "),
        opts.epochs,
        opts.seeds,
        opts.alpha
    );
    let (mut plain, mut mixed) = (Vec::new(), Vec::new());
    for seed in 1..=opts.seeds as u64 {
        let mut train_set = clean_train.clone();
        let changed = corrupt(&mut train_set, opts.noise, seed);
        say!("seed {seed}: {changed} training labels replaced");
        plain.push(train(Method::Plain, seed, opts, &train_set, &test)?);
        mixed.push(train(Method::Mixup, seed, opts, &train_set, &test)?);
    }
    plot(&opts.out, opts, &plain, &mixed)?;
    say!("wrote {}", opts.out);

    let last =
        |runs: &[Vec<f64>]| summary(&runs.iter().map(|r| r[r.len() - 1]).collect::<Vec<_>>());
    let best = |runs: &[Vec<f64>]| {
        summary(
            &runs
                .iter()
                .map(|r| r.iter().copied().fold(0.0, f64::max))
                .collect::<Vec<_>>(),
        )
    };
    say!(
        "\nClean test accuracy, {:.0} % of the training labels wrong, {} seeds (mean ± sd [min, max]):\n",
        opts.noise * 100.0,
        opts.seeds
    );
    say!("| training | final epoch | best epoch |");
    say!("|---|---|---|");
    let cell = |s: Summary| {
        format!(
            "{:.1} % ± {:.1} [{:.1}, {:.1}]",
            100.0 * s.mean,
            100.0 * s.sd,
            100.0 * s.min,
            100.0 * s.max
        )
    };
    say!(
        "| plain | {} | {} |",
        cell(last(&plain)),
        cell(best(&plain))
    );
    say!(
        "| mixup (α = {}) | {} | {} |",
        opts.alpha,
        cell(last(&mixed)),
        cell(best(&mixed))
    );
    say!("\ntotal time {:.0} s", start.elapsed().as_secs_f64());
    Ok(())
}
