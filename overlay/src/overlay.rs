//! A synchronous, journaled overlay of contract state with nested checkpoints.
//!
//! # Overview
//!
//! [StateOverlay] is what a block executes against. It buffers every write and event of the
//! block in memory, answers reads from those pending writes first (read-your-writes, deletes
//! are tombstones that hide the committed value) and falls through to a [CommittedView] of
//! the state the block builds on. Nothing reaches storage until the block is merkleized and
//! finalized (see `pvm_chain`).
//!
//! # Checkpoints
//!
//! Following revm's journal, [StateOverlay::checkpoint] returns a [Checkpoint] token and
//! [StateOverlay::commit] / [StateOverlay::revert] consume it. While at least one checkpoint
//! is open, every write records the value it replaced in an undo journal, and every event is
//! appended to the event log; a checkpoint remembers the lengths of both. Reverting undoes
//! the journal back to that length and truncates the event log, in one step, so a reverted
//! transaction leaves neither writes nor events behind. Committing a nested checkpoint
//! hands its journal entries to the enclosing one; committing the outermost one discards the
//! undo journal (there is nothing left to revert to).
//!
//! ```text
//!   writes   : BTreeMap<StateKey, Option<value>>   (None = tombstone)
//!   journal  : [ (key, previous entry) , ... ]       undo log, only while depth > 0
//!   events   : [ Event, ... ]
//!   open     : [ (id, journal_len, events_len) , ... ]   one per open checkpoint
//! ```
//!
//! Misuse cannot go unnoticed: a [Checkpoint] is neither `Clone` nor `Copy`, so it can be
//! closed at most once, and it carries a process-unique id that must match the innermost
//! open checkpoint, so closing out of order (or a token of another overlay) returns
//! [OverlayError::CheckpointOutOfOrder] and changes nothing. Nesting deeper than
//! [Limits::max_depth] returns [OverlayError::DepthExceeded].
//!
//! A transaction is the outermost open checkpoint, so the per-transaction event bound
//! ([Limits::max_events], the receipt decoder's bound) counts the events since that
//! checkpoint opened, nested calls included; with no checkpoint open it counts them all.
//!
//! # Synchronous reads
//!
//! Contract execution is synchronous and Commonware storage is `async`, so the overlay never
//! touches storage: [CommittedView::get] is a plain function. The view used by the chain
//! (`pvm_chain::BlockView`) is served entirely from memory: the pending writes of the
//! unfinalized ancestor blocks, then an in-memory mirror of all committed state that
//! `pvm_chain::ChainState` loads when it opens (by replaying the QMDB's active operations)
//! and updates on every finalization. Reads therefore never miss, never block and never
//! wait on the runtime, and the result depends only on the block's ancestry.
//!
//! # Determinism
//!
//! Everything the overlay hands out is ordered: pending writes are a `BTreeMap`, events keep
//! emission order, and sizes are checked against fixed [Limits] before any state changes.
//!
//! # Example
//!
//! ```
//! use pvm_overlay::{Event, StateKey, StateOverlay, Limits, MemoryView};
//!
//! let contract = [7u8; 32];
//! let mut overlay = StateOverlay::new(MemoryView::default(), Limits::default());
//! overlay.set(StateKey::new(contract, b"count".to_vec()), b"1".to_vec()).unwrap();
//!
//! // A transaction that fails: its writes and events disappear together.
//! let cp = overlay.checkpoint().unwrap();
//! overlay.set(StateKey::new(contract, b"count".to_vec()), b"2".to_vec()).unwrap();
//! overlay.emit(Event::new(contract, "Incremented", b"2".to_vec())).unwrap();
//! overlay.revert(cp).unwrap();
//!
//! let key = StateKey::new(contract, b"count".to_vec());
//! assert_eq!(overlay.get(&key).unwrap(), Some(b"1".to_vec()));
//! assert!(overlay.events().is_empty());
//! ```

use std::{
    collections::BTreeMap,
    sync::atomic::{AtomicU64, Ordering},
};
use thiserror::Error;

/// A contract address: the namespace every key of that contract lives in.
pub type Address = [u8; 32];

/// The location of one value: the contract that owns it and the key inside that contract.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct StateKey {
    /// The owning contract's address.
    pub namespace: Address,
    /// The contract-chosen key bytes.
    pub key: Vec<u8>,
}

