-- Required keys of a phase's contract are checked when the phase is
-- completed (complete_phase), not on save; a completed phase is not
-- completed again; only a completed phase is submitted for approval. The
-- same rules under direct UPDATEs: phase_required_keys_direct.sql.
BEGIN;
SELECT plan(15);
SELECT test.world();
SELECT test.remember('scoping', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester'))), test.remember('profiling', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'data_profiling', test.id('tester')));

SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('scoping'), '{"scoping_notes": "half way"}', test.id('tester'))$$,
    'saving data without a required key is accepted while the phase is in progress');

SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(test.uid('scoping'), test.id('tester'))$$,
    '23514', 'phase_contract', 'complete_phase refuses data that lacks a required key');
SELECT is((SELECT phase_status::text || '/' || coalesce(completed_at::text, 'null') FROM peek.workflow_phase_data WHERE id = test.uid('scoping')),
    'in_progress/null', 'the refused completion left the phase in progress');

CREATE TEMP TABLE e AS SELECT * FROM test.error_of($$SELECT phaseline_api.complete_phase(test.uid('profiling'), test.id('tester'))$$);
SELECT is((SELECT state || ' ' || rule FROM e), '23514 phase_contract', 'completing a phase with two required keys missing is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '"(\w+)" is required', 'g') AS m ORDER BY 1) FROM e),
    ARRAY['files_uploaded', 'rules_generated'], 'the DETAIL names every missing required key');

-- Submit needs a completed phase.
SELECT test.throws_rule($$SELECT phaseline_api.submit_version(test.uid('scoping'), test.id('tester'))$$,
    '55000', 'phase_not_completed', 'submitting a phase that is in progress is refused');
SELECT is((SELECT version_status::text FROM peek.workflow_phase_data WHERE id = test.uid('scoping')),
    'draft', 'the refused submission left the version a draft');

SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('scoping'), '{"attributes_scoped": 42, "scoping_notes": "done"}', test.id('tester'))$$,
    'the required key is saved');
SELECT lives_ok($$SELECT phaseline_api.complete_phase(test.uid('scoping'), test.id('tester'))$$,
    'complete_phase accepts data that has every required key');
SELECT is((SELECT phase_status::text || '/' || (completed_at IS NOT NULL) FROM peek.workflow_phase_data WHERE id = test.uid('scoping')),
    'completed/true', 'the phase is completed and says when');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('scoping'), '{"scoping_notes": "oops"}', test.id('tester'))$$,
    '23514', 'phase_contract', 'data of a completed phase keeps its required keys on a later save');

-- Completed is final for the version.
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase(test.uid('scoping'), test.id('tester'))$$,
    '55000', 'phase_status_forward', 'completing a completed phase again is refused');
SELECT is((SELECT phase_status::text FROM peek.workflow_phase_data WHERE id = test.uid('scoping')),
    'completed', 'the phase is still completed');

SELECT lives_ok($$SELECT phaseline_api.submit_version(test.uid('scoping'), test.id('tester'))$$,
    'a completed phase is submitted');
SELECT is((SELECT version_status::text FROM peek.workflow_phase_data WHERE id = test.uid('scoping')),
    'pending_approval', 'the submitted phase is pending approval');

SELECT * FROM finish();
ROLLBACK;
