//! Conditions evaluated over known values: `[[ ... ]]`, `[ ... ]`, `test`
//! and `(( ... ))`. A condition that depends on the host (file tests,
//! regular expressions, unknown values) is undecidable, never guessed.

use kiln_normalizer::WarningKind;

use super::arith;
use super::pattern::Pattern;
use super::variables::Unknown;
use super::word::{find_close, find_dquote_end, Expander};

/// The outcome of a command or condition.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Status {
    /// Exit status 0.
    True,
    /// A non-zero exit status.
    False,
    /// Not decidable statically.
    Unknown(Unknown),
}

impl Status {
    pub(crate) fn from_bool(b: bool) -> Self {
        if b {
            Status::True
        } else {
            Status::False
        }
    }

    pub(crate) fn not(self) -> Self {
        match self {
            Status::True => Status::False,
            Status::False => Status::True,
            u => u,
        }
    }
}

/// Splits the text of a test into raw shell words (quotes kept).
pub(crate) fn raw_words(text: &str) -> Vec<&str> {
    let b = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        if b[i].is_ascii_whitespace() {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !b[i].is_ascii_whitespace() {
            i = match b[i] {
                b'\\' => i + 2,
                b'\'' => text[i + 1..].find('\'').map_or(b.len(), |e| i + e + 2),
                b'"' => find_dquote_end(text, i + 1).map_or(b.len(), |e| e + 1),
                b'$' if matches!(b.get(i + 1), Some(b'{')) => {
                    find_close(text, i + 1, b'{', b'}').map_or(b.len(), |e| e + 1)
                }
                b'$' if matches!(b.get(i + 1), Some(b'(')) => {
                    find_close(text, i + 1, b'(', b')').map_or(b.len(), |e| e + 1)
                }
                _ => i + 1,
            };
        }
        out.push(&text[start..i.min(b.len())]);
    }
    out
}

/// Evaluates a test over raw words: `double` for `[[ ]]` (patterns on the
/// right of `==`, `&&`/`||`), else `[`/`test` (`-a`/`-o`).
pub(crate) struct TestEval<'t, 'e, 'v> {
    pub exp: &'e mut Expander<'v>,
    pub words: Vec<&'t str>,
    pub pos: usize,
    pub double: bool,
}

impl<'t> TestEval<'t, '_, '_> {
    fn undecidable(&self, what: &str) -> Status {
        Status::Unknown(self.exp.unknown(
            WarningKind::UndecidableCondition,
            format!("condition depends on the build host: {what}"),
        ))
    }

