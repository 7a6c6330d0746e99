//! The PVM transaction type: deploy and call Python contracts.
//!
//! [`PvmHandler`] is registered under [`PVM_TX_KIND`]. Checking decodes the
//! transaction within [`TxLimits`] and verifies its signature (a block's
//! signatures are verified as one ed25519 batch, spread over all cores, falling
//! back to one by one only to name the bad one). Executing:
//!
//! 1. the sender's nonce (in the system namespace) must equal the transaction's,
//!    else the block is invalid (replays and gaps); it is then incremented, and
//!    stays incremented whatever the transaction does;
//! 2. a checkpoint opens; a deploy stores the code at its address
//!    ([`crate::tx::contract_address`]) and runs the module and its optional
//!    `init(input)`; a call loads the contract's code and runs `main(input)`,
//!    both through an [`AltoHost`] confined to the contract's namespace;
//! 3. success commits the checkpoint, failure reverts its writes and events; the
//!    receipt records gas used and the contract's log either way. A deploy's output
//!    is the new address.
//!
//! Every receipt is made to fit the chain's receipt bounds before the checkpoint
//! closes ([`pvm_chain::ReceiptLimits::fit`]): a long error message or log is cut
//! and marked, and a success whose output or events the receipt journal could not
//! read back becomes a failure (`InvalidInput`, naming the bound), so its writes
//! revert like any failure's.

use std::sync::Arc;

use commonware_cryptography::{ed25519, BatchVerifier as _};
use commonware_parallel::{Rayon, Sequential};
use pvm_alto::AltoHost;
use pvm_chain::{Receipt, ReceiptLimits, TxError as ReceiptError};
use pvm_host::{HostContext, HostErrorKind};
use pvm_overlay::{Address, StateKey};
use pvm_runtime::{Entry, ExecError};

use crate::{
    registry::{CheckedTx, ExecContext, Rejection, TxHandler},
    tx::{Action, Transaction, TxError, TxLimits, TX_NAMESPACE},
};

// The runtime's log cap and the receipt journal's log bound must be one number: a log the
// runtime keeps in full is then never cut again by the receipt, and never refused by the
// journal.
const _: () = assert!(
    pvm_runtime::binding::MAX_LOG_BYTES == pvm_chain::ReceiptLimits::MAX_LOG_BYTES,
    "the runtime's log cap differs from the receipt bound (pvm_host::MAX_LOG_BYTES)"
);

/// The kind byte of PVM transactions in a block payload.
pub const PVM_TX_KIND: u8 = 1;

/// The namespace of state only the node writes: nonces and contract code. No
/// contract can have this address (addresses are SHA-256 digests).
pub const SYSTEM_NAMESPACE: Address = [0xff; 32];

/// The state key of `sender`'s next nonce.
pub fn nonce_key(sender: &ed25519::PublicKey) -> StateKey {
    let mut key = b"nonce/".to_vec();
    key.extend_from_slice(sender.as_ref());
    StateKey::new(SYSTEM_NAMESPACE, key)
}

/// A sender's next nonce from its stored record (`None` absent: 0); `None`
/// when the record is not 8 bytes.
pub fn stored_nonce(record: Option<Vec<u8>>) -> Option<u64> {
    match record {
        Some(bytes) => bytes.try_into().ok().map(u64::from_be_bytes),
        None => Some(0),
    }
}

/// The state key of the code of the contract at `address`.
pub fn code_key(address: &Address) -> StateKey {
    let mut key = b"code/".to_vec();
    key.extend_from_slice(address);
    StateKey::new(SYSTEM_NAMESPACE, key)
}

/// Deploys and calls Python contracts.
#[derive(Clone, Debug)]
pub struct PvmHandler {
    limits: TxLimits,
    /// Spreads a block's batch signature check over every core; `None` (a
    /// thread pool could not be built) checks on the calling thread.
    verifier: Option<Rayon>,
}

impl PvmHandler {
    /// A handler enforcing `limits`.
    pub fn new(limits: TxLimits) -> Self {
        let threads = std::thread::available_parallelism().unwrap_or(std::num::NonZeroUsize::MIN);
        Self {
            limits,
            verifier: Rayon::new(threads).ok(),
        }
    }

    /// Registers a PVM handler as a shared trait object.
    pub fn shared(limits: TxLimits) -> Arc<dyn TxHandler> {
        Arc::new(Self::new(limits))
    }

    fn checked(tx: Transaction) -> CheckedTx {
        CheckedTx {
            kind: PVM_TX_KIND,
            hash: tx.hash(),
            gas_limit: tx.gas_limit,
            body: Box::new(tx),
        }
    }
}

impl TxHandler for PvmHandler {
    fn kind(&self) -> u8 {
        PVM_TX_KIND
    }

