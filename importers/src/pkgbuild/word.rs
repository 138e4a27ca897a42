//! The static expansion of one shell word: quoting (`'..'`, `".."`,
//! `$'..'`, backslashes), parameter expansion (see [`super::param`]),
//! arithmetic, brace expansion and word splitting, never running a command.
//! A word that needs execution (`$(..)`, backquotes) or an unknown value
//! expands to an [`Unknown`] that says why.

use kiln_normalizer::WarningKind;

use super::interp::FunctionDef;
use super::variables::{Unknown, Variables};
use super::{arith, brace};

/// Nesting limit of expansions inside expansions.
pub(crate) const MAX_DEPTH: u32 = 64;

/// One word being built: its text, and the same text as a glob pattern
/// (quoted characters escaped).
#[derive(Debug, Default, Clone)]
struct Field {
    text: String,
    pattern: String,
}

/// The words an expansion produces.
#[derive(Debug)]
pub(crate) struct Fields {
    done: Vec<Field>,
    cur: Field,
    started: bool,
    split: bool,
}

impl Fields {
    fn new(split: bool) -> Self {
        Self {
            done: Vec::new(),
            cur: Field::default(),
            started: false,
            split,
        }
    }

    /// Literal text; quoted text is escaped in the pattern form.
    pub(crate) fn literal(&mut self, s: &str, quoted: bool) {
        self.started |= quoted || !s.is_empty();
        self.cur.text.push_str(s);
        for c in s.chars() {
            if quoted && matches!(c, '*' | '?' | '[' | ']' | '\\') {
                self.cur.pattern.push('\\');
            }
            self.cur.pattern.push(c);
        }
    }

    fn end_field(&mut self) {
        if self.started {
            self.done.push(std::mem::take(&mut self.cur));
        }
        self.cur = Field::default();
        self.started = false;
    }

    /// The result of an unquoted expansion: split on white space.
    pub(crate) fn unquoted(&mut self, s: &str) {
        if !self.split {
            self.literal(s, false);
            return;
        }
        for c in s.chars() {
            if matches!(c, ' ' | '\t' | '\n') {
                self.end_field();
            } else {
                self.cur.text.push(c);
                self.cur.pattern.push(c);
                self.started = true;
            }
        }
    }

    /// Several values (`"${a[@]}"`): the first joins the current word, each
    /// other starts a new one. Without splitting they are joined by spaces.
    pub(crate) fn list(&mut self, items: &[String], quoted: bool) {
        for (n, item) in items.iter().enumerate() {
            if n > 0 {
                if self.split {
                    if quoted {
                        self.started = true;
                        self.end_field();
                    }
                } else {
                    self.literal(" ", quoted);
                }
            }
            if quoted {
                self.literal(item, true);
            } else {
                if n > 0 && self.split {
                    self.end_field();
                }
                self.unquoted(item);
            }
        }
    }

    fn finish(mut self) -> Vec<Field> {
        self.end_field();
        self.done
    }
}

/// Expands words against a variable table.
pub(crate) struct Expander<'a> {
    /// The variables in scope.
    pub vars: &'a Variables,
    /// Line of the word, for the reasons of unknown values.
    pub line: u32,
    /// Assignments made by `${v:=x}`, for the caller to apply.
    pub assigned: Vec<(String, String)>,
    /// Functions defined so far, for `$(declare -f NAME)`.
    pub functions: &'a [(String, FunctionDef)],
    depth: u32,
}

impl<'a> Expander<'a> {
    /// An expander for words on `line`.
    pub fn new(vars: &'a Variables, line: u32) -> Self {
        Self {
            vars,
            line,
            assigned: Vec::new(),
            functions: &[],
            depth: 0,
        }
    }

    /// An unknown value found here.
    pub(crate) fn unknown(&self, kind: WarningKind, message: impl Into<String>) -> Unknown {
        Unknown::new(kind, self.line, message)
    }

