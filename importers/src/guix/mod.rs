//! The Guix importer: reads the package modules of a Guix checkout or
//! channel and evaluates them statically into [`Recipe`]s, never running
//! Guile.
//!
//! [`read_tree`] collects the `*.scm` files; [`evaluate`] reads them in
//! parallel with the Scheme [`reader`] and evaluates every top-level binding
//! with a small interpreter ([`eval`]) for the subset package definitions
//! use: modules and their imports, `define`/`define-public`, `let` forms,
//! procedures, `package`/`origin` records with `inherit`, input lists,
//! version and URI helpers, licenses. Anything outside that subset becomes an
//! [`ImportWarning`](kiln_normalizer::ImportWarning) and an unknown field.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::rc::Rc;

use rayon::prelude::*;

use kiln_normalizer::Recipe;

mod builtins;
mod eval;
pub mod licenses;
mod load;
mod macros;
pub mod reader;
mod record;
pub mod symbol;
mod value;

pub use record::nix_base32_to_hex;

/// Largest module file read, in bytes.
pub const MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// A problem with one file, at one line.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct GuixError {
    /// The file, relative to the tree root.
    pub file: String,
    /// 1-based line (0 when the problem has no single line).
    pub line: u32,
    /// A lower-case sentence saying what went wrong.
    pub message: String,
}

impl GuixError {
    /// An error in `file` at `line`.
    pub fn new(file: impl Into<String>, line: u32, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            line,
            message: message.into(),
        }
    }
}

impl fmt::Display for GuixError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "reading Guix module {}:{}: {}",
            self.file, self.line, self.message
        )
    }
}

/// One module file: its path relative to the tree root and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ModuleFile {
    /// Path relative to the tree root, e.g. `gnu/packages/base.scm`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// One package bound to a top-level variable.
#[derive(Debug, Clone)]
pub struct GuixPackage {
    /// The package in the normalized model.
    pub recipe: Recipe,
    /// The `kiln guix-dump` record (see the corpus README for the fields),
    /// kept as its JSON text: a whole tree's records as parsed values would
    /// take several times the memory.
    pub record: Box<serde_json::value::RawValue>,
}

impl GuixPackage {
    /// The record as a JSON value.
    pub fn record_value(&self) -> serde_json::Value {
        serde_json::from_str(self.record.get()).unwrap_or_default()
    }
}

/// What evaluating a tree gave.
#[derive(Debug, Default)]
pub struct Evaluation {
    /// Every package object bound to a top-level variable, once each.
    pub packages: Vec<GuixPackage>,
    /// Files or forms that could not be read or evaluated.
    pub errors: Vec<GuixError>,
}

/// Every `*.scm` file under `root` (a Guix checkout or channel root), or
/// `root` itself when it is a file; paths relative to `root` (for a single
/// file, its name).
pub fn read_tree(root: &Path) -> Result<Vec<ModuleFile>, GuixError> {
    let shown = root.display().to_string();
    let meta = std::fs::metadata(root)
        .map_err(|e| GuixError::new(&shown, 0, format!("cannot read: {e}")))?;
    let mut paths = Vec::new();
    if meta.is_file() {
        let name = root
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| shown.clone());
        paths.push((root.to_owned(), name));
    } else {
        let mut dirs = vec![root.to_owned()];
        while let Some(dir) = dirs.pop() {
            let entries = std::fs::read_dir(&dir).map_err(|e| {
                GuixError::new(dir.display().to_string(), 0, format!("cannot list: {e}"))
            })?;
            for entry in entries {
                let entry = entry.map_err(|e| {
                    GuixError::new(dir.display().to_string(), 0, format!("cannot list: {e}"))
                })?;
                let path = entry.path();
                let kind = entry.file_type().map_err(|e| {
                    GuixError::new(path.display().to_string(), 0, format!("cannot stat: {e}"))
                })?;
                if kind.is_dir() {
                    if entry.file_name() != ".git" {
                        dirs.push(path);
                    }
                } else if path.extension().is_some_and(|e| e == "scm") {
                    let rel = path
                        .strip_prefix(root)
                        .unwrap_or(&path)
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy())
                        .collect::<Vec<_>>()
                        .join("/");
                    paths.push((path, rel));
                }
            }
        }
    }
    paths.sort_by(|a, b| a.1.cmp(&b.1));
    paths
        .into_iter()
        .map(|(path, rel)| {
            let size = std::fs::metadata(&path)
                .map_err(|e| GuixError::new(&rel, 0, format!("cannot read: {e}")))?
                .len();
            if size > MAX_FILE_SIZE {
                return Err(GuixError::new(
                    &rel,
                    0,
                    format!("{size} bytes is more than the limit of {MAX_FILE_SIZE}"),
                ));
            }
            let bytes = std::fs::read(&path)
                .map_err(|e| GuixError::new(&rel, 0, format!("cannot read: {e}")))?;
            // Guile reads Latin-1 bytes in comments without complaint; so
            // does this reader (they become U+FFFD).
            let text = match String::from_utf8(bytes) {
                Ok(t) => t,
                Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
            };
            Ok(ModuleFile { path: rel, text })
        })
        .collect()
}

