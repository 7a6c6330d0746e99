//! Every `pvm_host` function round-trips through Python.

mod common;

use common::*;
use pvm_host::HostApi;

#[test]
fn state_round_trips() {
    let code = r#"
import pvm_host
def main(input):
    assert pvm_host.get_state(b"k") is None
    pvm_host.set_state(b"k", b"\x00\xffvalue")
    assert pvm_host.get_state(b"k") == b"\x00\xffvalue"
    pvm_host.set_state(b"gone", b"x")
    pvm_host.delete_state(b"gone")
    assert pvm_host.get_state(b"gone") is None
    pvm_host.set_state(bytearray(b"ba"), bytearray(b"ok"))
    return pvm_host.get_state(b"k")
"#;
    let (exec, mut host) = run(code, b"");
    assert_eq!(exec.result.unwrap(), b"\x00\xffvalue");
    assert_eq!(
        host.get_state(b"k").unwrap(),
        Some(b"\x00\xffvalue".to_vec())
    );
    assert_eq!(host.get_state(b"gone").unwrap(), None);
    assert_eq!(host.get_state(b"ba").unwrap(), Some(b"ok".to_vec()));
}

#[test]
fn events_arrive_intact() {
    let code = r#"
import pvm_host
def main(input):
    pvm_host.emit_event("Transfer", input)
    pvm_host.emit_event("Ünïcode topic", b"")
"#;
    let (exec, host) = run(code, b"\x01\x02\xff");
    assert_eq!(exec.result.unwrap(), b"");
    let events = host.events();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].topic, "Transfer");
    assert_eq!(events[0].data, b"\x01\x02\xff");
    assert_eq!(events[1].topic, "Ünïcode topic");
}

#[test]
fn context_values_arrive_intact() {
    let code = r#"
import pvm_host
def main(input):
    c = pvm_host.context()
    assert sorted(c) == ["block_hash", "block_height", "sender", "timestamp_ms", "tx_hash"], sorted(c)
    assert c["block_height"] == 42
    assert c["block_hash"] == bytes([7]) * 32
    assert c["tx_hash"] == bytes([9]) * 32
    assert c["sender"] == b"\xab\xcd"
    assert c["timestamp_ms"] == 1_700_000_000_123
    return "ok"
"#;
    assert_eq!(ok(code), "ok");
}

#[test]
fn gas_calls_round_trip() {
    let spent = |amount: u64| -> u64 {
        let code = format!(
            "import pvm_host\ndef main(input):\n    before = pvm_host.gas_left()\n    pvm_host.charge_gas({amount})\n    after = pvm_host.gas_left()\n    return str(before - after)\n"
        );
        ok(&code).parse().unwrap()
    };
    // The same instructions and host calls either way: only the charge differs.
    assert_eq!(spent(12_345) - spent(0), 12_345);
    assert!(spent(0) >= 2 * pvm_gas::schedule::CHEAP_CALL);
}

#[test]
fn randomness_is_deterministic_per_tx_and_domain() {
    let code = r#"
import pvm_host
def main(input):
    a = pvm_host.randomness(b"lottery")
    b = pvm_host.randomness(b"lottery")
    c = pvm_host.randomness(b"raffle")
    assert len(a) == 32 and type(a) is bytes
    assert a == b and a != c
    return a + c
"#;
    let first = run(code, b"").0.result.unwrap();
    let second = run(code, b"").0.result.unwrap();
    assert_eq!(first, second);
    // Same as the host computes directly.
    let mut host = pvm_host::MemoryHost::new(context(), 0);
    assert_eq!(&first[..32], &host.randomness(b"lottery").unwrap());
}

#[test]
fn wrong_argument_types_name_the_argument() {
    for (call, needle) in [
        (
            "pvm_host.get_state('k')",
            "get_state() argument 'key' must be bytes, not str",
        ),
        (
            "pvm_host.set_state(b'k', 1)",
            "set_state() argument 'value' must be bytes, not int",
        ),
        (
            "pvm_host.set_state(None, b'v')",
            "set_state() argument 'key' must be bytes, not NoneType",
        ),
        (
            "pvm_host.delete_state(1.5)",
            "delete_state() argument 'key' must be bytes, not float",
        ),
        (
            "pvm_host.emit_event(b't', b'd')",
            "emit_event() argument 'topic' must be str, not bytes",
        ),
        (
            "pvm_host.emit_event('t', 'd')",
            "emit_event() argument 'data' must be bytes, not str",
        ),
        (
            "pvm_host.charge_gas('1')",
            "charge_gas() argument 'amount' must be int, not str",
        ),
        (
            "pvm_host.randomness('d')",
            "randomness() argument 'domain' must be bytes, not str",
        ),
    ] {
        let code = format!("import pvm_host\ndef main(input):\n    {call}\n");
        fails_with(&code, &format!("TypeError: {needle}"));
    }
    fails_with(
        "import pvm_host\ndef main(input):\n    pvm_host.charge_gas(-1)\n",
        "ValueError: charge_gas() argument 'amount' must be between 0 and",
    );
}

#[test]
fn host_errors_are_python_exceptions() {
    let code = r#"
import pvm_host
def main(input):
    names = ["OutOfGas", "InvalidInput", "NotFound", "StorageError", "Forbidden", "Internal"]
    for n in names:
        cls = getattr(pvm_host, n)
        assert issubclass(cls, pvm_host.HostError) and cls.__name__ == n
    assert issubclass(pvm_host.HostError, Exception)
    try:
        pvm_host.OutOfGas.x = 1
    except TypeError:
        pass
    else:
        raise AssertionError("exception classes must be immutable")
    return "ok"
"#;
    assert_eq!(ok(code), "ok");
}
