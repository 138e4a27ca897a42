//! The statement walker: runs the top level of a PKGBUILD the way `source`
//! would, but statically. Assignments, `unset`, `if`/`elif`/`else`, `case`,
//! `&&`/`||`, `for` over known words and `{ }` groups are evaluated over
//! known values; functions are recorded, not run. Everything that needs
//! execution leaves a warning and makes what it could change unknown.

use std::collections::HashSet;

use kiln_normalizer::{ImportWarning, WarningKind};
use tree_sitter::Node;

use super::condition::{eval_test_text, raw_words, Status, TestEval};
use super::lex::{assignment_value, AssignedValue};
use super::overrides::{self, LineAssignment};
use super::variables::{Unknown, Value, Variables};
use super::word::Expander;
use super::{arith, is_attribute};

/// Most iterations of all `for` loops of one file.
const MAX_ITERATIONS: usize = 10_000;

/// A function definition found while walking, kept as text (a function
/// defined by `eval` outlives the text it came from).
#[derive(Debug, Clone)]
pub(crate) struct FunctionDef {
    /// The body between its braces.
    pub body: String,
    /// 1-based line of the definition.
    pub line: u32,
    /// The assignments `declare -f` prints at the start of a line.
    pub assignments: Vec<LineAssignment>,
    /// How deep in `eval` it was defined (0 at the top level).
    pub from_eval_depth: usize,
}

impl FunctionDef {
    fn new(body: Node<'_>, line: u32, src: &str, from_eval_depth: usize) -> Self {
        let text = &src[body.byte_range()];
        let text = text
            .strip_prefix('{')
            .and_then(|b| b.strip_suffix('}'))
            .unwrap_or(text);
        Self {
            body: text.to_owned(),
            line,
            assignments: overrides::line_assignments(body, src),
            from_eval_depth,
        }
    }
}

/// Walks statements and keeps the resulting variables.
pub(crate) struct Interpreter<'t> {
    pub src: &'t str,
    pub file: &'t str,
    pub vars: Variables,
    pub warnings: Vec<ImportWarning>,
    pub functions: Vec<(String, FunctionDef)>,
    /// Names made local by `local`/`declare` (makepkg sources the PKGBUILD
    /// inside a function, so they vanish once it is read).
    pub locals: HashSet<String>,
    /// `for` loop turns taken so far.
    pub iterations: usize,
    /// How deep in `eval` this walk is.
    pub eval_depth: usize,
    /// Bytes of text all `eval`s made so far.
    pub eval_bytes: usize,
    /// `eval`s and function calls walked so far.
    pub calls: usize,
}

pub(crate) fn line_of(node: Node<'_>) -> u32 {
    u32::try_from(node.start_position().row + 1).unwrap_or(u32::MAX)
}

impl<'t> Interpreter<'t> {
    /// A walker over `src` with the initial variables `vars`.
    pub fn new(src: &'t str, file: &'t str, vars: Variables) -> Self {
        Self {
            src,
            file,
            vars,
            warnings: Vec::new(),
            functions: Vec::new(),
            locals: HashSet::new(),
            iterations: 0,
            eval_depth: 0,
            eval_bytes: 0,
            calls: 0,
        }
    }

    fn text(&self, node: Node<'_>) -> &'t str {
        &self.src[node.byte_range()]
    }

    /// Records a warning.
    pub fn warn(&mut self, u: &Unknown, attribute: Option<&str>) {
        self.warnings.push(ImportWarning {
            file: self.file.to_owned(),
            line: u.line,
            kind: u.kind,
            attribute: attribute.map(str::to_owned),
            message: u.message.clone(),
        });
    }

    /// Runs every statement child of `node`.
    pub fn block(&mut self, node: Node<'t>) -> Status {
        let mut status = Status::True;
        let mut cursor = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut cursor).collect();
        for child in children {
            status = self.statement(child);
        }
        status
    }

