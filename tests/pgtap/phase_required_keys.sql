-- Required keys of a phase's contract are checked when the phase is
-- completed (complete_phase, or a direct UPDATE to completed), not on save;
-- a completed phase never goes back to in_progress; only a completed phase
-- is submitted for approval.
BEGIN;
SELECT plan(19);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS
SELECT phaseline_api.start_phase(cycle, report, 'scoping', tester) AS scoping,
       phaseline_api.start_phase(cycle, report, 'data_profiling', tester) AS profiling FROM w;

SELECT lives_ok($$SELECT phaseline_api.save_phase_data((SELECT scoping FROM v), '{"scoping_notes": "half way"}', (SELECT tester FROM w))$$,
    'saving data without a required key is accepted while the phase is in progress');

SELECT test.throws_rule($$SELECT phaseline_api.complete_phase((SELECT scoping FROM v), (SELECT tester FROM w))$$,
    '23514', 'phase_contract', 'complete_phase refuses data that lacks a required key');
SELECT is((SELECT phase_status::text || '/' || coalesce(completed_at::text, 'null') FROM phaseline.workflow_phase_data WHERE id = (SELECT scoping FROM v)),
    'in_progress/null', 'the refused completion left the phase in progress');

CREATE TEMP TABLE e AS SELECT * FROM test.error_of($$SELECT phaseline_api.complete_phase((SELECT profiling FROM v), (SELECT tester FROM w))$$);
SELECT is((SELECT state || ' ' || rule FROM e), '23514 phase_contract', 'completing a phase with two required keys missing is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '"(\w+)" is required', 'g') AS m ORDER BY 1) FROM e),
    ARRAY['files_uploaded', 'rules_generated'], 'the DETAIL names every missing required key');

DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'completed', completed_at = now() WHERE id = (SELECT scoping FROM v)$$,
    '23514', 'phase_contract', 'a direct UPDATE to completed is refused when a required key is missing');

-- Submit needs a completed phase: through the API and directly.
SELECT test.throws_rule($$SELECT phaseline_api.submit_version((SELECT scoping FROM v), (SELECT tester FROM w))$$,
    '55000', 'phase_not_completed', 'submitting a phase that is in progress is refused');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET version_status = 'pending_approval' WHERE id = (SELECT scoping FROM v)$$,
    '55000', 'phase_not_completed', 'a direct UPDATE submitting a phase in progress is refused');
SELECT is((SELECT version_status::text FROM phaseline.workflow_phase_data WHERE id = (SELECT scoping FROM v)),
    'draft', 'the refused submissions left the version a draft');

SELECT lives_ok($$SELECT phaseline_api.save_phase_data((SELECT scoping FROM v), '{"attributes_scoped": 42, "scoping_notes": "done"}', (SELECT tester FROM w))$$,
    'the required key is saved');
SELECT lives_ok($$SELECT phaseline_api.complete_phase((SELECT scoping FROM v), (SELECT tester FROM w))$$,
    'complete_phase accepts data that has every required key');
SELECT is((SELECT phase_status::text || '/' || (completed_at IS NOT NULL) FROM phaseline.workflow_phase_data WHERE id = (SELECT scoping FROM v)),
    'completed/true', 'the phase is completed and says when');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT scoping FROM v), '{"scoping_notes": "oops"}', (SELECT tester FROM w))$$,
    '23514', 'phase_contract', 'data of a completed phase keeps its required keys on a later save');

-- Completed is final for the version.
SELECT test.throws_rule($$SELECT phaseline_api.complete_phase((SELECT scoping FROM v), (SELECT tester FROM w))$$,
    '55000', 'phase_status_forward', 'completing a completed phase again is refused');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'in_progress', completed_at = NULL WHERE id = (SELECT scoping FROM v)$$,
    '55000', 'phase_status_forward', 'a direct UPDATE taking a completed phase back to in progress is refused');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_status = 'not_started', started_at = NULL, completed_at = NULL WHERE id = (SELECT scoping FROM v)$$,
    '55000', 'phase_status_forward', 'a direct UPDATE taking a completed phase back to not started is refused');
SELECT is((SELECT phase_status::text FROM phaseline.workflow_phase_data WHERE id = (SELECT scoping FROM v)),
    'completed', 'the phase is still completed');

SELECT lives_ok($$SELECT phaseline_api.submit_version((SELECT scoping FROM v), (SELECT tester FROM w))$$,
    'a completed phase is submitted');
SELECT is((SELECT version_status::text FROM phaseline.workflow_phase_data WHERE id = (SELECT scoping FROM v)),
    'pending_approval', 'the submitted phase is pending approval');

SELECT * FROM finish();
ROLLBACK;
