//! The PVM side: programs executed on interpreters with different histories.
//!
//! | history | how |
//! |---|---|
//! | [`run_fresh`] | a new interpreter for every program |
//! | [`run_shared`] | one interpreter for all programs, in order |
//! | [`run_on_pool`] (warmed) | pool worker 0 after [`WARMUP_CALLS`] other calls: generated programs from another seed range mixed with contracts that pollute, fail, run out of gas or memory, and recurse |
//! | [`run_on_pool`] (churned) | pool worker 1, with the process heap fragmented by Rust allocations of many sizes and a contract that allocates and frees before every program |
//!
//! A second process is [`run_shared`] in the `pvm-difftest` binary
//! (`pvm-difftest receipts`). Receipts from all of them must be byte-identical.

use std::time::Duration;

use pvm_host::MemoryHost;
use pvm_runtime::{on_interpreter_thread, InterpreterPool, PvmInterpreter, RuntimeConfig};

use super::{host, Failure, Receipt};
use crate::progen::{self, Program};

/// Calls a pool worker serves before the programs under test.
pub const WARMUP_CALLS: usize = 1_000;

/// The receipt of one call of `program` on `vm` with a fresh host.
pub fn receipt_of(vm: &mut PvmInterpreter, program: &Program) -> Receipt {
    let mut h = host();
    let exec = vm.execute(&mut h, program.source().as_bytes(), &program.input);
    to_receipt(exec, &h)
}

fn to_receipt(exec: pvm_runtime::Execution, h: &MemoryHost) -> Receipt {
    Receipt {
        result: exec.result.map_err(|e| Failure {
            kind: e.kind.name().to_owned(),
            message: e.message,
            line: e.line,
        }),
        logs: exec.logs,
        events: h
            .events()
            .iter()
            .map(|e| (e.topic.clone(), e.data.clone()))
            .collect(),
        state: h
            .state()
            .iter()
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect(),
        gas_used: Some(h.gas_used()),
    }
}

/// All programs on one interpreter, in order.
pub fn run_shared(programs: &[Program]) -> Vec<Receipt> {
    let programs = programs.to_vec();
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        programs.iter().map(|p| receipt_of(&mut vm, p)).collect()
    })
    .expect("interpreter thread")
}

/// Every program on an interpreter of its own.
pub fn run_fresh(programs: &[Program]) -> Vec<Receipt> {
    let programs = programs.to_vec();
    on_interpreter_thread(move || {
        programs
            .iter()
            .map(|p| receipt_of(&mut PvmInterpreter::new(), p))
            .collect()
    })
    .expect("interpreter thread")
}

/// Contracts mixed into the warm-up: each tries to leave a trace behind or
/// ends in a way generated programs do not.
const WARMUP_CONTRACTS: &[(&str, u64)] = &[
    ("def main(input):\n    len.__self__.len = lambda x: 42\n    len.__self__.repr = str\n", 0),
    ("import pvm_host\ndef main(input):\n    pvm_host.get_state = lambda k: b'x'\n    pvm_host.context = None\n", 0),
    ("import itertools\ndef main(input):\n    itertools.islice = None\n    del itertools.count\n", 0),
    ("def main(input):\n    __builtins__.print = None\n    __builtins__.sorted = reversed\n", 0),
    ("class Evil:\n    def __del__(self):\n        print('late')\nkeep = [Evil()]\ndef main(input):\n    keep.append(keep)\n    return 'x' * 1000\n", 0),
    ("def main(input):\n    while True:\n        pass\n", 50_000),
    ("def main(input):\n    x = [0]\n    while True:\n        x = x * 2\n", 0),
    ("def f(n):\n    return f(n + 1)\ndef main(input):\n    f(0)\n", 0),
    ("def main(input):\n    d = {str(i): i for i in range(2000)}\n    for k in list(d):\n        del d[k]\n    s = set(range(3000))\n    s.clear()\n    return str(2 ** 5000 % 7)\n", 0),
    ("def main(input):\n    raise ValueError('x' * 300)\n", 0),
    ("def main(input:\n", 0),
    ("class A:\n    pass\nA.__name__ = 'B'\nA.x = [A]\ndef main(input):\n    T = [A() for _ in range(100)]\n    return repr(len(T))\n", 0),
    ("def main(input):\n    s = 'k' * 40\n    for i in range(500):\n        setattr(type('C', (), {}), s + str(i), i)\n", 0),
    ("def main(input):\n    import pvm_host\n    pvm_host.charge_gas(10 ** 6)\n    return str(pvm_host.gas_left())\n", 0),
];

