//! What the code-size probes (`src/bin/size.rs`, `src/bin/size_baseline.rs`) share: the batch,
//! a generator and a panic handler that formats nothing, so that the two differ by mixup's code
//! only.

use core::convert::Infallible;
use core::hint::black_box;
use core::panic::PanicInfo;
use rand_core::TryRng;

/// 8 samples of 3×8×8.
pub const SAMPLES: usize = 8;
pub const LEN: usize = SAMPLES * 3 * 8 * 8;
pub const CLASSES: usize = 10;

/// SplitMix64 (Steele, Lea and Flood, OOPSLA 2014), as in `examples/no_std.rs`.
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

/// The buffers a firmware would hold, filled from the generator so that nothing is constant.
pub struct Buffers {
    pub f: [f32; LEN],
    pub b: [u8; LEN],
    pub classes: [u8; SAMPLES],
    pub soft: [f32; SAMPLES * CLASSES],
}

impl Buffers {
    pub fn new(rng: &mut SplitMix64) -> Buffers {
        let mut x = Buffers {
            f: [0.0; LEN],
            b: [0; LEN],
            classes: [0; SAMPLES],
            soft: [0.0; SAMPLES * CLASSES],
        };
        for (f, b) in x.f.iter_mut().zip(x.b.iter_mut()) {
            let r = rng.try_next_u32().unwrap_or(0);
            *f = r as f32;
            *b = r as u8;
        }
        for c in &mut x.classes {
            *c = (rng.try_next_u32().unwrap_or(0) % CLASSES as u32) as u8;
        }
        black_box(x)
    }
}

#[panic_handler]
fn panic(_: &PanicInfo) -> ! {
    loop {
        black_box(());
    }
}
