//! Shell arithmetic (`$(( ))`, `(( ))`, array indices, substring offsets)
//! over integers that are known: literals and variables holding integers.
//! Assignments inside arithmetic and anything else with side effects are
//! refused, so the caller records the value as unknown.

use super::variables::{Unknown, Value, Variables};

/// Why an arithmetic expression could not be evaluated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ArithError(pub String, pub Option<Box<Unknown>>);

const MAX_DEPTH: u32 = 64;

#[derive(Debug, Clone, PartialEq)]
enum Tok {
    Num(i64),
    Name(String),
    Op(&'static str),
}

const OPS: [&str; 30] = [
    "**", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||", "++", "--", "+=", "-=", "*=", "/=", "+",
    "-", "*", "/", "%", "<", ">", "!", "~", "&", "|", "^", "(", ")", "?",
];

fn tokenize(text: &str) -> Result<Vec<Tok>, ArithError> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_whitespace() {
            i += 1;
        } else if c.is_ascii_digit() {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'#' || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Num(parse_number(&text[start..i])?));
        } else if c.is_ascii_alphabetic() || c == b'_' {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            out.push(Tok::Name(text[start..i].to_owned()));
        } else if c == b':' {
            out.push(Tok::Op(":"));
            i += 1;
        } else if let Some(op) = OPS.iter().find(|op| text[i..].starts_with(**op)) {
            out.push(Tok::Op(op));
            i += op.len();
        } else {
            return Err(ArithError(
                format!("unexpected {:?} in arithmetic", c as char),
                None,
            ));
        }
    }
    Ok(out)
}

fn parse_number(s: &str) -> Result<i64, ArithError> {
    let bad = || ArithError(format!("invalid number {s:?}"), None);
    if let Some((base, digits)) = s.split_once('#') {
        let base: u32 = base.parse().map_err(|_| bad())?;
        if !(2..=36).contains(&base) {
            return Err(bad());
        }
        return i64::from_str_radix(digits, base).map_err(|_| bad());
    }
    if let Some(hex) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).map_err(|_| bad());
    }
    if s.len() > 1 && s.starts_with('0') {
        return i64::from_str_radix(&s[1..], 8).map_err(|_| bad());
    }
    s.parse().map_err(|_| bad())
}

struct Parser<'a> {
    toks: Vec<Tok>,
    pos: usize,
    vars: &'a Variables,
    depth: u32,
}

/// Evaluates `text` (already free of `$` expansions) with `vars`.
pub(crate) fn eval(text: &str, vars: &Variables) -> Result<i64, ArithError> {
    if text.trim().is_empty() {
        return Ok(0);
    }
    let mut p = Parser {
        toks: tokenize(text)?,
        pos: 0,
        vars,
        depth: 0,
    };
    let v = p.ternary()?;
    if p.pos != p.toks.len() {
        return Err(ArithError(
            format!("cannot evaluate arithmetic {text:?}"),
            None,
        ));
    }
    Ok(v)
}

