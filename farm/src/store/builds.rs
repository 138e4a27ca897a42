//! The build queue and build records: queueing with the builds a build
//! waits for, reading builds back, and what each build was built against
//! and produced. Leases and state changes are in [`super::leases`].

use std::fmt;

use kiln_normalizer::Origin;
use rusqlite::{OptionalExtension, Row, Transaction};

use super::error::{Doing, StoreError};
use super::{now, origin_from_column, RecipeId, Store};

/// The id of a build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub struct BuildId(pub i64);

impl fmt::Display for BuildId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Where a build is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BuildStatus {
    /// Waiting for a slot (and for the builds it waits on).
    Queued,
    /// Taken by a coordinator for an executor slot; not started yet.
    Leased,
    /// Its container runs.
    Running,
    /// makepkg succeeded and the artifacts are stored.
    Succeeded,
    /// The build itself failed (or ran out of time, or fell silent).
    Failed,
    /// A build it waited on failed; `cause` names it.
    DependencyFailed,
    /// Cancelled before it ran.
    Cancelled,
}

impl BuildStatus {
    /// Every status.
    pub const ALL: [BuildStatus; 7] = [
        Self::Queued,
        Self::Leased,
        Self::Running,
        Self::Succeeded,
        Self::Failed,
        Self::DependencyFailed,
        Self::Cancelled,
    ];

    /// The status as stored.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Queued => "queued",
            Self::Leased => "leased",
            Self::Running => "running",
            Self::Succeeded => "succeeded",
            Self::Failed => "failed",
            Self::DependencyFailed => "dependency-failed",
            Self::Cancelled => "cancelled",
        }
    }

    /// Reads a status by its name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.as_str() == name)
    }

    /// Whether the build is over.
    pub fn is_final(self) -> bool {
        !matches!(self, Self::Queued | Self::Leased | Self::Running)
    }
}

impl fmt::Display for BuildStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which queue a build waits in: rebuild waves go first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Lane {
    /// Builds asked for by hand or by imports.
    Normal,
    /// Builds of a rebuild wave.
    Wave,
}

impl Lane {
    fn as_str(self) -> &'static str {
        match self {
            Lane::Normal => "normal",
            Lane::Wave => "wave",
        }
    }
}

/// A build to queue.
#[derive(Debug, Clone)]
pub struct NewBuild {
    /// The recipe to build (its current version).
    pub recipe: RecipeId,
    /// Higher goes first within a lane.
    pub priority: i64,
    /// The lane.
    pub lane: Lane,
    /// The rebuild wave it belongs to.
    pub wave: Option<i64>,
    /// Builds that must succeed first.
    pub waits_on: Vec<BuildId>,
}

/// A build as recorded.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Build {
    /// Id.
    pub id: BuildId,
    /// The recipe built.
    pub recipe: i64,
    /// Its origin.
    pub origin: Origin,
    /// Its name.
    pub name: String,
    /// Its version when queued.
    pub version: String,
    /// Status.
    pub status: BuildStatus,
    /// Priority within the lane.
    pub priority: i64,
    /// The rebuild wave, if any.
    pub wave: Option<i64>,
    /// Attempts started (infrastructure failures retry).
    pub attempts: i64,
    /// The current lease epoch.
    pub lease_epoch: i64,
    /// Until when the lease holds (Unix seconds).
    pub lease_deadline: Option<i64>,
    /// The engine endpoint it runs or ran on.
    pub endpoint: Option<String>,
    /// Its container.
    pub container_id: Option<String>,
    /// When queued, started, finished (Unix seconds).
    pub queued_at: i64,
    /// When its container started.
    pub started_at: Option<i64>,
    /// When it ended.
    pub finished_at: Option<i64>,
    /// makepkg's exit code.
    pub exit_code: Option<i64>,
    /// Why it ended as it did.
    pub message: Option<String>,
    /// For dependency-failed: the build that failed.
    pub cause: Option<BuildId>,
    /// The stored log file.
    pub log_path: Option<String>,
    /// Its size in bytes.
    pub log_size: Option<i64>,
}

