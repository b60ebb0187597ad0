//! Mixup on audio: 16 kHz `i16` clips with multi-label (AudioSet-style) targets, listened to and
//! looked at.
//!
//! ```text
//! cargo run --release --example audio
//! cargo run --release --example audio -- --alpha 0.4 --seed 7 --out /tmp/mix
//! ```
//!
//! It generates a batch of 8 one-second clips of 16-bit PCM at 16 kHz from four sound classes
//! (TONE, CHIRP, NOISE bursts, CLICKS); some clips carry two classes at once, and their label
//! rows split the probability between them (multi-hot rows divided by their count, as AudioSet
//! training does with soft targets). Then, with `Mixup::new(α)` and one λ per pair
//! (`Granularity::Pair`):
//!
//! 1. `Mixup::apply` mixes the `i16` batch in place (`ImageLayout::flat(16000)`: a clip is one
//!    row of samples) and writes the mixed label rows from `Labels::soft`;
//! 2. `Mixup::draw` with the same seed gives the same draws without touching data, and
//!    `collate_i16` turns the original clips into the `f32` batch a model would take, mixed
//!    exactly with the same λ; the example checks that it equals the mixed `i16` batch within
//!    1/32768 per element (it is within half an `i16` step, the rounding of the `i16` mix).
//!
//! It prints λ, the partners and the label rows, and writes into the output directory (default
//! `audio_out/`) three WAV files for each of a few mixed samples (`sampleI_before.wav`, the clip;
//! `sampleI_partner.wav`, its partner; `sampleI_after.wav`, the mix) and `audio_mix.png`, the
//! waveform and spectrogram of each of them, so that the mix can be heard and seen.
//!
//! The WAV files are written with `hound` and the PNG with `png` (dev-dependencies only); the
//! plots, the FFT and the 5×7 bitmap font are drawn here by hand.

use mixup::{Batch, BatchMut, Draw, Granularity, ImageLayout, Labels, Mixup, collate_i16};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;
use std::f64::consts::PI;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

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

/// α = 1 makes λ uniform on [0, 1], so that both parents are audible in most mixes; PANNs and
/// AST train on AudioSet with α in 0.2..1.
const DEFAULT_ALPHA: f64 = 1.0;
const DEFAULT_SEED: u64 = 42;
const DEFAULT_OUT: &str = "audio_out";
/// The clips never depend on `--seed`, so that changing the seed changes only the mixing.
const DATA_SEED: u64 = 0xA0D1_05EE;

const RATE: u32 = 16_000;
/// One second of samples.
const LEN: usize = RATE as usize;
const BATCH: usize = 8;
/// A clip is one row of `LEN` samples.
const LAYOUT: ImageLayout = ImageLayout::flat(LEN);
/// How many mixed samples get WAV files and a row in the picture.
const SHOWN: usize = 4;

const CLASSES: [&str; 4] = ["TONE", "CHIRP", "NOISE", "CLICKS"];
const TONE: usize = 0;
const CHIRP: usize = 1;
const NOISE: usize = 2;
const CLICKS: usize = 3;

const USAGE: &str = "\
Mix a batch of 8 generated 16 kHz i16 clips with mixup (one lambda per pair) and write WAV files
and a picture of a few mixes.

Usage: cargo run --release --example audio -- [OPTIONS]

Options:
  --alpha A     lambda ~ Beta(A, A), A a finite number above 0   [default: 1.0]
  --seed N      seed of the Xoshiro256PlusPlus generator (u64)   [default: 42]
  --out DIR     directory for the WAV files and audio_mix.png    [default: audio_out]
  -h, --help    print this help

Writes DIR/sampleI_before.wav (clip I), DIR/sampleI_partner.wav (its partner),
DIR/sampleI_after.wav (the mix) for a few mixed samples I, and DIR/audio_mix.png.";

struct Options {
    alpha: f64,
    seed: u64,
    out: PathBuf,
}

enum Parsed {
    Run(Options),
    Help,
}

