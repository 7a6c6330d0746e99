//! PVM transactions: what they say, how they are encoded and signed, and the
//! checks that need no state.
//!
//! # Format
//!
//! A transaction is encoded with `commonware-codec`; every length is checked
//! against [`TxLimits`] before anything is allocated, so hostile bytes cost a
//! bounded amount of work and get a precise [`TxError`].
//!
//! ```text
//! +---------+----------------+-----------+-----------+--------+----------------+
//! | version | sender         | nonce     | gas_limit | action | signature      |
//! | 1 byte  | ed25519 pk, 32 | varint    | u64 BE    |        | ed25519 sig, 64|
//! +---------+----------------+-----------+-----------+--------+----------------+
//! action = 0 | varint len | code | varint len | init_input      (Deploy)
//!        | 1 | contract address, 32 | varint len | input          (Call)
//! ```
//!
//! The signature covers every byte before it, under the namespace [`TX_NAMESPACE`]
//! (Commonware prefixes the namespace and its length, so a PVM signature can never
//! be valid anywhere else). The transaction hash is the SHA-256 of the whole
//! encoding. A deployed contract's address is
//! `sha256("pvm/contract/v1" || sender || u64_be(nonce))`, known before the deploy
//! executes.
//!
//! # Example
//!
//! ```
//! use commonware_cryptography::{ed25519, Signer as _};
//! use pvm_plugin::tx::{Action, Transaction, TxLimits};
//!
//! let key = ed25519::PrivateKey::from_seed(1);
//! let tx = Transaction::sign(&key, 0, 1_000_000, Action::Call { contract: [7; 32], input: b"hi".to_vec() });
//! let bytes = tx.encode();
//! let back = Transaction::decode(&bytes, &TxLimits::default()).unwrap();
//! assert_eq!(back, tx);
//! back.verify_signature().unwrap();
//! ```

use bytes::{Buf, BufMut};
use commonware_codec::{varint::UInt, EncodeSize, Error as CodecError, FixedSize, ReadExt, Write};
use commonware_cryptography::{ed25519, Hasher as _, Sha256, Signer as _, Verifier as _};
use thiserror::Error;

/// Namespace of transaction signatures.
pub const TX_NAMESPACE: &[u8] = b"_PVM_TX";

/// Encoding version this build writes and reads.
pub const TX_VERSION: u8 = 1;

/// A contract address.
pub type Address = [u8; 32];

/// What a transaction does.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Action {
    /// Creates a contract from Python source and runs its optional `init(input)`.
    Deploy {
        /// The contract's source code.
        code: Vec<u8>,
        /// Input passed to `init`.
        init_input: Vec<u8>,
    },
    /// Calls a deployed contract's `main(input)`.
    Call {
        /// The contract's address.
        contract: Address,
        /// Input passed to `main`.
        input: Vec<u8>,
    },
}

/// A signed PVM transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transaction {
    /// The signer.
    pub sender: ed25519::PublicKey,
    /// The sender's transaction count before this one.
    pub nonce: u64,
    /// Most gas the transaction may use.
    pub gas_limit: u64,
    /// What it does.
    pub action: Action,
    /// Signature of the sender over everything above.
    pub signature: ed25519::Signature,
}

/// Caps checked while decoding, from the node configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TxLimits {
    /// Largest contract code, in bytes.
    pub max_code: usize,
    /// Largest call or init input, in bytes.
    pub max_input: usize,
    /// Largest gas limit a transaction may ask for.
    pub max_gas_limit: u64,
}

impl Default for TxLimits {
    fn default() -> Self {
        Self {
            max_code: 64 * 1024,
            max_input: 64 * 1024,
            max_gas_limit: 50_000_000,
        }
    }
}

/// Why bytes are not an acceptable transaction. Each case names what is wrong.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum TxError {
    /// The bytes do not decode.
    #[error("malformed transaction: {0}")]
    Malformed(String),
    /// The encoding version is unknown.
    #[error("unsupported transaction version {0} (this node reads version {TX_VERSION})")]
    Version(u8),
    /// A field is larger than the node accepts.
    #[error("{field} of {len} bytes exceeds the limit of {limit} bytes (the chain's {setting})", setting = limit_setting(field))]
    Oversize {
        /// The field.
        field: &'static str,
        /// Its length.
        len: u64,
        /// The limit.
        limit: u64,
    },
    /// The gas limit is zero or above the node's cap.
    #[error("gas limit {gas_limit} is outside 1..={max} (the chain's tx_gas_limit)")]
    GasLimit {
        /// What the transaction asked for.
        gas_limit: u64,
        /// The cap.
        max: u64,
    },
    /// The signature does not verify for the sender.
    #[error("bad signature: it does not verify for sender {sender}")]
    BadSignature {
        /// The claimed sender, hex.
        sender: String,
    },
    /// The nonce is not the sender's next one.
    #[error("wrong nonce for sender {sender}: expected {expected}, got {got}")]
    WrongNonce {
        /// The sender, hex.
        sender: String,
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's nonce.
        got: u64,
    },
}

