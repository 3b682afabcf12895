-- Phase data contracts: a small JSON-Schema subset held as data in
-- workflow_phases.data_contract:
--   {"required": ["key", ...], "properties": {"key": {"type": "<type>"}, ...}}
-- with <type> one of string, number, integer, boolean, array, object.
-- Keys not in "properties" are allowed. Types are checked on every write,
-- required keys whenever the phase is completed.

-- What is wrong with a contract, one text per problem; null when it is valid.
CREATE OR REPLACE FUNCTION {{ schema }}._contract_problems(p_contract jsonb) RETURNS text[]
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_problems text[] := '{}'::text[];
BEGIN
    IF jsonb_typeof(p_contract) IS DISTINCT FROM 'object' THEN
        RETURN ARRAY['the contract is not a JSON object'];
    END IF;
    v_problems := v_problems || ARRAY(
        SELECT format('unknown contract key "%s" (allowed: required, properties)', k)
          FROM jsonb_object_keys(p_contract) AS k WHERE k NOT IN ('required', 'properties') ORDER BY k);
    IF p_contract ? 'required' THEN
        IF jsonb_typeof(p_contract -> 'required') <> 'array' THEN
            v_problems := v_problems || '"required" is not an array'::text;
        ELSE
            v_problems := v_problems || ARRAY(
                SELECT format('"required" holds %s, not a key name', r)
                  FROM jsonb_array_elements(p_contract -> 'required') AS r WHERE jsonb_typeof(r) <> 'string');
        END IF;
    END IF;
    IF p_contract ? 'properties' THEN
        IF jsonb_typeof(p_contract -> 'properties') <> 'object' THEN
            v_problems := v_problems || '"properties" is not an object'::text;
        ELSE
            v_problems := v_problems || ARRAY(
                SELECT format('property "%s" needs {"type": one of string, number, integer, boolean, array, object}, has %s', p.key, p.value)
                  FROM jsonb_each(p_contract -> 'properties') AS p
                 WHERE jsonb_typeof(p.value) <> 'object'
                    OR jsonb_typeof(p.value -> 'type') IS DISTINCT FROM 'string'
                    OR (p.value ->> 'type') NOT IN ('string', 'number', 'integer', 'boolean', 'array', 'object')
                 ORDER BY p.key);
        END IF;
    END IF;
    RETURN nullif(v_problems, '{}');
END
$fn$;

-- What in p_data breaks p_contract, one text per offending key, in key
-- order; null when nothing does. p_completing adds the required keys.
CREATE OR REPLACE FUNCTION {{ schema }}._phase_data_problems(p_contract jsonb, p_data jsonb, p_completing boolean) RETURNS text[]
LANGUAGE sql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
    SELECT array_agg(problem ORDER BY key, problem)
      FROM (SELECT p.key, format('"%s" must be %s, is %s', p.key, p.value ->> 'type', jsonb_typeof(d.value)) AS problem
              FROM jsonb_each(coalesce(p_contract -> 'properties', '{}')) AS p
              JOIN jsonb_each(p_data) AS d ON d.key = p.key
             WHERE NOT CASE p.value ->> 'type'
                       WHEN 'integer' THEN jsonb_typeof(d.value) = 'number' AND d.value::numeric = trunc(d.value::numeric)
                       ELSE jsonb_typeof(d.value) = p.value ->> 'type' END
            UNION ALL
            SELECT r, format('"%s" is required', r)
              FROM jsonb_array_elements_text(coalesce(p_contract -> 'required', '[]')) AS r
             WHERE p_completing AND coalesce(jsonb_typeof(p_data -> r), 'null') = 'null') AS x;
$fn$;

CREATE OR REPLACE FUNCTION {{ schema }}._workflow_phases_contract_check() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_problems text[] := {{ schema }}._contract_problems(NEW.data_contract);
BEGIN
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'invalid_parameter_value', CONSTRAINT = 'phase_contract_malformed',
            MESSAGE = format('the data contract of phase "%s" is malformed', NEW.phase_name),
            DETAIL = left(array_to_string(v_problems, '; '), 500),
            HINT = 'A contract is {"required": [keys], "properties": {key: {"type": string|number|integer|boolean|array|object}}}.';
    END IF;
    RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER _200_contract_check BEFORE INSERT OR UPDATE ON {{ schema }}.workflow_phases
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._workflow_phases_contract_check();

-- Runs after the engine's _100_version_* triggers (names fix the order).
CREATE OR REPLACE FUNCTION {{ schema }}._workflow_phase_data_phase_contract() RETURNS trigger
LANGUAGE plpgsql SET search_path TO pg_catalog, pg_temp AS $fn$
DECLARE
    v_contract jsonb;
    v_problems text[];
    v_checked  jsonb := NEW.phase_data;
