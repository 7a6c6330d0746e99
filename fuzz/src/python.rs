//! Contracts from fuzz bytes: a grammar-based Python generator and a raw mode.
//!
//! The first byte picks the mode. In raw mode the rest is an input length, the
//! input and then the source itself, which finds what hostile text does to the
//! parser and compiler (the seeds are the example contracts). In grammar mode
//! [`Generator`] spends the bytes as choices in a grammar of Python that always
//! parses: module-level functions, classes with dunder methods (`__eq__`,
//! `__hash__`, `__index__`, `__del__`, `__iter__`, ...), loops, `try`/`except`/
//! `finally`, `with`, `match`, comprehensions, generators, closures, big
//! integers, floats, string and bytes methods, formatting, `pvm_host` calls and
//! deliberately deep nesting; `main` returns the repr of the variables. Both
//! modes run through [`crate::interpreter::run_twice`]: no panic, no crash, no
//! hang (the gas limit ends every loop), the same bytes both times.

use std::fmt::Write as _;

use arbitrary::{Result, Unstructured};

use crate::interpreter::{run_twice, MAX_CODE};

/// A Python `bytes` literal for `raw`.
pub fn bytes_literal(raw: &[u8]) -> String {
    let mut s = String::from("b'");
    for &b in raw {
        match b {
            b'\\' => s.push_str("\\\\"),
            b'\'' => s.push_str("\\'"),
            b' '..=b'~' => s.push(char::from(b)),
            _ => {
                let _ = write!(s, "\\x{b:02x}");
            }
        }
    }
    s.push('\'');
    s
}

/// A Python `str` literal for `text`.
pub fn str_literal(text: &str) -> String {
    let mut s = String::from("'");
    for c in text.chars() {
        match c {
            '\\' => s.push_str("\\\\"),
            '\'' => s.push_str("\\'"),
            ' '..='~' => s.push(c),
            c if (c as u32) < 0x100 => {
                let _ = write!(s, "\\x{:02x}", c as u32);
            }
            c if (c as u32) < 0x10000 => {
                let _ = write!(s, "\\u{:04x}", c as u32);
            }
            c => {
                let _ = write!(s, "\\U{:08x}", c as u32);
            }
        }
    }
    s.push('\'');
    s
}

/// Variables every generated program starts with, so most names resolve.
const VARS: &[(&str, &str)] = &[
    ("v0", "0"),
    ("v1", "'pvm'"),
    ("v2", "b'\\x00key'"),
    ("v3", "[1, 2, 3]"),
    ("v4", "{'a': 1, 'b': [2]}"),
    ("v5", "2**70 + 1"),
    ("v6", "1.5"),
    ("v7", "None"),
];

/// Most grammar nodes in one program: bounds its size and generation time.
const MAX_NODES: usize = 600;
/// Deepest ordinary nesting of expressions and blocks.
const MAX_DEPTH: usize = 6;

/// Turns fuzz bytes into a Python program that parses.
pub struct Generator<'a, 'b> {
    u: &'a mut Unstructured<'b>,
    out: String,
    indent: usize,
    depth: usize,
    nodes: usize,
    in_loop: bool,
    in_function: bool,
    functions: usize,
    classes: usize,
    fresh: usize,
}

impl<'a, 'b> Generator<'a, 'b> {
    /// A generator drawing its choices from `u`.
    pub fn new(u: &'a mut Unstructured<'b>) -> Self {
        Self {
            u,
            out: String::new(),
            indent: 0,
            depth: 0,
            nodes: 0,
            in_loop: false,
            in_function: false,
            functions: 0,
            classes: 0,
            fresh: 0,
        }
    }

    /// Generates a whole contract.
    pub fn program(mut self) -> Result<String> {
        self.out.push_str("import pvm_host\n");
        for (name, value) in VARS {
            let _ = writeln!(self.out, "{name} = {value}");
        }
        let top = self.u.int_in_range(0..=6)?;
        for _ in 0..top {
            self.top_level()?;
        }
        self.out.push_str("def main(input):\n");
        self.out
            .push_str("    global v0, v1, v2, v3, v4, v5, v6, v7\n");
        self.indent = 1;
        self.in_function = true;
        let body = self.u.int_in_range(1..=12)?;
        for _ in 0..body {
            self.guarded_statement()?;
        }
        self.out
            .push_str("    return repr([v0, v1, v2, v3, v4, v5, v6, v7])\n");
        Ok(self.out)
    }

