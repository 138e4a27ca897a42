//! `package` and other record forms, package fields as Guix's records
//! compute them, input lists and `modify-inputs`.

use super::*;

impl<'a> Interp<'a> {
    pub(super) fn eval_package(
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
        // Whether `cur` is a frame of this form's fields: while nothing
        // else holds it (no thunk or closure captured it), the next field
        // is bound in it rather than in a frame of its own. The frames
        // thunks keep stay alive as long as their packages.
        let mut own = false;
        for clause in &list.items()[start..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line(), "malformed package field"));
            };
            let (Some(name), Some(expr)) = (
                c.items().first().and_then(Syntax::as_symbol),
                c.items().get(1),
            ) else {
                return Err(self.err(module, c.line(), "malformed package field"));
            };
            if name == self.sym.inherit {
                parent = Some(self.eval(expr, &cur)?);
                continue;
            }
            if let Some(f) = Field::from_name(name.as_str()) {
                if f.is_thunked() {
                    if own {
                        // Captured from now on, so never grown again.
                        cur.vars.borrow_mut().shrink_to_fit();
                    }
                    thunks[f as usize] = Thunk::Expr(expr, cur.clone());
                } else {
                    match self.eval(expr, &cur) {
                        Ok(v) => {
                            thunks[f as usize] = Thunk::Value(v.clone());
                            if own && Rc::strong_count(&cur) == 1 {
                                cur.vars.borrow_mut().push((name, v));
                            } else {
                                cur = Frame::child(&cur, vec![(name, v)]);
                                own = true;
                            }
                        }
                        Err(mut e) => {
                            // A variable alone has no line: the field's.
                            if e.line == 0 {
                                e.line = c.line();
                                e.module = module;
                            }
                            thunks[f as usize] = Thunk::Failed(Box::new(e))
                        }
                    }
                }
            }
        }
        if let Some(p) = parent {
            let Value::Package(p) = p else {
                return Err(self.err(
                    module,
                    list.line(),
                    format!("'inherit' of a {}, not a package", p.type_name()),
                ));
            };
            hidden = p.hidden;
            for (t, f) in thunks.iter_mut().zip(Field::ALL) {
                // `replacement` is innate: never inherited.
                if matches!(t, Thunk::Default) && f != Field::Replacement {
                    if let Some(inherited) = p.thunks.get(f) {
                        *t = inherited.clone();
                    }
                }
            }
        }
        let mut pkg = Package::new(thunks, module, list.line(), self.birth());
        pkg.hidden = hidden;
        Ok(Value::Package(Rc::new(pkg)))
    }

    /// `(package-arguments p)` as package code sees it: the arguments
    /// evaluated to a list, when they evaluate (G-expressions in them stay
    /// code). The package's `arguments` field itself stays code, as
    /// written: this is only for procedures that look into it (`memq` of a
    /// keyword ...). When the expression does not evaluate, the code, as
    /// the field gives it.
    pub fn arguments_value(&self, pkg: &Rc<Package<'a>>) -> EvalResult<'a> {
        if let Some(Thunk::Expr(e, env)) = pkg.thunks.get(Field::Arguments) {
            self.this_package.borrow_mut().push(pkg.clone());
            let value = self.eval(e, env);
            self.this_package.borrow_mut().pop();
            if let Ok(v) = value {
                if v.as_slice().is_some() {
                    return Ok(v);
                }
            }
        }
        self.field(pkg, Field::Arguments)
    }

    /// The value of a package field, forced once per package object.
    pub fn field(&self, pkg: &Rc<Package<'a>>, field: Field) -> EvalResult<'a> {
        match pkg.slot(field) {
            Some(Slot::Done(v)) => return v.map_err(|e| *e),
            Some(Slot::Forcing) => {
                return Err(self.err(
                    pkg.module,
                    pkg.line,
                    format!("cycle: package field '{}' needs itself", field.name()),
                ))
            }
            None => {}
        }
        pkg.set_slot(field, Slot::Forcing);
        self.this_package.borrow_mut().push(pkg.clone());
        let result = match pkg.thunks.get(field).unwrap_or(&Thunk::Default) {
            Thunk::Default => Ok(default_field(field)),
            Thunk::Value(v) => Ok(v.clone()),
            Thunk::Failed(e) => Err(EvalError::clone(e)),
            Thunk::Expr(e, env) => {
                if field == Field::Arguments {
                    Ok(Value::Code(e))
                } else {
                    // An error without a line of its own (a variable
                    // alone): the line of the package form.
                    self.eval(e, env).map_err(|mut err| {
                        if err.line == 0 {
                            err.line = pkg.line;
                            err.module = pkg.module;
                        }
                        err
                    })
                }
            }
            Thunk::Mapped(m) => self.field(&m.0, m.1).and_then(|v| {
                self.apply(
                    &Value::Procedure(m.2.clone()),
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
        pkg.set_slot(field, Slot::Done(result.clone().map_err(Box::new)));
        result
    }

    /// Guix's `sanitize-inputs`: labels new-style inputs.
    pub(super) fn sanitize_inputs(&self, v: Value<'a>, module: usize, line: u32) -> EvalResult<'a> {
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

    pub(super) fn eval_record(
        &self,
        kind: Symbol,
        list: &'a List,
        env: &Env<'a>,
    ) -> EvalResult<'a> {
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
        for clause in &list.items()[1..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line(), format!("malformed {kind} field")));
            };
            let (Some(name), Some(expr)) = (
                c.items().first().and_then(Syntax::as_symbol),
                c.items().get(1),
            ) else {
                return Err(self.err(module, c.line(), format!("malformed {kind} field")));
            };
            if name == self.sym.inherit {
                let parent = self.eval(expr, &cur)?;
                let Value::Record(r) = parent else {
                    return Err(self.err(
                        module,
                        c.line(),
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
            } else if let (true, Syntax::Str(text)) =
                (kind.as_str() == "origin" && name.as_str() == "sha256", expr)
            {
                // Guix's `sha256` field reads a string written as such
                // (not a computed one) as Nix base32, at expansion time.
                builtins::hash_record(arcstr::literal!("nix-base32"), Value::Str(text.clone()))
            } else {
                self.eval(expr, &cur)?
            };
            cur = Frame::child(&cur, vec![(name, v.clone())]);
            match fields.iter_mut().find(|(f, _)| *f == name) {
                Some(slot) => slot.1 = v,
                None => fields.push((name, v)),
            }
        }
        // Records are held as long as their packages: no spare room.
        fields.shrink_to_fit();
        Ok(Value::Record(Rc::new(Record { kind, fields })))
    }

    pub(super) fn eval_modify_inputs(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let module = env.module;
        let Some(first) = list.items().get(1) else {
            return Err(self.err(module, list.line(), "modify-inputs without inputs"));
        };
        let v = self.eval(first, env)?;
        let mut inputs: Vec<Value<'a>> = self
            .sanitize_inputs(v, module, list.line())?
            .as_slice()
            .unwrap_or_default()
            .to_vec();
        let label_of = |v: &Value<'a>| -> Option<ArcStr> {
            match v.as_slice() {
                Some([Value::Str(l), ..]) => Some(l.clone()),
                _ => None,
            }
        };
        for clause in &list.items()[2..] {
            let Some(c) = clause.as_list() else {
                return Err(self.err(module, list.line(), "malformed modify-inputs clause"));
            };
            let op = c
                .items()
                .first()
                .and_then(Syntax::as_symbol)
                .map(Symbol::as_str);
            let mut args = Vec::new();
            for a in &c.items()[1..] {
                args.push(self.eval(a, env)?);
            }
            match op {
                Some("delete") => {
                    for name in &args {
                        let Some(name) = name.as_str() else {
                            return Err(self.err(module, c.line(), "delete takes input labels"));
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
                            c.line(),
                            "replace takes a label and a package",
                        ));
                    };
                    let Some(name) = name.as_str() else {
                        return Err(self.err(module, c.line(), "replace takes a label"));
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
                _ => return Err(self.err(module, c.line(), "unknown modify-inputs clause")),
            }
        }
        Ok(Value::list(inputs))
    }
}
