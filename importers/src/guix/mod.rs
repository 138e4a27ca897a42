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
use std::rc::Rc;
use std::sync::{mpsc, Arc, Condvar, Mutex};

use rayon::prelude::*;

use kiln_normalizer::Recipe;

mod builtins;
mod eval;
mod files;
pub mod licenses;
mod load;
mod macros;
pub mod reader;
mod record;
mod regexp;
pub mod symbol;
mod value;

pub use files::{read_tree, ModuleFile, ModuleSource};
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

/// One package bound to a top-level variable.
#[derive(Debug, Clone)]
pub struct GuixPackage {
    /// The package in the normalized model (boxed: a whole tree's packages
    /// are collected and moved around between threads).
    pub recipe: Box<Recipe>,
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
    /// The evaluation threads, which free their values after handing over
    /// the packages.
    freeing: Freeing,
}

impl Evaluation {
    /// Waits until the evaluation threads have freed their values and
    /// ended. Nothing needs it; a leak checker, which would take memory
    /// still being freed for a leak, does.
    pub fn wait_for_freeing(&mut self) {
        self.freeing.wait();
    }
}

/// What evaluating a tree gave when its packages were handed out one by
/// one ([`evaluate_each`]).
#[derive(Debug, Default)]
pub struct Evaluated {
    /// How many packages were handed out.
    pub packages: usize,
    /// Files or forms that could not be read or evaluated.
    pub errors: Vec<GuixError>,
    freeing: Freeing,
}

impl Evaluated {
    /// As [`Evaluation::wait_for_freeing`].
    pub fn wait_for_freeing(&mut self) {
        self.freeing.wait();
    }
}

/// Evaluation threads that may still be freeing their values.
#[derive(Debug, Default)]
struct Freeing(Vec<std::thread::JoinHandle<()>>);

impl Freeing {
    fn wait(&mut self) {
        for thread in self.0.drain(..) {
            let _ = thread.join();
        }
    }
}

/// Stack for each evaluation thread: evaluation depth is bounded by
/// [`eval::MAX_EVAL_DEPTH`], and this leaves ample room for it.
const EVAL_STACK: usize = 512 * 1024 * 1024;

/// Packages sent back to the caller at a time.
const SHARE: usize = 256;

/// Most evaluation threads started.
const MAX_EVAL_THREADS: usize = 4;

/// A package object bound to a top-level variable, as one thread found it.
struct Bound {
    /// Its identity across threads.
    birth: value::Birth,
    /// The thread that found it.
    thread: usize,
    /// The binding's index in its module.
    index: usize,
    /// The binding.
    info: record::BindingInfo,
}

impl Bound {
    /// The object's identity: its birth, and for an object made outside
    /// any binding's evaluation (numbered per interpreter), the thread.
    fn identity(&self) -> (value::Birth, Option<usize>) {
        match self.birth {
            value::Birth::Unbound(_) => (self.birth, Some(self.thread)),
            b => (b, None),
        }
    }

    /// Where its binding stands in the tree: module, then binding.
    fn place(&self) -> (usize, usize) {
        (self.info.module, self.index)
    }
}

/// The packages a thread builds records for (by birth, with the range of
/// their bindings), and those bindings.
type Owned = (
    Vec<(value::Birth, std::ops::Range<usize>)>,
    Vec<record::BindingInfo>,
);

/// What the evaluation threads found bound.
struct Found {
    /// Each thread's packages (`None`: it failed).
    by_thread: Vec<Option<Vec<Bound>>>,
    /// How many threads have handed theirs in.
    came: usize,
    /// How many have taken their share (the last one clears `by_thread`).
    taken: usize,
}

/// The read modules, shared by the evaluation threads, and the meeting
/// point where the threads exchange what they found bound.
struct Shared {
    files: Vec<ModuleFile>,
    forms: Vec<Vec<reader::Syntax>>,
    /// Thread `t` evaluates the bindings of modules `ranges[t]..ranges[t + 1]`.
    ranges: Vec<usize>,
    /// What the threads found.
    found: Mutex<Found>,
    all_came: Condvar,
}

impl Shared {
    /// Thread `thread` hands in what it found (or `None`).
    fn arrive(&self, thread: usize, bound: Option<Vec<Bound>>) {
        let mut found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        found.by_thread[thread] = bound;
        found.came += 1;
        self.all_came.notify_all();
    }

