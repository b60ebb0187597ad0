//! Code-size probe: a firmware whose only work is `Mixup::apply` on a `u8` and an `f32` batch
//! (8 × 3×8×8, `Labels::classes`). Built, never run; its `.text` less that of
//! `size_baseline` (the same firmware without the two calls) is what mixup costs (README,
//! "Embedded").
#![no_std]
#![no_main]

#[path = "../probe.rs"]
mod probe;

use core::hint::black_box;
use cortex_m_rt::entry;
use mixup::{BatchMut, Draw, ImageLayout, Labels, Mixup};
use probe::{Buffers, CLASSES, SAMPLES, SplitMix64};

#[entry]
fn main() -> ! {
    let mut rng = SplitMix64(black_box(0x4d34));
    let mut x = Buffers::new(&mut rng);
    let mut records = [Draw::default(); SAMPLES];
    let layout = ImageLayout::nchw(3, 8, 8);
    let ok = Mixup::new(black_box(0.4)).and_then(|mixup| {
        let labels = Labels::classes(&x.classes, CLASSES)?;
        let mut f = BatchMut::new(&mut x.f, layout)?;
        mixup.apply(&mut rng, &mut f, &labels, &mut records, &mut x.soft)?;
        let mut b = BatchMut::new(&mut x.b, layout)?;
        mixup.apply(&mut rng, &mut b, &labels, &mut records, &mut x.soft)?;
        Ok(())
    });
    black_box((ok.is_ok(), &x.f, &x.b, &x.soft, &records));
    loop {
        black_box(());
    }
}
