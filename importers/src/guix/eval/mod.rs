//! The static interpreter: modules, lazily evaluated top-level bindings,
//! lexical environments, the special forms package code uses, and the Guix
//! record forms (`package`, `origin`, references, `build-system`).
//!
//! Top-level bindings are evaluated on first use and memoised; a binding
//! that needs itself is a cycle and evaluates to an error. Package fields
//! are thunks forced once per package object (see [`super::value`]).
//! Evaluation depth is bounded, so no input overflows the stack.

use std::cell::{Cell, RefCell};
use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use arcstr::ArcStr;

mod apply;
mod cycles;
mod matching;
mod package;
mod special;

use super::builtins::{self, Builtin};
use super::reader::{List, Syntax};
use super::symbol::Symbol;
use super::value::{
    equal, Birth, Closure, Env, EvalError, EvalResult, Field, Frame, Mapping, MemoKey, Package,
    Params, Procedure, Promise, Record, Slot, Thunk, Value,
};

/// Deepest evaluation accepted (nested calls and forms).
pub const MAX_EVAL_DEPTH: usize = 2_000;

/// How a top-level binding stands.
pub enum BindingState<'a> {
    /// Not evaluated yet.
    Pending,
    /// Being evaluated.
    InProgress,
    /// Evaluated (the error boxed: a tree has tens of thousands of
    /// bindings, and few fail).
    Done(Result<Value<'a>, Box<EvalError>>),
}

/// A top-level binding of a module.
pub struct Binding<'a> {
    /// The variable.
    pub name: Symbol,
    /// Its expression (for a procedure definition, the whole `define`).
    pub expr: &'a Syntax,
    /// Whether it is a procedure definition `(define (f ...) ...)`.
    pub procedure: bool,
    /// `define-public`.
    pub public: bool,
    /// Line of the `define`.
    pub line: u32,
    /// Evaluation state.
    pub state: RefCell<BindingState<'a>>,
}

/// One `#:use-module` clause or `use-modules` entry.
pub struct Import {
    /// The module name, e.g. `(gnu packages base)` as `gnu packages base`.
    pub name: String,
    /// `#:select`: (name in the module, local name).
    pub select: Option<Vec<(Symbol, Symbol)>>,
    /// `#:hide`.
    pub hide: Vec<Symbol>,
    /// `#:prefix`.
    pub prefix: Option<String>,
    /// Line of the clause.
    pub line: u32,
    /// The module, once resolved.
    pub module: Option<usize>,
}

/// A module of the tree.
pub struct Module<'a> {
    /// Path relative to the tree root.
    pub path: &'a str,
    /// The module name, words joined by spaces.
    pub name: String,
    /// Top-level bindings, in file order.
    pub bindings: Vec<Binding<'a>>,
    /// Binding index by name (the last definition wins).
    pub index: HashMap<Symbol, usize>,
    /// Exported names (`#:export`, `define-public`).
    pub exports: HashSet<Symbol>,
    /// Imports.
    pub imports: Vec<Import>,
    /// A Guix core module: the interpreter's built-ins take precedence over
    /// its own definitions (which are often macros).
    pub core: bool,
    /// Names resolved so far.
    pub resolved: RefCell<HashMap<Symbol, Resolved>>,
    /// Binding indices by line (then index), for [`Module::enclosing`].
    pub by_line: Vec<usize>,
}

impl<'a> Module<'a> {
    /// The binding whose `define` is the last at or before `line`: the one
    /// that encloses a form on that line (of several on one line, the last).
    pub fn enclosing(&self, line: u32) -> Option<&Binding<'a>> {
        let n = self
            .by_line
            .partition_point(|&i| self.bindings[i].line <= line);
        n.checked_sub(1).map(|k| &self.bindings[self.by_line[k]])
    }
}

/// Where a global name leads.
#[derive(Clone, Copy)]
/// 12 bytes: every module caches the names it has resolved.
pub enum Resolved {
    /// A binding: (module, index).
    Binding(u32, u32),
    /// The built-in of that name.
    Builtin(Symbol),
    /// Nothing.
    Unbound,
}

const _: () = assert!(std::mem::size_of::<Resolved>() == 12);

/// A top-level binding being evaluated.
struct Current {
    module: usize,
    index: usize,
    name: Symbol,
    /// Packages made so far while evaluating it.
    births: u32,
}

