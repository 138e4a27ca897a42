//! Advisories as stored (whole, as JSON, with an index of the packages they
//! name) and rebuild waves.

use kiln_normalizer::Origin;
use rusqlite::OptionalExtension;

use super::error::{Doing, StoreError};
use super::{now, Store};
use crate::advisory::Advisory;

/// A rebuild wave as recorded.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Wave {
    /// Id.
    pub id: i64,
    /// What started it (`rebuild zlib --dependents`, `advisory AVG-1`, ...).
    pub trigger: String,
    /// The advisory, when one started it.
    pub advisory: Option<String>,
    /// The origin of its recipes.
    pub origin: String,
    /// The plan, as JSON.
    pub plan: String,
    /// When (Unix seconds).
    pub created_at: i64,
}

/// A wave from a row of `SELECT id, trigger, advisory_id, origin, plan,
/// created_at FROM waves`.
pub(super) fn wave_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Wave> {
    Ok(Wave {
        id: r.get(0)?,
        trigger: r.get(1)?,
        advisory: r.get(2)?,
        origin: r.get(3)?,
        plan: r.get(4)?,
        created_at: r.get(5)?,
    })
}

fn json_err(doing: String) -> impl FnOnce(serde_json::Error) -> StoreError {
    move |source| StoreError::Json { doing, source }
}

impl Store {
    /// Stores an advisory, replacing one with the same id. Returns whether
    /// it was new.
    pub fn upsert_advisory(&mut self, a: &Advisory) -> Result<bool, StoreError> {
        let doing = || format!("storing advisory {}", a.id);
        let body = serde_json::to_string(a).map_err(json_err(doing()))?;
        let problems = serde_json::to_string(&a.problems).map_err(json_err(doing()))?;
        let tx = self.conn.transaction().doing(doing)?;
        let existed: bool = tx
            .prepare_cached("SELECT 1 FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.exists([&a.id]))
            .doing(doing)?;
        let t = now();
        tx.prepare_cached(
            "INSERT INTO advisories (id, format, summary, severity, status, advisory, problems,
                                     added_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8)
             ON CONFLICT (id) DO UPDATE SET format = ?2, summary = ?3, severity = ?4,
                 status = ?5, advisory = ?6, problems = ?7, updated_at = ?8",
        )
        .and_then(|mut s| {
            s.execute((
                &a.id,
                a.format.as_str(),
                a.summary.as_deref(),
                a.severity.as_deref(),
                a.status.as_deref(),
                &body,
                &problems,
                t,
            ))
        })
        .doing(doing)?;
        tx.prepare_cached("DELETE FROM advisory_packages WHERE advisory_id = ?1")
            .and_then(|mut s| s.execute([&a.id]))
            .doing(doing)?;
        for p in &a.affected {
            tx.prepare_cached(
                "INSERT INTO advisory_packages (advisory_id, ecosystem, origin, name)
                 VALUES (?1, ?2, ?3, ?4)",
            )
            .and_then(|mut s| {
                s.execute((&a.id, &p.ecosystem, p.origin.map(Origin::as_str), &p.name))
            })
            .doing(doing)?;
        }
        tx.commit().doing(doing)?;
        Ok(!existed)
    }

    /// One advisory by id (or by one of its aliases).
    pub fn advisory(&self, id: &str) -> Result<Option<Advisory>, StoreError> {
        let doing = || format!("reading advisory {id}");
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT advisory FROM advisories WHERE id = ?1")
            .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
            .doing(doing)?;
        if let Some(body) = body {
            return serde_json::from_str(&body)
                .map(Some)
                .map_err(json_err(doing()));
        }
        // An alias (a CVE of an AVG group ...).
        Ok(self
            .advisories()?
            .into_iter()
            .find(|a| a.aliases.iter().any(|x| x == id)))
    }

    /// Every advisory, by id.
    pub fn advisories(&self) -> Result<Vec<Advisory>, StoreError> {
        let doing = || "listing advisories".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT advisory FROM advisories ORDER BY id")
            .doing(doing)?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0)).doing(doing)?;
        let mut out = Vec::new();
        for body in rows {
            let body = body.doing(doing)?;
            out.push(serde_json::from_str(&body).map_err(json_err(doing()))?);
        }
        Ok(out)
    }

    /// The advisories naming package `name` of `origin`.
    pub fn advisories_naming(
        &self,
        origin: Origin,
        name: &str,
    ) -> Result<Vec<Advisory>, StoreError> {
        let doing = || format!("finding advisories naming {origin}/{name}");
        let ids: Vec<String> = self
            .conn
            .prepare_cached(
                "SELECT DISTINCT advisory_id FROM advisory_packages
                 WHERE origin = ?1 AND name = ?2 ORDER BY 1",
            )
            .and_then(|mut s| {
                s.query_map((origin.as_str(), name), |r| r.get(0))?
                    .collect::<Result<_, _>>()
            })
            .doing(doing)?;
        let mut out = Vec::new();
        for id in ids {
            out.extend(self.advisory(&id)?);
        }
        Ok(out)
    }

    /// Records a rebuild wave and returns its id.
    pub fn create_wave(
        &mut self,
        trigger: &str,
        advisory: Option<&str>,
        origin: Origin,
        plan_json: &str,
    ) -> Result<i64, StoreError> {
        self.conn
            .prepare_cached(
                "INSERT INTO waves (trigger, advisory_id, origin, plan, created_at)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING id",
            )
            .and_then(|mut s| {
                s.query_row(
                    (trigger, advisory, origin.as_str(), plan_json, now()),
                    |r| r.get(0),
                )
            })
            .doing(|| format!("recording the wave {trigger:?}"))
    }

    /// Every wave, newest first.
    pub fn waves(&self) -> Result<Vec<Wave>, StoreError> {
        let doing = || "listing waves".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, trigger, advisory_id, origin, plan, created_at FROM waves
                 ORDER BY id DESC",
            )
            .doing(doing)?;
        let rows = stmt.query_map([], wave_row).doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }
}