BEGIN
    IF {{ schema }}._backfilling() THEN
        RETURN NEW;  -- legacy payloads go in as they were; verify reports what breaks a contract
    END IF;
    -- A new version without data starts from its parent's (start_phase).
    -- Here, after the engine's trigger, the parent is the latest version as
    -- read under the key lock, so no version closed meanwhile is skipped.
    -- Finding 4 (issue 12): the parent's data was checked against the
    -- contract of its day. If the contract changed since, the copy may break
    -- it; refusing the copy would block the phase for good, so the new draft
    -- starts with it unchecked and every key is checked as it is saved, and
    -- all of them when the phase is completed.
    IF TG_OP = 'INSERT' AND NEW.phase_data IS NULL THEN
        NEW.phase_data := coalesce((SELECT p.phase_data FROM {{ schema }}.workflow_phase_data p WHERE p.id = NEW.parent_version_id), '{}');
        v_checked := '{}';
    END IF;
    PERFORM {{ schema }}._check_json_size(NEW.phase_data, format('the data of phase %s', quote_literal(NEW.phase_name)));
    IF TG_OP = 'UPDATE' THEN
        IF NEW.phase_data IS NOT DISTINCT FROM OLD.phase_data AND NEW.phase_status = OLD.phase_status THEN
            RETURN NEW;  -- a status change of the version: the data was checked when written
        END IF;
        -- A phase moves forward only: not_started -> in_progress -> completed.
        IF NEW.phase_status < OLD.phase_status THEN
            RAISE EXCEPTION USING
                ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'phase_status_forward',
                MESSAGE = format('phase "%s" version %s cannot go back from %s to %s',
                                 NEW.phase_name, NEW.version_number, OLD.phase_status, NEW.phase_status),
                DETAIL = format('cycle_id=%s, report_id=%s, id=%s', NEW.cycle_id, NEW.report_id, NEW.id),
                HINT = 'Start a new version of the phase (start_phase) to rework it.';
        END IF;
    END IF;
    -- A save checks the keys it sets; completing checks them all.
    IF TG_OP = 'UPDATE' AND NEW.phase_status <> 'completed' THEN
        SELECT coalesce(jsonb_object_agg(n.key, n.value), '{}') INTO v_checked
          FROM jsonb_each(NEW.phase_data) AS n
         WHERE (OLD.phase_data -> n.key) IS DISTINCT FROM n.value;
    END IF;
    SELECT data_contract INTO v_contract FROM {{ schema }}.workflow_phases WHERE phase_name = NEW.phase_name;
    v_problems := {{ schema }}._phase_data_problems(v_contract, v_checked, NEW.phase_status = 'completed');
    IF v_problems IS NOT NULL THEN
        RAISE EXCEPTION USING
            ERRCODE = 'check_violation', CONSTRAINT = 'phase_contract',
            MESSAGE = format('data of phase "%s" breaks its contract in %s place(s)', NEW.phase_name, cardinality(v_problems)),
            DETAIL = left(array_to_string(v_problems, '; '), 500),
            HINT = format('The contract of "%s": %s', NEW.phase_name, left(v_contract::text, 500));
    END IF;
    RETURN NEW;
END
$fn$;
CREATE OR REPLACE TRIGGER _200_phase_contract BEFORE INSERT OR UPDATE ON {{ schema }}.workflow_phase_data
    FOR EACH ROW EXECUTE FUNCTION {{ schema }}._workflow_phase_data_phase_contract();

-- before_submit hook of phase_data (phaseline.toml): only completed work goes to review.
CREATE OR REPLACE FUNCTION {{ schema }}._phase_data_before_submit(p_version {{ schema }}.workflow_phase_data) RETURNS void
LANGUAGE plpgsql IMMUTABLE SET search_path TO pg_catalog, pg_temp AS $fn$
BEGIN
    IF p_version.phase_status <> 'completed' THEN
        RAISE EXCEPTION USING
            ERRCODE = 'object_not_in_prerequisite_state', CONSTRAINT = 'phase_not_completed',
            MESSAGE = format('phase "%s" version %s is %s: only a completed phase is submitted for approval',
                             p_version.phase_name, p_version.version_number, p_version.phase_status),
            DETAIL = format('cycle_id=%s, report_id=%s, id=%s', p_version.cycle_id, p_version.report_id, p_version.id),
            HINT = 'Complete it first (complete_phase).';
    END IF;
END
$fn$;
