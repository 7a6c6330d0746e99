//! The CPython side: `python3` (which must be CPython 3.11) runs a batch of
//! programs through `harness.py` in one process and returns their receipts.

use std::io::Write;
use std::process::{Command, Stdio};

use pvm_host::HostErrorKind;
use pvm_runtime::sandbox::{ALLOWED_MODULES, RECURSION_LIMIT, REMOVED_BUILTINS};
use serde_json::{json, Value};
use thiserror::Error;

use super::{context, randomness_table, Failure, Receipt};
use crate::progen::Program;

/// The emulation of a PVM call in CPython.
pub const HARNESS: &str = include_str!("harness.py");

/// Why the CPython side could not produce receipts.
#[derive(Debug, Error)]
pub enum HarnessError {
    /// `python3` is missing or is not CPython 3.11.
    #[error("python3 must be CPython 3.11 (the reference for Python semantics): {0}")]
    Python(String),
    /// The harness failed as a whole (a bug in it, not in a program).
    #[error("the CPython harness failed: {0}")]
    Failed(String),
}

/// Checks that `python3` is CPython 3.11.
pub fn check_python() -> Result<(), HarnessError> {
    let out = Command::new("python3")
        .args([
            "-c",
            "import sys; print(sys.implementation.name, sys.version_info[:2])",
        ])
        .output()
        .map_err(|e| HarnessError::Python(e.to_string()))?;
    let text = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    if text != "cpython (3, 11)" {
        return Err(HarnessError::Python(format!("found {text:?}")));
    }
    Ok(())
}

fn config() -> Value {
    let ctx = context();
    let randomness: serde_json::Map<String, Value> = randomness_table()
        .into_iter()
        .map(|(d, r)| (hex::encode(d), Value::String(hex::encode(r))))
        .collect();
    json!({
        "context": {
            "block_height": ctx.block_height,
            "block_hash": hex::encode(ctx.block_hash),
            "tx_hash": hex::encode(ctx.tx_hash),
            "sender": hex::encode(&ctx.sender),
            "timestamp_ms": ctx.timestamp_ms,
        },
        "randomness": randomness,
        "removed_builtins": REMOVED_BUILTINS,
        "allowed_modules": ALLOWED_MODULES,
        "host_errors": HostErrorKind::ALL.iter().map(|k| k.name()).collect::<Vec<_>>(),
        "max_log_bytes": pvm_runtime::binding::MAX_LOG_BYTES,
        "recursion_limit": RECURSION_LIMIT,
    })
}

/// Runs `programs` in one CPython process and returns their receipts, in order.
pub fn run(programs: &[Program]) -> Result<Vec<Receipt>, HarnessError> {
    check_python()?;
    let job = json!({
        "config": config(),
        "programs": programs
            .iter()
            .map(|p| json!({"source": p.source(), "input": hex::encode(&p.input)}))
            .collect::<Vec<_>>(),
    });
    let mut child = Command::new("python3")
        // Not -I: it implies -E, which ignores PYTHONHASHSEED (string
        // hashes, and so set order, would change from run to run).
        .args(["-P", "-s", "-c", HARNESS])
        .env("PYTHONHASHSEED", "0")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| HarnessError::Python(e.to_string()))?;
    let input = serde_json::to_vec(&job).expect("job serializes");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let writer = std::thread::spawn(move || stdin.write_all(&input));
    let out = child
        .wait_with_output()
        .map_err(|e| HarnessError::Failed(e.to_string()))?;
    writer
        .join()
        .expect("stdin writer")
        .map_err(|e| HarnessError::Failed(format!("writing the job: {e}")))?;
    if !out.status.success() {
        return Err(HarnessError::Failed(
            String::from_utf8_lossy(&out.stderr).into_owned(),
        ));
    }
    let values: Vec<Value> = serde_json::from_slice(&out.stdout)
        .map_err(|e| HarnessError::Failed(format!("bad output: {e}")))?;
    if values.len() != programs.len() {
        return Err(HarnessError::Failed(format!(
            "{} receipts for {} programs",
            values.len(),
            programs.len()
        )));
    }
    values.iter().map(parse_receipt).collect()
}

fn parse_receipt(v: &Value) -> Result<Receipt, HarnessError> {
    let bad = |what: &str| HarnessError::Failed(format!("receipt without {what}: {v}"));
    let unhex = |s: &Value| -> Result<Vec<u8>, HarnessError> {
        hex::decode(s.as_str().ok_or_else(|| bad("hex"))?).map_err(|_| bad("valid hex"))
    };
    let result = match (&v["output"], &v["error"]) {
        (Value::String(_), _) => Ok(unhex(&v["output"])?),
        (_, Value::Object(e)) => Err(Failure {
            kind: e["kind"].as_str().ok_or_else(|| bad("kind"))?.to_owned(),
            message: e["message"]
                .as_str()
                .ok_or_else(|| bad("message"))?
                .to_owned(),
            line: e["line"].as_u64().map(|l| l as u32),
        }),
        _ => return Err(bad("output or error")),
    };
    let logs = v["logs"]
        .as_array()
        .ok_or_else(|| bad("logs"))?
        .iter()
        .map(|l| l.as_str().map(str::to_owned).ok_or_else(|| bad("log text")))
        .collect::<Result<_, _>>()?;
    let pairs = |key: &str| -> Result<Vec<(Value, Value)>, HarnessError> {
        v[key]
            .as_array()
            .ok_or_else(|| bad(key))?
            .iter()
            .map(|p| Ok((p[0].clone(), p[1].clone())))
            .collect()
    };
    let events = pairs("events")?
        .into_iter()
        .map(|(t, d)| {
            Ok((
                t.as_str().ok_or_else(|| bad("topic"))?.to_owned(),
                unhex(&d)?,
            ))
        })
        .collect::<Result<_, HarnessError>>()?;
    let state = pairs("state")?
        .into_iter()
        .map(|(k, val)| Ok((unhex(&k)?, unhex(&val)?)))
        .collect::<Result<_, HarnessError>>()?;
    Ok(Receipt {
        result,
        logs,
        events,
        state,
        gas_used: None,
    })
}
