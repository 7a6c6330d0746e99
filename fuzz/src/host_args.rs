//! `pvm_host` argument parsing: fuzzer-chosen Python values passed to every
//! `pvm_host` function, checked against a model of what each should do.
//!
//! The bytes choose the contract's input and a list of calls; each call names a
//! function and passes values of every shape a contract can make: bytes, str
//! (including lone surrogates), ints from zero to past `u64`, negative and
//! huge, `bool`, subclasses of `bytes`/`str`/`int`, `bytearray`, `memoryview`,
//! `None`, floats, containers, slices of the input, and objects whose
//! `__index__`, `__bytes__`, `__eq__` or `__hash__` do odd things (`pvm_host`
//! must ignore them all: it reads the native value or refuses). Wrong arities
//! too. The contract runs each call in `try`, records what it returned or the
//! class of what it raised, and returns the record.
//!
//! The model ([`Model`]) predicts the record from the Rust side: which
//! arguments are accepted, the `TypeError`/`ValueError` of the ones that are
//! not, the state a `get_state` sees after earlier writes, the events, the
//! randomness [`MemoryHost`] derives and the context. A mismatch is a finding.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use arbitrary::{Result, Unstructured};
use pvm_host::{HostApi as _, HostContext, HostErrorKind, MemoryHost};
use pvm_runtime::ErrorKind;

use crate::interpreter::{fuzz_gas_limit, run_twice};
use crate::python::{bytes_literal, str_literal};

/// Most calls in one contract: their gas stays well under [`crate::interpreter::FUZZ_GAS_LIMIT`].
const MAX_CALLS: usize = 24;
/// Longest byte or string argument.
const MAX_ARG: usize = 256;

/// The contract's fixed part: the odd classes and the result formatter.
const PRELUDE: &str = r#"import pvm_host

class B(bytes):
    def __eq__(self, other):
        raise RuntimeError("B.__eq__")
    def __hash__(self):
        raise RuntimeError("B.__hash__")
    def __len__(self):
        return 10**30

class S(str):
    def __str__(self):
        return "other"
    def encode(self, *a):
        return b"other"

class I(int):
    def __index__(self):
        return 10**30
    def __int__(self):
        return -1

class Idx:
    def __index__(self):
        return 3

class HugeIdx:
    def __index__(self):
        return 2**100

class BadIdx:
    def __index__(self):
        raise ValueError("BadIdx")

class Byt:
    def __bytes__(self):
        return b"k"

class BadByt:
    def __bytes__(self):
        raise RuntimeError("BadByt")

class Strish:
    def __str__(self):
        return "topic"

def show(r):
    if r is None:
        return "N"
    if type(r) is bytes:
        return "B:" + r.hex()
    if type(r) is int:
        return "I"
    if type(r) is dict:
        return "C:%d,%s,%s,%s,%d" % (r["block_height"], r["block_hash"].hex(),
            r["tx_hash"].hex(), r["sender"].hex(), r["timestamp_ms"])
    return "?" + type(r).__name__

def main(input):
    out = []
"#;

/// What a Python value is, as far as `pvm_host` is concerned.
#[derive(Clone, Debug)]
enum Value {
    /// A `bytes` or `bytearray` (or subclass): accepted where bytes are.
    Bytes(Vec<u8>),
    /// A `str` (or subclass) that is valid UTF-8: accepted where str is.
    Str(String),
    /// An `int` (or `bool`, or subclass), with its value if it fits a u64.
    Int(Option<u64>),
    /// Anything else: refused everywhere.
    Other,
}

/// One argument: its Python expression and what it is.
struct Arg {
    expr: String,
    value: Value,
}

fn gen_bytes(u: &mut Unstructured, input: &[u8]) -> Result<Arg> {
    let len = u.int_in_range(0..=MAX_ARG.min(u.len()))?;
    let raw = u.bytes(len)?.to_vec();
    Ok(match u.int_in_range(0..=4)? {
        0 => Arg {
            expr: bytes_literal(&raw),
            value: Value::Bytes(raw),
        },
        1 => Arg {
            expr: format!("B({})", bytes_literal(&raw)),
            value: Value::Bytes(raw),
        },
        2 => Arg {
            expr: format!("bytearray({})", bytes_literal(&raw)),
            value: Value::Bytes(raw),
        },
        3 => {
            let a = u.int_in_range(0..=input.len())?;
            let b = u.int_in_range(a..=input.len().min(a + MAX_ARG))?;
            Arg {
                expr: format!("input[{a}:{b}]"),
                value: Value::Bytes(input[a..b].to_vec()),
            }
        }
        _ => Arg {
            expr: format!("bytes(B({}))", bytes_literal(&raw)),
            value: Value::Bytes(raw),
        },
    })
}

