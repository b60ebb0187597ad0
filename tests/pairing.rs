//! Pairings: every output is a permutation, derangements have no fixed point, and the random
//! pairings are uniform (chi-square over all permutations, resp. derangements, of 4).

use mixup::{Error, Pairing, Permutation};

/// The check on a copy: `Ok` or the error, and the copy must come back exactly as it was.
fn check_permutation(p: &[usize]) -> Result<(), Error> {
    let mut copy = p.to_vec();
    let r = Permutation::new(&mut copy).map(|perm| {
        // While the checked view lives it reads back the same partners.
        assert!(perm.iter().eq(p.iter().copied()), "{p:?}");
    });
    assert_eq!(copy, p, "the check must leave the slice as it found it");
    r
}
use rand_core::SeedableRng;
use rand_xoshiro::Xoshiro256PlusPlus;

const ALL: [Pairing; 7] = [
    Pairing::Roll(0),
    Pairing::Roll(1),
    Pairing::Roll(-3),
    Pairing::Roll(isize::MAX),
    Pairing::Flip,
    Pairing::Shuffle,
    Pairing::Derangement,
];

#[test]
fn every_pairing_is_a_permutation_at_every_size() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(11);
    for n in 0..200usize {
        for pairing in ALL {
            let mut p = vec![usize::MAX; n];
            let r = pairing.fill(&mut rng, &mut p).map(drop);
            if pairing == Pairing::Derangement && n == 1 {
                assert_eq!(r, Err(Error::DerangementOfOne));
                continue;
            }
            r.unwrap();
            check_permutation(&p).unwrap_or_else(|e| panic!("{pairing:?} n={n}: {e}"));
            if pairing == Pairing::Derangement {
                assert!(p.iter().enumerate().all(|(i, &j)| i != j), "n={n} {p:?}");
            }
        }
    }
}

#[test]
fn flip_and_roll_have_their_documented_fixed_points() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(0);
    let mut p = [0usize; 7];
    Pairing::Flip.fill(&mut rng, &mut p).unwrap();
    let fixed: Vec<usize> = (0..7).filter(|&i| p[i] == i).collect();
    assert_eq!(fixed, [3]);
    Pairing::Roll(14).fill(&mut rng, &mut p).unwrap();
    assert!(p.iter().enumerate().all(|(i, &j)| i == j));
}

/// Rank of a permutation of 0..4 in lexicographic order (Lehmer code).
fn rank(p: &[usize; 4]) -> usize {
    let mut r = 0;
    for i in 0..4 {
        let smaller_after = p[i + 1..].iter().filter(|&&x| x < p[i]).count();
        r = r * (4 - i) + smaller_after;
    }
    r
}

fn chi_square(counts: &[u64], expected: f64) -> f64 {
    counts
        .iter()
        .map(|&c| (c as f64 - expected).powi(2) / expected)
        .sum()
}

#[test]
fn shuffle_is_uniform_over_the_24_permutations_of_4() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(2024);
    let draws = 240_000u64;
    let mut counts = [0u64; 24];
    let mut p = [0usize; 4];
    for _ in 0..draws {
        Pairing::Shuffle.fill(&mut rng, &mut p).unwrap();
        counts[rank(&p)] += 1;
    }
    assert!(counts.iter().all(|&c| c > 0));
    // 23 degrees of freedom: the 0.999 quantile of χ²(23) is 49.73.
    let x2 = chi_square(&counts, draws as f64 / 24.0);
    assert!(x2 < 49.73, "χ² = {x2}, counts {counts:?}");
}

