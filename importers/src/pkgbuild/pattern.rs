//! Shell glob patterns as used by `case`, `[[ == ]]` and the pattern
//! operators of parameter expansion (`#`, `%`, `/` ...): `*`, `?`, bracket
//! expressions with ranges and POSIX classes, and backslash escapes.
//! Extended globs (`+(..)`, `@(..)` ...) are refused rather than guessed.

/// One element of a compiled pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Literal(char),
    AnyChar,
    AnyString,
    Bracket { negated: bool, items: Vec<Item> },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Item {
    Char(char),
    Range(char, char),
    Class(String),
}

/// A compiled glob pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Pattern {
    tokens: Vec<Token>,
}

/// A pattern that uses syntax outside what is supported.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct UnsupportedPattern;

impl Pattern {
    /// Compiles `text`, where a backslash makes the next character literal.
    pub fn new(text: &str) -> Result<Self, UnsupportedPattern> {
        let chars: Vec<char> = text.chars().collect();
        let mut tokens = Vec::new();
        let mut i = 0;
        while i < chars.len() {
            let c = chars[i];
            if matches!(c, '+' | '@' | '!' | '*' | '?') && chars.get(i + 1) == Some(&'(') {
                return Err(UnsupportedPattern);
            }
            match c {
                '\\' if i + 1 < chars.len() => {
                    tokens.push(Token::Literal(chars[i + 1]));
                    i += 2;
                    continue;
                }
                '*' => {
                    if tokens.last() != Some(&Token::AnyString) {
                        tokens.push(Token::AnyString);
                    }
                }
                '?' => tokens.push(Token::AnyChar),
                '[' => match parse_bracket(&chars, i) {
                    Some((tok, next)) => {
                        tokens.push(tok);
                        i = next;
                        continue;
                    }
                    None => tokens.push(Token::Literal('[')),
                },
                _ => tokens.push(Token::Literal(c)),
            }
            i += 1;
        }
        Ok(Self { tokens })
    }

    /// Whether the pattern matches the whole of `text`.
    pub fn matches(&self, text: &[char]) -> bool {
        // Greedy matching with one backtrack point for the last `*`, which is
        // exact for patterns without extended globs and runs in O(n*m).
        let (mut t, mut p) = (0usize, 0usize);
        let mut star: Option<(usize, usize)> = None;
        while t < text.len() {
            if p < self.tokens.len() {
                match &self.tokens[p] {
                    Token::AnyString => {
                        star = Some((p, t));
                        p += 1;
                        continue;
                    }
                    tok if single_matches(tok, text[t]) => {
                        p += 1;
                        t += 1;
                        continue;
                    }
                    _ => {}
                }
            }
            match star {
                Some((sp, st)) => {
                    p = sp + 1;
                    t = st + 1;
                    star = Some((sp, st + 1));
                }
                None => return false,
            }
        }
        self.tokens[p..].iter().all(|t| *t == Token::AnyString)
    }

    /// Whether the pattern is empty.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }
}

fn single_matches(tok: &Token, c: char) -> bool {
    match tok {
        Token::Literal(l) => *l == c,
        Token::AnyChar => true,
        Token::AnyString => false,
        Token::Bracket { negated, items } => {
            let hit = items.iter().any(|it| match it {
                Item::Char(x) => *x == c,
                Item::Range(a, b) => *a <= c && c <= *b,
                Item::Class(name) => class_matches(name, c),
            });
            hit != *negated
        }
    }
}

fn class_matches(name: &str, c: char) -> bool {
    match name {
        "alpha" => c.is_ascii_alphabetic(),
        "digit" => c.is_ascii_digit(),
        "alnum" => c.is_ascii_alphanumeric(),
        "upper" => c.is_ascii_uppercase(),
        "lower" => c.is_ascii_lowercase(),
        "space" => c.is_whitespace(),
        "blank" => c == ' ' || c == '\t',
        "punct" => c.is_ascii_punctuation(),
        "xdigit" => c.is_ascii_hexdigit(),
        "cntrl" => c.is_ascii_control(),
        "print" => !c.is_control(),
        "graph" => !c.is_control() && c != ' ',
        "word" => c.is_alphanumeric() || c == '_',
        _ => false,
    }
}

/// Parses a bracket expression starting at `chars[start] == '['`; returns the
/// token and the index after `]`, or `None` when it is not closed.
fn parse_bracket(chars: &[char], start: usize) -> Option<(Token, usize)> {
    let mut i = start + 1;
    let negated = matches!(chars.get(i), Some('!') | Some('^'));
    if negated {
        i += 1;
    }
    let mut items = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Token::Bracket { negated, items }, i + 1));
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            let rest: String = chars[i + 2..].iter().collect();
            let end = rest.find(":]")?;
            items.push(Item::Class(rest[..end].to_owned()));
            i += 2 + rest[..end].chars().count() + 2;
            continue;
        }
        let c = if c == '\\' {
            i += 1;
            *chars.get(i)?
        } else {
            c
        };
        if chars.get(i + 1) == Some(&'-') && chars.get(i + 2).is_some_and(|n| *n != ']') {
            let hi = *chars.get(i + 2)?;
            items.push(Item::Range(c, hi));
            i += 3;
        } else {
            items.push(Item::Char(c));
            i += 1;
        }
    }
}

