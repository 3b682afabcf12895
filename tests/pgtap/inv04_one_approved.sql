-- Invariant 4: at most one approved version per key. Approving a newer
-- version marks the older one superseded, closes its approved_artifacts row
-- (superseded_at) and records a new one; current_artifacts and
-- approved_artifact() show the newest. Direct UPDATEs cannot approve or
-- supersede outside the workflow, and approved_artifacts is the engine's alone.
BEGIN;
SELECT plan(26);

CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v (name text PRIMARY KEY, id uuid NOT NULL);
CREATE FUNCTION pg_temp.v(p_name text) RETURNS uuid LANGUAGE sql STABLE AS $$ SELECT id FROM v WHERE name = p_name $$;

-- balance v1 approved through the API.
INSERT INTO v SELECT 'a1', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 1}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a1'), tester) FROM w;
INSERT INTO v SELECT 'art1', phaseline_api.approve_version(pg_temp.v('a1'), owner) FROM w;
SELECT results_eq(
    format($$SELECT artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by, superseded_at IS NULL
               FROM phaseline.approved_artifacts WHERE id = %L$$, pg_temp.v('art1')),
    format($$VALUES ('attribute', 'balance', 'report_attributes', %L::uuid, 1, %s, true)$$, pg_temp.v('a1'), owner),
    'approving records an open artifact naming the version and its approver') FROM w;

-- balance v2 approved by a direct UPDATE of the owner: the engine does the same.
INSERT INTO v SELECT 'a2', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 2}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a2'), tester) FROM w;
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = pg_temp.v('a2');
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving v2 supersedes v1');
SELECT is((SELECT reviewed_by FROM phaseline.report_attributes WHERE id = pg_temp.v('a1')), (SELECT owner FROM w),
    'the superseded version keeps its reviewer');
SELECT isnt((SELECT superseded_at FROM phaseline.approved_artifacts WHERE id = pg_temp.v('art1')), NULL,
    'the artifact of v1 is closed');
INSERT INTO v SELECT 'art2', id FROM phaseline.approved_artifacts WHERE reference_id = pg_temp.v('a2');
SELECT results_eq(
    format($$SELECT reference_version, approved_by, superseded_at IS NULL FROM phaseline.approved_artifacts WHERE id = %L$$, pg_temp.v('art2')),
    format('VALUES (2, %s, true)', owner),
    'a new open artifact records v2') FROM w;
SELECT results_eq(
    format($$SELECT id FROM phaseline_api.current_artifacts WHERE report_id = %L AND artifact_key = 'balance'$$, report),
    format('VALUES (%L::uuid)', pg_temp.v('art2')),
    'current_artifacts shows only the artifact of v2') FROM w;
SELECT results_eq(
    format($$SELECT id, reference_id, reference_version FROM phaseline_api.approved_artifact(%L, %L, 'attribute', 'balance')$$, cycle, report),
    format('VALUES (%L::uuid, %L::uuid, 2)', pg_temp.v('art2'), pg_temp.v('a2')),
    'approved_artifact() returns v2') FROM w;

-- v3 rejected: v2 stays the approved one.
INSERT INTO v SELECT 'a3', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 3}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a3'), tester) FROM w;
SELECT phaseline_api.reject_version(pg_temp.v('a3'), owner, 'keep v2') FROM w;
SELECT results_eq(
    format($$SELECT reference_version FROM phaseline_api.approved_artifact(%L, %L, 'attribute', 'balance')$$, cycle, report),
    ARRAY[2], 'a rejected newer version leaves the approved one and its artifact in place') FROM w;

-- v4 approved via the API: the one approved version moves again.
INSERT INTO v SELECT 'a4', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 4}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('a4'), tester) FROM w;
INSERT INTO v SELECT 'art4', phaseline_api.approve_version(pg_temp.v('a4'), admin) FROM w;
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.report_attributes WHERE attribute_name = 'balance' ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'superseded'), (3, 'rejected'), (4, 'approved')$$,
    'approving v4 supersedes v2 and leaves the rejected and superseded ones alone');
SELECT results_eq(
    $$SELECT reference_version, superseded_at IS NULL FROM phaseline.approved_artifacts WHERE artifact_key = 'balance' ORDER BY 1$$,
    $$VALUES (1, false), (2, false), (4, true)$$,
    'every approval left an artifact; only the newest is open');

