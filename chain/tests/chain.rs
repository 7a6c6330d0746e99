//! Blocks, forks, metadata and receipts of `ChainState` in the deterministic runtime.

use commonware_runtime::{
    deterministic::{self, FaultConfig},
    Runner as _, Supervisor as _,
};
use commonware_utils::Probability;
use pvm_chain::{ChainConfig, ChainError, ChainState, Receipt, TxError};
use pvm_overlay::{Event, OverlayError, StateKey};

const ALICE: [u8; 32] = [0xa1; 32];
const BOB: [u8; 32] = [0xb0; 32];

fn key(ns: [u8; 32], k: &str) -> StateKey {
    StateKey::new(ns, k.as_bytes().to_vec())
}

fn tx(n: u8) -> [u8; 32] {
    [n; 32]
}

#[test]
fn blocks_commit_and_survive_reopen() {
    deterministic::Runner::seeded(1).start(|context| async move {
        let config = ChainConfig::new("reopen");
        let mut chain = ChainState::open(context.child("first"), config.clone())
            .await
            .unwrap();
        assert_eq!(chain.last_committed(), None);
        let empty_root = chain.state_root().unwrap();

        // Block 1: two writes, one receipt.
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "a"), b"1".to_vec())
            .unwrap();
        block
            .overlay_mut()
            .set(key(BOB, "a"), b"bob".to_vec())
            .unwrap();
        block
            .overlay_mut()
            .emit(Event::new(ALICE, "Set", b"a".to_vec()))
            .unwrap();
        let events = block.overlay().events().to_vec();
        block
            .push_receipt(Receipt::success(tx(1), 10, b"ok".to_vec(), events))
            .unwrap();
        let one = chain.merkleize(block).await.unwrap();
        assert_ne!(one.state_root(), empty_root);
        let info1 = chain.finalize(&one).await.unwrap();
        assert_eq!(info1.height, 1);
        assert_eq!(chain.state_root().unwrap(), info1.state_root);

        // Block 2: overwrite, delete, a failed transaction.
        let mut block = chain.execute_block(None, 2, [2; 32]).unwrap();
        assert_eq!(
            block.overlay().get(&key(ALICE, "a")).unwrap(),
            Some(b"1".to_vec())
        );
        block
            .overlay_mut()
            .set(key(ALICE, "a"), b"2".to_vec())
            .unwrap();
        block.overlay_mut().delete(key(BOB, "a")).unwrap();
        block
            .push_receipt(Receipt::success(tx(2), 20, vec![], vec![]))
            .unwrap();
        block
            .push_receipt(Receipt::failure(
                tx(3),
                5,
                TxError {
                    kind: "ValueError".into(),
                    message: "nope".into(),
                    line: Some(3),
                },
            ))
            .unwrap();
        let two = chain.merkleize(block).await.unwrap();
        let info2 = chain.finalize(&two).await.unwrap();
        // Finalizing twice is a no-op.
        assert_eq!(chain.finalize(&two).await.unwrap(), info2);
        let state = chain.committed_state();
        drop(chain);

        // Reopen without closing: everything finalized is there.
        let chain = ChainState::open(context.child("second"), config)
            .await
            .unwrap();
        assert_eq!(chain.last_committed(), Some(info2));
        assert_eq!(chain.state_root().unwrap(), info2.state_root);
        assert_eq!(chain.committed_state(), state);
        assert_eq!(chain.get(&key(ALICE, "a")), Some(b"2".to_vec()));
        assert_eq!(chain.get(&key(BOB, "a")), None);
        assert_eq!(chain.receipt_count().unwrap(), 3);
        let (height, receipt) = chain.receipt(&tx(1)).await.unwrap().unwrap();
        assert_eq!(height, 1);
        assert_eq!(
            receipt.events,
            vec![Event::new(ALICE, "Set", b"a".to_vec())]
        );
        assert_eq!(chain.receipts_at(2).await.unwrap(), two.receipts().to_vec());
        assert_eq!(chain.receipts_at(3).await.unwrap(), vec![]);
        assert_eq!(chain.receipt(&tx(9)).await.unwrap(), None);
        chain.destroy().await.unwrap();
    });
}

