-- A phase's contract and status rules under direct UPDATEs
-- (phase_required_keys.sql has the API's side): a direct UPDATE to completed
-- is refused while a required key is missing (23514 phase_contract), one
-- submitting a phase in progress is refused (55000 phase_not_completed), and
-- a completed phase never goes back to in_progress or not_started (55000
-- phase_status_forward).
-- phaseline: direct-writes
BEGIN;
SELECT plan(6);
SELECT test.world();
SELECT test.remember('scoping', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('scoping'), '{"scoping_notes": "half way"}', test.id('tester'));

SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'completed', completed_at = now() WHERE id = test.uid('scoping')$$,
    '23514', 'phase_contract', 'a direct UPDATE to completed is refused when a required key is missing');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET version_status = 'pending_approval' WHERE id = test.uid('scoping')$$,
    '55000', 'phase_not_completed', 'a direct UPDATE submitting a phase in progress is refused');
SELECT is((SELECT phase_status::text || '/' || version_status::text FROM phaseline.workflow_phase_data WHERE id = test.uid('scoping')),
    'in_progress/draft', 'the refused UPDATEs left the phase in progress and the version a draft');

SELECT phaseline_api.save_phase_data(test.uid('scoping'), '{"attributes_scoped": 42, "scoping_notes": "done"}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('scoping'), test.id('tester'));
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'in_progress', completed_at = NULL WHERE id = test.uid('scoping')$$,
    '55000', 'phase_status_forward', 'a direct UPDATE taking a completed phase back to in progress is refused');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'not_started', started_at = NULL, completed_at = NULL WHERE id = test.uid('scoping')$$,
    '55000', 'phase_status_forward', 'a direct UPDATE taking a completed phase back to not started is refused');
SELECT is((SELECT phase_status::text FROM phaseline.workflow_phase_data WHERE id = test.uid('scoping')),
    'completed', 'the phase is still completed');

SELECT * FROM finish();
ROLLBACK;
