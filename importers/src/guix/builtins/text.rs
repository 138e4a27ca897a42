//! Built-ins on strings, characters and regular expressions: trimming and
//! filtering by a character or predicate, `format`, and the match records
//! of `string-match` / `regexp-exec`, version strings.

use super::*;

/// `string-match` and `regexp-exec`: a `regexp-match` record holding the
/// string and each group's (start . end), or `#f`.
pub(super) fn regexp_match<'a>(
    pattern: &Value<'a>,
    text: &Value<'a>,
    start: Option<&Value<'a>>,
    what: &str,
) -> EvalResult<'a> {
    let re = regexp::compile(want_str(pattern, what)?).map_err(|e| EvalError {
        module: 0,
        line: 0,
        message: format!("{what}: {e}"),
    })?;
    let s = want_str(text, what)?;
    let start = match start {
        Some(v) => usize::try_from(want_int(v, what)?).unwrap_or(0),
        None => 0,
    };
    let Some(m) = regexp::exec(&re, s, start) else {
        return Ok(Value::Bool(false));
    };
    let groups = m
        .groups
        .iter()
        .map(|g| match g {
            Some((s, e)) => cons(Value::Int(*s as i64), Value::Int(*e as i64)),
            None => Value::Bool(false),
        })
        .collect();
    Ok(Value::Record(Rc::new(Record {
        kind: Symbol::intern("regexp-match"),
        fields: vec![
            (Symbol::intern("string"), text.clone()),
            (Symbol::intern("groups"), Value::list(groups)),
        ],
    })))
}

/// The string and the match of a `regexp-match` record.
pub(super) fn want_match<'v>(
    v: &'v Value<'_>,
    what: &str,
) -> Result<(&'v str, regexp::Match), EvalError> {
    let bad = || EvalError {
        module: 0,
        line: 0,
        message: format!("{what}: expected a match, got {v:?}"),
    };
    let r = v.as_record("regexp-match").ok_or_else(bad)?;
    let text = r.get("string").and_then(Value::as_str).ok_or_else(bad)?;
    let groups = r
        .get("groups")
        .and_then(Value::as_slice)
        .ok_or_else(bad)?
        .iter()
        .map(|g| match g {
            Value::Pair(p) => match (&p.0, &p.1) {
                (Value::Int(s), Value::Int(e)) => Some((*s as usize, *e as usize)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    Ok((text, regexp::Match { groups }))
}

/// `match:start` and `match:end`: a bound of group `n` (default 0), or `#f`
/// when the group did not take part.
pub(super) fn match_bound<'a>(
    a: &[Value<'a>],
    what: &str,
    pick: fn((usize, usize)) -> usize,
) -> EvalResult<'a> {
    arity(a, 1, what)?;
    let (_, m) = want_match(&a[0], what)?;
    let n = a
        .get(1)
        .map(|v| want_int(v, what))
        .transpose()?
        .unwrap_or(0);
    Ok(usize::try_from(n)
        .ok()
        .and_then(|n| m.groups.get(n).copied().flatten())
        .map_or(Value::Bool(false), |g| Value::Int(pick(g) as i64)))
}

/// `string-delete` (KEEP false) and `string-filter` (KEEP true): the
/// characters of the string that match the character or predicate given
/// (either argument order, as Guile takes both), or that do not.
pub(super) fn string_keep<'a>(
    it: &Interp<'a>,
    a: &[Value<'a>],
    module: usize,
    line: u32,
    what: &str,
    keep: bool,
) -> EvalResult<'a> {
    arity(a, 2, what)?;
    let (pred, text) = match (&a[0], &a[1]) {
        (Value::Str(t), p) => (p, t),
        (p, Value::Str(t)) => (p, t),
        _ => return fail(format!("{what}: expected a string")),
    };
    let mut out = String::new();
    for c in text.chars() {
        if char_matches(it, pred, c, module, line)? == keep {
            out.push(c)
        }
    }
    Ok(Value::str(&out))
}

/// Whether character `c` matches PRED: a character, or a predicate (a
/// character set is one here).
pub(super) fn char_matches<'a>(
    it: &Interp<'a>,
    pred: &Value<'a>,
    c: char,
    module: usize,
    line: u32,
) -> Result<bool, EvalError> {
    Ok(match pred {
        Value::Char(x) => *x == c,
        p => it.apply(p, vec![Value::Char(c)], module, line)?.is_true(),
    })
}

/// `string-trim` (START), `string-trim-right` (END) and `string-trim-both`:
/// the characters matching the optional PRED (whitespace by default) taken
/// off the ends.
pub(super) fn string_trim<'a>(
    it: &Interp<'a>,
    a: &[Value<'a>],
    module: usize,
    line: u32,
    what: &str,
    start: bool,
    end: bool,
) -> EvalResult<'a> {
    arity(a, 1, what)?;
    let chars: Vec<char> = want_str(&a[0], what)?.chars().collect();
    let trims = |c: char| match a.get(1) {
        Some(pred) => char_matches(it, pred, c, module, line),
        None => Ok(c.is_whitespace()),
    };
    let (mut from, mut to) = (0, chars.len());
    while start && from < to && trims(chars[from])? {
        from += 1;
    }
    while end && to > from && trims(chars[to - 1])? {
        to -= 1;
    }
    Ok(Value::str(&chars[from..to].iter().collect::<String>()))
}

