//! [`AltoHost`]: the [`HostApi`] a node hands the VM for one transaction.
//!
//! It borrows the block's [`StateOverlay`] for the duration of the call: reads,
//! writes and deletes go to the calling contract's namespace only (the contract
//! address is the overlay key's namespace, so no key a contract chooses can name
//! another contract's state), events are journaled in the overlay beside the
//! writes, so the executor's checkpoint reverts both together. Gas is a
//! [`GasMeter`] with the transaction's limit. The context comes from the block
//! and the transaction; randomness from the block's [`RandomnessSeed`].
//!
//! ```
//! use pvm_alto::{AltoHost, RandomnessSeed};
//! use pvm_host::{HostApi, HostContext};
//! use pvm_overlay::{Limits, MemoryView, StateKey, StateOverlay};
//!
//! let mut overlay = StateOverlay::new(MemoryView::default(), Limits::default());
//! let contract = [9; 32];
//! let mut host = AltoHost::new(&mut overlay, contract, HostContext::default(), RandomnessSeed::default(), 1_000);
//! host.set_state(b"count", b"1").unwrap();
//! host.emit_event("Counted", b"1").unwrap();
//! assert_eq!(host.get_state(b"count").unwrap(), Some(b"1".to_vec()));
//! drop(host);
//! assert_eq!(overlay.get(&StateKey::new(contract, b"count".to_vec())).unwrap(), Some(b"1".to_vec()));
//! assert_eq!(overlay.events().len(), 1);
//! ```

use pvm_gas::GasMeter;
use pvm_host::{Bytes, HostApi, HostContext, HostError};
use pvm_overlay::{Address, CommittedView, Event, StateKey, StateOverlay};

use crate::error::host_error;
use crate::randomness::{derive_randomness, RandomnessSeed};

/// The Host API on a block overlay, for one transaction of one contract.
pub struct AltoHost<'a, V> {
    overlay: &'a mut StateOverlay<V>,
    contract: Address,
    context: HostContext,
    seed: RandomnessSeed,
    meter: GasMeter,
}

impl<'a, V: CommittedView> AltoHost<'a, V> {
    /// A host for `contract` with `gas_limit` gas, on `overlay`.
    pub fn new(
        overlay: &'a mut StateOverlay<V>,
        contract: Address,
        context: HostContext,
        seed: RandomnessSeed,
        gas_limit: u64,
    ) -> Self {
        Self {
            overlay,
            contract,
            context,
            seed,
            meter: GasMeter::new(gas_limit),
        }
    }

    /// Gas used so far (equal to the limit after running out).
    pub fn gas_used(&self) -> u64 {
        self.meter.used()
    }

    /// The contract whose namespace this host reads and writes.
    pub fn contract(&self) -> &Address {
        &self.contract
    }

    fn key(&self, key: &[u8]) -> StateKey {
        StateKey::new(self.contract, key.to_vec())
    }
}