impl Parser<'_> {
    fn peek_op(&self) -> Option<&'static str> {
        match self.toks.get(self.pos) {
            Some(Tok::Op(o)) => Some(o),
            _ => None,
        }
    }

    fn ternary(&mut self) -> Result<i64, ArithError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ArithError("arithmetic nested too deeply".into(), None));
        }
        let cond = self.binary(0)?;
        let out = if self.peek_op() == Some("?") {
            self.pos += 1;
            let a = self.ternary()?;
            if self.peek_op() != Some(":") {
                return Err(ArithError("expected `:` in arithmetic".into(), None));
            }
            self.pos += 1;
            let b = self.ternary()?;
            if cond != 0 {
                a
            } else {
                b
            }
        } else {
            cond
        };
        self.depth -= 1;
        Ok(out)
    }

    fn binary(&mut self, min_prec: u8) -> Result<i64, ArithError> {
        let mut lhs = self.unary()?;
        while let Some(op) = self.peek_op() {
            let Some(prec) = precedence(op) else { break };
            if prec < min_prec {
                break;
            }
            self.pos += 1;
            let next = if op == "**" { prec } else { prec + 1 };
            let rhs = self.binary(next)?;
            lhs = apply(op, lhs, rhs)?;
        }
        Ok(lhs)
    }

    fn unary(&mut self) -> Result<i64, ArithError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(ArithError("arithmetic nested too deeply".into(), None));
        }
        let tok = self.toks.get(self.pos).cloned();
        self.pos += 1;
        let v = match tok {
            Some(Tok::Num(n)) => n,
            Some(Tok::Name(name)) => self.variable(&name)?,
            Some(Tok::Op("-")) => self.unary()?.wrapping_neg(),
            Some(Tok::Op("+")) => self.unary()?,
            Some(Tok::Op("!")) => i64::from(self.unary()? == 0),
            Some(Tok::Op("~")) => !self.unary()?,
            Some(Tok::Op("(")) => {
                let v = self.ternary()?;
                if self.peek_op() != Some(")") {
                    return Err(ArithError("expected `)` in arithmetic".into(), None));
                }
                self.pos += 1;
                v
            }
            Some(Tok::Op(op)) => {
                return Err(ArithError(
                    format!("unsupported `{op}` in arithmetic"),
                    None,
                ))
            }
            None => return Err(ArithError("arithmetic ends early".into(), None)),
        };
        if matches!(
            self.peek_op(),
            Some("++" | "--" | "+=" | "-=" | "*=" | "/=")
        ) {
            return Err(ArithError("assignment inside arithmetic".into(), None));
        }
        self.depth -= 1;
        Ok(v)
    }

    fn variable(&self, name: &str) -> Result<i64, ArithError> {
        match self.vars.get(name) {
            None => Ok(0),
            Some(Value::Unknown(u)) => {
                Err(ArithError(u.message.clone(), Some(Box::new(u.clone()))))
            }
            Some(v) => {
                let s = v.scalar().unwrap_or_default();
                let s = s.trim();
                if s.is_empty() {
                    Ok(0)
                } else {
                    parse_number(s)
                }
            }
        }
    }
}

fn precedence(op: &str) -> Option<u8> {
    Some(match op {
        "||" => 1,
        "&&" => 2,
        "|" => 3,
        "^" => 4,
        "&" => 5,
        "==" | "!=" => 6,
        "<" | ">" | "<=" | ">=" => 7,
        "<<" | ">>" => 8,
        "+" | "-" => 9,
        "*" | "/" | "%" => 10,
        "**" => 11,
        _ => return None,
    })
}

fn apply(op: &str, a: i64, b: i64) -> Result<i64, ArithError> {
    Ok(match op {
        "||" => i64::from(a != 0 || b != 0),
        "&&" => i64::from(a != 0 && b != 0),
        "|" => a | b,
        "^" => a ^ b,
        "&" => a & b,
        "==" => i64::from(a == b),
        "!=" => i64::from(a != b),
        "<" => i64::from(a < b),
        ">" => i64::from(a > b),
        "<=" => i64::from(a <= b),
        ">=" => i64::from(a >= b),
        "<<" => a.wrapping_shl(b as u32),
        ">>" => a.wrapping_shr(b as u32),
        "+" => a.wrapping_add(b),
        "-" => a.wrapping_sub(b),
        "*" => a.wrapping_mul(b),
        "/" | "%" if b == 0 => return Err(ArithError("division by zero".into(), None)),
        "/" => a.wrapping_div(b),
        "%" => a.wrapping_rem(b),
        "**" if b < 0 => return Err(ArithError("negative exponent".into(), None)),
        "**" => a.wrapping_pow(b.min(u32::MAX as i64) as u32),
        _ => return Err(ArithError(format!("unsupported `{op}`"), None)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arithmetic_cases() {
        let mut vars = Variables::default();
        vars.set("n", Value::Scalar("5".into()));
        let cases = [
            ("1 + 2 * 3", Some(7)),
            ("(1 + 2) * 3", Some(9)),
            ("2 ** 3 ** 2", Some(512)),
            ("n - 1", Some(4)),
            ("unset_var + 1", Some(1)),
            ("n > 3 ? 10 : 20", Some(10)),
            ("010", Some(8)),
            ("0x10", Some(16)),
            ("16#ff", Some(255)),
            ("1 / 0", None),
            ("n++", None),
            ("n = 3", None),
        ];
        for (text, want) in cases {
            assert_eq!(eval(text, &vars).ok(), want, "{text}");
        }
    }
}
