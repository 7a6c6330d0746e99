//! One warm interpreter for the interpreter targets, on a thread of its own.
//!
//! A [`PvmInterpreter`] needs a thread with [`pvm_runtime::sandbox::STACK_SIZE`]
//! of stack, and libFuzzer calls a target on its main thread, so the targets
//! send each contract to one long-lived worker thread and wait for the answer.
//! Reusing one interpreter across inputs is the point: it is how a validator's
//! pool runs contracts, so leftovers of one input that change the next one's
//! result are findings too.
//!
//! [`run_twice`] runs a contract twice, each time against a fresh
//! [`MemoryHost`], and panics if the two runs differ in any byte (output, error,
//! logs, gas, state, events) or if the interpreter panicked (the runtime turns
//! a panic into an `Internal` error whose message says so).

use std::collections::BTreeMap;
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Mutex, OnceLock};

use pvm_host::{Bytes, HostContext, MemoryHost};
use pvm_runtime::{ErrorKind, ExecError, PvmInterpreter};

/// Gas each run of an interpreter target gets beyond compiling its contract
/// ([`fuzz_gas_limit`]): a few milliseconds of work, so the gas limit, not
/// libFuzzer's timeout, ends every loop.
pub const FUZZ_GAS_LIMIT: u64 = 1_000_000;

/// The gas limit of a run of `code`: what compiling it costs (every run is
/// outside a block, so each pays for compiling) plus [`FUZZ_GAS_LIMIT`].
pub fn fuzz_gas_limit(code: &[u8]) -> u64 {
    pvm_gas::GasSchedule::default()
        .compile(code.len())
        .saturating_add(FUZZ_GAS_LIMIT)
}

/// Largest contract the interpreter targets run, as a transaction may carry
/// ([`pvm_plugin::tx::TxLimits`]'s default code limit).
pub const MAX_CODE: usize = 64 * 1024;

/// The text the runtime puts in the error of a call whose interpreter panicked.
const PANIC_MARKER: &str = "the interpreter panicked";

/// Everything a run produced that a receipt or the chain could see.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Outcome {
    /// Output bytes or the error.
    pub result: Result<Bytes, ExecError>,
    /// Lines printed.
    pub logs: Vec<String>,
    /// Gas used.
    pub gas_used: u64,
    /// State after the call.
    pub state: BTreeMap<Bytes, Bytes>,
    /// Events emitted, as (topic, data).
    pub events: Vec<(String, Bytes)>,
}

struct Job {
    code: Vec<u8>,
    input: Vec<u8>,
    reply: Sender<Result<[Outcome; 2], String>>,
}

fn worker() -> &'static Mutex<Sender<Job>> {
    static WORKER: OnceLock<Mutex<Sender<Job>>> = OnceLock::new();
    WORKER.get_or_init(|| {
        let (send, recv) = channel::<Job>();
        std::thread::Builder::new()
            .name("pvm-fuzz-interpreter".into())
            .stack_size(pvm_runtime::sandbox::STACK_SIZE)
            .spawn(move || serve(recv))
            .expect("cannot start the interpreter thread");
        Mutex::new(send)
    })
}

fn serve(jobs: Receiver<Job>) {
    let mut vm = PvmInterpreter::new();
    for job in jobs {
        let first = run_once(&mut vm, &job.code, &job.input);
        let second = run_once(&mut vm, &job.code, &job.input);
        // The receiver is gone only if the caller panicked; nothing to report to.
        let _ = job.reply.send(Ok([first, second]));
    }
}

/// The block and transaction every fuzzed call runs in.
pub fn fuzz_context() -> HostContext {
    HostContext {
        block_height: 7,
        block_hash: [0xb1; 32],
        tx_hash: [0x7a; 32],
        sender: vec![0x5e; 32],
        timestamp_ms: 1_700_000_000_000,
    }
}

fn run_once(vm: &mut PvmInterpreter, code: &[u8], input: &[u8]) -> Outcome {
    let mut host = MemoryHost::new(fuzz_context(), fuzz_gas_limit(code));
    let execution = vm.execute(&mut host, code, input);
    let gas_used = host.gas_used();
    let (state, events) = host.into_parts();
    Outcome {
        result: execution.result,
        logs: execution.logs,
        gas_used,
        state,
        events: events.into_iter().map(|e| (e.topic, e.data)).collect(),
    }
}

/// Runs `code`'s `main(input)` twice on the shared interpreter and returns the
/// outcome, panicking if the interpreter panicked or the two runs differ.
pub fn run_twice(code: &[u8], input: &[u8]) -> Outcome {
    let (reply, answer) = channel();
    worker()
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .send(Job {
            code: code.to_vec(),
            input: input.to_vec(),
            reply,
        })
        .expect("the interpreter thread is gone");
    let [first, second] = answer
        .recv()
        .expect("the interpreter thread died")
        .unwrap_or_else(|e| panic!("{e}"));
    if let Err(e) = &first.result {
        assert!(
            !(e.kind == ErrorKind::Host(pvm_host::HostErrorKind::Internal)
                && e.message.contains(PANIC_MARKER)),
            "contract input reached a panic: {}\n--- contract ---\n{}",
            e.message,
            String::from_utf8_lossy(code)
        );
    }
    assert_eq!(
        first,
        second,
        "the same call on the same interpreter gave two results\n--- contract ---\n{}",
        String::from_utf8_lossy(code)
    );
    first
}
