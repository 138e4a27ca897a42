//! The Scheme reader in front of lexpr: turns the text of a Guix module into
//! syntax trees whose atoms are [`lexpr::Value`]s (symbols and keywords
//! interned) and whose lists carry the line they open on.
//!
//! lexpr's own parser knows neither Guile's gexp syntax (`#~`, `#$`, `#$@`,
//! `#+`), datum and block comments (`#;`, `#|...|#`), `#{...}#` symbols nor
//! `#true`/`#false`, and keeps no positions; this reader does all of that
//! with an explicit stack (no recursion) and a nesting limit, so no input can
//! overflow the stack. Reader abbreviations become ordinary lists:
//! `'x` is `(quote x)`, `#~x` is `(gexp x)`, `#$x` is `(ungexp x)`,
//! `#$@x` is `(ungexp-splicing x)`, `#+x` is `(ungexp-native x)`.

use std::collections::HashSet;

use arcstr::ArcStr;

use thin_vec::ThinVec;

use super::symbol::{LocalSymbols, Symbol};
use super::GuixError;

/// Deepest nesting of lists and prefixes accepted.
pub const MAX_DEPTH: usize = 1000;

/// One datum as read: 16 bytes, since the trees of a whole Guix checkout
/// (about 2.6 million data) stay in memory while it is evaluated. What
/// does not fit in 8 bytes is boxed.
#[derive(Debug, Clone, PartialEq)]
pub enum Syntax {
    /// A symbol.
    Symbol(Symbol),
    /// A keyword (`#:name`), by its name.
    Keyword(Symbol),
    /// A string: a thin pointer to a counted text, shared with the values
    /// it evaluates to (and with equal strings of the module).
    Str(ArcStr),
    /// A number, character or boolean (rare in package code).
    Atom(Box<lexpr::Value>),
    /// A list (proper, or dotted when it has a [tail](List::tail)).
    List(List),
    /// A vector `#(...)` (or bytevector `#vu8(...)`): rare, so boxed.
    Vector(Box<List>),
}

const _: () = assert!(std::mem::size_of::<Syntax>() == 16);
const _: () = assert!(std::mem::size_of::<List>() == 16);

/// The elements of a list or vector and the line it opens on.
///
/// Laid out by length, since a whole Guix checkout has about 700,000 lists
/// and two thirds of them have two elements (`(name "x")`, `,pkg`): the
/// line sits beside one pointer to the elements, which for up to three
/// elements are exactly that many data, and for more are a thin vector
/// (its length stored with the elements). Dotted lists (a few thousand)
/// are boxed whole.
#[derive(Debug, Clone, PartialEq)]
pub struct List(Layout);

#[derive(Debug, Clone, PartialEq)]
enum Layout {
    Empty(u32),
    One(u32, Box<[Syntax; 1]>),
    Two(u32, Box<[Syntax; 2]>),
    Three(u32, Box<[Syntax; 3]>),
    More(u32, ThinVec<Syntax>),
    Dotted(Box<Dotted>),
}

#[derive(Debug, Clone, PartialEq)]
struct Dotted {
    items: Box<[Syntax]>,
    tail: Syntax,
    line: u32,
}

impl List {
    /// The list of `items`, then `tail` after a dot if there is one, opening
    /// on `line` (1-based; of the prefix, for reader abbreviations).
    pub fn new(items: Vec<Syntax>, tail: Option<Syntax>, line: u32) -> List {
        if let Some(tail) = tail {
            return List(Layout::Dotted(Box::new(Dotted {
                items: items.into_boxed_slice(),
                tail,
                line,
            })));
        }
        List(match items.len() {
            0 => Layout::Empty(line),
            1 => Layout::One(line, Box::new(Self::array(items))),
            2 => Layout::Two(line, Box::new(Self::array(items))),
            3 => Layout::Three(line, Box::new(Self::array(items))),
            _ => Layout::More(line, ThinVec::from(items)),
        })
    }

