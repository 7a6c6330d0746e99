//! Nothing one transaction does to the objects every transaction shares can be
//! seen by the next: a sweep tries every mutation on every shared object a
//! contract can reach, and the known attacks each get their own test.

mod common;

use common::*;
use pvm_host::MemoryHost;
use pvm_runtime::{on_interpreter_thread, ErrorKind, PvmInterpreter};

/// Walks every object reachable from what a contract can import (builtins
/// through `len.__self__`, the allowed modules, `pvm_host`), following
/// attributes, types and MROs, and returns the objects that are shared: the
/// same object every time they are reached. (A bound method made afresh by
/// each attribute access is the accessing code's own.) Objects are told
/// apart by type and repr, as the sandbox has no `id()`.
const WALK: &str = r#"
import pvm_host, itertools, _functools, _collections, _operator

ROOTS = [len.__self__, pvm_host, itertools, _functools, _collections, _operator]
SCALARS = (int, float, complex, str, bytes, bool, type(None))

def key(o):
    try:
        r = repr(o)
    except Exception:
        r = "?"
    return type(o).__name__ + ":" + r

def walk():
    seen = {}
    todo = list(ROOTS)
    while todo:
        o = todo.pop()
        k = key(o)
        if k in seen:
            continue
        seen[k] = o
        todo.append(type(o))
        if isinstance(o, type):
            todo.extend(o.__mro__)
            for v in o.__dict__.values():
                if not isinstance(v, SCALARS):
                    todo.append(v)
        for name in dir(o):
            try:
                v = getattr(o, name)
                stable = getattr(o, name) is v
            except Exception:
                continue
            if stable and not isinstance(v, SCALARS):
                todo.append(v)
    return [seen[k] for k in sorted(seen)]
"#;

/// Tries every mutation on every shared object and reports what succeeded.
const SWEEP: &str = r#"
class Sentinel:
    pass
S = Sentinel()

def attempts(o):
    names = sorted(set(dir(o)))
    for name in names:
        yield ("setattr", name, lambda name=name: setattr(o, name, S))
        yield ("delattr", name, lambda name=name: delattr(o, name))
    yield ("setattr-new", "pvm_new", lambda: setattr(o, "pvm_new", 1))
    yield ("object.__setattr__", "pvm_new", lambda: object.__setattr__(o, "pvm_new", 1))
    yield ("__class__", "", lambda: setattr(o, "__class__", type(o)))
    for cls in type(o).__mro__:
        for name, d in list(cls.__dict__.items()):
            if hasattr(type(d), "__set__"):
                yield ("__set__", name, lambda d=d: d.__set__(o, S))
            if hasattr(type(d), "__delete__"):
                yield ("__delete__", name, lambda d=d: d.__delete__(o))
    try:
        d = o.__dict__
    except Exception:
        d = None
    if isinstance(d, dict):
        first = next(iter(d), None)
        yield ("dict[]=", "", lambda: d.__setitem__("pvm_new", 1))
        yield ("dict.update", "", lambda: d.update(pvm_new=1))
        yield ("dict.setdefault", "", lambda: d.setdefault("pvm_new", 1))
        yield ("dict.__init__", "", lambda: dict.__init__(d, pvm_new=1))
        yield ("dict |=", "", lambda: d.__ior__({"pvm_new": 1}))
        if first is not None:
            yield ("del dict[]", "", lambda: d.__delitem__(first))
            yield ("dict.pop", "", lambda: d.pop(first))
        yield ("dict.popitem", "", lambda: d.popitem())
        yield ("dict.clear", "", lambda: d.clear())

def main(input):
    done = []
    for o in walk():
        if isinstance(o, (int, float, str, bytes)):
            continue
        for what, name, attempt in attempts(o):
            try:
                attempt()
            except Exception:
                continue
            done.append(key(o) + " " + what + " " + name)
    return "\n".join(done)
"#;