/// Stack for the evaluation thread: evaluation depth is bounded by
/// [`eval::MAX_EVAL_DEPTH`], and this leaves ample room for it.
const EVAL_STACK: usize = 512 * 1024 * 1024;

/// Reads every module (in parallel) and evaluates every top-level binding
/// of the package modules; one [`GuixPackage`] per package object bound to a
/// top-level variable. A file that does not read is reported and left out;
/// a binding that does not evaluate is reported and the rest goes on.
pub fn evaluate(mut files: Vec<ModuleFile>) -> Evaluation {
    type Parsed = (Vec<reader::Syntax>, Vec<GuixError>);
    let parsed: Vec<Parsed> = files
        .par_iter()
        .map(|f| match reader::read_forms(&f.text, &f.path) {
            Ok(forms) => {
                let mut errors = Vec::new();
                let forms = macros::expand_module(forms, &f.path, &mut errors);
                (forms, errors)
            }
            Err(e) => (Vec::new(), vec![e]),
        })
        .collect();
    let mut errors = Vec::new();
    let forms: Vec<Vec<reader::Syntax>> = parsed
        .into_iter()
        .map(|(forms, mut errs)| {
            errors.append(&mut errs);
            forms
        })
        .collect();
    // The syntax trees own everything evaluation needs; the texts can go.
    for f in &mut files {
        f.text = String::new();
    }
    let files = &files;
    let forms = &forms;
    let result = std::thread::scope(|scope| {
        std::thread::Builder::new()
            .name("guix-eval".into())
            .stack_size(EVAL_STACK)
            .spawn_scoped(scope, move || evaluate_forms(files, forms))
            .map(|h| h.join())
    });
    match result {
        Ok(Ok((packages, mut more))) => {
            errors.append(&mut more);
            Evaluation { packages, errors }
        }
        Ok(Err(_)) => {
            errors.push(GuixError::new("", 0, "evaluation thread panicked"));
            Evaluation {
                packages: Vec::new(),
                errors,
            }
        }
        Err(e) => {
            errors.push(GuixError::new(
                "",
                0,
                format!("cannot start evaluation thread: {e}"),
            ));
            Evaluation {
                packages: Vec::new(),
                errors,
            }
        }
    }
}

fn evaluate_forms(
    files: &[ModuleFile],
    forms: &[Vec<reader::Syntax>],
) -> (Vec<GuixPackage>, Vec<GuixError>) {
    let mut errors = Vec::new();
    let mut modules: Vec<eval::Module<'_>> = files
        .iter()
        .zip(forms)
        .map(|(f, forms)| load::build_module(&f.path, forms, &mut errors))
        .collect();
    load::resolve_imports(&mut modules, &mut errors);
    let it = eval::Interp::new(modules);

    // Every package object, with the bindings that hold it.
    let mut order: Vec<Rc<value::Package<'_>>> = Vec::new();
    let mut holders: HashMap<usize, Vec<record::BindingInfo>> = HashMap::new();
    for m in 0..it.modules.len() {
        if it.modules[m].core {
            continue;
        }
        for b in 0..it.modules[m].bindings.len() {
            let binding = &it.modules[m].bindings[b];
            // A later definition of the same name replaces an earlier one.
            if it.modules[m].index.get(&binding.name) != Some(&b) {
                continue;
            }
            match it.force_binding(m, b) {
                Ok(value::Value::Package(p)) => {
                    let key = Rc::as_ptr(&p) as usize;
                    let info = record::BindingInfo {
                        module: m,
                        variable: binding.name.as_str().to_owned(),
                        public: binding.public,
                        line: binding.line,
                    };
                    let entry = holders.entry(key).or_default();
                    if entry.is_empty() {
                        order.push(p.clone());
                    }
                    entry.push(info);
                }
                Ok(_) => {}
                Err(e) => errors.push(GuixError::new(
                    it.modules[e.module].path,
                    e.line,
                    format!("evaluating '{}': {}", binding.name, e.message),
                )),
            }
        }
    }
    let mut packages = Vec::with_capacity(order.len());
    for p in &order {
        let bindings = &holders[&(Rc::as_ptr(p) as usize)];
        // As Guix: the binding whose `define` encloses the `(package` form,
        // else (a package made by a procedure) the first by name.
        let enclosing = it.modules[p.module]
            .bindings
            .iter()
            .filter(|b| b.line <= p.line)
            .max_by_key(|b| b.line);
        let primary = enclosing
            .and_then(|e| {
                bindings.iter().find(|b| {
                    b.module == p.module && b.variable == e.name.as_str() && b.line == e.line
                })
            })
            .or_else(|| bindings.iter().min_by(|a, b| a.variable.cmp(&b.variable)))
            .expect("a package object has a binding");
        let (record, recipe) = record::build(&it, p, primary, bindings);
        let record = serde_json::value::to_raw_value(&record)
            .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned());
        packages.push(GuixPackage { recipe, record });
    }
    (packages, errors)
}

#[cfg(test)]
mod tests;