/// Removes the shortest (`longest == false`) or longest prefix of `text`
/// that `pat` matches (`${v#p}`, `${v##p}`).
pub(crate) fn remove_prefix(text: &str, pat: &Pattern, longest: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut lens: Box<dyn Iterator<Item = usize>> = if longest {
        Box::new((0..=chars.len()).rev())
    } else {
        Box::new(0..=chars.len())
    };
    match lens.find(|&n| pat.matches(&chars[..n])) {
        Some(n) => chars[n..].iter().collect(),
        None => text.to_owned(),
    }
}

/// Removes the shortest or longest suffix of `text` that `pat` matches
/// (`${v%p}`, `${v%%p}`).
pub(crate) fn remove_suffix(text: &str, pat: &Pattern, longest: bool) -> String {
    let chars: Vec<char> = text.chars().collect();
    let mut starts: Box<dyn Iterator<Item = usize>> = if longest {
        Box::new(0..=chars.len())
    } else {
        Box::new((0..=chars.len()).rev())
    };
    match starts.find(|&s| pat.matches(&chars[s..])) {
        Some(s) => chars[..s].iter().collect(),
        None => text.to_owned(),
    }
}

/// Where a replacement pattern is anchored (`${v/p/r}`, `/#`, `/%`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Anchor {
    /// Anywhere, first match only.
    First,
    /// Anywhere, every match.
    All,
    /// At the start.
    Start,
    /// At the end.
    End,
}

/// Replaces matches of `pat` in `text` by `with`, longest match at each place.
pub(crate) fn replace(text: &str, pat: &Pattern, with: &str, anchor: Anchor) -> String {
    let chars: Vec<char> = text.chars().collect();
    let n = chars.len();
    match anchor {
        Anchor::Start => {
            if let Some(len) = (0..=n).rev().find(|&l| pat.matches(&chars[..l])) {
                return format!("{with}{}", chars[len..].iter().collect::<String>());
            }
            text.to_owned()
        }
        Anchor::End => {
            if let Some(s) = (0..=n).find(|&s| pat.matches(&chars[s..])) {
                return format!("{}{with}", chars[..s].iter().collect::<String>());
            }
            text.to_owned()
        }
        Anchor::First | Anchor::All => {
            if pat.is_empty() {
                return text.to_owned();
            }
            let mut out = String::new();
            let mut i = 0;
            let mut replaced = false;
            while i < n {
                if !(replaced && anchor == Anchor::First) {
                    if let Some(len) = (1..=n - i).rev().find(|&l| pat.matches(&chars[i..i + l])) {
                        out.push_str(with);
                        i += len;
                        replaced = true;
                        continue;
                    }
                }
                out.push(chars[i]);
                i += 1;
            }
            out
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(p: &str, t: &str) -> bool {
        Pattern::new(p)
            .unwrap()
            .matches(&t.chars().collect::<Vec<_>>())
    }

    #[test]
    fn glob_matching_cases() {
        let cases = [
            ("*", "", true),
            ("a*c", "abbbc", true),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[a-c]x", "bx", true),
            ("[!a-c]x", "bx", false),
            ("[[:digit:]]*", "1abc", true),
            ("x86_64|i686", "x86_64", false),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("*.tar.*", "foo.tar.gz", true),
        ];
        for (p, t, want) in cases {
            assert_eq!(m(p, t), want, "{p} vs {t}");
        }
        assert!(Pattern::new("+(a)").is_err());
    }

    #[test]
    fn prefix_suffix_and_replace() {
        let p = Pattern::new("*.").unwrap();
        assert_eq!(remove_prefix("a.b.c", &p, false), "b.c");
        assert_eq!(remove_prefix("a.b.c", &p, true), "c");
        let p = Pattern::new(".*").unwrap();
        assert_eq!(remove_suffix("a.b.c", &p, false), "a.b");
        assert_eq!(remove_suffix("a.b.c", &p, true), "a");
        let p = Pattern::new(".").unwrap();
        assert_eq!(replace("1.2.3", &p, "_", Anchor::All), "1_2_3");
        assert_eq!(replace("1.2.3", &p, "_", Anchor::First), "1_2.3");
        let p = Pattern::new("").unwrap();
        assert_eq!(replace("ab", &p, "x-", Anchor::Start), "x-ab");
        assert_eq!(replace("ab", &p, ".sig", Anchor::End), "ab.sig");
    }
}
