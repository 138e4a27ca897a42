//! Interned symbols: every symbol and keyword of every module read is stored
//! once, so the syntax trees of a whole Guix tree stay small and symbols
//! compare as integers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// A symbol (or keyword name), interned for the life of the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

/// Name -> id, written under a lock when a new symbol is interned.
type Ids = HashMap<&'static str, u32, foldhash::fast::FixedState>;

struct Interner {
    ids: RwLock<Ids>,
    /// Names by id: appended under the `ids` write lock, read without any
    /// lock (the evaluator looks names up often, from several threads).
    names: boxcar::Vec<&'static str>,
}

fn interner() -> &'static Interner {
    static INTERNER: OnceLock<Interner> = OnceLock::new();
    INTERNER.get_or_init(|| Interner {
        ids: RwLock::new(Ids::default()),
        names: boxcar::Vec::new(),
    })
}

impl Symbol {
    /// The symbol named `name`.
    pub fn intern(name: &str) -> Symbol {
        let table = interner();
        if let Some(&id) = table
            .ids
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(name)
        {
            return Symbol(id);
        }
        let mut ids = table.ids.write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = ids.get(name) {
            return Symbol(id);
        }
        let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
        // Only this writer appends, so the index is the next id.
        let id = u32::try_from(table.names.push(stored)).expect("fewer than 2^32 symbols");
        ids.insert(stored, id);
        Symbol(id)
    }

    /// The symbol's name.
    pub fn as_str(self) -> &'static str {
        interner()
            .names
            .get(self.0 as usize)
            .copied()
            .expect("a symbol's name is stored before the symbol exists")
    }
}

impl fmt::Debug for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_str())
    }
}

impl fmt::Display for Symbol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A per-reader cache in front of the global table, so that reading files
/// in parallel rarely takes its lock.
#[derive(Default)]
pub(crate) struct LocalSymbols<'t> {
    cache: HashMap<&'t str, Symbol, foldhash::fast::FixedState>,
}

impl<'t> LocalSymbols<'t> {
    pub(crate) fn get(&mut self, name: &'t str) -> Symbol {
        *self
            .cache
            .entry(name)
            .or_insert_with(|| Symbol::intern(name))
    }
}
