//! The example contracts behave as documented, identically on every interpreter.

use pvm_host::{HostApi, HostContext, MemoryHost};
use pvm_integration::contract;
use pvm_runtime::{on_interpreter_thread, PvmInterpreter};

fn ctx(sender: &[u8]) -> HostContext {
    HostContext {
        block_height: 1,
        sender: sender.to_vec(),
        ..HostContext::default()
    }
}

#[test]
fn counter_accumulates_in_host_state() {
    let out = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(ctx(b"a"), 10_000_000);
        let code = contract("counter.py");
        let outs: Vec<Vec<u8>> = [&b""[..], b"5", b"10"]
            .iter()
            .map(|input| vm.execute(&mut host, &code, input).result.unwrap())
            .collect();
        (outs, host.get_state(b"count").unwrap())
    })
    .unwrap();
    assert_eq!(out.0, vec![b"1".to_vec(), b"6".to_vec(), b"16".to_vec()]);
    assert_eq!(out.1, Some(b"16".to_vec()));
}

#[test]
fn token_transfers_and_rejects_overdraft() {
    let (first, second, balance, events) = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(ctx(&[0xaa]), 10_000_000);
        let code = contract("token.py");
        let first = vm.execute(&mut host, &code, b"transfer bb 400000").result;
        let second = vm.execute(&mut host, &code, b"transfer bb 700000").result;
        let balance = vm.execute(&mut host, &code, b"balance bb").result.unwrap();
        (first, second, balance, host.events().to_vec())
    })
    .unwrap();
    assert_eq!(first.unwrap(), b"600000");
    let e = second.unwrap_err();
    assert_eq!(
        e.message,
        "ValueError: insufficient balance: 600000 < 700000"
    );
    assert_eq!(balance, b"400000");
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].data, b"aa:bb:400000");
}

#[test]
fn examples_are_identical_across_interpreters() {
    let run_all = || {
        on_interpreter_thread(|| {
            let mut vm = PvmInterpreter::new();
            ["counter.py", "token.py", "fail.py"]
                .iter()
                .map(|name| {
                    let mut host = MemoryHost::new(ctx(b"s"), 10_000_000);
                    let exec = vm.execute(&mut host, &contract(name), b"transfer 01 2");
                    format!(
                        "{exec:?}|{}|{:?}|{:?}",
                        host.gas_used(),
                        host.events(),
                        host.state()
                    )
                })
                .collect::<Vec<_>>()
        })
        .unwrap()
    };
    let a = run_all();
    let b = run_all();
    assert_eq!(a, b);
    assert!(a[1].contains("Ok("), "{}", a[1]);
}
