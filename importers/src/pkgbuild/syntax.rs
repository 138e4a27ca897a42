//! Parsing with tree-sitter-bash, and the checks made on the tree before it
//! is walked: a nesting limit (so no walk can exhaust the stack) and a
//! warning for each part of the text that does not parse.

use kiln_normalizer::{ImportWarning, WarningKind};
use tree_sitter::{Parser, Tree};

use super::{PkgbuildError, MAX_NESTING};

/// At most this many syntax warnings per file.
const MAX_SYNTAX_WARNINGS: usize = 20;

thread_local! {
    /// One parser per thread, reused: its stacks stay allocated between files.
    static PARSER: std::cell::RefCell<Option<Parser>> = const { std::cell::RefCell::new(None) };
}

/// Parses `text` into a syntax tree.
pub(crate) fn parse(text: &str, file: &str) -> Result<Tree, PkgbuildError> {
    let failed = || PkgbuildError::Parse {
        file: file.to_owned(),
    };
    PARSER.with(|cell| {
        let mut slot = cell.try_borrow_mut().map_err(|_| failed())?;
        if slot.is_none() {
            let mut parser = Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .map_err(|_| failed())?;
            *slot = Some(parser);
        }
        let parser = slot.as_mut().ok_or_else(failed)?;
        let tree = parser.parse(text, None);
        if tree.is_none() {
            // A parser that gave up may hold state; start afresh next time.
            *slot = None;
        }
        tree.ok_or_else(failed)
    })
}

/// Walks the tree iteratively: fails when nesting passes [`MAX_NESTING`],
/// returns a warning for each error or missing node.
pub(crate) fn check(
    tree: &Tree,
    text: &str,
    file: &str,
) -> Result<Vec<ImportWarning>, PkgbuildError> {
    let mut warnings = Vec::new();
    let mut cursor = tree.walk();
    let mut depth = 0usize;
    loop {
        let node = cursor.node();
        if depth > MAX_NESTING {
            return Err(PkgbuildError::TooDeep {
                file: file.to_owned(),
                line: u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX),
                limit: MAX_NESTING,
            });
        }
        let broken = node.is_error() || node.is_missing();
        if broken && warnings.len() < MAX_SYNTAX_WARNINGS {
            let line = u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX);
            let message = if node.is_missing() {
                format!("syntax error: missing `{}`", node.kind())
            } else {
                let snippet: String = text[node.byte_range()].chars().take(40).collect();
                format!(
                    "syntax error near {:?}",
                    snippet.lines().next().unwrap_or("")
                )
            };
            warnings.push(ImportWarning {
                file: file.to_owned(),
                line,
                kind: WarningKind::SyntaxError,
                attribute: None,
                message,
            });
        }
        // Broken parts are descended too: their depth counts against the limit.
        if cursor.goto_first_child() {
            depth += 1;
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return Ok(warnings);
            }
            depth -= 1;
        }
    }
}