    /// A word in a list context (array element, command argument): brace
    /// expansion, then expansion and word splitting; may give 0..n words.
    pub fn words(&mut self, text: &str) -> Result<Vec<String>, Unknown> {
        let braced = brace::expand(text).map_err(|_| {
            self.unknown(
                WarningKind::UnsupportedSyntax,
                "brace expansion makes too many words",
            )
        })?;
        let mut out = Vec::new();
        for w in braced {
            let mut f = Fields::new(true);
            self.word(&w, &mut f, false)?;
            out.extend(f.finish().into_iter().map(|f| f.text));
        }
        Ok(out)
    }

    /// A word in a scalar context (right side of `a=`, `case` subject,
    /// operands of `[[ ]]`): no brace expansion, no splitting.
    pub fn scalar(&mut self, text: &str) -> Result<String, Unknown> {
        self.scalar_in(text, false)
    }

    /// Like [`Self::scalar`], reading `text` as inside double quotes when
    /// `in_dquote`.
    pub(crate) fn scalar_in(&mut self, text: &str, in_dquote: bool) -> Result<String, Unknown> {
        let mut f = Fields::new(false);
        self.word(text, &mut f, in_dquote)?;
        Ok(f.finish().into_iter().map(|f| f.text).collect())
    }

    /// A word as a glob pattern: quoted characters are literal.
    pub fn pattern(&mut self, text: &str, in_dquote: bool) -> Result<String, Unknown> {
        let mut f = Fields::new(false);
        self.word(text, &mut f, in_dquote)?;
        Ok(f.finish().into_iter().map(|f| f.pattern).collect())
    }

