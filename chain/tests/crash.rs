//! Crash/restart suite: blocks are executed and finalized in Commonware's deterministic
//! runtime while storage faults are injected and the process "crashes" (the runtime is
//! stopped and restarted from its durable storage) at many points. After every restart the
//! recovered chain must equal, exactly, the last block whose commit completed: its height,
//! digest and state root, every stored value, and every receipt up to it; nothing of a block
//! that did not commit may be visible. Running a seed twice must give the same auditor state.

use commonware_runtime::{
    deterministic::{self, FaultConfig, PartialWriteMode, WriteConfig},
    Supervisor as _,
};
use commonware_utils::Probability;
use pvm_chain::{BlockInfo, ChainConfig, ChainState, Receipt, TxError};
use pvm_overlay::{Event, StateKey};
use std::collections::BTreeMap;

/// Blocks each seed must get committed.
const TARGET_HEIGHT: u64 = 12;
/// Restarts allowed per seed before the test gives up.
const MAX_RESTARTS: usize = 80;

/// splitmix64: a tiny deterministic generator for workloads and crash plans.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// One operation of a transaction.
#[derive(Clone)]
enum Op {
    Set(StateKey, Vec<u8>),
    Delete(StateKey),
    Emit(Event),
}

/// A transaction: its operations and whether it fails (and is reverted).
#[derive(Clone)]
struct Tx {
    hash: [u8; 32],
    ops: Vec<Op>,
    fails: bool,
}

/// The block at `height` for `seed` (fork `variant` > 0 gives a conflicting sibling).
fn block_txs(seed: u64, height: u64, variant: u64) -> Vec<Tx> {
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003) ^ (height << 8) ^ variant);
    let count = 1 + rng.below(6);
    (0..count)
        .map(|i| {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&seed.to_be_bytes());
            hash[8..16].copy_from_slice(&height.to_be_bytes());
            hash[16..24].copy_from_slice(&variant.to_be_bytes());
            hash[24..].copy_from_slice(&i.to_be_bytes());
            let ops = (0..1 + rng.below(12))
                .map(|_| {
                    let ns = [rng.below(3) as u8; 32];
                    let key = StateKey::new(ns, format!("k{}", rng.below(40)).into_bytes());
                    match rng.below(10) {
                        0 | 1 => Op::Delete(key),
                        2 => Op::Emit(Event::new(ns, "E", rng.next().to_be_bytes().to_vec())),
                        _ => {
                            let len = rng.below(200) as usize;
                            let byte = rng.next() as u8;
                            Op::Set(key, vec![byte; len])
                        }
                    }
                })
                .collect();
            Tx {
                hash,
                ops,
                fails: rng.below(5) == 0,
            }
        })
        .collect()
}

/// Applies `txs` to a plain map: the independent model of what the chain must store.
fn apply_model(state: &mut BTreeMap<StateKey, Vec<u8>>, txs: &[Tx]) {
    for tx in txs.iter().filter(|tx| !tx.fails) {
        for op in &tx.ops {
            match op {
                Op::Set(key, value) => {
                    state.insert(key.clone(), value.clone());
                }
                Op::Delete(key) => {
                    state.remove(key);
                }
                Op::Emit(_) => {}
            }
        }
    }
}

fn block_digest(seed: u64, height: u64, variant: u64) -> [u8; 32] {
    let mut digest = [0xd0; 32];
    digest[..8].copy_from_slice(&seed.to_be_bytes());
    digest[8..16].copy_from_slice(&height.to_be_bytes());
    digest[16..24].copy_from_slice(&variant.to_be_bytes());
    digest
}

/// A committed block as the model expects it.
#[derive(Clone)]
struct Expected {
    info: BlockInfo,
    state: BTreeMap<StateKey, Vec<u8>>,
    receipts: Vec<Receipt>,
}

/// What the test knows across restarts.
#[derive(Clone, Default)]
struct Model {
    committed: Vec<Expected>,
    /// A block whose finalization was interrupted: it may or may not have committed.
    in_flight: Option<Expected>,
    /// Transactions of dropped forks: they must never become visible.
    never: Vec<[u8; 32]>,
    /// Roots observed per height: re-executing a block after a crash must reproduce them.
    roots: BTreeMap<u64, [u8; 32]>,
    restarts: usize,
    committed_in_flight: usize,
    finalize_crashes: usize,
    clean_crashes: usize,
}