    fn budget_left(&self) -> bool {
        self.nodes < MAX_NODES && self.out.len() < MAX_CODE / 2 && !self.u.is_empty()
    }

    fn line(&mut self, text: &str) {
        for _ in 0..self.indent {
            self.out.push_str("    ");
        }
        self.out.push_str(text);
        self.out.push('\n');
    }

    fn top_level(&mut self) -> Result<()> {
        match self.u.int_in_range(0..=3)? {
            0 | 1 => self.function_def(),
            2 => self.class_def(),
            _ => self.guarded_statement(),
        }
    }

    /// A statement whose exception is recorded rather than fatal, so that one
    /// ill-typed expression does not end the whole program.
    fn guarded_statement(&mut self) -> Result<()> {
        self.line("try:");
        self.indent += 1;
        self.statement()?;
        self.indent -= 1;
        self.line("except Exception as e:");
        self.indent += 1;
        self.line("v7 = type(e).__name__");
        self.indent -= 1;
        Ok(())
    }

    fn var(&mut self) -> Result<String> {
        Ok(format!("v{}", self.u.int_in_range(0..=VARS.len() - 1)?))
    }

    fn fresh_name(&mut self) -> String {
        self.fresh += 1;
        format!("t{}", self.fresh)
    }

    fn block(&mut self, loop_body: bool) -> Result<()> {
        let saved_loop = self.in_loop;
        self.in_loop |= loop_body;
        self.indent += 1;
        self.depth += 1;
        let n = if self.depth > MAX_DEPTH || !self.budget_left() {
            1
        } else {
            self.u.int_in_range(1..=4)?
        };
        for _ in 0..n {
            self.statement()?;
        }
        self.depth -= 1;
        self.indent -= 1;
        self.in_loop = saved_loop;
        Ok(())
    }

    fn function_def(&mut self) -> Result<()> {
        let name = format!("f{}", self.functions);
        self.functions += 1;
        let params = match self.u.int_in_range(0..=4)? {
            0 => "a".to_owned(),
            1 => "a, b=1".to_owned(),
            2 => "a, *args, **kw".to_owned(),
            3 => "*, a=None".to_owned(),
            _ => "a, b, /, c=()".to_owned(),
        };
        let generator = self.u.ratio(1, 5)?;
        self.line(&format!("def {name}({params}):"));
        let saved = (self.in_function, self.in_loop);
        self.in_function = true;
        self.in_loop = false;
        self.indent += 1;
        self.line("global v0, v1, v2, v3, v4, v5, v6, v7");
        if generator {
            let e = self.expr()?;
            self.line(&format!("yield {e}"));
        }
        self.indent -= 1;
        self.block(false)?;
        self.indent += 1;
        let e = self.expr()?;
        self.line(&format!("return {e}"));
        self.indent -= 1;
        (self.in_function, self.in_loop) = saved;
        Ok(())
    }

    fn class_def(&mut self) -> Result<()> {
        let name = format!("C{}", self.classes);
        self.classes += 1;
        let bases = [
            "",
            "(int)",
            "(str)",
            "(bytes)",
            "(list)",
            "(dict)",
            "(Exception)",
        ];
        let base = bases[self.u.choose_index(bases.len())?];
        self.line(&format!("class {name}{base}:"));
        self.indent += 1;
        let e = self.expr()?;
        self.line(&format!("attr = {e}"));
        let methods = self.u.int_in_range(0..=4)?;
        const DUNDERS: &[(&str, &str)] = &[
            ("__eq__", "self, other"),
            ("__hash__", "self"),
            ("__repr__", "self"),
            ("__index__", "self"),
            ("__len__", "self"),
            ("__bool__", "self"),
            ("__iter__", "self"),
            ("__getitem__", "self, k"),
            ("__add__", "self, other"),
            ("__lt__", "self, other"),
            ("__del__", "self"),
            ("__enter__", "self"),
            ("__exit__", "self, *a"),
            ("__getattr__", "self, name"),
            ("__init__", "self, *a"),
            ("method", "self, x=0"),
        ];
        let saved = (self.in_function, self.in_loop);
        self.in_function = true;
        self.in_loop = false;
        for _ in 0..methods {
            let (m, params) = DUNDERS[self.u.choose_index(DUNDERS.len())?];
            self.line(&format!("def {m}({params}):"));
            self.block(false)?;
            self.indent += 1;
            let ret = match m {
                "__init__" | "__del__" => "None".to_owned(),
                "__iter__" => format!("iter({})", self.expr()?),
                _ => self.expr()?,
            };
            self.line(&format!("return {ret}"));
            self.indent -= 1;
        }
        (self.in_function, self.in_loop) = saved;
        self.indent -= 1;
        Ok(())
    }

