//! Judging an advisory against the store: which current recipes it names
//! (by name in its ecosystem, and their counterparts in the other origin
//! through the comparison's evidence) and their state.

use std::cmp::Ordering;

use kiln_normalizer::compare::NameMap;
use kiln_normalizer::Origin;
use serde::Serialize;

use super::{order_of, upstream_version, Advisory, Affected, Range};
use crate::compare::{arch_counterpart, GuixIndex};
use crate::store::{Store, StoreError, StoredRecipe};

/// A recipe's state under an advisory.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum State {
    /// Its version lies in an affected range.
    Vulnerable,
    /// Its version is at or after a fixed version.
    Fixed,
    /// Its version is outside every range (before the introduction).
    NotAffected,
}

impl State {
    /// The state as printed.
    pub fn as_str(self) -> &'static str {
        match self {
            State::Vulnerable => "vulnerable",
            State::Fixed => "fixed in the store",
            State::NotAffected => "not affected",
        }
    }
}

/// One recipe of the store judged under an advisory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Assessment {
    /// The recipe's origin.
    pub origin: Origin,
    /// Its name.
    pub name: String,
    /// Its current version.
    pub version: String,
    /// Its state.
    pub state: State,
    /// How it was matched: by name in the advisory's ecosystem, or through
    /// the comparison's evidence with the recipe the advisory names.
    pub via: String,
    /// The fixed version that applies, in the recipe's own terms.
    pub fixed: Option<String>,
}

/// Judges `version` under `affected`'s ranges with `cmp`.
fn judge(
    version: &str,
    ranges: &[Range],
    versions: &[String],
    cmp: fn(&str, &str) -> Ordering,
) -> State {
    if versions.iter().any(|v| cmp(v, version) == Ordering::Equal)
        || ranges.iter().any(|r| r.contains(version, cmp))
    {
        return State::Vulnerable;
    }
    if ranges.iter().any(|r| {
        r.fixed
            .as_deref()
            .is_some_and(|f| cmp(version, f) != Ordering::Less)
    }) {
        State::Fixed
    } else {
        State::NotAffected
    }
}

fn first_fixed(ranges: &[Range]) -> Option<String> {
    ranges.iter().find_map(|r| r.fixed.clone())
}

/// Judges a recipe of the advisory's own origin.
fn direct(recipe: &StoredRecipe, a: &Affected, ecosystem: &str) -> Assessment {
    let cmp = order_of(recipe.origin);
    Assessment {
        origin: recipe.origin,
        name: recipe.name.clone(),
        version: recipe.version.clone(),
        state: judge(&recipe.version, &a.ranges, &a.versions, cmp),
        via: format!("named {:?} in {ecosystem}", a.name),
        fixed: first_fixed(&a.ranges),
    }
}

/// Judges the counterpart of a named recipe in the other origin, on
/// upstream versions with the counterpart's own ordering.
fn across(
    counterpart: &StoredRecipe,
    a: &Affected,
    named: &StoredRecipe,
    evidence: &str,
) -> Assessment {
    let cmp = order_of(counterpart.origin);
    let strip = |v: &str| upstream_version(v).to_owned();
    let ranges: Vec<Range> = a.ranges.iter().map(|r| r.map(strip)).collect();
    let versions: Vec<String> = a.versions.iter().map(|v| strip(v)).collect();
    let own = upstream_version(&counterpart.version);
    Assessment {
        origin: counterpart.origin,
        name: counterpart.name.clone(),
        version: counterpart.version.clone(),
        state: judge(own, &ranges, &versions, cmp),
        via: format!("{evidence} with {}/{}", named.origin, named.name),
        fixed: first_fixed(&ranges),
    }
}

/// Every current recipe `advisory` concerns, with its state.
pub fn assess(
    store: &Store,
    advisory: &Advisory,
    names: &dyn NameMap,
) -> Result<Vec<Assessment>, StoreError> {
    let mut out: Vec<Assessment> = Vec::new();
    let mut guix_index: Option<GuixIndex> = None;
    for a in &advisory.affected {
        let Some(origin) = a.origin else {
            continue;
        };
        let Some(named) = store.recipe_by_name(Some(origin), &a.name)? else {
            continue;
        };
        out.push(direct(&named, a, &a.ecosystem));
        let counterpart = match origin {
            Origin::Arch => {
                if guix_index.is_none() {
                    guix_index = Some(GuixIndex::build(store)?);
                }
                guix_index
                    .as_ref()
                    .and_then(|i| i.best_match(&named.recipe, names))
                    .map(|(g, c)| (g.clone(), c))
            }
            Origin::Guix => arch_counterpart(store, &named.recipe, names)?,
        };
        if let Some((other, comparison)) = counterpart {
            let evidence = comparison.evidence.first().map_or("matched", |e| e.kind());
            out.push(across(&other, a, &named, evidence));
        }
    }
    out.sort_by(|x, y| (x.origin, &x.name).cmp(&(y.origin, &y.name)));
    out.dedup_by(|x, y| x.origin == y.origin && x.name == y.name);
    Ok(out)
}
