//! PVM's state: a journaled overlay with nested checkpoints ([overlay]), persisted per
//! block in a Commonware QMDB whose root is the block's state root, with receipts in a
//! Commonware journal ([chain]), and the receipt format ([receipt]).
//!
//! | need | type |
//! |---|---|
//! | run transactions synchronously, revert a failed one (writes and events) | [StateOverlay], [Checkpoint] |
//! | execute, fork, merkleize and finalize blocks; recover after a crash | [ChainState], [PendingBlock] |
//! | record and look up transaction outcomes | [Receipt] |
//!
//! Stability: the API is young; names follow DESIGN.md and may grow, not change meaning.

#![deny(missing_docs)]

pub mod chain;
pub mod overlay;
pub mod receipt;

pub use chain::{
    encode_entry, state_key_hash, BlockExecution, BlockInfo, BlockView, ChainConfig, ChainError,
    ChainState, PendingBlock,
};
pub use overlay::{
    Address, ChangeSet, Checkpoint, CommittedView, Event, Limits, MemoryView, OverlayError,
    StateKey, StateOverlay,
};
pub use receipt::{Receipt, ReceiptLimits, ReceiptOverflow, Truncated, TxError, TxStatus};
