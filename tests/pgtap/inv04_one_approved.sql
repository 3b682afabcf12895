-- Invariant 4: at most one approved version per key. Approving a newer
-- version marks the older one superseded, closes its approved_artifacts row
-- (superseded_at) and records a new one; current_artifacts and
-- approved_artifact() show the newest. Direct UPDATEs cannot approve or
-- supersede outside the workflow, and approved_artifacts is the engine's alone.
-- phaseline: direct-writes
BEGIN;
SELECT plan(26);

SELECT test.world();

-- balance v1 approved through the API.
SELECT test.remember('a1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 1}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a1'), test.id('tester'));
SELECT test.remember('art1', phaseline_api.approve_version(test.uid('a1'), test.id('owner')));
SELECT results_eq(
    $$SELECT artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by, superseded_at IS NULL
               FROM phaseline.approved_artifacts WHERE id = test.uid('art1')$$,
    $$VALUES ('attribute', 'balance', 'report_attributes', test.uid('a1')::uuid, 1, test.id('owner'), true)$$,
    'approving records an open artifact naming the version and its approver');

-- balance v2 approved by a direct UPDATE of the owner: the engine does the same.
SELECT test.remember('a2', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 2}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a2'), test.id('tester'));
SELECT test.act('owner');
UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('a2');
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving v2 supersedes v1');
SELECT is((SELECT reviewed_by FROM phaseline.report_attributes WHERE id = test.uid('a1')), test.id('owner'),
    'the superseded version keeps its reviewer');
SELECT isnt((SELECT superseded_at FROM phaseline.approved_artifacts WHERE id = test.uid('art1')), NULL,
    'the artifact of v1 is closed');
SELECT test.remember('art2', (SELECT id FROM phaseline.approved_artifacts WHERE reference_id = test.uid('a2')));
SELECT results_eq(
    $$SELECT reference_version, approved_by, superseded_at IS NULL FROM phaseline.approved_artifacts WHERE id = test.uid('art2')$$,
    $$VALUES (2, test.id('owner'), true)$$,
    'a new open artifact records v2');
SELECT results_eq(
    $$SELECT id FROM phaseline_api.current_artifacts WHERE report_id = test.uid('report') AND artifact_key = 'balance'$$,
    $$VALUES (test.uid('art2')::uuid)$$,
    'current_artifacts shows only the artifact of v2');
SELECT results_eq(
    $$SELECT id, reference_id, reference_version FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'attribute', 'balance')$$,
    $$VALUES (test.uid('art2')::uuid, test.uid('a2')::uuid, 2)$$,
    'approved_artifact() returns v2');

-- v3 rejected: v2 stays the approved one.
SELECT test.remember('a3', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 3}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a3'), test.id('tester'));
SELECT phaseline_api.reject_version(test.uid('a3'), test.id('owner'), 'keep v2');
SELECT results_eq(
    $$SELECT reference_version FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'attribute', 'balance')$$,
    ARRAY[2], 'a rejected newer version leaves the approved one and its artifact in place');

-- v4 approved via the API: the one approved version moves again.
SELECT test.remember('a4', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 4}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('a4'), test.id('tester'));
SELECT test.remember('art4', phaseline_api.approve_version(test.uid('a4'), test.id('admin')));
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'superseded'), (3, 'rejected'), (4, 'approved')$$,
    'approving v4 supersedes v2 and leaves the rejected and superseded ones alone');
SELECT results_eq(
    $$SELECT reference_version, superseded_at IS NULL FROM phaseline.approved_artifacts WHERE artifact_key = 'balance' ORDER BY 1$$,
    $$VALUES (1, false), (2, false), (4, true)$$,
    'every approval left an artifact; only the newest is open');

