-- API: the generic versioning calls. The version id alone finds its entity:
-- each function tries the tables of phaseline.toml in turn (a primary-key
-- probe each); the triggers of include/versioning.sql enforce every rule,
-- so these functions only find the row and say what they want.

{% set renamed = ['submit_version', 'withdraw_version', 'approve_version', 'reject_version', 'version_history'] %}
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
        HINT = 'Pass the id of a version of a report attribute, sample selection or phase data.';
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

CREATE OR REPLACE FUNCTION {{ api_schema }}.audit_trail(p_row_id uuid)
RETURNS TABLE (at timestamptz, actor integer, action text, table_name text, row_id text, old_row jsonb, new_row jsonb, audit_id bigint)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT l.at, l.actor, l.action, l.table_name, l.row_id, l.old_row, l.new_row, l.id
      FROM {{ schema }}.audit_log l
     WHERE l.row_id = p_row_id::text
     ORDER BY l.id;
$fn$;

{% include 'include/api_grants.sql' %}
