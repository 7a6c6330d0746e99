//! End-to-end tests for PVM and its example contracts.
//!
//! The example contracts live in `contracts/`; the tests in `tests/` run them
//! through the runtime and, as the plugin grows, through blocks of signed
//! transactions on several validators in Commonware's deterministic runtime.
//!
//! - [`progen`]: seeded random Python programs for differential testing.
//! - [`differential`]: running them on PVM and CPython 3.11, and on PVM under
//!   different histories, and comparing the receipts (`tests/differential.rs`,
//!   `tests/histories.rs`, and `pvm-difftest` for long runs).

pub mod differential;
pub mod progen;

use std::path::PathBuf;

/// Folder holding the example contracts.
pub fn contracts_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("contracts")
}

/// Source of the example contract `name` (e.g. `"token.py"`).
pub fn contract(name: &str) -> Vec<u8> {
    let path = contracts_dir().join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()))
}
