//! Values and syntax written back as Scheme text, as Guile's `write`
//! prints them.

use std::fmt;

use super::super::reader::Syntax;
use super::{Procedure, Value};

/// Writes a value as Scheme's `write` would (strings quoted).
pub fn write_value(out: &mut String, v: &Value<'_>) {
    use std::fmt::Write as _;
    match v {
        Value::Unspecified => out.push_str("#<unspecified>"),
        Value::Bool(b) => out.push_str(if *b { "#t" } else { "#f" }),
        Value::Int(n) => {
            let _ = write!(out, "{n}");
        }
        Value::Float(f) => {
            let _ = write!(out, "{f:?}");
        }
        Value::Char(c) => {
            let _ = write!(out, "#\\{c}");
        }
        Value::Str(s) => write_string(out, s),
        Value::Sym(s) => out.push_str(s.as_str()),
        Value::Kw(s) => {
            out.push_str("#:");
            out.push_str(s.as_str());
        }
        Value::Null => out.push_str("()"),
        Value::List(items) => {
            if let [Value::Sym(q), x] = &items[..] {
                if q.as_str() == "quote" {
                    out.push('\'');
                    write_value(out, x);
                    return;
                }
            }
            out.push('(');
            write_spaced(out, items, write_value);
            out.push(')');
        }
        Value::Pair(p) => {
            out.push('(');
            write_value(out, &p.0);
            out.push_str(" . ");
            write_value(out, &p.1);
            out.push(')');
        }
        Value::Vector(items) => {
            out.push_str("#(");
            write_spaced(out, items, write_value);
            out.push(')');
        }
        Value::Procedure(p) => {
            let name = match &**p {
                Procedure::Closure(c) => c.name.map_or("#f", |n| n.as_str()),
                Procedure::Native(n) => n.name,
                Procedure::Mapping(_) | Procedure::MapInputs(_) => "package-mapping",
                _ => "#f",
            };
            let _ = write!(out, "#<procedure {name}>");
        }
        Value::Package(_) => out.push_str("#<package>"),
        Value::Record(r) => {
            let _ = write!(out, "#<{}>", r.kind);
        }
        Value::Promise(_) => out.push_str("#<promise>"),
        Value::Values(vs) => {
            write_spaced(out, vs, write_value);
        }
        Value::Code(s) => write_syntax(out, s),
    }
}

/// Writes `items` one after the other, separated by spaces.
fn write_spaced<T>(out: &mut String, items: &[T], write: fn(&mut String, &T)) {
    for (i, item) in items.iter().enumerate() {
        if i > 0 {
            out.push(' ');
        }
        write(out, item);
    }
}

/// Writes a string with Scheme escapes.
pub fn write_string(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// Writes syntax as text, with reader abbreviations restored.
pub fn write_syntax(out: &mut String, s: &Syntax) {
    match s {
        Syntax::Symbol(sym) => out.push_str(sym.as_str()),
        Syntax::Keyword(k) => {
            out.push_str("#:");
            out.push_str(k.as_str());
        }
        Syntax::Str(text) => write_string(out, text),
        Syntax::Atom(a) => match &**a {
            lexpr::Value::Bool(b) => out.push_str(if *b { "#t" } else { "#f" }),
            lexpr::Value::Char(c) => {
                out.push_str("#\\");
                out.push(*c);
            }
            v => out.push_str(&v.to_string()),
        },
        Syntax::List(l) => {
            if let (2, None, Some(head)) = (
                l.items().len(),
                l.tail(),
                l.items().first().and_then(Syntax::as_symbol),
            ) {
                let prefix = match head.as_str() {
                    "quote" => Some("'"),
                    "quasiquote" => Some("`"),
                    "unquote" => Some(","),
                    "unquote-splicing" => Some(",@"),
                    "gexp" => Some("#~"),
                    "ungexp" => Some("#$"),
                    "ungexp-splicing" => Some("#$@"),
                    "ungexp-native" => Some("#+"),
                    _ => None,
                };
                if let Some(p) = prefix {
                    out.push_str(p);
                    write_syntax(out, &l.items()[1]);
                    return;
                }
            }
            out.push('(');
            write_spaced(out, l.items(), write_syntax);
            if let Some(t) = l.tail() {
                out.push_str(" . ");
                write_syntax(out, t);
            }
            out.push(')');
        }
        Syntax::Vector(l) => {
            out.push_str("#(");
            write_spaced(out, l.items(), write_syntax);
            out.push(')');
        }
    }
}

impl fmt::Debug for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut s = String::new();
        write_value(&mut s, self);
        f.write_str(&s)
    }
}
