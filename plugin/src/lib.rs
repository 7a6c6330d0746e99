//! The PVM plugin an Alto node embeds (the `pvm` binary is `pvm-cli`).
//!
//! - [`tx`]: signed PVM transactions, their codec and stateless checks.
//! - [`payload`]: what a PVM chain puts in an Alto block's data.
//! - [`registry`]: the transaction-type extension point ([`registry::TxHandler`]).
//! - [`pvm_tx`]: the PVM transaction type (deploy, call).
//! - [`executor`]: checks and executes a block's transactions.
//! - [`node`]: [`node::PvmNode`], chain state + interpreter pool + executor.
//! - [`config`]: the node operator's `pvm.toml`.
//! - [`params`]: [`params::ChainParams`], the consensus parameters fixed at genesis.
//! - [`telemetry`]: the metrics PVM records (through the `metrics` facade).

pub mod config;
pub mod executor;
pub mod node;
pub mod params;
pub mod payload;
pub mod pvm_tx;
pub mod registry;
pub mod telemetry;
pub mod tx;
