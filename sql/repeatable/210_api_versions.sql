-- API: the generic versioning calls. The version id alone finds its entity:
-- each function tries the tables of phaseline.toml in turn (a primary-key
-- probe each); the triggers of include/versioning.sql enforce every rule,
-- so these functions only find the row and say what they want.

{% set renamed = ['submit_version', 'withdraw_version', 'approve_version', 'reject_version', 'version_history', 'audit_trail'] %}
{% include 'include/drop_renamed.sql' %}

CREATE OR REPLACE FUNCTION {{ schema }}._require_cycle_report(p_cycle uuid, p_report uuid) RETURNS void
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT FROM {{ schema }}.cycle_reports WHERE cycle_id = p_cycle AND report_id = p_report) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_cycle_report',
            MESSAGE = format('report %s is not in test cycle %s', p_report, p_cycle),
            HINT = 'Assign the report to the cycle first (phaseline_api.assign_report).';
    END IF;
END
$fn$;

-- Move a version to p_status. The row lock (FOR UPDATE) serializes
-- concurrent transitions of one version; the trigger validates the move.
CREATE OR REPLACE FUNCTION {{ schema }}._set_version_status(
    p_version_id uuid, p_status {{ schema }}.version_status, p_note text
) RETURNS text
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_status {{ schema }}.version_status;
    v_number integer;
