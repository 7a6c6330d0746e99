//! Deterministic randomness for contracts.
//!
//! A block carries a [`RandomnessSeed`]: 32 bytes fixed before the block's contents
//! are chosen (on Alto, the digest of the parent's threshold-VRF seed signature,
//! which no single validator can predict or grind). A contract asking for
//! randomness in `domain` gets [`pvm_host::derive_randomness`] of the seed, the
//! transaction hash and the domain:
//!
//! ```text
//! sha256("pvm/randomness/v1" || seed || tx_hash || u64_be(len(domain)) || domain)
//! ```
//!
//! so every transaction and every domain gets independent bytes, identical on
//! every validator, on replay, and in the in-memory host `pvm run` uses when it
//! is given the same seed (one derivation, in `pvm-host`).
//!
//! ```
//! use pvm_alto::{derive_randomness, RandomnessSeed};
//!
//! let seed = RandomnessSeed([7; 32]);
//! let a = derive_randomness(&seed, &[1; 32], b"lottery");
//! assert_eq!(a, derive_randomness(&seed, &[1; 32], b"lottery"));
//! assert_ne!(a, derive_randomness(&seed, &[1; 32], b"raffle"));
//! assert_ne!(a, derive_randomness(&seed, &[2; 32], b"lottery"));
//! assert_eq!(a, pvm_host::derive_randomness(&seed.0, &[1; 32], b"lottery"));
//! ```

/// The per-block source of contract randomness.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct RandomnessSeed(pub [u8; 32]);

/// 32 random bytes for `domain` in transaction `tx_hash` of a block seeded with `seed`.
pub fn derive_randomness(seed: &RandomnessSeed, tx_hash: &[u8; 32], domain: &[u8]) -> [u8; 32] {
    pvm_host::derive_randomness(&seed.0, tx_hash, domain)
}
