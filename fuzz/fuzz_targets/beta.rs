//! `Beta`: an `Err` exactly for an invalid shape; otherwise every λ is in [0, 1] and never NaN,
//! whatever the shapes and whatever the generator's draws.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{Beta, Error, Mixup};
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
                    (0.0..=1.0).contains(&l),
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
    // Mixup validates α the same way and then samples the same law.
    match Mixup::new(a) {
        Ok(m) => {
            assert!(valid(a));
            let mut partners = [0usize; 3];
            let o = m
                .draw(&mut rng, &mut partners)
                .expect("a batch of 3 is valid");
            assert!(o.mixed && (0.0..=1.0).contains(&o.lambda), "α={a:e}: {o:?}");
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
