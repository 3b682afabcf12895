-- Issue 12, finding 1: whoever adds samples to a sample selection, or
-- modifies a sample's data with a "modified" decision, contributed to it and
-- may not approve or reject it (42501 four_eyes), through the API and a
-- direct write alike.
BEGIN;
SELECT plan(7);
CREATE TEMP TABLE w AS SELECT * FROM test.world();
CREATE TEMP TABLE v AS SELECT phaseline_api.start_sample_selection(cycle, report, tester) AS v1 FROM w;
SELECT phaseline_api.recommend_samples(v1, '[{"sample_key": "T1"}]', 'tester', tester) FROM v, w;
-- the owner recommends into the tester's draft
SELECT phaseline_api.recommend_samples(v1, '[{"sample_key": "O1"}]', 'manual', owner) FROM v, w;
SELECT phaseline_api.submit_version(v1, tester) FROM v, w;
-- the admin decides everything (the owner may not decide O1, their own)
SELECT phaseline_api.decide_samples(v1, '[{"sample_key": "T1", "status": "approved"}, {"sample_key": "O1", "status": "approved"}]', admin) FROM v, w;

SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', v1, owner),
    '42501', 'four_eyes', 'the owner who recommended samples into the version cannot approve it') FROM v, w;
SELECT test.throws_rule(format($$SELECT phaseline_api.reject_version(%L, %s, 'no')$$, v1, owner),
    '42501', 'four_eyes', 'nor reject it') FROM v, w;
DO $$BEGIN PERFORM set_config('phaseline.actor', (SELECT owner FROM w)::text, true); END$$;
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET version_status = 'approved' WHERE id = (SELECT v1 FROM v)$$,
    '42501', 'four_eyes', 'nor approve it by a direct UPDATE');
SELECT is((SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = (SELECT v1 FROM v)), 'pending_approval',
    'the version is still pending');

-- A modifier is a contributor too.
CREATE TEMP TABLE r2 AS SELECT phaseline_api.create_report('Other', owner, admin) AS r FROM w;
SELECT phaseline_api.assign_report(cycle, r, tester, admin) FROM r2, w;
CREATE TEMP TABLE v2 AS SELECT phaseline_api.start_sample_selection(cycle, r, tester) AS v FROM r2, w;
SELECT phaseline_api.recommend_samples(v, '[{"sample_key": "M1", "data": {"loan": 1}}]', 'tester', tester) FROM v2, w;
SELECT phaseline_api.submit_version(v, tester) FROM v2, w;
SELECT phaseline_api.decide_samples(v, '[{"sample_key": "M1", "status": "modified", "data": {"loan": 2}}]', owner) FROM v2, w;
SELECT test.throws_rule(format('SELECT phaseline_api.approve_version(%L, %s)', v, owner),
    '42501', 'four_eyes', 'the owner who modified a sample''s data cannot approve the version') FROM v2, w;
SELECT lives_ok(format('SELECT phaseline_api.approve_version(%L, %s)', v, admin),
    'another reviewer (an admin) approves it') FROM v2, w;
SELECT lives_ok(format('SELECT phaseline_api.approve_version(%L, %s)', v1, admin),
    'and the first version too: the admin only decided, it added nothing') FROM v, w;

SELECT * FROM finish();
ROLLBACK;
