//! Compiling is bounded: the worst case of every kind of nesting, at the
//! largest source the runtime accepts, ends in a receipt (a `SyntaxError` or
//! a compiled contract), never in a stack overflow; and compiling is paid
//! for by size, once per code per block, whether or not the code was cached.

mod common;

use common::*;
use pvm_host::MemoryHost;
use pvm_runtime::compile::{MAX_CHAIN, MAX_INDENT, MAX_NESTING, MAX_SOURCE_BYTES};
use pvm_runtime::{on_interpreter_thread, ErrorKind, PvmInterpreter};

/// A module whose first statement is `x = expr`, with a trivial `main`.
fn module(expr: &str) -> String {
    format!("x = {expr}\ndef main(i):\n    return 'ok'\n")
}

/// Repeats `unit` to fill most of the size limit.
fn fill(unit: &str) -> usize {
    (MAX_SOURCE_BYTES - 200) / unit.len()
}

fn compile(code: String) -> Result<(), pvm_runtime::ExecError> {
    let (exec, _) = run_with_gas(&code, b"", u64::MAX / 4);
    exec.result.map(drop)
}

fn syntax_error(code: String, needle: &str) {
    let e = compile(code).expect_err("must be refused");
    assert_eq!(e.kind, ErrorKind::SyntaxError, "{e}");
    assert!(e.message.contains(needle), "{e}");
}

#[test]
fn brackets_indentation_and_chains_stop_at_their_limits() {
    let parens = |n: usize| module(&format!("{}1{}", "(".repeat(n), ")".repeat(n)));
    compile(parens(MAX_NESTING)).unwrap();
    syntax_error(parens(MAX_NESTING + 1), "too many nested parentheses");
    syntax_error(parens(fill("()") / 2), "too many nested parentheses");
    let lists = |n: usize| module(&format!("{}{}", "[".repeat(n), "]".repeat(n)));
    syntax_error(lists(MAX_NESTING + 1), "too many nested parentheses");
    let fstrings = |n: usize| {
        let mut s = "1".to_owned();
        for level in 0..n {
            let q = ["'", "\""][level % 2];
            s = format!("f{q}{{{s}}}{q}");
        }
        module(&s)
    };
    syntax_error(fstrings(MAX_NESTING), "too many nested parentheses");

    let ifs = |n: usize| {
        let mut s = String::new();
        for level in 0..n {
            s.push_str(&" ".repeat(level));
            s.push_str("if True:\n");
        }
        s.push_str(&" ".repeat(n));
        s.push_str("pass\n");
        format!("{s}def main(i):\n    return 'ok'\n")
    };
    compile(ifs(MAX_INDENT)).unwrap();
    syntax_error(ifs(MAX_INDENT + 1), "too many levels of indentation");

    for unit in [
        "-",
        "not ",
        "lambda: ",
        "1 if 1 else ",
        "2 ** ",
        "~",
        "await ",
    ] {
        let over = module(&format!("{}1", unit.repeat(MAX_CHAIN + 1)));
        syntax_error(over, "nested too deeply");
        let huge = module(&format!("{}1", unit.repeat(fill(unit))));
        syntax_error(huge, "nested too deeply");
    }
}

#[test]
fn what_the_parser_does_not_bound_ends_in_a_receipt_at_the_size_limit() {
    // Nesting the parser builds in a loop but the code generator recurses on.
    for (name, code) in [
        (
            "binary chain",
            module(&format!("{}1", "1 + ".repeat(fill("1 + ")))),
        ),
        (
            "attribute chain",
            module(&format!("i{}", ".a".repeat(fill(".a")))),
        ),
        (
            "call chain",
            module(&format!("i{}", "()".repeat(fill("()")))),
        ),
        (
            "subscript chain",
            module(&format!("i{}", "[0]".repeat(fill("[0]")))),
        ),
        (
            "comparison chain",
            module(&format!("{}1", "1 < ".repeat(fill("1 < ")))),
        ),
        (
            "boolean chain",
            module(&format!("{}1", "1 and ".repeat(fill("1 and ")))),
        ),
        (
            "flat statements",
            "x = 1\n".repeat(fill("x = 1\n")) + "def main(i):\n    return 'ok'\n",
        ),
        ("int literal", module(&"7".repeat(fill("7")))),
        (
            "str literal",
            module(&format!("'{}'", "s".repeat(fill("s")))),
        ),
        ("constant power", module("2 ** 10 ** 10")),
        ("constant repeat", module("'ab' * 10 ** 9")),
    ] {
        assert!(code.len() <= MAX_SOURCE_BYTES, "{name}");
        // Either outcome is a receipt; what matters is that it comes back.
        match compile(code) {
            Ok(()) => {}
            Err(e) => assert!(
                matches!(e.kind, ErrorKind::SyntaxError | ErrorKind::Exception),
                "{name}: {e}"
            ),
        }
    }
    syntax_error("#".repeat(MAX_SOURCE_BYTES + 1), "more than the limit");
}

#[test]
fn compiling_costs_the_same_whether_or_not_the_code_is_cached() {
    let code = "def main(i):\n    return i\n".to_owned() + &"# padding\n".repeat(500);
    let gas = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut used = Vec::new();
        for _ in 0..3 {
            let mut host = MemoryHost::new(context(), GAS);
            vm.execute(&mut host, code.as_bytes(), b"x").result.unwrap();
            used.push(host.gas_used());
        }
        assert_eq!(vm.code_cache().len(), 1, "compiled once, then cached");
        used
    })
    .unwrap();
    assert_eq!(gas[0], gas[1]);
    assert_eq!(gas[1], gas[2]);
}

