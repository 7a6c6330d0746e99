//! `pvm run` end to end: receipts, JSON shape and exit codes.

use std::path::{Path, PathBuf};
use std::process::Command;

use pvm_cli::metrics::{MAX_CONNECTIONS, MAX_REQUEST_BYTES};
use serde_json::Value;

fn contracts() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../integration/contracts")
}

fn pvm(args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_pvm"))
        .args(args)
        .output()
        .expect("run pvm");
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn run_json(file: &str, extra: &[&str]) -> (i32, Value) {
    let path = contracts().join(file);
    let mut args = vec!["run", path.to_str().unwrap(), "--json"];
    args.extend_from_slice(extra);
    let (code, stdout, stderr) = pvm(&args);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "exactly one JSON line expected, got {stdout:?} / {stderr}"
    );
    (code, serde_json::from_str(lines[0]).expect("valid JSON"))
}

fn temp_contract(name: &str, source: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pvm-cli-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, source).unwrap();
    path
}

#[test]
fn counter_receipt() {
    let (code, r) = run_json("counter.py", &["--input", "5"]);
    assert_eq!(code, 0);
    assert_eq!(r["status"], "success");
    assert_eq!(r["output_hex"], hex::encode("5"));
    assert_eq!(r["logs"][0], "count is now 5");
    assert_eq!(r["error"], Value::Null);
    assert!(r["gas_used"].as_u64().unwrap() > 0);
    let keys: Vec<&String> = r.as_object().unwrap().keys().collect();
    assert_eq!(
        keys,
        [
            "error",
            "events",
            "gas_used",
            "logs",
            "output_hex",
            "status"
        ]
    );
}

#[test]
fn token_transfer_emits_event() {
    let (code, r) = run_json(
        "token.py",
        &["--input", "transfer 00ff 250", "--sender", "0a0b"],
    );
    assert_eq!(code, 0, "{r}");
    assert_eq!(r["output_hex"], hex::encode("999750"));
    assert_eq!(r["events"][0]["topic"], "Transfer");
    assert_eq!(r["events"][0]["data_hex"], hex::encode("0a0b:00ff:250"));
}

#[test]
fn failing_contract_reverts_events_and_exits_1() {
    let (code, r) = run_json("fail.py", &["--input", "x"]);
    assert_eq!(code, 1);
    assert_eq!(r["status"], "failure");
    assert_eq!(r["events"].as_array().unwrap().len(), 0);
    assert_eq!(r["logs"][0], "about to fail");
    assert_eq!(r["error"]["kind"], "Exception");
    assert_eq!(
        r["error"]["message"],
        "ValueError: this contract always fails"
    );
    assert_eq!(r["error"]["line"], 9);
}

#[test]
fn text_receipt_is_readable() {
    let path = contracts().join("fail.py");
    let (code, stdout, _) = pvm(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("status:   failure"), "{stdout}");
    assert!(
        stdout.contains("error:    Exception (line 9): ValueError: this contract always fails"),
        "{stdout}"
    );
}

#[test]
fn sandbox_refusals_are_failure_receipts() {
    for (i, body) in [
        "import os",
        "open('/etc/passwd')",
        "eval('1')",
        "object.__subclasses__()",
        "import sys",
        "id(1)",
    ]
    .iter()
    .enumerate()
    {
        let path = temp_contract(
            &format!("refuse{i}.py"),
            &format!("def main(input):\n    {body}\n"),
        );
        let (code, stdout, stderr) = pvm(&["run", path.to_str().unwrap(), "--json"]);
        assert_eq!(code, 1, "{body}: {stdout} {stderr}");
        let r: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(r["error"]["kind"], "Exception", "{body}");
        assert_eq!(r["error"]["line"], 2, "{body}");
    }
}