#[test]
fn derangement_is_uniform_over_the_9_derangements_of_4() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(77);
    let draws = 90_000u64;
    let mut counts = [0u64; 24];
    let mut p = [0usize; 4];
    for _ in 0..draws {
        Pairing::Derangement.fill(&mut rng, &mut p).unwrap();
        counts[rank(&p)] += 1;
    }
    let derangements: Vec<u64> = (0..24)
        .filter(|&r| counts[r] > 0)
        .map(|r| counts[r])
        .collect();
    // Exactly the 9 derangements of 4 occur, nothing else.
    assert_eq!(derangements.len(), 9, "{counts:?}");
    // 8 degrees of freedom: the 0.999 quantile of χ²(8) is 26.12.
    let x2 = chi_square(&derangements, draws as f64 / 9.0);
    assert!(x2 < 26.12, "χ² = {x2}, counts {derangements:?}");
}

#[test]
fn the_chi_square_test_detects_a_modulo_biased_shuffle() {
    // The classic mistake: j = rng % (i + 1) with a small generator range. With 3 bits (0..8),
    // 8 % 3 != 0 biases j; the test above must reject such a shuffle.
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(5);
    let draws = 240_000u64;
    let mut counts = [0u64; 24];
    for _ in 0..draws {
        let mut p = [0usize, 1, 2, 3];
        for i in (1..4).rev() {
            let j = (rand_core::Rng::next_u32(&mut rng) % 8) as usize % (i + 1);
            p.swap(i, j);
        }
        counts[rank(&p)] += 1;
    }
    let x2 = chi_square(&counts, draws as f64 / 24.0);
    assert!(x2 > 49.73, "χ² = {x2}");
}

#[test]
fn check_permutation_names_the_first_bad_position() {
    assert_eq!(
        check_permutation(&[1, 2, 2, 0]),
        Err(Error::NotAPermutation {
            position: 2,
            partner: 2
        })
    );
    // A repeat before an out-of-range entry is the first bad position.
    assert_eq!(
        check_permutation(&[0, 0, 7]),
        Err(Error::NotAPermutation {
            position: 1,
            partner: 0
        })
    );
    assert_eq!(
        check_permutation(&[1, 9, 0]),
        Err(Error::NotAPermutation {
            position: 1,
            partner: 9
        })
    );
    // Beyond one 4096-wide window: a repeat in the second window at an earlier position than
    // one in the first window is the one reported.
    let n = 10_000;
    let mut p: Vec<usize> = (0..n).collect();
    p[100] = 5000; // repeats p[5000] = 5000 later: reported at position 5000
    p[7000] = 1; // repeats p[1] earlier: reported at position 7000
    assert_eq!(
        check_permutation(&p),
        Err(Error::NotAPermutation {
            position: 5000,
            partner: 5000
        })
    );
}

#[test]
fn entries_with_the_top_bits_set_are_refused_and_restored() {
    // The check marks visited members in the entries' top bits: values that already have them
    // set must be refused as out of range, not mistaken for marks, and come back unchanged.
    let top = 1usize << (usize::BITS - 1);
    for bad in [top, top | 1, usize::MAX, usize::MAX - 1, top >> 1] {
        for n in [1usize, 2, 3, 5000] {
            for at in [0, n / 2, n - 1] {
                let mut p: Vec<usize> = (0..n).collect();
                p[at] = bad;
                let r = check_permutation(&p);
                assert!(
                    matches!(r, Err(Error::NotAPermutation { .. })),
                    "n={n} at={at} {bad:#x}: {r:?}"
                );
            }
        }
    }
}

#[test]
fn a_checked_permutation_reads_back_its_partners() {
    let mut rng = Xoshiro256PlusPlus::seed_from_u64(8);
    for n in [0usize, 1, 2, 17, 4097, 10_000] {
        let mut p = vec![0usize; n];
        let copy: Vec<usize> = {
            let perm = Pairing::Shuffle.fill(&mut rng, &mut p).unwrap();
            assert_eq!(perm.len(), n);
            (0..n).map(|i| perm.get(i).unwrap()).collect()
        };
        // Dropping the view restores the plain indices it was read from.
        assert_eq!(copy, p);
        check_permutation(&p).unwrap();
    }
}
