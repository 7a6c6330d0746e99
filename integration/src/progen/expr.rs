//! Typed expressions: [`Gen::expr`] writes an expression that evaluates to a
//! value of the asked [`Ty`] (or, on purpose and rarely, raises), bounded so
//! that no expression can allocate or loop beyond a few kilobytes or a few
//! hundred steps: repetition counts and exponents are always small, ranges
//! that are iterated are short, and nothing is formatted past 4,300 digits
//! except on purpose (the error is compared).

use super::lit::{bytes_lit, float_lit, str_lit};
use super::Gen;

/// The static type of a generated expression.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ty {
    /// Any `int`, up to a few thousand bits.
    Int,
    /// An `int` in about `-3..=9`: safe as a repetition count or a shift.
    Small,
    /// A `float`, including the signed zeros, infinities and NaN.
    Float,
    /// A `bool`.
    Bool,
    /// A short `str`.
    Str,
    /// A short `bytes`.
    Bytes,
    /// A short list of ints.
    IntList,
    /// A short list of strs.
    StrList,
    /// A short list of mixed values.
    List,
    /// A short tuple of mixed values.
    Tuple,
    /// A dict from str to values.
    Dict,
    /// A set of ints or strs.
    Set,
    /// `None`.
    None,
}

/// Every type, for picking one at random.
pub const ALL_TYPES: &[Ty] = &[
    Ty::Int,
    Ty::Small,
    Ty::Float,
    Ty::Bool,
    Ty::Str,
    Ty::Bytes,
    Ty::IntList,
    Ty::StrList,
    Ty::List,
    Ty::Tuple,
    Ty::Dict,
    Ty::Set,
    Ty::None,
];

/// Types that are hashable and ordered among themselves (dict keys, set
/// members, sort keys).
const KEY_TYPES: &[Ty] = &[Ty::Int, Ty::Small, Ty::Str];

const INTS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "7",
    "-7",
    "10",
    "255",
    "256",
    "-256",
    "1000",
    "12345",
    "-98765",
    "65535",
    "2147483647",
    "-2147483648",
    "4294967296",
    "9007199254740993",
    "-9007199254740993",
    "9223372036854775807",
    "-9223372036854775808",
    "18446744073709551616",
    "340282366920938463463374607431768211457",
    "-170141183460469231731687303715884105728",
    "123456789012345678901234567890",
    "0x7f",
    "0xdeadbeef",
    "0o777",
    "0b1011",
    "1_000_000",
    "10**20",
    "2**64",
    "-(2**100)",
    "3**50",
    "2**63 - 1",
    "2**53 + 1",
    "10**30 + 7",
    "-10**25",
];

const FLOATS: &[f64] = &[
    0.0,
    -0.0,
    1.0,
    -1.0,
    0.5,
    -0.5,
    1.5,
    2.5,
    -2.5,
    0.1,
    0.2,
    0.3,
    1.0 / 3.0,
    2.0 / 3.0,
    3.25159,
    -7.25,
    10.0,
    100.0,
    1e16,
    1e22,
    1e23,
    123456.789,
    123456789.125,
    1e-7,
    1e-5,
    0.0001,
    2.675,
    0.125,
    1e100,
    1e300,
    1e308,
    1.7976931348623157e308,
    -1e308,
    5e-324,
    2.2250738585072014e-308,
    1e-320,
    9007199254740992.0,
    9007199254740993.0,
    4503599627370496.5,
    0.30000000000000004,
    1234.5678,
    -0.001,
    6.02e23,
];

const STRS: &[&str] = &[
    "",
    "a",
    "abc",
    "ABC",
    "Hello, World",
    "  padded  ",
    "a,b,,c",
    "a b  c",
    "x\ty\nz",
    "line1\nline2\r\nline3",
    "123",
    "-42",
    "  17  ",
    "0x1f",
    "1_000",
    "3.5",
    "1e3",
    "inf",
    "-nan",
    "caf\u{e9}",
    "\u{20ac}100",
    "stra\u{df}e",
    "\u{130}stanbul",
    "\u{fb03}",
    "\u{3a3}\u{3b9}\u{3c3}",
    "\u{1f600}!",
    "snake_case_name",
    "CamelCase",
    "title case words",
    "it's",
    "q\"uote",
    "back\\slash",
    "mississippi",
    "aaa",
    "%s-%d",
    "{}:{}",
    "{0}{1}{0}",
    "\u{b2}\u{bd}",
    "\u{663}\u{664}",
    "\u{0}x",
];

const BYTES: &[&[u8]] = &[
    b"",
    b"a",
    b"abc",
    b"Hello, World",
    b"\x00\xff",
    b"\x80abc\xfe",
    b"  spaced  ",
    b"a,b,,c",
    b"12",
    b"deadbeef",
    b"caf\xc3\xa9",
    b"\xe2\x82\xac",
    b"%s=%d",
];

const FLOAT_SPECIALS: &[&str] = &[
    "float('inf')",
    "float('-inf')",
    "float('nan')",
    "float('-0')",
    "float('1e500')",
    "float(' 2.5 ')",
    "float('1_0.5')",
];

impl Gen {
    /// An expression of type `ty`; `depth` bounds its nesting.
    pub fn expr(&mut self, ty: Ty, depth: u32) -> String {
        if depth == 0 || self.rng.chance(25) {
            return self.leaf(ty);
        }
        // Rarely an operand of another type: the TypeError (and its message)
        // is compared too. Never where the value feeds a size.
        if ty != Ty::Small && self.allow_wrong && self.rng.chance(3) {
            let other = *self
                .rng
                .pick(&[Ty::Str, Ty::Float, Ty::None, Ty::IntList, Ty::Bytes]);
            if other != ty {
                return self.leaf(other);
            }
        }
        let d = depth - 1;
        match ty {
            Ty::Int => self.int_expr(d),
            Ty::Small => self.small_expr(d),
            Ty::Float => self.float_expr(d),
            Ty::Bool => self.bool_expr(d),
            Ty::Str => self.str_expr(d),
            Ty::Bytes => self.bytes_expr(d),
            Ty::IntList => self.int_list_expr(d),
            Ty::StrList => self.str_list_expr(d),
            Ty::List => self.list_expr(d),
            Ty::Tuple => self.tuple_expr(d),
            Ty::Dict => self.dict_expr(d),
            Ty::Set => self.set_expr(d),
            Ty::None => self.none_expr(d),
        }
    }

