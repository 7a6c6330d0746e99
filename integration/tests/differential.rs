//! PVM agrees with CPython 3.11 on generated programs: a fixed seed range,
//! run on every `make test` (`scripts/difftest.sh` runs long ranges).

use std::collections::BTreeSet;
use std::ops::Range;

use pvm_integration::differential::{self, pvm};
use pvm_integration::progen::{self, Program};

/// The fast slice: about a minute of CPU with both interpreters.
const SEEDS: Range<u64> = 0..1500;

fn programs(seeds: Range<u64>) -> Vec<Program> {
    seeds.map(progen::generate).collect()
}

/// Seeds of [`SEEDS`] that still disagree, one per line (`seed<TAB>summary`).
const KNOWN: &str = include_str!("differential/known.txt");

#[test]
fn generated_programs_agree_with_cpython() {
    let programs = programs(SEEDS);
    let mismatches = differential::compare_with_cpython(&programs).expect("the CPython harness");
    let known: BTreeSet<u64> = KNOWN
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .map(|l| l.split('\t').next().unwrap().parse().expect("a seed"))
        .collect();
    let found: BTreeSet<u64> = mismatches.iter().map(|m| m.program.seed).collect();
    let new: Vec<String> = mismatches
        .iter()
        .filter(|m| !known.contains(&m.program.seed))
        .take(3)
        .map(|m| m.report())
        .collect();
    let fixed: Vec<&u64> = known.difference(&found).collect();
    eprintln!(
        "{} programs, {} differ from CPython 3.11 ({} listed in differential/known.txt)",
        programs.len(),
        found.len(),
        known.len()
    );
    assert!(
        new.is_empty(),
        "{} programs differ from CPython 3.11 that are not in differential/known.txt; the first:\n{}",
        found.difference(&known).count(),
        new.join("\n")
    );
    assert!(
        fixed.is_empty(),
        "seeds {fixed:?} agree with CPython now: remove them from differential/known.txt"
    );
}

/// The comparison is not vacuous: a program relying on something the sandbox
/// changes on purpose (the default repr prints no address) is reported.
#[test]
fn a_sandbox_difference_is_reported() {
    let mut p = progen::generate(0);
    p.chunks.truncate(1);
    p.chunks[0].text = "class C:\n    pass\nout(repr(C()))".to_owned();
    p.chunks[0].section = progen::Section::Main;
    let mismatches = differential::compare_with_cpython(&[p]).expect("the CPython harness");
    assert_eq!(mismatches.len(), 1);
    let m = &mismatches[0];
    let theirs = String::from_utf8(m.cpython.result.clone().unwrap()).unwrap();
    assert!(theirs.contains(" at 0x"), "{theirs}");
    let ours = String::from_utf8(m.pvm.result.clone().unwrap()).unwrap();
    assert_eq!(ours, "'<__contract__.main.<locals>.C object>'");
}

/// The slice exercises what the generator claims, and most probes compute a
/// value rather than fail (a generator that only produced errors would agree
/// trivially).
#[test]
fn the_slice_covers_the_features() {
    let programs = programs(0..300);
    let sources: Vec<String> = programs.iter().map(Program::source).collect();
    for needle in [
        "pvm_host.set_state(",
        "pvm_host.get_state(",
        "pvm_host.delete_state(",
        "pvm_host.emit_event(",
        "pvm_host.context()",
        "pvm_host.randomness(",
        "print(",
        "class ",
        "super()",
        "@property",
        "yield",
        "yield from",
        ".send(",
        ".throw(",
        "except*",
        "raise ",
        " from ",
        "finally:",
        "match ",
        "lambda",
        "nonlocal",
        ":=",
        "sorted(",
        "key=",
        "divmod(",
        "pow(",
        "round(",
        "format(",
        "f'",
        "' % (",
        "b'",
        "float('nan')",
        "float('inf')",
        "-0.0",
        "int(",
        "str(",
        "[::",
        "{**",
        "for ",
        "while ",
        "**",
        "//",
        "<<",
    ] {
        let n = sources.iter().filter(|s| s.contains(needle)).count();
        assert!(n >= 3, "only {n} of 300 programs contain {needle:?}");
    }
    let receipts = pvm::run_shared(&programs);
    let ok = receipts.iter().filter(|r| r.result.is_ok()).count();
    assert!(ok >= 200, "only {ok} of 300 programs returned");
    let (mut values, mut errors) = (0usize, 0usize);
    for r in &receipts {
        if let Ok(out) = &r.result {
            for line in String::from_utf8_lossy(out).lines() {
                if line.contains("Error: ") || line.starts_with("StopIteration") {
                    errors += 1;
                } else {
                    values += 1;
                }
            }
        }
    }
    assert!(values > 2 * errors, "{values} values and {errors} errors");
    assert!(
        errors > 300,
        "only {errors} error lines: error messages are barely compared"
    );
}
