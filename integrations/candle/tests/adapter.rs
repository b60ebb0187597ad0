//! The adapter gives exactly what the core gives: the same mixed bytes, soft rows and triples as
//! `Mixup::apply` on the same host batch with the same generator state; CPU tensors are mixed in
//! their own storage.

use candle_core::{CpuStorage, DType, Device, Storage, Tensor};
use mixup::{BatchMut, Draw, ImageLayout, LabelTriple, Labels, Pairing};
use mixup_candle::{Error, Mixup, MixupBatches, Streams, mix_batch};

const C: usize = 4;
const N: usize = 6;

/// Six 2×3×5 images with values that differ per sample and per element.
fn pixels() -> Vec<f32> {
    (0..N * 30)
        .map(|k| ((k * 29) % 101) as f32 / 50.0 - 1.0)
        .collect()
}

const LABELS: [u32; N] = [0, 1, 2, 3, 1, 2];

/// What the core gives for the host batch and the generator.
fn core<T: mixup::Element>(
    mixup: &Mixup,
    rng: &mut mixup::Xoshiro256PlusPlus,
    data: &mut [T],
    layout: ImageLayout,
    smoothing: f64,
) -> (Vec<f32>, Vec<LabelTriple>, Vec<Draw>) {
    let labels = Labels::classes(&LABELS, C)
        .unwrap()
        .with_smoothing(smoothing)
        .unwrap();
    let (mut records, mut soft) = (vec![Draw::default(); N], vec![0.0f32; N * C]);
    let mut triples = vec![LabelTriple::default(); N];
    let mut batch = BatchMut::new(data, layout).unwrap();
    let draws = mixup
        .apply(rng, &mut batch, &labels, &mut records, &mut soft)
        .unwrap();
    labels.triples(&draws, &mut triples).unwrap();
    let d = draws.iter().collect();
    (soft, triples, d)
}

fn check_targets(got: &mixup_candle::MixedBatch, soft: &[f32], triples: &[LabelTriple]) {
    assert_eq!(got.soft.dims(), [N, C]);
    assert_eq!(
        got.soft.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        soft
    );
    let a: Vec<u32> = triples.iter().map(|t| t.a as u32).collect();
    let b: Vec<u32> = triples.iter().map(|t| t.b as u32).collect();
    let l: Vec<f32> = triples.iter().map(|t| t.lambda as f32).collect();
    assert_eq!(got.y_a.to_vec1::<u32>().unwrap(), a);
    assert_eq!(got.y_b.to_vec1::<u32>().unwrap(), b);
    assert_eq!(got.lambda.to_vec1::<f32>().unwrap(), l);
}

#[test]
fn same_bytes_as_the_core_for_every_dtype_and_rank() {
    let mixups = [
        Mixup::new(0.4).unwrap(),
        Mixup::new(1.0).unwrap().with_pairing(Pairing::Derangement),
        Mixup::new(0.7)
            .unwrap()
            .with_granularity(mixup::Granularity::Pair)
            .with_cutmix(mixup::CutMix::new(1.0).unwrap(), 0.5)
            .unwrap(),
    ];
    let shapes: [(&[usize], ImageLayout); 3] = [
        (&[N, 2, 3, 5], ImageLayout::nchw(2, 3, 5)),
        (&[N, 6, 5], ImageLayout::hw(6, 5)),
        (&[N, 30], ImageLayout::flat(30)),
    ];
    let ys = Tensor::new(&LABELS, &Device::Cpu).unwrap();
    for (m, mixup) in mixups.iter().enumerate() {
        for (dims, layout) in shapes {
            for seed in [1u64, 99] {
                let what = format!("mixup {m}, dims {dims:?}, seed {seed}");
                // f32
                let xs = Tensor::from_vec(pixels(), dims, &Device::Cpu).unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                let got = mix_batch(mixup, &mut rng, xs, ys.clone(), C, 0.1).unwrap();
                let mut host = pixels();
                let mut rng = Streams::new(seed).batch(0, 0);
                let (soft, triples, draws) = core(mixup, &mut rng, &mut host, layout, 0.1);
                assert_eq!(
                    got.xs.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
                    host,
                    "{what}"
                );
                // (CutMix on a 1×30 "image" may draw empty boxes and change nothing.)
                if m < 2 {
                    assert_ne!(host, pixels(), "{what}: nothing was mixed");
                }
                assert_eq!(got.draws, draws, "{what}");
                check_targets(&got, &soft, &triples);
                // u8, mixed in fixed point: the quantized λ reaches the targets too.
                let bytes: Vec<u8> = pixels().iter().map(|v| ((v + 1.0) * 100.0) as u8).collect();
                let xs = Tensor::from_vec(bytes.clone(), dims, &Device::Cpu).unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                let got = mix_batch(mixup, &mut rng, xs, ys.clone(), C, 0.0).unwrap();
                let mut host = bytes;
                let mut rng = Streams::new(seed).batch(0, 0);
                let (soft, triples, _) = core(mixup, &mut rng, &mut host, layout, 0.0);
                assert_eq!(
                    got.xs.flatten_all().unwrap().to_vec1::<u8>().unwrap(),
                    host,
                    "{what} u8"
                );
                check_targets(&got, &soft, &triples);
                // bf16 and f64.
                let xs = Tensor::from_vec(pixels(), dims, &Device::Cpu).unwrap();
                let xs16 = xs.to_dtype(DType::BF16).unwrap();
                let mut host: Vec<half::bf16> = xs16.flatten_all().unwrap().to_vec1().unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                let got = mix_batch(mixup, &mut rng, xs16, ys.clone(), C, 0.0).unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                core(mixup, &mut rng, &mut host, layout, 0.0);
                let got16: Vec<half::bf16> = got.xs.flatten_all().unwrap().to_vec1().unwrap();
                assert_eq!(got16, host, "{what} bf16");
                let xs64 = xs.to_dtype(DType::F64).unwrap();
                let mut host: Vec<f64> = xs64.flatten_all().unwrap().to_vec1().unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                let got = mix_batch(mixup, &mut rng, xs64, ys.clone(), C, 0.0).unwrap();
                let mut rng = Streams::new(seed).batch(0, 0);
                core(mixup, &mut rng, &mut host, layout, 0.0);
                let got64: Vec<f64> = got.xs.flatten_all().unwrap().to_vec1().unwrap();
                assert_eq!(got64, host, "{what} f64");
            }
        }
    }
}

