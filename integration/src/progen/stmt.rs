//! Statements and whole features: the probes `main` is made of, and the
//! classes, functions, generators and exception classes defined before it.
//!
//! Every probe records what it observed in the transcript `T` (through
//! `out`, `fail` or `probe`), so a difference anywhere shows up as a
//! differing line. Assignments to the environment keep each variable's type
//! (the value is checked before it is stored), which keeps the size bounds of
//! [`super::expr`] true for the whole program.

use super::expr::Ty;
use super::lit::{bytes_lit, str_lit};
use super::{Gen, Section, DOMAINS};

/// A helper defined at module level and how a probe may use it.
#[derive(Clone, Debug)]
pub struct Callable {
    /// Its name.
    pub name: String,
    /// What it is.
    pub kind: Kind,
    /// Types of its required positional parameters.
    pub params: Vec<Ty>,
}

/// What a [`Callable`] is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    /// A plain function returning a value.
    Function,
    /// A generator function taking a small count.
    Generator,
    /// A class built from `(value, width)`; `operators` says whether it
    /// defines `+`, ordering and `len`.
    Class { operators: bool },
    /// An exception class taking a code and a message.
    Exception,
}

/// Indents every line of `text` by four spaces.
fn indent(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.is_empty() {
                String::new()
            } else {
                format!("    {l}")
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// `body` inside `try:` with the exception recorded.
fn guarded(body: &str) -> String {
    format!(
        "try:\n{}\nexcept Exception as e:\n    fail(e)",
        indent(body)
    )
}

impl Gen {
    /// The module-level definitions: classes, functions, generators.
    pub(super) fn top_level(&mut self) {
        for _ in 0..self.rng.range(0, 2) {
            self.class_def();
        }
        if self.rng.chance(30) {
            self.diamond_classes();
        }
        for _ in 0..self.rng.range(0, 3) {
            self.function_def();
        }
        for _ in 0..self.rng.range(0, 2) {
            self.generator_def();
        }
        if self.rng.chance(40) {
            self.exception_def();
        }
    }

    /// One statement (or small block) of `main`.
    pub(super) fn main_chunk(&mut self) {
        let text = match self.rng.below(100) {
            0..=21 => {
                let e = self.any_expr(4);
                format!("probe(lambda: {e})")
            }
            22..=31 => {
                let e = self.any_expr(3);
                guarded(&format!("out({e})"))
            }
            32..=39 => self.fold_probe(),
            40..=45 => self.assignment(),
            46..=51 => self.mutation(),
            52..=56 => self.loop_block(),
            57..=59 => self.print_call(),
            60..=65 => self.host_calls(),
            66..=71 => self.use_callable(),
            72..=78 => self.exception_scenario(),
            79..=81 => self.match_block(),
            82..=84 => self.unpacking(),
            85..=88 => self.numeric_probe(),
            89..=92 => self.closure_block(),
            93..=95 => self.conversion_probe(),
            _ => self.format_probe(),
        };
        self.chunk(Section::Main, text);
    }

    /// Arithmetic on literals only, which the compiler folds into constants:
    /// the folded value must be the one the runtime would compute.
    fn fold_probe(&mut self) -> String {
        let saved = std::mem::take(&mut self.scope);
        let ty = *self
            .rng
            .pick(&[Ty::Int, Ty::Float, Ty::Float, Ty::Str, Ty::Tuple, Ty::Bool]);
        let e = self.expr(ty, 3);
        self.scope = saved;
        if self.rng.chance(50) {
            format!("probe(lambda: {e})")
        } else {
            // Same expression at module-function level, where folding also runs.
            guarded(&format!("out({e})"))
        }
    }

    /// Division, modulo, powers and rounding over a grid of signed values,
    /// written both as literals (folded) and through variables (runtime).
    fn numeric_probe(&mut self) -> String {
        let values = [
            "0",
            "-0.0",
            "0.0",
            "1",
            "-1",
            "2",
            "-3",
            "7",
            "2.5",
            "-0.5",
            "10.0",
            "255",
            "1e308",
            "5e-324",
            "2**53 + 1",
            "-(2**64)",
            "3**40",
            "0.1",
            "-7.5",
        ];
        let op = *self
            .rng
            .pick(&["/", "//", "%", "**", "divmod", "pow", "round", "*", "-"]);
        let a = *self.rng.pick(&values);
        let b = if op == "**" || op == "pow" {
            // Exponents stay small: `3**40 ** 3**40` would never finish.
            *self.rng.pick(&[
                "0", "-0.0", "1", "-1", "2", "-3", "7", "0.5", "-0.5", "2.5", "1e308", "5e-324",
                "-7.5",
            ])
        } else {
            *self.rng.pick(&values)
        };
        let expr = |x: &str, y: &str| match op {
            "divmod" => format!("divmod({x}, {y})"),
            "pow" => format!("pow({x}, {y})"),
            "round" => format!("round({x}, 2)"),
            "**" => format!("({x}) ** ({y})"),
            _ => format!("({x}) {op} ({y})"),
        };
        let folded = expr(a, b);
        let runtime = expr("x", "y");
        format!("probe(lambda: {folded})\nx, y = {a}, {b}\nprobe(lambda: {runtime})")
    }

    /// Conversions between ints, floats and strings.
    fn conversion_probe(&mut self) -> String {
        let d = 2;
        let e = match self.rng.below(10) {
            0 => format!("str({})", self.expr(Ty::Int, d)),
            1 => format!("int(str({}))", self.expr(Ty::Int, d)),
            2 => format!("float(repr({}))", self.expr(Ty::Float, d)),
            3 => format!(
                "int({}, {})",
                str_lit(
                    *self
                        .rng
                        .pick(&["-0b1010", "0o17", "0X1f", "z", "Zz", "10", "1_2_3", "0_0"])
                ),
                self.rng.pick(&["0", "36", "16", "8", "2"])
            ),
            4 => format!(
                "repr(float({}))",
                str_lit(*self.rng.pick(&[
                    "1e16",
                    "1e-5",
                    "123456789012345678",
                    "0.1",
                    "-0",
                    "1.5e300",
                    "2.5e-310",
                    "inf",
                    "nan",
                    "1e23"
                ]))
            ),
            5 => format!("({}).hex()", self.expr(Ty::Float, d)),
            6 => format!(
                "(hex({}), oct({}), bin({}))",
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d)
            ),
            7 => format!(
                "int(10**{} + 1)",
                self.rng.pick(&["4299", "4300", "50", "0"])
            ),
            8 => format!(
                "str(10**{})",
                self.rng.pick(&["4299", "4300", "10", "5000"])
            ),
            _ => format!(
                "[int(x) for x in ({}, {}, {})]",
                self.expr(Ty::Float, d),
                self.expr(Ty::Str, d),
                self.expr(Ty::Bool, d)
            ),
        };
        format!("probe(lambda: {e})")
    }

    /// Formatting of the awkward values: infinities, NaN, signed zeros, big ints.
    fn format_probe(&mut self) -> String {
        let v = *self.rng.pick(&[
            "float('inf')",
            "float('-inf')",
            "float('nan')",
            "-0.0",
            "0.0",
            "1e300",
            "1.5",
            "-2.5",
            "2**70",
            "-17",
            "0",
            "True",
            "1e-310",
            "123456.789",
        ]);
        let ty = if v.contains('.') || v.starts_with("float") || v.contains('e') {
            Ty::Float
        } else {
            Ty::Int
        };
        let spec = self.format_spec(ty);
        let e = match self.rng.below(4) {
            0 => format!("format({v}, {})", str_lit(&spec)),
            1 => format!(
                "{} % ({v},)",
                str_lit(*self.rng.pick(&[
                    "%f", "%e", "%g", "%10.3f", "%-8.2e|", "%+g", "%r", "%s", "%d", "%x", "%.0f",
                    "%#.3g"
                ]))
            ),
            2 => format!("(str({v}), repr({v}), ascii({v}))"),
            _ => format!("round({v}{})", self.rng.pick(&["", ", 1", ", -1", ", 0"])),
        };
        format!("probe(lambda: {e})")
    }

    /// Reassigns an environment variable, keeping its type.
    fn assignment(&mut self) -> String {
        let ty = *self.rng.pick(&[
            Ty::Int,
            Ty::Float,
            Ty::Str,
            Ty::Bytes,
            Ty::Bool,
            Ty::Small,
            Ty::Int,
        ]);
        let Some(var) = self.var_of(ty) else {
            return "pass".to_owned();
        };
        let e = self.strict(|g| g.expr(ty, 3));
        let check = match ty {
            Ty::Int => "type(w) is int".to_owned(),
            Ty::Small => "type(w) is int and -3 <= w <= 9".to_owned(),
            Ty::Float => "type(w) is float".to_owned(),
            Ty::Str => "type(w) is str and len(w) < 200".to_owned(),
            Ty::Bytes => "type(w) is bytes and len(w) < 200".to_owned(),
            _ => "type(w) is bool".to_owned(),
        };
        let aug = if ty == Ty::Int && self.rng.chance(40) {
            let op = *self.rng.pick(&["+=", "-=", "//=", "%=", "|=", "^=", "&="]);
            let rhs = self.strict(|g| g.expr(Ty::Int, 2));
            format!("w = {var}\nw {op} {rhs}")
        } else {
            format!("w = {e}")
        };
        guarded(&format!("{aug}\nif {check}:\n    {var} = w\nout({var})"))
    }

    /// Mutates a container in the environment.
    fn mutation(&mut self) -> String {
        let d = 2;
        let body = match self.rng.below(4) {
            0 => {
                let Some(l) = self.var_of(Ty::IntList) else {
                    return "pass".into();
                };
                let op = match self.rng.below(12) {
                    0 => format!("{l}.append({})", self.strict(|g| g.expr(Ty::Int, d))),
                    1 => format!(
                        "{l}.insert({}, {})",
                        self.rng.range(-8, 8),
                        self.strict(|g| g.expr(Ty::Int, d))
                    ),
                    2 => format!("{l}.extend({})", self.strict(|g| g.expr(Ty::IntList, 1))),
                    3 => format!(
                        "out({l}.pop({}))",
                        if self.rng.chance(50) {
                            String::new()
                        } else {
                            self.rng.range(-4, 4).to_string()
                        }
                    ),
                    4 => format!("{l}.remove({})", self.expr(Ty::Small, d)),
                    5 => format!("{l}.sort({})", &self.sort_kwargs()),
                    6 => format!("{l}.reverse()"),
                    7 => format!(
                        "{l}{} = {}",
                        self.slice(),
                        self.strict(|g| g.expr(Ty::IntList, 1))
                    ),
                    8 => format!("del {l}[{}]", self.rng.range(-5, 5)),
                    9 => format!("del {l}{}", self.slice()),
                    10 => format!(
                        "{l}[{}] = {}",
                        self.rng.range(-5, 5),
                        self.strict(|g| g.expr(Ty::Int, d))
                    ),
                    _ => format!("{l} *= {}", self.rng.range(0, 2)),
                };
                format!("{op}\nout({l})")
            }
            1 => {
                let Some(m) = self.var_of(Ty::Dict) else {
                    return "pass".into();
                };
                let k = self.expr(Ty::Str, 1);
                let op = match self.rng.below(9) {
                    0 | 1 => format!("{m}[{k}] = {}", self.strict(|g| g.any_expr(1))),
                    2 => format!("del {m}[{k}]"),
                    3 => format!(
                        "out({m}.pop({k}{}))",
                        if self.rng.chance(50) { ", 'dflt'" } else { "" }
                    ),
                    4 => format!("out({m}.setdefault({k}, {}))", self.rng.range(0, 9)),
                    5 => format!(
                        "{m}.update({}={})",
                        self.rng.pick(&["a", "zz", "key"]),
                        self.rng.range(0, 9)
                    ),
                    6 => format!("out({m}.popitem())"),
                    7 => format!("{m} |= {}", self.strict(|g| g.expr(Ty::Dict, 1))),
                    _ => format!("out(list({m}.items())[::-1])"),
                };
                format!("{op}\nout({m})")
            }
            2 => {
                let Some(s) = self.var_of(Ty::Set) else {
                    return "pass".into();
                };
                let op = match self.rng.below(6) {
                    0 => format!("{s}.add({})", self.key_expr(1)),
                    1 => format!("{s}.discard({})", self.key_expr(1)),
                    2 => format!("{s}.remove({})", self.key_expr(1)),
                    3 => format!("{s} |= {}", self.strict(|g| g.expr(Ty::Set, 1))),
                    4 => format!("{s} -= {}", self.strict(|g| g.expr(Ty::Set, 1))),
                    _ => format!("out({s}.issubset({}))", self.expr(Ty::Set, 1)),
                };
                format!("{op}\nout(sorted({s}, key=repr))")
            }
            _ => {
                let Some(l) = self.var_of(Ty::StrList) else {
                    return "pass".into();
                };
                let op = match self.rng.below(5) {
                    0 => format!("{l}.append({})", self.strict(|g| g.expr(Ty::Str, d))),
                    1 => format!("{l}.sort({})", &self.sort_kwargs_str()),
                    2 => format!("{l}[:] = {}", self.strict(|g| g.expr(Ty::StrList, 1))),
                    3 => format!("{l} += {}", self.strict(|g| g.expr(Ty::Str, 1))),
                    _ => format!("out({l}.index({}))", self.expr(Ty::Str, 1)),
                };
                format!("{op}\nout({l})")
            }
        };
        guarded(&body)
    }

    fn sort_kwargs(&mut self) -> String {
        self.sort_kwargs_from(&[
            "",
            "key=lambda v: -v",
            "key=abs",
            "key=lambda v: (v & 1, -v)",
            "key=str",
        ])
    }

    fn sort_kwargs_str(&mut self) -> String {
        self.sort_kwargs_from(&[
            "",
            "key=len",
            "key=str.lower",
            "key=lambda v: v[-1:]",
            "key=lambda v: (-len(v), v)",
        ])
    }

    /// `key=` (one of `keys`, maybe none) and maybe `reverse=True`, as arguments.
    fn sort_kwargs_from(&mut self, keys: &[&'static str]) -> String {
        let key = *self.rng.pick(keys);
        let rev = if self.rng.chance(40) {
            "reverse=True"
        } else {
            ""
        };
        [key, rev]
            .iter()
            .filter(|s| !s.is_empty())
            .cloned()
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// A `for` or `while` loop with `break`, `continue` and `else`.
    fn loop_block(&mut self) -> String {
        if self.rng.chance(25) {
            let limit = self.rng.range(0, 8);
            let m = self.rng.range(2, 4);
            return format!(
                "k = 0\nacc = []\nwhile k < {limit}:\n    k += 1\n    if k % {m} == 0:\n        continue\n    if k > 6:\n        break\n    acc.append(k * k)\nelse:\n    acc.append('else')\nout(acc)"
            );
        }
        let v = self.fresh_name("v");
        let (elem, iter) = self.iterable(2);
        self.push_var(&v, elem);
        let body_ty = *self.rng.pick(&[elem, Ty::Str, Ty::Int, Ty::Bool]);
        let body = self.expr(body_ty, 2);
        let cond = self.expr(Ty::Bool, 1);
        self.pop_var();
        let ctl = *self.rng.pick(&["continue", "break", "pass"]);
        let text = format!(
            "acc = []\nfor {v} in {iter}:\n    if {cond}:\n        {ctl}\n    acc.append({body})\nelse:\n    acc.append('done')\nout(acc)"
        );
        guarded(&text)
    }

    /// A `print`, which lands in the receipt's log.
    fn print_call(&mut self) -> String {
        let n = self.rng.range(0, 3);
        let args: Vec<String> = (0..n).map(|_| self.any_expr(2)).collect();
        let mut kw = String::new();
        if self.rng.chance(30) {
            kw.push_str(&format!(
                ", sep={}",
                str_lit(*self.rng.pick(&["", "-", ", ", "\n"]))
            ));
        }
        if self.rng.chance(30) {
            kw.push_str(&format!(
                ", end={}",
                str_lit(*self.rng.pick(&["", "!\n", " ", "\n\n"]))
            ));
        }
        let args = args.join(", ");
        let sep = if args.is_empty() && !kw.is_empty() {
            &kw[2..]
        } else {
            &kw
        };
        guarded(&format!("print({args}{sep})"))
    }

    /// Calls into `pvm_host`: state, events, context and randomness, plus the
    /// argument errors (whose messages the emulation mirrors).
    fn host_calls(&mut self) -> String {
        let mut lines = Vec::new();
        for _ in 0..self.rng.range(1, 4) {
            let line = match self.rng.below(11) {
                0 | 1 => {
                    let key = self.state_key();
                    let value = format!("repr({}).encode()[:64]", self.any_expr(2));
                    format!("pvm_host.set_state({key}, {value})")
                }
                2 | 3 => format!("out(pvm_host.get_state({}))", self.state_key()),
                4 => format!("pvm_host.delete_state({})", self.state_key()),
                5 => {
                    let topic =
                        str_lit(
                            *self
                                .rng
                                .pick(&["transfer", "log", "", "\u{e9}v\u{e9}nement"]),
                        );
                    let data = format!("repr({}).encode()[:64]", self.any_expr(2));
                    format!("pvm_host.emit_event({topic}, {data})")
                }
                6 => {
                    let key = *self.rng.pick(&[
                        "",
                        "['block_height']",
                        "['sender']",
                        "['tx_hash'].hex()",
                        "['timestamp_ms'] // 1000",
                        ".keys()",
                        "['block_hash'][:4]",
                    ]);
                    if key.is_empty() {
                        "out(pvm_host.context())".to_owned()
                    } else if key == ".keys()" {
                        "out(list(pvm_host.context().keys()))".to_owned()
                    } else {
                        format!("out(pvm_host.context(){key})")
                    }
                }
                7 => {
                    let domain = bytes_lit(*self.rng.pick(DOMAINS));
                    let wrap = if self.rng.chance(30) {
                        format!("bytearray({domain})")
                    } else {
                        domain
                    };
                    format!("out(pvm_host.randomness({wrap}).hex())")
                }
                8 => "pvm_host.set_state(b'input', input)\nout(pvm_host.get_state(b'input'))"
                    .to_owned(),
                9 => {
                    let (f, args) = *self.rng.pick(&[
                        ("get_state", "'text'"),
                        ("set_state", "b'k', 'v'"),
                        ("set_state", "1, b'v'"),
                        ("delete_state", "None"),
                        ("emit_event", "b'topic', b''"),
                        ("emit_event", "'t', 'data'"),
                        ("randomness", "'d'"),
                        ("get_state", "memoryview(b'k')"),
                    ]);
                    guarded(&format!("pvm_host.{f}({args})"))
                }
                _ => {
                    let key = self.state_key();
                    format!("for j in range({}):\n    pvm_host.set_state({key} + bytes([j]), str(j).encode())\n    pvm_host.emit_event('loop', bytes([j]))", self.rng.range(0, 4))
                }
            };
            lines.push(line);
        }
        guarded(&lines.join("\n"))
    }

    fn state_key(&mut self) -> String {
        match self.rng.below(4) {
            0 => {
                bytes_lit(
                    *self
                        .rng
                        .pick(&[&b"k"[..], b"", b"key\x00", b"balance:alice", b"\xff"]),
                )
            }
            1 => format!("b'k' + str({}).encode()", self.expr(Ty::Small, 1)),
            2 => format!("bytearray(b'k{}')", self.rng.range(0, 3)),
            _ => format!("{}.encode()[:16]", self.paren(Ty::Str, 1)),
        }
    }

    /// A use of one of the module-level helpers.
    fn use_callable(&mut self) -> String {
        if self.funcs.is_empty() {
            return self.closure_block();
        }
        let c = self.funcs[self.rng.below(self.funcs.len())].clone();
        let name = &c.name;
        match c.kind {
            Kind::Function => {
                let args: Vec<String> = c
                    .params
                    .iter()
                    .map(|&t| self.strict(|g| g.expr(t, 2)))
                    .collect();
                let call = format!("{name}({})", args.join(", "));
                match self.rng.below(6) {
                    0 => format!("probe(lambda: {name}())"),
                    1 => format!("probe(lambda: {name}({}, *[1, 2], zz=3))", args.join(", ")),
                    _ => format!("probe(lambda: {call})"),
                }
            }
            Kind::Generator => {
                let n = self.rng.range(0, 6);
                match self.rng.below(7) {
                    0 => format!("probe(lambda: list({name}({n})))"),
                    1 => format!("probe(lambda: sum(x for x in {name}({n}) if type(x) is int))"),
                    2 => guarded(&format!("g = {name}({n})\nout(next(g))\nout(g.send({}))\nout(next(g, 'end'))", self.rng.range(0, 9))),
                    3 => guarded(&format!("g = {name}({n})\nout(next(g))\nout(g.throw(ValueError('thrown')))")),
                    4 => guarded(&format!("g = {name}({n})\nout(next(g))\ng.close()\nout(next(g, 'closed'))\nout(next(g))")),
                    5 => guarded(&format!("g = {name}({n})\nwhile True:\n    out(next(g))")),
                    _ => format!("probe(lambda: list(itertools.islice({name}({n}), 2)))"),
                }
            }
            Kind::Class { operators } => self.class_probe(name, operators),
            Kind::Exception => {
                let code = self.rng.range(0, 5);
                match self.rng.below(4) {
                    0 => guarded(&format!("raise {name}({code}, {})", str_lit(*self.rng.pick(&["bad thing", "", "x"])))),
                    1 => format!("try:\n    raise {name}({code})\nexcept {name} as e:\n    out((e.args, e.code, str(e), repr(e), isinstance(e, Exception)))"),
                    2 => format!("try:\n    raise {name}({code}) from KeyError('k')\nexcept Exception as e:\n    out((type(e).__name__, repr(e.__cause__), e.__suppress_context__))"),
                    _ => format!("probe(lambda: [c.__name__ for c in {name}.__mro__])"),
                }
            }
        }
    }

    fn class_probe(&mut self, name: &str, operators: bool) -> String {
        let v_ty = *self.rng.pick(&[Ty::Int, Ty::Str, Ty::Small, Ty::Float]);
        let v = self.strict(|g| g.expr(v_ty, 1));
        let w = self.strict(|g| g.expr(Ty::Small, 1));
        let obj = format!("{name}({v}, {w})");
        let e = match self.rng.below(if operators { 16 } else { 9 }) {
            0 => obj.clone(),
            1 => format!("str({obj})"),
            2 => format!("({obj}).double"),
            3 => format!("{name}.make({v})"),
            4 => format!("({obj}).missing_attr"),
            5 => format!("({obj}).zeta"),
            6 => format!("(type({obj}).__name__, {name}.__qualname__, {name}.__module__)"),
            7 => format!("(getattr({obj}, 'w', None), hasattr({obj}, 'nope'))"),
            8 => format!("{name}.twice({v})"),
            9 => format!("{obj} + {name}({v}, 1)"),
            10 => format!("{obj} + {}", self.any_expr(1)),
            11 => format!("{} + {obj}", self.any_expr(1)),
            12 => format!(
                "sorted([{obj}, {name}({}, 0), {name}({}, 2)])",
                self.rng.range(-5, 5),
                self.rng.range(-5, 5)
            ),
            13 => format!("(len({obj}), bool({obj}))"),
            14 => format!("({obj} == {name}({v}, {w}), {obj} < {name}(0, 0))"),
            _ => format!("{{{obj}: 1}}[{name}({v}, {w})]"),
        };
        format!("probe(lambda: {e})")
    }

    /// A class with a random selection of dunder methods, a property,
    /// class and static methods, and maybe a subclass using `super()`.
    fn class_def(&mut self) {
        let name = self.fresh_name("K");
        let operators = self.rng.chance(60);
        let slots = self.rng.chance(20);
        let mut body = vec![format!("tag = {}", str_lit(&name))];
        if slots {
            body.push("__slots__ = ('v', 'w')".to_owned());
        }
        body.push("def __init__(self, v, w=2):\n    self.v = v\n    self.w = w".to_owned());
        body.push(format!(
            "def __repr__(self):\n    return '{name}(' + repr(self.v) + ', ' + repr(self.w) + ')'"
        ));
        if self.rng.chance(50) {
            body.push("def __str__(self):\n    return 'str:' + str(self.v)".to_owned());
        }
        body.push("@property\ndef double(self):\n    return self.v * 2".to_owned());
        body.push("@classmethod\ndef make(cls, v):\n    return cls(v, -1)".to_owned());
        body.push("@staticmethod\ndef twice(x):\n    return [x, x]".to_owned());
        if !slots && self.rng.chance(50) {
            body.push("def __getattr__(self, attr):\n    if attr.startswith('z'):\n        return attr * 2\n    raise AttributeError(attr)".to_owned());
        }
        if operators {
            body.push(format!("def __add__(self, other):\n    if isinstance(other, {name}):\n        return {name}(self.v + other.v, self.w)\n    return NotImplemented"));
            if self.rng.chance(50) {
                body.push(format!(
                    "def __radd__(self, other):\n    return {name}(other, self.w)"
                ));
            }
            body.push("def __eq__(self, other):\n    return isinstance(other, type(self)) and (self.v, self.w) == (other.v, other.w)".to_owned());
            body.push("def __lt__(self, other):\n    return (self.w, repr(self.v)) < (other.w, repr(other.v))".to_owned());
            if self.rng.chance(70) {
                body.push(
                    "def __hash__(self):\n    return hash((repr(self.v), self.w))".to_owned(),
                );
            }
            body.push("def __len__(self):\n    return abs(self.w)".to_owned());
            if self.rng.chance(50) {
                body.push("def __bool__(self):\n    return self.w > 0".to_owned());
            }
            if self.rng.chance(40) {
                body.push("def __iter__(self):\n    yield self.v\n    yield self.w".to_owned());
            }
            if self.rng.chance(40) {
                body.push("def __format__(self, spec):\n    return 'fmt[' + spec + ']' + format(self.w, spec)".to_owned());
            }
        }
        let text = format!("class {name}:\n{}", indent(&body.join("\n\n")));
        self.chunk(Section::Top, text);
        self.funcs.push(Callable {
            name: name.clone(),
            kind: Kind::Class { operators },
            params: vec![],
        });
        if self.rng.chance(50) {
            let sub = self.fresh_name("K");
            let text = format!(
                "class {sub}({name}):\n    def __init__(self, v, w=3):\n        super().__init__(v, w + 1)\n        self.w = self.w * 2\n\n    def __repr__(self):\n        return '{sub}<' + super().__repr__() + '>'\n\n    @property\n    def double(self):\n        return ('sub', super().double)"
            );
            self.chunk(Section::Top, text);
            self.funcs.push(Callable {
                name: sub,
                kind: Kind::Class { operators },
                params: vec![],
            });
        }
    }

    /// A diamond of classes whose methods chain through `super()`.
    fn diamond_classes(&mut self) {
        let a = self.fresh_name("A");
        let b = self.fresh_name("B");
        let c = self.fresh_name("C");
        let d = self.fresh_name("D");
        let text = format!(
            "class {a}:\n    def who(self):\n        return ['{a}']\n\n    def __init_subclass__(cls, **kw):\n        super().__init_subclass__(**kw)\n        T.append('subclass ' + cls.__name__)\n\n\nclass {b}({a}):\n    def who(self):\n        return ['{b}'] + super().who()\n\n\nclass {c}({a}):\n    def who(self):\n        return ['{c}'] + super().who()\n\n\nclass {d}({b}, {c}):\n    def who(self):\n        return ['{d}'] + super().who()\n\n    def __repr__(self):\n        return '{d}()'"
        );
        self.chunk(Section::Top, text);
        let probe = format!(
            "probe(lambda: ({d}().who(), [k.__name__ for k in {d}.__mro__], isinstance({d}(), {c}), issubclass({b}, {c})))"
        );
        self.chunk(Section::Main, probe);
    }

    /// A function with defaults, keyword-only and variadic parameters.
    fn function_def(&mut self) {
        let name = self.fresh_name("f");
        let p1 = *self
            .rng
            .pick(&[Ty::Int, Ty::Str, Ty::Float, Ty::IntList, Ty::Small]);
        let p2 = *self.rng.pick(&[Ty::Int, Ty::Str, Ty::Small]);
        let saved = std::mem::take(&mut self.scope);
        self.push_var("a", p1);
        self.push_var("b", p2);
        let e1_ty = *self.rng.pick(&[Ty::Int, Ty::Str, Ty::List, Ty::Float]);
        let e1 = self.strict(|g| g.expr(e1_ty, 3));
        let e2 = self.strict(|g| g.expr(Ty::Bool, 2));
        let e3 = self.strict(|g| g.any_expr(2));
        self.scope = saved;
        let sig = *self.rng.pick(&[
            "a, b=3, *rest, key=None, **kw",
            "a, /, b=7",
            "a, b=0, *, flag=False",
            "a, b='x'",
        ]);
        let recursive = self.rng.chance(25);
        let mut body = String::new();
        if recursive {
            body.push_str(&format!(
                "if type(b) is int and 0 < b < 30:\n    return [b] + {name}(a, b - 1)\n"
            ));
        }
        body.push_str(&format!("if {e2}:\n    r = {e1}\nelse:\n    r = {e3}\n"));
        body.push_str(if sig.contains("rest") {
            "return (r, rest, key, sorted(kw.items()))"
        } else {
            "return r"
        });
        let text = format!("def {name}({sig}):\n{}", indent(&body));
        self.chunk(Section::Top, text);
        self.funcs.push(Callable {
            name,
            kind: Kind::Function,
            params: vec![p1, p2],
        });
    }

    /// A generator function: `send`, `throw`, `close`, `yield from` and return values.
    fn generator_def(&mut self) {
        let name = self.fresh_name("g");
        let text = match self.rng.below(3) {
            0 => format!(
                "def {name}(n):\n    total = 0\n    for k in range(n):\n        got = yield k * {}\n        if got is not None:\n            total += got\n    return total",
                self.rng.range(1, 4)
            ),
            1 => format!(
                "def {name}(n):\n    for k in range(n):\n        try:\n            yield k\n        except ValueError as e:\n            yield 'caught ' + str(e)\n        finally:\n            T.append('finally {name} ' + str(k))"
            ),
            _ => {
                let inner = self.fresh_name("g");
                format!(
                    "def {inner}(n):\n    yield from range(n)\n    return n * 10\n\n\ndef {name}(n):\n    r = yield from {inner}(n)\n    yield ('inner returned', r)\n    if n > 3:\n        raise KeyError(n)"
                )
            }
        };
        self.chunk(Section::Top, text);
        self.funcs.push(Callable {
            name,
            kind: Kind::Generator,
            params: vec![],
        });
    }

    /// An exception class with its own fields and `__str__`.
    fn exception_def(&mut self) {
        let name = self.fresh_name("E");
        let base = *self.rng.pick(&[
            "Exception",
            "ValueError",
            "KeyError",
            "LookupError",
            "ArithmeticError",
        ]);
        let with_str = self.rng.chance(50);
        let mut text = format!(
            "class {name}({base}):\n    def __init__(self, code, msg='failed'):\n        super().__init__(msg, code)\n        self.code = code\n"
        );
        if with_str {
            text.push_str(
                "\n    def __str__(self):\n        return f'{self.code}: {self.args[0]}'\n",
            );
        }
        self.chunk(Section::Top, text);
        self.funcs.push(Callable {
            name,
            kind: Kind::Exception,
            params: vec![],
        });
    }

    /// Exception handling: chaining, `finally` order, `else`, re-raise,
    /// exception groups, messages of common errors.
    fn exception_scenario(&mut self) -> String {
        match self.rng.below(10) {
            0 => {
                let e = self.any_expr(3);
                format!(
                    "try:\n    try:\n        out({e})\n    except Exception as e:\n        raise ValueError('wrapped') from e\nexcept ValueError as e:\n    out((str(e), type(e.__cause__).__name__, str(e.__cause__)))"
                )
            }
            1 => "log = []\nfor k in range(4):\n    try:\n        if k == 1:\n            continue\n        if k == 3:\n            break\n        log.append(k)\n    finally:\n        log.append('f' + str(k))\nout(log)".to_owned(),
            2 => {
                let e = self.any_expr(2);
                format!(
                    "try:\n    v = {e}\nexcept (TypeError, ValueError) as e:\n    out('caught ' + type(e).__name__)\nexcept Exception as e:\n    out('other ' + type(e).__name__)\nelse:\n    out(('else', v))\nfinally:\n    out('finally')"
                )
            }
            3 => "def inner(x):\n    try:\n        return 10 // x\n    finally:\n        T.append('inner finally ' + str(x))\nprobe(lambda: [inner(5), inner(0)])".to_owned(),
            4 => {
                let msg = str_lit(*self.rng.pick(&["group", "", "eg"]));
                format!(
                    "try:\n    raise ExceptionGroup({msg}, [ValueError('a'), TypeError('b'), ValueError('c')])\nexcept* ValueError as eg:\n    out((str(eg), [str(x) for x in eg.exceptions]))\nexcept* TypeError as eg:\n    out(repr(eg.exceptions))"
                )
            }
            5 => "try:\n    try:\n        {}['missing']\n    except KeyError:\n        raise RuntimeError('during handling') from None\nexcept RuntimeError as e:\n    out((str(e), e.__suppress_context__, repr(e.__context__), e.__cause__))".to_owned(),
            6 => {
                let e = self.expr(Ty::Bool, 2);
                format!("try:\n    assert {e}, 'assertion text'\n    out('passed')\nexcept AssertionError as e:\n    out(('assert', e.args))")
            }
            7 => {
                let err = *self.rng.pick(&[
                    "[][0]", "{}[()]", "(1, 2)[5]", "'abc'[10]", "None.attr", "(1).attr", "int('x1')",
                    "float('one')", "[1, 2].index(9)", "'a' + 1", "1 + 'a'", "len(5)", "abs('x')",
                    "[] < 1", "{1} < [1]", "hash([])", "{[]: 1}", "undefined_name", "10 ** -1 // 0",
                    "divmod(1, 0)", "1 % 0", "2.0 % 0", "int(float('inf'))", "int(float('nan'))",
                    "chr(-1)", "ord('')", "''.join([1])", "b'a' + 'a'", "(1).to_bytes(0, 'big')",
                    "sorted([3, 'a'])", "max([])", "min(1)", "sum(['a'], '')", "iter(5)", "next(iter([]))",
                    "list.index([], 1)", "dict(1)", "set([[]])", "'%d' % 'x'", "'%s %s' % (1,)",
                    "'{}'.format()", "'{0} {}'.format(1, 2)", "format(1, 'z')", "format('s', 'd')",
                    "format(1.5, 'x')", "range(1, 2, 0)", "[1][1.0]", "'abc'[1:2:0]", "pow(2, 3, 0)",
                    "pow(2.0, 3, 5)", "pow(6, -1, 9)", "round(1.5, 'x')", "int('12', 1)", "(-8) ** 0.5 < 1",
                    "bytes([256])", "bytes('abc')", "'a'.encode('nope')", "b'\\xff'.decode()",
                    "'\\u20ac'.encode('ascii')", "{}.popitem()", "[].pop()", "set().pop()", "f'{1:x}' + 1",
                    "1 << -1", "1 >> -1", "2 ** 10000 * 1.0", "float(10 ** 400)", "10 ** 400 / 3",
                    "(10 ** 400) // 1.5", "math", "import_me", "type('x', (), 5)", "object().x",
                    "object.__new__(int)", "int.__add__('a', 1)", "str.upper(1)", "[].sort(1)",
                    "sorted([1], cmp=None)", "dict.fromkeys(1)", "(1, 2) + [3]", "[1] * 'a'",
                    "' '.join('abc', 1)", "'a'.split('')", "'x'.center(3, 'ab')", "'a' * 1.5",
                    "zip(1)", "enumerate(1, 'a')", "reversed(5)", "isinstance(1, 1)", "issubclass(1, int)",
                    "getattr(1, 'x')", "setattr(1, 'x', 2)", "delattr(1, 'real')", "(1).real.imag.x",
                    "complex('x')", "bool.__new__(bool, 1, 2)", "int(1, 2)", "int('10', base=40)",
                ]);
                guarded(&format!("out({err})"))
            }
            8 => {
                "def uses_later():\n    try:\n        return later_name\n    except NameError as e:\n        T.append(str(e))\n    try:\n        local_first\n    except NameError as e:\n        T.append(type(e).__name__ + ': ' + str(e))\n    local_first = 1\n    return local_first\nprobe(uses_later)".to_owned()
            }
            _ => {
                "try:\n    raise ValueError('first')\nexcept ValueError as e:\n    saved = e\nprobe(lambda: (repr(saved), saved.args, str(saved.__traceback__ is not None)))\ntry:\n    try:\n        raise KeyError('inner')\n    except KeyError:\n        raise\nexcept KeyError as e:\n    out(repr(e))".to_owned()
            }
        }
    }

    /// A `match` statement over literal, sequence, mapping and class patterns.
    fn match_block(&mut self) -> String {
        let subject = self.any_expr(2);
        format!(
            "def classify(x):\n    match x:\n        case 0 | 1:\n            return 'small'\n        case int(n) if n < 0:\n            return 'negative'\n        case float() | int():\n            return 'number'\n        case [a, b]:\n            return ('pair', a, b)\n        case [a, *rest]:\n            return ('seq', a, len(rest))\n        case {{'a': v, **others}}:\n            return ('map', v, sorted(others))\n        case str() as s if len(s) > 3:\n            return 'long'\n        case None:\n            return 'none'\n        case _:\n            return 'other'\nprobe(lambda: classify({subject}))"
        )
    }

    /// Starred and nested unpacking, and its errors.
    fn unpacking(&mut self) -> String {
        let src = match self.rng.below(4) {
            0 => self.expr(Ty::IntList, 2),
            1 => self.expr(Ty::Str, 2),
            2 => self.expr(Ty::Tuple, 2),
            _ => format!("range({})", self.rng.range(0, 5)),
        };
        let pattern = *self.rng.pick(&[
            "a, b",
            "a, *b",
            "*a, b, c",
            "a, (b, c)",
            "[a, b, c]",
            "a, *b, c",
        ]);
        let names: Vec<&str> = ["a", "b", "c"]
            .into_iter()
            .filter(|n| pattern.contains(n))
            .collect();
        guarded(&format!("{pattern} = {src}\nout(({},))", names.join(", ")))
    }

    /// Closures, `nonlocal`, default-argument capture, lambdas and the walrus.
    fn closure_block(&mut self) -> String {
        let text = match self.rng.below(4) {
            0 => format!(
                "def counter(start):\n    n = start\n    def step(by=1):\n        nonlocal n\n        n += by\n        return n\n    return step\nc = counter({})\nout([c(), c(), c({})])",
                self.rng.range(-3, 3),
                self.rng.range(-5, 5)
            ),
            1 => "fs = [lambda k=k: k * k for k in range(4)]\nlate = [lambda: k for k in range(3)]\nout(([f() for f in fs], [f() for f in late]))".to_owned(),
            2 => {
                let (_, iter) = self.iterable(2);
                format!("out([(y, len(str(y))) for x in {iter} if (y := repr(x)) != ''])")
            }
            _ => "def make(n):\n    return lambda x: x * n + len(str(x))\nadd = _functools.reduce(lambda a, b: a + b, [make(2)(3), make(-1)(10), 7])\nout((add, list(map(make(3), [1, 'a']))))".to_owned(),
        };
        guarded(&text)
    }

    /// The last statements of a program that ends by raising: the
    /// transcript goes to the log first, then the exception ends the call.
    pub(super) fn failing_tail(&mut self) {
        let error = match self.rng.below(6) {
            0 => "raise ValueError('final failure', 42)".to_owned(),
            1 => "{'a': 1}['b']".to_owned(),
            2 => format!("x = {}", self.any_expr(2)),
            3 => "assert len(T) < 0, f'{len(T)} lines'".to_owned(),
            4 => match self.funcs.iter().find(|c| c.kind == Kind::Exception) {
                Some(c) => format!("raise {}(7, 'custom')", c.name),
                None => "raise RuntimeError".to_owned(),
            },
            _ => "def deep(n):\n    if n == 0:\n        return 1 // n\n    return deep(n - 1)\ndeep(5)".to_owned(),
        };
        self.chunk(
            Section::Main,
            format!("print('\\n'.join(T))\n{error}\nreturn 'unreachable'"),
        );
    }
}
