//! `pvm run` end to end: receipts, JSON shape and exit codes.

use std::path::PathBuf;
use std::process::Command;

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
    assert_eq!(lines.len(), 1, "exactly one JSON line expected, got {stdout:?} / {stderr}");
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
    assert_eq!(keys, ["error", "events", "gas_used", "logs", "output_hex", "status"]);
}

#[test]
fn token_transfer_emits_event() {
    let (code, r) = run_json("token.py", &["--input", "transfer 00ff 250", "--sender", "0a0b"]);
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
    assert_eq!(r["error"]["message"], "ValueError: this contract always fails");
    assert_eq!(r["error"]["line"], 9);
}

#[test]
fn text_receipt_is_readable() {
    let path = contracts().join("fail.py");
    let (code, stdout, _) = pvm(&["run", path.to_str().unwrap()]);
    assert_eq!(code, 1);
    assert!(stdout.contains("status:   failure"), "{stdout}");
    assert!(stdout.contains("error:    Exception (line 9): ValueError: this contract always fails"), "{stdout}");
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
        let path = temp_contract(&format!("refuse{i}.py"), &format!("def main(input):\n    {body}\n"));
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
        "run", path.to_str().unwrap(), "--json", "--input-hex", "0xdead", "--sender", "beef", "--height", "7",
    ]);
    assert_eq!(code, 0, "{stdout}");
    let r: Value = serde_json::from_str(stdout.trim()).unwrap();
    assert_eq!(r["output_hex"], "deadbeef07");
}

#[test]
fn usage_and_io_errors_exit_2() {
    let (code, _, stderr) = pvm(&["run", "/nonexistent/contract.py"]);
    assert_eq!(code, 2);
    assert!(stderr.contains("cannot read /nonexistent/contract.py"), "{stderr}");
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
