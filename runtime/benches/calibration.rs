//! Calibration: is gas an honest price of time?
//!
//! Runs a suite of contracts — plain Python (loops, calls, attribute work,
//! containers), host calls, and every kind of bulk work the schedule prices —
//! on one warm interpreter, and prints for each the gas it used, the time it
//! took (median of several runs) and gas per microsecond. The schedule is honest
//! when the spread (max/min of gas per microsecond) is small; the target is 3x.
//! The compile rows run contracts that are almost all module body (about 32
//! KiB of definitions, literals, nesting), each run a new text outside a block
//! (so each run pays for compiling it), so they price compiling and running a
//! module's top level per byte of source. The other rows run in one block: each
//! pays for compiling on its first run only.
//!
//! `cargo bench -p pvm-runtime --bench calibration`

/// The allocator the `pvm` binary uses, so the numbers are the node's.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use pvm_runtime::{on_interpreter_thread, PvmInterpreter};

#[path = "common/plain.rs"]
mod plain;

/// The rows after [`plain::PLAIN`]: host calls and every kind of bulk work,
/// as `(name, setup, body)` like those.
const BULK: &[(&str, &str, &str)] = &[
    ("host calls: token-like x200 (priced for storage, not time)", "import pvm_host", "for i in range(200):\n    k = b'bal' + str(i % 10).encode()\n    v = int(pvm_host.get_state(k) or b'0')\n    pvm_host.set_state(k, str(v + 1).encode())\n    pvm_host.emit_event('T', k)"),
    ("bulk: str concat 1 MB", "s = 'x' * 1000000", "for i in range(20):\n    t = s + s"),
    ("bulk: str repeat", "", "for i in range(20):\n    t = 'ab' * 1000000"),
    ("bulk: list repeat", "", "for i in range(20):\n    t = [None] * 1000000"),
    ("bulk: list concat", "l = list(range(200000))", "for i in range(20):\n    t = l + l"),
    ("bulk: join", "parts = ['abc'] * 200000", "for i in range(10):\n    t = ','.join(parts)"),
    ("bulk: split", "s = 'a,' * 200000", "for i in range(10):\n    t = s.split(',')"),
    ("bulk: replace", "s = 'a' * 1000000", "for i in range(10):\n    t = s.replace('a', 'bb')"),
    ("bulk: find", "s = 'a' * 1000000", "for i in range(50):\n    s.find('b')"),
    ("bulk: in str", "s = 'a' * 1000000", "for i in range(50):\n    'b' in s"),
    ("bulk: in list", "l = list(range(100000))", "for i in range(50):\n    -1 in l"),
    ("bulk: sorted", "l = [(i * 7919) % 100003 for i in range(100000)]", "for i in range(10):\n    t = sorted(l)"),
    ("bulk: list(range)", "", "for i in range(10):\n    t = list(range(1000000))"),
    ("bulk: sum(range)", "", "t = sum(range(2000000))"),
    ("bulk: set(range)", "", "for i in range(10):\n    t = set(range(100000))"),
    ("bulk: hash bytes", "b = b'z' * 1000000", "for i in range(50):\n    hash(b)"),
    ("bulk: str ==", "s = 'q' * 1000000\nu = 'q' * 1000000", "for i in range(50):\n    s == u"),
    ("bulk: upper", "s = 'a' * 1000000", "for i in range(20):\n    s.upper()"),
    ("bulk: repr list", "l = list(range(100000))", "for i in range(5):\n    repr(l)"),
    ("bulk: format width", "", "for i in range(50):\n    format(1, '>200000')"),
    ("bulk: int * int", "x = 3 ** 100000", "for i in range(20):\n    y = x * x"),
    ("bulk: int // int", "x = 7 ** 200000\ny = 3 ** 50000", "for i in range(20):\n    z = x // y"),
    ("bulk: int ** e", "", "for i in range(5):\n    y = 3 ** 200000"),
    ("bulk: pow mod", "m = 10 ** 600 + 7", "for i in range(20):\n    pow(3, 10 ** 300, m)"),
    ("bulk: str(int)", "x = 7 ** 4000", "for i in range(200):\n    s = str(x)"),
    ("bulk: hex(int)", "x = 1 << 1000000", "for i in range(50):\n    s = hex(x)"),
    ("bulk: int << n", "x = 12345", "for i in range(50):\n    y = x << 2000000"),
    ("bulk: bytes(n)", "", "for i in range(50):\n    b = bytes(1000000)"),
    ("bulk: dict collisions", "", "d = {}\nfor i in range(3000):\n    d[i * (2 ** 61 - 1)] = i"),
];