    fn enter(&mut self) -> Result<(), Unknown> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.unknown(
                WarningKind::UnsupportedSyntax,
                "expansions nested too deeply",
            ));
        }
        Ok(())
    }

    /// Expands `text` into `out`; `in_dquote` reads it as the inside of
    /// double quotes.
    pub(crate) fn word(
        &mut self,
        text: &str,
        out: &mut Fields,
        in_dquote: bool,
    ) -> Result<(), Unknown> {
        self.enter()?;
        let r = self.word_inner(text, out, in_dquote);
        self.depth -= 1;
        r
    }

    fn word_inner(&mut self, text: &str, out: &mut Fields, in_dquote: bool) -> Result<(), Unknown> {
        let b = text.as_bytes();
        let mut i = 0;
        let mut lit_start = 0;
        macro_rules! flush {
            () => {
                if lit_start < i {
                    out.literal(&text[lit_start..i], in_dquote);
                }
            };
        }
        while i < b.len() {
            match b[i] {
                b'\\' => {
                    flush!();
                    let next = text[i + 1..].chars().next();
                    match next {
                        None => out.literal("\\", in_dquote),
                        Some('\n') => {}
                        Some(c) if in_dquote && !matches!(c, '$' | '`' | '"' | '\\') => {
                            out.literal("\\", true);
                            out.literal(c.encode_utf8(&mut [0; 4]), true);
                        }
                        Some(c) => out.literal(c.encode_utf8(&mut [0; 4]), true),
                    }
                    i += 1 + next.map_or(0, char::len_utf8);
                    lit_start = i;
                }
                b'\'' if !in_dquote => {
                    flush!();
                    let end = text[i + 1..].find('\'').ok_or_else(|| {
                        self.unknown(WarningKind::SyntaxError, "unterminated single quote")
                    })?;
                    out.literal(&text[i + 1..i + 1 + end], true);
                    i += end + 2;
                    lit_start = i;
                }
                b'"' if !in_dquote => {
                    flush!();
                    let end = find_dquote_end(text, i + 1).ok_or_else(|| {
                        self.unknown(WarningKind::SyntaxError, "unterminated double quote")
                    })?;
                    let inner = &text[i + 1..end];
                    // `"${a[@]}"` of an empty array makes no word at all.
                    if !inner.contains("[@]") {
                        out.literal("", true);
                    }
                    self.word(inner, out, true)?;
                    i = end + 1;
                    lit_start = i;
                }
                b'`' => {
                    return Err(self.unknown(
                        WarningKind::CommandSubstitution,
                        "command substitution in backquotes",
                    ))
                }
                b'~' if i == 0 && !in_dquote && matches!(b.get(1), None | Some(b'/')) => {
                    return Err(self.unknown(
                        WarningKind::UnknownVariable,
                        "`~` names the home directory of the user running makepkg",
                    ));
                }
                b'$' => {
                    flush!();
                    i += self.dollar(&text[i..], out, in_dquote)?;
                    lit_start = i;
                }
                _ => i += 1,
            }
        }
        flush!();
        Ok(())
    }

    /// Expands the `$...` at the start of `text`; returns the bytes used.
    fn dollar(&mut self, text: &str, out: &mut Fields, in_dquote: bool) -> Result<usize, Unknown> {
        let b = text.as_bytes();
        match b.get(1) {
            Some(b'\'') if !in_dquote => {
                let (s, used) = ansi_c(&text[2..]).ok_or_else(|| {
                    self.unknown(WarningKind::SyntaxError, "unterminated $'...' quote")
                })?;
                out.literal(&s, true);
                Ok(2 + used)
            }
            Some(b'"') if !in_dquote => {
                let end = find_dquote_end(text, 2).ok_or_else(|| {
                    self.unknown(WarningKind::SyntaxError, "unterminated double quote")
                })?;
                out.literal("", true);
                self.word(&text[2..end], out, true)?;
                Ok(end + 1)
            }
            Some(b'(') if b.get(2) == Some(&b'(') => {
                let end = find_close(text, 1, b'(', b')').ok_or_else(|| {
                    self.unknown(
                        WarningKind::SyntaxError,
                        "unterminated arithmetic expansion",
                    )
                })?;
                let inner = text[3..end].strip_suffix(')').ok_or_else(|| {
                    self.unknown(
                        WarningKind::CommandSubstitution,
                        "command substitution that starts with a subshell",
                    )
                })?;
                let expr = self.scalar_in(inner, true)?;
                let v = arith::eval(&expr, self.vars).map_err(|e| {
                    e.1.map(|u| *u).unwrap_or_else(|| {
                        self.unknown(
                            WarningKind::UnsupportedSyntax,
                            format!("cannot evaluate arithmetic: {}", e.0),
                        )
                    })
                })?;
                out.unquoted_or_quoted(&v.to_string(), in_dquote);
                Ok(end + 1)
            }
            Some(b'(') => {
                let end = find_close(text, 1, b'(', b')')
                    .ok_or_else(|| self.unknown(WarningKind::SyntaxError, "unterminated `$(`"))?;
                let printed = self.declare_f(&text[2..end])?;
                out.unquoted_or_quoted(printed.trim_end_matches('\n'), in_dquote);
                Ok(end + 1)
            }
            Some(b'{') => {
                let end = find_close(text, 1, b'{', b'}')
                    .ok_or_else(|| self.unknown(WarningKind::SyntaxError, "unterminated `${`"))?;
                self.enter()?;
                let r = self.parameter(&text[2..end], out, in_dquote);
                self.depth -= 1;
                r?;
                Ok(end + 1)
            }
            Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
                let len = 1 + text[1..]
                    .bytes()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == b'_')
                    .count();
                let v = self.lookup(&text[1..len])?;
                out.unquoted_or_quoted(&v, in_dquote);
                Ok(len)
            }
            Some(c) if c.is_ascii_digit() || b"@*#?$!-".contains(c) => Err(self.unknown(
                WarningKind::UnknownVariable,
                format!(
                    "`${}` is a parameter of the shell running makepkg",
                    *c as char
                ),
            )),
            _ => {
                out.literal("$", in_dquote);
                Ok(1)
            }
        }
    }

    /// The output of the command substitution `$(inner)` when it is
    /// `declare -f NAME` (or `typeset -f`) of a function known here: the
    /// function's text, as pure as a variable. Any other command needs
    /// execution.
    fn declare_f(&mut self, inner: &str) -> Result<String, Unknown> {
        let words = super::condition::raw_words(inner);
        let needs_execution = || {
            self.unknown(
                WarningKind::CommandSubstitution,
                "command substitution `$(...)`",
            )
        };
        let [cmd, "-f", name] = words.as_slice() else {
            return Err(needs_execution());
        };
        if !matches!(*cmd, "declare" | "typeset") {
            return Err(needs_execution());
        }
        let name = self.scalar(name)?;
        match self.functions.iter().rev().find(|(n, _)| *n == name) {
            Some((n, def)) => Ok(format!("{n} () \n{{{}}}", def.body)),
            None => Ok(String::new()),
        }
    }

    /// The scalar value of a plain variable (`$name`).
    pub(crate) fn lookup(&self, name: &str) -> Result<String, Unknown> {
        match self.vars.get(name) {
            None => Ok(String::new()),
            Some(v) => v.scalar(),
        }
    }
}

