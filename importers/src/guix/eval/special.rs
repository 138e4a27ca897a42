//! The special forms the interpreter knows (`let`, `if`, `cond`, `lambda`,
//! `define`, quasiquote and the rest), with definitions, parameter lists
//! and quoting.

use super::*;

impl<'a> Interp<'a> {
    pub(super) fn eval_special(
        &self,
        special: Special,
        head: Symbol,
        list: &'a List,
        env: &Env<'a>,
    ) -> EvalResult<'a> {
        let items = list.items();
        let line = list.line();
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
                    let Some(test) = c.items().first() else {
                        return Err(self.err(module, line, "empty cond clause"));
                    };
                    let v = if test.as_symbol() == Some(self.sym.else_) {
                        Value::Bool(true)
                    } else {
                        self.eval(test, env)?
                    };
                    if v.is_true() {
                        if c.items().get(1).and_then(Syntax::as_symbol) == Some(self.sym.arrow) {
                            let f = self.eval(
                                c.items().get(2).ok_or_else(|| {
                                    self.err(module, c.line(), "nothing after '=>'")
                                })?,
                                env,
                            )?;
                            return self.apply(&f, vec![v], module, c.line());
                        }
                        if c.items().len() == 1 {
                            return Ok(v);
                        }
                        return self.eval_seq(&c.items()[1..], env);
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
                    let hit = match c.items().first() {
                        Some(Syntax::Symbol(s)) if *s == self.sym.else_ => true,
                        Some(Syntax::List(data)) => {
                            data.items().iter().any(|d| equal(&self.quote(d), &key))
                        }
                        _ => false,
                    };
                    if hit {
                        return self.eval_seq(&c.items()[1..], env);
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
                    for b in bindings.items() {
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
                    let result = self.apply(&proc, values, module, line);
                    drop(proc);
                    self.release(frame);
                    return result;
                }
                let Some(bindings) = arg(1)?.as_list() else {
                    return Err(self.err(module, line, "malformed let"));
                };
                let mut vars = Vec::with_capacity(bindings.items().len());
                for b in bindings.items() {
                    let (n, e) = self.let_binding(b, module, line)?;
                    vars.push((n, self.eval(e, env)?));
                }
                let frame = Frame::child(env, vars);
                let result = self.eval_body(&items[2..], &frame);
                self.release(frame);
                result
            }
            Special::LetStar | Special::Letrec => {
                let Some(bindings) = arg(1)?.as_list() else {
                    return Err(self.err(module, line, "malformed let*"));
                };
                let frame = Frame::child(env, Vec::new());
                for b in bindings.items() {
                    let (n, e) = self.let_binding(b, module, line)?;
                    let v = name_closure(self.eval(e, &frame)?, n);
                    frame.vars.borrow_mut().push((n, v));
                }
                let result = self.eval_body(&items[2..], &frame);
                self.release(frame);
                result
            }
            Special::LetValues(sequential) => {
                let Some(bindings) = arg(1)?.as_list() else {
                    return Err(self.err(module, line, "malformed let-values"));
                };
                let frame = Frame::child(env, Vec::new());
                let mut vars = Vec::new();
                for b in bindings.items() {
                    let (Some(formals), Some(e)) = (
                        b.as_list()
                            .filter(|b| b.items().len() == 2)
                            .map(|b| &b.items()[0]),
                        b.as_list().and_then(|b| b.items().get(1)),
                    ) else {
                        return Err(self.err(module, line, "malformed let-values binding"));
                    };
                    let values = self.eval(e, if sequential { &frame } else { env })?;
                    let bound = self.bind_formals(formals, values.into_values(), module, line)?;
                    if sequential {
                        frame.vars.borrow_mut().extend(bound);
                    } else {
                        vars.extend(bound);
                    }
                }
                frame.vars.borrow_mut().extend(vars);
                let result = self.eval_body(&items[2..], &frame);
                self.release(frame);
                result
            }
            Special::Receive => {
                let values = self.eval(arg(2)?, env)?;
                let bound = self.bind_formals(arg(1)?, values.into_values(), module, line)?;
                let frame = Frame::child(env, bound);
                let result = self.eval_body(&items[3..], &frame);
                self.release(frame);
                result
            }
            Special::MLambda => {
                let inner = self.eval_special(Special::Lambda, head, list, env)?;
                let Value::Procedure(p) = inner else {
                    return Err(self.err(module, line, "malformed mlambda"));
                };
                Ok(self.memoising(Procedure::Memo(p, RefCell::default())))
            }
            Special::Lambda => {
                let (req, tail): (&'a [Syntax], Option<&'a Syntax>) = match arg(1)? {
                    Syntax::List(l) => (l.items(), l.tail()),
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
            Special::CaseLambda => {
                let mut clauses = Vec::new();
                for clause in &items[1..] {
                    let Syntax::List(c) = clause else {
                        return Err(self.err(module, line, "malformed case-lambda clause"));
                    };
                    let (req, tail): (&'a [Syntax], Option<&'a Syntax>) = match c.items().first() {
                        Some(Syntax::List(l)) => (l.items(), l.tail()),
                        Some(s @ Syntax::Symbol(_)) => (&[], Some(s)),
                        _ => {
                            return Err(self.err(module, c.line(), "malformed case-lambda clause"))
                        }
                    };
                    clauses.push(Closure {
                        name: None,
                        params: self.params(req, tail, module, c.line())?,
                        body: &c.items()[1..],
                        env: env.clone(),
                    });
                }
                Ok(Value::Procedure(Rc::new(Procedure::CaseLambda(clauses))))
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
            Special::SubstituteKeywordArguments => self.substitute_keyword_arguments(list, env),
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
            Special::ContentHash => {
                // `(content-hash VALUE [ALGORITHM])`: as Guix's macro, the
                // algorithm is an identifier, not evaluated.
                let value = self.eval(arg(1)?, env)?;
                let algorithm = match items.get(2) {
                    None => "sha256",
                    Some(a) => a.as_symbol().map(Symbol::as_str).ok_or_else(|| {
                        self.err(module, line, "content-hash: the algorithm is not a name")
                    })?,
                };
                Ok(match value {
                    Value::Record(r) if r.kind.as_str() == "hash" => {
                        let mut fields = r.fields.clone();
                        fields.push((Symbol::intern("algorithm"), Value::str(algorithm)));
                        Value::Record(Rc::new(Record {
                            kind: r.kind,
                            fields,
                        }))
                    }
                    other => other,
                })
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
                    items.get(1).map(crate::guix::load::module_name_of),
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

    /// `(define name expr)` or `(define (name . params) body...)`.
    pub(super) fn define_form(
        &self,
        form: &'a Syntax,
        env: &Env<'a>,
    ) -> Result<(Symbol, Value<'a>), EvalError> {
        let l = form.as_list().expect("checked by caller");
        match l.items().get(1) {
            Some(Syntax::Symbol(name)) => {
                let v = match l.items().get(2) {
                    Some(e) => self.eval(e, env)?,
                    None => Value::Unspecified,
                };
                Ok((*name, name_closure(v, *name)))
            }
            Some(Syntax::List(_)) => self.define_procedure(form, env),
            _ => Err(self.err(env.module, l.line(), "malformed define")),
        }
    }

    /// `(define (name . params) body...)` as a closure.
    pub(super) fn define_procedure(
        &self,
        form: &'a Syntax,
        env: &Env<'a>,
    ) -> Result<(Symbol, Value<'a>), EvalError> {
        let l = form.as_list().expect("a define form");
        let Some(Syntax::List(sig)) = l.items().get(1) else {
            return Err(self.err(env.module, l.line(), "malformed procedure definition"));
        };
        let Some(name) = sig.items().first().and_then(Syntax::as_symbol) else {
            return Err(self.err(
                env.module,
                l.line(),
                "curried definitions are not supported",
            ));
        };
        let params = self.params(&sig.items()[1..], sig.tail(), env.module, l.line())?;
        let closure = Closure {
            name: Some(name),
            params,
            body: &l.items()[2..],
            env: env.clone(),
        };
        Ok((name, Value::Procedure(Rc::new(Procedure::Closure(closure)))))
    }

    /// Parses a formal parameter list.
    /// Guix's `(substitute-keyword-arguments args ((kw var [default]) exp)
    /// ...)`: ARGS with the value of each KW replaced by EXP evaluated with
    /// VAR bound to the old value; a KW missing from ARGS is first added
    /// with its DEFAULT, when one is given (as `default-keyword-arguments`
    /// does, in front).
    fn substitute_keyword_arguments(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let (module, line) = (env.module, list.line());
        let malformed = || self.err(module, line, "malformed substitute-keyword-arguments");
        let original = list.items().get(1).ok_or_else(malformed)?;
        let args = self.eval(original, env)?;
        let Some(args) = args.as_slice() else {
            return Err(self.err(
                module,
                line,
                format!(
                    "substitute-keyword-arguments of a {}, not a list",
                    args.type_name()
                ),
            ));
        };
        // (keyword, variable, expression) of each clause.
        let mut clauses = Vec::new();
        let mut defaults = Vec::new();
        for clause in &list.items()[2..] {
            let (Some(Syntax::List(head)), Some(expr), 2) = (
                clause.as_list().and_then(|c| c.items().first()),
                clause.as_list().and_then(|c| c.items().get(1)),
                clause.as_list().map_or(0, |c| c.items().len()),
            ) else {
                return Err(malformed());
            };
            let (Some(Syntax::Keyword(kw)), Some(var)) = (
                head.items().first(),
                head.items().get(1).and_then(Syntax::as_symbol),
            ) else {
                return Err(malformed());
            };
            if let Some(default) = head.items().get(2) {
                let value = self.eval(default, env)?;
                if !args.iter().any(|a| matches!(a, Value::Kw(k) if k == kw)) {
                    defaults.push((*kw, value));
                }
            }
            clauses.push((*kw, var, expr));
        }
        let mut all = Vec::with_capacity(args.len() + 2 * defaults.len());
        for (kw, value) in defaults.into_iter().rev() {
            all.push(Value::Kw(kw));
            all.push(value);
        }
        all.extend(args.iter().cloned());
        let mut out = Vec::with_capacity(all.len());
        let mut i = 0;
        while i < all.len() {
            let clause = match &all[i] {
                Value::Kw(k) if i + 1 < all.len() => clauses.iter().find(|(kw, _, _)| kw == k),
                _ => None,
            };
            match clause {
                Some((_, var, expr)) => {
                    let old = all[i + 1].clone();
                    let new = self.eval(expr, &Frame::child(env, vec![(*var, old)]))?;
                    out.push(all[i].clone());
                    out.push(new);
                    i += 2;
                }
                None => {
                    out.push(all[i].clone());
                    i += 1;
                }
            }
        }
        Ok(Value::list(out))
    }

    pub(super) fn params(
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
                Syntax::List(l) if l.items().len() == 2 && l.tail().is_none() => {
                    let Some(s) = l.items()[0].as_symbol() else {
                        return Err(self.err(module, line, "malformed parameter"));
                    };
                    match mode {
                        Mode::Optional => p.optional.push((s, Some(&l.items()[1]))),
                        Mode::Key => p.keys.push((s, Some(&l.items()[1]))),
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
            Syntax::Str(s) => Value::Str(s.clone()),
            Syntax::Atom(a) => atom_value(a),
            Syntax::List(l) => {
                let items: Vec<Value<'a>> = l.items().iter().map(|i| self.quote(i)).collect();
                match l.tail() {
                    None => Value::list(items),
                    Some(t) => items
                        .into_iter()
                        .rev()
                        .fold(self.quote(t), |acc, x| cons(x, acc)),
                }
            }
            Syntax::Vector(l) => Value::Vector(l.items().iter().map(|i| self.quote(i)).collect()),
        }
    }

    pub(super) fn quasi(&self, s: &'a Syntax, depth: usize, env: &Env<'a>) -> EvalResult<'a> {
        let Syntax::List(l) = s else {
            if let Syntax::Vector(l) = s {
                let mut items = Vec::new();
                for i in l.items() {
                    items.push(self.quasi(i, depth, env)?);
                }
                return Ok(Value::Vector(items.into()));
            }
            return Ok(self.quote(s));
        };
        if l.items().len() == 2 && l.tail().is_none() {
            if let Some(h) = l.items()[0].as_symbol() {
                if h == self.sym.unquote {
                    if depth == 1 {
                        return self.eval(&l.items()[1], env);
                    }
                    let inner = self.quasi(&l.items()[1], depth - 1, env)?;
                    return Ok(Value::list(vec![Value::Sym(h), inner]));
                }
                if h == self.sym.quasiquote {
                    let inner = self.quasi(&l.items()[1], depth + 1, env)?;
                    return Ok(Value::list(vec![Value::Sym(h), inner]));
                }
            }
        }
        let mut items = Vec::with_capacity(l.items().len());
        for item in l.items() {
            if let Some(il) = item.as_list() {
                if il.items().len() == 2
                    && il.items()[0].as_symbol() == Some(self.sym.unquote_splicing)
                {
                    if depth == 1 {
                        let v = self.eval(&il.items()[1], env)?;
                        match v.as_slice() {
                            Some(xs) => items.extend(xs.iter().cloned()),
                            None => {
                                return Err(self.err(
                                    env.module,
                                    il.line(),
                                    format!("unquote-splicing of a {}", v.type_name()),
                                ))
                            }
                        }
                        continue;
                    }
                    let inner = self.quasi(&il.items()[1], depth - 1, env)?;
                    items.push(Value::list(vec![
                        Value::Sym(self.sym.unquote_splicing),
                        inner,
                    ]));
                    continue;
                }
            }
            items.push(self.quasi(item, depth, env)?);
        }
        match l.tail() {
            None => Ok(Value::list(items)),
            Some(t) => {
                let tail = self.quasi(t, depth, env)?;
                Ok(items.into_iter().rev().fold(tail, |acc, x| cons(x, acc)))
            }
        }
    }
}

/// The bindings of `let` forms and of `let-values` / `receive` formals.
impl<'a> Interp<'a> {
    /// Binds the formals of `let-values` or `receive` (`(a b)`,
    /// `(a . rest)` or `rest`) to `values`.
    fn bind_formals(
        &self,
        formals: &'a Syntax,
        mut values: Vec<Value<'a>>,
        module: usize,
        line: u32,
    ) -> Result<Vec<(Symbol, Value<'a>)>, EvalError> {
        let (names, rest) = match formals {
            Syntax::Symbol(rest) => (&[][..], Some(*rest)),
            Syntax::List(l) => match l.tail() {
                None => (l.items(), None),
                Some(Syntax::Symbol(rest)) => (l.items(), Some(*rest)),
                Some(_) => return Err(self.err(module, l.line(), "malformed formals")),
            },
            _ => return Err(self.err(module, line, "malformed formals")),
        };
        if values.len() < names.len() || (rest.is_none() && values.len() > names.len()) {
            return Err(self.err(
                module,
                line,
                format!("{} values for {} variables", values.len(), names.len()),
            ));
        }
        let extra = values.split_off(names.len());
        let mut bound = Vec::with_capacity(names.len() + 1);
        for (name, v) in names.iter().zip(values) {
            let Some(name) = name.as_symbol() else {
                return Err(self.err(module, line, "malformed formals"));
            };
            bound.push((name, v));
        }
        if let Some(rest) = rest {
            bound.push((rest, Value::list(extra)));
        }
        Ok(bound)
    }

    fn let_binding(
        &self,
        b: &'a Syntax,
        module: usize,
        line: u32,
    ) -> Result<(Symbol, &'a Syntax), EvalError> {
        match b.as_list().map(|l| l.items()) {
            Some([Syntax::Symbol(n), e]) => Ok((*n, e)),
            _ => Err(self.err(module, line, "malformed let binding")),
        }
    }
}