/// The chain parameter that caps a transaction field.
fn limit_setting(field: &str) -> &'static str {
    if field == "code" {
        "max_code_bytes"
    } else {
        "max_input_bytes"
    }
}

impl From<CodecError> for TxError {
    fn from(e: CodecError) -> Self {
        TxError::Malformed(e.to_string())
    }
}

impl Transaction {
    /// Builds and signs a transaction.
    pub fn sign(key: &ed25519::PrivateKey, nonce: u64, gas_limit: u64, action: Action) -> Self {
        let sender = key.public_key();
        let message = signing_message(&sender, nonce, gas_limit, &action);
        let signature = key.sign(TX_NAMESPACE, &message);
        Self {
            sender,
            nonce,
            gas_limit,
            action,
            signature,
        }
    }

    /// The encoded transaction.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = signing_message(&self.sender, self.nonce, self.gas_limit, &self.action);
        self.signature.write(&mut out);
        out
    }

    /// The transaction hash: SHA-256 of the encoding.
    pub fn hash(&self) -> [u8; 32] {
        Sha256::hash(&[&self.encode()]).0
    }

    /// Decodes `bytes`, enforcing `limits`; the signature is not checked.
    pub fn decode(bytes: &[u8], limits: &TxLimits) -> Result<Self, TxError> {
        let mut buf = bytes;
        let version = u8::read(&mut buf)?;
        if version != TX_VERSION {
            return Err(TxError::Version(version));
        }
        let sender = ed25519::PublicKey::read(&mut buf)?;
        let nonce: u64 = UInt::<u64>::read(&mut buf)?.into();
        let gas_limit = u64::read(&mut buf)?;
        if gas_limit == 0 || gas_limit > limits.max_gas_limit {
            return Err(TxError::GasLimit {
                gas_limit,
                max: limits.max_gas_limit,
            });
        }
        let action = match u8::read(&mut buf)? {
            0 => {
                let code = read_bytes(&mut buf, "code", limits.max_code)?;
                let init_input = read_bytes(&mut buf, "init input", limits.max_input)?;
                Action::Deploy { code, init_input }
            }
            1 => {
                let contract = <[u8; 32]>::read(&mut buf)?;
                let input = read_bytes(&mut buf, "input", limits.max_input)?;
                Action::Call { contract, input }
            }
            tag => return Err(CodecError::InvalidEnum(tag).into()),
        };
        let signature = ed25519::Signature::read(&mut buf)?;
        if buf.has_remaining() {
            return Err(CodecError::ExtraData(buf.remaining()).into());
        }
        Ok(Self {
            sender,
            nonce,
            gas_limit,
            action,
            signature,
        })
    }

    /// Checks the signature against the sender.
    pub fn verify_signature(&self) -> Result<(), TxError> {
        let message = signing_message(&self.sender, self.nonce, self.gas_limit, &self.action);
        if self.sender.verify(TX_NAMESPACE, &message, &self.signature) {
            Ok(())
        } else {
            Err(TxError::BadSignature {
                sender: hex::encode(self.sender.as_ref()),
            })
        }
    }

    /// The message the signature covers (the encoding without the signature).
    pub fn signing_message(&self) -> Vec<u8> {
        signing_message(&self.sender, self.nonce, self.gas_limit, &self.action)
    }

    /// The address a deploy creates (or would create) at this sender and nonce.
    pub fn deployed_address(&self) -> Address {
        contract_address(&self.sender, self.nonce)
    }
}

/// The address of the contract `sender` deploys with `nonce`.
pub fn contract_address(sender: &ed25519::PublicKey, nonce: u64) -> Address {
    Sha256::hash(&[b"pvm/contract/v1", sender.as_ref(), &nonce.to_be_bytes()]).0
}

fn signing_message(
    sender: &ed25519::PublicKey,
    nonce: u64,
    gas_limit: u64,
    action: &Action,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 32 + 10 + 8 + action_size(action) + 64);
    TX_VERSION.write(&mut out);
    sender.write(&mut out);
    UInt(nonce).write(&mut out);
    gas_limit.write(&mut out);
    match action {
        Action::Deploy { code, init_input } => {
            0u8.write(&mut out);
            write_bytes(&mut out, code);
            write_bytes(&mut out, init_input);
        }
        Action::Call { contract, input } => {
            1u8.write(&mut out);
            contract.write(&mut out);
            write_bytes(&mut out, input);
        }
    }
    out
}

fn action_size(action: &Action) -> usize {
    match action {
        Action::Deploy { code, init_input } => 1 + 10 + code.len() + 10 + init_input.len(),
        Action::Call { input, .. } => 1 + 32 + 10 + input.len(),
    }
}

