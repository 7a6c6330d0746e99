//! Blocks of signed PVM transactions through the whole node path (registry,
//! executor, pool, adapter, overlay, QMDB) in Commonware's deterministic runtime.

use std::{
    sync::atomic::{AtomicBool, Ordering},
    time::Duration,
};

use alto_types::{Block, Context as BlockContext, EPOCH};
use commonware_consensus::types::{Height, Round, View};
use commonware_cryptography::{ed25519, sha256, Digestible as _, Signer as _};
use commonware_runtime::{deterministic, tokio as cw_tokio, Runner as _, Supervisor as _};
use pvm_alto::RandomnessSeed;
use pvm_chain::{Receipt, TxStatus};
use pvm_gas::{GasSchedule, MeteringMode};
use pvm_plugin::{
    config::PvmConfig,
    executor::BlockError,
    node::{local_block, NodeError, PvmNode},
    params::ParamsError,
    payload::BlockPayload,
    pvm_tx::PVM_TX_KIND,
    tx::{Action, Transaction},
};

const TOKEN: &[u8] = include_bytes!("../../integration/contracts/token.py");
const COUNTER: &[u8] = include_bytes!("../../integration/contracts/counter.py");
const GAS: u64 = 5_000_000;

fn key(seed: u64) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(seed)
}

fn config() -> PvmConfig {
    let mut c = PvmConfig {
        enabled: true,
        ..PvmConfig::default()
    };
    c.pool.size = 2;
    c
}

fn deploy(k: &ed25519::PrivateKey, nonce: u64, code: &[u8], init: &[u8]) -> Transaction {
    Transaction::sign(
        k,
        nonce,
        GAS,
        Action::Deploy {
            code: code.to_vec(),
            init_input: init.to_vec(),
        },
    )
}

fn call(k: &ed25519::PrivateKey, nonce: u64, contract: [u8; 32], input: &str) -> Transaction {
    Transaction::sign(
        k,
        nonce,
        GAS,
        Action::Call {
            contract,
            input: input.as_bytes().to_vec(),
        },
    )
}

/// A block's transactions as `(kind, bytes)`.
type Txs = Vec<(u8, Vec<u8>)>;

/// What applying a block gave: its state root and receipts, or the error.
type Applied = Result<([u8; 32], Vec<Receipt>), String>;

fn txs(list: &[&Transaction]) -> Txs {
    list.iter().map(|t| (PVM_TX_KIND, t.encode())).collect()
}

/// Applies blocks in order on a fresh node; returns each block's (root, receipts).
fn run_chain(seed: u64, blocks: Vec<Txs>) -> Vec<Applied> {
    deterministic::Runner::seeded(seed).start(|context| async move {
        let mut node = PvmNode::open(context.child("node"), &config(), "t")
            .await
            .unwrap();
        let mut out = Vec::new();
        for txs in blocks {
            let block = local_block(node.chain().last_committed(), txs);
            out.push(
                node.apply(&block)
                    .await
                    .map(|(info, receipts)| (info.state_root, receipts))
                    .map_err(|e| e.to_string()),
            );
        }
        out
    })
}

fn output(r: &Receipt) -> String {
    assert_eq!(r.status, TxStatus::Success, "{:?}", r.error);
    String::from_utf8(r.output.clone()).unwrap()
}

#[test]
fn deploy_call_events_and_state_persist_across_blocks() {
    let alice = key(1);
    let d = deploy(&alice, 0, TOKEN, b"");
    let token = d.deployed_address();
    let t1 = call(&alice, 1, token, "transfer 00ff 250");
    let t2 = call(&alice, 2, token, "balance 00ff");
    let results = run_chain(1, vec![txs(&[&d]), txs(&[&t1]), txs(&[&t2])]);
    let (_, r0) = results[0].as_ref().unwrap();
    assert_eq!(
        r0[0].output,
        token.to_vec(),
        "a deploy returns the new address"
    );
    let (_, r1) = results[1].as_ref().unwrap();
    assert_eq!(output(&r1[0]), "999750");
    assert_eq!(r1[0].events.len(), 1);
    assert_eq!(r1[0].events[0].topic, "Transfer");
    assert_eq!(r1[0].events[0].contract, token);
    let (_, r2) = results[2].as_ref().unwrap();
    assert_eq!(output(&r2[0]), "250");
}

