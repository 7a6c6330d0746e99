//! The block executor: checks a block's transactions, then runs them in order on
//! the block's overlay, each inside its own checkpoint.
//!
//! ```text
//!   BlockPayload ──check──▶ [CheckedTx]          stateless, all before any runs:
//!                                               known kinds, signatures (batched),
//!                                               sizes, Σ gas limits ≤ block gas limit
//!                ──execute──▶ [Receipt]          in order, one checkpoint each:
//!                                               success commits, failure reverts
//!                                               writes and events (gas still counted);
//!                                               every receipt fits the journal's bounds;
//!                                               a code pays compiling on its first call
//!                                               in the block, later calls the lookup
//! ```
//!
//! A block is valid only if every transaction is: an unknown kind, a bad
//! signature, a wrong nonce or a block whose transactions may use more gas than
//! the block gas limit make [`BlockExecutor::check`] or [`BlockExecutor::execute`]
//! fail with a [`BlockError`] naming the transaction, and the caller drops the
//! block's overlay, so nothing of it is applied. Everything here is a pure
//! function of the parent state and the block, so identical blocks give
//! byte-identical receipts and state roots on every run.

use std::time::Instant;

use pvm_chain::{BlockView, Receipt, ReceiptLimits, TxStatus};
use pvm_overlay::StateOverlay;
use pvm_runtime::PvmInterpreter;
use thiserror::Error;

use crate::{
    payload::{BlockPayload, PayloadError},
    registry::{BlockEnv, CheckedTx, ExecContext, Registry, Rejection},
};

/// Why a block is invalid.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum BlockError {
    /// The block data is not a payload.
    #[error(transparent)]
    Payload(#[from] PayloadError),
    /// A transaction's kind has no handler.
    #[error("transaction {index}: unknown transaction kind {kind}")]
    UnknownKind {
        /// Position in the block.
        index: usize,
        /// The kind byte.
        kind: u8,
    },
    /// A transaction is invalid.
    #[error("transaction {index}: {reason}")]
    InvalidTx {
        /// Position in the block.
        index: usize,
        /// What is wrong with it.
        reason: Rejection,
    },
    /// The block's parent digest is not the digest of the block it is executed on.
    #[error(
        "parent digest {} is not {}, the digest of the block it is executed on",
        hex::encode(.got), hex::encode(.expected)
    )]
    WrongParent {
        /// Digest of the block it is executed on.
        expected: [u8; 32],
        /// The parent digest the block names.
        got: [u8; 32],
    },
    /// The block's height is not its parent's + 1.
    #[error("height {got} does not follow its parent: expected {expected}")]
    WrongHeight {
        /// The parent's height + 1.
        expected: u64,
        /// The block's height.
        got: u64,
    },
    /// The block's timestamp is before its parent's.
    #[error("timestamp {got_ms} ms is before its parent's ({parent_ms} ms)")]
    TimestampBeforeParent {
        /// The parent's timestamp.
        parent_ms: u64,
        /// The block's timestamp.
        got_ms: u64,
    },
    /// The transactions may use more gas than a block allows.
    #[error("transactions ask for {total} gas in all, more than the block gas limit of {limit} (the chain's block_gas_limit)")]
    GasLimit {
        /// Sum of the transactions' gas limits.
        total: u64,
        /// The block gas limit.
        limit: u64,
    },
}

/// Checks and executes blocks of registered transaction types.
#[derive(Clone)]
pub struct BlockExecutor {
    registry: Registry,
    block_gas_limit: u64,
}

impl BlockExecutor {
    /// An executor for `registry`'s transaction types.
    pub fn new(registry: Registry, block_gas_limit: u64) -> Self {
        Self {
            registry,
            block_gas_limit,
        }
    }

    /// The handlers.
    pub fn registry(&self) -> &Registry {
        &self.registry
    }

