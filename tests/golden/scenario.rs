// The golden scenario: fixed seeds in, a list of pinned numbers out.
//
// This file is `include!`d by `tests/golden.rs` (x86-64, aarch64 under qemu-user, Miri) and by
// the Cortex-M4F check in `cross/cortex-m4` (thumbv7em-none-eabihf under qemu-system-arm), so
// that every target runs exactly the same code against exactly the same expected values
// (`tests/golden/expected.rs`). It therefore uses no `std` and no allocation: every buffer is a
// fixed-size array, and hashes are a hand-written FNV-1a over little-endian bytes, so the
// pointer width and byte order of the target cannot change a value.
//
// Each value is reported through `record(seed, what, k, value)`; the caller either compares it
// with the pinned table or prints the table anew.

use mixup::{
    Batch, BatchMut, Beta, Draw, Draws, Element, Error, ImageLayout, Implementation, Kernels,
    Labels, Mixup, Pairing, Permutation, Plan, SampleOp, Shape, Stores, blend, blend_inplace,
};
use rand_core::{Rng, SeedableRng};
use rand_xoshiro::Xoshiro256PlusPlus;

/// The seeds every section runs with.
pub const SEEDS: [u64; 3] = [0, 1, 0x2026_1130_0930];

/// FNV-1a, 64 bits (Fowler, Noll, Vo; parameters from the IETF draft
/// draft-eastlake-fnv): small, dependency-free and the same on every target.
pub struct Fnv(u64);

impl Fnv {
    pub const fn new() -> Self {
        Fnv(0xcbf2_9ce4_8422_2325)
    }

    pub fn bytes(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 ^= b as u64;
            self.0 = self.0.wrapping_mul(0x0000_0100_0000_01b3);
        }
    }

    pub fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }

    pub fn finish(&self) -> u64 {
        self.0
    }
}

/// What the scenario needs of an element beyond [`Element`]: test data from random bits and
/// its little-endian bytes.
pub trait Golden: Element {
    /// A value made from 32 random bits; exact in the type, so no rounding mode is involved.
    fn from_bits(bits: u32) -> Self;
    fn hash(self, h: &mut Fnv);
}

impl Golden for f32 {
    fn from_bits(bits: u32) -> Self {
        // 24 significant bits scaled by a power of two: exact, in [-256, 256).
        (bits >> 8) as f32 * (1.0 / 32768.0) - 256.0
    }
    fn hash(self, h: &mut Fnv) {
        h.u32(self.to_bits());
    }
}

impl Golden for f64 {
    fn from_bits(bits: u32) -> Self {
        bits as f64 * (1.0 / 4_294_967_296.0) * 2.0 - 1.0
    }
    fn hash(self, h: &mut Fnv) {
        h.u64(self.to_bits());
    }
}

impl Golden for u8 {
    fn from_bits(bits: u32) -> Self {
        (bits >> 24) as u8
    }
    fn hash(self, h: &mut Fnv) {
        h.bytes(&[self]);
    }
}

impl Golden for u16 {
    fn from_bits(bits: u32) -> Self {
        (bits >> 16) as u16
    }
    fn hash(self, h: &mut Fnv) {
        h.bytes(&self.to_le_bytes());
    }
}

impl Golden for i8 {
    fn from_bits(bits: u32) -> Self {
        (bits >> 24) as i8
    }
    fn hash(self, h: &mut Fnv) {
        h.bytes(&self.to_le_bytes());
    }
}

impl Golden for i16 {
    fn from_bits(bits: u32) -> Self {
        (bits >> 16) as i16
    }
    fn hash(self, h: &mut Fnv) {
        h.bytes(&self.to_le_bytes());
    }
}

fn hash_slice<T: Golden>(values: &[T]) -> u64 {
    let mut h = Fnv::new();
    for &v in values {
        v.hash(&mut h);
    }
    h.finish()
}

fn hash_f32(values: &[f32]) -> u64 {
    hash_slice(values)
}

fn fill<T: Golden>(rng: &mut Xoshiro256PlusPlus, out: &mut [T]) {
    for v in out {
        *v = T::from_bits(rng.next_u32());
    }
}

