//! PVM's journaled state overlay: transactions run synchronously on a
//! [StateOverlay] over a read view, each inside nested [Checkpoint]s that commit or
//! revert writes and events together. No storage engine: chain state on QMDB and the
//! receipts store are `pvm-chain`'s.
//!
//! | need | type |
//! |---|---|
//! | run transactions synchronously, revert a failed one (writes and events) | [StateOverlay], [Checkpoint] |
//! | what the overlay reads committed state through | [CommittedView], [MemoryView] |
//!
//! Stability: the API is young; names follow DESIGN.md and may grow, not change meaning.

#![deny(missing_docs)]

pub mod overlay;

pub use overlay::{
    Address, ChangeSet, Checkpoint, CommittedView, Event, Limits, MemoryView, OverlayError,
    StateKey, StateOverlay,
};
