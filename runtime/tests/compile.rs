//! Compiling is bounded: the worst case of every kind of nesting, at the
//! largest source the runtime accepts, ends in a receipt (a `SyntaxError` or
//! a compiled contract), never in a stack overflow; and compiling is paid
//! for by size whether or not the code was cached.

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
