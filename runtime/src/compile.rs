//! What contract source is refused before it is parsed.
//!
//! RustPython's parser and code generator recurse on nesting, on a thread
//! whose stack is fixed ([`crate::sandbox::STACK_SIZE`]). A contract must not
//! be able to overflow it: a stack overflow aborts the process, and every
//! validator runs the same contract. So the source is lexed first (a loop,
//! no recursion) and refused with a `SyntaxError` naming the limit when it is
//!
//! | bound | limit | as CPython 3.11 |
//! |---|---|---|
//! | source size | [`MAX_SOURCE_BYTES`] | — (chains cap code size lower, see the node's config) |
//! | open brackets, f-string levels included | [`MAX_NESTING`] | "too many nested parentheses" (its tokenizer's limit) |
//! | indentation levels | [`MAX_INDENT`] | "too many levels of indentation" |
//! | right-nesting operators in one logical line (`lambda`, conditional `if`/`else`, `**`, `not`, `await`, unary `-`/`+`/`~` runs) | [`MAX_CHAIN`] | its parser's stack limit |
//!
//! Everything within these bounds is parsed on the interpreter thread with
//! room to spare (`runtime/tests/compile.rs` parses the worst case of each
//! at [`MAX_SOURCE_BYTES`]). Nesting the parser does not recurse on but the
//! code generator does (long `a + b + ...` chains, deep attribute or call
//! chains) ends in the code generator's own recursion limit, a `SyntaxError`.
//! Constant folding is bounded by the code generator (results over 128 bits,
//! strings over 4096 characters and tuples over 256 items are not folded).
//!
//! Compiling is priced by source size, on every call whether or not the code
//! is cached ([`pvm_gas::GasSchedule::intrinsic`]).

use ruff_python_ast::token::TokenKind;
use ruff_python_parser::{lexer::lex, Mode};
use thiserror::Error;

/// Largest contract source the runtime compiles.
pub const MAX_SOURCE_BYTES: usize = 1 << 20;

/// Most brackets (and f-string levels) open at once.
pub const MAX_NESTING: usize = 200;

/// Most indentation levels.
pub const MAX_INDENT: usize = 100;

/// Most right-nesting operators in one logical line.
pub const MAX_CHAIN: usize = 500;

/// Why source was refused before parsing.
#[derive(Clone, Debug, Error, PartialEq, Eq)]
pub enum SourceError {
    /// The source is larger than [`MAX_SOURCE_BYTES`].
    #[error("contract source is {len} bytes, more than the limit of {limit}")]
    TooLarge {
        /// The source's size.
        len: usize,
        /// The limit.
        limit: usize,
    },
    /// More than [`MAX_NESTING`] brackets open at once.
    #[error("too many nested parentheses")]
    Nesting {
        /// Line of the bracket that went over.
        line: u32,
    },
    /// More than [`MAX_INDENT`] indentation levels.
    #[error("too many levels of indentation")]
    Indentation {
        /// Line of the indentation that went over.
        line: u32,
    },
    /// More than [`MAX_CHAIN`] right-nesting operators in one logical line.
    #[error("expression nested too deeply (more than {MAX_CHAIN} lambdas, conditionals, `**`, `not`, `await` or unary operators in one statement)")]
    Chain {
        /// Line where the statement went over.
        line: u32,
    },
}

impl SourceError {
    /// The line the error is reported at, when there is one.
    pub fn line(&self) -> Option<u32> {
        match self {
            SourceError::TooLarge { .. } => None,
            SourceError::Nesting { line }
            | SourceError::Indentation { line }
            | SourceError::Chain { line } => Some(*line),
        }
    }
}

/// Refuses source beyond the bounds in the module doc; lexes it once.
///
/// Line numbers count the lines lexed so far (a multi-line string before the
/// offending line makes them early); a lexical error is left to the parser,
/// which reports it precisely.
pub fn check_source(source: &str) -> Result<(), SourceError> {
    if source.len() > MAX_SOURCE_BYTES {
        return Err(SourceError::TooLarge {
            len: source.len(),
            limit: MAX_SOURCE_BYTES,
        });
    }
    let mut lexer = lex(source, Mode::Module);
    let (mut nesting, mut indent, mut chain) = (0usize, 0usize, 0usize);
    let mut line: u32 = 1;
    // Whether the last token ends an operand (so a following `-` is binary).
    let mut after_operand = false;
    loop {
        let kind = lexer.next_token();
        match kind {
            TokenKind::EndOfFile => return Ok(()),
            TokenKind::Lpar
            | TokenKind::Lsqb
            | TokenKind::Lbrace
            | TokenKind::FStringStart
            | TokenKind::TStringStart => {
                nesting += 1;
                if nesting > MAX_NESTING {
                    return Err(SourceError::Nesting { line });
                }
            }
            TokenKind::Rpar
            | TokenKind::Rsqb
            | TokenKind::Rbrace
            | TokenKind::FStringEnd
            | TokenKind::TStringEnd => nesting = nesting.saturating_sub(1),
            TokenKind::Indent => {
                indent += 1;
                if indent > MAX_INDENT {
                    return Err(SourceError::Indentation { line });
                }
            }
            TokenKind::Dedent => indent = indent.saturating_sub(1),
            TokenKind::Lambda
            | TokenKind::If
            | TokenKind::Else
            | TokenKind::DoubleStar
            | TokenKind::Not
            | TokenKind::Await => chain += 1,
            TokenKind::Minus | TokenKind::Plus | TokenKind::Tilde if !after_operand => chain += 1,
            _ => {}
        }
        if chain > MAX_CHAIN {
            return Err(SourceError::Chain { line });
        }
        match kind {
            TokenKind::Newline => {
                chain = 0;
                line += 1;
            }
            TokenKind::NonLogicalNewline => line += 1,
            _ => {}
        }
        after_operand = matches!(
            kind,
            TokenKind::Name
                | TokenKind::Int
                | TokenKind::Float
                | TokenKind::Complex
                | TokenKind::String
                | TokenKind::FStringEnd
                | TokenKind::TStringEnd
                | TokenKind::Rpar
                | TokenKind::Rsqb
                | TokenKind::Rbrace
                | TokenKind::True
                | TokenKind::False
                | TokenKind::None
                | TokenKind::Ellipsis
        );
    }
}