/// Package name -> (module, binding) of the `package` forms stating it.
/// (Keys borrow from the syntax trees and symbol names: no copies.)
type NameIndex<'a> = HashMap<&'a str, Vec<(u32, u32)>>;

/// Special forms, recognised by the head symbol of a list.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Special {
    Quote,
    Quasiquote,
    If,
    Cond,
    Case,
    And,
    Or,
    When,
    Unless,
    Let,
    LetStar,
    Letrec,
    /// `let-values` (and `let*-values`, with `true`).
    LetValues(bool),
    /// SRFI-8 `receive`.
    Receive,
    Lambda,
    Define,
    Begin,
    Delay,
    Match,
    Package,
    PackageInherit,
    Record,
    ModifyInputs,
    Gexp,
    FalseIfException,
    LocalFile,
    ContentHash,
    ThisPackage,
    Assert,
    Ignore,
    SetBang,
    ModuleRef,
    MatchLambda,
    Cut,
    MLambda,
    CaseLambda,
    SubstituteKeywordArguments,
}

/// The interpreter over a set of modules.
pub struct Interp<'a> {
    /// All modules.
    pub modules: Vec<Module<'a>>,
    specials: HashMap<Symbol, Special>,
    builtins: HashMap<Symbol, Builtin>,
    depth: Cell<usize>,
    /// Packages whose fields are being forced (innermost last).
    this_package: RefCell<Vec<Rc<Package<'a>>>>,
    /// Top-level bindings being evaluated (innermost last).
    current: RefCell<Vec<Current>>,
    /// Packages made outside the evaluation of any top-level binding.
    unbound_births: Cell<u32>,
    /// Symbols used by the evaluator.
    pub sym: Syms,
    /// Package name -> bindings whose `package` form states it.
    name_index: RefCell<Option<NameIndex<'a>>>,
    /// Fetch methods made so far: one record each, as Guix has one
    /// procedure each (an origin's `method` field is about 20,000 uses).
    methods: RefCell<HashMap<&'static str, Value<'a>>>,
    /// What may hold itself, to be broken when the interpreter goes.
    cyclic: RefCell<Vec<cycles::Cyclic<'a>>>,
}

/// Frequently compared symbols.
pub struct Syms {
    /// `else`
    pub else_: Symbol,
    /// `=>`
    pub arrow: Symbol,
    /// `unquote`
    pub unquote: Symbol,
    /// `unquote-splicing`
    pub unquote_splicing: Symbol,
    /// `quasiquote`
    pub quasiquote: Symbol,
    /// `inherit`
    pub inherit: Symbol,
    /// `_`
    pub underscore: Symbol,
    /// `...`
    pub ellipsis: Symbol,
    /// `define`
    pub define: Symbol,
    /// `define*`
    pub define_star: Symbol,
    /// `quote`
    pub quote: Symbol,
    /// `?`
    pub question: Symbol,
    /// `name`
    pub name: Symbol,
}