#[test]
fn syntax_error_kind() {
    let path = temp_contract("syntax.py", "def main(input):\n    return (\n");
    let (code, stdout, _) = pvm(&["run", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["error"]["kind"], "SyntaxError");
    assert!(r["error"]["line"].as_u64().is_some());
}

#[test]
fn out_of_gas_kind() {
    let (code, r) = run_json("counter.py", &["--gas-limit", "100"]);
    assert_eq!(code, 1);
    assert_eq!(r["error"]["kind"], "OutOfGas");
    assert_eq!(r["gas_used"], 100);
}

#[test]
fn input_hex_and_context_flags() {
    let path = temp_contract(
        "ctx.py",
        "import pvm_host\ndef main(input):\n    c = pvm_host.context()\n    return input + c['sender'] + bytes([c['block_height']])\n",
    );
    let (code, stdout, _) = pvm(&[
        "run",
        path.to_str().unwrap(),
        "--json",
        "--input-hex",
        "0xdead",
        "--sender",
        "beef",
        "--height",
        "7",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["output_hex"], "deadbeef07");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let (code, _, stderr) = pvm(&["run", "/nonexistent/contract.py"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/contract.py"),
        "{stderr}"
    );
    let path = contracts().join("counter.py");
    let (code, _, stderr) = pvm(&["run", path.to_str().unwrap(), "--input-hex", "zz"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("--input-hex"), "{stderr}");
    let (code, _, _) = pvm(&["run"]);
    assert_eq!(code, 2);
    let (code, _, _) = pvm(&["frobnicate"]);
    assert_eq!(code, 2);
    let (code, _, _) = pvm(&["run", path.to_str().unwrap(), "--gas-limit", "lots"]);
    assert_eq!(code, 2);
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pvm-cli-test-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    dir
}

#[test]
fn infinite_loop_stops_out_of_gas() {
    let path = temp_contract(
        "spin.py",
        "def main(input):\n    while True:\n        pass\n",
    );
    let (code, stdout, _) = pvm(&[
        "run",
        path.to_str().unwrap(),
        "--json",
        "--gas-limit",
        "1000000",
    ]);
    assert_eq!(code, 1);
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["error"]["kind"], "OutOfGas");
    assert_eq!(r["gas_used"], 1_000_000);
}

#[test]
fn run_with_state_persists_between_runs() {
    let dir = temp_dir("state");
    let counter = contracts().join("counter.py");
    let run = |input: &str| {
        let (code, stdout, stderr) = pvm(&[
            "run",
            counter.to_str().unwrap(),
            "--json",
            "--state",
            dir.to_str().unwrap(),
            "--input",
            input,
        ]);
        assert_eq!(code, 0, "{stdout} {stderr}");
        let r: Value = serde_json::from_str(stdout.trim()).unwrap();
        String::from_utf8(hex::decode(r["output_hex"].as_str().unwrap()).unwrap()).unwrap()
    };
    assert_eq!(run("5"), "5");
    assert_eq!(run("2"), "7", "the second run sees the first run's write");
    // A failing call changes nothing.
    let fail = contracts().join("fail.py");
    let (code, _, _) = pvm(&[
        "run",
        fail.to_str().unwrap(),
        "--state",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1);
    assert_eq!(run("1"), "8");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn tx(args: &[&str]) -> (String, String) {
    let (code, stdout, stderr) = pvm(args);
    assert_eq!(code, 0, "{stderr}");
    (stdout.trim().to_owned(), stderr)
}

#[test]
fn signed_transactions_run_as_a_block() {
    let token = contracts().join("token.py");
    let (deploy, stderr) = tx(&[
        "tx",
        "deploy",
        token.to_str().unwrap(),
        "--key-seed",
        "1",
        "--nonce",
        "0",
    ]);
    let addr = stderr
        .trim()
        .strip_prefix("contract address: ")
        .expect(&stderr)
        .to_owned();
    let (transfer, _) = tx(&[
        "tx",
        "call",
        &addr,
        "--key-seed",
        "1",
        "--nonce",
        "1",
        "--input",
        "transfer 00ff 250",
    ]);
    let (balance, _) = tx(&[
        "tx",
        "call",
        &addr,
        "--key-seed",
        "1",
        "--nonce",
        "2",
        "--input",
        "balance 00ff",
    ]);
    let dir = temp_dir("block");
    let file = dir.with_extension("txs");
    std::fs::write(
        &file,
        format!("# the token example\n{deploy}\n\n{transfer}\n{balance}\n"),
    )
    .unwrap();
    let run_block = || {
        let (code, stdout, stderr) = pvm(&["block", file.to_str().unwrap(), "--json"]);
        assert_eq!(code, 0, "{stdout} {stderr}");
        serde_json::from_str::<Value>(stdout.trim()).unwrap()
    };
    let out = run_block();
    assert_eq!(out["height"], 1);
    assert_eq!(out["receipts"].as_array().unwrap().len(), 3);
    assert_eq!(out["receipts"][0]["output_hex"], addr);
    assert_eq!(out["receipts"][1]["events"][0]["topic"], "Transfer");
    assert_eq!(out["receipts"][2]["output_hex"], hex::encode("250"));
    assert_eq!(out["state_root"].as_str().unwrap().len(), 64);
    assert_eq!(
        run_block(),
        out,
        "the same block gives the same receipts and root"
    );

    // With --state the chain grows: the same file again is a replay.
    let state = ["--state", dir.to_str().unwrap()];
    let (code, _, stderr) = pvm(&[&["block", file.to_str().unwrap()][..], &state[..]].concat());
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = pvm(&[&["block", file.to_str().unwrap()][..], &state[..]].concat());
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":2: invalid transaction: wrong nonce"),
        "{stderr}"
    );
    assert!(stderr.contains("nothing was applied"), "{stderr}");

    // Bad lines are named.
    std::fs::write(&file, format!("{deploy}\nzz\n")).unwrap();
    let (code, _, stderr) = pvm(&["block", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains(":2: not valid hex"), "{stderr}");
    let mut forged = hex::decode(&transfer).unwrap();
    let n = forged.len();
    forged[n - 1] ^= 1;
    std::fs::write(&file, format!("{deploy}\n{}\n", hex::encode(forged))).unwrap();
    let (code, _, stderr) = pvm(&["block", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains(":2: invalid transaction: bad signature"),
        "{stderr}"
    );
    std::fs::remove_file(&file).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn demo_is_deterministic_and_serves_metrics() {
    let demo = || {
        let (code, stdout, stderr) = pvm(&["demo", "--txs", "200", "--json"]);
        assert_eq!(code, 0, "{stderr}");
        serde_json::from_str::<Value>(stdout.trim()).unwrap()
    };
    let a = demo();
    let b = demo();
    assert_eq!(a["txs"], 200);
    assert_eq!(a["succeeded"], 200);
    assert_eq!(a["failed"], 0);
    assert_eq!(a["state_root"], b["state_root"]);
    assert_eq!(a["gas_used"], b["gas_used"]);
    assert!(a["tx_per_s"].as_f64().unwrap() > 0.0);

    // Metrics are served while the demo runs (and for a while after).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let addr = format!("127.0.0.1:{port}");
    let mut child = Command::new(env!("CARGO_BIN_EXE_pvm"))
        .args([
            "demo",
            "--txs",
            "300",
            "--metrics-addr",
            &addr,
            "--linger-ms",
            "20000",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut body = String::new();
    for _ in 0..200 {
        std::thread::sleep(std::time::Duration::from_millis(100));
        if let Ok(text) = http_get(&addr) {
            if text.contains("pvm_txs_total") && text.contains("pvm_committed_height 2") {
                body = text;
                break;
            }
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    for metric in [
        "pvm_tx_gas_used_bucket",
        "pvm_tx_execution_seconds_bucket",
        "pvm_txs_total",
        "pvm_block_execution_seconds_bucket",
        "pvm_state_commit_seconds_bucket",
        "pvm_pool_size",
        "pvm_pool_available",
        "pvm_pool_checkout_wait_seconds_bucket",
    ] {
        assert!(body.contains(metric), "{metric} missing from:\n{body}");
    }
}

fn http_get(addr: &str) -> std::io::Result<String> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr)?;
    stream.write_all(b"GET /metrics HTTP/1.1\r\nHost: pvm\r\n\r\n")?;
    let mut out = String::new();
    stream.read_to_string(&mut out)?;
    Ok(out)
}

#[test]
fn grafana_dashboard_charts_metrics_the_node_exports() {
    let dashboard =
        std::fs::read_to_string(contracts().join("../../config/grafana-dashboard.json")).unwrap();
    let telemetry = include_str!("../../plugin/src/telemetry.rs");
    let json: Value = serde_json::from_str(&dashboard).unwrap();
    let variables: Vec<&str> = json["templating"]["list"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|v| v["name"].as_str())
        .collect();
    for name in ["job", "instance"] {
        assert!(
            variables.contains(&name),
            "no ${name} variable: {variables:?}"
        );
    }
    for panel in json["panels"].as_array().unwrap() {
        for target in panel["targets"].as_array().unwrap() {
            let expr = target["expr"].as_str().unwrap();
            // Validators are charted apart, never summed together.
            assert!(
                expr.contains(r#"{job=~"$job", instance=~"$instance"}"#),
                "{expr} is not filtered by the job and instance variables"
            );
            assert!(
                !expr.contains("sum(") && !expr.contains("sum by (le)"),
                "{expr} sums instances together"
            );
            let metric = expr
                .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .find(|w| w.starts_with("pvm_"))
                .unwrap_or_else(|| panic!("no pvm metric in {expr}"));
            let base = metric.trim_end_matches("_bucket").trim_end_matches("_sum");
            assert!(
                telemetry.contains(&format!("`{base}")),
                "{base} is not documented in telemetry.rs"
            );
        }
    }
}

/// The reproduction from issue 10, command for command: a failure receipt whose error
/// message is longer than the receipt decoder accepts must not make the store unreadable.
/// The second `pvm block --state` reopens the store (replaying every stored receipt) and
/// `pvm receipt` serves the first block's failure receipt from it.
#[test]
fn a_huge_error_message_does_not_halt_the_store() {
    let dir = temp_dir("big-error");
    std::fs::create_dir_all(&dir).unwrap();
    let big = dir.join("big.py");
    std::fs::write(
        &big,
        "def main(input):\n    raise ValueError(\"x\" * 5000)\n",
    )
    .unwrap();
    let (deploy, stderr) = tx(&[
        "tx",
        "deploy",
        big.to_str().unwrap(),
        "--key-seed",
        "5",
        "--nonce",
        "0",
    ]);
    let addr = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    let call = |nonce: &str| {
        tx(&[
            "tx",
            "call",
            &addr,
            "--key-seed",
            "5",
            "--nonce",
            nonce,
            "--gas-limit",
            "1000000",
        ])
        .0
    };
    let b1 = dir.join("b1.txt");
    std::fs::write(&b1, format!("{deploy}\n{}\n", call("1"))).unwrap();
    let b2 = dir.join("b2.txt");
    std::fs::write(&b2, format!("{}\n", call("2"))).unwrap();
    let state = dir.join("st");
    let block = |file: &PathBuf| {
        let (code, stdout, stderr) = pvm(&[
            "block",
            file.to_str().unwrap(),
            "--state",
            state.to_str().unwrap(),
            "--json",
        ]);
        assert_eq!(code, 1, "one transaction fails: {stdout} {stderr}");
        serde_json::from_str::<Value>(stdout.trim()).unwrap()
    };
    let first = block(&b1);
    let failed = &first["receipts"][1];
    assert_eq!(failed["status"], "failure");
    let message = failed["error"]["message"].as_str().unwrap();
    assert!(message.starts_with("ValueError: xxx"), "{message}");
    assert!(message.len() <= 4096, "{} bytes", message.len());
    assert_eq!(failed["truncated"]["error"], true);

    // The store restarts: the second block executes on it.
    let second = block(&b2);
    assert_eq!(second["height"], 2);
    assert_eq!(second["receipts"][0]["error"], failed["error"]);

    // And it serves the first block's receipt after another restart.
    let hash = failed["tx_hash"].as_str().unwrap();
    let (code, stdout, stderr) = pvm(&[
        "receipt",
        hash,
        "--state",
        state.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(code, 0, "{stdout} {stderr}");
    let served: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(served["height"], 1);
    assert_eq!(served["receipt"], *failed);
    std::fs::remove_dir_all(&dir).unwrap();
}

/// More transfers than one block's gas limit allows are cut into several
/// blocks (by gas, and by `max_block_txs`), each reported on stderr.
#[test]
fn demo_cuts_blocks_by_gas_and_by_count() {
    let dir = temp_dir("demo-blocks");
    std::fs::create_dir_all(&dir).unwrap();
    let cases = [
        // A first transfer of 2,000,000 gas (it pays for compiling the
        // token) and 4 of 200,000 fit under 2,800,000.
        (
            "gas.toml",
            "enabled = true\n[chain]\nblock_gas_limit = 2800000\ntx_gas_limit = 2000000\n",
        ),
        ("count.toml", "enabled = true\n[chain]\nmax_block_txs = 5\n"),
    ];
    for (name, text) in cases {
        let config = dir.join(name);
        std::fs::write(&config, text).unwrap();
        let (code, stdout, stderr) = pvm(&[
            "demo",
            "--txs",
            "12",
            "--json",
            "--config",
            config.to_str().unwrap(),
        ]);
        assert_eq!(code, 0, "{name}: {stderr}");
        let r: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(r["succeeded"], 12, "{name}: {r}");
        assert_eq!(r["failed"], 0, "{name}: {r}");
        assert_eq!(r["blocks"], 3, "{name}: {r}");
        for line in ["block 2: 5/12", "block 3: 10/12", "block 4: 12/12"] {
            assert!(stderr.contains(line), "{name}: {line:?} not in {stderr}");
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Sends `request` on a fresh connection and reads the whole response (the
/// server closes every connection after answering).
fn http_exchange(addr: &str, request: &[u8]) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut out = Vec::new();
    stream
        .read_to_end(&mut out)
        .unwrap_or_else(|e| panic!("no answer to {:?}: {e}", String::from_utf8_lossy(request)));
    String::from_utf8_lossy(&out).into_owned()
}

/// The metrics endpoint serves a scrape while other connections stall it (one
/// idle, one sending a header that never ends), answers only `GET /metrics`,
/// and publishes its series before anything happened.
#[test]
fn metrics_endpoint_is_not_stalled_by_slow_clients() {
    use std::io::{BufRead, Read, Write};
    let mut child = Command::new(env!("CARGO_BIN_EXE_pvm"))
        .args([
            "demo",
            "--txs",
            "3",
            "--metrics-addr",
            "127.0.0.1:0",
            "--linger-ms",
            "120000",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    stderr.read_line(&mut first).unwrap();
    std::thread::spawn(move || std::io::copy(&mut stderr, &mut std::io::sink()));
    let addr = first
        .trim()
        .strip_prefix("serving metrics at http://")
        .and_then(|a| a.strip_suffix("/metrics"))
        .unwrap_or_else(|| panic!("no address in {first:?}"))
        .to_owned();

    let mut idle = std::net::TcpStream::connect(&addr).unwrap();
    let mut endless = std::net::TcpStream::connect(&addr).unwrap();
    endless
        .set_write_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let flood = std::thread::spawn(move || {
        let _ = endless.write_all(b"GET /metrics HTTP/1.1\r\nX-Endless: ");
        let chunk = [b'a'; 1024];
        // The server stops reading at its request-size limit and closes.
        for _ in 0..100_000 {
            if endless.write_all(&chunk).is_err() {
                return true;
            }
        }
        false
    });

    let scrape = http_exchange(&addr, b"GET /metrics HTTP/1.1\r\nHost: pvm\r\n\r\n");
    assert!(scrape.starts_with("HTTP/1.1 200 OK\r\n"), "{scrape}");
    assert!(
        scrape.contains("\npvm_pool_interpreters_replaced_total 0\n"),
        "{scrape}"
    );
    assert!(flood.join().unwrap(), "the endless header was read forever");

    let status = |request: &[u8]| {
        let response = http_exchange(&addr, request);
        response.lines().next().unwrap_or("").to_owned()
    };
    assert_eq!(
        status(b"GET /metrics?x=1 HTTP/1.0\r\n\r\n"),
        "HTTP/1.1 200 OK"
    );
    assert_eq!(status(b"GET / HTTP/1.1\r\n\r\n"), "HTTP/1.1 404 Not Found");
    assert_eq!(
        status(b"GET /metricsx HTTP/1.1\r\n\r\n"),
        "HTTP/1.1 404 Not Found"
    );
    assert_eq!(
        status(b"POST /metrics HTTP/1.1\r\nContent-Length: 0\r\n\r\n"),
        "HTTP/1.1 405 Method Not Allowed"
    );
    assert_eq!(status(b"hello\r\n\r\n"), "HTTP/1.1 400 Bad Request");
    let mut huge = b"GET /metrics HTTP/1.1\r\nX-Big: ".to_vec();
    huge.resize(MAX_REQUEST_BYTES + 1, b'a');
    assert_eq!(
        status(&huge),
        "HTTP/1.1 431 Request Header Fields Too Large"
    );

    // The idle connection is answered and closed once its time is up.
    idle.set_read_timeout(Some(std::time::Duration::from_secs(60)))
        .unwrap();
    let mut out = String::new();
    idle.read_to_string(&mut out).unwrap();
    assert!(out.starts_with("HTTP/1.1 408 Request Timeout\r\n"), "{out}");

    // Past the connection cap, a connection is refused at once.
    let held: Vec<_> = (0..MAX_CONNECTIONS)
        .map(|_| std::net::TcpStream::connect(&addr).unwrap())
        .collect();
    let mut refused = std::net::TcpStream::connect(&addr).unwrap();
    refused
        .set_read_timeout(Some(std::time::Duration::from_secs(30)))
        .unwrap();
    let mut out = String::new();
    refused.read_to_string(&mut out).unwrap();
    assert!(
        out.starts_with("HTTP/1.1 503 Service Unavailable\r\n"),
        "{out}"
    );
    drop(held);
    let _ = child.kill();
    let _ = child.wait();
}

/// With `--config` and no `--state`, `pvm block` and `pvm receipt` use the
/// config's `storage_dir`, relative to the config file's directory.
#[test]
fn config_storage_dir_is_the_default_state() {
    let dir = temp_dir("storage-dir");
    std::fs::create_dir_all(&dir).unwrap();
    let config = dir.join("pvm.toml");
    std::fs::write(&config, "enabled = true\nstorage_dir = \"chain\"\n").unwrap();
    let config = config.to_str().unwrap();
    let counter = contracts().join("counter.py");
    let (deploy, stderr) = tx(&[
        "tx",
        "deploy",
        counter.to_str().unwrap(),
        "--key-seed",
        "3",
        "--nonce",
        "0",
    ]);
    let addr = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    let (call, _) = tx(&[
        "tx",
        "call",
        &addr,
        "--key-seed",
        "3",
        "--nonce",
        "1",
        "--input",
        "4",
    ]);
    let mut hashes = Vec::new();
    for (i, line) in [deploy, call].iter().enumerate() {
        let file = dir.join(format!("b{i}.txt"));
        std::fs::write(&file, format!("{line}\n")).unwrap();
        let (code, stdout, stderr) = pvm(&[
            "block",
            file.to_str().unwrap(),
            "--config",
            config,
            "--json",
        ]);
        assert_eq!(code, 0, "{stderr}");
        let r: Value = serde_json::from_str(stdout.trim()).unwrap();
        // The second block extends the first: the state was kept.
        assert_eq!(r["height"], i as u64 + 1, "{r}");
        hashes.push(r["receipts"][0]["tx_hash"].as_str().unwrap().to_owned());
    }
    assert!(
        dir.join("chain").is_dir(),
        "state not under the config's directory"
    );
    let (code, stdout, stderr) = pvm(&["receipt", &hashes[1], "--config", config, "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["height"], 2);
    assert_eq!(r["receipt"]["output_hex"], hex::encode("4"));
    // --state still wins over the config.
    let other = dir.join("other");
    let (code, _, _) = pvm(&[
        "receipt",
        &hashes[1],
        "--config",
        config,
        "--state",
        other.to_str().unwrap(),
    ]);
    assert_ne!(code, 0);
    let (code, _, stderr) = pvm(&["receipt", &hashes[1]]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("--state") && stderr.contains("--config"),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// The demo's usage mistakes say what to write instead, and an empty demo
/// reports the root it really committed.
#[test]
fn demo_errors_point_at_the_fix() {
    let (code, _, stderr) = pvm(&["demo", "--txs", "1", "--metrics-addr", "9100"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("IP:PORT") && stderr.contains("127.0.0.1:9100"),
        "{stderr}"
    );

    let (code, stdout, stderr) = pvm(&["demo", "--txs", "0", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["blocks"], 0);
    assert_ne!(r["state_root"], hex::encode([0u8; 32]), "{r}");

    let dir = temp_dir("demo-reused");
    let state = dir.to_str().unwrap();
    let (code, _, stderr) = pvm(&["demo", "--txs", "2", "--state", state]);
    assert_eq!(code, 0, "{stderr}");
    let (code, _, stderr) = pvm(&["demo", "--txs", "2", "--state", state]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("fresh") && stderr.contains(state),
        "{stderr}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// `pvm config check FILE` prints the effective configuration (defaults
/// filled in, paths resolved) as TOML that loads back to the same values,
/// and refuses a bad file naming the key.
#[test]
fn config_check_prints_the_effective_configuration() {
    use pvm_plugin::config::PvmConfig;
    let shipped = contracts().join("../../config/pvm.toml");
    let dir = temp_dir("config-check");
    std::fs::create_dir_all(&dir).unwrap();
    let partial = dir.join("partial.toml");
    std::fs::write(&partial, "enabled = true\n[pool]\nsize = 3\n").unwrap();
    for file in [&shipped, &partial] {
        let (code, stdout, stderr) = pvm(&["config", "check", file.to_str().unwrap()]);
        assert_eq!(code, 0, "{stderr}");
        let printed = PvmConfig::from_toml(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}"));
        assert_eq!(printed, PvmConfig::load(file).unwrap(), "{stdout}");
        assert!(stdout.contains("block_gas_limit = 2000000000"), "{stdout}");
    }
    let (_, stdout, _) = pvm(&["config", "check", partial.to_str().unwrap()]);
    assert!(stdout.contains("size = 3"), "{stdout}");
    let storage = dir.join("pvm-data");
    assert!(stdout.contains(storage.to_str().unwrap()), "{stdout}");

    let bad = dir.join("bad.toml");
    std::fs::write(&bad, "[pool]\nsize = 0\n").unwrap();
    let (code, _, stderr) = pvm(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("pool.size"), "{stderr}");
    std::fs::write(&bad, "[chain]\ngas_schedule = \"nowhere.toml\"\n").unwrap();
    let (code, _, stderr) = pvm(&["config", "check", bad.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(stderr.contains("chain.gas_schedule"), "{stderr}");
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Runs `pvm` with `stdin` as its standard input.
fn pvm_with_stdin(args: &[&str], stdin: &[u8]) -> (i32, String, String) {
    use std::io::Write as _;
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pvm"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pvm");
    // Written from a thread while the output is read, and a pvm that stops
    // reading (it was given a file, or refused the input) is no error here.
    let mut pipe = child.stdin.take().unwrap();
    let stdin = stdin.to_vec();
    let writer = std::thread::spawn(move || {
        let _ = pipe.write_all(&stdin);
    });
    let out = child.wait_with_output().unwrap();
    writer.join().unwrap();
    (
        out.status.code().expect("exit code"),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn inputs_come_as_text_hex_a_file_or_stdin() {
    let echo = temp_contract("echo.py", "def main(input):\n    return input\n");
    let echo = echo.to_str().unwrap();
    // The default chain's largest input, of every byte value.
    let max = pvm_plugin::config::PvmConfig::default()
        .tx_limits()
        .max_input;
    let big: Vec<u8> = (0..max).map(|i| (i % 251) as u8).collect();
    let dir = temp_dir("inputs");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("input.bin");
    std::fs::write(&file, &big).unwrap();
    let gas = "1000000000";
    for args in [
        vec!["--input-file", file.to_str().unwrap()],
        vec!["--input-file", "-"],
    ] {
        let mut all = vec!["run", echo, "--json", "--gas-limit", gas];
        all.extend(args);
        let (code, stdout, stderr) = pvm_with_stdin(&all, &big);
        assert_eq!(code, 0, "{stderr}");
        let r: Value = serde_json::from_str(stdout.trim()).unwrap();
        assert_eq!(r["output_hex"], hex::encode(&big), "{all:?}");
    }
    // Two ways at once, and an input over the chain's cap, are refused.
    let (code, _, stderr) = pvm(&["run", echo, "--input", "a", "--input-hex", "62"]);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("cannot be used with"), "{stderr}");
    let over = vec![0u8; max + 1];
    let (code, _, stderr) = pvm_with_stdin(&["run", echo, "--input-file", "-"], &over);
    assert_eq!(code, 2, "{stderr}");
    assert!(stderr.contains("max_input_bytes"), "{stderr}");
    let (code, _, stderr) = pvm(&["run", echo, "--input-file", "/nonexistent/input"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("cannot read /nonexistent/input"),
        "{stderr}"
    );

    // `pvm tx` takes the same flags: a deploy's init input from stdin, a
    // call's from a file, both signed byte for byte.
    let (deploy, _) = pvm_ok_with_stdin(
        &[
            "tx",
            "deploy",
            echo,
            "--key-seed",
            "1",
            "--nonce",
            "0",
            "--input-file",
            "-",
        ],
        b"init bytes",
    );
    let (deploy_text, _) = tx(&[
        "tx",
        "deploy",
        echo,
        "--key-seed",
        "1",
        "--nonce",
        "0",
        "--input",
        "init bytes",
    ]);
    assert_eq!(deploy, deploy_text);
    let addr = "00".repeat(32);
    let (call, _) = tx(&[
        "tx",
        "call",
        &addr,
        "--key-seed",
        "1",
        "--nonce",
        "1",
        "--input-file",
        file.to_str().unwrap(),
    ]);
    assert!(
        call.contains(&hex::encode(&big[..64])),
        "the call carries the file's bytes"
    );
}

fn pvm_ok_with_stdin(args: &[&str], stdin: &[u8]) -> (String, String) {
    let (code, stdout, stderr) = pvm_with_stdin(args, stdin);
    assert_eq!(code, 0, "{stderr}");
    (stdout.trim().to_owned(), stderr)
}

#[test]
fn run_gives_a_sender_a_timestamp_and_height_one_by_default() {
    let path = temp_contract(
        "defaults.py",
        "import pvm_host\ndef main(input):\n    c = pvm_host.context()\n    return c['sender'].hex() + ' ' + str(c['timestamp_ms']) + ' ' + str(c['block_height'])\n",
    );
    let (code, stdout, stderr) = pvm(&["run", path.to_str().unwrap(), "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    let out = String::from_utf8(hex::decode(r["output_hex"].as_str().unwrap()).unwrap()).unwrap();
    let sender = hex::encode(pvm_cli::commands::default_run_sender());
    assert_eq!(
        out,
        format!("{sender} {} 1", pvm_cli::commands::DEFAULT_RUN_TIMESTAMP_MS)
    );
    assert_eq!(sender.len(), 64, "an ed25519 public key");
    // The sender is the one `pvm tx --key-seed 0` signs as.
    let (deploy, _) = tx(&[
        "tx",
        "deploy",
        path.to_str().unwrap(),
        "--key-seed",
        "0",
        "--nonce",
        "0",
    ]);
    assert!(deploy.contains(&sender), "{deploy}");
    let (_, help, _) = pvm(&["run", "--help"]);
    for documented in ["test key", "seed 0", "--timestamp-ms", "--height"] {
        assert!(
            help.contains(documented),
            "run --help lacks {documented:?}:\n{help}"
        );
    }
    let (_, help, _) = pvm(&["tx", "call", "--help"]);
    assert!(!help.contains("init input"), "{help}");
}

#[test]
fn a_closed_stdout_ends_pvm_quietly() {
    use std::process::Stdio;
    // 5,000 log lines, and a reader that takes none of them.
    let path = temp_contract(
        "loud.py",
        "def main(input):\n    for i in range(5000):\n        print('line', i)\n    return b''\n",
    );
    let mut child = Command::new(env!("CARGO_BIN_EXE_pvm"))
        .args(["run", path.to_str().unwrap(), "--gas-limit", "100000000"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(
        out.status.code(),
        Some(pvm_cli::commands::EXIT_BROKEN_PIPE),
        "{stderr}"
    );
}

#[test]
fn contract_text_is_printed_with_control_characters_escaped() {
    let path = temp_contract(
        "forge.py",
        "import pvm_host\ndef main(input):\n    print('\\x1b[2J\\nstatus:   success')\n    raise ValueError('x\\nstatus:   success')\n",
    );
    let (code, stdout, _) = pvm(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert_eq!(
        stdout.lines().filter(|l| l.starts_with("status:")).count(),
        1,
        "{stdout}"
    );
    assert!(!stdout.contains('\x1b'), "{stdout:?}");
    assert!(
        stdout.contains("ValueError: x\\nstatus:   success"),
        "{stdout}"
    );
}

#[test]
fn block_files_take_trailing_comments_and_receipts_show_logs() {
    let path = temp_contract(
        "logger.py",
        "def main(input):\n    print('hello from', input)\n    if input == b'boom':\n        raise ValueError('no')\n    return b'ok'\n",
    );
    let (deploy, stderr) = tx(&[
        "tx",
        "deploy",
        path.to_str().unwrap(),
        "--key-seed",
        "4",
        "--nonce",
        "0",
    ]);
    let addr = stderr.trim().rsplit(' ').next().unwrap().to_owned();
    let call = |nonce: &str, input: &str| {
        tx(&[
            "tx",
            "call",
            &addr,
            "--key-seed",
            "4",
            "--nonce",
            nonce,
            "--input",
            input,
        ])
        .0
    };
    let (hi, boom) = (call("1", "hi"), call("2", "boom"));
    let dir = temp_dir("comments");
    let file = dir.with_extension("txs");
    std::fs::write(
        &file,
        format!("# a block\n{deploy}  # deploy it\n{hi}\t# say hi\n\n{boom} # and fail\n"),
    )
    .unwrap();
    let (code, stdout, stderr) = pvm(&[
        "block",
        file.to_str().unwrap(),
        "--state",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(code, 1, "a failed transaction exits 1: {stdout}{stderr}");
    assert!(
        stdout.starts_with("block 1: 3 transactions, 1 failed"),
        "{stdout}"
    );
    assert!(stdout.contains("    log: hello from b'hi'"), "{stdout}");
    assert!(
        stdout.contains("    log: hello from b'boom'"),
        "logs of a failed call: {stdout}"
    );
    let (_, help, _) = pvm(&["block", "--help"]);
    assert!(
        help.contains("Exit status: 0 when every transaction succeeded; 1 when"),
        "{help}"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}

#[test]
fn state_that_is_a_file_is_not_a_directory() {
    let file = temp_contract("not-a-dir", "x");
    let token = contracts().join("counter.py");
    let (code, _, stderr) = pvm(&[
        "run",
        token.to_str().unwrap(),
        "--state",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a directory"), "{stderr}");
    let txs = temp_contract("empty.txs", "\n");
    let (code, _, stderr) = pvm(&[
        "block",
        txs.to_str().unwrap(),
        "--state",
        file.to_str().unwrap(),
    ]);
    assert_eq!(code, 2);
    assert!(stderr.contains("is not a directory"), "{stderr}");
}

#[test]
fn deploying_a_module_without_an_entry_point_is_refused() {
    let deploy = |file: &Path, extra: &[&str]| {
        let mut args = vec![
            "tx",
            "deploy",
            file.to_str().unwrap(),
            "--key-seed",
            "1",
            "--nonce",
            "0",
        ];
        args.extend_from_slice(extra);
        pvm(&args)
    };
    let lib = temp_contract("lib.py", "def helper(x):\n    return x\n");
    let (code, stdout, stderr) = deploy(&lib, &[]);
    assert_eq!(code, 2, "{stdout}");
    assert!(stdout.is_empty(), "no transaction printed: {stdout}");
    assert!(
        stderr.contains("defines no main(input) function and no Actor class")
            && stderr.contains("--allow-no-entry"),
        "{stderr}"
    );
    let (code, stdout, _) = deploy(&lib, &["--allow-no-entry"]);
    assert_eq!(code, 0);
    assert!(hex::decode(stdout.trim()).is_ok(), "{stdout}");
    let actor = temp_contract(
        "actor.py",
        "from pvm_sdk import Actor\nclass Token(Actor):\n    pass\n",
    );
    let (code, _, stderr) = deploy(&actor, &[]);
    assert_eq!(code, 0, "{stderr}");
}

#[test]
fn the_digit_limit_message_does_not_send_contracts_to_sys() {
    let path = temp_contract(
        "digits.py",
        "def main(input):\n    return str(10 ** 5000).encode()\n",
    );
    let (code, stdout, _) = pvm(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(
        stdout
            .contains("ValueError: Exceeds the limit (4300 digits) for integer string conversion"),
        "{stdout}"
    );
    assert!(!stdout.contains("sys."), "{stdout}");
}

#[test]
fn block_errors_name_the_line_and_the_setting() {
    let big = temp_contract(
        "big-source.py",
        &format!(
            "def main(input):\n    return b''\n{}\n",
            "#".repeat(300_000)
        ),
    );
    let (huge, _) = tx(&[
        "tx",
        "deploy",
        big.to_str().unwrap(),
        "--key-seed",
        "6",
        "--nonce",
        "0",
    ]);
    let small = contracts().join("counter.py");
    let (ok, _) = tx(&[
        "tx",
        "deploy",
        small.to_str().unwrap(),
        "--key-seed",
        "6",
        "--nonce",
        "0",
    ]);
    let (greedy, _) = tx(&[
        "tx",
        "deploy",
        small.to_str().unwrap(),
        "--key-seed",
        "7",
        "--nonce",
        "0",
        "--gas-limit",
        "999999999999",
    ]);
    let file = temp_contract("errors.txs", &format!("# first\n{ok}\n{huge}\n"));
    let (code, _, stderr) = pvm(&["block", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("errors.txs:3: transaction of ")
            && stderr.contains("max_code_bytes + max_input_bytes"),
        "{stderr}"
    );
    let file = temp_contract("greedy.txs", &format!("{ok}\n\n{greedy}\n"));
    let (code, _, stderr) = pvm(&["block", file.to_str().unwrap()]);
    assert_eq!(code, 2);
    assert!(
        stderr
            .contains("greedy.txs:3: invalid transaction: gas limit 999999999999 is outside 1..=")
            && stderr.contains("(the chain's tx_gas_limit)"),
        "{stderr}"
    );
}

#[test]
fn run_on_a_chain_deploys_once_then_calls_and_state_reads_it() {
    let dir = temp_dir("run-chain");
    let file = temp_dir("run-chain-src").with_extension("py");
    std::fs::copy(contracts().join("counter.py"), &file).unwrap();
    let run = |extra: &[&str]| {
        let mut args = vec![
            "run",
            file.to_str().unwrap(),
            "--state",
            dir.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        pvm(&args)
    };
    let (code, stdout, stderr) = run(&["--input", "5"]);
    assert_eq!(code, 0, "{stdout}{stderr}");
    let addr = stderr
        .lines()
        .find_map(|l| l.strip_prefix("deployed "))
        .and_then(|l| l.rsplit(' ').next())
        .expect(&stderr)
        .to_owned();
    let (code, stdout, stderr) = run(&["--input", "2", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    assert!(
        !stderr.contains("deployed"),
        "the second run calls: {stderr}"
    );
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["output_hex"], hex::encode("7"));
    // The chain is the one `pvm block` and `pvm state` use.
    let (code, stdout, _) = pvm(&["state", &addr, "count", "--state", dir.to_str().unwrap()]);
    assert_eq!((code, stdout.trim()), (0, r#""count" = "7""#));
    let (_, stdout, _) = pvm(&["state", &addr, "--state", dir.to_str().unwrap(), "--json"]);
    let j: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(j["entries"][0]["key_hex"], hex::encode("count"));
    assert_eq!(j["entries"][0]["value_hex"], hex::encode("7"));
    let (code, stdout, _) = pvm(&["state", &addr, "nope", "--state", dir.to_str().unwrap()]);
    assert_eq!((code, stdout.trim()), (1, r#""nope" = (not set)"#));
    let (code, _, stderr) = pvm(&["state", &"00".repeat(32), "--state", dir.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stderr.contains("no contract at"), "{stderr}");
    // The chain's limits hold: an endless loop cannot ask for more gas than a
    // transaction may have.
    let (code, _, stderr) = run(&["--gas-limit", "18446744073709551615"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("(the chain's tx_gas_limit)"), "{stderr}");
    let (code, _, stderr) = run(&["--sender", "00"]);
    assert_eq!(code, 2, "{stderr}");
    // An edited file is not silently a new contract.
    std::fs::write(
        &file,
        std::fs::read_to_string(&file).unwrap() + "# edited\n",
    )
    .unwrap();
    let (code, _, stderr) = run(&["--input", "1"]);
    assert_eq!(code, 2);
    assert!(
        stderr.contains("changed since its first run") && stderr.contains("--redeploy"),
        "{stderr}"
    );
    let (code, stdout, stderr) = run(&["--input", "1", "--redeploy", "--json"]);
    assert_eq!(code, 0, "{stderr}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(
        r["output_hex"],
        hex::encode("1"),
        "a new contract starts empty"
    );
    assert!(stderr.contains("deployed "), "{stderr}");
    let (_, stdout, _) = pvm(&["state", &addr, "count", "--state", dir.to_str().unwrap()]);
    assert_eq!(
        stdout.trim(),
        r#""count" = "7""#,
        "the old contract keeps its state"
    );
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_file(&file);
}
