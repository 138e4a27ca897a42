-- 0002: the build queue, build records, what each build was built against,
-- and the artifacts it produced.
--
-- A build moves queued -> leased -> running -> succeeded | failed, or from
-- queued to dependency-failed when a build it waits on fails, or to
-- cancelled. A lease carries an epoch: every state change after leasing
-- names the epoch it holds, so a coordinator that lost its lease (deadline
-- passed, build re-queued) can never finish the build a second time.
CREATE TABLE builds (
    id             INTEGER PRIMARY KEY,
    recipe_id      INTEGER NOT NULL REFERENCES recipes (id),
    origin         TEXT    NOT NULL CHECK (origin IN ('arch', 'guix')),
    name           TEXT    NOT NULL,
    version        TEXT    NOT NULL,
    status         TEXT    NOT NULL CHECK (status IN ('queued', 'leased', 'running',
                       'succeeded', 'failed', 'dependency-failed', 'cancelled')),
    -- 'wave' builds (rebuild waves) go before 'normal' ones.
    lane           TEXT    NOT NULL DEFAULT 'normal' CHECK (lane IN ('wave', 'normal')),
    priority       INTEGER NOT NULL DEFAULT 0,
    wave_id        INTEGER,
    attempts       INTEGER NOT NULL DEFAULT 0,
    not_before     INTEGER NOT NULL DEFAULT 0,
    lease_epoch    INTEGER NOT NULL DEFAULT 0,
    lease_owner    TEXT,
    lease_deadline INTEGER,
    endpoint       TEXT,
    container_id   TEXT,
    queued_at      INTEGER NOT NULL,
    started_at     INTEGER,
    finished_at    INTEGER,
    exit_code      INTEGER,
    message        TEXT,
    cause_build_id INTEGER REFERENCES builds (id),
    log_path       TEXT,
    log_size       INTEGER
);
CREATE INDEX builds_status ON builds (status, lane, priority);
CREATE INDEX builds_recipe ON builds (recipe_id, status);
CREATE INDEX builds_finished ON builds (finished_at);

-- A build waits for the builds of its dependencies that are recipes here.
CREATE TABLE build_waits (
    build_id INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    waits_on INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    PRIMARY KEY (build_id, waits_on)
);
CREATE INDEX build_waits_on ON build_waits (waits_on);

-- The dependency versions (and their artifacts) a build was built against.
CREATE TABLE build_inputs (
    build_id        INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    name            TEXT    NOT NULL,
    version         TEXT    NOT NULL,
    input_build_id  INTEGER REFERENCES builds (id),
    artifact_sha256 TEXT,
    PRIMARY KEY (build_id, name, version)
);
CREATE INDEX build_inputs_name ON build_inputs (name, version);

-- Package files a build produced, stored content-addressed by sha256.
CREATE TABLE artifacts (
    id       INTEGER PRIMARY KEY,
    build_id INTEGER NOT NULL REFERENCES builds (id) ON DELETE CASCADE,
    name     TEXT    NOT NULL,
    sha256   TEXT    NOT NULL,
    size     INTEGER NOT NULL,
    UNIQUE (build_id, name)
);
CREATE INDEX artifacts_sha256 ON artifacts (sha256);

-- The paths inside each artifact.
CREATE TABLE artifact_files (
    artifact_id INTEGER NOT NULL REFERENCES artifacts (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL
);
CREATE INDEX artifact_files_artifact ON artifact_files (artifact_id);