impl StateKey {
    /// Builds a key from a contract address and key bytes.
    pub const fn new(namespace: Address, key: Vec<u8>) -> Self {
        Self { namespace, key }
    }
}

/// An event emitted by a contract, journaled with the state writes of its checkpoint.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    /// The emitting contract.
    pub contract: Address,
    /// The event name.
    pub topic: String,
    /// The event payload.
    pub data: Vec<u8>,
}

impl Event {
    /// Builds an event.
    pub fn new(contract: Address, topic: impl Into<String>, data: Vec<u8>) -> Self {
        Self {
            contract,
            topic: topic.into(),
            data,
        }
    }
}

/// Size and nesting limits enforced by the overlay (the same on every validator).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// Largest key, in bytes (the namespace is not counted).
    pub max_key_len: usize,
    /// Largest value, in bytes.
    pub max_value_len: usize,
    /// Deepest checkpoint nesting.
    pub max_depth: usize,
    /// Longest event topic, in bytes.
    pub max_topic_len: usize,
    /// Largest event payload, in bytes.
    pub max_event_data_len: usize,
    /// Most events one transaction (the outermost checkpoint) may emit.
    pub max_events: usize,
}

impl Limits {
    /// Default largest key: 1 KiB.
    pub const DEFAULT_MAX_KEY_LEN: usize = 1024;
    /// Default largest value: 64 KiB.
    pub const DEFAULT_MAX_VALUE_LEN: usize = 64 * 1024;
    /// Default deepest checkpoint nesting.
    pub const DEFAULT_MAX_DEPTH: usize = 64;
    /// Default longest event topic.
    pub const DEFAULT_MAX_TOPIC_LEN: usize = 256;
    /// Default largest event payload: 64 KiB.
    pub const DEFAULT_MAX_EVENT_DATA_LEN: usize = 64 * 1024;
    /// Default most events per transaction.
    pub const DEFAULT_MAX_EVENTS: usize = 1024;
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_key_len: Self::DEFAULT_MAX_KEY_LEN,
            max_value_len: Self::DEFAULT_MAX_VALUE_LEN,
            max_depth: Self::DEFAULT_MAX_DEPTH,
            max_topic_len: Self::DEFAULT_MAX_TOPIC_LEN,
            max_event_data_len: Self::DEFAULT_MAX_EVENT_DATA_LEN,
            max_events: Self::DEFAULT_MAX_EVENTS,
        }
    }
}

/// Errors returned by [StateOverlay] and [CommittedView]s.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum OverlayError {
    /// A key is longer than [Limits::max_key_len].
    #[error("key of {len} bytes exceeds the limit of {limit} bytes")]
    KeyTooLarge {
        /// The key's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// A value is longer than [Limits::max_value_len].
    #[error("value of {len} bytes for key {key:?} exceeds the limit of {limit} bytes")]
    ValueTooLarge {
        /// The key written.
        key: Vec<u8>,
        /// The value's length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// An event topic or payload is larger than its limit.
    #[error("event {what} of {len} bytes exceeds the limit of {limit} bytes")]
    EventTooLarge {
        /// `"topic"` or `"data"`.
        what: &'static str,
        /// The offending length.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// The transaction already emitted [Limits::max_events] events.
    #[error("a transaction may emit at most {limit} events")]
    TooManyEvents {
        /// The limit.
        limit: usize,
    },
    /// Opening another checkpoint would exceed [Limits::max_depth].
    #[error("checkpoint depth limit of {limit} reached")]
    DepthExceeded {
        /// The limit.
        limit: usize,
    },
    /// A checkpoint was closed while a checkpoint opened after it is still open, or it
    /// belongs to another overlay.
    #[error("checkpoint at depth {depth} is not the innermost open checkpoint (open: {open})")]
    CheckpointOutOfOrder {
        /// The depth the token was opened at (1 = outermost).
        depth: usize,
        /// How many checkpoints are open.
        open: usize,
    },
    /// The overlay was finished while checkpoints were still open.
    #[error("{open} checkpoint(s) still open")]
    CheckpointsOpen {
        /// How many checkpoints are open.
        open: usize,
    },
    /// The committed view no longer describes this block's parent (a conflicting block was
    /// finalized meanwhile); the block must be dropped.
    #[error(
        "the parent state of this block is no longer current: a conflicting block was finalized"
    )]
    StaleView,
}

