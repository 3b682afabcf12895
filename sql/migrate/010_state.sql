-- migrate-legacy: the compatibility schema and the migration's own state.
-- Applied by `phaseline migrate-legacy expand`, together with the other
-- files of sql/migrate (except contract.sql), in one transaction. Every
-- statement is idempotent: expand is safe to rerun.
--
-- Two schemas, by lifetime. {{ compat_schema_name }} outlives `contract`: its
-- views (040_compat.sql), the master-id map they read, and the records of the
-- migration (progress, defects, verify runs, the sync journal).
-- {{ migration_schema_name }} holds the machinery that reads the legacy tables
-- (functions, the sync triggers' functions, the sync queue): contract drops
-- it whole, with the legacy tables.

CREATE SCHEMA IF NOT EXISTS {{ compat_schema }};
COMMENT ON SCHEMA {{ compat_schema }} IS
    'The legacy tables'' shapes as views over phaseline (SET search_path to it and old read queries work), and the state of migrate-legacy.';
REVOKE ALL ON SCHEMA {{ compat_schema }} FROM PUBLIC;
GRANT USAGE ON SCHEMA {{ compat_schema }} TO {{ app_role }}, {{ readonly_role }};

CREATE SCHEMA IF NOT EXISTS {{ migration_schema }};
COMMENT ON SCHEMA {{ migration_schema }} IS
    'migrate-legacy''s machinery: it reads the legacy tables and goes with them at contract (DROP SCHEMA ... CASCADE).';
REVOKE ALL ON SCHEMA {{ migration_schema }} FROM PUBLIC;

-- One row: who the migration acts as where a legacy row names nobody.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_state (
    singleton         boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    migration_user_id integer NOT NULL REFERENCES {{ schema }}.users (user_id),
    legacy_schema     text NOT NULL,
    expanded_at       timestamptz NOT NULL DEFAULT now(),
    contracted_at     timestamptz
);
COMMENT ON TABLE {{ compat_schema }}.migration_state IS 'The migration user (an admin created by expand) and when expand and contract ran.';

-- The legacy master id of each version key, so the compatibility views can
-- return master_attribute_id / master_set_id after the legacy tables are gone.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_masters (
    entity    text NOT NULL CHECK (entity IN ('report_attribute', 'sample_selection')),
    master_id uuid NOT NULL,
    cycle_id  uuid NOT NULL,
    report_id uuid NOT NULL,
    key_name  text NOT NULL,               -- attribute_name; '' for sample selections
    PRIMARY KEY (entity, master_id),
    CONSTRAINT migration_masters_key UNIQUE (entity, cycle_id, report_id, key_name)
);

-- Backfill progress: one row per step, committed with each batch, so a
-- killed backfill resumes after the last batch that committed.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_progress (
    step        text PRIMARY KEY,
    ordinal     integer NOT NULL UNIQUE,
    pass        integer NOT NULL DEFAULT 1,
    position    text[],                    -- keyset: the last key done; null before the first batch
    rows_done   bigint NOT NULL DEFAULT 0,
    batches     integer NOT NULL DEFAULT 0,
    total_rows  bigint,
    started_at  timestamptz,
    updated_at  timestamptz,
    finished_at timestamptz
);

-- What the migration found in the legacy data and what it did about it.
-- Row-level: legacy_id is the legacy row's id; group_id the master (or
-- user, phase key) whose re-derivation refreshes it. columns: the legacy
-- columns whose value in the compatibility view differs because of it
-- (verify accepts a difference only there); absent: the row is not in the
-- view at all. blocking: the migration could not place the row; verify
-- fails until the legacy data is fixed and backfill rerun.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_defects (
    legacy_table text NOT NULL,
    legacy_id    text NOT NULL,
    kind         text NOT NULL,
    group_id     text NOT NULL,
    blocking     boolean NOT NULL DEFAULT false,
    absent       boolean NOT NULL DEFAULT false,
    columns      text[] NOT NULL DEFAULT '{}',
    detail       jsonb NOT NULL DEFAULT '{}',
    found_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (legacy_table, legacy_id, kind)
);
CREATE INDEX IF NOT EXISTS migration_defects_group_idx ON {{ compat_schema }}.migration_defects (group_id);