/// The warm-up call `i`: mostly programs from a seed range disjoint from the
/// tests', every seventh one of [`WARMUP_CONTRACTS`].
fn warmup_call(i: usize) -> (String, Vec<u8>, u64) {
    if i % 7 == 3 {
        let (code, gas) = WARMUP_CONTRACTS[(i / 7) % WARMUP_CONTRACTS.len()];
        let gas = if gas == 0 { super::GAS_LIMIT } else { gas };
        (code.to_owned(), b"warm".to_vec(), gas)
    } else {
        let p = progen::generate((1 << 40) + i as u64);
        (p.source(), p.input, super::GAS_LIMIT)
    }
}

/// A contract that allocates and frees objects of many sizes, run between
/// the programs on the churned worker; `round` varies the sizes.
fn churn_contract(round: usize) -> String {
    format!(
        "def main(input):\n    n = {}\n    junk = [bytes(k * 37 % 4096) for k in range(n)]\n    junk += [str(k) * (k % 50) for k in range(n)]\n    junk.append({{k: [k] * (k % 9) for k in range(n)}})\n    junk.append(2 ** (n * 8) - 1)\n    del junk[::2]\n    return str(len(junk))\n",
        50 + (round * 131) % 700
    )
}

/// Rust allocations of many sizes, half of them freed at once: the heap the
/// churned worker's interpreter then allocates from is fragmented differently.
fn fragment_heap() -> Vec<Vec<u8>> {
    let mut rng = progen::Rng::new(0xa110c);
    let mut kept = Vec::new();
    for i in 0..4_000 {
        let size = match rng.below(4) {
            0 => rng.below(64),
            1 => rng.below(4096),
            2 => rng.below(65_536),
            _ => rng.below(1 << 20),
        };
        let block = vec![i as u8; size];
        if rng.chance(50) {
            kept.push(block);
        }
    }
    kept
}

/// Receipts from the two pool histories: `(warmed, churned)`.
pub fn run_on_pool(programs: &[Program]) -> (Vec<Receipt>, Vec<Receipt>) {
    let pool = InterpreterPool::new(2, RuntimeConfig::default()).expect("interpreter pool");
    let wait = Duration::from_secs(60);
    let mut warm = pool.checkout(wait).expect("first worker");
    let mut churn = pool.checkout(wait).expect("second worker");
    assert_ne!(warm.worker(), churn.worker(), "two leases, two workers");
    let warmed = warm
        .run(|vm| {
            for i in 0..WARMUP_CALLS {
                let (code, input, gas) = warmup_call(i);
                let mut h = MemoryHost::new(super::context(), gas);
                let _ = vm.execute(&mut h, code.as_bytes(), &input);
            }
            programs
                .iter()
                .map(|p| receipt_of(vm, p))
                .collect::<Vec<_>>()
        })
        .expect("warmed worker");
    let churned = churn
        .run(|vm| {
            let kept = fragment_heap();
            let receipts = programs
                .iter()
                .enumerate()
                .map(|(i, p)| {
                    let mut h = host();
                    let _ = vm.execute(&mut h, churn_contract(i).as_bytes(), b"");
                    receipt_of(vm, p)
                })
                .collect::<Vec<_>>();
            drop(kept);
            receipts
        })
        .expect("churned worker");
    (warmed, churned)
}

/// Canonical receipts ([`Receipt::encode`]) of the programs for `seeds`,
/// computed by `pvm-difftest receipts` at `exe` in a process of its own.
pub fn second_process(
    exe: &std::path::Path,
    seeds: std::ops::Range<u64>,
) -> Result<Vec<Vec<u8>>, String> {
    let out = std::process::Command::new(exe)
        .args([
            "receipts",
            "--seeds",
            &format!("{}..{}", seeds.start, seeds.end),
        ])
        .output()
        .map_err(|e| format!("cannot run {}: {e}", exe.display()))?;
    if !out.status.success() {
        return Err(String::from_utf8_lossy(&out.stderr).into_owned());
    }
    let text = String::from_utf8(out.stdout).map_err(|e| e.to_string())?;
    let receipts: Vec<Vec<u8>> = text
        .lines()
        .zip(seeds.clone())
        .map(|(line, seed)| {
            let (s, r): (u64, String) = serde_json::from_str(line).map_err(|e| e.to_string())?;
            if s != seed {
                return Err(format!("receipt for seed {s}, expected {seed}"));
            }
            Ok(r.into_bytes())
        })
        .collect::<Result<_, String>>()?;
    if receipts.len() != seeds.clone().count() {
        return Err(format!(
            "{} receipts for {} seeds",
            receipts.len(),
            seeds.count()
        ));
    }
    Ok(receipts)
}
