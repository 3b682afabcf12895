-- One row per version key of every versioned entity: the lock that makers
-- of a version of that key queue on (include/versioning.sql, _insert).
-- Bookkeeping only, no content: it is not audited, and losing a row is
-- harmless (the next maker creates it again).
CREATE TABLE {{ schema }}.version_key_locks (
    entity      text   NOT NULL,
    version_key text[] NOT NULL,  -- the key columns as text, in phaseline.toml order
    PRIMARY KEY (entity, version_key)
);
COMMENT ON TABLE {{ schema }}.version_key_locks IS 'Lock rows that serialize the makers of versions of one key (row locks, not advisory: unlimited per transaction).';
