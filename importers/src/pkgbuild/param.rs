//! Parameter expansion `${...}`: plain and array references, lengths,
//! defaults (`:-`, `-`, `:+`, `+`, `:=`, `=`, `:?`), pattern removal and
//! replacement (`#`, `##`, `%`, `%%`, `/`, `//`, `/#`, `/%`), substrings
//! (`:off:len`) and case changes (`^`, `^^`, `,`, `,,`). Indirect references
//! (`${!v}`) and transformations (`${v@Q}`) are reported as unknown.

use kiln_normalizer::WarningKind;

use super::arith;
use super::pattern::{self, Anchor, Pattern};
use super::variables::{Unknown, Value};
use super::word::{Expander, Fields};

/// What a parameter reference names.
enum Selection {
    /// One string (a scalar, an element, `${a[*]}` outside a list).
    One(Option<String>),
    /// Every element (`${a[@]}`, `${a[*]}`); `star` joins when quoted.
    All {
        items: Option<Vec<String>>,
        star: bool,
    },
}

impl Selection {
    fn is_set(&self) -> bool {
        match self {
            Selection::One(v) => v.is_some(),
            Selection::All { items, .. } => items.is_some(),
        }
    }

    fn is_null(&self) -> bool {
        match self {
            Selection::One(v) => v.as_deref().unwrap_or("").is_empty(),
            Selection::All { items, .. } => items.as_ref().is_none_or(|i| i.concat().is_empty()),
        }
    }

    fn map(self, f: impl Fn(&str) -> String) -> Selection {
        match self {
            Selection::One(v) => Selection::One(Some(f(v.as_deref().unwrap_or("")))),
            Selection::All { items, star } => Selection::All {
                items: Some(items.unwrap_or_default().iter().map(|s| f(s)).collect()),
                star,
            },
        }
    }
}

fn is_name_start(c: u8) -> bool {
    c.is_ascii_alphabetic() || c == b'_'
}