    fn array<const N: usize>(items: Vec<Syntax>) -> [Syntax; N] {
        match items.try_into() {
            Ok(a) => a,
            Err(_) => unreachable!("the caller matched the length"),
        }
    }

    /// The elements before any dot.
    pub fn items(&self) -> &[Syntax] {
        match &self.0 {
            Layout::Empty(_) => &[],
            Layout::One(_, a) => &a[..],
            Layout::Two(_, a) => &a[..],
            Layout::Three(_, a) => &a[..],
            Layout::More(_, v) => v,
            Layout::Dotted(d) => &d.items,
        }
    }

    /// The datum after a dot, for a dotted list.
    pub fn tail(&self) -> Option<&Syntax> {
        match &self.0 {
            Layout::Dotted(d) => Some(&d.tail),
            _ => None,
        }
    }

    /// 1-based line of the opening parenthesis (or of the prefix, for
    /// reader abbreviations).
    pub fn line(&self) -> u32 {
        match &self.0 {
            Layout::Empty(line)
            | Layout::One(line, _)
            | Layout::Two(line, _)
            | Layout::Three(line, _)
            | Layout::More(line, _) => *line,
            Layout::Dotted(d) => d.line,
        }
    }

    /// The elements, tail and line, to build another list from.
    pub fn into_parts(self) -> (Vec<Syntax>, Option<Syntax>, u32) {
        let line = self.line();
        match self.0 {
            Layout::Empty(_) => (Vec::new(), None, line),
            Layout::One(_, a) => (Vec::from(*a), None, line),
            Layout::Two(_, a) => (Vec::from(*a), None, line),
            Layout::Three(_, a) => (Vec::from(*a), None, line),
            Layout::More(_, v) => (v.into_iter().collect(), None, line),
            Layout::Dotted(d) => (d.items.into_vec(), Some(d.tail), line),
        }
    }
}

impl Syntax {
    /// The symbol, if this is one.
    pub fn as_symbol(&self) -> Option<Symbol> {
        match self {
            Syntax::Symbol(s) => Some(*s),
            _ => None,
        }
    }

    /// The proper list, if this is one.
    pub fn as_list(&self) -> Option<&List> {
        match self {
            Syntax::List(l) if l.tail().is_none() => Some(l),
            _ => None,
        }
    }

    /// A string datum.
    pub fn string(text: impl Into<ArcStr>) -> Syntax {
        Syntax::Str(text.into())
    }

    /// A number, character or boolean datum.
    pub fn atom(value: lexpr::Value) -> Syntax {
        match value {
            lexpr::Value::String(s) => Syntax::string(s),
            v => Syntax::Atom(Box::new(v)),
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Syntax::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The line this datum opens on (0 for atoms, which carry none).
    pub fn line(&self) -> u32 {
        match self {
            Syntax::List(l) => l.line(),
            Syntax::Vector(l) => l.line(),
            _ => 0,
        }
    }

    /// The same datum as a plain lexpr value (positions dropped).
    pub fn to_value(&self) -> lexpr::Value {
        match self {
            Syntax::Symbol(s) => lexpr::Value::symbol(s.as_str()),
            Syntax::Keyword(s) => lexpr::Value::keyword(s.as_str()),
            Syntax::Str(s) => lexpr::Value::string(&**s),
            Syntax::Atom(v) => (**v).clone(),
            Syntax::List(l) => {
                let tail = l.tail().map_or(lexpr::Value::Null, Syntax::to_value);
                lexpr::Value::append(l.items().iter().map(Syntax::to_value), tail)
            }
            Syntax::Vector(l) => {
                lexpr::Value::vector(l.items().iter().map(Syntax::to_value).collect::<Vec<_>>())
            }
        }
    }
}

/// The forms of `text`, a module read from `file` (used in errors).
pub fn read_forms(text: &str, file: &str) -> Result<Vec<Syntax>, GuixError> {
    Reader {
        text,
        bytes: text.as_bytes(),
        pos: 0,
        line: 1,
        file,
        symbols: LocalSymbols::default(),
        strings: HashSet::new(),
    }
    .read_all()
}

enum Frame {
    List {
        items: Vec<Syntax>,
        tail: Option<Syntax>,
        dotted: bool,
        close: u8,
        vector: bool,
        line: u32,
    },
    Prefix(Symbol, u32),
    DatumComment,
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    pos: usize,
    line: u32,
    file: &'t str,
    symbols: LocalSymbols<'t>,
    /// The strings read so far: an equal string later in the module shares
    /// the first one's text (of a Guix tree's 270,000 string literals, about
    /// 120,000 repeat one, such as output names and file suffixes).
    strings: HashSet<ArcStr>,
}

fn is_delimiter(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, b'(' | b')' | b'[' | b']' | b'"' | b';')
}

impl<'t> Reader<'t> {
    fn error(&self, line: u32, message: impl Into<String>) -> GuixError {
        GuixError::new(self.file, line, message)
    }

