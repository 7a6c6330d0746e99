//! Random Python programs for differential testing: the same seed gives the
//! same program everywhere, and every program is a valid PVM contract whose
//! whole behaviour is visible in its receipt.
//!
//! A program is a contract that defines `main(input)`. Its body is a list of
//! *probes*: statements that each compute something and append a canonical
//! line to the transcript `T` — the `repr` of a value, or the class and
//! message of the exception it raised. `main` returns the transcript, so two
//! interpreters agree on a program exactly when they agree on every probe's
//! value or error text, on what it printed, on the state it wrote and the
//! events it emitted, and on the uncaught exception (class, message, line)
//! that some programs end with.
//!
//! ```text
//!   import pvm_host, itertools, ...        header: imports, T, out/fail/probe
//!   class K0: ...                          top-level chunks: classes, functions,
//!   def g0(n): ...                         generators, exception classes
//!   def main(input):
//!       i0 = 12345; f0 = -0.0; s0 = 'abc'  the environment: one variable per type
//!       probe(lambda: (i0 // f1))          main chunks: probes, loops, host calls,
//!       try: ... except Exception as e:    mutations, exception scenarios
//!       return '\n'.join(T)
//! ```
//!
//! What a program may do is what a contract may do *and* what CPython and PVM
//! define identically on purpose: no imports beyond the allowed modules, no
//! builtins the sandbox removes (`id`, `eval`, `vars`, ...), no introspection
//! of frames or code, no default `repr` of objects or functions (PVM prints no
//! address), no default hashes, and no gas-dependent values. Sizes stay small
//! (see [`expr`]) so thousands of programs run in seconds.
//!
//! Programs are kept as [`Chunk`]s so that a mismatch can be minimized by
//! dropping chunks while it persists ([`Program::without`]).
//!
//! ```
//! use pvm_integration::progen;
//!
//! let a = progen::generate(7);
//! assert_eq!(a.source(), progen::generate(7).source());
//! assert!(a.source().contains("def main(input):"));
//! ```

// `*self.rng.pick(..)` is written out: `pick` is generic over the element
// type, which the dereference fixes.
#[allow(clippy::explicit_auto_deref)]
mod expr;
mod lit;
mod rng;
#[allow(clippy::explicit_auto_deref)]
mod stmt;

pub use expr::Ty;
pub use rng::Rng;

/// Randomness domains programs ask `pvm_host.randomness` for (always literals,
/// so a CPython emulation can be given their values up front).
pub const DOMAINS: &[&[u8]] = &[b"lottery", b"", b"dice/\x00\xff", b"raffle"];

/// The part of the program a chunk belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Section {
    /// Module level, before `main` (definitions).
    Top,
    /// Inside `main`, indented one level.
    Main,
}

/// A piece of a program that can be removed on its own when minimizing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// Where the chunk goes.
    pub section: Section,
    /// Its lines, unindented relative to the section.
    pub text: String,
}

/// A generated contract and its call input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    /// The seed it was generated from.
    pub seed: u64,
    /// Its pieces, in order.
    pub chunks: Vec<Chunk>,
    /// The input `main` is called with.
    pub input: Vec<u8>,
    /// Whether `main` ends by raising instead of returning the transcript.
    pub raises: bool,
}

/// The fixed start of every program.
const HEADER: &str = "\
import pvm_host
import itertools
import _functools
import _operator
import _collections

T = []


def show(v):
    if type(v) in (set, frozenset):
        return type(v).__name__ + '{' + ', '.join(sorted(show(x) for x in v)) + '}'
    if type(v) in (list, tuple):
        return type(v).__name__ + '[' + ', '.join(show(x) for x in v) + ']'
    if type(v) is dict:
        return '{' + ', '.join(show(k) + ': ' + show(x) for k, x in v.items()) + '}'
    return repr(v)


def out(v):
    T.append(show(v))


def fail(e):
    T.append(type(e).__name__ + ': ' + str(e))


def probe(f):
    try:
        T.append(show(f()))
    except Exception as e:
        fail(e)
";

impl Program {
    /// The contract's source text.
    pub fn source(&self) -> String {
        let mut s = String::from(HEADER);
        for c in self.chunks.iter().filter(|c| c.section == Section::Top) {
            s.push_str("\n\n");
            s.push_str(&c.text);
            if !c.text.ends_with('\n') {
                s.push('\n');
            }
        }
        s.push_str("\n\ndef main(input):\n");
        for c in self.chunks.iter().filter(|c| c.section == Section::Main) {
            for line in c.text.lines() {
                s.push_str("    ");
                s.push_str(line);
                s.push('\n');
            }
        }
        if !self.raises {
            s.push_str("    return '\\n'.join(T)\n");
        }
        s
    }

