//! The code-size probe `size` without its two `Mixup::apply` calls: the runtime, the generator,
//! the buffers and the panic handler, against which `size` is compared.
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use core::hint::black_box;
use cortex_m_rt::entry;
use probe::{Buffers, SAMPLES, SplitMix64};

#[entry]
fn main() -> ! {
    let mut rng = SplitMix64(black_box(0x4d34));
    let x = Buffers::new(&mut rng);
    let records = [(0usize, 0u64, 0.0f64); SAMPLES];
    black_box((&x.f, &x.b, &x.soft, &records));
    loop {
        black_box(());
    }
}