/// Runs the block's transactions on the chain overlay, the way the executor will.
fn execute(
    chain: &ChainState<deterministic::Context>,
    parent: Option<&pvm_chain::PendingBlock>,
    seed: u64,
    height: u64,
    variant: u64,
) -> pvm_chain::BlockExecution {
    let mut block = chain
        .execute_block(parent, height, block_digest(seed, height, variant))
        .unwrap();
    for tx in block_txs(seed, height, variant) {
        let overlay = block.overlay_mut();
        let cp = overlay.checkpoint().unwrap();
        let events_before = overlay.events().len();
        for op in tx.ops {
            match op {
                Op::Set(key, value) => overlay.set(key, value).unwrap(),
                Op::Delete(key) => overlay.delete(key).unwrap(),
                Op::Emit(event) => overlay.emit(event).unwrap(),
            }
        }
        let receipt = if tx.fails {
            overlay.revert(cp).unwrap();
            assert_eq!(overlay.events().len(), events_before);
            Receipt::failure(
                tx.hash,
                7,
                TxError {
                    kind: "Error".into(),
                    message: "failed".into(),
                    line: Some(1),
                },
            )
        } else {
            let events = overlay.events()[events_before..].to_vec();
            overlay.commit(cp).unwrap();
            Receipt::success(tx.hash, 11, height.to_be_bytes().to_vec(), events)
        };
        block.push_receipt(receipt).unwrap();
    }
    block
}

/// Checks the recovered chain against the model (promoting an in-flight block if it made it).
async fn verify(chain: &ChainState<deterministic::Context>, model: &mut Model) {
    let last = chain.last_committed();
    if let Some(in_flight) = model.in_flight.take() {
        if last == Some(in_flight.info) {
            model.committed.push(in_flight);
            model.committed_in_flight += 1;
        } else {
            // Lost with the crash: none of its receipts may be visible (it is re-executed
            // and committed later, so it is checked now rather than kept in `never`).
            for receipt in &in_flight.receipts {
                assert_eq!(chain.receipt(&receipt.tx_hash).await.unwrap(), None);
            }
            assert!(chain
                .receipts_at(in_flight.info.height)
                .await
                .unwrap()
                .is_empty());
        }
    }
    let expected = model.committed.last();
    assert_eq!(
        last,
        expected.map(|e| e.info),
        "recovered to the wrong block"
    );
    let empty = BTreeMap::new();
    assert_eq!(
        &chain.committed_state(),
        expected.map_or(&empty, |e| &e.state),
        "recovered state differs from the last committed block"
    );
    if let Some(expected) = expected {
        assert_eq!(chain.state_root().unwrap(), expected.info.state_root);
    }
    let mut total = 0;
    for block in &model.committed {
        let height = block.info.height;
        assert_eq!(chain.receipts_at(height).await.unwrap(), block.receipts);
        for receipt in &block.receipts {
            let (at, stored) = chain.receipt(&receipt.tx_hash).await.unwrap().unwrap();
            assert_eq!((at, &stored), (height, receipt));
        }
        total += block.receipts.len() as u64;
    }
    assert_eq!(chain.receipt_count().unwrap(), total);
    for hash in &model.never {
        assert_eq!(
            chain.receipt(hash).await.unwrap(),
            None,
            "uncommitted receipt visible"
        );
    }
}

