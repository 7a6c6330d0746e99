//! The receipt `pvm run` prints: the outcome of one local call, with its debug log.
//!
//! The JSON form is one object:
//! `{"status": "success"|"failure", "output_hex": "...", "gas_used": N,
//!   "events": [{"topic": "...", "data_hex": "..."}], "logs": ["..."],
//!   "error": null | {"kind": "...", "message": "...", "line": N|null}}`.

use pvm_chain::receipt::{Receipt, TxError, TxStatus};
use pvm_host::Event;
use pvm_runtime::Execution;
use serde_json::{json, Value};

/// The outcome of one transaction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunReceipt {
    /// Output bytes (empty on failure).
    pub output: Vec<u8>,
    /// Gas consumed, including for failed transactions.
    pub gas_used: u64,
    /// Events emitted (none when the transaction failed: they revert with state).
    pub events: Vec<Event>,
    /// Debug log lines printed by the contract (kept on failure too).
    pub logs: Vec<String>,
    /// Why the transaction failed, if it did.
    pub error: Option<TxError>,
}

impl RunReceipt {
    /// Builds a receipt from an execution, the gas it used and the events it kept.
    pub fn new(execution: Execution, gas_used: u64, events: Vec<Event>) -> Self {
        let (output, error, events) = match execution.result {
            Ok(out) => (out, None, events),
            Err(e) => {
                let error = TxError {
                    kind: e.kind.name().to_owned(),
                    message: e.message,
                    line: e.line,
                };
                (Vec::new(), Some(error), Vec::new())
            }
        };
        RunReceipt {
            output,
            gas_used,
            events,
            logs: execution.logs,
            error,
        }
    }

    /// The receipt a chain committed for a transaction.
    pub fn committed(r: &Receipt) -> Self {
        RunReceipt {
            output: r.output.clone(),
            gas_used: r.gas_used,
            events: r
                .events
                .iter()
                .map(|e| Event {
                    topic: e.topic.clone(),
                    data: e.data.clone(),
                })
                .collect(),
            logs: r.logs.clone(),
            error: match r.status {
                TxStatus::Success => None,
                TxStatus::Failure => Some(r.error.clone().unwrap_or_else(|| TxError {
                    kind: "Internal".to_owned(),
                    message: "failed without an error".to_owned(),
                    line: None,
                })),
            },
        }
    }

    /// Whether the transaction succeeded.
    pub fn success(&self) -> bool {
        self.error.is_none()
    }

    /// The receipt as the JSON object documented above.
    pub fn to_json(&self) -> Value {
        json!({
            "status": if self.success() { "success" } else { "failure" },
            "output_hex": hex::encode(&self.output),
            "gas_used": self.gas_used,
            "events": self.events.iter().map(|e| json!({
                "topic": e.topic,
                "data_hex": hex::encode(&e.data),
            })).collect::<Vec<_>>(),
            "logs": self.logs,
            "error": self.error.as_ref().map(|e| json!({
                "kind": e.kind,
                "message": e.message,
                "line": e.line,
            })),
        })
    }

    /// The receipt as human-readable text.
    pub fn to_text(&self) -> String {
        let mut s = String::new();
        let status = if self.success() { "success" } else { "failure" };
        s.push_str(&format!("status:   {status}\n"));
        s.push_str(&format!("gas used: {}\n", self.gas_used));
        s.push_str(&format!("output:   {}\n", printable(&self.output)));
        if let Some(e) = &self.error {
            let line = e.line.map(|l| format!(" (line {l})")).unwrap_or_default();
            s.push_str(&format!(
                "error:    {}{}: {}\n",
                escaped(&e.kind),
                line,
                escaped(&e.message)
            ));
        }
        s.push_str(&format!("events:   {}\n", self.events.len()));
        for e in &self.events {
            s.push_str(&format!("  {} {}\n", escaped(&e.topic), printable(&e.data)));
        }
        if !self.logs.is_empty() {
            s.push_str("logs:\n");
            for l in &self.logs {
                s.push_str(&format!("  | {}\n", escaped(l)));
            }
        }
        s
    }
}

/// Contract-controlled text (logs, topics, messages) for a terminal: control
/// characters are written as escapes (`\n`, `\u{1b}`), so a contract cannot
/// forge lines of the receipt or drive the terminal.
pub fn escaped(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    text.chars()
        .map(|c| {
            if c.is_control() {
                c.escape_default().to_string()
            } else {
                c.to_string()
            }
        })
        .collect()
}

/// Bytes shown as text when they are printable UTF-8, as hex otherwise.
pub fn printable(b: &[u8]) -> String {
    match std::str::from_utf8(b) {
        Ok(t) if !t.chars().any(|c| c.is_control()) => format!("{t:?}"),
        _ => format!("0x{}", hex::encode(b)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pvm_runtime::{ErrorKind, ExecError};

    #[test]
    fn control_characters_are_escaped_in_text() {
        let exec = Execution {
            result: Err(ExecError {
                kind: ErrorKind::Exception,
                message: "ValueError: a\nstatus:   success".into(),
                line: None,
            }),
            logs: vec!["\u{1b}[2Jcleared\ttab".into(), "café".into()],
        };
        let text = RunReceipt::new(exec, 1, vec![]).to_text();
        assert!(text.contains("ValueError: a\\nstatus:   success"), "{text}");
        assert!(text.contains("| \\u{1b}[2Jcleared\\ttab"), "{text}");
        assert!(text.contains("| café"), "non-ASCII text is kept: {text}");
        assert_eq!(text.lines().filter(|l| l.starts_with("status:")).count(), 1);
    }

    #[test]
    fn failure_drops_events_keeps_logs() {
        let exec = Execution {
            result: Err(ExecError {
                kind: ErrorKind::Exception,
                message: "ValueError: no".into(),
                line: Some(3),
            }),
            logs: vec!["hi".into()],
        };
        let r = RunReceipt::new(
            exec,
            7,
            vec![Event {
                topic: "t".into(),
                data: vec![1],
            }],
        );
        let j = r.to_json();
        assert_eq!(j["status"], "failure");
        assert_eq!(j["events"].as_array().unwrap().len(), 0);
        assert_eq!(j["logs"][0], "hi");
        assert_eq!(j["error"]["line"], 3);
        assert_eq!(j["error"]["kind"], "Exception");
    }
}
