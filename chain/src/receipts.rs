//! The receipt store: a contiguous journal of receipts with in-memory indexes.
//!
//! Receipts are appended in finalization order (one journal item per receipt, tagged with its
//! block height) and synced before the state commit that records the journal's new size in
//! the QMDB commit metadata. On open the journal is rewound to that size, so receipts of a
//! block whose state commit did not complete are discarded with it.

use crate::receipt::{Receipt, ReceiptLimits};
use bytes::{Buf, BufMut};
use commonware_codec::{EncodeSize, Error as CodecError, Read, ReadExt as _, Write};
use commonware_runtime::{buffer::paged::CacheRef, ReadOptions};
use commonware_storage::{
    journal::{
        contiguous::{variable, Contiguous as _},
        Error as JournalError,
    },
    Context,
};
use commonware_utils::{NZUsize, NZU64};
use futures::StreamExt as _;
use std::{collections::BTreeMap, ops::Range};

/// One journal item: a receipt and the height of its block.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct StoredReceipt {
    pub(crate) height: u64,
    pub(crate) receipt: Receipt,
}

impl Write for StoredReceipt {
    fn write(&self, buf: &mut impl BufMut) {
        self.height.write(buf);
        self.receipt.write(buf);
    }
}

impl EncodeSize for StoredReceipt {
    fn encode_size(&self) -> usize {
        8 + self.receipt.encode_size()
    }
}

impl Read for StoredReceipt {
    type Cfg = ReceiptLimits;

    fn read_cfg(buf: &mut impl Buf, cfg: &ReceiptLimits) -> Result<Self, CodecError> {
        Ok(Self {
            height: u64::read(buf)?,
            receipt: Receipt::read_cfg(buf, cfg)?,
        })
    }
}

/// Receipts of committed blocks, by transaction hash and by height.
pub(crate) struct ReceiptStore<E: Context> {
    journal: Option<variable::Journal<E, StoredReceipt>>,
    by_tx: BTreeMap<[u8; 32], u64>,
    by_height: BTreeMap<u64, Range<u64>>,
}

impl<E: Context> ReceiptStore<E> {
    /// Opens the journal, drops receipts beyond `committed_end` and indexes the rest.
    pub(crate) async fn open(
        context: E,
        partition: String,
        page_cache: CacheRef,
        limits: ReceiptLimits,
        committed_end: u64,
    ) -> Result<Self, JournalError> {
        let config = variable::Config {
            partition,
            items_per_section: NZU64!(1024),
            compression: None,
            codec_config: limits,
            page_cache,
            write_buffer: NZUsize!(64 * 1024),
            replay_buffer: NZUsize!(64 * 1024),
        };
        let mut journal: variable::Journal<E, StoredReceipt> =
            variable::Journal::init(context, config).await?;
        let size = journal.size();
        if size < committed_end {
            return Err(JournalError::Corruption(format!(
                "receipt journal holds {size} receipts, committed state expects {committed_end}"
            )));
        }
        if size > committed_end {
            journal = journal.rewind(committed_end).await?.sync().await?;
        }
        let mut by_tx = BTreeMap::new();
        let mut by_height: BTreeMap<u64, Range<u64>> = BTreeMap::new();
        {
            let stream = journal
                .replay(0, NZUsize!(64 * 1024), ReadOptions::default())
                .await?;
            futures::pin_mut!(stream);
            while let Some(item) = stream.next().await {
                let (position, stored) = item?;
                by_tx.insert(stored.receipt.tx_hash, position);
                by_height
                    .entry(stored.height)
                    .and_modify(|range| range.end = position + 1)
                    .or_insert(position..position + 1);
            }
        }
        Ok(Self {
            journal: Some(journal),
            by_tx,
            by_height,
        })
    }

    fn journal(&self) -> Result<&variable::Journal<E, StoredReceipt>, JournalError> {
        self.journal.as_ref().ok_or_else(|| {
            JournalError::Corruption("receipt journal lost by an earlier error".into())
        })
    }

    /// Number of receipts stored.
    pub(crate) fn size(&self) -> Result<u64, JournalError> {
        Ok(self.journal()?.size())
    }

    /// Appends a block's receipts (not yet durable; see [Self::sync]).
    pub(crate) async fn append(
        &mut self,
        height: u64,
        receipts: &[Receipt],
    ) -> Result<(), JournalError> {
        let mut journal = self.journal.take().ok_or_else(|| {
            JournalError::Corruption("receipt journal lost by an earlier error".into())
        })?;
        for receipt in receipts {
            let stored = StoredReceipt {
                height,
                receipt: receipt.clone(),
            };
            let (next, position) = journal.append(&stored).await?;
            journal = next;
            self.by_tx.insert(receipt.tx_hash, position);
            self.by_height
                .entry(height)
                .and_modify(|range| range.end = position + 1)
                .or_insert(position..position + 1);
        }
        self.journal = Some(journal);
        Ok(())
    }

    /// Makes every appended receipt durable.
    pub(crate) async fn sync(&mut self) -> Result<(), JournalError> {
        let journal = self.journal.take().ok_or_else(|| {
            JournalError::Corruption("receipt journal lost by an earlier error".into())
        })?;
        self.journal = Some(journal.sync().await?);
        Ok(())
    }

    /// The receipt of `tx_hash` and its block height.
    pub(crate) async fn get(
        &self,
        tx_hash: &[u8; 32],
    ) -> Result<Option<(u64, Receipt)>, JournalError> {
        let Some(&position) = self.by_tx.get(tx_hash) else {
            return Ok(None);
        };
        let stored = self.journal()?.read(position).await?;
        Ok(Some((stored.height, stored.receipt)))
    }

    /// The receipts of the block at `height`, in transaction order.
    pub(crate) async fn at_height(&self, height: u64) -> Result<Vec<Receipt>, JournalError> {
        let Some(range) = self.by_height.get(&height) else {
            return Ok(Vec::new());
        };
        let positions: Vec<u64> = range.clone().collect();
        let stored = self.journal()?.read_many(&positions).await?;
        Ok(stored.into_iter().map(|s| s.receipt).collect())
    }

    /// Durably syncs and closes the journal.
    pub(crate) async fn close(mut self) -> Result<(), JournalError> {
        if let Some(journal) = self.journal.take() {
            journal.sync().await?;
        }
        Ok(())
    }

    /// Removes the journal from storage.
    pub(crate) async fn destroy(mut self) -> Result<(), JournalError> {
        if let Some(journal) = self.journal.take() {
            journal.destroy().await?;
        }
        Ok(())
    }
}
