//! Blocks in flight: the view a block executes against, the execution handle and the
//! merkleized (pending) block.

use crate::{
    receipt::{Receipt, ReceiptLimits},
    BlockInfo, ChainError, Committed, QmdbBatch,
};
use pvm_overlay::{CommittedView, OverlayError, StateKey, StateOverlay};
use std::{
    collections::BTreeMap,
    sync::{Arc, RwLock},
};

/// The writes in one block, in key order (`None` = delete).
pub(crate) type Writes = BTreeMap<StateKey, Option<Vec<u8>>>;

/// A merkleized, not yet finalized block.
pub(crate) struct Node {
    pub(crate) info: BlockInfo,
    pub(crate) writes: Writes,
    pub(crate) receipts: Vec<Receipt>,
    /// Receipt-journal size once this block is committed.
    pub(crate) receipts_end: u64,
    pub(crate) batch: QmdbBatch,
}

/// The unfinalized ancestry of a block: which committed block it starts from and the
/// merkleized blocks between (nearest first).
#[derive(Clone)]
pub(crate) struct Lineage {
    /// Digest of the committed block the oldest ancestor builds on (`None` = genesis).
    pub(crate) base: Option<[u8; 32]>,
    /// Unfinalized ancestors, parent first.
    pub(crate) ancestors: Vec<Arc<Node>>,
}

impl Lineage {
    /// Trims the ancestors the committed tip already contains. `None` if the tip is not on
    /// this lineage (a conflicting block was finalized).
    pub(crate) fn rebase(&self, tip: Option<[u8; 32]>) -> Option<Self> {
        if tip == self.base {
            return Some(self.clone());
        }
        let position = self
            .ancestors
            .iter()
            .position(|node| Some(node.info.digest) == tip)?;
        Some(Self {
            base: tip,
            ancestors: self.ancestors[..position].to_vec(),
        })
    }

    /// Whether the committed tip lies on this lineage.
    fn is_current(&self, tip: Option<[u8; 32]>) -> bool {
        tip == self.base
            || self
                .ancestors
                .iter()
                .any(|node| Some(node.info.digest) == tip)
    }
}

/// The synchronous [CommittedView] a block executes against: its unfinalized ancestors'
/// writes over the in-memory mirror of committed state.
#[derive(Clone)]
pub struct BlockView {
    pub(crate) committed: Arc<RwLock<Committed>>,
    pub(crate) lineage: Lineage,
}

impl CommittedView for BlockView {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, OverlayError> {
        let committed = self
            .committed
            .read()
            .expect("committed state lock poisoned");
        if !self.lineage.is_current(committed.tip.map(|tip| tip.digest)) {
            return Err(OverlayError::StaleView);
        }
        for node in &self.lineage.ancestors {
            if let Some(value) = node.writes.get(key) {
                return Ok(value.clone());
            }
        }
        Ok(committed.values.get(key).cloned())
    }
}

/// A block being executed: an overlay to run its transactions on and the receipts so far.
pub struct BlockExecution {
    pub(crate) height: u64,
    pub(crate) digest: [u8; 32],
    pub(crate) timestamp_ms: u64,
    pub(crate) overlay: StateOverlay<BlockView>,
    pub(crate) receipts: Vec<Receipt>,
    pub(crate) receipt_limits: ReceiptLimits,
    pub(crate) parent_batch: QmdbBatch,
    pub(crate) parent_receipts_end: u64,
}

impl BlockExecution {
    /// The block's height.
    pub const fn height(&self) -> u64 {
        self.height
    }

    /// The block's digest.
    pub const fn digest(&self) -> [u8; 32] {
        self.digest
    }

    /// The block's timestamp, milliseconds since the Unix epoch.
    pub const fn timestamp_ms(&self) -> u64 {
        self.timestamp_ms
    }

    /// The overlay transactions run on.
    pub const fn overlay(&self) -> &StateOverlay<BlockView> {
        &self.overlay
    }

    /// The overlay transactions run on, for writing.
    pub const fn overlay_mut(&mut self) -> &mut StateOverlay<BlockView> {
        &mut self.overlay
    }

    /// Records the receipt of the next transaction; refuses one the receipt journal could
    /// not decode (the block must then be dropped), so nothing unreadable is ever committed.
    /// Producers make receipts fit first with [ReceiptLimits::fit].
    pub fn push_receipt(&mut self, receipt: Receipt) -> Result<(), ChainError> {
        self.receipt_limits.check(&receipt)?;
        self.receipts.push(receipt);
        Ok(())
    }

    /// The bounds every receipt of this block must fit.
    pub const fn receipt_limits(&self) -> &ReceiptLimits {
        &self.receipt_limits
    }

    /// The receipts recorded so far, in transaction order.
    pub fn receipts(&self) -> &[Receipt] {
        &self.receipts
    }
}

/// A merkleized block: its state root is known, it can be built on, finalized or dropped.
#[derive(Clone)]
pub struct PendingBlock {
    pub(crate) node: Arc<Node>,
    pub(crate) lineage: Lineage,
}

impl PendingBlock {
    /// Height, digest and state root of the block.
    pub fn info(&self) -> BlockInfo {
        self.node.info
    }

    /// The state root the block's execution produced.
    pub fn state_root(&self) -> [u8; 32] {
        self.node.info.state_root
    }

    /// The block's receipts, in transaction order.
    pub fn receipts(&self) -> &[Receipt] {
        &self.node.receipts
    }

    /// Every key the block wrote, in key order (`None` = deleted).
    pub fn writes(&self) -> &BTreeMap<StateKey, Option<Vec<u8>>> {
        &self.node.writes
    }
}