/// A fingerprint of the shared world: every object's attribute names and
/// the types of their values, and every module's namespace.
const FINGERPRINT: &str = r#"
def main(input):
    lines = []
    for o in walk():
        names = sorted(set(dir(o)))
        kinds = []
        for n in names:
            try:
                kinds.append(n + "=" + type(getattr(o, n)).__name__)
            except Exception as e:
                kinds.append(n + "!" + type(e).__name__)
        lines.append(key(o) + " " + ",".join(kinds))
    return "\n".join(lines)
"#;

fn program(body: &str) -> String {
    format!("{WALK}\n{body}")
}

fn output(vm: &mut PvmInterpreter, code: &str) -> String {
    let mut host = MemoryHost::new(context(), 50_000_000_000);
    let exec = vm.execute(&mut host, code.as_bytes(), b"");
    match exec.result {
        Ok(out) => String::from_utf8(out).unwrap(),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn the_sweep_finds_nothing_writable_and_the_next_transaction_sees_nothing() {
    let (fresh, swept, mutated) = on_interpreter_thread(|| {
        let fresh = output(&mut PvmInterpreter::new(), &program(FINGERPRINT));
        let mut vm = PvmInterpreter::new();
        let mutated = output(&mut vm, &program(SWEEP));
        let swept = output(&mut vm, &program(FINGERPRINT));
        (fresh, swept, mutated)
    })
    .unwrap();
    assert!(
        fresh.lines().count() > 300,
        "the walk reaches the shared world"
    );
    assert_eq!(mutated, "", "mutations of shared objects that succeeded");
    assert_eq!(swept, fresh, "what the next transaction sees");
}

/// Runs `attack` in one transaction and `probe` in the next, on one
/// interpreter, and returns (attack error, probe output).
fn attack_then_probe(attack: &str, probe: &str) -> (Option<pvm_runtime::ExecError>, String) {
    let (attack, probe) = (attack.to_owned(), probe.to_owned());
    on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context(), GAS);
        let first = vm.execute(&mut host, attack.as_bytes(), b"").result.err();
        (first, output(&mut vm, &probe))
    })
    .unwrap()
}

#[test]
fn a_contract_cannot_plant_code_in_a_builtin_type() {
    let (err, probe) = attack_then_probe(
        "import pvm_host\ndef f(self):\n    pvm_host.set_state(b'planted', b'1')\n    return False\ndef main(i):\n    type(None).__bool__ = f\n",
        "import pvm_host\ndef main(i):\n    x = bool(None)\n    return repr(pvm_host.get_state(b'planted'))\n",
    );
    let err = err.expect("assigning to NoneType.__bool__ fails");
    assert_eq!(err.kind, ErrorKind::Exception);
    assert!(err.message.contains("immutable type 'NoneType'"), "{err}");
    assert_eq!(probe, "None");
}

#[test]
fn descriptor_setters_and_caches_on_shared_types_are_refused() {
    for (attack, needle) in [
        // Every class instantiation would fail, chain-wide.
        (
            "type.__dict__['__abstractmethods__'].__set__(object, frozenset({'x'}))",
            "shared by every transaction",
        ),
        ("type.__dict__['__doc__'].__set__(int, 'x')", "shared"),
        ("type.__dict__['__qualname__'].__set__(int, 'x')", "shared"),
        ("len.__module__ = 'x'", "shared"),
        ("len.__self__.x = 1", "module 'builtins' is shared"),
        ("del len.__self__.len", "module 'builtins' is shared"),
        ("object.__setattr__(len.__self__, 'x', 1)", "shared"),
        ("len.__self__.__dict__['len'] = None", "read-only"),
        ("len.__self__.__dict__.clear()", "read-only"),
        ("dict.clear(len.__self__.__dict__)", "read-only"),
        (
            "import itertools\nitertools.count = None",
            "module 'itertools' is shared",
        ),
        (
            "import pvm_host\npvm_host.get_state = None",
            "module 'pvm_host' is shared",
        ),
        (
            "class M(type(len.__self__)):\n    pass\nlen.__self__.__class__ = M",
            "shared",
        ),
        (
            "import pvm_host\npvm_host.HostError.x = 1",
            "immutable type",
        ),
    ] {
        let body: String = attack.lines().map(|l| format!("    {l}\n")).collect();
        let code = format!("def main(i):\n{body}");
        fails_with(&code, needle);
    }
    // Reading an annotations cache on a shared type must not create one.
    let (_, probe) = attack_then_probe(
        "import pvm_host\ndef main(i):\n    pvm_host.HostError.__annotations__['x'] = int\n",
        "import pvm_host\ndef main(i):\n    return repr(pvm_host.HostError.__annotations__)\n",
    );
    assert_eq!(probe, "{}");
}

