//! The Host API: the only contract between the PVM interpreter and a chain.
//!
//! A contract reaches the outside world through exactly seven capabilities,
//! each one method (or a pair) of [`HostApi`]:
//!
//! | capability | methods |
//! |---|---|
//! | read state | [`HostApi::get_state`] |
//! | write state | [`HostApi::set_state`] |
//! | delete state | [`HostApi::delete_state`] |
//! | emit an event | [`HostApi::emit_event`] |
//! | gas | [`HostApi::charge_gas`], [`HostApi::gas_left`] |
//! | context | [`HostApi::context`] |
//! | randomness | [`HostApi::randomness`] |
//!
//! This crate holds no chain, VM or storage types: a chain implements
//! [`HostApi`] over its own state, and the VM only ever sees `&mut dyn HostApi`.
//! [`MemoryHost`] is an in-memory implementation for local runs and tests.
//! [`derive_randomness`] is the one way every host derives contract randomness.

mod api;
mod error;
mod memory;
mod randomness;

pub use api::{Bytes, HostApi, HostContext};
pub use error::{HostError, HostErrorKind};
pub use memory::{Event, MemoryHost, DEFAULT_RANDOMNESS_SEED};
pub use randomness::derive_randomness;

/// Most bytes of debug log (`print`) one call keeps. The runtime stops logging
/// there, and stored receipts are decoded with the same bound, so a log the
/// runtime produced always reads back.
pub const MAX_LOG_BYTES: usize = 64 * 1024;
