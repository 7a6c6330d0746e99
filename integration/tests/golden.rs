//! Golden vectors: the gas used by, and the outcome of, every transaction of a fixed
//! set of blocks, and each block's state root, pinned in `tests/golden/vectors.txt`.
//!
//! The blocks cover deploys, calls, a contract exception, out-of-gas, invalid input,
//! bulk work (loops, big integers, string operations), events, state deletes and a
//! refused block, run through `PvmNode` on the deterministic runtime. Every number here
//! is consensus: a change that alters one is a hard fork. So the test fails on any
//! difference, and its message says how to proceed: bump the gas schedule version
//! (`GasSchedule::version`, `gas/src/schedule.rs` and `config/gas.toml`), then re-pin
//! with one command:
//!
//! ```text
//! PVM_BLESS=1 cargo test --ignore-rust-version --release -p pvm-integration --test golden
//! ```
//!
//! Re-pinning is refused while the schedule version is the one the file was pinned
//! with: new numbers under an old version would let two builds that disagree claim the
//! same schedule.

use std::path::PathBuf;

use commonware_cryptography::{ed25519, Hasher as _, Sha256, Signer as _};
use commonware_runtime::{deterministic, Runner as _, Supervisor as _};
use pvm_integration::contract;
use pvm_plugin::{
    config::PvmConfig,
    node::{local_block, NodeError, PvmNode},
    pvm_tx::PVM_TX_KIND,
    tx::{Action, Transaction},
};

/// The environment variable that re-pins the vectors.
const BLESS: &str = "PVM_BLESS";

/// Gas limit of every transaction but the out-of-gas one.
const GAS: u64 = 20_000_000;

/// A contract with one operation per kind of work.
const LAB: &[u8] = br#"import pvm_host


def main(input: bytes) -> str:
    op, _, arg = input.decode().partition(" ")
    if op == "loop":
        total = 0
        for i in range(int(arg)):
            total += i * i % 7
        return str(total)
    if op == "bigint":
        x = 3 ** int(arg)
        return str(x % 1_000_003) + ":" + str(len(str(x))) + ":" + hex(x * x)[-16:]
    if op == "strings":
        s = "-".join(str(i) for i in range(int(arg)))
        words = sorted(s.split("-"), key=lambda w: (len(w), w[::-1]))
        return s.replace("-", "+")[:40] + ":" + ",".join(words[-3:]) + ":" + str(s.count("7"))
    if op == "containers":
        n = int(arg)
        d = {i: [i] * (i % 5) for i in range(n)}
        seen = {i % 17 for i in range(n)}
        return str(sum(len(v) for v in d.values())) + ":" + str(sorted(seen)[-1])
    if op == "put":
        key, value = arg.split("=")
        pvm_host.set_state(key.encode(), value.encode())
        return "ok"
    if op == "del":
        pvm_host.delete_state(arg.encode())
        return repr(pvm_host.get_state(arg.encode()))
    if op == "emit":
        for i in range(int(arg)):
            pvm_host.emit_event("Tick", str(i).encode())
        return arg
    if op == "raise":
        pvm_host.set_state(b"reverted", b"1")
        raise ValueError("refused: " + arg)
    if op == "spin":
        while True:
            pass
    if op == "double":
        return str(int(arg) * 2)
    raise KeyError(op)
"#;

fn key(seed: u64) -> ed25519::PrivateKey {
    ed25519::PrivateKey::from_seed(seed)
}

fn deploy(k: &ed25519::PrivateKey, nonce: u64, code: &[u8]) -> Transaction {
    Transaction::sign(
        k,
        nonce,
        GAS,
        Action::Deploy {
            code: code.to_vec(),
            init_input: Vec::new(),
        },
    )
}

fn call(k: &ed25519::PrivateKey, nonce: u64, gas: u64, to: [u8; 32], input: &str) -> Transaction {
    Transaction::sign(
        k,
        nonce,
        gas,
        Action::Call {
            contract: to,
            input: input.as_bytes().to_vec(),
        },
    )
}

