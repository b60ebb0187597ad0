//! The main demo: mix a batch of generated images and look at the result.
//!
//! ```text
//! cargo run --release --example demo
//! cargo run --release --example demo -- --alpha 0.2 --pairing derangement --seed 7 --out mix.png
//! cargo run --release --example demo -- --mode sample --cutmix 0.5
//! ```
//!
//! It builds 16 synthetic labelled images (64×64 RGB `u8`, one of 8 shape classes each), mixes
//! them in place with `Mixup::new(α)` and its default settings (shuffled partners, every batch
//! mixed, no label smoothing) and a fixed seed, writes a contact sheet (`mixup_demo.png`: each
//! sample, its partner and the mixed image, with λ and the mixed label), prints λ, the partners,
//! a few soft-label rows, and measures the throughput of `Mixup::apply` on that batch.
//!
//! `--mode pair|sample` gives every pair (cycle of the pairing) or every sample a λ of its own,
//! and `--cutmix P` replaces mixup by CutMix with probability P (per sample in sample mode, per
//! batch otherwise). Every setting goes through the same `Mixup::apply` call, which records each
//! sample's partner, operation and λ; with anything but the defaults each row of the picture
//! shows its own λ (for CutMix the fraction of the sample's own pixels kept, with the pasted box
//! outlined).
//!
//! The text in the picture is drawn with a small hand-made 5×7 bitmap font, so the demo needs no
//! font or drawing crate; the PNG is written with the `png` crate (a dev-dependency only).

