//! Transaction receipts and their bounded binary encoding.
//!
//! # Overview
//!
//! A [Receipt] is what a validator records for each transaction of a finalized block: whether
//! it succeeded, the gas it used, its output, the events it emitted (empty on failure, since a
//! failed transaction's events are reverted with its state) and, on failure, a [TxError] with
//! the contract line number. Receipts are plain data: the block executor builds them, and
//! [crate::chain::ChainState] stores them with the block on finalization.
//!
//! # Format
//!
//! Receipts use `commonware-codec`, so every length is checked against [ReceiptLimits]
//! before anything is allocated; a corrupt or hostile encoding fails with an error, never a
//! panic or an unbounded allocation.
//!
//! ```text
//! +-----------+--------+----------+-------------+---------------+-----------------+
//! | tx_hash   | status | gas_used | output      | events        | error           |
//! | 32 bytes  | 1 byte | u64 BE   | len + bytes | count + Event | 0 | 1 + TxError |
//! +-----------+--------+----------+-------------+---------------+-----------------+
//! Event   = contract (32) | topic (len + utf8) | data (len + bytes)
//! TxError = kind (len + utf8) | message (len + utf8) | line (0 | 1 + u32 BE)
//! ```
//!
//! # Example
//!
//! ```
//! use commonware_codec::{DecodeExt as _, Encode as _, Decode as _};
//! use pvm_overlay::{Receipt, ReceiptLimits, TxStatus};
//!
//! let receipt = Receipt::success([1; 32], 21_000, b"ok".to_vec(), vec![]);
//! let bytes = receipt.encode();
//! let decoded = Receipt::decode_cfg(bytes, &ReceiptLimits::default()).unwrap();
//! assert_eq!(decoded, receipt);
//! assert_eq!(decoded.status, TxStatus::Success);
//! ```

use crate::overlay::{Address, Event};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, RangeCfg, Read, ReadExt as _, Write};

/// Whether a transaction's effects were kept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TxStatus {
    /// The transaction completed and its writes and events were committed.
    Success,
    /// The transaction failed and its writes and events were reverted.
    Failure,
}

/// Why a transaction failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TxError {
    /// A short, stable error class (e.g. `"OutOfGas"`, `"ValueError"`).
    pub kind: String,
    /// The human-readable message.
    pub message: String,
    /// The contract source line the error was raised at, if known.
    pub line: Option<u32>,
}

/// The recorded outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Receipt {
    /// The transaction's hash.
    pub tx_hash: [u8; 32],
    /// Success or failure.
    pub status: TxStatus,
    /// Gas charged.
    pub gas_used: u64,
    /// Output bytes returned by the contract (empty on failure).
    pub output: Vec<u8>,
    /// Events emitted and kept (empty on failure).
    pub events: Vec<Event>,
    /// The failure, if any.
    pub error: Option<TxError>,
}

impl Receipt {
    /// A receipt for a successful transaction.
    pub const fn success(
        tx_hash: [u8; 32],
        gas_used: u64,
        output: Vec<u8>,
        events: Vec<Event>,
    ) -> Self {
        Self {
            tx_hash,
            status: TxStatus::Success,
            gas_used,
            output,
            events,
            error: None,
        }
    }

    /// A receipt for a failed transaction.
    pub const fn failure(tx_hash: [u8; 32], gas_used: u64, error: TxError) -> Self {
        Self {
            tx_hash,
            status: TxStatus::Failure,
            gas_used,
            output: Vec::new(),
            events: Vec::new(),
            error: Some(error),
        }
    }
}

/// Bounds applied when decoding a [Receipt].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReceiptLimits {
    /// Largest output, in bytes.
    pub max_output_len: usize,
    /// Most events in one receipt.
    pub max_events: usize,
    /// Longest event topic, in bytes.
    pub max_topic_len: usize,
    /// Largest event payload, in bytes.
    pub max_event_data_len: usize,
    /// Longest error kind or message, in bytes.
    pub max_error_len: usize,
}

impl Default for ReceiptLimits {
    fn default() -> Self {
        Self {
            max_output_len: 1 << 20,
            max_events: 1024,
            max_topic_len: crate::overlay::Limits::DEFAULT_MAX_TOPIC_LEN,
            max_event_data_len: crate::overlay::Limits::DEFAULT_MAX_EVENT_DATA_LEN,
            max_error_len: 4096,
        }
    }
}

fn write_bytes(bytes: &[u8], buf: &mut impl BufMut) {
    bytes.len().write(buf);
    buf.put_slice(bytes);
}

fn bytes_size(bytes: &[u8]) -> usize {
    bytes.len().encode_size() + bytes.len()
}

fn read_bytes(buf: &mut impl Buf, max: usize) -> Result<Vec<u8>, CodecError> {
    let range: RangeCfg<usize> = (..=max).into();
    Vec::<u8>::read_cfg(buf, &(range, ()))
}

fn read_string(buf: &mut impl Buf, max: usize, what: &'static str) -> Result<String, CodecError> {
    String::from_utf8(read_bytes(buf, max)?).map_err(|_| CodecError::Invalid(what, "not UTF-8"))
}

impl Write for Event {
    fn write(&self, buf: &mut impl BufMut) {
        self.contract.write(buf);
        write_bytes(self.topic.as_bytes(), buf);
        write_bytes(&self.data, buf);
    }
}

