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
use std::sync::{mpsc, Arc};

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

/// Stack for each evaluation thread: evaluation depth is bounded by
/// [`eval::MAX_EVAL_DEPTH`], and this leaves ample room for it.
const EVAL_STACK: usize = 512 * 1024 * 1024;

/// Packages per share of the record building handed to one evaluation
/// thread (shares go round the threads in turn).
const SHARE: usize = 256;

/// Most evaluation threads started.
const MAX_EVAL_THREADS: usize = 4;

/// The read modules, shared by the evaluation threads.
struct Parsed {
    files: Vec<ModuleFile>,
    forms: Vec<Vec<reader::Syntax>>,
}

/// What an evaluation thread sends back.
enum Report {
    /// Errors of loading and of evaluating top-level bindings (sent by the
    /// first thread only: every thread meets the same ones).
    Errors(Vec<GuixError>),
    /// The packages of share `index`, in order.
    Share {
        index: usize,
        packages: Vec<GuixPackage>,
    },
    /// The thread has sent all its shares.
    Done,
}

/// Reads every module (in parallel) and evaluates every top-level binding
/// of the package modules; one [`GuixPackage`] per package object bound to a
/// top-level variable. A file that does not read is reported and left out;
/// a binding that does not evaluate is reported and the rest goes on.
///
/// Evaluation runs on up to [`MAX_EVAL_THREADS`] threads (as many as there
/// are cores). Each has its own interpreter over the shared syntax trees
/// and evaluates every top-level binding (cheap: package fields are thunks),
/// so all agree on which objects are packages and in what order; the work
/// that costs, forcing each package's fields and building its record, is
/// split between them in shares. Each thread frees its values after it has
/// sent its last share, so the caller has the packages without waiting for
/// that.
pub fn evaluate(mut files: Vec<ModuleFile>) -> Evaluation {
    type Read = (Vec<reader::Syntax>, Vec<GuixError>);
    let read: Vec<Read> = files
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
    let forms: Vec<Vec<reader::Syntax>> = read
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
    let parsed = Arc::new(Parsed { files, forms });
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_EVAL_THREADS);
    let (tx, rx) = mpsc::channel();
    let mut started = 0;
    for thread in 0..threads {
        let parsed = Arc::clone(&parsed);
        let tx = tx.clone();
        let spawned = std::thread::Builder::new()
            .name(format!("guix-eval-{thread}"))
            .stack_size(EVAL_STACK)
            .spawn(move || evaluate_share(&parsed, thread, threads, &tx));
        match spawned {
            Ok(_) => started += 1,
            Err(e) => errors.push(GuixError::new(
                "",
                0,
                format!("cannot start evaluation thread: {e}"),
            )),
        }
    }
    drop(tx);
    drop(parsed);
    let mut shares: Vec<Option<Vec<GuixPackage>>> = Vec::new();
    let mut done = 0;
    // Stops when every thread has said it is done (they may still be
    // freeing their values), or has dropped its sender without (panicked).
    for report in rx {
        match report {
            Report::Errors(mut more) => errors.append(&mut more),
            Report::Share { index, packages } => {
                if shares.len() <= index {
                    shares.resize_with(index + 1, || None);
                }
                shares[index] = Some(packages);
            }
            Report::Done => {
                done += 1;
                if done == started {
                    break;
                }
            }
        }
    }
    if done < threads {
        let message = if started < threads {
            "some packages were not evaluated: an evaluation thread did not start"
        } else {
            "some packages were not evaluated: an evaluation thread panicked"
        };
        errors.push(GuixError::new("", 0, message));
    }
    Evaluation {
        packages: shares.into_iter().flatten().flatten().collect(),
        errors,
    }
}

/// One evaluation thread: evaluates every top-level binding, then builds
/// the records of shares `thread`, `thread + threads`, ... and sends them.
/// A send fails only when the caller has gone; the thread then stops.
fn evaluate_share(parsed: &Parsed, thread: usize, threads: usize, tx: &mpsc::Sender<Report>) {
    let mut errors = Vec::new();
    let mut modules: Vec<eval::Module<'_>> = parsed
        .files
        .iter()
        .zip(&parsed.forms)
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
    if thread == 0 && tx.send(Report::Errors(errors)).is_err() {
        return;
    }
    for (index, share) in order.chunks(SHARE).enumerate() {
        if index % threads != thread {
            continue;
        }
        let packages = share
            .iter()
            .map(|p| package(&it, p, &holders[&(Rc::as_ptr(p) as usize)]))
            .collect();
        if tx.send(Report::Share { index, packages }).is_err() {
            return;
        }
    }
    let _ = tx.send(Report::Done);
}

/// The record and recipe of one package object held by `bindings`.
fn package<'a>(
    it: &eval::Interp<'a>,
    p: &Rc<value::Package<'a>>,
    bindings: &[record::BindingInfo],
) -> GuixPackage {
    // As Guix: the binding whose `define` encloses the `(package` form,
    // else (a package made by a procedure) the first by name.
    let enclosing = it.modules[p.module]
        .bindings
        .iter()
        .filter(|b| b.line <= p.line)
        .max_by_key(|b| b.line);
    let primary = enclosing
        .and_then(|e| {
            bindings
                .iter()
                .find(|b| b.module == p.module && b.variable == e.name.as_str() && b.line == e.line)
        })
        .or_else(|| bindings.iter().min_by(|a, b| a.variable.cmp(&b.variable)))
        .expect("a package object has a binding");
    let (record, recipe) = record::build(it, p, primary, bindings);
    let record = serde_json::value::to_raw_value(&record)
        .unwrap_or_else(|_| serde_json::value::RawValue::NULL.to_owned());
    GuixPackage { recipe, record }
}

#[cfg(test)]
mod tests;
