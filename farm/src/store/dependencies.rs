//! Dependency look-ups: what a recipe needs, who needs a name (through
//! package names and `provides`), and which recipes fetch a given file.

use kiln_normalizer::{Constraint, ConstraintOp, DependencyKind, Origin};
use rusqlite::Row;

use super::error::{Doing, StoreError};
use super::recipes::NameMatch;
use super::{origin_from_column, Store};

/// One dependency of a recipe or package, with who has it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DependencyRecord {
    /// The depending recipe's origin.
    pub origin: Origin,
    /// The depending recipe's name.
    pub recipe: String,
    /// The depending package; `None` for a recipe-wide (build or check)
    /// dependency.
    pub package: Option<String>,
    /// What it is needed for.
    pub kind: DependencyKind,
    /// The name depended on.
    pub name: String,
    /// The version constraint, if any.
    pub constraint: Option<Constraint>,
    /// The architecture it applies to; `None` for all.
    pub arch: Option<String>,
    /// The reason of an optional dependency.
    pub reason: Option<String>,
    /// The entry as written.
    pub text: String,
}

/// A source that a recipe fetches, found by its digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceMatch {
    /// The recipe's origin.
    pub origin: Origin,
    /// The recipe's name.
    pub recipe: String,
    /// The source's URL (a file name for local sources).
    pub url: String,
    /// The file name makepkg saves it as.
    pub file_name: String,
    /// The architecture list it is in; `None` for the general one.
    pub arch: Option<String>,
}

const DEPENDENCY_COLUMNS: &str =
    "r.origin, r.name, p.name, d.kind, d.name, d.op, d.version, d.arch, d.reason, d.text";

type RawDependency = (
    String,
    String,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
);

fn read_dependency(row: &Row<'_>) -> rusqlite::Result<RawDependency> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
        row.get(5)?,
        row.get(6)?,
        row.get(7)?,
        row.get(8)?,
        row.get(9)?,
    ))
}

fn to_record(
    raw: RawDependency,
    doing: &dyn Fn() -> String,
) -> Result<DependencyRecord, StoreError> {
    let (origin, recipe, package, kind, name, op, version, arch, reason, text) = raw;
    let corrupt = |what, value: &str| StoreError::Corrupt {
        doing: doing(),
        what,
        value: value.to_owned(),
    };
    let kind = match kind.as_str() {
        "runtime" => DependencyKind::Runtime,
        "build" => DependencyKind::Build,
        "check" => DependencyKind::Check,
        "optional" => DependencyKind::Optional,
        other => return Err(corrupt("dependency kind", other)),
    };
    let constraint = match op.as_deref() {
        None => None,
        Some(op) => {
            let op = match op {
                "<" => ConstraintOp::Lt,
                "<=" => ConstraintOp::Le,
                "=" => ConstraintOp::Eq,
                ">=" => ConstraintOp::Ge,
                ">" => ConstraintOp::Gt,
                other => return Err(corrupt("constraint operator", other)),
            };
            Some(Constraint {
                op,
                version: version.unwrap_or_default(),
            })
        }
    };
    Ok(DependencyRecord {
        origin: origin_from_column(&origin, doing)?,
        recipe,
        package,
        kind,
        name,
        constraint,
        arch,
        reason,
        text,
    })
}

