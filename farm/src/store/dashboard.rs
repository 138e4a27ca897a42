//! What the dashboard asks of the store beyond single builds: counts for
//! pagination, builds per hour and queue depth over time, build-duration
//! histograms for `/metrics`, wave graphs, and full-text search over
//! finished build logs (table `log_lines`, migration 0004).

use rusqlite::OptionalExtension;

use super::builds::{BuildFilter, BuildId, BuildStatus};
use super::error::{Doing, StoreError};
use super::search::fts_query;
use super::{now, Store, Wave};
use kiln_normalizer::Origin;

/// Lines of one log indexed at most (bounded work: the rest of a huge log
/// is still readable, only not searchable across builds).
pub const MAX_INDEXED_LINES: usize = 200_000;

/// Longest line indexed, in bytes (the rest is cut).
const MAX_INDEXED_LINE_LEN: usize = 1_000;

/// One time bucket of the overview charts.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ActivityBucket {
    /// Start of the bucket (Unix seconds).
    pub start: i64,
    /// Builds that finished in it and succeeded.
    pub succeeded: u64,
    /// Builds that finished in it otherwise (failed, dependency-failed,
    /// cancelled).
    pub failed: u64,
    /// Builds waiting (queued or leased, not started) at the bucket's end.
    pub queue_depth: u64,
}

/// Durations of finished builds that ran, as a cumulative histogram.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct DurationHistogram {
    /// `(upper bound in seconds, builds at most that long)`, cumulative.
    pub buckets: Vec<(i64, u64)>,
    /// Builds counted.
    pub count: u64,
    /// Sum of their durations, in seconds.
    pub sum: i64,
}

/// A log line found by [`Store::search_logs`].
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct LogHit {
    /// The build.
    pub build: BuildId,
    /// Its recipe name.
    pub name: String,
    /// The line number (1-based).
    pub line_no: u64,
    /// The line.
    pub text: String,
}