/// A character predicate applied to its one argument.
pub(super) fn char_test<'a>(a: &[Value<'a>], what: &str, test: fn(char) -> bool) -> EvalResult<'a> {
    arity(a, 1, what)?;
    match a[0] {
        Value::Char(c) => Ok(Value::Bool(test(c))),
        ref other => fail(format!("{what}: expected a character, got {other:?}")),
    }
}

/// `(format #f FMT args...)` with `~a`, `~s`, `~d` (optionally padded,
/// `~3,'0d`), `~%` and `~~`.
pub(super) fn format<'a>(fmt: &str, args: &[Value<'a>]) -> EvalResult<'a> {
    let mut out = String::new();
    let mut args = args.iter();
    let mut chars = fmt.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '~' {
            out.push(c);
            continue;
        }
        let mut width = String::new();
        while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
            width.push(*d);
            chars.next();
        }
        let mut pad = ' ';
        if chars.peek() == Some(&',') {
            chars.next();
            if chars.peek() == Some(&'\'') {
                chars.next();
                pad = chars.next().unwrap_or(' ');
            }
        }
        let width: usize = width.parse().unwrap_or(0);
        let text = match chars.next() {
            Some('a' | 'A') => match args.next() {
                Some(Value::Str(s)) => s.to_string(),
                Some(v) => {
                    let mut s = String::new();
                    super::super::value::write_value(&mut s, v);
                    s
                }
                None => return fail("format: too few arguments"),
            },
            Some('s' | 'S') => match args.next() {
                Some(v) => {
                    let mut s = String::new();
                    super::super::value::write_value(&mut s, v);
                    s
                }
                None => return fail("format: too few arguments"),
            },
            Some('d' | 'D') => match args.next() {
                Some(Value::Int(n)) => n.to_string(),
                _ => return fail("format: ~d needs an integer"),
            },
            Some('~') => "~".into(),
            Some('%') => "\n".into(),
            _ => return fail("format: unsupported directive"),
        };
        for _ in text.chars().count()..width {
            out.push(pad);
        }
        out.push_str(&text);
    }
    Ok(Value::str(&out))
}

