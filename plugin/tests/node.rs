//! Blocks of signed PVM transactions through the whole node path (registry,
//! executor, pool, adapter, overlay, QMDB) in Commonware's deterministic runtime.

use commonware_cryptography::{ed25519, Signer as _};
use commonware_runtime::{deterministic, Runner as _, Supervisor as _};
use pvm_overlay::{Receipt, TxStatus};
use pvm_plugin::{
    config::PvmConfig,
    executor::BlockError,
    node::{local_block, NodeError, PvmNode},
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
        reason: "bad signature".into(),
    };
    assert_eq!(e.to_string(), "transaction 3: bad signature");
}