-- A DBA's decision about a blocking defect that legacy cannot fix: a
-- deletion in legacy accepted (phaseline keeps the row, invariant 8). The
-- defect then goes in as non-blocking, with this in its detail; verify
-- accepts the row phaseline holds and legacy does not. Written by
-- accept_defect(); a record of the migration, so it outlives contract.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_resolutions (
    legacy_table text NOT NULL,
    legacy_id    text NOT NULL,
    kind         text NOT NULL CHECK (kind = 'deleted_in_legacy'),
    note         text NOT NULL CHECK (btrim(note) <> ''),
    accepted_by  text NOT NULL DEFAULT session_user,
    accepted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (legacy_table, legacy_id, kind)
);

-- One row per legacy write statement mirrored by the sync triggers: contract
-- compares its count with the one verify saw, so a write after the last
-- passing verify makes contract refuse.
CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_sync_journal (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    legacy_table text NOT NULL,
    operation   text NOT NULL,
    row_count   bigint NOT NULL
);

CREATE TABLE IF NOT EXISTS {{ compat_schema }}.migration_verify_runs (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at            timestamptz NOT NULL DEFAULT now(),
    passed        boolean NOT NULL,
    journal_count bigint NOT NULL,
    report        jsonb NOT NULL
);

-- The legacy statements being mirrored right now, by backend and
-- transaction. The sync trigger functions run as this schema's owner on
-- behalf of the legacy application's role; phaseline's _backfilling() lets
-- the engine stand aside for a session that is not the owner only while
-- its transaction has a row here. Nobody else can write it (no grants), so
-- a caller who sets phaseline.backfill itself gets nothing from it; the
-- row is deleted when the mirror ends and rolled back with it on error.
CREATE TABLE IF NOT EXISTS {{ migration_schema }}.mirrors (
    backend_pid integer NOT NULL,
    xact        xid8 NOT NULL,
    PRIMARY KEY (backend_pid, xact)
);
-- _backfilling() reads it with the rights of phaseline's owner, who need
-- not be the role running the migration (a DBA may run it as another): let
-- that owner read it, and nothing more.
DO $mirrors$
DECLARE
    v_owner regrole := (SELECT nspowner::regrole FROM pg_namespace WHERE nspname = {{ schema_name | literal }});
BEGIN
    IF v_owner IS NOT NULL AND NOT has_table_privilege(v_owner, {{ (migration_schema_name ~ '.mirrors') | literal }}, 'SELECT') THEN
        EXECUTE format('GRANT USAGE ON SCHEMA %I TO %s', {{ migration_schema_name | literal }}, v_owner);
        EXECUTE format('GRANT SELECT ON %I.mirrors TO %s', {{ migration_schema_name | literal }}, v_owner);
    END IF;
END
$mirrors$;

-- Groups a legacy write touched that its own transaction could not mirror:
-- a REPEATABLE READ (or SERIALIZABLE) writer sees phaseline as of its
-- snapshot, older than what a backfill batch or another mirror may have
-- committed since, so deriving from it would fail or write stale rows.
-- Insert-only, so it never conflicts with anything; `backfill` drains it
-- (and verify fails while it holds rows).
CREATE TABLE IF NOT EXISTS {{ migration_schema }}.sync_queue (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    legacy_table text NOT NULL,
    group_kind  text NOT NULL CHECK (group_kind IN ('users', 'attribute_masters', 'set_masters', 'phase_keys', 'orphans')),
    group_key   text[] NOT NULL,
    samples     text[],                    -- set_masters: the sample identifiers touched; null = the whole master
    why         text NOT NULL
);