/// Packs partner indices below 16 into one nibble each, first partner in the lowest nibble, so
/// that a pinned permutation stays readable in hex.
fn nibbles(partners: &[usize]) -> u64 {
    partners
        .iter()
        .rev()
        .fold(0u64, |acc, &p| (acc << 4) | (p as u64 & 0xf))
}

/// The data generator is independent of the generator under test, so that a change in how many
/// draws λ takes cannot change the data.
fn data_rng(seed: u64, salt: u64) -> Xoshiro256PlusPlus {
    Xoshiro256PlusPlus::seed_from_u64(seed ^ salt.wrapping_mul(0x9e37_79b9_7f4a_7c15))
}

/// The λ distributions that are pinned: symmetric below, at and above 1, and one asymmetric.
pub const BETAS: [(&str, f64, f64); 5] = [
    ("lambda beta(0.05,0.05)", 0.05, 0.05),
    ("lambda beta(0.2,0.2)", 0.2, 0.2),
    ("lambda beta(1,1)", 1.0, 1.0),
    ("lambda beta(2.5,2.5)", 2.5, 2.5),
    ("lambda beta(0.3,3)", 0.3, 3.0),
];

/// Draws pinned one by one; the rest of the sequence is pinned by a hash.
const LAMBDAS_PINNED: usize = 3;
/// Length of the hashed λ sequence.
const LAMBDAS_HASHED: usize = 256;

