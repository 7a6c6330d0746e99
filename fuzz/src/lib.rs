//! Fuzz targets for everything a validator reads from strangers: transactions,
//! block payloads, receipts from its own store, the operator's config and gas
//! schedule, `pvm_host` arguments and contract source.
//!
//! Each target is a plain function from bytes to nothing that panics when a
//! property fails, so the same bodies serve two drivers:
//!
//! - `fuzz/libfuzzer/` is a cargo-fuzz project (nightly, libFuzzer,
//!   coverage-guided) whose targets only call these functions; `make fuzz`
//!   runs each for a while (see `scripts/fuzz.sh`).
//! - `tests/replay.rs` runs every input under `fuzz/corpus/<target>/` and
//!   `fuzz/regressions/<target>/` through the same functions on stable Rust,
//!   as part of `make test`. Inputs of crashes that are not fixed yet live in
//!   `fuzz/regressions-open/<target>/`; the replay lists them without running
//!   them, so the suite stays green while each stays on record.
//!
//! | target | what it feeds | property beyond "no panic" |
//! |---|---|---|
//! | [`tx_decoder`] | `Transaction::decode`, `verify_signature`, the handler's `check`/`check_many` | re-encodes to the same bytes; single and batch checks agree |
//! | [`payload_decoder`] | `BlockPayload::decode`, then `check_many` on its PVM entries | re-encodes to the same bytes; limits hold |
//! | [`receipt_decoder`] | `Receipt::decode_cfg`, the stored-receipt layout | re-encodes to the same bytes; every limit is exact |
//! | [`config_parser`] | `PvmConfig::from_toml` | an accepted config's derived limits are consistent |
//! | [`gas_schedule_parser`] | `GasSchedule::from_toml` | round-trips through `to_toml`; pricing is monotonic |
//! | [`host_args`] | odd Python values into every `pvm_host` function | results match a model of the host |
//! | [`python_source`] | generated or raw contracts through `PvmInterpreter::execute` | two runs on one interpreter are byte-identical |

pub mod codec;
pub mod host_args;
pub mod interpreter;
pub mod parsers;
pub mod python;

pub use codec::{payload_decoder, receipt_decoder, tx_decoder};
pub use host_args::host_args;
pub use parsers::{config_parser, gas_schedule_parser};
pub use python::python_source;

/// A fuzz target: panics when a property fails on its input.
pub type Target = fn(&[u8]);

/// Every target, by the name its corpus directory and libFuzzer binary have.
pub const TARGETS: &[(&str, Target)] = &[
    ("tx_decoder", tx_decoder),
    ("payload_decoder", payload_decoder),
    ("receipt_decoder", receipt_decoder),
    ("config_parser", config_parser),
    ("gas_schedule_parser", gas_schedule_parser),
    ("host_args", host_args),
    ("python_source", python_source),
];
