//! `match` as Guix package code uses it: clauses, patterns with ellipses,
//! and the variables they bind.

use super::*;

impl<'a> Interp<'a> {
    pub(super) fn eval_match(&self, list: &'a List, env: &Env<'a>) -> EvalResult<'a> {
        let module = env.module;
        let Some(e) = list.items().get(1) else {
            return Err(self.err(module, list.line(), "match without an expression"));
        };
        let v = self.eval(e, env)?;
        self.match_clauses(v, &list.items()[2..], env, list.line())
    }

    pub(super) fn match_clauses(
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
            let Some(pat) = c.items().first() else {
                return Err(self.err(module, line, "empty match clause"));
            };
            let mut binds = Vec::new();
            if self.match_pattern(pat, &v, &mut binds, env)? {
                let frame = Frame::child(env, binds);
                let result = self.eval_body(&c.items()[1..], &frame);
                self.release(frame);
                return result;
            }
        }
        Err(self.err(module, line, format!("no match clause for {v:?}")))
    }

    pub(super) fn match_pattern(
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
            Syntax::Keyword(_) | Syntax::Str(_) | Syntax::Atom(_) => Ok(equal(&self.quote(pat), v)),
            Syntax::Vector(_) => {
                Err(self.err(env.module, pat.line(), "vector patterns are not supported"))
            }
            Syntax::List(l) => {
                if let Some(h) = l.items().first().and_then(Syntax::as_symbol) {
                    if h == self.sym.quote && l.items().len() == 2 {
                        return Ok(equal(&self.quote(&l.items()[1]), v));
                    }
                    if h == self.sym.question && l.items().len() >= 2 {
                        let pred = self.eval(&l.items()[1], env)?;
                        if !self
                            .apply(&pred, vec![v.clone()], env.module, l.line())?
                            .is_true()
                        {
                            return Ok(false);
                        }
                        for p in &l.items()[2..] {
                            if !self.match_pattern(p, v, binds, env)? {
                                return Ok(false);
                            }
                        }
                        return Ok(true);
                    }
                    match h.as_str() {
                        "and" => {
                            for p in &l.items()[1..] {
                                if !self.match_pattern(p, v, binds, env)? {
                                    return Ok(false);
                                }
                            }
                            return Ok(true);
                        }
                        "or" => {
                            for p in &l.items()[1..] {
                                if self.match_pattern(p, v, binds, env)? {
                                    return Ok(true);
                                }
                            }
                            return Ok(false);
                        }
                        "$" | "=" | "not" | "quasiquote" => {
                            return Err(self.err(
                                env.module,
                                l.line(),
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
                let pats = l.items();
                let ellipsis_at = pats
                    .iter()
                    .position(|p| p.as_symbol() == Some(self.sym.ellipsis));
                if let Some(e) = ellipsis_at {
                    if e == 0 || e != pats.len() - 1 || l.tail().is_some() || values_tail.is_some()
                    {
                        return Err(self.err(env.module, l.line(), "unsupported ellipsis pattern"));
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
                match l.tail() {
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
    pub(super) fn pattern_vars(&self, p: &Syntax, out: &mut Vec<Symbol>) {
        match p {
            Syntax::Symbol(s) if *s != self.sym.underscore && *s != self.sym.ellipsis => {
                out.push(*s)
            }
            Syntax::List(l) => {
                let skip = match l.items().first().and_then(Syntax::as_symbol) {
                    Some(h) if h == self.sym.quote => return,
                    Some(h) if h == self.sym.question => 2,
                    _ => 0,
                };
                for i in l.items().iter().skip(skip) {
                    self.pattern_vars(i, out);
                }
                if let Some(t) = l.tail() {
                    self.pattern_vars(t, out);
                }
            }
            _ => {}
        }
    }
}
