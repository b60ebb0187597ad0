//! Instructions per element of the blend kernels, counted on the emulated core.
//!
//! The runner starts qemu with `-icount shift=0`: the virtual clock then advances exactly 1 ns per
//! executed instruction, and SysTick, clocked from the 25 MHz processor clock of mps2-an386,
//! counts one tick per 40 ns, so one tick per 40 instructions. [`calibrate`] checks that ratio on
//! loops of known length before anything is reported. A figure over `CALLS` calls of `BYTES`
//! bytes is within 40 instructions in total, far below the printed precision.
//!
//! On bytes, the crate's kernel (`Kernels::best().blend`, four bytes per 32-bit word on this
//! target) is compared with [`plain_u8`] (and [`plain_i8`]), the documented one-byte formula
//! `(w·a + (256 − w)·b + 128) >> 8` written here one element per iteration, both as LLVM compiles
//! it and kept from unrolling; the outputs are checked byte for byte at every weight. The
//! other element types are measured for reference, out of place and in place.

use core::arch::asm;
use core::hint::black_box;
use cortex_m::peripheral::SYST;
use cortex_m::peripheral::syst::SystClkSource;
use cortex_m_semihosting::hprintln;
use mixup::{Element, Kernels, applied_lambda};
use rand_core::Rng;
use rand_xoshiro::Xoshiro256PlusPlus;

/// SysTick's full 24-bit range; every measurement stays far below it.
const RELOAD: u32 = 0x00FF_FFFF;
/// Instructions per SysTick tick: 1 ns per instruction (`-icount shift=0`) at 25 MHz.
const PER_TICK: u32 = 40;
/// Bytes per buffer in one call.
const BYTES: usize = 4096;
/// Calls per measurement.
const CALLS: u32 = 64;
/// The λ of the measurements (a weight of 77/256 for the integer types).
const LAMBDA: f64 = 0.3;

/// SysTick free-running from the processor clock, no interrupt.
pub fn start(syst: &mut SYST) {
    syst.disable_interrupt();
    syst.set_clock_source(SystClkSource::Core);
    syst.set_reload(RELOAD);
    syst.clear_current();
    syst.enable_counter();
}

/// SysTick ticks taken by `f` (the counter counts down).
#[inline(never)]
fn ticks(f: &mut dyn FnMut()) -> u32 {
    let t0 = SYST::get_current();
    f();
    let t1 = SYST::get_current();
    t0.wrapping_sub(t1) & RELOAD
}

/// `n` iterations of `subs; bne`: exactly `2·n` instructions.
#[inline(never)]
fn spin(n: u32) {
    // SAFETY: a register countdown; no memory, no stack.
    unsafe {
        asm!("2:", "subs {0}, {0}, #1", "bne 2b", inout(reg) n => _, options(nomem, nostack));
    }
}

/// `n` iterations of eight `nop`s, `subs` and `bne`: exactly `10·n` instructions.
#[inline(never)]
fn spin_nops(n: u32) {
    // SAFETY: as in `spin`.
    unsafe {
        asm!(
            "2:",
            "nop", "nop", "nop", "nop", "nop", "nop", "nop", "nop",
            "subs {0}, {0}, #1",
            "bne 2b",
            inout(reg) n => _,
            options(nomem, nostack)
        );
    }
}

/// Checks that one tick is 40 instructions: two loops of known instruction counts, timed at two
/// lengths so that the call overhead cancels (on real hardware a taken branch alone would take
/// several cycles). Returns whether the figures are instruction counts.
pub fn calibrate() -> bool {
    let mut ok = true;
    for (name, per_iter, run) in [
        ("subs/bne", 2u32, spin as fn(u32)),
        ("8 nop + subs/bne", 10, spin_nops),
    ] {
        let n = 100_000;
        let short = ticks(&mut || run(black_box(n)));
        let long = ticks(&mut || run(black_box(2 * n)));
        let instructions = per_iter * n;
        let diff = long.saturating_sub(short);
        // floor() of two readings: the difference is exact to one tick.
        let exact = diff.abs_diff(instructions / PER_TICK) <= 1;
        crate::check!(
            exact,
            "SysTick: {} more instructions ({}) took {} ticks, not {} (is qemu run with \
             -icount shift=0?)",
            instructions,
            name,
            diff,
            instructions / PER_TICK
        );
        hprintln!(
            "cortex-m4: SysTick: {} instructions of {} in {} ticks: {} instructions per tick",
            instructions,
            name,
            diff,
            f64::from(instructions) / f64::from(diff.max(1))
        );
        ok &= exact;
    }
    ok
}

