//! Same seed, same bytes: pinned λ sequences, partners and hashes of mixed batches.
//!
//! The scenario (`tests/golden/scenario.rs`) and the pinned values (`tests/golden/expected.rs`)
//! are shared with the Cortex-M4F check in `cross/cortex-m4`, and this test also runs on aarch64
//! under qemu-user (`.ci/steps/50-aarch64.sh`) and under Miri (`.ci/steps/40-miri.sh`), so one
//! table is checked on every target.
//!
//! # Re-pinning
//!
//! A deliberate change of the output (a new sampler algorithm, a new pairing) changes the table.
//! Print and rewrite it with one command, then review the diff of `tests/golden/expected.rs`:
//!
//! ```text
//! cargo test -p mixup-tests --test golden -- --ignored bless
//! ```
//!
//! Nothing else may change a value: a difference between targets, optimization levels or SIMD
//! paths is a bug, not a reason to re-pin.

mod scenario {
    include!("golden/scenario.rs");
}

mod expected {
    include!("golden/expected.rs");
}

use std::fmt::Write as _;

type Record = (u64, &'static str, u32, u64);

fn current() -> Vec<Record> {
    let mut out = Vec::new();
    scenario::run(&mut |seed, what, k, value| out.push((seed, what, k, value)));
    out
}

fn record(seeds: &[u64]) -> Vec<Record> {
    let mut out = Vec::new();
    scenario::run_seeds(seeds, &mut |seed, what, k, value| {
        out.push((seed, what, k, value))
    });
    out
}

#[test]
fn golden_values_match() {
    // The interpreter is about a thousand times slower: under Miri the first seed, whose values
    // are the start of the table, stands for all.
    let seeds = if cfg!(miri) {
        &scenario::SEEDS[..1]
    } else {
        &scenario::SEEDS[..]
    };
    let got = record(seeds);
    let want = if cfg!(miri) {
        let n = expected::EXPECTED
            .iter()
            .take_while(|r| r.0 == scenario::SEEDS[0])
            .count();
        &expected::EXPECTED[..n]
    } else {
        expected::EXPECTED
    };
    let mut report = String::new();
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        if g != w {
            writeln!(
                report,
                "#{i}: seed {:#x} {} [{}]: got {:#018x}, pinned {:#018x}{}",
                g.0,
                g.1,
                g.2,
                g.3,
                w.3,
                if (g.0, g.1, g.2) == (w.0, w.1, w.2) {
                    String::new()
                } else {
                    format!(" (pinned entry is seed {:#x} {} [{}])", w.0, w.1, w.2)
                }
            )
            .unwrap();
        }
    }
    if got.len() != want.len() {
        writeln!(
            report,
            "the scenario produced {} values, the table pins {}",
            got.len(),
            want.len()
        )
        .unwrap();
    }
    assert!(
        report.is_empty(),
        "golden values differ (re-pin only for a deliberate change, see tests/golden.rs):\n{report}"
    );
}

/// Every implementation of the kernels this machine runs (scalar, the baseline vector loop, and
/// AVX2 / AVX-512 / NEON where present) records the pinned value of every kernel section, with
/// ordinary and non-temporal stores and with a small in-place tile.
#[test]
fn every_implementation_gives_the_pinned_values() {
    use mixup::Implementation;
    let seeds = if cfg!(miri) {
        &scenario::SEEDS[..1]
    } else {
        &scenario::SEEDS[..]
    };
    let available: Vec<Implementation> = Implementation::available().collect();
    assert!(
        available.contains(&Implementation::Scalar)
            && available.contains(&Implementation::Baseline),
        "the scalar reference and the baseline loop always run: {available:?}"
    );
    let mut report = String::new();
    let mut compared = 0;
    for &imp in &available {
        scenario::run_kernels(seeds, imp, &mut |seed, what, k, value| {
            let pinned = expected::EXPECTED
                .iter()
                .find(|r| (r.0, r.1, r.2) == (seed, what, k));
            compared += 1;
            if pinned.map(|r| r.3) != Some(value) {
                writeln!(
                    report,
                    "{imp}: seed {seed:#x} {what} [{k}]: got {value:#018x}, pinned {pinned:?}"
                )
                .unwrap();
            }
        });
    }
    let names: Vec<&str> = available.iter().map(|i| i.name()).collect();
    println!("implementations exercised: {}", names.join(", "));
    assert!(
        compared >= available.len() * seeds.len() * 6,
        "{compared} values compared"
    );
    assert!(
        report.is_empty(),
        "an implementation differs from the pinned bytes:\n{report}"
    );
}

/// The values must not be degenerate: a section that failed records `u64::MAX`, and every hash
/// over random draws or seeded data (k ≥ 16 values) must differ between seeds, so that a
/// generator that is ignored, or data that is never written, cannot pass.
#[test]
#[cfg_attr(miri, ignore = "needs every seed; the native runs check it")]
fn scenario_is_not_degenerate() {
    let got = current();
    for &(seed, what, k, value) in &got {
        assert_ne!(value, u64::MAX, "seed {seed:#x} {what} [{k}] failed");
    }
    let seeded = |r: &&Record| r.2 >= 16 && !r.1.contains("roll") && !r.1.contains("flip");
    for a in got.iter().filter(seeded) {
        for b in got.iter().filter(seeded) {
            if a.0 < b.0 && (a.1, a.2) == (b.1, b.2) {
                assert_ne!(
                    a.3, b.3,
                    "{} [{}]: seeds {:#x} and {:#x} agree",
                    a.1, a.2, a.0, b.0
                );
            }
        }
    }
}

/// Rewrites `tests/golden/expected.rs` from the current code and prints it.
#[test]
#[ignore = "rewrites the pinned table; run on purpose: cargo test -p mixup-tests --test golden -- --ignored bless"]
fn bless() {
    let mut text = String::from(
        "// Pinned by `cargo test -p mixup-tests --test golden -- --ignored bless`; see tests/golden.rs.\n\
         // Shared with cross/cortex-m4. Entries: (seed, what, k, value); k is the index of a\n\
         // single draw, or the number of values a hash covers.\n\n\
         /// The values `scenario::run` must record, in order.\n\
         pub const EXPECTED: &[(u64, &str, u32, u64)] = &[\n",
    );
    for (seed, what, k, value) in current() {
        writeln!(text, "    ({seed:#x}, {what:?}, {k}, {value:#018x}),").unwrap();
    }
    text.push_str("];\n");
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/golden/expected.rs");
    std::fs::write(path, &text).unwrap();
    print!("{text}");
}