    fn peek(&self, ahead: usize) -> Option<u8> {
        self.bytes.get(self.pos + ahead).copied()
    }

    fn read_all(mut self) -> Result<Vec<Syntax>, GuixError> {
        let mut out = Vec::new();
        let mut stack: Vec<Frame> = Vec::new();
        loop {
            self.skip_atmosphere()?;
            let Some(b) = self.peek(0) else {
                return match stack.iter().rev().find_map(|f| match f {
                    Frame::List { line, .. } => Some(*line),
                    _ => None,
                }) {
                    Some(line) => {
                        Err(self.error(line, "unbalanced parentheses: list never closed"))
                    }
                    None if !stack.is_empty() => {
                        Err(self.error(self.line, "end of file after a prefix, datum expected"))
                    }
                    None => Ok(out),
                };
            };
            let line = self.line;
            let datum = match b {
                b'(' | b'[' => {
                    self.pos += 1;
                    self.push(&mut stack, Self::open(b, false, line))?;
                    continue;
                }
                b')' | b']' => {
                    self.pos += 1;
                    match stack.pop() {
                        Some(Frame::List {
                            items,
                            tail,
                            dotted,
                            close,
                            vector,
                            line: open_line,
                        }) => {
                            if close != b {
                                return Err(self.error(
                                    line,
                                    format!(
                                        "'{}' closes the list opened with '{}' on line {open_line}",
                                        b as char,
                                        if close == b')' { '(' } else { '[' }
                                    ),
                                ));
                            }
                            if dotted && tail.is_none() {
                                return Err(self.error(line, "nothing after '.' in a dotted list"));
                            }
                            if items.is_empty() {
                                if let Some(tail) = tail {
                                    self.complete(&mut stack, &mut out, tail)?;
                                    continue;
                                }
                            }
                            let list = List::new(items, tail, open_line);
                            if vector {
                                Syntax::Vector(Box::new(list))
                            } else {
                                Syntax::List(list)
                            }
                        }
                        _ => return Err(self.error(line, "unbalanced parentheses: unexpected ')'")),
                    }
                }
                b'\'' | b'`' | b',' => {
                    self.pos += 1;
                    let name = match b {
                        b'\'' => "quote",
                        b'`' => "quasiquote",
                        _ if self.peek(0) == Some(b'@') => {
                            self.pos += 1;
                            "unquote-splicing"
                        }
                        _ => "unquote",
                    };
                    self.push(&mut stack, Frame::Prefix(Symbol::intern(name), line))?;
                    continue;
                }
                b'"' => {
                    let text = self.string()?;
                    Syntax::string(self.share(text))
                }
                b'#' => match self.hash(line)? {
                    Hashed::Datum(d) => d,
                    Hashed::Frame(f) => {
                        self.push(&mut stack, f)?;
                        continue;
                    }
                },
                _ => {
                    let token = self.token();
                    if token == "." {
                        match stack.last_mut() {
                            Some(Frame::List {
                                items,
                                dotted,
                                vector: false,
                                ..
                            }) if !*dotted => {
                                // Guile reads `(. x)` as `x`.
                                *dotted = true;
                                continue;
                            }
                            _ => return Err(self.error(line, "misplaced '.'")),
                        }
                    }
                    self.atom(token)
                }
            };
            self.complete(&mut stack, &mut out, datum)?;
        }
    }

