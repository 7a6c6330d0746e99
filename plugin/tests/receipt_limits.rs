//! Everything a block writes can be read back (DESIGN §4): for every bound a decoder
//! enforces on stored data, a contract writes the largest value and one past it through
//! the real path (signed transaction -> executor -> interpreter -> overlay -> ChainState),
//! the block is finalized, the store is restarted in Commonware's deterministic runtime
//! and every receipt and value is read back.

use commonware_cryptography::{ed25519, Signer as _};
use commonware_runtime::{deterministic, Runner as _, Supervisor as _};
use pvm_chain::{Receipt, ReceiptLimits, TxStatus};
use pvm_overlay::Limits;
use pvm_plugin::{
    config::PvmConfig,
    node::{local_block, PvmNode},
    pvm_tx::PVM_TX_KIND,
    tx::{Action, Transaction},
};

const GAS: u64 = 50_000_000;

fn config() -> PvmConfig {
    PvmConfig {
        enabled: true,
        ..PvmConfig::default()
    }
}

fn key() -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(42)
}

fn deploy(nonce: u64, code: &[u8]) -> Transaction {
    Transaction::sign(
        &key(),
        nonce,
        GAS,
        Action::Deploy {
            code: code.to_vec(),
            init_input: Vec::new(),
        },
    )
}

fn call(nonce: u64, contract: [u8; 32], input: &str) -> Transaction {
    Transaction::sign(
        &key(),
        nonce,
        GAS,
        Action::Call {
            contract,
            input: input.as_bytes().to_vec(),
        },
    )
}

/// A contract whose `main(input)` does `body` with `n = int(input)`.
fn contract(body: &str) -> Vec<u8> {
    format!("import pvm_host\ndef main(input):\n    n = int(input)\n    {body}\n").into_bytes()
}

/// What one limit's block gave, and what the restarted store returned.
struct ReadBack {
    written: Vec<Receipt>,
    by_hash: Vec<Receipt>,
    by_height: Vec<Receipt>,
    state: std::collections::BTreeMap<pvm_overlay::StateKey, Vec<u8>>,
    state_before: std::collections::BTreeMap<pvm_overlay::StateKey, Vec<u8>>,
}

/// Deploys `code`, then calls it once with `at` and once with `over` in a second block;
/// finalizes both, restarts the store and reads the call receipts back.
fn at_and_over(seed: u64, code: Vec<u8>, at: String, over: String) -> ReadBack {
    let d = deploy(0, &code);
    let address = d.deployed_address();
    let calls = [call(1, address, &at), call(2, address, &over)];
    let hashes: Vec<[u8; 32]> = calls.iter().map(Transaction::hash).collect();
    let (written, checkpoint) =
        deterministic::Runner::seeded(seed).start_and_recover(|context| async move {
            let mut node = PvmNode::open(context.child("node"), &config(), "limits")
                .await
                .unwrap();
            let first = local_block(None, vec![(PVM_TX_KIND, d.encode())]);
            let (_, receipts) = node.apply(&first).await.unwrap();
            assert_eq!(receipts[0].status, TxStatus::Success, "{:?}", receipts[0]);
            let txs = calls.iter().map(|t| (PVM_TX_KIND, t.encode())).collect();
            let second = local_block(node.chain().last_committed(), txs);
            let (_, receipts) = node.apply(&second).await.unwrap();
            let state = node.chain().committed_state();
            // No close: finalization alone must leave a readable store.
            (receipts, state)
        });
    let (written, state_before) = written;
    let (by_hash, by_height, state) =
        deterministic::Runner::from(checkpoint).start(|context| async move {
            let node = PvmNode::open(context.child("node"), &config(), "limits")
                .await
                .expect("the store reopens");
            let mut by_hash = Vec::new();
            for hash in &hashes {
                let (height, receipt) = node.chain().receipt(hash).await.unwrap().unwrap();
                assert_eq!(height, 2);
                by_hash.push(receipt);
            }
            let by_height = node.chain().receipts_at(2).await.unwrap();
            (by_hash, by_height, node.chain().committed_state())
        });
    ReadBack {
        written,
        by_hash,
        by_height,
        state,
        state_before,
    }
}

