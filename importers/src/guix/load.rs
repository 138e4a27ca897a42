//! From the forms of one file to a [`Module`]: its name, imports, exports
//! and top-level bindings (not evaluated yet); and the resolution of imports
//! to the modules of the tree.

use std::cell::RefCell;
use std::collections::{HashMap, HashSet};

use super::eval::{Binding, BindingState, Import, Module};
use super::reader::Syntax;
use super::symbol::Symbol;
use super::GuixError;

/// Module name words joined by spaces, from `(gnu packages base)`.
fn module_name(s: &Syntax) -> Option<String> {
    let l = s.as_list()?;
    let words: Option<Vec<&str>> = l
        .items()
        .iter()
        .map(|w| w.as_symbol().map(Symbol::as_str))
        .collect();
    let words = words?;
    (!words.is_empty()).then(|| words.join(" "))
}

/// Module name of `(gnu packages base)`, words joined by spaces.
pub fn module_name_of(s: &Syntax) -> Option<String> {
    module_name(s)
}

/// An import spec: `(a b)` or `((a b) #:select (...) #:prefix p: ...)`.
fn import_spec(spec: &Syntax, line: u32) -> Option<Import> {
    let whole = |name| Import {
        name,
        select: None,
        hide: Vec::new(),
        prefix: None,
        line,
        module: None,
    };
    if let Some(name) = module_name(spec) {
        return Some(whole(name));
    }
    let l = spec.as_list()?;
    let mut import = whole(module_name(l.items().first()?)?);
    let mut i = 1;
    while i + 1 < l.items().len() {
        let (Syntax::Keyword(k), v) = (&l.items()[i], &l.items()[i + 1]) else {
            i += 1;
            continue;
        };
        match k.as_str() {
            "select" => {
                let mut pairs = Vec::new();
                for item in v.as_list().map(|l| l.items()).unwrap_or_default() {
                    match item {
                        Syntax::Symbol(s) => pairs.push((*s, *s)),
                        Syntax::List(p) => {
                            if let (Some(a), Some(b)) = (
                                p.items().first().and_then(Syntax::as_symbol),
                                p.tail().and_then(Syntax::as_symbol),
                            ) {
                                pairs.push((a, b));
                            }
                        }
                        _ => {}
                    }
                }
                import.select = Some(pairs);
            }
            "hide" => {
                import.hide = v
                    .as_list()
                    .map(|l| l.items().iter().filter_map(Syntax::as_symbol).collect())
                    .unwrap_or_default();
            }
            "prefix" => import.prefix = v.as_symbol().map(|s| s.as_str().to_owned()),
            _ => {}
        }
        i += 2;
    }
    Some(import)
}