    /// Waits for every thread to arrive; then the packages whose first
    /// binding (in module and binding order) lies in `thread`'s modules, in
    /// that order, each with the range of its bindings in the list
    /// returned beside.
    fn owned_by(&self, thread: usize) -> Owned {
        let threads = self.ranges.len() - 1;
        let found = self.found.lock().unwrap_or_else(|e| e.into_inner());
        let mut found = self
            .all_came
            .wait_while(found, |f| f.came < threads)
            .unwrap_or_else(|e| e.into_inner());
        let mut by_identity: HashMap<_, Vec<&Bound>> = HashMap::new();
        for b in found.by_thread.iter().flatten().flatten() {
            by_identity.entry(b.identity()).or_default().push(b);
        }
        // A thread reports only the bindings of its own modules.
        let mut owned: Vec<Vec<&Bound>> = by_identity
            .into_values()
            .filter_map(|mut holders| {
                holders.sort_by_key(|b| b.place());
                let first = holders[0];
                (first.thread == thread).then_some(holders)
            })
            .collect();
        owned.sort_by_key(|holders| holders[0].place());
        let mut packages = Vec::with_capacity(owned.len());
        let mut bindings = Vec::with_capacity(owned.iter().map(Vec::len).sum());
        for holders in owned {
            let start = bindings.len();
            bindings.extend(holders.iter().map(|b| b.info.clone()));
            packages.push((holders[0].birth, start..bindings.len()));
        }
        found.taken += 1;
        if found.taken == threads {
            // Every thread has its share: what they found can go.
            found.by_thread.clear();
        }
        (packages, bindings)
    }
}

/// Hands in "found nothing" for a thread that ends (panics) before it has
/// handed in what it found.
struct Arrival<'s> {
    shared: &'s Shared,
    thread: usize,
    arrived: bool,
}

impl Drop for Arrival<'_> {
    fn drop(&mut self) {
        if !self.arrived {
            self.shared.arrive(self.thread, None);
        }
    }
}

/// What an evaluation thread sends back.
enum Report<T> {
    /// Errors of evaluating the top-level bindings of the thread's modules
    /// (and, from the first thread, of loading the modules).
    Errors {
        thread: usize,
        errors: Vec<GuixError>,
    },
    /// Packages of a thread (as the caller keeps them), in the order of
    /// their first bindings.
    Packages { thread: usize, packages: Vec<T> },
    /// The thread has sent all its packages.
    Done { thread: usize },
}

/// Hands the packages the threads send to the caller in tree order (module,
/// then binding): the packages of each thread follow those of the threads
/// before it, so a thread's are handed on as they come while the threads
/// before it are done, and held until then otherwise.
struct InOrder<T, F> {
    each: F,
    /// The thread whose packages are handed on as they come.
    current: usize,
    held: Vec<Vec<T>>,
    done: Vec<bool>,
    count: usize,
}

impl<T, F: FnMut(T)> InOrder<T, F> {
    fn new(each: F, threads: usize) -> Self {
        InOrder {
            each,
            current: 0,
            held: (0..threads).map(|_| Vec::new()).collect(),
            done: vec![false; threads],
            count: 0,
        }
    }

    fn packages(&mut self, thread: usize, packages: Vec<T>) {
        if thread == self.current {
            self.count += packages.len();
            packages.into_iter().for_each(&mut self.each);
        } else {
            self.held[thread].extend(packages);
        }
    }

    fn done(&mut self, thread: usize) {
        self.done[thread] = true;
        while self.current < self.done.len() && self.done[self.current] {
            self.current += 1;
            if let Some(held) = self.held.get_mut(self.current) {
                let held = std::mem::take(held);
                self.count += held.len();
                held.into_iter().for_each(&mut self.each);
            }
        }
    }

    /// Hands on whatever is still held (of threads that failed), in order.
    fn finish(mut self) -> usize {
        for thread in 0..self.done.len() {
            self.done(thread);
        }
        self.count
    }
}

/// Reads every module (in parallel) and evaluates every top-level binding
/// of the package modules; one [`GuixPackage`] per package object bound to a
/// top-level variable. A file that does not read is reported and left out;
/// a binding that does not evaluate is reported and the rest goes on.
///
/// Evaluation runs on up to [`MAX_EVAL_THREADS`] threads (as many as there
/// are cores), each with its own interpreter over the shared syntax trees.
/// The modules are split into as many ranges, of about equal size; each
/// thread evaluates the top-level bindings of its range (and, on demand,
/// whatever they need elsewhere). The threads then exchange which objects
/// their bindings hold: an object has the same [birth](value::Birth) in
/// every interpreter, so a package bound in several ranges is recognised
/// as one. Each package's record is built by the thread whose range holds
/// its first binding. Each thread frees its values after it has sent its
/// last package, so the caller has the packages without waiting for that.
pub fn evaluate(files: Vec<ModuleFile>) -> Evaluation {
    evaluate_on(files, default_threads())
}