    fn statement(&mut self) -> Result<()> {
        self.nodes += 1;
        if !self.budget_left() {
            self.line("pass");
            return Ok(());
        }
        let nested = self.depth < MAX_DEPTH;
        match self.u.int_in_range(0..=27)? {
            0..=3 => {
                let (v, e) = (self.var()?, self.expr()?);
                self.line(&format!("{v} = {e}"));
            }
            4 => {
                let ops = [
                    "+=", "-=", "*=", "//=", "%=", "**=", "<<=", "|=", "^=", "&=",
                ];
                let op = ops[self.u.choose_index(ops.len())?];
                let (v, e) = (self.var()?, self.expr()?);
                self.line(&format!("{v} {op} {e}"));
            }
            5 => {
                let e = self.expr()?;
                self.line(&e);
            }
            6 => {
                let e = self.expr()?;
                self.line(&format!("print({e})"));
            }
            7 if nested => {
                let c = self.expr()?;
                self.line(&format!("if {c}:"));
                self.block(false)?;
                if self.u.arbitrary()? {
                    let c = self.expr()?;
                    self.line(&format!("elif {c}:"));
                    self.block(false)?;
                }
                if self.u.arbitrary()? {
                    self.line("else:");
                    self.block(false)?;
                }
            }
            8 if nested => {
                let v = self.var()?;
                let it = self.iterable()?;
                self.line(&format!("for {v} in {it}:"));
                self.block(true)?;
                if self.u.ratio(1, 4)? {
                    self.line("else:");
                    self.block(false)?;
                }
            }
            9 if nested => {
                let counter = self.fresh_name();
                let n = self.u.int_in_range(0..=300u32)?;
                self.line(&format!("{counter} = 0"));
                self.line(&format!("while {counter} < {n}:"));
                self.indent += 1;
                self.line(&format!("{counter} += 1"));
                self.indent -= 1;
                self.block(true)?;
            }
            10 if nested => self.try_statement()?,
            11 => {
                let excs = [
                    "ValueError",
                    "TypeError",
                    "KeyError",
                    "Exception",
                    "StopIteration",
                ];
                let exc = excs[self.u.choose_index(excs.len())?];
                let e = self.expr()?;
                self.line(&format!("raise {exc}({e})"));
            }
            12 if self.in_loop => {
                let kw = if self.u.arbitrary()? {
                    "break"
                } else {
                    "continue"
                };
                self.line(kw);
            }
            13 => {
                let v = self.var()?;
                let k = self.expr()?;
                match self.u.int_in_range(0..=2)? {
                    0 => self.line(&format!("del {v}[{k}]")),
                    1 => self.line(&format!("{v}[{k}] = {v}")),
                    _ => {
                        let e = self.expr()?;
                        self.line(&format!("{v}[{k}] = {e}"));
                    }
                }
            }
            14 => {
                let (c, m) = (self.expr()?, self.expr()?);
                self.line(&format!("assert {c}, {m}"));
            }
            15 if nested => {
                let (e, name) = (self.expr()?, self.fresh_name());
                self.line(&format!("with {e} as {name}:"));
                self.block(false)?;
            }
            16 if nested => self.match_statement()?,
            17 => self.host_call()?,
            18 if nested && self.in_function => {
                // A closure that rebinds its enclosing function's local.
                let (local, inner) = (self.fresh_name(), self.fresh_name());
                let e = self.expr()?;
                self.line(&format!("{local} = {e}"));
                self.line(&format!("def {inner}(x):"));
                self.indent += 1;
                self.line(&format!("nonlocal {local}"));
                let e = self.expr()?;
                self.line(&format!("{local} = ({local}, x, {e})"));
                self.line(&format!("return {local}"));
                self.indent -= 1;
                let (v, a) = (self.var()?, self.expr()?);
                self.line(&format!("{v} = {inner}({a})"));
            }
            19 if self.in_function => {
                let e = self.expr()?;
                self.line(&format!("return {e}"));
            }
            20 => self.deep()?,
            21 => {
                let (a, b, e) = (self.var()?, self.var()?, self.expr()?);
                self.line(&format!("{a}, *{b} = {e}"));
            }
            22 if nested && self.depth == 0 => self.function_def()?,
            23 if nested && self.depth == 0 => self.class_def()?,
            24 => {
                let (v, n) = (self.var()?, self.classes.max(1) - 1);
                let e = self.expr()?;
                self.line(&format!("{v} = C{n}({e}) if {} else {v}", self.classes > 0));
            }
            25 => {
                let (v, e) = (self.var()?, self.expr()?);
                let attrs = ["attr", "x", "__class__", "__dict__", "real", "__name__"];
                let a = attrs[self.u.choose_index(attrs.len())?];
                self.line(&format!("{v}.{a} = {e}"));
            }
            _ => self.line("pass"),
        }
        Ok(())
    }