fn lambdas(seed: u64, record: &mut impl FnMut(u64, &'static str, u32, u64)) {
    for &(what, a, b) in &BETAS {
        let beta = match Beta::new(a, b) {
            Ok(beta) => beta,
            Err(_) => {
                record(seed, what, u32::MAX, 0);
                continue;
            }
        };
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        for k in 0..LAMBDAS_PINNED {
            record(seed, what, k as u32, beta.sample(&mut rng).to_bits());
        }
        let mut h = Fnv::new();
        for _ in 0..LAMBDAS_HASHED {
            h.u64(beta.sample(&mut rng).to_bits());
        }
        record(seed, what, LAMBDAS_HASHED as u32, h.finish());
    }
}

const PAIRINGS: [(&str, Pairing); 4] = [
    ("partners shuffle", Pairing::Shuffle),
    ("partners derangement", Pairing::Derangement),
    ("partners roll(3)", Pairing::Roll(3)),
    ("partners flip", Pairing::Flip),
];

/// The batch size whose partners are hashed (partners as `u32`, so pointer width cannot matter).
const PARTNERS_HASHED: usize = 1000;

fn partners(seed: u64, record: &mut impl FnMut(u64, &'static str, u32, u64)) {
    for &(what, pairing) in &PAIRINGS {
        let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
        let mut small = [0usize; 16];
        let ok = pairing.fill(&mut rng, &mut small).is_ok();
        record(seed, what, 16, if ok { nibbles(&small) } else { u64::MAX });
        let mut large = [0usize; PARTNERS_HASHED];
        let ok = pairing.fill(&mut rng, &mut large).is_ok();
        let mut h = Fnv::new();
        for &p in &large {
            h.u32(p as u32);
        }
        record(
            seed,
            what,
            PARTNERS_HASHED as u32,
            if ok { h.finish() } else { u64::MAX },
        );
    }
}

const BATCH: usize = 8;
/// 3 × 7 × 5: odd, so that no vector width divides it.
const SAMPLE: usize = 105;
const CLASSES: usize = 10;

/// One call of [`Mixup::apply`] on a batch of `T`: pins λ, the partners, the data and the labels.
fn apply<T: Golden>(
    seed: u64,
    whats: [&'static str; 4],
    record: &mut impl FnMut(u64, &'static str, u32, u64),
) {
    let mut rng = data_rng(seed, 1);
    let mut batch = [T::default(); BATCH * SAMPLE];
    fill(&mut rng, &mut batch);
    let mut labels = [0u16; BATCH];
    for l in &mut labels {
        *l = (rng.next_u32() % CLASSES as u32) as u16;
    }
    let mut soft = [0.0f32; BATCH * CLASSES];
    let mut records = [Draw::default(); BATCH];
    let mut partners = [0usize; BATCH];
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(seed);
    let outcome = (|| -> Result<(u64, u64), Error> {
        let mixup = Mixup::new(0.4)?.with_pairing(Pairing::Shuffle);
        let labels = Labels::classes(&labels, CLASSES)?.with_smoothing(0.1)?;
        let mut view = BatchMut::new(&mut batch, ImageLayout::flat(SAMPLE))?;
        let draws = mixup.apply(&mut rng, &mut view, &labels, &mut records, &mut soft)?;
        // One λ per batch (the default granularity): every blended record carries it.
        let mut lambda = 1.0f64;
        let mut mixed = 0;
        for (slot, d) in partners.iter_mut().zip(draws.iter()) {
            *slot = d.partner;
            if let SampleOp::Blend(_) = d.op {
                lambda = d.lambda;
                mixed = 1;
            }
        }
        Ok((lambda.to_bits(), mixed))
    })();
    let (lambda, mixed) = outcome.unwrap_or((u64::MAX, u64::MAX));
    record(seed, whats[0], mixed as u32, lambda);
    record(seed, whats[1], BATCH as u32, nibbles(&partners));
    record(seed, whats[2], (BATCH * SAMPLE) as u32, hash_slice(&batch));
    record(seed, whats[3], (BATCH * CLASSES) as u32, hash_f32(&soft));
}

/// Samples longer than the in-place tile for `f64` (8 KiB: 1024 elements), in three samples.
const LONG: usize = 1100;
/// A tile that no sample length here is a multiple of, so every type crosses tiles.
const SMALL_TILE: usize = 97;

/// Out of place and in place over a 3-cycle of long samples: both hashes are pinned to the same
/// value, and the scenario also compares them directly.
///
/// With `imp`, the chosen implementation does the work, and the in-place mix is also run with a
/// 97-element tile; every implementation must record the same values as the dispatched path.
fn long_batch<T: Golden>(
    seed: u64,
    imp: Option<Implementation>,
    whats: [&'static str; 2],
    record: &mut impl FnMut(u64, &'static str, u32, u64),
) {
    let mut rng = data_rng(seed, 2);
    let mut src = [T::default(); 3 * LONG];
    fill(&mut rng, &mut src);
    let lambda = match Beta::symmetric(1.0) {
        Ok(beta) => beta.sample(&mut Xoshiro256PlusPlus::seed_from_u64(seed)),
        Err(_) => 0.5,
    };
    let mut partners = [2usize, 0, 1];
    let mut dst = [T::default(); 3 * LONG];
    let mut tiled_ok = true;
    let layout = ImageLayout::flat(LONG);
    let (out_of_place, in_place) = match Permutation::new(&mut partners) {
        Err(e) => (Err(e), Err(e)),
        Ok(perm) => {
            let plan = Plan::same(&perm, SampleOp::Blend(lambda));
            let kernels = match imp {
                None => Ok(Kernels::best()),
                Some(imp) => Kernels::new(imp),
            };
            match kernels {
                Err(e) => (Err(e), Err(e)),
                Ok(k) => {
                    let original = src;
                    let out_of_place = Batch::new(&original, layout)
                        .and_then(|batch| k.mix(&mut dst, &batch, plan));
                    let in_place = BatchMut::new(&mut src, layout)
                        .and_then(|mut b| k.mix_inplace(&mut b, plan));
                    if imp.is_some() {
                        // A tile that divides no sample length: every type crosses tiles.
                        let mut tiled = original;
                        let small = k.with_tile_bytes(SMALL_TILE * core::mem::size_of::<T>());
                        let r = BatchMut::new(&mut tiled, layout)
                            .and_then(|mut b| small.mix_inplace(&mut b, plan));
                        tiled_ok = r == in_place && tiled == src;
                    }
                    (out_of_place, in_place)
                }
            }
        }
    };
    let same = out_of_place == in_place && dst == src && tiled_ok;
    record(
        seed,
        whats[0],
        (3 * LONG) as u32,
        if out_of_place.is_ok() {
            hash_slice(&dst)
        } else {
            u64::MAX
        },
    );
    record(
        seed,
        whats[1],
        (3 * LONG) as u32,
        if in_place.is_ok() && same {
            hash_slice(&src)
        } else {
            u64::MAX
        },
    );
}

/// λ values for the kernel hashes: the exact ends, a tie of the `u8` quantization
/// (0.5/256 rounds up to 1/256), values just inside the ends, and random ones.
const BLEND_LAMBDAS: [f64; 7] = [0.0, 1.0, 0.5 / 256.0, 1.0 - 1e-12, 1.0 / 3.0, 0.5, 0.75];
/// 61 elements: odd and longer than every vector width, so every kernel has a remainder.
const BLEND_LEN: usize = 61;

/// [`blend`] and [`blend_inplace`] over fixed and random λ: one hash over every output and
/// every applied λ. With `imp`, the chosen implementation does the work, with ordinary and with
/// non-temporal stores, and must record the same value.
fn blends<T: Golden>(
    seed: u64,
    imp: Option<Implementation>,
    what: &'static str,
    record: &mut impl FnMut(u64, &'static str, u32, u64),
) {
    let mut rng = data_rng(seed, 3);
    let mut a = [T::default(); BLEND_LEN];
    let mut b = [T::default(); BLEND_LEN];
    fill(&mut rng, &mut a);
    fill(&mut rng, &mut b);
    let mut h = Fnv::new();
    let mut lambdas = [0.0f64; BLEND_LAMBDAS.len() + 4];
    lambdas[..BLEND_LAMBDAS.len()].copy_from_slice(&BLEND_LAMBDAS);
    for l in &mut lambdas[BLEND_LAMBDAS.len()..] {
        // Uniform on the 53-bit grid, independent of the Beta sampler.
        *l = (rng.next_u64() >> 11) as f64 * (1.0 / 9_007_199_254_740_992.0);
    }
    for &lambda in &lambdas {
        let mut out = [T::default(); BLEND_LEN];
        let mut inplace = a;
        let (result, ok) = match imp {
            None => (
                blend(&mut out, &a, &b, lambda),
                blend_inplace(&mut inplace, &b, lambda).is_ok(),
            ),
            Some(imp) => match Kernels::new(imp) {
                Err(e) => (Err(e), false),
                Ok(k) => {
                    let mut streamed = [T::default(); BLEND_LEN];
                    let s = k
                        .with_stores(Stores::Streaming)
                        .blend(&mut streamed, &a, &b, lambda);
                    let r = k
                        .with_stores(Stores::Cached)
                        .blend(&mut out, &a, &b, lambda);
                    let ok = k.blend_inplace(&mut inplace, &b, lambda).is_ok();
                    (r, ok && s == r && streamed == out)
                }
            },
        };
        match result {
            Ok(applied) => h.u64(applied.to_bits()),
            Err(_) => h.u64(u64::MAX),
        }
        for &v in &out {
            v.hash(&mut h);
        }
        // In place (and streamed) must give the same bits as out of place.
        h.u64(if ok && inplace == out { 1 } else { u64::MAX });
    }
    record(seed, what, lambdas.len() as u32, h.finish());
}

/// Soft rows mixed with [`Labels::soft`] and [`Labels::mix`], λ = 0.3 for every sample.
fn soft_rows(seed: u64, record: &mut impl FnMut(u64, &'static str, u32, u64)) {
    let mut rng = data_rng(seed, 4);
    let mut rows = [0.0f32; BATCH * CLASSES];
    for row in rows.chunks_exact_mut(CLASSES) {
        // Multi-hot rows over 1, 2, 4 or 8 classes, each 1/k: exact in f32 and summing to 1.
        let k = 1usize << (rng.next_u32() % 4);
        let first = (rng.next_u32() as usize) % (CLASSES - k + 1);
        for v in &mut row[first..first + k] {
            *v = 1.0 / k as f32;
        }
    }
    let mut records = [Draw::default(); BATCH];
    let mut out = [0.0f32; BATCH * CLASSES];
    let mut draw = Xoshiro256PlusPlus::seed_from_u64(seed);
    let ok = (|| -> Result<(), Error> {
        let labels = Labels::soft(&rows, CLASSES)?;
        let mut partners = [0usize; BATCH];
        drop(Pairing::Derangement.fill(&mut draw, &mut partners)?);
        for (r, &p) in records.iter_mut().zip(&partners) {
            *r = Draw {
                partner: p,
                op: SampleOp::Blend(0.3),
                lambda: 0.0,
            };
        }
        let shape = Shape::<f32>::new(ImageLayout::flat(1), BATCH)?;
        let draws = Draws::new(&mut records, shape)?;
        labels.mix(&draws, &mut out)
    })()
    .is_ok();
    record(
        seed,
        "labels soft f32",
        (BATCH * CLASSES) as u32,
        if ok { hash_f32(&out) } else { u64::MAX },
    );
}

/// Runs every section for every seed of [`SEEDS`].
pub fn run(record: &mut impl FnMut(u64, &'static str, u32, u64)) {
    run_seeds(&SEEDS, record);
}

/// Runs every section for the given seeds, in order; for a prefix of [`SEEDS`] the records are
/// a prefix of the table (Miri runs the first seed only).
pub fn run_seeds(seeds: &[u64], record: &mut impl FnMut(u64, &'static str, u32, u64)) {
    for &seed in seeds {
        lambdas(seed, record);
        partners(seed, record);
        apply::<f32>(
            seed,
            [
                "apply f32 lambda",
                "apply f32 partners",
                "apply f32 data",
                "apply f32 labels",
            ],
            record,
        );
        apply::<f64>(
            seed,
            [
                "apply f64 lambda",
                "apply f64 partners",
                "apply f64 data",
                "apply f64 labels",
            ],
            record,
        );
        apply::<u8>(
            seed,
            [
                "apply u8 lambda",
                "apply u8 partners",
                "apply u8 data",
                "apply u8 labels",
            ],
            record,
        );
        apply::<u16>(
            seed,
            [
                "apply u16 lambda",
                "apply u16 partners",
                "apply u16 data",
                "apply u16 labels",
            ],
            record,
        );
        apply::<i16>(
            seed,
            [
                "apply i16 lambda",
                "apply i16 partners",
                "apply i16 data",
                "apply i16 labels",
            ],
            record,
        );
        kernels(seed, None, record);
        soft_rows(seed, record);
    }
}

/// The sections that go through the blend kernels, with the dispatched implementation (`None`)
/// or a chosen one.
fn kernels(
    seed: u64,
    imp: Option<Implementation>,
    record: &mut impl FnMut(u64, &'static str, u32, u64),
) {
    long_batch::<f32>(
        seed,
        imp,
        ["mix_batch f32", "mix_batch_inplace f32"],
        record,
    );
    long_batch::<u16>(
        seed,
        imp,
        ["mix_batch u16", "mix_batch_inplace u16"],
        record,
    );
    blends::<f32>(seed, imp, "blend f32", record);
    blends::<f64>(seed, imp, "blend f64", record);
    blends::<u8>(seed, imp, "blend u8", record);
    blends::<u16>(seed, imp, "blend u16", record);
    long_batch::<i8>(
        seed,
        imp,
        ["mix_batch i8", "mix_batch_inplace i8"],
        record,
    );
    blends::<i8>(seed, imp, "blend i8", record);
    blends::<i16>(seed, imp, "blend i16", record);
}

/// The kernel sections for every seed of `seeds` with the implementation `imp`: every value
/// must equal the entry of the same name in the table, whichever implementation made it.
pub fn run_kernels(
    seeds: &[u64],
    imp: Implementation,
    record: &mut impl FnMut(u64, &'static str, u32, u64),
) {
    for &seed in seeds {
        kernels(seed, Some(imp), record);
    }
}
