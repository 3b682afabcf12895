-- Release 0.2: the audit log records changes instead of copying rows.
--
-- Release 0.1.0 wrote every inserted row again, whole, as JSON, and both
-- halves of every update: 3.75x the data it covered. Rows are never deleted
-- (invariant 8), so an inserted row is still in its table, and its history
-- can be rebuilt backwards from the current row and the old values of what
-- each update changed (the pgMemento idea). audit_events therefore holds:
--   INSERT  who, when, which statement, which rows; no row data.
--   UPDATE  the same, plus the old values of the columns that changed.
-- One event covers one row (row_key is its id, row_ids is null), or, for a
-- bulk table (sample_decisions), every row a statement wrote in one group
-- (row_key is the group: the version; row_ids the rows, old_values their
-- deltas in the same order). audit_trail() rebuilds whole old and new rows
-- (repeatable/110_audit.sql, 210_api_versions.sql).
--
-- Partitioned by month on `logged_at`, so an old partition can be detached to an
-- archive, writes go to a small recent partition and audit_trail stays one
-- index probe per partition. Partitions are created ahead of time by
-- audit_create_partitions() (repeatable/110_audit.sql), which deploy runs and
-- a scheduler calls (monthly is plenty); the default partition catches
-- writes should the scheduler ever lapse, so a missing partition never stops
-- a write.
--
-- The history 0.1.0 recorded stays where it is, renamed audit_log_0_1_0 and
-- still append-only: its entries hold whole rows and audit_trail() returns
-- them as they are, before the rebuilt ones. The name audit_log is now a
-- read-only view over both (110_audit.sql), with the columns it always had.

-- (the name audit_log comes back as a read-only view with the same columns: repeatable/110)
-- squawk-ignore renaming-table
ALTER TABLE {{ schema }}.audit_log RENAME TO audit_log_0_1_0;
-- (an index name no client uses: it follows its table)
-- squawk-ignore renaming-object
ALTER INDEX {{ schema }}.audit_log_row_idx RENAME TO audit_log_0_1_0_row_idx;
COMMENT ON TABLE {{ schema }}.audit_log_0_1_0 IS
    'The audit log as release 0.1.0 kept it (whole rows as JSON); frozen, append-only, read by audit_trail and the audit_log view.';

-- Event ids continue after the 0.1.0 entries: one order over the whole history.
CREATE SEQUENCE {{ schema }}.audit_event_id_seq AS bigint;
SELECT setval(format('%I.%I', {{ schema_name | literal }}, 'audit_event_id_seq')::regclass,
              (SELECT coalesce(max(id), 0) + 1 FROM {{ schema }}.audit_log_0_1_0), false);

CREATE TABLE {{ schema }}.audit_events (
    id         bigint NOT NULL DEFAULT nextval('{{ schema_name }}.audit_event_id_seq'::regclass),
    at         timestamptz NOT NULL DEFAULT now(),          -- transaction time
    -- When the event was written: the partition key. Unlike the transaction
    -- time, it orders a row's events as they happened (no transaction can
    -- change a row before its insert committed), so a row's INSERT event is
    -- in the oldest partition that concerns it, and audit_trail stops there.
    logged_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor      integer NOT NULL,                            -- the phaseline user on whose behalf it happened
    db_user    text NOT NULL DEFAULT session_user,
    txid       bigint NOT NULL DEFAULT txid_current(),
    action     text NOT NULL CHECK (action IN ('INSERT', 'UPDATE')),
    table_name text NOT NULL,
    -- The row's primary key as text; for a grouped event, the group (the
    -- version_id of the sample decisions in row_ids). Byte order: equality only.
    row_key    text COLLATE "C" NOT NULL,
    row_ids    uuid[],
    -- UPDATE: the old values of the columns the update changed, as a JSON
    -- object; for a grouped event, an array of such objects in row_ids order,
    -- or one object when every row of the event had the same old values (a
    -- first decision: the group shares it instead of repeating it per row).
    old_values jsonb,
    CONSTRAINT audit_events_shape CHECK (
        (row_ids IS NULL OR cardinality(row_ids) > 0)
        AND ((action = 'INSERT') = (old_values IS NULL))
        AND CASE WHEN row_ids IS NULL OR old_values IS NULL THEN jsonb_typeof(old_values) IS DISTINCT FROM 'array'
                 WHEN jsonb_typeof(old_values) = 'array' THEN jsonb_array_length(old_values) = cardinality(row_ids)
                 ELSE jsonb_typeof(old_values) = 'object' END)
) PARTITION BY RANGE (logged_at);
-- audit_trail: a row's events, in order, one probe per partition.
CREATE INDEX audit_events_row_idx ON {{ schema }}.audit_events (row_key, id);
CREATE TABLE {{ schema }}.audit_events_default PARTITION OF {{ schema }}.audit_events DEFAULT;
COMMENT ON TABLE {{ schema }}.audit_events IS
    'Append-only audit log, partitioned by month: who, when, which statement, which rows, and the old values of what changed.';
