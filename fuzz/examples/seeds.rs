//! Writes the hand-made seed inputs under `fuzz/corpus/<target>/seed-*`.
//!
//! `cargo run --release -p pvm-fuzz --example seeds` (deterministic: the same
//! files every time). The seeds give libFuzzer valid structures to start from:
//! signed transactions and payloads it could never forge, receipts of each
//! shape, the shipped config and gas schedule, and the example contracts.

use std::path::{Path, PathBuf};

use commonware_codec::Encode as _;
use commonware_cryptography::{ed25519, Signer as _};
use pvm_alto::RandomnessSeed;
use pvm_chain::{Receipt, TxError};
use pvm_fuzz::python::raw_case;
use pvm_gas::GasSchedule;
use pvm_overlay::Event;
use pvm_plugin::payload::BlockPayload;
use pvm_plugin::pvm_tx::PVM_TX_KIND;
use pvm_plugin::tx::{Action, Transaction};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).to_owned()
}

fn write(target: &str, name: &str, data: &[u8]) {
    let dir = root().join("corpus").join(target);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("seed-{name}")), data).unwrap();
}

fn contracts() -> Vec<(String, Vec<u8>)> {
    let dir = root().join("../integration/contracts");
    let mut out: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "py"))
        .map(|p| {
            let name = p.file_stem().unwrap().to_string_lossy().into_owned();
            (name, std::fs::read(&p).unwrap())
        })
        .collect();
    out.sort();
    out
}

/// Deterministic filler bytes for the structured targets.
fn noise(seed: u64, len: usize) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn main() {
    let key = ed25519::PrivateKey::from_seed(1);
    let other = ed25519::PrivateKey::from_seed(2);
    let contracts = contracts();

    // Transactions: a deploy of each example, calls, edge sizes, one tampered.
    let mut txs = Vec::new();
    for (i, (name, code)) in contracts.iter().enumerate() {
        let deploy = Action::Deploy {
            code: code.clone(),
            init_input: b"init".to_vec(),
        };
        let tx = Transaction::sign(&key, i as u64, 1_000_000, deploy);
        write("tx_decoder", &format!("deploy-{name}"), &tx.encode());
        txs.push(tx);
    }
    let calls = [
        (
            "call-transfer",
            Action::Call {
                contract: [7; 32],
                input: b"transfer 00ff 250".to_vec(),
            },
        ),
        (
            "call-empty",
            Action::Call {
                contract: [0; 32],
                input: Vec::new(),
            },
        ),
        (
            "deploy-empty",
            Action::Deploy {
                code: Vec::new(),
                init_input: Vec::new(),
            },
        ),
    ];
    for (name, action) in calls {
        let tx = Transaction::sign(&other, u64::MAX, 50_000_000, action);
        write("tx_decoder", name, &tx.encode());
        txs.push(tx);
    }
    let mut tampered = txs[0].encode();
    let at = tampered.len() - 70;
    tampered[at] ^= 1;
    write("tx_decoder", "tampered", &tampered);

    // Payloads: empty, the transactions above, and an unknown kind beside them.
    let seed = RandomnessSeed([3; 32]);
    let empty = BlockPayload {
        seed,
        txs: Vec::new(),
    };
    write("payload_decoder", "empty", &empty.encode());
    let block = BlockPayload {
        seed,
        txs: txs.iter().map(|t| (PVM_TX_KIND, t.encode())).collect(),
    };
    write("payload_decoder", "block", &block.encode());
    let mixed = BlockPayload {
        seed,
        txs: vec![
            (PVM_TX_KIND, txs[3].encode()),
            (9, b"other kind".to_vec()),
            (PVM_TX_KIND, tampered),
        ],
    };
    write("payload_decoder", "mixed", &mixed.encode());

    // Receipts of each shape, and as the receipt journal stores them.
    let success = Receipt::success(
        [1; 32],
        21_000,
        b"ok".to_vec(),
        vec![
            Event::new([2; 32], "Transfer", b"a:b:5".to_vec()),
            Event::new([3; 32], "", Vec::new()),
        ],
    );
    let failure = Receipt::failure(
        [4; 32],
        50_000_000,
        TxError {
            kind: "Exception".into(),
            message: "ValueError: x \u{1f600}".into(),
            line: Some(12),
        },
    );
    let bare = Receipt::failure(
        [5; 32],
        0,
        TxError {
            kind: "OutOfGas".into(),
            message: String::new(),
            line: None,
        },
    );
    for (name, receipt) in [
        ("success", &success),
        ("failure", &failure),
        ("bare", &bare),
    ] {
        write("receipt_decoder", name, &receipt.encode());
        write(
            "receipt_decoder",
            &format!("stored-{name}"),
            &(42u64, receipt.clone()).encode(),
        );
    }

    // The shipped files, a minimal file and a schedule from code.
    let pvm_toml = std::fs::read(root().join("../config/pvm.toml")).unwrap();
    write("config_parser", "pvm.toml", &pvm_toml);
    write(
        "config_parser",
        "minimal",
        b"enabled = true\n[pool]\nsize = 2\n[chain]\nmetering = \"coarse\"\n",
    );
    let gas_toml = std::fs::read(root().join("../config/gas.toml")).unwrap();
    write("gas_schedule_parser", "gas.toml", &gas_toml);
    write(
        "gas_schedule_parser",
        "v2",
        GasSchedule::CURRENT.to_toml().as_bytes(),
    );

    // Structured targets: filler bytes of a few lengths.
    for (i, len) in [64usize, 256, 1024, 4000].into_iter().enumerate() {
        write(
            "host_args",
            &format!("noise-{len}"),
            &noise(i as u64 + 1, len),
        );
        let mut grammar = vec![0u8];
        grammar.extend(noise(i as u64 + 100, len));
        write("python_source", &format!("grammar-{len}"), &grammar);
    }
    for (name, code) in &contracts {
        write(
            "python_source",
            &format!("raw-{name}"),
            &raw_case(code, b"transfer 00ff 250"),
        );
    }
    write(
        "python_source",
        "raw-counter-input",
        &raw_case(
            &contracts.iter().find(|(n, _)| n == "counter").unwrap().1,
            b"5",
        ),
    );
}