use mixup::{
    BatchMut, CutMix, Draw, Granularity, ImageLayout, Labels, Mixup, Pairing, SampleOp, Scope,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::process::ExitCode;
use std::time::{Duration, Instant};

#[path = "common/canvas.rs"]
mod canvas;
use canvas::{ACCENT, Canvas, INK, MUTED, text_width};

/// `println!` that ignores a closed stdout (e.g. `| head`) instead of panicking.
macro_rules! say {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The demo's default α: 1.0 makes λ uniform on [0, 1] (the paper's CIFAR-10 setting), so the
/// picture shows clearly visible blends. ImageNet-style training uses 0.2 to 0.4, where most λ
/// are close to 0 or 1; try `--alpha 0.2`.
const DEFAULT_ALPHA: f64 = 1.0;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_OUT: &str = "mixup_demo.png";

/// The generated images never depend on `--seed`, so that changing the seed changes only the
/// mixing.
const DATA_SEED: u64 = 0x5EED_DA7A;

const BATCH: usize = 16;
const SIDE: usize = 64;
const CHANNELS: usize = 3;
const SAMPLE_LEN: usize = SIDE * SIDE * CHANNELS;
/// The images are stored pixel after pixel, the three channels of a pixel together.
const LAYOUT: ImageLayout = ImageLayout::nhwc(CHANNELS, SIDE, SIDE);
/// CutMix's own α: 1 (a uniform box area), as in the CutMix paper and timm.
const CUTMIX_ALPHA: f64 = 1.0;

const CLASSES: [&str; 8] = [
    "DISC", "SQUARE", "TRIANGLE", "RING", "CROSS", "STRIPES", "DIAMOND", "DOTS",
];
/// One strong colour per class, so that a label is also visible as a colour.
const CLASS_COLOURS: [[u8; 3]; 8] = [
    [214, 48, 49],
    [235, 130, 20],
    [196, 160, 0],
    [46, 150, 64],
    [18, 140, 160],
    [40, 88, 214],
    [136, 62, 200],
    [210, 48, 146],
];

const USAGE: &str = "\
Mix a batch of 16 generated 64x64 RGB images with mixup and write a contact sheet.

Usage: cargo run --release --example demo -- [OPTIONS]

Options:
  --alpha A        lambda ~ Beta(A, A), A a finite number above 0   [default: 1.0]
  --pairing P      roll | flip | shuffle | derangement              [default: shuffle]
  --mode M         batch | pair | sample                            [default: batch]
                   one lambda per batch, per pair (cycle of the
                   pairing) or per sample
  --cutmix P       CutMix (alpha 1.0) instead of mixup with         [default: off]
                   probability P in [0, 1], decided per sample in
                   sample mode and per batch otherwise
  --seed N         seed of the Xoshiro256PlusPlus generator (u64)   [default: 42]
  --out PATH       where to write the PNG contact sheet             [default: mixup_demo.png]
  -h, --help       print this help

Without options it uses Mixup::new(1.0) with its defaults (shuffled partners, every batch
mixed, no label smoothing) and seed 42. With --mode pair|sample or --cutmix every row of
the picture shows its own lambda.";

struct Options {
    alpha: f64,
    pairing: Pairing,
    pairing_name: &'static str,
    mode: Granularity,
    mode_name: &'static str,
    /// The CutMix switch probability, if `--cutmix` was given.
    cutmix: Option<f64>,
    seed: u64,
    out: String,
}

impl Options {
    /// The configuration the demo mixes with.
    fn mixup(&self) -> Result<Mixup, mixup::Error> {
        let mut m = Mixup::new(self.alpha)?
            .with_pairing(self.pairing)
            .with_granularity(self.mode);
        if let Some(p) = self.cutmix {
            let scope = if self.mode == Granularity::Sample {
                Scope::Sample
            } else {
                Scope::Batch
            };
            m = m
                .with_cutmix(CutMix::new(CUTMIX_ALPHA)?, p)?
                .with_switch_scope(scope);
        }
        Ok(m)
    }
}

enum Parsed {
    Run(Options),
    Help,
}

/// Parses `--flag value` and `--flag=value`. Every error names the flag and the bad value.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut opts = Options {
        alpha: DEFAULT_ALPHA,
        pairing: Pairing::Shuffle,
        pairing_name: "shuffle",
        mode: Granularity::Batch,
        mode_name: "batch",
        cutmix: None,
        seed: DEFAULT_SEED,
        out: DEFAULT_OUT.to_string(),
    };
    let mut args = args.peekable();
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(Parsed::Help);
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f.to_string(), Some(v.to_string())),
            _ => (arg.clone(), None),
        };
        if !matches!(
            flag.as_str(),
            "--alpha" | "--pairing" | "--mode" | "--cutmix" | "--seed" | "--out"
        ) {
            return Err(format!("unknown argument `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        match flag.as_str() {
            "--alpha" => {
                let a: f64 = value
                    .parse()
                    .map_err(|_| format!("`--alpha {value}`: not a number"))?;
                // Mixup::new checks the range; this gives the error message early and with the flag.
                Mixup::new(a).map_err(|e| format!("`--alpha {value}`: {e}"))?;
                opts.alpha = a;
            }
            "--pairing" => {
                (opts.pairing, opts.pairing_name) = match value.as_str() {
                    "roll" => (Pairing::Roll(1), "roll"),
                    "flip" => (Pairing::Flip, "flip"),
                    "shuffle" => (Pairing::Shuffle, "shuffle"),
                    "derangement" => (Pairing::Derangement, "derangement"),
                    _ => {
                        return Err(format!(
                            "`--pairing {value}`: expected roll, flip, shuffle or derangement"
                        ));
                    }
                }
            }
            "--mode" => {
                (opts.mode, opts.mode_name) = match value.as_str() {
                    "batch" => (Granularity::Batch, "batch"),
                    "pair" => (Granularity::Pair, "pair"),
                    "sample" => (Granularity::Sample, "sample"),
                    _ => {
                        return Err(format!("`--mode {value}`: expected batch, pair or sample"));
                    }
                }
            }
            "--cutmix" => {
                let p: f64 = value
                    .parse()
                    .map_err(|_| format!("`--cutmix {value}`: not a number"))?;
                // with_cutmix checks the range; this gives the error message early and with the flag.
                Mixup::new(DEFAULT_ALPHA)
                    .and_then(|m| m.with_cutmix(CutMix::new(CUTMIX_ALPHA)?, p))
                    .map_err(|e| format!("`--cutmix {value}`: {e}"))?;
                opts.cutmix = Some(p);
            }
            "--seed" => {
                opts.seed = value
                    .parse()
                    .map_err(|_| format!("`--seed {value}`: not an unsigned 64-bit integer"))?;
            }
            "--out" => {
                if value.is_empty() {
                    return Err("`--out` needs a non-empty path".to_string());
                }
                opts.out = value;
            }
            _ => unreachable!("flag names are checked above"),
        }
    }
    Ok(Parsed::Run(opts))
}

