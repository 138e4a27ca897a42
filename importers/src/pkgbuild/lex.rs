//! Word boundaries as bash draws them, read from the text itself.
//!
//! tree-sitter-bash splits some unquoted words in two: `$pkgname-$pkgver.tar.gz`
//! parses as `$pkgname-$` followed by a second word `pkgver.tar.gz` (in an
//! array, two elements; after `name=`, a command named `pkgver.tar.gz`). The
//! tree is still right about where statements and arrays start, so the walker
//! takes the start from the tree and the extent of values from here: the end
//! of one shell word, or the words of an array up to its closing `)`.

use tree_sitter::Node;

use super::word::{find_close, find_dquote_end};

/// The right side of an assignment, with its true extent.
#[derive(Debug, Clone)]
pub(crate) enum AssignedValue<'t> {
    /// `name=(w1 w2 ...)`: the raw words.
    Array(Vec<&'t str>),
    /// `name=word` (empty for `name=`): the raw word.
    Scalar(&'t str),
}

/// Reads the value of the `variable_assignment` node `node`: the raw words
/// and the byte where the assignment really ends (which may lie past the
/// node's end when tree-sitter split the word).
pub(crate) fn assignment_value<'t>(node: Node<'t>, src: &'t str) -> (AssignedValue<'t>, usize) {
    let Some(v) = node.child_by_field_name("value") else {
        return (AssignedValue::Scalar(""), node.end_byte());
    };
    if v.kind() == "array" {
        if let Some((words, close)) = array_words(src, v.start_byte()) {
            let words = words.iter().map(|(s, e)| &src[*s..*e]).collect();
            return (AssignedValue::Array(words), close + 1);
        }
        let mut c = v.walk();
        let words = v
            .named_children(&mut c)
            .filter(|el| el.kind() != "comment")
            .map(|el| &src[el.byte_range()])
            .collect();
        return (AssignedValue::Array(words), v.end_byte());
    }
    let end = word_end(src, v.start_byte())
        .filter(|e| *e >= v.end_byte())
        .unwrap_or(v.end_byte());
    (AssignedValue::Scalar(&src[v.start_byte()..end]), end)
}

/// Whether `b` ends an unquoted word.
fn is_break(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b'\r' | b';' | b'&' | b'|' | b'<' | b'>' | b'(' | b')'
    )
}

/// The end of the shell word that starts at `start`, or `None` when a quote
/// or expansion in it is not closed.
pub(crate) fn word_end(text: &str, start: usize) -> Option<usize> {
    let b = text.as_bytes();
    let mut i = start;
    while i < b.len() && !is_break(b[i]) {
        i = match b[i] {
            b'\\' => (i + 2).min(b.len()),
            b'\'' => i + 1 + text[i + 1..].find('\'')? + 1,
            b'"' => find_dquote_end(text, i + 1)? + 1,
            b'`' => i + 1 + text[i + 1..].find('`')? + 1,
            b'$' if b.get(i + 1) == Some(&b'\'') => {
                let mut j = i + 2;
                loop {
                    match b.get(j)? {
                        b'\\' => j += 2,
                        b'\'' => break j + 1,
                        _ => j += 1,
                    }
                }
            }
            b'$' if b.get(i + 1) == Some(&b'"') => find_dquote_end(text, i + 2)? + 1,
            b'$' if b.get(i + 1) == Some(&b'{') => find_close(text, i + 1, b'{', b'}')? + 1,
            b'$' if b.get(i + 1) == Some(&b'(') => find_close(text, i + 1, b'(', b')')? + 1,
            // An extended glob `@(...)`, `!(...)` and the like stays one word.
            b'@' | b'!' | b'?' | b'*' | b'+' if b.get(i + 1) == Some(&b'(') => {
                find_close(text, i + 1, b'(', b')')? + 1
            }
            _ => i + 1,
        };
    }
    Some(i.min(b.len()))
}

/// The words of the array whose `(` is at `open`: their byte ranges and the
/// index of the closing `)`. Comments and line breaks between words are
/// skipped. `None` when the array or a word in it is not closed.
pub(crate) fn array_words(text: &str, open: usize) -> Option<(Vec<(usize, usize)>, usize)> {
    let b = text.as_bytes();
    if b.get(open) != Some(&b'(') {
        return None;
    }
    let mut words = Vec::new();
    let mut i = open + 1;
    loop {
        match *b.get(i)? {
            b' ' | b'\t' | b'\n' | b'\r' => i += 1,
            b'\\' if b.get(i + 1) == Some(&b'\n') => i += 2,
            b'#' => i += text[i..].find('\n').unwrap_or(b.len() - i),
            b')' => return Some((words, i)),
            _ => {
                let end = word_end(text, i)?;
                if end == i {
                    // A metacharacter that is not `)`: not an array bash reads.
                    return None;
                }
                words.push((i, end));
                i = end;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn word_with_two_expansions_and_a_dot_is_one_word() {
        let t = "a=$pkgname-$pkgver.tar.gz rest";
        assert_eq!(word_end(t, 2), Some(25));
    }

    #[test]
    fn quotes_and_expansions_hide_breaks() {
        let t = r#"x"a b"'c d'${v// /_}$(echo )) y"#;
        let end = word_end(t, 0).unwrap();
        assert_eq!(&t[..end], r#"x"a b"'c d'${v// /_}$(echo )"#);
    }

    #[test]
    fn array_words_skip_comments_and_newlines() {
        let t = "(a # c)\n  \"b c\" $x-$y.z\n)";
        let (w, close) = array_words(t, 0).unwrap();
        let words: Vec<&str> = w.iter().map(|(s, e)| &t[*s..*e]).collect();
        assert_eq!(words, ["a", "\"b c\"", "$x-$y.z"]);
        assert_eq!(close, t.len() - 1);
    }

    #[test]
    fn unterminated_array_is_none() {
        assert_eq!(array_words("(a 'b)", 0), None);
        assert_eq!(array_words("(a b", 0), None);
    }
}