impl<'a> Interp<'a> {
    /// An interpreter over `modules` (imports already resolved).
    pub fn new(modules: Vec<Module<'a>>) -> Self {
        let specials = [
            ("quote", Special::Quote),
            ("quasiquote", Special::Quasiquote),
            ("if", Special::If),
            ("cond", Special::Cond),
            ("case", Special::Case),
            ("and", Special::And),
            ("or", Special::Or),
            ("when", Special::When),
            ("unless", Special::Unless),
            ("let", Special::Let),
            ("let*", Special::LetStar),
            ("letrec", Special::Letrec),
            ("letrec*", Special::Letrec),
            ("let-values", Special::LetValues(false)),
            ("let*-values", Special::LetValues(true)),
            ("receive", Special::Receive),
            ("lambda", Special::Lambda),
            ("lambda*", Special::Lambda),
            ("λ", Special::Lambda),
            ("mlambda", Special::MLambda),
            ("case-lambda", Special::CaseLambda),
            (
                "substitute-keyword-arguments",
                Special::SubstituteKeywordArguments,
            ),
            ("case-lambda*", Special::CaseLambda),
            ("mlambdaq", Special::MLambda),
            ("@@", Special::ModuleRef),
            ("match-lambda", Special::MatchLambda),
            ("cut", Special::Cut),
            ("cute", Special::Cut),
            ("@", Special::ModuleRef),
            ("search-path-specification", Special::Record),
            ("define", Special::Define),
            ("define*", Special::Define),
            ("begin", Special::Begin),
            ("delay", Special::Delay),
            ("make-promise", Special::Delay),
            ("match", Special::Match),
            ("package", Special::Package),
            ("package/inherit", Special::PackageInherit),
            ("origin", Special::Record),
            ("git-reference", Special::Record),
            ("hg-reference", Special::Record),
            ("svn-reference", Special::Record),
            ("svn-multi-reference", Special::Record),
            ("cvs-reference", Special::Record),
            ("bzr-reference", Special::Record),
            ("build-system", Special::Record),
            ("modify-inputs", Special::ModifyInputs),
            ("gexp", Special::Gexp),
            ("false-if-exception", Special::FalseIfException),
            ("local-file", Special::LocalFile),
            ("content-hash", Special::ContentHash),
            ("this-package", Special::ThisPackage),
            ("assert", Special::Assert),
            ("define-syntax", Special::Ignore),
            ("define-syntax-rule", Special::Ignore),
            ("define-record-type", Special::Ignore),
            ("set!", Special::SetBang),
        ]
        .into_iter()
        .map(|(n, s)| (Symbol::intern(n), s))
        .collect();
        let builtins = builtins::table();
        Interp {
            modules,
            specials,
            builtins,
            depth: Cell::new(0),
            this_package: RefCell::new(Vec::new()),
            current: RefCell::new(Vec::new()),
            unbound_births: Cell::new(0),
            name_index: RefCell::new(None),
            methods: RefCell::default(),
            cyclic: RefCell::default(),
            sym: Syms {
                else_: Symbol::intern("else"),
                arrow: Symbol::intern("=>"),
                unquote: Symbol::intern("unquote"),
                unquote_splicing: Symbol::intern("unquote-splicing"),
                quasiquote: Symbol::intern("quasiquote"),
                inherit: Symbol::intern("inherit"),
                underscore: Symbol::intern("_"),
                ellipsis: Symbol::intern("..."),
                define: Symbol::intern("define"),
                define_star: Symbol::intern("define*"),
                quote: Symbol::intern("quote"),
                question: Symbol::intern("?"),
                name: Symbol::intern("name"),
            },
        }
    }

    /// The birth of a package object made now: the innermost top-level
    /// binding being evaluated and how many packages its evaluation made
    /// before. A binding is evaluated once, always the same way, so two
    /// interpreters over the same modules give the objects it makes the
    /// same births. (A package made while forcing a field of another
    /// package is born to whichever binding was being evaluated then, which
    /// can differ between interpreters: such a package, bound to variables
    /// in the modules of two evaluation threads, would give two records.
    /// For the whole Guix tree, one thread and several give the same output
    /// byte for byte.)
    pub fn birth(&self) -> Birth {
        match self.current.borrow_mut().last_mut() {
            Some(c) => {
                c.births += 1;
                Birth::Binding {
                    module: c.module,
                    index: c.index,
                    seq: c.births,
                }
            }
            None => {
                let n = self.unbound_births.get() + 1;
                self.unbound_births.set(n);
                Birth::Unbound(n)
            }
        }
    }

    /// An error in `module` at `line`.
    pub fn err(&self, module: usize, line: u32, message: impl Into<String>) -> EvalError {
        EvalError {
            module,
            line,
            message: message.into(),
        }
    }