fn main() -> ExitCode {
    let opts = match parse_args(std::env::args().skip(1)) {
        Ok(Parsed::Run(opts)) => opts,
        Ok(Parsed::Help) => {
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
    let (originals, labels) = make_batch();
    let mixup = opts.mixup().map_err(|e| e.to_string())?;
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);

    let mut mixed = originals.clone();
    let mut soft = vec![0.0f32; BATCH * CLASSES.len()];
    let mut records = vec![Draw::default(); BATCH];
    // One call for every configuration: it records each sample's partner, operation and λ.
    let classes = Labels::classes(&labels, CLASSES.len()).map_err(|e| e.to_string())?;
    let mut batch = BatchMut::new(&mut mixed, LAYOUT).map_err(|e| e.to_string())?;
    let draws = mixup
        .apply(&mut rng, &mut batch, &classes, &mut records, &mut soft)
        .map_err(|e| e.to_string())?;
    let got: Vec<Draw> = draws.iter().collect();
    drop(draws);
    let partners: Vec<usize> = got.iter().map(|d| d.partner).collect();
    let lambdas: Vec<f64> = got.iter().map(|d| d.lambda).collect();
    let ops: Vec<SampleOp> = got.iter().map(|d| d.op).collect();
    // One λ for the whole batch (the default) is shown once; every other setting per row.
    let one_lambda = opts.mode == Granularity::Batch && opts.cutmix.is_none();
    let batch_lambda = one_lambda.then(|| {
        got.iter()
            .find(|d| matches!(d.op, SampleOp::Blend(_)))
            .map_or(1.0, |d| d.lambda)
    });
    let ops = (!one_lambda).then_some(ops);

    if let Some(lam) = batch_lambda {
        say!(
            "mixup demo: {BATCH} images of {SIDE}x{SIDE}x{CHANNELS} u8, {} classes; Mixup::new({:?}) with pairing {}, seed {}",
            CLASSES.len(),
            opts.alpha,
            opts.pairing_name,
            opts.seed
        );
        say!(
            "lambda = {lam:.6} (one per batch; for u8 data the applied weight is a multiple of 1/256: {}/256)",
            (lam * 256.0).round()
        );
    } else {
        say!(
            "mixup demo: {BATCH} images of {SIDE}x{SIDE}x{CHANNELS} u8, {} classes; Mixup::new({:?}) with pairing {}, mode {}, {}, seed {}",
            CLASSES.len(),
            opts.alpha,
            opts.pairing_name,
            opts.mode_name,
            cutmix_setting(opts),
            opts.seed
        );
        say!(
            "lambda of each sample (mixup: the applied weight, a multiple of 1/256 for u8 data; cutmix: the fraction of its own pixels kept; kept: 1):"
        );
        let ops = ops.as_deref().unwrap_or_default();
        for (k, chunk) in lambdas.chunks(4).enumerate() {
            let cells: Vec<String> = chunk
                .iter()
                .enumerate()
                .map(|(c, lam)| {
                    let i = 4 * k + c;
                    format!("#{i:<2} {lam:.4} {:<6}", op_name(&ops[i]))
                })
                .collect();
            say!("  {}", cells.join("  ").trim_end());
        }
    }
    say!("partners = {partners:?}");
    let selfs = partners
        .iter()
        .enumerate()
        .filter(|&(i, &p)| i == p)
        .count();
    if selfs > 0 {
        say!(
            "  ({selfs} sample(s) paired with themselves stay unchanged; --pairing derangement avoids that)"
        );
    }
    say!(
        "soft labels, first 4 rows (columns: {}):",
        CLASSES.join(" ")
    );
    for (i, row) in soft.chunks(CLASSES.len()).take(4).enumerate() {
        let cells: Vec<String> = row.iter().map(|v| format!("{v:.4}")).collect();
        say!(
            "  #{i:<2} {} + #{:<2} {} -> [{}]",
            CLASSES[labels[i] as usize],
            partners[i],
            CLASSES[labels[partners[i]] as usize],
            cells.join(", ")
        );
    }

    let sheet = contact_sheet(
        opts,
        &originals,
        &mixed,
        &labels,
        &partners,
        &lambdas,
        ops.as_deref(),
        batch_lambda,
    );
    sheet
        .write_png(&opts.out)
        .map_err(|e| format!("cannot write `{}`: {e}", opts.out))?;
    say!(
        "wrote {} ({}x{} contact sheet: sample + partner = mixed)",
        opts.out,
        sheet.width,
        sheet.height
    );

    throughput(&mixup, &originals, &labels)
}

/// How the CutMix setting reads in the console line.
fn cutmix_setting(opts: &Options) -> String {
    match opts.cutmix {
        None => "no cutmix".to_string(),
        Some(p) => {
            let per = if opts.mode == Granularity::Sample {
                "sample"
            } else {
                "batch"
            };
            format!("cutmix with probability {p:?} per {per} (CutMix::new({CUTMIX_ALPHA:?}))")
        }
    }
}

fn op_name(op: &SampleOp) -> &'static str {
    match op {
        SampleOp::Keep => "kept",
        SampleOp::Blend(_) => "mixup",
        SampleOp::Paste(_) => "cutmix",
        _ => "other",
    }
}

