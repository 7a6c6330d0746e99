//! No memory outlives a transaction: 10,000 transactions that each try to
//! leave something behind leave the interpreter's heap census exactly as it
//! was, and the process's resident memory flat.
//!
//! This file holds one test so that nothing else runs in the process while
//! it reads the process's memory.

mod common;

use common::*;
use pvm_host::MemoryHost;
use pvm_runtime::{on_interpreter_thread, PvmInterpreter};
use rustpython_vm::pvm::census;

/// Every route we know to keep memory past the end of a call: cycles (with
/// and without finalizers, through instances, classes, closures, frames of
/// suspended generators and exception tracebacks), finalizers that
/// resurrect, classes that subclass shared builtins (registering in their
/// subclass lists), attribute names that are interned (`setattr`, class
/// bodies, `__slots__`, keyword names), and attempts to stash objects in
/// shared modules. Every name embeds the call's input, so each call makes new
/// ones.
const LEAKER: &str = r#"
import pvm_host, _functools
keep = []
class Node:
    def __init__(self):
        self.me = self
class Phoenix:
    def __del__(self):
        keep.append(self)
def gen():
    me = yield
    yield me
def main(input):
    tag = input.decode()
    name = "attr_" + tag + "_" + "x" * 200
    a = Node()
    Phoenix().cycle = None
    p = Phoenix(); p.me = p
    class K(int):
        pass
    class D(dict):
        pass
    class E(Exception):
        pass
    setattr(K, name, 1)
    getattr(K, name)
    T = type("T_" + tag, (object,), {name + "_in_body": 1})
    S = type("S_" + tag, (object,), {"__slots__": ("slot_" + tag,)})
    s = S()
    setattr(s, "slot_" + tag, s)
    _functools.partial(print, **{"kw_" + tag: 1})
    g = gen()
    next(g)
    g.send(g)
    try:
        raise E(tag)
    except E as e:
        err = e
    err.me = err
    f = lambda: f
    try:
        len.__self__.stash = keep
    except AttributeError:
        pass
    return str(len(keep))
"#;

fn rss_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

#[test]
fn ten_thousand_leaking_transactions_leave_nothing_behind() {
    const CALLS: usize = 10_000;
    const WARM_UP: usize = 1_000;
    on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let mut baseline = None;
        let mut rss_after_warm_up = 0;
        for i in 0..CALLS {
            let mut host = MemoryHost::new(context(), GAS);
            let exec = vm.execute(&mut host, LEAKER.as_bytes(), i.to_string().as_bytes());
            // One finalizer resurrected itself into `keep` while the call ran.
            assert_eq!(exec.result, Ok(b"1".to_vec()), "call {i}");
            assert!(!vm.is_poisoned(), "call {i} left something behind");
            let now = census();
            match baseline {
                None => baseline = Some(now),
                Some(b) => assert_eq!(now, b, "heap census after call {i}"),
            }
            if i + 1 == WARM_UP {
                rss_after_warm_up = rss_bytes();
            }
        }
        let growth = rss_bytes().saturating_sub(rss_after_warm_up);
        // 9,000 calls that each made a few hundred objects and interned about
        // a kilobyte of fresh names: anything kept per call would show as
        // megabytes.
        assert!(
            growth < 4 * 1024 * 1024,
            "resident memory grew by {growth} bytes over {} calls",
            CALLS - WARM_UP
        );
    })
    .unwrap();
}