#[test]
fn failed_transactions_revert_writes_and_events_but_pay_gas_and_nonce() {
    let alice = key(1);
    let d = deploy(
        &alice,
        0,
        include_bytes!("../../integration/contracts/fail.py"),
        b"",
    );
    let addr = d.deployed_address();
    let f = call(&alice, 1, addr, "x");
    let c = deploy(&alice, 2, COUNTER, b"");
    let results = run_chain(2, vec![txs(&[&d, &f, &c])]);
    let (_, r) = results[0].as_ref().unwrap();
    assert_eq!(r[1].status, TxStatus::Failure);
    assert!(r[1].events.is_empty());
    assert!(r[1].gas_used > 0);
    let e = r[1].error.as_ref().unwrap();
    assert_eq!(e.kind, "Exception");
    assert_eq!(e.line, Some(9));
    // The nonce moved on: the next transaction with nonce 2 was accepted.
    assert_eq!(r[2].status, TxStatus::Success);
}

#[test]
fn invalid_transactions_invalidate_the_whole_block_and_apply_nothing() {
    let alice = key(1);
    let d = deploy(&alice, 0, COUNTER, b"");
    let counter = d.deployed_address();
    let good = call(&alice, 1, counter, "5");
    let replay = call(&alice, 0, counter, "5");
    let gap = call(&alice, 7, counter, "5");
    let mut forged = call(&alice, 1, counter, "5");
    forged.sender = key(2).public_key();
    let mut cases: Vec<(Txs, &str)> = vec![
        (txs(&[&good, &replay]), "wrong nonce"),
        (txs(&[&gap]), "expected 1, got 7"),
        (txs(&[&forged]), "bad signature"),
        (vec![(9, good.encode())], "unknown transaction kind 9"),
        (vec![(PVM_TX_KIND, vec![1, 2, 3])], "malformed"),
    ];
    let mut huge = Vec::new();
    for n in 1..=401u64 {
        huge.push(Transaction::sign(
            &alice,
            n,
            5_000_000,
            Action::Call {
                contract: counter,
                input: vec![],
            },
        ));
    }
    let huge_refs: Vec<&Transaction> = huge.iter().collect();
    cases.push((txs(&huge_refs), "block gas limit"));
    for (bad, needle) in cases {
        let results = run_chain(3, vec![txs(&[&d]), bad, txs(&[&good])]);
        let root_after_deploy = results[0].as_ref().unwrap().0;
        let err = results[1].as_ref().unwrap_err();
        assert!(err.contains(needle), "{err} lacks {needle:?}");
        // Nothing of the invalid block was applied: the next valid block builds
        // on the deploy, and its nonce-1 call succeeds.
        let (root, receipts) = results[2].as_ref().unwrap();
        assert_ne!(*root, root_after_deploy);
        assert_eq!(output(&receipts[0]), "5");
    }
}

#[test]
fn identical_blocks_give_identical_receipts_and_roots() {
    let alice = key(1);
    let bob = key(2);
    let d = deploy(&alice, 0, TOKEN, b"");
    let token = d.deployed_address();
    let polluter = deploy(
        &bob,
        0,
        b"import pvm_host\ndef init(input):\n    len.__self__.len = lambda x: 42\n    pvm_host.get_state = None\n",
        b"",
    );
    let blocks = |with_polluter: bool| {
        let mut first = vec![&d];
        if with_polluter {
            first.push(&polluter);
        }
        let calls: Vec<Transaction> = (1..=20u64)
            .map(|n| call(&alice, n, token, &format!("transfer {:02x} {n}", n)))
            .collect();
        let refs: Vec<&Transaction> = calls.iter().collect();
        vec![txs(&first), txs(&refs)]
    };
    let a = run_chain(4, blocks(false));
    let b = run_chain(4, blocks(false));
    let c = run_chain(99, blocks(false));
    assert_eq!(format!("{a:?}"), format!("{b:?}"));
    assert_eq!(
        format!("{a:?}"),
        format!("{c:?}"),
        "the runtime seed does not matter"
    );
    // An interpreter that served a polluting deploy gives the same transfer receipts.
    let p = run_chain(4, blocks(true));
    assert_eq!(
        format!("{:?}", a[1].as_ref().unwrap().1),
        format!("{:?}", p[1].as_ref().unwrap().1)
    );
}