/// A lease on a build: who may change it, and until when.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lease {
    /// The build.
    pub build: BuildId,
    /// The epoch this lease holds.
    pub epoch: i64,
}

/// A dependency version a build was built against.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct BuildInput {
    /// The dependency's recipe name.
    pub name: String,
    /// Its version.
    pub version: String,
    /// The build whose artifacts were installed, if one.
    pub build: Option<BuildId>,
    /// The artifact installed.
    pub artifact_sha256: Option<String>,
}

/// An artifact a build produced.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ArtifactRecord {
    /// File name (`app-1.0-1-x86_64.pkg.tar.zst`).
    pub name: String,
    /// Content hash: its key in the artifact store.
    pub sha256: String,
    /// Size in bytes.
    pub size: u64,
    /// Paths inside the package.
    pub files: Vec<String>,
}

/// How a leased build ended.
#[derive(Debug, Clone)]
pub struct BuildEnd {
    /// Whether makepkg succeeded.
    pub succeeded: bool,
    /// Its exit code, when it exited.
    pub exit_code: Option<i64>,
    /// Why (timeout, silence, the first error line ...).
    pub message: Option<String>,
    /// The stored log.
    pub log_path: Option<String>,
    /// Its size.
    pub log_size: Option<i64>,
    /// What it was built against.
    pub inputs: Vec<BuildInput>,
    /// What it produced.
    pub artifacts: Vec<ArtifactRecord>,
}

pub(super) const BUILD_COLUMNS: &str =
    "id, recipe_id, origin, name, version, status, priority, wave_id,
     attempts, lease_epoch, lease_deadline, endpoint, container_id, queued_at, started_at,
     finished_at, exit_code, message, cause_build_id, log_path, log_size";

pub(super) fn build_row(row: &Row<'_>) -> rusqlite::Result<(Build, String, String)> {
    let origin: String = row.get(2)?;
    let status: String = row.get(5)?;
    Ok((
        Build {
            id: BuildId(row.get(0)?),
            recipe: row.get(1)?,
            origin: Origin::Arch,
            name: row.get(3)?,
            version: row.get(4)?,
            status: BuildStatus::Queued,
            priority: row.get(6)?,
            wave: row.get(7)?,
            attempts: row.get(8)?,
            lease_epoch: row.get(9)?,
            lease_deadline: row.get(10)?,
            endpoint: row.get(11)?,
            container_id: row.get(12)?,
            queued_at: row.get(13)?,
            started_at: row.get(14)?,
            finished_at: row.get(15)?,
            exit_code: row.get(16)?,
            message: row.get(17)?,
            cause: row.get::<_, Option<i64>>(18)?.map(BuildId),
            log_path: row.get(19)?,
            log_size: row.get(20)?,
        },
        origin,
        status,
    ))
}

pub(super) fn finish_row(
    (mut build, origin, status): (Build, String, String),
    doing: impl Fn() -> String,
) -> Result<Build, StoreError> {
    build.origin = origin_from_column(&origin, &doing)?;
    build.status = BuildStatus::from_name(&status).ok_or_else(|| StoreError::Corrupt {
        doing: doing(),
        what: "build status",
        value: status,
    })?;
    Ok(build)
}

/// What [`Store::builds`] lists.
#[derive(Debug, Clone, Default)]
pub struct BuildFilter {
    /// Only this status.
    pub status: Option<BuildStatus>,
    /// Only this origin.
    pub origin: Option<Origin>,
    /// Only this recipe name.
    pub name: Option<String>,
    /// Only builds of this wave.
    pub wave: Option<i64>,
    /// Only builds queued at or after (Unix seconds).
    pub since: Option<i64>,
    /// At most this many (0: no limit).
    pub limit: usize,
    /// Skip this many.
    pub offset: usize,
}

