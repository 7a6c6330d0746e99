//! [`ChainParams`]: everything that changes a receipt or a state root, fixed at genesis.
//!
//! Two validators that execute the same block under different gas prices, metering, caps
//! or receipt bounds compute different receipts and roots: the chain forks. So the values
//! the node executes with are gathered in one type, built from the `[chain]` section of the
//! configuration ([`ChainParams::from_config`]), and the node takes every consensus value
//! from it, never from the configuration directly: what is hashed is what runs.
//!
//! # Encoding
//!
//! The canonical encoding is a list of named unsigned integers, in the order below (the
//! order is part of the format), so a record written by one build can be compared entry by
//! entry with another's and a difference named:
//!
//! ```text
//!  magic "pvm/chain-params" (16) | format u16 BE | count u16 BE
//!  count x ( name_len u8 | name (ASCII) | value u64 BE )
//! ```
//!
//! | entries, in order | from |
//! |---|---|
//! | `chain.metering` (0 = opcode, 1 = coarse), `chain.memory_limit_bytes` | [`RuntimeConfig`] |
//! | `chain.block_gas_limit` | the block executor |
//! | `chain.tx_gas_limit`, `chain.max_code_bytes`, `chain.max_input_bytes` | [`TxLimits`] |
//! | `chain.max_block_txs`, `payload.max_tx_bytes` | [`PayloadLimits`] |
//! | `gas.version`, then every price of the [`GasSchedule`] in declaration order, then `gas.opcodes.*` in the interpreter's class order | [`GasSchedule`] |
//! | `state.*`: key, value, depth, topic, event data, events | [`Limits`] (the overlay) |
//! | `receipt.*`: output, events, topic, event data, error, log lines, log bytes | [`ReceiptLimits`] |
//!
//! The digest ([`ChainParams::digest`]) is SHA-256 of the encoding.
//!
//! # Where it is checked
//!
//! The first open of a store records the encoding as the chain's genesis
//! ([`pvm_chain::ChainState::genesis`]); every later open compares it with the node's own
//! and refuses to start on a difference, naming the parameter ([`ParamsError::Differs`]).
//! Blocks do not carry a header with the parameters' hash yet, so per block the node checks
//! its own parameters' digest against the chain's before executing, and every block's
//! commit metadata records the digest it was executed under (the state root commits to it).
//!
//! ```
//! use pvm_plugin::{config::PvmConfig, params::{ChainParams, ParamsError}};
//!
//! let ours = ChainParams::from_config(&PvmConfig::default()).unwrap();
//! let mut config = PvmConfig::default();
//! config.chain.block_gas_limit += 1;
//! let theirs = ChainParams::from_config(&config).unwrap();
//! assert_ne!(ours.digest(), theirs.digest());
//! let err = theirs.check_genesis(&ours.encode()).unwrap_err();
//! assert!(matches!(&err, ParamsError::Differs { parameter, .. } if parameter == "chain.block_gas_limit"));
//! ```

use commonware_cryptography::{Hasher as _, Sha256};
use pvm_chain::ReceiptLimits;
use pvm_gas::{GasSchedule, MeteringMode, OpcodeCosts};
use pvm_overlay::Limits;
use pvm_runtime::RuntimeConfig;
use thiserror::Error;

use crate::{
    config::{ConfigError, PvmConfig},
    payload::PayloadLimits,
    tx::TxLimits,
};

/// What starts every encoding.
const MAGIC: &[u8; 16] = b"pvm/chain-params";
/// The encoding's format version; changes when an entry is added, removed or reordered.
pub const FORMAT: u16 = 1;

/// Everything a node executes blocks with that every validator must share.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ChainParams {
    /// Gas schedule, metering mode and memory limit of the interpreter.
    pub runtime: RuntimeConfig,
    /// Most gas the transactions of one block may ask for.
    pub block_gas_limit: u64,
    /// Transaction caps (code, input, gas limit).
    pub tx: TxLimits,
    /// Block payload caps (transactions, bytes per transaction).
    pub payload: PayloadLimits,
    /// Key, value, nesting and event bounds of the state overlay.
    pub state: Limits,
    /// Bounds every receipt is written and read within.
    pub receipts: ReceiptLimits,
}

