-- migrate-legacy: the compatibility schema and the migration's own state.
-- Applied by `phaseline migrate-legacy expand`, together with the other
-- files of sql/migrate (except contract.sql), in one transaction. Every
-- statement is idempotent: expand is safe to rerun.
--
-- What outlives `contract`: this schema, its views (040_compat.sql), the
-- master-id map they read, and the records of the migration (progress,
-- defects, verify runs, the sync journal). What contract drops: the legacy
-- tables, the sync triggers and the functions that read the legacy tables.

CREATE SCHEMA IF NOT EXISTS {{ compat_schema }};
COMMENT ON SCHEMA {{ compat_schema }} IS
    'The legacy tables'' shapes as views over phaseline (SET search_path to it and old read queries work), and the state of migrate-legacy.';
REVOKE ALL ON SCHEMA {{ compat_schema }} FROM PUBLIC;
GRANT USAGE ON SCHEMA {{ compat_schema }} TO {{ app_role }}, {{ readonly_role }};

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
