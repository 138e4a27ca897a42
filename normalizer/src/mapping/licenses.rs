//! Licenses across SPDX (what PKGBUILDs use) and `(guix licenses)` (what
//! Guix packages use), from `licenses.tsv`.

use super::table::{rows, Direction};
use super::MappingError;

/// A license of `(guix licenses)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct GuixLicense<'a> {
    /// The exported variable (`gpl3+`), written `license:gpl3+` in modules.
    pub variable: &'a str,
    /// The record's name (`GPL 3+`).
    pub name: &'a str,
}

#[derive(Debug, Clone)]
struct LicenseRow {
    spdx: String,
    variable: String,
    name: String,
    direction: Direction,
}

/// The SPDX <-> Guix license table.
#[derive(Debug, Clone, Default)]
pub struct LicenseTable {
    rows: Vec<LicenseRow>,
}

/// What an SPDX expression becomes in Guix.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GuixLicenses<'a> {
    /// The licenses, in the expression's order, without repeats.
    pub licenses: Vec<GuixLicense<'a>>,
    /// Identifiers with no Guix counterpart (`LicenseRef-foo`, `custom:x`).
    pub unmapped: Vec<String>,
    /// Whether the expression combined licenses with `AND` (Guix lists all
    /// licenses a package is under without saying how they combine).
    pub conjunctive: bool,
}

impl LicenseTable {
    /// Reads the text of `licenses.tsv`.
    pub fn parse(text: &str) -> Result<Self, MappingError> {
        let mut out = Vec::new();
        for row in rows(text, "licenses.tsv", 3, 3)? {
            out.push(LicenseRow {
                spdx: row.columns[0].to_owned(),
                variable: row.columns[1].to_owned(),
                name: row.columns[2].to_owned(),
                direction: row.direction,
            });
        }
        Ok(Self { rows: out })
    }

    /// The Guix license of one SPDX identifier (a trailing `+` means "or
    /// later"; matching ignores case as SPDX does).
    pub fn spdx_id_to_guix(&self, id: &str) -> Option<GuixLicense<'_>> {
        let find = |id: &str| {
            self.rows
                .iter()
                .find(|r| r.direction.to_guix() && r.spdx.eq_ignore_ascii_case(id))
                .map(|r| GuixLicense {
                    variable: &r.variable,
                    name: &r.name,
                })
        };
        find(id).or_else(|| {
            let base = id.strip_suffix('+')?;
            find(&format!("{base}-or-later")).or_else(|| find(base))
        })
    }

    /// The Guix licenses of an SPDX expression (`MIT OR Apache-2.0`,
    /// `GPL-2.0-or-later WITH Classpath-exception-2.0`); exceptions are
    /// dropped since Guix records have none.
    pub fn spdx_to_guix(&self, expression: &str) -> GuixLicenses<'_> {
        let mut out = GuixLicenses::default();
        let spaced = expression.replace('(', " ( ").replace(')', " ) ");
        let mut tokens = spaced.split_whitespace();
        while let Some(tok) = tokens.next() {
            match tok {
                "(" | ")" | "OR" | "or" => {}
                "AND" | "and" => out.conjunctive = true,
                "WITH" | "with" => {
                    tokens.next();
                }
                id => match self.spdx_id_to_guix(id) {
                    Some(l) if !out.licenses.contains(&l) => out.licenses.push(l),
                    Some(_) => {}
                    None => out.unmapped.push(id.to_owned()),
                },
            }
        }
        out
    }

    /// Every Guix license the table knows, as (variable, record name), each
    /// once, in table order.
    pub fn guix_licenses(&self) -> Vec<GuixLicense<'_>> {
        let mut out: Vec<GuixLicense<'_>> = Vec::new();
        for row in &self.rows {
            if !out.iter().any(|l| l.variable == row.variable) {
                out.push(GuixLicense {
                    variable: &row.variable,
                    name: &row.name,
                });
            }
        }
        out
    }

    /// The SPDX identifier of a Guix license given by variable (`gpl3+`,
    /// `license:gpl3+`) or by record name (`GPL 3+`).
    pub fn guix_to_spdx(&self, guix: &str) -> Option<&str> {
        let key = guix.strip_prefix("license:").unwrap_or(guix);
        let by = |pick: fn(&LicenseRow) -> &str| {
            self.rows
                .iter()
                .filter(|r| r.direction.to_arch())
                .find(|r| pick(r) == key)
                .map(|r| r.spdx.as_str())
        };
        by(|r| r.variable.as_str()).or_else(|| by(|r| r.name.as_str()))
    }
}