    fn peek(&self) -> Option<&'t str> {
        self.words.get(self.pos).copied()
    }

    /// The whole expression.
    pub(crate) fn run(&mut self) -> Status {
        let s = self.or();
        if self.pos != self.words.len() {
            return self.undecidable("test syntax not understood");
        }
        s
    }

    fn or(&mut self) -> Status {
        let mut left = self.and();
        while matches!(self.peek(), Some(w) if w == if self.double { "||" } else { "-o" }) {
            self.pos += 1;
            let right = self.and();
            left = match (left, right) {
                (Status::True, _) | (_, Status::True) => Status::True,
                (Status::False, r) => r,
                (u, _) => u,
            };
        }
        left
    }

    fn and(&mut self) -> Status {
        let mut left = self.not();
        while matches!(self.peek(), Some(w) if w == if self.double { "&&" } else { "-a" }) {
            self.pos += 1;
            let right = self.not();
            left = match (left, right) {
                (Status::False, _) | (_, Status::False) => Status::False,
                (Status::True, r) => r,
                (u, _) => u,
            };
        }
        left
    }

    fn not(&mut self) -> Status {
        if self.peek() == Some("!") {
            self.pos += 1;
            return self.not().not();
        }
        self.primary()
    }

    fn operand(&mut self, w: &str) -> Result<String, Status> {
        self.exp.scalar(w).map_err(Status::Unknown)
    }

    fn primary(&mut self) -> Status {
        let Some(first) = self.peek() else {
            return Status::False;
        };
        if first == "(" {
            self.pos += 1;
            let s = self.or();
            if self.peek() != Some(")") {
                return self.undecidable("unbalanced parentheses");
            }
            self.pos += 1;
            return s;
        }
        let binop = self.words.get(self.pos + 1).copied();
        if let (Some(op), Some(rhs)) = (binop, self.words.get(self.pos + 2).copied()) {
            if is_binary(op) {
                self.pos += 3;
                return self.binary(first, op, rhs);
            }
        }
        if first.starts_with('-') && first.len() == 2 {
            if let Some(arg) = binop {
                self.pos += 2;
                return self.unary(first, arg);
            }
        }
        self.pos += 1;
        match self.operand(first) {
            Ok(v) => Status::from_bool(!v.is_empty()),
            Err(s) => s,
        }
    }

    fn unary(&mut self, op: &str, arg: &str) -> Status {
        match op {
            "-z" | "-n" => match self.operand(arg) {
                Ok(v) => Status::from_bool(v.is_empty() == (op == "-z")),
                Err(s) => s,
            },
            "-v" => match self.operand(arg) {
                Ok(name) => Status::from_bool(self.exp.vars.get(&name).is_some()),
                Err(s) => s,
            },
            _ => self.undecidable(&format!("`{op} {arg}`")),
        }
    }

    fn binary(&mut self, lhs: &str, op: &str, rhs: &str) -> Status {
        let l = match self.operand(lhs) {
            Ok(v) => v,
            Err(s) => return s,
        };
        match op {
            "==" | "=" | "!=" => {
                let r = if self.double {
                    match self.exp.pattern(rhs, false) {
                        Ok(p) => match Pattern::new(&p) {
                            Ok(p) => p.matches(&l.chars().collect::<Vec<_>>()),
                            Err(_) => return self.undecidable("extended glob pattern"),
                        },
                        Err(u) => return Status::Unknown(u),
                    }
                } else {
                    match self.operand(rhs) {
                        Ok(r) => r == l,
                        Err(s) => return s,
                    }
                };
                Status::from_bool(r == (op != "!="))
            }
            "<" | ">" => match self.operand(rhs) {
                Ok(r) => Status::from_bool(if op == "<" { l < r } else { l > r }),
                Err(s) => s,
            },
            "=~" => self.undecidable("regular expression match"),
            _ => {
                let r = match self.operand(rhs) {
                    Ok(r) => r,
                    Err(s) => return s,
                };
                let (Ok(a), Ok(b)) = (
                    arith::eval(&l, self.exp.vars),
                    arith::eval(&r, self.exp.vars),
                ) else {
                    return self.undecidable("non-numeric comparison");
                };
                Status::from_bool(match op {
                    "-eq" => a == b,
                    "-ne" => a != b,
                    "-lt" => a < b,
                    "-le" => a <= b,
                    "-gt" => a > b,
                    "-ge" => a >= b,
                    _ => return self.undecidable("file comparison"),
                })
            }
        }
    }
}

fn is_binary(op: &str) -> bool {
    matches!(
        op,
        "==" | "="
            | "!="
            | "<"
            | ">"
            | "=~"
            | "-eq"
            | "-ne"
            | "-lt"
            | "-le"
            | "-gt"
            | "-ge"
            | "-nt"
            | "-ot"
            | "-ef"
    )
}

/// Evaluates the text of a test command (`[[ .. ]]`, `[ .. ]`, `(( .. ))`).
pub(crate) fn eval_test_text(exp: &mut Expander<'_>, text: &str) -> Status {
    let text = text.trim();
    if let Some(inner) = text.strip_prefix("((").and_then(|t| t.strip_suffix("))")) {
        let expr = match exp.scalar_in(inner, true) {
            Ok(e) => e,
            Err(u) => return Status::Unknown(u),
        };
        return match arith::eval(&expr, exp.vars) {
            Ok(v) => Status::from_bool(v != 0),
            Err(e) => Status::Unknown(e.1.map(|u| *u).unwrap_or_else(|| {
                exp.unknown(
                    WarningKind::UndecidableCondition,
                    format!("cannot evaluate arithmetic: {}", e.0),
                )
            })),
        };
    }
    let (inner, double) =
        if let Some(i) = text.strip_prefix("[[").and_then(|t| t.strip_suffix("]]")) {
            (i, true)
        } else if let Some(i) = text.strip_prefix('[').and_then(|t| t.strip_suffix(']')) {
            (i, false)
        } else {
            return Status::Unknown(exp.unknown(
                WarningKind::UnsupportedSyntax,
                "test command not understood",
            ));
        };
    let words = raw_words(inner);
    let mut t = TestEval {
        exp,
        words,
        pos: 0,
        double,
    };
    t.run()
}
