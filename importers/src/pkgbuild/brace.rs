//! Brace expansion (`{a,b}`, `{1..3}`, `{a..e..2}`, `{01..10}`) on the raw
//! text of a word, before any other expansion, as bash does it. Quoted text
//! and `${...}` are left alone; the number of words made is bounded.

/// At most this many words from one word.
const MAX_WORDS: usize = 4096;

/// Too many words from one brace expansion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TooManyWords;

/// Expands every brace expression of `word`.
pub(crate) fn expand(word: &str) -> Result<Vec<String>, TooManyWords> {
    let mut out = Vec::new();
    expand_into(word, &mut out, 0)?;
    Ok(out)
}

fn expand_into(word: &str, out: &mut Vec<String>, depth: u32) -> Result<(), TooManyWords> {
    if depth > 32 {
        return Err(TooManyWords);
    }
    let Some((open, close, parts)) = find_brace(word) else {
        if out.len() >= MAX_WORDS {
            return Err(TooManyWords);
        }
        out.push(word.to_owned());
        return Ok(());
    };
    let pre = &word[..open];
    let post = &word[close + 1..];
    for part in parts {
        expand_into(&format!("{pre}{part}{post}"), out, depth + 1)?;
    }
    Ok(())
}

/// Finds the first expandable brace expression: its `{` and `}` byte offsets
/// and the alternatives it stands for.
fn find_brace(word: &str) -> Option<(usize, usize, Vec<String>)> {
    let b = word.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 2,
            b'\'' => i = skip_single(b, i + 1),
            b'"' => i = skip_double(b, i + 1),
            b'$' if matches!(b.get(i + 1), Some(b'{') | Some(b'(')) => {
                i = skip_group(b, i + 1);
            }
            b'{' => {
                if let Some((close, parts)) = alternatives(word, i) {
                    return Some((i, close, parts));
                }
                i += 1;
            }
            _ => i += 1,
        }
    }
    None
}

fn skip_single(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'\'' {
        i += 1;
    }
    i + 1
}

fn skip_double(b: &[u8], mut i: usize) -> usize {
    while i < b.len() && b[i] != b'"' {
        if b[i] == b'\\' {
            i += 1;
        }
        i += 1;
    }
    i + 1
}

/// Skips a bracketed group starting at `b[i]` (`{` or `(`), nesting-aware.
fn skip_group(b: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\'' => {
                i = skip_single(b, i + 1);
                continue;
            }
            b'"' => {
                i = skip_double(b, i + 1);
                continue;
            }
            b'{' | b'(' => depth += 1,
            b'}' | b')' => {
                depth = depth.saturating_sub(1);
                if depth == 0 {
                    return i + 1;
                }
            }
            _ => {}
        }
        i += 1;
    }
    b.len()
}

/// The alternatives of the brace expression opening at `open`, if it is one
/// (a comma at its top level, or a sequence).
fn alternatives(word: &str, open: usize) -> Option<(usize, Vec<String>)> {
    let b = word.as_bytes();
    let mut depth = 0usize;
    let mut commas = Vec::new();
    let mut i = open + 1;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'\'' => {
                i = skip_single(b, i + 1);
                continue;
            }
            b'"' => {
                i = skip_double(b, i + 1);
                continue;
            }
            b'$' if matches!(b.get(i + 1), Some(b'{') | Some(b'(')) => {
                i = skip_group(b, i + 1);
                continue;
            }
            b'{' => depth += 1,
            b',' if depth == 0 => commas.push(i),
            b'}' if depth == 0 => {
                let inner = &word[open + 1..i];
                if commas.is_empty() {
                    return sequence(inner).map(|s| (i, s));
                }
                let mut parts = Vec::new();
                let mut start = open + 1;
                for c in commas.iter().copied().chain([i]) {
                    parts.push(word[start..c].to_owned());
                    start = c + 1;
                }
                return Some((i, parts));
            }
            b'}' => depth -= 1,
            _ => {}
        }
        i += 1;
    }
    None
}

/// `a..b[..step]` over integers or single letters.
fn sequence(inner: &str) -> Option<Vec<String>> {
    let fields: Vec<&str> = inner.split("..").collect();
    if !(2..=3).contains(&fields.len()) {
        return None;
    }
    let step: i64 = match fields.get(2) {
        Some(s) => s.parse::<i64>().ok()?.checked_abs()?.max(1),
        None => 1,
    };
    let (a, b) = (fields[0], fields[1]);
    if let (Ok(x), Ok(y)) = (a.parse::<i64>(), b.parse::<i64>()) {
        let width = if has_zero_pad(a) || has_zero_pad(b) {
            a.len().max(b.len())
        } else {
            0
        };
        let count = (x - y).unsigned_abs() / step as u64 + 1;
        if count as usize > MAX_WORDS {
            return None;
        }
        let dir = if y >= x { step } else { -step };
        return Some(
            (0..count as i64)
                .map(|k| {
                    let v = x + k * dir;
                    if width > 0 {
                        let s = format!("{:0w$}", v.abs(), w = width - usize::from(v < 0));
                        if v < 0 {
                            format!("-{s}")
                        } else {
                            s
                        }
                    } else {
                        v.to_string()
                    }
                })
                .collect(),
        );
    }
    let (mut ca, mut cb) = (a.chars(), b.chars());
    let (x, y) = (ca.next()?, cb.next()?);
    if ca.next().is_some() || cb.next().is_some() || !x.is_ascii_alphabetic() {
        return None;
    }
    if !y.is_ascii_alphabetic() {
        return None;
    }
    let (x, y) = (x as i64, y as i64);
    let dir = if y >= x { step } else { -step };
    let count = (x - y).abs() / step + 1;
    Some(
        (0..count)
            .filter_map(|k| char::from_u32((x + k * dir) as u32).map(String::from))
            .collect(),
    )
}

fn has_zero_pad(s: &str) -> bool {
    let digits = s.trim_start_matches('-');
    digits.len() > 1 && digits.starts_with('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn brace_expansion_cases() {
        let cases: [(&str, &[&str]); 9] = [
            ("a{b,c}d", &["abd", "acd"]),
            ("{1..3}", &["1", "2", "3"]),
            ("{3..1}", &["3", "2", "1"]),
            ("{01..03}", &["01", "02", "03"]),
            ("{a..c}", &["a", "b", "c"]),
            ("{1..7..3}", &["1", "4", "7"]),
            ("x{a,b{1,2}}", &["xa", "xb1", "xb2"]),
            ("'{a,b}'", &["'{a,b}'"]),
            ("${x}{,.sig}", &["${x}", "${x}.sig"]),
        ];
        for (word, want) in cases {
            assert_eq!(expand(word).unwrap(), want, "{word}");
        }
        assert_eq!(expand("{a}").unwrap(), ["{a}"]);
        assert!(expand("{1..100000}").is_ok());
    }
}