    /// Runs one statement; returns its status.
    pub fn statement(&mut self, node: Node<'t>) -> Status {
        match node.kind() {
            "comment" | "ERROR" => Status::True,
            "variable_assignment" => {
                self.assign(node);
                Status::True
            }
            // `(( expr ))` parses as a compound statement opening with `((`.
            "compound_statement" if node.child(0).is_some_and(|c| c.kind() == "((") => {
                let mut e = Expander::new(&self.vars, line_of(node));
                eval_test_text(&mut e, self.text(node))
            }
            "variable_assignments" | "compound_statement" | "do_group" => self.block(node),
            "declaration_command" => self.declaration(node),
            "unset_command" => {
                let mut c = node.walk();
                let names: Vec<Node<'t>> = node.named_children(&mut c).collect();
                for n in names {
                    let t = self.text(n);
                    if !t.starts_with('-') {
                        self.vars.unset(t);
                    }
                }
                Status::True
            }
            "function_definition" => {
                if let (Some(name), Some(body)) = (
                    node.child_by_field_name("name"),
                    node.child_by_field_name("body"),
                ) {
                    let name = self.text(name).to_owned();
                    self.functions.retain(|(n, _)| *n != name);
                    let def = FunctionDef::new(body, line_of(node), self.src, self.eval_depth);
                    self.functions.push((name, def));
                }
                Status::True
            }
            "if_statement" => self.if_statement(node),
            "case_statement" => self.case_statement(node),
            "for_statement" => self.for_statement(node),
            "while_statement" | "c_style_for_statement" => {
                let u = Unknown::new(
                    WarningKind::Loop,
                    line_of(node),
                    "a loop whose effect cannot be known statically",
                );
                self.taint(node, &u);
                Status::Unknown(u)
            }
            "list" => self.list(node),
            "redirected_statement" => match node.child_by_field_name("body") {
                Some(b) => self.statement(b),
                None => Status::True,
            },
            "negated_command" => match node.named_child(0) {
                Some(c) => self.statement(c).not(),
                None => Status::True,
            },
            "test_command" => {
                let mut e = Expander::new(&self.vars, line_of(node));
                eval_test_text(&mut e, self.text(node))
            }
            "command" => self.command(node),
            "subshell" | "pipeline" => Status::Unknown(Unknown::new(
                WarningKind::UndecidableCondition,
                line_of(node),
                "the status of a pipeline or subshell",
            )),
            _ => Status::True,
        }
    }

    /// Sets every variable assigned under `node` to unknown, with a warning.
    pub fn taint(&mut self, node: Node<'t>, why: &Unknown) {
        let mut names = Vec::new();
        let mut cursor = node.walk();
        let mut stack = vec![node];
        while let Some(n) = stack.pop() {
            if n.kind() == "function_definition" {
                continue;
            }
            if n.kind() == "variable_assignment" || n.kind() == "for_statement" {
                let name_node = n
                    .child_by_field_name("name")
                    .or_else(|| n.child_by_field_name("variable"));
                if let Some(nn) = name_node {
                    let nn = nn.child_by_field_name("name").unwrap_or(nn);
                    names.push(self.text(nn).to_owned());
                }
            }
            stack.extend(n.named_children(&mut cursor));
        }
        let attrs: Vec<&String> = names.iter().filter(|n| is_attribute(n)).collect();
        if attrs.is_empty() {
            self.warn(why, None);
        }
        for a in attrs {
            self.warn(why, Some(a));
        }
        for n in names {
            self.vars.set(&n, Value::Unknown(why.clone()));
        }
    }

