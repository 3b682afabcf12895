-- Invariant 10: every insert and update on phaseline's tables lands in the
-- audit log with its actor, and every row's full history can be rebuilt.
-- The log (once/090_audit_events.sql) records changes, not copies:
--   * an INSERT event says who, when and which rows; the row itself is in
--     its table, which never deletes (invariant 8);
--   * an UPDATE event adds the old values of the columns that changed.
-- A row's state after its k-th change is the current row overlaid with the
-- old values each later update recorded (the earliest later one wins per
-- column); _audit_history() folds that backwards. Also attaches the
-- no-delete guard to every audited table.
--
-- Single-row tables (reference data, artifacts, the versioned entities)
-- are audited by a row-level trigger: one prepared INSERT per row, no
-- transition table to plan per statement. The items of the decision sets
-- (sample_decisions and the others), written in bulk, are audited per
-- statement by include/decision_set.sql (repeatable/135_decision_sets.sql):
-- one event per version a statement touched, its rows as a uuid array and
-- (updates) their deltas as one JSON array, instead of one log row per
-- decision.

{#- The audited tables: name, primary key column, its type; and every column
    of sample_decisions, which the static delta of its audit (include/decision_set.sql)
    must know (checked against the catalog below). -#}
{% set single = [('users', 'user_id', 'integer'), ('test_cycles', 'cycle_id', 'uuid'), ('reports', 'report_id', 'uuid'),
                 ('cycle_reports', 'id', 'uuid'), ('approved_artifacts', 'id', 'uuid'), ('workflow_phases', 'phase_name', 'text'),
                 ('user_db_roles', 'id', 'uuid')] -%}
{% set decision_columns = ['id', 'version_id', 'sample_key', 'sample_data', 'recommendation_source', 'recommended_by',
                           'recommended_at', 'decision_status', 'decided_by', 'decided_at', 'decision_note',
                           'carried_from_version_id', 'carried_from_decision_id', 'origin_decision_id'] -%}

-- Statement-level triggers of release 0.1.0 that the row-level one replaces.
{% for table, pk, type in single %}
DROP TRIGGER IF EXISTS _900_audit_insert ON {{ schema }}.{{ table | ident }};
DROP TRIGGER IF EXISTS _900_audit_update ON {{ schema }}.{{ table | ident }};
{% endfor %}
{% for e in versioned %}
DROP TRIGGER IF EXISTS _900_audit_insert ON {{ schema }}.{{ e.table }};
DROP TRIGGER IF EXISTS _900_audit_update ON {{ schema }}.{{ e.table }};
{% endfor %}

-- One row, one event, by a trigger function per table: _<table>_audit(),
-- generated below from the table's columns as the catalog has them when
-- this file runs. A generic function has to turn both rows into JSON and
-- compare them key by key in a query: _tg_audit did, at 84 us of its own
-- per event on a new version through the API, 55 us now (issue 14,
-- bench/RESULTS.md). The generated one reads the
-- key column directly and builds the delta (the old value of every column
-- whose value changed; an update that changed nothing is still an event,
-- with an empty delta) in one expression. Columns whose type has no
-- equality are compared as JSON.
--
-- The functions follow the columns, so deploy re-applies this file whenever
-- it applies a run-once file (deploy.CATALOG_DERIVED): a column that a later
-- run-once file adds is audited from that deploy on.
--
-- db_user is the database role the session acts as (_session_role: the SET
-- ROLE role of a pooler or PostgREST, else the login), not the column's
-- default session_user, which names only the pooler.
{#- (table, key column) of every table audited row by row -#}
{% set audited = [] -%}
{% for table, pk, type in single %}{% do audited.append((table, pk)) %}{% endfor -%}
{% for e in versioned %}{% do audited.append((e.table_name, 'id')) %}{% endfor %}
DO $generate$
DECLARE
    v_table  text;
    v_key    text;
    v_column text;
    v_type   text;
    v_same   boolean;
    v_delta  text;
BEGIN
    FOR v_table, v_key IN VALUES {% for table, pk in audited %}({{ table | literal }}, {{ pk | literal }}){{ ", " if not loop.last }}{% endfor %} LOOP
        v_delta := NULL;
        FOR v_column, v_type IN
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
              FROM pg_catalog.pg_attribute a
             WHERE a.attrelid = format('%I.%I', {{ schema_name | literal }}, v_table)::regclass
               AND a.attnum > 0 AND NOT a.attisdropped
             ORDER BY a.attnum
        LOOP
            -- Does the type have an equality operator (json, xml, point have none)?
            BEGIN
                EXECUTE format('SELECT NULL::%s IS DISTINCT FROM NULL::%s', v_type, v_type);
                v_same := true;
            EXCEPTION WHEN undefined_function THEN
                v_same := false;
            END;
            v_delta := concat_ws(E'\n             || ', v_delta, format(
                CASE WHEN v_same
                     THEN 'CASE WHEN NEW.%1$I IS DISTINCT FROM OLD.%1$I THEN jsonb_build_object(%2$L, OLD.%1$I) ELSE ''{}'' END'
                     ELSE 'CASE WHEN to_jsonb(NEW.%1$I) IS DISTINCT FROM to_jsonb(OLD.%1$I) THEN jsonb_build_object(%2$L, OLD.%1$I) ELSE ''{}'' END'
                END, v_column, v_column));
        END LOOP;
        EXECUTE format($body$
CREATE OR REPLACE FUNCTION %1$I.%2$I() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
-- Generated by repeatable/110_audit.sql from the columns of %1$I.%3$I.
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO %1$I.audit_events (actor, db_user, action, table_name, row_key)
        VALUES (%1$I._actor(), %1$I._session_role(), 'INSERT', TG_TABLE_NAME, NEW.%4$I::text);
    ELSE
        INSERT INTO %1$I.audit_events (actor, db_user, action, table_name, row_key, old_values)
        VALUES (%1$I._actor(), %1$I._session_role(), 'UPDATE', TG_TABLE_NAME, OLD.%4$I::text,
                %5$s);
    END IF;
    RETURN NULL;
END
$fn$
$body$, {{ schema_name | literal }}, '_' || v_table || '_audit', v_table, v_key, v_delta);
    END LOOP;
END
$generate$;

-- The static delta of the decision sets' audit (include/decision_set.sql,
-- _<items>_audit_update) must know every column of sample_decisions, whose
-- shape is release 0.1.0's (once/060) rather than include/decision_shapes.sql's:
-- a new column added by a later run-once file without listing it here would
-- go unaudited. Refuse the deploy instead.
DO $check$
DECLARE
    v_cols text[];
BEGIN
    SELECT array_agg(attname::text ORDER BY attnum) INTO v_cols
      FROM pg_catalog.pg_attribute
     WHERE attrelid = {{ (schema_name ~ '.sample_decisions') | literal }}::regclass AND attnum > 0 AND NOT attisdropped;
    IF v_cols IS DISTINCT FROM ARRAY[{% for c in decision_columns %}{{ c | literal }}{{ ", " if not loop.last }}{% endfor %}]::text[] THEN
        RAISE EXCEPTION 'repeatable/110_audit.sql lists the columns of sample_decisions as %, the table has %',
            ARRAY[{% for c in decision_columns %}{{ c | literal }}{{ ", " if not loop.last }}{% endfor %}], v_cols;
    END IF;
END
$check$;

{% macro audit_row(table) %}
CREATE OR REPLACE TRIGGER _900_audit AFTER INSERT OR UPDATE ON {{ schema }}.{{ table | ident }}
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}.{{ ('_' ~ table ~ '_audit') | ident }}();
{%- endmacro -%}