/// Mixes the batch again and again for about 0.3 s, as `u8` and as `f32`, and prints the rates.
fn throughput(mixup: &Mixup, originals: &[u8], labels: &[u32]) -> Result<(), String> {
    fn measure<T: mixup::Element>(
        mixup: &Mixup,
        batch: &mut [T],
        labels: &[u32],
    ) -> Result<(u64, Duration), String> {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(1);
        let mut soft = vec![0.0f32; BATCH * CLASSES.len()];
        let mut records = vec![Draw::default(); BATCH];
        let labels = Labels::classes(labels, CLASSES.len()).map_err(|e| e.to_string())?;
        let mut batch = BatchMut::new(batch, LAYOUT).map_err(|e| e.to_string())?;
        let start = Instant::now();
        let mut iters = 0u64;
        while start.elapsed() < Duration::from_millis(300) {
            mixup
                .apply(&mut rng, &mut batch, &labels, &mut records, &mut soft)
                .map_err(|e| e.to_string())?;
            iters += 1;
        }
        Ok((iters, start.elapsed()))
    }
    let report = |name: &str, elem: usize, (iters, time): (u64, Duration)| {
        let secs = time.as_secs_f64();
        let bytes = (iters as usize * BATCH * SAMPLE_LEN * elem) as f64;
        say!(
            "  {name}: {:>8.0} MB/s, {:>9.0} images/s ({iters} batches of {} KiB in {secs:.2} s)",
            bytes / secs / 1e6,
            (iters as usize * BATCH) as f64 / secs,
            BATCH * SAMPLE_LEN * elem / 1024
        );
    };
    say!(
        "throughput of Mixup::apply in place (lambda, partners, data and labels), one thread, cache-resident batch:"
    );
    let mut bytes = originals.to_vec();
    report("u8 ", 1, measure(mixup, &mut bytes, labels)?);
    let mut floats: Vec<f32> = originals.iter().map(|&v| v as f32 / 255.0).collect();
    report("f32", 4, measure(mixup, &mut floats, labels)?);
    say!("  (a quick estimate; the criterion benches in benches/ are the measurement)");
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

/// 16 images, two of each class in a shuffled order, each with its own position, size, colour
/// jitter and background.
fn make_batch() -> (Vec<u8>, Vec<u32>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(DATA_SEED);
    let mut labels: Vec<u32> = (0..BATCH as u32)
        .map(|i| i % CLASSES.len() as u32)
        .collect();
    for i in (1..labels.len()).rev() {
        let j = (rng.next_u32() as usize) % (i + 1);
        labels.swap(i, j);
    }
    let mut data = vec![0u8; BATCH * SAMPLE_LEN];
    for (img, &class) in data.chunks_exact_mut(SAMPLE_LEN).zip(&labels) {
        draw_sample(img, class as usize, &mut rng);
    }
    (data, labels)
}

fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

/// Whether the point (u, v), in units of the shape's radius around its centre, is inside the
/// shape of `class`.
fn inside(class: usize, u: f64, v: f64, phase: f64) -> bool {
    let r2 = u * u + v * v;
    match class {
        0 => r2 <= 1.0,
        1 => u.abs() <= 0.8 && v.abs() <= 0.8,
        2 => (-0.95..=0.75).contains(&v) && u.abs() <= (v + 0.95) * 0.62,
        3 => (0.36..=1.0).contains(&r2),
        4 => (u.abs() <= 0.3 && v.abs() <= 1.0) || (v.abs() <= 0.3 && u.abs() <= 1.0),
        // Diagonal stripes over the whole image (u, v are not bounded here).
        5 => ((u + v) * 1.6 + phase).rem_euclid(2.0) < 1.0,
        6 => u.abs() + v.abs() <= 1.05,
        _ => {
            let g = |t: f64| (t / 0.75).round() * 0.75;
            let (du, dv) = (u - g(u), v - g(v));
            u.abs() <= 1.1 && v.abs() <= 1.1 && du * du + dv * dv <= 0.09
        }
    }
}

fn draw_sample(img: &mut [u8], class: usize, rng: &mut impl Rng) {
    let cx = 22.0 + 20.0 * unit(rng);
    let cy = 22.0 + 20.0 * unit(rng);
    let radius = 15.0 + 8.0 * unit(rng);
    let phase = 2.0 * unit(rng);
    let jitter = |c: u8, rng: &mut Xoshiro256PlusPlus| {
        (c as f64 + 30.0 * (unit(rng) - 0.5)).clamp(0.0, 255.0)
    };
    let mut jrng = Xoshiro256PlusPlus::seed_from_u64(rng.next_u64());
    let fg = CLASS_COLOURS[class].map(|c| jitter(c, &mut jrng));
    // A pale two-colour gradient background.
    let bg0: [f64; 3] = core::array::from_fn(|_| 200.0 + 50.0 * unit(rng));
    let bg1: [f64; 3] = core::array::from_fn(|_| 160.0 + 60.0 * unit(rng));
    const SS: usize = 4; // 4×4 supersampling for smooth edges
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
            let t = (x + y) as f64 / (2 * SIDE - 2) as f64;
            // A soft shadow to the lower right gives the shapes some depth.
            let shade = 1.0 - 0.12 * ((x as f64 - cx) + (y as f64 - cy)).max(0.0) / SIDE as f64;
            let px = &mut img[(y * SIDE + x) * CHANNELS..][..CHANNELS];
            for c in 0..CHANNELS {
                let bg = bg0[c] * (1.0 - t) + bg1[c] * t;
                px[c] = (bg * (1.0 - cover) + fg[c] * shade * cover).round() as u8;
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Contact sheet

const PAPER: [u8; 3] = [246, 246, 248];

impl Canvas {
    /// Draws a 64×64 image scaled up `scale` times (nearest neighbour: the pixels stay visible).
    fn image(&mut self, x: usize, y: usize, img: &[u8], scale: usize) {
        for yy in 0..SIDE * scale {
            for xx in 0..SIDE * scale {
                let src = ((yy / scale) * SIDE + xx / scale) * CHANNELS;
                let dst = ((y + yy) * self.width + x + xx) * 3;
                self.rgb[dst..dst + 3].copy_from_slice(&img[src..src + 3]);
            }
        }
    }
}

const SCALE: usize = 2; // images drawn at 128×128
const TILE: usize = SIDE * SCALE;
const MARGIN: usize = 24;
const OP_GAP: usize = 36; // room for the "+" and "=" between tiles
const LABEL_W: usize = 190; // the text column right of the mixed image
const BLOCK_W: usize = 3 * TILE + 2 * OP_GAP + 20 + LABEL_W;
const COLUMN_GAP: usize = 40;
const ROW_H: usize = TILE + 40;
const HEADER_H: usize = 92;

#[allow(clippy::too_many_arguments)]
fn contact_sheet(
    opts: &Options,
    originals: &[u8],
    mixed: &[u8],
    labels: &[u32],
    partners: &[usize],
    lambdas: &[f64],
    ops: Option<&[SampleOp]>,
    batch_lambda: Option<f64>,
) -> Canvas {
    let rows_per_column = BATCH.div_ceil(2);
    let width = 2 * MARGIN + 2 * BLOCK_W + COLUMN_GAP;
    let height = HEADER_H + rows_per_column * ROW_H + MARGIN / 2;
    let mut cv = Canvas::new(width, height, PAPER);

    let (title, sub) = match batch_lambda {
        Some(lam) => (
            format!(
                "MIXUP  α={:?}  PAIRING={}  SEED={}  λ={lam:.4}",
                opts.alpha,
                opts.pairing_name.to_uppercase(),
                opts.seed
            ),
            "EACH ROW: SAMPLE + PARTNER = λ·SAMPLE + (1-λ)·PARTNER;  LABEL = THE SAME MIX OF THE ONE-HOT LABELS".to_string(),
        ),
        None => {
            let cut = match opts.cutmix {
                Some(p) => format!("  CUTMIX P={p:?}"),
                None => String::new(),
            };
            let per = match opts.mode {
                Granularity::Batch => "ONE λ PER BATCH",
                Granularity::Pair => "ONE λ PER PAIR (CYCLE OF PARTNERS)",
                _ => "ONE λ PER SAMPLE",
            };
            let how = if opts.cutmix.is_some() {
                "MIXUP: λ·SAMPLE + (1-λ)·PARTNER;  CUTMIX: A BOX OF THE PARTNER, λ = OWN PIXELS KEPT"
            } else {
                "MIXED = λ·SAMPLE + (1-λ)·PARTNER;  LABEL = THE SAME MIX OF THE ONE-HOT LABELS"
            };
            (
                format!(
                    "MIXUP  α={:?}  MODE={}{cut}  PAIRING={}  SEED={}",
                    opts.alpha,
                    opts.mode_name.to_uppercase(),
                    opts.pairing_name.to_uppercase(),
                    opts.seed
                ),
                format!("{per}.  {how}"),
            )
        }
    };
    // A long seed or α would run off the sheet at the title's size.
    let title_scale = if text_width(&title, 3) <= width - 2 * MARGIN {
        3
    } else {
        2
    };
    cv.text(MARGIN, 18, &title, title_scale, INK);
    cv.text(MARGIN, 56, &sub, 2, MUTED);
    cv.fill(
        MARGIN,
        HEADER_H - 12,
        width - 2 * MARGIN,
        2,
        [210, 210, 218],
    );

    let sample = |b: &[u8], i: usize| b[i * SAMPLE_LEN..][..SAMPLE_LEN].to_vec();
    for i in 0..BATCH {
        let (col, row) = (i / rows_per_column, i % rows_per_column);
        let x0 = MARGIN + col * (BLOCK_W + COLUMN_GAP);
        let y0 = HEADER_H + row * ROW_H;
        let ty = y0 + 24; // tiles start below their captions
        let j = partners[i];
        let (ci, cj) = (labels[i] as usize, labels[j] as usize);

        let xs = [x0, x0 + TILE + OP_GAP, x0 + 2 * (TILE + OP_GAP)];
        cv.text(xs[0], y0 + 4, &format!("#{i} {}", CLASSES[ci]), 2, INK);
        cv.text(xs[1], y0 + 4, &format!("#{j} {}", CLASSES[cj]), 2, INK);
        cv.text(xs[2], y0 + 4, "MIXED", 2, INK);
        cv.image(xs[0], ty, &sample(originals, i), SCALE);
        cv.image(xs[1], ty, &sample(originals, j), SCALE);
        cv.image(xs[2], ty, &sample(mixed, i), SCALE);
        // The operators, centred in the gaps.
        let op_y = ty + TILE / 2 - 10;
        cv.text(xs[0] + TILE + (OP_GAP - 14) / 2, op_y, "+", 3, MUTED);
        cv.text(xs[1] + TILE + (OP_GAP - 14) / 2, op_y, "=", 3, MUTED);

        // The label column: λ, the mixed label, and a bar with the two label weights.
        let lx = xs[2] + TILE + 20;
        let lam = lambdas[i];
        let op = ops.map(|ops| ops[i]);
        if i == j || op == Some(SampleOp::Keep) {
            let why = if i == j { "SELF-PAIR" } else { "NOT MIXED" };
            cv.text(lx, ty + 4, why, 2, ACCENT);
            cv.text(lx, ty + 26, "UNCHANGED", 2, MUTED);
            cv.text(lx, ty + 58, &format!("1.00 {}", CLASSES[ci]), 2, INK);
        } else {
            cv.text(lx, ty + 4, &format!("λ={lam:.4}"), 3, ACCENT);
            let (wi, wj) = if ci == cj {
                (1.0, 0.0)
            } else {
                (lam, 1.0 - lam)
            };
            cv.text(lx, ty + 40, &format!("{wi:.2} {}", CLASSES[ci]), 2, INK);
            if ci != cj {
                cv.text(lx, ty + 62, &format!("{wj:.2} {}", CLASSES[cj]), 2, INK);
            } else {
                cv.text(lx, ty + 62, "(SAME CLASS)", 2, MUTED);
            }
            let bar_w = LABEL_W - 10;
            let split = ((wi * bar_w as f64).round() as usize).min(bar_w);
            let by = ty + 92;
            cv.fill(lx, by, split, 14, CLASS_COLOURS[ci]);
            cv.fill(lx + split, by, bar_w - split, 14, CLASS_COLOURS[cj]);
            match op {
                Some(SampleOp::Paste(rect)) => {
                    cv.text(lx, ty + 112, "CUTMIX", 2, ACCENT);
                    // Outline the pasted box on the mixed tile, so the cut is easy to find.
                    cv.frame(
                        xs[2] + rect.x1 * SCALE,
                        ty + rect.y1 * SCALE,
                        (rect.x2 - rect.x1) * SCALE,
                        (rect.y2 - rect.y1) * SCALE,
                        [255, 255, 255],
                    );
                }
                Some(SampleOp::Blend(_)) if opts.cutmix.is_some() => {
                    cv.text(lx, ty + 112, "MIXUP", 2, MUTED);
                }
                _ => {}
            }
        }
    }
    debug_assert!(text_width("MIXED", 2) < TILE);
    cv
}
