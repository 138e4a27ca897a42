//! A small reader for the S-expressions a Guix recipe keeps as text (its
//! `arguments`), and the evaluation of the few shapes a PKGBUILD can carry:
//! lists of strings built with `list`, quotes, `string-append` and the
//! standard references to the output and the compilers.
//!
//! Bounded: nesting deeper than [`MAX_DEPTH`] is an error, not a stack
//! overflow.

use std::fmt;

/// Deepest nesting read.
pub const MAX_DEPTH: usize = 200;

/// One datum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Sexp {
    /// `( ... )` or `[ ... ]`.
    List(Vec<Sexp>),
    /// A string literal, unescaped.
    Str(String),
    /// A symbol or number, as written.
    Atom(String),
    /// `#:name`, without `#:`.
    Keyword(String),
    /// `#t` / `#f` (and `#true` / `#false`).
    Bool(bool),
    /// A prefixed datum: `'x`, `` `x ``, `,x`, `,@x`, `#~x`, `#$x`, `#+x`, `#$@x`.
    Prefixed(&'static str, Box<Sexp>),
    /// An unreadable object as printed (`#<procedure foo>`).
    Opaque(String),
}

/// Text that is not a datum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SexpError {
    /// 1-based line in the text.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for SexpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

struct Reader<'a> {
    text: &'a [u8],
    pos: usize,
    line: u32,
}