impl ReadBack {
    /// Asserts the restarted store returned exactly what was written; the two receipts.
    fn same(self) -> (Receipt, Receipt) {
        assert_eq!(self.by_hash, self.written);
        assert_eq!(self.by_height, self.written);
        assert_eq!(self.state, self.state_before);
        let mut it = self.written.into_iter();
        (it.next().unwrap(), it.next().unwrap())
    }
}

fn message(r: &Receipt) -> &str {
    &r.error.as_ref().expect("a failure").message
}

#[test]
fn error_message_is_cut_to_the_decoders_bound_and_marked() {
    let max = ReceiptLimits::MAX_ERROR_LEN;
    let prefix = "ValueError: ".len();
    let (at, over) = at_and_over(
        1,
        contract("raise ValueError('x' * n)"),
        (max - prefix).to_string(),
        (max - prefix + 1).to_string(),
    )
    .same();
    assert_eq!(message(&at).len(), max);
    assert!(!at.truncated.any());
    assert_eq!(message(&over).len(), max);
    assert!(message(&over).ends_with(ReceiptLimits::CUT_MARK));
    assert!(over.truncated.error && !over.truncated.logs);
    assert_eq!(over.error.as_ref().unwrap().line, Some(4));
}

#[test]
fn output_over_the_bound_fails_the_transaction() {
    let max = ReceiptLimits::MAX_OUTPUT_LEN;
    let code = contract("pvm_host.set_state(b'k', b'v')\n    return b'o' * n");
    let compile = pvm_gas::GasSchedule::default().compile(code.len());
    let (at, over) = at_and_over(2, code, max.to_string(), (max + 1).to_string()).same();
    assert_eq!(at.status, TxStatus::Success);
    assert_eq!(at.output.len(), max);
    assert_eq!(over.status, TxStatus::Failure);
    assert!(over.output.is_empty());
    assert_eq!(over.error.as_ref().unwrap().kind, "InvalidInput");
    assert_eq!(
        message(&over),
        format!("output of {} exceeds the receipt limit of {max}", max + 1)
    );
    // The failed call's gas is charged like any failure's (the first call of
    // the block, `at`, also paid for compiling the contract).
    assert!(over.gas_used + compile >= at.gas_used);
}

#[test]
fn events_per_transaction_are_bounded() {
    let max = ReceiptLimits::MAX_EVENTS;
    let (at, over) = at_and_over(
        3,
        contract("for i in range(n):\n        pvm_host.emit_event('E', b'')"),
        max.to_string(),
        (max + 1).to_string(),
    )
    .same();
    assert_eq!(at.status, TxStatus::Success);
    assert_eq!(at.events.len(), max);
    assert_eq!(over.status, TxStatus::Failure);
    assert!(over.events.is_empty());
    assert_eq!(over.error.as_ref().unwrap().kind, "InvalidInput");
    assert!(
        message(&over).contains(&format!("at most {max} events")),
        "{}",
        message(&over)
    );
}

#[test]
fn event_topic_and_data_are_bounded() {
    let topic = Limits::DEFAULT_MAX_TOPIC_LEN;
    let (at, over) = at_and_over(
        4,
        contract("pvm_host.emit_event('t' * n, b'')"),
        topic.to_string(),
        (topic + 1).to_string(),
    )
    .same();
    assert_eq!(at.events[0].topic.len(), topic);
    assert_eq!(over.status, TxStatus::Failure);
    assert!(message(&over).contains("event topic"), "{}", message(&over));

    let data = Limits::DEFAULT_MAX_EVENT_DATA_LEN;
    let (at, over) = at_and_over(
        5,
        contract("pvm_host.emit_event('t', b'd' * n)"),
        data.to_string(),
        (data + 1).to_string(),
    )
    .same();
    assert_eq!(at.events[0].data.len(), data);
    assert_eq!(over.status, TxStatus::Failure);
    assert!(message(&over).contains("event data"), "{}", message(&over));
}

