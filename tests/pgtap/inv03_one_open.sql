-- Invariant 3: at most one open (draft or pending_approval) version per key.
-- A second one is refused through the API and through a direct INSERT, with
-- 55000 open_version_exists, and nothing is written; once the latest is
-- rejected or approved, a new version may start.
BEGIN;
SELECT plan(16);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;
CREATE FUNCTION pg_temp.n_versions(p_table regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_n bigint;
BEGIN EXECUTE format('SELECT count(*) FROM %s', p_table) INTO v_n; RETURN v_n; END $$;

-- Report attributes: a draft blocks a second version, so does a pending one.
INSERT INTO v SELECT 'a1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{}', tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{}', %s)$$, cycle, report, owner),
    '55000', 'open_version_exists', 'a second version of an attribute is refused while the first is a draft') FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a1'), tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{}', %s)$$, cycle, report, tester),
    '55000', 'open_version_exists', 'a second version of an attribute is refused while the first is pending') FROM w;
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (%L, %L, 'balance')$$, cycle, report),
    '55000', 'open_version_exists', 'a direct INSERT of a second open attribute version is refused') FROM w;
SELECT is(pg_temp.n_versions('phaseline.report_attributes'), 1::bigint, 'the refused attempts wrote no version');
SELECT is((SELECT version_status::text FROM phaseline.report_attributes WHERE id = pg_temp.v('a1')), 'pending_approval',
    'the open version is untouched by the refused attempts');
SELECT is((SELECT is_latest FROM phaseline.report_attributes WHERE id = pg_temp.v('a1')), true,
    'the refused attempts did not take the latest flag off the open version');

SELECT phaseline_api.reject_version(pg_temp.v('a1'), owner, 'no') FROM w;
SELECT lives_ok(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{"v": 2}', %s)$$, cycle, report, tester),
    'a rejected latest version lets a new one start') FROM w;
INSERT INTO v SELECT 'a2', id FROM phaseline.report_attributes WHERE version_number = 2;
SELECT phaseline_api.submit_version(pg_temp.v('a2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('a2'), owner) FROM w;
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
SELECT lives_ok(format($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (%L, %L, 'balance')$$, cycle, report),
    'an approved latest version lets a new one start, also by direct INSERT') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE version_status IN ('draft', 'pending_approval')), 1,
    'after three versions one is open');

-- A withdrawn version is a draft again: still open.
INSERT INTO v SELECT 'a3', id FROM phaseline.report_attributes WHERE version_number = 3;
SELECT phaseline_api.submit_version(pg_temp.v('a3'), tester) FROM w;
SELECT phaseline_api.withdraw_version(pg_temp.v('a3'), tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.propose_report_attribute(%L, %L, 'balance', '{}', %s)$$, cycle, report, tester),
    '55000', 'open_version_exists', 'a withdrawn version still blocks a new one') FROM w;

-- Sample selections and phase data: the same rule from the same engine.
INSERT INTO v SELECT 's1', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT test.throws_rule(format('SELECT phaseline_api.start_sample_selection(%L, %L, %s)', cycle, report, tester),
    '55000', 'open_version_exists', 'a second open sample selection is refused') FROM w;
SELECT set_config('phaseline.actor', tester::text, true) FROM w;
SELECT test.throws_rule(format('INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id) VALUES (%L, %L)', cycle, report),
    '55000', 'open_version_exists', 'a direct INSERT of a second open sample selection is refused') FROM w;
SELECT is(pg_temp.n_versions('phaseline.sample_selection_versions'), 1::bigint, 'no second sample selection was written');

INSERT INTO v SELECT 'p1', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT test.throws_rule(format($$SELECT phaseline_api.start_phase(%L, %L, 'scoping', %s)$$, cycle, report, tester),
    '55000', 'open_version_exists', 'a second open version of a phase is refused') FROM w;
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
SELECT test.throws_rule(format($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at) VALUES (%L, %L, 'scoping', now())$$, cycle, report),
    '55000', 'open_version_exists', 'a direct INSERT of a second open phase version is refused') FROM w;
SELECT is(pg_temp.n_versions('phaseline.workflow_phase_data'), 1::bigint, 'no second phase version was written');

SELECT * FROM finish();
ROLLBACK;