impl EncodeSize for Event {
    fn encode_size(&self) -> usize {
        32 + bytes_size(self.topic.as_bytes()) + bytes_size(&self.data)
    }
}

impl Read for Event {
    type Cfg = ReceiptLimits;

    fn read_cfg(buf: &mut impl Buf, cfg: &ReceiptLimits) -> Result<Self, CodecError> {
        let contract = Address::read(buf)?;
        let topic = read_string(buf, cfg.max_topic_len, "Event.topic")?;
        let data = read_bytes(buf, cfg.max_event_data_len)?;
        Ok(Self {
            contract,
            topic,
            data,
        })
    }
}

impl Write for TxError {
    fn write(&self, buf: &mut impl BufMut) {
        write_bytes(self.kind.as_bytes(), buf);
        write_bytes(self.message.as_bytes(), buf);
        self.line.write(buf);
    }
}

impl EncodeSize for TxError {
    fn encode_size(&self) -> usize {
        bytes_size(self.kind.as_bytes())
            + bytes_size(self.message.as_bytes())
            + self.line.encode_size()
    }
}

impl Read for TxError {
    type Cfg = ReceiptLimits;

    fn read_cfg(buf: &mut impl Buf, cfg: &ReceiptLimits) -> Result<Self, CodecError> {
        Ok(Self {
            kind: read_string(buf, cfg.max_error_len, "TxError.kind")?,
            message: read_string(buf, cfg.max_error_len, "TxError.message")?,
            line: Option::<u32>::read(buf)?,
        })
    }
}

impl Write for Receipt {
    fn write(&self, buf: &mut impl BufMut) {
        self.tx_hash.write(buf);
        let status: u8 = match self.status {
            TxStatus::Success => 0,
            TxStatus::Failure => 1,
        };
        status.write(buf);
        self.gas_used.write(buf);
        write_bytes(&self.output, buf);
        self.events.len().write(buf);
        for event in &self.events {
            event.write(buf);
        }
        self.error.write(buf);
    }
}

impl EncodeSize for Receipt {
    fn encode_size(&self) -> usize {
        32 + 1
            + 8
            + bytes_size(&self.output)
            + self.events.len().encode_size()
            + self
                .events
                .iter()
                .map(EncodeSize::encode_size)
                .sum::<usize>()
            + self.error.encode_size()
    }
}

impl Read for Receipt {
    type Cfg = ReceiptLimits;

    fn read_cfg(buf: &mut impl Buf, cfg: &ReceiptLimits) -> Result<Self, CodecError> {
        let tx_hash = <[u8; 32]>::read(buf)?;
        let status = match u8::read(buf)? {
            0 => TxStatus::Success,
            1 => TxStatus::Failure,
            other => return Err(CodecError::InvalidEnum(other)),
        };
        let gas_used = u64::read(buf)?;
        let output = read_bytes(buf, cfg.max_output_len)?;
        let range: RangeCfg<usize> = (..=cfg.max_events).into();
        let events = Vec::<Event>::read_cfg(buf, &(range, *cfg))?;
        let error = Option::<TxError>::read_cfg(buf, cfg)?;
        Ok(Self {
            tx_hash,
            status,
            gas_used,
            output,
            events,
            error,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_codec::{Decode as _, Encode as _};

    fn sample() -> Receipt {
        Receipt {
            tx_hash: [9; 32],
            status: TxStatus::Success,
            gas_used: 1234,
            output: b"out".to_vec(),
            events: vec![
                Event::new([1; 32], "Transfer", b"abc".to_vec()),
                Event::new([2; 32], "", vec![]),
            ],
            error: None,
        }
    }

    #[test]
    fn roundtrip() {
        let limits = ReceiptLimits::default();
        for receipt in [
            sample(),
            Receipt::failure(
                [3; 32],
                7,
                TxError {
                    kind: "ValueError".into(),
                    message: "bad amount".into(),
                    line: Some(12),
                },
            ),
        ] {
            let bytes = receipt.encode();
            assert_eq!(bytes.len(), receipt.encode_size());
            assert_eq!(Receipt::decode_cfg(bytes, &limits).unwrap(), receipt);
        }
    }

    #[test]
    fn decoding_is_bounded() {
        let bytes = sample().encode();
        let tight = ReceiptLimits {
            max_events: 1,
            ..ReceiptLimits::default()
        };
        assert!(Receipt::decode_cfg(bytes.clone(), &tight).is_err());
        let tight = ReceiptLimits {
            max_output_len: 2,
            ..ReceiptLimits::default()
        };
        assert!(Receipt::decode_cfg(bytes.clone(), &tight).is_err());
        // Truncated input and trailing garbage are errors, not panics.
        let limits = ReceiptLimits::default();
        assert!(Receipt::decode_cfg(&bytes[..bytes.len() - 1], &limits).is_err());
        let mut longer = bytes.to_vec();
        longer.push(0);
        assert!(Receipt::decode_cfg(longer.as_slice(), &limits).is_err());
        // A bad status byte is rejected.
        let mut bad = bytes.to_vec();
        bad[32] = 7;
        assert!(Receipt::decode_cfg(bad.as_slice(), &limits).is_err());
    }
}
