//! Transaction receipts and their bounded binary encoding.
//!
//! # Overview
//!
//! A [Receipt] is what a validator records for each transaction of a finalized block: whether
//! it succeeded, the gas it used, its output, the events it emitted (empty on failure, since a
//! failed transaction's events are reverted with its state), on failure a [TxError] with the
//! contract line number, and the contract's debug log (kept on failure too). Receipts are
//! plain data: the block executor builds them, and [crate::ChainState] stores them
//! with the block on finalization.
//!
//! # Format
//!
//! Receipts use `commonware-codec`, so every length is checked against [ReceiptLimits]
//! before anything is allocated; a corrupt or hostile encoding fails with an error, never a
//! panic or an unbounded allocation.
//!
//! ```text
//! +----------+--------+----------+-------------+---------------+-----------------+--------------+-----------+
//! | tx_hash  | status | gas_used | output      | events        | error           | logs         | truncated |
//! | 32 bytes | 1 byte | u64 BE   | len + bytes | count + Event | 0 | 1 + TxError | count + utf8 | 1 byte    |
//! +----------+--------+----------+-------------+---------------+-----------------+--------------+-----------+
//! Event     = contract (32) | topic (len + utf8) | data (len + bytes)
//! TxError   = kind (len + utf8) | message (len + utf8) | line (0 | 1 + u32 BE)
//! truncated = bit 0: the error text was cut, bit 1: the log was cut; other bits are invalid
//! ```
//!
//! # Writes within read bounds
//!
//! A receipt the journal cannot decode halts the node at its next start, so every bound the
//! decoder enforces is enforced on the writer's side too, from the same [ReceiptLimits]
//! value: [ReceiptLimits::fit] shortens what can be shortened without changing what the
//! transaction did (the error text and the debug log, each cut at a character boundary and
//! marked, with [Receipt::truncated] saying so) and refuses what cannot ([ReceiptOverflow]:
//! output and events, which the executor turns into a failed transaction before its
//! checkpoint commits). [ReceiptLimits::check] is the decoder's view of a finished receipt,
//! which [crate::BlockExecution::push_receipt] applies before anything is stored.
//! The defaults are the named constants on [ReceiptLimits] (events and their sizes are
//! shared with the overlay's [pvm_overlay::Limits], the log bound with the runtime through
//! [pvm_host::MAX_LOG_BYTES]).
//!
//! # Example
//!
//! ```
//! use commonware_codec::{DecodeExt as _, Encode as _, Decode as _};
//! use pvm_chain::{Receipt, ReceiptLimits, TxStatus};
//!
//! let receipt = Receipt::success([1; 32], 21_000, b"ok".to_vec(), vec![])
//!     .with_logs(vec!["hello".into()]);
//! let bytes = receipt.encode();
//! let decoded = Receipt::decode_cfg(bytes, &ReceiptLimits::default()).unwrap();
//! assert_eq!(decoded, receipt);
//! assert_eq!(decoded.status, TxStatus::Success);
//!
//! // An error message longer than the decoder accepts is cut and marked before storing.
//! let limits = ReceiptLimits::default();
//! let mut failed = Receipt::failure([2; 32], 7, pvm_chain::TxError {
//!     kind: "Exception".into(),
//!     message: "x".repeat(5_000),
//!     line: Some(2),
//! });
//! limits.fit(&mut failed).unwrap();
//! assert!(failed.truncated.error);
//! assert!(failed.error.as_ref().unwrap().message.len() <= ReceiptLimits::MAX_ERROR_LEN);
//! assert!(Receipt::decode_cfg(failed.encode(), &limits).is_ok());
//! ```

use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, RangeCfg, Read, ReadExt as _, Write};
use pvm_overlay::{Address, Event, Limits};
use thiserror::Error;

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
    /// Lines the contract printed (kept on failure too), within [ReceiptLimits::max_log_lines]
    /// and [ReceiptLimits::max_log_bytes].
    pub logs: Vec<String>,
    /// What [ReceiptLimits::fit] cut to make the receipt storable.
    pub truncated: Truncated,
}

/// Which parts of a receipt were cut to fit its [ReceiptLimits] when it was produced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Truncated {
    /// The error kind or message was cut.
    pub error: bool,
    /// Log lines were cut or dropped.
    pub logs: bool,
}

impl Truncated {
    const ERROR: u8 = 1;
    const LOGS: u8 = 2;

    /// Whether anything was cut.
    pub const fn any(&self) -> bool {
        self.error || self.logs
    }

