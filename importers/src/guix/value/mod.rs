//! Run-time values of the static interpreter: Scheme data, procedures, and
//! the Guix records package definitions build (packages, origins, build
//! systems, licenses, VCS references).
//!
//! Package fields are thunks, as in Guix: each keeps its expression and
//! environment and is evaluated on first use, once per package object, with
//! `this-package` bound to that object; `(package (inherit p) ...)` shares
//! the parent's thunks for the fields it does not set.

use std::cell::RefCell;
use std::rc::Rc;

use arcstr::ArcStr;

use super::reader::Syntax;
use super::symbol::Symbol;

mod write;
pub use write::{write_syntax, write_value};

/// Where evaluation stopped and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvalError {
    /// Index of the module.
    pub module: usize,
    /// 1-based line (0 when unknown).
    pub line: u32,
    /// What could not be done.
    pub message: String,
}

/// Result of evaluating something.
pub type EvalResult<'a> = Result<Value<'a>, EvalError>;

/// A value.
#[derive(Clone)]
pub enum Value<'a> {
    /// What `when` returns when its test fails, and the like.
    Unspecified,
    /// `#t`, `#f`.
    Bool(bool),
    /// An exact integer.
    Int(i64),
    /// An inexact number.
    Float(f64),
    /// A character.
    Char(char),
    /// A string. Shared with the syntax tree it was read from (hence
    /// atomically counted: the trees are shared by the evaluation threads),
    /// so that a string literal evaluates without a copy.
    Str(ArcStr),
    /// A symbol.
    Sym(Symbol),
    /// A keyword.
    Kw(Symbol),
    /// The empty list.
    Null,
    /// A proper non-empty list.
    List(Rc<[Value<'a>]>),
    /// A pair whose cdr is not a list.
    Pair(Rc<(Value<'a>, Value<'a>)>),
    /// A vector.
    Vector(Rc<[Value<'a>]>),
    /// A procedure.
    Procedure(Rc<Procedure<'a>>),
    /// A `package` record.
    Package(Rc<Package<'a>>),
    /// Any other record: origin, build system, license, references ...
    Record(Rc<Record<'a>>),
    /// `(delay x)`.
    Promise(Rc<Promise<'a>>),
    /// What `(values a b ...)` returns with other than one value, for
    /// `let-values`, `receive` and `call-with-values`.
    Values(Rc<[Value<'a>]>),
    /// Code kept as written: a gexp, or an expression not evaluated.
    Code(&'a Syntax),
}

/// A procedure.
pub enum Procedure<'a> {
    /// Defined in Scheme.
    Closure(Closure<'a>),
    /// Built into the interpreter.
    Native(Native),
    /// What `package-mapping` returns.
    Mapping(Mapping<'a>),
    /// Rewrites one input list through a [`Mapping`].
    MapInputs(Rc<Procedure<'a>>),
    /// Returns the same value whatever it is given (`const`,
    /// `make-parameter`).
    Const(Value<'a>),
    /// `(compose f g ...)`.
    Compose(Vec<Value<'a>>),
    /// `(negate f)`.
    Negate(Value<'a>),
    /// `(mlambda ...)` / `(mlambdaq ...)`: a procedure whose results are
    /// memoised by argument.
    /// The arguments are kept with the result so that their addresses stay
    /// theirs.
    Memo(Rc<Procedure<'a>>, RefCell<MemoTable<'a>>),
    /// `(match-lambda clause ...)`.
    MatchLambda(&'a [Syntax], Env<'a>),
    /// `(case-lambda clause ...)` / `case-lambda*`: the first clause whose
    /// parameters take the arguments given is called.
    CaseLambda(Vec<Closure<'a>>),
    /// `(cut f <> x)` / `cute`: arguments, `None` for each slot; `true` when
    /// the last is `<...>`.
    Cut(Vec<Option<Value<'a>>>, bool),
}

/// Memoised results: key -> (arguments, result).
pub type MemoTable<'a> = std::collections::HashMap<Vec<MemoKey>, (Vec<Value<'a>>, Value<'a>)>;

/// An argument as a memoisation key: objects by identity, data by value.
#[derive(Clone, PartialEq, Eq, Hash)]
pub enum MemoKey {
    /// A package, record or procedure, by address.
    Object(usize),
    /// Anything else, by its printed form.
    Datum(String),
}

impl MemoKey {
    /// The key of `v`.
    pub fn of(v: &Value<'_>) -> MemoKey {
        match v {
            Value::Package(p) => MemoKey::Object(Rc::as_ptr(p) as *const u8 as usize),
            Value::Record(r) => MemoKey::Object(Rc::as_ptr(r) as *const u8 as usize),
            Value::Procedure(p) => MemoKey::Object(Rc::as_ptr(p) as *const u8 as usize),
            other => {
                let mut s = String::new();
                write_value(&mut s, other);
                MemoKey::Datum(s)
            }
        }
    }
}

/// `(package-mapping proc cut?)`: applies `proc` to a package and,
/// recursively, to its inputs, unless `cut?` says to stop.
pub struct Mapping<'a> {
    /// Applied to each package.
    pub proc: Value<'a>,
    /// Stops the recursion.
    pub cut: Option<Value<'a>>,
    /// Packages already mapped (by object address): the package, kept so
    /// that its address stays its own, and the result.
    pub memo: RefCell<std::collections::HashMap<usize, (Value<'a>, Value<'a>)>>,
}

/// A native procedure: name and implementation.
#[derive(Clone, Copy)]
pub struct Native {
    /// The Scheme name.
    pub name: &'static str,
    /// The implementation.
    pub run: super::builtins::NativeFn,
}

/// A lambda and the environment it closes over.
pub struct Closure<'a> {
    /// Name, when bound by `define`.
    pub name: Option<Symbol>,
    /// Formal parameters.
    pub params: Params<'a>,
    /// Body forms.
    pub body: &'a [Syntax],
    /// The environment of definition.
    pub env: Env<'a>,
}

/// Parameters of a `lambda` or `lambda*`.
#[derive(Default, Clone)]
pub struct Params<'a> {
    /// Required.
    pub required: Vec<Symbol>,
    /// `#:optional`, with default expressions.
    pub optional: Vec<(Symbol, Option<&'a Syntax>)>,
    /// `#:key`, with default expressions.
    pub keys: Vec<(Symbol, Option<&'a Syntax>)>,
    /// Rest parameter.
    pub rest: Option<Symbol>,
}

impl Params<'_> {
    /// Whether `n` arguments can be passed (keyword arguments, when there
    /// are keys, counted among them).
    pub fn take(&self, n: usize) -> bool {
        n >= self.required.len()
            && (self.rest.is_some()
                || !self.keys.is_empty()
                || n <= self.required.len() + self.optional.len())
    }
}

/// `(delay expr)`.
pub struct Promise<'a> {
    /// The expression and its environment.
    pub expr: &'a Syntax,
    /// The environment.
    pub env: Env<'a>,
    /// Its value once forced.
    pub value: RefCell<Option<Value<'a>>>,
}

/// A lexical environment frame.
pub struct Frame<'a> {
    /// Variables of this frame (few: a linear scan is fastest).
    pub vars: RefCell<Vec<(Symbol, Value<'a>)>>,
    /// The enclosing frame; `None` at module level.
    pub parent: Option<Env<'a>>,
    /// The module the code belongs to.
    pub module: usize,
}

/// A shared frame.
pub type Env<'a> = Rc<Frame<'a>>;

impl<'a> Frame<'a> {
    /// A module's top-level environment.
    pub fn module(module: usize) -> Env<'a> {
        Rc::new(Frame {
            vars: RefCell::new(Vec::new()),
            parent: None,
            module,
        })
    }

    /// A child of `parent` with `vars`.
    pub fn child(parent: &Env<'a>, vars: Vec<(Symbol, Value<'a>)>) -> Env<'a> {
        Rc::new(Frame {
            vars: RefCell::new(vars),
            parent: Some(parent.clone()),
            module: parent.module,
        })
    }

    /// The value of a lexical variable, if bound in this chain of frames.
    pub fn lookup(&self, name: Symbol) -> Option<Value<'a>> {
        let mut frame = self;
        loop {
            if let Some((_, v)) = frame.vars.borrow().iter().rev().find(|(n, _)| *n == name) {
                return Some(v.clone());
            }
            frame = frame.parent.as_deref()?;
        }
    }
}

/// The package fields the importer reads, in a fixed order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Field {
    /// `name`
    Name,
    /// `version`
    Version,
    /// `source`
    Source,
    /// `build-system`
    BuildSystem,
    /// `arguments`
    Arguments,
    /// `inputs`
    Inputs,
    /// `native-inputs`
    NativeInputs,
    /// `propagated-inputs`
    PropagatedInputs,
    /// `outputs`
    Outputs,
    /// `home-page`
    HomePage,
    /// `synopsis`
    Synopsis,
    /// `description`
    Description,
    /// `license`
    License,
    /// `properties`
    Properties,
    /// `replacement`
    Replacement,
    /// `supported-systems`
    SupportedSystems,
}

impl Field {
    /// Every field.
    pub const ALL: [Field; 16] = [
        Field::Name,
        Field::Version,
        Field::Source,
        Field::BuildSystem,
        Field::Arguments,
        Field::Inputs,
        Field::NativeInputs,
        Field::PropagatedInputs,
        Field::Outputs,
        Field::HomePage,
        Field::Synopsis,
        Field::Description,
        Field::License,
        Field::Properties,
        Field::Replacement,
        Field::SupportedSystems,
    ];

    /// The Scheme field name.
    pub fn name(self) -> &'static str {
        match self {
            Field::Name => "name",
            Field::Version => "version",
            Field::Source => "source",
            Field::BuildSystem => "build-system",
            Field::Arguments => "arguments",
            Field::Inputs => "inputs",
            Field::NativeInputs => "native-inputs",
            Field::PropagatedInputs => "propagated-inputs",
            Field::Outputs => "outputs",
            Field::HomePage => "home-page",
            Field::Synopsis => "synopsis",
            Field::Description => "description",
            Field::License => "license",
            Field::Properties => "properties",
            Field::Replacement => "replacement",
            Field::SupportedSystems => "supported-systems",
        }
    }

    /// The field named `name`.
    pub fn from_name(name: &str) -> Option<Field> {
        Field::ALL.into_iter().find(|f| f.name() == name)
    }

    /// Whether Guix evaluates the field on demand (`thunked`).
    pub fn is_thunked(self) -> bool {
        matches!(
            self,
            Field::Arguments
                | Field::Inputs
                | Field::NativeInputs
                | Field::PropagatedInputs
                | Field::Replacement
        )
    }

    /// Whether input lists get labels added.
    pub fn is_inputs(self) -> bool {
        matches!(
            self,
            Field::Inputs | Field::NativeInputs | Field::PropagatedInputs
        )
    }
}

/// How a package field gets its value.
#[derive(Clone)]
pub enum Thunk<'a> {
    /// Not set: the field's default.
    Default,
    /// An expression, evaluated with `this-package` bound.
    Expr(&'a Syntax, Env<'a>),
    /// A value already known.
    Value(Value<'a>),
    /// A field whose evaluation failed when the package was made (boxed,
    /// as in [`Slot::Done`]).
    Failed(Box<EvalError>),
    /// The value of another package's field, passed through a procedure
    /// (`package-mapping` and the like). Boxed, as it is rare, so that a
    /// thunk takes no more than a value.
    Mapped(Box<(Rc<Package<'a>>, Field, Rc<Procedure<'a>>)>),
}

const _: () = assert!(std::mem::size_of::<Thunk>() == std::mem::size_of::<Value>());

/// The state of one field of one package object, once it is asked for.
#[derive(Clone)]
pub enum Slot<'a> {
    /// Being evaluated (a second request is a cycle).
    Forcing,
    /// Evaluated (the error boxed, as most fields evaluate).
    Done(Result<Value<'a>, Box<EvalError>>),
}

/// The thunks of a package's fields: only those other than
/// [`Thunk::Default`], in field order, with a bit for each field that has
/// one. A whole Guix tree makes tens of thousands of package objects (one
/// for each `inherit`, mapping and variant), and most leave some fields
/// unset.
#[derive(Clone)]
pub struct Thunks<'a> {
    present: u32,
    thunks: Box<[Thunk<'a>]>,
}

impl<'a> Thunks<'a> {
    /// From one thunk per field, in [`Field::ALL`] order.
    pub fn new(all: Vec<Thunk<'a>>) -> Self {
        let mut present = 0;
        let mut thunks = Vec::new();
        for (i, t) in all.into_iter().enumerate() {
            if !matches!(t, Thunk::Default) {
                present |= 1 << i;
                thunks.push(t);
            }
        }
        Thunks {
            present,
            thunks: thunks.into_boxed_slice(),
        }
    }

    /// The thunk of `field`; `None` when it is not set (the default).
    pub fn get(&self, field: Field) -> Option<&Thunk<'a>> {
        let bit = 1u32 << field as u32;
        (self.present & bit != 0)
            .then(|| &self.thunks[(self.present & (bit - 1)).count_ones() as usize])
    }

    /// One thunk per field, in [`Field::ALL`] order.
    pub fn to_vec(&self) -> Vec<Thunk<'a>> {
        Field::ALL
            .iter()
            .map(|&f| self.get(f).cloned().unwrap_or(Thunk::Default))
            .collect()
    }
}

/// A package object.
pub struct Package<'a> {
    /// Its fields' thunks.
    pub thunks: Thunks<'a>,
    /// The fields asked for so far and not forgotten, with their state.
    slots: RefCell<Vec<(Field, Slot<'a>)>>,
    /// Index of the module of the `(package` form.
    pub module: usize,
    /// Line of the `(package` form.
    pub line: u32,
    /// `hidden-package`.
    pub hidden: bool,
    /// Where the object was made (see [`Interp::birth`](super::eval::Interp::birth)).
    pub birth: Birth,
}

/// Where a package object was made, the same in every interpreter over the
/// same modules: its identity across evaluation threads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Birth {
    /// The `seq`-th package made while evaluating top-level binding `index`
    /// of `module`.
    Binding {
        /// Module index.
        module: usize,
        /// Binding index in the module.
        index: usize,
        /// 1 for the first package made by the binding's evaluation.
        seq: u32,
    },
    /// Made outside any top-level binding's evaluation (while forcing a
    /// field): the `n`-th such package of this interpreter.
    Unbound(u32),
}

impl<'a> Package<'a> {
    /// Forgets the values of the fields forced so far, but its name and
    /// version (which other packages' records show for their inputs): once
    /// a package's record is built they are seldom asked for again, and
    /// are forced anew when they are.
    pub fn forget_fields(&self) {
        let mut slots = self.slots.borrow_mut();
        slots.retain(|(f, slot)| {
            matches!(f, Field::Name | Field::Version) || !matches!(slot, Slot::Done(_))
        });
        slots.shrink_to_fit();
    }

    /// The state of `field`; `None` when it has not been asked for (or
    /// was forgotten).
    pub fn slot(&self, field: Field) -> Option<Slot<'a>> {
        self.slots
            .borrow()
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, s)| s.clone())
    }

    /// Sets the state of `field`.
    pub fn set_slot(&self, field: Field, slot: Slot<'a>) {
        let mut slots = self.slots.borrow_mut();
        match slots.iter_mut().find(|(f, _)| *f == field) {
            Some((_, s)) => *s = slot,
            None => slots.push((field, slot)),
        }
    }

    /// A package with the given thunks, one per field in [`Field::ALL`]
    /// order.
    pub fn new(thunks: Vec<Thunk<'a>>, module: usize, line: u32, birth: Birth) -> Self {
        Self {
            slots: RefCell::new(Vec::new()),
            thunks: Thunks::new(thunks),
            module,
            line,
            hidden: false,
            birth,
        }
    }
}

/// A record other than a package.
pub struct Record<'a> {
    /// Record type: `origin`, `git-reference`, `build-system`, `license` ...
    pub kind: Symbol,
    /// Field values by name.
    pub fields: Vec<(Symbol, Value<'a>)>,
}

impl<'a> Record<'a> {
    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value<'a>> {
        self.fields
            .iter()
            .find(|(n, _)| n.as_str() == name)
            .map(|(_, v)| v)
    }
}

impl<'a> Value<'a> {
    /// The values this stands for: those of [`Value::Values`], else
    /// itself alone.
    pub fn into_values(self) -> Vec<Value<'a>> {
        match self {
            Value::Values(vs) => vs.to_vec(),
            v => vec![v],
        }
    }

    /// Scheme truth: everything but `#f` is true.
    pub fn is_true(&self) -> bool {
        !matches!(self, Value::Bool(false))
    }

    /// A string value.
    pub fn str(s: &str) -> Self {
        Value::Str(ArcStr::from(s))
    }

    /// A list of `items`.
    pub fn list(items: Vec<Value<'a>>) -> Self {
        if items.is_empty() {
            Value::Null
        } else {
            Value::List(Rc::from(items))
        }
    }

    /// The elements of a proper list (`None` for anything else).
    pub fn as_slice(&self) -> Option<&[Value<'a>]> {
        match self {
            Value::Null => Some(&[]),
            Value::List(items) => Some(items),
            _ => None,
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    /// The record of kind `kind`, if this is one.
    pub fn as_record(&self, kind: &str) -> Option<&Record<'a>> {
        match self {
            Value::Record(r) if r.kind.as_str() == kind => Some(r),
            _ => None,
        }
    }

    /// The type name used in error messages.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Unspecified => "unspecified",
            Value::Bool(_) => "boolean",
            Value::Int(_) | Value::Float(_) => "number",
            Value::Char(_) => "character",
            Value::Str(_) => "string",
            Value::Sym(_) => "symbol",
            Value::Kw(_) => "keyword",
            Value::Null | Value::List(_) => "list",
            Value::Pair(_) => "pair",
            Value::Vector(_) => "vector",
            Value::Procedure(_) => "procedure",
            Value::Package(_) => "package",
            Value::Record(_) => "record",
            Value::Promise(_) => "promise",
            Value::Values(_) => "multiple values",
            Value::Code(_) => "code",
        }
    }
}

