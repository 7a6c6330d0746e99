//! Chain state on Commonware storage: blocks execute on overlays, merkleize into QMDB batches,
//! and commit atomically with their metadata and receipts on finalization.
//!
//! # Overview
//!
//! [ChainState] owns two stores on a `commonware-runtime` context (the deterministic runtime
//! in tests, the tokio runtime's storage directory in the node):
//!
//! - the **state**: a QMDB ([commonware_storage::qmdb::any::unordered::variable::Db]) whose
//!   root is the state root of the last committed block, and
//! - the **receipts**: a contiguous journal of [Receipt]s with in-memory indexes by
//!   transaction hash and by height.
//!
//! A block's life:
//!
//! ```text
//!  execute_block(parent)      -> BlockExecution   (a StateOverlay over a BlockView)
//!    ... transactions run synchronously on the overlay, push_receipt(..) each
//!        (refused unless it is within the ReceiptLimits the journal decodes with) ...
//!  merkleize(execution)       -> PendingBlock     (QMDB batch forked off the parent; root known)
//!  finalize(&pending)         -> BlockInfo        (receipts synced, batch applied + committed)
//! ```
//!
//! Unfinalized blocks fork: any number of children can be executed and merkleized on the
//! same parent (committed or pending) without affecting each other, because each holds its
//! own QMDB batch ([commonware_storage::qmdb::any::batch::MerkleizedBatch] forks) and its own
//! write set. Finalizing one applies it (and any unfinalized ancestors) and commits; its
//! siblings become stale, and finalizing or building on them returns
//! [ChainError::StaleBlock], reading through them [pvm_overlay::OverlayError::StaleView].
//!
//! # Storage layout
//!
//! ```text
//!  QMDB key   = SHA-256(namespace || key)                    (32 bytes)
//!  QMDB value = namespace (32) | varint key len | key | value
//!  commit metadata (one per block, in the same commit as its writes):
//!               height u64 | digest [32] | timestamp_ms u64 | receipts_end u64
//!               | receipts_digest [32] | genesis_digest [32]
//!  receipt journal item = height u64 | Receipt
//!  genesis record (its own metadata partition, written once) = the chain parameters' bytes
//! ```
//!
//! # Genesis
//!
//! A chain's parameters (everything that changes a receipt or a root: gas schedule, metering,
//! limits) are fixed when it starts. [ChainState] treats them as opaque bytes
//! ([ChainConfig::genesis], canonically encoded by the embedder): the first open of a store
//! records them, every later open hands back the recorded bytes ([ChainState::genesis]) for
//! the embedder to compare with its own, and every block's commit metadata carries their
//! SHA-256 ([ChainState::genesis_digest]), so the state root commits to the parameters the
//! block was executed under. An open whose tip was committed under a different digest than
//! the recorded genesis is refused ([ChainError::GenesisDigest]).
//!
//! Every bound a reader enforces on this data is enforced before it is written, from the
//! same value: the QMDB's value codec is bounded by [ChainConfig::limits] (which the overlay
//! enforces on every write), and the receipt journal decodes with [ChainConfig::receipt_limits]
//! (which [BlockExecution::push_receipt] checks, and whose event bounds [ChainState::open]
//! requires to cover the overlay's). A block can therefore never commit something that stops
//! the store from opening.
//!
//! The value carries the original key so that the committed state can be rebuilt from the
//! QMDB alone. Because block metadata travels in the QMDB commit operation, the block's
//! height and digest, the state it produced and the size of the receipt journal after it are
//! durable together or not at all: [ChainState::last_committed] after a restart names exactly
//! the block whose state is visible. The metadata is part of the authenticated log, so the
//! state root also commits to the block's identity and to a digest of its receipts.
//!
//! # Synchronous reads
//!
//! The interpreter is synchronous and QMDB reads are `async` (DESIGN §4), so contract reads
//! never touch the QMDB. [ChainState::open] replays the QMDB's active operations (everything
//! from the inactivity floor to the tip, in order, via the public operation-proof API) into
//! an in-memory mirror of all committed state, and [ChainState::finalize] updates the mirror
//! after each durable commit. A [BlockView] serves a read from the block's unfinalized
//! ancestors' write sets, then from that mirror. Reads never miss and never wait on the
//! runtime. The price is memory proportional to the live state, which suits this project's
//! scale; a node with more state than memory would instead prefetch declared keys.
//!
//! # Crash safety
//!
//! Finalization writes in this order: (1) append the block's receipts to the journal and
//! sync it; (2) apply the QMDB batch and commit (durable, atomic with the metadata); (3)
//! update the in-memory mirror and indexes. A crash before (2) completes leaves the previous
//! commit as the QMDB's state; on open the receipt journal is rewound to the `receipts_end`
//! recorded in that commit, so no receipt of the lost block survives. Any storage error
//! during finalization leaves the [ChainState] unusable ([ChainError::Closed]): it must be
//! dropped and reopened, which recovers to the last commit.
//!
//! # Example
//!
//! ```
//! use commonware_runtime::{deterministic, Runner as _};
//! use pvm_overlay::StateKey;
//! use pvm_chain::{ChainConfig, ChainState, Receipt};
//!
//! deterministic::Runner::default().start(|context| async move {
//!     let mut chain = ChainState::open(context, ChainConfig::new("doc")).await.unwrap();
//!     let key = StateKey::new([1; 32], b"counter".to_vec());
//!
//!     let mut block = chain.execute_block(None, 1, [0xaa; 32]).unwrap();
//!     block.overlay_mut().set(key.clone(), b"1".to_vec()).unwrap();
//!     block.push_receipt(Receipt::success([0x11; 32], 100, vec![], vec![])).unwrap();
//!     let pending = chain.merkleize(block).await.unwrap();
//!     let info = chain.finalize(&pending).await.unwrap();
//!
//!     assert_eq!(chain.last_committed(), Some(info));
//!     assert_eq!(chain.get(&key), Some(b"1".to_vec()));
//!     assert!(chain.receipt(&[0x11; 32]).await.unwrap().is_some());
//! });
//! ```