impl Expander<'_> {
    /// Expands the inside of `${...}` into `out`.
    pub(crate) fn parameter(
        &mut self,
        inner: &str,
        out: &mut Fields,
        in_dquote: bool,
    ) -> Result<(), Unknown> {
        let b = inner.as_bytes();
        if b.first() == Some(&b'!') && b.len() > 1 {
            return Err(self.unknown(
                WarningKind::UnsupportedSyntax,
                format!("indirect expansion `${{{inner}}}`"),
            ));
        }
        if b.first() == Some(&b'#') && b.len() > 1 {
            let (sel, rest) = self.select(&inner[1..])?;
            if !rest.is_empty() {
                return Err(self.unsupported(inner));
            }
            let n = match sel {
                Selection::One(v) => v.unwrap_or_default().chars().count(),
                Selection::All { items, .. } => items.map_or(0, |i| i.len()),
            };
            out.unquoted_or_quoted(&n.to_string(), in_dquote);
            return Ok(());
        }
        let (sel, rest) = self.select(inner)?;
        let sel = self.operate(sel, rest, inner, in_dquote)?;
        match sel {
            Selection::One(v) => out.unquoted_or_quoted(v.as_deref().unwrap_or(""), in_dquote),
            Selection::All { items, star } => {
                let items = items.unwrap_or_default();
                if star && in_dquote {
                    out.literal(&items.join(" "), true);
                } else {
                    out.list(&items, in_dquote);
                }
            }
        }
        Ok(())
    }

    fn unsupported(&self, inner: &str) -> Unknown {
        self.unknown(
            WarningKind::UnsupportedSyntax,
            format!("unsupported parameter expansion `${{{inner}}}`"),
        )
    }

    /// Reads the name and subscript at the start of `inner`.
    fn select<'t>(&mut self, inner: &'t str) -> Result<(Selection, &'t str), Unknown> {
        let b = inner.as_bytes();
        if b.is_empty() || !is_name_start(b[0]) {
            if b.first()
                .is_some_and(|c| c.is_ascii_digit() || b"@*#?$!-".contains(c))
            {
                return Err(self.unknown(
                    WarningKind::UnknownVariable,
                    format!("`${{{inner}}}` is a parameter of the shell running makepkg"),
                ));
            }
            return Err(self.unsupported(inner));
        }
        let len = b
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
        let name = &inner[..len];
        let value = match self.vars.get(name) {
            Some(Value::Unknown(u)) => return Err(u.clone()),
            v => v.cloned(),
        };
        let mut rest = &inner[len..];
        if rest.starts_with('[') {
            let close = rest
                .find(']')
                .ok_or_else(|| self.unknown(WarningKind::SyntaxError, "unterminated subscript"))?;
            let sub = &rest[1..close];
            rest = &rest[close + 1..];
            let elems = value.map(|v| v.elements().unwrap_or_default());
            return Ok(match sub {
                "@" | "*" => (
                    Selection::All {
                        items: elems,
                        star: sub == "*",
                    },
                    rest,
                ),
                _ => {
                    let expr = self.scalar_in(sub, true)?;
                    let idx = arith::eval(&expr, self.vars).map_err(|e| {
                        self.unknown(
                            WarningKind::UnsupportedSyntax,
                            format!("cannot evaluate index: {}", e.0),
                        )
                    })?;
                    let elem = elems.and_then(|e| {
                        let i = if idx < 0 { e.len() as i64 + idx } else { idx };
                        usize::try_from(i).ok().and_then(|i| e.get(i).cloned())
                    });
                    (Selection::One(elem), rest)
                }
            });
        }
        let scalar = value.map(|v| v.scalar().unwrap_or_default());
        Ok((Selection::One(scalar), rest))
    }

    /// Applies the operator in `rest` to the selection.
    fn operate(
        &mut self,
        sel: Selection,
        rest: &str,
        inner: &str,
        in_dquote: bool,
    ) -> Result<Selection, Unknown> {
        if rest.is_empty() {
            return Ok(sel);
        }
        const DEFAULTS: [&str; 8] = [":-", ":=", ":+", ":?", "-", "=", "+", "?"];
        if let Some(op) = DEFAULTS.iter().find(|op| rest.starts_with(**op)) {
            let word = &rest[op.len()..];
            // Inside double quotes, `"${v:-"a b"}"`: the inner quotes quote.
            let unquoted;
            let word = if in_dquote && word.contains('"') {
                unquoted = strip_inner_dquotes(word);
                unquoted.as_str()
            } else {
                word
            };
            let missing = if op.starts_with(':') {
                sel.is_null()
            } else {
                !sel.is_set()
            };
            let op = op.trim_start_matches(':');
            return match op {
                "-" | "=" if missing => {
                    let v = self.scalar_in(word, in_dquote)?;
                    if op == "=" {
                        let name: String = inner
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                            .collect();
                        self.assigned.push((name, v.clone()));
                    }
                    Ok(Selection::One(Some(v)))
                }
                "+" if !missing => Ok(Selection::One(Some(self.scalar_in(word, in_dquote)?))),
                "+" => Ok(Selection::One(Some(String::new()))),
                "?" if missing => Err(self.unknown(
                    WarningKind::UnknownVariable,
                    format!("`${{{inner}}}` stops makepkg when unset"),
                )),
                _ => Ok(sel),
            };
        }
        let (anchor_op, word) = split_op(rest);
        match anchor_op {
            "#" | "##" | "%" | "%%" => {
                let pat = self.compile(word, in_dquote, inner)?;
                let longest = anchor_op.len() == 2;
                Ok(if anchor_op.starts_with('#') {
                    sel.map(|s| pattern::remove_prefix(s, &pat, longest))
                } else {
                    sel.map(|s| pattern::remove_suffix(s, &pat, longest))
                })
            }
            "/" | "//" | "/#" | "/%" => {
                let (pat_text, with_text) = split_replacement(word);
                let pat = self.compile(pat_text, in_dquote, inner)?;
                let with = match with_text {
                    Some(t) => self.scalar_in(t, in_dquote)?,
                    None => String::new(),
                };
                let anchor = match anchor_op {
                    "/" => Anchor::First,
                    "//" => Anchor::All,
                    "/#" => Anchor::Start,
                    _ => Anchor::End,
                };
                Ok(sel.map(|s| pattern::replace(s, &pat, &with, anchor)))
            }
            "^" | "^^" | "," | ",," => {
                let pat = if word.is_empty() {
                    None
                } else {
                    Some(self.compile(word, in_dquote, inner)?)
                };
                let upper = anchor_op.starts_with('^');
                let all = anchor_op.len() == 2;
                Ok(sel.map(|s| change_case(s, pat.as_ref(), upper, all)))
            }
            ":" => self.substring(sel, word, inner),
            _ => Err(self.unsupported(inner)),
        }
    }

    /// Compiles the pattern operand of `#`, `%`, `/`, `^`, `,`. Bash reads it
    /// as a pattern even inside double quotes (`"${v%%.*}"` cuts at the first
    /// dot), so the enclosing quotes do not apply.
    fn compile(&mut self, text: &str, _in_dquote: bool, inner: &str) -> Result<Pattern, Unknown> {
        let p = self.pattern(text, false)?;
        Pattern::new(&p).map_err(|_| self.unsupported(inner))
    }

    fn substring(&mut self, sel: Selection, word: &str, inner: &str) -> Result<Selection, Unknown> {
        let (off_text, len_text) = match word.split_once(':') {
            Some((o, l)) => (o, Some(l)),
            None => (word, None),
        };
        let num = |this: &mut Self, t: &str| -> Result<i64, Unknown> {
            let e = this.scalar_in(t, true)?;
            arith::eval(&e, this.vars).map_err(|_| this.unsupported(inner))
        };
        let off = num(self, off_text)?;
        let len = match len_text {
            Some(t) => Some(num(self, t)?),
            None => None,
        };
        let slice = |n: usize| -> Option<(usize, usize)> {
            let start = if off < 0 { n as i64 + off } else { off };
            if start < 0 || start > n as i64 {
                return None;
            }
            let start = start as usize;
            let end = match len {
                None => n,
                Some(l) if l < 0 => (n as i64 + l).max(start as i64) as usize,
                Some(l) => (start + l as usize).min(n),
            };
            Some((start, end))
        };
        Ok(match sel {
            Selection::One(v) => {
                let chars: Vec<char> = v.unwrap_or_default().chars().collect();
                let s = slice(chars.len())
                    .map(|(a, b)| chars[a..b].iter().collect())
                    .unwrap_or_default();
                Selection::One(Some(s))
            }
            Selection::All { items, star } => {
                let items = items.unwrap_or_default();
                let out = slice(items.len())
                    .map(|(a, b)| items[a..b].to_vec())
                    .unwrap_or_default();
                Selection::All {
                    items: Some(out),
                    star,
                }
            }
        })
    }
}

