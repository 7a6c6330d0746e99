//! Every sandbox refusal is a clear failure, and nothing address-based leaks.

mod common;

use common::*;

fn body(stmt: &str) -> String {
    let indented: String = stmt.lines().map(|l| format!("    {l}\n")).collect();
    format!("import pvm_host\ndef main(_input):\n{indented}    return 'escaped'\n")
}

#[test]
fn forbidden_modules_fail_naming_the_module() {
    for module in [
        "os",
        "sys",
        "io",
        "_io",
        "time",
        "random",
        "_thread",
        "gc",
        "marshal",
        "_imp",
        "importlib",
        "_frozen_importlib",
        "builtins",
        "atexit",
        "_weakref",
        "_interpreters",
        "_testinternalcapi",
        "_signal",
        "posix",
        "socket",
        "_ast",
        "_sysconfig",
        "codecs",
    ] {
        let needle = format!("import of module '{module}' is not allowed");
        fails_with(&body(&format!("import {module}")), &needle);
        fails_with(&body(&format!("__import__('{module}')")), &needle);
        fails_with(&body(&format!("from {module} import x")), &needle);
    }
    fails_with(
        &body("import os.path"),
        "import of module 'os.path' is not allowed",
    );
    fails_with(&body("from . import x"), "relative import");
    fails_with(&body("__import__('os', level=1)"), "relative import");
}

#[test]
fn allowed_modules_import() {
    let code = r#"
import pvm_host, itertools, _functools, _collections, _operator
from itertools import count
def main(input):
    return str(list(itertools.islice(count(3), 2)) + [_functools.reduce(_operator.add, [1, 2, 3])])
"#;
    assert_eq!(ok(code), "[3, 4, 6]");
}

#[test]
fn dangerous_builtins_do_not_exist() {
    for name in [
        "open",
        "input",
        "eval",
        "exec",
        "compile",
        "breakpoint",
        "globals",
        "vars",
        "locals",
        "id",
        "help",
        "exit",
        "quit",
    ] {
        fails_with(
            &body(name),
            &format!("NameError: name '{name}' is not defined"),
        );
        // Not through the builtins module either (reachable as len.__self__).
        fails_with(
            &body(&format!("getattr(len.__self__, '{name}')")),
            "AttributeError",
        );
        fails_with(&body(&format!("__builtins__.{name}")), "AttributeError");
    }
}

#[test]
fn introspection_routes_are_closed() {
    for (stmt, needle) in [
        ("object.__subclasses__()", "AttributeError"),
        ("type.__subclasses__(object)", "AttributeError"),
        ("().__class__.__base__.__subclasses__()", "AttributeError"),
        (
            "'{0.__class__.__base__.__subclasses__}'.format(0)",
            "AttributeError",
        ),
        ("(lambda: 0).__code__", "AttributeError"),
        ("main.__globals__", "AttributeError"),
        ("main.__builtins__", "AttributeError"),
        ("(x for x in ()).gi_frame", "AttributeError"),
        ("(x for x in ()).gi_code", "AttributeError"),
        (
            "try:\n    1/0\nexcept Exception as e:\n    e.__traceback__.tb_frame",
            "AttributeError",
        ),
        ("pvm_host.__loader__", "AttributeError"),
        ("pvm_host.__spec__", "AttributeError"),
        ("len.__self__.__loader__", "AttributeError"),
        ("len.__self__.__dict__['eval']", "KeyError"),
        ("type(len.__self__)('sys').modules", "AttributeError"),
        ("b'x'.decode('time')", "LookupError"),
        ("''.encode('os')", "LookupError"),
    ] {
        fails_with(&body(stmt), needle);
    }
}

#[test]
fn match_and_getattr_tricks_do_not_reach_hidden_attributes() {
    let code = r#"
class S(str):
    pass
def main(input):
    match object:
        case type(__subclasses__=f):
            return "escaped by match"
    try:
        getattr(type, S("__subclasses__"))
        return "escaped by str subclass"
    except AttributeError:
        pass
    try:
        getattr(type, "__sub" + "classes__")
        return "escaped by concatenation"
    except AttributeError:
        pass
    if hasattr(type, "\uff3f_subclasses__"):
        return "escaped by unicode"
    return "safe"
"#;
    assert_eq!(ok(code), "safe");
}

#[test]
fn print_goes_to_the_log() {
    let code = r#"
def main(input):
    print("hello", 1, [2], sep="-")
    print("no newline", end="")
    print(" continued")
    return "ok"
"#;
    let (exec, _) = run(code, b"");
    assert_eq!(exec.result.unwrap(), b"ok");
    assert_eq!(exec.logs, vec!["hello-1-[2]", "no newline continued"]);
}

#[test]
fn reprs_and_hashes_hold_no_addresses() {
    let code = r#"
class A:
    pass
def f():
    pass
def main(input):
    a = A()
    out = [repr(object()), repr(a), repr(f), repr(A), repr([].append), repr(len),
           repr(x for x in ()), str(hash(a) == hash(A())), str(hash(A)), str(hash(object())),
           str(hash(float('nan')))]
    s = set()
    items = [A() for _ in range(20)]
    for i, x in enumerate(items):
        x.i = i
        s.add(x)
    out.append(str([x.i for x in s]))
    return "\n".join(out)
"#;
    let first = ok(code);
    let lines: Vec<&str> = first.lines().collect();
    assert_eq!(lines[0], "<object object>");
    assert_eq!(lines[1], "<__contract__.A object>");
    assert_eq!(lines[2], "<function f>");
    assert_eq!(lines[3], "<class '__contract__.A'>");
    assert_eq!(lines[4], "<built-in method append of list object>");
    assert_eq!(lines[5], "<built-in function len>");
    assert_eq!(lines[6], "<generator object main.<locals>.<genexpr>>");
    assert_eq!(lines[7], "True");
    assert_eq!(lines[10], "0");
    // Twenty equal hashes: the order is where the probe sequence of CPython
    // 3.11's set table puts them, the same on every machine.
    assert_eq!(
        lines[11],
        "[11, 12, 13, 14, 15, 16, 17, 18, 4, 1, 0, 3, 5, 6, 7, 8, 9, 10, 2, 19]"
    );
    assert!(!first.contains("0x"), "{first}");
    // Identical in a second, separately created interpreter.
    assert_eq!(first, ok(code));
}

#[test]
fn class_hierarchies_are_bounded() {
    // 63 classes under object make an MRO of 64, the most allowed: every walk
    // of it (a missed lookup, isinstance, slot inheritance) is bounded work.
    let deepest = "c = object\nfor i in range(63):\n    c = type('D', (c,), {})\n";
    assert_eq!(
        ok(&format!(
            "{deepest}def main(_input):\n    return str(len(c.__mro__)) + ' ' + str(isinstance(c(), int))\n"
        )),
        "64 False"
    );
    let limit = "method resolution order may hold at most 64 classes";
    for stmt in [
        // One class deeper, by type() and by a class statement.
        format!("{deepest}type('E', (c,), {{}})"),
        format!("{deepest}class E(c):\n    pass"),
        // 63 direct bases (with object and the class itself, 65).
        "bases = tuple(type('B' + str(i), (), {}) for i in range(63))\ntype('W', bases, {})"
            .to_string(),
        // A metaclass whose mro() returns a longer list.
        "class M(type):\n    def mro(cls):\n        return [cls] + [object] * 64\nclass C(metaclass=M):\n    pass"
            .to_string(),
    ] {
        fails_with(&body(&stmt), limit);
    }
}
