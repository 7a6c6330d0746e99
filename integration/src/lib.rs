//! End-to-end tests for PVM and its example contracts.
//!
//! The example contracts live in `contracts/`; the tests in `tests/` run them
//! through the runtime and, as the plugin grows, through blocks of signed
//! transactions on several validators in Commonware's deterministic runtime.

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