/// Why a node's parameters do not match its chain's.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum ParamsError {
    /// A parameter differs between the chain's genesis and this node.
    #[error(
        "chain parameter `{parameter}` is {local} in this node's configuration but {genesis} at \
         the chain's genesis{}; chain parameters cannot change after genesis",
        if *.others == 0 { String::new() } else { format!(" ({} more differ)", .others) }
    )]
    Differs {
        /// The entry's name (a configuration key such as `chain.tx_gas_limit`).
        parameter: String,
        /// Its value at genesis (`absent` if the genesis has no such entry).
        genesis: String,
        /// Its value here (`absent` if this build has no such entry).
        local: String,
        /// How many other entries differ.
        others: usize,
    },
    /// The recorded genesis is not an encoding of chain parameters.
    #[error("the chain's recorded genesis parameters cannot be read: {0}")]
    Unreadable(&'static str),
    /// The node's parameters are not the ones the chain runs under.
    #[error(
        "this node executes under chain parameters {} but the chain's are {}",
        hex::encode(.local), hex::encode(.genesis)
    )]
    Digest {
        /// Digest of the chain's genesis parameters.
        genesis: [u8; 32],
        /// Digest of the node's.
        local: [u8; 32],
    },
}

impl ChainParams {
    /// The chain parameters a configuration describes; refused if this build cannot honour
    /// them (see [`PvmConfig::runtime`]).
    pub fn from_config(config: &PvmConfig) -> Result<Self, ConfigError> {
        Ok(Self {
            runtime: config.runtime()?,
            block_gas_limit: config.chain.block_gas_limit,
            tx: config.tx_limits(),
            payload: config.payload_limits(),
            state: Limits::default(),
            receipts: ReceiptLimits::default(),
        })
    }

    /// Every entry, named, in the canonical order (see the module docs).
    pub fn entries(&self) -> Vec<(String, u64)> {
        // Destructured without `..`: a new field anywhere must be added here to compile.
        let Self {
            runtime:
                RuntimeConfig {
                    schedule,
                    metering,
                    memory_limit,
                },
            block_gas_limit,
            tx:
                TxLimits {
                    max_code,
                    max_input,
                    max_gas_limit,
                },
            payload:
                PayloadLimits {
                    max_txs,
                    max_tx_bytes,
                },
            state:
                Limits {
                    max_key_len,
                    max_value_len,
                    max_depth,
                    max_topic_len,
                    max_event_data_len,
                    max_events,
                },
            receipts:
                ReceiptLimits {
                    max_output_len,
                    max_events: receipt_max_events,
                    max_topic_len: receipt_max_topic_len,
                    max_event_data_len: receipt_max_event_data_len,
                    max_error_len,
                    max_log_lines,
                    max_log_bytes,
                },
        } = self;
        let metering = match metering {
            MeteringMode::Opcode => 0,
            MeteringMode::Coarse => 1,
        };
        let size = |n: &usize| *n as u64;
        let mut entries: Vec<(String, u64)> = vec![
            ("chain.metering".into(), metering),
            ("chain.memory_limit_bytes".into(), *memory_limit),
            ("chain.block_gas_limit".into(), *block_gas_limit),
            ("chain.tx_gas_limit".into(), *max_gas_limit),
            ("chain.max_code_bytes".into(), size(max_code)),
            ("chain.max_input_bytes".into(), size(max_input)),
            ("chain.max_block_txs".into(), size(max_txs)),
            ("payload.max_tx_bytes".into(), size(max_tx_bytes)),
        ];
        entries.extend(schedule_entries(schedule));
        entries.extend([
            ("state.max_key_len".into(), size(max_key_len)),
            ("state.max_value_len".into(), size(max_value_len)),
            ("state.max_depth".into(), size(max_depth)),
            ("state.max_topic_len".into(), size(max_topic_len)),
            ("state.max_event_data_len".into(), size(max_event_data_len)),
            ("state.max_events".into(), size(max_events)),
            ("receipt.max_output_len".into(), size(max_output_len)),
            ("receipt.max_events".into(), size(receipt_max_events)),
            ("receipt.max_topic_len".into(), size(receipt_max_topic_len)),
            (
                "receipt.max_event_data_len".into(),
                size(receipt_max_event_data_len),
            ),
            ("receipt.max_error_len".into(), size(max_error_len)),
            ("receipt.max_log_lines".into(), size(max_log_lines)),
            ("receipt.max_log_bytes".into(), size(max_log_bytes)),
        ]);
        entries
    }