#![deny(missing_docs)]

mod block;
pub mod receipt;
mod receipts;

pub use block::{BlockExecution, BlockView, PendingBlock};
pub use receipt::{Receipt, ReceiptLimits, ReceiptOverflow, Truncated, TxError, TxStatus};

use block::{Lineage, Node};
use commonware_codec::{Encode as _, ReadExt as _, Write as _};
use commonware_cryptography::{sha256, Hasher as _, Sha256};
use commonware_parallel::Sequential;
use commonware_runtime::{buffer::paged::CacheRef, Spawner};
use commonware_storage::{
    journal::Error as JournalError,
    metadata::{self, Metadata},
    mmr,
    qmdb::{
        self,
        any::{
            batch::MerkleizedBatch,
            unordered::{self, variable},
            value::VariableEncoding,
            VariableConfig,
        },
    },
    translator::EightCap,
    Context,
};
use commonware_utils::{sequence::U64, NZUsize, NZU16, NZU64};
use pvm_overlay::{CommittedView as _, Limits, OverlayError, StateKey, StateOverlay};
use receipts::ReceiptStore;
use std::{
    collections::BTreeMap,
    num::NonZeroU64,
    sync::{Arc, RwLock},
};
use thiserror::Error;

/// The QMDB holding contract state.
pub(crate) type StateDb<E> =
    variable::Db<mmr::Family, E, sha256::Digest, Vec<u8>, Sha256, EightCap, Sequential>;

/// A merkleized QMDB batch.
pub(crate) type QmdbBatch = Arc<
    MerkleizedBatch<
        mmr::Family,
        sha256::Digest,
        unordered::Update<sha256::Digest, VariableEncoding<Vec<u8>>>,
        Sequential,
    >,
>;

/// Bytes of QMDB value framing around a key and value (namespace + a varint length).
const ENTRY_OVERHEAD: usize = 32 + 5;

/// Operations read per chunk when rebuilding the mirror at open.
const REPLAY_CHUNK: NonZeroU64 = NZU64!(4096);

/// Where and how [ChainState] stores its data.
#[derive(Clone, Debug)]
pub struct ChainConfig {
    /// Prefix of every storage partition this state uses.
    pub partition_prefix: String,
    /// Key, value, event and nesting limits for block overlays.
    pub limits: Limits,
    /// Bounds for decoding stored receipts.
    pub receipt_limits: ReceiptLimits,
    /// Pages held by the shared page cache.
    pub page_cache_pages: usize,
    /// The chain's parameters, canonically encoded; recorded by the first open of a store
    /// (see [ChainState::genesis]). At most [ChainConfig::MAX_GENESIS_LEN] bytes.
    pub genesis: Vec<u8>,
}

impl ChainConfig {
    /// Default configuration with partitions named `{prefix}-...`.
    pub fn new(partition_prefix: impl Into<String>) -> Self {
        Self {
            partition_prefix: partition_prefix.into(),
            limits: Limits::default(),
            receipt_limits: ReceiptLimits::default(),
            page_cache_pages: 4096,
            genesis: Vec::new(),
        }
    }