impl Reader<'_> {
    fn err(&self, message: &str) -> SexpError {
        SexpError {
            line: self.line,
            message: message.to_owned(),
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.get(self.pos).copied()
    }

    fn bump(&mut self) -> Option<u8> {
        let c = self.peek()?;
        self.pos += 1;
        if c == b'\n' {
            self.line += 1;
        }
        Some(c)
    }

    fn skip_space(&mut self) {
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() {
                self.bump();
            } else if c == b';' {
                while let Some(c) = self.bump() {
                    if c == b'\n' {
                        break;
                    }
                }
            } else {
                break;
            }
        }
    }

    fn atom_text(&mut self) -> String {
        let start = self.pos;
        while let Some(c) = self.peek() {
            if c.is_ascii_whitespace() || b"()[]\";'`,".contains(&c) {
                break;
            }
            self.bump();
        }
        String::from_utf8_lossy(&self.text[start..self.pos]).into_owned()
    }

    fn datum(&mut self, depth: usize) -> Result<Sexp, SexpError> {
        if depth > MAX_DEPTH {
            return Err(self.err(&format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        self.skip_space();
        let Some(c) = self.peek() else {
            return Err(self.err("unexpected end of text"));
        };
        let prefixed = |r: &mut Self, len: usize, kind: &'static str| {
            for _ in 0..len {
                r.bump();
            }
            Ok(Sexp::Prefixed(kind, Box::new(r.datum(depth + 1)?)))
        };
        let rest = &self.text[self.pos..];
        match c {
            b'(' | b'[' => {
                let close = if c == b'(' { b')' } else { b']' };
                self.bump();
                let mut items = Vec::new();
                loop {
                    self.skip_space();
                    match self.peek() {
                        None => return Err(self.err("unclosed list")),
                        Some(x) if x == close => {
                            self.bump();
                            return Ok(Sexp::List(items));
                        }
                        Some(b')' | b']') => return Err(self.err("mismatched closing bracket")),
                        Some(_) => items.push(self.datum(depth + 1)?),
                    }
                }
            }
            b')' | b']' => Err(self.err("unexpected closing bracket")),
            b'"' => {
                self.bump();
                let mut bytes = Vec::new();
                loop {
                    match self.bump() {
                        None => return Err(self.err("unterminated string")),
                        Some(b'"') => break,
                        Some(b'\\') => match self.bump() {
                            Some(b'n') => bytes.push(b'\n'),
                            Some(b't') => bytes.push(b'\t'),
                            Some(b'\n') => {
                                while self.peek().is_some_and(|c| c == b' ' || c == b'\t') {
                                    self.bump();
                                }
                            }
                            Some(x) => bytes.push(x),
                            None => return Err(self.err("unterminated string")),
                        },
                        Some(x) => bytes.push(x),
                    }
                }
                Ok(Sexp::Str(String::from_utf8_lossy(&bytes).into_owned()))
            }
            b'\'' => prefixed(self, 1, "'"),
            b'`' => prefixed(self, 1, "`"),
            b',' if rest.starts_with(b",@") => prefixed(self, 2, ",@"),
            b',' => prefixed(self, 1, ","),
            b'#' if rest.starts_with(b"#~") => prefixed(self, 2, "#~"),
            b'#' if rest.starts_with(b"#$@") => prefixed(self, 3, "#$@"),
            b'#' if rest.starts_with(b"#$") => prefixed(self, 2, "#$"),
            b'#' if rest.starts_with(b"#+") => prefixed(self, 2, "#+"),
            b'#' if rest.starts_with(b"#:") => {
                self.bump();
                self.bump();
                Ok(Sexp::Keyword(self.atom_text()))
            }
            b'#' if rest.starts_with(b"#<") => {
                let start = self.pos;
                while let Some(c) = self.bump() {
                    if c == b'>' {
                        break;
                    }
                }
                Ok(Sexp::Opaque(
                    String::from_utf8_lossy(&self.text[start..self.pos]).into_owned(),
                ))
            }
            b'#' if rest.starts_with(b"#(") => prefixed(self, 1, "#"),
            _ => {
                let text = self.atom_text();
                Ok(match text.as_str() {
                    "#t" | "#true" => Sexp::Bool(true),
                    "#f" | "#false" => Sexp::Bool(false),
                    "" => return Err(self.err("unreadable character")),
                    _ => Sexp::Atom(text),
                })
            }
        }
    }
}

/// Reads one datum from `text` (anything after it is ignored).
pub fn read(text: &str) -> Result<Sexp, SexpError> {
    Reader {
        text: text.as_bytes(),
        pos: 0,
        line: 1,
    }
    .datum(0)
}

impl Sexp {
    /// The datum under any quote, quasiquote or gexp prefix.
    pub fn unquoted(&self) -> &Sexp {
        match self {
            Sexp::Prefixed("'" | "`" | "#~", inner) => inner.unquoted(),
            other => other,
        }
    }

    /// The items of a list of arguments: `(list a b)`, `'(a b)`,
    /// `` `(a b) ``, `#~(list a b)` or a plain `(a b)`.
    pub fn list_items(&self) -> Option<&[Sexp]> {
        let literal = matches!(self, Sexp::Prefixed("'" | "`", _));
        match self.unquoted() {
            Sexp::List(items) => match items.first() {
                Some(Sexp::Atom(head)) if head == "list" && !literal => Some(&items[1..]),
                _ => Some(items),
            },
            _ => None,
        }
    }

    /// `#:key value` pairs of an `arguments` list, in order; `None` when the
    /// datum is not such a list (e.g. `substitute-keyword-arguments`).
    pub fn keyword_arguments(&self) -> Option<Vec<(&str, &Sexp)>> {
        let items = self.list_items()?;
        let mut out = Vec::new();
        let mut it = items.iter();
        while let Some(k) = it.next() {
            let Sexp::Keyword(k) = k else {
                return None;
            };
            out.push((k.as_str(), it.next()?));
        }
        Some(out)
    }

    /// The string this expression evaluates to at build time, for the
    /// shapes a PKGBUILD can state: literals, `string-append`, the output
    /// directory (`/usr` there) and the compilers. `None` otherwise.
    pub fn eval_string(&self) -> Option<String> {
        match self {
            Sexp::Str(s) => Some(s.clone()),
            Sexp::Prefixed(",", inner) | Sexp::Prefixed("#$", inner) => inner.eval_string(),
            Sexp::Atom(a) if a == "output" || a == "%output" || a == "out" => Some("/usr".into()),
            Sexp::List(items) => {
                let head = match items.first() {
                    Some(Sexp::Atom(h)) => h.as_str(),
                    _ => return None,
                };
                match head {
                    "string-append" => items[1..].iter().map(Sexp::eval_string).collect(),
                    "cc-for-target" if items.len() == 1 => Some("gcc".into()),
                    "cxx-for-target" if items.len() == 1 => Some("g++".into()),
                    "assoc-ref" if items.len() == 3 => {
                        let from_outputs =
                            matches!(&items[1], Sexp::Atom(a) if a == "outputs" || a == "%outputs");
                        (from_outputs && items[2] == Sexp::Str("out".into())).then(|| "/usr".into())
                    }
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl fmt::Display for Sexp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sexp::List(items) => {
                f.write_str("(")?;
                for (i, x) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(" ")?;
                    }
                    write!(f, "{x}")?;
                }
                f.write_str(")")
            }
            Sexp::Str(s) => write!(f, "\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\"")),
            Sexp::Atom(a) => f.write_str(a),
            Sexp::Keyword(k) => write!(f, "#:{k}"),
            Sexp::Bool(b) => f.write_str(if *b { "#t" } else { "#f" }),
            Sexp::Prefixed(p, x) => write!(f, "{p}{x}"),
            Sexp::Opaque(o) => f.write_str(o),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_guix_arguments_shapes() {
        let pigz = "`(#:phases\n (modify-phases %standard-phases (delete 'configure))\n #:make-flags\n (list ,(string-append \"CC=\" (cc-for-target)))\n #:test-target \"tests\")";
        let d = read(pigz).unwrap();
        let kw = d.keyword_arguments().unwrap();
        let keys: Vec<_> = kw.iter().map(|(k, _)| *k).collect();
        assert_eq!(keys, ["phases", "make-flags", "test-target"]);
        let flags: Vec<_> = kw[1]
            .1
            .list_items()
            .unwrap()
            .iter()
            .map(Sexp::eval_string)
            .collect();
        assert_eq!(flags, [Some("CC=gcc".to_owned())]);

        let modern = read("(list #:configure-flags #~(list \"--x\" (string-append \"--prefix=\" #$output)) #:tests? #f)").unwrap();
        let kw = modern.keyword_arguments().unwrap();
        assert_eq!(kw[1], ("tests?", &Sexp::Bool(false)));
        let flags: Vec<_> = kw[0]
            .1
            .list_items()
            .unwrap()
            .iter()
            .filter_map(Sexp::eval_string)
            .collect();
        assert_eq!(flags, ["--x", "--prefix=/usr"]);

        let evaluated =
            read("(#:tests? #f #:make-flags (\"CC=gcc\") #:phases #<procedure x>)").unwrap();
        assert_eq!(evaluated.keyword_arguments().unwrap().len(), 3);
    }

    #[test]
    fn errors_name_the_line() {
        assert_eq!(read("(a\n(b").unwrap_err().line, 2);
        assert_eq!(
            read("(a ]").unwrap_err().message,
            "mismatched closing bracket"
        );
        let deep = "(".repeat(MAX_DEPTH + 5);
        assert!(read(&deep).unwrap_err().message.contains("nesting"));
    }
}