/// `(regexp-substitute/global #f regexp string item ...)`, as Guile's
/// `(ice-9 regex)`: for each match (non-overlapping, left to right) the
/// items are written out: a string as it is, a number as that group of the
/// match, `pre` as the text between the previous match and this one, and
/// `post` (last) as the substitution carried on over the rest of the
/// string. Items that are procedures, `post` before other items, and ports
/// other than `#f` are not supported.
pub(super) fn regexp_substitute_global<'a>(a: &[Value<'a>]) -> EvalResult<'a> {
    const WHAT: &str = "regexp-substitute/global";
    arity(a, 3, WHAT)?;
    if a[0].is_true() {
        return fail(format!("{WHAT}: only #f is supported as the port"));
    }
    let pattern = match a[1].as_record("regexp").and_then(|r| r.get("pattern")) {
        Some(p) => want_str(p, WHAT)?,
        None => want_str(&a[1], WHAT)?,
    };
    let re = regexp::compile(pattern).map_err(|e| EvalError {
        module: 0,
        line: 0,
        message: format!("{WHAT}: {e}"),
    })?;
    let items = &a[3..];
    let post = |v: &Value<'_>| matches!(v, Value::Sym(s) if s.as_str() == "post");
    if items.iter().rev().skip(1).any(post) {
        return fail(format!("{WHAT}: 'post before other items is not supported"));
    }
    let text = want_str(&a[2], WHAT)?;
    let chars: Vec<char> = text.chars().collect();
    let slice = |s: usize, e: usize| chars[s.min(e)..e].iter().collect::<String>();
    // Every match, as Guile's `fold-matches` finds them: an empty match
    // right after another match is skipped.
    let mut matches = Vec::new();
    let (mut start, mut abuts) = (0, false);
    while start <= chars.len() {
        let Some(m) = regexp::exec(&re, text, start) else {
            break;
        };
        let (s, e) = m.groups[0].unwrap_or((start, start));
        if s == e && abuts {
            start += 1;
            abuts = false;
            continue;
        }
        start = if e > s { e } else { e + 1 };
        abuts = true;
        matches.push(m);
    }
    let mut out = String::new();
    let mut from = 0;
    let mut next = matches.iter();
    loop {
        let Some(m) = next.next() else {
            out.push_str(&slice(from, chars.len()));
            break;
        };
        let (s, e) = m.groups[0].unwrap_or((from, from));
        for item in items {
            match item {
                Value::Str(t) => out.push_str(t),
                Value::Int(n) => match usize::try_from(*n)
                    .ok()
                    .and_then(|n| regexp::substring(text, m, n))
                {
                    Some(g) => out.push_str(&g),
                    None => out.push_str("#f"),
                },
                Value::Sym(s2) if s2.as_str() == "pre" => out.push_str(&slice(from, s)),
                Value::Sym(s2) if s2.as_str() == "post" => {}
                other => return fail(format!("{WHAT}: item {other:?} is not supported")),
            }
        }
        if !items.last().is_some_and(post) {
            break;
        }
        from = e;
    }
    Ok(Value::str(&out))
}

/// The first `n` dot-separated parts of version `v` (`version-prefix`).
pub(super) fn version_prefix<'a>(v: &str, n: usize) -> EvalResult<'a> {
    let parts: Vec<&str> = v.split('.').collect();
    if parts.len() < n {
        return fail(format!("version-prefix: {v:?} has fewer than {n} parts"));
    }
    Ok(Value::str(&parts[..n].join(".")))
}

/// `git-version` / `hg-version`: VERSION-REVISION.COMMIT7.
pub(super) fn vcs_version<'a>(a: &[Value<'a>], what: &str) -> EvalResult<'a> {
    arity(a, 3, what)?;
    let (v, r, c) = (
        want_str(&a[0], what)?,
        want_str(&a[1], what)?,
        want_str(&a[2], what)?,
    );
    if c.chars().count() < 7 {
        return fail(format!("{what}: commit ID unexpectedly short"));
    }
    let short: String = c.chars().take(7).collect();
    Ok(Value::str(&format!("{v}-{r}.{short}")))
}
