-- A direct INSERT of a sample is held to recommend_samples' rules
-- (samples_recommend.sql has the API's side): it recommends in the actor's
-- own name only (22023 recommendation_shape), and only into a draft (55000
-- version_not_draft), pending approval or approved alike.
-- phaseline: direct-writes
BEGIN;
SELECT plan(5);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));

SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    SELECT test.uid('v1'), 'D1', 'manual', test.id('admin')$$,
    '22023', 'recommendation_shape', 'a direct INSERT recommending in another user''s name is refused');
SELECT lives_ok($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    SELECT test.uid('v1'), 'D1', 'manual', test.id('tester')$$, 'a direct INSERT of the actor''s own recommendation into a draft is accepted');

SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    SELECT test.uid('v1'), 'D2', 'manual', test.id('tester')$$,
    '55000', 'version_not_draft', 'a direct INSERT into a version pending approval is refused');
SELECT is((SELECT array_agg(sample_key) FROM phaseline.sample_decisions WHERE version_id = test.uid('v1')), ARRAY['D1'],
    'the version holds the accepted sample only');

SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "D1", "status": "approved"}]', test.id('owner'));
SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'));
SELECT test.act('tester');
SELECT test.throws_rule($$INSERT INTO phaseline.sample_decisions (version_id, sample_key, recommendation_source, recommended_by)
    SELECT test.uid('v1'), 'D3', 'manual', test.id('tester')$$,
    '55000', 'version_not_draft', 'a direct INSERT into an approved version is refused');

SELECT * FROM finish();
ROLLBACK;