    fn assign(&mut self, node: Node<'t>) {
        let Some(name_node) = node.child_by_field_name("name") else {
            return;
        };
        let line = line_of(node);
        let append = {
            let mut c = node.walk();
            let found = node.children(&mut c).any(|ch| ch.kind() == "+=");
            found
        };
        let (name, index) = if name_node.kind() == "subscript" {
            let n = name_node
                .child_by_field_name("name")
                .map_or("", |n| self.text(n));
            (n, name_node.child_by_field_name("index"))
        } else {
            (self.text(name_node), None)
        };
        let (value, _) = assignment_value(node, self.src);
        let mut exp = Expander::new(&self.vars, line);
        let result: Result<Value, Unknown> = (|| {
            let index = match index {
                Some(i) => {
                    let t = exp.scalar_in(self.text(i), true)?;
                    Some(arith::eval(&t, exp.vars).map_err(|e| {
                        exp.unknown(WarningKind::UnsupportedSyntax, format!("index: {}", e.0))
                    })?)
                }
                None => None,
            };
            let old = self.vars.get(name).cloned();
            match value {
                AssignedValue::Array(words) => {
                    let mut items = Vec::new();
                    for w in words {
                        items.extend(exp.words(w)?);
                    }
                    if append {
                        let mut base = match old {
                            Some(o) => o.elements()?,
                            None => Vec::new(),
                        };
                        base.extend(items);
                        items = base;
                    }
                    Ok(Value::Array(items))
                }
                AssignedValue::Scalar(text) => {
                    let s = exp.scalar(text)?;
                    match (index, old) {
                        (Some(i), old) => {
                            let mut elems = match old {
                                Some(o) => o.elements()?,
                                None => Vec::new(),
                            };
                            let i = usize::try_from(i).map_err(|_| {
                                exp.unknown(WarningKind::UnsupportedSyntax, "negative index")
                            })?;
                            if elems.len() <= i {
                                elems.resize(i + 1, String::new());
                            }
                            if append {
                                elems[i].push_str(&s);
                            } else {
                                elems[i] = s;
                            }
                            Ok(Value::Array(elems))
                        }
                        (None, Some(Value::Array(mut a))) if append => {
                            if a.is_empty() {
                                a.push(String::new());
                            }
                            a[0].push_str(&s);
                            Ok(Value::Array(a))
                        }
                        (None, Some(Value::Array(mut a))) => {
                            if a.is_empty() {
                                a.push(String::new());
                            }
                            a[0] = s;
                            Ok(Value::Array(a))
                        }
                        (None, Some(o)) if append => Ok(Value::Scalar(o.scalar()? + &s)),
                        _ => Ok(Value::Scalar(s)),
                    }
                }
            }
        })();
        let assigned = std::mem::take(&mut exp.assigned);
        drop(exp);
        for (n, v) in assigned {
            self.vars.set(&n, Value::Scalar(v));
        }
        match result {
            Ok(v) => self.vars.set(name, v),
            Err(u) => {
                self.warn(&u, is_attribute(name).then_some(name));
                self.vars.set(name, Value::Unknown(u));
            }
        }
    }

    fn declaration(&mut self, node: Node<'t>) -> Status {
        let keyword = node.child(0).map_or("", |k| self.text(k));
        let mut c = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
        let global = children.iter().any(|ch| {
            let t = self.text(*ch);
            t.starts_with('-') && t.contains('g')
        });
        let local = matches!(keyword, "local" | "declare" | "typeset") && !global;
        for ch in children {
            let name = match ch.kind() {
                "variable_assignment" => {
                    self.assign(ch);
                    ch.child_by_field_name("name")
                        .map(|n| n.child_by_field_name("name").unwrap_or(n))
                        .map(|n| self.text(n))
                }
                "variable_name" => Some(self.text(ch)),
                _ => None,
            };
            if let (Some(n), true) = (name, local) {
                self.locals.insert(n.to_owned());
            }
        }
        Status::True
    }

    /// Splits an `if`/`elif` node into condition statements and body.
    fn clause_parts(node: Node<'t>) -> (Vec<Node<'t>>, Vec<Node<'t>>, Vec<Node<'t>>) {
        let (mut cond, mut body, mut rest) = (Vec::new(), Vec::new(), Vec::new());
        let mut seen_then = node.kind() == "else_clause";
        let mut c = node.walk();
        for ch in node.children(&mut c) {
            match ch.kind() {
                "then" => seen_then = true,
                "elif_clause" | "else_clause" => rest.push(ch),
                _ if !ch.is_named() || ch.kind() == "comment" => {}
                _ if seen_then => body.push(ch),
                _ => cond.push(ch),
            }
        }
        (cond, body, rest)
    }