/// One evaluation thread a core, up to [`MAX_EVAL_THREADS`].
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .clamp(1, MAX_EVAL_THREADS)
}

/// [`evaluate`] on `threads` evaluation threads (at least one). The
/// packages and errors are the same whatever the number; more threads take
/// less time and more memory (each has its own interpreter's values).
pub fn evaluate_on(files: Vec<ModuleFile>, threads: usize) -> Evaluation {
    let mut packages = Vec::new();
    let Evaluated {
        errors, freeing, ..
    } = evaluate_each(files, threads, |p| p, |p| packages.push(p));
    Evaluation {
        packages,
        errors,
        freeing,
    }
}

/// [`evaluate_on`], handing each package to `each` as soon as it and those
/// before it (in module, then binding order) are built, instead of
/// collecting them: a caller that writes packages out as they come never
/// holds most of them. Packages come in the same order as
/// [`Evaluation::packages`].
///
/// `keep` turns each package into what the caller needs of it, on the
/// evaluation thread that built it, as soon as it is built: what it drops
/// is never held, even for packages that wait for those before them.
pub fn evaluate_each<T: Send + 'static>(
    mut files: Vec<ModuleFile>,
    threads: usize,
    keep: impl Fn(GuixPackage) -> T + Send + Sync + 'static,
    each: impl FnMut(T),
) -> Evaluated {
    let threads = threads.max(1);
    type Read = (Vec<reader::Syntax>, Vec<GuixError>);
    let read: Vec<Read> = files
        .par_iter()
        .map(
            |f| match f.text().and_then(|text| reader::read_forms(&text, &f.path)) {
                Ok(forms) => {
                    let mut errors = Vec::new();
                    let forms = macros::expand_module(forms, &f.path, &mut errors);
                    (forms, errors)
                }
                Err(e) => (Vec::new(), vec![e]),
            },
        )
        .collect();
    let mut errors = Vec::new();
    let forms: Vec<Vec<reader::Syntax>> = read
        .into_iter()
        .map(|(forms, mut errs)| {
            errors.append(&mut errs);
            forms
        })
        .collect();
    let ranges = split_by_size(&files, threads);
    // The syntax trees own everything evaluation needs; the texts can go.
    for f in &mut files {
        if let ModuleSource::Text(t) = &mut f.source {
            *t = String::new();
        }
    }
    let shared = Arc::new(Shared {
        files,
        forms,
        ranges,
        found: Mutex::new(Found {
            by_thread: (0..threads).map(|_| None).collect(),
            came: 0,
            taken: 0,
        }),
        all_came: Condvar::new(),
    });
    // Bounded, so that threads wait for a caller that writes slowly rather
    // than pile up packages in the channel.
    let (tx, rx) = mpsc::sync_channel(2 * threads);
    let keep = Arc::new(keep);
    let mut freeing = Vec::with_capacity(threads);
    for thread in 0..threads {
        let for_thread = Arc::clone(&shared);
        let tx = tx.clone();
        let keep = Arc::clone(&keep);
        let spawned = std::thread::Builder::new()
            .name(format!("guix-eval-{thread}"))
            .stack_size(EVAL_STACK)
            .spawn(move || evaluate_range(&for_thread, thread, &*keep, &tx));
        match spawned {
            Ok(handle) => freeing.push(handle),
            Err(e) => {
                errors.push(GuixError::new(
                    "",
                    0,
                    format!("cannot start evaluation thread: {e}"),
                ));
                // The others must not wait for it.
                shared.arrive(thread, None);
            }
        }
    }
    drop(tx);
    drop(shared);
    let started = freeing.len();
    let mut thread_errors: Vec<Vec<GuixError>> = (0..threads).map(|_| Vec::new()).collect();
    let mut in_order = InOrder::new(each, threads);
    let mut done = 0;
    // Stops when every thread has said it is done (they may still be
    // freeing their values), or has dropped its sender without (panicked).
    for report in rx {
        match report {
            Report::Errors { thread, errors } => thread_errors[thread] = errors,
            Report::Packages { thread, packages } => in_order.packages(thread, packages),
            Report::Done { thread } => {
                in_order.done(thread);
                done += 1;
                if done == started {
                    break;
                }
            }
        }
    }
    errors.extend(thread_errors.into_iter().flatten());
    if done < threads {
        errors.push(GuixError::new(
            "",
            0,
            "some packages were not evaluated: an evaluation thread failed",
        ));
    }
    Evaluated {
        packages: in_order.finish(),
        errors,
        freeing: Freeing(freeing),
    }
}