#[test]
fn logs_are_stored_and_cut_by_lines() {
    let max = ReceiptLimits::MAX_LOG_LINES;
    let (at, over) = at_and_over(
        6,
        contract("for i in range(n):\n        print(i)\n    raise ValueError('after logging')"),
        max.to_string(),
        (max + 1).to_string(),
    )
    .same();
    // Logs survive a failure.
    assert_eq!(at.status, TxStatus::Failure);
    assert_eq!(at.logs.len(), max);
    assert_eq!(at.logs[max - 1], (max - 1).to_string());
    assert!(!at.truncated.logs);
    assert_eq!(over.logs.len(), max);
    assert_eq!(over.logs[max - 1], ReceiptLimits::LOG_CUT_LINE);
    assert!(over.truncated.logs);
}

#[test]
fn logs_are_cut_by_bytes() {
    // The runtime counts the newline `print` adds: the largest line it keeps whole is one
    // byte short of the bound.
    let max = ReceiptLimits::MAX_LOG_BYTES;
    let (at, over) = at_and_over(
        7,
        contract("print('y' * n)"),
        (max - 1).to_string(),
        max.to_string(),
    )
    .same();
    assert_eq!(at.logs, vec!["y".repeat(max - 1)]);
    assert!(!at.truncated.logs);
    assert!(over.truncated.logs);
    assert!(over.logs.iter().map(String::len).sum::<usize>() <= max);
    assert_eq!(over.logs.last().unwrap(), ReceiptLimits::LOG_CUT_LINE);
}

#[test]
fn state_keys_and_values_are_bounded_by_what_the_store_holds() {
    let value = Limits::DEFAULT_MAX_VALUE_LEN;
    let read = at_and_over(
        8,
        contract("pvm_host.set_state(b'v' + str(n).encode(), b'v' * n)"),
        value.to_string(),
        (value + 1).to_string(),
    );
    let largest = read
        .state
        .values()
        .map(Vec::len)
        .max()
        .expect("the largest value is stored");
    assert_eq!(largest, value);
    let (at, over) = read.same();
    assert_eq!(at.status, TxStatus::Success);
    assert_eq!(over.status, TxStatus::Failure);
    assert!(
        message(&over).contains("exceeds the limit"),
        "{}",
        message(&over)
    );

    let key = Limits::DEFAULT_MAX_KEY_LEN;
    let read = at_and_over(
        9,
        contract("pvm_host.set_state(b'k' * n, b'1')"),
        key.to_string(),
        (key + 1).to_string(),
    );
    assert!(read.state.keys().any(|k| k.key.len() == key));
    let (at, over) = read.same();
    assert_eq!(at.status, TxStatus::Success);
    assert_eq!(over.status, TxStatus::Failure);
}

#[test]
fn the_largest_contract_code_is_stored_and_runs_after_a_restart() {
    let max = config().chain.max_code_bytes;
    let head = "def main(input):\n    return b'big'\n#";
    let code = format!("{head}{}", "-".repeat(max - head.len())).into_bytes();
    assert_eq!(code.len(), max);
    let (at, _) = at_and_over(10, code.clone(), String::new(), String::new()).same();
    assert_eq!(at.output, b"big");

    // One byte more is refused before anything runs: the transaction is not valid.
    let mut too_big = code;
    too_big.push(b'-');
    let err = deterministic::Runner::seeded(11).start(|context| async move {
        let mut node = PvmNode::open(context.child("node"), &config(), "code")
            .await
            .unwrap();
        let block = local_block(None, vec![(PVM_TX_KIND, deploy(0, &too_big).encode())]);
        node.apply(&block).await.err().unwrap().to_string()
    });
    assert!(
        err.contains(&format!(
            "code of {} bytes exceeds the limit of {max}",
            max + 1
        )),
        "{err}"
    );
}
