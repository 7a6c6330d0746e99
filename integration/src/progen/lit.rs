//! Python source text for literal values, written so that CPython and PVM
//! parse them to exactly the same objects (no escape that warns, no float
//! text that rounds differently).

/// A `str` literal in single quotes.
pub fn str_lit(s: &str) -> String {
    quoted(s, '\'')
}

fn quoted(s: &str, quote: char) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push(quote);
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c == quote => {
                out.push('\\');
                out.push(c);
            }
            c if (c as u32) < 0x20 || c as u32 == 0x7f => {
                out.push_str(&format!("\\x{:02x}", c as u32));
            }
            c if c.is_alphanumeric() || c.is_ascii() => out.push(c),
            c if (c as u32) <= 0xffff => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push_str(&format!("\\U{:08x}", c as u32)),
        }
    }
    out.push(quote);
    out
}

/// A `bytes` literal.
pub fn bytes_lit(b: &[u8]) -> String {
    let mut out = String::from("b'");
    for &c in b {
        match c {
            b'\\' => out.push_str("\\\\"),
            b'\'' => out.push_str("\\'"),
            b'\n' => out.push_str("\\n"),
            0x20..=0x7e => out.push(c as char),
            _ => out.push_str(&format!("\\x{c:02x}")),
        }
    }
    out.push('\'');
    out
}

/// A float literal for a finite value (negative values in parentheses);
/// Rust's shortest round-trip text reads back as the same double in Python.
pub fn float_lit(v: f64) -> String {
    assert!(v.is_finite(), "no literal for {v}");
    let mut text = format!("{v:?}");
    if !text.contains(['.', 'e', 'E']) {
        text.push_str(".0");
    }
    if text.starts_with('-') {
        format!("({text})")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_escape_what_python_needs() {
        assert_eq!(str_lit("it's\n"), "'it\\'s\\n'");
        assert_eq!(
            str_lit("\u{e9}\u{20ac}\u{1f600}\u{1}"),
            "'\u{e9}\\u20ac\\U0001f600\\x01'"
        );
        assert_eq!(bytes_lit(b"a'\\\xff"), "b'a\\'\\\\\\xff'");
        assert_eq!(float_lit(1e308), "1e308");
        assert_eq!(float_lit(-0.0), "(-0.0)");
        assert_eq!(float_lit(5e-324), "5e-324");
        assert_eq!(float_lit(2.0), "2.0");
    }
}
