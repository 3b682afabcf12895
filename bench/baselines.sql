-- The baselines phaseline is measured against, and the server-side loops
-- that drive both sides. Applied by bench/run.py after phaseline is
-- deployed into the scratch database; never part of the product.
--
-- The plain tables copy phaseline's columns, defaults, CHECK constraints
-- and indexes (LIKE ... INCLUDING ALL), so each baseline maintains exactly
-- the indexes phaseline does. They have no triggers and so no foreign keys
-- (PostgreSQL checks those with per-row triggers): the floor a careful
-- team would hand-write with no engine at all.

CREATE SCHEMA bench;

CREATE TABLE bench.attr_plain (LIKE phaseline.report_attributes INCLUDING ALL);
CREATE TABLE bench.artifacts_plain (LIKE phaseline.approved_artifacts INCLUDING ALL);
CREATE TABLE bench.decisions_plain (LIKE phaseline.sample_decisions INCLUDING ALL);

-- Sample payloads for recommend, kept server-side so that neither side
-- pays for shipping megabytes of JSON from the client.
CREATE TABLE bench.payloads (n integer PRIMARY KEY, samples jsonb NOT NULL);

-- ---------------------------------------------------------------------------
-- 1. A new version of an entity whose previous version is closed.
-- One transaction per version (COMMIT in the loop): the engine's advisory
-- lock and triggers run as they do for one API request each.
-- ---------------------------------------------------------------------------

CREATE PROCEDURE bench.propose_api(p_cycle uuid, p_report uuid, p_prefix text, p_n integer, p_actor integer)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..p_n LOOP
        PERFORM phaseline_api.propose_report_attribute(p_cycle, p_report, p_prefix || i,
                                                       '{"data_type": "numeric", "rev": 2}', p_actor);
        COMMIT;
    END LOOP;
END
$$;