    /// Runs `f` with no wrong-typed operands slipped in (where a value of
    /// another type could be a huge repetition, e.g. `'ab' * 10**9`).
    pub fn strict<R>(&mut self, f: impl FnOnce(&mut Self) -> R) -> R {
        let was = std::mem::replace(&mut self.allow_wrong, false);
        let r = f(self);
        self.allow_wrong = was;
        r
    }

    fn maybe_strict<R>(&mut self, strict: bool, f: impl FnOnce(&mut Self) -> R) -> R {
        if strict {
            self.strict(f)
        } else {
            f(self)
        }
    }

    /// An expression of a random type.
    pub fn any_expr(&mut self, depth: u32) -> String {
        let ty = *self.rng.pick(ALL_TYPES);
        self.expr(ty, depth)
    }

    /// A variable of type `ty` if one is in scope (most of the time), else a literal.
    pub fn leaf(&mut self, ty: Ty) -> String {
        if self.rng.chance(60) {
            if let Some(v) = self.var_of(ty) {
                return v;
            }
        }
        self.literal(ty)
    }

    /// A literal (or literal-like constructor call) of type `ty`.
    pub fn literal(&mut self, ty: Ty) -> String {
        match ty {
            Ty::Int => self.rng.pick(INTS).to_string(),
            Ty::Small => self.rng.range(-3, 9).to_string(),
            Ty::Float => {
                if self.rng.chance(12) {
                    self.rng.pick(FLOAT_SPECIALS).to_string()
                } else {
                    float_lit(*self.rng.pick(FLOATS))
                }
            }
            Ty::Bool => self.rng.pick(&["True", "False"]).to_string(),
            Ty::Str => str_lit(*self.rng.pick(STRS)),
            Ty::Bytes => bytes_lit(*self.rng.pick(BYTES)),
            Ty::IntList => {
                let n = self.rng.below(6);
                let items: Vec<String> = (0..n).map(|_| self.small_or_int()).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::StrList => {
                let n = self.rng.below(5);
                let items: Vec<String> = (0..n).map(|_| str_lit(*self.rng.pick(STRS))).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::List => {
                let n = self.rng.below(5);
                let items: Vec<String> = (0..n).map(|_| self.scalar_literal()).collect();
                format!("[{}]", items.join(", "))
            }
            Ty::Tuple => {
                let n = self.rng.below(4);
                let items: Vec<String> = (0..n).map(|_| self.scalar_literal()).collect();
                match n {
                    0 => "()".to_owned(),
                    1 => format!("({},)", items[0]),
                    _ => format!("({})", items.join(", ")),
                }
            }
            Ty::Dict => {
                let n = self.rng.below(4);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        let k = str_lit(*self.rng.pick(&["a", "b", "c", "key", "x", ""]));
                        format!("{k}: {}", self.scalar_literal())
                    })
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            Ty::Set => {
                let n = self.rng.range(1, 5) as usize;
                let strs = self.rng.chance(40);
                let items: Vec<String> = (0..n)
                    .map(|_| {
                        if strs {
                            str_lit(*self.rng.pick(&["a", "b", "c", "xy", "zz", "q"]))
                        } else {
                            self.rng.range(-5, 40).to_string()
                        }
                    })
                    .collect();
                format!("{{{}}}", items.join(", "))
            }
            Ty::None => "None".to_owned(),
        }
    }

    fn small_or_int(&mut self) -> String {
        if self.rng.chance(70) {
            self.rng.range(-20, 50).to_string()
        } else {
            self.rng.pick(INTS).to_string()
        }
    }

    fn scalar_literal(&mut self) -> String {
        let ty = *self.rng.pick(&[
            Ty::Int,
            Ty::Small,
            Ty::Float,
            Ty::Str,
            Ty::Bool,
            Ty::None,
            Ty::Bytes,
        ]);
        self.literal(ty)
    }

    fn int_expr(&mut self, d: u32) -> String {
        match self.rng.below(34) {
            0..=5 => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "//", "%", "&", "|", "^", "+", "-"]);
                if op == "*" {
                    let a = self.strict(|g| g.expr(Ty::Int, d));
                    let b = self.strict(|g| g.expr(Ty::Int, d.min(1)));
                    return format!("({a} * {b})");
                }
                let a = self.expr(Ty::Int, d);
                let b = self.expr(Ty::Int, d);
                format!("({a} {op} {b})")
            }
            6 => format!(
                "({} ** {})",
                self.expr(Ty::Int, d.min(1)),
                self.rng.range(0, 12)
            ),
            7 => format!("({} << {})", self.expr(Ty::Int, d), self.rng.range(0, 70)),
            8 => format!("({} >> {})", self.expr(Ty::Int, d), self.rng.range(0, 70)),
            9 => format!(
                "{}{}",
                self.rng.pick(&["-", "~", "+", "-"]),
                self.paren(Ty::Int, d)
            ),
            10 => format!("abs({})", self.expr(Ty::Int, d)),
            11 => format!("len({})", self.sized(d)),
            12 => format!("int({})", self.expr(Ty::Float, d)),
            13 => self.int_from_str(),
            14 => match self.rng.below(3) {
                0 => format!("round({})", self.expr(Ty::Float, d)),
                1 => format!(
                    "round({}, {})",
                    self.expr(Ty::Int, d),
                    self.rng.range(-12, 2)
                ),
                _ => format!("round({}, None)", self.expr(Ty::Float, d)),
            },
            15 => format!(
                "divmod({}, {})[{}]",
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d),
                self.rng.below(2)
            ),
            16 => self.modular_pow(d),
            17 => format!("sum({})", self.expr(Ty::IntList, d)),
            18 => format!(
                "{}({}, {})",
                self.rng.pick(&["max", "min"]),
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d)
            ),
            19 => format!(
                "{}.{}()",
                self.paren(Ty::Int, d),
                self.rng
                    .pick(&["bit_length", "bit_count", "__index__", "conjugate"])
            ),
            20 => format!(
                "int.from_bytes({}, {}, signed={})",
                self.expr(Ty::Bytes, d),
                self.rng.pick(&["'big'", "'little'"]),
                self.rng.pick(&["True", "False"])
            ),
            21 => format!("ord({})", self.expr(Ty::Str, d)),
            22 => format!(
                "{}.{}({})",
                self.paren(Ty::Str, d),
                self.rng
                    .pick(&["find", "rfind", "count", "index", "rindex"]),
                self.expr(Ty::Str, d)
            ),
            23 => format!(
                "{}.{}({})",
                self.paren(Ty::IntList, d),
                self.rng.pick(&["index", "count"]),
                self.expr(Ty::Small, d)
            ),
            // Only numbers: CPython 3.11 hashes None by address and str by a
            // per-build key, neither of which a contract can rely on.
            24 => {
                let ty = *self.rng.pick(&[Ty::Int, Ty::Float, Ty::Bool, Ty::Small]);
                format!("hash({})", self.expr(ty, d))
            }
            25 => format!(
                "({} if {} else {})",
                self.expr(Ty::Int, d),
                self.expr(Ty::Bool, d),
                self.expr(Ty::Int, d)
            ),
            26 => format!(
                "int({}, {})",
                str_lit(
                    *self
                        .rng
                        .pick(&["ff", "-101", "0x1F", "z", "777", "0b11", "1_0", " 12 ", "9"])
                ),
                self.rng.pick(&["0", "2", "8", "16", "36", "10", "1", "37"])
            ),
            27 => {
                let op = *self.rng.pick(&["+", "*", "-", "&", "|"]);
                let strict = op == "*";
                let a = self.maybe_strict(strict, |g| g.expr(Ty::Bool, d));
                let b = self.maybe_strict(strict, |g| g.expr(Ty::Int, d));
                format!("({a} {op} {b})")
            }
            28 => format!("{}.numerator", self.paren(Ty::Int, d)),
            29 => format!("int({})", self.expr(Ty::Bool, d)),
            30 => format!("len({})", self.expr(Ty::Dict, d)),
            31 => format!("(({}) // {})", self.expr(Ty::Int, d), self.nonzero_small()),
            32 => format!("int({})", self.expr(Ty::Str, d)),
            _ => format!(
                "sum({}, {})",
                self.expr(Ty::IntList, d),
                self.expr(Ty::Int, d)
            ),
        }
    }

    fn int_from_str(&mut self) -> String {
        let s = *self.rng.pick(&[
            "42",
            "-0",
            "+17",
            " 9 ",
            "1_000_000",
            "0x10",
            "12a",
            "",
            "1e3",
            "\u{663}\u{664}",
            "99999999999999999999999",
            "-123456789012345678901234567890",
            "007",
            "1__0",
            "_1",
        ]);
        format!("int({})", str_lit(s))
    }

    fn modular_pow(&mut self, d: u32) -> String {
        match self.rng.below(4) {
            0 => format!(
                "pow({}, {}, {})",
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d)
            ),
            1 => format!(
                "pow({}, -1, {})",
                self.expr(Ty::Int, d),
                self.expr(Ty::Int, d)
            ),
            2 => format!(
                "pow({}, {}, {})",
                self.expr(Ty::Int, d),
                self.rng.range(-3, 40),
                self.rng
                    .pick(&["7", "97", "-5", "1", "0", "2**61 - 1", "10**9 + 7"])
            ),
            _ => format!(
                "pow({}, {})",
                self.expr(Ty::Int, d.min(1)),
                self.rng.range(0, 9)
            ),
        }
    }

    fn nonzero_small(&mut self) -> String {
        self.rng
            .pick(&["1", "2", "3", "-2", "7", "-9", "10"])
            .to_string()
    }

    fn small_expr(&mut self, d: u32) -> String {
        match self.rng.below(6) {
            0 => format!("({} + {})", self.expr(Ty::Small, d), self.rng.range(-2, 3)),
            1 => format!("({} % {})", self.expr(Ty::Int, d), self.rng.range(2, 7)),
            2 => format!("len({})", self.expr(Ty::StrList, d)),
            3 => format!("({} - {})", self.rng.range(0, 6), self.expr(Ty::Small, d)),
            4 => format!("min({}, 6)", self.expr(Ty::Small, d)),
            _ => format!("int({})", self.expr(Ty::Bool, d)),
        }
    }

    fn float_expr(&mut self, d: u32) -> String {
        match self.rng.below(26) {
            0..=5 => {
                let op = *self
                    .rng
                    .pick(&["+", "-", "*", "/", "//", "%", "**", "*", "/"]);
                let strict = op == "*";
                let a = self.maybe_strict(strict, |g| g.expr(Ty::Float, d));
                let b = if self.rng.chance(30) {
                    self.maybe_strict(strict, |g| g.expr(Ty::Int, d))
                } else {
                    self.maybe_strict(strict, |g| g.expr(Ty::Float, d))
                };
                if self.rng.chance(50) {
                    format!("({a} {op} {b})")
                } else {
                    format!("({b} {op} {a})")
                }
            }
            6 => format!("({} / {})", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
            7 => format!(
                "({} ** {})",
                self.expr(Ty::Int, d.min(1)),
                self.rng.range(-40, -1)
            ),
            8 => format!("abs({})", self.expr(Ty::Float, d)),
            9 => format!("-{}", self.paren(Ty::Float, d)),
            10 => format!(
                "round({}, {})",
                self.expr(Ty::Float, d),
                self.rng.range(-3, 12)
            ),
            11 => format!(
                "divmod({}, {})[{}]",
                self.expr(Ty::Float, d),
                self.num(d),
                self.rng.below(2)
            ),
            12 => format!("float({})", self.expr(Ty::Int, d)),
            13 => format!("float({})", self.expr(Ty::Str, d)),
            14 => format!(
                "sum([{}, {}, {}])",
                self.expr(Ty::Float, d),
                self.expr(Ty::Float, d),
                self.num(d)
            ),
            15 => format!("float.fromhex({}.hex())", self.paren(Ty::Float, d)),
            16 => format!("pow({}, {})", self.expr(Ty::Float, d), self.num(d)),
            17 => format!(
                "({} if {} else {})",
                self.expr(Ty::Float, d),
                self.expr(Ty::Bool, d),
                self.expr(Ty::Float, d)
            ),
            18 => format!("max({}, {})", self.expr(Ty::Float, d), self.num(d)),
            19 => format!("min({}, {})", self.num(d), self.expr(Ty::Float, d)),
            20 => format!("({} * 1.0)", self.expr(Ty::Int, d)),
            21 => format!(
                "float.fromhex({})",
                str_lit(*self.rng.pick(&[
                    "0x1.8p1",
                    "-0x1p-1074",
                    "0x1.fffffffffffffp+1023",
                    "inf",
                    "0x.8",
                    "1p4",
                    "0x1p1024"
                ]))
            ),
            22 => format!("{}.real", self.paren(Ty::Float, d)),
            23 => {
                let op = *self.rng.pick(&["+", "-", "*", "/"]);
                let strict = op == "*";
                let a = self.maybe_strict(strict, |g| g.num(d));
                let b = self.maybe_strict(strict, |g| g.expr(Ty::Bool, d));
                format!("({a} {op} {b})")
            }
            24 => format!(
                "float({})",
                str_lit(*self.rng.pick(&[
                    "1e-400",
                    "-1E5",
                    "+.5",
                    "5.",
                    "0x10",
                    "Infinity",
                    "-iNF",
                    "nan",
                    "1_000.000_1",
                    "--1",
                    "1e",
                    "\u{663}.5"
                ]))
            ),
            _ => format!("({} % {})", self.expr(Ty::Int, d), self.expr(Ty::Float, d)),
        }
    }

    /// An int or a float.
    fn num(&mut self, d: u32) -> String {
        if self.rng.chance(50) {
            self.expr(Ty::Int, d)
        } else {
            self.expr(Ty::Float, d)
        }
    }

    fn bool_expr(&mut self, d: u32) -> String {
        match self.rng.below(16) {
            0..=3 => {
                let ty = *self.rng.pick(&[
                    Ty::Int,
                    Ty::Float,
                    Ty::Str,
                    Ty::Bytes,
                    Ty::IntList,
                    Ty::Tuple,
                    Ty::Set,
                    Ty::Small,
                ]);
                let op = *self.rng.pick(&["<", "<=", "==", "!=", ">", ">="]);
                format!("({} {op} {})", self.expr(ty, d), self.expr(ty, d))
            }
            4 => format!("({} < {} <= {})", self.num(d), self.num(d), self.num(d)),
            5 => format!("({} in {})", self.expr(Ty::Str, d), self.expr(Ty::Str, d)),
            6 => format!(
                "({} in {})",
                self.expr(Ty::Small, d),
                self.expr(Ty::IntList, d)
            ),
            7 => format!("({} in {})", self.expr(Ty::Str, d), self.expr(Ty::Dict, d)),
            8 => format!("(not {})", self.any_expr(d)),
            9 => format!("bool({})", self.any_expr(d)),
            10 => format!(
                "{}.{}()",
                self.paren(Ty::Str, d),
                self.rng.pick(&[
                    "isdigit",
                    "isalpha",
                    "isalnum",
                    "isspace",
                    "isupper",
                    "islower",
                    "istitle",
                    "isdecimal",
                    "isnumeric",
                    "isidentifier",
                    "isprintable",
                    "isascii"
                ])
            ),
            11 => format!(
                "{}.startswith({})",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d)
            ),
            12 => format!("{}.is_integer()", self.paren(Ty::Float, d)),
            13 => format!(
                "isinstance({}, {})",
                self.any_expr(d),
                self.rng.pick(&[
                    "int",
                    "float",
                    "str",
                    "(int, float)",
                    "bool",
                    "list",
                    "tuple",
                    "dict",
                    "bytes",
                    "object"
                ])
            ),
            14 => format!(
                "({} {} {})",
                self.expr(Ty::Bool, d),
                self.rng.pick(&["and", "or", "&", "|", "^"]),
                self.expr(Ty::Bool, d)
            ),
            _ => format!(
                "{}({})",
                self.rng.pick(&["any", "all"]),
                self.expr(Ty::List, d)
            ),
        }
    }

    fn str_expr(&mut self, d: u32) -> String {
        match self.rng.below(36) {
            0..=2 => format!("({} + {})", self.expr(Ty::Str, d), self.expr(Ty::Str, d)),
            3 => format!(
                "({} * {})",
                self.expr(Ty::Str, d.min(1)),
                self.expr(Ty::Small, d)
            ),
            4 => format!("{}[{}]", self.paren(Ty::Str, d), self.rng.range(-4, 4)),
            5 => format!("{}{}", self.paren(Ty::Str, d), self.slice()),
            6 => format!(
                "{}.{}()",
                self.paren(Ty::Str, d),
                self.rng.pick(&[
                    "upper",
                    "lower",
                    "title",
                    "capitalize",
                    "swapcase",
                    "casefold",
                    "strip",
                    "lstrip",
                    "rstrip"
                ])
            ),
            7 => format!(
                "{}.{}({})",
                self.paren(Ty::Str, d),
                self.rng
                    .pick(&["strip", "lstrip", "rstrip", "removeprefix", "removesuffix"]),
                self.expr(Ty::Str, d)
            ),
            8 => format!(
                "{}.replace({}, {})",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d),
                self.expr(Ty::Str, d)
            ),
            9 => format!(
                "{}.replace({}, {}, {})",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d),
                self.expr(Ty::Str, d),
                self.expr(Ty::Small, d)
            ),
            10 => format!(
                "{}.{}({}{})",
                self.paren(Ty::Str, d),
                self.rng.pick(&["center", "ljust", "rjust"]),
                self.rng.range(-1, 16),
                if self.rng.chance(50) {
                    format!(
                        ", {}",
                        str_lit(*self.rng.pick(&["*", "-", "\u{e9}", "ab", ""]))
                    )
                } else {
                    String::new()
                }
            ),
            11 => format!(
                "{}.zfill({})",
                self.paren(Ty::Str, d),
                self.rng.range(-1, 12)
            ),
            12 => format!(
                "{}.join({})",
                self.expr(Ty::Str, d),
                self.expr(Ty::StrList, d)
            ),
            13 => format!("str({})", self.any_expr(d)),
            14 => format!("repr({})", self.any_expr(d)),
            15 => format!("ascii({})", self.any_expr(d)),
            16..=18 => self.format_call(d),
            19..=21 => self.fstring(d),
            22..=23 => self.percent_format(d),
            24 => format!(
                "{}({})",
                self.rng.pick(&["hex", "oct", "bin"]),
                self.expr(Ty::Int, d)
            ),
            25 => format!(
                "chr({})",
                self.rng.pick(&[
                    "65", "0x20ac", "0x1f600", "0", "127", "0x10ffff", "0x110000", "-1", "223",
                    "0xd800"
                ])
            ),
            26 => format!("{}.decode({})", self.paren(Ty::Bytes, d), self.codec_args()),
            27 => format!(
                "{}.expandtabs({})",
                self.paren(Ty::Str, d),
                self.rng.range(0, 8)
            ),
            28 => format!(
                "{}.format({}, {})",
                self.expr(Ty::Str, d),
                self.any_expr(d),
                self.any_expr(d)
            ),
            29 => format!("str({})", self.expr(Ty::Int, d)),
            30 => format!("repr({})", self.expr(Ty::Float, d)),
            31 => format!(
                "{}.partition({})[{}]",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d),
                self.rng.below(3)
            ),
            32 => format!("''.join(sorted({}))", self.expr(Ty::Str, d)),
            33 => format!(
                "({} if {} else {})",
                self.expr(Ty::Str, d),
                self.expr(Ty::Bool, d),
                self.expr(Ty::Str, d)
            ),
            34 => format!(
                "{}.translate({{{}: {}}})",
                self.paren(Ty::Str, d),
                self.rng.range(97, 100),
                self.rng.pick(&["'X'", "None", "66", "'yz'"])
            ),
            _ => format!("str({})", self.expr(Ty::Float, d)),
        }
    }

    fn codec_args(&mut self) -> String {
        let codec = *self
            .rng
            .pick(&["", "'utf-8'", "'ascii'", "'latin-1'", "'utf8'", "'UTF-8'"]);
        if codec.is_empty() {
            return String::new();
        }
        match self.rng.below(3) {
            0 => codec.to_owned(),
            _ => format!(
                "{codec}, {}",
                self.rng.pick(&[
                    "'strict'",
                    "'ignore'",
                    "'replace'",
                    "'backslashreplace'",
                    "'surrogateescape'"
                ])
            ),
        }
    }

    /// A random format spec: `[[fill]align][sign][#][0][width][grouping][.precision][type]`.
    pub fn format_spec(&mut self, for_ty: Ty) -> String {
        let mut s = String::new();
        if self.rng.chance(30) {
            if self.rng.chance(40) {
                s.push(*self.rng.pick(&['*', '_', '0', ' ', '\u{e9}']));
            }
            s.push(*self.rng.pick(&['<', '>', '^', '=']));
        }
        if self.rng.chance(25) {
            s.push(*self.rng.pick(&['+', '-', ' ']));
        }
        if self.rng.chance(12) {
            s.push('#');
        }
        if self.rng.chance(12) {
            s.push('0');
        }
        if self.rng.chance(40) {
            s.push_str(&self.rng.range(0, 24).to_string());
        }
        if self.rng.chance(15) {
            s.push(*self.rng.pick(&[',', '_']));
        }
        if self.rng.chance(40) {
            s.push('.');
            s.push_str(&self.rng.range(0, 20).to_string());
        }
        let types: &[&str] = match for_ty {
            Ty::Int | Ty::Small | Ty::Bool => &[
                "", "d", "x", "X", "o", "b", "c", "n", "e", "f", "g", "%", "s",
            ],
            Ty::Float => &["", "e", "E", "f", "F", "g", "G", "%", "n", "d", "s"],
            _ => &["", "s", "d", "r"],
        };
        s.push_str(*self.rng.pick(types));
        s
    }

    fn formattable(&mut self, d: u32) -> (Ty, String) {
        let ty = *self
            .rng
            .pick(&[Ty::Int, Ty::Float, Ty::Float, Ty::Str, Ty::Small, Ty::Bool]);
        (ty, self.expr(ty, d))
    }

    fn format_call(&mut self, d: u32) -> String {
        let (ty, v) = self.formattable(d);
        let spec = self.format_spec(ty);
        match self.rng.below(3) {
            0 => format!("format({v}, {})", str_lit(&spec)),
            1 => format!("{}.format({v})", str_lit(&format!("<{{:{spec}}}>"))),
            _ => format!(
                "{}.format({v}, {})",
                str_lit(&format!("{{0:{spec}}}|{{1!r:>6}}|{{0}}")),
                self.expr(Ty::Str, d)
            ),
        }
    }

    fn fstring(&mut self, d: u32) -> String {
        let _ = d;
        let mut out = String::from("f'");
        let parts = self.rng.range(1, 3);
        for _ in 0..parts {
            out.push_str(*self.rng.pick(&["", "x=", " | ", "<", "v:"]));
            let ty = *self
                .rng
                .pick(&[Ty::Int, Ty::Float, Ty::Float, Ty::Str, Ty::Small]);
            let field = match self.var_of(ty) {
                Some(v) => v,
                None => continue,
            };
            let field = match self.rng.below(4) {
                0 if ty == Ty::Int || ty == Ty::Float => format!("{field} * 2"),
                1 if ty == Ty::Str => format!("{field}.upper()"),
                _ => field,
            };
            match self.rng.below(6) {
                0 => out.push_str(&format!("{{{field}!r}}")),
                1 => out.push_str(&format!("{{{field}=}}")),
                2 => {
                    let w = self.var_of(Ty::Small).unwrap_or_else(|| "3".to_owned());
                    out.push_str(&format!("{{{field}:>{{{w}}}}}"));
                }
                _ => {
                    let spec = self.format_spec(ty);
                    let spec: String = spec.chars().filter(|c| !"{}'\\".contains(*c)).collect();
                    out.push_str(&format!("{{{field}:{spec}}}"));
                }
            }
        }
        out.push('\'');
        out
    }

    fn percent_format(&mut self, d: u32) -> String {
        let n = self.rng.range(1, 3);
        let mut fmt = String::new();
        let mut args = Vec::new();
        for _ in 0..n {
            let (ty, v) = self.formattable(d);
            let mut spec = String::from("%");
            if self.rng.chance(25) {
                spec.push(*self.rng.pick(&['-', '+', ' ', '#', '0']));
            }
            if self.rng.chance(35) {
                spec.push_str(&self.rng.range(0, 15).to_string());
            }
            if self.rng.chance(30) {
                spec.push('.');
                spec.push_str(&self.rng.range(0, 12).to_string());
            }
            let code = match ty {
                Ty::Float => *self
                    .rng
                    .pick(&['f', 'e', 'g', 'G', 'E', 'F', 'r', 's', 'd', 'x']),
                Ty::Str => *self.rng.pick(&['s', 'r', 'a', 'd', 'c']),
                _ => *self
                    .rng
                    .pick(&['d', 'i', 'x', 'X', 'o', 'u', 's', 'r', 'c', 'e', 'f']),
            };
            spec.push(code);
            fmt.push_str(&spec);
            fmt.push_str(*self.rng.pick(&[" ", "|", "", ":"]));
            args.push(v);
        }
        if self.rng.chance(10) {
            fmt.push_str("%%");
        }
        if args.len() == 1 && self.rng.chance(50) {
            format!("({} % {})", str_lit(&fmt), args[0])
        } else {
            format!("({} % ({},))", str_lit(&fmt), args.join(", "))
        }
    }

    fn bytes_expr(&mut self, d: u32) -> String {
        match self.rng.below(16) {
            0..=1 => format!(
                "({} + {})",
                self.expr(Ty::Bytes, d),
                self.expr(Ty::Bytes, d)
            ),
            2 => format!(
                "({} * {})",
                self.expr(Ty::Bytes, d.min(1)),
                self.expr(Ty::Small, d)
            ),
            3 => format!("{}{}", self.paren(Ty::Bytes, d), self.slice()),
            4 => format!("bytes({})", self.expr(Ty::IntList, d)),
            5 => format!("{}.encode({})", self.paren(Ty::Str, d), self.codec_args()),
            6 => format!(
                "{}.{}()",
                self.paren(Ty::Bytes, d),
                self.rng
                    .pick(&["upper", "lower", "strip", "title", "swapcase", "capitalize"])
            ),
            7 => format!(
                "{}.replace({}, {})",
                self.paren(Ty::Bytes, d),
                self.expr(Ty::Bytes, d),
                self.expr(Ty::Bytes, d)
            ),
            8 => format!(
                "bytes.fromhex({})",
                str_lit(
                    *self
                        .rng
                        .pick(&["00ff", "de ad be ef", "0", "zz", "", "AbCd", " 01"])
                )
            ),
            9 => format!(
                "({} % ({},))",
                bytes_lit(*self.rng.pick(&[
                    &b"%s"[..],
                    b"%d-%x",
                    b"%b|",
                    b"%5s",
                    b"%-4d",
                    b"%c",
                    b"%r",
                    b"%a"
                ])),
                self.any_expr(d)
            ),
            10 => format!(
                "{}.to_bytes({}, {}, signed={})",
                self.paren(Ty::Int, d),
                self.rng.range(0, 12),
                self.rng.pick(&["'big'", "'little'"]),
                self.rng.pick(&["True", "False"])
            ),
            11 => format!("bytes({})", self.rng.range(0, 6)),
            12 => format!("bytes(bytearray({}))", self.expr(Ty::Bytes, d)),
            13 => format!("{}.join({})", self.expr(Ty::Bytes, d), self.bytes_list(d)),
            14 => format!(
                "{}.{}({}{})",
                self.paren(Ty::Bytes, d),
                self.rng.pick(&["center", "ljust", "rjust"]),
                self.rng.range(0, 12),
                if self.rng.chance(50) { ", b'*'" } else { "" }
            ),
            _ => format!("bytes({}, 'utf-8')", self.expr(Ty::Str, d)),
        }
    }

    fn bytes_list(&mut self, d: u32) -> String {
        let n = self.rng.below(4);
        let items: Vec<String> = (0..n).map(|_| self.expr(Ty::Bytes, d)).collect();
        format!("[{}]", items.join(", "))
    }

    /// An iterable whose iteration is short, and the type of its items.
    /// Written strictly: a loop variable must hold the type it is given.
    pub fn iterable(&mut self, d: u32) -> (Ty, String) {
        self.strict(|g| match g.rng.below(8) {
            0 => (Ty::Small, format!("range({})", g.rng.range(0, 8))),
            1 => (
                Ty::Small,
                format!(
                    "range({}, {}, {})",
                    g.rng.range(-5, 5),
                    g.rng.range(-5, 10),
                    g.rng.pick(&["1", "2", "-1", "3", "-2"])
                ),
            ),
            2 => (Ty::Str, g.expr(Ty::Str, d)),
            3 => (Ty::Int, g.expr(Ty::IntList, d)),
            4 => (Ty::Str, g.expr(Ty::StrList, d)),
            5 => (Ty::Str, g.expr(Ty::Dict, d)),
            6 => (Ty::Int, g.expr(Ty::Bytes, d)),
            // Ints or strs: typed as nothing in particular.
            _ => (Ty::None, format!("sorted({})", g.expr(Ty::Set, d))),
        })
    }

    fn int_list_expr(&mut self, d: u32) -> String {
        match self.rng.below(16) {
            0 => format!(
                "sorted({}{})",
                self.expr(Ty::IntList, d),
                self.sort_args(Ty::Int)
            ),
            1 => format!(
                "({} + {})",
                self.expr(Ty::IntList, d),
                self.expr(Ty::IntList, d)
            ),
            2 => format!(
                "({} * {})",
                self.expr(Ty::IntList, d.min(1)),
                self.expr(Ty::Small, d)
            ),
            3 => format!("{}{}", self.paren(Ty::IntList, d), self.slice()),
            4 => format!(
                "list(range({}, {}, {}))",
                self.rng.range(-10, 10),
                self.rng.range(-10, 20),
                self.rng.pick(&["1", "3", "-1", "-4", "2"])
            ),
            5 => self.list_comprehension(d),
            6 => format!(
                "list(map({}, {}))",
                self.rng.pick(&[
                    "abs",
                    "int",
                    "len",
                    "bool",
                    "hash",
                    "lambda v: v * 3",
                    "lambda v: -v"
                ]),
                self.expr(Ty::IntList, d)
            ),
            7 => format!("list(reversed({}))", self.expr(Ty::IntList, d)),
            8 => format!("[{}, {}]", self.expr(Ty::Int, d), self.expr(Ty::Int, d)),
            9 => format!("list({})", self.expr(Ty::Bytes, d)),
            10 => format!("list(divmod({}, {}))", self.num(d), self.num(d)),
            11 => format!("list(filter(None, {}))", self.expr(Ty::IntList, d)),
            12 => format!("[len(v) for v in {}]", self.expr(Ty::StrList, d)),
            13 => format!("list({}.values())", self.expr(Ty::Dict, d)),
            14 => format!("[*{}, *{}]", self.expr(Ty::IntList, d), self.iterable(d).1),
            _ => format!("list(itertools.accumulate({}))", self.expr(Ty::IntList, d)),
        }
    }

    fn sort_args(&mut self, elem: Ty) -> String {
        let key = match (elem, self.rng.below(5)) {
            (_, 0) => "",
            (Ty::Int, 1) => ", key=lambda v: -v",
            (Ty::Int, 2) => ", key=lambda v: (v % 3, v)",
            (Ty::Int, 3) => ", key=abs",
            (Ty::Int, _) => ", key=str",
            (_, 1) => ", key=len",
            (_, 2) => ", key=str.lower",
            (_, 3) => ", key=lambda v: v[::-1]",
            _ => ", key=lambda v: (len(v), v)",
        };
        let rev = if self.rng.chance(30) {
            ", reverse=True"
        } else {
            ""
        };
        format!("{key}{rev}")
    }

    fn str_list_expr(&mut self, d: u32) -> String {
        match self.rng.below(11) {
            0 => format!(
                "sorted({}{})",
                self.expr(Ty::StrList, d),
                self.sort_args(Ty::Str)
            ),
            1 => format!("{}.split({})", self.paren(Ty::Str, d), self.opt_sep(d)),
            2 => format!(
                "{}.rsplit({}, {})",
                self.paren(Ty::Str, d),
                self.opt_sep_or_none(d),
                self.rng.range(-1, 3)
            ),
            3 => format!(
                "{}.splitlines({})",
                self.paren(Ty::Str, d),
                self.rng.pick(&["", "True", "False"])
            ),
            4 => format!("list({})", self.expr(Ty::Str, d)),
            5 => format!("[s.upper() for s in {} if s]", self.expr(Ty::StrList, d)),
            6 => format!("sorted({})", self.expr(Ty::Dict, d)),
            7 => format!("list(map(str, {}))", self.expr(Ty::IntList, d)),
            8 => format!(
                "({} + {})",
                self.expr(Ty::StrList, d),
                self.expr(Ty::StrList, d)
            ),
            9 => format!("[k for k, v in {}.items()]", self.paren(Ty::Dict, d)),
            _ => format!(
                "list({}.partition({}))",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d)
            ),
        }
    }

    fn opt_sep_or_none(&mut self, d: u32) -> String {
        if self.rng.chance(40) {
            "None".to_owned()
        } else {
            self.expr(Ty::Str, d)
        }
    }

    fn opt_sep(&mut self, d: u32) -> String {
        if self.rng.chance(40) {
            String::new()
        } else {
            self.expr(Ty::Str, d)
        }
    }

    fn list_comprehension(&mut self, d: u32) -> String {
        let v = self.fresh_name("v");
        let (elem, iter) = self.iterable(d);
        self.push_var(&v, elem);
        let body = self.expr(elem, d);
        let cond = if self.rng.chance(40) {
            format!(" if {}", self.expr(Ty::Bool, d))
        } else {
            String::new()
        };
        self.pop_var();
        let body = if elem == Ty::Small || elem == Ty::Int {
            body
        } else {
            format!("len(str({body}))")
        };
        format!("[{body} for {v} in {iter}{cond}]")
    }

    fn list_expr(&mut self, d: u32) -> String {
        match self.rng.below(10) {
            0 => format!(
                "[{}, {}, {}]",
                self.any_expr(d),
                self.any_expr(d),
                self.any_expr(d)
            ),
            1 => format!("list({})", self.expr(Ty::Tuple, d)),
            2 => format!("list(zip({}, {}))", self.iterable(d).1, self.iterable(d).1),
            3 => format!(
                "list(enumerate({}, {}))",
                self.iterable(d).1,
                self.rng.range(-1, 3)
            ),
            4 => format!("list({}.items())", self.paren(Ty::Dict, d)),
            5 => format!("{}{}", self.paren(Ty::List, d), self.slice()),
            6 => format!("[type(v).__name__ for v in {}]", self.expr(Ty::List, d)),
            7 => format!("list(itertools.{})", self.itertools_call(d)),
            8 => self.expr(Ty::IntList, d),
            _ => format!(
                "[({}, {}) for a in range({}) for b in range(a)]",
                "a",
                "b",
                self.rng.range(0, 4)
            ),
        }
    }

    fn itertools_call(&mut self, d: u32) -> String {
        match self.rng.below(8) {
            0 => format!("islice({}, {})", self.iterable(d).1, self.rng.range(0, 4)),
            1 => format!("chain({}, {})", self.iterable(d).1, self.iterable(d).1),
            2 => format!(
                "product({}, repeat={})",
                self.short_iter(),
                self.rng.range(0, 2)
            ),
            3 => format!(
                "permutations({}, {})",
                self.short_iter(),
                self.rng.range(0, 3)
            ),
            4 => format!(
                "combinations({}, {})",
                self.short_iter(),
                self.rng.range(0, 3)
            ),
            5 => format!(
                "zip_longest({}, {}, fillvalue={})",
                self.iterable(d).1,
                self.iterable(d).1,
                self.literal(Ty::Small)
            ),
            6 => format!("starmap(pow, [(2, {}), (3, 2)])", self.rng.range(0, 5)),
            _ => format!(
                "compress({}, {})",
                self.iterable(d).1,
                self.expr(Ty::IntList, d)
            ),
        }
    }

    fn short_iter(&mut self) -> String {
        self.rng
            .pick(&["'abc'", "[1, 2, 3]", "range(3)", "'xy'", "(0, 1)", "''"])
            .to_string()
    }

    fn tuple_expr(&mut self, d: u32) -> String {
        match self.rng.below(10) {
            0 => format!("({}, {})", self.any_expr(d), self.any_expr(d)),
            1 => format!("tuple({})", self.iterable(d).1),
            2 => format!("divmod({}, {})", self.num(d), self.num(d)),
            3 => format!(
                "{}.partition({})",
                self.paren(Ty::Str, d),
                self.expr(Ty::Str, d)
            ),
            4 => format!("{}.as_integer_ratio()", self.paren(Ty::Float, d)),
            5 => format!(
                "({} + {})",
                self.expr(Ty::Tuple, d),
                self.expr(Ty::Tuple, d)
            ),
            6 => format!("{}{}", self.paren(Ty::Tuple, d), self.slice()),
            7 => format!("({}, *{})", self.any_expr(d), self.iterable(d).1),
            8 => format!("tuple(sorted({}))", self.expr(Ty::Set, d)),
            _ => format!(
                "(min({}), max({}))",
                self.expr(Ty::IntList, d),
                self.expr(Ty::StrList, d)
            ),
        }
    }

    fn dict_expr(&mut self, d: u32) -> String {
        match self.rng.below(9) {
            0 => format!(
                "dict(zip({}, {}))",
                self.expr(Ty::StrList, d),
                self.iterable(d).1
            ),
            1 => format!("{{s: len(s) for s in {}}}", self.expr(Ty::StrList, d)),
            2 => format!("({} | {})", self.expr(Ty::Dict, d), self.expr(Ty::Dict, d)),
            3 => format!(
                "{{**{}, {}: {}}}",
                self.paren(Ty::Dict, d),
                self.expr(Ty::Str, d),
                self.any_expr(d)
            ),
            4 => format!(
                "dict.fromkeys({}, {})",
                self.expr(Ty::StrList, d),
                self.any_expr(d)
            ),
            5 => format!("dict({}, z={})", self.paren(Ty::Dict, d), self.any_expr(d)),
            6 => format!("{{str(k): k for k in {}}}", self.expr(Ty::IntList, d)),
            7 => format!(
                "dict([({}, {}), ({}, {})])",
                self.expr(Ty::Str, d),
                self.any_expr(d),
                self.expr(Ty::Str, d),
                self.any_expr(d)
            ),
            _ => format!("{{{}: {}}}", self.expr(Ty::Str, d), self.any_expr(d)),
        }
    }

    fn set_expr(&mut self, d: u32) -> String {
        match self.rng.below(8) {
            0 => format!("set({})", self.expr(Ty::IntList, d)),
            1 => format!("set({})", self.expr(Ty::Str, d)),
            2..=4 => format!(
                "({} {} {})",
                self.expr(Ty::Set, d),
                self.rng.pick(&["|", "&", "-", "^"]),
                self.expr(Ty::Set, d)
            ),
            5 => format!("{{v % 5 for v in {}}}", self.expr(Ty::IntList, d)),
            6 => format!("frozenset({})", self.expr(Ty::StrList, d)),
            _ => format!("set({}.keys())", self.paren(Ty::Dict, d)),
        }
    }

    fn none_expr(&mut self, d: u32) -> String {
        match self.rng.below(4) {
            0 => format!("{}.sort()", self.expr(Ty::IntList, d)),
            1 => format!("{}.get({})", self.paren(Ty::Dict, d), self.expr(Ty::Str, d)),
            2 => format!("print({})", self.any_expr(d)),
            _ => "None".to_owned(),
        }
    }

    /// A sized value (for `len`).
    fn sized(&mut self, d: u32) -> String {
        let ty = *self.rng.pick(&[
            Ty::Str,
            Ty::Bytes,
            Ty::IntList,
            Ty::List,
            Ty::Tuple,
            Ty::Dict,
            Ty::Set,
            Ty::StrList,
        ]);
        self.expr(ty, d)
    }

    /// A key-like value (int or str).
    pub fn key_expr(&mut self, d: u32) -> String {
        let ty = *self.rng.pick(KEY_TYPES);
        self.expr(ty, d)
    }

    /// `expr` in parentheses unless it already is atomic.
    pub fn paren(&mut self, ty: Ty, d: u32) -> String {
        let e = self.expr(ty, d);
        if e.chars().all(|c| c.is_alphanumeric() || c == '_')
            && !e.starts_with(|c: char| c.is_ascii_digit())
        {
            e
        } else {
            format!("({e})")
        }
    }

    /// A slice suffix like `[1:-2:2]`.
    pub fn slice(&mut self) -> String {
        let bound = |rng: &mut super::rng::Rng| {
            if rng.chance(35) {
                String::new()
            } else {
                rng.range(-6, 6).to_string()
            }
        };
        let a = bound(&mut self.rng);
        let b = bound(&mut self.rng);
        if self.rng.chance(40) {
            let step = *self.rng.pick(&["1", "2", "-1", "-2", "3", ""]);
            format!("[{a}:{b}:{step}]")
        } else {
            format!("[{a}:{b}]")
        }
    }
}
