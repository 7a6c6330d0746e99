//! Error text never depends on what ran before: nothing Python-visible is
//! formatted from Rust `Debug` output or addresses, and no getter hands out
//! the interpreter's own objects. And no code runs outside a metered call.

mod common;

use common::*;
use pvm_host::MemoryHost;
use pvm_runtime::{on_interpreter_thread, ErrorKind, PvmInterpreter};

/// The same code twice on one interpreter (the second time its code object,
/// and the strings in it, come from the cache and have been hashed), and
/// once more after other contracts warmed the interpreter.
fn same_error_every_time(code: &str) -> String {
    let code = code.to_owned();
    let messages = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut messages = Vec::new();
        let call = |vm: &mut PvmInterpreter, code: &str| {
            let mut host = MemoryHost::new(context(), GAS);
            vm.execute(&mut host, code.as_bytes(), b"").result
        };
        messages.push(call(&mut vm, &code).unwrap_err().message);
        messages.push(call(&mut vm, &code).unwrap_err().message);
        for warm in [
            "def main(i):\n    return str({'A': 1, 'f': 2, 'Meta': 3})\n",
            "class A:\n    pass\ndef main(i):\n    return repr(hash('A'))\n",
        ] {
            call(&mut vm, warm).unwrap();
        }
        messages.push(call(&mut vm, &code).unwrap_err().message);
        messages
    })
    .unwrap();
    assert_eq!(messages[0], messages[1], "cached code");
    assert_eq!(messages[0], messages[2], "warmed interpreter");
    messages.into_iter().next().unwrap()
}

#[test]
fn the_classcell_error_prints_python_reprs() {
    let message = same_error_every_time(
        r#"
class Meta(type):
    def __new__(mcls, name, bases, ns):
        ns.pop('__classcell__', None)
        return super().__new__(mcls, name, bases, ns)
def main(i):
    class A(metaclass=Meta):
        def f(self):
            return __class__
"#,
    );
    assert!(
        message.starts_with("RuntimeError: __class__ not set defining 'A' as <class '"),
        "{message}"
    );
    assert!(!message.contains("hash"), "{message}");
}

#[test]
fn getset_descriptors_check_their_instance_type() {
    let message = same_error_every_time(
        "class C:\n    pass\ndef main(i):\n    return repr(C.__dict__['__weakref__'].__get__(int))\n",
    );
    assert_eq!(
        message,
        "TypeError: descriptor '__weakref__' for 'C' objects doesn't apply to a 'type' object"
    );
    assert!(!message.contains("0x"));
}

#[test]
fn reprs_of_interpreter_objects_carry_no_address() {
    let out = ok("class C:\n    pass\ndef main(i):\n    c = C()\n    return repr([c, C, len, [].append, iter([]), (lambda: 0)])\n");
    assert!(!out.contains("0x"), "{out}");
}

#[test]
fn finalizers_left_by_a_crashed_call_never_run_unmetered() {
    // A call that panics leaves a cycle whose finalizer would loop forever.
    // The interpreter is rebuilt; dropping the old one must not run it: the
    // budget is closed outside calls, so its first instruction raises.
    let crash = r#"
import pvm_host
class Forever:
    def __del__(self):
        while True:
            pass
keep = []
def main(i):
    f = Forever()
    f.me = f
    keep.append(f)
    pvm_host.get_state(b'boom')
"#;
    let out = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = PanickingHost(MemoryHost::new(context(), GAS));
        let e = vm
            .execute(&mut host, crash.as_bytes(), b"")
            .result
            .unwrap_err();
        assert_eq!(e.kind, ErrorKind::Host(pvm_host::HostErrorKind::Internal));
        // Rebuilds (dropping the old interpreter and its cycle), then runs.
        let mut host = MemoryHost::new(context(), GAS);
        vm.execute(&mut host, b"def main(i):\n    return 'alive'\n", b"")
            .result
            .unwrap()
    })
    .unwrap();
    assert_eq!(out, b"alive");
}

#[test]
fn no_contract_text_reaches_the_nodes_stderr() {
    // Warnings (compile-time SyntaxWarnings, DeprecationWarnings at run time)
    // would be printed through `sys.stderr`: run such contracts in a child
    // process and read what it wrote.
    if std::env::var_os("PVM_STDERR_CHILD").is_some() {
        for code in [
            "def main(input):\n    return str(1.5[0] if input else 0)\n",
            "def main(input):\n    return str(1 is 1) + '\\d'\n",
            "def main(input):\n    x = 'MARKER' * 2\n    return x\n",
        ] {
            let _ = run(code, b"");
        }
        return;
    }
    let out = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "no_contract_text_reaches_the_nodes_stderr",
            "--nocapture",
        ])
        .env("PVM_STDERR_CHILD", "1")
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for needle in ["Warning", "<contract>", "MARKER"] {
        assert!(!stderr.contains(needle), "stderr: {stderr}");
    }
}
