-- Invariant 1: per version key, version_number runs 1..n with no gap or
-- repeat, each version's parent is the one before it, and the engine alone
-- sets the number: a direct INSERT that brings its own number, latest flag or
-- status is refused. Every versioned table gets the same numbering.
-- phaseline: direct-writes
BEGIN;
SELECT plan(20);

SELECT test.world();

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
SELECT test.remember('bal1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('bal1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('bal1'), test.id('owner'), 'too vague');
SELECT test.remember('bal2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"type": "numeric"}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('bal2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('bal2'), test.id('owner'));
SELECT test.remember('bal3', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"type": "money"}', test.id('tester')));
SELECT test.remember('rate1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'rate', '{}', test.id('tester')));

SELECT results_eq(
    $$SELECT version_number FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY version_number$$,
    ARRAY[1, 2, 3],
    'the versions of one attribute are numbered 1, 2, 3 whatever their outcome');
SELECT ok(pg_temp.chain_ok('phaseline.report_attributes', $$attribute_name = 'balance'$$),
    'each attribute version points at the version numbered one below it');
SELECT is((SELECT version_number FROM phaseline.report_attributes WHERE id = test.uid('rate1')), 1,
    'another attribute of the same report is a key of its own and starts at 1');

-- A direct INSERT, with the actor set, is numbered by the engine too.
SELECT phaseline_api.submit_version(test.uid('bal3'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('bal3'), test.id('owner'), 'no');
SELECT test.act('tester');
WITH i AS (INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name)
           SELECT test.uid('cycle'), test.uid('report'), 'balance' RETURNING id)
SELECT test.remember('bal4', id) FROM i;
SELECT is((SELECT version_number FROM phaseline.report_attributes WHERE id = test.uid('bal4')), 4,
    'a direct INSERT gets the next number, 4');
SELECT ok(pg_temp.chain_ok('phaseline.report_attributes', $$attribute_name = 'balance'$$),
    'the direct INSERT continues the parent chain');

-- Direct INSERTs that try to set what the engine sets, on a fresh key so only the shape is wrong.
SELECT phaseline_api.submit_version(test.uid('rate1'), test.id('tester'));
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_number)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', 7)$$,
    '55000', 'engine_managed', 'a direct INSERT with its own version_number is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_number)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', 1)$$,
    '55000', 'engine_managed', 'a direct INSERT refuses even the number the engine would pick');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, is_latest)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', false)$$,
    '55000', 'engine_managed', 'a direct INSERT with is_latest = false is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_status)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', 'approved')$$,
    '55000', 'engine_managed', 'a direct INSERT of an approved version is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, version_status)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', 'pending_approval')$$,
    '55000', 'engine_managed', 'a direct INSERT of a pending version is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name, parent_version_id)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'fresh', test.uid('rate1'))$$,
    '55000', 'engine_managed', 'a direct INSERT that names its own parent is refused');
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE attribute_name = 'fresh'), 0,
    'none of the refused INSERTs wrote a version');

-- Sample selections: the same numbering from the same engine.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('s1'), test.id('owner'), 'pick more');
SELECT test.remember('s2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s2'), test.id('owner'));
SELECT test.remember('s3', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT results_eq(
    $$SELECT version_number FROM phaseline.sample_selection_versions WHERE report_id = test.uid('report') ORDER BY version_number$$,
    ARRAY[1, 2, 3], 'sample selection versions are numbered 1, 2, 3');
SELECT ok(pg_temp.chain_ok('phaseline.sample_selection_versions', $$report_id = test.uid('report')$$),
    'each sample selection version points at the one below it');
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id, version_number)
                                 VALUES (test.uid('cycle'), test.uid('report'), 4)$$,
    '55000', 'engine_managed', 'a direct INSERT of a numbered sample selection version is refused');

-- Phase data: the same again; a phase version is submitted only once completed.
SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('p1'), '{"attributes_scoped": 3}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('p1'), test.id('owner'), 'scope more');
SELECT test.remember('p2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.complete_phase(test.uid('p2'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('p2'), test.id('owner'));
SELECT test.remember('p3', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT test.remember('q1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester')));
SELECT results_eq(
    $$SELECT version_number FROM phaseline.workflow_phase_data WHERE phase_name = 'scoping' ORDER BY version_number$$,
    ARRAY[1, 2, 3], 'phase data versions of one phase are numbered 1, 2, 3');
SELECT ok(pg_temp.chain_ok('phaseline.workflow_phase_data', $$phase_name = 'scoping'$$),
    'each phase data version points at the one below it');
SELECT is((SELECT version_number FROM phaseline.workflow_phase_data WHERE id = test.uid('q1')), 1,
    'another phase of the same report starts at 1');
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at, version_number)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'request_info', now(), 1)$$,
    '55000', 'engine_managed', 'a direct INSERT of a numbered phase data version is refused');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at, is_latest)
                                 VALUES (test.uid('cycle'), test.uid('report'), 'request_info', now(), false)$$,
    '55000', 'engine_managed', 'a direct INSERT of a phase data version that is not latest is refused');

SELECT * FROM finish();
ROLLBACK;