#[test]
fn init_runs_on_deploy_and_a_failing_init_leaves_no_contract() {
    let alice = key(1);
    let good = deploy(&alice, 0, b"import pvm_host\ndef init(input):\n    pvm_host.set_state(b'owner', input)\ndef main(input):\n    return pvm_host.get_state(b'owner')\n", b"me");
    let ask = call(&alice, 1, good.deployed_address(), "");
    let bad = deploy(
        &alice,
        2,
        b"def init(input):\n    raise ValueError('no')\ndef main(input):\n    return 'alive'\n",
        b"",
    );
    let ask_bad = call(&alice, 3, bad.deployed_address(), "");
    let results = run_chain(5, vec![txs(&[&good, &ask, &bad, &ask_bad])]);
    let (_, r) = results[0].as_ref().unwrap();
    assert_eq!(output(&r[1]), "me");
    assert_eq!(r[2].status, TxStatus::Failure);
    assert_eq!(r[3].status, TxStatus::Failure);
    let e = r[3].error.as_ref().unwrap();
    assert_eq!(e.kind, "NotFound");
    assert!(
        e.message.contains(&hex::encode(bad.deployed_address())),
        "{}",
        e.message
    );
}

#[test]
fn contracts_cannot_reach_each_others_state() {
    let alice = key(1);
    let writer = deploy(
        &alice,
        0,
        b"import pvm_host\ndef main(input):\n    pvm_host.set_state(b'k', b'secret')\n",
        b"",
    );
    let reader = deploy(
        &alice,
        1,
        b"import pvm_host\ndef main(input):\n    return repr(pvm_host.get_state(b'k'))\n",
        b"",
    );
    let w = call(&alice, 2, writer.deployed_address(), "");
    let r = call(&alice, 3, reader.deployed_address(), "");
    let results = run_chain(6, vec![txs(&[&writer, &reader, &w, &r])]);
    let (_, receipts) = results[0].as_ref().unwrap();
    assert_eq!(output(&receipts[3]), "None");
}

#[test]
fn out_of_gas_and_randomness_through_the_node() {
    let alice = key(1);
    let spin = deploy(&alice, 0, b"import pvm_host\ndef main(input):\n    pvm_host.set_state(b'x', b'1')\n    while True:\n        pass\n", b"");
    let rand = deploy(
        &alice,
        1,
        b"import pvm_host\ndef main(input):\n    return pvm_host.randomness(b'd').hex()\n",
        b"",
    );
    let s = call(&alice, 2, spin.deployed_address(), "");
    let r1 = call(&alice, 3, rand.deployed_address(), "");
    let r2 = call(&alice, 4, rand.deployed_address(), "");
    let results = run_chain(7, vec![txs(&[&spin, &rand, &s, &r1, &r2])]);
    let (_, r) = results[0].as_ref().unwrap();
    assert_eq!(r[2].error.as_ref().unwrap().kind, "OutOfGas");
    assert_eq!(r[2].gas_used, GAS);
    assert_ne!(
        output(&r[3]),
        output(&r[4]),
        "each transaction gets its own randomness"
    );
    assert_eq!(output(&r[3]).len(), 64);
}

#[test]
fn a_contract_pays_for_compiling_on_its_first_call_in_each_block() {
    let alice = key(1);
    let d = deploy(&alice, 0, TOKEN, b"");
    let token = d.deployed_address();
    let t = |n: u64| call(&alice, n, token, "transfer 00ff 1");
    // The deploy compiled the token: the calls in its block pay the lookup.
    let results = run_chain(
        3,
        vec![txs(&[&d, &t(1), &t(2)]), txs(&[&t(3), &t(4), &t(5)])],
    );
    let gas = |b: usize| -> Vec<u64> {
        let (_, r) = results[b].as_ref().unwrap();
        assert!(r.iter().all(|r| r.status == TxStatus::Success), "{r:?}");
        r.iter().map(|r| r.gas_used).collect()
    };
    let (first, second) = (gas(0), gas(1));
    let compile = GasSchedule::default().compile(TOKEN.len());
    assert_eq!(second[0] - second[1], compile, "{second:?}");
    assert_eq!(second[1], second[2]);
    // t(1) creates the recipient's balance; t(2) updates it, as t(4) does.
    assert_eq!(first[2], second[1], "warm from the deploy on");
}

#[test]
fn disabled_or_unsupported_configs_refuse_to_start() {
    let err = deterministic::Runner::default().start(|context| async move {
        PvmNode::open(context, &PvmConfig::default(), "d")
            .await
            .err()
            .unwrap()
    });
    assert!(matches!(err, NodeError::Disabled), "{err}");
}