/// Source of about `bytes` bytes in one shape, for the compile rows: every
/// run compiles a new text (a unique first line), so nothing is cached.
type Shape = fn(usize) -> String;

/// `(name, shape)`: contracts whose cost is almost all compiling, about 32 KiB
/// each, in the shapes that make the parser and code generator work hardest
/// per byte. `main` itself does nothing.
const COMPILE: &[(&str, Shape)] = &[
    ("compile: assignments", |n| {
        repeat_to(n, |i| format!("v{i} = {i} + x * 2 - y\n"))
    }),
    ("compile: small functions", |n| {
        repeat_to(n, |i| {
            format!("def f{i}(a, b=1):\n    return a + b * {i}\n")
        })
    }),
    ("compile: classes with methods", |n| {
        repeat_to(n, |i| {
            format!("class C{i}:\n    def m(self, a):\n        return self.x + a\n")
        })
    }),
    ("compile: list literal", |n| {
        let mut s = String::from("L = [");
        s.push_str(&repeat_to(n, |i| format!("{},", i % 10)));
        s.push_str("]\n");
        s
    }),
    ("compile: short names, tight", |n| {
        repeat_to(n, |_| "a=b\n".to_owned())
    }),
    ("compile: nested blocks", |n| {
        repeat_to(n, |_| {
            let mut s = String::new();
            for d in 0..20 {
                s.push_str(&"    ".repeat(d));
                s.push_str("if x:\n");
            }
            s.push_str(&"    ".repeat(20));
            s.push_str("pass\n");
            s
        })
    }),
    ("compile: nested brackets", |n| {
        repeat_to(n, |_| {
            format!("x = {}1{}\n", "(".repeat(150), ")".repeat(150))
        })
    }),
    ("compile: constant folding", |n| {
        repeat_to(n, |i| {
            format!("k{i} = (2 ** 60 * 3 - {i}) // 7 + 1.5 * 2\n")
        })
    }),
];

/// Lines from `line(0)`, `line(1)`, ... until the text is `bytes` long.
fn repeat_to(bytes: usize, line: impl Fn(usize) -> String) -> String {
    let mut s = String::new();
    let mut i = 0;
    while s.len() < bytes {
        s.push_str(&line(i));
        i += 1;
    }
    s
}

/// Size of each compile row's contract.
const COMPILE_BYTES: usize = 32 * 1024;

fn main() {
    let rows = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let ctx = plain::context();
        // In one block, as on a chain (see `plain::measure_in_block`).
        let mut rows = plain::measure_in_block(&mut vm, &ctx, plain::PLAIN.iter().chain(BULK));
        // Outside a block every run pays for compiling its (new) text.
        rows.extend(COMPILE.iter().map(|(name, shape)| {
            let body = shape(COMPILE_BYTES);
            plain::measure(&mut vm, &ctx, name, |run| {
                format!("x = y = b = 1\n# run {run}\n{body}\ndef main(input):\n    pass\n")
            })
        }));
        rows
    })
    .expect("interpreter thread");

    println!(
        "| workload | gas | time (us, best of {}) | gas/us |",
        plain::RUNS
    );
    println!("|---|---:|---:|---:|");
    let mut rates = Vec::new();
    let mut compile = Vec::new();
    for (name, gas, time) in &rows {
        let us = time.as_secs_f64() * 1e6;
        let rate = *gas as f64 / us;
        println!("| {name} | {gas} | {us:.0} | {rate:.0} |");
        // Host calls are priced for the storage they cause, not for their time.
        if name.starts_with("compile") {
            compile.push(rate);
        } else if !name.starts_with("host calls") {
            rates.push((rate, name.clone()));
        }
    }
    rates.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (min, max) = (&rates[0], &rates[rates.len() - 1]);
    println!();
    println!(
        "spread max/min gas per us over the compute workloads: {:.2}x (min {:.0} {}, max {:.0} {}); target <= 3x",
        max.0 / min.0,
        min.0,
        min.1,
        max.0,
        max.1
    );
    let median = rates[rates.len() / 2].0;
    let (cmin, cmax) = compile
        .iter()
        .fold((f64::MAX, 0f64), |(lo, hi), &r| (lo.min(r), hi.max(r)));
    println!(
        "compile rows: {cmin:.0}-{cmax:.0} gas per us against a median of {median:.0} for the \
         compute workloads"
    );
}