#[test]
fn forks_are_independent_until_one_finalizes() {
    deterministic::Runner::seeded(2).start(|context| async move {
        let mut chain = ChainState::open(context, ChainConfig::new("forks"))
            .await
            .unwrap();
        let mut base = chain.execute_block(None, 1, [1; 32]).unwrap();
        base.overlay_mut()
            .set(key(ALICE, "x"), b"base".to_vec())
            .unwrap();
        let base = chain.merkleize(base).await.unwrap();
        chain.finalize(&base).await.unwrap();

        // Two children of the same committed parent.
        let mut left = chain.execute_block(None, 2, [0x21; 32]).unwrap();
        let mut right = chain.execute_block(None, 2, [0x22; 32]).unwrap();
        left.overlay_mut()
            .set(key(ALICE, "x"), b"left".to_vec())
            .unwrap();
        right.overlay_mut().delete(key(ALICE, "x")).unwrap();
        right
            .overlay_mut()
            .set(key(ALICE, "y"), b"right".to_vec())
            .unwrap();
        assert_eq!(left.overlay().get(&key(ALICE, "y")).unwrap(), None);
        assert_eq!(right.overlay().get(&key(ALICE, "x")).unwrap(), None);
        let left = chain.merkleize(left).await.unwrap();
        let right = chain.merkleize(right).await.unwrap();
        assert_ne!(left.state_root(), right.state_root());

        // A grandchild on each fork sees its own parent's writes.
        let on_left = chain.execute_block(Some(&left), 3, [0x31; 32]).unwrap();
        let mut on_right = chain.execute_block(Some(&right), 3, [0x32; 32]).unwrap();
        assert_eq!(
            on_left.overlay().get(&key(ALICE, "x")),
            Ok(Some(b"left".to_vec()))
        );
        assert_eq!(on_right.overlay().get(&key(ALICE, "x")).unwrap(), None);
        assert_eq!(
            on_right.overlay().get(&key(ALICE, "y")).unwrap(),
            Some(b"right".to_vec())
        );
        on_right
            .overlay_mut()
            .set(key(ALICE, "z"), b"z".to_vec())
            .unwrap();
        let right_child = chain.merkleize(on_right).await.unwrap();

        // Nothing pending is visible as committed.
        assert_eq!(chain.get(&key(ALICE, "x")), Some(b"base".to_vec()));
        assert_eq!(chain.get(&key(ALICE, "y")), None);

        // Finalize the right grandchild: its parent is applied with it.
        let info = chain.finalize(&right_child).await.unwrap();
        assert_eq!(info.height, 3);
        assert_eq!(chain.state_root().unwrap(), right_child.state_root());
        assert_eq!(chain.get(&key(ALICE, "x")), None);
        assert_eq!(chain.get(&key(ALICE, "y")), Some(b"right".to_vec()));
        assert_eq!(chain.get(&key(ALICE, "z")), Some(b"z".to_vec()));

        // Its parent was committed with it; finalizing the parent now is a no-op.
        assert_eq!(chain.finalize(&right).await.unwrap(), right.info());
        assert_eq!(chain.last_committed().unwrap().height, 3);

        // The left fork is dead: it cannot be finalized or built on, and reads through it fail.
        assert!(matches!(
            chain.finalize(&left).await,
            Err(ChainError::StaleBlock { height: 2 })
        ));
        assert!(matches!(
            chain.execute_block(Some(&left), 3, [0x33; 32]),
            Err(ChainError::StaleBlock { .. })
        ));
        assert_eq!(
            on_left.overlay().get(&key(ALICE, "x")),
            Err(OverlayError::StaleView)
        );
        // The chain is still usable after rejecting a stale block.
        let mut next = chain.execute_block(Some(&right_child), 4, [4; 32]).unwrap();
        next.overlay_mut()
            .set(key(BOB, "b"), b"b".to_vec())
            .unwrap();
        let next = chain.merkleize(next).await.unwrap();
        chain.finalize(&next).await.unwrap();
        assert_eq!(chain.last_committed().unwrap().height, 4);
    });
}

#[test]
fn same_block_same_root_on_independent_nodes() {
    let run = |seed: u64| {
        deterministic::Runner::seeded(seed).start(|context| async move {
            let mut chain = ChainState::open(context, ChainConfig::new("det"))
                .await
                .unwrap();
            let mut roots = Vec::new();
            for height in 1..=3u64 {
                let mut block = chain
                    .execute_block(None, height, [height as u8; 32])
                    .unwrap();
                for i in 0..50u64 {
                    let k = key(ALICE, &format!("k{}", (i * 7 + height) % 60));
                    block
                        .overlay_mut()
                        .set(k, i.to_be_bytes().to_vec())
                        .unwrap();
                }
                block.overlay_mut().delete(key(ALICE, "k3")).unwrap();
                block
                    .push_receipt(Receipt::success(tx(height as u8), height, vec![], vec![]))
                    .unwrap();
                let pending = chain.merkleize(block).await.unwrap();
                roots.push(chain.finalize(&pending).await.unwrap().state_root);
            }
            roots
        })
    };
    // Different runtime seeds (task scheduling, storage randomness) give the same roots.
    assert_eq!(run(3), run(4));
}

