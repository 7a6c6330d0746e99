//! `AltoHost`: the PVM Host API on Alto's block state.
//!
//! - [`host`]: [`AltoHost`], the [`pvm_host::HostApi`] a node hands the VM for one
//!   transaction: state and events on the block's journaled overlay, confined to
//!   the calling contract's namespace; the transaction's gas meter; the block and
//!   transaction context; randomness.
//! - [`randomness`]: how randomness is derived (block seed, transaction, domain).
//! - [`error`]: the one place where overlay errors become [`pvm_host::HostError`]s.

pub mod error;
pub mod host;
pub mod randomness;

pub use error::host_error;
pub use host::AltoHost;
pub use randomness::{derive_randomness, RandomnessSeed};