    fn try_statement(&mut self) -> Result<()> {
        self.line("try:");
        self.block(false)?;
        let handlers = self.u.int_in_range(0..=2)?;
        let excs = [
            "ValueError",
            "(TypeError, KeyError)",
            "ZeroDivisionError",
            "Exception",
            "BaseException",
            "ArithmeticError",
            "RecursionError",
            "MemoryError",
        ];
        for _ in 0..handlers {
            let exc = excs[self.u.choose_index(excs.len())?];
            let name = self.fresh_name();
            self.line(&format!("except {exc} as {name}:"));
            self.indent += 1;
            let v = self.var()?;
            self.line(&format!("{v} = repr({name})"));
            self.indent -= 1;
            self.block(false)?;
        }
        if handlers > 0 && self.u.ratio(1, 4)? {
            self.line("else:");
            self.block(false)?;
        }
        if handlers == 0 || self.u.ratio(1, 3)? {
            self.line("finally:");
            self.block(false)?;
        }
        Ok(())
    }

    fn match_statement(&mut self) -> Result<()> {
        let e = self.expr()?;
        self.line(&format!("match {e}:"));
        self.indent += 1;
        let patterns = [
            "0 | 1",
            "[x, *rest]",
            "{'a': x}",
            "str(x)",
            "int() if v0 > 1",
            "(1, 2)",
            "None",
            "b'\\x00key'",
            "_",
        ];
        let n = self.u.int_in_range(1..=3)?;
        for i in 0..n {
            let p = if i + 1 == n && self.u.arbitrary()? {
                "_"
            } else {
                patterns[self.u.choose_index(patterns.len() - 1)?]
            };
            self.line(&format!("case {p}:"));
            self.block(false)?;
        }
        self.indent -= 1;
        Ok(())
    }

    fn host_call(&mut self) -> Result<()> {
        let (k, v) = (self.expr()?, self.expr()?);
        let key = format!("repr({k}).encode()[:64]");
        let line = match self.u.int_in_range(0..=5)? {
            0 => format!("pvm_host.set_state({key}, repr({v}).encode()[:256])"),
            1 => format!("v2 = pvm_host.get_state({key})"),
            2 => format!("pvm_host.delete_state({key})"),
            3 => format!("pvm_host.emit_event(repr({k})[:32], repr({v}).encode()[:256])"),
            4 => "v0 = pvm_host.gas_left() // 1000".to_owned(),
            _ => format!("v2 = pvm_host.randomness({key})"),
        };
        self.line(&line);
        Ok(())
    }

