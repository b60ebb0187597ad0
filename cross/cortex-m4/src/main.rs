//! mixup on a Cortex-M4F: the golden scenario shared with `tests/golden.rs` against the same
//! pinned table, then property checks of sampling, pairing and batch mixing, then measurements:
//! instructions per element of the blend kernels (`instructions`, counted by SysTick under
//! `qemu -icount shift=0`) and stack high-water marks of the entry points (`stack`). Reports over
//! semihosting and exits with a failure status on the first panic or after any failed check.
#![no_std]
#![no_main]

use core::sync::atomic::{AtomicU32, Ordering};
use cortex_m_rt::{ExceptionFrame, entry, exception};
use cortex_m_semihosting::{debug, hprintln};
use mixup::{
    Batch, BatchMut, Beta, Draw, ImageLayout, Implementation, Labels, Mixup, Pairing, Permutation,
    Plan, SampleOp, applied_lambda, blend, mix, mix_inplace,
};
use panic_semihosting as _;
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

#[allow(dead_code)]
mod scenario {
    include!("../../../tests/golden/scenario.rs");
}

mod expected {
    include!("../../../tests/golden/expected.rs");
}

static FAILURES: AtomicU32 = AtomicU32::new(0);
static CHECKS: AtomicU32 = AtomicU32::new(0);

/// Counts a check; prints and counts a failure.
macro_rules! check {
    ($cond:expr, $($fmt:tt)+) => {{
        $crate::CHECKS.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
        let ok: bool = $cond;
        if !ok {
            $crate::FAILURES.fetch_add(1, core::sync::atomic::Ordering::Relaxed);
            cortex_m_semihosting::hprintln!($($fmt)+);
        }
    }};
}
pub(crate) use check;

mod instructions;
mod stack;

/// Every value of the scenario against the pinned table, in order.
fn golden() -> usize {
    let mut count = 0usize;
    scenario::run(&mut |seed, what, k, value| {
        let pinned = expected::EXPECTED.get(count);
        check!(
            pinned == Some(&(seed, what, k, value)),
            "golden #{}: seed {:#x} {} [{}]: got {:#018x}, pinned {:?}",
            count,
            seed,
            what,
            k,
            value,
            pinned
        );
        count += 1;
    });
    // The kernel sections again with every implementation this target has (the scalar
    // reference and the baseline loop), against the same entries.
    for imp in Implementation::available() {
        hprintln!(
            "cortex-m4: kernels checked with the {} implementation",
            imp.name()
        );
        scenario::run_kernels(&scenario::SEEDS, imp, &mut |seed, what, k, value| {
            let pinned = expected::EXPECTED
                .iter()
                .find(|r| (r.0, r.1, r.2) == (seed, what, k));
            check!(
                pinned.map(|r| r.3) == Some(value),
                "golden {}: seed {:#x} {} [{}]: got {:#018x}, pinned {:?}",
                imp.name(),
                seed,
                what,
                k,
                value,
                pinned
            );
        });
    }
    check!(
        count == expected::EXPECTED.len(),
        "golden: the scenario produced {} values, the table pins {}",
        count,
        expected::EXPECTED.len()
    );
    count
}

/// λ in [0, 1] and never NaN over α from the smallest subnormal to f64::MAX.
fn sampling(rng: &mut Xoshiro256PlusPlus) {
    let mut alpha = 5e-324f64;
    while alpha.is_finite() {
        let beta = Beta::symmetric(alpha);
        check!(beta.is_ok(), "Beta::symmetric({:e}) refused", alpha);
        if let Ok(beta) = beta {
            for _ in 0..16 {
                let l = beta.sample(rng);
                check!((0.0..=1.0).contains(&l), "α={:e}: λ={}", alpha, l);
            }
        }
        alpha *= 1e7;
    }
    for bad in [0.0, -1.0, f64::NAN, f64::INFINITY] {
        check!(
            Beta::symmetric(bad).is_err(),
            "Beta::symmetric({}) accepted",
            bad
        );
    }
}

/// Every pairing gives a permutation at every batch size up to 40; derangements have no fixed
/// point.
fn pairing(rng: &mut Xoshiro256PlusPlus) {
    let mut buf = [0usize; 40];
    for n in 1..=buf.len() {
        let partners = &mut buf[..n];
        for p in [
            Pairing::Roll(1),
            Pairing::Roll(-7),
            Pairing::Flip,
            Pairing::Shuffle,
            Pairing::Derangement,
        ] {
            let r = p.fill(rng, partners).map(|perm| perm.len());
            if p == Pairing::Derangement && n == 1 {
                check!(r.is_err(), "derangement of one accepted");
                continue;
            }
            check!(r == Ok(n), "{:?} n={}: {:?}", p, n, r);
            // The permutation was given back when it was dropped; check it again from scratch.
            check!(
                Permutation::new(partners).is_ok(),
                "{:?} n={}: not a permutation",
                p,
                n
            );
            if p == Pairing::Derangement {
                check!(
                    partners.iter().enumerate().all(|(i, &j)| i != j),
                    "derangement n={} has a fixed point",
                    n
                );
            }
        }
    }
}

const N: usize = 6;
const LEN: usize = 37;
const C: usize = 5;