#[test]
fn reverted_transaction_leaves_no_trace_in_the_block() {
    deterministic::Runner::seeded(5).start(|context| async move {
        let mut chain = ChainState::open(context.child("a"), ChainConfig::new("revert-a"))
            .await
            .unwrap();
        let other = ChainState::open(context.child("b"), ChainConfig::new("revert-b"))
            .await
            .unwrap();
        let ok = Receipt::success(tx(1), 1, vec![], vec![Event::new(ALICE, "ok", vec![])]);

        // Block with a committed and a reverted transaction.
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        let cp = block.overlay_mut().checkpoint().unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "kept"), b"1".to_vec())
            .unwrap();
        block
            .overlay_mut()
            .emit(Event::new(ALICE, "ok", vec![]))
            .unwrap();
        block.overlay_mut().commit(cp).unwrap();
        let cp = block.overlay_mut().checkpoint().unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "kept"), b"clobbered".to_vec())
            .unwrap();
        block
            .overlay_mut()
            .set(key(BOB, "gone"), b"1".to_vec())
            .unwrap();
        block
            .overlay_mut()
            .emit(Event::new(BOB, "gone", vec![]))
            .unwrap();
        block.overlay_mut().revert(cp).unwrap();
        assert_eq!(block.overlay().events(), &[Event::new(ALICE, "ok", vec![])]);
        block.push_receipt(ok.clone()).unwrap();
        let with_revert = chain.merkleize(block).await.unwrap();

        // The same block without the reverted transaction.
        let mut block = other.execute_block(None, 1, [1; 32]).unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "kept"), b"1".to_vec())
            .unwrap();
        block.push_receipt(ok).unwrap();
        let without = other.merkleize(block).await.unwrap();

        assert_eq!(with_revert.state_root(), without.state_root());
        chain.finalize(&with_revert).await.unwrap();
        assert_eq!(chain.get(&key(BOB, "gone")), None);
        assert_eq!(chain.get(&key(ALICE, "kept")), Some(b"1".to_vec()));
    });
}

#[test]
fn merkleize_refuses_open_checkpoints_and_checks_heights() {
    deterministic::Runner::seeded(6).start(|context| async move {
        let mut chain = ChainState::open(context, ChainConfig::new("misuse"))
            .await
            .unwrap();
        let mut block = chain.execute_block(None, 5, [5; 32]).unwrap();
        let _open = block.overlay_mut().checkpoint().unwrap();
        assert!(matches!(
            chain.merkleize(block).await,
            Err(ChainError::Overlay(OverlayError::CheckpointsOpen {
                open: 1
            }))
        ));
        let block = chain.execute_block(None, 5, [5; 32]).unwrap();
        let pending = chain.merkleize(block).await.unwrap();
        chain.finalize(&pending).await.unwrap();
        assert!(matches!(
            chain.execute_block(None, 5, [6; 32]),
            Err(ChainError::BadHeight {
                height: 5,
                parent: 5
            })
        ));
        assert!(matches!(
            chain.execute_block(Some(&pending), 4, [6; 32]),
            Err(ChainError::BadHeight {
                height: 4,
                parent: 5
            })
        ));
        // Building on the committed tip through its pending handle works too.
        let child = chain.execute_block(Some(&pending), 6, [6; 32]).unwrap();
        let child = chain.merkleize(child).await.unwrap();
        chain.finalize(&child).await.unwrap();
    });
}