    const fn bits(self) -> u8 {
        (if self.error { Self::ERROR } else { 0 }) | (if self.logs { Self::LOGS } else { 0 })
    }
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
            logs: Vec::new(),
            truncated: Truncated {
                error: false,
                logs: false,
            },
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
            logs: Vec::new(),
            truncated: Truncated {
                error: false,
                logs: false,
            },
        }
    }

    /// The same receipt with the contract's debug log.
    pub fn with_logs(mut self, logs: Vec<String>) -> Self {
        self.logs = logs;
        self
    }
}

/// Bounds applied when decoding a [Receipt], and by [ReceiptLimits::fit] and
/// [ReceiptLimits::check] when one is produced.
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
    /// Most log lines.
    pub max_log_lines: usize,
    /// Most log bytes, all lines together.
    pub max_log_bytes: usize,
}

impl ReceiptLimits {
    /// Default largest output: 1 MiB.
    pub const MAX_OUTPUT_LEN: usize = 1 << 20;
    /// Default most events per transaction (the overlay refuses the next one).
    pub const MAX_EVENTS: usize = Limits::DEFAULT_MAX_EVENTS;
    /// Default longest error kind or message.
    pub const MAX_ERROR_LEN: usize = 4096;
    /// Default most log lines.
    pub const MAX_LOG_LINES: usize = 1024;
    /// Default most log bytes: the runtime's own cap.
    pub const MAX_LOG_BYTES: usize = pvm_host::MAX_LOG_BYTES;
    /// What ends text that [ReceiptLimits::fit] cut.
    pub const CUT_MARK: &'static str = " [truncated]";
    /// The line that ends a log that [ReceiptLimits::fit] cut.
    pub const LOG_CUT_LINE: &'static str = "[log truncated to fit the receipt]";

    /// Makes `receipt` storable: cuts the error text and the log to their bounds (marking
    /// each cut and setting [Receipt::truncated]), then [checks](Self::check) the rest.
    ///
    /// An `Err` names a part that cannot be cut without changing what the transaction did
    /// (its output or its events); the caller must fail the transaction instead.
    pub fn fit(&self, receipt: &mut Receipt) -> Result<(), ReceiptOverflow> {
        if let Some(error) = &mut receipt.error {
            let kind = cut_text(&mut error.kind, self.max_error_len);
            let message = cut_text(&mut error.message, self.max_error_len);
            receipt.truncated.error |= kind || message;
        }
        receipt.truncated.logs |= self.fit_logs(&mut receipt.logs);
        self.check(receipt)
    }

    /// Whether `receipt` is within every bound the decoder enforces.
    pub fn check(&self, receipt: &Receipt) -> Result<(), ReceiptOverflow> {
        let over = |what: &'static str, len: usize, limit: usize| {
            if len > limit {
                Err(ReceiptOverflow { what, len, limit })
            } else {
                Ok(())
            }
        };
        over("output", receipt.output.len(), self.max_output_len)?;
        over("events", receipt.events.len(), self.max_events)?;
        for event in &receipt.events {
            over("event topic", event.topic.len(), self.max_topic_len)?;
            over("event data", event.data.len(), self.max_event_data_len)?;
        }
        if let Some(error) = &receipt.error {
            over("error kind", error.kind.len(), self.max_error_len)?;
            over("error message", error.message.len(), self.max_error_len)?;
        }
        over("log lines", receipt.logs.len(), self.max_log_lines)?;
        let log_bytes = receipt.logs.iter().map(String::len).sum();
        over("log", log_bytes, self.max_log_bytes)
    }

    /// Cuts `logs` to the line and byte bounds, ending a cut log with [Self::LOG_CUT_LINE];
    /// whether anything was cut.
    fn fit_logs(&self, logs: &mut Vec<String>) -> bool {
        let bytes: usize = logs.iter().map(String::len).sum();
        if logs.len() <= self.max_log_lines && bytes <= self.max_log_bytes {
            return false;
        }
        let mark = Self::LOG_CUT_LINE;
        let (Some(max_lines), Some(mut room)) = (
            self.max_log_lines.checked_sub(1),
            self.max_log_bytes.checked_sub(mark.len()),
        ) else {
            // Bounds too small for the marker line: keep nothing.
            logs.clear();
            return true;
        };
        let mut kept = 0;
        for line in logs.iter_mut() {
            if kept == max_lines || room == 0 {
                break;
            }
            if line.len() > room {
                cut_at_boundary(line, room);
            }
            room -= line.len();
            kept += 1;
        }
        logs.truncate(kept);
        logs.push(mark.to_owned());
        true
    }
}

