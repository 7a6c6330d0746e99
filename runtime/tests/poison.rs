//! A panic anywhere under a transaction becomes an `Internal` failure, resets
//! every piece of per-thread state, and the next transaction on the same
//! interpreter, worker or thread runs exactly as on a new one.

mod common;

use std::time::Duration;

use common::*;
use pvm_host::{HostErrorKind, MemoryHost};
use pvm_runtime::{
    binding, on_interpreter_thread, ErrorKind, Execution, InterpreterPool, Poison, PvmInterpreter,
    RuntimeConfig,
};
use rustpython_vm::pvm::{depth, gas};

/// Panics deep inside native code: in a sort key, inside a repr, while the
/// call has printed, written state, emitted an event and allocated.
const PANICS: &str = r#"
import pvm_host
class R:
    def __repr__(self):
        return str(pvm_host.get_state(b"boom"))
def main(input):
    print("before the panic")
    pvm_host.set_state(b"k", b"v")
    pvm_host.emit_event("E", b"x")
    big = "y" * 100000
    return str(sorted([1, 2, 3], key=lambda x: repr([R()])))
"#;

/// A normal call that prints, reads, writes and emits.
const NORMAL: &str = r#"
import pvm_host
def main(input):
    print("normal")
    n = int(pvm_host.get_state(b"n") or b"0") + 1
    pvm_host.set_state(b"n", str(n).encode())
    pvm_host.emit_event("Counted", str(n).encode())
    return "x" * 10 + str(n)
"#;

fn panicking_host() -> PanickingHost {
    PanickingHost(MemoryHost::new(context(), GAS))
}

fn normal_on(vm: &mut PvmInterpreter) -> (Execution, MemoryHost) {
    let mut host = MemoryHost::new(context(), GAS);
    let exec = vm.execute(&mut host, NORMAL.as_bytes(), b"");
    (exec, host)
}

fn assert_internal(exec: &Execution) {
    let e = exec
        .result
        .as_ref()
        .expect_err("the panic must fail the call");
    assert_eq!(e.kind, ErrorKind::Host(HostErrorKind::Internal), "{e}");
    assert!(e.message.contains("host bug: asked for boom"), "{e}");
    assert!(exec.logs.is_empty(), "a panicked call keeps no logs");
}

/// Everything per-thread is back to what a thread has between calls.
fn assert_thread_clean() {
    assert!(!binding::is_bound(), "no host bound");
    assert!(
        binding::with_record(|_| ()).is_none(),
        "no call record left"
    );
    assert_eq!(depth::current(), 0, "native nesting reset");
    assert!(!gas::active(), "no metering session");
    assert!(gas::budget() < 0, "the budget is closed between calls");
    assert_eq!(rustpython_vm::pvm::census().transient_names, 0);
}

#[test]
fn the_next_call_on_the_same_interpreter_succeeds_as_on_a_new_one() {
    let (reference, fresh_host) = on_interpreter_thread(|| normal_on(&mut PvmInterpreter::new()))
        .expect("interpreter thread");
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = panicking_host();
        let exec = vm.execute(&mut host, PANICS.as_bytes(), b"");
        assert_internal(&exec);
        assert_eq!(vm.poison(), Some(&Poison::Panicked));
        assert_thread_clean();
        // Twice in a row, to show the rebuilt interpreter is itself healthy.
        for _ in 0..2 {
            let (exec, host) = normal_on(&mut vm);
            assert!(!vm.is_poisoned());
            assert_eq!(exec, reference, "same receipt as on a new interpreter");
            assert_eq!(host.gas_used(), fresh_host.gas_used());
            assert_eq!(host.events(), fresh_host.events());
            assert_thread_clean();
        }
    })
    .expect("interpreter thread");
}

#[test]
fn a_rebuild_in_the_middle_of_a_block_keeps_what_the_block_paid_to_compile() {
    // Gas of NORMAL's second call in a block, on an interpreter never rebuilt.
    let reference = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        vm.begin_block();
        normal_on(&mut vm);
        normal_on(&mut vm).1.gas_used()
    })
    .expect("interpreter thread");
    let after_panic = on_interpreter_thread(|| {
        let mut vm = PvmInterpreter::new();
        vm.begin_block();
        normal_on(&mut vm);
        assert_internal(&vm.execute(&mut panicking_host(), PANICS.as_bytes(), b""));
        assert!(vm.is_poisoned());
        // Rebuilt here: NORMAL is compiled again, but the block paid already.
        let (exec, host) = normal_on(&mut vm);
        exec.result.expect("succeeds");
        assert_eq!(vm.code_cache().len(), 1, "compiled again after the rebuild");
        host.gas_used()
    })
    .expect("interpreter thread");
    assert_eq!(after_panic, reference);
}

#[test]
fn a_pool_worker_that_panicked_serves_the_next_transaction_from_a_fresh_thread() {
    let pool = InterpreterPool::new(1, RuntimeConfig::default()).unwrap();
    let reference = on_interpreter_thread(|| normal_on(&mut PvmInterpreter::new()).0)
        .expect("interpreter thread");
    let mut lease = pool.checkout(Duration::from_secs(5)).unwrap();
    let (exec, thread_before) = lease
        .run(|vm| {
            let mut host = panicking_host();
            (
                vm.execute(&mut host, PANICS.as_bytes(), b""),
                std::thread::current().id(),
            )
        })
        .unwrap();
    assert_internal(&exec);
    for _ in 0..3 {
        let (exec, thread_after) = lease
            .run(|vm| {
                assert_thread_clean();
                (normal_on(vm).0, std::thread::current().id())
            })
            .unwrap();
        assert_eq!(exec, reference);
        assert_ne!(
            thread_before, thread_after,
            "the worker's thread was replaced"
        );
    }
    assert_eq!(pool.replaced(), 1);
}

#[test]
fn a_panic_outside_any_call_on_a_pool_worker_is_survived_too() {
    let pool = InterpreterPool::new(1, RuntimeConfig::default()).unwrap();
    let mut lease = pool.checkout(Duration::from_secs(5)).unwrap();
    assert!(lease.run(|_| -> () { panic!("a job bug") }).is_err());
    let exec = lease.run(|vm| normal_on(vm).0).unwrap();
    assert!(exec.result.is_ok(), "{:?}", exec.result);
    assert_eq!(pool.replaced(), 1);
}

#[test]
fn contracts_cannot_pass_off_their_own_exceptions_as_host_errors() {
    for kind in ["OutOfGas", "Internal", "StorageError", "InvalidInput"] {
        let code =
            format!("import pvm_host\ndef main(input):\n    raise pvm_host.{kind}('made up')\n");
        let (exec, host) = run(&code, b"");
        let e = exec.result.unwrap_err();
        assert_eq!(e.kind, ErrorKind::Exception, "{kind}: {e}");
        assert_eq!(e.message, format!("{kind}: made up"));
        assert!(host.gas_used() < GAS, "{kind}: not an out-of-gas receipt");
    }
    // A host error the contract catches and raises again keeps its kind.
    let code = r#"
import pvm_host
def main(input):
    try:
        pvm_host.charge_gas(10**18)
    except pvm_host.OutOfGas as e:
        raise e
"#;
    let (exec, host) = run(code, b"");
    assert_eq!(
        exec.result.unwrap_err().kind,
        ErrorKind::Host(HostErrorKind::OutOfGas)
    );
    assert_eq!(host.gas_used(), GAS);
}