fn write_bytes(out: &mut Vec<u8>, bytes: &[u8]) {
    UInt(bytes.len() as u64).write(out);
    out.put_slice(bytes);
}

/// Reads a length-prefixed byte string of at most `limit` bytes, checking the
/// length before allocating.
fn read_bytes(buf: &mut &[u8], field: &'static str, limit: usize) -> Result<Vec<u8>, TxError> {
    let len: u64 = UInt::<u64>::read(buf)?.into();
    if len > limit as u64 {
        return Err(TxError::Oversize {
            field,
            len,
            limit: limit as u64,
        });
    }
    let len = len as usize;
    if buf.remaining() < len {
        return Err(CodecError::EndOfBuffer.into());
    }
    let out = buf[..len].to_vec();
    buf.advance(len);
    Ok(out)
}

const _: () = assert!(ed25519::PublicKey::SIZE == 32 && ed25519::Signature::SIZE == 64);

/// Bytes a transaction's encoding takes (for block size checks).
pub fn encoded_len(tx: &Transaction) -> usize {
    signing_message(&tx.sender, tx.nonce, tx.gas_limit, &tx.action).len()
        + tx.signature.encode_size()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(seed: u64) -> ed25519::PrivateKey {
        ed25519::PrivateKey::from_seed(seed)
    }

    fn deploy() -> Transaction {
        Transaction::sign(
            &key(1),
            3,
            1_000,
            Action::Deploy {
                code: b"def main(input):\n    return input\n".to_vec(),
                init_input: b"x".to_vec(),
            },
        )
    }

    #[test]
    fn round_trip_and_signature() {
        let tx = deploy();
        let back = Transaction::decode(&tx.encode(), &TxLimits::default()).unwrap();
        assert_eq!(back, tx);
        back.verify_signature().unwrap();
        assert_eq!(encoded_len(&tx), tx.encode().len());
        assert_eq!(
            tx.deployed_address(),
            contract_address(&key(1).public_key(), 3)
        );
        assert_ne!(
            tx.deployed_address(),
            contract_address(&key(1).public_key(), 4)
        );
    }

    #[test]
    fn tampering_breaks_the_signature() {
        let mut bytes = deploy().encode();
        let n = bytes.len();
        bytes[n - 70] ^= 1; // inside the init input
        let tx = Transaction::decode(&bytes, &TxLimits::default()).unwrap();
        assert!(matches!(
            tx.verify_signature(),
            Err(TxError::BadSignature { .. })
        ));
        let mut other = deploy();
        other.sender = key(2).public_key();
        assert!(other.verify_signature().is_err());
    }

    #[test]
    fn each_malformation_has_its_own_error() {
        let limits = TxLimits::default();
        let good = deploy().encode();
        assert_eq!(
            Transaction::decode(&[], &limits),
            Err(TxError::Malformed(CodecError::EndOfBuffer.to_string()))
        );
        let mut v2 = good.clone();
        v2[0] = 9;
        assert_eq!(Transaction::decode(&v2, &limits), Err(TxError::Version(9)));
        let mut extra = good.clone();
        extra.push(0);
        assert!(
            matches!(Transaction::decode(&extra, &limits), Err(TxError::Malformed(m)) if m.contains("Extra"))
        );
        assert!(matches!(
            Transaction::decode(&good[..good.len() - 1], &limits),
            Err(TxError::Malformed(_))
        ));
        let small = TxLimits {
            max_code: 4,
            ..limits
        };
        assert!(matches!(
            Transaction::decode(&good, &small),
            Err(TxError::Oversize {
                field: "code",
                limit: 4,
                ..
            })
        ));
        let stingy = TxLimits {
            max_gas_limit: 10,
            ..limits
        };
        assert_eq!(
            Transaction::decode(&good, &stingy),
            Err(TxError::GasLimit {
                gas_limit: 1_000,
                max: 10
            })
        );
        let huge = Transaction::sign(
            &key(1),
            0,
            1,
            Action::Call {
                contract: [0; 32],
                input: vec![0; 100],
            },
        );
        let tight = TxLimits {
            max_input: 99,
            ..limits
        };
        assert!(matches!(
            Transaction::decode(&huge.encode(), &tight),
            Err(TxError::Oversize {
                field: "input",
                len: 100,
                limit: 99
            })
        ));
    }

    #[test]
    fn a_length_prefix_larger_than_the_buffer_allocates_nothing() {
        let mut bytes = vec![TX_VERSION];
        bytes.extend_from_slice(key(1).public_key().as_ref());
        bytes.push(0); // nonce
        bytes.extend_from_slice(&5u64.to_be_bytes());
        bytes.push(0); // deploy
        UInt(60_000u64).write(&mut bytes); // claims 60 KB of code, has none
        assert_eq!(
            Transaction::decode(&bytes, &TxLimits::default()),
            Err(TxError::Malformed(CodecError::EndOfBuffer.to_string()))
        );
    }
}