    /// Largest genesis record, in bytes (the bound it is both written and read with).
    pub const MAX_GENESIS_LEN: usize = 64 * 1024;

    /// Refuses limits under which the overlay would accept an event the receipt journal
    /// could not decode.
    pub fn check(&self) -> Result<(), ChainError> {
        if self.genesis.len() > Self::MAX_GENESIS_LEN {
            return Err(ChainError::Limits {
                what: "genesis record",
                write: self.genesis.len(),
                read: Self::MAX_GENESIS_LEN,
            });
        }
        let (write, read) = (&self.limits, &self.receipt_limits);
        for (what, write, read) in [
            ("events per transaction", write.max_events, read.max_events),
            ("event topic", write.max_topic_len, read.max_topic_len),
            (
                "event data",
                write.max_event_data_len,
                read.max_event_data_len,
            ),
        ] {
            if write > read {
                return Err(ChainError::Limits { what, write, read });
            }
        }
        Ok(())
    }
}

/// Identity and state root of a block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BlockInfo {
    /// The block's height.
    pub height: u64,
    /// The block's digest.
    pub digest: [u8; 32],
    /// The block's timestamp, milliseconds since the Unix epoch.
    pub timestamp_ms: u64,
    /// The QMDB root after the block.
    pub state_root: [u8; 32],
}