    fn run_all(&mut self, nodes: &[Node<'t>]) -> Status {
        let mut s = Status::True;
        for n in nodes {
            s = self.statement(*n);
        }
        s
    }

    fn if_statement(&mut self, node: Node<'t>) -> Status {
        let (cond, body, rest) = Self::clause_parts(node);
        let mut clauses = vec![(Some(cond), body)];
        for r in rest {
            let (c, b, _) = Self::clause_parts(r);
            clauses.push(((r.kind() == "elif_clause").then_some(c), b));
        }
        for (i, (cond, body)) in clauses.iter().enumerate() {
            let s = match cond {
                Some(c) => self.run_all(c),
                None => Status::True,
            };
            match s {
                Status::True => return self.run_all(body),
                Status::False => {}
                Status::Unknown(u) => {
                    for (_, later) in &clauses[i..] {
                        for n in later {
                            self.taint(*n, &u);
                        }
                    }
                    return Status::Unknown(u);
                }
            }
        }
        Status::True
    }

    fn case_statement(&mut self, node: Node<'t>) -> Status {
        let line = line_of(node);
        let subject = match node.child_by_field_name("value") {
            Some(v) => Expander::new(&self.vars, line).scalar(self.text(v)),
            None => Ok(String::new()),
        };
        let subject = match subject {
            Ok(s) => s.chars().collect::<Vec<_>>(),
            Err(u) => {
                self.taint(node, &u);
                return Status::Unknown(u);
            }
        };
        let mut c = node.walk();
        let items: Vec<Node<'t>> = node
            .named_children(&mut c)
            .filter(|n| n.kind() == "case_item")
            .collect();
        let mut falling = false;
        for item in items {
            let mut ic = item.walk();
            let values: Vec<Node<'t>> = item.children_by_field_name("value", &mut ic).collect();
            let mut hit = falling;
            if !hit {
                for v in &values {
                    let mut e = Expander::new(&self.vars, line_of(*v));
                    let p = e.pattern(self.text(*v), false).and_then(|p| {
                        super::pattern::Pattern::new(&p).map_err(|_| {
                            e.unknown(WarningKind::UnsupportedSyntax, "extended glob in case")
                        })
                    });
                    match p {
                        Ok(p) if p.matches(&subject) => {
                            hit = true;
                            break;
                        }
                        Ok(_) => {}
                        Err(u) => {
                            self.taint(node, &u);
                            return Status::Unknown(u);
                        }
                    }
                }
            }
            if hit {
                let mut bc = item.walk();
                let body: Vec<Node<'t>> = item
                    .named_children(&mut bc)
                    .filter(|n| !values.contains(n) && n.kind() != "comment")
                    .collect();
                let s = self.run_all(&body);
                let mut tc = item.walk();
                falling = item.children(&mut tc).any(|t| t.kind() == ";&");
                if !falling {
                    return s;
                }
            }
        }
        Status::True
    }

    fn for_statement(&mut self, node: Node<'t>) -> Status {
        let line = line_of(node);
        let var = node.child_by_field_name("variable").map(|v| self.text(v));
        let mut c = node.walk();
        let values: Vec<Node<'t>> = node.children_by_field_name("value", &mut c).collect();
        let mut words = Vec::new();
        let mut err = None;
        if values.is_empty() {
            err = Some(Unknown::new(
                WarningKind::Loop,
                line,
                "a loop over the shell's parameters",
            ));
        }
        for v in &values {
            match Expander::new(&self.vars, line).words(self.text(*v)) {
                Ok(w) => words.extend(w),
                Err(u) => {
                    err = Some(u);
                    break;
                }
            }
        }
        if self.iterations + words.len() > MAX_ITERATIONS {
            err = Some(Unknown::new(
                WarningKind::Loop,
                line,
                "a loop with too many turns",
            ));
        }
        if let Some(u) = err {
            self.taint(node, &u);
            return Status::Unknown(u);
        }
        let (Some(var), Some(body)) = (var, node.child_by_field_name("body")) else {
            return Status::True;
        };
        let mut s = Status::True;
        for w in words {
            self.iterations += 1;
            self.vars.set(var, Value::Scalar(w));
            s = self.block(body);
        }
        s
    }

    fn list(&mut self, node: Node<'t>) -> Status {
        let mut c = node.walk();
        let parts: Vec<Node<'t>> = node.children(&mut c).collect();
        let mut status = Status::True;
        let mut op: Option<&str> = None;
        for p in parts {
            match p.kind() {
                "&&" | "||" => op = Some(p.kind()),
                "comment" => {}
                _ if !p.is_named() => {}
                _ => {
                    let run = match (op, &status) {
                        (None, _) => true,
                        (Some("&&"), Status::True) | (Some("||"), Status::False) => true,
                        (_, Status::Unknown(u)) => {
                            let u = u.clone();
                            self.taint(p, &u);
                            status = Status::Unknown(u);
                            continue;
                        }
                        _ => false,
                    };
                    if run {
                        status = self.statement(p);
                    }
                }
            }
        }
        status
    }

    /// The assignments of `node` when it is only assignments that
    /// tree-sitter misread as a command (`a=$x-$y.z` gives a command named
    /// `y.z`): every other child lies inside the assignments' real extent.
    fn split_assignments(&self, node: Node<'t>) -> Option<Vec<Node<'t>>> {
        let mut c = node.walk();
        let children: Vec<Node<'t>> = node.named_children(&mut c).collect();
        let assignments: Vec<Node<'t>> = children
            .iter()
            .copied()
            .take_while(|ch| ch.kind() == "variable_assignment")
            .collect();
        let last = *assignments.last()?;
        let (_, end) = assignment_value(last, self.src);
        children[assignments.len()..]
            .iter()
            .all(|ch| ch.end_byte() <= end)
            .then_some(assignments)
    }

    fn command(&mut self, node: Node<'t>) -> Status {
        let line = line_of(node);
        if let Some(assignments) = self.split_assignments(node) {
            for a in assignments {
                self.assign(a);
            }
            return Status::True;
        }
        let Some(name_node) = node.child_by_field_name("name") else {
            return Status::True;
        };
        let name = self.text(name_node);
        let mut c = node.walk();
        let args: Vec<&'t str> = node
            .children_by_field_name("argument", &mut c)
            .map(|a| self.text(a))
            .collect();
        match name {
            "true" | ":" => {
                // `: "${v:=default}"` assigns by expanding its arguments.
                let mut e = Expander::new(&self.vars, line);
                for a in &args {
                    if a.contains(":=") || a.contains("=") {
                        let _ = e.words(a);
                    }
                }
                let assigned = std::mem::take(&mut e.assigned);
                for (n, v) in assigned {
                    self.vars.set(&n, Value::Scalar(v));
                }
                Status::True
            }
            "false" => Status::False,
            "test" | "[" => {
                let mut words = args.clone();
                if name == "[" && words.last() == Some(&"]") {
                    words.pop();
                }
                let mut e = Expander::new(&self.vars, line);
                TestEval {
                    exp: &mut e,
                    words,
                    pos: 0,
                    double: false,
                }
                .run()
            }
            "eval" => self.eval(&args, line),
            "source" | "." => {
                let u = Unknown::new(
                    WarningKind::SourceOrEval,
                    line,
                    format!("`{name}` runs text that is not read statically"),
                );
                self.warn(&u, None);
                Status::Unknown(u)
            }
            "read" | "mapfile" | "readarray" | "let" | "printf" | "getopts" | "export"
            | "shift" | "set" => {
                if name == "printf" {
                    if let Some(i) = args.iter().position(|a| *a == "-v") {
                        if let Some(target) = args.get(i + 1) {
                            let u = Unknown::new(
                                WarningKind::UnsupportedSyntax,
                                line,
                                format!("`printf -v {target}` is not evaluated"),
                            );
                            let attr = is_attribute(target).then_some(*target);
                            self.warn(&u, attr);
                            self.vars.set(target, Value::Unknown(u.clone()));
                            return Status::Unknown(u);
                        }
                    }
                    return Status::True;
                }
                if matches!(name, "export" | "set") {
                    return Status::True;
                }
                let u = Unknown::new(
                    WarningKind::UnsupportedSyntax,
                    line,
                    format!("`{name}` may assign variables and is not evaluated"),
                );
                for a in args.iter().filter(|a| !a.starts_with('-')) {
                    let words = raw_words(a);
                    for w in words {
                        if w.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                            self.vars.set(w, Value::Unknown(u.clone()));
                        }
                    }
                }
                self.warn(&u, None);
                Status::Unknown(u)
            }
            _ if self.functions.iter().any(|(n, _)| n == name) => self.call(name, line),
            _ => Status::Unknown(Unknown::new(
                WarningKind::UndecidableCondition,
                line,
                format!("the exit status of `{name}`"),
            )),
        }
    }
}