impl Store {
    /// Queues a build of a recipe's current version, waiting on `waits_on`.
    pub fn queue_build(&mut self, new: &NewBuild) -> Result<BuildId, StoreError> {
        let doing = || format!("queueing a build of recipe {}", new.recipe);
        let tx = self.conn.transaction().doing(doing)?;
        let id = insert_build(&tx, new, now()).map_err(|e| match e {
            rusqlite::Error::QueryReturnedNoRows => StoreError::NoSuchRecipe {
                doing: doing(),
                origin: String::new(),
                name: format!("#{}", new.recipe),
            },
            other => StoreError::Sql {
                doing: doing(),
                source: other,
            },
        })?;
        tx.commit().doing(doing)?;
        Ok(id)
    }

    /// The build of recipe `recipe` that is queued, leased or running.
    pub fn active_build_of(&self, recipe: RecipeId) -> Result<Option<BuildId>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id FROM builds WHERE recipe_id = ?1
                 AND status IN ('queued', 'leased', 'running') ORDER BY id DESC LIMIT 1",
            )
            .and_then(|mut s| s.query_row([recipe.0], |r| r.get(0)).optional())
            .doing(|| format!("finding an active build of recipe {recipe}"))
            .map(|id| id.map(BuildId))
    }

    /// The latest successful build of recipe `recipe` at `version`, or of
    /// any version when `version` is `None`.
    pub fn last_successful_build(
        &self,
        recipe: RecipeId,
        version: Option<&str>,
    ) -> Result<Option<Build>, StoreError> {
        let doing = || format!("finding the last successful build of recipe {recipe}");
        let row = self
            .conn
            .prepare_cached(&format!(
                "SELECT {BUILD_COLUMNS} FROM builds WHERE recipe_id = ?1 AND status = 'succeeded'
                 AND (?2 IS NULL OR version = ?2) ORDER BY finished_at DESC, id DESC LIMIT 1"
            ))
            .and_then(|mut s| s.query_row((recipe.0, version), build_row).optional())
            .doing(doing)?;
        row.map(|r| finish_row(r, doing)).transpose()
    }

    /// One build.
    pub fn build(&self, id: BuildId) -> Result<Option<Build>, StoreError> {
        let doing = || format!("reading build {id}");
        let row = self
            .conn
            .prepare_cached(&format!("SELECT {BUILD_COLUMNS} FROM builds WHERE id = ?1"))
            .and_then(|mut s| s.query_row([id.0], build_row).optional())
            .doing(doing)?;
        row.map(|r| finish_row(r, doing)).transpose()
    }

    /// Builds matching `filter`, newest first.
    pub fn builds(&self, filter: &BuildFilter) -> Result<Vec<Build>, StoreError> {
        let doing = || "listing builds".to_owned();
        let limit = if filter.limit == 0 {
            -1
        } else {
            i64::try_from(filter.limit).unwrap_or(i64::MAX)
        };
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {BUILD_COLUMNS} FROM builds
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR origin = ?2)
                   AND (?3 IS NULL OR name = ?3) AND (?4 IS NULL OR wave_id = ?4)
                   AND (?5 IS NULL OR queued_at >= ?5)
                 ORDER BY id DESC LIMIT ?6 OFFSET ?7"
            ))
            .doing(doing)?;
        let rows = stmt
            .query_map(
                (
                    filter.status.map(BuildStatus::as_str),
                    filter.origin.map(Origin::as_str),
                    filter.name.as_deref(),
                    filter.wave,
                    filter.since,
                    limit,
                    i64::try_from(filter.offset).unwrap_or(0),
                ),
                build_row,
            )
            .doing(doing)?;
        rows.map(|r| r.doing(doing).and_then(|r| finish_row(r, doing)))
            .collect()
    }

    /// How many builds have each status.
    pub fn build_counts(&self) -> Result<Vec<(BuildStatus, u64)>, StoreError> {
        let doing = || "counting builds by status".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT status, count(*) FROM builds GROUP BY status")
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))
            .doing(doing)?;
        let mut out = Vec::new();
        for row in rows {
            let (status, n) = row.doing(doing)?;
            if let Some(s) = BuildStatus::from_name(&status) {
                out.push((s, u64::try_from(n).unwrap_or(0)));
            }
        }
        Ok(out)
    }

    /// The builds `id` waits on.
    pub fn build_waits(&self, id: BuildId) -> Result<Vec<BuildId>, StoreError> {
        let doing = || format!("listing what build {id} waits on");
        let mut stmt = self
            .conn
            .prepare_cached("SELECT waits_on FROM build_waits WHERE build_id = ?1 ORDER BY 1")
            .doing(doing)?;
        let rows = stmt.query_map([id.0], |r| r.get(0)).doing(doing)?;
        rows.map(|r| r.map(BuildId).doing(doing)).collect()
    }

    /// What build `id` was built against.
    pub fn build_inputs(&self, id: BuildId) -> Result<Vec<BuildInput>, StoreError> {
        let doing = || format!("listing the inputs of build {id}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, version, input_build_id, artifact_sha256 FROM build_inputs
                 WHERE build_id = ?1 ORDER BY name",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([id.0], |r| {
                Ok(BuildInput {
                    name: r.get(0)?,
                    version: r.get(1)?,
                    build: r.get::<_, Option<i64>>(2)?.map(BuildId),
                    artifact_sha256: r.get(3)?,
                })
            })
            .doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }

    /// The artifacts build `id` produced, with their file lists.
    pub fn artifacts_of(&self, id: BuildId) -> Result<Vec<ArtifactRecord>, StoreError> {
        let doing = || format!("listing the artifacts of build {id}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT id, name, sha256, size FROM artifacts WHERE build_id = ?1 ORDER BY name",
            )
            .doing(doing)?;
        let rows: Vec<(i64, String, String, i64)> = stmt
            .query_map([id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
            .doing(doing)?
            .collect::<Result<_, _>>()
            .doing(doing)?;
        let mut files = self
            .conn
            .prepare_cached("SELECT path FROM artifact_files WHERE artifact_id = ?1 ORDER BY rowid")
            .doing(doing)?;
        let mut out = Vec::new();
        for (aid, name, sha256, size) in rows {
            let paths = files
                .query_map([aid], |r| r.get(0))
                .doing(doing)?
                .collect::<Result<Vec<String>, _>>()
                .doing(doing)?;
            out.push(ArtifactRecord {
                name,
                sha256,
                size: u64::try_from(size).unwrap_or(0),
                files: paths,
            });
        }
        Ok(out)
    }

    /// Durations (seconds) of past successful builds by recipe name, the
    /// latest of each: what the rebuild planner estimates with.
    pub fn build_durations(&self) -> Result<Vec<(String, i64)>, StoreError> {
        let doing = || "reading past build durations".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT name, finished_at - started_at FROM builds b
                 WHERE status = 'succeeded' AND started_at IS NOT NULL AND id = (
                     SELECT max(id) FROM builds WHERE name = b.name AND status = 'succeeded')",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }
}

fn insert_build(tx: &Transaction<'_>, new: &NewBuild, t: i64) -> rusqlite::Result<BuildId> {
    let id: i64 = tx
        .prepare_cached(
            "INSERT INTO builds (recipe_id, origin, name, version, status, lane, priority,
                                 wave_id, queued_at)
             SELECT id, origin, name, version, 'queued', ?2, ?3, ?4, ?5 FROM recipes
             WHERE id = ?1 AND removed_at IS NULL
             RETURNING id",
        )?
        .query_row(
            (new.recipe.0, new.lane.as_str(), new.priority, new.wave, t),
            |r| r.get(0),
        )?;
    let mut wait = tx
        .prepare_cached("INSERT OR IGNORE INTO build_waits (build_id, waits_on) VALUES (?1, ?2)")?;
    for w in &new.waits_on {
        wait.execute((id, w.0))?;
    }
    Ok(BuildId(id))
}