impl Store {
    /// The dependencies of the current recipe `name` finds (see
    /// [`Store::recipe_by_name`]): of all its packages when `name` is the
    /// recipe's, else of the package it names or that provides it, with the
    /// recipe-wide build and check dependencies in both cases.
    pub fn dependencies_of(
        &self,
        name: &str,
        origin: Option<Origin>,
    ) -> Result<Vec<DependencyRecord>, StoreError> {
        let Some((id, matched, package)) = self.resolve_name(origin, name)? else {
            return Ok(Vec::new());
        };
        let package = if matched == NameMatch::Recipe {
            None
        } else {
            package
        };
        let doing = || format!("listing the dependencies of {name:?}");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {DEPENDENCY_COLUMNS}
                 FROM dependencies d
                 JOIN recipes r ON r.id = d.recipe_id
                 LEFT JOIN packages p ON p.id = d.package_id
                 WHERE d.recipe_id = ?1 AND (?2 IS NULL OR d.package_id IS NULL OR p.name = ?2)
                 ORDER BY d.id"
            ))
            .doing(doing)?;
        let rows = stmt
            .query_map((id.0, package), read_dependency)
            .doing(doing)?;
        rows.map(|r| to_record(r.doing(doing)?, &doing)).collect()
    }

    /// Who depends on `name`: dependencies naming it directly, and — when
    /// `name` is a recipe or package — dependencies naming any of its
    /// packages or anything they provide (`libfoo.so`, a virtual name).
    /// Only current recipes of `origin`, if given, on either side.
    pub fn reverse_dependencies(
        &self,
        name: &str,
        origin: Option<Origin>,
    ) -> Result<Vec<DependencyRecord>, StoreError> {
        let doing = || format!("listing the reverse dependencies of {name:?}");
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "WITH providers (package_id) AS (
                     SELECT p.id FROM packages p JOIN recipes r ON r.id = p.recipe_id
                     WHERE (p.name = ?1 OR r.name = ?1)
                       AND r.removed_at IS NULL AND (?2 IS NULL OR r.origin = ?2)
                 ),
                 targets (name) AS (
                     SELECT ?1
                     UNION SELECT p.name FROM packages p JOIN providers v ON v.package_id = p.id
                     UNION SELECT pr.name FROM provides pr
                           JOIN providers v ON v.package_id = pr.package_id
                 )
                 SELECT {DEPENDENCY_COLUMNS}
                 FROM dependencies d
                 JOIN recipes r ON r.id = d.recipe_id
                 LEFT JOIN packages p ON p.id = d.package_id
                 WHERE d.name IN (SELECT name FROM targets)
                   AND r.removed_at IS NULL AND (?2 IS NULL OR r.origin = ?2)
                 ORDER BY r.origin, r.name, p.name, d.id"
            ))
            .doing(doing)?;
        let rows = stmt
            .query_map((name, origin.map(Origin::as_str)), read_dependency)
            .doing(doing)?;
        rows.map(|r| to_record(r.doing(doing)?, &doing)).collect()
    }

    /// The sources of current recipes pinned by sha256 `digest` (any case).
    pub fn recipes_with_sha256(&self, digest: &str) -> Result<Vec<SourceMatch>, StoreError> {
        let doing = || format!("looking up sources with sha256 {digest}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.origin, r.name, s.url, s.file_name, s.arch
                 FROM sources s JOIN recipes r ON r.id = s.recipe_id
                 WHERE s.digest = ?1 AND s.checksum_kind = 'sha256' AND r.removed_at IS NULL
                 ORDER BY r.origin, r.name, s.arch, s.position",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([digest.to_ascii_lowercase()], |row| {
                Ok((
                    row.get::<_, String>(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (origin, recipe, url, file_name, arch) = row.doing(doing)?;
            out.push(SourceMatch {
                origin: origin_from_column(&origin, doing)?,
                recipe,
                url,
                file_name,
                arch,
            });
        }
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_recipes, ImportKind, Provenance};

    fn store() -> Store {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
        let p = Provenance::default();
        let recipes = [
            test_recipes::split(),
            test_recipes::depending("app", "1", &["libfoo.so"]),
            test_recipes::depending("viewer", "1", &["libfoo-docs", "glibc"]),
            test_recipes::depending("other", "1", &["glibc"]),
        ];
        for (i, r) in recipes.iter().enumerate() {
            store.upsert_recipe(run, r, &p, &i.to_string()).unwrap();
        }
        store
    }

    fn who(records: &[DependencyRecord]) -> Vec<(&str, &str)> {
        records
            .iter()
            .map(|d| (d.recipe.as_str(), d.name.as_str()))
            .collect()
    }

    #[test]
    fn reverse_dependencies_resolve_packages_and_provisions() {
        let store = store();
        let cases: &[(&str, &[(&str, &str)])] = &[
            // libfoo: its own packages and its libfoo.so provision.
            (
                "libfoo",
                &[
                    ("app", "libfoo.so"),
                    ("libfoo", "libfoo"),
                    ("viewer", "libfoo-docs"),
                ],
            ),
            ("libfoo.so", &[("app", "libfoo.so")]),
            ("libfoo-docs", &[("viewer", "libfoo-docs")]),
            (
                "glibc",
                &[("libfoo", "glibc"), ("other", "glibc"), ("viewer", "glibc")],
            ),
            ("nobody", &[]),
        ];
        for (name, want) in cases {
            let got = store.reverse_dependencies(name, None).unwrap();
            assert_eq!(who(&got), *want, "{name}");
        }
        assert!(store
            .reverse_dependencies("glibc", Some(Origin::Guix))
            .unwrap()
            .is_empty());
    }

    #[test]
    fn dependencies_of_a_package_keep_recipe_wide_ones() {
        let store = store();
        let docs = store.dependencies_of("libfoo-docs", None).unwrap();
        let got: Vec<_> = docs
            .iter()
            .map(|d| (d.package.as_deref(), d.kind, d.name.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                (None, DependencyKind::Build, "cmake"),
                (Some("libfoo-docs"), DependencyKind::Runtime, "libfoo"),
                (Some("libfoo-docs"), DependencyKind::Runtime, "zlib"),
            ]
        );
        let all = store.dependencies_of("libfoo", None).unwrap();
        assert_eq!(all.len(), 5);
        let glibc = all.iter().find(|d| d.name == "glibc").unwrap();
        assert_eq!(
            glibc.constraint,
            Some(Constraint {
                op: ConstraintOp::Ge,
                version: "2.38".into()
            })
        );
        assert!(store.dependencies_of("nobody", None).unwrap().is_empty());
    }

    #[test]
    fn sources_found_by_sha256_in_any_case() {
        let store = store();
        let hits = store
            .recipes_with_sha256(&test_recipes::SHA_A.to_ascii_uppercase())
            .unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!(hits[0].recipe, "libfoo");
        assert_eq!(hits[0].file_name, "libfoo-1.2.tar.gz");
        assert_eq!(hits[0].url, "https://example.org/libfoo-1.2.tar.gz");
        assert!(store.recipes_with_sha256("00").unwrap().is_empty());
    }
}

/// The rows the rebuild planner builds its graph from, for one origin.
#[derive(Debug, Clone, Default)]
pub struct GraphRows {
    /// (recipe, name it answers to): its packages and what they provide.
    pub provides: Vec<(String, String)>,
    /// (recipe, dependency name, kind) for depends, makedepends, checkdepends.
    pub dependencies: Vec<(String, String, DependencyKind)>,
}

impl Store {
    /// Every current recipe's names and dependencies of `origin`, in two
    /// queries, for building the rebuild planner's graph.
    pub fn graph_rows(&self, origin: Origin) -> Result<GraphRows, StoreError> {
        let doing = || format!("reading the {origin} dependency graph");
        let mut rows = GraphRows::default();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.name, p.name FROM packages p JOIN recipes r ON r.id = p.recipe_id
                 WHERE r.origin = ?1 AND r.removed_at IS NULL
                 UNION ALL
                 SELECT r.name, v.name FROM provides v JOIN recipes r ON r.id = v.recipe_id
                 WHERE r.origin = ?1 AND r.removed_at IS NULL",
            )
            .doing(doing)?;
        let found = stmt
            .query_map([origin.as_str()], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing(doing)?;
        for row in found {
            rows.provides.push(row.doing(doing)?);
        }
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.name, d.name, d.kind FROM dependencies d
                 JOIN recipes r ON r.id = d.recipe_id
                 WHERE r.origin = ?1 AND r.removed_at IS NULL
                   AND d.kind IN ('runtime', 'build', 'check')
                   AND (d.arch IS NULL OR d.arch = 'x86_64')",
            )
            .doing(doing)?;
        let found = stmt
            .query_map([origin.as_str()], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .doing(doing)?;
        for row in found {
            let (recipe, name, kind) = row.doing(doing)?;
            let kind = match kind.as_str() {
                "runtime" => DependencyKind::Runtime,
                "build" => DependencyKind::Build,
                _ => DependencyKind::Check,
            };
            rows.dependencies.push((recipe, name, kind));
        }
        Ok(rows)
    }
}
