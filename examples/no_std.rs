//! mixup on fixed buffers, as on a microcontroller: no `Vec`, no `Box`, no allocation.
//!
//! ```text
//! cargo run --release --example no_std
//! ```
//!
//! The `firmware` module below is what would run on the device: it uses only `core`, `mixup`
//! and `rand_core`, on statically sized arrays. It augments windows of a 12-bit sensor (for
//! example an accelerometer for gesture recognition, trained on the device) stored as `u16`,
//! with a small generator standing in for the chip's hardware RNG.
//!
//! To show that it really allocates nothing, this host program installs a counting global
//! allocator and checks that the count does not move while the firmware code runs. (The crate
//! itself is built for `thumbv7em-none-eabihf` and `riscv32imac-unknown-none-elf` with
//! `--no-default-features` in CI; add it to a firmware with
//! `mixup = { version = "0.1", default-features = false }`.)

use std::alloc::{GlobalAlloc, Layout, System};
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

mod firmware {
    use core::convert::Infallible;
    use mixup::{
        BatchMut, Beta, Draw, Error, ImageLayout, Labels, Mixup, Pairing, Permutation, Plan,
        SampleOp, applied_lambda, mix_inplace,
    };
    use rand_core::TryRng;

    pub const WINDOWS: usize = 4;
    pub const WINDOW_LEN: usize = 32;
    pub const GESTURES: usize = 3;

    /// SplitMix64 (Steele, Lea and Flood, "Fast splittable pseudorandom number generators",
    /// OOPSLA 2014): a stand-in for a hardware RNG. Anything implementing `rand_core::Rng` works.
    pub struct SplitMix64(pub u64);

    impl TryRng for SplitMix64 {
        type Error = Infallible;
        fn try_next_u64(&mut self) -> Result<u64, Infallible> {
            self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
            let mut z = self.0;
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            Ok(z ^ (z >> 31))
        }
        fn try_next_u32(&mut self) -> Result<u32, Infallible> {
            self.try_next_u64().map(|x| (x >> 32) as u32)
        }
        fn try_fill_bytes(&mut self, dst: &mut [u8]) -> Result<(), Infallible> {
            for chunk in dst.chunks_mut(8) {
                let bytes = self.try_next_u64()?.to_le_bytes();
                chunk.copy_from_slice(&bytes[..chunk.len()]);
            }
            Ok(())
        }
    }

    /// The one-call way: `Mixup::apply` on arrays. Returns λ (one per batch with the default
    /// granularity) and writes the partners.
    pub fn augment(
        rng: &mut SplitMix64,
        windows: &mut [u16; WINDOWS * WINDOW_LEN],
        gestures: &[u8; WINDOWS],
        soft: &mut [f32; WINDOWS * GESTURES],
        partners: &mut [usize; WINDOWS],
    ) -> Result<f64, Error> {
        // Validated once; a `Mixup` is a small `Copy` value that could live in a `static`.
        let mixup = Mixup::new(0.4)?.with_pairing(Pairing::Derangement);
        let mut batch = BatchMut::new(windows, ImageLayout::flat(WINDOW_LEN))?;
        let labels = Labels::classes(gestures, GESTURES)?;
        let mut records = [Draw::default(); WINDOWS];
        let draws = mixup.apply(rng, &mut batch, &labels, &mut records, soft)?;
        let mut lambda = 1.0;
        for (slot, draw) in partners.iter_mut().zip(draws.iter()) {
            *slot = draw.partner;
            if let SampleOp::Blend(_) = draw.op {
                lambda = draw.lambda;
            }
        }
        Ok(lambda)
    }