-- Tables outside the versioning engine: audited, and never deleted from
-- (users are deactivated; the engine's tables get _100_no_delete from it).
{% for table, pk, type in single %}
{{- audit_row(table) }}
CREATE OR REPLACE TRIGGER _100_no_delete BEFORE DELETE OR TRUNCATE ON {{ schema }}.{{ table | ident }}
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_no_delete();
{% endfor %}
-- Every versioned entity of phaseline.toml.
{% for e in versioned %}
{{- audit_row(e.table_name) }}
{% endfor %}

-- 0.1.0's trigger functions _audit_insert and _audit_update are dropped by
-- 890_renamed_trigger_functions.sql, once 135_decision_sets.sql has re-pointed
-- the audit triggers of sample_decisions.

-- ---------------------------------------------------------------------------
-- Partitions: one per month, created ahead by a maintenance function that
-- deploy runs (below) and a scheduler calls, e.g. monthly from pg_cron:
--     SELECT phaseline.audit_create_partitions();
-- Each partition gets the append-only guard: a statement trigger on the
-- parent does not fire for a statement that names a partition.
-- ---------------------------------------------------------------------------
CREATE OR REPLACE FUNCTION {{ schema }}._audit_guard_partition(p_table regclass) RETURNS void
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    EXECUTE format('CREATE OR REPLACE TRIGGER _100_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON %s '
                   'FOR EACH STATEMENT EXECUTE FUNCTION %I._tg_append_only()', p_table, {{ schema_name | literal }});
END
$fn$;

-- Monthly partitions (UTC) from this month through p_months_ahead months
-- ahead; returns the ones it created. A month whose rows already landed in
-- the default partition (the scheduler lapsed) is skipped with a warning:
-- those rows stay readable where they are.
CREATE OR REPLACE FUNCTION {{ schema }}.audit_create_partitions(p_months_ahead integer DEFAULT 3) RETURNS SETOF text
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_month timestamp := date_trunc('month', now() AT TIME ZONE 'UTC');
    v_from  timestamptz;
    v_to    timestamptz;
    v_name  text;
BEGIN
    FOR i IN 0..greatest(p_months_ahead, 0) LOOP
        v_from := (v_month + make_interval(months => i)) AT TIME ZONE 'UTC';
        v_to   := (v_month + make_interval(months => i + 1)) AT TIME ZONE 'UTC';
        v_name := 'audit_events_' || to_char(v_month + make_interval(months => i), 'YYYY_MM');
        CONTINUE WHEN to_regclass(format('%I.%I', {{ schema_name | literal }}, v_name)) IS NOT NULL;
        IF EXISTS (SELECT FROM {{ schema }}.audit_events_default WHERE logged_at >= v_from AND logged_at < v_to) THEN
            RAISE WARNING 'audit partition % not created: the default partition holds entries of that month', v_name
                USING HINT = 'Run audit_create_partitions() ahead of time (it creates the next months).';
            CONTINUE;
        END IF;
        EXECUTE format('CREATE TABLE %I.%I PARTITION OF %I.audit_events FOR VALUES FROM (%L) TO (%L)',
                       {{ schema_name | literal }}, v_name, {{ schema_name | literal }}, v_from, v_to);
        PERFORM {{ schema }}._audit_guard_partition(format('%I.%I', {{ schema_name | literal }}, v_name)::regclass);
        RETURN NEXT v_name;
    END LOOP;
END
$fn$;

-- The log itself: append-only, even for its owner (grants do not bind
-- owners), on the parent, on every partition, and on 0.1.0's table.
CREATE OR REPLACE TRIGGER _100_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {{ schema }}.audit_log_0_1_0
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_append_only();
CREATE OR REPLACE TRIGGER _100_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON {{ schema }}.audit_events
    FOR EACH STATEMENT EXECUTE FUNCTION {{ schema }}._tg_append_only();
SELECT {{ schema }}._audit_guard_partition(i.inhrelid::regclass)
  FROM pg_catalog.pg_inherits i
 WHERE i.inhparent = {{ (schema_name ~ '.audit_events') | literal }}::regclass;
SELECT count(*) FROM {{ schema }}.audit_create_partitions();

-- ---------------------------------------------------------------------------
-- Reading the log: whole rows rebuilt from the current row and the deltas.
-- ---------------------------------------------------------------------------

-- jsonb_concat over rows, in the aggregate's order: later objects' keys win.
CREATE OR REPLACE AGGREGATE {{ schema }}._jsonb_concat_agg(jsonb) (
    SFUNC = pg_catalog.jsonb_concat, STYPE = jsonb, INITCOND = '{}'
);

-- The row as it is now, as JSON; null when there is none.
CREATE OR REPLACE FUNCTION {{ schema }}._audit_current_row(p_table text, p_row_id text) RETURNS jsonb
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    CASE p_table
{%- for table, pk, type in single %}
    WHEN {{ table | literal }} THEN
        RETURN (SELECT to_jsonb(t) FROM {{ schema }}.{{ table | ident }} t WHERE t.{{ pk | ident }} = p_row_id::{{ type }});
{%- endfor %}
{%- for e in versioned %}
    WHEN {{ e.table_name | literal }} THEN
        RETURN (SELECT to_jsonb(t) FROM {{ schema }}.{{ e.table }} t WHERE t.id = p_row_id::uuid);
{%- endfor %}
{%- for s in decision_sets %}
    WHEN {{ s.items_name | literal }} THEN
        RETURN (SELECT to_jsonb(t) FROM {{ schema }}.{{ s.items_table }} t WHERE t.id = p_row_id::uuid);
{%- endfor %}
    ELSE
        RETURN NULL;
    END CASE;
END
$fn$;

-- Every audit entry of every row, one per row and change, with whole old and
-- new rows: the columns of 0.1.0's audit_log table, for reading and for
-- queries written against it. Rebuilding every row is work: for one row,
-- use phaseline_api.audit_trail(row_id), which probes the index.
CREATE OR REPLACE VIEW {{ schema }}.audit_log AS
WITH entries AS (
    SELECT e.id, e.at, e.actor, e.db_user, e.txid, e.action, e.table_name, e.row_key AS row_id, e.old_values AS delta
      FROM {{ schema }}.audit_events e
     WHERE e.row_ids IS NULL
    UNION ALL
    SELECT e.id, e.at, e.actor, e.db_user, e.txid, e.action, e.table_name, r.id::text COLLATE "C" AS row_id,
           CASE WHEN jsonb_typeof(e.old_values) = 'array' THEN e.old_values -> (r.n::integer - 1) ELSE e.old_values END AS delta
      FROM {{ schema }}.audit_events e
     CROSS JOIN LATERAL unnest(e.row_ids) WITH ORDINALITY r(id, n)
     WHERE e.row_ids IS NOT NULL
),

rebuilt AS (
    SELECT x.*, {{ schema }}._audit_current_row(x.table_name, x.row_id)
                || coalesce({{ schema }}._jsonb_concat_agg(x.delta) OVER (
                       PARTITION BY x.table_name, x.row_id ORDER BY x.id DESC
                       ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), '{}') AS after
      FROM entries x
)

SELECT l.id, l.at, l.actor, l.db_user, l.txid, l.action, l.table_name, l.row_id, l.old_row, l.new_row
  FROM {{ schema }}.audit_log_0_1_0 l
UNION ALL
SELECT r.id, r.at, r.actor, r.db_user, r.txid, r.action, r.table_name, r.row_id,
       CASE WHEN r.action = 'UPDATE' THEN r.after || r.delta END AS old_row, r.after AS new_row
  FROM rebuilt r;
COMMENT ON VIEW {{ schema }}.audit_log IS
    'Every audit entry, one per row and change, with whole old and new rows rebuilt from the tables and audit_events (and 0.1.0''s entries as recorded).';
