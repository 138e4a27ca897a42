-- 0004: full-text search over finished build logs, and the index that
-- makes the dashboard's time charts cheap.
--
-- Each log line is a row of `log_lines` (FTS5), with its build and line
-- number kept unindexed. `logs_indexed` records which builds' logs are in
-- it, so indexing is done once per finished build (when it finishes, or
-- lazily when someone searches).
CREATE VIRTUAL TABLE log_lines USING fts5 (
    text,
    build_id UNINDEXED,
    line_no  UNINDEXED,
    tokenize = 'unicode61'
);

CREATE TABLE logs_indexed (
    build_id   INTEGER PRIMARY KEY REFERENCES builds (id) ON DELETE CASCADE,
    lines      INTEGER NOT NULL,
    indexed_at INTEGER NOT NULL
);

CREATE INDEX builds_queued ON builds (queued_at);