    /// The same with the pieces, for a pipeline that mixes the labels itself (here: only the
    /// (label a, label b, λ) triple is kept, for a loss computed as λ·L(a) + (1 − λ)·L(b)).
    pub fn augment_by_hand(
        rng: &mut SplitMix64,
        windows: &mut [u16; WINDOWS * WINDOW_LEN],
        partners: &mut [usize; WINDOWS],
    ) -> Result<f64, Error> {
        let beta = Beta::symmetric(0.4)?;
        let lambda = beta.sample(rng);
        let perm = Pairing::Shuffle.fill(rng, partners)?;
        // The u16 kernel quantizes λ to a multiple of 1/65536; this is the weight it applies.
        let applied = applied_lambda::<u16>(lambda)?;
        let mut batch = BatchMut::new(windows, ImageLayout::flat(WINDOW_LEN))?;
        mix_inplace(&mut batch, Plan::same(&perm, SampleOp::Blend(lambda)))?;
        Ok(applied)
    }

    /// Bad input is an `Err`, never a panic, and nothing is written.
    pub fn reject_bad_input(windows: &mut [u16; WINDOWS * WINDOW_LEN]) -> Result<(), Error> {
        let mut not_a_permutation = [0usize, 0, 1, 2];
        let perm = Permutation::new(&mut not_a_permutation)?;
        let mut batch = BatchMut::new(windows, ImageLayout::flat(WINDOW_LEN))?;
        mix_inplace(&mut batch, Plan::same(&perm, SampleOp::Blend(0.5)))
    }
}

/// Counts every allocation of the program.
struct Counting;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments unchanged, so `System`'s
// guarantees hold; the counter is a relaxed atomic and never affects the returned memory.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract, which `System` shares.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: `ptr` was allocated by `System` with `layout` (all allocations go through
        // `alloc` above or `realloc` below).
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: forwarded unchanged; `ptr` came from `System` with `layout`.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn main() -> ExitCode {
    use firmware::*;

    // Four windows of a ramp-like signal per gesture, as a 12-bit ADC would deliver them.
    let mut windows = [0u16; WINDOWS * WINDOW_LEN];
    for (w, window) in windows.chunks_exact_mut(WINDOW_LEN).enumerate() {
        for (t, v) in window.iter_mut().enumerate() {
            *v = ((w * 1000 + t * 37 * (w + 1)) % 4096) as u16;
        }
    }
    let gestures = [0u8, 1, 2, 1];
    let original = windows;
    let mut soft = [0.0f32; WINDOWS * GESTURES];
    let mut partners = [0usize; WINDOWS];
    let mut rng = SplitMix64(0x00C0_FFEE);

    let before = ALLOCATIONS.load(Ordering::Relaxed);
    let outcome = augment(&mut rng, &mut windows, &gestures, &mut soft, &mut partners);
    let mut by_hand = original;
    let mut partners2 = [0usize; WINDOWS];
    let lambda2 = augment_by_hand(&mut rng, &mut by_hand, &mut partners2);
    let mut untouched = original;
    let rejected = reject_bad_input(&mut untouched);
    let allocations = ALLOCATIONS.load(Ordering::Relaxed) - before;

    let lambda = match (outcome, lambda2) {
        (Ok(l), Ok(_)) => l,
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    println!(
        "Mixup::apply on [u16; {}]: λ = {:.6} (a multiple of 1/65536), partners {partners:?}",
        WINDOWS * WINDOW_LEN,
        lambda
    );
    for (i, row) in soft.chunks(GESTURES).enumerate() {
        println!(
            "  window {i} (gesture {}) + window {} (gesture {}): first values {:?} -> {:?}, label {row:?}",
            gestures[i],
            partners[i],
            gestures[partners[i]],
            &original[i * WINDOW_LEN..][..3],
            &windows[i * WINDOW_LEN..][..3],
        );
    }
    println!(
        "by hand (Beta, Pairing::Shuffle, mix_inplace): λ = {:.6}, partners {partners2:?}",
        lambda2.unwrap_or(f64::NAN)
    );
    match rejected {
        Err(e) if untouched == original => println!("bad partners rejected, buffer untouched: {e}"),
        other => {
            eprintln!("error: bad input was not rejected cleanly: {other:?}");
            return ExitCode::FAILURE;
        }
    }
    println!("heap allocations while the firmware code ran: {allocations}");
    if allocations != 0 {
        eprintln!("error: the firmware code allocated");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