/// Errors of [ChainState].
#[derive(Debug, Error)]
pub enum ChainError {
    /// The QMDB failed.
    #[error("state database: {0}")]
    Db(#[from] qmdb::Error<mmr::Family>),
    /// The receipt journal failed.
    #[error("receipt journal: {0}")]
    Receipts(#[from] JournalError),
    /// The overlay refused (e.g. checkpoints still open at merkleize).
    #[error("overlay: {0}")]
    Overlay(#[from] OverlayError),
    /// The block does not extend the committed chain (a conflicting block was finalized).
    #[error("block {height} does not extend the committed chain")]
    StaleBlock {
        /// The stale block's height.
        height: u64,
    },
    /// A block's height does not exceed its parent's.
    #[error("block height {height} must exceed parent height {parent}")]
    BadHeight {
        /// The block's height.
        height: u64,
        /// The parent's height.
        parent: u64,
    },
    /// A receipt is beyond what the receipt journal decodes; storing it would make the store
    /// unreadable, so the block is refused instead.
    #[error("receipt cannot be stored: {0}")]
    ReceiptTooLarge(#[from] ReceiptOverflow),
    /// The overlay would accept more than the receipt journal reads back.
    #[error("the overlay allows {what} of {write}, more than the receipt journal reads ({read})")]
    Limits {
        /// Which bound.
        what: &'static str,
        /// What the overlay accepts.
        write: usize,
        /// What the journal decodes.
        read: usize,
    },
    /// The committed tip was executed under other chain parameters than the store's genesis.
    #[error(
        "block {height} was committed under chain parameters {} but the store's genesis is {}",
        hex(.block), hex(.genesis)
    )]
    GenesisDigest {
        /// The tip's height.
        height: u64,
        /// The parameter digest in the tip's commit metadata.
        block: [u8; 32],
        /// The digest of the recorded genesis.
        genesis: [u8; 32],
    },
    /// The genesis record failed.
    #[error("genesis record: {0}")]
    Genesis(#[from] commonware_storage::metadata::Error),
    /// Stored data could not be decoded.
    #[error("corrupt stored data: {0}")]
    Corrupt(&'static str),
    /// An earlier storage error closed this handle; reopen to recover.
    #[error("chain state closed by an earlier storage error; reopen it")]
    Closed,
}

/// Committed state mirrored in memory, shared with every [BlockView].
#[derive(Debug, Default)]
pub(crate) struct Committed {
    pub(crate) tip: Option<BlockInfo>,
    pub(crate) receipts_end: u64,
    pub(crate) values: BTreeMap<StateKey, Vec<u8>>,
}

/// Block metadata stored in the QMDB commit operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct BlockMeta {
    height: u64,
    digest: [u8; 32],
    timestamp_ms: u64,
    receipts_end: u64,
    receipts_digest: [u8; 32],
    genesis_digest: [u8; 32],
}

impl BlockMeta {
    const LEN: usize = 8 + 32 + 8 + 8 + 32 + 32;

    fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(Self::LEN);
        out.extend_from_slice(&self.height.to_be_bytes());
        out.extend_from_slice(&self.digest);
        out.extend_from_slice(&self.timestamp_ms.to_be_bytes());
        out.extend_from_slice(&self.receipts_end.to_be_bytes());
        out.extend_from_slice(&self.receipts_digest);
        out.extend_from_slice(&self.genesis_digest);
        out
    }

    fn decode(bytes: &[u8]) -> Result<Self, ChainError> {
        if bytes.len() != Self::LEN {
            return Err(ChainError::Corrupt(
                "block metadata length (a store written before block timestamps and chain \
                 parameters were recorded cannot be read by this build)",
            ));
        }
        let mut buf = bytes;
        let height = u64::read(&mut buf).map_err(|_| ChainError::Corrupt("block height"))?;
        let digest = <[u8; 32]>::read(&mut buf).map_err(|_| ChainError::Corrupt("digest"))?;
        let timestamp_ms = u64::read(&mut buf).map_err(|_| ChainError::Corrupt("timestamp"))?;
        let receipts_end = u64::read(&mut buf).map_err(|_| ChainError::Corrupt("receipts"))?;
        let receipts_digest =
            <[u8; 32]>::read(&mut buf).map_err(|_| ChainError::Corrupt("receipts digest"))?;
        let genesis_digest =
            <[u8; 32]>::read(&mut buf).map_err(|_| ChainError::Corrupt("genesis digest"))?;
        Ok(Self {
            height,
            digest,
            timestamp_ms,
            receipts_end,
            receipts_digest,
            genesis_digest,
        })
    }
}

/// The QMDB key of a state key: SHA-256 of namespace || key.
pub fn state_key_hash(key: &StateKey) -> [u8; 32] {
    Sha256::hash(&[&key.namespace, &key.key]).0
}

/// The QMDB value stored for `key`: namespace | varint key length | key | value.
/// The key travels with the value so a restarted node can rebuild its state.
pub fn encode_entry(key: &StateKey, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(ENTRY_OVERHEAD + key.key.len() + value.len());
    out.extend_from_slice(&key.namespace);
    commonware_codec::varint::UInt(key.key.len() as u32).write(&mut out);
    out.extend_from_slice(&key.key);
    out.extend_from_slice(value);
    out
}

/// Decodes a QMDB value written by [encode_entry].
fn decode_entry(bytes: &[u8]) -> Result<(StateKey, Vec<u8>), ChainError> {
    let mut buf = bytes;
    let namespace = <[u8; 32]>::read(&mut buf).map_err(|_| ChainError::Corrupt("entry"))?;
    let len: u32 = commonware_codec::varint::UInt::<u32>::read(&mut buf)
        .map_err(|_| ChainError::Corrupt("entry key length"))?
        .into();
    let len = len as usize;
    if buf.len() < len {
        return Err(ChainError::Corrupt("entry key"));
    }
    let key = buf[..len].to_vec();
    let value = buf[len..].to_vec();
    Ok((StateKey::new(namespace, key), value))
}

fn hex(bytes: &[u8; 32]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The key of the genesis record in its metadata partition.
const GENESIS_KEY: U64 = U64::new(0);

/// The store holding the genesis record.
type GenesisStore<E> = Metadata<E, U64, Vec<u8>>;

fn receipts_digest(receipts: &[Receipt]) -> [u8; 32] {
    let mut hasher = Sha256::default();
    for receipt in receipts {
        hasher.update(&receipt.encode());
    }
    hasher.finalize().1 .0
}

/// Contract state and receipts of a chain, on Commonware storage.
pub struct ChainState<E: Context + Spawner> {
    db: Option<StateDb<E>>,
    receipts: ReceiptStore<E>,
    committed: Arc<RwLock<Committed>>,
    /// Blocks finalized by this handle, by height (so finalizing an ancestor that a
    /// descendant's finalization already committed is recognised), most recent only.
    finalized: BTreeMap<u64, BlockInfo>,
    limits: Limits,
    receipt_limits: ReceiptLimits,
    genesis: Vec<u8>,
    genesis_digest: [u8; 32],
    genesis_store: Option<GenesisStore<E>>,
}

/// How many finalized blocks [ChainState] remembers for idempotent finalization.
const FINALIZED_MEMORY: usize = 256;

impl<E: Context + Spawner> ChainState<E> {
    /// Opens (or creates) the chain state, recovering to the last committed block. The first
    /// open of a store records [ChainConfig::genesis]; later opens keep the recorded one.
    pub async fn open(context: E, config: ChainConfig) -> Result<Self, ChainError> {
        config.check()?;
        let prefix = &config.partition_prefix;
        let mut genesis_store = GenesisStore::init(
            context.child("genesis"),
            metadata::Config {
                partition: format!("{prefix}-genesis"),
                codec_config: ((0..=ChainConfig::MAX_GENESIS_LEN).into(), ()),
            },
        )
        .await?;
        let genesis = match genesis_store.get(&GENESIS_KEY) {
            Some(recorded) => recorded.clone(),
            None => {
                genesis_store = genesis_store
                    .put_sync(GENESIS_KEY, config.genesis.clone())
                    .await?;
                config.genesis.clone()
            }
        };
        let genesis_digest = Sha256::hash(&[&genesis[..]]).0;
        let page_cache = CacheRef::from_pooler(
            &context,
            NZU16!(4096),
            NZUsize!(config.page_cache_pages.max(1)),
        );
        let max_value = ENTRY_OVERHEAD
            + config.limits.max_key_len
            + config.limits.max_value_len.max(BlockMeta::LEN);
        let db_config = VariableConfig {
            merkle_config: mmr::full::Config {
                journal_partition: format!("{prefix}-state-merkle"),
                metadata_partition: format!("{prefix}-state-merkle-meta"),
                items_per_blob: NZU64!(4096),
                write_buffer: NZUsize!(64 * 1024),
                replay_buffer: NZUsize!(64 * 1024),
                strategy: Sequential,
                page_cache: page_cache.clone(),
            },
            journal_config: commonware_storage::journal::contiguous::variable::Config {
                partition: format!("{prefix}-state-log"),
                items_per_section: NZU64!(4096),
                write_buffer: NZUsize!(64 * 1024),
                replay_buffer: NZUsize!(64 * 1024),
                compression: None,
                codec_config: ((), ((0..=max_value).into(), ())),
                page_cache: page_cache.clone(),
            },
            translator: EightCap,
            init_cache_size: Some(NZUsize!(1024)),
            init_buffer: NZUsize!(1 << 20),
            init_concurrency: (),
        };
        let db = StateDb::init(context.child("state"), db_config).await?;

        let meta = match db.get_metadata().await? {
            Some(bytes) => Some(BlockMeta::decode(&bytes)?),
            None => None,
        };
        let values = Self::replay_state(&db).await?;
        if let Some(meta) = meta {
            if meta.genesis_digest != genesis_digest {
                return Err(ChainError::GenesisDigest {
                    height: meta.height,
                    block: meta.genesis_digest,
                    genesis: genesis_digest,
                });
            }
        }
        let tip = meta.map(|meta| BlockInfo {
            height: meta.height,
            digest: meta.digest,
            timestamp_ms: meta.timestamp_ms,
            state_root: db.root().0,
        });
        let receipts_end = meta.map_or(0, |meta| meta.receipts_end);
        let receipts = ReceiptStore::open(
            context.child("receipts"),
            format!("{prefix}-receipts"),
            page_cache,
            config.receipt_limits,
            receipts_end,
        )
        .await?;
        Ok(Self {
            db: Some(db),
            receipts,
            committed: Arc::new(RwLock::new(Committed {
                tip,
                receipts_end,
                values,
            })),
            finalized: tip.map(|tip| (tip.height, tip)).into_iter().collect(),
            limits: config.limits,
            receipt_limits: config.receipt_limits,
            genesis,
            genesis_digest,
            genesis_store: Some(genesis_store),
        })
    }

    /// The chain parameters recorded by the store's first open (its genesis).
    pub fn genesis(&self) -> &[u8] {
        &self.genesis
    }

    /// SHA-256 of [Self::genesis], carried in every block's commit metadata.
    pub const fn genesis_digest(&self) -> [u8; 32] {
        self.genesis_digest
    }

    /// Rebuilds the committed key/value map by replaying the active suffix of the log.
    async fn replay_state(db: &StateDb<E>) -> Result<BTreeMap<StateKey, Vec<u8>>, ChainError> {
        let mut values = BTreeMap::new();
        let mut hashed: BTreeMap<sha256::Digest, StateKey> = BTreeMap::new();
        let end = db.bounds().end;
        let mut location = db.sync_boundary();
        while location < end {
            let (_, operations) = db.proof(location, REPLAY_CHUNK).await?;
            if operations.is_empty() {
                return Err(ChainError::Corrupt("empty operation range during replay"));
            }
            for operation in &operations {
                match operation {
                    unordered::Operation::Update(unordered::Update(hash, entry)) => {
                        let (key, value) = decode_entry(entry)?;
                        hashed.insert(*hash, key.clone());
                        values.insert(key, value);
                    }
                    unordered::Operation::Delete(hash) => {
                        if let Some(key) = hashed.remove(hash) {
                            values.remove(&key);
                        }
                    }
                    unordered::Operation::CommitFloor(..) => {}
                }
            }
            location += operations.len() as u64;
        }
        Ok(values)
    }

    /// The last committed block, or `None` before the first.
    pub fn last_committed(&self) -> Option<BlockInfo> {
        self.committed().tip
    }

    /// The committed state root (the root of an empty QMDB before the first block).
    pub fn state_root(&self) -> Result<[u8; 32], ChainError> {
        Ok(self.db()?.root().0)
    }

    /// The committed value of `key`.
    pub fn get(&self, key: &StateKey) -> Option<Vec<u8>> {
        self.committed().values.get(key).cloned()
    }

    /// A copy of all committed state, in key order.
    pub fn committed_state(&self) -> BTreeMap<StateKey, Vec<u8>> {
        self.committed().values.clone()
    }

    /// The limits block overlays enforce.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The bounds stored receipts are decoded with, which every receipt must fit.
    pub const fn receipt_limits(&self) -> &ReceiptLimits {
        &self.receipt_limits
    }

    /// Starts executing a block on `parent` (`None` = the last committed block), with its
    /// parent's timestamp; see [Self::execute_block_at].
    pub fn execute_block(
        &self,
        parent: Option<&PendingBlock>,
        height: u64,
        digest: [u8; 32],
    ) -> Result<BlockExecution, ChainError> {
        let timestamp_ms = match parent {
            Some(parent) => parent.node.info.timestamp_ms,
            None => self.last_committed().map_or(0, |tip| tip.timestamp_ms),
        };
        self.execute_block_at(parent, height, digest, timestamp_ms)
    }

    /// Starts executing the block `digest` at `height` with timestamp `timestamp_ms` on
    /// `parent` (`None` = the last committed block). Refuses a height that does not exceed
    /// the parent's; the embedder checks the rest of the link (parent digest, exact height,
    /// timestamp rule), since what a chain's first parent is belongs to the chain, not here.
    pub fn execute_block_at(
        &self,
        parent: Option<&PendingBlock>,
        height: u64,
        digest: [u8; 32],
        timestamp_ms: u64,
    ) -> Result<BlockExecution, ChainError> {
        let db = self.db()?;
        let committed = self.committed();
        let tip = committed.tip.map(|tip| tip.digest);
        let (lineage, parent_batch, parent_height, parent_receipts_end) = match parent {
            None => (
                Lineage {
                    base: tip,
                    ancestors: Vec::new(),
                },
                db.to_batch(),
                committed.tip.map(|tip| tip.height),
                committed.receipts_end,
            ),
            Some(parent) => {
                let mut ancestors = Vec::with_capacity(parent.lineage.ancestors.len() + 1);
                ancestors.push(parent.node.clone());
                ancestors.extend(parent.lineage.ancestors.iter().cloned());
                let full = Lineage {
                    base: parent.lineage.base,
                    ancestors,
                };
                let lineage = full.rebase(tip).ok_or(ChainError::StaleBlock {
                    height: parent.node.info.height,
                })?;
                (
                    lineage,
                    parent.node.batch.clone(),
                    Some(parent.node.info.height),
                    parent.node.receipts_end,
                )
            }
        };
        if let Some(parent) = parent_height {
            if height <= parent {
                return Err(ChainError::BadHeight { height, parent });
            }
        }
        drop(committed);
        let view = BlockView {
            committed: self.committed.clone(),
            lineage,
        };
        Ok(BlockExecution {
            height,
            digest,
            timestamp_ms,
            overlay: StateOverlay::new(view, self.limits),
            receipts: Vec::new(),
            receipt_limits: self.receipt_limits,
            parent_batch,
            parent_receipts_end,
        })
    }

    /// Merkleizes an executed block into a QMDB batch on its parent, giving its state root.
    pub async fn merkleize(&self, execution: BlockExecution) -> Result<PendingBlock, ChainError> {
        let db = self.db()?;
        let BlockExecution {
            height,
            digest,
            timestamp_ms,
            overlay,
            receipts,
            parent_batch,
            parent_receipts_end,
            ..
        } = execution;
        let lineage = overlay.view().lineage.clone();
        let view = overlay.view().clone();
        let changes = overlay.into_changes()?;
        let mut writes = changes.writes;
        // Deleting a key the parent does not hold is a no-op: leave it out of the batch.
        let mut absent = Vec::new();
        for (key, value) in &writes {
            if value.is_none() && view.get(key)?.is_none() {
                absent.push(key.clone());
            }
        }
        for key in &absent {
            writes.remove(key);
        }
        let mut batch = parent_batch.new_batch::<Sha256>();
        for (key, value) in &writes {
            let hash = sha256::Digest(state_key_hash(key));
            batch = batch.write(hash, value.as_ref().map(|value| encode_entry(key, value)));
        }
        let receipts_end = parent_receipts_end + receipts.len() as u64;
        let meta = BlockMeta {
            height,
            digest,
            timestamp_ms,
            receipts_end,
            receipts_digest: receipts_digest(&receipts),
            genesis_digest: self.genesis_digest,
        };
        let batch = batch.merkleize(db, Some(meta.encode())).await?;
        let info = BlockInfo {
            height,
            digest,
            timestamp_ms,
            state_root: batch.root().0,
        };
        Ok(PendingBlock {
            node: Arc::new(Node {
                info,
                writes,
                receipts,
                receipts_end,
                batch,
            }),
            lineage,
        })
    }

    /// Commits `block` (and its unfinalized ancestors) durably: receipts, state and metadata.
    pub async fn finalize(&mut self, block: &PendingBlock) -> Result<BlockInfo, ChainError> {
        let tip = self.last_committed();
        if self.finalized.get(&block.node.info.height) == Some(&block.node.info) {
            return Ok(block.node.info);
        }
        let lineage =
            block
                .lineage
                .rebase(tip.map(|tip| tip.digest))
                .ok_or(ChainError::StaleBlock {
                    height: block.node.info.height,
                })?;
        let db = self.db.take().ok_or(ChainError::Closed)?;
        if db.validate_batch(&block.node.batch).is_err() {
            self.db = Some(db);
            return Err(ChainError::StaleBlock {
                height: block.node.info.height,
            });
        }
        // Oldest first: the unfinalized ancestors, then the block.
        let mut nodes: Vec<Arc<Node>> = lineage.ancestors.iter().rev().cloned().collect();
        nodes.push(block.node.clone());

        // (1) Receipts, durable before the state commit that references them.
        if nodes.iter().any(|node| !node.receipts.is_empty()) {
            for node in &nodes {
                self.receipts
                    .append(node.info.height, &node.receipts)
                    .await?;
            }
            self.receipts.sync().await?;
        }

        // (2) State and metadata, atomically.
        let (db, _) = db.apply_batch(block.node.batch.clone()).await?;
        let db = db.commit().await?;
        self.db = Some(db);

        // (3) The in-memory mirror.
        let mut committed = self
            .committed
            .write()
            .expect("committed state lock poisoned");
        for node in &nodes {
            for (key, value) in &node.writes {
                match value {
                    Some(value) => {
                        committed.values.insert(key.clone(), value.clone());
                    }
                    None => {
                        committed.values.remove(key);
                    }
                }
            }
            committed.tip = Some(node.info);
            committed.receipts_end = node.receipts_end;
            self.finalized.insert(node.info.height, node.info);
        }
        drop(committed);
        while self.finalized.len() > FINALIZED_MEMORY {
            self.finalized.pop_first();
        }
        Ok(block.node.info)
    }

    /// The committed receipt of `tx_hash` and the height of its block.
    pub async fn receipt(&self, tx_hash: &[u8; 32]) -> Result<Option<(u64, Receipt)>, ChainError> {
        self.db()?;
        Ok(self.receipts.get(tx_hash).await?)
    }

    /// The committed receipts of the block at `height`, in transaction order.
    pub async fn receipts_at(&self, height: u64) -> Result<Vec<Receipt>, ChainError> {
        self.db()?;
        Ok(self.receipts.at_height(height).await?)
    }

    /// Number of committed receipts.
    pub fn receipt_count(&self) -> Result<u64, ChainError> {
        self.db()?;
        Ok(self.receipts.size()?)
    }

    /// Syncs everything to storage (bounding recovery work) and closes the handle.
    pub async fn close(mut self) -> Result<(), ChainError> {
        if let Some(db) = self.db.take() {
            db.sync().await?;
        }
        self.receipts.close().await?;
        if let Some(genesis) = self.genesis_store.take() {
            genesis.sync().await?;
        }
        Ok(())
    }

    /// Removes all stored data.
    pub async fn destroy(mut self) -> Result<(), ChainError> {
        if let Some(db) = self.db.take() {
            db.destroy().await?;
        }
        self.receipts.destroy().await?;
        if let Some(genesis) = self.genesis_store.take() {
            genesis.destroy().await?;
        }
        Ok(())
    }

    fn db(&self) -> Result<&StateDb<E>, ChainError> {
        self.db.as_ref().ok_or(ChainError::Closed)
    }

    fn committed(&self) -> std::sync::RwLockReadGuard<'_, Committed> {
        self.committed
            .read()
            .expect("committed state lock poisoned")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use commonware_runtime::{deterministic, Runner as _, Supervisor as _};

    fn block(
        chain: &ChainState<deterministic::Context>,
        height: u64,
        receipts: u8,
    ) -> BlockExecution {
        let mut block = chain
            .execute_block(None, height, [height as u8; 32])
            .unwrap();
        let key = StateKey::new([1; 32], height.to_be_bytes().to_vec());
        block.overlay_mut().set(key, vec![height as u8]).unwrap();
        for i in 0..receipts {
            block
                .push_receipt(Receipt::success(
                    [height as u8 * 16 + i; 32],
                    1,
                    vec![],
                    vec![],
                ))
                .unwrap();
        }
        block
    }

    /// Crash after the receipts were synced but before the state commit: the receipts are
    /// rolled back on open, and finalizing the block again stores them exactly once.
    #[test]
    fn crash_between_receipts_and_state_commit() {
        let executor = deterministic::Runner::seeded(7);
        let (info1, checkpoint) = executor.start_and_recover(|context| async move {
            let mut chain = ChainState::open(context.child("a"), ChainConfig::new("rw"))
                .await
                .unwrap();
            let one = chain.merkleize(block(&chain, 1, 2)).await.unwrap();
            let info1 = chain.finalize(&one).await.unwrap();
            let two = chain.merkleize(block(&chain, 2, 3)).await.unwrap();
            chain.receipts.append(2, two.receipts()).await.unwrap();
            chain.receipts.sync().await.unwrap();
            assert_eq!(chain.receipt_count().unwrap(), 5);
            info1
        });
        deterministic::Runner::from(checkpoint).start(|context| async move {
            let mut chain = ChainState::open(context.child("b"), ChainConfig::new("rw"))
                .await
                .unwrap();
            assert_eq!(chain.last_committed(), Some(info1));
            assert_eq!(chain.receipt_count().unwrap(), 2);
            assert!(chain.receipts_at(2).await.unwrap().is_empty());
            assert!(chain.receipt(&[32; 32]).await.unwrap().is_none());
            let two = chain.merkleize(block(&chain, 2, 3)).await.unwrap();
            chain.finalize(&two).await.unwrap();
            assert_eq!(chain.receipt_count().unwrap(), 5);
            assert_eq!(chain.receipts_at(2).await.unwrap().len(), 3);
            assert_eq!(chain.receipts_at(1).await.unwrap().len(), 2);
        });
    }

    /// Crash after the QMDB batch was applied but before it was committed: the block is gone.
    #[test]
    fn crash_between_apply_and_commit() {
        let executor = deterministic::Runner::seeded(8);
        let (info1, checkpoint) = executor.start_and_recover(|context| async move {
            let mut chain = ChainState::open(context.child("a"), ChainConfig::new("ac"))
                .await
                .unwrap();
            let one = chain.merkleize(block(&chain, 1, 1)).await.unwrap();
            let info1 = chain.finalize(&one).await.unwrap();
            let two = chain.merkleize(block(&chain, 2, 1)).await.unwrap();
            chain.receipts.append(2, two.receipts()).await.unwrap();
            chain.receipts.sync().await.unwrap();
            let db = chain.db.take().unwrap();
            let (db, _) = db.apply_batch(two.node.batch.clone()).await.unwrap();
            assert_eq!(db.root().0, two.state_root());
            info1
        });
        deterministic::Runner::from(checkpoint).start(|context| async move {
            let chain = ChainState::open(context.child("b"), ChainConfig::new("ac"))
                .await
                .unwrap();
            assert_eq!(chain.last_committed(), Some(info1));
            assert_eq!(chain.state_root().unwrap(), info1.state_root);
            assert_eq!(chain.committed_state().len(), 1);
            assert_eq!(chain.receipt_count().unwrap(), 1);
        });
    }

    #[test]
    fn entry_and_meta_roundtrip() {
        let key = StateKey::new([3; 32], b"key".to_vec());
        let entry = encode_entry(&key, b"value");
        assert_eq!(decode_entry(&entry).unwrap(), (key, b"value".to_vec()));
        assert!(decode_entry(&entry[..33]).is_err());
        let meta = BlockMeta {
            height: 9,
            digest: [4; 32],
            timestamp_ms: 12_000,
            receipts_end: 77,
            receipts_digest: [5; 32],
            genesis_digest: [6; 32],
        };
        assert_eq!(BlockMeta::decode(&meta.encode()).unwrap(), meta);
        assert!(BlockMeta::decode(&meta.encode()[1..]).is_err());
    }
}