/// One life of the node: recover, verify, then run blocks until a crash or the target.
async fn life(context: deterministic::Context, seed: u64, mut model: Model) -> (Model, bool) {
    *context.storage_fault_config().write() = FaultConfig::default();
    let mut chain = ChainState::open(context.child("chain"), ChainConfig::new("crash"))
        .await
        .unwrap();
    verify(&chain, &mut model).await;
    let height = model.committed.last().map_or(0, |e| e.info.height);
    if height >= TARGET_HEIGHT {
        return (model, true);
    }

    let mut plan = Rng::new(seed ^ ((model.restarts as u64) << 32));
    // Either inject storage faults, or crash cleanly at a chosen step.
    let clean_crash_step = if plan.below(3) == 0 {
        Some(plan.below(8))
    } else {
        let rate = Probability::new(1 + plan.below(8), 100).unwrap();
        *context.storage_fault_config().write() = FaultConfig {
            sync_rate: Some(rate),
            write_rate: Some(WriteConfig {
                failure_rate: rate,
                retention_rate: Probability::new(plan.below(101), 100).unwrap(),
                mode: if plan.below(2) == 0 {
                    PartialWriteMode::Prefix
                } else {
                    PartialWriteMode::Subset
                },
            }),
            ..FaultConfig::default()
        };
        None
    };

    let mut state = model
        .committed
        .last()
        .map_or_else(BTreeMap::new, |e| e.state.clone());
    let mut step = 0;
    for height in height + 1..=TARGET_HEIGHT {
        // A conflicting sibling is executed and merkleized, then dropped.
        let sibling = execute(&chain, None, seed, height, 1);
        let sibling = chain.merkleize(sibling).await.unwrap();
        model
            .never
            .extend(sibling.receipts().iter().map(|r| r.tx_hash));

        let block = execute(&chain, None, seed, height, 0);
        if clean_crash_step == Some(step) {
            model.clean_crashes += 1;
            return (model, false); // crash mid-execution
        }
        step += 1;
        let pending = chain.merkleize(block).await.unwrap();
        assert_ne!(pending.state_root(), sibling.state_root());
        let root = *model.roots.entry(height).or_insert(pending.state_root());
        assert_eq!(root, pending.state_root(), "re-execution changed the root");
        if clean_crash_step == Some(step) {
            model.clean_crashes += 1;
            return (model, false); // crash between merkleize and finalize
        }
        step += 1;

        apply_model(&mut state, &block_txs(seed, height, 0));
        model.in_flight = Some(Expected {
            info: pending.info(),
            state: state.clone(),
            receipts: pending.receipts().to_vec(),
        });
        if chain.finalize(&pending).await.is_err() {
            model.finalize_crashes += 1;
            return (model, false); // crash during finalization
        }
        let expected = model.in_flight.take().unwrap();
        assert_eq!(chain.committed_state(), expected.state);
        model.committed.push(expected);
    }
    *context.storage_fault_config().write() = FaultConfig::default();
    chain.close().await.unwrap();
    (model, false)
}

/// Runs one seed to the target height through crashes; returns the roots and auditor state.
fn run_seed(seed: u64) -> (Vec<[u8; 32]>, String, Model) {
    let mut model = Model::default();
    let mut runner = deterministic::Runner::seeded(seed);
    loop {
        let (result, checkpoint) = runner.start_and_recover({
            let model = model.clone();
            move |context| life(context, seed, model)
        });
        let (next, done) = result;
        model = next;
        if done {
            let roots = model.committed.iter().map(|e| e.info.state_root).collect();
            return (roots, checkpoint.auditor().state(), model);
        }
        model.restarts += 1;
        assert!(
            model.restarts < MAX_RESTARTS,
            "seed {seed}: too many restarts"
        );
        runner = deterministic::Runner::from(checkpoint);
    }
}

#[test]
fn recovers_last_committed_block_after_crashes() {
    let (mut restarts, mut finalize_crashes, mut clean_crashes) = (0, 0, 0);
    let mut roots_by_seed = Vec::new();
    for seed in 0..8 {
        let (roots, _, model) = run_seed(seed);
        assert_eq!(roots.len() as u64, TARGET_HEIGHT);
        assert!(model.restarts > 0, "seed {seed} never crashed");
        restarts += model.restarts;
        finalize_crashes += model.finalize_crashes;
        clean_crashes += model.clean_crashes;
        roots_by_seed.push(roots);
    }
    // Roots depend only on the blocks, never on where the crashes fell.
    assert_ne!(roots_by_seed[0], roots_by_seed[1]);
    // Both kinds of crash happened, at many points.
    assert!(finalize_crashes > 8 && clean_crashes > 8);
    println!(
        "restarts: {restarts}, during finalization: {finalize_crashes}, clean: {clean_crashes}"
    );
}

#[test]
fn same_seed_same_auditor_state() {
    for seed in [11, 12] {
        let (roots_a, auditor_a, model_a) = run_seed(seed);
        let (roots_b, auditor_b, model_b) = run_seed(seed);
        assert_eq!(roots_a, roots_b);
        assert_eq!(model_a.restarts, model_b.restarts);
        assert_eq!(auditor_a, auditor_b);
    }
}
