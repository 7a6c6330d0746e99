//! Gas bombs: every way we know to make one instruction, one loop or one
//! allocation do unbounded work ends with `OutOfGas`, `MemoryError` or
//! `RecursionError` at the gas limit, leaves no write behind the point it
//! stopped, and costs exactly the same gas on every run and every interpreter.
//!
//! Bound: each bomb runs with a gas limit of [`LIMIT`] (or the default memory
//! limit of 64 MiB); at the calibrated rate of about one gas per nanosecond that
//! is tens of milliseconds of work. A bomb that escaped pricing would run for
//! minutes or abort the process; [`bounded`] fails the test if one runs past
//! [`HANG`], a hang detector, not a speed target (BENCHMARKS.md has the times).

mod common;

use std::time::{Duration, Instant};

use common::*;
use pvm_gas::MeteringMode;
use pvm_host::HostErrorKind;
use pvm_runtime::{ErrorKind, Execution, RuntimeConfig};

/// Gas limit of every bomb.
const LIMIT: u64 = 20_000_000;

/// A bomb running this long has escaped metering.
const HANG: Duration = Duration::from_secs(60);

/// Runs `body` as `main`'s body after a write that must survive, with a write
/// after it that must never happen.
fn bomb(body: &str, config: RuntimeConfig) -> (Execution, pvm_host::MemoryHost) {
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    let code = format!(
        "import pvm_host, itertools, _collections, _functools\n\
         def main(input):\n    pvm_host.set_state(b'before', b'1')\n{indented}    pvm_host.set_state(b'after', b'1')\n    return 'escaped'\n"
    );
    bounded(move || run_with_config(&code, b"", LIMIT, config))
}

fn bounded<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    let start = Instant::now();
    let out = f();
    assert!(
        start.elapsed() < HANG,
        "a bomb ran for {:?}",
        start.elapsed()
    );
    out
}

/// Checks the bomb ran out of gas, used exactly the limit and wrote nothing after.
fn out_of_gas(body: &str) -> Result<(), String> {
    out_of_gas_in(body, RuntimeConfig::default())
}

fn out_of_gas_in(body: &str, config: RuntimeConfig) -> Result<(), String> {
    let (exec, host) = bomb(body, config);
    let e = match exec.result {
        Ok(_) => {
            return Err(format!(
                "{body}
  succeeded"
            ))
        }
        Err(e) => e,
    };
    if e.kind != ErrorKind::Host(HostErrorKind::OutOfGas) {
        return Err(format!(
            "{body}
  failed with {e}, not OutOfGas"
        ));
    }
    if host.gas_used() != LIMIT {
        return Err(format!(
            "{body}
  used {} gas of {LIMIT}",
            host.gas_used()
        ));
    }
    if !host.state().contains_key(&b"before"[..]) || host.state().contains_key(&b"after"[..]) {
        return Err(format!(
            "{body}
  wrong writes: {:?}",
            host.state().keys()
        ));
    }
    Ok(())
}

/// Checks the bomb failed with an exception whose message contains `needle`
/// (or ran out of gas first) and wrote nothing after.
fn fails_with_exception(body: &str, needle: &str) -> Result<(), String> {
    let (exec, host) = bomb(body, RuntimeConfig::default());
    let e = match exec.result {
        Ok(_) => return Err(format!("{body}\n  succeeded")),
        Err(e) => e,
    };
    if !(e.message.contains(needle) || e.kind == ErrorKind::Host(HostErrorKind::OutOfGas)) {
        return Err(format!(
            "{body}\n  expected {needle:?} or OutOfGas, got {e}"
        ));
    }
    if host.gas_used() > LIMIT || host.state().contains_key(&b"after"[..]) {
        return Err(format!(
            "{body}\n  used {} gas, writes {:?}",
            host.gas_used(),
            host.state().keys()
        ));
    }
    Ok(())
}