    fn name(&self) -> &'static str {
        "pvm"
    }

    fn check(&self, bytes: &[u8]) -> Result<CheckedTx, Rejection> {
        let tx = Transaction::decode(bytes, &self.limits)?;
        tx.verify_signature()?;
        Ok(Self::checked(tx))
    }

    fn check_many(&self, txs: &[&[u8]]) -> Result<Vec<CheckedTx>, (usize, Rejection)> {
        let decoded = txs
            .iter()
            .enumerate()
            .map(|(i, bytes)| Transaction::decode(bytes, &self.limits).map_err(|e| (i, e.into())))
            .collect::<Result<Vec<_>, _>>()?;
        if decoded.is_empty() {
            return Ok(Vec::new());
        }
        let messages: Vec<Vec<u8>> = decoded.iter().map(Transaction::signing_message).collect();
        let mut batch = ed25519::Batch::new(decoded.len());
        for (tx, message) in decoded.iter().zip(&messages) {
            batch.add(TX_NAMESPACE, message, &tx.sender, &tx.signature);
        }
        let valid = match &self.verifier {
            Some(parallel) => batch.verify(&mut commonware_utils::sys_rng(), parallel),
            None => batch.verify(&mut commonware_utils::sys_rng(), &Sequential),
        };
        if !valid {
            // Name the first bad signature.
            for (i, tx) in decoded.iter().enumerate() {
                tx.verify_signature().map_err(|e| (i, e.into()))?;
            }
        }
        Ok(decoded.into_iter().map(Self::checked).collect())
    }

    fn execute(
        &self,
        checked: &CheckedTx,
        ctx: &mut ExecContext<'_>,
    ) -> Result<Receipt, Rejection> {
        let tx = checked
            .body
            .downcast_ref::<Transaction>()
            .ok_or(Rejection::WrongBody { handler: "pvm" })?;

        let nonce_key = nonce_key(&tx.sender);
        let expected = stored_nonce(ctx.overlay.get(&nonce_key)?)
            .ok_or(Rejection::CorruptState { what: "nonce" })?;
        if tx.nonce != expected {
            return Err(TxError::WrongNonce {
                sender: hex::encode(tx.sender.as_ref()),
                expected,
                got: tx.nonce,
            }
            .into());
        }
        ctx.overlay
            .set(nonce_key, (expected + 1).to_be_bytes().to_vec())?;

        let checkpoint = ctx.overlay.checkpoint()?;
        let events_before = ctx.overlay.events().len();
        let (address, code, entry, input) = match &tx.action {
            Action::Deploy { code, init_input } => {
                let address = tx.deployed_address();
                ctx.overlay.set(code_key(&address), code.clone())?;
                (
                    address,
                    Some(code.clone()),
                    Entry::Init,
                    init_input.as_slice(),
                )
            }
            Action::Call { contract, input } => {
                let code = ctx.overlay.get(&code_key(contract))?;
                (*contract, code, Entry::Main, input.as_slice())
            }
        };
        let context = HostContext {
            block_height: ctx.env.height,
            block_hash: ctx.env.digest,
            tx_hash: checked.hash,
            sender: tx.sender.as_ref().to_vec(),
            timestamp_ms: ctx.env.timestamp_ms,
        };
        let (result, gas_used, logs) = match code {
            None => {
                let schedule = &ctx.vm.config().schedule;
                let gas = schedule.tx_base.min(tx.gas_limit);
                let error = ReceiptError {
                    kind: "NotFound".into(),
                    message: format!("not found: no contract at address {}", hex::encode(address)),
                    line: None,
                };
                (Err(error), gas, Vec::new())
            }
            Some(code) => {
                let mut host =
                    AltoHost::new(ctx.overlay, address, context, ctx.env.seed, tx.gas_limit);
                let execution = ctx.vm.execute_entry(&mut host, &code, entry, input);
                let gas = host.gas_used();
                (execution.result.map_err(receipt_error), gas, execution.logs)
            }
        };
        let limits = ctx.receipt_limits;
        let error = match result {
            Ok(output) => {
                let events = ctx.overlay.events()[events_before..].to_vec();
                let output = match tx.action {
                    Action::Deploy { .. } => address.to_vec(),
                    Action::Call { .. } => output,
                };
                let mut receipt =
                    Receipt::success(checked.hash, gas_used, output, events).with_logs(logs);
                match limits.fit(&mut receipt) {
                    Ok(()) => {
                        ctx.overlay.commit(checkpoint)?;
                        return Ok(receipt);
                    }
                    Err(overflow) => {
                        let error = ReceiptError {
                            kind: HostErrorKind::InvalidInput.name().to_owned(),
                            message: overflow.to_string(),
                            line: None,
                        };
                        (error, receipt.logs, receipt.truncated.logs)
                    }
                }
            }
            Err(error) => (error, logs, false),
        };
        ctx.overlay.revert(checkpoint)?;
        failure_receipt(checked.hash, gas_used, error, limits)
    }
}

/// A failure receipt cut to fit `limits`.
fn failure_receipt(
    hash: [u8; 32],
    gas_used: u64,
    (error, logs, logs_cut): (ReceiptError, Vec<String>, bool),
    limits: &ReceiptLimits,
) -> Result<Receipt, Rejection> {
    let mut receipt = Receipt::failure(hash, gas_used, error).with_logs(logs);
    receipt.truncated.logs = logs_cut;
    limits.fit(&mut receipt)?;
    Ok(receipt)
}

/// A runtime error as a receipt records it.
pub fn receipt_error(e: ExecError) -> ReceiptError {
    ReceiptError {
        kind: e.kind.name().to_owned(),
        message: e.message,
        line: e.line,
    }
}