/// The documented `u8` formula, one byte per iteration: the loop a port without the
/// word-parallel kernel would run. LLVM unrolls it four times (still one byte at a time: `ldrb`,
/// `ldrb`, `mul`, `mla`, `add`, `lsr`, `strb` per byte); with `ROLLED` an empty `asm!` statement
/// in the body keeps the Arm runtime unroller away (it skips loops containing a call), which
/// gives the 9-instruction loop (those seven, `subs`, `bne`).
#[inline(never)]
pub fn plain_u8<const ROLLED: bool>(out: &mut [u8], a: &[u8], b: &[u8], wa: u32) {
    let wb = 256u32.wrapping_sub(wa);
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let sum = wa
            .wrapping_mul(u32::from(x))
            .wrapping_add(wb.wrapping_mul(u32::from(y)))
            .wrapping_add(128);
        *o = (sum >> 8) as u8;
        if ROLLED {
            barrier();
        }
    }
}

/// The same formula on signed bytes, `⌊(w·a + (256 − w)·b + 128) / 256⌋`.
#[inline(never)]
pub fn plain_i8<const ROLLED: bool>(out: &mut [i8], a: &[i8], b: &[i8], wa: u32) {
    let (wa, wb) = (wa as i32, 256i32.wrapping_sub(wa as i32));
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        let sum = wa
            .wrapping_mul(i32::from(x))
            .wrapping_add(wb.wrapping_mul(i32::from(y)))
            .wrapping_add(128);
        *o = (sum >> 8) as i8;
        if ROLLED {
            barrier();
        }
    }
}

/// An empty statement the optimizer cannot see through.
#[inline(always)]
fn barrier() {
    // SAFETY: no instruction at all.
    unsafe { asm!("", options(nomem, nostack, preserves_flags)) };
}

/// The fixed-point weight the crate applies for `lambda`, `round(λ·256)`.
fn weight(lambda: f64) -> u32 {
    (applied_lambda::<u8>(lambda).unwrap_or(0.0) * 256.0) as u32
}

/// An element from 32 random bits.
trait Random: Element {
    fn random(bits: u32) -> Self;
}

impl Random for u8 {
    fn random(bits: u32) -> u8 {
        (bits >> 24) as u8
    }
}

impl Random for i8 {
    fn random(bits: u32) -> i8 {
        (bits >> 24) as i8
    }
}

impl Random for u16 {
    fn random(bits: u32) -> u16 {
        (bits >> 16) as u16
    }
}

impl Random for i16 {
    fn random(bits: u32) -> i16 {
        (bits >> 16) as i16
    }
}

impl Random for f32 {
    fn random(bits: u32) -> f32 {
        (bits >> 8) as f32 / 16_777_216.0 * 200.0 - 100.0
    }
}

/// Instructions of `CALLS` calls of `call(len)` at `len` = `n` and `n/2`: per element at `n`
/// (the call included), per element at the margin, and the fixed cost of one call.
struct Figures {
    per_element: f64,
    marginal: f64,
    per_call: f64,
}

fn measure(n: usize, call: &mut dyn FnMut(usize)) -> Figures {
    let mut count = |len: usize| {
        let t = ticks(&mut || {
            for _ in 0..CALLS {
                call(black_box(len));
            }
        });
        crate::check!(t < RELOAD / 2, "a measurement took {} ticks", t);
        f64::from(t * PER_TICK) / f64::from(CALLS)
    };
    let (full, half) = (count(n), count(n / 2));
    Figures {
        per_element: full / n as f64,
        marginal: (full - half) / (n / 2) as f64,
        per_call: 2.0 * half - full,
    }
}

fn report(name: &str, ty: &str, n: usize, f: &Figures) {
    hprintln!(
        "cortex-m4: {:>4} {:<22} {:>6.3} instructions/element at {} elements ({:.3} marginal, \
         {:.0} per call)",
        ty,
        name,
        f.per_element,
        n,
        f.marginal,
        f.per_call
    );
}

fn random_pair<T: Random, const N: usize>(rng: &mut Xoshiro256PlusPlus) -> ([T; N], [T; N]) {
    let mut a = [T::default(); N];
    let mut b = [T::default(); N];
    for (x, y) in a.iter_mut().zip(b.iter_mut()) {
        *x = T::random(rng.next_u32());
        *y = T::random(rng.next_u32());
    }
    (a, b)
}