/// Runs every case and fails listing all that misbehaved.
fn all(cases: &[&str], check: impl Fn(&str) -> Result<(), String>) {
    let failures: Vec<String> = cases.iter().filter_map(|c| check(c).err()).collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases failed:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn infinite_loops_stop_however_they_catch() {
    all(&[
        "while True:\n    pass",
        "while True:\n    try:\n        pass\n    except BaseException:\n        pass",
        "while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass\n    finally:\n        pvm_host.set_state(b'after', b'finally')",
        "try:\n    while True:\n        pass\nfinally:\n    while True:\n        pass",
        "class C:\n    def __enter__(self):\n        return self\n    def __exit__(self, *a):\n        while True:\n            pass\nwith C():\n    while True:\n        pass",
        "class C:\n    def __enter__(self):\n        return self\n    def __exit__(self, *a):\n        return True\nwhile True:\n    with C():\n        while True:\n            pass",
        "def g():\n    while True:\n        try:\n            yield 1\n        except BaseException:\n            pass\nfor _ in g():\n    pass",
        "def g():\n    try:\n        while True:\n            yield 1\n    finally:\n        while True:\n            pass\nit = g()\nnext(it)\ndel it",
        "class D:\n    def __del__(self):\n        while True:\n            pass\nwhile True:\n    D()",
        "for _ in itertools.count():\n    pass",
        "x = 0\nwhile True:\n    x = (x + 1) % 7",
        "def f():\n    try:\n        return f()\n    except RecursionError:\n        return f()\nf()",
        "while True:\n    try:\n        pvm_host.charge_gas(10)\n    except pvm_host.HostError:\n        pass",
    ], out_of_gas);
}

#[test]
fn coarse_metering_also_stops_loops() {
    let coarse = RuntimeConfig {
        metering: MeteringMode::Coarse,
        ..RuntimeConfig::default()
    };
    all(
        &[
            "while True:\n    pass",
            "while True:\n    try:\n        pass\n    except BaseException:\n        pass",
            "def f(n):\n    return f(n + 1) if n < 900 else 0\nwhile True:\n    f(0)",
            "for _ in itertools.count():\n    pass",
        ],
        |b| out_of_gas_in(b, coarse.clone()),
    );
}

#[test]
fn bulk_work_is_priced() {
    // Each line would take minutes (or all memory) if it were free.
    all(
        &[
            // big integers
            "x = 3 ** 200000\nwhile True:\n    x * x",
            "x = 7 ** 300000\nwhile True:\n    x // 12345678901234567890123",
            "x = 7 ** 300000\nwhile True:\n    x % 1234567890123456789012345678901",
            "while True:\n    pow(3, 10 ** 6, 10 ** 2000 + 1)",
            "while True:\n    hex(1 << 2000000)",
            // repetition and concatenation
            "s = 'x' * 1000000\nwhile True:\n    t = s + s",
            "b = b'x' * 1000000\nwhile True:\n    c = b + b",
            "l = [0] * 100000\nwhile True:\n    m = l + l",
            "t = (0,) * 100000\nwhile True:\n    u = t + t",
            "while True:\n    s = 'ab' * 500000",
            "while True:\n    l = [None] * 1000000",
            // joins, splits, replaces, searches on long sequences
            "parts = ['abc'] * 100000\nwhile True:\n    ','.join(parts)",
            "s = 'a,' * 500000\nwhile True:\n    s.split(',')",
            "s = 'a' * 1000000\nwhile True:\n    s.replace('a', 'bb')",
            "s = 'a' * 1000000\nwhile True:\n    s.find('b')",
            "s = 'a' * 1000000\nwhile True:\n    'b' in s",
            "b = b'a' * 1000000\nwhile True:\n    b.count(b'b')",
            "l = list(range(100000))\nwhile True:\n    -1 in l",
            "t = tuple(range(100000))\nwhile True:\n    t.count(-1)",
            "l = list(range(100000))\nwhile True:\n    l.index(99999)",
            // sorting and materialising iterables
            "l = list(range(100000, 0, -1))\nwhile True:\n    sorted(l)",
            "while True:\n    list(range(1000000))",
            "while True:\n    set(range(100000))",
            "while True:\n    dict.fromkeys(range(100000))",
            "while True:\n    sum(range(1000000))",
            "while True:\n    max(itertools.repeat(1, 1000000))",
            "d = dict.fromkeys(range(100000))\nwhile True:\n    list(d.items())",
            // formatting and hashing
            "while True:\n    '%s' % ('x' * 1000000)",
            "f = '%s' * 500000\nv = ('1',) * 500000\nwhile True:\n    f % v",
            "f = b'%s' * 500000\nv = (b'1',) * 500000\nwhile True:\n    f % v",
            "f = 'x' * 1000000\nwhile True:\n    try:\n        f % f\n    except TypeError:\n        pass",
            "s = 'y' * 1000000\nwhile True:\n    f'{s}{s}'",
            "while True:\n    format(1, '>100000')",
            "b = b'z' * 1000000\nwhile True:\n    hash(b)",
            "while True:\n    hash('w' * 1000000)",
            "s = 'q' * 1000000\nwhile True:\n    s == s[:-1] + 'q'",
            "l = list(range(100000))\nwhile True:\n    l == list(l)",
            // natively looping containers and collisions
            "d = {}\nfor i in range(100000):\n    d[i * (2 ** 61 - 1)] = i",
            "q = _collections.deque(range(100000))\nwhile True:\n    q.rotate(50000)",
            "l = list(range(100000))\nwhile True:\n    l.insert(0, 1)\n    l.pop(0)",
            "while True:\n    repr(list(range(10000)))",
            "l = list(range(100000))\nwhile True:\n    l.reverse()",
            "s = 'a' * 100000\nwhile True:\n    s.upper()",
            "while True:\n    isinstance(1, (str,) * 10000)",
        ],
        out_of_gas,
    );
}

#[test]
fn allocation_bombs_hit_the_memory_limit() {
    all(
        &[
            "x = 'x' * (10 ** 9)",
            "x = b'x' * (10 ** 9)",
            "x = [0] * (10 ** 9)",
            "x = (0,) * (10 ** 9)",
            "x = bytes(10 ** 9)",
            "x = bytearray(10 ** 9)",
            "x = (1).to_bytes(10 ** 9, 'big')",
            "x = 10 ** (10 ** 9)",
            "x = 1 << (10 ** 10)",
            "x = '%*s' % (10 ** 9, '')",
            "x = '%1000000000s' % ''",
            "x = f'{0:>1000000000}'",
            "x = format(1.5, '.1000000000f')",
            "x = '\\t'.expandtabs(10 ** 9)",
            "x = b'\\t'.expandtabs(10 ** 9)",
            "x = 'a'.ljust(10 ** 9)",
            "x = 'a'.zfill(10 ** 9)",
            "x = ('a' * 100000).replace('', 'x' * 1000)",
            "x = ('a' * 100000).replace('a', 'b' * 100000)",
            "s = 'x'\nwhile True:\n    s = s + s",
            "l = [0]\nwhile True:\n    l = l + l",
            "l = [0]\nwhile True:\n    l *= 2",
            "s = 'x' * 1000\nparts = [s] * 100000\nx = ''.join(parts)",
        ],
        |b| fails_with_exception(b, "MemoryError"),
    );
}

#[test]
fn round_to_a_huge_power_is_zero_like_cpython() {
    assert_eq!(
        ok("def main(input):\n    return str(round(12345, -(2 ** 31)))\n"),
        "0"
    );
    assert_eq!(
        ok("def main(input):\n    return str(round(12345, -2))\n"),
        "12300"
    );
}

#[test]
fn rounding_to_a_short_power_of_ten_pays_by_the_value_not_its_square() {
    // 8,000 and 16,000 words: a one-word power of ten divides each in one
    // pass, so twice the words cost about twice the gas (a square would be 4x).
    let small = inner_gas("x = 1 << 512000", "round(x, -5)");
    let big = inner_gas("x = 1 << 1024000", "round(x, -5)");
    assert!(
        big > small * 3 / 2 && big < small * 5 / 2,
        "{small} then {big}"
    );
    assert!(big >= word_ops_gas(16_000 * 40), "{big}");
    // A power of ten as long as the value still pays products of the two
    // (1,563 words by 16,000: Toom products, about 70 times the one-word
    // case's time).
    let long = inner_gas("x = 1 << 1024000", "round(x, -30000)");
    assert!(long > 30 * big, "{long} against {big}");
    assert_eq!(
        ok("def main(input):\n    x = 10 ** 400 + 150000\n    return str(round(x, -5) - 10 ** 400)\n"),
        "200000"
    );
}

#[test]
fn memory_limit_is_configurable() {
    let small = RuntimeConfig {
        memory_limit: 1 << 20,
        ..RuntimeConfig::default()
    };
    let (exec, _) = run_with_config(
        "def main(input):\n    return str(len('x' * 500000))\n",
        b"",
        LIMIT,
        small.clone(),
    );
    assert_eq!(exec.result.unwrap(), b"500000");
    let (exec, _) = run_with_config(
        "def main(input):\n    return str(len('x' * 2000000))\n",
        b"",
        LIMIT,
        small,
    );
    let e = exec.result.unwrap_err();
    assert!(
        e.message
            .starts_with("MemoryError: transaction memory limit of 1048576 bytes"),
        "{e}"
    );
    assert_eq!(e.line, Some(2));
}

#[test]
fn recursion_stops_at_the_same_depth_without_crashing() {
    // Python frames.
    let depth = "def f(n):\n    try:\n        return f(n + 1)\n    except RecursionError:\n        return n\ndef main(input):\n    return str(f(0))\n";
    let first = ok(depth);
    assert_eq!(first, ok(depth));
    // Mutual recursion.
    fails_with(
        "def a(n):\n    return b(n)\ndef b(n):\n    return a(n)\ndef main(input):\n    a(0)\n",
        "RecursionError",
    );
    // Native recursion through containers and dunder methods: each raises
    // RecursionError instead of overflowing the node's stack.
    for body in [
        "l = []\nfor _ in range(200000):\n    l = [l]\nrepr(l)",
        "d = {}\nfor _ in range(200000):\n    d = {1: d}\nstr(d)",
        "t = ()\nfor _ in range(200000):\n    t = (t,)\nhash(t)",
        "a = []\nb = []\nfor _ in range(200000):\n    a = [a]\n    b = [b]\na == b",
        "a = []\nb = []\nfor _ in range(200000):\n    a = [a]\n    b = [b]\na < b",
        "it = iter([1])\nfor _ in range(200000):\n    it = map(abs, it)\nnext(it)",
        "it = iter([1])\nfor _ in range(200000):\n    it = zip(it)\nlist(it)",
        "class R:\n    def __repr__(self):\n        return repr(self)\nrepr(R())",
        "class E:\n    def __eq__(self, other):\n        return self == other\nE() == E()",
        "class H:\n    def __hash__(self):\n        return hash(self)\nhash(H())",
        "class L:\n    def __lt__(self, other):\n        return self < other\nsorted([L(), L()])",
        "t = int\nfor _ in range(200000):\n    t = (t,)\nisinstance(1, t)",
        "f = abs\nfor _ in range(200000):\n    f = _functools.partial(f)\nf(1)",
    ] {
        let (exec, host) = bomb(body, RuntimeConfig::default());
        let e = exec.result.expect_err(body);
        assert!(
            e.message.starts_with("RecursionError")
                || e.kind == ErrorKind::Host(HostErrorKind::OutOfGas),
            "{body}\n{e}"
        );
        assert!(!host.state().contains_key(&b"after"[..]));
    }
}

#[test]
fn gas_is_identical_across_runs_and_interpreter_histories() {
    let contracts = [
        include_str!("../../integration/contracts/token.py"),
        "def main(input):\n    s = 0\n    for i in range(2000):\n        s += i * i\n    return str(s)\n",
        "def fib(n):\n    return n if n < 2 else fib(n - 1) + fib(n - 2)\ndef main(input):\n    return str(fib(15))\n",
        "def main(input):\n    words = ('lorem ipsum dolor ' * 300).split()\n    return ','.join(sorted(set(words))) + str(len(' '.join(words).upper()))\n",
        "def main(input):\n    d = {str(i): i for i in range(500)}\n    return str(sum(d.values()) + len(repr(d)))\n",
        "class P:\n    def __init__(self, x):\n        self.x = x\n    def __repr__(self):\n        return f'P({self.x})'\ndef main(input):\n    return repr(sorted([P(i) for i in range(100)], key=lambda p: -p.x)[:3])\n",
        "def main(input):\n    x = 3 ** 5000\n    return str(len(str(x)) + x % 97)\n",
        "def main(input):\n    while True:\n        pass\n",
    ];
    let input = b"transfer 00ff 5";
    let fresh: Vec<(String, u64)> = contracts
        .iter()
        .map(|c| {
            let (exec, host) = run(c, input);
            (format!("{:?}", exec.result), host.gas_used())
        })
        .collect();
    // Same calls again on one interpreter warmed by all of them (twice over).
    let mut calls = Vec::new();
    for _ in 0..2 {
        for c in contracts.iter().rev() {
            calls.push((c.to_string(), input.to_vec()));
        }
    }
    for c in contracts {
        calls.push((c.to_string(), input.to_vec()));
    }
    let warmed = run_many(calls);
    let warmed: Vec<(String, u64)> = warmed[warmed.len() - contracts.len()..]
        .iter()
        .map(|(exec, host)| (format!("{:?}", exec.result), host.gas_used()))
        .collect();
    assert_eq!(fresh, warmed);
    assert_eq!(
        fresh[contracts.len() - 1].1,
        GAS,
        "the endless loop used all its gas"
    );
    // And a plain rerun.
    let again: Vec<u64> = contracts
        .iter()
        .map(|c| run(c, input).1.gas_used())
        .collect();
    assert_eq!(fresh.iter().map(|(_, g)| *g).collect::<Vec<_>>(), again);
}

#[test]
fn gas_left_agrees_with_the_host_and_decreases() {
    let code = "import pvm_host\ndef main(input):\n    a = pvm_host.gas_left()\n    x = [i for i in range(100)]\n    b = pvm_host.gas_left()\n    return f'{a} {b}'\n";
    let (exec, host) = run(code, b"");
    let out = String::from_utf8(exec.result.unwrap()).unwrap();
    let (a, b) = out.split_once(' ').unwrap();
    let (a, b): (u64, u64) = (a.parse().unwrap(), b.parse().unwrap());
    assert!(b < a, "{a} {b}");
    assert!(
        a < GAS && host.gas_used() > GAS - a,
        "{a} {}",
        host.gas_used()
    );
}

#[test]
fn work_costs_gas_in_proportion() {
    let cost = |n: u32| {
        let code = format!("def main(input):\n    for i in range({n}):\n        pass\n");
        run(&code, b"").1.gas_used()
    };
    let (small, big) = (cost(1_000), cost(10_000));
    let per_iteration_small = (big - small) / 9_000;
    assert!(per_iteration_small > 0);
    let huge = cost(100_000);
    assert_eq!((huge - big) / 90_000, per_iteration_small);
}

/// Gas of `stmt` in `main` after `setup`, less that of the same program with
/// `pass` in its place.
fn stmt_gas(setup: &str, stmt: &str) -> u64 {
    let cost = |stmt: &str| {
        let code = format!("import _operator\ndef main(input):\n    {setup}\n    {stmt}\n");
        let (exec, host) = run(&code, b"");
        assert!(exec.result.is_ok(), "{code}: {:?}", exec.result);
        host.gas_used()
    };
    cost(stmt) - cost("pass")
}

#[test]
fn a_sort_pays_for_the_comparisons_it_makes() {
    let n = 20_000;
    let shuffle = format!("l = [(i * 7919) % {n} for i in range({n})]");
    let sorted = stmt_gas(&format!("l = list(range({n}))"), "l.sort()");
    let shuffled = stmt_gas(&shuffle, "l.sort()");
    // A sorted run takes n - 1 comparisons, a shuffled list about n log2 n
    // (14 here): the first pays for a run, the second several times more.
    assert!(
        shuffled > 5 * sorted,
        "shuffled {shuffled}, sorted {sorted}"
    );
    // The count is exact: the same list costs the same on every run.
    assert_eq!(shuffled, stmt_gas(&shuffle, "l.sort()"));
}

#[test]
fn keys_computed_natively_cost_a_call_each() {
    let n = 5_000u64;
    let setup = format!("l = list(range({n}))");
    let call = u64::from(pvm_gas::GasSchedule::CURRENT.opcodes.call);
    for (plain, keyed) in [
        ("sorted(l)", "sorted(l, key=_operator.neg)"),
        ("min(l)", "min(l, key=_operator.neg)"),
        ("max(l)", "max(l, key=_operator.neg)"),
    ] {
        let extra = stmt_gas(&setup, keyed) - stmt_gas(&setup, plain);
        assert!(
            extra >= n * call,
            "{keyed}: {extra} more than {plain}, under {n} calls of {call}"
        );
    }
}

#[test]
fn a_sort_stops_when_its_comparisons_are_not_paid_for() {
    // A limit that pays for building the list and for four comparisons per
    // element (the first paid up front), far from the n log n comparisons of
    // sorting it shuffled: the sort must stop part way, with the budget spent.
    let n = 200_003;
    let setup = format!("l = [(i * 7919) % {n} for i in range({n})]");
    let code = |stmt: &str| format!("def main(input):\n    {setup}\n    {stmt}\n");
    let (built, host) = run(&code("pass"), b"");
    assert!(built.result.is_ok(), "{:?}", built.result);
    let limit = host.gas_used() + 4 * n * pvm_gas::GasSchedule::CURRENT.per_element;
    let (exec, host) = run_with_gas(&code("l.sort()"), b"", limit);
    let e = exec.result.expect_err("the sort should run out of gas");
    assert_eq!(e.kind, ErrorKind::Host(HostErrorKind::OutOfGas), "{e}");
    assert_eq!(host.gas_used(), limit);
}

/// Gas for `ops` word steps of big-integer work, as the schedule charges it.
fn word_ops_gas(ops: u64) -> u64 {
    (ops * pvm_gas::GasSchedule::CURRENT.per_64_word_ops).div_ceil(64)
}

#[test]
fn big_integer_sums_pay_per_word_of_the_shorter_operand() {
    // 8,001 words and 4: `x + x` adds with carries over 7,997 more words
    // than `x + y` does; both copy a result of 8,001 words.
    let setup = "x = 1 << 512000; y = 1 << 200";
    let extra = stmt_gas(setup, "x + x") - stmt_gas(setup, "x + y");
    assert!(
        extra >= word_ops_gas(3 * 7_997) - 1,
        "x + x costs only {extra} more than x + y"
    );
    assert_eq!(stmt_gas(setup, "x - x"), stmt_gas(setup, "x + x"), "x - x");
    // The bitwise ones have no carries: half the steps.
    let bits = stmt_gas(setup, "x & x");
    assert!(bits < stmt_gas(setup, "x + x"), "x & x {bits}");
    for op in ["x | x", "x ^ x"] {
        assert_eq!(stmt_gas(setup, op), bits, "{op}");
    }
}

#[test]
fn division_by_a_small_divisor_pays_per_quotient_word() {
    // 8,001 quotient words, each about ten word steps with a one-word divisor.
    let setup = "x = 1 << 512000";
    for stmt in ["x // 3", "x % 3", "divmod(x, 3)"] {
        let gas = stmt_gas(setup, stmt);
        assert!(gas >= word_ops_gas(8_001 * 10), "{stmt}: {gas}");
    }
}

#[test]
fn hex_separators_pay_for_their_pass() {
    // A second pass over the two digits of each of 64 KiB of bytes.
    let pass = (2 * 65_536 * pvm_gas::GasSchedule::CURRENT.per_kib_transform).div_ceil(1024);
    for make in [
        "bytes(65536)",
        "bytearray(65536)",
        "memoryview(bytes(65536))",
    ] {
        let setup = format!("b = {make}");
        let extra = stmt_gas(&setup, "b.hex(':')") - stmt_gas(&setup, "b.hex()");
        assert!(
            extra >= pass,
            "{make}: hex(':') costs {extra} more, under {pass}"
        );
    }
}

#[test]
fn number_text_pays_for_every_parse_pass() {
    let s = pvm_gas::GasSchedule::CURRENT;
    let text = 5_001u64;
    let parse = (text * 6 * s.per_kib_transform).div_ceil(1024);
    let gas = stmt_gas("t = '1' * 5000 + 'j'", "complex(t)");
    assert!(
        gas >= parse,
        "complex() of {text} bytes: {gas}, under {parse}"
    );
}

#[test]
fn formatting_a_float_through_a_spec_costs_per_value() {
    // The locale type groups in a second pass: one more float's price per float.
    let per_float = 4 * pvm_gas::GasSchedule::CURRENT.per_iter;
    for (setup, floats) in [("v = 1.5", 1), ("v = 1.5 + 2j", 2)] {
        let extra = stmt_gas(setup, "format(v, '.3n')") - stmt_gas(setup, "format(v, '.3e')");
        assert_eq!(extra, floats * per_float, "{setup}");
    }
}

#[test]
fn memoryview_index_pays_for_each_item_it_unpacks() {
    let s = pvm_gas::GasSchedule::CURRENT;
    let n = 4_096u64;
    let gas = stmt_gas("m = memoryview(bytes(4095) + b'\\xff')", "m.index(255)");
    assert!(gas >= n * (s.per_iter + s.per_element), "{gas}");
}

#[test]
fn a_buffer_that_outgrows_its_size_pays_to_move() {
    // 64 KiB at its exact size grows past 64 KiB and moves; 1 byte less
    // still fits: three times the memory rate on the 64 KiB that move.
    let s = pvm_gas::GasSchedule::CURRENT;
    let moved = (3 * 65_536 * s.per_kib).div_ceil(1024);
    for (full, room, stmt) in [
        ("z = bytearray(65536)", "z = bytearray(65535)", "z += b'x'"),
        (
            "z = bytearray(65536)",
            "z = bytearray(65535)",
            "z[0:0] = b'x'",
        ),
        ("z = [0] * 8192", "z = [0] * 8191", "z[:0] = [1]"),
    ] {
        let extra = stmt_gas(full, stmt) - stmt_gas(room, stmt);
        assert!(extra >= moved, "{full}; {stmt}: {extra} more than {room}");
    }
}

/// Gas `stmt` takes where it runs (read from `pvm_host.gas_left()` on either
/// side of it, after `setup`), so that the length of its source, which
/// deploying pays for, is not counted.
fn inner_gas(setup: &str, stmt: &str) -> u64 {
    let code = format!(
        "import pvm_host\ndef main(input):\n    {setup}\n    a = pvm_host.gas_left()\n    {stmt}\n    \
         b = pvm_host.gas_left()\n    return str(a - b).encode()\n"
    );
    let (exec, _) = run(&code, b"");
    let out = exec.result.unwrap_or_else(|e| panic!("{code}: {e:?}"));
    String::from_utf8(out).unwrap().parse().unwrap()
}

#[test]
fn copying_a_builtin_class_namespace_pays_per_entry() {
    // `int` has more than 60 names, each copied and hashed into the new dict.
    let s = pvm_gas::GasSchedule::CURRENT;
    let gas = inner_gas("", "int.__dict__.copy()");
    assert!(gas >= 60 * 5 * s.per_element, "{gas}");
    // Its length and one lookup copy nothing.
    for stmt in ["len(int.__dict__)", "int.__dict__.get('real')"] {
        let cheap = inner_gas("", stmt);
        assert!(cheap < gas / 4, "{stmt}: {cheap}, a copy {gas}");
    }
}

#[test]
fn a_class_namespace_pays_per_entry() {
    let s = pvm_gas::GasSchedule::CURRENT;
    let setup = "ns = {'a' + str(i): i for i in range(1000)}";
    let gas = inner_gas(setup, "type('C', (), ns)");
    assert!(gas >= 1000 * 4 * s.per_iter, "{gas}");
}

#[test]
fn a_missing_attribute_pays_for_its_name_and_its_error() {
    let s = pvm_gas::GasSchedule::CURRENT;
    let missing = |n: usize| {
        inner_gas(
            &format!("s = 'x' * {n}"),
            "try: getattr(1, s)\n    except AttributeError: pass",
        )
    };
    let extra = missing(65_536) - missing(16);
    assert!(extra >= 64 * s.per_kib_transform - 1, "{extra}");
    // A lookup with a default that builds (and drops) an AttributeError pays
    // the raise it is; one that finds the attribute does not.
    let missing = inner_gas("", "getattr(int, 'nope', None)");
    let found = inner_gas("", "getattr(int, 'real', None)");
    let raise = u64::from(s.opcodes.call + s.opcodes.exception);
    assert!(missing >= found + raise, "{missing} vs {found}");
}

#[test]
fn loops_over_many_separate_objects_pay_twice_past_the_tier() {
    let s = pvm_gas::GasSchedule::CURRENT;
    // Two lists, tuples, sets or dicts of distinct, equal ints: every step
    // compares (or looks up) two separate objects.
    let per_step = |setup: &str, stmt: &str, n: u64| {
        let setup = setup.replace("N", &n.to_string());
        inner_gas(&setup, stmt) as f64 / n as f64
    };
    for (setup, stmt) in [
        ("x = list(range(N)); y = list(range(N))", "x == y"),
        ("x = tuple(range(N)); y = tuple(range(N))", "x < y"),
        ("x = set(range(N)); y = set(range(N))", "x & y"),
        (
            "x = {i: i for i in range(N)}; y = {i: i for i in range(N)}",
            "x == y",
        ),
    ] {
        let below = per_step(setup, stmt, 16_000);
        let past = per_step(setup, stmt, 160_000);
        // 160,000 steps pay 16,384 once and the rest twice: 1.9 times the rate.
        assert!(
            past > below * 1.7 && past < below * 2.1,
            "{stmt}: {below:.1} then {past:.1} gas a step"
        );
        assert!(past >= 1.8 * s.per_element as f64, "{stmt}: {past:.1}");
    }
    // A dict's items compare their values too: a step more than its keys.
    let setup = "x = {i: i for i in range(10000)}; y = {i: i for i in range(10000)}";
    let items = inner_gas(setup, "x == y");
    let keys = inner_gas(setup, "x.keys() == y.keys()");
    // (Less the two views the keys' statement makes.)
    assert!(items >= keys + 9_000 * s.per_element, "{items} vs {keys}");
}

#[test]
fn a_shift_by_a_few_whole_words_pays_for_its_in_place_move() {
    let s = pvm_gas::GasSchedule::CURRENT;
    let setup = "x = 1 << (8 * 65536)";
    let words = inner_gas(setup, "y = x << 64");
    let bits = inner_gas(setup, "y = x << 65");
    // Seven more passes over 64 KiB.
    assert!(words >= bits + 7 * 64 * s.per_kib - 64, "{words} vs {bits}");
    // A move of four words or more runs at copy speed and pays as a copy.
    let far = inner_gas(setup, "y = x << 256");
    assert!(far < bits + 64 * s.per_kib, "{far} vs {bits}");
}

#[test]
fn translate_with_deletions_keeps_what_cpython_keeps() {
    let code = "def main(input):\n    x = bytes(range(256)) * 3 + b'abcabc'\n    \
                tt = bytes(range(256))[::-1]\n    \
                a = x.translate(None, b'ac\\x00\\xff')\n    \
                b = bytearray(x).translate(tt, b'b')\n    \
                c = x.translate(None, x)\n    \
                want = bytes(v for v in x if v not in b'ac\\x00\\xff')\n    \
                return str([a == want, len(a), bytes(b) == bytes(tt[v] for v in x if v != 98), c]).encode()\n";
    assert_eq!(ok(code), "[True, 758, True, b'']");
}

#[test]
fn big_products_pay_for_toom_multiplication_not_schoolbook() {
    // Eight times the words: a schoolbook product would cost 64 times as much,
    // a linear pass 8; malachite's Toom multiplication costs about 14 (and the
    // FFT, which used to start at 1,000 words, is off).
    let gas = |words: u32| {
        let setup = format!("x = (1 << {}) - 12345; y = x - 67891", 64 * words);
        inner_gas(&setup, "x * y")
    };
    let (small, big) = (gas(2_048), gas(16_384));
    let ratio = big as f64 / small as f64;
    assert!(
        (10.0..30.0).contains(&ratio),
        "16,384-word product {big} gas, 2,048-word {small}: ratio {ratio:.1}"
    );
}

#[test]
fn a_modular_inverse_pays_for_the_gcd_of_its_reduced_base() {
    // A full-size residue costs a half-gcd, many products' worth; a residue
    // of one word costs one division of the modulus.
    let setup = "m = (1 << 65536) - 67889; x = (3 ** 40960) % m; s = m + 98765";
    let product = inner_gas(setup, "x * x");
    let full = inner_gas(setup, "pow(x, -1, m)");
    let short = inner_gas(setup, "pow(s, -1, m)");
    assert!(
        full > 10 * product,
        "inverse {full} gas, a product {product}"
    );
    assert!(
        short < product,
        "inverse of a one-word residue {short} gas, a product {product}"
    );
}

#[test]
fn true_division_is_linear_and_free_when_the_sizes_decide_it() {
    // Same-size operands: a shift and a one-word-quotient division, no gcd.
    let same = |words: u32| {
        let setup = format!(
            "m = (1 << {}) - 67889; x = m // 3 + 3 ** {}",
            64 * words,
            40 * words
        );
        inner_gas(&setup, "m / x")
    };
    let (small, big) = (same(1_024), same(8_192));
    let ratio = big as f64 / small as f64;
    assert!(
        (6.0..10.0).contains(&ratio),
        "m / x: {small} then {big} gas (ratio {ratio:.1})"
    );
    // A quotient that rounds to zero (or overflows) is known from the sizes:
    // as cheap at 8,192 words as at 1,024.
    let tiny = |words: u32| inner_gas(&format!("x = 1 << {}", 64 * words), "7 / x");
    let (small, big) = (tiny(1_024), tiny(8_192));
    assert_eq!(small, big, "7 / x");
}

#[test]
fn a_small_operand_added_to_a_big_one_pays_for_the_copy() {
    // `x + s` copies x and adds one word into it; `x + y` adds every word
    // with its carry; `&` has no carries (8,192 words each).
    let setup = "x = (1 << 524288) - 12345; y = x - 67891; s = 7";
    let small = inner_gas(setup, "x + s");
    let both = inner_gas(setup, "x + y");
    let and = inner_gas(setup, "x & y");
    assert!(3 * small < both, "x + s {small} gas, x + y {both}");
    assert!(
        small < and && and < both,
        "x & y {and} gas, x + s {small}, x + y {both}"
    );
}

#[test]
fn a_right_shift_pays_for_its_result() {
    // Shifted past its length an integer leaves one word, whatever its size.
    let setup = "x = (1 << 524288) - 12345; s = 7; k = 524200";
    let full = inner_gas(setup, "x >> 1");
    for stmt in ["x >> x", "s >> x", "x >> k"] {
        let gas = inner_gas(setup, stmt);
        assert!(10 * gas < full, "{stmt}: {gas} gas, x >> 1 {full}");
    }
}

#[test]
fn dividing_integers_of_equal_magnitude_pays_a_comparison() {
    let setup = "x = (1 << 524288) - 12345; y = x + 1 - 1; n = -y; m = x - 98765";
    let divide = inner_gas(setup, "x // m");
    for stmt in ["y // x", "n // x", "y % x", "divmod(n, x)"] {
        let gas = inner_gas(setup, stmt);
        assert!(2 * gas < divide, "{stmt}: {gas} gas, x // m {divide}");
    }
    // The answers are the division's.
    let code = format!(
        "def main(input):\n    {setup}\n    \
         return repr((y // x, n // x, x // n, n // n, y % x, n % x, divmod(n, x), divmod(y, n))).encode()\n"
    );
    assert_eq!(ok(&code), "(1, -1, -1, 1, 0, 0, (-1, 0), (-1, 0))");
}

#[test]
fn a_range_with_a_unit_step_pays_copies_not_divisions() {
    // A length with step 1 is a subtraction; with step 3 a division by it.
    let setup = "b = (1 << 524288) - 1; big = range(b); odd = range(0, b, 3); big2 = range(b)";
    let unit = inner_gas(setup, "bool(big)");
    let three = inner_gas(setup, "bool(odd)");
    assert!(
        4 * unit < three,
        "bool(range(b)) {unit} gas, bool(range(0, b, 3)) {three}"
    );
    // Membership tests for divisibility, which divides even by 1.
    let member = inner_gas(setup, "b - 5 in big");
    assert!(
        member > 4 * unit,
        "b - 5 in big {member} gas, bool(big) {unit}"
    );
    // The stop itself is never inside, and comparing it with itself is free.
    let stop = inner_gas(setup, "big.__contains__(b)");
    assert!(
        stop < unit,
        "big.__contains__(b) {stop} gas, bool(big) {unit}"
    );
    let code = format!(
        "def main(input):\n    {setup}\n    \
         return repr((b in big, b - 1 in big, b - 5 in odd, b - 6 in odd, big == big2, big[1:] == range(1, b))).encode()\n"
    );
    assert_eq!(ok(&code), "(False, True, False, True, True, True)");
}
