-- Issue 12, finding 1: whoever adds samples to a sample selection, or
-- modifies a sample's data with a "modified" decision, contributed to it and
-- may not approve or reject it (42501 four_eyes). The same rule under a
-- direct write: sec_f01_four_eyes_recommenders_direct.sql.
BEGIN;
SELECT plan(6);
SELECT test.world();
SELECT test.remember('v1', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('report'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "T1"}]', 'tester', test.id('tester'));
-- the owner recommends into the tester's draft
SELECT phaseline_api.recommend_samples(test.uid('v1'), '[{"sample_key": "O1"}]', 'manual', test.id('owner'));
SELECT phaseline_api.submit_version(test.uid('v1'), test.id('tester'));
-- the admin decides everything (the owner may not decide O1, their own)
SELECT phaseline_api.decide_samples(test.uid('v1'), '[{"sample_key": "T1", "status": "approved"}, {"sample_key": "O1", "status": "approved"}]', test.id('admin'));

SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('v1'), test.id('owner'))$$,
    '42501', 'four_eyes', 'the owner who recommended samples into the version cannot approve it');
SELECT test.throws_rule($$SELECT phaseline_api.reject_version(test.uid('v1'), test.id('owner'), 'no')$$,
    '42501', 'four_eyes', 'nor reject it');
SELECT is((SELECT version_status::text FROM peek.sample_selection_versions WHERE id = test.uid('v1')), 'pending_approval',
    'the version is still pending');

-- A modifier is a contributor too.
SELECT test.remember('r', phaseline_api.create_report('Other', test.id('owner'), test.id('admin')));
SELECT phaseline_api.assign_report(test.uid('cycle'), test.uid('r'), test.id('tester'), test.id('admin'));
SELECT test.remember('v', phaseline_api.start_sample_selection(test.uid('cycle'), test.uid('r'), test.id('tester')));
SELECT phaseline_api.recommend_samples(test.uid('v'), '[{"sample_key": "M1", "data": {"loan": 1}}]', 'tester', test.id('tester'));
SELECT phaseline_api.submit_version(test.uid('v'), test.id('tester'));
SELECT phaseline_api.decide_samples(test.uid('v'), '[{"sample_key": "M1", "status": "modified", "data": {"loan": 2}}]', test.id('owner'));
SELECT test.throws_rule($$SELECT phaseline_api.approve_version(test.uid('v'), test.id('owner'))$$,
    '42501', 'four_eyes', 'the owner who modified a sample''s data cannot approve the version');
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('v'), test.id('admin'))$$,
    'another reviewer (an admin) approves it');
SELECT lives_ok($$SELECT phaseline_api.approve_version(test.uid('v1'), test.id('admin'))$$,
    'and the first version too: the admin only decided, it added nothing');

SELECT * FROM finish();
ROLLBACK;
