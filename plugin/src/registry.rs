//! The transaction-type registry: the extension point a node's block processor calls.
//!
//! Every transaction in a block is tagged with a one-byte kind ([`crate::payload`]).
//! A [`TxHandler`] owns one kind: [`TxHandler::check`] decodes and validates the
//! bytes without touching state (run on every transaction before any executes, so
//! a block with one bad transaction is rejected whole and changes nothing), and
//! [`TxHandler::execute`] applies a checked transaction to the block. The
//! [`Registry`] maps kinds to handlers; PVM registers [`crate::pvm_tx::PvmHandler`]
//! under [`crate::pvm_tx::PVM_TX_KIND`], and other transaction types of the node
//! can sit beside it.

use std::{any::Any, collections::BTreeMap, fmt, sync::Arc};

use pvm_alto::RandomnessSeed;
use pvm_chain::{BlockView, Receipt, ReceiptLimits, ReceiptOverflow};
use pvm_overlay::{OverlayError, StateOverlay};
use pvm_runtime::PvmInterpreter;
use thiserror::Error;

use crate::tx::TxError;

/// What a block tells its transactions about itself.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BlockEnv {
    /// The block's height.
    pub height: u64,
    /// The block's digest.
    pub digest: [u8; 32],
    /// Its timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// Source of contract randomness (carried in the payload).
    pub seed: RandomnessSeed,
}

/// A transaction that passed its handler's stateless checks.
pub struct CheckedTx {
    /// The kind it was registered under.
    pub kind: u8,
    /// Its hash.
    pub hash: [u8; 32],
    /// Most gas it may use (counted against the block's gas limit).
    pub gas_limit: u64,
    /// The handler's decoded form.
    pub body: Box<dyn Any + Send + Sync>,
}

impl fmt::Debug for CheckedTx {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CheckedTx")
            .field("kind", &self.kind)
            .field("hash", &hex::encode(self.hash))
            .field("gas_limit", &self.gas_limit)
            .finish()
    }
}

/// What a handler executes against: the block's overlay, its environment and an
/// interpreter leased for the block.
pub struct ExecContext<'a> {
    /// The block's journaled state.
    pub overlay: &'a mut StateOverlay<BlockView>,
    /// Height, digest, timestamp and randomness seed of the block.
    pub env: &'a BlockEnv,
    /// What every receipt must fit ([`ReceiptLimits::fit`]) before its transaction's
    /// checkpoint commits: the bounds the chain's receipt journal decodes with.
    pub receipt_limits: &'a ReceiptLimits,
    /// The interpreter executing the block's contracts.
    pub vm: &'a mut PvmInterpreter,
}

/// Why a transaction makes its block invalid (as opposed to failing on its own,
/// which its receipt records).
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum Rejection {
    /// The transaction itself is invalid: it does not decode, is over a cap,
    /// is badly signed or has the wrong nonce.
    #[error(transparent)]
    Tx(#[from] TxError),
    /// A handler was given a transaction another handler checked.
    #[error("the {handler} handler was given a transaction it did not check")]
    WrongBody {
        /// The handler's name.
        handler: &'static str,
    },
    /// The block's state could not be read or written.
    #[error("state: {0}")]
    State(#[from] OverlayError),
    /// A value in state is not what the handler wrote there.
    #[error("corrupt {what} in state")]
    CorruptState {
        /// What was being read.
        what: &'static str,
    },
    /// Even cut to the bounds, a failure receipt does not fit them.
    #[error("failure receipt: {0}")]
    Receipt(#[from] ReceiptOverflow),
}

/// Why [`Registry::register`] refused a handler.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
#[error("transaction kind {kind} is already registered to {existing}")]
pub struct KindTaken {
    /// The kind asked for.
    pub kind: u8,
    /// The name of the handler that has it.
    pub existing: &'static str,
}

/// One transaction type.
pub trait TxHandler: Send + Sync {
    /// The kind byte this handler owns.
    fn kind(&self) -> u8;
    /// A short name for errors and metrics.
    fn name(&self) -> &'static str;
    /// Decodes and validates `bytes` without reading state (signatures, sizes, caps).
    fn check(&self, bytes: &[u8]) -> Result<CheckedTx, Rejection>;
    /// Checks many transactions at once (signature checks batch here); the
    /// default checks them one by one. Errors carry the failing position.
    fn check_many(&self, txs: &[&[u8]]) -> Result<Vec<CheckedTx>, (usize, Rejection)> {
        txs.iter()
            .enumerate()
            .map(|(i, bytes)| self.check(bytes).map_err(|e| (i, e)))
            .collect()
    }
    /// Applies a checked transaction inside the executor's checkpoint for it and
    /// returns its receipt, which must fit [`ExecContext::receipt_limits`]; an `Err`
    /// makes the whole block invalid.
    fn execute(&self, tx: &CheckedTx, ctx: &mut ExecContext<'_>) -> Result<Receipt, Rejection>;
}

/// Transaction handlers by kind.
#[derive(Clone, Default)]
pub struct Registry {
    handlers: BTreeMap<u8, Arc<dyn TxHandler>>,
}

impl Registry {
    /// An empty registry.
    pub fn new() -> Self {
        Self::default()
    }

    /// Registers `handler` under its kind; refuses a kind that is taken.
    pub fn register(&mut self, handler: Arc<dyn TxHandler>) -> Result<(), KindTaken> {
        let kind = handler.kind();
        if let Some(existing) = self.handlers.get(&kind) {
            return Err(KindTaken {
                kind,
                existing: existing.name(),
            });
        }
        self.handlers.insert(kind, handler);
        Ok(())
    }

    /// The handler of `kind`.
    pub fn get(&self, kind: u8) -> Option<&Arc<dyn TxHandler>> {
        self.handlers.get(&kind)
    }

    /// Registered kinds, in order.
    pub fn kinds(&self) -> impl Iterator<Item = u8> + '_ {
        self.handlers.keys().copied()
    }
}
