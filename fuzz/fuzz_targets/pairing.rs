//! Every pairing at every batch size gives a permutation; Derangement has no fixed point; the
//! fixed pairings follow their formulas; `check_permutation` agrees with a naive check and names
//! the first bad position.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{Error, Pairing, check_permutation};
use mixup_fuzz::{ScriptedRng, is_permutation};

fn pairing(u: &mut Unstructured<'_>) -> Result<Pairing> {
    Ok(match u.int_in_range(0..=3)? {
        0 => Pairing::Roll(if u.arbitrary()? {
            u.int_in_range(-20..=20)?
        } else {
            u.arbitrary()?
        }),
        1 => Pairing::Flip,
        2 => Pairing::Shuffle,
        _ => Pairing::Derangement,
    })
}

fn fill(u: &mut Unstructured<'_>) -> Result<()> {
    let p = pairing(u)?;
    // Across the 4096-bit window of the permutation check now and then.
    let n = if u.ratio(1, 16)? {
        u.int_in_range(4000..=8300)?
    } else {
        u.int_in_range(0..=70)?
    };
    let mut rng: ScriptedRng = u.arbitrary()?;
    let before = rng.clone();
    let sentinel = usize::MAX - 1;
    let mut partners = vec![sentinel; n];
    let result = p.fill(&mut rng, &mut partners);
    if p == Pairing::Derangement && n == 1 {
        assert_eq!(result, Err(Error::DerangementOfOne));
        assert_eq!(partners, [sentinel], "written on Err");
        return Ok(());
    }
    result.unwrap_or_else(|e| panic!("{p:?} at n={n}: {e}"));
    assert!(is_permutation(&partners), "{p:?} n={n}: {partners:?}");
    assert!(check_permutation(&partners).is_ok());
    match p {
        Pairing::Roll(k) => {
            for (i, &j) in partners.iter().enumerate() {
                // torch.roll(x, k)[i] = x[(i − k) mod n], in exact arithmetic.
                let want = (i as i128 - k as i128).rem_euclid(n as i128) as usize;
                assert_eq!(j, want, "Roll({k}) n={n} i={i}");
            }
        }
        Pairing::Flip => {
            for (i, &j) in partners.iter().enumerate() {
                assert_eq!(j, n - 1 - i);
            }
        }
        Pairing::Derangement => {
            assert!(
                partners.iter().enumerate().all(|(i, &j)| i != j),
                "fixed point: {partners:?}"
            );
        }
        Pairing::Shuffle => {}
    }
    if !p.is_random() {
        assert_eq!(rng, before, "{p:?} drew from the generator");
    }
    Ok(())
}

/// Arbitrary partner lists, permutations or not.
fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let n = u.int_in_range(0..=64)?;
    let mut partners = mixup_fuzz::permutation(u, n)?;
    for _ in 0..u.int_in_range(0..=3)? {
        if n == 0 {
            break;
        }
        let i = u.int_in_range(0..=n - 1)?;
        partners[i] = if u.arbitrary()? {
            u.int_in_range(0..=n + 2)?
        } else {
            u.arbitrary()?
        };
    }
    let result = check_permutation(&partners);
    assert_eq!(result.is_ok(), is_permutation(&partners), "{partners:?}");
    if let Err(e) = result {
        // The first position that is out of range or repeats an earlier partner.
        let first = partners
            .iter()
            .enumerate()
            .position(|(i, &p)| p >= n || partners[..i].contains(&p))
            .expect("not a permutation");
        assert_eq!(
            e,
            Error::NotAPermutation {
                position: first,
                partner: partners[first]
            },
            "{partners:?}"
        );
    }
    Ok(())
}

fuzz_target!(|data: &[u8]| {
    let mut u = Unstructured::new(data);
    let _ = if u.arbitrary().unwrap_or(false) {
        check(&mut u)
    } else {
        fill(&mut u)
    };
});