/// Parses `--flag value` and `--flag=value`. Every error names the flag and the bad value.
fn parse_args(args: impl Iterator<Item = String>) -> Result<Parsed, String> {
    let mut opts = Options {
        alpha: DEFAULT_ALPHA,
        seed: DEFAULT_SEED,
        out: PathBuf::from(DEFAULT_OUT),
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
        if !matches!(flag.as_str(), "--alpha" | "--seed" | "--out") {
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
            "--seed" => {
                opts.seed = value
                    .parse()
                    .map_err(|_| format!("`--seed {value}`: not an unsigned 64-bit integer"))?;
            }
            "--out" => {
                if value.is_empty() {
                    return Err("`--out` needs a non-empty directory".to_string());
                }
                opts.out = PathBuf::from(value);
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
    let err = |e: mixup::Error| e.to_string();
    let (clips, rows, classes) = make_batch();
    let mixup = Mixup::new(opts.alpha)
        .map_err(err)?
        .with_granularity(Granularity::Pair);
    let labels = Labels::soft(&rows, CLASSES.len()).map_err(err)?;

    // 1. The i16 batch mixed in place, and its label rows, in one call.
    let mut mixed = clips.clone();
    let mut targets = vec![0.0f32; BATCH * CLASSES.len()];
    let mut records = vec![Draw::default(); BATCH];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let mut batch = BatchMut::new(&mut mixed, LAYOUT).map_err(err)?;
    let draws: Vec<Draw> = mixup
        .apply(&mut rng, &mut batch, &labels, &mut records, &mut targets)
        .map_err(err)?
        .iter()
        .collect();

    // 2. The same draws from the same seed, without touching data, and the f32 batch a model
    //    takes: the original clips mixed exactly with the same λ and scaled to [-1, 1].
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(opts.seed);
    let src = Batch::new(&clips, LAYOUT).map_err(err)?;
    let mut records_f32 = vec![Draw::default(); BATCH];
    let draws_f32 = mixup
        .draw(&mut rng, src.shape(), &mut records_f32)
        .map_err(err)?;
    let mut input = vec![0.0f32; clips.len()];
    collate_i16(&mut input, &src, &draws_f32).map_err(err)?;
    let mut targets_f32 = vec![0.0f32; targets.len()];
    labels.mix(&draws_f32, &mut targets_f32).map_err(err)?;
    if draws_f32.iter().ne(draws.iter().copied()) || targets_f32 != targets {
        return Err("draw with the same seed gave other draws or labels than apply".into());
    }
    drop(draws_f32);
    let max_diff = input
        .iter()
        .zip(&mixed)
        .map(|(&x, &q)| (f64::from(x) - f64::from(q) / 32768.0).abs())
        .fold(0.0f64, f64::max);
    if max_diff > 1.0 / 32768.0 {
        return Err(format!(
            "collate_i16 differs from the mixed i16 batch by {max_diff:e} > 1/32768"
        ));
    }

    say!(
        "mixup on {BATCH} clips of {LEN} i16 samples at {RATE} Hz: alpha {}, seed {}, one lambda per pair (cycle of the shuffle)",
        opts.alpha,
        opts.seed
    );
    say!(
        "lambda is quantized to a multiple of 1/65536 for i16 data; the label rows use that lambda\n"
    );
    say!(
        "{:<7}{:<15}{:>8}  {:>10}  {:<9}mixed label row ({})",
        "sample",
        "classes",
        "partner",
        "lambda",
        "w/65536",
        CLASSES.join(", ").to_lowercase()
    );
    for (i, d) in draws.iter().enumerate() {
        let row = &targets[i * CLASSES.len()..][..CLASSES.len()];
        say!(
            "{:<7}{:<15}{:>8}  {:>10.6}  {:<9}[{}]",
            i,
            classes_name(&classes[i]),
            d.partner,
            d.lambda,
            (d.lambda * 65536.0) as u32,
            row.iter()
                .map(|v| format!("{v:.3}"))
                .collect::<Vec<_>>()
                .join(", ")
        );
    }
    say!(
        "\ncollate_i16 (same draws, f32 batch of {}x{}): max |f32 - mixed i16/32768| = {:.3e} (1/65536 = {:.3e}, 1/32768 = {:.3e})",
        BATCH,
        LEN,
        max_diff,
        1.0 / 65536.0,
        1.0 / 32768.0
    );

    let shown = pick_shown(&draws);

    std::fs::create_dir_all(&opts.out)
        .map_err(|e| format!("cannot create {}: {e}", opts.out.display()))?;
    say!("\nwrote (in {}):", opts.out.display());
    for &i in &shown {
        let j = draws[i].partner;
        for (name, clip) in [
            ("before", sample(&clips, i)),
            ("partner", sample(&clips, j)),
            ("after", sample(&mixed, i)),
        ] {
            let path = opts.out.join(format!("sample{i}_{name}.wav"));
            write_wav(&path, clip).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        say!(
            "  sample{i}_before.wav ({}), sample{i}_partner.wav (clip {j}, {}), sample{i}_after.wav (lambda {:.3})",
            classes_name(&classes[i]),
            classes_name(&classes[j]),
            draws[i].lambda
        );
    }
    let png_path = opts.out.join("audio_mix.png");
    let canvas = picture(opts, &shown, &clips, &mixed, &draws, &classes, &targets);
    canvas
        .write_png(&png_path)
        .map_err(|e| format!("{}: {e}", png_path.display()))?;
    say!(
        "  audio_mix.png (waveforms and spectrograms of those {} mixes)",
        shown.len()
    );
    Ok(())
}

/// Up to `SHOWN` mixed samples (partner ≠ itself) in increasing order: the first sample of
/// every pair (cycle of partners) first, so that each λ is shown, then the other members.
fn pick_shown(draws: &[Draw]) -> Vec<usize> {
    let cycle_of = |i: usize| {
        let mut members = vec![i];
        let mut j = draws[i].partner;
        while j != i {
            members.push(j);
            j = draws[j].partner;
        }
        members
    };
    let mixed: Vec<usize> = (0..draws.len())
        .filter(|&i| draws[i].partner != i)
        .collect();
    let mut shown: Vec<usize> = Vec::new();
    for &i in &mixed {
        if shown.len() < SHOWN && !shown.iter().any(|&s| cycle_of(s).contains(&i)) {
            shown.push(i);
        }
    }
    for &i in &mixed {
        if shown.len() < SHOWN && !shown.contains(&i) {
            shown.push(i);
        }
    }
    if shown.is_empty() {
        shown.push(0); // every sample paired with itself: show one unchanged clip
    }
    shown.sort_unstable();
    shown
}

fn sample(batch: &[i16], i: usize) -> &[i16] {
    &batch[i * LEN..][..LEN]
}

fn classes_name(classes: &[usize]) -> String {
    classes
        .iter()
        .map(|&c| CLASSES[c])
        .collect::<Vec<_>>()
        .join("+")
}

// ---------------------------------------------------------------------------------------------
// The clips.

/// The batch: `BATCH` clips of `LEN` samples, their soft label rows (multi-hot divided by the
/// count) and the classes of each clip.
fn make_batch() -> (Vec<i16>, Vec<f32>, Vec<Vec<usize>>) {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(DATA_SEED);
    // (classes, the clip as a sum of components in [-1, 1])
    let specs: [&[usize]; BATCH] = [
        &[TONE],
        &[CHIRP],
        &[NOISE],
        &[CLICKS],
        &[TONE, CLICKS],
        &[CHIRP, NOISE],
        &[TONE],
        &[NOISE, TONE],
    ];
    let mut clips = Vec::with_capacity(BATCH * LEN);
    let mut rows = vec![0.0f32; BATCH * CLASSES.len()];
    for (i, classes) in specs.iter().enumerate() {
        let mut x = vec![0.0f64; LEN];
        for (k, &c) in classes.iter().enumerate() {
            let part = match (c, i) {
                (TONE, 0) => tone(440.0),
                (TONE, 4) => tone(660.0),
                (TONE, 6) => tone(262.0),
                (TONE, _) => tone(880.0),
                (CHIRP, 1) => chirp(200.0, 4000.0),
                (CHIRP, _) => chirp(3500.0, 300.0),
                (NOISE, _) => noise_bursts(&mut rng, 3 + k),
                (_, 3) => clicks(6.0, 3000.0),
                _ => clicks(4.0, 2000.0),
            };
            for (v, p) in x.iter_mut().zip(part) {
                *v += p;
            }
        }
        // Fade in and out over 10 ms, then scale the clip to a peak of 0.7 of full scale.
        let fade = LEN / 100;
        for t in 0..fade {
            let g = 0.5 - 0.5 * (PI * t as f64 / fade as f64).cos();
            x[t] *= g;
            x[LEN - 1 - t] *= g;
        }
        let peak = x.iter().fold(1e-9f64, |m, v| m.max(v.abs()));
        clips.extend(x.iter().map(|v| (v / peak * 0.7 * 32767.0).round() as i16));
        for &c in classes.iter() {
            rows[i * CLASSES.len() + c] = 1.0 / classes.len() as f32;
        }
    }
    let classes = specs.iter().map(|c| c.to_vec()).collect();
    (clips, rows, classes)
}

/// A tone at `f` Hz with a weaker octave above (so it sounds less like a test signal).
fn tone(f: f64) -> Vec<f64> {
    (0..LEN)
        .map(|t| {
            let s = t as f64 / f64::from(RATE);
            (2.0 * PI * f * s).sin() + 0.3 * (4.0 * PI * f * s).sin()
        })
        .collect()
}

/// A linear sweep from `f0` to `f1` Hz over the clip.
fn chirp(f0: f64, f1: f64) -> Vec<f64> {
    let duration = LEN as f64 / f64::from(RATE);
    (0..LEN)
        .map(|t| {
            let s = t as f64 / f64::from(RATE);
            (2.0 * PI * (f0 * s + (f1 - f0) * s * s / (2.0 * duration))).sin()
        })
        .collect()
}

/// `count` bursts of white noise, 120 ms each with 5 ms ramps, at places drawn from `rng`.
fn noise_bursts(rng: &mut impl Rng, count: usize) -> Vec<f64> {
    let mut x = vec![0.0f64; LEN];
    let (burst, ramp) = (LEN * 12 / 100, LEN / 200);
    let slot = LEN / count;
    for b in 0..count {
        let start = b * slot + (unit(rng) * (slot - burst) as f64) as usize;
        for t in 0..burst {
            let g = (t.min(burst - 1 - t) as f64 / ramp as f64).min(1.0);
            x[start + t] = g * (2.0 * unit(rng) - 1.0);
        }
    }
    x
}

/// A click train: `per_second` damped `ring` Hz oscillations of 3 ms, evenly spaced.
fn clicks(per_second: f64, ring: f64) -> Vec<f64> {
    let period = f64::from(RATE) / per_second;
    (0..LEN)
        .map(|t| {
            let since = (t as f64 % period) / f64::from(RATE);
            (-since / 0.003).exp() * (2.0 * PI * ring * since).sin() * 1.5
        })
        .collect()
}

/// A uniform double in [0, 1).
fn unit(rng: &mut impl Rng) -> f64 {
    (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64
}

fn write_wav(path: &Path, clip: &[i16]) -> Result<(), hound::Error> {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: RATE,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec)?;
    for &v in clip {
        w.write_sample(v)?;
    }
    w.finalize()
}

// ---------------------------------------------------------------------------------------------
// Spectrograms: a Hann-windowed 512-point FFT, one frame per pixel column.

const FFT: usize = 512;

/// An in-place radix-2 FFT of `re + i·im` (length `FFT`), with the twiddles `(cos, sin)` of
/// `−2πk/FFT` for `k < FFT/2`.
fn fft(re: &mut [f64], im: &mut [f64], twiddles: &[(f64, f64)]) {
    let n = re.len();
    let mut j = 0;
    for i in 1..n {
        let mut bit = n >> 1;
        while j & bit != 0 {
            j ^= bit;
            bit >>= 1;
        }
        j |= bit;
        if i < j {
            re.swap(i, j);
            im.swap(i, j);
        }
    }
    let mut len = 2;
    while len <= n {
        let step = n / len;
        for start in (0..n).step_by(len) {
            for k in 0..len / 2 {
                let (wr, wi) = twiddles[k * step];
                let (p, q) = (start + k, start + k + len / 2);
                let (xr, xi) = (re[q] * wr - im[q] * wi, re[q] * wi + im[q] * wr);
                re[q] = re[p] - xr;
                im[q] = im[p] - xi;
                re[p] += xr;
                im[p] += xi;
            }
        }
        len <<= 1;
    }
}

/// The spectrogram of a clip: `columns` frames × `FFT/2` bins, in dB relative to a full-scale
/// sine.
fn spectrogram(clip: &[i16], columns: usize) -> Vec<Vec<f64>> {
    let twiddles: Vec<(f64, f64)> = (0..FFT / 2)
        .map(|k| {
            let a = -2.0 * PI * k as f64 / FFT as f64;
            (a.cos(), a.sin())
        })
        .collect();
    let window: Vec<f64> = (0..FFT)
        .map(|t| 0.5 - 0.5 * (2.0 * PI * t as f64 / FFT as f64).cos())
        .collect();
    // A full-scale sine gives a peak of 32768·(sum of the window)/2 = 32768·FFT/4.
    let full = 32768.0 * FFT as f64 / 4.0;
    (0..columns)
        .map(|c| {
            let start = c * (clip.len() - FFT) / (columns - 1).max(1);
            let mut re: Vec<f64> = clip[start..start + FFT]
                .iter()
                .zip(&window)
                .map(|(&v, &w)| f64::from(v) * w)
                .collect();
            let mut im = vec![0.0; FFT];
            fft(&mut re, &mut im, &twiddles);
            (0..FFT / 2)
                .map(|k| 10.0 * ((re[k] * re[k] + im[k] * im[k]) / (full * full) + 1e-14).log10())
                .collect()
        })
        .collect()
}

/// A dark-to-bright colour ramp (black, purple, red, orange, pale yellow) for `t` in [0, 1].
fn heat(t: f64) -> [u8; 3] {
    const STOPS: [[f64; 3]; 5] = [
        [0.0, 0.0, 4.0],
        [81.0, 18.0, 124.0],
        [183.0, 55.0, 121.0],
        [252.0, 137.0, 97.0],
        [252.0, 253.0, 191.0],
    ];
    let x = t.clamp(0.0, 1.0) * (STOPS.len() - 1) as f64;
    let i = (x as usize).min(STOPS.len() - 2);
    let f = x - i as f64;
    core::array::from_fn(|c| (STOPS[i][c] + (STOPS[i + 1][c] - STOPS[i][c]) * f).round() as u8)
}

// ---------------------------------------------------------------------------------------------
// The picture.

const PAPER: [u8; 3] = [246, 246, 248];
const WAVE_BG: [u8; 3] = [232, 234, 240];
const WAVE: [u8; 3] = [40, 88, 214];

impl Canvas {
    /// The waveform of `clip` in a `w × h` box: the min–max envelope of the samples under each
    /// pixel column, with the zero line.
    fn waveform(&mut self, x: usize, y: usize, (w, h): (usize, usize), clip: &[i16], ink: [u8; 3]) {
        self.fill(x, y, w, h, WAVE_BG);
        let mid = y + h / 2;
        let to_y = |v: i16| {
            let f = f64::from(v) / 32768.0; // [-1, 1): up is positive
            (mid as f64 - f * (h / 2 - 1) as f64).round() as usize
        };
        for col in 0..w {
            let part = &clip[col * clip.len() / w..(col + 1) * clip.len() / w];
            let lo = part.iter().copied().min().unwrap_or(0);
            let hi = part.iter().copied().max().unwrap_or(0);
            for yy in to_y(hi)..=to_y(lo) {
                self.set(x + col, yy, ink);
            }
        }
        for col in (0..w).step_by(4) {
            self.set(x + col, mid, MUTED);
        }
    }

    /// The spectrogram of `clip` in a `w × h` box: low frequencies at the bottom, −90..0 dB of
    /// full scale mapped onto the colour ramp, each pixel row the strongest of its bins.
    fn spectrogram(&mut self, x: usize, y: usize, (w, h): (usize, usize), clip: &[i16]) {
        let spec = spectrogram(clip, w);
        let bins = FFT / 2;
        for (col, frame) in spec.iter().enumerate() {
            for row in 0..h {
                // Row 0 is the top: the highest frequencies.
                let (b0, b1) = ((h - 1 - row) * bins / h, (h - row) * bins / h);
                let db = frame[b0..b1.max(b0 + 1)]
                    .iter()
                    .fold(f64::NEG_INFINITY, |m, &v| m.max(v));
                self.set(x + col, y + row, heat((db + 90.0) / 90.0));
            }
        }
    }
}

const MARGIN: usize = 24;
const AXIS_W: usize = 40; // the frequency labels left of the first panel
const PANEL_W: usize = 300;
const WAVE_H: usize = 52;
const SPEC_H: usize = 128;
const CAPTION_H: usize = 22;
const PANEL_H: usize = CAPTION_H + WAVE_H + 4 + SPEC_H;
const OP_GAP: usize = 40; // room for the "+" and "="
const LABEL_W: usize = 200; // the mixed label row right of the mixed panel
const ROW_GAP: usize = 26;
const HEADER_H: usize = 108;

/// The picture: one row per shown sample, its clip + its partner = the mix, each as a waveform
/// above a spectrogram, and the mixed label row.
fn picture(
    opts: &Options,
    shown: &[usize],
    clips: &[i16],
    mixed: &[i16],
    draws: &[Draw],
    classes: &[Vec<usize>],
    targets: &[f32],
) -> Canvas {
    let width = MARGIN + AXIS_W + 3 * PANEL_W + 2 * OP_GAP + 16 + LABEL_W + MARGIN;
    let height = HEADER_H + shown.len() * (PANEL_H + ROW_GAP) + MARGIN;
    let mut cv = Canvas::new(width, height, PAPER);
    cv.text(MARGIN, MARGIN, "MIXUP ON 16 KHZ I16 AUDIO", 3, INK);
    let settings = format!(
        "α {}, SEED {}, ONE λ PER PAIR (CYCLE OF PARTNERS); LABELS WEIGHTED BY THE QUANTIZED λ.",
        opts.alpha, opts.seed
    );
    cv.text(MARGIN, MARGIN + 32, &settings, 2, MUTED);
    let legend = "EACH CLIP: 1 S OF WAVEFORM ABOVE, SPECTROGRAM 0-8 KHZ BELOW (BRIGHTER = LOUDER).";
    cv.text(MARGIN, MARGIN + 52, legend, 2, MUTED);
    for (r, &i) in shown.iter().enumerate() {
        let d = draws[i];
        let y = HEADER_H + r * (PANEL_H + ROW_GAP);
        let x0 = MARGIN + AXIS_W;
        let xs = [x0, x0 + PANEL_W + OP_GAP, x0 + 2 * (PANEL_W + OP_GAP)];
        let captions = [
            (format!("#{i} {}", classes_name(&classes[i])), INK),
            (
                format!("#{} {}", d.partner, classes_name(&classes[d.partner])),
                INK,
            ),
            (format!("MIX #{i}, λ {:.3}", d.lambda), ACCENT),
        ];
        let data = [sample(clips, i), sample(clips, d.partner), sample(mixed, i)];
        for ((&x, (caption, colour)), clip) in xs.iter().zip(&captions).zip(data) {
            cv.text(x, y, caption, 2, *colour);
            let ink = if *colour == ACCENT { ACCENT } else { WAVE };
            cv.waveform(x, y + CAPTION_H, (PANEL_W, WAVE_H), clip, ink);
            cv.spectrogram(x, y + CAPTION_H + WAVE_H + 4, (PANEL_W, SPEC_H), clip);
        }
        // Frequency labels beside the first spectrogram.
        let sy = y + CAPTION_H + WAVE_H + 4;
        for (label, at) in [("8K", 0), ("4K", SPEC_H / 2 - 3), ("0", SPEC_H - 7)] {
            cv.text(x0 - 6 - text_width(label, 1), sy + at, label, 1, MUTED);
        }
        // "+" and "=" between the panels, at the middle of the spectrograms.
        let op_y = sy + SPEC_H / 2 - 10;
        for (k, op) in ["+", "="].iter().enumerate() {
            let ox = xs[k] + PANEL_W + (OP_GAP - text_width(op, 3)) / 2;
            cv.text(ox, op_y, op, 3, INK);
        }
        // The mixed label row: every class with a non-zero weight.
        let lx = xs[2] + PANEL_W + 16;
        cv.text(lx, y + CAPTION_H, "LABEL", 2, MUTED);
        let row = &targets[i * CLASSES.len()..][..CLASSES.len()];
        let mut ly = y + CAPTION_H + 22;
        for (c, &v) in row.iter().enumerate() {
            if v > 0.0 {
                let line = format!("{:<7}{:.3}", CLASSES[c], v);
                cv.text(lx, ly, &line, 2, INK);
                let bar = (v as f64 * (LABEL_W - 20) as f64).round() as usize;
                cv.fill(lx, ly + 18, bar.max(1), 4, ACCENT);
                ly += 30;
            }
        }
    }
    cv
}