    /// The same program without chunk `index` (for minimizing).
    pub fn without(&self, index: usize) -> Program {
        let mut p = self.clone();
        p.chunks.remove(index);
        p
    }
}

/// Generates the program for `seed`.
pub fn generate(seed: u64) -> Program {
    let mut p = Gen::new(seed).program();
    p.seed = seed;
    p
}

/// Generator state: the random source, the variables in scope and the chunks
/// written so far.
pub struct Gen {
    rng: Rng,
    /// Variables visible to the expression being written, innermost last.
    scope: Vec<(String, Ty)>,
    names: u32,
    /// Whether operands of the wrong type may be slipped in (off where a
    /// TypeError would be noise, e.g. inside a class body).
    allow_wrong: bool,
    chunks: Vec<Chunk>,
    /// Helper definitions: name and how to call them (filled by `stmt`).
    funcs: Vec<stmt::Callable>,
}

impl Gen {
    fn new(seed: u64) -> Self {
        Self {
            rng: Rng::new(seed),
            scope: Vec::new(),
            names: 0,
            allow_wrong: true,
            chunks: Vec::new(),
            funcs: Vec::new(),
        }
    }

    /// A variable of type `ty` in scope, if any.
    pub fn var_of(&mut self, ty: Ty) -> Option<String> {
        let matching: Vec<&String> = self
            .scope
            .iter()
            .filter(|(_, t)| *t == ty)
            .map(|(n, _)| n)
            .collect();
        if matching.is_empty() {
            None
        } else {
            let i = self.rng.below(matching.len());
            Some(matching[i].clone())
        }
    }

    /// A name not used before in this program.
    pub fn fresh_name(&mut self, prefix: &str) -> String {
        self.names += 1;
        format!("{prefix}{}", self.names)
    }

    /// Brings `name` of type `ty` into scope.
    pub fn push_var(&mut self, name: &str, ty: Ty) {
        self.scope.push((name.to_owned(), ty));
    }

    /// Ends the scope of the innermost variable.
    pub fn pop_var(&mut self) {
        self.scope.pop();
    }

    fn chunk(&mut self, section: Section, text: String) {
        self.chunks.push(Chunk { section, text });
    }

    fn program(&mut self) -> Program {
        let seed_input: Vec<u8> = (0..self.rng.below(12))
            .map(|_| *self.rng.pick(b"abc019 ,\xff\x00"))
            .collect();
        self.top_level();
        self.environment();
        let probes = self.rng.range(8, 24);
        for _ in 0..probes {
            self.main_chunk();
        }
        let raises = self.rng.chance(12);
        if raises {
            self.failing_tail();
        }
        Program {
            seed: 0,
            chunks: std::mem::take(&mut self.chunks),
            input: seed_input,
            raises,
        }
    }

    /// One variable per type (two for the common ones), set from literals so
    /// that no probe can leave one undefined.
    fn environment(&mut self) {
        let mut lines = Vec::new();
        for &ty in expr::ALL_TYPES {
            if ty == Ty::None {
                continue;
            }
            let count = match ty {
                Ty::Int | Ty::Float | Ty::Str | Ty::Small => 2,
                _ => 1,
            };
            for _ in 0..count {
                let prefix = match ty {
                    Ty::Int => "i",
                    Ty::Small => "n",
                    Ty::Float => "f",
                    Ty::Bool => "q",
                    Ty::Str => "s",
                    Ty::Bytes => "b",
                    Ty::IntList => "li",
                    Ty::StrList => "ls",
                    Ty::List => "lm",
                    Ty::Tuple => "t",
                    Ty::Dict => "d",
                    Ty::Set => "e",
                    Ty::None => unreachable!(),
                };
                let name = self.fresh_name(prefix);
                let value = self.literal(ty);
                lines.push(format!("{name} = {value}"));
                self.push_var(&name, ty);
            }
        }
        lines.push("inp = input".to_owned());
        self.push_var("inp", Ty::Bytes);
        self.chunk(Section::Main, lines.join("\n"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn programs_are_deterministic_and_distinct() {
        assert_eq!(generate(1), generate(1));
        assert_ne!(generate(1).source(), generate(2).source());
    }

    #[test]
    fn removing_a_chunk_keeps_the_rest() {
        let p = generate(3);
        let q = p.without(p.chunks.len() - 1);
        assert_eq!(q.chunks.len() + 1, p.chunks.len());
        assert!(q.source().contains("def main(input):"));
    }
}