/// A synchronous read view of the state a block builds on.
pub trait CommittedView {
    /// Returns the value stored under `key`, or `None`.
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, OverlayError>;
}

/// A [CommittedView] over an in-memory map: for tests, tools and offline runs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MemoryView(pub BTreeMap<StateKey, Vec<u8>>);

impl CommittedView for MemoryView {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, OverlayError> {
        Ok(self.0.get(key).cloned())
    }
}

impl<V: CommittedView + ?Sized> CommittedView for &V {
    fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, OverlayError> {
        (**self).get(key)
    }
}

/// Source of checkpoint ids, unique in the process so a token cannot match another overlay.
static NEXT_CHECKPOINT_ID: AtomicU64 = AtomicU64::new(1);

/// A token for an open checkpoint; close it exactly once with [StateOverlay::commit] or
/// [StateOverlay::revert].
#[derive(Debug, PartialEq, Eq)]
#[must_use = "a checkpoint must be committed or reverted"]
pub struct Checkpoint {
    id: u64,
    depth: usize,
}

impl Checkpoint {
    /// The nesting depth this checkpoint was opened at (1 = outermost).
    pub const fn depth(&self) -> usize {
        self.depth
    }
}

/// Where an open checkpoint's journal and event log started.
#[derive(Debug)]
struct Frame {
    id: u64,
    journal_len: usize,
    events_len: usize,
}

/// One undo record: the key written and what the pending map held for it before.
type JournalEntry = (StateKey, Option<Option<Vec<u8>>>);

/// The writes and events a finished overlay hands to the chain.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ChangeSet {
    /// Every key written, in key order; `None` deletes the key.
    pub writes: BTreeMap<StateKey, Option<Vec<u8>>>,
    /// Every event that survived, in emission order.
    pub events: Vec<Event>,
}

/// An in-memory journal of writes and events over a [CommittedView].
#[derive(Debug)]
pub struct StateOverlay<V> {
    view: V,
    limits: Limits,
    writes: BTreeMap<StateKey, Option<Vec<u8>>>,
    journal: Vec<JournalEntry>,
    events: Vec<Event>,
    open: Vec<Frame>,
}

impl<V: CommittedView> StateOverlay<V> {
    /// Creates an empty overlay over `view`.
    pub const fn new(view: V, limits: Limits) -> Self {
        Self {
            view,
            limits,
            writes: BTreeMap::new(),
            journal: Vec::new(),
            events: Vec::new(),
            open: Vec::new(),
        }
    }

    /// The limits this overlay enforces.
    pub const fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The committed view reads fall through to.
    pub const fn view(&self) -> &V {
        &self.view
    }

    /// Reads `key`: the latest pending write, else the committed value.
    pub fn get(&self, key: &StateKey) -> Result<Option<Vec<u8>>, OverlayError> {
        self.check_key(key)?;
        match self.writes.get(key) {
            Some(pending) => Ok(pending.clone()),
            None => self.view.get(key),
        }
    }

    /// Writes `value` under `key`.
    pub fn set(&mut self, key: StateKey, value: Vec<u8>) -> Result<(), OverlayError> {
        self.check_key(&key)?;
        if value.len() > self.limits.max_value_len {
            return Err(OverlayError::ValueTooLarge {
                key: key.key,
                len: value.len(),
                limit: self.limits.max_value_len,
            });
        }
        self.put(key, Some(value));
        Ok(())
    }

    /// Deletes `key` (a tombstone that hides any committed value).
    pub fn delete(&mut self, key: StateKey) -> Result<(), OverlayError> {
        self.check_key(&key)?;
        self.put(key, None);
        Ok(())
    }

    /// Appends an event to the log; it is reverted with the enclosing checkpoint.
    pub fn emit(&mut self, event: Event) -> Result<(), OverlayError> {
        if event.topic.len() > self.limits.max_topic_len {
            return Err(OverlayError::EventTooLarge {
                what: "topic",
                len: event.topic.len(),
                limit: self.limits.max_topic_len,
            });
        }
        if event.data.len() > self.limits.max_event_data_len {
            return Err(OverlayError::EventTooLarge {
                what: "data",
                len: event.data.len(),
                limit: self.limits.max_event_data_len,
            });
        }
        let since = self.open.first().map_or(0, |frame| frame.events_len);
        if self.events.len() - since >= self.limits.max_events {
            return Err(OverlayError::TooManyEvents {
                limit: self.limits.max_events,
            });
        }
        self.events.push(event);
        Ok(())
    }