    /// Nesting far past what ordinary code does, in one of several shapes.
    fn deep(&mut self) -> Result<()> {
        let n = self.u.int_in_range(1..=200usize)?;
        let v = self.var()?;
        let text = match self.u.int_in_range(0..=5)? {
            0 => format!("{v} = {}1{}", "(".repeat(n), ")".repeat(n)),
            1 => format!("{v} = {}0{}", "[".repeat(n), "]".repeat(n)),
            2 => format!("{v} = {}1", "-".repeat(n)),
            3 => format!("{v} = {}True", "not ".repeat(n)),
            4 => format!(
                "{v} = {}{}",
                "{'k': ".repeat(n),
                "0".to_owned() + &"}".repeat(n)
            ),
            _ => format!("{v} = 1{}", " + 1".repeat(n)),
        };
        self.line(&text);
        Ok(())
    }

    fn iterable(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=5)? {
            0 => format!("range({})", self.u.int_in_range(0..=50u32)?),
            1 => "v3".to_owned(),
            2 => "v1".to_owned(),
            3 => format!("enumerate({})", self.expr()?),
            4 => format!("f{}(1)", self.functions.max(1) - 1),
            _ => self.expr()?,
        })
    }

    fn literal(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=15)? {
            0 => self.u.int_in_range(-5..=300i64)?.to_string(),
            1 => self.u.arbitrary::<i64>()?.to_string(),
            2 => self.u.arbitrary::<u128>()?.to_string(),
            3 => format!("2**{}", self.u.int_in_range(0..=600u32)?),
            4 => format!("-(10**{})", self.u.int_in_range(0..=400u32)?),
            5 => {
                let floats = [
                    "1.5",
                    "-0.0",
                    "1e308",
                    "5e-324",
                    "float('inf')",
                    "float('nan')",
                    "0.1",
                ];
                floats[self.u.choose_index(floats.len())?].to_owned()
            }
            6 | 7 => {
                let len = self.u.int_in_range(0..=24)?;
                let s: String = (0..len)
                    .map(|_| {
                        self.u
                            .int_in_range(0..=0x2ffu32)
                            .map(|c| char::from_u32(c).unwrap_or('?'))
                    })
                    .collect::<Result<_>>()?;
                str_literal(&s)
            }
            8 => {
                let len = self.u.int_in_range(0..=24.min(self.u.len()))?;
                bytes_literal(self.u.bytes(len)?)
            }
            9 => ["True", "False", "None", "..."][self.u.choose_index(4)?].to_owned(),
            10 => "input".to_owned(),
            11 => format!("0x{:x}", self.u.arbitrary::<u64>()?),
            12 => "1j".to_owned(),
            13 => format!("'x' * {}", self.u.int_in_range(0..=5000u32)?),
            _ => {
                let e = self.expr_at_leaf()?;
                format!("f'{{{e}!r:>{}}}'", self.u.int_in_range(0..=40u32)?)
            }
        })
    }

    fn expr_at_leaf(&mut self) -> Result<String> {
        if self.u.arbitrary()? {
            self.var()
        } else {
            Ok(self.u.int_in_range(0..=99i32)?.to_string())
        }
    }

    fn expr(&mut self) -> Result<String> {
        self.nodes += 1;
        if self.depth >= MAX_DEPTH || !self.budget_left() {
            return if self.u.arbitrary()? {
                self.var()
            } else {
                self.literal()
            };
        }
        self.depth += 1;
        let e = self.compound()?;
        self.depth -= 1;
        Ok(e)
    }

    fn compound(&mut self) -> Result<String> {
        Ok(match self.u.int_in_range(0..=24)? {
            0..=2 => self.var()?,
            3..=4 => self.literal()?,
            5..=7 => {
                let ops = [
                    "+", "-", "*", "/", "//", "%", "**", "<<", ">>", "&", "|", "^", "@",
                ];
                let op = ops[self.u.choose_index(ops.len())?];
                format!("({} {op} {})", self.expr()?, self.expr()?)
            }
            8 => {
                let ops = ["-", "+", "~", "not "];
                let op = ops[self.u.choose_index(ops.len())?];
                format!("({op}{})", self.expr()?)
            }
            9 => {
                let ops = ["<", "<=", "==", "!=", ">", "in", "not in", "is", "is not"];
                let a = ops[self.u.choose_index(ops.len())?];
                let b = ops[self.u.choose_index(ops.len())?];
                format!(
                    "({} {a} {} {b} {})",
                    self.expr()?,
                    self.expr()?,
                    self.expr()?
                )
            }
            10 => {
                let op = if self.u.arbitrary()? { "and" } else { "or" };
                format!("({} {op} {})", self.expr()?, self.expr()?)
            }
            11 => format!(
                "({} if {} else {})",
                self.expr()?,
                self.expr()?,
                self.expr()?
            ),
            12..=14 => self.builtin_call()?,
            15..=16 => self.method_call()?,
            17 => format!("{}[{}]", self.expr()?, self.expr()?),
            18 => {
                let (a, b, c) = (
                    self.expr_at_leaf()?,
                    self.expr_at_leaf()?,
                    self.expr_at_leaf()?,
                );
                format!("{}[{a}:{b}:{c}]", self.expr()?)
            }
            19 => self.comprehension()?,
            20 => {
                let items = self.u.int_in_range(0..=4)?;
                let parts: Vec<String> = (0..items).map(|_| self.expr()).collect::<Result<_>>()?;
                match self.u.int_in_range(0..=4)? {
                    0 => format!("[{}]", parts.join(", ")),
                    1 => format!("({},)", parts.join(", ")),
                    2 if !parts.is_empty() => format!("{{{}}}", parts.join(", ")),
                    3 => {
                        let pairs: Vec<String> =
                            parts.iter().map(|p| format!("{p}: {p}")).collect();
                        format!("{{{}}}", pairs.join(", "))
                    }
                    _ => format!("[*{}, *{}]", self.expr()?, self.expr()?),
                }
            }
            21 => format!("(lambda a, b=2: {})({})", self.expr()?, self.expr()?),
            22 => format!("({} := {})", self.var()?, self.expr()?),
            23 if self.functions > 0 => {
                let f = self.u.int_in_range(0..=self.functions - 1)?;
                format!("f{f}({})", self.expr()?)
            }
            24 if self.classes > 0 => {
                let c = self.u.int_in_range(0..=self.classes - 1)?;
                format!("C{c}({})", self.expr()?)
            }
            _ => format!("'%s-%r' % ({}, {})", self.expr()?, self.expr()?),
        })
    }

    fn builtin_call(&mut self) -> Result<String> {
        const ONE: &[&str] = &[
            "len",
            "str",
            "repr",
            "int",
            "float",
            "bool",
            "abs",
            "sorted",
            "list",
            "tuple",
            "set",
            "dict",
            "min",
            "max",
            "sum",
            "hash",
            "hex",
            "oct",
            "bin",
            "chr",
            "ord",
            "round",
            "any",
            "all",
            "reversed",
            "iter",
            "next",
            "bytes",
            "bytearray",
            "frozenset",
            "type",
            "id",
            "callable",
            "ascii",
            "memoryview",
            "range",
            "enumerate",
            "zip",
            "vars",
            "dir",
        ];
        const TWO: &[&str] = &[
            "divmod",
            "pow",
            "isinstance",
            "format",
            "getattr",
            "hasattr",
            "max",
            "min",
            "round",
            "int",
            "zip",
            "map",
            "filter",
            "range",
            "issubclass",
            "setattr",
        ];
        Ok(match self.u.int_in_range(0..=3)? {
            0 | 1 => {
                let f = ONE[self.u.choose_index(ONE.len())?];
                format!("{f}({})", self.expr()?)
            }
            2 => {
                let f = TWO[self.u.choose_index(TWO.len())?];
                let (a, b) = (self.expr()?, self.expr()?);
                match f {
                    "map" | "filter" => format!("list({f}(lambda x: {a}, {b}))"),
                    "getattr" | "hasattr" => format!("{f}({a}, str({b}))"),
                    "setattr" => format!("setattr({a}, str({b}), {b})"),
                    _ => format!("{f}({a}, {b})"),
                }
            }
            _ => format!("pow({}, {}, {})", self.expr()?, self.expr()?, self.expr()?),
        })
    }

    fn method_call(&mut self) -> Result<String> {
        const METHODS: &[(&str, usize)] = &[
            ("upper", 0),
            ("lower", 0),
            ("split", 0),
            ("split", 1),
            ("join", 1),
            ("replace", 2),
            ("find", 1),
            ("count", 1),
            ("startswith", 1),
            ("strip", 0),
            ("format", 1),
            ("encode", 0),
            ("decode", 0),
            ("center", 2),
            ("zfill", 1),
            ("partition", 1),
            ("isdigit", 0),
            ("title", 0),
            ("hex", 0),
            ("append", 1),
            ("pop", 0),
            ("sort", 0),
            ("index", 1),
            ("copy", 0),
            ("reverse", 0),
            ("insert", 2),
            ("extend", 1),
            ("get", 1),
            ("keys", 0),
            ("values", 0),
            ("items", 0),
            ("setdefault", 2),
            ("update", 1),
            ("bit_length", 0),
            ("to_bytes", 2),
            ("__class__", 0),
            ("__reduce_ex__", 1),
            ("__sizeof__", 0),
            ("__init_subclass__", 0),
            ("__subclasses__", 0),
        ];
        let (m, arity) = METHODS[self.u.choose_index(METHODS.len())?];
        let target = self.expr()?;
        let args: Vec<String> = (0..arity).map(|_| self.expr()).collect::<Result<_>>()?;
        // Parenthesized: `1.split()` would lex as the float `1.` and a name.
        Ok(format!("({target}).{m}({})", args.join(", ")))
    }

    fn comprehension(&mut self) -> Result<String> {
        let (elt, it, cond) = (self.expr()?, self.iterable()?, self.expr()?);
        Ok(match self.u.int_in_range(0..=4)? {
            0 => format!("[{elt} for v7 in {it} if {cond}]"),
            1 => format!("{{{elt} for v7 in {it}}}"),
            2 => format!("{{v7: {elt} for v7 in {it}}}"),
            3 => format!("sum(1 for v7 in {it} if {cond})"),
            _ => format!("[[{elt} for v6 in {it}] for v7 in {it}]"),
        })
    }
}

