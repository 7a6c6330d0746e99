//! Shared helpers: run contracts on an interpreter thread with a MemoryHost.

#![allow(dead_code)]

use pvm_host::{Bytes, HostApi, HostContext, HostError, MemoryHost};
use pvm_runtime::{on_interpreter_thread, ErrorKind, Execution, PvmInterpreter, RuntimeConfig};

/// Gas limit used by the tests unless they say otherwise.
pub const GAS: u64 = 50_000_000;

/// The context the tests run under.
pub fn context() -> HostContext {
    HostContext {
        block_height: 42,
        block_hash: [7; 32],
        tx_hash: [9; 32],
        sender: vec![0xab, 0xcd],
        timestamp_ms: 1_700_000_000_123,
    }
}

/// Runs one call on a fresh interpreter and host; returns the execution and host.
pub fn run(code: &str, input: &[u8]) -> (Execution, MemoryHost) {
    run_with_gas(code, input, GAS)
}

/// Like [`run`] with a gas limit.
pub fn run_with_gas(code: &str, input: &[u8], gas: u64) -> (Execution, MemoryHost) {
    let code = code.to_owned();
    let input = input.to_vec();
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context(), gas);
        let exec = vm.execute(&mut host, code.as_bytes(), &input);
        (exec, host)
    })
    .expect("interpreter thread")
}

/// Like [`run_with_gas`] on an interpreter built with `config`.
pub fn run_with_config(
    code: &str,
    input: &[u8],
    gas: u64,
    config: RuntimeConfig,
) -> (Execution, MemoryHost) {
    let code = code.to_owned();
    let input = input.to_vec();
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::with_config(config);
        let mut host = MemoryHost::new(context(), gas);
        let exec = vm.execute(&mut host, code.as_bytes(), &input);
        (exec, host)
    })
    .expect("interpreter thread")
}

/// Runs calls in order on one interpreter, each with a fresh host.
pub fn run_many(calls: Vec<(String, Vec<u8>)>) -> Vec<(Execution, MemoryHost)> {
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        calls
            .into_iter()
            .map(|(code, input)| {
                let mut host = MemoryHost::new(context(), GAS);
                let exec = vm.execute(&mut host, code.as_bytes(), &input);
                (exec, host)
            })
            .collect()
    })
    .expect("interpreter thread")
}

/// Output of a call that must succeed, as a string.
pub fn ok(code: &str) -> String {
    let (exec, _) = run(code, b"");
    match exec.result {
        Ok(out) => String::from_utf8(out).expect("utf-8 output"),
        Err(e) => panic!("contract failed: {e}\n--- code ---\n{code}"),
    }
}

/// The error of a call that must fail.
pub fn err(code: &str) -> pvm_runtime::ExecError {
    let (exec, _) = run(code, b"");
    match exec.result {
        Ok(out) => panic!(
            "contract succeeded with {:?}\n--- code ---\n{code}",
            String::from_utf8_lossy(&out)
        ),
        Err(e) => e,
    }
}

/// Asserts the call fails with an exception whose message contains `needle`.
pub fn fails_with(code: &str, needle: &str) {
    let e = err(code);
    assert_eq!(e.kind, ErrorKind::Exception, "{e}\n--- code ---\n{code}");
    assert!(
        e.message.contains(needle),
        "message {:?} lacks {needle:?}\n--- code ---\n{code}",
        e.message
    );
}

/// A host that panics when asked for the key `boom`, like a host with a bug.
pub struct PanickingHost(pub MemoryHost);

impl HostApi for PanickingHost {
    fn get_state(&mut self, key: &[u8]) -> Result<Option<Bytes>, HostError> {
        if key == b"boom" {
            panic!("host bug: asked for boom");
        }
        self.0.get_state(key)
    }
    fn set_state(&mut self, key: &[u8], value: &[u8]) -> Result<(), HostError> {
        self.0.set_state(key, value)
    }
    fn delete_state(&mut self, key: &[u8]) -> Result<(), HostError> {
        self.0.delete_state(key)
    }
    fn emit_event(&mut self, topic: &str, data: &[u8]) -> Result<(), HostError> {
        self.0.emit_event(topic, data)
    }
    fn charge_gas(&mut self, amount: u64) -> Result<(), HostError> {
        self.0.charge_gas(amount)
    }
    fn gas_left(&self) -> u64 {
        self.0.gas_left()
    }
    fn context(&self) -> &HostContext {
        self.0.context()
    }
    fn randomness(&mut self, domain: &[u8]) -> Result<[u8; 32], HostError> {
        self.0.randomness(domain)
    }
}
