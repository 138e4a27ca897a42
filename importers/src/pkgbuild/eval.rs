//! `eval` of a string known statically: its words are expanded over known
//! values (where `$(declare -f NAME)` prints a known function, the idiom
//! split PKGBUILDs use to make `package_NAME()` functions in a loop), the
//! text is parsed and walked like the top level. An `eval` whose text needs
//! execution stays a warning and its effects unknown.

use kiln_normalizer::{ImportWarning, WarningKind};

use super::condition::Status;
use super::interp::Interpreter;
use super::syntax;
use super::variables::Unknown;
use super::word::Expander;

/// Deepest nesting of `eval` inside `eval`.
const MAX_EVAL_DEPTH: usize = 8;

/// Most text all `eval`s of one file may produce, in bytes.
const MAX_EVAL_BYTES: usize = 4 * 1024 * 1024;

impl Interpreter<'_> {
    /// Runs `eval ARGS...` at `line`.
    pub(crate) fn eval(&mut self, args: &[&str], line: u32) -> Status {
        let text = match self.eval_text(args, line) {
            Ok(t) => t,
            Err(u) => {
                self.warn(&u, None);
                return Status::Unknown(u);
            }
        };
        let tree = match syntax::parse(&text, self.file) {
            Ok(t) => t,
            Err(_) => {
                let u = Unknown::new(
                    WarningKind::SourceOrEval,
                    line,
                    "the text given to `eval` does not parse",
                );
                self.warn(&u, None);
                return Status::Unknown(u);
            }
        };
        let mut sub = Interpreter::new(&text, self.file, std::mem::take(&mut self.vars));
        sub.functions = std::mem::take(&mut self.functions);
        sub.locals = std::mem::take(&mut self.locals);
        sub.iterations = self.iterations;
        sub.eval_depth = self.eval_depth + 1;
        sub.eval_bytes = self.eval_bytes;
        match syntax::check(&tree, &text, self.file) {
            Ok(w) => sub.warnings.extend(w),
            Err(e) => {
                // Too deep: nothing of it is run.
                self.vars = sub.vars;
                self.functions = sub.functions;
                self.locals = sub.locals;
                let u = Unknown::new(WarningKind::SourceOrEval, line, e.to_string());
                self.warn(&u, None);
                return Status::Unknown(u);
            }
        }
        let status = sub.block(tree.root_node());
        self.vars = sub.vars;
        self.functions = sub.functions;
        self.locals = sub.locals;
        self.iterations = sub.iterations;
        self.eval_bytes = sub.eval_bytes;
        // Lines inside the evaluated text are reported at the `eval`.
        for mut w in sub.warnings {
            w.line = line;
            self.warnings.push(w);
        }
        for (_, def) in &mut self.functions {
            if def.from_eval_depth > self.eval_depth {
                def.line = line;
                for a in &mut def.assignments {
                    a.line = line;
                }
                def.from_eval_depth = self.eval_depth;
            }
        }
        self.warnings.push(ImportWarning {
            file: self.file.to_owned(),
            line,
            kind: WarningKind::SourceOrEval,
            attribute: None,
            message: "`eval` of text known statically was read as PKGBUILD text".into(),
        });
        status
    }

    /// The text `eval` would run: its arguments expanded and joined by spaces.
    fn eval_text(&mut self, args: &[&str], line: u32) -> Result<String, Unknown> {
        if self.eval_depth >= MAX_EVAL_DEPTH {
            return Err(Unknown::new(
                WarningKind::SourceOrEval,
                line,
                "`eval` nested too deeply",
            ));
        }
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