impl Store {
    /// How many builds match `filter` (its limit and offset ignored).
    pub fn count_builds(&self, filter: &BuildFilter) -> Result<u64, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT count(*) FROM builds
                 WHERE (?1 IS NULL OR status = ?1) AND (?2 IS NULL OR origin = ?2)
                   AND (?3 IS NULL OR name = ?3) AND (?4 IS NULL OR wave_id = ?4)
                   AND (?5 IS NULL OR queued_at >= ?5)",
            )
            .and_then(|mut s| {
                s.query_row(
                    (
                        filter.status.map(BuildStatus::as_str),
                        filter.origin.map(Origin::as_str),
                        filter.name.as_deref(),
                        filter.wave,
                        filter.since,
                    ),
                    |r| r.get::<_, i64>(0),
                )
            })
            .doing(|| "counting builds".to_owned())
            .map(|n| u64::try_from(n).unwrap_or(0))
    }

    /// `buckets` buckets of `bucket_secs` ending now: builds finished in
    /// each, and the queue depth at each bucket's end.
    pub fn build_activity(
        &self,
        bucket_secs: i64,
        buckets: usize,
    ) -> Result<Vec<ActivityBucket>, StoreError> {
        let doing = || "reading build activity".to_owned();
        let end = now();
        let n = i64::try_from(buckets).unwrap_or(0);
        let start = end - bucket_secs * n;
        let mut out: Vec<ActivityBucket> = (0..n)
            .map(|i| ActivityBucket {
                start: start + i * bucket_secs,
                succeeded: 0,
                failed: 0,
                queue_depth: 0,
            })
            .collect();
        let mut finished = self
            .conn
            .prepare_cached(
                "SELECT (finished_at - ?1) / ?2, status = 'succeeded', count(*) FROM builds
                 WHERE finished_at >= ?1 AND finished_at <= ?3 GROUP BY 1, 2",
            )
            .doing(doing)?;
        let rows = finished
            .query_map((start, bucket_secs, end), |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, bool>(1)?,
                    r.get::<_, i64>(2)?,
                ))
            })
            .doing(doing)?;
        for row in rows {
            let (i, ok, count) = row.doing(doing)?;
            // A build that finished this very second counts in the last bucket.
            let i = i.min(n - 1);
            if let Some(b) = usize::try_from(i).ok().and_then(|i| out.get_mut(i)) {
                let count = u64::try_from(count).unwrap_or(0);
                if ok {
                    b.succeeded += count;
                } else {
                    b.failed += count;
                }
            }
        }
        // Waiting at time t: queued by t, not started by t, not ended by t.
        let mut depth = self
            .conn
            .prepare_cached(
                "SELECT count(*) FROM builds WHERE queued_at <= ?1
                   AND coalesce(started_at, finished_at, 9223372036854775807) > ?1
                   AND (status IN ('queued', 'leased') OR started_at IS NOT NULL
                        OR finished_at IS NOT NULL)",
            )
            .doing(doing)?;
        for b in &mut out {
            let at = b.start + bucket_secs;
            let n: i64 = depth.query_row([at], |r| r.get(0)).doing(doing)?;
            b.queue_depth = u64::try_from(n).unwrap_or(0);
        }
        Ok(out)
    }

    /// Durations of every build that started and finished, counted into
    /// buckets with the upper bounds `bounds` (seconds, ascending).
    pub fn build_duration_histogram(
        &self,
        bounds: &[i64],
    ) -> Result<DurationHistogram, StoreError> {
        let doing = || "reading build durations".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT finished_at - started_at, count(*) FROM builds
                 WHERE started_at IS NOT NULL AND finished_at IS NOT NULL GROUP BY 1",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([], |r| Ok((r.get::<_, i64>(0)?, r.get::<_, i64>(1)?)))
            .doing(doing)?;
        let mut hist = DurationHistogram {
            buckets: bounds.iter().map(|b| (*b, 0)).collect(),
            count: 0,
            sum: 0,
        };
        for row in rows {
            let (secs, n) = row.doing(doing)?;
            let n_u = u64::try_from(n).unwrap_or(0);
            hist.count += n_u;
            hist.sum += secs * n;
            for (bound, count) in &mut hist.buckets {
                if secs <= *bound {
                    *count += n_u;
                }
            }
        }
        Ok(hist)
    }

    /// One rebuild wave.
    pub fn wave(&self, id: i64) -> Result<Option<Wave>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT id, trigger, advisory_id, origin, plan, created_at FROM waves
                 WHERE id = ?1",
            )
            .and_then(|mut s| s.query_row([id], super::advisories::wave_row).optional())
            .doing(|| format!("reading wave {id}"))
    }

    /// The waits between builds of wave `id`, as `(build, waits on)`.
    pub fn wave_edges(&self, id: i64) -> Result<Vec<(BuildId, BuildId)>, StoreError> {
        let doing = || format!("listing the waits within wave {id}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT w.build_id, w.waits_on FROM build_waits w
                 JOIN builds b ON b.id = w.build_id WHERE b.wave_id = ?1 ORDER BY 1, 2",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([id], |r| Ok((BuildId(r.get(0)?), BuildId(r.get(1)?))))
            .doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }

    /// Whether build `id`'s log is in the log search index.
    pub fn log_indexed(&self, id: BuildId) -> Result<bool, StoreError> {
        self.conn
            .prepare_cached("SELECT 1 FROM logs_indexed WHERE build_id = ?1")
            .and_then(|mut s| s.query_row([id.0], |_| Ok(())).optional())
            .doing(|| format!("checking whether the log of build {id} is indexed"))
            .map(|r| r.is_some())
    }

    /// Puts build `id`'s log lines into the search index (replacing what
    /// was there), at most [`MAX_INDEXED_LINES`]; returns the lines
    /// indexed. An I/O error from `lines` aborts and indexes nothing.
    pub fn index_log(
        &mut self,
        id: BuildId,
        lines: impl Iterator<Item = std::io::Result<String>>,
    ) -> Result<u64, StoreError> {
        let doing = || format!("indexing the log of build {id}");
        let tx = self.conn.transaction().doing(doing)?;
        tx.execute("DELETE FROM log_lines WHERE build_id = ?1", [id.0])
            .doing(doing)?;
        let mut count = 0u64;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO log_lines (text, build_id, line_no) VALUES (?1, ?2, ?3)",
                )
                .doing(doing)?;
            for (i, line) in lines.take(MAX_INDEXED_LINES).enumerate() {
                let mut line = line.map_err(|source| StoreError::Io {
                    doing: doing(),
                    source,
                })?;
                if line.trim().is_empty() {
                    continue;
                }
                if line.len() > MAX_INDEXED_LINE_LEN {
                    let mut end = MAX_INDEXED_LINE_LEN;
                    while !line.is_char_boundary(end) {
                        end -= 1;
                    }
                    line.truncate(end);
                }
                insert
                    .execute((&line, id.0, i64::try_from(i + 1).unwrap_or(i64::MAX)))
                    .doing(doing)?;
                count += 1;
            }
        }
        tx.execute(
            "INSERT OR REPLACE INTO logs_indexed (build_id, lines, indexed_at)
             VALUES (?1, ?2, ?3)",
            (id.0, i64::try_from(count).unwrap_or(i64::MAX), now()),
        )
        .doing(doing)?;
        tx.commit().doing(doing)?;
        Ok(count)
    }

    /// Finished builds with a log whose log is not indexed yet, oldest
    /// first, at most `limit`, with their recorded log paths.
    pub fn unindexed_logs(
        &self,
        limit: usize,
    ) -> Result<Vec<(BuildId, Option<String>)>, StoreError> {
        let doing = || "listing logs to index".to_owned();
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT b.id, b.log_path FROM builds b
                 WHERE b.status IN ('succeeded', 'failed') AND b.started_at IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM logs_indexed i WHERE i.build_id = b.id)
                 ORDER BY b.id LIMIT ?1",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map([i64::try_from(limit).unwrap_or(i64::MAX)], |r| {
                Ok((BuildId(r.get(0)?), r.get(1)?))
            })
            .doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }

    /// Indexed log lines matching `query` (every word, as a prefix), newest
    /// builds first, at most `limit`. A query without letters or digits
    /// finds nothing.
    pub fn search_logs(&self, query: &str, limit: usize) -> Result<Vec<LogHit>, StoreError> {
        let Some(fts) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let doing = || format!("searching build logs for {query:?}");
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT l.build_id, b.name, l.line_no, l.text FROM log_lines l
                 JOIN builds b ON b.id = l.build_id
                 WHERE log_lines MATCH ?1 ORDER BY l.build_id DESC, l.line_no LIMIT ?2",
            )
            .doing(doing)?;
        let rows = stmt
            .query_map(
                (
                    format!("text : ({fts})"),
                    i64::try_from(limit).unwrap_or(100),
                ),
                |r| {
                    Ok(LogHit {
                        build: BuildId(r.get(0)?),
                        name: r.get(1)?,
                        line_no: u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                        text: r.get(3)?,
                    })
                },
            )
            .doing(doing)?;
        rows.map(|r| r.doing(doing)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{test_recipes, BuildEnd, ImportKind, Lane, NewBuild, Provenance};

    /// A store with one recipe and `n` builds of it, the first `done`
    /// started and finished (succeeded), the rest queued.
    fn store_with_builds(n: usize, done: usize) -> (Store, Vec<BuildId>) {
        let mut store = Store::open_in_memory().unwrap();
        let run = store.begin_import_run(ImportKind::Dir, "t", None).unwrap();
        let recipe = test_recipes::single("zlib", "1.3");
        store
            .upsert_recipe(run, &recipe, &Provenance::default(), "h")
            .unwrap();
        let id = store
            .recipe_by_name(None, "zlib")
            .unwrap()
            .map(|r| r.id)
            .unwrap();
        let mut ids = Vec::new();
        for _ in 0..n {
            ids.push(
                store
                    .queue_build(&NewBuild {
                        recipe: id,
                        priority: 0,
                        lane: Lane::Normal,
                        wave: None,
                        waits_on: Vec::new(),
                    })
                    .unwrap(),
            );
        }
        for _ in 0..done {
            let (_, lease) = store.lease_next_build("t", "e", 60).unwrap().unwrap();
            store.mark_running(lease, "c", 60).unwrap();
            store
                .finish_build(
                    lease,
                    &BuildEnd {
                        succeeded: true,
                        exit_code: Some(0),
                        message: None,
                        log_path: None,
                        log_size: None,
                        inputs: Vec::new(),
                        artifacts: Vec::new(),
                    },
                )
                .unwrap();
        }
        (store, ids)
    }

    #[test]
    fn counts_follow_the_filter() {
        let (store, _) = store_with_builds(5, 2);
        let all = BuildFilter::default();
        assert_eq!(store.count_builds(&all).unwrap(), 5);
        let queued = BuildFilter {
            status: Some(BuildStatus::Queued),
            limit: 1,
            ..BuildFilter::default()
        };
        assert_eq!(store.count_builds(&queued).unwrap(), 3);
        let other = BuildFilter {
            name: Some("other".into()),
            ..BuildFilter::default()
        };
        assert_eq!(store.count_builds(&other).unwrap(), 0);
    }

    #[test]
    fn activity_and_histogram_count_finished_builds() {
        let (store, _) = store_with_builds(4, 3);
        let buckets = store.build_activity(3_600, 24).unwrap();
        assert_eq!(buckets.len(), 24);
        let finished: u64 = buckets.iter().map(|b| b.succeeded + b.failed).sum();
        assert_eq!(finished, 3);
        let hist = store.build_duration_histogram(&[10, 60]).unwrap();
        assert_eq!(hist.count, 3);
        assert_eq!(hist.buckets, vec![(10, 3), (60, 3)]);
    }

    #[test]
    fn logs_are_indexed_once_and_found_by_words() {
        let (mut store, ids) = store_with_builds(2, 2);
        assert_eq!(store.unindexed_logs(10).unwrap().len(), 2);
        let lines = ["==> Starting build()", "", "foo.c:3: error: expected ';'"]
            .into_iter()
            .map(|l| Ok(l.to_owned()));
        assert_eq!(store.index_log(ids[0], lines).unwrap(), 2);
        assert!(store.log_indexed(ids[0]).unwrap());
        assert_eq!(store.unindexed_logs(10).unwrap().len(), 1);
        let hits = store.search_logs("expected", 10).unwrap();
        assert_eq!(hits.len(), 1);
        assert_eq!((hits[0].build, hits[0].line_no), (ids[0], 3));
        assert!(store.search_logs("\"*()", 10).unwrap().is_empty());
        let broken = std::iter::once(Err(std::io::Error::other("disk gone")));
        assert!(matches!(
            store.index_log(ids[1], broken),
            Err(StoreError::Io { .. })
        ));
        assert!(!store.log_indexed(ids[1]).unwrap());
    }
}