    /// Every event emitted and not reverted, in order.
    pub fn events(&self) -> &[Event] {
        &self.events
    }

    /// The pending writes, in key order (`None` = tombstone).
    pub const fn writes(&self) -> &BTreeMap<StateKey, Option<Vec<u8>>> {
        &self.writes
    }

    /// How many checkpoints are open.
    pub fn depth(&self) -> usize {
        self.open.len()
    }

    /// Opens a nested checkpoint.
    pub fn checkpoint(&mut self) -> Result<Checkpoint, OverlayError> {
        if self.open.len() >= self.limits.max_depth {
            return Err(OverlayError::DepthExceeded {
                limit: self.limits.max_depth,
            });
        }
        let id = NEXT_CHECKPOINT_ID.fetch_add(1, Ordering::Relaxed);
        self.open.push(Frame {
            id,
            journal_len: self.journal.len(),
            events_len: self.events.len(),
        });
        Ok(Checkpoint {
            id,
            depth: self.open.len(),
        })
    }

    /// Keeps everything done since `checkpoint` (it now belongs to the enclosing checkpoint).
    pub fn commit(&mut self, checkpoint: Checkpoint) -> Result<(), OverlayError> {
        self.close(&checkpoint)?;
        if self.open.is_empty() {
            self.journal.clear();
        }
        Ok(())
    }

    /// Undoes every write and event since `checkpoint`.
    pub fn revert(&mut self, checkpoint: Checkpoint) -> Result<(), OverlayError> {
        let frame = self.close(&checkpoint)?;
        while self.journal.len() > frame.journal_len {
            let (key, previous) = self.journal.pop().expect("journal longer than frame");
            match previous {
                Some(value) => {
                    self.writes.insert(key, value);
                }
                None => {
                    self.writes.remove(&key);
                }
            }
        }
        self.events.truncate(frame.events_len);
        Ok(())
    }

    /// Finishes the overlay, returning its writes and events.
    pub fn into_changes(self) -> Result<ChangeSet, OverlayError> {
        if !self.open.is_empty() {
            return Err(OverlayError::CheckpointsOpen {
                open: self.open.len(),
            });
        }
        Ok(ChangeSet {
            writes: self.writes,
            events: self.events,
        })
    }

    fn close(&mut self, checkpoint: &Checkpoint) -> Result<Frame, OverlayError> {
        match self.open.last() {
            Some(top) if top.id == checkpoint.id && self.open.len() == checkpoint.depth => {
                Ok(self.open.pop().expect("checked non-empty"))
            }
            _ => Err(OverlayError::CheckpointOutOfOrder {
                depth: checkpoint.depth,
                open: self.open.len(),
            }),
        }
    }

    fn put(&mut self, key: StateKey, value: Option<Vec<u8>>) {
        if self.open.is_empty() {
            self.writes.insert(key, value);
        } else {
            let previous = self.writes.insert(key.clone(), value);
            self.journal.push((key, previous));
        }
    }

