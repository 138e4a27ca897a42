//! `syntax-rules` macros defined in a module (`define-syntax-rule`,
//! `(define-syntax name (syntax-rules ...))`), expanded in that module's
//! forms before evaluation. Package modules use them for small templates
//! (`patch-series`, `xorg-font-origin` ...). The expansion is not hygienic,
//! which these templates do not need; expansions are bounded in number.

use std::collections::HashMap;

use super::reader::{List, Syntax};
use super::symbol::Symbol;
use super::GuixError;

/// Most macro expansions in one module.
const MAX_EXPANSIONS: usize = 100_000;

struct Rule {
    pattern: Syntax,
    template: Syntax,
}

struct Macro {
    literals: Vec<Symbol>,
    rules: Vec<Rule>,
}

#[derive(Clone, Debug)]
enum Bound {
    One(Syntax),
    Many(Vec<Bound>),
}

struct Expander {
    macros: HashMap<Symbol, Macro>,
    ellipsis: Symbol,
    underscore: Symbol,
    quote: Symbol,
    expansions: usize,
}

/// Expands the module's own `syntax-rules` macros in its forms. A form
/// whose expansion fails is kept as written (its evaluation will then
/// fail where the macro is used) and the failure reported.
pub fn expand_module(forms: Vec<Syntax>, file: &str, errors: &mut Vec<GuixError>) -> Vec<Syntax> {
    let mut ex = Expander {
        macros: HashMap::new(),
        ellipsis: Symbol::intern("..."),
        underscore: Symbol::intern("_"),
        quote: Symbol::intern("quote"),
        expansions: 0,
    };
    for f in &forms {
        ex.collect(f);
    }
    if ex.macros.is_empty() {
        return forms;
    }
    forms
        .into_iter()
        .map(|f| {
            let line = f.line();
            match ex.expand(f.clone()) {
                Ok(e) => e,
                Err(m) => {
                    errors.push(GuixError::new(
                        file,
                        line,
                        format!("expanding a macro: {m}"),
                    ));
                    f
                }
            }
        })
        .collect()
}

impl Expander {
    fn collect(&mut self, form: &Syntax) {
        let Some(l) = form.as_list() else { return };
        let head = l
            .items()
            .first()
            .and_then(Syntax::as_symbol)
            .map(Symbol::as_str);
        match head {
            Some("define-syntax-rule") => {
                let Some(Syntax::List(sig)) = l.items().get(1) else {
                    return;
                };
                let (Some(name), Some(template)) = (
                    sig.items().first().and_then(Syntax::as_symbol),
                    l.items().last().filter(|_| l.items().len() >= 3),
                ) else {
                    return;
                };
                self.macros.insert(
                    name,
                    Macro {
                        literals: Vec::new(),
                        rules: vec![Rule {
                            pattern: Syntax::List(sig.clone()),
                            template: template.clone(),
                        }],
                    },
                );
            }
            Some("define-syntax") => {
                let (Some(name), Some(rules)) = (
                    l.items().get(1).and_then(Syntax::as_symbol),
                    l.items().get(2).and_then(Syntax::as_list),
                ) else {
                    return;
                };
                if rules
                    .items()
                    .first()
                    .and_then(Syntax::as_symbol)
                    .map(Symbol::as_str)
                    != Some("syntax-rules")
                {
                    return;
                }
                let literals = rules
                    .items()
                    .get(1)
                    .and_then(Syntax::as_list)
                    .map(|l| l.items().iter().filter_map(Syntax::as_symbol).collect())
                    .unwrap_or_default();
                let mut out = Vec::new();
                for r in rules.items().iter().skip(2) {
                    if let Some(r) = r.as_list() {
                        // Skip docstrings.
                        if let (Some(p), Some(t)) = (r.items().first(), r.items().last()) {
                            if r.items().len() == 2 {
                                out.push(Rule {
                                    pattern: p.clone(),
                                    template: t.clone(),
                                });
                            }
                        }
                    }
                }
                self.macros.insert(
                    name,
                    Macro {
                        literals,
                        rules: out,
                    },
                );
            }
            _ => {}
        }
    }

