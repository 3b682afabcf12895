-- API: phase data. Every phase lives in workflow_phase_data and is queried
-- the same way; a phase's contract is a row of workflow_phases.

CREATE OR REPLACE FUNCTION {{ schema }}._require_phase(p_phase text) RETURNS void
LANGUAGE plpgsql STABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF NOT EXISTS (SELECT FROM {{ schema }}.workflow_phases WHERE phase_name = p_phase) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_phase',
            MESSAGE = format('phase %s does not exist', coalesce(quote_literal({{ schema }}._prefix(p_phase)), 'null')),
            DETAIL = format('phases: %s', (SELECT string_agg(phase_name, ', ' ORDER BY ordinal) FROM {{ schema }}.workflow_phases)),
            HINT = 'Register new phases with phaseline_api.register_phase.';
    END IF;
END
$fn$;

-- A new draft version, in progress, its data copied from the latest version.
CREATE OR REPLACE FUNCTION {{ api_schema }}.start_phase(p_cycle uuid, p_report uuid, p_phase text, p_actor integer DEFAULT NULL) RETURNS uuid
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_id uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_phase(p_phase);
    PERFORM {{ schema }}._require_assigned(p_actor, p_cycle, p_report, 'start a phase');  -- unknown_cycle_report first
    -- phase_data NULL: the contract trigger copies the parent's data, read
    -- under the engine's key lock (140_phase_data.sql).
    INSERT INTO {{ schema }}.workflow_phase_data (cycle_id, report_id, phase_name, phase_status, phase_data, started_at)
    VALUES (p_cycle, p_report, p_phase, 'in_progress', NULL, now())
    RETURNING id INTO v_id;
    PERFORM {{ schema }}._leave(v_outer);
    RETURN v_id;
END
$fn$;

-- Replace (default) or merge the data of a draft phase version.
-- Replace is the default because it is what a form or a job that owns the
-- whole payload means, and it is idempotent; p_merge => true applies a
-- top-level JSON merge patch (keys given replace, keys given as null are removed).
CREATE OR REPLACE FUNCTION {{ api_schema }}.save_phase_data(p_version uuid, p_data jsonb, p_actor integer DEFAULT NULL, p_merge boolean DEFAULT false) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_cycle  uuid;
    v_report uuid;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    IF jsonb_typeof(p_data) IS DISTINCT FROM 'object' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_data_shape',
            MESSAGE = 'phase data is a JSON object',
            DETAIL = format('got: %s', coalesce({{ schema }}._prefix(left(p_data::text, 41)), 'null')),
            HINT = 'Pass {"key": value, ...} as the contract of the phase describes.';
    END IF;
    IF p_merge IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'argument_required',
            MESSAGE = 'p_merge is null: say whether to replace (false) or merge (true)',
            HINT = 'Omit p_merge to replace the data.';
    END IF;
    PERFORM {{ schema }}._check_json_size(p_data, 'the phase data');
    SELECT cycle_id, report_id INTO v_cycle, v_report FROM {{ schema }}.workflow_phase_data WHERE id = p_version;
    IF v_cycle IS NOT NULL THEN
        PERFORM {{ schema }}._require_assigned(p_actor, v_cycle, v_report, 'save phase data');
    END IF;
    UPDATE {{ schema }}.workflow_phase_data
       SET phase_data = CASE WHEN p_merge
                             THEN (phase_data || p_data) - ARRAY(SELECT k FROM jsonb_each(p_data) AS e(k, v) WHERE v = 'null')
                             ELSE p_data END
     WHERE id = p_version;
    IF NOT FOUND THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('phase data version %s does not exist', coalesce(p_version::text, 'null')),
            HINT = 'Start one with phaseline_api.start_phase.';
    END IF;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

