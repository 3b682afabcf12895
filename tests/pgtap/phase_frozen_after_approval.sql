-- Phase data is editable only while draft: once submitted or approved,
-- save_phase_data and a direct UPDATE are refused (version_frozen). A key
-- has one open version at a time. Approval registers a phase_data
-- artifact keyed by the phase name.
BEGIN;
SELECT plan(16);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v1 AS SELECT phaseline_api.start_phase(cycle, report, 'scoping', tester) AS id FROM w;
SELECT phaseline_api.save_phase_data(id, '{"attributes_scoped": 12}', tester) FROM v1, w;
SELECT phaseline_api.complete_phase(id, tester) FROM v1, w;
SELECT phaseline_api.submit_version(id, tester) FROM v1, w;

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT id FROM v1), '{"attributes_scoped": 13}', (SELECT tester FROM w))$$,
    '55000', 'version_frozen', 'save_phase_data of a version pending approval is refused');
SELECT test.throws_rule($$SELECT phaseline_api.start_phase((SELECT cycle FROM w), (SELECT report FROM w), 'scoping', (SELECT tester FROM w))$$,
    '55000', 'open_version_exists', 'a second version is refused while one is pending approval');

CREATE TEMP TABLE a AS SELECT phaseline_api.approve_version(id, owner) AS id FROM v1, w;
SELECT results_eq($$SELECT id, phase_name, artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by
                      FROM phaseline_api.approved_artifact((SELECT cycle FROM w), (SELECT report FROM w), 'phase_data', 'scoping')$$,
    $$SELECT (SELECT id FROM a), 'scoping', 'phase_data', 'scoping', 'workflow_phase_data', (SELECT id FROM v1), 1, (SELECT owner FROM w)$$,
    'approval registers the version as the scoping phase_data artifact, keyed by the phase name');
SELECT is((SELECT count(*)::int FROM phaseline_api.approved_artifact((SELECT cycle FROM w), (SELECT report FROM w), 'phase_data', 'data_profiling')),
    0, 'no artifact exists for a phase that was not approved');

SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT id FROM v1), '{"attributes_scoped": 13}', (SELECT tester FROM w))$$,
    '55000', 'version_frozen', 'save_phase_data of an approved version is refused');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT id FROM v1), '{"scoping_notes": "late"}', (SELECT tester FROM w), p_merge => true)$$,
    '55000', 'version_frozen', 'a merge into an approved version is refused');
-- An edit that happens to repeat the approved data is still an edit of a
-- frozen version: the caller must not be told it saved.
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT id FROM v1), '{"attributes_scoped": 12}', (SELECT tester FROM w))$$,
    '55000', 'version_frozen', 'save_phase_data of an approved version is refused even with the data it already holds');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT owner FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET phase_data = '{"attributes_scoped": 99}' WHERE id = (SELECT id FROM v1)$$,
    '55000', 'version_frozen', 'a direct UPDATE of the data of an approved version is refused, even for the report owner');
SELECT test.throws_rule($$UPDATE phaseline.workflow_phase_data SET started_at = started_at - interval '1 day' WHERE id = (SELECT id FROM v1)$$,
    '55000', 'version_frozen', 'a direct UPDATE of the times of an approved version is refused');
SELECT is((SELECT phase_data FROM phaseline.workflow_phase_data WHERE id = (SELECT id FROM v1)), '{"attributes_scoped": 12}'::jsonb,
    'the approved data is as it was approved');

-- One open version per key, through the API and directly.
CREATE TEMP TABLE v2 AS SELECT phaseline_api.start_phase(cycle, report, 'scoping', tester) AS id FROM w;
SELECT test.throws_rule($$SELECT phaseline_api.start_phase((SELECT cycle FROM w), (SELECT report FROM w), 'scoping', (SELECT tester FROM w))$$,
    '55000', 'open_version_exists', 'a second version is refused while a draft is open');
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT tester FROM w)::text, true); END$$;
SELECT test.throws_rule($$INSERT INTO phaseline.workflow_phase_data (cycle_id, report_id, phase_name, started_at) SELECT cycle, report, 'scoping', now() FROM w$$,
    '55000', 'open_version_exists', 'a direct INSERT of a second open version is refused');
SELECT is((SELECT count(*)::int FROM phaseline.workflow_phase_data WHERE phase_name = 'scoping'), 2, 'the refusals added no version');

-- The draft is editable; approving it supersedes the old version and its artifact.
SELECT lives_ok($$SELECT phaseline_api.save_phase_data((SELECT id FROM v2), '{"attributes_scoped": 14}', (SELECT tester FROM w))$$,
    'the new draft is editable');
SELECT phaseline_api.complete_phase(id, tester) FROM v2, w;
SELECT phaseline_api.submit_version(id, tester) FROM v2, w;
SELECT phaseline_api.approve_version(id, owner) FROM v2, w;
SELECT is((SELECT reference_id FROM phaseline_api.approved_artifact((SELECT cycle FROM w), (SELECT report FROM w), 'phase_data', 'scoping')),
    (SELECT id FROM v2), 'the current scoping artifact is version 2');
SELECT test.throws_rule($$SELECT phaseline_api.save_phase_data((SELECT id FROM v1), '{"attributes_scoped": 15}', (SELECT tester FROM w))$$,
    '55000', 'version_frozen', 'save_phase_data of the superseded version is refused');

SELECT * FROM finish();
ROLLBACK;