/// Whether a module may define an entry point a transaction can call: a
/// top-level `main` (a `def`, an assignment or an import) or a class deriving
/// from `Actor`. `false` only when it surely defines none; source that does
/// not parse, or defines names conditionally (`if`, `try`, `import *`, ...),
/// counts as may.
pub fn may_define_entry_point(source: &str) -> bool {
    use ruff_python_ast::{Expr, Stmt};
    if check_source(source).is_err() {
        return true;
    }
    let Ok(parsed) = ruff_python_parser::parse_module(source) else {
        return true;
    };
    let is_main = |e: &Expr| matches!(e, Expr::Name(n) if n.id.as_str() == "main");
    let is_actor = |e: &Expr| match e {
        Expr::Name(n) => n.id.as_str() == "Actor",
        Expr::Attribute(a) => a.attr.as_str() == "Actor",
        _ => false,
    };
    parsed.syntax().body.iter().any(|stmt| match stmt {
        Stmt::FunctionDef(f) => f.name.as_str() == "main",
        Stmt::ClassDef(c) => c
            .arguments
            .as_ref()
            .is_some_and(|a| a.args.iter().any(is_actor)),
        Stmt::Assign(a) => a.targets.iter().any(|t| match t {
            Expr::Tuple(t) => t.elts.iter().any(is_main),
            Expr::List(l) => l.elts.iter().any(is_main),
            t => is_main(t),
        }),
        Stmt::AnnAssign(a) => is_main(&a.target),
        Stmt::AugAssign(_) | Stmt::Expr(_) | Stmt::Pass(_) | Stmt::Delete(_) => false,
        Stmt::Return(_) | Stmt::Break(_) | Stmt::Continue(_) | Stmt::Raise(_) => false,
        Stmt::Assert(_) | Stmt::Global(_) | Stmt::Nonlocal(_) | Stmt::TypeAlias(_) => false,
        Stmt::Import(i) => i
            .names
            .iter()
            .any(|a| a.asname.as_ref().map_or(a.name.as_str(), |n| n.as_str()) == "main"),
        Stmt::ImportFrom(i) => i.names.iter().any(|a| {
            let bound = a.asname.as_ref().unwrap_or(&a.name).as_str();
            bound == "main" || bound == "*"
        }),
        _ => true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_points_are_found_and_their_absence_is_sure() {
        for may in [
            "def main(input):\n    return b''\n",
            "async def main(input):\n    pass\n",
            "from pvm_sdk import Actor\nclass Token(Actor):\n    pass\n",
            "import pvm_sdk\nclass Token(pvm_sdk.Actor):\n    pass\n",
            "def run(i):\n    return i\nmain = run\n",
            "main, other = (lambda i: i), 1\n",
            "from helpers import main\n",
            "from helpers import *\n",
            "if True:\n    def main(i):\n        pass\n",
            "def main(:\n",
        ] {
            assert!(may_define_entry_point(may), "{may:?}");
        }
        for none in [
            "",
            "x = 1\n",
            "def mian(input):\n    pass\n",
            "class Token:\n    def main(self, i):\n        pass\n",
            "import pvm_host\nprint('hi')\n",
        ] {
            assert!(!may_define_entry_point(none), "{none:?}");
        }
    }

    #[test]
    fn bounds_trip_one_past_the_limit() {
        let parens = |n: usize| format!("x = {}1{}\n", "(".repeat(n), ")".repeat(n));
        assert_eq!(check_source(&parens(MAX_NESTING)), Ok(()));
        assert_eq!(
            check_source(&parens(MAX_NESTING + 1)),
            Err(SourceError::Nesting { line: 1 })
        );
        let indents = |n: usize| {
            let mut s = String::new();
            for level in 0..n {
                s.push_str(&" ".repeat(level));
                s.push_str("if x:\n");
            }
            s.push_str(&" ".repeat(n));
            s.push_str("pass\n");
            s
        };
        assert_eq!(check_source(&indents(MAX_INDENT)), Ok(()));
        assert!(matches!(
            check_source(&indents(MAX_INDENT + 1)),
            Err(SourceError::Indentation { .. })
        ));
        let unary = |n: usize| format!("\n\nx = {}1\n", "-".repeat(n));
        assert_eq!(check_source(&unary(MAX_CHAIN)), Ok(()));
        assert_eq!(
            check_source(&unary(MAX_CHAIN + 1)),
            Err(SourceError::Chain { line: 3 })
        );
        let big = "#".repeat(MAX_SOURCE_BYTES + 1);
        assert!(matches!(
            check_source(&big),
            Err(SourceError::TooLarge { .. })
        ));
    }

    #[test]
    fn ordinary_code_and_brackets_in_strings_are_not_counted() {
        let code = format!(
            "s = '{}'\nt = \"\"\"{}\"\"\"\n# {}\ny = a - b - c + (-d)\nz = [x ** 2 for x in range(3) if x]\n",
            "(".repeat(1000),
            "[".repeat(1000),
            "{".repeat(1000)
        );
        assert_eq!(check_source(&code), Ok(()));
        let long_binary = format!("x = {}\n", vec!["a - b"; 2000].join(" - "));
        assert_eq!(check_source(&long_binary), Ok(()));
    }
}
