//! Guile's regular expressions (`make-regexp`, `regexp-exec`,
//! `string-match`, `match:substring` ...) for the few package definitions
//! that test a system triplet or a version with one. Patterns are POSIX
//! extended regular expressions; they are compiled with the `regex` crate,
//! whose syntax agrees with them for what package code writes (anchors,
//! bracket expressions, `[[:alpha:]]` classes, groups, repetition), except
//! that its classes are ASCII only and that of several alternatives it
//! takes the first that matches, not the longest. A pattern it does not
//! accept is an error, never a guess. Positions are in characters, as in
//! Guile.

use regex::Regex;

/// Largest compiled pattern accepted, in bytes of the `regex` crate's
/// program: package code's patterns are short.
const SIZE_LIMIT: usize = 1 << 20;

/// A match: the string matched against and each group's span in
/// characters (`None` for a group that did not take part).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Match {
    /// The groups: 0 is the whole match.
    pub groups: Vec<Option<(usize, usize)>>,
}

/// Compiles `pattern` (POSIX extended syntax).
pub fn compile(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(pattern)
        .size_limit(SIZE_LIMIT)
        .build()
        .map_err(|e| format!("regular expression {pattern:?}: {e}"))
}

/// The first match of `re` in `text` at or after character `start`.
pub fn exec(re: &Regex, text: &str, start: usize) -> Option<Match> {
    let byte_start = text
        .char_indices()
        .nth(start)
        .map_or(text.len(), |(b, _)| b);
    if start > text.chars().count() {
        return None;
    }
    let caps = re.captures_at(text, byte_start)?;
    let chars = |b: usize| text[..b].chars().count();
    Some(Match {
        groups: (0..caps.len())
            .map(|i| caps.get(i).map(|m| (chars(m.start()), chars(m.end()))))
            .collect(),
    })
}

/// The text of group `n` of a match of `text`, if it took part.
pub fn substring(text: &str, m: &Match, n: usize) -> Option<String> {
    let (s, e) = (*m.groups.get(n)?)?;
    Some(text.chars().skip(s).take(e - s).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_as_guile_with_positions_in_characters() {
        let re = compile("^i[3456]86-(.*)$").unwrap();
        let m = exec(&re, "i686-linux", 0).unwrap();
        assert_eq!(m.groups, vec![Some((0, 10)), Some((5, 10))]);
        assert_eq!(substring("i686-linux", &m, 1).as_deref(), Some("linux"));
        assert!(exec(&re, "x86_64-linux", 0).is_none());

        let re = compile("([[:alpha:]]+)-([0-9]+)?").unwrap();
        let m = exec(&re, "ü ab-12", 0).unwrap();
        assert_eq!(m.groups, vec![Some((2, 7)), Some((2, 4)), Some((5, 7))]);
        let m = exec(&re, "ü ab-", 0).unwrap();
        assert_eq!(m.groups, vec![Some((2, 5)), Some((2, 4)), None]);
        assert_eq!(substring("ü ab-", &m, 2), None);
        // From a start position, in characters.
        let m = exec(&re, "ü ab-cd-", 3).unwrap();
        assert_eq!(substring("ü ab-cd-", &m, 1).as_deref(), Some("b"));
        assert!(exec(&re, "ü ab-", 9).is_none());
    }

    #[test]
    fn a_pattern_it_cannot_read_is_an_error() {
        assert!(compile("a(b").unwrap_err().contains("a(b"));
        assert!(compile("(a{1000}){1000}").is_err());
    }
}