#[test]
fn blocks_fork_before_finalization() {
    let alice = key(1);
    let d = deploy(&alice, 0, COUNTER, b"");
    let counter = d.deployed_address();
    deterministic::Runner::seeded(8).start(|context| async move {
        let mut node = PvmNode::open(context.child("node"), &config(), "f")
            .await
            .unwrap();
        let genesis = local_block(None, txs(&[&d]));
        node.apply(&genesis).await.unwrap();
        let tip = node.chain().last_committed();
        // Two competing children of the same parent.
        let a = local_block(tip, txs(&[&call(&alice, 1, counter, "5")]));
        let b = local_block(tip, txs(&[&call(&alice, 1, counter, "7")]));
        let ea = node.execute(None, &a).await.unwrap();
        let eb = node.execute(None, &b).await.unwrap();
        assert_eq!(output(&ea.receipts[0]), "5");
        assert_eq!(output(&eb.receipts[0]), "7");
        // A child of `a`, before `a` is final.
        let a_info = ea.pending.info();
        let a2 = local_block(Some(a_info), txs(&[&call(&alice, 2, counter, "1")]));
        let ea2 = node.execute(Some(&ea.pending), &a2).await.unwrap();
        assert_eq!(output(&ea2.receipts[0]), "6");
        node.finalize(&ea2).await.unwrap();
        assert_eq!(node.chain().last_committed(), Some(ea2.pending.info()));
        // `b` lost: it cannot be finalized any more.
        assert!(matches!(node.finalize(&eb).await, Err(NodeError::Chain(_))));
    });
}

#[test]
fn block_errors_name_the_transaction() {
    let e = BlockError::InvalidTx {
        index: 3,
        reason: pvm_plugin::tx::TxError::Version(9).into(),
    };
    assert_eq!(
        e.to_string(),
        "transaction 3: unsupported transaction version 9 (this node reads version 1)"
    );
}

/// A block naming `parent` as its parent, at `height` and `timestamp_ms`.
fn block_at(parent: [u8; 32], height: u64, timestamp_ms: u64, txs: Txs) -> Block {
    let parent = sha256::Digest(parent);
    let payload = BlockPayload {
        seed: RandomnessSeed([height as u8; 32]),
        txs,
    };
    let context = BlockContext {
        round: Round::new(EPOCH, View::new(height)),
        leader: key(0).public_key(),
        parent: (View::new(height.saturating_sub(1)), parent),
    };
    Block::new(
        context,
        parent,
        Height::new(height),
        timestamp_ms,
        payload.encode().into(),
    )
}

/// The block error of a refused block.
fn refusal(result: Result<impl Sized, NodeError>) -> BlockError {
    match result {
        Err(NodeError::InvalidBlock { error, .. }) => error,
        Err(other) => panic!("expected an invalid block, got {other}"),
        Ok(_) => panic!("expected an invalid block, it executed"),
    }
}

/// Executes the three kinds of broken link on the committed tip and checks each refusal.
async fn refuses_broken_links(node: &PvmNode<deterministic::Context>) {
    let tip = node.chain().last_committed().unwrap();
    let next = tip.height + 1;
    assert_eq!(
        refusal(
            node.execute(None, &block_at([7; 32], next, tip.timestamp_ms, vec![]))
                .await
        ),
        BlockError::WrongParent {
            expected: tip.digest,
            got: [7; 32]
        }
    );
    for height in [tip.height, next + 1] {
        assert_eq!(
            refusal(
                node.execute(
                    None,
                    &block_at(tip.digest, height, tip.timestamp_ms, vec![])
                )
                .await
            ),
            BlockError::WrongHeight {
                expected: next,
                got: height
            }
        );
    }
    let err = refusal(
        node.execute(
            None,
            &block_at(tip.digest, next, tip.timestamp_ms - 1, vec![]),
        )
        .await,
    );
    assert_eq!(
        err,
        BlockError::TimestampBeforeParent {
            parent_ms: tip.timestamp_ms,
            got_ms: tip.timestamp_ms - 1
        }
    );
    assert!(err.to_string().contains("before its parent"), "{err}");
    // Monotonic, not strict: the parent's own timestamp is accepted.
    node.execute(None, &block_at(tip.digest, next, tip.timestamp_ms, vec![]))
        .await
        .unwrap();
}

