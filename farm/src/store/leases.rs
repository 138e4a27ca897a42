//! Leases on builds and the state changes under them: leasing the next
//! runnable build with an epoch and a deadline, marking it running,
//! renewing, finishing with its inputs and artifacts, giving it back for a
//! retry with backoff, taking over after a restart, cancelling, and the
//! dependency-failed cascade. Every change after leasing names the epoch it
//! holds, so a coordinator that lost its lease can never finish a build.

use rusqlite::{OptionalExtension, Transaction};

use super::builds::{build_row, finish_row, BUILD_COLUMNS};
use super::error::{Doing, StoreError};
use super::{now, Build, BuildEnd, BuildId, BuildStatus, Lease, Store};

fn lease_lost(doing: String, lease: Lease) -> StoreError {
    StoreError::LeaseLost {
        doing,
        build: lease.build.0,
        epoch: lease.epoch,
    }
}

impl Store {
    /// Leases the next build that may run: queued, its backoff over, every
    /// build it waits on succeeded; wave lane first, then priority, then
    /// age. The lease lasts `lease_secs`.
    pub fn lease_next_build(
        &mut self,
        owner: &str,
        endpoint: &str,
        lease_secs: i64,
    ) -> Result<Option<(Build, Lease)>, StoreError> {
        let doing = || format!("leasing the next build for {owner} on {endpoint}");
        let t = now();
        let tx = self.conn.transaction().doing(doing)?;
        let id: Option<i64> = tx
            .prepare_cached(
                "SELECT b.id FROM builds b WHERE b.status = 'queued' AND b.not_before <= ?1
                   AND NOT EXISTS (SELECT 1 FROM build_waits w JOIN builds d ON d.id = w.waits_on
                                   WHERE w.build_id = b.id AND d.status <> 'succeeded')
                 ORDER BY (b.lane = 'wave') DESC, b.priority DESC, b.id LIMIT 1",
            )
            .and_then(|mut s| s.query_row([t], |r| r.get(0)).optional())
            .doing(doing)?;
        let Some(id) = id else {
            return Ok(None);
        };
        tx.prepare_cached(
            "UPDATE builds SET status = 'leased', lease_epoch = lease_epoch + 1,
                 lease_owner = ?2, lease_deadline = ?3, endpoint = ?4, attempts = attempts + 1
             WHERE id = ?1",
        )
        .and_then(|mut s| s.execute((id, owner, t + lease_secs, endpoint)))
        .doing(doing)?;
        tx.commit().doing(doing)?;
        let build = self
            .build(BuildId(id))?
            .ok_or_else(|| StoreError::Corrupt {
                doing: doing(),
                what: "vanished build",
                value: id.to_string(),
            })?;
        let lease = Lease {
            build: build.id,
            epoch: build.lease_epoch,
        };
        Ok(Some((build, lease)))
    }

    /// Runs `sql` (which must check `id = ?1 AND lease_epoch = ?2` and the
    /// status) with `params` after the lease; `LeaseLost` when it matched
    /// nothing.
    fn under_lease(
        tx: &Transaction<'_>,
        lease: Lease,
        doing: impl Fn() -> String,
        sql: &str,
        params: impl rusqlite::Params,
    ) -> Result<(), StoreError> {
        let changed = tx
            .prepare_cached(sql)
            .and_then(|mut s| s.execute(params))
            .doing(&doing)?;
        if changed == 0 {
            return Err(lease_lost(doing(), lease));
        }
        Ok(())
    }

    /// Records that the leased build's container started.
    pub fn mark_running(
        &mut self,
        lease: Lease,
        container_id: &str,
        lease_secs: i64,
    ) -> Result<(), StoreError> {
        let doing = || format!("marking build {} running", lease.build);
        let tx = self.conn.transaction().doing(doing)?;
        let t = now();
        Self::under_lease(
            &tx,
            lease,
            doing,
            "UPDATE builds SET status = 'running', container_id = ?3, started_at = ?4,
                 lease_deadline = ?5
             WHERE id = ?1 AND lease_epoch = ?2 AND status IN ('leased', 'running')",
            (lease.build.0, lease.epoch, container_id, t, t + lease_secs),
        )?;
        tx.commit().doing(doing)
    }

