//! Interned symbols: every symbol and keyword of every module read is stored
//! once, so the syntax trees of a whole Guix tree stay small and symbols
//! compare as integers.

use std::collections::HashMap;
use std::fmt;
use std::sync::{OnceLock, RwLock};

/// A symbol (or keyword name), interned for the life of the process.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Symbol(u32);

#[derive(Default)]
struct Interner {
    ids: HashMap<&'static str, u32>,
    names: Vec<&'static str>,
}

fn interner() -> &'static RwLock<Interner> {
    static INTERNER: OnceLock<RwLock<Interner>> = OnceLock::new();
    INTERNER.get_or_init(Default::default)
}

impl Symbol {
    /// The symbol named `name`.
    pub fn intern(name: &str) -> Symbol {
        if let Some(&id) = interner()
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .ids
            .get(name)
        {
            return Symbol(id);
        }
        let mut table = interner().write().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = table.ids.get(name) {
            return Symbol(id);
        }
        let stored: &'static str = Box::leak(name.to_owned().into_boxed_str());
        let id = u32::try_from(table.names.len()).expect("fewer than 2^32 symbols");
        table.names.push(stored);
        table.ids.insert(stored, id);
        Symbol(id)
    }

    /// The symbol's name.
    pub fn as_str(self) -> &'static str {
        interner().read().unwrap_or_else(|e| e.into_inner()).names[self.0 as usize]
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
    cache: HashMap<&'t str, Symbol>,
}

impl<'t> LocalSymbols<'t> {
    pub(crate) fn get(&mut self, name: &'t str) -> Symbol {
        *self
            .cache
            .entry(name)
            .or_insert_with(|| Symbol::intern(name))
    }
}
