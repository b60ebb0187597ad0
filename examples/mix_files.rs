//! Mix two image files: `out = λ·A + (1 − λ)·B`, with a given λ or one drawn from Beta(α, α).
//!
//! ```text
//! cargo run --release --example mix_files -- a.png b.jpg mixed.png --lambda 0.7
//! cargo run --release --example mix_files -- a.png b.jpg mixed.jpg --alpha 0.4 --seed 3
//! ```
//!
//! PNG and JPEG are read and written through the `image` crate (a dev-dependency with only
//! those two formats). If B's size differs from A's, B is resized to A's size first. The pixels
//! are mixed as `u8` by [`mixup::blend`] with round-to-nearest; the λ printed is the one the
//! kernel applied (a multiple of 1/256), which is the weight the label of A should get.

use image::imageops::{self, FilterType};
use mixup::{Beta, blend};
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;
use std::path::Path;
use std::process::ExitCode;

const USAGE: &str = "\
Mix two images with mixup: OUT = lambda*A + (1 - lambda)*B.

Usage: cargo run --release --example mix_files -- A B OUT [OPTIONS]

A, B and OUT are PNG or JPEG files (OUT's format follows its extension: .png, .jpg, .jpeg).

Options:
  --lambda L    mix with this lambda in [0, 1]
  --alpha A     draw lambda ~ Beta(A, A) instead                  [default: 1.0]
  --seed N      seed of the Xoshiro256PlusPlus generator for --alpha   [default: 42]
  -h, --help    print this help";

enum Weight {
    Lambda(f64),
    Alpha(f64),
}

struct Args {
    a: String,
    b: String,
    out: String,
    weight: Weight,
    seed: u64,
}

fn parse_args() -> Result<Option<Args>, String> {
    let mut files = Vec::new();
    let (mut lambda, mut alpha, mut seed) = (None, None, 42u64);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        if arg == "-h" || arg == "--help" {
            return Ok(None);
        }
        if !arg.starts_with("--") {
            files.push(arg);
            continue;
        }
        let (flag, inline) = match arg.split_once('=') {
            Some((f, v)) => (f.to_string(), Some(v.to_string())),
            None => (arg.clone(), None),
        };
        if !matches!(flag.as_str(), "--lambda" | "--alpha" | "--seed") {
            return Err(format!("unknown option `{arg}`"));
        }
        let value = match inline {
            Some(v) => v,
            None => args
                .next()
                .ok_or_else(|| format!("`{flag}` needs a value"))?,
        };
        match flag.as_str() {
            "--lambda" => {
                let l: f64 = value
                    .parse()
                    .map_err(|_| format!("`--lambda {value}`: not a number"))?;
                if !(0.0..=1.0).contains(&l) {
                    return Err(format!("`--lambda {value}`: lambda must be in [0, 1]"));
                }
                lambda = Some(l);
            }
            "--alpha" => {
                let a: f64 = value
                    .parse()
                    .map_err(|_| format!("`--alpha {value}`: not a number"))?;
                Beta::symmetric(a).map_err(|e| format!("`--alpha {value}`: {e}"))?;
                alpha = Some(a);
            }
            _ => {
                seed = value
                    .parse()
                    .map_err(|_| format!("`--seed {value}`: not an unsigned 64-bit integer"))?;
            }
        }
    }
    let weight = match (lambda, alpha) {
        (Some(_), Some(_)) => return Err("give either --lambda or --alpha, not both".into()),
        (Some(l), None) => Weight::Lambda(l),
        (None, a) => Weight::Alpha(a.unwrap_or(1.0)),
    };
    let [a, b, out]: [String; 3] = files.try_into().map_err(|files: Vec<String>| {
        format!("expected three file names (A B OUT), got {}", files.len())
    })?;
    if output_is_png(&out).is_none() {
        return Err(format!(
            "`{out}`: the output must end in .png, .jpg or .jpeg"
        ));
    }
    Ok(Some(Args {
        a,
        b,
        out,
        weight,
        seed,
    }))
}

/// `Some(true)` for PNG, `Some(false)` for JPEG, `None` for anything else.
fn output_is_png(path: &str) -> Option<bool> {
    let ext = Path::new(path).extension()?.to_str()?.to_ascii_lowercase();
    match ext.as_str() {
        "png" => Some(true),
        "jpg" | "jpeg" => Some(false),
        _ => None,
    }
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(Some(args)) => args,
        Ok(None) => {
            println!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Err(msg) => {
            eprintln!("error: {msg}\nRun with --help for the usage.");
            return ExitCode::from(2);
        }
    };
    match run(&args) {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("error: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn run(args: &Args) -> Result<(), String> {
    let open = |p: &str| image::open(p).map_err(|e| format!("cannot read `{p}`: {e}"));
    let (a, b) = (open(&args.a)?, open(&args.b)?);
    // Keep an alpha channel only when an input has one and the output format can store it.
    let rgba =
        (a.color().has_alpha() || b.color().has_alpha()) && output_is_png(&args.out) == Some(true);
    let (w, h) = (a.width(), a.height());
    let (a, b) = if rgba {
        let b = resize_to(&args.b, b.into_rgba8(), (w, h));
        (a.into_rgba8().into_raw(), b)
    } else {
        let b = resize_to(&args.b, b.into_rgb8(), (w, h));
        (a.into_rgb8().into_raw(), b)
    };

    let lambda = match args.weight {
        Weight::Lambda(l) => l,
        Weight::Alpha(alpha) => {
            let beta = Beta::symmetric(alpha).map_err(|e| e.to_string())?;
            beta.sample(&mut Xoshiro256PlusPlus::seed_from_u64(args.seed))
        }
    };
    let mut out = vec![0u8; a.len()];
    let applied = blend(&mut out, &a, &b, lambda).map_err(|e| e.to_string())?;

    let save = if rgba {
        image::RgbaImage::from_raw(w, h, out).map(|img| img.save(&args.out))
    } else {
        image::RgbImage::from_raw(w, h, out).map(|img| img.save(&args.out))
    };
    match save {
        Some(Ok(())) => {}
        Some(Err(e)) => return Err(format!("cannot write `{}`: {e}", args.out)),
        None => return Err("internal error: buffer size does not match the image size".into()),
    }
    println!(
        "wrote {} ({w}x{h}{}): λ = {lambda:.6} requested, {applied:.6} applied (= {}/256); label weights {applied:.4} for {} and {:.4} for {}",
        args.out,
        if rgba { " RGBA" } else { " RGB" },
        (applied * 256.0).round(),
        args.a,
        1.0 - applied,
        args.b
    );
    Ok(())
}

/// B resized to A's size if needed (a note is printed), as raw interleaved bytes.
fn resize_to<P>(name: &str, img: image::ImageBuffer<P, Vec<u8>>, (w, h): (u32, u32)) -> Vec<u8>
where
    P: image::Pixel<Subpixel = u8> + 'static,
{
    if img.dimensions() == (w, h) {
        return img.into_raw();
    }
    println!(
        "note: `{name}` is {}x{}; resized to {w}x{h} to match the first image",
        img.width(),
        img.height()
    );
    imageops::resize(&img, w, h, FilterType::Triangle).into_raw()
}
