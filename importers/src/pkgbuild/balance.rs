//! The check, before parsing, that every quote, expansion and array the file
//! opens is closed. Bash refuses to source a file that ends inside one
//! ("unexpected EOF while looking for matching ..."), so makepkg would too;
//! tree-sitter instead recovers somewhere unhelpful. The scan knows quotes,
//! `$'..'`, backquotes, `$(..)`, `$((..))`, `${..}`, `name=(..)` arrays,
//! comments and here-documents; it names the line where the unclosed
//! construct opens, and fails past [`MAX_NESTING`] levels.

use super::{line_at, PkgbuildError, MAX_NESTING};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ctx {
    /// Shell code at the top of the file.
    Top,
    /// `"..."`.
    DQuote,
    /// `$(...)`, with the count of plain `(` open inside it.
    CmdSubst(u32),
    /// `$((...))`, with the count of `(` open inside it.
    Arith(u32),
    /// `${...}`.
    Param,
    /// `` `...` ``.
    Backquote,
    /// `name=( ... )`.
    Array,
}

impl Ctx {
    fn what(self) -> &'static str {
        match self {
            Ctx::Top => "file",
            Ctx::DQuote => "double quote",
            Ctx::CmdSubst(_) => "command substitution `$(`",
            Ctx::Arith(_) => "arithmetic expansion `$((`",
            Ctx::Param => "parameter expansion `${`",
            Ctx::Backquote => "backquote",
            Ctx::Array => "array `(`",
        }
    }

    fn is_code(self) -> bool {
        matches!(self, Ctx::Top | Ctx::CmdSubst(_) | Ctx::Array)
    }
}

fn unterminated(file: &str, text: &str, at: usize, what: &str) -> PkgbuildError {
    PkgbuildError::Unterminated {
        file: file.to_owned(),
        line: line_at(text.as_bytes(), at),
        what: what.to_owned(),
    }
}