#[test]
fn no_contract_code_runs_against_a_shared_dict() {
    // A key whose hash collides with 'len' and whose __eq__ records that it
    // ran: refusing before hashing means it never runs.
    let code = r#"
ran = []
class Evil:
    def __hash__(self):
        return hash('len')
    def __eq__(self, other):
        ran.append(1)
        raise ValueError('eq ran')
def main(i):
    try:
        len.__self__.__dict__[Evil()] = 1
    except TypeError as e:
        return str(len(ran)) + ' ' + str(e)
"#;
    assert_eq!(
        ok(code),
        "0 this dict belongs to an object shared by every transaction and is read-only"
    );
}

#[test]
fn finalizers_that_run_as_a_transaction_ends_cannot_write_shared_state() {
    // The cycle dies in the collection that ends the call; its __del__ tries
    // to write the builtins and records what happened in the call's state.
    let attack = r#"
import pvm_host
class Ghost:
    def __del__(self):
        try:
            len.__self__.haunted = 1
            pvm_host.set_state(b'del', b'wrote builtins')
        except AttributeError:
            pvm_host.set_state(b'del', b'refused')
def main(i):
    g = Ghost()
    g.me = g
"#;
    let probe = "def main(i):\n    return str(hasattr(len.__self__, 'haunted'))\n";
    let (attack_owned, probe_owned) = (attack.to_owned(), probe.to_owned());
    let (state, seen) = on_interpreter_thread(move || {
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context(), GAS);
        vm.execute(&mut host, attack_owned.as_bytes(), b"")
            .result
            .unwrap();
        (
            host.state().get(&b"del"[..]).cloned(),
            output(&mut vm, &probe_owned),
        )
    })
    .unwrap();
    assert_eq!(state.as_deref(), Some(&b"refused"[..]));
    assert_eq!(seen, "False");
}

#[test]
fn a_failed_write_leaves_the_gas_of_later_lookups_unchanged() {
    // Probe counts are gas: if an add+delete on a shared dict could change its
    // layout, later lookups would cost differently than on a new interpreter.
    let attack = r#"
def main(i):
    d = len.__self__.__dict__
    for k in range(200):
        try:
            d['pvm%d' % k] = k
        except TypeError:
            pass
        try:
            del d['pvm%d' % k]
        except (TypeError, KeyError):
            pass
"#;
    let probe = r#"
def main(i):
    n = 0
    for _ in range(300):
        n += len(abs.__name__) + len(str(min(3, 4))) + len(repr(max))
    return str(n)
"#;
    let (attack, probe) = (attack.to_owned(), probe.to_owned());
    let (fresh, after) = on_interpreter_thread(move || {
        let gas_of = |vm: &mut PvmInterpreter| {
            let mut host = MemoryHost::new(context(), GAS);
            vm.execute(&mut host, probe.as_bytes(), b"").result.unwrap();
            host.gas_used()
        };
        let fresh = gas_of(&mut PvmInterpreter::new());
        let mut vm = PvmInterpreter::new();
        let mut host = MemoryHost::new(context(), GAS);
        vm.execute(&mut host, attack.as_bytes(), b"")
            .result
            .unwrap();
        (fresh, gas_of(&mut vm))
    })
    .unwrap();
    assert_eq!(after, fresh);
}