-- The hand-written floor: flip the previous latest, insert the next number.
CREATE PROCEDURE bench.propose_plain(p_cycle uuid, p_report uuid, p_prefix text, p_n integer, p_actor integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_prev uuid;
    v_num  integer;
BEGIN
    FOR i IN 1..p_n LOOP
        UPDATE bench.attr_plain SET is_latest = false
         WHERE cycle_id = p_cycle AND report_id = p_report AND attribute_name = p_prefix || i AND is_latest
        RETURNING id, version_number INTO v_prev, v_num;
        INSERT INTO bench.attr_plain (version_number, parent_version_id, created_by, cycle_id, report_id, attribute_name, definition)
        VALUES (coalesce(v_num, 0) + 1, v_prev, p_actor, p_cycle, p_report, p_prefix || i,
                '{"data_type": "numeric", "rev": 2}');
        COMMIT;
    END LOOP;
END
$$;

-- The same change as one UPDATE of a system-versioned table (periods).
CREATE PROCEDURE bench.update_periods(p_cycle uuid, p_report uuid, p_prefix text, p_n integer, p_actor integer)
LANGUAGE plpgsql AS $$
BEGIN
    FOR i IN 1..p_n LOOP
        UPDATE bench_periods.attributes
           SET definition = '{"data_type": "numeric", "rev": 2}', changed_by = p_actor
         WHERE cycle_id = p_cycle AND report_id = p_report AND attribute_name = p_prefix || i;
        COMMIT;
    END LOOP;
END
$$;

-- The whole life of a version: propose, submit, approve (which supersedes
-- the previously approved version and its artifact). Three transactions,
-- as three requests would be.
CREATE PROCEDURE bench.lifecycle_api(p_cycle uuid, p_report uuid, p_prefix text, p_n integer, p_tester integer, p_owner integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_id uuid;
BEGIN
    FOR i IN 1..p_n LOOP
        v_id := phaseline_api.propose_report_attribute(p_cycle, p_report, p_prefix || i,
                                                       '{"data_type": "numeric", "rev": 2}', p_tester);
        COMMIT;
        PERFORM phaseline_api.submit_version(v_id, p_tester);
        COMMIT;
        PERFORM phaseline_api.approve_version(v_id, p_owner);
        COMMIT;
    END LOOP;
END
$$;

CREATE PROCEDURE bench.lifecycle_plain(p_cycle uuid, p_report uuid, p_prefix text, p_n integer, p_tester integer, p_owner integer)
LANGUAGE plpgsql AS $$
DECLARE
    v_prev uuid;
    v_num  integer;
    v_id   uuid;
BEGIN
    FOR i IN 1..p_n LOOP
        UPDATE bench.attr_plain SET is_latest = false
         WHERE cycle_id = p_cycle AND report_id = p_report AND attribute_name = p_prefix || i AND is_latest
        RETURNING id, version_number INTO v_prev, v_num;
        INSERT INTO bench.attr_plain (version_number, parent_version_id, created_by, cycle_id, report_id, attribute_name, definition)
        VALUES (coalesce(v_num, 0) + 1, v_prev, p_tester, p_cycle, p_report, p_prefix || i,
                '{"data_type": "numeric", "rev": 2}')
        RETURNING id, version_number INTO v_id, v_num;
        COMMIT;
        UPDATE bench.attr_plain SET version_status = 'pending_approval', submitted_at = now(), submitted_by = p_tester
         WHERE id = v_id;
        COMMIT;
        UPDATE bench.attr_plain SET version_status = 'superseded'
         WHERE cycle_id = p_cycle AND report_id = p_report AND attribute_name = p_prefix || i AND version_status = 'approved';
        UPDATE bench.attr_plain SET version_status = 'approved', reviewed_at = now(), reviewed_by = p_owner
         WHERE id = v_id;
        UPDATE bench.artifacts_plain SET superseded_at = now()
         WHERE cycle_id = p_cycle AND report_id = p_report AND artifact_type = 'attribute'
           AND artifact_key = p_prefix || i AND superseded_at IS NULL;
        INSERT INTO bench.artifacts_plain (cycle_id, report_id, phase_name, artifact_type, artifact_key,
                                           reference_table, reference_id, reference_version, approved_by)
        VALUES (p_cycle, p_report, 'scoping', 'attribute', p_prefix || i, 'report_attributes', v_id, v_num, p_owner);
        COMMIT;
    END LOOP;
END
$$;

-- ---------------------------------------------------------------------------
-- 5. Point look-ups, p_n of them over the given keys, cycling.
--
-- Every loop here and in 6 and 9 reads its keys into plain variables first,
-- so the measured statement gets them as parameters, as from a client. Read
-- inside the statement (p_names[i % v_k + 1]), each key is an expression
-- the executor builds and evaluates per execution: the side with more keys
-- paid more for the harness, not for its look-up (two keys from arrays
-- against the primary key's one in 5; the legacy join of 6, inlined,
-- fourteen times).
-- ---------------------------------------------------------------------------

CREATE FUNCTION bench.lookup_latest(p_cycle uuid, p_reports uuid[], p_names text[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_found bigint := 0;
    v_row   phaseline.report_attributes;
    v_k     integer := cardinality(p_names);
    v_rep   uuid;
    v_name  text;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_rep := p_reports[i % v_k + 1];
        v_name := p_names[i % v_k + 1];
        SELECT * INTO v_row FROM phaseline.report_attributes
         WHERE cycle_id = p_cycle AND report_id = v_rep AND attribute_name = v_name AND is_latest;
        v_found := v_found + (v_row.id IS NOT NULL)::integer;
    END LOOP;
    RETURN v_found;
END
$$;

CREATE FUNCTION bench.lookup_approved(p_cycle uuid, p_reports uuid[], p_names text[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_found bigint := 0;
    v_row   phaseline.report_attributes;
    v_k     integer := cardinality(p_names);
    v_rep   uuid;
    v_name  text;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_rep := p_reports[i % v_k + 1];
        v_name := p_names[i % v_k + 1];
        SELECT * INTO v_row FROM phaseline.report_attributes
         WHERE cycle_id = p_cycle AND report_id = v_rep AND attribute_name = v_name AND version_status = 'approved';
        v_found := v_found + (v_row.id IS NOT NULL)::integer;
    END LOOP;
    RETURN v_found;
END
$$;

-- Through the API: the registry of approved artifacts.
CREATE FUNCTION bench.lookup_approved_artifact(p_cycle uuid, p_reports uuid[], p_names text[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_found bigint := 0;
    v_id    uuid;
    v_k     integer := cardinality(p_names);
    v_rep   uuid;
    v_name  text;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_rep := p_reports[i % v_k + 1];
        v_name := p_names[i % v_k + 1];
        SELECT a.reference_id INTO v_id FROM phaseline_api.approved_artifact(p_cycle, v_rep, 'attribute', v_name) AS a;
        v_found := v_found + (v_id IS NOT NULL)::integer;
    END LOOP;
    RETURN v_found;
END
$$;

CREATE FUNCTION bench.lookup_pk(p_ids uuid[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_found bigint := 0;
    v_row   phaseline.report_attributes;
    v_k     integer := cardinality(p_ids);
    v_id    uuid;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_id := p_ids[i % v_k + 1];
        SELECT * INTO v_row FROM phaseline.report_attributes WHERE id = v_id;
        v_found := v_found + (v_row.id IS NOT NULL)::integer;
    END LOOP;
    RETURN v_found;
END
$$;

-- ---------------------------------------------------------------------------
-- 6. Phase overview of one cycle and report, p_n times over the given pairs.
-- ---------------------------------------------------------------------------

CREATE FUNCTION bench.overview_api(p_cycles uuid[], p_reports uuid[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint := 0;
    v_k    integer := cardinality(p_cycles);
    v_c    bigint;
    v_cyc  uuid;
    v_rep  uuid;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_cyc := p_cycles[i % v_k + 1];
        v_rep := p_reports[i % v_k + 1];
        SELECT count(*) INTO v_c FROM phaseline_api.phase_overview(v_cyc, v_rep);
        v_rows := v_rows + v_c;
    END LOOP;
    RETURN v_rows;
END
$$;

-- The legacy report page: one row, each phase's status and times side by side.
CREATE FUNCTION bench.overview_legacy_query(p_cycle uuid, p_report uuid)
RETURNS TABLE (dp_status text, dp_started timestamptz, dp_completed timestamptz,
               sc_status text, sc_started timestamptz, sc_completed timestamptz,
               ss_status text, ss_started timestamptz, ss_completed timestamptz,
               ri_status text, ri_started timestamptz, ri_completed timestamptz,
               te_status text, te_started timestamptz, te_completed timestamptz,
               om_status text, om_started timestamptz, om_completed timestamptz,
               tr_status text, tr_started timestamptz, tr_completed timestamptz)
LANGUAGE sql STABLE AS $$
    SELECT dp.status, dp.started_at, dp.completed_at, sc.status, sc.started_at, sc.completed_at,
           ss.status, ss.started_at, ss.completed_at, ri.status, ri.started_at, ri.completed_at,
           te.status, te.started_at, te.completed_at, om.status, om.started_at, om.completed_at,
           tr.status, tr.started_at, tr.completed_at
      FROM (SELECT p_cycle AS cycle_id, p_report AS report_id) k
      LEFT JOIN legacy.data_profiling_phases dp         ON dp.cycle_id = k.cycle_id AND dp.report_id = k.report_id
      LEFT JOIN legacy.scoping_phases sc                ON sc.cycle_id = k.cycle_id AND sc.report_id = k.report_id
      LEFT JOIN legacy.sample_selection_phases ss       ON ss.cycle_id = k.cycle_id AND ss.report_id = k.report_id
      LEFT JOIN legacy.request_info_phases ri           ON ri.cycle_id = k.cycle_id AND ri.report_id = k.report_id
      LEFT JOIN legacy.test_execution_phases te         ON te.cycle_id = k.cycle_id AND te.report_id = k.report_id
      LEFT JOIN legacy.observation_management_phases om ON om.cycle_id = k.cycle_id AND om.report_id = k.report_id
      LEFT JOIN legacy.test_report_phases tr            ON tr.cycle_id = k.cycle_id AND tr.report_id = k.report_id
$$;

-- The legacy join called the same way the API is: a set-returning function
-- per look-up, so both sides pay one function call per overview.
CREATE FUNCTION bench.overview_legacy(p_cycles uuid[], p_reports uuid[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint := 0;
    v_k    integer := cardinality(p_cycles);
    v_c    bigint;
    v_cyc  uuid;
    v_rep  uuid;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_cyc := p_cycles[i % v_k + 1];
        v_rep := p_reports[i % v_k + 1];
        SELECT count(*) INTO v_c FROM bench.overview_legacy_query(v_cyc, v_rep);
        v_rows := v_rows + v_c;
    END LOOP;
    RETURN v_rows;
END
$$;

-- ---------------------------------------------------------------------------
-- 8. Decisions for decide_samples, kept server-side like the samples of 4.
-- ---------------------------------------------------------------------------
CREATE TABLE bench.decide_payloads (n integer PRIMARY KEY, decisions jsonb NOT NULL);

-- ---------------------------------------------------------------------------
-- 9. audit_trail: rows with a history, and a loop of calls over them.
-- ---------------------------------------------------------------------------

-- p_k report attributes through their life (propose, edit, submit, approve),
-- and a sample selection of 1,000 samples recommended, decided and approved;
-- returns the attribute versions and p_k of the decisions.
CREATE FUNCTION bench.trail_probes(p_cycle uuid, p_report uuid, p_tester integer, p_owner integer, p_k integer)
RETURNS SETOF uuid LANGUAGE plpgsql AS $$
DECLARE
    v_id  uuid;
    v_sel uuid;
BEGIN
    FOR i IN 1..p_k LOOP
        v_id := phaseline_api.propose_report_attribute(p_cycle, p_report, 'trail ' || i, '{"data_type": "numeric", "rev": 1}', p_tester);
        PERFORM phaseline_api.update_report_attribute(v_id, '{"data_type": "numeric", "rev": 2}', p_tester);
        PERFORM phaseline_api.submit_version(v_id, p_tester);
        PERFORM phaseline_api.approve_version(v_id, p_owner);
        RETURN NEXT v_id;
    END LOOP;
    v_sel := phaseline_api.start_sample_selection(p_cycle, p_report, p_tester);
    PERFORM phaseline_api.recommend_samples(v_sel,
        (SELECT jsonb_agg(jsonb_build_object('sample_key', 'T' || i, 'data', jsonb_build_object('n', i))) FROM generate_series(1, 1000) i),
        'tester', p_tester);
    PERFORM phaseline_api.submit_version(v_sel, p_tester);
    PERFORM phaseline_api.decide_samples(v_sel,
        (SELECT jsonb_agg(jsonb_build_object('sample_key', 'T' || i, 'status', 'approved')) FROM generate_series(1, 1000) i),
        p_owner);
    PERFORM phaseline_api.approve_version(v_sel, p_owner);
    RETURN QUERY SELECT id FROM phaseline.sample_decisions WHERE version_id = v_sel ORDER BY sample_key LIMIT p_k;
END
$$;

-- p_n calls of audit_trail over the given rows; the number of entries returned.
CREATE FUNCTION bench.trail_loop(p_ids uuid[], p_n integer) RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_rows bigint := 0;
    v_k    integer := cardinality(p_ids);
    v_c    bigint;
    v_id   uuid;
BEGIN
    FOR i IN 0..p_n - 1 LOOP
        v_id := p_ids[i % v_k + 1];
        SELECT count(*) INTO v_c FROM phaseline_api.audit_trail(v_id);
        v_rows := v_rows + v_c;
    END LOOP;
    RETURN v_rows;
END
$$;