#[test]
fn blocks_must_extend_the_block_they_are_executed_on() {
    let alice = key(1);
    let d = deploy(&alice, 0, COUNTER, b"");
    let counter = d.deployed_address();
    let after_restart = call(&alice, 3, counter, "1");
    let (tip, checkpoint) =
        deterministic::Runner::seeded(11).start_and_recover(|context| async move {
            let mut node = PvmNode::open(context.child("node"), &config(), "link")
                .await
                .unwrap();
            // The first block extends Alto's genesis block.
            let genesis = Block::genesis();
            assert_eq!(
                refusal(node.execute(None, &block_at([9; 32], 1, 1, vec![])).await),
                BlockError::WrongParent {
                    expected: genesis.digest().0,
                    got: [9; 32]
                }
            );
            let (first, _) = node.apply(&local_block(None, txs(&[&d]))).await.unwrap();
            assert_eq!(first.timestamp_ms, 1_000);
            refuses_broken_links(&node).await;

            // On a pending parent, the link is to that block, not to the tip.
            let pending = node
                .execute(
                    None,
                    &local_block(Some(first), txs(&[&call(&alice, 1, counter, "2")])),
                )
                .await
                .unwrap();
            let info = pending.pending.info();
            let on_tip = block_at(first.digest, info.height + 1, info.timestamp_ms, vec![]);
            assert_eq!(
                refusal(node.execute(Some(&pending.pending), &on_tip).await),
                BlockError::WrongParent {
                    expected: info.digest,
                    got: first.digest
                }
            );
            let early = block_at(info.digest, info.height + 1, info.timestamp_ms - 1, vec![]);
            assert!(matches!(
                refusal(node.execute(Some(&pending.pending), &early).await),
                BlockError::TimestampBeforeParent { .. }
            ));
            let child = local_block(Some(info), txs(&[&call(&alice, 2, counter, "3")]));
            let child = node.execute(Some(&pending.pending), &child).await.unwrap();
            assert_eq!(output(&child.receipts[0]), "5");
            node.finalize(&child).await.unwrap()
            // No close: the checks must hold after a crash too.
        });
    assert_eq!(tip.height, 3);
    deterministic::Runner::from(checkpoint).start(|context| async move {
        let mut node = PvmNode::open(context.child("node"), &config(), "link")
            .await
            .unwrap();
        assert_eq!(node.chain().last_committed(), Some(tip));
        assert_eq!(tip.timestamp_ms, 3_000);
        refuses_broken_links(&node).await;
        let next = local_block(Some(tip), txs(&[&after_restart]));
        let (_, receipts) = node.apply(&next).await.unwrap();
        assert_eq!(output(&receipts[0]), "6");
    });
}

/// The parameter a refused open names.
fn differing_parameter(result: Result<impl Sized, NodeError>) -> (String, usize) {
    match result {
        Err(NodeError::ChainParams(ParamsError::Differs {
            parameter, others, ..
        })) => (parameter, others),
        Err(other) => panic!("expected differing chain parameters, got {other}"),
        Ok(_) => panic!("expected differing chain parameters, the node opened"),
    }
}