    /// The canonical encoding (see the module docs).
    pub fn encode(&self) -> Vec<u8> {
        let entries = self.entries();
        let mut out = Vec::with_capacity(20 + entries.len() * 40);
        out.extend_from_slice(MAGIC);
        out.extend_from_slice(&FORMAT.to_be_bytes());
        out.extend_from_slice(&(entries.len() as u16).to_be_bytes());
        for (name, value) in &entries {
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&value.to_be_bytes());
        }
        out
    }

    /// SHA-256 of [`Self::encode`].
    pub fn digest(&self) -> [u8; 32] {
        Sha256::hash(&[&self.encode()[..]]).0
    }

    /// Refuses unless `genesis` (a chain's recorded encoding) is exactly these parameters,
    /// naming the first parameter that differs.
    pub fn check_genesis(&self, genesis: &[u8]) -> Result<(), ParamsError> {
        let ours = self.encode();
        if genesis == ours.as_slice() {
            return Ok(());
        }
        let theirs = decode_entries(genesis)?;
        let ours = self.entries();
        let mut differences = Vec::new();
        for (name, value) in &ours {
            match theirs.iter().find(|(n, _)| n == name) {
                Some((_, v)) if v == value => {}
                Some((_, v)) => differences.push((name.clone(), v.to_string(), value.to_string())),
                None => differences.push((name.clone(), "absent".into(), value.to_string())),
            }
        }
        for (name, value) in &theirs {
            if !ours.iter().any(|(n, _)| n == name) {
                differences.push((name.clone(), value.to_string(), "absent".into()));
            }
        }
        let others = differences.len().saturating_sub(1);
        match differences.into_iter().next() {
            Some((parameter, genesis, local)) => Err(ParamsError::Differs {
                parameter,
                genesis,
                local,
                others,
            }),
            // Same entries, other bytes: another format version or order.
            None => Err(ParamsError::Unreadable(
                "same values in another format or order",
            )),
        }
    }
}

/// The schedule's entries: its version, every price in declaration order, then the opcode
/// classes in the interpreter's order.
fn schedule_entries(schedule: &GasSchedule) -> Vec<(String, u64)> {
    let GasSchedule {
        version,
        tx_base,
        code_per_byte,
        compile_per_byte,
        input_per_byte,
        get_state_base,
        set_state_base,
        delete_state_base,
        emit_event_base,
        randomness_base,
        cheap_call,
        state_read_per_byte,
        state_write_per_byte,
        event_per_byte,
        log_per_byte,
        per_kib,
        per_kib_transform,
        per_element,
        per_iter,
        per_ref,
        per_64_word_ops,
        coarse_call,
        coarse_loop,
        opcodes,
    } = schedule;
    let mut entries: Vec<(String, u64)> = [
        ("version", u64::from(*version)),
        ("tx_base", *tx_base),
        ("code_per_byte", *code_per_byte),
        ("compile_per_byte", *compile_per_byte),
        ("input_per_byte", *input_per_byte),
        ("get_state_base", *get_state_base),
        ("set_state_base", *set_state_base),
        ("delete_state_base", *delete_state_base),
        ("emit_event_base", *emit_event_base),
        ("randomness_base", *randomness_base),
        ("cheap_call", *cheap_call),
        ("state_read_per_byte", *state_read_per_byte),
        ("state_write_per_byte", *state_write_per_byte),
        ("event_per_byte", *event_per_byte),
        ("log_per_byte", *log_per_byte),
        ("per_kib", *per_kib),
        ("per_kib_transform", *per_kib_transform),
        ("per_element", *per_element),
        ("per_iter", *per_iter),
        ("per_ref", *per_ref),
        ("per_64_word_ops", *per_64_word_ops),
        ("coarse_call", *coarse_call),
        ("coarse_loop", *coarse_loop),
    ]
    .into_iter()
    .map(|(name, value)| (format!("gas.{name}"), value))
    .collect();
    let OpcodeCosts {
        stack,
        name,
        attribute,
        operator,
        build,
        call,
        flow,
        exception,
        generator,
        import,
        matching,
        format,
        iterate,
    } = opcodes;
    entries.extend(
        [
            ("stack", stack),
            ("name", name),
            ("attribute", attribute),
            ("operator", operator),
            ("build", build),
            ("call", call),
            ("flow", flow),
            ("exception", exception),
            ("generator", generator),
            ("import", import),
            ("matching", matching),
            ("format", format),
            ("iterate", iterate),
        ]
        .into_iter()
        .map(|(class, price)| (format!("gas.opcodes.{class}"), u64::from(*price))),
    );
    entries
}

