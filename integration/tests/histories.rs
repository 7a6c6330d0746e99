//! The same generated programs give byte-identical receipts (output, gas,
//! events, state, error kind, message and line, logs) on a fresh interpreter,
//! on one interpreter shared by all, on a pool worker warmed by 1,000 other
//! contracts, on another pool worker after an allocation churn, and in a
//! second process.

use std::ops::Range;
use std::path::Path;

use pvm_integration::differential::{first_difference, pvm};
use pvm_integration::progen::{self, Program};

/// The fast slice (`scripts/difftest.sh` runs long ranges).
const SEEDS: Range<u64> = 0..300;

#[test]
fn receipts_are_identical_across_histories_and_processes() {
    let programs: Vec<Program> = SEEDS.map(progen::generate).collect();
    let fresh = pvm::run_fresh(&programs);
    let shared = pvm::run_shared(&programs);
    let (warmed, churned) = pvm::run_on_pool(&programs);
    let other = pvm::second_process(Path::new(env!("CARGO_BIN_EXE_pvm-difftest")), SEEDS)
        .expect("the second process");

    let mut differences = Vec::new();
    for (i, p) in programs.iter().enumerate() {
        let want = fresh[i].encode();
        for (name, r) in [
            ("shared", &shared[i]),
            ("warmed pool", &warmed[i]),
            ("churned pool", &churned[i]),
        ] {
            if r.encode() != want {
                differences.push(format!(
                    "seed {} ({name}): {}",
                    p.seed,
                    first_difference(&fresh[i], r)
                ));
            }
        }
        if other[i] != want {
            differences.push(format!(
                "seed {} (second process):\n{}\nvs\n{}",
                p.seed,
                String::from_utf8_lossy(&want),
                String::from_utf8_lossy(&other[i])
            ));
        }
    }
    assert!(
        differences.is_empty(),
        "{} differences over {} programs x 5 histories:\n{}",
        differences.len(),
        programs.len(),
        differences.join("\n")
    );
    // The receipts carry what they should: gas, and some failures and events.
    assert!(fresh.iter().all(|r| r.gas_used.is_some_and(|g| g > 0)));
    assert!(fresh.iter().any(|r| r.result.is_err()));
    assert!(fresh.iter().any(|r| !r.events.is_empty()));
    assert!(fresh.iter().any(|r| !r.logs.is_empty()));
}
