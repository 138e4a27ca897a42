//! `package_NAME()` overrides, read the way makepkg reads them: makepkg
//! prints the function with `declare -f`, greps it for lines that start with
//! `ATTR=` or `ATTR+=` (an array form `ATTR=(` for list attributes, a plain
//! form for single values), and evaluates each such line with the global
//! value as the starting point. Control flow is ignored (an assignment in an
//! `if` counts); assignments that `declare -f` does not print at the start
//! of a line (after `&&`, inside `( )`) do not count. When no `package_NAME`
//! exists, makepkg reads `package` instead.

use kiln_normalizer::WarningKind;
use tree_sitter::Node;

use super::lex::{assignment_value, AssignedValue};
use super::variables::{Unknown, Value, Variables};
use super::word::Expander;

/// The raw right side of an assignment, owned (functions outlive the text
/// of an `eval` that defined them).
#[derive(Debug, Clone)]
pub(crate) enum RawValue {
    /// `name=(w1 w2 ...)`.
    Array(Vec<String>),
    /// `name=word`.
    Scalar(String),
}

/// One assignment that `declare -f` prints at the start of a line.
#[derive(Debug, Clone)]
pub(crate) struct LineAssignment {
    /// The variable name.
    pub name: String,
    /// `+=` rather than `=`.
    pub append: bool,
    /// The raw value.
    pub value: RawValue,
    /// 1-based line.
    pub line: u32,
}

impl LineAssignment {
    /// Whether the value is written as an array `( ... )`.
    pub fn is_array(&self) -> bool {
        matches!(self.value, RawValue::Array(_))
    }
}

/// Collects the line-start assignments of a function body, in text order.
pub(crate) fn line_assignments(body: Node<'_>, src: &str) -> Vec<LineAssignment> {
    let mut out = Vec::new();
    collect(body, src, &mut out, 0);
    out
}

fn collect<'t>(node: Node<'t>, src: &'t str, out: &mut Vec<LineAssignment>, depth: usize) {
    if depth > super::MAX_NESTING {
        return;
    }
    let mut cursor = node.walk();
    let mut seen_then = !matches!(node.kind(), "if_statement" | "elif_clause");
    let children: Vec<Node<'t>> = node.children(&mut cursor).collect();
    for ch in children {
        match ch.kind() {
            "then" => seen_then = true,
            "variable_assignment" if seen_then => {
                if let Some(a) = assignment(ch, src) {
                    out.push(a);
                }
            }
            "variable_assignments" if seen_then => {
                if let Some(a) = ch.named_child(0).and_then(|n| assignment(n, src)) {
                    out.push(a);
                }
            }
            // `a=$x-$y.z` misread as a command named `y.z` (see `lex`).
            "command" if seen_then => {
                let first = ch
                    .named_child(0)
                    .filter(|n| n.kind() == "variable_assignment");
                if let Some((a, first)) = first.and_then(|n| Some((assignment(n, src)?, n))) {
                    let mut c = ch.walk();
                    let (_, end) = assignment_value(first, src);
                    let rest_inside = ch
                        .named_children(&mut c)
                        .skip(1)
                        .all(|n| n.end_byte() <= end);
                    if rest_inside {
                        out.push(a);
                    }
                }
            }
            "redirected_statement" if seen_then => {
                if let Some(b) = ch.child_by_field_name("body") {
                    if b.kind() == "variable_assignment" {
                        if let Some(a) = assignment(b, src) {
                            out.push(a);
                        }
                    } else {
                        collect(b, src, out, depth + 1);
                    }
                }
            }
            "if_statement"
            | "elif_clause"
            | "else_clause"
            | "case_statement"
            | "case_item"
            | "for_statement"
            | "while_statement"
            | "c_style_for_statement"
            | "do_group"
            | "compound_statement"
                if seen_then =>
            {
                collect(ch, src, out, depth + 1);
            }
            "function_definition" if seen_then => {
                if let Some(b) = ch.child_by_field_name("body") {
                    collect(b, src, out, depth + 1);
                }
            }
            _ => {}
        }
    }
}

fn assignment(node: Node<'_>, src: &str) -> Option<LineAssignment> {
    let name = node.child_by_field_name("name")?;
    if name.kind() != "variable_name" {
        return None;
    }
    let mut c = node.walk();
    let append = node.children(&mut c).any(|ch| ch.kind() == "+=");
    Some(LineAssignment {
        name: src[name.byte_range()].to_owned(),
        append,
        value: match assignment_value(node, src).0 {
            AssignedValue::Array(w) => RawValue::Array(w.into_iter().map(str::to_owned).collect()),
            AssignedValue::Scalar(t) => RawValue::Scalar(t.to_owned()),
        },
        line: u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX),
    })
}

/// The value makepkg prints for `attr` in the section of package `pkg`, or
/// `None` when the function does not set it (the section omits it).
pub(crate) fn evaluate(
    attr: &str,
    is_array: bool,
    lines: &[LineAssignment],
    globals: &Variables,
    pkg: &str,
) -> Option<Result<Value, Unknown>> {
    let matching: Vec<&LineAssignment> = lines
        .iter()
        .filter(|l| l.name == attr && l.is_array() == is_array)
        .collect();
    if matching.is_empty() {
        return None;
    }
    // makepkg evaluates the lines inside its own functions, where
    // `pkgname` is a local holding the package's name.
    let mut vars = globals.clone();
    vars.set("pkgname", Value::Scalar(pkg.to_owned()));
    let start = match globals.get(attr) {
        Some(Value::Unknown(u)) => Value::Unknown(u.clone()),
        Some(v) if is_array => Value::Array(v.elements().unwrap_or_default()),
        Some(v) => Value::Scalar(v.scalar().unwrap_or_default()),
        None if is_array => Value::Array(Vec::new()),
        None => Value::Scalar(String::new()),
    };
    let mut out = start;
    for l in matching {
        let mut exp = Expander::new(&vars, l.line);
        let r: Result<Value, Unknown> = (|| {
            if is_array {
                let mut items = Vec::new();
                if let RawValue::Array(words) = &l.value {
                    for w in words {
                        items.extend(exp.words(w)?);
                    }
                }
                if l.append {
                    let mut base = out.elements()?;
                    base.extend(items);
                    items = base;
                }
                Ok(Value::Array(items))
            } else {
                let text = match &l.value {
                    RawValue::Scalar(t) => t.as_str(),
                    RawValue::Array(_) => "",
                };
                if text.contains('\n') {
                    return Err(exp.unknown(
                        WarningKind::UnsupportedSyntax,
                        format!("makepkg reads only the first line of the multi-line `{attr}` in a package function"),
                    ));
                }
                let s = exp.scalar(text)?;
                Ok(Value::Scalar(if l.append { out.scalar()? + &s } else { s }))
            }
        })();
        match r {
            Ok(v) => out = v,
            Err(u) => return Some(Err(u)),
        }
    }
    Some(Ok(out))
}
