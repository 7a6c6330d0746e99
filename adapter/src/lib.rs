//! `AltoHost`: the PVM Host API on Alto's block state.
//!
//! This crate will hold `AltoHost`, the [`pvm_host::HostApi`] implementation a
//! node uses while executing a block: state reads and writes on the block's
//! journaled overlay (`pvm-overlay`), an event sink journaled with it, the
//! transaction's gas meter (`pvm-gas`), the block context taken from the
//! `alto_types::Block`, randomness derived from the parent's threshold-VRF seed,
//! the transaction hash and the domain, and the one place where `HostError`s map
//! to and from node errors. It is empty until the plugin issue fills it.