/// The first byte at or above this value selects raw mode.
const RAW_MODE: u8 = 0xc0;

/// The source-fuzzing target: a grammar-built or raw contract, run twice.
pub fn python_source(data: &[u8]) {
    let Some((&mode, rest)) = data.split_first() else {
        return;
    };
    if mode >= RAW_MODE {
        let Some((&input_len, rest)) = rest.split_first() else {
            return;
        };
        let (input, code) = rest.split_at(usize::from(input_len).min(rest.len()));
        if code.len() <= MAX_CODE {
            run_twice(code, input);
        }
        return;
    }
    let mut u = Unstructured::new(rest);
    let Ok(code) = Generator::new(&mut u).program() else {
        return;
    };
    run_twice(code.as_bytes(), b"fuzz input");
}

/// The raw-mode encoding of a contract and its input (for seeds).
pub fn raw_case(code: &[u8], input: &[u8]) -> Vec<u8> {
    let input = &input[..input.len().min(255)];
    let mut out = vec![RAW_MODE, input.len() as u8];
    out.extend_from_slice(input);
    out.extend_from_slice(code);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_everything_python_would_misread() {
        assert_eq!(bytes_literal(b"a'\\\x00\xff"), "b'a\\'\\\\\\x00\\xff'");
        assert_eq!(str_literal("é'\u{1f600}\n"), "'\\xe9\\'\\U0001f600\\x0a'");
    }

    #[test]
    fn the_generator_spends_any_bytes_and_ends() {
        for seed in 0..64u8 {
            let data: Vec<u8> = (0..4096u32)
                .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8 ^ seed)
                .collect();
            let mut u = Unstructured::new(&data);
            if let Ok(code) = Generator::new(&mut u).program() {
                assert!(code.starts_with("import pvm_host\n"));
                assert!(code.contains("def main(input):"));
                assert!(code.len() <= MAX_CODE);
            }
        }
    }
}
