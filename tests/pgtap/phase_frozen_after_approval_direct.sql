-- Phase data frozen after approval, under direct writes
-- (phase_frozen_after_approval.sql has the API's side): a direct UPDATE of
-- an approved version's data or times is refused (55000 version_frozen),
-- even for the report owner, and a direct INSERT of a second open version
-- of a key is refused (55000 open_version_exists). Nothing changes.
-- phaseline: direct-writes
BEGIN;
SELECT plan(5);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 12}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'));

SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 99}' WHERE id = test.uid('v1')$$,
    '55000', 'version_frozen', 'a direct UPDATE of the data of an approved version is refused, even for the report owner');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET started_at = started_at - interval '1 day' WHERE id = test.uid('v1')$$,
    '55000', 'version_frozen', 'a direct UPDATE of the times of an approved version is refused');
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = test.uid('v1')), '{"attributes_scoped": 12}'::jsonb,
    'the approved data is as it was approved');

SELECT test.remember('v2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at) SELECT test.uid('cycle'), test.uid('report'), 'scoping', now()$$,
    '55000', 'open_version_exists', 'a direct INSERT of a second open version is refused');
SELECT is((SELECT count(*)::int FROM phaseline.workflow_phase_data WHERE phase_name = 'scoping'), 2, 'the refused INSERT added no version');

SELECT * FROM finish();
ROLLBACK;
