-- Issue 12, finding 1, under a direct write: the owner who recommended
-- samples into a version contributed to it, and a direct UPDATE approving
-- it is refused by the trigger (42501 four_eyes) as the API's approve is
-- (sec_f01_four_eyes_recommenders.sql).
-- phaseline: direct-writes
BEGIN;
SELECT plan(2);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "T1"}]', 'tester', test.id('tester'));
-- the owner recommends into the tester's draft
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "O1"}]', 'manual', test.id('owner'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved"}, {"sample_key": "O1", "status": "approved"}]', test.id('admin'));

SELECT test.act('owner');
SELECT test.throws_rule($$UPDATE phaseline.sample_selection_versions SET version_status = 'approved' WHERE id = test.uid('v1')$$,
    '42501', 'four_eyes', 'the owner who recommended samples into the version cannot approve it by a direct UPDATE');
SELECT is((SELECT version_status::text FROM phaseline.sample_selection_versions WHERE id = test.uid('v1')), 'pending_approval',
    'the version is still pending');

SELECT * FROM finish();
ROLLBACK;