-- Another attribute's approval does not touch balance.
SELECT test.remember('r1', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'rate', '{}', test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('r1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('r1'), test.id('owner'));
SELECT results_eq(
    $$SELECT artifact_key, reference_version FROM phaseline_api.current_artifacts WHERE report_id = test.uid('report') AND artifact_type = 'attribute' ORDER BY 1$$,
    $$VALUES ('balance', 4), ('rate', 1)$$,
    'each attribute has its own current artifact');

-- Sample selections (artifact_key is null) and phase data (keyed by phase) supersede the same way.
SELECT test.remember('s1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s1'), test.id('owner'));
SELECT test.remember('s2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('s2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('s2'), test.id('owner'));
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.sample_selection_versions ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving a newer sample selection supersedes the older');
SELECT results_eq(
    $$SELECT reference_id FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'samples')$$,
    $$VALUES (test.uid('s2')::uuid)$$,
    'the current samples artifact is v2, with a null artifact key');
SELECT is((SELECT count(*)::int FROM phaseline.approved_artifacts WHERE artifact_type = 'samples' AND superseded_at IS NULL), 1,
    'one samples artifact is open');

SELECT test.remember('p1', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.save_phase_data(test.uid('p1'), '{"attributes_scoped": 1}', test.id('tester'));
SELECT phaseline_api.complete_phase(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p1'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('p1'), test.id('owner'));
SELECT test.remember('p2', phaseline_api.start_phase(test.uid('cycle'), test.uid('report'), 'scoping', test.id('tester')));
SELECT phaseline_api.complete_phase(test.uid('p2'), test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('p2'), test.id('tester'));
SELECT phaseline_api.approve_version(test.uid('p2'), test.id('owner'));
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.workflow_phase_data ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving a newer phase version supersedes the older');
SELECT results_eq(
    $$SELECT reference_id, phase_name FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'phase_data', 'scoping')$$,
    $$VALUES (test.uid('p2')::uuid, 'scoping')$$,
    'the current scoping artifact is v2');

-- Direct UPDATEs that would make a second approved version or supersede by hand.
SELECT test.remember('a5', phaseline_api.propose_report_attribute(test.uid('cycle'), test.uid('report'), 'balance', '{"v": 5}', test.id('tester')));
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('a1')$$,
    '55000', 'illegal_transition', 'a superseded version cannot be approved again');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('a3')$$,
    '55000', 'illegal_transition', 'a rejected version cannot be approved');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = test.uid('a5')$$,
    '55000', 'illegal_transition', 'a draft cannot be approved without being submitted');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'superseded' WHERE id = test.uid('a4')$$,
    '55000', 'illegal_transition', 'an approved version cannot be superseded by hand');
SELECT phaseline_api.submit_version(test.uid('a5'), test.id('tester'));
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.report_attributes SET version_status = 'superseded' WHERE id = test.uid('a5')$$,
    '55000', 'illegal_transition', 'a pending version cannot be marked superseded');
SELECT results_eq(
    $$SELECT version_number FROM phaseline.report_attributes WHERE attribute_name = 'balance' AND version_status = 'approved'$$,
    ARRAY[4], 'after the refused updates v4 is still the one approved version');

-- approved_artifacts is written by the engine only.
SELECT test.throws_rule($$INSERT INTO phaseline.approved_artifacts
        (cycle_id, report_id, artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by)
        VALUES (test.uid('cycle'), test.uid('report'), 'attribute', 'balance', 'report_attributes', test.uid('a5'), 5, test.id('owner'))$$,
    '55000', 'engine_managed', 'a direct INSERT into approved_artifacts is refused');
SELECT test.throws_rule($$UPDATE phaseline.approved_artifacts SET superseded_at = now() WHERE id = test.uid('art4')$$,
    '55000', 'engine_managed', 'closing an artifact by hand is refused');
SELECT test.throws_rule($$UPDATE phaseline.approved_artifacts SET superseded_at = NULL WHERE id = test.uid('art1')$$,
    '55000', 'engine_managed', 'reopening a closed artifact by hand is refused');
SELECT test.throws_rule($$UPDATE phaseline.approved_artifacts SET reference_version = 9 WHERE id = test.uid('art4')$$,
    '55000', 'engine_managed', 'rewriting an artifact by hand is refused');

SELECT * FROM finish();
ROLLBACK;
