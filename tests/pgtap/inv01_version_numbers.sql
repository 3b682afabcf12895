-- Invariant 1: per version key, version_number runs 1..n with no gap or
-- repeat, each version's parent is the one before it, and the engine alone
-- sets the number: a direct INSERT that brings its own number, latest flag or
-- status is refused. Every versioned table gets the same numbering.
BEGIN;
SELECT plan(20);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
-- The shape that numbering must have for one key: 1..n, each parent the previous number.
CREATE FUNCTION pg_temp.chain_ok(p_table regclass, p_where text) RETURNS boolean LANGUAGE plpgsql AS $$
DECLARE v_ok boolean;
BEGIN
    EXECUTE format($q$
        SELECT coalesce(bool_and(t.version_number = x.rn AND (x.rn = 1) = (t.parent_version_id IS NULL)
                                 AND (x.rn = 1 OR p.version_number = x.rn - 1)), false)
          FROM (SELECT id, row_number() OVER (ORDER BY version_number) AS rn FROM %s WHERE %s) x
          JOIN %s t ON t.id = x.id
          LEFT JOIN %s p ON p.id = t.parent_version_id$q$, p_table, p_where, p_table, p_table) INTO v_ok;
    RETURN v_ok;
END $$;

-- Report attributes: three versions of "balance" (rejected, approved, draft), one of "rate".
INSERT INTO v SELECT 'bal1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('bal1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('bal1'), owner, 'too vague') FROM w;
INSERT INTO v SELECT 'bal2', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"type": "numeric"}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('bal2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('bal2'), owner) FROM w;
INSERT INTO v SELECT 'bal3', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"type": "money"}', tester) FROM w;
INSERT INTO v SELECT 'rate1', phaseline_api.propose_report_attribute(cycle, report, 'rate', '{}', tester) FROM w;

SELECT results_eq(
    $$SELECT version_number FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY version_number$$,
    ARRAY[1, 2, 3],
    'the versions of one attribute are numbered 1, 2, 3 whatever their outcome');
SELECT ok(pg_temp.chain_ok('phaseline.report_attributes', $$attribute_name = 'balance'$$),
    'each attribute version points at the version numbered one below it');
SELECT is((SELECT version_number FROM phaseline.report_attributes WHERE id = pg_temp.v('rate1')), 1,
    'another attribute of the same report is a key of its own and starts at 1');

-- A direct INSERT, with the actor set, is numbered by the engine too.
SELECT phaseline_api.submit_version(pg_temp.v('bal3'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('bal3'), owner, 'no') FROM w;
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name)
           SELECT cycle, report, 'balance' FROM w RETURNING id)
INSERT INTO v SELECT 'bal4', id FROM i;
SELECT is((SELECT version_number FROM phaseline.report_attributes WHERE id = pg_temp.v('bal4')), 4,
    'a direct INSERT gets the next number, 4');
SELECT ok(pg_temp.chain_ok('phaseline.report_attributes', $$attribute_name = 'balance'$$),
    'the direct INSERT continues the parent chain');

-- Direct INSERTs that try to set what the engine sets, on a fresh key so only the shape is wrong.
SELECT phaseline_api.submit_version(pg_temp.v('rate1'), tester) FROM w;
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_number)
                                 VALUES (%L, %L, 'fresh', 7)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT with its own version_number is refused') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_number)
                                 VALUES (%L, %L, 'fresh', 1)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT refuses even the number the engine would pick') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, is_latest)
                                 VALUES (%L, %L, 'fresh', false)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT with is_latest = false is refused') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_status)
                                 VALUES (%L, %L, 'fresh', 'approved')$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT of an approved version is refused') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_status)
                                 VALUES (%L, %L, 'fresh', 'pending_approval')$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT of a pending version is refused') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, parent_version_id)
                                 VALUES (%L, %L, 'fresh', %L)$$, cycle, report, pg_temp.v('rate1')),
    '55000', 'engine_managed', 'a direct INSERT that names its own parent is refused') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE attribute_name = 'fresh'), 0,
    'none of the refused INSERTs wrote a version');

-- Sample selections: the same numbering from the same engine.
INSERT INTO v SELECT 's1', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('s1'), owner, 'pick more') FROM w;
INSERT INTO v SELECT 's2', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('s2'), owner) FROM w;
INSERT INTO v SELECT 's3', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT results_eq(
    format($$SELECT version_number FROM phaseline.sample_selection_versions WHERE report_id = %L ORDER BY version_number$$, report),
    ARRAY[1, 2, 3], 'sample selection versions are numbered 1, 2, 3') FROM w;
SELECT ok(pg_temp.chain_ok('phaseline.sample_selection_versions', format('report_id = %L', report)),
    'each sample selection version points at the one below it') FROM w;
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id, version_number)
                                 VALUES (%L, %L, 4)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT of a numbered sample selection version is refused') FROM w;

-- Phase data: the same again; a phase version is submitted only once completed.
INSERT INTO v SELECT 'p1', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('p1'), '{"attributes_scoped": 3}', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('p1'), owner, 'scope more') FROM w;
INSERT INTO v SELECT 'p2', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('p2'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('p2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('p2'), owner) FROM w;
INSERT INTO v SELECT 'p3', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
INSERT INTO v SELECT 'q1', phaseline_api.start_phase(cycle, report, 'data_profiling', tester) FROM w;
SELECT results_eq(
    $$SELECT version_number FROM phaseline.workflow_phase_data WHERE phase_name = 'scoping' ORDER BY version_number$$,
    ARRAY[1, 2, 3], 'phase data versions of one phase are numbered 1, 2, 3');
SELECT ok(pg_temp.chain_ok('phaseline.workflow_phase_data', $$phase_name = 'scoping'$$),
    'each phase data version points at the one below it');
SELECT is((SELECT version_number FROM phaseline.workflow_phase_data WHERE id = pg_temp.v('q1')), 1,
    'another phase of the same report starts at 1');
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at, version_number)
                                 VALUES (%L, %L, 'request_info', now(), 1)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT of a numbered phase data version is refused') FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at, is_latest)
                                 VALUES (%L, %L, 'request_info', now(), false)$$, cycle, report),
    '55000', 'engine_managed', 'a direct INSERT of a phase data version that is not latest is refused') FROM w;

SELECT * FROM finish();
ROLLBACK;