    fn open(b: u8, vector: bool, line: u32) -> Frame {
        Frame::List {
            items: Vec::new(),
            tail: None,
            dotted: false,
            close: if b == b'[' { b']' } else { b')' },
            vector,
            line,
        }
    }

    fn push(&self, stack: &mut Vec<Frame>, frame: Frame) -> Result<(), GuixError> {
        if stack.len() >= MAX_DEPTH {
            return Err(self.error(self.line, format!("nesting deeper than {MAX_DEPTH} levels")));
        }
        stack.push(frame);
        Ok(())
    }

    /// Hands a finished datum to the frame below it (or the output).
    fn complete(
        &self,
        stack: &mut Vec<Frame>,
        out: &mut Vec<Syntax>,
        mut datum: Syntax,
    ) -> Result<(), GuixError> {
        loop {
            match stack.last_mut() {
                None => {
                    out.push(datum);
                    return Ok(());
                }
                Some(Frame::Prefix(sym, line)) => {
                    let (sym, line) = (*sym, *line);
                    stack.pop();
                    datum = Syntax::List(List::new(vec![Syntax::Symbol(sym), datum], None, line));
                }
                Some(Frame::DatumComment) => {
                    stack.pop();
                    return Ok(());
                }
                Some(Frame::List {
                    items,
                    tail,
                    dotted,
                    ..
                }) => {
                    if *dotted {
                        if tail.is_some() {
                            return Err(self.error(self.line, "more than one datum after '.'"));
                        }
                        *tail = Some(datum);
                    } else {
                        items.push(datum);
                    }
                    return Ok(());
                }
            }
        }
    }