/// Fails when `text` ends inside a quote, an expansion or an array.
pub(crate) fn check(text: &str, file: &str) -> Result<(), PkgbuildError> {
    let b = text.as_bytes();
    // Each open construct and the byte where it opened.
    let mut stack: Vec<(Ctx, usize)> = vec![(Ctx::Top, 0)];
    let mut heredocs: Vec<(String, bool)> = Vec::new();
    // `{ }` groups and `( )` subshells open in code, counted only for the
    // nesting limit (case patterns make `)` unreliable for more).
    let mut groups = 0usize;
    let mut i = 0;
    while i < b.len() {
        if stack.len() + groups > MAX_NESTING {
            return Err(PkgbuildError::TooDeep {
                file: file.to_owned(),
                line: line_at(b, i),
                limit: MAX_NESTING,
            });
        }
        let (ctx, _) = *stack.last().unwrap_or(&(Ctx::Top, 0));
        let c = b[i];
        let next = b.get(i + 1).copied();
        // Openers valid in code, double quotes, `${}` and `$(())`.
        if c == b'\\' {
            i += 2;
            continue;
        }
        if ctx != Ctx::Backquote && c == b'$' {
            match next {
                Some(b'(') if b.get(i + 2) == Some(&b'(') => {
                    stack.push((Ctx::Arith(0), i));
                    i += 3;
                    continue;
                }
                Some(b'(') => {
                    stack.push((Ctx::CmdSubst(0), i));
                    i += 2;
                    continue;
                }
                Some(b'{') => {
                    stack.push((Ctx::Param, i));
                    i += 2;
                    continue;
                }
                Some(b'\'') if ctx != Ctx::DQuote => {
                    i = ansi_c_end(b, i + 2)
                        .ok_or_else(|| unterminated(file, text, i, "`$'` quote"))?;
                    continue;
                }
                _ => {}
            }
        }
        match (ctx, c) {
            (Ctx::Backquote, b'`') => {
                stack.pop();
            }
            (Ctx::DQuote, b'"') => {
                stack.pop();
            }
            (Ctx::Param, b'}') => {
                stack.pop();
            }
            (Ctx::DQuote, b'`') | (Ctx::Param, b'`') | (Ctx::Arith(_), b'`') => {
                stack.push((Ctx::Backquote, i));
            }
            (Ctx::Param, b'"') | (Ctx::Arith(_), b'"') => stack.push((Ctx::DQuote, i)),
            (Ctx::Param, b'\'') if stack.iter().all(|(c, _)| *c != Ctx::DQuote) => {
                i = single_quote_end(b, i)
                    .ok_or_else(|| unterminated(file, text, i, "single quote"))?;
                continue;
            }
            (Ctx::Arith(n), b'(') => set_top(&mut stack, Ctx::Arith(n + 1)),
            (Ctx::Arith(0), b')') if next == Some(b')') => {
                stack.pop();
                i += 2;
                continue;
            }
            (Ctx::Arith(n), b')') => set_top(&mut stack, Ctx::Arith(n.saturating_sub(1))),
            (Ctx::Array, b'(') if i == 0 || !b"@!?*+".contains(&b[i - 1]) => {
                let opened = stack.last().map_or(0, |(_, at)| *at);
                return Err(PkgbuildError::Invalid {
                    file: file.to_owned(),
                    line: line_at(b, i),
                    message: format!(
                        "syntax error: `(` inside the array opened at line {}",
                        line_at(b, opened)
                    ),
                });
            }
            (Ctx::Top | Ctx::CmdSubst(_), b'{' | b'(' | b'}' | b')')
                if (i == 0 || matches!(b[i - 1], b' ' | b'\t' | b'\n' | b';' | b'(' | b'{'))
                    && (c == b'('
                        || c == b')'
                        || matches!(next, None | Some(b' ' | b'\t' | b'\n' | b';'))) =>
            {
                if matches!(c, b'{' | b'(') {
                    groups += 1;
                } else {
                    groups = groups.saturating_sub(1);
                }
                if c == b'{' || c == b'}' {
                    i += 1;
                    continue;
                }
                i = code_char(b, i, ctx, &mut stack, &mut heredocs)
                    .map_err(|what| unterminated(file, text, i, what))?;
                continue;
            }
            (code, _) if code.is_code() => {
                i = code_char(b, i, code, &mut stack, &mut heredocs)
                    .map_err(|what| unterminated(file, text, i, what))?;
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    match stack.last() {
        Some((Ctx::Top, _)) | None => Ok(()),
        Some((ctx, at)) => Err(unterminated(file, text, *at, ctx.what())),
    }
}

fn set_top(stack: &mut [(Ctx, usize)], ctx: Ctx) {
    if let Some(top) = stack.last_mut() {
        top.0 = ctx;
    }
}

/// Handles the byte at `i` in shell code; returns where to go on.
fn code_char(
    b: &[u8],
    i: usize,
    ctx: Ctx,
    stack: &mut Vec<(Ctx, usize)>,
    heredocs: &mut Vec<(String, bool)>,
) -> Result<usize, &'static str> {
    let at_word_start = i == 0
        || matches!(
            b[i - 1],
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')'
        );
    match b[i] {
        b'\'' => single_quote_end(b, i).ok_or("single quote"),
        b'"' => {
            stack.push((Ctx::DQuote, i));
            Ok(i + 1)
        }
        b'`' => {
            stack.push((Ctx::Backquote, i));
            Ok(i + 1)
        }
        b'#' if at_word_start => Ok(b[i..]
            .iter()
            .position(|c| *c == b'\n')
            .map_or(b.len(), |p| i + p)),
        b'(' => {
            match ctx {
                Ctx::CmdSubst(n) => set_top(stack, Ctx::CmdSubst(n + 1)),
                Ctx::Top if i > 0 && b[i - 1] == b'=' => stack.push((Ctx::Array, i)),
                _ => {}
            }
            Ok(i + 1)
        }
        b')' => {
            match ctx {
                Ctx::CmdSubst(0) | Ctx::Array => {
                    stack.pop();
                }
                Ctx::CmdSubst(n) => set_top(stack, Ctx::CmdSubst(n - 1)),
                _ => {}
            }
            Ok(i + 1)
        }
        b'<' if b.get(i + 1) == Some(&b'<') && b.get(i + 2) != Some(&b'<') => {
            let (delim, strip, end) = heredoc_delimiter(b, i + 2);
            if !delim.is_empty() {
                heredocs.push((delim, strip));
            }
            Ok(end)
        }
        b'\n' if !heredocs.is_empty() => Ok(skip_heredocs(b, i + 1, heredocs)),
        _ => Ok(i + 1),
    }
}

/// Index after the `'` that closes the one at `open`.
fn single_quote_end(b: &[u8], open: usize) -> Option<usize> {
    b[open + 1..]
        .iter()
        .position(|c| *c == b'\'')
        .map(|p| open + p + 2)
}

/// Index after the `'` closing a `$'` quote whose body starts at `start`.
fn ansi_c_end(b: &[u8], start: usize) -> Option<usize> {
    let mut j = start;
    loop {
        match *b.get(j)? {
            b'\\' => j += 2,
            b'\'' => return Some(j + 1),
            _ => j += 1,
        }
    }
}

/// Reads the delimiter after `<<` at `start`: the word with quotes removed,
/// whether leading tabs are stripped (`<<-`), and where the word ends.
fn heredoc_delimiter(b: &[u8], start: usize) -> (String, bool, usize) {
    let mut j = start;
    let strip = b.get(j) == Some(&b'-');
    if strip {
        j += 1;
    }
    while matches!(b.get(j), Some(b' ' | b'\t')) {
        j += 1;
    }
    let mut word = Vec::new();
    while let Some(&c) = b.get(j) {
        match c {
            b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')' => break,
            b'\'' | b'"' => {
                let close = b[j + 1..].iter().position(|x| *x == c);
                match close {
                    Some(p) => {
                        word.extend_from_slice(&b[j + 1..j + 1 + p]);
                        j += p + 2;
                    }
                    None => break,
                }
            }
            b'\\' => {
                word.extend(b.get(j + 1));
                j += 2;
            }
            _ => {
                word.push(c);
                j += 1;
            }
        }
    }
    (
        String::from_utf8_lossy(&word).into_owned(),
        strip,
        j.min(b.len()),
    )
}

/// Skips the bodies of pending here-documents from `start` (the beginning
/// of a line); returns where code resumes. A body that runs to the end of
/// the file is accepted (bash only warns).
fn skip_heredocs(b: &[u8], start: usize, pending: &mut Vec<(String, bool)>) -> usize {
    let mut i = start;
    for (delim, strip) in pending.drain(..) {
        loop {
            if i >= b.len() {
                return b.len();
            }
            let end = b[i..]
                .iter()
                .position(|c| *c == b'\n')
                .map_or(b.len(), |p| i + p);
            let mut line = &b[i..end];
            if strip {
                while let Some((b'\t', rest)) = line.split_first() {
                    line = rest;
                }
            }
            i = (end + 1).min(b.len());
            if line == delim.as_bytes() {
                break;
            }
        }
    }
    i
}
