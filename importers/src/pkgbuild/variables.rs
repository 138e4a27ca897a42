//! The shell variables a static evaluation of a PKGBUILD knows about: each
//! is a string, an indexed array, or unknown (with the reason it could not
//! be known, so that whatever uses it inherits that reason).

use std::collections::HashMap;

use kiln_normalizer::WarningKind;

/// Why a value could not be known statically, and where that was found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Unknown {
    /// What kind of construct stood in the way.
    pub kind: WarningKind,
    /// 1-based line of the construct (0 when it has no line).
    pub line: u32,
    /// A lower-case sentence saying what was found.
    pub message: String,
}

impl Unknown {
    /// An unknown value of `kind` found at `line`.
    pub fn new(kind: WarningKind, line: u32, message: impl Into<String>) -> Self {
        Self {
            kind,
            line,
            message: message.into(),
        }
    }
}

/// One variable's value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Value {
    /// A plain string.
    Scalar(String),
    /// An indexed array (holes are filled with empty strings).
    Array(Vec<String>),
    /// A value that could not be known statically.
    Unknown(Unknown),
}

impl Value {
    /// The elements as an array: a scalar is a one-element array.
    pub fn elements(&self) -> Result<Vec<String>, Unknown> {
        match self {
            Value::Scalar(s) => Ok(vec![s.clone()]),
            Value::Array(a) => Ok(a.clone()),
            Value::Unknown(u) => Err(u.clone()),
        }
    }

    /// The value in scalar context: an array gives its first element.
    pub fn scalar(&self) -> Result<String, Unknown> {
        match self {
            Value::Scalar(s) => Ok(s.clone()),
            Value::Array(a) => Ok(a.first().cloned().unwrap_or_default()),
            Value::Unknown(u) => Err(u.clone()),
        }
    }
}

/// The variable table. Names not present are unset (they expand to nothing,
/// as in bash); names of the host environment are present as unknown.
#[derive(Debug, Clone, Default)]
pub(crate) struct Variables {
    map: HashMap<String, Value>,
}

impl Variables {
    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.map.get(name)
    }

    /// Sets `name` to `value`.
    pub fn set(&mut self, name: &str, value: Value) {
        self.map.insert(name.to_owned(), value);
    }

    /// Unsets `name`.
    pub fn unset(&mut self, name: &str) {
        self.map.remove(name);
    }

    /// Names of every variable set, in no particular order.
    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.map.keys().map(String::as_str)
    }
}
