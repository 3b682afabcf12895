-- A sample selection is approved only when no decision is pending; its
-- approval registers the 'samples' artifact. A version may be rejected
-- with decisions pending, and the next version still carries the approved
-- and modified decisions of the rejected one. Decisions of closed
-- versions are frozen, also for a direct UPDATE.
-- phaseline: direct-writes
BEGIN;
SELECT plan(17);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "S1"}, {"sample_key": "S2"}, {"sample_key": "S3", "data": {"loan": 3}},
    {"sample_key": "S4"}, {"sample_key": "S5"}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S1", "status": "approved"}, {"sample_key": "S2", "status": "approved"},
    {"sample_key": "S3", "status": "modified", "data": {"loan": 33}}]', test.id('owner'));

CREATE TEMP TABLE e AS SELECT * FROM test.error_of($$SELECT phaseline_api.approve_version(test.uid('v1'), test.id('admin'))$$);
SELECT is((SELECT state || ' ' || rule FROM e), '55000 pending_decisions', 'approving with two decisions pending is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m ORDER BY 1) FROM e), ARRAY['S4', 'S5'],
    'the DETAIL names the pending samples');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET version_status = 'approved' WHERE id = test.uid('v1')$$,
    '55000', 'pending_decisions', 'a direct UPDATE approving with decisions pending is refused');
SELECT is((SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = test.uid('v1')), 'pending_approval',
    'the refused approvals left the version pending');
SELECT is((SELECT count(*)::int FROM phaseline.approved_artifacts), 0, 'and registered no artifact');

SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "S4", "status": "rejected", "note": "out of period"},
    {"sample_key": "S5", "status": "approved"}]', test.id('owner'));
SELECT test.remember('a', phaseline_api.approve_version(test.uid('v1'), test.id('admin')));
SELECT results_eq($$SELECT id, phase_name, artifact_key, reference_table, reference_id, reference_version, approved_by, superseded_at
                      FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'samples')$$,
    $$SELECT test.uid('a'), 'sample_selection', NULL::text, 'sample_selection_versions', test.uid('v1'), 1, test.id('admin'), NULL::timestamptz$$,
    'once every sample is decided the version is approved and registered as the samples artifact');

-- Closed versions' decisions are frozen.
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'approved', decided_by = test.id('owner'), decided_at = now(), decision_note = NULL
    WHERE version_id = test.uid('v1') AND sample_key = 'S4'$$,
    '55000', 'version_frozen', 'a direct UPDATE of a decision of an approved version is refused');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_note = 'afterthought' WHERE version_id = test.uid('v1') AND sample_key = 'S1'$$,
    '55000', 'version_frozen', 'a direct UPDATE of a decision note of an approved version is refused');

-- Version 2: carried decisions plus new samples; rejected with one still pending.
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v2'), '[{"sample_key": "N1"}, {"sample_key": "N2"}, {"sample_key": "N3"}]', 'llm', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v2'), '[{"sample_key": "N1", "status": "approved"}, {"sample_key": "N2", "status": "modified", "data": {"loan": 2}},
    {"sample_key": "S2", "status": "rejected", "note": "no longer in scope"}]', test.id('owner'));
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('v2'), test.id('owner'), NULL)$$,
    '22023', 'review_note_required', 'rejecting without a note is refused');
-- the owner modified N2 in version 2: four eyes leaves the rejection to the admin (issue 12, finding 1)
SELECT lives_ok($$SELECT phaseline_api.reject_version(test.uid('v2'), test.id('admin'), 'N3 still open; S2 dropped')$$,
    'a version is rejected even with a decision pending');
SELECT is((SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = test.uid('v2')), 'rejected', 'version 2 is rejected');
SELECT is((SELECT reference_id FROM phaseline_api.approved_artifact(test.uid('cycle'), test.uid('report'), 'samples')), test.uid('v1'),
    'the samples artifact is still version 1');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'approved', decided_by = test.id('owner'), decided_at = now()
    WHERE version_id = test.uid('v2') AND sample_key = 'N3'$$,
    '55000', 'version_frozen', 'a direct UPDATE deciding a pending sample of a rejected version is refused');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"loan": 1}' WHERE version_id = test.uid('v2') AND sample_key = 'N1'$$,
    '55000', 'version_frozen', 'a direct UPDATE of sample data of a rejected version is refused');

-- Version 3 carries from the rejected version 2.
SELECT test.remember('v3', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
-- sample_key compares bytewise (COLLATE "C"); the expected keys are plain text
SELECT results_eq($$SELECT sample_key COLLATE "default", recommendation_source::text, decision_status::text, carried_from_version_id
                      FROM phaseline.sample_decisions WHERE version_id = test.uid('v3') ORDER BY sample_key$$,
    $$SELECT k, 'carried_forward', s, test.uid('v2')
        FROM (VALUES ('N1', 'approved'), ('N2', 'modified'), ('S1', 'approved'), ('S3', 'modified'), ('S5', 'approved')) AS x(k, s)$$,
    'the next version carries the approved and modified decisions of the rejected one, and only those');
SELECT is((SELECT sample_data FROM phaseline.sample_decisions WHERE version_id = test.uid('v3') AND sample_key = 'S3'),
    '{"loan": 33}'::jsonb, 'a modified sample is carried with the owner''s data');
SELECT is((SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = test.uid('v1')), 'approved',
    'version 1 stays the approved one while version 3 is drafted');

SELECT * FROM finish();
ROLLBACK;