    /// Stateless checks of every transaction of `payload`, in order.
    pub fn check(&self, payload: &BlockPayload) -> Result<Vec<CheckedTx>, BlockError> {
        let mut checked: Vec<Option<CheckedTx>> = (0..payload.txs.len()).map(|_| None).collect();
        // Group by kind so each handler checks its transactions in one batch.
        let mut by_kind: std::collections::BTreeMap<u8, Vec<usize>> = Default::default();
        for (index, (kind, _)) in payload.txs.iter().enumerate() {
            if self.registry.get(*kind).is_none() {
                return Err(BlockError::UnknownKind { index, kind: *kind });
            }
            by_kind.entry(*kind).or_default().push(index);
        }
        for (kind, indexes) in by_kind {
            let handler = self.registry.get(kind).expect("checked above");
            let bytes: Vec<&[u8]> = indexes
                .iter()
                .map(|&i| payload.txs[i].1.as_slice())
                .collect();
            let txs = handler
                .check_many(&bytes)
                .map_err(|(at, e)| BlockError::InvalidTx {
                    index: indexes[at],
                    reason: e,
                })?;
            for (i, tx) in indexes.into_iter().zip(txs) {
                checked[i] = Some(tx);
            }
        }
        let checked: Vec<CheckedTx> = checked
            .into_iter()
            .map(|t| t.expect("every index checked"))
            .collect();
        let total = checked
            .iter()
            .fold(0u64, |sum, tx| sum.saturating_add(tx.gas_limit));
        if total > self.block_gas_limit {
            return Err(BlockError::GasLimit {
                total,
                limit: self.block_gas_limit,
            });
        }
        Ok(checked)
    }

    /// Executes checked transactions in order on `overlay`; their receipts, each within
    /// `receipt_limits` (the chain's, see [`pvm_chain::ChainState::receipt_limits`]).
    pub fn execute(
        &self,
        txs: &[CheckedTx],
        env: &BlockEnv,
        overlay: &mut StateOverlay<BlockView>,
        receipt_limits: &ReceiptLimits,
        vm: &mut PvmInterpreter,
    ) -> Result<Vec<Receipt>, BlockError> {
        let mut ctx = ExecContext {
            overlay,
            env,
            receipt_limits,
            vm,
        };
        // A code pays for compiling on its first call in the block only.
        ctx.vm.begin_block();
        let receipts = self.execute_in_block(txs, &mut ctx);
        ctx.vm.end_block();
        receipts
    }

    fn execute_in_block(
        &self,
        txs: &[CheckedTx],
        ctx: &mut ExecContext<'_>,
    ) -> Result<Vec<Receipt>, BlockError> {
        let mut receipts = Vec::with_capacity(txs.len());
        for (index, tx) in txs.iter().enumerate() {
            let handler = self.registry.get(tx.kind).ok_or(BlockError::UnknownKind {
                index,
                kind: tx.kind,
            })?;
            let start = Instant::now();
            let receipt = handler
                .execute(tx, ctx)
                .map_err(|reason| BlockError::InvalidTx { index, reason })?;
            record_tx_metrics(handler.name(), &receipt, start);
            receipts.push(receipt);
        }
        Ok(receipts)
    }
}

fn record_tx_metrics(kind: &'static str, receipt: &Receipt, start: Instant) {
    metrics::histogram!("pvm_tx_execution_seconds", "kind" => kind)
        .record(start.elapsed().as_secs_f64());
    metrics::histogram!("pvm_tx_gas_used", "kind" => kind).record(receipt.gas_used as f64);
    let (outcome, error) = match (&receipt.status, &receipt.error) {
        (TxStatus::Success, _) => ("success", String::new()),
        (TxStatus::Failure, Some(e)) => ("failure", e.kind.clone()),
        (TxStatus::Failure, None) => ("failure", String::new()),
    };
    metrics::counter!("pvm_txs_total", "kind" => kind, "outcome" => outcome, "error_kind" => error)
        .increment(1);
}
