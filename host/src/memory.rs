//! [`MemoryHost`]: a complete [`HostApi`] in memory, for local runs and tests.
//!
//! State is a sorted map, events a list, gas a limit and a counter. Randomness is
//! [`derive_randomness`] of the host's 32-byte seed, the transaction and the
//! domain: the chain's derivation, so a contract run here with the seed a block
//! carries gets the bytes it gets on the chain.
//!
//! ```
//! use pvm_host::{HostApi, HostContext, MemoryHost};
//!
//! let mut host = MemoryHost::new(HostContext::default(), 1_000);
//! host.set_state(b"k", b"v").unwrap();
//! assert_eq!(host.get_state(b"k").unwrap(), Some(b"v".to_vec()));
//! host.charge_gas(400).unwrap();
//! assert_eq!(host.gas_left(), 600);
//! assert!(host.charge_gas(601).is_err());
//! ```

use std::collections::BTreeMap;

use crate::{derive_randomness, Bytes, HostApi, HostContext, HostError};

/// The seed [`MemoryHost`] derives randomness from unless told otherwise
/// (`sha256("pvm/memory-host/default-seed")`).
pub const DEFAULT_RANDOMNESS_SEED: [u8; 32] = [
    0x01, 0xad, 0xc5, 0x49, 0x9a, 0xc2, 0x85, 0x2a, 0xbf, 0x89, 0xea, 0x12, 0x85, 0x96, 0xae, 0xfd,
    0x3c, 0xf7, 0x23, 0xac, 0x33, 0x37, 0xc2, 0xbc, 0x76, 0x68, 0x8f, 0x18, 0x5e, 0xa9, 0xa9, 0x99,
];

/// An event as emitted by a contract.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The event's topic.
    pub topic: String,
    /// The event's payload.
    pub data: Bytes,
}

/// An in-memory [`HostApi`]: sorted state, an event list, a gas counter.
#[derive(Clone, Debug)]
pub struct MemoryHost {
    state: BTreeMap<Bytes, Bytes>,
    events: Vec<Event>,
    context: HostContext,
    gas_limit: u64,
    gas_used: u64,
    seed: [u8; 32],
}

impl MemoryHost {
    /// An empty host with `gas_limit` gas and the default randomness seed.
    pub fn new(context: HostContext, gas_limit: u64) -> Self {
        Self {
            state: BTreeMap::new(),
            events: Vec::new(),
            context,
            gas_limit,
            gas_used: 0,
            seed: DEFAULT_RANDOMNESS_SEED,
        }
    }

    /// Replaces the randomness seed (what a block carries on the chain).
    pub fn with_seed(mut self, seed: &[u8; 32]) -> Self {
        self.seed = *seed;
        self
    }

    /// Replaces the whole state (e.g. loaded from disk).
    pub fn with_state(mut self, state: BTreeMap<Bytes, Bytes>) -> Self {
        self.state = state;
        self
    }

    /// The current state, sorted by key.
    pub fn state(&self) -> &BTreeMap<Bytes, Bytes> {
        &self.state
    }

    /// Events emitted so far, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// Gas consumed so far.
    pub fn gas_used(&self) -> u64 {
        self.gas_used
    }

    /// The gas limit this host was created with.
    pub fn gas_limit(&self) -> u64 {
        self.gas_limit
    }

    /// Takes the state and events out of the host, leaving it empty.
    pub fn into_parts(self) -> (BTreeMap<Bytes, Bytes>, Vec<Event>) {
        (self.state, self.events)
    }
}

impl HostApi for MemoryHost {
    fn get_state(&mut self, key: &[u8]) -> Result<Option<Bytes>, HostError> {
        Ok(self.state.get(key).cloned())
    }

    fn set_state(&mut self, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.state.insert(key.to_vec(), value.to_vec());
        Ok(())
    }

    fn delete_state(&mut self, key: &[u8]) -> Result<(), HostError> {
        self.state.remove(key);
        Ok(())
    }

    fn emit_event(&mut self, topic: &str, data: &[u8]) -> Result<(), HostError> {
        self.events.push(Event {
            topic: topic.to_owned(),
            data: data.to_vec(),
        });
        Ok(())
    }

    fn charge_gas(&mut self, amount: u64) -> Result<(), HostError> {
        let left = self.gas_left();
        if amount > left {
            // Out of gas is final: everything left is consumed.
            self.gas_used = self.gas_limit;
            return Err(HostError::OutOfGas {
                needed: amount,
                left,
            });
        }
        self.gas_used += amount;
        Ok(())
    }

    fn gas_left(&self) -> u64 {
        self.gas_limit.saturating_sub(self.gas_used)
    }

    fn context(&self) -> &HostContext {
        &self.context
    }

    fn randomness(&mut self, domain: &[u8]) -> Result<[u8; 32], HostError> {
        Ok(derive_randomness(&self.seed, &self.context.tx_hash, domain))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::Digest as _;

    fn ctx(tx: u8) -> HostContext {
        HostContext {
            tx_hash: [tx; 32],
            ..HostContext::default()
        }
    }

    #[test]
    fn state_round_trip_and_delete() {
        let mut h = MemoryHost::new(ctx(1), 10);
        assert_eq!(h.get_state(b"a").unwrap(), None);
        h.set_state(b"a", b"1").unwrap();
        assert_eq!(h.get_state(b"a").unwrap(), Some(b"1".to_vec()));
        h.delete_state(b"a").unwrap();
        assert_eq!(h.get_state(b"a").unwrap(), None);
        h.delete_state(b"missing").unwrap();
    }

    #[test]
    fn out_of_gas_consumes_everything() {
        let mut h = MemoryHost::new(ctx(1), 10);
        h.charge_gas(4).unwrap();
        assert_eq!(
            h.charge_gas(7),
            Err(HostError::OutOfGas { needed: 7, left: 6 })
        );
        assert_eq!(h.gas_used(), 10);
        assert_eq!(h.gas_left(), 0);
        assert!(h.charge_gas(u64::MAX).is_err());
    }

    #[test]
    fn default_seed_is_the_documented_digest() {
        let digest: [u8; 32] = sha2::Sha256::digest(b"pvm/memory-host/default-seed").into();
        assert_eq!(DEFAULT_RANDOMNESS_SEED, digest);
    }

    #[test]
    fn randomness_is_per_tx_and_domain() {
        let mut a = MemoryHost::new(ctx(1), 0);
        let mut a2 = MemoryHost::new(ctx(1), 0);
        let mut b = MemoryHost::new(ctx(2), 0);
        let x = a.randomness(b"lottery").unwrap();
        assert_eq!(x, a2.randomness(b"lottery").unwrap());
        assert_ne!(x, a.randomness(b"raffle").unwrap());
        assert_ne!(x, b.randomness(b"lottery").unwrap());
        let mut c = MemoryHost::new(ctx(1), 0).with_seed(&[9; 32]);
        assert_ne!(x, c.randomness(b"lottery").unwrap());
    }
}
