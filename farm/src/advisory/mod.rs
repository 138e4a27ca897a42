//! Security advisories: read from OSV JSON (schema 1.x) and from the Arch
//! security tracker's JSON (AVG groups), matched to recipes by package name
//! in their ecosystem and across origins through the comparison's
//! evidence, with version ranges judged by each origin's own ordering.
//!
//! Nothing is dropped: an unknown ecosystem or a malformed range is kept in
//! the advisory and reported as one of its problems.

use std::cmp::Ordering;

use kiln_normalizer::guix_version::guix_version_cmp;
use kiln_normalizer::{vercmp, Origin};
use serde::{Deserialize, Serialize};

mod assess;
mod parse;

pub use assess::{assess, Assessment, State};
pub use parse::{parse_advisories, ParseError};

/// Where an advisory was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Format {
    /// OSV (ossf.github.io/osv-schema), schema 1.x.
    Osv,
    /// The Arch security tracker (an AVG group).
    ArchTracker,
}

impl Format {
    /// The format as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::Osv => "osv",
            Format::ArchTracker => "arch-tracker",
        }
    }
}

/// One advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Advisory {
    /// `GHSA-...`, `CVE-...`, `AVG-1234` ...
    pub id: String,
    /// The format it came in.
    pub format: Format,
    /// A one-line summary.
    pub summary: Option<String>,
    /// Other ids (CVEs of an AVG group, aliases of an OSV record).
    pub aliases: Vec<String>,
    /// Severity as given (`High`, a CVSS vector ...).
    pub severity: Option<String>,
    /// Status as given (`Fixed`, `Vulnerable` ...), for tracker groups.
    pub status: Option<String>,
    /// The packages affected.
    pub affected: Vec<Affected>,
    /// What could not be understood: kept, reported, never dropped.
    pub problems: Vec<String>,
}

/// One affected package of an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Affected {
    /// The ecosystem as written (`Arch Linux`, `AUR`, `Guix`, `PyPI` ...).
    pub ecosystem: String,
    /// The origin that ecosystem is, if Kiln knows it.
    pub origin: Option<Origin>,
    /// Package name in that ecosystem.
    pub name: String,
    /// Affected ranges.
    pub ranges: Vec<Range>,
    /// Versions listed as affected one by one.
    pub versions: Vec<String>,
}

/// An affected range: from `introduced` (none: from the start) up to
/// before `fixed`, or up to and including `last_affected`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Range {
    /// First affected version (`None` or `0`: every version before).
    pub introduced: Option<String>,
    /// First fixed version.
    pub fixed: Option<String>,
    /// Last affected version, when no fix is known.
    pub last_affected: Option<String>,
}

/// The origin of an ecosystem name, as OSV and trackers write them.
pub fn origin_of_ecosystem(ecosystem: &str) -> Option<Origin> {
    let e = ecosystem.trim().to_ascii_lowercase();
    let base = e.split(':').next().unwrap_or(&e);
    match base {
        "arch linux" | "arch" | "archlinux" | "aur" => Some(Origin::Arch),
        "guix" | "gnu guix" => Some(Origin::Guix),
        _ => None,
    }
}

/// The version order of an origin.
pub fn order_of(origin: Origin) -> fn(&str, &str) -> Ordering {
    match origin {
        Origin::Arch => vercmp,
        Origin::Guix => guix_version_cmp,
    }
}

/// The upstream part of an Arch version: without `epoch:` and `-pkgrel`,
/// for judging it against another origin's versions.
pub fn upstream_version(version: &str) -> &str {
    let v = version.split_once(':').map_or(version, |(_, v)| v);
    v.rsplit_once('-').map_or(v, |(v, _)| v)
}

impl Range {
    /// Whether `version` lies in the range, under `cmp`.
    pub fn contains(&self, version: &str, cmp: fn(&str, &str) -> Ordering) -> bool {
        let after_start = match self.introduced.as_deref() {
            None | Some("0") => true,
            Some(i) => cmp(version, i) != Ordering::Less,
        };
        let before_end = match (&self.fixed, &self.last_affected) {
            (Some(f), _) => cmp(version, f) == Ordering::Less,
            (None, Some(l)) => cmp(version, l) != Ordering::Greater,
            (None, None) => true,
        };
        after_start && before_end
    }

    /// The same range with every bound mapped by `f`.
    pub fn map(&self, f: impl Fn(&str) -> String) -> Range {
        Range {
            introduced: self.introduced.as_deref().map(&f),
            fixed: self.fixed.as_deref().map(&f),
            last_affected: self.last_affected.as_deref().map(&f),
        }
    }
}

#[cfg(test)]
mod tests;
