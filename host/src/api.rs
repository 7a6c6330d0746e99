//! The [`HostApi`] trait and the per-transaction [`HostContext`].

use crate::HostError;

/// Owned byte strings passed across the host boundary.
pub type Bytes = Vec<u8>;

/// What a transaction may know about where it runs; fixed for its whole execution.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct HostContext {
    /// Height of the block that includes the transaction.
    pub block_height: u64,
    /// Digest of that block (all zeroes when there is no block, as in `pvm run`).
    pub block_hash: [u8; 32],
    /// Hash of the transaction itself.
    pub tx_hash: [u8; 32],
    /// Address of the account that signed the transaction.
    pub sender: Bytes,
    /// Block timestamp in milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
}

/// What the interpreter may ask of its environment: seven capabilities, one question per method.
///
/// Implementations must be deterministic: the same sequence of calls on the same
/// state returns the same results on every machine. Every method that does work
/// may fail with a [`HostError`]; the VM turns it into a Python exception.
/// The VM charges gas for a call (through [`HostApi::charge_gas`]) before making it.
pub trait HostApi {
    /// Reads the value stored under `key` in the calling contract's state.
    fn get_state(&mut self, key: &[u8]) -> Result<Option<Bytes>, HostError>;
    /// Stores `value` under `key` in the calling contract's state.
    fn set_state(&mut self, key: &[u8], value: &[u8]) -> Result<(), HostError>;
    /// Removes `key` from the calling contract's state (a no-op when absent).
    fn delete_state(&mut self, key: &[u8]) -> Result<(), HostError>;
    /// Records an event; it is reverted together with state if the transaction fails.
    fn emit_event(&mut self, topic: &str, data: &[u8]) -> Result<(), HostError>;
    /// Consumes `amount` gas, failing with [`HostError::OutOfGas`] when it exceeds what is left.
    fn charge_gas(&mut self, amount: u64) -> Result<(), HostError>;
    /// Gas still available to the transaction.
    fn gas_left(&self) -> u64;
    /// The block and transaction context.
    fn context(&self) -> &HostContext;
    /// 32 deterministic random bytes for `domain`, unpredictable before the block is fixed.
    fn randomness(&mut self, domain: &[u8]) -> Result<[u8; 32], HostError>;
}