/// `Mixup::apply` on f32 and u8 batches: each sample equals `blend` of its original and its
/// partner's original with the λ recorded in its draw, out of place equals in place, and each
/// label row sums to 1.
fn batches(rng: &mut Xoshiro256PlusPlus) {
    let mixup = match Mixup::new(0.4) {
        Ok(m) => m.with_pairing(Pairing::Derangement),
        Err(e) => {
            check!(false, "Mixup::new: {}", e);
            return;
        }
    };
    let classes = [0u8, 1, 2, 3, 4, 0];
    let labels = match Labels::classes(&classes, C).and_then(|l| l.with_smoothing(0.1)) {
        Ok(l) => l,
        Err(e) => {
            check!(false, "Labels: {}", e);
            return;
        }
    };
    let layout = ImageLayout::flat(LEN);
    for round in 0..8 {
        let mut f = [0.0f32; N * LEN];
        for (k, v) in f.iter_mut().enumerate() {
            *v = (k as f32) * 0.25 - 20.0;
        }
        let f0 = f;
        let mut soft = [0.0f32; N * C];
        let mut records = [Draw::default(); N];
        let applied = BatchMut::new(&mut f, layout).and_then(|mut b| {
            mixup
                .apply(rng, &mut b, &labels, &mut records, &mut soft)
                .map(drop)
        });
        check!(applied.is_ok(), "f32 apply: {:?}", applied);
        for (i, d) in records.iter().enumerate() {
            check!((0.0..=1.0).contains(&d.lambda), "f32 λ={}", d.lambda);
            let j = d.partner;
            check!(
                j != i && j < N,
                "round {}: derangement partner {} of {}",
                round,
                j,
                i
            );
            let mut want = [0.0f32; LEN];
            let _ = blend(
                &mut want,
                &f0[i * LEN..][..LEN],
                &f0[j % N * LEN..][..LEN],
                d.lambda,
            );
            check!(
                f[i * LEN..][..LEN] == want,
                "round {}: f32 sample {} is not its blend",
                round,
                i
            );
        }
        for (i, row) in soft.chunks_exact(C).enumerate() {
            let sum: f32 = row.iter().sum();
            check!(
                (sum - 1.0).abs() <= 4.0 * f32::EPSILON,
                "round {}: label row {} sums to {}",
                round,
                i,
                sum
            );
        }

        let mut b = [0u8; N * LEN];
        for (k, v) in b.iter_mut().enumerate() {
            *v = (k * 37 % 256) as u8;
        }
        let b0 = b;
        let mut out = [0u8; N * LEN];
        let applied = BatchMut::new(&mut b, layout).and_then(|mut batch| {
            let draws = mixup.apply(rng, &mut batch, &labels, &mut records, &mut soft)?;
            // Out of place, from the same draws, must agree with in place element by element.
            mix(&mut out, &Batch::new(&b0, layout)?, &draws)
        });
        check!(applied.is_ok(), "u8 apply: {:?}", applied);
        check!(out == b, "round {}: u8 in place differs", round);
        for d in &records {
            check!(
                applied_lambda::<u8>(d.lambda) == Ok(d.lambda),
                "u8 λ={} is not quantized",
                d.lambda
            );
        }
        for (k, (&x, &y)) in out.iter().zip(&b0).enumerate() {
            let z = b0[records[k / LEN].partner % N * LEN + k % LEN];
            check!(
                x >= y.min(z) && x <= y.max(z),
                "u8 {} outside {}..{}",
                x,
                y,
                z
            );
        }
    }
    // Bad input: an error and nothing written.
    let mut partners = [0usize, 0];
    check!(
        Permutation::new(&mut partners).is_err() && partners == [0, 0],
        "a repeated partner was accepted"
    );
    let mut x = [1.0f32; 4];
    let mut two = [1usize, 0];
    let refused = match (
        Permutation::new(&mut two),
        BatchMut::new(&mut x, ImageLayout::flat(2)),
    ) {
        (Ok(perm), Ok(mut batch)) => {
            mix_inplace(&mut batch, Plan::same(&perm, SampleOp::Blend(f64::NAN))).is_err()
        }
        _ => false,
    };
    check!(refused && x == [1.0; 4], "a NaN λ was accepted");
}

#[entry]
fn main() -> ! {
    let pinned = golden();
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0x4d34);
    sampling(&mut rng);
    pairing(&mut rng);
    batches(&mut rng);
    // SysTick free-running for the instruction counts; no interrupt, so the stack below the
    // stack pointer stays the painted one.
    match cortex_m::Peripherals::take() {
        Some(mut p) => instructions::start(&mut p.SYST),
        None => check!(false, "the core peripherals were taken"),
    }
    instructions::run(&mut rng);
    stack::run(&mut rng);
    // A draw after all the checks, so the generator's state is visibly used.
    let tail = rng.next_u32();
    let failures = FAILURES.load(Ordering::Relaxed);
    hprintln!(
        "cortex-m4: {} golden values, {} checks, {} failures (tail {:#010x})",
        pinned,
        CHECKS.load(Ordering::Relaxed),
        failures,
        tail
    );
    debug::exit(if failures == 0 {
        debug::EXIT_SUCCESS
    } else {
        debug::EXIT_FAILURE
    });
    #[allow(clippy::empty_loop)]
    loop {}
}

#[exception]
unsafe fn HardFault(frame: &ExceptionFrame) -> ! {
    hprintln!("hard fault: {:?}", frame);
    debug::exit(debug::EXIT_FAILURE);
    #[allow(clippy::empty_loop)]
    loop {}
}
