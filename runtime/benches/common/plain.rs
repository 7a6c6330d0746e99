//! The plain-Python workloads (loops, calls, attribute work, containers,
//! exceptions, generators, small formatting) that the opcode prices were
//! calibrated on, shared by the calibration bench (its first rows) and the
//! pricing sweep (which measures the machine's aim with them: what plain code
//! earns in gas per microsecond on the machine it runs on).

use std::time::{Duration, Instant};

use pvm_host::{HostContext, MemoryHost};
use pvm_runtime::PvmInterpreter;

/// `(name, setup, body)`: `setup` runs at module level, `body` is `main`'s.
pub const PLAIN: &[(&str, &str, &str)] = &[
    ("loop: for i in range", "", "s = 0\nfor i in range(200000):\n    s += i"),
    ("loop: while", "", "i = 0\nwhile i < 200000:\n    i += 1"),
    ("calls: fib(20)", "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)", "fib(20)"),
    ("methods and attributes", "class P:\n    def __init__(self, x):\n        self.x = x\n    def get(self):\n        return self.x", "t = 0\nfor i in range(30000):\n    t += P(i).get()"),
    ("dict and list work", "", "d = {}\nfor i in range(50000):\n    d[i] = [i, i + 1]\nt = sum(len(v) for v in d.values())"),
    ("comprehensions", "", "x = [i * 2 for i in range(100000) if i % 3]\ny = {i: i for i in x}"),
    ("exceptions", "", "for i in range(20000):\n    try:\n        raise ValueError(i)\n    except ValueError:\n        pass"),
    ("generators", "def g(n):\n    for i in range(n):\n        yield i", "t = sum(g(100000))"),
    ("string formatting small", "", "for i in range(30000):\n    s = f'{i}:{i * 2}'"),
];

/// Runs of each workload; the fastest is kept.
pub const RUNS: usize = 5;

/// A contract whose module level is `setup` and whose `main` runs `body`.
pub fn contract(setup: &str, body: &str) -> String {
    let body: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("{setup}\ndef main(input):\n{body}")
}

/// Runs the contract `code(run)` [`RUNS`] times on `vm`: its gas and its
/// fastest time (the run least disturbed by the rest of the machine).
pub fn measure(
    vm: &mut PvmInterpreter,
    ctx: &HostContext,
    name: &str,
    code: impl Fn(usize) -> String,
) -> (String, u64, Duration) {
    let mut times = Vec::with_capacity(RUNS);
    let mut gas = 0;
    for run in 0..RUNS {
        let code = code(run);
        let mut host = MemoryHost::new(ctx.clone(), 5_000_000_000);
        let start = Instant::now();
        let result = vm.execute(&mut host, code.as_bytes(), b"").result;
        times.push(start.elapsed());
        if let Err(e) = result {
            panic!("{name} failed: {e}");
        }
        gas = host.gas_used();
    }
    (
        name.to_string(),
        gas,
        *times.iter().min().expect("RUNS > 0"),
    )
}

/// The host context every bench contract runs under.
pub fn context() -> HostContext {
    HostContext {
        sender: vec![1; 32],
        ..HostContext::default()
    }
}

/// [`measure`]s each `(name, setup, body)` of `suite` in one block, as on a
/// chain: each contract pays for compiling on its first run only, and the
/// rows report a later run's gas. The setup (module level) runs every time
/// too; it is part of the work.
pub fn measure_in_block<'a>(
    vm: &mut PvmInterpreter,
    ctx: &HostContext,
    suite: impl IntoIterator<Item = &'a (&'a str, &'a str, &'a str)>,
) -> Vec<(String, u64, Duration)> {
    vm.begin_block();
    let rows = suite
        .into_iter()
        .map(|(name, setup, body)| {
            let code = contract(setup, body);
            measure(vm, ctx, name, |_| code.clone())
        })
        .collect();
    vm.end_block();
    rows
}

/// Median gas per microsecond of the [`PLAIN`] workloads on `vm`.
#[allow(dead_code)] // the calibration bench prints the rows instead
pub fn aim(vm: &mut PvmInterpreter) -> f64 {
    let mut rates: Vec<f64> = measure_in_block(vm, &context(), PLAIN)
        .into_iter()
        .map(|(_, gas, time)| gas as f64 / (time.as_secs_f64() * 1e6))
        .collect();
    rates.sort_by(f64::total_cmp);
    rates[rates.len() / 2]
}
