//! What a PVM chain puts in an Alto block's `data`.
//!
//! ```text
//! +---------+------------------+--------------+-------------------------------------+
//! | version | randomness seed  | varint count | count x (kind u8 | varint len | tx) |
//! | 1 byte  | 32 bytes         |              |                                     |
//! +---------+------------------+--------------+-------------------------------------+
//! ```
//!
//! Each entry is a transaction of the type registered under `kind`
//! ([`crate::registry`]); the bytes are that type's own encoding. The randomness
//! seed is carried in the block so that verifiers and replays derive the same
//! contract randomness (on Alto, the digest of the parent's threshold-VRF seed,
//! see [`pvm_alto::randomness`]). Decoding checks every count and length against
//! [`PayloadLimits`] before allocating.
//!
//! ```
//! use pvm_alto::RandomnessSeed;
//! use pvm_plugin::payload::{BlockPayload, PayloadLimits};
//!
//! let payload = BlockPayload { seed: RandomnessSeed([1; 32]), txs: vec![(1, b"tx".to_vec())] };
//! let back = BlockPayload::decode(&payload.encode(), &PayloadLimits::default()).unwrap();
//! assert_eq!(back, payload);
//! ```

use bytes::Buf;
use commonware_codec::{varint::UInt, Error as CodecError, ReadExt, Write};
use pvm_alto::RandomnessSeed;
use thiserror::Error;

/// Payload version this build writes and reads.
pub const PAYLOAD_VERSION: u8 = 1;

/// The transactions of one block and its randomness seed.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BlockPayload {
    /// Source of contract randomness for this block.
    pub seed: RandomnessSeed,
    /// `(kind, encoded transaction)`, in execution order.
    pub txs: Vec<(u8, Vec<u8>)>,
}

/// Bounds checked while decoding a payload.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadLimits {
    /// Most transactions in one block.
    pub max_txs: usize,
    /// Largest encoded transaction, in bytes.
    pub max_tx_bytes: usize,
}

impl Default for PayloadLimits {
    fn default() -> Self {
        Self {
            max_txs: 20_000,
            max_tx_bytes: 256 * 1024,
        }
    }
}

/// Why block data is not a valid payload.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum PayloadError {
    /// The bytes do not decode.
    #[error("malformed block payload: {0}")]
    Malformed(String),
    /// The version is unknown.
    #[error("unsupported block payload version {0} (this node reads version {PAYLOAD_VERSION})")]
    Version(u8),
    /// More transactions than allowed.
    #[error("block has {count} transactions, more than the limit of {limit} (the chain's max_block_txs)")]
    TooManyTxs {
        /// Transactions claimed.
        count: u64,
        /// The limit.
        limit: usize,
    },
    /// One transaction is too large.
    #[error("transaction at index {index} is {len} bytes, more than the limit of {limit} (the chain's max_code_bytes + max_input_bytes + the envelope)")]
    TxTooLarge {
        /// Its position in the block.
        index: usize,
        /// Its length.
        len: u64,
        /// The limit.
        limit: usize,
    },
}

impl From<CodecError> for PayloadError {
    fn from(e: CodecError) -> Self {
        PayloadError::Malformed(e.to_string())
    }
}

impl BlockPayload {
    /// The encoded payload.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(
            1 + 32 + 5 + self.txs.iter().map(|(_, t)| t.len() + 6).sum::<usize>(),
        );
        PAYLOAD_VERSION.write(&mut out);
        self.seed.0.write(&mut out);
        UInt(self.txs.len() as u64).write(&mut out);
        for (kind, tx) in &self.txs {
            kind.write(&mut out);
            UInt(tx.len() as u64).write(&mut out);
            out.extend_from_slice(tx);
        }
        out
    }

    /// Decodes `bytes`, enforcing `limits`.
    pub fn decode(bytes: &[u8], limits: &PayloadLimits) -> Result<Self, PayloadError> {
        let mut buf = bytes;
        let version = u8::read(&mut buf)?;
        if version != PAYLOAD_VERSION {
            return Err(PayloadError::Version(version));
        }
        let seed = RandomnessSeed(<[u8; 32]>::read(&mut buf)?);
        let count: u64 = UInt::<u64>::read(&mut buf)?.into();
        if count > limits.max_txs as u64 {
            return Err(PayloadError::TooManyTxs {
                count,
                limit: limits.max_txs,
            });
        }
        let mut txs = Vec::with_capacity(count as usize);
        for index in 0..count as usize {
            let kind = u8::read(&mut buf)?;
            let len: u64 = UInt::<u64>::read(&mut buf)?.into();
            if len > limits.max_tx_bytes as u64 {
                return Err(PayloadError::TxTooLarge {
                    index,
                    len,
                    limit: limits.max_tx_bytes,
                });
            }
            if (buf.remaining() as u64) < len {
                return Err(CodecError::EndOfBuffer.into());
            }
            txs.push((kind, buf[..len as usize].to_vec()));
            buf.advance(len as usize);
        }
        if buf.has_remaining() {
            return Err(CodecError::ExtraData(buf.remaining()).into());
        }
        Ok(Self { seed, txs })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_and_malformations() {
        let limits = PayloadLimits {
            max_txs: 2,
            max_tx_bytes: 3,
        };
        let ok = BlockPayload {
            seed: RandomnessSeed([9; 32]),
            txs: vec![(1, vec![1, 2, 3]), (2, vec![])],
        };
        assert_eq!(BlockPayload::decode(&ok.encode(), &limits).unwrap(), ok);
        let three = BlockPayload {
            txs: vec![(1, vec![]); 3],
            ..ok.clone()
        };
        assert_eq!(
            BlockPayload::decode(&three.encode(), &limits),
            Err(PayloadError::TooManyTxs { count: 3, limit: 2 })
        );
        let big = BlockPayload {
            txs: vec![(1, vec![0; 4])],
            ..ok.clone()
        };
        assert_eq!(
            BlockPayload::decode(&big.encode(), &limits),
            Err(PayloadError::TxTooLarge {
                index: 0,
                len: 4,
                limit: 3
            })
        );
        let mut bytes = ok.encode();
        bytes[0] = 7;
        assert_eq!(
            BlockPayload::decode(&bytes, &limits),
            Err(PayloadError::Version(7))
        );
        let bytes = ok.encode();
        assert!(matches!(
            BlockPayload::decode(&bytes[..bytes.len() - 1], &limits),
            Err(PayloadError::Malformed(_))
        ));
        assert!(matches!(
            BlockPayload::decode(&[], &limits),
            Err(PayloadError::Malformed(_))
        ));
    }
}