    const fn check_key(&self, key: &StateKey) -> Result<(), OverlayError> {
        if key.key.len() > self.limits.max_key_len {
            return Err(OverlayError::KeyTooLarge {
                len: key.key.len(),
                limit: self.limits.max_key_len,
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: Address = [1; 32];
    const B: Address = [2; 32];

    fn k(ns: Address, key: &str) -> StateKey {
        StateKey::new(ns, key.as_bytes().to_vec())
    }

    fn committed() -> MemoryView {
        let mut map = BTreeMap::new();
        map.insert(k(A, "x"), b"committed-x".to_vec());
        map.insert(k(A, "y"), b"committed-y".to_vec());
        MemoryView(map)
    }

    #[test]
    fn reads_fall_through_and_see_own_writes() {
        let mut o = StateOverlay::new(committed(), Limits::default());
        assert_eq!(o.get(&k(A, "x")).unwrap(), Some(b"committed-x".to_vec()));
        assert_eq!(o.get(&k(A, "z")).unwrap(), None);
        o.set(k(A, "x"), b"new".to_vec()).unwrap();
        assert_eq!(o.get(&k(A, "x")).unwrap(), Some(b"new".to_vec()));
        // Same key bytes in another namespace are a different key.
        assert_eq!(o.get(&k(B, "x")).unwrap(), None);
    }

    #[test]
    fn delete_is_a_tombstone() {
        let mut o = StateOverlay::new(committed(), Limits::default());
        o.delete(k(A, "x")).unwrap();
        assert_eq!(o.get(&k(A, "x")).unwrap(), None);
        let changes = o.into_changes().unwrap();
        assert_eq!(changes.writes.get(&k(A, "x")), Some(&None));
    }

    #[test]
    fn revert_removes_writes_and_events() {
        let mut o = StateOverlay::new(committed(), Limits::default());
        o.set(k(A, "x"), b"before".to_vec()).unwrap();
        o.emit(Event::new(A, "kept", vec![])).unwrap();
        let cp = o.checkpoint().unwrap();
        o.set(k(A, "x"), b"during".to_vec()).unwrap();
        o.set(k(A, "new"), b"during".to_vec()).unwrap();
        o.delete(k(A, "y")).unwrap();
        o.emit(Event::new(A, "dropped", b"1".to_vec())).unwrap();
        o.revert(cp).unwrap();
        assert_eq!(o.get(&k(A, "x")).unwrap(), Some(b"before".to_vec()));
        assert_eq!(o.get(&k(A, "new")).unwrap(), None);
        assert_eq!(o.get(&k(A, "y")).unwrap(), Some(b"committed-y".to_vec()));
        assert_eq!(o.events(), &[Event::new(A, "kept", vec![])]);
        // The reverted keys leave no trace in the change set.
        let changes = o.into_changes().unwrap();
        assert_eq!(changes.writes.len(), 1);
        assert_eq!(changes.events.len(), 1);
    }

    #[test]
    fn nested_commit_then_outer_revert_undoes_both() {
        let mut o = StateOverlay::new(MemoryView::default(), Limits::default());
        let outer = o.checkpoint().unwrap();
        o.set(k(A, "a"), b"1".to_vec()).unwrap();
        o.emit(Event::new(A, "outer", vec![])).unwrap();
        let inner = o.checkpoint().unwrap();
        assert_eq!(inner.depth(), 2);
        o.set(k(A, "a"), b"2".to_vec()).unwrap();
        o.emit(Event::new(A, "inner", vec![])).unwrap();
        o.commit(inner).unwrap();
        assert_eq!(o.get(&k(A, "a")).unwrap(), Some(b"2".to_vec()));
        assert_eq!(o.events().len(), 2);
        o.revert(outer).unwrap();
        assert_eq!(o.get(&k(A, "a")).unwrap(), None);
        assert!(o.events().is_empty());
        assert!(o.into_changes().unwrap().writes.is_empty());
    }

    #[test]
    fn nested_revert_keeps_outer() {
        let mut o = StateOverlay::new(MemoryView::default(), Limits::default());
        let outer = o.checkpoint().unwrap();
        o.set(k(A, "a"), b"1".to_vec()).unwrap();
        let inner = o.checkpoint().unwrap();
        o.set(k(A, "a"), b"2".to_vec()).unwrap();
        o.set(k(A, "b"), b"2".to_vec()).unwrap();
        o.emit(Event::new(A, "inner", vec![])).unwrap();
        o.revert(inner).unwrap();
        o.commit(outer).unwrap();
        assert_eq!(o.depth(), 0);
        let changes = o.into_changes().unwrap();
        assert_eq!(
            changes.writes.into_iter().collect::<Vec<_>>(),
            vec![(k(A, "a"), Some(b"1".to_vec()))]
        );
        assert!(changes.events.is_empty());
    }

    #[test]
    fn out_of_order_close_is_rejected_and_harmless() {
        let mut o = StateOverlay::new(MemoryView::default(), Limits::default());
        let outer = o.checkpoint().unwrap();
        o.set(k(A, "a"), b"1".to_vec()).unwrap();
        let inner = o.checkpoint().unwrap();
        o.set(k(A, "a"), b"2".to_vec()).unwrap();
        assert_eq!(
            o.revert(outer),
            Err(OverlayError::CheckpointOutOfOrder { depth: 1, open: 2 })
        );
        // Nothing changed, and the inner checkpoint still closes normally.
        assert_eq!(o.depth(), 2);
        assert_eq!(o.get(&k(A, "a")).unwrap(), Some(b"2".to_vec()));
        o.revert(inner).unwrap();
        assert_eq!(o.get(&k(A, "a")).unwrap(), Some(b"1".to_vec()));
        assert_eq!(o.depth(), 1);
    }

    #[test]
    fn token_of_another_overlay_is_rejected() {
        let mut a = StateOverlay::new(MemoryView::default(), Limits::default());
        let mut b = StateOverlay::new(MemoryView::default(), Limits::default());
        let cp_a = a.checkpoint().unwrap();
        let cp_b = b.checkpoint().unwrap();
        assert!(matches!(
            b.commit(cp_a),
            Err(OverlayError::CheckpointOutOfOrder { .. })
        ));
        b.commit(cp_b).unwrap();
    }

    #[test]
    fn finishing_with_open_checkpoints_fails() {
        let mut o = StateOverlay::new(MemoryView::default(), Limits::default());
        let _cp = o.checkpoint().unwrap();
        assert_eq!(
            o.into_changes(),
            Err(OverlayError::CheckpointsOpen { open: 1 })
        );
    }

    #[test]
    fn depth_limit() {
        let limits = Limits {
            max_depth: 3,
            ..Limits::default()
        };
        let mut o = StateOverlay::new(MemoryView::default(), limits);
        let cps: Vec<_> = (0..3).map(|_| o.checkpoint().unwrap()).collect();
        assert_eq!(
            o.checkpoint(),
            Err(OverlayError::DepthExceeded { limit: 3 })
        );
        for cp in cps.into_iter().rev() {
            o.commit(cp).unwrap();
        }
        assert!(o.checkpoint().is_ok());
    }

    #[test]
    fn size_limits() {
        let limits = Limits {
            max_key_len: 4,
            max_value_len: 8,
            max_topic_len: 3,
            max_event_data_len: 2,
            ..Limits::default()
        };
        let mut o = StateOverlay::new(MemoryView::default(), limits);
        assert_eq!(
            o.set(k(A, "abcde"), vec![]),
            Err(OverlayError::KeyTooLarge { len: 5, limit: 4 })
        );
        assert_eq!(
            o.get(&k(A, "abcde")),
            Err(OverlayError::KeyTooLarge { len: 5, limit: 4 })
        );
        assert_eq!(
            o.set(k(A, "abcd"), vec![0; 9]),
            Err(OverlayError::ValueTooLarge {
                key: b"abcd".to_vec(),
                len: 9,
                limit: 8
            })
        );
        o.set(k(A, "abcd"), vec![0; 8]).unwrap();
        assert!(o.emit(Event::new(A, "long", vec![])).is_err());
        assert!(o.emit(Event::new(A, "ok", vec![0; 3])).is_err());
        o.emit(Event::new(A, "ok", vec![0; 2])).unwrap();
        assert_eq!(o.events().len(), 1);
        assert_eq!(o.writes().len(), 1);
    }

    #[test]
    fn events_are_bounded_per_outermost_checkpoint() {
        let limits = Limits {
            max_events: 2,
            ..Limits::default()
        };
        let mut o = StateOverlay::new(MemoryView::default(), limits);
        let e = || Event::new(A, "e", vec![]);
        for _ in 0..3 {
            let tx = o.checkpoint().unwrap();
            o.emit(e()).unwrap();
            let nested = o.checkpoint().unwrap();
            o.emit(e()).unwrap();
            assert_eq!(o.emit(e()), Err(OverlayError::TooManyEvents { limit: 2 }));
            o.commit(nested).unwrap();
            o.commit(tx).unwrap();
        }
        // Each transaction got its own allowance; the block keeps them all.
        assert_eq!(o.events().len(), 6);
        assert!(
            o.emit(e()).is_err(),
            "outside a checkpoint all events count"
        );
    }

    #[test]
    fn commit_of_outermost_clears_undo_journal() {
        let mut o = StateOverlay::new(MemoryView::default(), Limits::default());
        for i in 0..10u8 {
            let cp = o.checkpoint().unwrap();
            o.set(k(A, "a"), vec![i]).unwrap();
            o.commit(cp).unwrap();
        }
        assert!(o.journal.is_empty());
        assert_eq!(o.get(&k(A, "a")).unwrap(), Some(vec![9]));
    }
}
