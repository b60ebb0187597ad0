//! The adapter gives exactly what the core gives: the same mixed bytes, soft rows and triples as
//! `Mixup::apply` on the same host batch with the same generator state; and burn's data loader
//! gives the same mixed batches for any number of workers.

use burn::data::dataloader::DataLoaderBuilder;
use burn::data::dataloader::batcher::Batcher;
use burn::data::dataset::InMemDataset;
use burn::tensor::{Device, Int, Tensor, TensorData};
use mixup::{BatchMut, Draw, ImageLayout, LabelTriple, Labels, Pairing};
use mixup_burn::{Error, Mixed, Mixup, MixupBatcher, Streams, batch_key};

const C: usize = 5;
const CHW: [usize; 3] = [3, 4, 6];
const SAMPLE: usize = CHW[0] * CHW[1] * CHW[2];

#[derive(Debug, Clone)]
struct Item {
    pixels: Vec<f32>,
    label: i64,
}

#[derive(Debug, Clone)]
struct Images {
    images: Tensor<4>,
    targets: Tensor<1, Int>,
}

/// A plain user batcher: stacks the items into `[B, 3, 4, 6]` and `[B]`.
#[derive(Debug, Clone)]
struct Stack;

impl Batcher<Item, Images> for Stack {
    fn batch(&self, items: Vec<Item>, device: &Device) -> Images {
        let n = items.len();
        let pixels: Vec<f32> = items.iter().flat_map(|i| i.pixels.clone()).collect();
        let labels: Vec<i64> = items.iter().map(|i| i.label).collect();
        Images {
            images: Tensor::from_data(TensorData::new(pixels, [n, CHW[0], CHW[1], CHW[2]]), device),
            targets: Tensor::from_data(TensorData::new(labels, [n]), device),
        }
    }
}

fn items(n: usize) -> Vec<Item> {
    (0..n)
        .map(|i| Item {
            pixels: (0..SAMPLE)
                .map(|k| ((i * 37 + k * 11) % 97) as f32 / 96.0 - 0.25)
                .collect(),
            label: ((i * 3) % C) as i64,
        })
        .collect()
}

fn wrap(
    mixup: Mixup,
) -> MixupBatcher<Stack, impl Fn(&mut Images) -> (&mut Tensor<4>, &Tensor<1, Int>) + Clone, 4> {
    MixupBatcher::new(Stack, mixup, C, |b: &mut Images| {
        (&mut b.images, &b.targets)
    })
}

fn f32s(t: &Tensor<1>) -> Vec<f32> {
    t.to_data().try_into_vec_as::<f32>().unwrap()
}

fn ints(t: &Tensor<1, Int>) -> Vec<i64> {
    t.to_data().try_into_vec_as::<i64>().unwrap()
}