/// Splits `##pat` style operators from their operand.
fn split_op(rest: &str) -> (&str, &str) {
    for op in [
        "##", "#", "%%", "%", "//", "/#", "/%", "/", "^^", "^", ",,", ",", ":",
    ] {
        if let Some(w) = rest.strip_prefix(op) {
            return (op, w);
        }
    }
    (rest, "")
}

/// Splits `pat/with` at the first `/` outside quotes, escapes and `${}`.
fn split_replacement(word: &str) -> (&str, Option<&str>) {
    let b = word.as_bytes();
    let mut i = 0;
    let mut dq = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'"' => dq = !dq,
            b'\'' if !dq => {
                if let Some(e) = word[i + 1..].find('\'') {
                    i += e + 1;
                }
            }
            b'$' if b.get(i + 1) == Some(&b'{') => {
                if let Some(e) = super::word::find_close(word, i + 1, b'{', b'}') {
                    i = e;
                }
            }
            b'/' if !dq => return (&word[..i], Some(&word[i + 1..])),
            _ => {}
        }
        i += 1;
    }
    (word, None)
}

/// Removes the `"` that open and close quotes in `word` (the operand of a
/// parameter expansion inside double quotes), leaving escaped ones and those
/// inside nested expansions.
fn strip_inner_dquotes(word: &str) -> String {
    let b = word.as_bytes();
    let mut out = String::with_capacity(word.len());
    let mut i = 0;
    let mut copied = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'$' if matches!(b.get(i + 1), Some(b'{') | Some(b'(')) => {
                let (l, r) = if b[i + 1] == b'{' {
                    (b'{', b'}')
                } else {
                    (b'(', b')')
                };
                i = super::word::find_close(word, i + 1, l, r).map_or(b.len(), |e| e + 1);
            }
            b'"' => {
                out.push_str(&word[copied..i]);
                i += 1;
                copied = i;
            }
            _ => i += 1,
        }
    }
    out.push_str(&word[copied.min(word.len())..]);
    out
}

fn change_case(s: &str, pat: Option<&Pattern>, upper: bool, all: bool) -> String {
    let mut out = String::new();
    for (n, c) in s.chars().enumerate() {
        let hit = (all || n == 0) && pat.is_none_or(|p| p.matches(&[c]));
        if hit && upper {
            out.extend(c.to_uppercase());
        } else if hit {
            out.extend(c.to_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}
