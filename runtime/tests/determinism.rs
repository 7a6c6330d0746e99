//! The same call gives byte-identical results whatever the interpreter did before.

mod common;

use common::*;

const TOKEN: &str = include_str!("../../integration/contracts/token.py");

/// Contracts that try to leave traces in the interpreter for later calls.
const POLLUTERS: &[&str] = &[
    "def main(input):\n    len.__self__.len = lambda x: 42\n    len.__self__.int = str\n",
    "import pvm_host\ndef main(input):\n    pvm_host.get_state = lambda k: b'999999999'\n    pvm_host.context = lambda: {'sender': b'evil'}\n",
    "import itertools\ndef main(input):\n    itertools.islice = None\n    del itertools.count\n",
    "def main(input):\n    __builtins__.print = None\n    __builtins__.sorted = reversed\n",
    "class Evil:\n    def __del__(self):\n        print('late')\nkeep = [Evil()]\ndef main(input):\n    return 'x' * 1000\n",
    "def main(input):\n    raise ValueError('fail in the middle')\n",
];

fn receipt(exec: &pvm_runtime::Execution, host: &pvm_host::MemoryHost) -> String {
    format!(
        "{:?}|{:?}|{}|{:?}|{:?}",
        exec.result,
        exec.logs,
        host.gas_used(),
        host.events(),
        host.state()
    )
}

#[test]
fn warmed_and_fresh_interpreters_agree() {
    let input = b"transfer 00ff 250".to_vec();
    let (fresh_exec, fresh_host) = run(TOKEN, &input);
    assert!(fresh_exec.result.is_ok(), "{:?}", fresh_exec.result);

    let mut calls: Vec<(String, Vec<u8>)> = POLLUTERS
        .iter()
        .map(|c| (c.to_string(), Vec::new()))
        .collect();
    calls.push((TOKEN.to_owned(), b"transfer 0001 5".to_vec()));
    calls.push((TOKEN.to_owned(), input.clone()));
    let warmed = run_many(calls);
    let (warm_exec, warm_host) = warmed.last().unwrap();
    assert_eq!(
        receipt(&fresh_exec, &fresh_host),
        receipt(warm_exec, warm_host)
    );
}

#[test]
fn polluters_do_not_affect_later_calls() {
    let probe = "import pvm_host, itertools\ndef main(input):\n    print('visible')\n    return str((len('abc'), int('7'), sorted([2, 1]), pvm_host.get_state(b'x'), list(itertools.islice(itertools.count(), 2))))\n";
    let mut calls: Vec<(String, Vec<u8>)> = POLLUTERS
        .iter()
        .map(|c| (c.to_string(), Vec::new()))
        .collect();
    calls.push((probe.to_owned(), Vec::new()));
    let results = run_many(calls);
    let (exec, _) = results.last().unwrap();
    assert_eq!(
        String::from_utf8(exec.result.clone().unwrap()).unwrap(),
        "(3, 7, [1, 2], None, [0, 1])"
    );
    assert_eq!(exec.logs, vec!["visible"]);
}

#[test]
fn string_hashes_are_fixed() {
    let code = "def main(input):\n    return str((hash('pvm'), hash(b'pvm'), list({'a', 'b', 'c', 'd', 'e'})))\n";
    let a = ok(code);
    let b = ok(code);
    assert_eq!(a, b);
}