#[test]
fn same_bytes_soft_rows_and_triples_as_the_core() {
    let device = Device::flex();
    let mixups = [
        Mixup::new(0.4).unwrap(),
        Mixup::new(1.0).unwrap().with_pairing(Pairing::Derangement),
        Mixup::new(0.7)
            .unwrap()
            .with_granularity(mixup::Granularity::Sample)
            .with_cutmix(mixup::CutMix::new(1.0).unwrap(), 0.5)
            .unwrap()
            .with_switch_scope(mixup::Scope::Sample),
    ];
    for (m, mixup) in mixups.into_iter().enumerate() {
        for (seed, epoch) in [(0u64, 0u64), (7, 3)] {
            let batcher = wrap(mixup).with_seed(seed).with_smoothing(0.1).unwrap();
            batcher.epoch().set(epoch);
            let batch = items(9);
            let got = batcher.batch(batch.clone(), &device).unwrap();

            // The core on the same host batch, with the generator the docs name.
            let mut host: Vec<f32> = batch.iter().flat_map(|i| i.pixels.clone()).collect();
            let labels: Vec<i64> = batch.iter().map(|i| i.label).collect();
            let bytes: Vec<u8> = host.iter().flat_map(|v| v.to_le_bytes()).collect();
            let mut rng = Streams::new(seed).batch(epoch, batch_key(&bytes, &labels));
            let classes = Labels::classes(&labels, C)
                .unwrap()
                .with_smoothing(0.1)
                .unwrap();
            let (mut records, mut soft) = (vec![Draw::default(); 9], vec![0.0f32; 9 * C]);
            let mut triples = vec![LabelTriple::default(); 9];
            let layout = ImageLayout::nchw(CHW[0], CHW[1], CHW[2]);
            let mut view = BatchMut::new(&mut host, layout).unwrap();
            let draws = mixup
                .apply(&mut rng, &mut view, &classes, &mut records, &mut soft)
                .unwrap();
            classes.triples(&draws, &mut triples).unwrap();
            let expected_draws: Vec<Draw> = draws.iter().collect();
            drop(draws);

            let what = format!("mixup {m}, seed {seed}, epoch {epoch}");
            let mixed = got.batch.images.to_data();
            let expected_bytes: Vec<u8> = host.iter().flat_map(|v| v.to_le_bytes()).collect();
            assert_eq!(mixed.as_bytes(), &expected_bytes[..], "{what}: images");
            assert_ne!(expected_bytes, bytes, "{what}: nothing was mixed");
            assert_eq!(
                got.soft.to_data().try_into_vec_as::<f32>().unwrap(),
                soft,
                "{what}: soft rows"
            );
            assert_eq!(got.soft.dims(), [9, C]);
            assert_eq!(got.draws, expected_draws, "{what}: draws");
            let a: Vec<i64> = triples.iter().map(|t| t.a as i64).collect();
            let b: Vec<i64> = triples.iter().map(|t| t.b as i64).collect();
            let l: Vec<f32> = triples.iter().map(|t| t.lambda as f32).collect();
            assert_eq!(ints(&got.y_a), a, "{what}: y_a");
            assert_eq!(ints(&got.y_b), b, "{what}: y_b");
            assert_eq!(f32s(&got.lambda), l, "{what}: λ");
            // The class indices of the user's batch are left as they were.
            assert_eq!(ints(&got.batch.targets), labels);
        }
    }
}

#[test]
fn the_draws_depend_on_seed_epoch_and_content_only() {
    let device = Device::flex();
    let batcher = wrap(Mixup::new(1.0).unwrap()).with_seed(3);
    let images = |m: &Mixed<Images>| m.batch.images.to_data().as_bytes().to_vec();
    let once = batcher.batch(items(8), &device).unwrap();
    let again = batcher.clone().batch(items(8), &device).unwrap();
    assert_eq!(images(&once), images(&again));
    let other_seed = wrap(Mixup::new(1.0).unwrap()).with_seed(4);
    assert_ne!(
        images(&once),
        images(&other_seed.batch(items(8), &device).unwrap())
    );
    // The epoch handle is shared with the clones handed to the loader.
    let clone = batcher.clone();
    batcher.epoch().set(1);
    assert_ne!(
        images(&once),
        images(&clone.batch(items(8), &device).unwrap())
    );
}

/// burn splits the data set among its workers in whole batches (without shuffling), so every
/// worker count builds the same batches; mixed with content-keyed streams, they must come out as
/// the same bytes, in whatever order the workers finish.
#[test]
fn any_number_of_workers_gives_the_same_batches() {
    let mut runs = Vec::new();
    for workers in [0, 1, 2, 4] {
        let loader = DataLoaderBuilder::new(wrap(Mixup::new(0.5).unwrap()).with_seed(11))
            .batch_size(6)
            .num_workers(workers)
            .set_device(Device::flex())
            .build(InMemDataset::new(items(40)));
        let mut batches: Vec<(Vec<u8>, Vec<u8>)> = loader
            .iter()
            .map(|item| {
                let mixed = item.unwrap().unwrap();
                let soft = mixed.soft.to_data().as_bytes().to_vec();
                (mixed.batch.images.to_data().as_bytes().to_vec(), soft)
            })
            .collect();
        assert_eq!(batches.len(), 7, "{workers} workers");
        batches.sort();
        runs.push(batches);
    }
    for (workers, run) in [1, 2, 4].iter().zip(&runs[1..]) {
        assert_eq!(run, &runs[0], "{workers} workers differ from none");
    }
}

#[test]
fn bad_labels_give_an_error() {
    let device = Device::flex();
    let mut batch = items(4);
    batch[2].label = C as i64; // not a class of C
    let err = wrap(Mixup::new(0.4).unwrap())
        .batch(batch, &device)
        .unwrap_err();
    assert_eq!(
        err,
        Error::Mixup(mixup::Error::LabelOutOfRange {
            sample: 2,
            num_classes: C
        })
    );
    assert!(wrap(Mixup::new(0.4).unwrap()).with_smoothing(1.0).is_err());
}