/// The crate's kernel on `a` and `b`, out of place (written to `out`) and in place; returns the
/// out-of-place figures.
fn kernel<T: Random, const N: usize>(
    ty: &str,
    a: &[T; N],
    b: &[T; N],
    out: &mut [T; N],
) -> Figures {
    let k = Kernels::best();
    let f = measure(N, &mut |len| {
        let r = k.blend(&mut out[..len], &a[..len], &b[..len], black_box(LAMBDA));
        black_box(r.is_ok());
    });
    report("Kernels::blend", ty, N, &f);
    let mut x = *a;
    let g = measure(N, &mut |len| {
        let r = k.blend_inplace(&mut x[..len], &b[..len], black_box(LAMBDA));
        black_box(r.is_ok());
    });
    report("Kernels::blend_inplace", ty, N, &g);
    f
}

/// The crate's kernel on random `N` elements of `T`.
fn kernel_only<T: Random, const N: usize>(rng: &mut Xoshiro256PlusPlus, ty: &str) {
    let (a, b) = random_pair::<T, N>(rng);
    kernel(ty, &a, &b, &mut [T::default(); N]);
}

/// A plain loop: `out`, `a`, `b`, the weight of `a`.
type Plain<T> = fn(&mut [T], &[T], &[T], u32);

/// The plain loops against the kernel on bytes, `u8` or `i8` (`plain` is [`plain_u8`] or
/// [`plain_i8`], as compiled and not unrolled): the figures of each, their outputs compared byte
/// for byte, then a comparison at every weight.
fn bytes<T: Random, const N: usize>(rng: &mut Xoshiro256PlusPlus, ty: &str, plain: [Plain<T>; 2]) {
    let (a, b) = random_pair::<T, N>(rng);
    let mut plain_out = [[T::default(); N]; 2];
    let mut best = Figures {
        per_element: f64::INFINITY,
        marginal: f64::INFINITY,
        per_call: 0.0,
    };
    for ((name, f), out) in ["plain loop", "plain loop, rolled"]
        .into_iter()
        .zip(plain)
        .zip(plain_out.iter_mut())
    {
        let p = measure(N, &mut |len| {
            f(
                &mut out[..len],
                &a[..len],
                &b[..len],
                weight(black_box(LAMBDA)),
            );
        });
        report(name, ty, N, &p);
        if p.marginal < best.marginal {
            best = p;
        }
    }
    let mut kernel_out = [T::default(); N];
    let k = kernel(ty, &a, &b, &mut kernel_out);
    crate::check!(
        plain_out[0] == kernel_out && plain_out[1] == kernel_out,
        "{}: the kernel differs from the plain loops at λ = {}",
        ty,
        LAMBDA
    );
    hprintln!(
        "cortex-m4: {:>4} word-parallel: {:.2}x fewer instructions per byte than the better plain \
         loop ({:.2}x at the margin)",
        ty,
        best.per_element / k.per_element,
        best.marginal / k.marginal
    );
    // Every weight, with the start offset and the tail length varying with it.
    let mut want = [T::default(); N];
    let mut got = [T::default(); N];
    let mut equal = 0;
    for w in 0..=256u32 {
        let lambda = f64::from(w) / 256.0;
        let (off, tail) = ((w % 4) as usize, (w / 4 % 4) as usize);
        let len = N - off - tail;
        let (x, y) = (&a[off..][..len], &b[off..][..len]);
        let applied = mixup::blend(&mut got[..len], x, y, lambda);
        let mut same = applied == Ok(lambda);
        for f in plain {
            f(&mut want[..len], x, y, weight(lambda));
            same &= want[..len] == got[..len];
        }
        crate::check!(
            same,
            "{}: the kernel differs from the plain loops at w = {} (offset {}, {} elements)",
            ty,
            w,
            off,
            len
        );
        equal += u32::from(same);
    }
    hprintln!(
        "cortex-m4: {:>4} kernel = plain loops byte for byte at {} of 257 weights",
        ty,
        equal
    );
}

/// Every measurement, printed, and the byte comparisons.
pub fn run(rng: &mut Xoshiro256PlusPlus) {
    if !calibrate() {
        hprintln!("cortex-m4: SysTick does not count instructions here: the figures are not");
    }
    hprintln!(
        "cortex-m4: instructions per element, {} calls of {} bytes, λ = {}, kernels: {}",
        CALLS,
        BYTES,
        LAMBDA,
        Kernels::best().implementation()
    );
    bytes::<u8, BYTES>(rng, "u8", [plain_u8::<false>, plain_u8::<true>]);
    bytes::<i8, BYTES>(rng, "i8", [plain_i8::<false>, plain_i8::<true>]);
    kernel_only::<u16, { BYTES / 2 }>(rng, "u16");
    kernel_only::<i16, { BYTES / 2 }>(rng, "i16");
    kernel_only::<f32, { BYTES / 4 }>(rng, "f32");
}
