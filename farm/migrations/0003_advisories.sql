-- 0003: security advisories and rebuild waves.

-- An advisory as read (OSV or the Arch security tracker), whole, with the
-- problems found reading it (unknown ecosystems, malformed ranges) kept.
CREATE TABLE advisories (
    id          TEXT    PRIMARY KEY,
    format      TEXT    NOT NULL CHECK (format IN ('osv', 'arch-tracker')),
    summary     TEXT,
    severity    TEXT,
    status      TEXT,
    advisory    TEXT    NOT NULL,
    problems    TEXT    NOT NULL,
    added_at    INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);

-- The packages an advisory names, by ecosystem, for look-ups by name.
CREATE TABLE advisory_packages (
    advisory_id TEXT NOT NULL REFERENCES advisories (id) ON DELETE CASCADE,
    ecosystem   TEXT NOT NULL,
    origin      TEXT CHECK (origin IN ('arch', 'guix')),
    name        TEXT NOT NULL
);
CREATE INDEX advisory_packages_name ON advisory_packages (name);
CREATE INDEX advisory_packages_advisory ON advisory_packages (advisory_id);

-- A rebuild wave: what triggered it and the plan it queued.
CREATE TABLE waves (
    id          INTEGER PRIMARY KEY,
    trigger     TEXT    NOT NULL,
    advisory_id TEXT REFERENCES advisories (id),
    origin      TEXT    NOT NULL CHECK (origin IN ('arch', 'guix')),
    plan        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL
);
