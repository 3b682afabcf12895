{% import 'include/decision_set.sql' as ds with context -%}
{% set samples = decision_set('samples') -%}
-- API: decision-based sample selection, the decision set samples
-- (phaseline.toml). This file checks the arguments of the calls of release
-- 0.1.0, keyed sample_key; the work is the set's functions
-- (include/decision_set.sql, created by 235_api_decision_sets.sql), whose
-- bulk paths are single statements over jsonb_to_recordset, and the rules
-- are the set's statement triggers (135_decision_sets.sql), which hold for
-- direct writes too.

{% set renamed = ['sample_lineage'] %}
{% include 'include/drop_renamed.sql' %}

-- Shared checks of the bulk calls' JSON arguments.
CREATE OR REPLACE FUNCTION {{ schema }}._require_json_array(p_value jsonb, p_name text, p_rule text, p_hint text) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF jsonb_typeof(p_value) IS DISTINCT FROM 'array' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = p_rule,
            MESSAGE = format('%s must be a JSON array', p_name),
            DETAIL = format('got: %s', coalesce({{ schema }}._prefix(left(p_value::text, 41)), 'null')),
            HINT = p_hint;
    END IF;
END
$fn$;

-- A new draft version; the approved and modified decisions of the latest
-- closed version (its parent, whatever its outcome) are carried into it.
CREATE OR REPLACE FUNCTION {{ api_schema }}.start_sample_selection(p_cycle uuid, p_report uuid, p_actor integer DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id    uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    v_id := {{ ds.fn_name(samples, '_start') }}(p_cycle, p_report, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.carry_forward(p_from_version uuid, p_to_version uuid, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    v_count := {{ ds.fn_name(samples, '_carry_into') }}(p_from_version, p_to_version, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

-- p_samples: [{"sample_key": "...", "data": {...}}, ...]; p_source: tester, llm or manual.
CREATE OR REPLACE FUNCTION {{ api_schema }}.recommend_samples(p_version uuid, p_samples jsonb, p_source text, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._check_recommendation(p_samples, p_source, 'p_samples', 'sample');  -- 235_api_decision_sets.sql

    v_count := {{ ds.fn_name(samples, '_recommend') }}(p_version, p_samples, p_source::{{ schema }}.recommendation_source, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

-- p_decisions: [{"sample_key": "...", "status": "approved|rejected|modified", "note": "...", "data": {...}}]
-- "data" comes with, and only with, "modified": it replaces the sample's data
-- (the recommended data stays in the audit trail).
CREATE OR REPLACE FUNCTION {{ api_schema }}.decide_samples(p_version uuid, p_decisions jsonb, p_actor integer DEFAULT NULL) RETURNS integer
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_count integer;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._check_decisions(p_decisions, 'sample');

    v_count := {{ ds.fn_name(samples, '_decide') }}(p_version, p_decisions, p_actor);
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_count;
END
$fn$;

CREATE OR REPLACE VIEW {{ api_schema }}.sample_decisions AS
SELECT d.id, d.version_id, d.sample_key, d.sample_data, d.recommendation_source, d.recommended_by,
       d.recommended_at, d.decision_status, d.decided_by, d.decided_at, d.decision_note,
       d.carried_from_version_id, d.carried_from_decision_id,
       v.version_number, v.cycle_id, v.report_id, v.version_status, v.is_latest,
       coalesce(d.origin_decision_id, d.id)                      AS origin_decision_id,
       coalesce(o.recommendation_source, d.recommendation_source) AS origin_source,
       coalesce(o.recommended_by, d.recommended_by)               AS origin_recommended_by
  FROM {{ schema }}.sample_decisions d
  INNER JOIN {{ schema }}.sample_selection_versions v ON d.version_id = v.id
  LEFT JOIN {{ schema }}.sample_decisions o ON d.origin_decision_id = o.id;
COMMENT ON VIEW {{ api_schema }}.sample_decisions IS
    'Every sample decision with its version and the source and recommender of the decision its chain started from.';

-- The decision and each one it was carried from, back to the origin (step 0 = the given one).
CREATE OR REPLACE FUNCTION {{ api_schema }}.sample_lineage(p_decision uuid)
RETURNS TABLE (
    step integer, version_id uuid, version_number integer, decision_id uuid, sample_key text,
    recommendation_source text, recommended_by integer, decision_status text, decided_by integer,
    decided_at timestamptz, decision_note text, sample_data jsonb
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    RETURN QUERY
    WITH RECURSIVE chain AS (
        SELECT 0 AS step, d.* FROM {{ schema }}.sample_decisions d WHERE d.id = p_decision
        UNION ALL
        SELECT c.step + 1, d.* FROM chain c JOIN {{ schema }}.sample_decisions d ON d.id = c.carried_from_decision_id
    )
    SELECT c.step, c.version_id, v.version_number, c.id, c.sample_key, c.recommendation_source::text,
           c.recommended_by, c.decision_status::text, c.decided_by, c.decided_at, c.decision_note, c.sample_data
      FROM chain c JOIN {{ schema }}.sample_selection_versions v ON v.id = c.version_id
     ORDER BY c.step;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_decision',
            MESSAGE = format('sample decision %s does not exist', coalesce(p_decision::text, 'null')),
            HINT = 'Pass the id of a row of the sample_decisions view.';
    END IF;
END
$fn$;

{% include 'include/api_grants.sql' -%}