CREATE OR REPLACE FUNCTION {{ api_schema }}.complete_phase(p_version uuid, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_row {{ schema }}.workflow_phase_data;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    SELECT * INTO v_row FROM {{ schema }}.workflow_phase_data WHERE id = p_version FOR UPDATE;
    IF v_row.id IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'no_data_found', CONSTRAINT = 'unknown_version',
            MESSAGE = format('phase data version %s does not exist', coalesce(p_version::text, 'null')),
            HINT = 'Start one with phaseline_api.start_phase.';
    END IF;
    IF v_row.phase_status = 'completed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'phase_status_forward',
            MESSAGE = format('phase "%s" version %s is already completed', v_row.phase_name, v_row.version_number),
            DETAIL = format('completed_at=%s, id=%s', v_row.completed_at, v_row.id);
    END IF;
    -- the contract trigger checks the required keys here
    UPDATE {{ schema }}.workflow_phase_data
       SET phase_status = 'completed', completed_at = now(), started_at = coalesce(started_at, now())
     WHERE id = p_version;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Add a phase, or change the ordinal and contract of one: no DDL needed.
CREATE OR REPLACE FUNCTION {{ api_schema }}.register_phase(p_phase text, p_ordinal integer, p_contract jsonb, p_actor integer DEFAULT NULL) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_outer text;
    v_taken text;
BEGIN
    v_outer := {{ schema }}._enter(p_actor);
    p_actor := {{ schema }}._entered();
    PERFORM {{ schema }}._require_admin(p_actor, 'register phases');
    IF p_phase IS NULL OR NOT {{ schema }}._is_phase_name(p_phase) THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_name_is_plain',
            MESSAGE = format('phase %s: a phase needs a plain name', coalesce(quote_literal({{ schema }}._prefix(p_phase)), 'null')),
            HINT = 'Names are lower case letters, digits and underscores, starting with a letter, at most 63 characters.';
    END IF;
    IF p_ordinal IS NULL OR p_ordinal < 1 THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_ordinal_positive',
            MESSAGE = format('phase %s at ordinal %s: a phase needs a positive ordinal', quote_literal(p_phase), coalesce(p_ordinal::text, 'null')),
            HINT = 'Ordinals count from 1; pick a free one.';
    END IF;
    SELECT phase_name INTO v_taken FROM {{ schema }}.workflow_phases WHERE ordinal = p_ordinal AND phase_name <> p_phase;
    IF v_taken IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_ordinal_taken',
            MESSAGE = format('ordinal %s is taken by phase "%s"', p_ordinal, v_taken),
            DETAIL = format('ordinals in use: %s', (SELECT string_agg(ordinal || '=' || phase_name, ', ' ORDER BY ordinal) FROM {{ schema }}.workflow_phases)),
            HINT = 'Pick a free ordinal.';
    END IF;
    -- Finding 4: a null contract used to become '{}' and wipe the phase's
    -- contract without a word. A contract is always given; '{}' says "none".
    IF p_contract IS NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_contract_malformed',
            MESSAGE = format('phase %s needs a data contract; got null', quote_literal(p_phase)),
            DETAIL = format('its contract now: %s', coalesce((SELECT {{ schema }}._prefix(data_contract::text) FROM {{ schema }}.workflow_phases WHERE phase_name = p_phase), 'none (a new phase)')),
            HINT = 'Pass the contract to keep (or the new one); pass ''{}'' for a phase without one.';
    END IF;
    PERFORM {{ schema }}._check_json_size(p_contract, 'the data contract');
    -- the catalog trigger refuses a malformed contract (22023 phase_contract_malformed)
    INSERT INTO {{ schema }}.workflow_phases (phase_name, ordinal, display_name, data_contract)
    VALUES (p_phase, p_ordinal, initcap(replace(p_phase, '_', ' ')), p_contract)
    ON CONFLICT (phase_name) DO UPDATE SET ordinal = EXCLUDED.ordinal, data_contract = EXCLUDED.data_contract;
    PERFORM {{ schema }}._leave(v_outer);
END
$fn$;

-- Where each phase stands for one cycle and report: one row per catalog
-- phase in order, started or not. Both joins are index probes on the
-- engine's (key) WHERE is_latest and (key) WHERE approved indexes.
CREATE OR REPLACE FUNCTION {{ api_schema }}.phase_overview(p_cycle uuid, p_report uuid)
RETURNS TABLE (
    phase_name text, ordinal integer, display_name text, phase_status text,
    latest_version_id uuid, latest_version_number integer, latest_version_status text,
    approved_version_id uuid, approved_version_number integer, started_at timestamptz, completed_at timestamptz
)
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    -- The pair's existence is a join of the query, not a statement of its
    -- own before it (a sixth of the call): no row means no such pair, and
    -- only then is _require_cycle_report asked, to say so.
    RETURN QUERY
    SELECT p.phase_name, p.ordinal, p.display_name, coalesce(l.phase_status::text, 'not_started'),
           l.id, l.version_number, l.version_status::text,
           a.id, a.version_number, l.started_at, l.completed_at
      FROM {{ schema }}.cycle_reports cr
     CROSS JOIN {{ schema }}.workflow_phases p
      LEFT JOIN {{ schema }}.workflow_phase_data l
             ON l.cycle_id = p_cycle AND l.report_id = p_report AND l.phase_name = p.phase_name AND l.is_latest
      LEFT JOIN {{ schema }}.workflow_phase_data a
             ON a.cycle_id = p_cycle AND a.report_id = p_report AND a.phase_name = p.phase_name AND a.version_status = 'approved'
     WHERE cr.cycle_id = p_cycle AND cr.report_id = p_report
     ORDER BY p.ordinal;
    IF NOT FOUND THEN
        PERFORM {{ schema }}._require_cycle_report(p_cycle, p_report);
    END IF;
END
$fn$;

-- The approved data of every report's phases in a cycle (optionally one phase).
CREATE OR REPLACE FUNCTION {{ api_schema }}.approved_phase_data(p_cycle uuid, p_phase text DEFAULT NULL)
RETURNS TABLE (report_id uuid, phase_name text, version_id uuid, version_number integer, phase_data jsonb,
               approved_at timestamptz, approved_by integer)
LANGUAGE sql STABLE SECURITY DEFINER SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT d.report_id, d.phase_name, d.id, d.version_number, d.phase_data, d.reviewed_at, d.reviewed_by
      FROM {{ schema }}.workflow_phase_data d
     WHERE d.cycle_id = p_cycle AND d.version_status = 'approved'
       AND (p_phase IS NULL OR d.phase_name = p_phase)
     ORDER BY d.report_id, d.phase_name;
$fn$;

{% include 'include/api_grants.sql' -%}
