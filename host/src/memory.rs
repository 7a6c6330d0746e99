//! [`MemoryHost`]: a complete [`HostApi`] in memory, for local runs and tests.
//!
//! State is a sorted map, events a list, gas a limit and a counter. Randomness is
//! `sha256("pvm/randomness/v1" || len(seed) || seed || tx_hash || len(domain) || domain)`,
//! so it is deterministic per (seed, transaction, domain) and differs across domains.
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

use sha2::{Digest, Sha256};

use crate::{Bytes, HostApi, HostContext, HostError};

/// The seed [`MemoryHost`] derives randomness from unless told otherwise.
pub const DEFAULT_RANDOMNESS_SEED: &[u8] = b"pvm/memory-host/default-seed";

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
    seed: Bytes,
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
            seed: DEFAULT_RANDOMNESS_SEED.to_vec(),
        }
    }

    /// Replaces the randomness seed.
    pub fn with_seed(mut self, seed: &[u8]) -> Self {
        self.seed = seed.to_vec();
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
        let mut h = Sha256::new();
        h.update(b"pvm/randomness/v1");
        h.update((self.seed.len() as u64).to_be_bytes());
        h.update(&self.seed);
        h.update(self.context.tx_hash);
        h.update((domain.len() as u64).to_be_bytes());
        h.update(domain);
        Ok(h.finalize().into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn randomness_is_per_tx_and_domain() {
        let mut a = MemoryHost::new(ctx(1), 0);
        let mut a2 = MemoryHost::new(ctx(1), 0);
        let mut b = MemoryHost::new(ctx(2), 0);
        let x = a.randomness(b"lottery").unwrap();
        assert_eq!(x, a2.randomness(b"lottery").unwrap());
        assert_ne!(x, a.randomness(b"raffle").unwrap());
        assert_ne!(x, b.randomness(b"lottery").unwrap());
        let mut c = MemoryHost::new(ctx(1), 0).with_seed(b"other");
        assert_ne!(x, c.randomness(b"lottery").unwrap());
    }
}