/// The fixed blocks, as `(kind, bytes)` transactions.
fn blocks() -> Vec<Vec<(u8, Vec<u8>)>> {
    let (alice, bob) = (key(1), key(2));
    let lab = deploy(&alice, 0, LAB);
    let token = deploy(&alice, 1, &contract("token.py"));
    let counter = deploy(&bob, 0, &contract("counter.py"));
    let (lab_at, token_at, counter_at) = (
        lab.deployed_address(),
        token.deployed_address(),
        counter.deployed_address(),
    );
    let failing_init = Transaction::sign(
        &bob,
        1,
        GAS,
        Action::Deploy {
            code: b"def init(input):\n    raise RuntimeError('no')\ndef main(input):\n    return 'x'\n"
                .to_vec(),
            init_input: b"seed".to_vec(),
        },
    );
    let a = |nonce, input: &str| call(&alice, nonce, GAS, lab_at, input);
    let block1 = vec![lab, token, counter, failing_init];
    let block2 = vec![
        a(2, "loop 20000"),
        a(3, "bigint 4000"),
        a(4, "strings 3000"),
        a(5, "containers 2000"),
        call(&alice, 6, GAS, token_at, "transfer 00ff 250"),
        call(&alice, 7, GAS, token_at, "transfer 00ff 9999999"),
        call(&bob, 2, GAS, counter_at, "5"),
        a(8, "put colour=blue"),
        a(9, "put size=9"),
        a(10, "emit 3"),
    ];
    let block3 = vec![
        a(11, "del colour"),
        a(12, "del never-set"),
        a(13, "raise on purpose"),
        call(&alice, 14, 200_000, lab_at, "spin"),
        a(15, "double twelve"),
        a(16, "nosuchop"),
        call(&bob, 3, GAS, [0xee; 32], "hello"),
        call(&bob, 4, GAS, counter_at, ""),
    ];
    // Refused as a whole (a nonce gap): nothing of it is applied.
    let block4 = vec![a(17, "put colour=red"), a(19, "put size=1")];
    let block5 = vec![a(17, "put colour=green"), a(18, "loop 100")];
    [block1, block2, block3, block4, block5]
        .into_iter()
        .map(|txs| txs.iter().map(|t| (PVM_TX_KIND, t.encode())).collect())
        .collect()
}

fn hex_hash(bytes: &[u8]) -> String {
    hex::encode(&Sha256::hash(&[bytes]).0[..8])
}

/// Runs the blocks and renders what is pinned: the schedule version, then per block its
/// state root (or its refusal) and per receipt its status, error kind and line, gas,
/// and hashes of its output and events.
fn render() -> String {
    deterministic::Runner::seeded(1).start(|context| async move {
        let config = PvmConfig {
            enabled: true,
            ..PvmConfig::default()
        };
        let mut node = PvmNode::open(context.child("node"), &config, "golden")
            .await
            .unwrap();
        let mut out = format!(
            "schedule_version {}\n",
            node.params().runtime.schedule.version
        );
        for (number, txs) in blocks().into_iter().enumerate() {
            let block = local_block(node.chain().last_committed(), txs);
            match node.apply(&block).await {
                Ok((info, receipts)) => {
                    out += &format!(
                        "block {} root {}\n",
                        number + 1,
                        hex::encode(info.state_root)
                    );
                    for (i, r) in receipts.iter().enumerate() {
                        let (kind, line) = r
                            .error
                            .as_ref()
                            .map_or(("-".into(), None), |e| (e.kind.clone(), e.line));
                        let events: Vec<u8> = r
                            .events
                            .iter()
                            .flat_map(|e| [e.topic.as_bytes(), &e.data[..], b"\n"].concat())
                            .collect();
                        out += &format!(
                            "  tx {i} {:?} {kind} line {} gas {} output {} events {} {}\n",
                            r.status,
                            line.map_or("-".into(), |l| l.to_string()),
                            r.gas_used,
                            hex_hash(&r.output),
                            r.events.len(),
                            hex_hash(&events),
                        );
                    }
                }
                Err(NodeError::InvalidBlock { error, .. }) => {
                    out += &format!("block {} refused: {error}\n", number + 1);
                }
                Err(e) => panic!("block {}: {e}", number + 1),
            }
        }
        out
    })
}

