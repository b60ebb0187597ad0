//! `Beta`: an `Err` exactly for an invalid shape; otherwise every λ is in [0, 1], never NaN and
//! never `-0.0`, whatever the shapes and whatever the generator's draws. `Mixup` validates α the
//! same way, and its default `draw` takes λ from `Mixup::beta` first, then the partners, as
//! documented on `Mixup::draw`.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{Beta, Draw, Error, ImageLayout, Mixup, Pairing, SampleOp, Shape};
use mixup_fuzz::{ScriptedRng, shape};

fn valid(x: f64) -> bool {
    x.is_finite() && x > 0.0
}

fn same(x: f64, y: f64) -> bool {
    x.to_bits() == y.to_bits()
}

fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let a = shape(u)?;
    let b = if u.arbitrary()? { a } else { shape(u)? };
    let draws: u8 = u.int_in_range(1..=32)?;
    let mut rng: ScriptedRng = u.arbitrary()?;

    // The error names the first invalid shape, with its exact value.
    match Beta::new(a, b) {
        Ok(beta) => {
            assert!(valid(a) && valid(b), "accepted a={a:e} b={b:e}");
            assert!(same(beta.a(), a) && same(beta.b(), b));
            for _ in 0..draws {
                let l = beta.sample(&mut rng);
                assert!(
                    (0.0..=1.0).contains(&l) && !same(l, -0.0),
                    "a={a:e} b={b:e}: λ={l} ({:#x})",
                    l.to_bits()
                );
            }
        }
        Err(Error::InvalidShape { value }) => {
            let first_bad = if valid(a) { b } else { a };
            assert!(!(valid(a) && valid(b)), "rejected a={a:e} b={b:e}");
            assert!(
                same(value, first_bad),
                "error names {value:e}, not {first_bad:e}"
            );
        }
        Err(e) => panic!("unexpected error {e:?} for a={a:e} b={b:e}"),
    }

    assert_eq!(Beta::symmetric(a).is_ok(), valid(a));
    // Mixup validates α the same way and then samples the same law, in the documented order:
    // with the defaults (probability 1, one λ per batch), λ first, then the partners.
    let pairing = if u.arbitrary()? {
        Pairing::Shuffle
    } else {
        Pairing::Derangement
    };
    match Mixup::new(a) {
        Ok(m) => {
            assert!(valid(a));
            let m = m.with_pairing(pairing);
            assert!(same(m.beta().a(), a) && same(m.beta().b(), a));
            let mut replay = rng.clone();
            let lambda = m.beta().sample(&mut replay);
            let mut partners = [0usize; 3];
            let expected: Vec<usize> = pairing
                .fill(&mut replay, &mut partners)
                .expect("a batch of 3 is valid")
                .iter()
                .collect();

            let shape = Shape::<f64>::new(ImageLayout::flat(1), 3).expect("3 samples of 1");
            let mut records = [Draw::default(); 3];
            let draws = m
                .draw(&mut rng, shape, &mut records)
                .expect("a batch of 3 is valid");
            assert_eq!(rng, replay, "α={a:e}: draws beyond λ and the partners");
            assert_eq!(draws.len(), 3);
            for (i, d) in draws.iter().enumerate() {
                assert_eq!(d.partner, expected[i], "α={a:e}: {d:?}");
                if d.partner == i {
                    assert_eq!(d.op, SampleOp::Keep, "α={a:e}: {d:?}");
                    assert!(same(d.lambda, 1.0), "α={a:e}: {d:?}");
                } else {
                    // f64 data: the λ recorded is the λ drawn, exactly.
                    assert!(
                        matches!(d.op, SampleOp::Blend(l) if same(l, lambda))
                            && same(d.lambda, lambda),
                        "α={a:e}: {d:?}, λ drawn {lambda:e}"
                    );
                }
            }
            if pairing == Pairing::Derangement {
                assert!(draws.iter().enumerate().all(|(i, d)| d.partner != i));
            }
        }
        Err(e) => {
            assert!(!valid(a));
            assert!(matches!(e, Error::InvalidShape { value } if same(value, a)));
        }
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let _ = check(&mut Unstructured::new(data));
});