#[test]
fn chain_parameters_are_fixed_at_genesis() {
    let alice = key(1);
    let d = deploy(&alice, 0, COUNTER, b"");
    let counter = d.deployed_address();
    let dir = std::env::temp_dir().join(format!("pvm-params-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let schedule = dir.join("gas.toml");
    let priced = GasSchedule {
        per_kib: GasSchedule::default().per_kib + 1,
        ..GasSchedule::default()
    };
    std::fs::write(&schedule, priced.to_toml()).unwrap();

    let changed = |edit: &dyn Fn(&mut PvmConfig)| {
        let mut c = config();
        edit(&mut c);
        c
    };
    let cases: Vec<(PvmConfig, &str, usize)> = vec![
        (
            changed(&|c| c.chain.block_gas_limit += 1),
            "chain.block_gas_limit",
            0,
        ),
        (
            changed(&|c| c.chain.tx_gas_limit -= 1),
            "chain.tx_gas_limit",
            0,
        ),
        (
            changed(&|c| c.chain.metering = MeteringMode::Coarse),
            "chain.metering",
            0,
        ),
        (
            changed(&|c| c.chain.memory_limit_bytes /= 2),
            "chain.memory_limit_bytes",
            0,
        ),
        // The payload bound is derived from the input cap, so it differs too.
        (
            changed(&|c| c.chain.max_input_bytes -= 1),
            "chain.max_input_bytes",
            1,
        ),
        (
            changed(&|c| c.chain.max_block_txs -= 1),
            "chain.max_block_txs",
            0,
        ),
        (
            changed(&|c| c.chain.gas_schedule = schedule.clone()),
            "gas.per_kib",
            0,
        ),
    ];
    let (root, checkpoint) =
        deterministic::Runner::seeded(12).start_and_recover(|context| async move {
            // Opening is enough to fix the genesis: no block has been committed yet.
            let node = PvmNode::open(context.child("fresh"), &config(), "fresh")
                .await
                .unwrap();
            node.close().await.unwrap();
            let (name, _) = differing_parameter(
                PvmNode::open(
                    context.child("fresh"),
                    &changed(&|c| c.chain.tx_gas_limit = 1_000),
                    "fresh",
                )
                .await,
            );
            assert_eq!(name, "chain.tx_gas_limit");

            let mut node = PvmNode::open(context.child("node"), &config(), "params")
                .await
                .unwrap();
            let (info, _) = node.apply(&local_block(None, txs(&[&d]))).await.unwrap();
            info.state_root
        });
    deterministic::Runner::from(checkpoint).start(|context| async move {
        for (config, name, others) in &cases {
            let (parameter, n) =
                differing_parameter(PvmNode::open(context.child("node"), config, "params").await);
            assert_eq!((parameter.as_str(), n), (*name, *others));
        }
        let err = PvmNode::open(context.child("node"), &cases[0].0, "params")
            .await
            .err()
            .unwrap()
            .to_string();
        assert!(
            err.contains("chain.block_gas_limit") && err.contains("genesis"),
            "{err}"
        );
        // Local settings may differ between nodes and restarts.
        let mut local = config();
        local.pool.size = 1;
        local.pool.checkout_timeout_ms = 1;
        let mut node = PvmNode::open(context.child("node"), &local, "params")
            .await
            .unwrap();
        assert_eq!(node.chain().state_root().unwrap(), root);
        let tip = node.chain().last_committed();
        let (_, receipts) = node
            .apply(&local_block(tip, txs(&[&call(&alice, 1, counter, "4")])))
            .await
            .unwrap();
        assert_eq!(output(&receipts[0]), "4");
    });
    std::fs::remove_dir_all(dir).unwrap();
}

/// Without block headers, the state root is what tells validators apart: every block's
/// commit metadata carries the parameter digest, so nodes whose chain parameters differ
/// disagree on the root of even an empty block, and nodes that agree give the same root.
#[test]
fn nodes_with_other_chain_parameters_disagree_on_every_root() {
    deterministic::Runner::seeded(13).start(|context| async move {
        let mut other = config();
        other.chain.max_block_txs -= 1;
        let block = local_block(None, vec![]);
        let mut roots = Vec::new();
        for (name, config) in [("a", config()), ("b", other), ("c", config())] {
            let node = PvmNode::open(context.child(name), &config, name)
                .await
                .unwrap();
            let executed = node.execute(None, &block).await.unwrap();
            roots.push(executed.pending.state_root());
        }
        assert_ne!(roots[0], roots[1]);
        assert_eq!(roots[0], roots[2]);
    });
}

/// While a block waits for an interpreter, the task that called `execute` gives its
/// thread back: another future on the same task (on a one-thread tokio runtime)
/// runs and frees the interpreter the block is waiting for. A node that blocked the
/// executor thread would wait on itself until its checkout timed out.
#[test]
fn a_block_waiting_for_an_interpreter_does_not_block_the_executor_thread() {
    let dir = std::env::temp_dir().join(format!("pvm-handoff-test-{}", std::process::id()));
    let runner = cw_tokio::Runner::new(
        cw_tokio::Config::new()
            .with_worker_threads(1)
            .with_storage_directory(&dir),
    );
    let alice = key(1);
    let d = deploy(&alice, 0, COUNTER, b"");
    let (receipts, ran_while_waiting) = runner.start(|context| async move {
        let mut c = config();
        c.pool.size = 1;
        c.pool.checkout_timeout_ms = 10_000;
        let node = PvmNode::open(context.child("node"), &c, "handoff")
            .await
            .unwrap();
        let block = local_block(None, txs(&[&d]));
        let lease = node.pool().checkout(Duration::from_secs(1)).unwrap();
        let done = AtomicBool::new(false);
        let (executed, ran_while_waiting) = futures::join!(
            async {
                let executed = node.execute(None, &block).await;
                done.store(true, Ordering::SeqCst);
                executed
            },
            async {
                let waiting = !done.load(Ordering::SeqCst);
                drop(lease);
                waiting
            }
        );
        let receipts = executed.unwrap().receipts;
        node.close().await.unwrap();
        (receipts, ran_while_waiting)
    });
    let _ = std::fs::remove_dir_all(&dir);
    assert!(ran_while_waiting, "execute returned before it could wait");
    assert_eq!(receipts[0].status, TxStatus::Success);
}