/// Structural equality (`equal?`); packages and records by identity.
pub fn equal<'a>(a: &Value<'a>, b: &Value<'a>) -> bool {
    match (a, b) {
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Int(x), Value::Int(y)) => x == y,
        (Value::Float(x), Value::Float(y)) => x == y,
        (Value::Int(x), Value::Float(y)) | (Value::Float(y), Value::Int(x)) => *x as f64 == *y,
        (Value::Char(x), Value::Char(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::Sym(x), Value::Sym(y)) | (Value::Kw(x), Value::Kw(y)) => x == y,
        (Value::Null, Value::Null) | (Value::Unspecified, Value::Unspecified) => true,
        (Value::List(x), Value::List(y)) | (Value::Vector(x), Value::Vector(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(a, b)| equal(a, b))
        }
        (Value::Pair(x), Value::Pair(y)) => equal(&x.0, &y.0) && equal(&x.1, &y.1),
        (Value::Package(x), Value::Package(y)) => Rc::ptr_eq(x, y),
        (Value::Record(x), Value::Record(y)) => {
            // Built-in fetch methods are made afresh on each reference.
            Rc::ptr_eq(x, y)
                || (x.kind == y.kind
                    && x.kind.as_str() == "fetch-method"
                    && x.fields.len() == y.fields.len()
                    && x.fields
                        .iter()
                        .zip(&y.fields)
                        .all(|(a, b)| equal(&a.1, &b.1)))
        }
        (Value::Procedure(x), Value::Procedure(y)) => Rc::ptr_eq(x, y),
        (Value::Code(x), Value::Code(y)) => std::ptr::eq(*x, *y),
        _ => false,
    }
}
