//! Full-text search over current recipes (FTS5): names (recipe and package
//! names), descriptions and provided names.
//!
//! User text never reaches FTS5 as syntax: each word becomes a quoted
//! prefix phrase (`"word"*`), so `"`, `*`, `-`, `NEAR`, `AND` or parentheses
//! are searched for as text, and any input is a valid query. Results put an
//! exact name first, then recipes whose names hold every word, then the rest
//! by bm25 with name matches weighted above provides and descriptions.

use kiln_normalizer::Origin;
use rusqlite::Connection;

use super::error::{Doing, StoreError};
use super::index_rows::SearchRow;
use super::{origin_from_column, RecipeId, Store};

/// Words of a query beyond this many are ignored.
pub const MAX_QUERY_TERMS: usize = 16;

/// Longest word taken from a query, in bytes.
const MAX_TERM_LEN: usize = 128;

/// bm25 weights of the `name`, `description` and `provides` columns.
const WEIGHTS: (f64, f64, f64) = (10.0, 1.0, 4.0);

/// One search result.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchHit {
    /// The recipe.
    pub id: RecipeId,
    /// Its origin.
    pub origin: Origin,
    /// Its name.
    pub name: String,
    /// Its version as text.
    pub version: String,
    /// Its one-line description.
    pub description: Option<String>,
    /// bm25 score (lower is better).
    pub score: f64,
}

/// The FTS5 query for user text: every word that holds a letter or digit,
/// as a quoted prefix phrase; `None` when there is no such word.
pub(crate) fn fts_query(input: &str) -> Option<String> {
    let terms: Vec<String> = input
        .split_whitespace()
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .take(MAX_QUERY_TERMS)
        .map(|w| {
            let mut end = w.len().min(MAX_TERM_LEN);
            while !w.is_char_boundary(end) {
                end -= 1;
            }
            format!("\"{}\"*", w[..end].replace('"', "\"\""))
        })
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// Adds recipe `id`'s search entry.
pub(crate) fn index(conn: &Connection, id: RecipeId, row: &SearchRow) -> Result<(), StoreError> {
    conn.prepare_cached(
        "INSERT INTO recipe_search (rowid, name, description, provides) VALUES (?1, ?2, ?3, ?4)",
    )
    .and_then(|mut s| s.execute((id.0, &row.names, &row.descriptions, &row.provides)))
    .doing(|| format!("indexing recipe {id} for search"))?;
    Ok(())
}

/// Drops recipe `id`'s search entry, if any.
pub(crate) fn unindex(conn: &Connection, id: RecipeId) -> Result<(), StoreError> {
    conn.prepare_cached("DELETE FROM recipe_search WHERE rowid = ?1")
        .and_then(|mut s| s.execute([id.0]))
        .doing(|| format!("removing recipe {id} from the search index"))?;
    Ok(())
}

impl Store {
    /// Current recipes matching `query`, of `origin` if given, best first,
    /// at most `limit`. A query without letters or digits finds nothing.
    pub fn search(
        &self,
        query: &str,
        origin: Option<Origin>,
        limit: usize,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let doing = || format!("searching recipes for {query:?}");
        let in_name = format!("name : ({fts})");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT r.id, r.origin, r.name, r.version, r.description,
                        bm25(recipe_search, ?5, ?6, ?7) AS score
                 FROM recipe_search JOIN recipes r ON r.id = recipe_search.rowid
                 WHERE recipe_search MATCH ?1
                   AND r.removed_at IS NULL AND (?2 IS NULL OR r.origin = ?2)
                 ORDER BY r.name = ?3 COLLATE NOCASE DESC,
                          r.id IN (SELECT rowid FROM recipe_search WHERE recipe_search MATCH ?4) DESC,
                          score, r.name, r.origin
                 LIMIT ?8",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map(
                rusqlite::params![
                    fts,
                    origin.map(Origin::as_str),
                    query.trim(),
                    in_name,
                    WEIGHTS.0,
                    WEIGHTS.1,
                    WEIGHTS.2,
                    i64::try_from(limit).unwrap_or(i64::MAX),
                ],
                |row| {
                    Ok((
                        row.get::<_, i64>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, String>(3)?,
                        row.get::<_, Option<String>>(4)?,
                        row.get::<_, f64>(5)?,
                    ))
                },
            )
            .doing(doing)?;
        let mut hits = Vec::new();
        for row in rows {
            let (id, origin, name, version, description, score) = row.doing(doing)?;
            hits.push(SearchHit {
                id: RecipeId(id),
                origin: origin_from_column(&origin, doing)?,
                name,
                version,
                description,
                score,
            });
        }
        Ok(hits)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::test_recipes;
    use crate::store::Provenance;

    #[test]
    fn queries_are_quoted() {
        let cases = [
            ("foo", Some(r#""foo"*"#)),
            ("foo bar", Some(r#""foo"* AND "bar"*"#)),
            (r#"a"b"#, Some(r#""a""b"*"#)),
            ("NEAR(a b)", Some(r#""NEAR(a"* AND "b)"*"#)),
            ("-x *", Some(r#""-x"*"#)),
            ("", None),
            ("  \" * - ", None),
        ];
        for (input, want) in cases {
            assert_eq!(fts_query(input).as_deref(), want, "{input:?}");
        }
    }

    #[test]
    fn long_queries_are_bounded() {
        let long = "é".repeat(200);
        let q = fts_query(&format!("{long} ").repeat(40)).unwrap();
        assert_eq!(q.matches(" AND ").count(), MAX_QUERY_TERMS - 1);
    }

    #[test]
    fn search_finds_by_name_description_and_provides() {
        let mut store = Store::open_in_memory().unwrap();
        let run = store
            .begin_import_run(crate::store::ImportKind::Dir, "t", None)
            .unwrap();
        let p = Provenance::default();
        store
            .upsert_recipe(run, &test_recipes::split(), &p, "h1")
            .unwrap();
        store
            .upsert_recipe(run, &test_recipes::single("foobar", "1"), &p, "h2")
            .unwrap();
        let names = |q: &str| -> Vec<String> {
            store
                .search(q, None, 10)
                .unwrap()
                .into_iter()
                .map(|h| h.name)
                .collect()
        };
        assert_eq!(names("library"), ["libfoo"]);
        assert_eq!(names("libfoo.so"), ["libfoo"]);
        assert_eq!(names("docs"), ["libfoo"]);
        assert_eq!(names("foobar"), ["foobar"]);
        assert!(names("nothing-like-it").is_empty());
        for odd in [
            "\"",
            "*",
            "-",
            "NEAR",
            "AND OR NOT",
            "(",
            "\"unterminated",
            "",
        ] {
            store.search(odd, None, 10).unwrap();
        }
    }
}