impl<V: CommittedView> HostApi for AltoHost<'_, V> {
    fn get_state(&mut self, key: &[u8]) -> Result<Option<Bytes>, HostError> {
        self.overlay.get(&self.key(key)).map_err(host_error)
    }

    fn set_state(&mut self, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        let key = self.key(key);
        self.overlay.set(key, value.to_vec()).map_err(host_error)
    }

    fn delete_state(&mut self, key: &[u8]) -> Result<(), HostError> {
        let key = self.key(key);
        self.overlay.delete(key).map_err(host_error)
    }

    fn emit_event(&mut self, topic: &str, data: &[u8]) -> Result<(), HostError> {
        let event = Event::new(self.contract, topic, data.to_vec());
        self.overlay.emit(event).map_err(host_error)
    }

    fn charge_gas(&mut self, amount: u64) -> Result<(), HostError> {
        self.meter.charge(amount).map_err(HostError::from)
    }

    fn gas_left(&self) -> u64 {
        self.meter.left()
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
    use pvm_host::HostErrorKind;
    use pvm_overlay::{Limits, MemoryView};

    fn overlay() -> StateOverlay<MemoryView> {
        StateOverlay::new(MemoryView::default(), Limits::default())
    }

    #[test]
    fn contracts_see_only_their_own_namespace() {
        let mut o = overlay();
        AltoHost::new(
            &mut o,
            [1; 32],
            HostContext::default(),
            RandomnessSeed::default(),
            100,
        )
        .set_state(b"k", b"one")
        .unwrap();
        let mut other = AltoHost::new(
            &mut o,
            [2; 32],
            HostContext::default(),
            RandomnessSeed::default(),
            100,
        );
        assert_eq!(other.get_state(b"k").unwrap(), None);
        other.set_state(b"k", b"two").unwrap();
        other.delete_state(b"k").unwrap();
        assert_eq!(
            o.get(&StateKey::new([1; 32], b"k".to_vec())).unwrap(),
            Some(b"one".to_vec())
        );
    }

    #[test]
    fn checkpoint_revert_drops_writes_and_events() {
        let mut o = overlay();
        let cp = o.checkpoint().unwrap();
        {
            let mut h = AltoHost::new(
                &mut o,
                [1; 32],
                HostContext::default(),
                RandomnessSeed::default(),
                100,
            );
            h.set_state(b"k", b"v").unwrap();
            h.emit_event("E", b"x").unwrap();
        }
        o.revert(cp).unwrap();
        assert!(o.events().is_empty());
        assert_eq!(o.get(&StateKey::new([1; 32], b"k".to_vec())).unwrap(), None);
    }

    #[test]
    fn limits_surface_as_invalid_input_and_gas_is_final() {
        let limits = Limits {
            max_value_len: 4,
            ..Limits::default()
        };
        let mut o = StateOverlay::new(MemoryView::default(), limits);
        let mut h = AltoHost::new(
            &mut o,
            [1; 32],
            HostContext::default(),
            RandomnessSeed::default(),
            10,
        );
        let e = h.set_state(b"k", b"too long").unwrap_err();
        assert_eq!(e.kind(), HostErrorKind::InvalidInput);
        assert!(h.charge_gas(11).is_err());
        assert_eq!((h.gas_used(), h.gas_left()), (10, 0));
    }

    #[test]
    fn randomness_depends_on_seed_tx_and_domain() {
        let mut o = overlay();
        let ctx = |tx| HostContext {
            tx_hash: [tx; 32],
            ..HostContext::default()
        };
        let mut a = AltoHost::new(&mut o, [1; 32], ctx(1), RandomnessSeed([5; 32]), 10);
        let x = a.randomness(b"d").unwrap();
        assert_ne!(x, a.randomness(b"e").unwrap());
        let mut b = AltoHost::new(&mut o, [1; 32], ctx(2), RandomnessSeed([5; 32]), 10);
        assert_ne!(x, b.randomness(b"d").unwrap());
        let mut c = AltoHost::new(&mut o, [1; 32], ctx(1), RandomnessSeed([6; 32]), 10);
        assert_ne!(x, c.randomness(b"d").unwrap());
    }

    /// `pvm run` (a [`MemoryHost`]) and the chain (an [`AltoHost`]) give a contract
    /// the same bytes for the same seed, transaction and domain.
    #[test]
    fn memory_host_and_alto_host_derive_the_same_randomness() {
        let seed = [5; 32];
        let context = HostContext {
            tx_hash: [7; 32],
            ..HostContext::default()
        };
        let mut o = overlay();
        let mut alto = AltoHost::new(&mut o, [1; 32], context.clone(), RandomnessSeed(seed), 10);
        let mut memory = pvm_host::MemoryHost::new(context, 10).with_seed(&seed);
        let long = [0xff; 300];
        for domain in [&b""[..], b"lottery", &long] {
            assert_eq!(
                alto.randomness(domain).unwrap(),
                memory.randomness(domain).unwrap(),
                "domain {domain:?}"
            );
        }
        // The chain's bytes are pinned: changing them changes receipts.
        assert_eq!(
            alto.randomness(b"lottery").unwrap(),
            hex_bytes("7ee2c34119c1853d4bdbb00738835fc8c0090a705dba72046fe58ab7fc873a21")
        );
    }

    fn hex_bytes(text: &str) -> [u8; 32] {
        let mut out = [0; 32];
        for (i, byte) in out.iter_mut().enumerate() {
            *byte = u8::from_str_radix(&text[2 * i..2 * i + 2], 16).unwrap();
        }
        out
    }
}