impl Default for ReceiptLimits {
    fn default() -> Self {
        Self {
            max_output_len: Self::MAX_OUTPUT_LEN,
            max_events: Self::MAX_EVENTS,
            max_topic_len: Limits::DEFAULT_MAX_TOPIC_LEN,
            max_event_data_len: Limits::DEFAULT_MAX_EVENT_DATA_LEN,
            max_error_len: Self::MAX_ERROR_LEN,
            max_log_lines: Self::MAX_LOG_LINES,
            max_log_bytes: Self::MAX_LOG_BYTES,
        }
    }
}

/// A part of a receipt beyond what its decoder accepts.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("{what} of {len} exceeds the receipt limit of {limit}")]
pub struct ReceiptOverflow {
    /// Which part: `"output"`, `"events"`, `"event topic"`, `"event data"`, `"error kind"`,
    /// `"error message"`, `"log lines"` or `"log"`.
    pub what: &'static str,
    /// Its size (bytes, or a count for events and log lines).
    pub len: usize,
    /// The limit.
    pub limit: usize,
}

/// Cuts `text` to at most `max` bytes, ending it with [ReceiptLimits::CUT_MARK] when there is
/// room for it; whether it was cut.
fn cut_text(text: &mut String, max: usize) -> bool {
    if text.len() <= max {
        return false;
    }
    let mark = ReceiptLimits::CUT_MARK;
    match max.checked_sub(mark.len()) {
        Some(room) => {
            cut_at_boundary(text, room);
            text.push_str(mark);
        }
        None => cut_at_boundary(text, max),
    }
    true
}

/// Truncates `text` to at most `max` bytes at a character boundary.
fn cut_at_boundary(text: &mut String, max: usize) {
    let mut cut = max.min(text.len());
    while !text.is_char_boundary(cut) {
        cut -= 1;
    }
    text.truncate(cut);
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

// Events are the overlay's type; their encoding lives with the receipt's.
fn write_event(event: &Event, buf: &mut impl BufMut) {
    event.contract.write(buf);
    write_bytes(event.topic.as_bytes(), buf);
    write_bytes(&event.data, buf);
}

fn event_size(event: &Event) -> usize {
    32 + bytes_size(event.topic.as_bytes()) + bytes_size(&event.data)
}

fn read_event(buf: &mut impl Buf, cfg: &ReceiptLimits) -> Result<Event, CodecError> {
    let contract = Address::read(buf)?;
    let topic = read_string(buf, cfg.max_topic_len, "Event.topic")?;
    let data = read_bytes(buf, cfg.max_event_data_len)?;
    Ok(Event {
        contract,
        topic,
        data,
    })
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
            write_event(event, buf);
        }
        self.error.write(buf);
        self.logs.len().write(buf);
        for line in &self.logs {
            write_bytes(line.as_bytes(), buf);
        }
        self.truncated.bits().write(buf);
    }
}