/// The same code runs on the tokio runtime's storage directory (what `pvm run --state` and
/// the node use), and a second process-level open sees the first one's commit.
#[test]
fn tokio_runtime_persists_across_runs() {
    use commonware_runtime::tokio;
    let dir = std::env::temp_dir().join(format!("pvm-overlay-tokio-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let config = || tokio::Config::new().with_storage_directory(dir.clone());
    let root = tokio::Runner::new(config()).start(|context| async move {
        let mut chain = ChainState::open(context, ChainConfig::new("tokio"))
            .await
            .unwrap();
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "count"), b"1".to_vec())
            .unwrap();
        let pending = chain.merkleize(block).await.unwrap();
        let info = chain.finalize(&pending).await.unwrap();
        chain.close().await.unwrap();
        info.state_root
    });
    tokio::Runner::new(config()).start(|context| async move {
        let chain = ChainState::open(context, ChainConfig::new("tokio"))
            .await
            .unwrap();
        assert_eq!(chain.get(&key(ALICE, "count")), Some(b"1".to_vec()));
        assert_eq!(chain.last_committed().unwrap().state_root, root);
    });
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A storage error during finalization closes the handle; reopening recovers.
#[test]
fn storage_error_closes_the_handle_until_reopened() {
    deterministic::Runner::seeded(9).start(|context| async move {
        let config = ChainConfig::new("closed");
        let mut chain = ChainState::open(context.child("a"), config.clone())
            .await
            .unwrap();
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "a"), b"1".to_vec())
            .unwrap();
        block
            .push_receipt(Receipt::success(tx(1), 1, vec![], vec![]))
            .unwrap();
        let pending = chain.merkleize(block).await.unwrap();
        *context.storage_fault_config().write() = FaultConfig {
            sync_rate: Some(Probability::new(1, 1).unwrap()),
            ..FaultConfig::default()
        };
        assert!(chain.finalize(&pending).await.is_err());
        *context.storage_fault_config().write() = FaultConfig::default();
        assert!(matches!(
            chain.finalize(&pending).await,
            Err(ChainError::Closed)
        ));
        assert!(matches!(
            chain.execute_block(None, 2, [2; 32]),
            Err(ChainError::Closed)
        ));
        assert!(matches!(
            chain.receipt(&tx(1)).await,
            Err(ChainError::Closed)
        ));
        drop(chain);

        let mut chain = ChainState::open(context.child("b"), config).await.unwrap();
        assert_eq!(chain.last_committed(), None);
        assert_eq!(chain.get(&key(ALICE, "a")), None);
        assert_eq!(chain.receipt(&tx(1)).await.unwrap(), None);
        let mut block = chain.execute_block(None, 1, [1; 32]).unwrap();
        block
            .overlay_mut()
            .set(key(ALICE, "a"), b"1".to_vec())
            .unwrap();
        block
            .push_receipt(Receipt::success(tx(1), 1, vec![], vec![]))
            .unwrap();
        let again = chain.merkleize(block).await.unwrap();
        assert_eq!(again.state_root(), pending.state_root());
        chain.finalize(&again).await.unwrap();
        assert_eq!(chain.get(&key(ALICE, "a")), Some(b"1".to_vec()));
    });
}

/// The tip's timestamp and the genesis record survive a restart; a later open with other
/// genesis bytes keeps the recorded ones, and every block inherits or names its timestamp.
#[test]
fn tip_timestamp_and_genesis_survive_restart() {
    let (tip, checkpoint) =
        deterministic::Runner::seeded(21).start_and_recover(|context| async move {
            let config = ChainConfig {
                genesis: b"params-a".to_vec(),
                ..ChainConfig::new("genesis")
            };
            let mut chain = ChainState::open(context.child("first"), config)
                .await
                .unwrap();
            assert_eq!(chain.genesis(), b"params-a");
            let block = chain.execute_block_at(None, 1, [1; 32], 7_000).unwrap();
            assert_eq!(block.timestamp_ms(), 7_000);
            let one = chain.merkleize(block).await.unwrap();
            chain.finalize(&one).await.unwrap();
            // Without a timestamp of its own, a block takes its parent's.
            let block = chain.execute_block(None, 2, [2; 32]).unwrap();
            assert_eq!(block.timestamp_ms(), 7_000);
            let block = chain.execute_block_at(None, 2, [2; 32], 9_000).unwrap();
            let two = chain.merkleize(block).await.unwrap();
            assert_eq!(two.info().timestamp_ms, 9_000);
            chain.finalize(&two).await.unwrap()
            // No close: a crash after finalization.
        });
    assert_eq!(tip.timestamp_ms, 9_000);
    deterministic::Runner::from(checkpoint).start(|context| async move {
        let config = ChainConfig {
            genesis: b"params-b".to_vec(),
            ..ChainConfig::new("genesis")
        };
        let chain = ChainState::open(context.child("second"), config)
            .await
            .unwrap();
        assert_eq!(chain.last_committed(), Some(tip));
        assert_eq!(
            chain.genesis(),
            b"params-a",
            "the first open's record stays"
        );
        let too_big = ChainConfig {
            genesis: vec![0; ChainConfig::MAX_GENESIS_LEN + 1],
            ..ChainConfig::new("other")
        };
        assert!(matches!(
            ChainState::open(context.child("third"), too_big).await,
            Err(ChainError::Limits {
                what: "genesis record",
                ..
            })
        ));
    });
}