fn gen_str(u: &mut Unstructured, input: &[u8]) -> Result<Arg> {
    let len = u.int_in_range(0..=32)?;
    let mut s = String::new();
    for _ in 0..len {
        let c = match u.int_in_range(0..=3)? {
            0 => char::from(u.int_in_range(b' '..=b'~')?),
            1 => char::from_u32(u.int_in_range(0..=0x7ff)?).unwrap_or('?'),
            2 => char::from_u32(u.int_in_range(0..=0x10ffff)?).unwrap_or('\u{fffd}'),
            _ => ['\0', '\n', '"', '\'', '\\', '\u{1f600}', '\u{ffff}'][u.choose_index(7)?],
        };
        s.push(c);
    }
    Ok(match u.int_in_range(0..=3)? {
        0 => Arg {
            expr: str_literal(&s),
            value: Value::Str(s),
        },
        1 => Arg {
            expr: format!("S({})", str_literal(&s)),
            value: Value::Str(s),
        },
        2 => {
            let a = u.int_in_range(0..=input.len())?;
            let b = u.int_in_range(a..=input.len().min(a + 64))?;
            Arg {
                expr: format!("input[{a}:{b}].decode('latin-1')"),
                value: Value::Str(input[a..b].iter().map(|&b| char::from(b)).collect()),
            }
        }
        _ => {
            // A lone surrogate: a str, but not one UTF-8 can carry.
            let surrogate = u.int_in_range(0xd800u32..=0xdfff)?;
            Arg {
                expr: format!("({} + '\\u{surrogate:04x}')", str_literal(&s)),
                value: Value::Other,
            }
        }
    })
}

fn gen_int(u: &mut Unstructured) -> Result<Arg> {
    let (expr, value): (String, Option<u64>) = match u.int_in_range(0..=13)? {
        0 => {
            let n = u.int_in_range(0..=1000u64)?;
            (n.to_string(), Some(n))
        }
        1 => ("True".into(), Some(1)),
        2 => ("False".into(), Some(0)),
        3 => {
            let n = u.int_in_range(0..=1000u64)?;
            (format!("I({n})"), Some(n))
        }
        4 => ("2**64 - 1".into(), Some(u64::MAX)),
        5 => ("2**64".into(), None),
        6 => ("-1".into(), None),
        7 => ("-(2**63)".into(), None),
        8 => ("10**30".into(), None),
        9 => ("-(10**400)".into(), None),
        10 => {
            let k = u.int_in_range(40..=63u32)?;
            (format!("2**{k}"), Some(1u64 << k))
        }
        11 => ("int('9' * 50)".into(), None),
        12 => ("(1 << 4000)".into(), None),
        _ => ("I(-5)".into(), None),
    };
    Ok(Arg {
        expr,
        value: Value::Int(value),
    })
}

fn gen_other(u: &mut Unstructured) -> Result<Arg> {
    const OTHERS: &[&str] = &[
        "None",
        "1.0",
        "float('nan')",
        "memoryview(b'key')",
        "[1, 2]",
        "(b'k',)",
        "{b'k': b'v'}",
        "{b'k'}",
        "Idx()",
        "HugeIdx()",
        "BadIdx()",
        "Byt()",
        "BadByt()",
        "Strish()",
        "object()",
        "pvm_host",
        "pvm_host.get_state",
        "type",
        "NotImplemented",
        "...",
        "1j",
        "range(3)",
        "iter([b'k'])",
        "slice(1)",
        "ValueError('x')",
    ];
    Ok(Arg {
        expr: OTHERS[u.choose_index(OTHERS.len())?].to_owned(),
        value: Value::Other,
    })
}

fn gen_arg(u: &mut Unstructured, input: &[u8]) -> Result<Arg> {
    match u.int_in_range(0..=9)? {
        0..=3 => gen_bytes(u, input),
        4..=5 => gen_str(u, input),
        6..=7 => gen_int(u),
        _ => gen_other(u),
    }
}

/// The `pvm_host` functions, with the kind of each parameter.
#[derive(Clone, Copy, Debug)]
enum Func {
    GetState,
    SetState,
    DeleteState,
    EmitEvent,
    ChargeGas,
    GasLeft,
    Context,
    Randomness,
}

impl Func {
    const ALL: [Func; 8] = [
        Func::GetState,
        Func::SetState,
        Func::DeleteState,
        Func::EmitEvent,
        Func::ChargeGas,
        Func::GasLeft,
        Func::Context,
        Func::Randomness,
    ];

    fn name(self) -> &'static str {
        match self {
            Func::GetState => "get_state",
            Func::SetState => "set_state",
            Func::DeleteState => "delete_state",
            Func::EmitEvent => "emit_event",
            Func::ChargeGas => "charge_gas",
            Func::GasLeft => "gas_left",
            Func::Context => "context",
            Func::Randomness => "randomness",
        }
    }

    fn arity(self) -> usize {
        match self {
            Func::GasLeft | Func::Context => 0,
            Func::SetState | Func::EmitEvent => 2,
            _ => 1,
        }
    }
}

/// What the host state should be, and what each call should record.
struct Model {
    host: MemoryHost,
    state: BTreeMap<Vec<u8>, Vec<u8>>,
    events: Vec<(String, Vec<u8>)>,
    record: Vec<String>,
    out_of_gas: bool,
}

impl Model {
    fn new(context: HostContext) -> Self {
        Self {
            host: MemoryHost::new(context, 0),
            state: BTreeMap::new(),
            events: Vec::new(),
            record: Vec::new(),
            out_of_gas: false,
        }
    }

