//! The one derivation of contract randomness, shared by every host (the chain's
//! and the in-memory one `pvm run` uses), so a contract gets the same bytes
//! wherever it runs with the same seed, transaction and domain.
//!
//! ```text
//! sha256("pvm/randomness/v1" || seed || tx_hash || u64_be(len(domain)) || domain)
//! ```
//!
//! The seed and the transaction hash are fixed-size, so only the domain needs
//! its length: no two (seed, tx, domain) triples hash the same bytes. Changing
//! this function changes receipts of every contract that asks for randomness:
//! it is a hard fork.
//!
//! ```
//! use pvm_host::derive_randomness;
//!
//! let a = derive_randomness(&[7; 32], &[1; 32], b"lottery");
//! assert_eq!(a, derive_randomness(&[7; 32], &[1; 32], b"lottery"));
//! assert_ne!(a, derive_randomness(&[7; 32], &[1; 32], b"raffle"));
//! assert_ne!(a, derive_randomness(&[7; 32], &[2; 32], b"lottery"));
//! assert_ne!(a, derive_randomness(&[8; 32], &[1; 32], b"lottery"));
//! ```

use sha2::{Digest, Sha256};

/// Domain separator of the derivation.
const RANDOMNESS_TAG: &[u8] = b"pvm/randomness/v1";

/// 32 random bytes for `domain` in transaction `tx_hash` of a block whose
/// randomness seed is `seed`.
pub fn derive_randomness(seed: &[u8; 32], tx_hash: &[u8; 32], domain: &[u8]) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(RANDOMNESS_TAG);
    h.update(seed);
    h.update(tx_hash);
    h.update((domain.len() as u64).to_be_bytes());
    h.update(domain);
    h.finalize().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Pinned: the bytes the chain gives contracts (computed independently,
    /// with Python's hashlib).
    #[test]
    fn pinned_vector() {
        let bytes = derive_randomness(&[5; 32], &[7; 32], b"lottery");
        let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(
            hex,
            "7ee2c34119c1853d4bdbb00738835fc8c0090a705dba72046fe58ab7fc873a21"
        );
    }
}