    /// Extends a lease (a heartbeat while the build runs).
    pub fn renew_lease(&mut self, lease: Lease, lease_secs: i64) -> Result<(), StoreError> {
        let doing = || format!("renewing the lease of build {}", lease.build);
        let tx = self.conn.transaction().doing(doing)?;
        Self::under_lease(
            &tx,
            lease,
            doing,
            "UPDATE builds SET lease_deadline = ?3
             WHERE id = ?1 AND lease_epoch = ?2 AND status IN ('leased', 'running')",
            (lease.build.0, lease.epoch, now() + lease_secs),
        )?;
        tx.commit().doing(doing)
    }

    /// Records how a leased build ended, with its inputs and artifacts, in
    /// one transaction. A failed build marks every queued build waiting on
    /// it, directly or not, dependency-failed with it as the cause.
    pub fn finish_build(&mut self, lease: Lease, end: &BuildEnd) -> Result<(), StoreError> {
        let doing = || format!("finishing build {}", lease.build);
        let tx = self.conn.transaction().doing(doing)?;
        let status = if end.succeeded {
            BuildStatus::Succeeded
        } else {
            BuildStatus::Failed
        };
        Self::under_lease(
            &tx,
            lease,
            doing,
            "UPDATE builds SET status = ?3, finished_at = ?4, exit_code = ?5, message = ?6,
                 log_path = ?7, log_size = ?8, lease_deadline = NULL
             WHERE id = ?1 AND lease_epoch = ?2 AND status IN ('leased', 'running')",
            (
                lease.build.0,
                lease.epoch,
                status.as_str(),
                now(),
                end.exit_code,
                end.message.as_deref(),
                end.log_path.as_deref(),
                end.log_size,
            ),
        )?;
        for input in &end.inputs {
            tx.prepare_cached(
                "INSERT OR REPLACE INTO build_inputs
                     (build_id, name, version, input_build_id, artifact_sha256)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )
            .and_then(|mut s| {
                s.execute((
                    lease.build.0,
                    &input.name,
                    &input.version,
                    input.build.map(|b| b.0),
                    input.artifact_sha256.as_deref(),
                ))
            })
            .doing(doing)?;
        }
        for a in &end.artifacts {
            let artifact: i64 = tx
                .prepare_cached(
                    "INSERT INTO artifacts (build_id, name, sha256, size) VALUES (?1, ?2, ?3, ?4)
                     RETURNING id",
                )
                .and_then(|mut s| {
                    s.query_row(
                        (
                            lease.build.0,
                            &a.name,
                            &a.sha256,
                            i64::try_from(a.size).unwrap_or(i64::MAX),
                        ),
                        |r| r.get(0),
                    )
                })
                .doing(doing)?;
            let mut insert = tx
                .prepare_cached("INSERT INTO artifact_files (artifact_id, path) VALUES (?1, ?2)")
                .doing(doing)?;
            for path in &a.files {
                insert.execute((artifact, path)).doing(doing)?;
            }
        }
        if !end.succeeded {
            cascade_dependency_failed(&tx, lease.build).doing(doing)?;
        }
        tx.commit().doing(doing)
    }

    /// Gives a leased build back after an infrastructure failure (engine
    /// unreachable, container vanished): queued again after `backoff_secs`,
    /// or failed when it has had `max_attempts`.
    pub fn retry_build(
        &mut self,
        lease: Lease,
        message: &str,
        backoff_secs: i64,
        max_attempts: i64,
    ) -> Result<BuildStatus, StoreError> {
        let doing = || format!("giving build {} back for a retry", lease.build);
        let tx = self.conn.transaction().doing(doing)?;
        let attempts: Option<i64> = tx
            .prepare_cached(
                "SELECT attempts FROM builds WHERE id = ?1 AND lease_epoch = ?2
                   AND status IN ('leased', 'running')",
            )
            .and_then(|mut s| {
                s.query_row((lease.build.0, lease.epoch), |r| r.get(0))
                    .optional()
            })
            .doing(doing)?;
        let Some(attempts) = attempts else {
            return Err(lease_lost(doing(), lease));
        };
        let status = if attempts >= max_attempts {
            Self::under_lease(
                &tx,
                lease,
                doing,
                "UPDATE builds SET status = 'failed', finished_at = ?3, message = ?4,
                     lease_deadline = NULL WHERE id = ?1 AND lease_epoch = ?2",
                (
                    lease.build.0,
                    lease.epoch,
                    now(),
                    format!("gave up after {attempts} attempts: {message}"),
                ),
            )?;
            cascade_dependency_failed(&tx, lease.build).doing(doing)?;
            BuildStatus::Failed
        } else {
            Self::under_lease(
                &tx,
                lease,
                doing,
                "UPDATE builds SET status = 'queued', not_before = ?3, message = ?4,
                     lease_deadline = NULL, lease_owner = NULL, container_id = NULL,
                     lease_epoch = lease_epoch + 1
                 WHERE id = ?1 AND lease_epoch = ?2",
                (lease.build.0, lease.epoch, now() + backoff_secs, message),
            )?;
            BuildStatus::Queued
        };
        tx.commit().doing(doing)?;
        Ok(status)
    }