BEGIN
{%- for e in versioned %}
    SELECT version_status, version_number INTO v_status, v_number
      FROM {{ schema }}.{{ e.table }} WHERE id = p_version_id FOR UPDATE;
    IF FOUND THEN
        IF v_status = p_status THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'illegal_transition',
                MESSAGE = format('{{ e.entity }} version %s is already %s', v_number, v_status),
                DETAIL = format('id=%s', p_version_id);
        END IF;
        UPDATE {{ schema }}.{{ e.table }} SET version_status = p_status, review_note = p_note WHERE id = p_version_id;
        RETURN {{ e.entity | literal }};
    END IF;
{%- endfor %}
    RAISE EXCEPTION USING
        ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
        MESSAGE = format('version %s does not exist', coalesce(p_version_id::text, 'null')),
        HINT = 'Pass the id of a version of one of: {% for e in versioned %}{{ e.entity }}{{ ", " if not loop.last }}{% endfor %}.';
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.submit_version(p_version uuid, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._set_version_status(p_version, 'pending_approval', NULL);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.withdraw_version(p_version uuid, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._set_version_status(p_version, 'draft', NULL);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Returns the id of the approved_artifacts row the approval wrote.
CREATE OR REPLACE FUNCTION {{ api_schema }}.approve_version(p_version uuid, p_actor integer DEFAULT NULL, p_note text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_artifact uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    IF p_note IS NOT NULL THEN
        PERFORM {{ schema }}._check_text(p_note, 'review_note', 'the review note');
    END IF;
    PERFORM {{ schema }}._set_version_status(p_version, 'approved', p_note);
    SELECT id INTO STRICT v_artifact FROM {{ schema }}.approved_artifacts WHERE reference_id = p_version;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_artifact;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.reject_version(p_version uuid, p_actor integer DEFAULT NULL, p_note text DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    -- a rejection says what must change (the CHECK review_note_required
    -- holds it for direct writes; this says it with the API's rule names)
    IF p_note IS NULL OR {{ schema }}._is_blank(p_note) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'review_note_required',
            MESSAGE = format('rejecting version %s needs a note', coalesce(p_version::text, 'null')),
            DETAIL = format('note: %s', coalesce(quote_literal({{ schema }}._prefix(p_note)), 'null')),
            HINT = 'Say what must change, so the next version can address it.';
    END IF;
    PERFORM {{ schema }}._check_text(p_note, 'review_note', 'the review note');
    PERFORM {{ schema }}._set_version_status(p_version, 'rejected', p_note);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Every version of the same key as p_version, oldest first.
CREATE OR REPLACE FUNCTION {{ api_schema }}.version_history(p_version uuid)
RETURNS TABLE (
    entity text, id uuid, version_number integer, is_latest boolean, version_status text,
    parent_version_id uuid, created_at timestamptz, created_by integer, submitted_at timestamptz,
    submitted_by integer, reviewed_at timestamptz, reviewed_by integer, review_note text
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
{%- for e in versioned %}
    IF EXISTS (SELECT FROM {{ schema }}.{{ e.table }} WHERE {{ schema }}.{{ e.table }}.id = p_version) THEN
        RETURN QUERY
        SELECT {{ e.entity | literal }}, h.id, h.version_number, h.is_latest, h.version_status::text,
               h.parent_version_id, h.created_at, h.created_by, h.submitted_at,
               h.submitted_by, h.reviewed_at, h.reviewed_by, h.review_note
          FROM {{ schema }}.{{ e.table }} AS v
          JOIN {{ schema }}.{{ e.table }} AS h USING ({{ e.key | join(', ') }})
         WHERE v.id = p_version
         ORDER BY h.version_number;
        RETURN;
    END IF;
{%- endfor %}
    RAISE EXCEPTION USING
        ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
        MESSAGE = format('version %s does not exist', p_version);
END
$fn$;

CREATE OR REPLACE VIEW {{ api_schema }}.current_artifacts AS
SELECT id, cycle_id, report_id, phase_name, artifact_type, artifact_key, reference_table,
       reference_id, reference_version, approved_by, approved_at, superseded_at
  FROM {{ schema }}.approved_artifacts
 WHERE superseded_at IS NULL;
COMMENT ON VIEW {{ api_schema }}.current_artifacts IS 'The approved version of every thing that has one.';

-- The current approved artifact of one thing; no row when none is approved.
CREATE OR REPLACE FUNCTION {{ api_schema }}.approved_artifact(
    p_cycle uuid, p_report uuid, p_artifact_type text, p_artifact_key text DEFAULT NULL
) RETURNS SETOF {{ api_schema }}.current_artifacts
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_artifact_type IS NULL OR p_artifact_type NOT IN ({% for e in versioned %}{{ e.artifact_type | literal }}{{ ", " if not loop.last }}{% endfor %}) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'unknown_artifact_type',
            MESSAGE = format('unknown artifact type %s', coalesce(quote_literal({{ schema }}._prefix(p_artifact_type)), 'null')),
            DETAIL = 'artifact types: {% for e in versioned %}{{ e.artifact_type }}{{ ", " if not loop.last }}{% endfor %}';
    END IF;
    -- Two statements, not IS NOT DISTINCT FROM: that operator cannot use the
    -- index, and a report with many current artifacts would be scanned.
    IF p_artifact_key IS NULL THEN
        RETURN QUERY
        SELECT a.* FROM {{ api_schema }}.current_artifacts a
         WHERE a.cycle_id = p_cycle AND a.report_id = p_report AND a.artifact_type = p_artifact_type
           AND a.artifact_key IS NULL;
    ELSE
        RETURN QUERY
        SELECT a.* FROM {{ api_schema }}.current_artifacts a
         WHERE a.cycle_id = p_cycle AND a.report_id = p_report AND a.artifact_type = p_artifact_type
           AND a.artifact_key = p_artifact_key;
    END IF;
END
$fn$;

-- Every change of one row, oldest first, with the whole row before and
-- after. Entries 0.1.0 recorded are returned as recorded; later ones are
-- rebuilt from the current row and the deltas of the updates after them
-- (repeatable/110_audit.sql).
--
-- Index probes only, and few: the log is read one monthly partition at a
-- time, newest first, by the row's id and (for a sample decision) its
-- version, and the walk stops at the month of the row's INSERT event, since
-- nothing older can concern it (partitions are by logged_at, the time an
-- event was written, which orders a row's events as they happened). A row inserted this month costs one probe
-- however long the log is; an older one, one per month of its life. Only a
-- row whose insert the log does not hold (inserted by 0.1.0, or with
-- auditing off) is looked for in every partition.
CREATE OR REPLACE FUNCTION {{ api_schema }}.audit_trail(p_row uuid)
RETURNS TABLE (at timestamptz, actor integer, action text, table_name text, row_id text, old_row jsonb, new_row jsonb, audit_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_row     text := p_row::text;
    v_group   text;
    v_to      timestamptz := 'infinity'::timestamptz;
    v_from    timestamptz := date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC';
    v_oldest  timestamptz;
    v_ids     bigint[] := '{}'::bigint[];
    v_ats     timestamptz[] := '{}'::timestamptz[];
    v_actors  integer[] := '{}'::integer[];
    v_actions text[] := '{}'::text[];
    v_tables  text[] := '{}'::text[];
    v_deltas  jsonb[] := '{}'::jsonb[];
    m_ids     bigint[];
    m_ats     timestamptz[];
    m_actors  integer[];
    m_actions text[];
    m_tables  text[];
    m_deltas  jsonb[];
    v_born    boolean := false;
BEGIN
    -- The items of a decision set are audited in groups, by version.
{%- for s in decision_sets %}
    IF v_group IS NULL THEN
        SELECT d.version_id::text INTO v_group FROM {{ schema }}.{{ s.items_table }} d WHERE d.id = p_row;
    END IF;
{%- endfor %}
    LOOP
        -- One month (the first pass: this month and any later), pruned to its
        -- partition; one index probe for both keys: the row's own events, and
        -- the grouped events of its version that list it.
        SELECT array_agg(e.id ORDER BY e.id), array_agg(e.at ORDER BY e.id), array_agg(e.actor ORDER BY e.id),
               array_agg(e.action ORDER BY e.id), array_agg(e.table_name ORDER BY e.id),
               array_agg(CASE WHEN e.row_ids IS NULL THEN e.old_values
                              WHEN jsonb_typeof(e.old_values) = 'array' THEN e.old_values -> (array_position(e.row_ids, p_row) - 1)
                              ELSE e.old_values END ORDER BY e.id),  -- one object shared by the group
               coalesce(bool_or(e.action = 'INSERT'), false)
          INTO m_ids, m_ats, m_actors, m_actions, m_tables, m_deltas, v_born
          FROM {{ schema }}.audit_events e
         WHERE e.row_key = ANY (ARRAY[v_row, v_group]) AND e.logged_at >= v_from AND e.logged_at < v_to
           AND CASE WHEN e.row_ids IS NULL THEN e.row_key = v_row
                    ELSE e.table_name IN ({% for s in decision_sets %}{{ s.items_name | literal }}{{ ", " if not loop.last }}{% endfor %}) AND p_row = ANY (e.row_ids) END;
        IF m_ids IS NOT NULL THEN
            v_ids := m_ids || v_ids; v_ats := m_ats || v_ats; v_actors := m_actors || v_actors;
            v_actions := m_actions || v_actions; v_tables := m_tables || v_tables; v_deltas := m_deltas || v_deltas;
        END IF;
        EXIT WHEN v_born;
        IF v_oldest IS NULL THEN
            -- The lower bound of the oldest monthly partition (the default one has none).
            SELECT coalesce(min((regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz), v_from)
              INTO v_oldest
              FROM pg_catalog.pg_inherits i JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
             WHERE i.inhparent = {{ (schema_name ~ '.audit_events') | literal }}::regclass;
        END IF;
        v_to := v_from;
        IF v_from <= v_oldest THEN
            v_from := '-infinity'::timestamptz;  -- last: whatever is older than every partition (the default one)
        ELSE
            v_from := ((v_from AT TIME ZONE 'UTC') - interval '1 month') AT TIME ZONE 'UTC';
        END IF;
        EXIT WHEN v_to = '-infinity'::timestamptz;
    END LOOP;

    RETURN QUERY
    WITH events AS (
        SELECT * FROM unnest(v_ids, v_ats, v_actors, v_actions, v_tables, v_deltas) AS e(id, at, actor, action, table_name, delta)
    ), rebuilt AS (
        SELECT ev.*, {{ schema }}._audit_current_row(ev.table_name, v_row)
                     || coalesce({{ schema }}._jsonb_concat_agg(ev.delta) OVER (
                            ORDER BY ev.id DESC ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), '{}') AS after
          FROM events ev
    )
    SELECT l.at, l.actor, l.action, l.table_name, l.row_id::text, l.old_row, l.new_row, l.id
      FROM {{ schema }}.audit_log_0_1_0 l
     WHERE l.row_id = v_row
    UNION ALL
    SELECT r.at, r.actor, r.action, r.table_name, v_row,
           CASE WHEN r.action = 'UPDATE' THEN r.after || r.delta END, r.after, r.id
      FROM rebuilt r
     ORDER BY 8;
END
$fn$;

{% include 'include/api_grants.sql' -%}
