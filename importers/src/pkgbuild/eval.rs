//! `eval` of a string known statically: its words are expanded over known
//! values (where `$(declare -f NAME)` prints a known function, the idiom
//! split PKGBUILDs use to make `package_NAME()` functions in a loop), the
//! text is parsed and walked like the top level. An `eval` whose text needs
//! execution stays a warning and its effects unknown.

use kiln_normalizer::{ImportWarning, WarningKind};

use super::condition::Status;
use super::interp::Interpreter;
use super::is_attribute;
use super::syntax;
use super::variables::{Unknown, Value};
use super::word::Expander;

/// Deepest nesting of `eval` inside `eval`.
const MAX_EVAL_DEPTH: usize = 8;

/// Most text all `eval`s of one file may produce, in bytes.
const MAX_EVAL_BYTES: usize = 4 * 1024 * 1024;

/// Most `eval`s and function calls walked in one file.
const MAX_CALLS: usize = 10_000;

/// Where warnings found inside walked text are reported.
#[derive(Clone, Copy)]
enum LineMap {
    /// All at one line (an `eval`).
    At(u32),
    /// Offset from the line where the text starts (a function body).
    From(u32),
}

impl LineMap {
    fn map(self, inner: u32) -> u32 {
        match self {
            LineMap::At(l) => l,
            LineMap::From(start) => start.saturating_add(inner.saturating_sub(1)),
        }
    }
}

impl Interpreter<'_> {
    /// Runs `eval ARGS...` at `line`.
    pub(crate) fn eval(&mut self, args: &[&str], line: u32) -> Status {
        let text = match self.eval_text(args, line) {
            Ok(t) => t,
            Err(u) => {
                // What it may assign becomes unknown.
                let names = assigned_names(&args.join(" "));
                if names.iter().all(|n| !is_attribute(n)) {
                    self.warn(&u, None);
                }
                for n in names {
                    if is_attribute(&n) {
                        self.warn(&u, Some(&n));
                    }
                    self.vars.set(&n, Value::Unknown(u.clone()));
                }
                return Status::Unknown(u);
            }
        };
        let status = self.run_text(&text, line, LineMap::At(line), None);
        self.warnings.push(ImportWarning {
            file: self.file.to_owned(),
            line,
            kind: WarningKind::SourceOrEval,
            attribute: None,
            message: "`eval` of text known statically was read as PKGBUILD text".into(),
        });
        status
    }

    /// Runs a call at `line` of the function `name` defined in the file:
    /// its body is walked like the top level (what it sets stays set, but
    /// names it makes `local` get their old values back).
    pub(crate) fn call(&mut self, name: &str, line: u32) -> Status {
        let Some((_, def)) = self.functions.iter().rev().find(|(n, _)| n == name) else {
            return Status::True;
        };
        let (body, start) = (def.body.clone(), def.line);
        let map = if def.from_eval_depth > 0 {
            LineMap::At(start)
        } else {
            LineMap::From(start)
        };
        let saved = self.vars.clone();
        self.run_text(&body, line, map, Some(&saved))
    }

    /// Walks `text` with this walker's state. `restore_locals` holds the
    /// variables before a function call, to put back those made local.
    fn run_text(
        &mut self,
        text: &str,
        line: u32,
        map: LineMap,
        restore_locals: Option<&super::variables::Variables>,
    ) -> Status {
        self.calls += 1;
        if self.eval_depth >= MAX_EVAL_DEPTH || self.calls > MAX_CALLS {
            let u = Unknown::new(
                WarningKind::SourceOrEval,
                line,
                "`eval` or function calls nested too deeply or too many",
            );
            self.warn(&u, None);
            return Status::Unknown(u);
        }
        let tree = match syntax::parse(text, self.file) {
            Ok(t) => t,
            Err(_) => {
                let u = Unknown::new(WarningKind::SourceOrEval, line, "the text does not parse");
                self.warn(&u, None);
                return Status::Unknown(u);
            }
        };
        let syntax_warnings = match syntax::check(&tree, text, self.file) {
            Ok(w) => w,
            Err(e) => {
                let u = Unknown::new(WarningKind::SourceOrEval, line, e.to_string());
                self.warn(&u, None);
                return Status::Unknown(u);
            }
        };
        let mut sub = Interpreter::new(text, self.file, std::mem::take(&mut self.vars));
        sub.warnings = syntax_warnings;
        sub.functions = std::mem::take(&mut self.functions);
        if restore_locals.is_none() {
            sub.locals = std::mem::take(&mut self.locals);
        }
        sub.iterations = self.iterations;
        sub.eval_depth = self.eval_depth + 1;
        sub.eval_bytes = self.eval_bytes;
        sub.calls = self.calls;
        let status = sub.block(tree.root_node());
        self.vars = sub.vars;
        self.functions = sub.functions;
        match restore_locals {
            None => self.locals = sub.locals,
            Some(before) => {
                for name in sub.locals {
                    match before.get(&name) {
                        Some(v) => self.vars.set(&name, v.clone()),
                        None => self.vars.unset(&name),
                    }
                }
            }
        }
        self.iterations = sub.iterations;
        self.eval_bytes = sub.eval_bytes;
        self.calls = sub.calls;
        for mut w in sub.warnings {
            w.line = map.map(w.line);
            self.warnings.push(w);
        }
        for (_, def) in &mut self.functions {
            if def.from_eval_depth > self.eval_depth {
                def.line = map.map(def.line);
                for a in &mut def.assignments {
                    a.line = map.map(a.line);
                }
                def.from_eval_depth = self.eval_depth;
            }
        }
        status
    }

    /// The text `eval` would run: its arguments expanded and joined by spaces.
    fn eval_text(&mut self, args: &[&str], line: u32) -> Result<String, Unknown> {
        let mut e = Expander::new(&self.vars, line);
        e.functions = &self.functions;
        let mut words = Vec::new();
        for a in args {
            words.extend(e.words(a).map_err(|u| {
                Unknown::new(
                    u.kind,
                    line,
                    format!("`eval` of text that needs execution: {}", u.message),
                )
            })?);
        }
        let text = words.join(" ");
        self.eval_bytes += text.len();
        if self.eval_bytes > MAX_EVAL_BYTES {
            return Err(Unknown::new(
                WarningKind::SourceOrEval,
                line,
                "`eval` makes too much text",
            ));
        }
        Ok(text)
    }
}

/// Names that `text` seems to assign (`NAME=` or `NAME+=` after a word
/// boundary), for marking them unknown when the text cannot be known.
fn assigned_names(text: &str) -> Vec<String> {
    let b = text.as_bytes();
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let boundary = i == 0 || !(b[i - 1].is_ascii_alphanumeric() || b[i - 1] == b'_');
        if boundary && (b[i].is_ascii_alphabetic() || b[i] == b'_') {
            let start = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_') {
                i += 1;
            }
            let assigns =
                b.get(i) == Some(&b'=') || (b.get(i) == Some(&b'+') && b.get(i + 1) == Some(&b'='));
            let name = &text[start..i];
            if assigns && !out.iter().any(|n| n == name) {
                out.push(name.to_owned());
            }
        } else {
            i += 1;
        }
    }
    out
}