fn vectors_path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/golden/vectors.txt")
}

const HEADER: &str = "\
# Golden vectors (integration/tests/golden.rs): gas, outcome and hashes per receipt and the
# state root per block of a fixed set of blocks. A difference is a hard fork: bump the gas
# schedule version, then re-pin with
#   PVM_BLESS=1 cargo test --ignore-rust-version --release -p pvm-integration --test golden
";

fn pinned_version(text: &str) -> Option<u32> {
    text.lines()
        .find_map(|line| line.strip_prefix("schedule_version "))
        .and_then(|v| v.trim().parse().ok())
}

/// The pinned file's lines without its comments.
fn body(pinned: &str) -> String {
    pinned
        .lines()
        .filter(|line| !line.starts_with('#'))
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Whether `actual` may replace the `pinned` file: only under another schedule version.
fn may_repin(pinned: Option<&str>, actual: &str) -> Result<(), String> {
    match pinned.and_then(pinned_version) {
        Some(old) if Some(old) == pinned_version(actual) => Err(format!(
            "refusing to re-pin: the vectors changed but the gas schedule version is still \
             {old}; bump it (gas/src/schedule.rs, config/gas.toml) first"
        )),
        _ => Ok(()),
    }
}

/// The first differing lines, side by side.
fn diff(pinned: &str, actual: &str) -> String {
    let (old, new): (Vec<&str>, Vec<&str>) = (pinned.lines().collect(), actual.lines().collect());
    (0..old.len().max(new.len()))
        .map(|i| (old.get(i).copied(), new.get(i).copied()))
        .filter(|(a, b)| a != b)
        .take(10)
        .map(|(a, b)| {
            let show = |line: Option<&str>| line.unwrap_or("(none)").to_owned();
            format!("  pinned: {}\n  now:    {}", show(a), show(b))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn golden_vectors_are_unchanged() {
    let actual = render();
    assert_eq!(render(), actual, "two runs of the same blocks differ");
    let path = vectors_path();
    let pinned = std::fs::read_to_string(&path).ok();
    let pinned_body = pinned.as_deref().map(body).unwrap_or_default();
    if pinned_body == actual {
        return;
    }
    if std::env::var_os(BLESS).is_some_and(|v| v == "1") {
        if let Err(refusal) = may_repin(pinned.as_deref(), &actual) {
            panic!("{refusal}\n{}", diff(&pinned_body, &actual));
        }
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, format!("{HEADER}{actual}")).unwrap();
        eprintln!("re-pinned {}", path.display());
        return;
    }
    panic!(
        "golden vectors differ from {}:\n{}\n\
         This change alters gas or state roots: a hard fork. If it is intended, bump the gas \
         schedule version (gas/src/schedule.rs, config/gas.toml), then re-pin with\n  \
         {BLESS}=1 cargo test --ignore-rust-version --release -p pvm-integration --test golden",
        path.display(),
        diff(&pinned_body, &actual),
    );
}

#[test]
fn re_pinning_needs_a_new_schedule_version() {
    let pinned = format!("{HEADER}schedule_version 2\nblock 1 root aa\n");
    let changed = "schedule_version 2\nblock 1 root bb\n";
    let err = may_repin(Some(&pinned), changed).unwrap_err();
    assert!(err.contains("still 2"), "{err}");
    assert!(may_repin(Some(&pinned), "schedule_version 3\nblock 1 root bb\n").is_ok());
    assert!(
        may_repin(None, changed).is_ok(),
        "the first pin needs no bump"
    );
    assert_eq!(body(&pinned), "schedule_version 2\nblock 1 root aa\n");
    assert!(diff(&body(&pinned), changed).contains("now:    block 1 root bb"));
}