    /// Skips whitespace, line comments and block comments.
    fn skip_atmosphere(&mut self) -> Result<(), GuixError> {
        while let Some(b) = self.peek(0) {
            match b {
                b'\n' => {
                    self.line += 1;
                    self.pos += 1;
                }
                b if b.is_ascii_whitespace() => self.pos += 1,
                b';' => {
                    while let Some(b) = self.peek(0) {
                        if b == b'\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                b'#' if self.peek(1) == Some(b'|') => self.block_comment(b'|')?,
                b'#' if self.peek(1) == Some(b'!') => self.block_comment(b'!')?,
                _ => break,
            }
        }
        Ok(())
    }

    /// `#|...|#` (nesting) or `#!...!#`.
    fn block_comment(&mut self, mark: u8) -> Result<(), GuixError> {
        let start = self.line;
        self.pos += 2;
        let mut depth = 1usize;
        while depth > 0 {
            match self.peek(0) {
                None => return Err(self.error(start, "block comment never closed")),
                Some(b'\n') => self.line += 1,
                Some(b) if b == mark && self.peek(1) == Some(b'#') => {
                    depth -= 1;
                    self.pos += 1;
                }
                Some(b'#') if mark == b'|' && self.peek(1) == Some(b'|') => {
                    depth += 1;
                    self.pos += 1;
                }
                _ => {}
            }
            self.pos += 1;
        }
        Ok(())
    }

    /// The characters up to the next delimiter.
    fn token(&mut self) -> &'t str {
        let start = self.pos;
        while let Some(b) = self.peek(0) {
            if is_delimiter(b) {
                break;
            }
            self.pos += 1;
        }
        &self.text[start..self.pos]
    }

    fn atom(&mut self, token: &'t str) -> Syntax {
        match parse_number(token) {
            Some(n) => Syntax::atom(lexpr::Value::Number(n)),
            None => Syntax::Symbol(self.symbols.get(token)),
        }
    }

    /// `text`, or the equal string read before it in this module.
    fn share(&mut self, text: String) -> ArcStr {
        if let Some(seen) = self.strings.get(text.as_str()) {
            return seen.clone();
        }
        let text = ArcStr::from(text);
        self.strings.insert(text.clone());
        text
    }

    fn string(&mut self) -> Result<String, GuixError> {
        let start = self.line;
        self.pos += 1;
        let mut s = String::new();
        loop {
            let rest = &self.text[self.pos..];
            let Some(c) = rest.chars().next() else {
                return Err(self.error(start, "string never closed"));
            };
            self.pos += c.len_utf8();
            match c {
                '"' => return Ok(s),
                '\n' => {
                    self.line += 1;
                    s.push('\n');
                }
                '\\' => {
                    let Some(e) = self.text[self.pos..].chars().next() else {
                        return Err(self.error(start, "string never closed"));
                    };
                    self.pos += e.len_utf8();
                    match e {
                        'n' => s.push('\n'),
                        't' => s.push('\t'),
                        'r' => s.push('\r'),
                        'a' => s.push('\u{7}'),
                        'b' => s.push('\u{8}'),
                        'f' => s.push('\u{c}'),
                        'v' => s.push('\u{b}'),
                        '0' => s.push('\0'),
                        'x' | 'u' | 'U' => {
                            let max = match e {
                                'x' => 2,
                                'u' => 4,
                                _ => 6,
                            };
                            let digits: String = self.text[self.pos..]
                                .chars()
                                .take_while(char::is_ascii_hexdigit)
                                .collect();
                            // R7RS `\x41;` takes any number of digits and a `;`.
                            let r7rs = self.text[self.pos + digits.len()..].starts_with(';');
                            let take = if r7rs {
                                digits.len()
                            } else {
                                digits.len().min(max)
                            };
                            let code = u32::from_str_radix(&digits[..take], 16)
                                .ok()
                                .and_then(char::from_u32)
                                .ok_or_else(|| {
                                    self.error(self.line, format!("bad escape '\\{e}' in string"))
                                })?;
                            s.push(code);
                            self.pos += take + usize::from(r7rs);
                        }
                        '\n' => {
                            // Line continuation: the newline and the next
                            // line's leading blanks are dropped.
                            self.line += 1;
                            while matches!(self.peek(0), Some(b' ' | b'\t')) {
                                self.pos += 1;
                            }
                        }
                        other => s.push(other),
                    }
                }
                c => s.push(c),
            }
        }
    }

    /// Everything that starts with `#`.
    fn hash(&mut self, line: u32) -> Result<Hashed, GuixError> {
        let prefix = |s: &str| Ok(Hashed::Frame(Frame::Prefix(Symbol::intern(s), line)));
        let next = self.peek(1);
        let after = self.peek(2);
        self.pos += 2;
        match next {
            Some(b'(') => Ok(Hashed::Frame(Self::open(b'(', true, line))),
            Some(b';') => Ok(Hashed::Frame(Frame::DatumComment)),
            Some(b'~') => prefix("gexp"),
            Some(b'$') if after == Some(b'@') => {
                self.pos += 1;
                prefix("ungexp-splicing")
            }
            Some(b'$') => prefix("ungexp"),
            Some(b'+') if after == Some(b'@') => {
                self.pos += 1;
                prefix("ungexp-native-splicing")
            }
            Some(b'+') => prefix("ungexp-native"),
            Some(b'\'') => prefix("syntax"),
            Some(b'`') => prefix("quasisyntax"),
            Some(b',') if after == Some(b'@') => {
                self.pos += 1;
                prefix("unsyntax-splicing")
            }
            Some(b',') => prefix("unsyntax"),
            Some(b':') => {
                let name = self.token();
                Ok(Hashed::Datum(Syntax::Keyword(self.symbols.get(name))))
            }
            Some(b'{') => {
                let start = self.pos;
                let Some(len) = self.text[start..].find("}#") else {
                    return Err(self.error(line, "'#{' symbol never closed"));
                };
                let name = &self.text[start..start + len];
                self.line += name.matches('\n').count() as u32;
                self.pos = start + len + 2;
                Ok(Hashed::Datum(Syntax::Symbol(self.symbols.get(name))))
            }
            Some(b'\\') => {
                let start = self.pos;
                let Some(first) = self.text[start..].chars().next() else {
                    return Err(self.error(line, "end of file in a character"));
                };
                self.pos += first.len_utf8();
                let name = &self.text[start..start + first.len_utf8() + self.token().len()];
                let c = char_named(name).ok_or_else(|| {
                    self.error(line, format!("unknown character name '#\\{name}'"))
                })?;
                if c == '\n' {
                    self.line += u32::from(name == "\n");
                }
                Ok(Hashed::Datum(Syntax::atom(lexpr::Value::Char(c))))
            }
            Some(b) if b.is_ascii_alphanumeric() => {
                self.pos -= 1;
                let token = self.token();
                let value = match token {
                    "t" | "true" => lexpr::Value::Bool(true),
                    "f" | "false" => lexpr::Value::Bool(false),
                    "vu8" if self.peek(0) == Some(b'(') => {
                        self.pos += 1;
                        return Ok(Hashed::Frame(Self::open(b'(', true, line)));
                    }
                    _ => {
                        let radix = match token.as_bytes()[0].to_ascii_lowercase() {
                            b'x' => 16,
                            b'b' => 2,
                            b'o' => 8,
                            b'd' | b'e' | b'i' => 10,
                            _ => 0,
                        };
                        match (radix, i64::from_str_radix(&token[1..], radix.max(2))) {
                            (10, _) if parse_number(&token[1..]).is_some() => {
                                lexpr::Value::Number(parse_number(&token[1..]).expect("checked"))
                            }
                            (r, Ok(n)) if r > 0 => lexpr::Value::from(n),
                            _ => {
                                return Err(
                                    self.error(line, format!("unknown reader syntax '#{token}'"))
                                )
                            }
                        }
                    }
                };
                Ok(Hashed::Datum(Syntax::atom(value)))
            }
            Some(b) => Err(self.error(line, format!("unknown reader syntax '#{}'", b as char))),
            None => Err(self.error(line, "end of file after '#'")),
        }
    }
}

enum Hashed {
    Datum(Syntax),
    Frame(Frame),
}

/// A number token: an integer, a decimal or a ratio.
fn parse_number(token: &str) -> Option<lexpr::Number> {
    let b = token.as_bytes();
    let digit_at = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    let starts = digit_at(0)
        || (matches!(b.first(), Some(b'+' | b'-' | b'.'))
            && (digit_at(1) || (b[1..].first() == Some(&b'.') && digit_at(2))));
    if !starts {
        return None;
    }
    if let Ok(n) = token.parse::<i64>() {
        return Some(n.into());
    }
    if let Ok(n) = token.parse::<u64>() {
        return Some(n.into());
    }
    if let Some((num, den)) = token.split_once('/') {
        let (num, den) = (num.parse::<i64>().ok()?, den.parse::<i64>().ok()?);
        return (den != 0).then(|| lexpr::Number::from(num as f64 / den as f64));
    }
    if token
        .bytes()
        .all(|c| c.is_ascii_digit() || matches!(c, b'.' | b'e' | b'E' | b'+' | b'-'))
    {
        return token.parse::<f64>().ok().map(lexpr::Number::from);
    }
    None
}

fn char_named(name: &str) -> Option<char> {
    let mut chars = name.chars();
    let first = chars.next()?;
    if chars.next().is_none() {
        return Some(first);
    }
    Some(match name {
        "space" => ' ',
        "newline" | "linefeed" | "nl" => '\n',
        "tab" => '\t',
        "nul" | "null" => '\0',
        "return" => '\r',
        "alarm" => '\u{7}',
        "backspace" => '\u{8}',
        "delete" | "del" | "rubout" => '\u{7f}',
        "escape" | "esc" | "altmode" => '\u{1b}',
        "page" => '\u{c}',
        "vtab" => '\u{b}',
        _ if name.starts_with('x') => char::from_u32(u32::from_str_radix(&name[1..], 16).ok()?)?,
        _ if name.bytes().all(|b| (b'0'..=b'7').contains(&b)) => {
            char::from_u32(u32::from_str_radix(name, 8).ok()?)?
        }
        _ => return None,
    })
}
