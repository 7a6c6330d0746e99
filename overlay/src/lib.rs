//! Journaled state overlay for PVM: nested checkpoints over an in-memory view of committed
//! state, backed by a Commonware QMDB whose root is the block's state root.

pub mod chain;
pub mod overlay;
pub mod receipt;

pub use chain::{
    state_key_hash, BlockExecution, BlockInfo, BlockView, ChainConfig, ChainError, ChainState,
    PendingBlock,
};
pub use overlay::{
    Address, ChangeSet, Checkpoint, CommittedView, Event, Limits, MemoryView, OverlayError,
    StateKey, StateOverlay,
};
pub use receipt::{Receipt, ReceiptLimits, TxError, TxStatus};