-- Another attribute's approval does not touch balance.
INSERT INTO v SELECT 'r1', phaseline_api.propose_report_attribute(cycle, report, 'rate', '{}', tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('r1'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('r1'), owner) FROM w;
SELECT results_eq(
    format($$SELECT artifact_key, reference_version FROM phaseline_api.current_artifacts WHERE report_id = %L AND artifact_type = 'attribute' ORDER BY 1$$, report),
    $$VALUES ('balance', 4), ('rate', 1)$$,
    'each attribute has its own current artifact') FROM w;

-- Sample selections (artifact_key is null) and phase data (keyed by phase) supersede the same way.
INSERT INTO v SELECT 's1', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s1'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('s1'), owner) FROM w;
INSERT INTO v SELECT 's2', phaseline_api.start_sample_selection(cycle, report, tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('s2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('s2'), owner) FROM w;
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.sample_selection_versions ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving a newer sample selection supersedes the older');
SELECT results_eq(
    format($$SELECT reference_id FROM phaseline_api.approved_artifact(%L, %L, 'samples')$$, cycle, report),
    format('VALUES (%L::uuid)', pg_temp.v('s2')),
    'the current samples artifact is v2, with a null artifact key') FROM w;
SELECT is((SELECT count(*)::int FROM phaseline.approved_artifacts WHERE artifact_type = 'samples' AND superseded_at IS NULL), 1,
    'one samples artifact is open');

INSERT INTO v SELECT 'p1', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.save_phase_data(pg_temp.v('p1'), '{"attributes_scoped": 1}', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('p1'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('p1'), owner) FROM w;
INSERT INTO v SELECT 'p2', phaseline_api.start_phase(cycle, report, 'scoping', tester) FROM w;
SELECT phaseline_api.complete_phase(pg_temp.v('p2'), tester) FROM w;
SELECT phaseline_api.submit_version(pg_temp.v('p2'), tester) FROM w;
SELECT phaseline_api.approve_version(pg_temp.v('p2'), owner) FROM w;
SELECT results_eq(
    $$SELECT version_number, version_status::text FROM phaseline.workflow_phase_data ORDER BY 1$$,
    $$VALUES (1, 'superseded'), (2, 'approved')$$,
    'approving a newer phase version supersedes the older');
SELECT results_eq(
    format($$SELECT reference_id, phase_name FROM phaseline_api.approved_artifact(%L, %L, 'phase_data', 'scoping')$$, cycle, report),
    format($$VALUES (%L::uuid, 'scoping')$$, pg_temp.v('p2')),
    'the current scoping artifact is v2') FROM w;

-- Direct UPDATEs that would make a second approved version or supersede by hand.
INSERT INTO v SELECT 'a5', phaseline_api.propose_report_attribute(cycle, report, 'balance', '{"v": 5}', tester) FROM w;
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('a1')),
    '55000', 'illegal_transition', 'a superseded version cannot be approved again');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('a3')),
    '55000', 'illegal_transition', 'a rejected version cannot be approved');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'approved' WHERE id = %L$$, pg_temp.v('a5')),
    '55000', 'illegal_transition', 'a draft cannot be approved without being submitted');
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'superseded' WHERE id = %L$$, pg_temp.v('a4')),
    '55000', 'illegal_transition', 'an approved version cannot be superseded by hand');
SELECT phaseline_api.submit_version(pg_temp.v('a5'), tester) FROM w;
SELECT set_config('phaseline.actor', owner::text, true) FROM w;
SELECT test.throws_rule(format($$UPDATE phaseline.report_attributes SET version_status = 'superseded' WHERE id = %L$$, pg_temp.v('a5')),
    '55000', 'illegal_transition', 'a pending version cannot be marked superseded');
SELECT results_eq(
    $$SELECT version_number FROM phaseline.report_attributes WHERE attribute_name = 'balance' AND version_status = 'approved'$$,
    ARRAY[4], 'after the refused updates v4 is still the one approved version');

-- approved_artifacts is written by the engine only.
SELECT test.throws_rule(format($$INSERT INTO phaseline.approved_artifacts
        (cycle_id, report_id, artifact_type, artifact_key, reference_table, reference_id, reference_version, approved_by)
        VALUES (%L, %L, 'attribute', 'balance', 'report_attributes', %L, 5, %s)$$, cycle, report, pg_temp.v('a5'), owner),
    '55000', 'engine_managed', 'a direct INSERT into approved_artifacts is refused') FROM w;
SELECT test.throws_rule(format('UPDATE phaseline.approved_artifacts SET superseded_at = now() WHERE id = %L', pg_temp.v('art4')),
    '55000', 'engine_managed', 'closing an artifact by hand is refused');
SELECT test.throws_rule(format('UPDATE phaseline.approved_artifacts SET superseded_at = NULL WHERE id = %L', pg_temp.v('art1')),
    '55000', 'engine_managed', 'reopening a closed artifact by hand is refused');
SELECT test.throws_rule(format('UPDATE phaseline.approved_artifacts SET reference_version = 9 WHERE id = %L', pg_temp.v('art4')),
    '55000', 'engine_managed', 'rewriting an artifact by hand is refused');

SELECT * FROM finish();
ROLLBACK;
