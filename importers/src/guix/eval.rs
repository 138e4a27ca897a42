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

use super::builtins::{self, Builtin};
use super::reader::{List, Syntax};
use super::symbol::Symbol;
use super::value::{
    equal, Closure, Env, EvalError, EvalResult, Field, Frame, Mapping, MemoKey, Package, Params,
    Procedure, Promise, Record, Slot, Thunk, Value,
};

/// Deepest evaluation accepted (nested calls and forms).
pub const MAX_EVAL_DEPTH: usize = 2_000;

/// How a top-level binding stands.
pub enum BindingState<'a> {
    /// Not evaluated yet.
    Pending,
    /// Being evaluated.
    InProgress,
    /// Evaluated.
    Done(EvalResult<'a>),
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
}

/// Where a global name leads.
#[derive(Clone, Copy)]
pub enum Resolved {
    /// A binding: (module, index).
    Binding(usize, usize),
    /// A built-in.
    Builtin(Builtin),
    /// Nothing.
    Unbound,
}

/// Package name -> (module, binding) of the `package` forms stating it.
type NameIndex = HashMap<String, Vec<(usize, usize)>>;

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
    ThisPackage,
    Assert,
    Ignore,
    SetBang,
    ModuleRef,
    MatchLambda,
    Cut,
    MLambda,
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
    current: RefCell<Vec<(usize, Symbol)>>,
    /// Symbols used by the evaluator.
    pub sym: Syms,
    /// Package name -> bindings whose `package` form states it.
    name_index: RefCell<Option<NameIndex>>,
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
            ("lambda", Special::Lambda),
            ("lambda*", Special::Lambda),
            ("mlambda", Special::MLambda),
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
            name_index: RefCell::new(None),
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
            BindingState::Done(v) => return v.clone(),
            BindingState::InProgress => {
                let chain: Vec<String> = self
                    .current
                    .borrow()
                    .iter()
                    .map(|(m, s)| format!("{} in {}", s, self.modules[*m].path))
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
        self.current.borrow_mut().push((module, binding.name));
        let env = Frame::module(module);
        let result = if binding.procedure {
            self.define_procedure(binding.expr, &env)
                .map(|(_, proc)| proc)
        } else {
            self.eval(binding.expr, &env)
        };
        self.current.borrow_mut().pop();
        *binding.state.borrow_mut() = BindingState::Done(result.clone());
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
        if m.core {
            if let Some(b) = self.builtins.get(&name) {
                return Resolved::Builtin(*b);
            }
        }
        if let Some(&i) = m.index.get(&name) {
            return Resolved::Binding(module, i);
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
                    if t.core {
                        if let Some(b) = self.builtins.get(&orig) {
                            return Resolved::Builtin(*b);
                        }
                    }
                    if t.exports.contains(&orig) {
                        if let Some(&i) = t.index.get(&orig) {
                            return Resolved::Binding(target, i);
                        }
                    }
                }
                None => {
                    // A module outside the tree (srfi-1, ice-9 match, guix
                    // core): its names are the built-ins.
                    if import.prefix.is_some() || import.select.is_some() {
                        if let Some(b) = self.builtins.get(&orig) {
                            return Resolved::Builtin(*b);
                        }
                    }
                }
            }
        }
        match self.builtins.get(&name) {
            Some(b) => Resolved::Builtin(*b),
            None => Resolved::Unbound,
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
            Resolved::Binding(m, i) => self.force_binding(m, i),
            Resolved::Builtin(b) => Ok(b.value()),
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
            Syntax::Atom(a) => Ok(atom_value(a)),
            Syntax::Vector(_) => Ok(self.quote(expr)),
            Syntax::List(list) => {
                let depth = self.depth.get();
                if depth >= MAX_EVAL_DEPTH {
                    return Err(self.err(
                        env.module,
                        list.line,
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
        if list.tail.is_some() {
            return Err(self.err(env.module, list.line, "dotted list in code"));
        }
        let Some(head) = list.items.first() else {
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
            .map_err(|e| self.at(e, env, list.line))?;
        let mut args = Vec::with_capacity(list.items.len() - 1);
        for a in &list.items[1..] {
            args.push(self.eval(a, env)?);
        }
        self.apply(&f, args, env.module, list.line)
    }

    /// Gives an error without a line the line of the form.
    fn at(&self, mut e: EvalError, env: &Env<'a>, line: u32) -> EvalError {
        if e.line == 0 {
            e.line = line;
            e.module = env.module;
        }
        e
    }

    /// Applies a procedure.
    pub fn apply(
        &self,
        f: &Value<'a>,
        args: Vec<Value<'a>>,
        module: usize,
        line: u32,
    ) -> EvalResult<'a> {
        let Value::Procedure(p) = f else {
            return Err(self.err(
                module,
                line,
                format!("cannot call a {} ({f:?})", f.type_name()),
            ));
        };
        match &**p {
            Procedure::Native(n) => (n.run)(self, args, module, line).map_err(|mut e| {
                if e.line == 0 {
                    e.line = line;
                    e.module = module;
                }
                e
            }),
            Procedure::Closure(c) => self.call_closure(c, args, line),
            Procedure::Const(v) => Ok(v.clone()),
            Procedure::Memo(inner, cache) => {
                let key: Vec<MemoKey> = args.iter().map(MemoKey::of).collect();
                if let Some((_, v)) = cache.borrow().get(&key) {
                    return Ok(v.clone());
                }
                let v = self.apply(&Value::Procedure(inner.clone()), args.clone(), module, line)?;
                cache.borrow_mut().insert(key, (args, v.clone()));
                Ok(v)
            }
            Procedure::Compose(fs) => {
                let mut args = args;
                for f in fs.iter().rev() {
                    args = vec![self.apply(f, args, module, line)?];
                }
                Ok(args.pop().unwrap_or(Value::Unspecified))
            }
            Procedure::Negate(f) => Ok(Value::Bool(!self.apply(f, args, module, line)?.is_true())),
            Procedure::MatchLambda(clauses, env) => {
                let [v] = <[Value<'a>; 1]>::try_from(args)
                    .map_err(|_| self.err(module, line, "match-lambda takes one argument"))?;
                self.match_clauses(v, clauses, env, line)
            }
            Procedure::Cut(parts, rest) => {
                let mut given = args.into_iter();
                let mut call = Vec::new();
                for p in parts {
                    match p {
                        Some(v) => call.push(v.clone()),
                        None => {
                            call.push(given.next().ok_or_else(|| {
                                self.err(module, line, "too few arguments for cut")
                            })?)
                        }
                    }
                }
                if *rest {
                    call.extend(given);
                }
                if call.is_empty() {
                    return Err(self.err(module, line, "empty cut"));
                }
                let f = call.remove(0);
                self.apply(&f, call, module, line)
            }
            Procedure::Mapping(m) => {
                let [arg] = <[Value<'a>; 1]>::try_from(args).map_err(|_| {
                    self.err(module, line, "package-mapping procedure takes one package")
                })?;
                self.apply_mapping(p, m, arg, module, line)
            }
            Procedure::MapInputs(mapping) => {
                let [inputs] = <[Value<'a>; 1]>::try_from(args)
                    .map_err(|_| self.err(module, line, "input rewriting takes one list"))?;
                let Procedure::Mapping(m) = &**mapping else {
                    return Err(self.err(module, line, "input rewriting without a mapping"));
                };
                let mut out = Vec::new();
                for input in inputs.as_slice().unwrap_or_default() {
                    match input.as_slice() {
                        Some([label, pkg @ Value::Package(_), rest @ ..]) => {
                            let mut item = vec![
                                label.clone(),
                                self.apply_mapping(mapping, m, pkg.clone(), module, line)?,
                            ];
                            item.extend(rest.iter().cloned());
                            out.push(Value::list(item));
                        }
                        _ => out.push(input.clone()),
                    }
                }
                Ok(Value::list(out))
            }
        }
    }

    fn apply_mapping(
        &self,
        this: &Rc<Procedure<'a>>,
        m: &Mapping<'a>,
        arg: Value<'a>,
        module: usize,
        line: u32,
    ) -> EvalResult<'a> {
        let Value::Package(p) = &arg else {
            return Ok(arg);
        };
        let key = Rc::as_ptr(p) as *const u8 as usize;
        if let Some((_, v)) = m.memo.borrow().get(&key) {
            return Ok(v.clone());
        }
        let cut = match &m.cut {
            Some(cut) => self.apply(cut, vec![arg.clone()], module, line)?.is_true(),
            None => false,
        };
        let mapped = self.apply(&m.proc, vec![arg.clone()], module, line)?;
        let result = if cut {
            mapped
        } else {
            let Value::Package(q) = &mapped else {
                return Err(self.err(
                    module,
                    line,
                    "package-mapping procedure returned no package",
                ));
            };
            let rewrite = Rc::new(Procedure::MapInputs(this.clone()));
            let mut thunks = q.thunks.clone();
            for f in [Field::Inputs, Field::NativeInputs, Field::PropagatedInputs] {
                thunks[f as usize] = Thunk::Mapped(q.clone(), f, rewrite.clone());
            }
            let mut pkg = Package::new(thunks, q.module, q.line);
            pkg.hidden = q.hidden;
            Value::Package(Rc::new(pkg))
        };
        m.memo
            .borrow_mut()
            .insert(key, (arg.clone(), result.clone()));
        Ok(result)
    }

    fn call_closure(&self, c: &Closure<'a>, args: Vec<Value<'a>>, line: u32) -> EvalResult<'a> {
        let module = c.env.module;
        let p = &c.params;
        if args.len() < p.required.len() {
            return Err(self.err(
                module,
                line,
                format!(
                    "'{}' takes at least {} arguments, {} given",
                    c.name.map_or("lambda", |n| n.as_str()),
                    p.required.len(),
                    args.len()
                ),
            ));
        }
        let frame = Frame::child(&c.env, Vec::with_capacity(args.len()));
        let mut args = args.into_iter();
        for name in &p.required {
            let v = args.next().expect("counted");
            frame.vars.borrow_mut().push((*name, v));
        }
        for (name, default) in &p.optional {
            let v = match args.next() {
                Some(v) => v,
                None => match default {
                    Some(d) => self.eval(d, &frame)?,
                    None => Value::Bool(false),
                },
            };
            frame.vars.borrow_mut().push((*name, v));
        }
        let rest: Vec<Value<'a>> = args.collect();
        if !p.keys.is_empty() {
            for (name, default) in &p.keys {
                let given = rest
                    .chunks(2)
                    .find(|kv| matches!(&kv[0], Value::Kw(k) if k == name))
                    .and_then(|kv| kv.get(1).cloned());
                let v = match given {
                    Some(v) => v,
                    None => match default {
                        Some(d) => self.eval(d, &frame)?,
                        None => Value::Bool(false),
                    },
                };
                frame.vars.borrow_mut().push((*name, v));
            }
        } else if p.rest.is_none() && !rest.is_empty() {
            return Err(self.err(
                module,
                line,
                format!(
                    "'{}' given {} arguments too many",
                    c.name.map_or("lambda", |n| n.as_str()),
                    rest.len()
                ),
            ));
        }
        if let Some(r) = p.rest {
            frame.vars.borrow_mut().push((r, Value::list(rest)));
        }
        self.eval_body(c.body, &frame)
    }

    /// Evaluates a body in `env` (which receives internal definitions).
    fn eval_body(&self, body: &'a [Syntax], env: &Env<'a>) -> EvalResult<'a> {
        let mut last = Value::Unspecified;
        for form in body {
            if let Some(l) = form.as_list() {
                if let Some(h) = l.items.first().and_then(Syntax::as_symbol) {
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

    /// `(define name expr)` or `(define (name . params) body...)`.
    fn define_form(
        &self,
        form: &'a Syntax,
        env: &Env<'a>,
    ) -> Result<(Symbol, Value<'a>), EvalError> {
        let l = form.as_list().expect("checked by caller");
        match l.items.get(1) {
            Some(Syntax::Symbol(name)) => {
                let v = match l.items.get(2) {
                    Some(e) => self.eval(e, env)?,
                    None => Value::Unspecified,
                };
                Ok((*name, name_closure(v, *name)))
            }
            Some(Syntax::List(_)) => self.define_procedure(form, env),
            _ => Err(self.err(env.module, l.line, "malformed define")),
        }
    }

    /// `(define (name . params) body...)` as a closure.
    fn define_procedure(
        &self,
        form: &'a Syntax,
        env: &Env<'a>,
    ) -> Result<(Symbol, Value<'a>), EvalError> {
        let l = form.as_list().expect("a define form");
        let Some(Syntax::List(sig)) = l.items.get(1) else {
            return Err(self.err(env.module, l.line, "malformed procedure definition"));
        };
        let Some(name) = sig.items.first().and_then(Syntax::as_symbol) else {
            return Err(self.err(env.module, l.line, "curried definitions are not supported"));
        };
        let params = self.params(&sig.items[1..], sig.tail.as_ref(), env.module, l.line)?;
        let closure = Closure {
            name: Some(name),
            params,
            body: &l.items[2..],
            env: env.clone(),
        };
        Ok((name, Value::Procedure(Rc::new(Procedure::Closure(closure)))))
    }

    /// Parses a formal parameter list.
    fn params(
        &self,
        items: &'a [Syntax],
        tail: Option<&'a Syntax>,
        module: usize,
        line: u32,
    ) -> Result<Params<'a>, EvalError> {
        #[derive(PartialEq)]
        enum Mode {
            Required,
            Optional,
            Key,
            Rest,
        }
        let mut p = Params::default();
        let mut mode = Mode::Required;
        for item in items {
            match item {
                Syntax::Keyword(k) => {
                    mode = match k.as_str() {
                        "optional" => Mode::Optional,
                        "key" => Mode::Key,
                        "rest" => Mode::Rest,
                        "allow-other-keys" => continue,
                        other => {
                            return Err(self.err(
                                module,
                                line,
                                format!("unknown lambda list keyword #:{other}"),
                            ))
                        }
                    }
                }
                Syntax::Symbol(s) => match mode {
                    Mode::Required => p.required.push(*s),
                    Mode::Optional => p.optional.push((*s, None)),
                    Mode::Key => p.keys.push((*s, None)),
                    Mode::Rest => p.rest = Some(*s),
                },
                Syntax::List(l) if l.items.len() == 2 && l.tail.is_none() => {
                    let Some(s) = l.items[0].as_symbol() else {
                        return Err(self.err(module, line, "malformed parameter"));
                    };
                    match mode {
                        Mode::Optional => p.optional.push((s, Some(&l.items[1]))),
                        Mode::Key => p.keys.push((s, Some(&l.items[1]))),
                        _ => {
                            return Err(self.err(module, line, "default for a required parameter"))
                        }
                    }
                }
                _ => return Err(self.err(module, line, "malformed parameter list")),
            }
        }
        if let Some(t) = tail {
            p.rest = Some(
                t.as_symbol()
                    .ok_or_else(|| self.err(module, line, "malformed rest parameter"))?,
            );
        }
        Ok(p)
    }

    /// A quoted datum as a value.
    pub fn quote(&self, s: &'a Syntax) -> Value<'a> {
        match s {
            Syntax::Symbol(sym) => Value::Sym(*sym),
            Syntax::Keyword(k) => Value::Kw(*k),
            Syntax::Atom(a) => atom_value(a),
            Syntax::List(l) => {
                let items: Vec<Value<'a>> = l.items.iter().map(|i| self.quote(i)).collect();
                match &l.tail {
                    None => Value::list(items),
                    Some(t) => items
                        .into_iter()
                        .rev()
                        .fold(self.quote(t), |acc, x| cons(x, acc)),
                }
            }
            Syntax::Vector(l) => Value::Vector(l.items.iter().map(|i| self.quote(i)).collect()),
        }
    }

    fn quasi(&self, s: &'a Syntax, depth: usize, env: &Env<'a>) -> EvalResult<'a> {
        let Syntax::List(l) = s else {
            if let Syntax::Vector(l) = s {
                let mut items = Vec::new();
                for i in &l.items {
                    items.push(self.quasi(i, depth, env)?);
                }
                return Ok(Value::Vector(items.into()));
            }
            return Ok(self.quote(s));
        };
        if l.items.len() == 2 && l.tail.is_none() {
            if let Some(h) = l.items[0].as_symbol() {
                if h == self.sym.unquote {
                    if depth == 1 {
                        return self.eval(&l.items[1], env);
                    }
                    let inner = self.quasi(&l.items[1], depth - 1, env)?;
                    return Ok(Value::list(vec![Value::Sym(h), inner]));
                }
                if h == self.sym.quasiquote {
                    let inner = self.quasi(&l.items[1], depth + 1, env)?;
                    return Ok(Value::list(vec![Value::Sym(h), inner]));
                }
            }
        }
        let mut items = Vec::with_capacity(l.items.len());
        for item in &l.items {
            if let Some(il) = item.as_list() {
                if il.items.len() == 2 && il.items[0].as_symbol() == Some(self.sym.unquote_splicing)
                {
                    if depth == 1 {
                        let v = self.eval(&il.items[1], env)?;
                        match v.as_slice() {
                            Some(xs) => items.extend(xs.iter().cloned()),
                            None => {
                                return Err(self.err(
                                    env.module,
                                    il.line,
                                    format!("unquote-splicing of a {}", v.type_name()),
                                ))
                            }
                        }
                        continue;
                    }
                    let inner = self.quasi(&il.items[1], depth - 1, env)?;
                    items.push(Value::list(vec![
                        Value::Sym(self.sym.unquote_splicing),
                        inner,
                    ]));
                    continue;
                }
            }
            items.push(self.quasi(item, depth, env)?);
        }
        match &l.tail {
            None => Ok(Value::list(items)),
            Some(t) => {
                let tail = self.quasi(t, depth, env)?;
                Ok(items.into_iter().rev().fold(tail, |acc, x| cons(x, acc)))
            }
        }
    }

    fn eval_special(
        &self,
        special: Special,
        head: Symbol,
        list: &'a List,
        env: &Env<'a>,
    ) -> EvalResult<'a> {
        let items = &list.items;
        let line = list.line;
        let module = env.module;
        let arg = |i: usize| {
            items
                .get(i)
                .ok_or_else(|| self.err(module, line, format!("malformed '{head}' form")))
        };
        match special {
            Special::Quote => Ok(self.quote(arg(1)?)),
            Special::Quasiquote => self.quasi(arg(1)?, 1, env),
            Special::If => {
                if self.eval(arg(1)?, env)?.is_true() {
                    self.eval(arg(2)?, env)
                } else {
                    match items.get(3) {
                        Some(e) => self.eval(e, env),
                        None => Ok(Value::Unspecified),
                    }
                }
            }
            Special::Cond => {
                for clause in &items[1..] {
                    let Some(c) = clause.as_list() else {
                        return Err(self.err(module, line, "malformed cond clause"));
                    };
                    let Some(test) = c.items.first() else {
                        return Err(self.err(module, line, "empty cond clause"));
                    };
                    let v = if test.as_symbol() == Some(self.sym.else_) {
                        Value::Bool(true)
                    } else {
                        self.eval(test, env)?
                    };
                    if v.is_true() {
                        if c.items.get(1).and_then(Syntax::as_symbol) == Some(self.sym.arrow) {
                            let f = self.eval(
                                c.items.get(2).ok_or_else(|| {
                                    self.err(module, c.line, "nothing after '=>'")
                                })?,
                                env,
                            )?;
                            return self.apply(&f, vec![v], module, c.line);
                        }
                        if c.items.len() == 1 {
                            return Ok(v);
                        }
                        return self.eval_seq(&c.items[1..], env);
                    }
                }
                Ok(Value::Unspecified)
            }
            Special::Case => {
                let key = self.eval(arg(1)?, env)?;
                for clause in &items[2..] {
                    let Some(c) = clause.as_list() else {
                        return Err(self.err(module, line, "malformed case clause"));
                    };
                    let hit = match c.items.first() {
                        Some(Syntax::Symbol(s)) if *s == self.sym.else_ => true,
                        Some(Syntax::List(data)) => {
                            data.items.iter().any(|d| equal(&self.quote(d), &key))
                        }
                        _ => false,
                    };
                    if hit {
                        return self.eval_seq(&c.items[1..], env);
                    }
                }
                Ok(Value::Unspecified)
            }
            Special::And => {
                let mut v = Value::Bool(true);
                for e in &items[1..] {
                    v = self.eval(e, env)?;
                    if !v.is_true() {
                        break;
                    }
                }
                Ok(v)
            }
            Special::Or => {
                let mut v = Value::Bool(false);
                for e in &items[1..] {
                    v = self.eval(e, env)?;
                    if v.is_true() {
                        break;
                    }
                }
                Ok(v)
            }
            Special::When | Special::Unless => {
                let t = self.eval(arg(1)?, env)?.is_true();
                if t == (special == Special::When) {
                    self.eval_seq(&items[2..], env)
                } else {
                    Ok(Value::Unspecified)
                }
            }
            Special::Let => {
                if let Some(Syntax::Symbol(name)) = items.get(1) {
                    // Named let: a local recursive procedure.
                    let Some(bindings) = arg(2)?.as_list() else {
                        return Err(self.err(module, line, "malformed named let"));
                    };
                    let mut names = Vec::new();
                    let mut values = Vec::new();
                    for b in &bindings.items {
                        let (n, e) = self.let_binding(b, module, line)?;
                        names.push(n);
                        values.push(self.eval(e, env)?);
                    }
                    let frame = Frame::child(env, Vec::new());
                    let closure = Closure {
                        name: Some(*name),
                        params: Params {
                            required: names,
                            ..Params::default()
                        },
                        body: &items[3..],
                        env: frame.clone(),
                    };
                    let proc = Value::Procedure(Rc::new(Procedure::Closure(closure)));
                    frame.vars.borrow_mut().push((*name, proc.clone()));
                    return self.apply(&proc, values, module, line);
                }
                let Some(bindings) = arg(1)?.as_list() else {
                    return Err(self.err(module, line, "malformed let"));
                };
                let mut vars = Vec::with_capacity(bindings.items.len());
                for b in &bindings.items {
                    let (n, e) = self.let_binding(b, module, line)?;
                    vars.push((n, self.eval(e, env)?));
                }
                let frame = Frame::child(env, vars);
                self.eval_body(&items[2..], &frame)
            }
            Special::LetStar | Special::Letrec => {
                let Some(bindings) = arg(1)?.as_list() else {
                    return Err(self.err(module, line, "malformed let*"));
                };
                let frame = Frame::child(env, Vec::new());
                for b in &bindings.items {
                    let (n, e) = self.let_binding(b, module, line)?;
                    let v = name_closure(self.eval(e, &frame)?, n);
                    frame.vars.borrow_mut().push((n, v));
                }
                self.eval_body(&items[2..], &frame)
            }
            Special::MLambda => {
                let inner = self.eval_special(Special::Lambda, head, list, env)?;
                let Value::Procedure(p) = inner else {
                    return Err(self.err(module, line, "malformed mlambda"));
                };
                Ok(Value::Procedure(Rc::new(Procedure::Memo(
                    p,
                    RefCell::default(),
                ))))
            }
            Special::Lambda => {
                let (req, tail): (&'a [Syntax], Option<&'a Syntax>) = match arg(1)? {
                    Syntax::List(l) => (&l.items, l.tail.as_ref()),
                    s @ Syntax::Symbol(_) => (&[], Some(s)),
                    _ => return Err(self.err(module, line, "malformed lambda")),
                };
                let params = self.params(req, tail, module, line)?;
                Ok(Value::Procedure(Rc::new(Procedure::Closure(Closure {
                    name: None,
                    params,
                    body: &items[2..],
                    env: env.clone(),
                }))))
            }
            Special::Define => Err(self.err(module, line, "'define' in expression context")),
            Special::Begin => self.eval_seq(&items[1..], env),
            Special::Delay => Ok(Value::Promise(Rc::new(Promise {
                expr: arg(1)?,
                env: env.clone(),
                value: RefCell::new(None),
            }))),
            Special::Match => self.eval_match(list, env),
            Special::Package => self.eval_package(list, env, None),
            Special::PackageInherit => {
                let parent = self.eval(arg(1)?, env)?;
                self.eval_package(list, env, Some(parent))
            }
            Special::Record => self.eval_record(head, list, env),
            Special::ModifyInputs => self.eval_modify_inputs(list, env),
            Special::Gexp => Ok(Value::Code(arg(1)?)),
            Special::FalseIfException => match self.eval(arg(1)?, env) {
                Ok(v) => Ok(v),
                Err(_) => Ok(Value::Bool(false)),
            },
            Special::LocalFile => {
                let file = self.eval(arg(1)?, env)?;
                let name = match items.get(2) {
                    Some(e) => self.eval(e, env)?,
                    None => file.clone(),
                };
                Ok(Value::Record(Rc::new(Record {
                    kind: Symbol::intern("local-file"),
                    fields: vec![(Symbol::intern("file"), file), (self.sym.name, name)],
                })))
            }
            Special::ThisPackage => {
                Err(self.err(module, line, "'this-package' is not a procedure"))
            }
            Special::Assert | Special::Ignore => Ok(Value::Unspecified),
            Special::MatchLambda => Ok(Value::Procedure(Rc::new(Procedure::MatchLambda(
                &items[1..],
                env.clone(),
            )))),
            Special::Cut => {
                let mut parts = Vec::new();
                let mut rest = false;
                for i in &items[1..] {
                    match i.as_symbol().map(Symbol::as_str) {
                        Some("<>") => parts.push(None),
                        Some("<...>") => rest = true,
                        _ => parts.push(Some(self.eval(i, env)?)),
                    }
                }
                Ok(Value::Procedure(Rc::new(Procedure::Cut(parts, rest))))
            }
            Special::ModuleRef => {
                let (Some(name), Some(var)) = (
                    items.get(1).map(super::load::module_name_of),
                    items.get(2).and_then(Syntax::as_symbol),
                ) else {
                    return Err(self.err(module, line, "malformed module reference"));
                };
                let name = name.unwrap_or_default();
                self.module_variable(&name, var)
                    .map_err(|e| self.at(e, env, line))
            }
            Special::SetBang => Err(self.err(module, line, "'set!' needs real evaluation")),
        }
    }

    fn eval_seq(&self, forms: &'a [Syntax], env: &Env<'a>) -> EvalResult<'a> {
        let mut v = Value::Unspecified;
        for f in forms {
            v = self.eval(f, env)?;
        }
        Ok(v)
    }

    fn let_binding(
        &self,
        b: &'a Syntax,
        module: usize,
        line: u32,
    ) -> Result<(Symbol, &'a Syntax), EvalError> {
        match b.as_list().map(|l| &l.items[..]) {
            Some([Syntax::Symbol(n), e]) => Ok((*n, e)),
            _ => Err(self.err(module, line, "malformed let binding")),
        }
    }

    /// The value of `var` in the module named `name` (public or not).
    pub fn module_variable(&self, name: &str, var: Symbol) -> EvalResult<'a> {
        let Some(target) = self.modules.iter().position(|m| m.name == name) else {
            return Err(self.err(0, 0, format!("module ({name}) is not in the tree")));
        };
        if self.modules[target].core {
            if let Some(b) = self.builtins.get(&var) {
                return Ok(b.value());
            }
        }
        match self.modules[target].index.get(&var) {
            Some(&i) => self.force_binding(target, i),
            None => match self.builtins.get(&var) {
                Some(b) => Ok(b.value()),
                None => Err(self.err(0, 0, format!("({name}) has no variable '{var}'"))),
            },
        }
    }

    /// Guix's `find-packages-by-name`: public packages named `name` (and
    /// whose version starts with `version`), newest first. Candidates are
    /// the bindings whose `package` form states that name literally.
    pub fn find_packages_by_name(&self, name: &str, version: Option<&str>) -> EvalResult<'a> {
        if self.name_index.borrow().is_none() {
            let mut index: HashMap<String, Vec<(usize, usize)>> = HashMap::new();
            for (mi, m) in self.modules.iter().enumerate() {
                if m.core {
                    continue;
                }
                for (bi, b) in m.bindings.iter().enumerate() {
                    if !b.public || b.procedure {
                        continue;
                    }
                    match literal_package_name(b.expr, self.sym.name) {
                        Some(n) => index.entry(n.to_owned()).or_default().push((mi, bi)),
                        // `(package (inherit x) ...)` keeping the name: a
                        // candidate for every prefix of its variable name.
                        None => {
                            let var = b.name.as_str();
                            for (i, c) in var.char_indices() {
                                if c == '-' && i > 0 {
                                    index.entry(var[..i].to_owned()).or_default().push((mi, bi));
                                }
                            }
                            index.entry(var.to_owned()).or_default().push((mi, bi));
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
            let Ok(Value::Package(p)) = self.force_binding(m, b) else {
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

    fn eval_package(
        &self,
        list: &'a List,
        env: &Env<'a>,
        inherit_from: Option<Value<'a>>,
    ) -> EvalResult<'a> {
        let module = env.module;
        let mut thunks: Vec<Thunk<'a>> = vec![Thunk::Default; Field::ALL.len()];
        let mut hidden = false;
        let start = if inherit_from.is_some() { 2 } else { 1 };
        let mut parent = inherit_from;
        // As in Guix's records, each field given is bound for the fields
        // after it (`let*`); thunked fields are evaluated on demand.
        let mut cur = env.clone();
        for clause in &list.items[start..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line, "malformed package field"));
            };
            let (Some(name), Some(expr)) =
                (c.items.first().and_then(Syntax::as_symbol), c.items.get(1))
            else {
                return Err(self.err(module, c.line, "malformed package field"));
            };
            if name == self.sym.inherit {
                parent = Some(self.eval(expr, &cur)?);
                continue;
            }
            if let Some(f) = Field::from_name(name.as_str()) {
                if f.is_thunked() {
                    thunks[f as usize] = Thunk::Expr(expr, cur.clone());
                } else {
                    match self.eval(expr, &cur) {
                        Ok(v) => {
                            thunks[f as usize] = Thunk::Value(v.clone());
                            cur = Frame::child(&cur, vec![(name, v)]);
                        }
                        Err(e) => thunks[f as usize] = Thunk::Failed(e),
                    }
                }
            }
        }
        if let Some(p) = parent {
            let Value::Package(p) = p else {
                return Err(self.err(
                    module,
                    list.line,
                    format!("'inherit' of a {}, not a package", p.type_name()),
                ));
            };
            hidden = p.hidden;
            for (i, t) in thunks.iter_mut().enumerate() {
                // `replacement` is innate: never inherited.
                if matches!(t, Thunk::Default) && i != Field::Replacement as usize {
                    *t = p.thunks[i].clone();
                }
            }
        }
        let mut pkg = Package::new(thunks, module, list.line);
        pkg.hidden = hidden;
        Ok(Value::Package(Rc::new(pkg)))
    }

    /// The value of a package field, forced once per package object.
    pub fn field(&self, pkg: &Rc<Package<'a>>, field: Field) -> EvalResult<'a> {
        let i = field as usize;
        match &pkg.slots.borrow()[i] {
            Slot::Done(v) => return v.clone(),
            Slot::Forcing => {
                return Err(self.err(
                    pkg.module,
                    pkg.line,
                    format!("cycle: package field '{}' needs itself", field.name()),
                ))
            }
            Slot::Pending => {}
        }
        pkg.slots.borrow_mut()[i] = Slot::Forcing;
        self.this_package.borrow_mut().push(pkg.clone());
        let result = match &pkg.thunks[i] {
            Thunk::Default => Ok(default_field(field)),
            Thunk::Value(v) => Ok(v.clone()),
            Thunk::Failed(e) => Err(e.clone()),
            Thunk::Expr(e, env) => {
                if field == Field::Arguments {
                    Ok(Value::Code(e))
                } else {
                    self.eval(e, env)
                }
            }
            Thunk::Mapped(from, f, proc) => self.field(from, *f).and_then(|v| {
                self.apply(
                    &Value::Procedure(proc.clone()),
                    vec![v],
                    pkg.module,
                    pkg.line,
                )
            }),
        };
        self.this_package.borrow_mut().pop();
        let result = match result {
            Ok(v) if field.is_inputs() => self.sanitize_inputs(v, pkg.module, pkg.line),
            r => r,
        };
        pkg.slots.borrow_mut()[i] = Slot::Done(result.clone());
        result
    }

    /// Guix's `sanitize-inputs`: labels new-style inputs.
    fn sanitize_inputs(&self, v: Value<'a>, module: usize, line: u32) -> EvalResult<'a> {
        let Some(items) = v.as_slice() else {
            return Err(self.err(
                module,
                line,
                format!("inputs are a {}, not a list", v.type_name()),
            ));
        };
        if let Some(first) = items.first() {
            if matches!(first.as_slice(), Some([Value::Str(_), ..])) {
                return Ok(v);
            }
        }
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            out.push(self.add_input_label(item)?);
        }
        Ok(Value::list(out))
    }

    /// Guix's `add-input-label`.
    pub fn add_input_label(&self, item: &Value<'a>) -> EvalResult<'a> {
        Ok(match item {
            Value::Package(p) => Value::list(vec![self.field(p, Field::Name)?, item.clone()]),
            _ => match item.as_slice() {
                Some([Value::Package(p), output]) => Value::list(vec![
                    self.field(p, Field::Name)?,
                    Value::Package(p.clone()),
                    output.clone(),
                ]),
                Some([Value::Str(_), ..]) => item.clone(),
                _ => Value::list(vec![Value::str("_"), item.clone()]),
            },
        })
    }

    fn eval_record(&self, kind: Symbol, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let module = env.module;
        let mut fields: Vec<(Symbol, Value<'a>)> = Vec::new();
        let mut cur = env.clone();
        let lazy: &[&str] = match kind.as_str() {
            "origin" => &[
                "snippet",
                "modules",
                "imported-modules",
                "patch-flags",
                "patch-inputs",
                "patch-guile",
            ],
            "build-system" => &["description", "lower"],
            _ => &[],
        };
        for clause in &list.items[1..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line, format!("malformed {kind} field")));
            };
            let (Some(name), Some(expr)) =
                (c.items.first().and_then(Syntax::as_symbol), c.items.get(1))
            else {
                return Err(self.err(module, c.line, format!("malformed {kind} field")));
            };
            if name == self.sym.inherit {
                let parent = self.eval(expr, &cur)?;
                let Value::Record(r) = parent else {
                    return Err(self.err(
                        module,
                        c.line,
                        format!("'inherit' of a {}", parent.type_name()),
                    ));
                };
                for (n, v) in &r.fields {
                    if !fields.iter().any(|(f, _)| f == n) {
                        fields.push((*n, v.clone()));
                    }
                }
                continue;
            }
            let v = if lazy.contains(&name.as_str()) {
                Value::Code(expr)
            } else {
                self.eval(expr, &cur)?
            };
            cur = Frame::child(&cur, vec![(name, v.clone())]);
            match fields.iter_mut().find(|(f, _)| *f == name) {
                Some(slot) => slot.1 = v,
                None => fields.push((name, v)),
            }
        }
        Ok(Value::Record(Rc::new(Record { kind, fields })))
    }

    fn eval_modify_inputs(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let module = env.module;
        let Some(first) = list.items.get(1) else {
            return Err(self.err(module, list.line, "modify-inputs without inputs"));
        };
        let v = self.eval(first, env)?;
        let mut inputs: Vec<Value<'a>> = self
            .sanitize_inputs(v, module, list.line)?
            .as_slice()
            .unwrap_or_default()
            .to_vec();
        let label_of = |v: &Value<'a>| -> Option<Rc<str>> {
            match v.as_slice() {
                Some([Value::Str(l), ..]) => Some(l.clone()),
                _ => None,
            }
        };
        for clause in &list.items[2..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line, "malformed modify-inputs clause"));
            };
            let op = c
                .items
                .first()
                .and_then(Syntax::as_symbol)
                .map(Symbol::as_str);
            let mut args = Vec::new();
            for a in &c.items[1..] {
                args.push(self.eval(a, env)?);
            }
            match op {
                Some("delete") => {
                    for name in &args {
                        let Some(name) = name.as_str() else {
                            return Err(self.err(module, c.line, "delete takes input labels"));
                        };
                        inputs.retain(|i| label_of(i).as_deref() != Some(name));
                    }
                }
                Some("prepend") | Some("append") => {
                    let mut new = Vec::new();
                    for a in &args {
                        new.push(self.add_input_label(a)?);
                    }
                    if op == Some("prepend") {
                        new.append(&mut inputs);
                        inputs = new;
                    } else {
                        inputs.append(&mut new);
                    }
                }
                Some("replace") => {
                    let [name, replacement] = &args[..] else {
                        return Err(self.err(
                            module,
                            c.line,
                            "replace takes a label and a package",
                        ));
                    };
                    let Some(name) = name.as_str() else {
                        return Err(self.err(module, c.line, "replace takes a label"));
                    };
                    for i in inputs.iter_mut() {
                        if let Some(label) = label_of(i) {
                            if &*label == name {
                                let mut item = vec![Value::Str(label)];
                                match replacement.as_slice() {
                                    Some([p, out]) => {
                                        item.push(p.clone());
                                        item.push(out.clone());
                                    }
                                    _ => item.push(replacement.clone()),
                                }
                                *i = Value::list(item);
                            }
                        }
                    }
                }
                _ => return Err(self.err(module, c.line, "unknown modify-inputs clause")),
            }
        }
        Ok(Value::list(inputs))
    }

    fn eval_match(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let module = env.module;
        let Some(e) = list.items.get(1) else {
            return Err(self.err(module, list.line, "match without an expression"));
        };
        let v = self.eval(e, env)?;
        self.match_clauses(v, &list.items[2..], env, list.line)
    }

    fn match_clauses(
        &self,
        v: Value<'a>,
        clauses: &'a [Syntax],
        env: &Env<'a>,
        line: u32,
    ) -> EvalResult<'a> {
        let module = env.module;
        for clause in clauses {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, line, "malformed match clause"));
            };
            let Some(pat) = c.items.first() else {
                return Err(self.err(module, line, "empty match clause"));
            };
            let mut binds = Vec::new();
            if self.match_pattern(pat, &v, &mut binds, env)? {
                let frame = Frame::child(env, binds);
                return self.eval_body(&c.items[1..], &frame);
            }
        }
        Err(self.err(module, line, format!("no match clause for {v:?}")))
    }

    fn match_pattern(
        &self,
        pat: &'a Syntax,
        v: &Value<'a>,
        binds: &mut Vec<(Symbol, Value<'a>)>,
        env: &Env<'a>,
    ) -> Result<bool, EvalError> {
        match pat {
            Syntax::Symbol(s) if *s == self.sym.underscore => Ok(true),
            Syntax::Symbol(s) => {
                binds.push((*s, v.clone()));
                Ok(true)
            }
            Syntax::Keyword(_) | Syntax::Atom(_) => Ok(equal(&self.quote(pat), v)),
            Syntax::Vector(_) => {
                Err(self.err(env.module, pat.line(), "vector patterns are not supported"))
            }
            Syntax::List(l) => {
                if let Some(h) = l.items.first().and_then(Syntax::as_symbol) {
                    if h == self.sym.quote && l.items.len() == 2 {
                        return Ok(equal(&self.quote(&l.items[1]), v));
                    }
                    if h == self.sym.question && l.items.len() >= 2 {
                        let pred = self.eval(&l.items[1], env)?;
                        if !self
                            .apply(&pred, vec![v.clone()], env.module, l.line)?
                            .is_true()
                        {
                            return Ok(false);
                        }
                        for p in &l.items[2..] {
                            if !self.match_pattern(p, v, binds, env)? {
                                return Ok(false);
                            }
                        }
                        return Ok(true);
                    }
                    match h.as_str() {
                        "and" => {
                            for p in &l.items[1..] {
                                if !self.match_pattern(p, v, binds, env)? {
                                    return Ok(false);
                                }
                            }
                            return Ok(true);
                        }
                        "or" => {
                            for p in &l.items[1..] {
                                if self.match_pattern(p, v, binds, env)? {
                                    return Ok(true);
                                }
                            }
                            return Ok(false);
                        }
                        "$" | "=" | "not" | "quasiquote" => {
                            return Err(self.err(
                                env.module,
                                l.line,
                                format!("match pattern '({h} ...)' is not supported"),
                            ))
                        }
                        _ => {}
                    }
                }
                // A list pattern, with an optional trailing `p ...` or a
                // dotted tail.
                let (elems, values_tail): (Vec<Value<'a>>, Option<Value<'a>>) = match v {
                    Value::Null => (Vec::new(), None),
                    Value::List(xs) => (xs.to_vec(), None),
                    Value::Pair(_) => {
                        let mut xs = Vec::new();
                        let mut cur = v.clone();
                        while let Value::Pair(p) = cur {
                            xs.push(p.0.clone());
                            cur = p.1.clone();
                        }
                        (xs, Some(cur))
                    }
                    _ => return Ok(false),
                };
                let pats = &l.items;
                let ellipsis_at = pats
                    .iter()
                    .position(|p| p.as_symbol() == Some(self.sym.ellipsis));
                if let Some(e) = ellipsis_at {
                    if e == 0 || e != pats.len() - 1 || l.tail.is_some() || values_tail.is_some() {
                        return Err(self.err(env.module, l.line, "unsupported ellipsis pattern"));
                    }
                    let fixed = e - 1;
                    if elems.len() < fixed {
                        return Ok(false);
                    }
                    for (p, x) in pats[..fixed].iter().zip(&elems) {
                        if !self.match_pattern(p, x, binds, env)? {
                            return Ok(false);
                        }
                    }
                    let rest = &elems[fixed..];
                    match &pats[e - 1] {
                        Syntax::Symbol(s) if *s == self.sym.underscore => {}
                        Syntax::Symbol(s) => binds.push((*s, Value::list(rest.to_vec()))),
                        p => {
                            // Each variable of the sub-pattern gets the list
                            // of its values across the elements.
                            let mut runs: Vec<Vec<(Symbol, Value<'a>)>> = Vec::new();
                            for x in rest {
                                let mut scratch = Vec::new();
                                if !self.match_pattern(p, x, &mut scratch, env)? {
                                    return Ok(false);
                                }
                                runs.push(scratch);
                            }
                            let mut vars: Vec<Symbol> = Vec::new();
                            self.pattern_vars(p, &mut vars);
                            for var in vars {
                                let values = runs
                                    .iter()
                                    .filter_map(|r| {
                                        r.iter().find(|(n, _)| *n == var).map(|(_, v)| v.clone())
                                    })
                                    .collect();
                                binds.push((var, Value::list(values)));
                            }
                        }
                    }
                    return Ok(true);
                }
                match &l.tail {
                    None => {
                        if values_tail.is_some() || elems.len() != pats.len() {
                            return Ok(false);
                        }
                        for (p, x) in pats.iter().zip(&elems) {
                            if !self.match_pattern(p, x, binds, env)? {
                                return Ok(false);
                            }
                        }
                        Ok(true)
                    }
                    Some(t) => {
                        if elems.len() < pats.len() {
                            return Ok(false);
                        }
                        for (p, x) in pats.iter().zip(&elems) {
                            if !self.match_pattern(p, x, binds, env)? {
                                return Ok(false);
                            }
                        }
                        let rest = elems[pats.len()..].to_vec();
                        let rest = rest
                            .into_iter()
                            .rev()
                            .fold(values_tail.unwrap_or(Value::Null), |acc, x| cons(x, acc));
                        self.match_pattern(t, &rest, binds, env)
                    }
                }
            }
        }
    }

    /// The variables a match pattern binds.
    fn pattern_vars(&self, p: &Syntax, out: &mut Vec<Symbol>) {
        match p {
            Syntax::Symbol(s) if *s != self.sym.underscore && *s != self.sym.ellipsis => {
                out.push(*s)
            }
            Syntax::List(l) => {
                let skip = match l.items.first().and_then(Syntax::as_symbol) {
                    Some(h) if h == self.sym.quote => return,
                    Some(h) if h == self.sym.question => 2,
                    _ => 0,
                };
                for i in l.items.iter().skip(skip) {
                    self.pattern_vars(i, out);
                }
                if let Some(t) = &l.tail {
                    self.pattern_vars(t, out);
                }
            }
            _ => {}
        }
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
        lexpr::Value::String(s) => Value::Str(Rc::from(&**s)),
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
    let head = l.items.first()?.as_symbol()?;
    match head.as_str() {
        "package" | "package/inherit" => l.items.iter().skip(1).find_map(|c| {
            let c = c.as_list()?;
            (c.items.len() == 2 && c.items[0].as_symbol() == Some(name_sym))
                .then(|| c.items[1].as_str())
                .flatten()
        }),
        _ => l
            .items
            .last()
            .and_then(|inner| literal_package_name(inner, name_sym)),
    }
}