/// Gas of each call, each with a fresh host, on one interpreter; `None` marks
/// a block boundary (the first call is inside a block).
fn block_gas(calls: Vec<Option<String>>, warm_first: Option<String>) -> Vec<u64> {
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        if let Some(code) = warm_first {
            // Another history: the code is already cached before the block.
            let mut host = MemoryHost::new(context(), GAS);
            let _ = vm.execute(&mut host, code.as_bytes(), b"x");
        }
        vm.begin_block();
        let mut used = Vec::new();
        for call in calls {
            match call {
                None => {
                    vm.end_block();
                    vm.begin_block();
                }
                Some(code) => {
                    let mut host = MemoryHost::new(context(), GAS);
                    let _ = vm.execute(&mut host, code.as_bytes(), b"x");
                    used.push(host.gas_used());
                }
            }
        }
        vm.end_block();
        used
    })
    .unwrap()
}

#[test]
fn a_block_pays_for_compiling_a_code_once_whatever_the_cache_held() {
    let schedule = pvm_gas::GasSchedule::default();
    let a = "def main(i):\n    return i\n".to_owned() + &"# padding\n".repeat(500);
    let b = "def main(i):\n    return i + i\n".to_owned();
    let calls = vec![
        Some(a.clone()),
        Some(a.clone()),
        Some(b.clone()),
        Some(a.clone()),
        None,
        Some(a.clone()),
        Some(a.clone()),
    ];
    let cold = block_gas(calls.clone(), None);
    assert_eq!(cold[0] - cold[1], schedule.compile(a.len()), "{cold:?}");
    assert_eq!(cold[1], cold[3], "later calls in the block pay the lookup");
    assert_eq!(cold[4], cold[0], "a new block pays again");
    assert_eq!(cold[5], cold[1]);
    // The same block on an interpreter that had the code cached already, and
    // outside any block every call pays for compiling: gas follows the block,
    // not the interpreter's history.
    assert_eq!(block_gas(calls, Some(a.clone())), cold);
    let outside = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        (0..2)
            .map(|_| {
                let mut host = MemoryHost::new(context(), GAS);
                vm.execute(&mut host, a.as_bytes(), b"x").result.unwrap();
                host.gas_used()
            })
            .collect::<Vec<_>>()
    })
    .unwrap();
    assert_eq!(outside, vec![cold[0], cold[0]]);
}

#[test]
fn code_that_does_not_compile_or_runs_out_of_gas_first_is_not_paid_for() {
    let schedule = pvm_gas::GasSchedule::default();
    let bad = "def main(i):\n    return (\n".to_owned();
    let gas = block_gas(vec![Some(bad.clone()), Some(bad.clone())], None);
    assert_eq!(
        gas[0], gas[1],
        "a syntax error is charged compiling every time"
    );
    assert_eq!(
        gas[0],
        schedule.intrinsic(bad.len(), 1) + schedule.compile(bad.len())
    );

    // A call that cannot pay for compiling does not compile, and does not make
    // the next call in the block cheap.
    let code = "def main(i):\n    return i\n".to_owned() + &"#".repeat(10_000);
    let (len, code2) = (code.len(), code.clone());
    let (first, second) = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        vm.begin_block();
        let schedule = pvm_gas::GasSchedule::default();
        let short = schedule.intrinsic(len, 1) + schedule.compile(len) - 1;
        let mut host = MemoryHost::new(context(), short);
        let first = vm.execute(&mut host, code2.as_bytes(), b"x");
        let mut host = MemoryHost::new(context(), GAS);
        vm.execute(&mut host, code2.as_bytes(), b"x")
            .result
            .unwrap();
        vm.end_block();
        (first.result.unwrap_err().kind, host.gas_used())
    })
    .unwrap();
    assert_eq!(first, ErrorKind::Host(pvm_host::HostErrorKind::OutOfGas));
    assert!(second > schedule.compile(code.len()), "{second}");
}

#[test]
fn the_code_cache_is_bounded_by_bytes_and_keeps_what_is_used() {
    let (len, bytes, first_cached) = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let big = |n: usize| format!("def main(i):\n    return '{n}'\n{}", "#".repeat(1 << 19));
        let mut host = MemoryHost::new(context(), u64::MAX / 4);
        vm.execute(&mut host, big(0).as_bytes(), b"")
            .result
            .unwrap();
        for n in 1..40 {
            // Touch the first contract between others: it stays.
            vm.execute(&mut host, big(0).as_bytes(), b"")
                .result
                .unwrap();
            vm.execute(&mut host, big(n).as_bytes(), b"")
                .result
                .unwrap();
        }
        let cache = vm.code_cache();
        let before = cache.len();
        vm.execute(&mut host, big(0).as_bytes(), b"")
            .result
            .unwrap();
        (
            before,
            vm.code_cache().bytes(),
            vm.code_cache().len() == before,
        )
    })
    .unwrap();
    assert!(
        bytes <= pvm_runtime::interpreter::CODE_CACHE_BYTES,
        "{bytes}"
    );
    assert!(len < 40, "older contracts were evicted ({len} kept)");
    assert!(
        first_cached,
        "the contract used all along was never evicted"
    );
}