    /// The value of top-level binding `index` of `module`, evaluated once.
    pub fn force_binding(&self, module: usize, index: usize) -> EvalResult<'a> {
        let binding = &self.modules[module].bindings[index];
        match &*binding.state.borrow() {
            BindingState::Done(v) => return v.clone().map_err(|e| *e),
            BindingState::InProgress => {
                let chain: Vec<String> = self
                    .current
                    .borrow()
                    .iter()
                    .map(|c| format!("{} in {}", c.name, self.modules[c.module].path))
                    .collect();
                return Err(self.err(
                    module,
                    binding.line,
                    format!(
                        "cycle: '{}' needs its own value (through {})",
                        binding.name,
                        chain.join(" -> ")
                    ),
                ));
            }
            BindingState::Pending => {}
        }
        *binding.state.borrow_mut() = BindingState::InProgress;
        self.current.borrow_mut().push(Current {
            module,
            index,
            name: binding.name,
            births: 0,
        });
        let env = Frame::module(module);
        let result = if binding.procedure {
            self.define_procedure(binding.expr, &env)
                .map(|(_, proc)| proc)
        } else {
            self.eval(binding.expr, &env)
        };
        self.current.borrow_mut().pop();
        *binding.state.borrow_mut() = BindingState::Done(result.clone().map_err(Box::new));
        result
    }

    /// Resolves a global name as seen from `module`.
    fn resolve(&self, module: usize, name: Symbol) -> Resolved {
        if let Some(r) = self.modules[module].resolved.borrow().get(&name) {
            return *r;
        }
        let r = self.resolve_uncached(module, name);
        self.modules[module].resolved.borrow_mut().insert(name, r);
        r
    }

    fn resolve_uncached(&self, module: usize, name: Symbol) -> Resolved {
        let m = &self.modules[module];
        if m.core && self.builtins.contains_key(&name) {
            return Resolved::Builtin(name);
        }
        if let Some(&i) = m.index.get(&name) {
            return Resolved::Binding(module as u32, i as u32);
        }
        // Guile: the last import providing a name wins.
        for import in m.imports.iter().rev() {
            let orig = match &import.select {
                Some(pairs) => match pairs.iter().find(|(_, local)| *local == name) {
                    Some((orig, _)) => *orig,
                    None => continue,
                },
                None => match &import.prefix {
                    Some(p) => match name.as_str().strip_prefix(p.as_str()) {
                        Some(rest) => Symbol::intern(rest),
                        None => continue,
                    },
                    None => name,
                },
            };
            if import.hide.contains(&orig) {
                continue;
            }
            match import.module {
                Some(target) => {
                    let t = &self.modules[target];
                    if t.core && self.builtins.contains_key(&orig) {
                        return Resolved::Builtin(orig);
                    }
                    if t.exports.contains(&orig) {
                        if let Some(&i) = t.index.get(&orig) {
                            return Resolved::Binding(target as u32, i as u32);
                        }
                    }
                }
                None => {
                    // A module outside the tree (srfi-1, ice-9 match, guix
                    // core): its names are the built-ins.
                    if (import.prefix.is_some() || import.select.is_some())
                        && self.builtins.contains_key(&orig)
                    {
                        return Resolved::Builtin(orig);
                    }
                }
            }
        }
        if self.builtins.contains_key(&name) {
            Resolved::Builtin(name)
        } else {
            Resolved::Unbound
        }
    }

    /// The value of a variable.
    fn lookup(&self, name: Symbol, env: &Env<'a>, line: u32) -> EvalResult<'a> {
        if let Some(v) = env.lookup(name) {
            return Ok(v);
        }
        if self.is_this_package(name) {
            return match self.this_package() {
                Some(p) => Ok(Value::Package(p)),
                None => Err(self.err(env.module, line, "'this-package' outside a package")),
            };
        }
        match self.resolve(env.module, name) {
            Resolved::Binding(m, i) => self.force_binding(m as usize, i as usize),
            Resolved::Builtin(b) => Ok(self.builtin(self.builtins[&b])),
            Resolved::Unbound => {
                Err(self.err(env.module, line, format!("unbound variable '{name}'")))
            }
        }
    }

    /// Evaluates an expression.
    pub fn eval(&self, expr: &'a Syntax, env: &Env<'a>) -> EvalResult<'a> {
        match expr {
            Syntax::Symbol(s) => self.lookup(*s, env, 0),
            Syntax::Keyword(k) => Ok(Value::Kw(*k)),
            Syntax::Str(s) => Ok(Value::Str(s.clone())),
            Syntax::Atom(a) => Ok(atom_value(a)),
            Syntax::Vector(_) => Ok(self.quote(expr)),
            Syntax::List(list) => {
                let depth = self.depth.get();
                if depth >= MAX_EVAL_DEPTH {
                    return Err(self.err(
                        env.module,
                        list.line(),
                        format!("evaluation deeper than {MAX_EVAL_DEPTH} levels"),
                    ));
                }
                self.depth.set(depth + 1);
                let r = self.eval_list(list, env);
                self.depth.set(depth);
                r
            }
        }
    }

    fn eval_list(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        if list.tail().is_some() {
            return Err(self.err(env.module, list.line(), "dotted list in code"));
        }
        let Some(head) = list.items().first() else {
            return Ok(Value::Null);
        };
        if let Some(sym) = head.as_symbol() {
            if let Some(&special) = self.specials.get(&sym) {
                if env.lookup(sym).is_none() {
                    return self.eval_special(special, sym, list, env);
                }
            }
        }
        let f = self
            .eval(head, env)
            .map_err(|e| self.at(e, env, list.line()))?;
        let mut args = Vec::with_capacity(list.items().len() - 1);
        for a in &list.items()[1..] {
            args.push(
                self.eval(a, env)
                    .map_err(|e| self.at(e, env, list.line()))?,
            );
        }
        self.apply(&f, args, env.module, list.line())
    }

    /// Gives an error without a line the line of the form.
    fn at(&self, mut e: EvalError, env: &Env<'a>, line: u32) -> EvalError {
        if e.line == 0 {
            e.line = line;
            e.module = env.module;
        }
        e
    }

    /// Evaluates a body in `env` (which receives internal definitions).
    fn eval_body(&self, body: &'a [Syntax], env: &Env<'a>) -> EvalResult<'a> {
        let mut last = Value::Unspecified;
        for form in body {
            if let Some(l) = form.as_list() {
                if let Some(h) = l.items().first().and_then(Syntax::as_symbol) {
                    if (h == self.sym.define || h == self.sym.define_star)
                        && env.lookup(h).is_none()
                    {
                        let (name, v) = self.define_form(form, env)?;
                        env.vars.borrow_mut().push((name, v));
                        last = Value::Unspecified;
                        continue;
                    }
                }
            }
            last = self.eval(form, env)?;
        }
        Ok(last)
    }

    fn eval_seq(&self, forms: &'a [Syntax], env: &Env<'a>) -> EvalResult<'a> {
        let mut v = Value::Unspecified;
        for f in forms {
            v = self.eval(f, env)?;
        }
        Ok(v)
    }

    /// The value of built-in `b`: for a fetch method, the same record each
    /// time.
    fn builtin(&self, b: Builtin) -> Value<'a> {
        match b {
            Builtin::Method(name) => self
                .methods
                .borrow_mut()
                .entry(name)
                .or_insert_with(|| b.value())
                .clone(),
            b => b.value(),
        }
    }

    /// The value of `var` in the module named `name` (public or not).
    pub fn module_variable(&self, name: &str, var: Symbol) -> EvalResult<'a> {
        let Some(target) = self.modules.iter().position(|m| m.name == name) else {
            return Err(self.err(0, 0, format!("module ({name}) is not in the tree")));
        };
        if self.modules[target].core {
            if let Some(&b) = self.builtins.get(&var) {
                return Ok(self.builtin(b));
            }
        }
        match self.modules[target].index.get(&var) {
            Some(&i) => self.force_binding(target, i),
            None => match self.builtins.get(&var) {
                Some(&b) => Ok(self.builtin(b)),
                None => Err(self.err(0, 0, format!("({name}) has no variable '{var}'"))),
            },
        }
    }

    /// Guix's `find-packages-by-name`: public packages named `name` (and
    /// whose version starts with `version`), newest first. Candidates are
    /// the bindings whose `package` form states that name literally.
    pub fn find_packages_by_name(&self, name: &str, version: Option<&str>) -> EvalResult<'a> {
        if self.name_index.borrow().is_none() {
            let mut index: NameIndex<'a> = HashMap::new();
            for (mi, m) in self.modules.iter().enumerate() {
                if m.core {
                    continue;
                }
                for (bi, b) in m.bindings.iter().enumerate() {
                    if !b.public || b.procedure {
                        continue;
                    }
                    // Module and binding indices fit: a tree's files are
                    // far fewer than 2^32, and so are a module's forms.
                    let at = (mi as u32, bi as u32);
                    match literal_package_name(b.expr, self.sym.name) {
                        Some(n) => index.entry(n).or_default().push(at),
                        // `(package (inherit x) ...)` keeping the name: a
                        // candidate for every prefix of its variable name.
                        None => {
                            let var = b.name.as_str();
                            for (i, c) in var.char_indices() {
                                if c == '-' && i > 0 {
                                    index.entry(&var[..i]).or_default().push(at);
                                }
                            }
                            index.entry(var).or_default().push(at);
                        }
                    }
                }
            }
            *self.name_index.borrow_mut() = Some(index);
        }
        let candidates = self
            .name_index
            .borrow()
            .as_ref()
            .and_then(|i| i.get(name).cloned())
            .unwrap_or_default();
        let mut found: Vec<(String, Value<'a>)> = Vec::new();
        for (m, b) in candidates {
            let Ok(Value::Package(p)) = self.force_binding(m as usize, b as usize) else {
                continue;
            };
            let (Ok(Value::Str(n)), Ok(Value::Str(v))) =
                (self.field(&p, Field::Name), self.field(&p, Field::Version))
            else {
                continue;
            };
            if &*n != name || version.is_some_and(|want| !v.starts_with(want)) || self.is_hidden(&p)
            {
                continue;
            }
            if found
                .iter()
                .any(|(_, q)| matches!(q, Value::Package(q) if Rc::ptr_eq(q, &p)))
            {
                continue;
            }
            found.push((v.to_string(), Value::Package(p)));
        }
        found.sort_by(|a, b| super::builtins::version_order(&b.0, &a.0));
        Ok(Value::list(found.into_iter().map(|(_, p)| p).collect()))
    }

    /// Whether a package is hidden from user interfaces (and searches).
    pub fn is_hidden(&self, p: &Rc<Package<'a>>) -> bool {
        if p.hidden {
            return true;
        }
        let Ok(props) = self.field(p, Field::Properties) else {
            return false;
        };
        props.as_slice().unwrap_or_default().iter().any(|e| {
            matches!(e, Value::Pair(kv) if matches!(&kv.0, Value::Sym(s) if s.as_str() == "hidden?") && kv.1.is_true())
        })
    }

    /// `this-package`, as bound while a package field is forced.
    pub fn this_package(&self) -> Option<Rc<Package<'a>>> {
        self.this_package.borrow().last().cloned()
    }

    /// Looks up the symbol `this-package` in a variable position.
    pub fn is_this_package(&self, s: Symbol) -> bool {
        self.specials.get(&s) == Some(&Special::ThisPackage)
    }

    /// Forces a promise.
    pub fn force(&self, p: &Promise<'a>) -> EvalResult<'a> {
        if let Some(v) = &*p.value.borrow() {
            return Ok(v.clone());
        }
        let v = self.eval(p.expr, &p.env)?;
        *p.value.borrow_mut() = Some(v.clone());
        Ok(v)
    }
}

