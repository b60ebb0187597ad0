//! Every pairing at every batch size gives a checked permutation; Derangement has no fixed
//! point (and refuses a batch of one, writing nothing); the fixed pairings follow their formulas
//! and draw nothing; dropping the permutation gives the plain partners back. `Permutation::new`
//! agrees with a naive check on arbitrary slices (entries with the marker bits set, slices
//! across the 4096-entry window of the fallback check), names the first bad position, and leaves
//! the slice as it was on `Ok` and on `Err`; `Permutation::identity` is the identity.
#![no_main]

use arbitrary::{Result, Unstructured};
use libfuzzer_sys::fuzz_target;
use mixup::{Error, Pairing, Permutation};
use mixup_fuzz::{ScriptedRng, check_permutation, checked_permutation, is_permutation};

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

/// A batch size: small mostly, across the 4096-entry window of the fallback check now and then.
fn batch_size(u: &mut Unstructured<'_>, small: usize) -> Result<usize> {
    Ok(if u.ratio(1, 16)? {
        u.int_in_range(4000..=8300)?
    } else {
        u.int_in_range(0..=small)?
    })
}

fn fill(u: &mut Unstructured<'_>) -> Result<()> {
    let p = pairing(u)?;
    let n = batch_size(u, 70)?;
    let mut rng: ScriptedRng = u.arbitrary()?;
    let before = rng.clone();
    let sentinel = usize::MAX - 1;
    let mut partners = vec![sentinel; n];
    let result = p.fill(&mut rng, &mut partners).map(|perm| {
        assert_eq!(perm.len(), n);
        assert_eq!(perm.get(n), None);
        let read: Vec<usize> = perm.iter().collect();
        assert_eq!(
            read,
            (0..n).map(|i| perm.get(i).unwrap()).collect::<Vec<_>>()
        );
        read
    });
    if p == Pairing::Derangement && n == 1 {
        assert_eq!(result, Err(Error::DerangementOfOne));
        assert_eq!(partners, [sentinel], "written on Err");
        return Ok(());
    }
    let read = result.unwrap_or_else(|e| panic!("{p:?} at n={n}: {e}"));
    // The permutation was dropped: the slice holds the plain partners it read back.
    assert_eq!(partners, read, "{p:?} n={n}: not given back as read");
    assert!(is_permutation(&partners), "{p:?} n={n}: {partners:?}");
    check_permutation(&partners).expect("a pairing's output is a permutation");
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
        _ => {}
    }
    assert_eq!(
        p.is_random(),
        matches!(p, Pairing::Shuffle | Pairing::Derangement)
    );
    if !p.is_random() {
        assert_eq!(rng, before, "{p:?} drew from the generator");
    }
    Ok(())
}

/// A value for a corrupted entry: in range, just out of it, with the marker bits set, anything.
fn entry(u: &mut Unstructured<'_>, n: usize) -> Result<usize> {
    const TOP: usize = 1 << (usize::BITS - 1);
    const NEXT: usize = 1 << (usize::BITS - 2);
    Ok(match u.int_in_range(0..=4)? {
        0 => u.int_in_range(0..=n.saturating_sub(1))?,
        1 => n + u.int_in_range(0..=2)?,
        // The bits a permutation uses while it holds the slice, with an index below them.
        2 => *u.choose(&[TOP, NEXT, TOP | NEXT])? | u.int_in_range(0..=n)?,
        3 => usize::MAX - u.int_in_range(0..=2)?,
        _ => u.arbitrary()?,
    })
}

/// Arbitrary partner lists, permutations or not.
fn check(u: &mut Unstructured<'_>) -> Result<()> {
    let n = batch_size(u, 64)?;
    let mut partners = mixup_fuzz::permutation(u, n)?;
    for _ in 0..u.int_in_range(0..=3)? {
        if n == 0 {
            break;
        }
        let i = u.int_in_range(0..=n - 1)?;
        partners[i] = entry(u, n)?;
    }
    // Ok exactly for a permutation, the first bad position named, the slice restored: asserted
    // in `checked_permutation`.
    let original = partners.clone();
    match checked_permutation(&mut partners) {
        Ok(perm) => {
            assert!(is_permutation(&original));
            drop(perm);
        }
        Err(e) => {
            assert!(!is_permutation(&original), "{e}");
            assert!(matches!(e, Error::NotAPermutation { .. }));
        }
    }
    assert_eq!(partners, original, "not given back unchanged");

    // Whatever the slice held, the identity overwrites it and is given back plain.
    let perm = Permutation::identity(&mut partners);
    assert!(perm.iter().eq(0..n));
    drop(perm);
    assert!(partners.iter().copied().eq(0..n));
    check_permutation(&partners).expect("the identity is a permutation");
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