    fn expand(&mut self, form: Syntax) -> Result<Syntax, String> {
        let Syntax::List(l) = form else {
            return Ok(form);
        };
        let head = l.items().first().and_then(Syntax::as_symbol);
        if head == Some(self.quote) {
            return Ok(Syntax::List(l));
        }
        if let Some(h) = head {
            if matches!(h.as_str(), "define-syntax-rule" | "define-syntax") {
                return Ok(Syntax::List(l));
            }
            if self.macros.contains_key(&h) {
                self.expansions += 1;
                if self.expansions > MAX_EXPANSIONS {
                    return Err(format!("more than {MAX_EXPANSIONS} macro expansions"));
                }
                let out = self.expand_use(h, &l)?;
                return self.expand(out);
            }
        }
        let (items, tail, line) = l.into_parts();
        let items = items
            .into_iter()
            .map(|i| self.expand(i))
            .collect::<Result<_, _>>()?;
        Ok(Syntax::List(List::new(items, tail, line)))
    }

    fn expand_use(&self, name: Symbol, l: &List) -> Result<Syntax, String> {
        let m = &self.macros[&name];
        let form = Syntax::List(l.clone());
        for rule in &m.rules {
            let mut binds = HashMap::new();
            // The macro keyword position is not matched.
            let matched = match (&rule.pattern, &form) {
                (Syntax::List(p), Syntax::List(f))
                    if !p.items().is_empty() && !f.items().is_empty() =>
                {
                    let p = List::new(p.items()[1..].into(), p.tail().cloned(), p.line());
                    let f = List::new(f.items()[1..].into(), f.tail().cloned(), f.line());
                    self.matches(&Syntax::List(p), &Syntax::List(f), &m.literals, &mut binds)
                }
                _ => false,
            };
            if matched {
                return self.instantiate(&rule.template, &binds, l.line());
            }
        }
        Err(format!("no rule of macro '{name}' matches this use"))
    }

    fn matches(
        &self,
        pat: &Syntax,
        form: &Syntax,
        literals: &[Symbol],
        binds: &mut HashMap<Symbol, Bound>,
    ) -> bool {
        match pat {
            Syntax::Symbol(s) if *s == self.underscore => true,
            Syntax::Symbol(s) if literals.contains(s) => form.as_symbol() == Some(*s),
            Syntax::Symbol(s) => {
                binds.insert(*s, Bound::One(form.clone()));
                true
            }
            Syntax::List(p) => {
                let Syntax::List(f) = form else { return false };
                let ell = p
                    .items()
                    .iter()
                    .position(|x| x.as_symbol() == Some(self.ellipsis));
                match ell {
                    None => {
                        if p.tail().is_none()
                            && (f.tail().is_some() || p.items().len() != f.items().len())
                        {
                            return false;
                        }
                        if f.items().len() < p.items().len() {
                            return false;
                        }
                        for (x, y) in p.items().iter().zip(f.items()) {
                            if !self.matches(x, y, literals, binds) {
                                return false;
                            }
                        }
                        match p.tail() {
                            None => true,
                            Some(t) => {
                                let rest = Syntax::List(List::new(
                                    f.items()[p.items().len()..].into(),
                                    f.tail().cloned(),
                                    f.line(),
                                ));
                                self.matches(t, &rest, literals, binds)
                            }
                        }
                    }
                    Some(e) => {
                        if e == 0 || f.tail().is_some() {
                            return false;
                        }
                        let before = e - 1;
                        let after = p.items().len() - e - 1;
                        if f.items().len() < before + after {
                            return false;
                        }
                        for (x, y) in p.items()[..before].iter().zip(f.items()) {
                            if !self.matches(x, y, literals, binds) {
                                return false;
                            }
                        }
                        let n = f.items().len() - before - after;
                        let sub = &p.items()[e - 1];
                        let mut runs: Vec<HashMap<Symbol, Bound>> = Vec::new();
                        for y in &f.items()[before..before + n] {
                            let mut b = HashMap::new();
                            if !self.matches(sub, y, literals, &mut b) {
                                return false;
                            }
                            runs.push(b);
                        }
                        for var in pattern_vars(sub, self) {
                            let items = runs
                                .iter()
                                .map(|r| r.get(&var).cloned().unwrap_or(Bound::Many(Vec::new())))
                                .collect();
                            binds.insert(var, Bound::Many(items));
                        }
                        for (x, y) in p.items()[e + 1..].iter().zip(&f.items()[before + n..]) {
                            if !self.matches(x, y, literals, binds) {
                                return false;
                            }
                        }
                        true
                    }
                }
            }
            other => other == form,
        }
    }

