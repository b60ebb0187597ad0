//! Stack high-water marks of the entry points on this core: the stack below the current stack
//! pointer is painted with a pattern, the entry point is called, and the deepest word that no
//! longer holds the pattern gives the bytes used. No interrupt is enabled (SysTick runs without
//! one), so nothing else writes below the stack pointer meanwhile.

use core::arch::asm;
use core::fmt::Display;
use core::hint::black_box;
use cortex_m_semihosting::hprintln;
use mixup::{
    Batch, BatchMut, Beta, CutMix, Draw, Element, ImageLayout, Labels, Mixup, Pairing, Plan,
    SampleOp, blend, mix, mix_inplace,
};
use rand_core::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// The paint.
const PATTERN: u32 = 0xC5AC_CE55;
/// Bytes painted below the stack pointer.
const PAINTED: usize = 32 << 10;
/// Calls per entry point; the figure is the deepest of them.
const CALLS: usize = 16;

/// The batch of the measurements: 8 samples of 3×8×8, 10 classes.
const SAMPLES: usize = 8;
const LAYOUT: ImageLayout = ImageLayout::nchw(3, 8, 8);
const SAMPLE_LEN: usize = 3 * 8 * 8;
const CLASSES: usize = 10;

/// Bytes of stack below the caller's stack pointer that `f` wrote, `f`'s own frame included.
#[inline(never)]
fn used(f: &mut dyn FnMut()) -> usize {
    let sp: usize;
    // SAFETY: reads the stack pointer.
    unsafe { asm!("mov {}, sp", out(reg) sp, options(nomem, nostack, preserves_flags)) };
    let bottom = sp - PAINTED;
    // SAFETY: the words below the stack pointer are free RAM (the stack has megabytes of it
    // here) that no interrupt uses; this function's own frame is above `sp`.
    unsafe {
        let mut p = bottom;
        while p < sp {
            (p as *mut u32).write_volatile(PATTERN);
            p += 4;
        }
    }
    f();
    let mut p = bottom;
    // SAFETY: as above; reads only.
    while p < sp && unsafe { (p as *const u32).read_volatile() } == PATTERN {
        p += 4;
    }
    crate::check!(
        p > bottom,
        "stack: the call used all {} painted bytes",
        PAINTED
    );
    sp - p
}

/// The deepest of `CALLS` calls of `f`, printed after `name` and `detail`.
fn report(name: &str, detail: &dyn Display, f: &mut dyn FnMut()) -> usize {
    let deepest = (0..CALLS).map(|_| used(f)).max().unwrap_or(0);
    hprintln!(
        "cortex-m4: stack {:<32} {:<4} {:>5} bytes",
        name,
        detail,
        deepest
    );
    deepest
}

/// A batch of `SAMPLES × SAMPLE_LEN` elements from random bits.
fn batch<T: Element, const N: usize>(
    rng: &mut Xoshiro256PlusPlus,
    from: impl Fn(u32) -> T,
) -> [T; N] {
    let mut x = [T::default(); N];
    for v in &mut x {
        *v = from(rng.next_u32());
    }
    x
}

/// `Mixup::apply`, `mix_inplace` and `mix` on one batch of `T`.
fn entry_points<T: Element, const N: usize>(
    rng: &mut Xoshiro256PlusPlus,
    ty: &str,
    from: impl Fn(u32) -> T + Copy,
) {
    let classes = [0u8, 1, 2, 3, 4, 5, 6, 7];
    let labels = Labels::classes(&classes, CLASSES);
    let mixup = Mixup::new(0.4);
    let cutmix = CutMix::new(1.0).and_then(|c| Mixup::new(0.4)?.with_cutmix(c, 0.5));
    let (Ok(labels), Ok(mixup), Ok(cutmix)) = (labels, mixup, cutmix) else {
        crate::check!(false, "stack: configuration refused");
        return;
    };
    let mut records = [Draw::default(); SAMPLES];
    let mut soft = [0.0f32; SAMPLES * CLASSES];
    let mut data = batch::<T, N>(rng, from);
    for (name, m) in [
        ("Mixup::apply", &mixup),
        ("Mixup::apply (CutMix 0.5)", &cutmix),
    ] {
        let mut ok = true;
        report(name, &ty, &mut || {
            ok &= BatchMut::new(&mut data, LAYOUT)
                .and_then(|mut b| m.apply(rng, &mut b, &labels, &mut records, &mut soft))
                .is_ok();
        });
        crate::check!(ok, "stack: {} {} failed", name, ty);
    }
    let mut partners = [0usize; SAMPLES];
    let src = batch::<T, N>(rng, from);
    let mut out = [T::default(); N];
    let mut ok = true;
    report("mix_inplace (Shuffle, λ = 0.3)", &ty, &mut || {
        ok &= Pairing::Shuffle
            .fill(rng, &mut partners)
            .and_then(|perm| {
                let plan = Plan::same(&perm, SampleOp::Blend(0.3));
                mix_inplace(&mut BatchMut::new(&mut data, LAYOUT)?, plan)
            })
            .is_ok();
    });
    report("mix (Shuffle, λ = 0.3)", &ty, &mut || {
        ok &= Pairing::Shuffle
            .fill(rng, &mut partners)
            .and_then(|perm| {
                let plan = Plan::same(&perm, SampleOp::Blend(0.3));
                mix(&mut out, &Batch::new(&src, LAYOUT)?, plan)
            })
            .is_ok();
    });
    report("blend (one sample)", &ty, &mut || {
        ok &= blend(
            &mut out[..SAMPLE_LEN],
            &src[..SAMPLE_LEN],
            &src[SAMPLE_LEN..][..SAMPLE_LEN],
            black_box(0.3),
        )
        .is_ok();
    });
    crate::check!(ok, "stack: an entry point on {} failed", ty);
}

/// Every measurement, printed.
pub fn run(rng: &mut Xoshiro256PlusPlus) {
    report("(nothing: the measurement itself)", &"", &mut || {});
    entry_points::<f32, { SAMPLES * SAMPLE_LEN }>(rng, "f32", |bits| {
        (bits >> 8) as f32 / 16_777_216.0
    });
    entry_points::<u8, { SAMPLES * SAMPLE_LEN }>(rng, "u8", |bits| (bits >> 24) as u8);
    for alpha in [0.1, 0.4, 0.7, 2.0] {
        let Ok(beta) = Beta::symmetric(alpha) else {
            crate::check!(false, "stack: Beta::symmetric({}) refused", alpha);
            continue;
        };
        let mut lambda = 0.0;
        report("Beta::sample, α =", &alpha, &mut || {
            lambda += beta.sample(rng)
        });
        black_box(lambda);
    }
}