/// Module ranges, one per thread, of about equal text size: the first
/// module of each, then the end. A range starts at the module whose middle
/// is the nearest to its share of the text.
fn split_by_size(files: &[ModuleFile], threads: usize) -> Vec<usize> {
    // Sizes are below MAX_FILE_SIZE, so they fit.
    let size_of = |f: &ModuleFile| f.size() as usize;
    let total: usize = files.iter().map(size_of).sum();
    let mut ranges = vec![0];
    let mut size = 0;
    for (i, f) in files.iter().enumerate() {
        if i > 0
            && ranges.len() < threads
            && (2 * size + size_of(f)) * threads >= 2 * total * ranges.len()
        {
            ranges.push(i);
        }
        size += size_of(f);
    }
    ranges.resize(threads, files.len());
    ranges.push(files.len());
    ranges
}

/// One evaluation thread: evaluates the top-level bindings of its modules,
/// exchanges what they hold with the other threads, then builds and sends
/// the records of the packages whose first binding is in its modules. A
/// send fails only when the caller has gone; the thread then stops.
fn evaluate_range<T>(
    shared: &Shared,
    thread: usize,
    keep: &dyn Fn(GuixPackage) -> T,
    tx: &mpsc::SyncSender<Report<T>>,
) {
    // Should this thread fail before it has handed in what it found, the
    // others must not wait for it.
    let mut arrival = Arrival {
        shared,
        thread,
        arrived: false,
    };
    let mut errors = Vec::new();
    let mut modules: Vec<eval::Module<'_>> = shared
        .files
        .iter()
        .zip(&shared.forms)
        .map(|(f, forms)| load::build_module(&f.path, forms, &mut errors))
        .collect();
    load::resolve_imports(&mut modules, &mut errors);
    if thread != 0 {
        // The first thread reports them.
        errors.clear();
    }
    let it = eval::Interp::new(modules);
    let range = shared.ranges[thread]..shared.ranges[thread + 1];
    #[cfg(test)]
    if thread > 0
        && shared
            .files
            .iter()
            .any(|f| f.path == tests::FAIL_OTHER_THREADS)
    {
        panic!("an evaluation thread fails, as the test asked");
    }
    let (bound, objects) = bound_packages(&it, range, thread, &mut errors);
    arrival.arrived = true;
    shared.arrive(thread, Some(bound));
    if tx.send(Report::Errors { thread, errors }).is_err() {
        return;
    }
    let (owned, bindings) = shared.owned_by(thread);
    for share in owned.chunks(SHARE) {
        let packages = share
            .iter()
            .map(|(birth, range)| keep(package(&it, &objects[birth], &bindings[range.clone()])))
            .collect();
        if tx.send(Report::Packages { thread, packages }).is_err() {
            return;
        }
    }
    let _ = tx.send(Report::Done { thread });
}

/// Evaluates the top-level bindings of the package modules in `range`:
/// those that hold package objects, and the objects by birth.
#[allow(clippy::type_complexity)]
fn bound_packages<'a>(
    it: &eval::Interp<'a>,
    range: std::ops::Range<usize>,
    thread: usize,
    errors: &mut Vec<GuixError>,
) -> (Vec<Bound>, HashMap<value::Birth, Rc<value::Package<'a>>>) {
    let mut bound = Vec::new();
    let mut objects = HashMap::new();
    for m in range {
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
                    bound.push(Bound {
                        birth: p.birth,
                        thread,
                        index: b,
                        info: record::BindingInfo {
                            module: m,
                            variable: binding.name.as_str(),
                            public: binding.public,
                            line: binding.line,
                        },
                    });
                    objects.entry(p.birth).or_insert(p);
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
    // Held by the other threads until every one has taken its share.
    bound.shrink_to_fit();
    (bound, objects)
}

/// The record and recipe of one package object held by `bindings`.
fn package<'a>(
    it: &eval::Interp<'a>,
    p: &Rc<value::Package<'a>>,
    bindings: &[record::BindingInfo],
) -> GuixPackage {
    // As Guix: the binding whose `define` encloses the `(package` form,
    // else (a package made by a procedure) the first by name.
    let enclosing = it.modules[p.module].enclosing(p.line);
    let primary = enclosing
        .and_then(|e| {
            bindings
                .iter()
                .find(|b| b.module == p.module && b.variable == e.name.as_str() && b.line == e.line)
        })
        .or_else(|| bindings.iter().min_by(|a, b| a.variable.cmp(b.variable)))
        .expect("a package object has a binding");
    let (record, recipe) = record::build(it, p, primary, bindings);
    p.forget_fields();
    GuixPackage {
        recipe: Box::new(recipe),
        record,
    }
}

#[cfg(test)]
mod tests;