impl EncodeSize for Receipt {
    fn encode_size(&self) -> usize {
        32 + 1
            + 8
            + bytes_size(&self.output)
            + self.events.len().encode_size()
            + self.events.iter().map(event_size).sum::<usize>()
            + self.error.encode_size()
            + self.logs.len().encode_size()
            + self
                .logs
                .iter()
                .map(|line| bytes_size(line.as_bytes()))
                .sum::<usize>()
            + 1
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
        let count = usize::read_cfg(buf, &range)?;
        let events = (0..count)
            .map(|_| read_event(buf, cfg))
            .collect::<Result<Vec<_>, _>>()?;
        let error = Option::<TxError>::read_cfg(buf, cfg)?;
        let lines = usize::read_cfg(buf, &(..=cfg.max_log_lines).into())?;
        let mut logs = Vec::with_capacity(lines);
        let mut room = cfg.max_log_bytes;
        for _ in 0..lines {
            let line = read_string(buf, room, "Receipt.logs")?;
            room -= line.len();
            logs.push(line);
        }
        let bits = u8::read(buf)?;
        if bits & !(Truncated::ERROR | Truncated::LOGS) != 0 {
            return Err(CodecError::Invalid("Receipt.truncated", "unknown flag"));
        }
        Ok(Self {
            tx_hash,
            status,
            gas_used,
            output,
            events,
            error,
            logs,
            truncated: Truncated {
                error: bits & Truncated::ERROR != 0,
                logs: bits & Truncated::LOGS != 0,
            },
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
            logs: vec!["one".into(), String::new(), "três".into()],
            truncated: Truncated::default(),
        }
    }

    fn failed(message: String) -> Receipt {
        Receipt::failure(
            [4; 32],
            9,
            TxError {
                kind: "Exception".into(),
                message,
                line: Some(1),
            },
        )
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
        // A bad status byte is rejected, and so is an unknown truncation flag.
        let mut bad = bytes.to_vec();
        bad[32] = 7;
        assert!(Receipt::decode_cfg(bad.as_slice(), &limits).is_err());
        let mut bad = bytes.to_vec();
        *bad.last_mut().unwrap() = 4;
        assert!(Receipt::decode_cfg(bad.as_slice(), &limits).is_err());
        // Logs are bounded by line count and by their bytes together.
        let tight = ReceiptLimits {
            max_log_lines: 2,
            ..ReceiptLimits::default()
        };
        assert!(Receipt::decode_cfg(bytes.clone(), &tight).is_err());
        let tight = ReceiptLimits {
            max_log_bytes: 7,
            ..ReceiptLimits::default()
        };
        assert!(Receipt::decode_cfg(bytes.clone(), &tight).is_err());
        let exact = ReceiptLimits {
            max_log_bytes: 8,
            max_log_lines: 3,
            ..ReceiptLimits::default()
        };
        assert!(Receipt::decode_cfg(bytes, &exact).is_ok());
    }

    /// Whatever `fit` accepts, the decoder reads back: at the bound and one past it.
    #[test]
    fn fit_keeps_every_receipt_within_the_decoders_bounds() {
        let limits = ReceiptLimits::default();
        let decodes = |r: &Receipt| Receipt::decode_cfg(r.encode(), &limits).unwrap();

        let mut at = failed("é".repeat(limits.max_error_len / 2));
        limits.fit(&mut at).unwrap();
        assert!(!at.truncated.any());
        assert_eq!(decodes(&at), at);

        let mut over = failed(format!("{}é", "x".repeat(limits.max_error_len - 1)));
        limits.fit(&mut over).unwrap();
        assert!(over.truncated.error && !over.truncated.logs);
        let message = &over.error.as_ref().unwrap().message;
        assert!(message.len() <= limits.max_error_len);
        assert!(message.ends_with(ReceiptLimits::CUT_MARK));
        assert_eq!(decodes(&over), over);

        let full =
            vec!["y".repeat(limits.max_log_bytes / limits.max_log_lines); limits.max_log_lines];
        let mut at = sample().with_logs(full.clone());
        limits.fit(&mut at).unwrap();
        assert_eq!(at.logs, full);
        assert_eq!(decodes(&at), at);

        let mut too_many = sample().with_logs(vec![String::new(); limits.max_log_lines + 1]);
        limits.fit(&mut too_many).unwrap();
        assert!(too_many.truncated.logs);
        assert_eq!(too_many.logs.len(), limits.max_log_lines);
        assert_eq!(too_many.logs.last().unwrap(), ReceiptLimits::LOG_CUT_LINE);
        assert_eq!(decodes(&too_many), too_many);

        let mut too_long = sample().with_logs(vec!["ü".repeat(limits.max_log_bytes)]);
        limits.fit(&mut too_long).unwrap();
        assert!(too_long.logs.iter().map(String::len).sum::<usize>() <= limits.max_log_bytes);
        assert_eq!(decodes(&too_long), too_long);
    }

    #[test]
    fn output_and_events_are_refused_not_cut() {
        let limits = ReceiptLimits::default();
        let mut at = Receipt::success([1; 32], 1, vec![0; limits.max_output_len], vec![]);
        limits.fit(&mut at).unwrap();
        assert_eq!(Receipt::decode_cfg(at.encode(), &limits).unwrap(), at);
        let mut over = Receipt::success([1; 32], 1, vec![0; limits.max_output_len + 1], vec![]);
        let err = limits.fit(&mut over).unwrap_err();
        assert_eq!(err.what, "output");
        assert!(Receipt::decode_cfg(over.encode(), &limits).is_err());

        let events = vec![Event::new([1; 32], "t", vec![]); limits.max_events + 1];
        let mut over = Receipt::success([1; 32], 1, vec![], events);
        assert_eq!(limits.fit(&mut over).unwrap_err().what, "events");
        assert!(Receipt::decode_cfg(over.encode(), &limits).is_err());
    }
}
