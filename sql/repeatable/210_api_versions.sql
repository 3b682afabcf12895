-- API: the generic versioning calls. The version id alone finds its entity:
-- each function tries the tables of phaseline.toml in turn (a primary-key
-- probe each); the triggers of include/versioning.sql enforce every rule,
-- so these functions only find the row and say what they want.

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
        MESSAGE = format('version %s does not exist', p_version_id),
        HINT = 'Pass the id of a version of a report attribute, sample selection or phase data.';
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.submit_version(p_version_id uuid, p_actor integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._set_version_status(p_version_id, 'pending_approval', NULL);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.withdraw_version(p_version_id uuid, p_actor integer) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._set_version_status(p_version_id, 'draft', NULL);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Returns the id of the approved_artifacts row the approval wrote.
CREATE OR REPLACE FUNCTION {{ api_schema }}.approve_version(p_version_id uuid, p_actor integer, p_note text DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_artifact uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._set_version_status(p_version_id, 'approved', p_note);
    SELECT id INTO STRICT v_artifact FROM {{ schema }}.approved_artifacts WHERE reference_id = p_version_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_artifact;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.reject_version(p_version_id uuid, p_actor integer, p_note text) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    PERFORM {{ schema }}._set_version_status(p_version_id, 'rejected', p_note);
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Every version of the same key as p_version_id, oldest first.
CREATE OR REPLACE FUNCTION {{ api_schema }}.version_history(p_version_id uuid)
RETURNS TABLE (
    entity text, id uuid, version_number integer, is_latest boolean, version_status text,
    parent_version_id uuid, created_at timestamptz, created_by integer, submitted_at timestamptz,
    submitted_by integer, reviewed_at timestamptz, reviewed_by integer, review_note text
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
{%- for e in versioned %}
    IF EXISTS (SELECT FROM {{ schema }}.{{ e.table }} WHERE {{ schema }}.{{ e.table }}.id = p_version_id) THEN
        RETURN QUERY
        SELECT {{ e.entity | literal }}, h.id, h.version_number, h.is_latest, h.version_status::text,
               h.parent_version_id, h.created_at, h.created_by, h.submitted_at,
               h.submitted_by, h.reviewed_at, h.reviewed_by, h.review_note
          FROM {{ schema }}.{{ e.table }} AS v
          JOIN {{ schema }}.{{ e.table }} AS h USING ({{ e.key | join(', ') }})
         WHERE v.id = p_version_id
         ORDER BY h.version_number;
        RETURN;
    END IF;
{%- endfor %}
    RAISE EXCEPTION USING
        ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
        MESSAGE = format('version %s does not exist', p_version_id);
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
            MESSAGE = format('unknown artifact type "%s"', p_artifact_type),
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
-- (repeatable/110_audit.sql). Index probes only, one per partition: the
-- row's own events by its id, a sample decision's grouped events by its version.
CREATE OR REPLACE FUNCTION {{ api_schema }}.audit_trail(p_row_id uuid)
RETURNS TABLE (at timestamptz, actor integer, action text, table_name text, row_id text, old_row jsonb, new_row jsonb, audit_id bigint)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_row   text := p_row_id::text;
    v_group text;
BEGIN
    SELECT d.version_id::text INTO v_group FROM {{ schema }}.sample_decisions d WHERE d.id = p_row_id;
    RETURN QUERY
    WITH events AS (
        -- One probe per partition for both keys: the row's own events, and
        -- the grouped events of its version that list it.
        SELECT e.id, e.at, e.actor, e.action, e.table_name,
               CASE WHEN e.row_ids IS NULL THEN e.old_values
                    ELSE e.old_values -> (array_position(e.row_ids, p_row_id) - 1) END AS delta
          FROM {{ schema }}.audit_events e
         WHERE e.row_key = ANY (ARRAY[v_row, v_group])
           AND CASE WHEN e.row_ids IS NULL THEN e.row_key = v_row
                    ELSE e.table_name = 'sample_decisions' AND p_row_id = ANY (e.row_ids) END
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

{% include 'include/api_grants.sql' %}
