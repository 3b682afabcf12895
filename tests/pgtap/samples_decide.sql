-- Samples are decided only while their version is pending approval, only
-- by the report's owner or an admin, never by whoever recommended them
-- (four eyes), through decide_samples and a direct UPDATE alike.
-- "modified" brings new data and the recommended data stays in the audit
-- trail; unknown keys are named; a decision never goes back to pending.
-- phaseline: direct-writes
BEGIN;
SELECT plan(32);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "T1", "data": {"loan": 1}}, {"sample_key": "T2", "data": {"loan": 2}},
    {"sample_key": "T3", "data": {"loan": 3}}, {"sample_key": "T4", "data": {"loan": 4}}]', 'tester', test.id('tester'));
-- the admin recommends samples too, and will later try to decide it
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "A1", "data": {"loan": 100}}, {"sample_key": "A2", "data": {"loan": 200}}]', 'manual', test.id('admin'));
CREATE FUNCTION pg_temp.d(p_key text) RETURNS phaseline.sample_decisions LANGUAGE sql AS
    $$SELECT * FROM phaseline.sample_decisions WHERE version_id = test.uid('v1') AND sample_key = p_key$$;

-- Not while draft.
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved"}]', test.id('owner'))$$,
    '55000', 'decision_window', 'deciding a sample of a draft is refused');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'approved', decided_by = test.id('owner'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'T1'$$,
    '55000', 'decision_window', 'a direct UPDATE deciding a sample of a draft is refused');

SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));

-- Reviewers only.
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved"}]', test.id('tester2'))$$,
    '42501', 'not_reviewer', 'a tester may not decide samples');
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved"}]', test.id('owner2'))$$,
    '42501', 'not_reviewer', 'the owner of another report may not decide samples');
SELECT test.act('owner2');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'approved', decided_by = test.id('owner2'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'T1'$$,
    '42501', 'not_reviewer', 'a direct UPDATE by the owner of another report is refused');

-- Four eyes: the admin may decide the tester's samples, never its own.
CREATE TEMP TABLE e1 AS SELECT * FROM test.error_of($$SELECT phaseline_api.decide_samples(test.uid('v1'),
    '[{"sample_key": "T1", "status": "approved"}, {"sample_key": "A1", "status": "approved"}]', test.id('admin'))$$);
SELECT is((SELECT state || ' ' || rule FROM e1), '42501 four_eyes', 'an admin deciding a sample they recommended is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m) FROM e1), ARRAY['A1'],
    'the DETAIL names the sample the admin recommended, not the other');
SELECT is((pg_temp.d('T1')).decision_status::text, 'pending', 'the refused call decided nothing, not even the sample the admin may decide');
SELECT test.act('admin');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'rejected', decided_by = test.id('admin'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'A1'$$,
    '42501', 'four_eyes', 'a direct UPDATE by the admin deciding their own sample is refused');
SELECT is(phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved", "note": "in scope"}]', test.id('admin')), 1,
    'the admin decides a sample the tester recommended');
SELECT is(phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "A1", "status": "rejected", "note": "duplicate of T1"},
    {"sample_key": "A2", "status": "approved"}]', test.id('owner')), 2, 'the report owner decides the admin''s samples');
SELECT is((SELECT decision_status || ' ' || (decided_by = test.id('owner')) || ' ' || decision_note FROM pg_temp.d('A1')),
    'rejected true duplicate of T1', 'the decision records its status, decider and note');

-- "modified" comes with data, and only it does.
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T2", "status": "modified"}]', test.id('owner'))$$,
    '22023', 'decisions_shape', '"modified" without data is refused');
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T2", "status": "approved", "data": {"loan": 9}}]', test.id('owner'))$$,
    '22023', 'decisions_shape', 'data with "approved" is refused');
SELECT is(phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T2", "status": "modified", "data": {"loan": 22}}]', test.id('owner')), 1,
    'the owner modifies a sample');
SELECT is((SELECT decision_status || ' ' || sample_data FROM pg_temp.d('T2')), 'modified {"loan": 22}', 'the sample holds the owner''s data');
SELECT is((SELECT old_row -> 'sample_data' FROM phaseline_api.audit_trail((pg_temp.d('T2')).id) WHERE action = 'UPDATE' ORDER BY audit_id DESC LIMIT 1),
    '{"loan": 2}'::jsonb, 'the audit trail keeps the recommended data as the old row');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"loan": 23}', decision_status = 'approved', decided_by = test.id('owner'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'T3'$$,
    '55000', 'illegal_transition', 'a direct UPDATE changing data without "modified" is refused');

SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'),
    '[{"sample_key": "T3", "status": "approved"}, {"sample_key": "T3", "status": "rejected"}]', test.id('owner'))$$,
    '22023', 'duplicate_sample_key', 'two decisions on one sample in one call are refused');

-- Unknown keys are named.
CREATE TEMP TABLE e2 AS SELECT * FROM test.error_of($$SELECT phaseline_api.decide_samples(test.uid('v1'),
    '[{"sample_key": "T3", "status": "approved"}, {"sample_key": "X9", "status": "approved"}, {"sample_key": "X8", "status": "rejected"}]', test.id('owner'))$$);
SELECT is((SELECT state || ' ' || rule FROM e2), 'P0002 unknown_sample_key', 'deciding samples the version does not hold is refused');
SELECT is((SELECT array(SELECT m[1] FROM regexp_matches(detail, '''(\w+)''', 'g') AS m ORDER BY 1) FROM e2), ARRAY['X8', 'X9'],
    'the DETAIL names every unknown key and no known one');
SELECT is((pg_temp.d('T3')).decision_status::text, 'pending', 'the refused call decided nothing');

-- No way back to pending.
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "pending"}]', test.id('owner'))$$,
    '22023', 'decisions_shape', 'decide_samples refuses "pending" as a decision');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'pending', decided_by = NULL, decided_at = NULL, decision_note = NULL
    WHERE version_id = test.uid('v1') AND sample_key = 'T1'$$,
    '55000', 'illegal_transition', 'a direct UPDATE taking a decision back to pending is refused');
SELECT is((pg_temp.d('T1')).decision_status::text, 'approved', 'the decision stands');

-- A direct UPDATE by the owner, recorded as theirs and now, is a decision like any other.
SELECT test.act('owner');
SELECT lives_ok($$UPDATE phaseline.sample_decisions SET decision_status = 'approved', decided_by = test.id('owner'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key IN ('T3', 'T4')$$, 'the owner decides samples by a direct UPDATE');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'rejected', decided_by = test.id('admin'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'T4'$$,
    '42501', 'actor_mismatch', 'a direct UPDATE recording another user as decider is refused');

-- Withdrawn to draft, decided samples keep their decisions, so their data
-- may not change under them either.
SELECT phaseline_api.withdraw_version(test.uid('v1'), test.id('tester'));
SELECT test.act('tester');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET sample_data = '{"loan": 999}' WHERE version_id = test.uid('v1') AND sample_key = 'T1'$$,
    '55000', 'decision_window', 'after a withdraw, a direct UPDATE of the data of an approved sample is refused');
SELECT is((pg_temp.d('T1')).sample_data, '{"loan": 1}'::jsonb, 'the approved sample keeps the data it was approved with');
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));

-- Closed: no more decisions.
-- the admin recommended A1 and A2, the owner modified T2: four eyes leaves
-- the approval to a second admin (issue 12, finding 1)
SELECT phaseline_api.approve_version(test.uid('v1'), phaseline_api.create_user('admin.b@test.io', 'Bea Admin', 'admin', test.id('admin')));
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T4", "status": "rejected"}]', test.id('owner'))$$,
    '55000', 'decision_window', 'deciding a sample of an approved version is refused');
SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_decisions SET decision_status = 'rejected', decided_by = test.id('owner'), decided_at = now()
    WHERE version_id = test.uid('v1') AND sample_key = 'T4'$$,
    '55000', 'version_frozen', 'a direct UPDATE of a decision of an approved version is refused');

-- Four eyes follow a sample through carry-forward: the admin's sample,
-- carried by the tester into version 2, is still the admin's to keep off.
SELECT test.remember('v2', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.submit_version(test.uid('v2'), test.id('tester'));
SELECT test.throws_rule($$SELECT phaseline_api.decide_samples(test.uid('v2'), '[{"sample_key": "A2", "status": "rejected", "note": "second look"}]', test.id('admin'))$$,
    '42501', 'four_eyes', 'an admin may not re-decide a carried sample they originally recommended');

SELECT * FROM finish();
ROLLBACK;
