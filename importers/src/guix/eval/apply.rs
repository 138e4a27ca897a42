//! Applying procedures: built-ins, closures with their parameter lists, and
//! `package-mapping` results.

use super::*;

impl<'a> Interp<'a> {
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
            Procedure::CaseLambda(clauses) => {
                match clauses.iter().find(|c| c.params.take(args.len())) {
                    Some(c) => self.call_closure(c, args, line),
                    None => Err(self.err(
                        module,
                        line,
                        format!("no case-lambda clause takes {} arguments", args.len()),
                    )),
                }
            }
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

    pub(super) fn apply_mapping(
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
            let mut thunks = q.thunks.to_vec();
            for f in [Field::Inputs, Field::NativeInputs, Field::PropagatedInputs] {
                thunks[f as usize] = Thunk::Mapped(Box::new((q.clone(), f, rewrite.clone())));
            }
            let mut pkg = Package::new(thunks, q.module, q.line, self.birth());
            pkg.hidden = q.hidden;
            Value::Package(Rc::new(pkg))
        };
        m.memo
            .borrow_mut()
            .insert(key, (arg.clone(), result.clone()));
        Ok(result)
    }

    pub(super) fn call_closure(
        &self,
        c: &Closure<'a>,
        args: Vec<Value<'a>>,
        line: u32,
    ) -> EvalResult<'a> {
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
        let result = self.eval_body(c.body, &frame);
        self.release(frame);
        result
    }
}
