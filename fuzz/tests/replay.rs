//! Replays every committed fuzz input through its target on stable Rust.
//!
//! For each target of [`pvm_fuzz::TARGETS`], every file under
//! `fuzz/corpus/<target>/` (the seeds and the minimized corpus) and
//! `fuzz/regressions/<target>/` (inputs of crashes since fixed) must run
//! without a panic. Files under `fuzz/regressions-open/<target>/` reproduce
//! crashes not fixed yet: they are listed, with the `.txt` note beside each,
//! but not run. Fixing one means moving its input to `fuzz/regressions/`.

use std::panic::{self, AssertUnwindSafe};
use std::path::{Path, PathBuf};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

/// The inputs in `dir`, sorted; notes (`*.txt`, `README*`) are not inputs.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut files: Vec<PathBuf> = entries
        .map(|e| e.expect("readable fuzz directory").path())
        .filter(|p| p.is_file())
        .filter(|p| {
            let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
            !name.ends_with(".txt") && !name.starts_with("README")
        })
        .collect();
    files.sort();
    files
}

/// Runs `target` on every input of `dir`; the failures, each named by its file.
fn replay(target: pvm_fuzz::Target, dir: &Path) -> (usize, Vec<String>) {
    let files = inputs(dir);
    let mut failures = Vec::new();
    for file in &files {
        let data = std::fs::read(file).expect("readable fuzz input");
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(|| target(&data))) {
            let message = payload
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| payload.downcast_ref::<&str>().map(|s| s.to_string()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", file.display()));
        }
    }
    (files.len(), failures)
}

fn replay_target(name: &str) {
    let (_, target) = pvm_fuzz::TARGETS
        .iter()
        .find(|(n, _)| *n == name)
        .expect("a known target");
    let root = fuzz_dir();
    let (seeds, mut failures) = replay(*target, &root.join("corpus").join(name));
    let (regressions, more) = replay(*target, &root.join("regressions").join(name));
    failures.extend(more);
    assert!(seeds > 0, "fuzz/corpus/{name}/ has no seeds");
    let open = inputs(&root.join("regressions-open").join(name));
    for file in &open {
        eprintln!("{name}: open, not replayed: {}", file.display());
    }
    eprintln!(
        "{name}: {seeds} corpus inputs, {regressions} regressions replayed, {} open",
        open.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn tx_decoder() {
    replay_target("tx_decoder");
}

#[test]
fn payload_decoder() {
    replay_target("payload_decoder");
}

#[test]
fn receipt_decoder() {
    replay_target("receipt_decoder");
}

#[test]
fn config_parser() {
    replay_target("config_parser");
}

#[test]
fn gas_schedule_parser() {
    replay_target("gas_schedule_parser");
}

#[test]
fn host_args() {
    replay_target("host_args");
}

#[test]
fn python_source() {
    replay_target("python_source");
}

#[test]
fn every_target_has_a_test_and_a_libfuzzer_binary() {
    let manifest = std::fs::read_to_string(fuzz_dir().join("libfuzzer/Cargo.toml")).unwrap();
    let this = include_str!("replay.rs");
    for (name, _) in pvm_fuzz::TARGETS {
        assert!(
            this.contains(&format!("fn {name}()")),
            "no replay test for {name}"
        );
        assert!(
            manifest.contains(&format!("name = \"{name}\"")),
            "no libFuzzer binary for {name}"
        );
        let body =
            std::fs::read_to_string(fuzz_dir().join(format!("libfuzzer/fuzz_targets/{name}.rs")))
                .unwrap_or_default();
        assert!(
            body.contains(&format!("pvm_fuzz::{name}(")),
            "{name}.rs does not call pvm_fuzz::{name}"
        );
    }
}