    /// Predicts one call's record entry (or the end of the run, out of gas).
    fn call(&mut self, func: Func, args: &[Value]) {
        if args.len() != func.arity() {
            return self.record.push("E:TypeError".into());
        }
        let bytes = |v: &Value| match v {
            Value::Bytes(b) => Some(b.clone()),
            _ => None,
        };
        let entry = match (func, args) {
            (Func::GetState, [k]) => match bytes(k) {
                Some(k) => match self.state.get(&k) {
                    Some(v) => format!("B:{}", hex(v)),
                    None => "N".into(),
                },
                None => "E:TypeError".into(),
            },
            (Func::SetState, [k, v]) => match (bytes(k), bytes(v)) {
                (Some(k), Some(v)) => {
                    self.state.insert(k, v);
                    "N".into()
                }
                _ => "E:TypeError".into(),
            },
            (Func::DeleteState, [k]) => match bytes(k) {
                Some(k) => {
                    self.state.remove(&k);
                    "N".into()
                }
                None => "E:TypeError".into(),
            },
            (Func::EmitEvent, [t, d]) => match (t, bytes(d)) {
                (Value::Str(t), Some(d)) => {
                    self.events.push((t.clone(), d));
                    "N".into()
                }
                _ => "E:TypeError".into(),
            },
            (Func::ChargeGas, [a]) => match a {
                Value::Int(Some(n)) if *n >= 1 << 40 => {
                    self.out_of_gas = true;
                    return;
                }
                Value::Int(Some(_)) => "N".into(),
                Value::Int(None) => "E:ValueError".into(),
                _ => "E:TypeError".into(),
            },
            (Func::GasLeft, []) => "I".into(),
            (Func::Context, []) => {
                let c = self.host.context();
                format!(
                    "C:{},{},{},{},{}",
                    c.block_height,
                    hex(&c.block_hash),
                    hex(&c.tx_hash),
                    hex(&c.sender),
                    c.timestamp_ms
                )
            }
            (Func::Randomness, [d]) => match bytes(d) {
                Some(d) => {
                    let r = self.host.randomness(&d).expect("memory randomness");
                    format!("B:{}", hex(&r))
                }
                None => "E:TypeError".into(),
            },
            _ => unreachable!("arity checked above"),
        };
        self.record.push(entry);
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// A generated contract, its input and the model's prediction.
struct Case {
    code: String,
    input: Vec<u8>,
    model: Model,
}

fn generate(u: &mut Unstructured, context: HostContext) -> Result<Case> {
    let len = u.int_in_range(0..=512.min(u.len()))?;
    let input = u.bytes(len)?.to_vec();
    let mut code = PRELUDE.to_owned();
    let mut model = Model::new(context);
    let calls = u.int_in_range(1..=MAX_CALLS)?;
    for _ in 0..calls {
        if model.out_of_gas || u.is_empty() {
            break;
        }
        let func = Func::ALL[u.choose_index(Func::ALL.len())?];
        let arity = match u.int_in_range(0..=9)? {
            0 => func.arity() + 1,
            1 => func.arity().saturating_sub(1),
            _ => func.arity(),
        };
        let mut exprs = Vec::new();
        let mut values = Vec::new();
        for _ in 0..arity {
            let arg = gen_arg(u, &input)?;
            exprs.push(arg.expr);
            values.push(arg.value);
        }
        let _ = write!(
            code,
            "    try:\n        out.append(show(pvm_host.{}({})))\n    \
             except pvm_host.OutOfGas:\n        raise\n    \
             except Exception as e:\n        out.append('E:' + type(e).__name__)\n",
            func.name(),
            exprs.join(", ")
        );
        model.call(func, &values);
    }
    code.push_str("    return '\\n'.join(out)\n");
    Ok(Case { code, input, model })
}

/// The host-argument target: a generated contract checked against the model.
pub fn host_args(data: &[u8]) {
    let mut u = Unstructured::new(data);
    let context = crate::interpreter::fuzz_context();
    let Ok(case) = generate(&mut u, context) else {
        return;
    };
    let outcome = run_twice(case.code.as_bytes(), &case.input);
    let model = case.model;
    if model.out_of_gas {
        let err = outcome
            .result
            .as_ref()
            .expect_err("charge_gas(huge) must fail the call");
        assert_eq!(
            err.kind,
            ErrorKind::Host(HostErrorKind::OutOfGas),
            "{err}\n--- contract ---\n{}",
            case.code
        );
        assert_eq!(outcome.gas_used, fuzz_gas_limit(case.code.as_bytes()));
        return;
    }
    let output = match &outcome.result {
        Ok(out) => String::from_utf8_lossy(out).into_owned(),
        Err(e) => panic!("the call failed: {e}\n--- contract ---\n{}", case.code),
    };
    let expected = model.record.join("\n");
    assert_eq!(output, expected, "--- contract ---\n{}", case.code);
    assert_eq!(
        outcome.state, model.state,
        "--- contract ---\n{}",
        case.code
    );
    assert_eq!(
        outcome.events, model.events,
        "--- contract ---\n{}",
        case.code
    );
}
