-- 0001: recipes and everything an import records about them.
--
-- Append-only: a released migration is never edited; later changes are new
-- numbered files. Times are Unix seconds (UTC). Identifiers are INTEGER
-- PRIMARY KEYs so later tables (builds, artifacts, advisories, waves) can
-- point at recipes and import runs with foreign keys.

-- One run of an importer over one location (an AUR mirror, a directory of
-- PKGBUILDs, a Guix channel). The counts are kept up to date in the same
-- transactions that record the changes they count.
CREATE TABLE import_runs (
    id          INTEGER PRIMARY KEY,
    kind        TEXT    NOT NULL CHECK (kind IN ('aur-mirror', 'aur', 'dir', 'guix')),
    location    TEXT    NOT NULL,
    git_ref     TEXT,
    started_at  INTEGER NOT NULL,
    finished_at INTEGER,
    added       INTEGER NOT NULL DEFAULT 0,
    updated     INTEGER NOT NULL DEFAULT 0,
    unchanged   INTEGER NOT NULL DEFAULT 0,
    removed     INTEGER NOT NULL DEFAULT 0,
    failed      INTEGER NOT NULL DEFAULT 0
);

-- The current recipe per origin and name. A recipe that disappears from its
-- source is kept with `removed_at` set (builds will point at it), and its
-- derived index rows are dropped so look-ups no longer see it.
CREATE TABLE recipes (
    id            INTEGER PRIMARY KEY,
    origin        TEXT    NOT NULL CHECK (origin IN ('arch', 'guix')),
    name          TEXT    NOT NULL,
    version       TEXT    NOT NULL,
    epoch         TEXT,
    pkgver        TEXT,
    pkgrel        TEXT,
    description   TEXT,
    url           TEXT,
    build_system  TEXT,
    recipe_json   TEXT    NOT NULL,
    content_hash  TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    removed_at    INTEGER,
    last_run_id   INTEGER REFERENCES import_runs (id),
    UNIQUE (origin, name)
);
CREATE INDEX recipes_last_run ON recipes (last_run_id);

-- The packages a recipe builds: a PKGBUILD's pkgname entries, a Guix
-- package's outputs.
CREATE TABLE packages (
    id          INTEGER PRIMARY KEY,
    recipe_id   INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    description TEXT,
    UNIQUE (recipe_id, name)
);
CREATE INDEX packages_name ON packages (name);

-- depends, makedepends, checkdepends, optdepends. Build and check
-- dependencies belong to the recipe (package_id NULL), as makepkg reads them
-- from the pkgbase; runtime and optional ones to each package.
CREATE TABLE dependencies (
    id          INTEGER PRIMARY KEY,
    recipe_id   INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    package_id  INTEGER REFERENCES packages (id) ON DELETE CASCADE,
    kind        TEXT    NOT NULL CHECK (kind IN ('runtime', 'build', 'check', 'optional')),
    name        TEXT    NOT NULL,
    op          TEXT    CHECK (op IN ('<', '<=', '=', '>=', '>')),
    version     TEXT,
    arch        TEXT,
    reason      TEXT,
    text        TEXT    NOT NULL
);
CREATE INDEX dependencies_name ON dependencies (name);
CREATE INDEX dependencies_recipe ON dependencies (recipe_id);

-- What each package provides besides its own name (`provides`), with the
-- version of a `name=version` entry.
CREATE TABLE provides (
    id          INTEGER PRIMARY KEY,
    recipe_id   INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    package_id  INTEGER NOT NULL REFERENCES packages (id) ON DELETE CASCADE,
    name        TEXT    NOT NULL,
    version     TEXT,
    arch        TEXT,
    text        TEXT    NOT NULL
);
CREATE INDEX provides_name ON provides (name);
CREATE INDEX provides_recipe ON provides (recipe_id);

-- One row per source and checksum kind (one row with no checksum when the
-- source has none). `digest` is NULL for SKIP.
CREATE TABLE sources (
    id            INTEGER PRIMARY KEY,
    recipe_id     INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    position      INTEGER NOT NULL,
    arch          TEXT,
    text          TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    file_name     TEXT    NOT NULL,
    checksum_kind TEXT,
    digest        TEXT
);
CREATE INDEX sources_digest ON sources (digest, checksum_kind);
CREATE INDEX sources_recipe ON sources (recipe_id);

-- Where the current version of a recipe was read from.
CREATE TABLE provenance (
    recipe_id  INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE,
    repository TEXT    NOT NULL,
    git_commit TEXT,
    path       TEXT    NOT NULL,
    line       INTEGER
);

-- The importer's warnings on the current version of a recipe.
CREATE TABLE import_warnings (
    id        INTEGER PRIMARY KEY,
    recipe_id INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    file      TEXT    NOT NULL,
    line      INTEGER NOT NULL,
    kind      TEXT    NOT NULL,
    attribute TEXT,
    message   TEXT    NOT NULL
);
CREATE INDEX import_warnings_recipe ON import_warnings (recipe_id);
CREATE INDEX import_warnings_kind ON import_warnings (kind);

-- Recipes an import run could not read.
CREATE TABLE import_failures (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,
    path        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX import_failures_run ON import_failures (run_id);

-- What each run changed. Origin and name are kept as text so the history
-- outlives the recipe row.
CREATE TABLE change_events (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES import_runs (id) ON DELETE CASCADE,
    origin      TEXT    NOT NULL CHECK (origin IN ('arch', 'guix')),
    name        TEXT    NOT NULL,
    kind        TEXT    NOT NULL CHECK (kind IN ('added', 'updated', 'removed')),
    old_version TEXT,
    new_version TEXT,
    at          INTEGER NOT NULL
);
CREATE INDEX change_events_run ON change_events (run_id);
CREATE INDEX change_events_recipe ON change_events (origin, name);

-- Problems found in a recipe beyond import warnings (a stale .SRCINFO ...).
-- They describe one version of the recipe: an update clears them.
CREATE TABLE findings (
    id          INTEGER PRIMARY KEY,
    recipe_id   INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE,
    run_id      INTEGER REFERENCES import_runs (id) ON DELETE SET NULL,
    kind        TEXT    NOT NULL,
    message     TEXT    NOT NULL,
    recorded_at INTEGER NOT NULL
);
CREATE INDEX findings_recipe ON findings (recipe_id);
CREATE INDEX findings_kind ON findings (kind);

-- Full-text search over current recipes; rowid = recipes.id. `name` holds the
-- recipe name and its package names, `description` the descriptions,
-- `provides` the provided names. Kept in sync by the store's recipe writes.
CREATE VIRTUAL TABLE recipe_search USING fts5 (
    name,
    description,
    provides,
    tokenize = 'unicode61 remove_diacritics 2'
);
