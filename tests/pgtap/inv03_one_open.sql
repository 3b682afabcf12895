-- Invariant 3: at most one open (draft or pending_approval) version per key.
-- A second one is refused through the API and through a direct INSERT, with
-- 55000 open_version_exists, and nothing is written; once the latest is
-- rejected or approved, a new version may start.
-- phaseline: direct-writes
BEGIN;
SELECT plan(16);

SELECT test.world();

CREATE FUNCTION pg_temp.n_versions(p_table regclass) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE v_n bigint;
BEGIN EXECUTE format('SELECT count(*) FROM %s', p_table) INTO v_n; RETURN v_n; END $$;

-- Report attributes: a draft blocks a second version, so does a pending one.
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester')));
SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('owner'))$$,
    '55000', 'open_version_exists', 'a second version of an attribute is refused while the first is a draft');
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))$$,
    '55000', 'open_version_exists', 'a second version of an attribute is refused while the first is pending');
SELECT test.act('owner');
SELECT test.throws_rule($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (test.uid('cycle'), test.uid('report'), 'balance')$$,
    '55000', 'open_version_exists', 'a direct INSERT of a second open attribute version is refused');
SELECT is(pg_temp.n_versions('phaseline.report_attributes'), 1::bigint, 'the refused attempts wrote no version');
SELECT is((SELECT version_status::text FROM phaseline.report_attributes WHERE id = test.uid('a1')), 'pending_approval',
    'the open version is untouched by the refused attempts');
SELECT is((SELECT is_latest FROM phaseline.report_attributes WHERE id = test.uid('a1')), true,
    'the refused attempts did not take the latest flag off the open version');

SELECT phaseline_api.reject_version(test.uid('a1'), test.id('owner'), 'no');
SELECT lives_ok($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 2}', test.id('tester'))$$,
    'a rejected latest version lets a new one start');
SELECT test.remember('a2', (SELECT id FROM phaseline.report_attributes WHERE version_number = 2));
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('a2'), test.id('owner'));
SELECT test.act('tester');
SELECT lives_ok($$INSERT INTO phaseline.report_attributes (cycle_id, report_id, attribute_name) VALUES (test.uid('cycle'), test.uid('report'), 'balance')$$,
    'an approved latest version lets a new one start, also by direct INSERT');
SELECT is((SELECT count(*)::int FROM phaseline.report_attributes WHERE version_status IN ('draft', 'pending_approval')), 1,
    'after three versions one is open');

-- A withdrawn version is a draft again: still open.
SELECT test.remember('a3', (SELECT id FROM phaseline.report_attributes WHERE version_number = 3));
SELECT phaseline_api.submit_version(test.uid('a3'), test.id('tester'));
SELECT phaseline_api.withdraw_version(test.uid('a3'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{}', test.id('tester'))$$,
    '55000', 'open_version_exists', 'a withdrawn version still blocks a new one');

-- Sample selections and phase data: the same rule from the same engine.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT test.throws_rule($$SELECT phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester'))$$,
    '55000', 'open_version_exists', 'a second open sample selection is refused');
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_selection_versions (cycle_id, report_id) VALUES (test.uid('cycle'), test.uid('report'))$$,
    '55000', 'open_version_exists', 'a direct INSERT of a second open sample selection is refused');
SELECT is(pg_temp.n_versions('phaseline.sample_selection_versions'), 1::bigint, 'no second sample selection was written');

SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester'))$$,
    '55000', 'open_version_exists', 'a second open version of a phase is refused');
SELECT test.act('owner');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at) VALUES (test.uid('cycle'), test.uid('report'), 'scoping', now())$$,
    '55000', 'open_version_exists', 'a direct INSERT of a second open phase version is refused');
SELECT is(pg_temp.n_versions('phaseline.workflow_phase_data'), 1::bigint, 'no second phase version was written');

SELECT * FROM finish();
ROLLBACK;