/// `(cons x tail)`.
pub fn cons<'a>(x: Value<'a>, tail: Value<'a>) -> Value<'a> {
    match tail {
        Value::Null => Value::list(vec![x]),
        Value::List(xs) => {
            let mut v = Vec::with_capacity(xs.len() + 1);
            v.push(x);
            v.extend(xs.iter().cloned());
            Value::list(v)
        }
        other => Value::Pair(Rc::new((x, other))),
    }
}

fn atom_value<'a>(a: &lexpr::Value) -> Value<'a> {
    match a {
        lexpr::Value::String(s) => Value::Str(ArcStr::from(&**s)),
        lexpr::Value::Bool(b) => Value::Bool(*b),
        lexpr::Value::Char(c) => Value::Char(*c),
        lexpr::Value::Number(n) => match n.as_i64() {
            Some(i) => Value::Int(i),
            None => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        },
        _ => Value::Unspecified,
    }
}

fn name_closure(v: Value<'_>, _name: Symbol) -> Value<'_> {
    v
}

fn default_field<'a>(field: Field) -> Value<'a> {
    match field {
        Field::Outputs => Value::list(vec![Value::str("out")]),
        Field::Inputs
        | Field::NativeInputs
        | Field::PropagatedInputs
        | Field::Properties
        | Field::Arguments => Value::Null,
        _ => Value::Bool(false),
    }
}

/// The literal `(name "...")` of a `(package ...)` form, looking through
/// one level of wrapping such as `(hidden-package (package ...))`.
fn literal_package_name(expr: &Syntax, name_sym: Symbol) -> Option<&str> {
    let l = expr.as_list()?;
    let head = l.items().first()?.as_symbol()?;
    match head.as_str() {
        "package" | "package/inherit" => l.items().iter().skip(1).find_map(|c| {
            let c = c.as_list()?;
            (c.items().len() == 2 && c.items()[0].as_symbol() == Some(name_sym))
                .then(|| c.items()[1].as_str())
                .flatten()
        }),
        _ => l
            .items()
            .last()
            .and_then(|inner| literal_package_name(inner, name_sym)),
    }
}
