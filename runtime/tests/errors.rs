//! Error kinds, messages and contract line numbers.

mod common;

use common::*;
use pvm_host::HostErrorKind;
use pvm_runtime::ErrorKind;

#[test]
fn uncaught_exception_reports_class_and_line() {
    let code = "def helper(x):\n    return 1 // x\n\ndef main(input):\n    return str(helper(0))\n";
    let e = err(code);
    assert_eq!(e.kind, ErrorKind::Exception);
    assert_eq!(
        e.message,
        "ZeroDivisionError: integer division or modulo by zero"
    );
    assert_eq!(e.line, Some(2));
}

#[test]
fn error_at_module_level_reports_its_line() {
    let e = err("x = 1\ny = undefined_name\ndef main(input):\n    pass\n");
    assert_eq!(e.message, "NameError: name 'undefined_name' is not defined");
    assert_eq!(e.line, Some(2));
}

#[test]
fn syntax_error_reports_line() {
    let e = err("def main(input):\n    x = 1\n    return x +\n");
    assert_eq!(e.kind, ErrorKind::SyntaxError);
    assert_eq!(e.line, Some(3));
    assert!(e.message.starts_with("SyntaxError: "), "{}", e.message);
}

#[test]
fn non_utf8_source_is_a_syntax_error() {
    let (exec, _) = on_bytes(b"def main(input):\n    return b'\xff'\n");
    let e = exec.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::SyntaxError);
    assert!(e.message.contains("not valid UTF-8"));
}

fn on_bytes(code: &'static [u8]) -> (pvm_runtime::Execution, pvm_host::MemoryHost) {
    pvm_runtime::on_interpreter_thread(move || {
        let mut vm = pvm_runtime::PvmInterpreter::new();
        let mut host = pvm_host::MemoryHost::new(context(), GAS);
        (vm.execute(&mut host, code, b""), host)
    })
    .unwrap()
}

#[test]
fn return_value_conversion() {
    assert_eq!(ok("def main(input):\n    return 'héllo'\n"), "héllo");
    assert_eq!(ok("def main(input):\n    return None\n"), "");
    assert_eq!(ok("def main(input):\n    return input\n"), "");
    let e = err("def main(input):\n    return 5\n");
    assert_eq!(
        e.message,
        "TypeError: main() must return bytes, str or None, not int"
    );
    let e = err("x = 1\n");
    assert!(e.message.contains("no main(input)"), "{}", e.message);
}

#[test]
fn input_arrives_as_bytes() {
    let (exec, _) = run(
        "def main(input):\n    assert type(input) is bytes\n    return input[::-1]\n",
        b"abc",
    );
    assert_eq!(exec.result.unwrap(), b"cba");
}

#[test]
fn host_error_kind_and_line() {
    let code = "import pvm_host\n\ndef main(input):\n    pvm_host.charge_gas(10**15)\n";
    let (exec, host) = run(code, b"");
    let e = exec.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Host(HostErrorKind::OutOfGas));
    assert_eq!(e.line, Some(4));
    assert!(
        e.message.starts_with("OutOfGas: out of gas"),
        "{}",
        e.message
    );
    assert_eq!(host.gas_used(), GAS);
}

#[test]
fn caught_out_of_gas_still_fails_the_call() {
    let code = r#"
import pvm_host
def main(input):
    try:
        pvm_host.charge_gas(10**15)
    except BaseException:
        pass
    return "swallowed"
"#;
    let (exec, host) = run(code, b"");
    let e = exec.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Host(HostErrorKind::OutOfGas));
    assert_eq!(host.gas_used(), GAS);
}

#[test]
fn intrinsic_gas_larger_than_limit_fails_before_running() {
    let (exec, host) = run_with_gas("def main(input):\n    print('ran')\n", b"", 10);
    let e = exec.result.unwrap_err();
    assert_eq!(e.kind, ErrorKind::Host(HostErrorKind::OutOfGas));
    assert!(exec.logs.is_empty());
    assert_eq!(host.gas_used(), 10);
}

#[test]
fn a_host_error_class_raised_by_the_contract_is_an_ordinary_exception() {
    // Only errors the host raised carry a host kind in the receipt.
    let code = "import pvm_host\ndef main(input):\n    raise pvm_host.Forbidden('not yours')\n";
    let e = err(code);
    assert_eq!(e.kind, ErrorKind::Exception);
    assert_eq!(e.message, "Forbidden: not yours");
    assert_eq!(e.line, Some(3));
}

#[test]
fn deep_recursion_is_a_recursion_error() {
    let code = "def f(n):\n    return f(n + 1)\n\ndef main(input):\n    f(0)\n";
    let e = err(code);
    assert!(e.message.starts_with("RecursionError"), "{}", e.message);
    assert_eq!(e.line, Some(2));
}