    /// Builds leased or running whose lease deadline has passed (their
    /// coordinator stopped): the caller re-attaches to their containers or
    /// gives them back with [`Store::retry_build`].
    pub fn expired_leases(&self, at: i64) -> Result<Vec<(Build, Lease)>, StoreError> {
        let doing = || "listing expired build leases".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(&format!(
                "SELECT {BUILD_COLUMNS} FROM builds
                 WHERE status IN ('leased', 'running') AND lease_deadline < ?1 ORDER BY id"
            ))
            .doing(doing)?;
        let rows = stmt.query_map([at], build_row).doing(doing)?;
        rows.map(|r| {
            let b = finish_row(r.doing(doing)?, doing)?;
            let lease = Lease {
                build: b.id,
                epoch: b.lease_epoch,
            };
            Ok((b, lease))
        })
        .collect()
    }

    /// Builds leased or running, with their leases (after a restart, every
    /// one of them belongs to the coordinator that stopped).
    pub fn unfinished_builds(&self) -> Result<Vec<(Build, Lease)>, StoreError> {
        self.expired_leases(i64::MAX)
    }

    /// Takes over an unfinished build's lease (a new epoch) for `owner`,
    /// so the coordinator that held it can no longer change it.
    pub fn take_over(
        &mut self,
        lease: Lease,
        owner: &str,
        lease_secs: i64,
    ) -> Result<Lease, StoreError> {
        let doing = || format!("taking over build {}", lease.build);
        let tx = self.conn.transaction().doing(doing)?;
        Self::under_lease(
            &tx,
            lease,
            doing,
            "UPDATE builds SET lease_epoch = lease_epoch + 1, lease_owner = ?3,
                 lease_deadline = ?4
             WHERE id = ?1 AND lease_epoch = ?2 AND status IN ('leased', 'running')",
            (lease.build.0, lease.epoch, owner, now() + lease_secs),
        )?;
        tx.commit().doing(doing)?;
        Ok(Lease {
            build: lease.build,
            epoch: lease.epoch + 1,
        })
    }

    /// Cancels a queued build (and marks what waits on it dependency-failed).
    pub fn cancel_build(&mut self, id: BuildId) -> Result<bool, StoreError> {
        let doing = || format!("cancelling build {id}");
        let tx = self.conn.transaction().doing(doing)?;
        let changed = tx
            .prepare_cached(
                "UPDATE builds SET status = 'cancelled', finished_at = ?2
                 WHERE id = ?1 AND status = 'queued'",
            )
            .and_then(|mut s| s.execute((id.0, now())))
            .doing(doing)?;
        if changed > 0 {
            cascade_dependency_failed(&tx, id).doing(doing)?;
        }
        tx.commit().doing(doing)?;
        Ok(changed > 0)
    }
}

/// Marks every queued build waiting on `failed`, directly or through other
/// queued builds, dependency-failed with `failed` as the cause.
fn cascade_dependency_failed(tx: &Transaction<'_>, failed: BuildId) -> rusqlite::Result<usize> {
    tx.prepare_cached(
        "WITH RECURSIVE dependents(id) AS (
             SELECT build_id FROM build_waits WHERE waits_on = ?1
             UNION
             SELECT w.build_id FROM build_waits w JOIN dependents d ON w.waits_on = d.id
         )
         UPDATE builds SET status = 'dependency-failed', cause_build_id = ?1, finished_at = ?2,
             message = 'a build it waits on failed'
         WHERE id IN (SELECT id FROM dependents) AND status = 'queued'",
    )?
    .execute((failed.0, now()))
}