impl Fields {
    /// An expansion's value: literal inside double quotes, split outside.
    pub(crate) fn unquoted_or_quoted(&mut self, s: &str, quoted: bool) {
        if quoted {
            self.literal(s, true);
        } else {
            self.unquoted(s);
        }
    }
}

/// Index of the `"` closing a double-quoted string whose content starts at
/// `start`, skipping escapes and nested `$(..)`/`${..}`/backquotes.
pub(crate) fn find_dquote_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            b'`' => i += 1 + text[i + 1..].find('`')? + 1,
            b'$' if b.get(i + 1) == Some(&b'{') => i = find_close(text, i + 1, b'{', b'}')? + 1,
            b'$' if b.get(i + 1) == Some(&b'(') => i = find_close(text, i + 1, b'(', b')')? + 1,
            _ => i += 1,
        }
    }
    None
}

/// Index of the bracket closing the one at `open`, skipping quotes and
/// escapes; iterative, so deep nesting cannot overflow the stack.
pub(crate) fn find_close(text: &str, open: usize, left: u8, right: u8) -> Option<usize> {
    let b = text.as_bytes();
    let mut depth = 0usize;
    let mut i = open;
    // Quote state: inside double quotes single quotes are literal.
    let mut dq = false;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\'' if !dq => i += text[i + 1..].find('\'')? + 1,
            b'"' => dq = !dq,
            c if c == left && !dq => depth += 1,
            c if c == right && !dq => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i);
                }
            }
            b'$' if dq && matches!(b.get(i + 1), Some(b'{') | Some(b'(')) => {
                let (l, r) = if b[i + 1] == b'{' {
                    (b'{', b'}')
                } else {
                    (b'(', b')')
                };
                i = find_close(text, i + 1, l, r)?;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// Decodes the body of `$'...'`; returns the text and the bytes used
/// including the closing quote.
fn ansi_c(text: &str) -> Option<(String, usize)> {
    let mut out = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        match c {
            '\'' => return Some((out, i + 1)),
            '\\' => {
                let (_, e) = chars.next()?;
                match e {
                    'n' => out.push('\n'),
                    't' => out.push('\t'),
                    'r' => out.push('\r'),
                    'a' => out.push('\x07'),
                    'b' => out.push('\x08'),
                    'e' | 'E' => out.push('\x1b'),
                    'f' => out.push('\x0c'),
                    'v' => out.push('\x0b'),
                    'x' | 'u' | 'U' => {
                        let max = match e {
                            'x' => 2,
                            'u' => 4,
                            _ => 8,
                        };
                        let mut v = 0u32;
                        let mut n = 0;
                        while n < max {
                            match chars.peek().and_then(|(_, d)| d.to_digit(16)) {
                                Some(d) => {
                                    v = v * 16 + d;
                                    chars.next();
                                    n += 1;
                                }
                                None => break,
                            }
                        }
                        out.extend(char::from_u32(v));
                    }
                    '0'..='7' => {
                        let mut v = e.to_digit(8)?;
                        for _ in 0..2 {
                            match chars.peek().and_then(|(_, d)| d.to_digit(8)) {
                                Some(d) => {
                                    v = v * 8 + d;
                                    chars.next();
                                }
                                None => break,
                            }
                        }
                        out.extend(char::from_u32(v));
                    }
                    other => out.push(other),
                }
            }
            c => out.push(c),
        }
    }
    None
}