/// The address of a CPU f32 tensor's storage.
fn storage_address(t: &Tensor) -> usize {
    let (storage, _) = t.storage_and_layout();
    match &*storage {
        Storage::Cpu(CpuStorage::F32(v)) => v.as_ptr() as usize,
        _ => panic!("not a CPU f32 tensor"),
    }
}

#[test]
fn cpu_tensors_are_mixed_in_their_own_storage() {
    let xs = Tensor::from_vec(pixels(), (N, 30), &Device::Cpu).unwrap();
    let before = storage_address(&xs);
    let alias = xs.clone(); // shares the storage
    let ys = Tensor::new(&LABELS, &Device::Cpu).unwrap();
    let mut rng = Streams::new(5).batch(0, 0);
    let got = mix_batch(&Mixup::new(1.0).unwrap(), &mut rng, xs, ys, C, 0.0).unwrap();
    assert_eq!(storage_address(&got.xs), before);
    // The alias sees the mixed values: the storage itself was written, nothing was copied.
    let mixed = got.xs.flatten_all().unwrap().to_vec1::<f32>().unwrap();
    assert_ne!(mixed, pixels());
    assert_eq!(
        alias.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        mixed
    );
}

#[test]
fn the_iterator_keys_batch_b_by_seed_epoch_and_b() {
    let batches = || {
        (0..4).map(|b| {
            let xs = Tensor::from_vec(pixels(), (N, 2, 3, 5), &Device::Cpu)?;
            let ys = Tensor::new(&LABELS, &Device::Cpu)?;
            Ok((xs.affine(1.0, b as f64)?, ys))
        })
    };
    let mixup = Mixup::new(0.4).unwrap();
    let run = |epoch: u64| -> Vec<Vec<f32>> {
        MixupBatches::new(batches(), mixup, C)
            .with_seed(7)
            .with_epoch(epoch)
            .with_smoothing(0.1)
            .unwrap()
            .map(|m| {
                m.unwrap()
                    .xs
                    .flatten_all()
                    .unwrap()
                    .to_vec1::<f32>()
                    .unwrap()
            })
            .collect()
    };
    let epoch0 = run(0);
    assert_eq!(epoch0.len(), 4);
    for (b, got) in epoch0.iter().enumerate() {
        let mut host: Vec<f32> = pixels().iter().map(|v| v + b as f32).collect();
        let mut rng = Streams::new(7).batch(0, b as u64);
        core(&mixup, &mut rng, &mut host, ImageLayout::nchw(2, 3, 5), 0.1);
        assert_eq!(got, &host, "batch {b}");
    }
    assert_eq!(run(0), epoch0);
    assert_ne!(run(1), epoch0);
}

#[test]
fn bad_input_is_an_error_and_leaves_the_images_alone() {
    let xs = Tensor::from_vec(pixels(), (N, 30), &Device::Cpu).unwrap();
    let alias = xs.clone();
    let mixup = Mixup::new(1.0).unwrap();
    let mut rng = Streams::new(5).batch(0, 0);
    let bad = Tensor::new(&[0u32, 1, 2, 3, 4, 0], &Device::Cpu).unwrap(); // 4 is not a class of 4
    let err = mix_batch(&mixup, &mut rng, xs.clone(), bad, C, 0.0).unwrap_err();
    assert!(matches!(
        err,
        Error::Mixup(mixup::Error::LabelOutOfRange {
            sample: 4,
            num_classes: C
        })
    ));
    let short = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
    let err = mix_batch(&mixup, &mut rng, xs.clone(), short, C, 0.0).unwrap_err();
    assert!(matches!(err, Error::Shape { .. }));
    let ints = Tensor::new(&[[1u32, 2], [3, 4]], &Device::Cpu).unwrap();
    let two = Tensor::new(&[0u32, 1], &Device::Cpu).unwrap();
    let err = mix_batch(&mixup, &mut rng, ints, two, C, 0.0).unwrap_err();
    assert!(matches!(err, Error::Dtype(DType::U32)));
    assert_eq!(
        alias.flatten_all().unwrap().to_vec1::<f32>().unwrap(),
        pixels()
    );
    // Nothing was drawn either: the generator is where it started.
    assert_eq!(rng, Streams::new(5).batch(0, 0));
}
