-- Phase data is editable only while draft: once submitted or approved,
-- save_phase_data is refused (version_frozen). A key has one open version
-- at a time. Approval registers a phase_data artifact keyed by the phase
-- name. The same rules under direct writes:
-- phase_frozen_after_approval_direct.sql.
BEGIN;
SELECT plan(13);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 12}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 13}', test.id('tester'))$$,
    '55000', 'version_frozen', 'save_phase_data of a version pending approval is refused');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester'))$$,
    '55000', 'open_version_exists', 'a second version is refused while one is pending approval');

SELECT test.remember('artifact', phaseline_api.approve_version(test.uid('v1'), test.id('owner')));
SELECT results_eq($$SELECT id, phase_name, artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by
                      FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'phase_data', 'scoping')$$,
    $$SELECT test.uid('artifact'), 'scoping', 'phase_data', 'scoping', 'workflow_phase_data', test.uid('v1'), 1, test.id('owner')$$,
    'approval registers the version as the scoping phase_data artifact, keyed by the phase name');
SELECT is((SELECT count(*)::int FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'phase_data', 'data_profiling')),
    0, 'no artifact exists for a phase that was not approved');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 13}', test.id('tester'))$$,
    '55000', 'version_frozen', 'save_phase_data of an approved version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"scoping_notes": "late"}', test.id('tester'), p_merge => true)$$,
    '55000', 'version_frozen', 'a merge into an approved version is refused');
-- An edit that happens to repeat the approved data is still an edit of a
-- frozen version: the caller must not be told it saved.
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 12}', test.id('tester'))$$,
    '55000', 'version_frozen', 'save_phase_data of an approved version is refused even with the data it already holds');
SELECT is((SELECT phase_data FROM peek.workflow_phase_data WHERE id = test.uid('v1')), '{"attributes_scoped": 12}'::jsonb,
    'the approved data is as it was approved');

-- One open version per key.
SELECT test.remember('v2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT test.throws_rule($$SELECT phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester'))$$,
    '55000', 'open_version_exists', 'a second version is refused while a draft is open');
SELECT is((SELECT count(*)::int FROM peek.workflow_phase_data WHERE phase_name = 'scoping'), 2, 'the refusals added no version');

-- The draft is editable; approving it supersedes the old version and its artifact.
SELECT lives_ok($$SELECT phaseline_api.save_phase_data(test.uid('v2'), '{"attributes_scoped": 14}', test.id('tester'))$$,
    'the new draft is editable');
SELECT phaseline_api.complete_phase(test.uid('v2'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('v2'), test.id('owner'));
SELECT is((SELECT reference_id FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'phase_data', 'scoping')),
    test.uid('v2'), 'the current scoping artifact is version 2');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data(test.uid('v1'), '{"attributes_scoped": 15}', test.id('tester'))$$,
    '55000', 'version_frozen', 'save_phase_data of the superseded version is refused');

SELECT * FROM finish();
ROLLBACK;