/// Builds the module of one file from its forms.
pub fn build_module<'a>(
    path: &'a str,
    forms: &'a [Syntax],
    errors: &mut Vec<GuixError>,
) -> Module<'a> {
    let default_name = path.trim_end_matches(".scm").replace('/', " ");
    let mut m = Module {
        path,
        name: default_name,
        bindings: Vec::new(),
        index: HashMap::new(),
        exports: HashSet::new(),
        imports: Vec::new(),
        core: false,
        resolved: RefCell::new(HashMap::new()),
        by_line: Vec::new(),
    };
    for form in forms {
        let Some(l) = form.as_list() else { continue };
        let Some(head) = l.items().first().and_then(Syntax::as_symbol) else {
            continue;
        };
        match head.as_str() {
            "define-module" => {
                if let Some(n) = l.items().get(1).and_then(module_name) {
                    m.name = n;
                }
                let mut i = 2;
                while i < l.items().len() {
                    let Syntax::Keyword(k) = &l.items()[i] else {
                        i += 1;
                        continue;
                    };
                    let Some(v) = l.items().get(i + 1) else { break };
                    match k.as_str() {
                        "use-module" => match import_spec(v, v.line().max(l.line())) {
                            Some(imp) => m.imports.push(imp),
                            None => errors.push(GuixError::new(
                                path,
                                v.line().max(l.line()),
                                "malformed #:use-module",
                            )),
                        },
                        "autoload" => {
                            if let (Some(name), Some(names)) = (
                                module_name(v),
                                l.items().get(i + 2).and_then(Syntax::as_list),
                            ) {
                                m.imports.push(Import {
                                    name,
                                    select: Some(
                                        names
                                            .items()
                                            .iter()
                                            .filter_map(Syntax::as_symbol)
                                            .map(|s| (s, s))
                                            .collect(),
                                    ),
                                    hide: Vec::new(),
                                    prefix: None,
                                    line: l.line(),
                                    module: None,
                                });
                                i += 1;
                            }
                        }
                        "export" | "replace" | "export-syntax" | "re-export" => {
                            for s in v.as_list().map(|l| l.items()).unwrap_or_default() {
                                match s {
                                    Syntax::Symbol(s) => {
                                        m.exports.insert(*s);
                                    }
                                    Syntax::List(p) => {
                                        if let Some(b) = p.tail().and_then(Syntax::as_symbol) {
                                            m.exports.insert(b);
                                        }
                                    }
                                    _ => {}
                                }
                            }
                        }
                        _ => {}
                    }
                    i += 2;
                }
            }
            "use-modules" => {
                for spec in &l.items()[1..] {
                    match import_spec(spec, l.line()) {
                        Some(imp) => m.imports.push(imp),
                        None => {
                            errors.push(GuixError::new(path, l.line(), "malformed use-modules"))
                        }
                    }
                }
            }
            "define-syntax" => {
                // `(define-syntax name (identifier-syntax expr))` behaves
                // like a variable bound to `expr`.
                if let (Some(name), Some(body)) = (
                    l.items().get(1).and_then(Syntax::as_symbol),
                    l.items().get(2).and_then(Syntax::as_list),
                ) {
                    if body.items().len() == 2
                        && body.items()[0].as_symbol().map(Symbol::as_str)
                            == Some("identifier-syntax")
                    {
                        m.index.insert(name, m.bindings.len());
                        m.bindings.push(Binding {
                            name,
                            expr: &body.items()[1],
                            procedure: false,
                            public: false,
                            line: l.line(),
                            state: RefCell::new(BindingState::Pending),
                        });
                    }
                }
            }
            "export" => {
                for s in l.items()[1..].iter().filter_map(Syntax::as_symbol) {
                    m.exports.insert(s);
                }
            }
            "define/system-dependent" => {
                if let (Some(name), Some(expr)) = (
                    l.items().get(1).and_then(Syntax::as_symbol),
                    l.items().get(2),
                ) {
                    m.index.insert(name, m.bindings.len());
                    m.bindings.push(Binding {
                        name,
                        expr,
                        procedure: false,
                        public: false,
                        line: l.line(),
                        state: RefCell::new(BindingState::Pending),
                    });
                }
            }
            "define" | "define-public" | "define*" | "define*-public" => {
                let public = head.as_str().ends_with("-public");
                let (name, procedure) = match l.items().get(1) {
                    Some(Syntax::Symbol(s)) => (*s, false),
                    Some(Syntax::List(sig)) => {
                        match sig.items().first().and_then(Syntax::as_symbol) {
                            Some(s) => (s, true),
                            None => continue,
                        }
                    }
                    _ => {
                        errors.push(GuixError::new(path, l.line(), "malformed define"));
                        continue;
                    }
                };
                let expr = if procedure {
                    form
                } else {
                    match l.items().get(2) {
                        Some(e) => e,
                        None => continue,
                    }
                };
                if public {
                    m.exports.insert(name);
                }
                m.index.insert(name, m.bindings.len());
                m.bindings.push(Binding {
                    name,
                    expr,
                    procedure,
                    public,
                    line: l.line(),
                    state: RefCell::new(BindingState::Pending),
                });
            }
            _ => {}
        }
    }
    m.core = m.name.starts_with("guix") || m.name == "gnu packages";
    // Held for the whole evaluation, in every evaluation thread.
    m.bindings.shrink_to_fit();
    m.by_line = (0..m.bindings.len()).collect();
    m.by_line.sort_by_key(|&i| (m.bindings[i].line, i));
    m
}

/// Module namespaces whose absence from a tree is expected: their names are
/// provided by the interpreter's built-ins.
const OUTSIDE: &[&str] = &[
    "guix",
    "srfi",
    "ice-9",
    "rnrs",
    "web",
    "json",
    "system",
    "sxml",
    "language",
    "oop",
    "texinfo",
    "gcrypt",
    "git",
    "zlib",
    "gnutls",
    "scheme",
    "sqlite3",
    "ssh",
    "semver",
    "bytestructures",
];

/// Points every import at its module; reports imports of modules that
/// belong to the tree's own namespaces but are missing from it.
pub fn resolve_imports(modules: &mut [Module<'_>], errors: &mut Vec<GuixError>) {
    let by_name: HashMap<String, usize> = modules
        .iter()
        .enumerate()
        .map(|(i, m)| (m.name.clone(), i))
        .collect();
    let namespaces: HashSet<String> = modules
        .iter()
        .filter(|m| !m.core)
        .filter_map(|m| m.name.split(' ').next().map(str::to_owned))
        .collect();
    for m in modules.iter_mut() {
        for imp in &mut m.imports {
            imp.module = by_name.get(&imp.name).copied();
            let first = imp.name.split(' ').next().unwrap_or_default();
            if imp.module.is_none() && !OUTSIDE.contains(&first) && namespaces.contains(first) {
                errors.push(GuixError::new(
                    m.path,
                    imp.line,
                    format!("imports module ({}), which is not in the tree", imp.name),
                ));
            }
        }
    }
}