/// Reads an encoding back into its entries, refusing anything malformed.
fn decode_entries(bytes: &[u8]) -> Result<Vec<(String, u64)>, ParamsError> {
    if bytes.is_empty() {
        return Err(ParamsError::Unreadable(
            "the store recorded no chain parameters (it was created without them)",
        ));
    }
    let rest = bytes
        .strip_prefix(MAGIC.as_slice())
        .ok_or(ParamsError::Unreadable("not a chain parameter record"))?;
    let (header, mut rest) = rest
        .split_at_checked(4)
        .ok_or(ParamsError::Unreadable("truncated header"))?;
    if u16::from_be_bytes([header[0], header[1]]) != FORMAT {
        return Err(ParamsError::Unreadable("written in another format version"));
    }
    let count = u16::from_be_bytes([header[2], header[3]]);
    let mut entries = Vec::with_capacity(usize::from(count).min(bytes.len()));
    for _ in 0..count {
        let (&len, tail) = rest
            .split_first()
            .ok_or(ParamsError::Unreadable("truncated entry"))?;
        let (name, tail) = tail
            .split_at_checked(usize::from(len))
            .ok_or(ParamsError::Unreadable("truncated entry name"))?;
        let (value, tail) = tail
            .split_at_checked(8)
            .ok_or(ParamsError::Unreadable("truncated entry value"))?;
        let name = std::str::from_utf8(name)
            .map_err(|_| ParamsError::Unreadable("entry name is not text"))?;
        let value = u64::from_be_bytes(value.try_into().expect("split at 8"));
        entries.push((name.to_owned(), value));
        rest = tail;
    }
    if !rest.is_empty() {
        return Err(ParamsError::Unreadable("trailing bytes"));
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params() -> ChainParams {
        ChainParams::from_config(&PvmConfig::default()).unwrap()
    }

    #[test]
    fn encoding_round_trips_and_names_are_unique() {
        let p = params();
        let entries = p.entries();
        assert_eq!(decode_entries(&p.encode()).unwrap(), entries);
        let mut names: Vec<&String> = entries.iter().map(|(n, _)| n).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), entries.len());
        assert!(p.check_genesis(&p.encode()).is_ok());
    }

    #[test]
    fn every_difference_is_named() {
        let base = params();
        let genesis = base.encode();
        let mut gas = base.clone();
        gas.runtime.schedule.opcodes.iterate += 1;
        gas.runtime.schedule.per_kib += 1;
        let mut metering = base.clone();
        metering.runtime.metering = MeteringMode::Coarse;
        let mut receipts = base.clone();
        receipts.receipts.max_error_len -= 1;
        for (changed, name, others) in [
            (gas, "gas.per_kib", 1),
            (metering, "chain.metering", 0),
            (receipts, "receipt.max_error_len", 0),
        ] {
            assert_ne!(changed.digest(), base.digest());
            match changed.check_genesis(&genesis).unwrap_err() {
                ParamsError::Differs {
                    parameter,
                    others: n,
                    ..
                } => {
                    assert_eq!(parameter, name);
                    assert_eq!(n, others);
                }
                other => panic!("{other}"),
            }
        }
    }

    #[test]
    fn malformed_records_are_refused_not_panicked_on() {
        let genesis = params().encode();
        for cut in [0, 10, 18, 20, 25, genesis.len() - 1] {
            assert!(matches!(
                params().check_genesis(&genesis[..cut]),
                Err(ParamsError::Unreadable(_))
            ));
        }
        let mut longer = genesis.clone();
        longer.push(0);
        assert!(params().check_genesis(&longer).is_err());
    }
}