    fn instantiate(
        &self,
        t: &Syntax,
        binds: &HashMap<Symbol, Bound>,
        line: u32,
    ) -> Result<Syntax, String> {
        match t {
            Syntax::Symbol(s) => match binds.get(s) {
                Some(Bound::One(x)) => Ok(x.clone()),
                Some(Bound::Many(_)) => Err(format!("pattern variable '{s}' used without '...'")),
                None => Ok(t.clone()),
            },
            Syntax::List(l) => {
                let mut items = Vec::new();
                let mut i = 0;
                while i < l.items().len() {
                    let item = &l.items()[i];
                    if l.items().get(i + 1).and_then(Syntax::as_symbol) == Some(self.ellipsis) {
                        let vars: Vec<Symbol> = template_vars(item)
                            .into_iter()
                            .filter(|v| matches!(binds.get(v), Some(Bound::Many(_))))
                            .collect();
                        let n = vars
                            .iter()
                            .filter_map(|v| match binds.get(v) {
                                Some(Bound::Many(xs)) => Some(xs.len()),
                                _ => None,
                            })
                            .max()
                            .ok_or_else(|| {
                                "'...' after a template without pattern variables".to_owned()
                            })?;
                        for k in 0..n {
                            let mut b = binds.clone();
                            for v in &vars {
                                if let Some(Bound::Many(xs)) = binds.get(v) {
                                    match xs.get(k) {
                                        Some(x) => {
                                            b.insert(*v, x.clone());
                                        }
                                        None => return Err("ellipsis lengths differ".into()),
                                    }
                                }
                            }
                            items.push(self.instantiate(item, &b, line)?);
                        }
                        i += 2;
                        continue;
                    }
                    items.push(self.instantiate(item, binds, line)?);
                    i += 1;
                }
                let tail = match l.tail() {
                    Some(t) => Some(self.instantiate(t, binds, line)?),
                    None => None,
                };
                Ok(Syntax::List(List::new(items, tail, line)))
            }
            other => Ok(other.clone()),
        }
    }
}

fn pattern_vars(p: &Syntax, ex: &Expander) -> Vec<Symbol> {
    let mut out = Vec::new();
    let mut stack = vec![p];
    while let Some(s) = stack.pop() {
        match s {
            Syntax::Symbol(x) if *x != ex.ellipsis && *x != ex.underscore => out.push(*x),
            Syntax::List(l) => {
                stack.extend(l.items().iter());
                stack.extend(l.tail());
            }
            _ => {}
        }
    }
    out
}

fn template_vars(t: &Syntax) -> Vec<Symbol> {
    let mut out = Vec::new();
    let mut stack = vec![t];
    while let Some(s) = stack.pop() {
        match s {
            Syntax::Symbol(x) => out.push(*x),
            Syntax::List(l) => {
                stack.extend(l.items().iter());
                stack.extend(l.tail());
            }
            _ => {}
        }
    }
    out
}
