//! Mapping tables between Arch and Guix: package names and licenses.
//!
//! The tables live as plain TSV under `recipes/mappings/` (reviewed like
//! code, editable without Rust) and are embedded in the binary, so nothing
//! is read at run time. [`Mappings::builtin`] gives them parsed once;
//! [`Mappings::from_tables`] reads other texts (tests, user overrides).
//!
//! - [`names`]: Arch name <-> Guix name, explicit pairs then conventions.
//! - [`licenses`]: SPDX <-> `(guix licenses)` variables and record names.

mod licenses;
mod names;
mod table;

use std::sync::OnceLock;

pub use licenses::{GuixLicense, GuixLicenses, LicenseTable};
pub use names::{GuixRef, NameTable};

use crate::compare::NameMap;

/// The embedded `recipes/mappings/names.tsv`.
pub const NAMES_TSV: &str = include_str!("../../../recipes/mappings/names.tsv");
/// The embedded `recipes/mappings/name-rules.tsv`.
pub const NAME_RULES_TSV: &str = include_str!("../../../recipes/mappings/name-rules.tsv");
/// The embedded `recipes/mappings/licenses.tsv`.
pub const LICENSES_TSV: &str = include_str!("../../../recipes/mappings/licenses.tsv");

/// A line of a mapping table that cannot be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("reading mapping table {file}: line {line}: {message}")]
pub struct MappingError {
    /// The table's file name.
    pub file: String,
    /// 1-based line.
    pub line: u32,
    /// What is wrong.
    pub message: String,
}

/// Names and licenses across Arch and Guix.
#[derive(Debug, Clone, Default)]
pub struct Mappings {
    /// Package names.
    pub names: NameTable,
    /// Licenses.
    pub licenses: LicenseTable,
}

impl Mappings {
    /// Reads the three tables from their texts.
    pub fn from_tables(names: &str, rules: &str, licenses: &str) -> Result<Self, MappingError> {
        Ok(Self {
            names: NameTable::parse(names, rules)?,
            licenses: LicenseTable::parse(licenses)?,
        })
    }

    /// The tables embedded from `recipes/mappings/`, parsed on first use.
    /// (Their validity is checked by this module's tests, so a broken table
    /// never reaches a release.)
    pub fn builtin() -> &'static Mappings {
        static BUILTIN: OnceLock<Mappings> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Mappings::from_tables(NAMES_TSV, NAME_RULES_TSV, LICENSES_TSV)
                .unwrap_or_else(|e| panic!("embedded mapping tables: {e}"))
        })
    }

    /// The Guix packages an Arch name may stand for, best first (empty when
    /// Guix provides it implicitly).
    pub fn arch_to_guix_refs(&self, arch: &str) -> Vec<GuixRef> {
        self.names.arch_to_guix(arch)
    }

    /// The Arch packages a Guix name (`NAME[@VERSION]`) may stand for, best first.
    pub fn guix_to_arch(&self, guix: &str) -> Vec<String> {
        self.names.guix_to_arch(guix)
    }

    /// The Guix licenses of an SPDX expression.
    pub fn spdx_to_guix<'a>(&'a self, expression: &str) -> GuixLicenses<'a> {
        self.licenses.spdx_to_guix(expression)
    }

    /// The SPDX identifier of a Guix license variable or record name.
    pub fn guix_to_spdx(&self, guix: &str) -> Option<&str> {
        self.licenses.guix_to_spdx(guix)
    }
}

impl NameMap for Mappings {
    fn arch_to_guix(&self, arch: &str) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for r in self.names.arch_to_guix(arch) {
            if !out.contains(&r.name) {
                out.push(r.name);
            }
        }
        out
    }

    fn guix_to_arch(&self, guix: &str) -> Vec<String> {
        Mappings::guix_to_arch(self, guix)
    }
}

#[cfg(test)]
mod tests;
